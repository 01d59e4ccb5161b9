-- case: tr_trailing_2_months
-- Trailing months start the day after the same date two months earlier (2026-04-18..2026-06-17).
SELECT
  resource_costs.service AS service,
  SUM(resource_costs.cost_usd) AS cost
FROM inventory.resource_costs AS resource_costs
WHERE
  resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
GROUP BY
  resource_costs.service
ORDER BY
  service
-- params: {"usage_date_end": "2026-06-17", "usage_date_start": "2026-04-18"}
