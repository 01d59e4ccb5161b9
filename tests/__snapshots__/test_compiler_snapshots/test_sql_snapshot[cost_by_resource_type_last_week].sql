-- case: cost_by_resource_type_last_week
-- Cost grouped by a resources column reached through the to-one cost_resource join.
SELECT
  resources.resource_type AS resource_type,
  SUM(resource_costs.cost_usd) AS cost
FROM inventory.resource_costs AS resource_costs
LEFT JOIN inventory.resources AS resources
  ON resources.resource_id = resource_costs.resource_id
WHERE
  resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
GROUP BY
  resources.resource_type
ORDER BY
  resource_type
-- params: {"usage_date_end": "2026-06-14", "usage_date_start": "2026-06-08"}
