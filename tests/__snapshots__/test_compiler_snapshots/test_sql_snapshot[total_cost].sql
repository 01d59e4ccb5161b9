-- case: total_cost
-- A single metric with no dimension sums every cost row.
SELECT
  SUM(resource_costs.cost_usd) AS cost
FROM inventory.resource_costs AS resource_costs
-- params: {}
