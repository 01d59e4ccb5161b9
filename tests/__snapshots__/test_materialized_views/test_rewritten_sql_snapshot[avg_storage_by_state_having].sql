-- case: avg_storage_by_state_having
-- answered from: resource_inventory
-- view daily_cost: holds resource_costs; this query reads resources
-- view daily_cost_by_service: holds resource_costs; this query reads resources
-- view monthly_cost: holds resource_costs; this query reads resources
-- view resource_inventory: used
SELECT
  resource_inventory.state AS state,
  CAST(SUM(resource_inventory.avg_storage_gb__sum) AS DECIMAL) / NULLIF(SUM(resource_inventory.avg_storage_gb__count), 0) AS avg_storage_gb,
  CAST(COALESCE(SUM(resource_inventory.encrypted_count), 0) AS DECIMAL) / NULLIF(COALESCE(SUM(resource_inventory.resource_count), 0), 0) AS encrypted_share,
  COALESCE(SUM(resource_inventory.resource_count), 0) AS resource_count
FROM crq_mv.resource_inventory AS resource_inventory
GROUP BY
  resource_inventory.state
HAVING
  COALESCE(SUM(resource_inventory.resource_count), 0) > %(resource_count)s
ORDER BY
  state
-- params: {"resource_count": 100}
