-- case: grain_usage_date_month_last_3_months
-- Monthly trend over the three full months before the current one.
SELECT
  CAST(DATE_TRUNC('month', CAST(resource_costs.usage_date AS TIMESTAMP)) AS DATE) AS usage_date__month,
  SUM(resource_costs.cost_usd) AS cost
FROM inventory.resource_costs AS resource_costs
WHERE
  resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
GROUP BY
  CAST(DATE_TRUNC('month', CAST(resource_costs.usage_date AS TIMESTAMP)) AS DATE)
ORDER BY
  usage_date__month
-- params: {"usage_date_end": "2026-05-31", "usage_date_start": "2026-03-01"}
