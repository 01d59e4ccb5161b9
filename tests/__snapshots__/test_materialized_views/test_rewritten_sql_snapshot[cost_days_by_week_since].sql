-- case: cost_days_by_week_since
-- answered from: daily_cost_by_service
-- view daily_cost: qualifies, but daily_cost_by_service is smaller
-- view daily_cost_by_service: used
-- view monthly_cost: lacks measure cost_days
-- view resource_inventory: holds resources; this query reads resource_costs
SELECT
  CAST(DATE_TRUNC('week', CAST(daily_cost_by_service.usage_date__day AS TIMESTAMP)) AS DATE) AS usage_date__week,
  COUNT(DISTINCT daily_cost_by_service.usage_date__day) AS cost_days
FROM crq_mv.daily_cost_by_service AS daily_cost_by_service
WHERE
  daily_cost_by_service.usage_date__day BETWEEN %(usage_date_start)s AND %(usage_date_end)s
GROUP BY
  CAST(DATE_TRUNC('week', CAST(daily_cost_by_service.usage_date__day AS TIMESTAMP)) AS DATE)
ORDER BY
  usage_date__week
-- params: {"usage_date_end": "2026-06-17", "usage_date_start": "2026-05-01"}
