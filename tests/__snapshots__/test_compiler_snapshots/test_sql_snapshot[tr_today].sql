-- case: tr_today
-- "today" is the as-of day itself.
SELECT
  SUM(resource_costs.cost_usd) AS cost,
  COUNT(DISTINCT resource_costs.usage_date) AS cost_days
FROM inventory.resource_costs AS resource_costs
WHERE
  resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
-- params: {"usage_date_end": "2026-06-17", "usage_date_start": "2026-06-17"}
