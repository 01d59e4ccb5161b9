-- case: cost_by_service
-- answered from: monthly_cost
-- view daily_cost: qualifies, but monthly_cost is smaller
-- view daily_cost_by_service: qualifies, but monthly_cost is smaller
-- view monthly_cost: used
-- view resource_inventory: holds resources; this query reads resource_costs
SELECT
  monthly_cost.service AS service,
  SUM(monthly_cost.cost) AS cost
FROM crq_mv.monthly_cost AS monthly_cost
GROUP BY
  monthly_cost.service
ORDER BY
  service
-- params: {}
