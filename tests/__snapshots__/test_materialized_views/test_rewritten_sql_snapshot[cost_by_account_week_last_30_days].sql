-- case: cost_by_account_week_last_30_days
-- answered from: daily_cost
-- view daily_cost: used
-- view daily_cost_by_service: lacks dimension accounts.account_name
-- view monthly_cost: month buckets do not roll up into weeks
-- view resource_inventory: holds resources; this query reads resource_costs
SELECT
  daily_cost.account_name AS account_name,
  CAST(DATE_TRUNC('week', CAST(daily_cost.usage_date__day AS TIMESTAMP)) AS DATE) AS usage_date__week,
  SUM(daily_cost.cost) AS cost
FROM crq_mv.daily_cost AS daily_cost
WHERE
  daily_cost.usage_date__day BETWEEN %(usage_date_start)s AND %(usage_date_end)s
GROUP BY
  daily_cost.account_name,
  CAST(DATE_TRUNC('week', CAST(daily_cost.usage_date__day AS TIMESTAMP)) AS DATE)
ORDER BY
  account_name,
  usage_date__week
-- params: {"usage_date_end": "2026-06-17", "usage_date_start": "2026-05-19"}
