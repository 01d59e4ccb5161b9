-- case: grain_usage_date_year
-- Yearly grain on a date column with no time range (the data spans 2025 and 2026).
SELECT
  CAST(DATE_TRUNC('year', CAST(resource_costs.usage_date AS TIMESTAMP)) AS DATE) AS usage_date__year,
  SUM(resource_costs.cost_usd) AS cost,
  COUNT(DISTINCT resource_costs.usage_date) AS cost_days
FROM inventory.resource_costs AS resource_costs
GROUP BY
  CAST(DATE_TRUNC('year', CAST(resource_costs.usage_date AS TIMESTAMP)) AS DATE)
ORDER BY
  usage_date__year
-- params: {}
