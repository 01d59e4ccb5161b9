-- case: tr_current_month_by_week
-- "this month" is month to date; June 2026 starts on a Monday so the weeks align.
SELECT
  CAST(DATE_TRUNC('week', CAST(resource_costs.usage_date AS TIMESTAMP)) AS DATE) AS usage_date__week,
  SUM(resource_costs.cost_usd) AS cost
FROM inventory.resource_costs AS resource_costs
WHERE
  resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
GROUP BY
  CAST(DATE_TRUNC('week', CAST(resource_costs.usage_date AS TIMESTAMP)) AS DATE)
ORDER BY
  usage_date__week
-- params: {"usage_date_end": "2026-06-17", "usage_date_start": "2026-06-01"}
