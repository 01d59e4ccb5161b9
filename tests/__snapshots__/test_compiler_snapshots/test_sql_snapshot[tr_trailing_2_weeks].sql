-- case: tr_trailing_2_weeks
-- Trailing weeks are 7-day blocks ending on as-of (2026-06-04..2026-06-17).
SELECT
  COUNT(DISTINCT resource_costs.usage_date) AS cost_days,
  SUM(resource_costs.cost_usd) AS cost
FROM inventory.resource_costs AS resource_costs
WHERE
  resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
-- params: {"usage_date_end": "2026-06-17", "usage_date_start": "2026-06-04"}
