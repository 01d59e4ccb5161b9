-- case: tr_named_month_december_previous_year
-- December (after June) means December 2025; the sample has its last 12 days.
SELECT
  CAST(DATE_TRUNC('month', CAST(resource_costs.usage_date AS TIMESTAMP)) AS DATE) AS usage_date__month,
  SUM(resource_costs.cost_usd) AS cost,
  COUNT(DISTINCT resource_costs.usage_date) AS cost_days
FROM inventory.resource_costs AS resource_costs
WHERE
  resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
GROUP BY
  CAST(DATE_TRUNC('month', CAST(resource_costs.usage_date AS TIMESTAMP)) AS DATE)
ORDER BY
  usage_date__month
-- params: {"usage_date_end": "2025-12-31", "usage_date_start": "2025-12-01"}
