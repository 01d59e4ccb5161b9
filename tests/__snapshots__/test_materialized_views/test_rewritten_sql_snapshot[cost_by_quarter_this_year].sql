-- case: cost_by_quarter_this_year
-- answered from: monthly_cost
-- view daily_cost: qualifies, but monthly_cost is smaller
-- view daily_cost_by_service: qualifies, but monthly_cost is smaller
-- view monthly_cost: used
-- view resource_inventory: holds resources; this query reads resource_costs
SELECT
  CAST(DATE_TRUNC('quarter', CAST(monthly_cost.usage_date__month AS TIMESTAMP)) AS DATE) AS usage_date__quarter,
  SUM(monthly_cost.cost) AS cost
FROM crq_mv.monthly_cost AS monthly_cost
WHERE
  monthly_cost.usage_date__month BETWEEN %(usage_date_start)s AND %(usage_date_end)s
GROUP BY
  CAST(DATE_TRUNC('quarter', CAST(monthly_cost.usage_date__month AS TIMESTAMP)) AS DATE)
ORDER BY
  usage_date__quarter
-- params: {"usage_date_end": "2026-06-17", "usage_date_start": "2026-01-01"}
