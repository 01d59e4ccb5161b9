-- case: fallback_instance_type
-- answered from: base tables
-- view daily_cost: lacks dimension resources.instance_type
-- view daily_cost_by_service: lacks dimension resources.instance_type
-- view monthly_cost: lacks dimension resources.instance_type
-- view resource_inventory: holds resources; this query reads resource_costs
SELECT
  resources.instance_type AS instance_type,
  SUM(resource_costs.cost_usd) AS cost
FROM inventory.resource_costs AS resource_costs
LEFT JOIN inventory.resources AS resources
  ON resources.resource_id = resource_costs.resource_id
WHERE
  resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
GROUP BY
  resources.instance_type
ORDER BY
  instance_type
-- params: {"usage_date_end": "2026-05-31", "usage_date_start": "2026-05-01"}
