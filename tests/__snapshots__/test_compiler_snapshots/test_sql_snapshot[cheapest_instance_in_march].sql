-- case: cheapest_instance_in_march
-- Each resource ranked from the lowest over a period: a resource with no cost in the period (it did not exist yet) is no group with 0, or every instance created after March wins at $0.
SELECT
  *
FROM (
  SELECT
    resource_costs.resource_id AS resource_id,
    resources.name AS resource_name,
    SUM(resource_costs.cost_usd) AS cost
  FROM inventory.resource_costs AS resource_costs
  LEFT JOIN inventory.resources AS resources
    ON resources.resource_id = resource_costs.resource_id
  WHERE
    resources.resource_type = %(resource_type)s
    AND resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
  GROUP BY
    resource_costs.resource_id,
    resources.name
  ORDER BY
    cost ASC NULLS FIRST
  FETCH FIRST %(limit)s ROWS WITH TIES
) AS ranked
ORDER BY
  cost ASC NULLS FIRST,
  resource_id,
  resource_name
-- params: {"limit": 1, "resource_type": "ec2:instance", "usage_date_end": "2026-03-31", "usage_date_start": "2026-03-01"}
