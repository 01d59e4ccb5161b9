-- case: bottom_3_regions_by_cost_last_30_days
-- Bottom-N by a metric (ascending).
SELECT
  *
FROM (
  SELECT
    resource_costs.region AS region,
    COALESCE(
      SUM(resource_costs.cost_usd) FILTER(WHERE
        resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s),
      0
    ) AS cost
  FROM inventory.resource_costs AS resource_costs
  GROUP BY
    resource_costs.region
  ORDER BY
    cost ASC NULLS FIRST
  FETCH FIRST %(limit)s ROWS WITH TIES
) AS ranked
ORDER BY
  cost ASC NULLS FIRST,
  region
-- params: {"limit": 3, "usage_date_end": "2026-06-17", "usage_date_start": "2026-05-19"}
