-- case: running_eks_cost_per_week_this_quarter
-- running total of EKS cost per week this quarter
SELECT
  totals.usage_date__week AS usage_date__week,
  totals.cost AS cost,
  SUM(totals.cost) OVER (ORDER BY totals.usage_date__week) AS cost_cumulative
FROM (
  SELECT
    CAST(DATE_TRUNC('week', CAST(resource_costs.usage_date AS TIMESTAMP)) AS DATE) AS usage_date__week,
    SUM(resource_costs.cost_usd) AS cost
  FROM inventory.resource_costs AS resource_costs
  WHERE
    resource_costs.service = %(service)s
    AND resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
  GROUP BY
    CAST(DATE_TRUNC('week', CAST(resource_costs.usage_date AS TIMESTAMP)) AS DATE)
) AS totals
ORDER BY
  usage_date__week
-- params: {"service": "eks", "usage_date_end": "2026-06-17", "usage_date_start": "2026-04-01"}
