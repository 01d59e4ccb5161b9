-- case: avg_daily_cost_by_region_last_month
-- answered from: daily_cost_by_service
-- view daily_cost: qualifies, but daily_cost_by_service is smaller
-- view daily_cost_by_service: used
-- view monthly_cost: lacks measure cost_days
-- view resource_inventory: holds resources; this query reads resource_costs
SELECT
  daily_cost_by_service.region AS region,
  CAST(SUM(daily_cost_by_service.cost) AS DECIMAL) / NULLIF(CAST(COUNT(DISTINCT daily_cost_by_service.usage_date__day) AS DECIMAL), 0) AS avg_daily_cost
FROM crq_mv.daily_cost_by_service AS daily_cost_by_service
WHERE
  daily_cost_by_service.usage_date__day BETWEEN %(usage_date_start)s AND %(usage_date_end)s
GROUP BY
  daily_cost_by_service.region
ORDER BY
  region
-- params: {"usage_date_end": "2026-05-31", "usage_date_start": "2026-05-01"}
