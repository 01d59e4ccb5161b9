-- case: share_of_total_cost_by_service
-- Each service's cost and its percentage of last month's total over all services.
SELECT
  resource_costs.service AS service,
  SUM(resource_costs.cost_usd) AS cost,
  100 * CAST(SUM(resource_costs.cost_usd) AS DECIMAL) / NULLIF(SUM(SUM(resource_costs.cost_usd)) OVER (), 0) AS cost_share
FROM inventory.resource_costs AS resource_costs
WHERE
  resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
GROUP BY
  resource_costs.service
ORDER BY
  service
-- params: {"usage_date_end": "2026-05-31", "usage_date_start": "2026-05-01"}
