-- case: cumulative_cost_per_region_by_month
-- cumulative monthly cost per region, ordered by month
SELECT
  totals.region AS region,
  totals.usage_date__month AS usage_date__month,
  totals.cost AS cost,
  SUM(totals.cost) OVER (PARTITION BY totals.region ORDER BY totals.usage_date__month) AS cost_cumulative
FROM (
  SELECT
    resource_costs.region AS region,
    CAST(DATE_TRUNC('month', CAST(resource_costs.usage_date AS TIMESTAMP)) AS DATE) AS usage_date__month,
    SUM(resource_costs.cost_usd) AS cost
  FROM inventory.resource_costs AS resource_costs
  GROUP BY
    resource_costs.region,
    CAST(DATE_TRUNC('month', CAST(resource_costs.usage_date AS TIMESTAMP)) AS DATE)
) AS totals
ORDER BY
  usage_date__month ASC NULLS FIRST,
  region
-- params: {}
