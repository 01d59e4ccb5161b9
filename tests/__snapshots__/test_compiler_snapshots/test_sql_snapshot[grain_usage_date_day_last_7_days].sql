-- case: grain_usage_date_day_last_7_days
-- Daily grain on a date column.
SELECT
  resource_costs.usage_date AS usage_date__day,
  SUM(resource_costs.cost_usd) AS cost
FROM inventory.resource_costs AS resource_costs
WHERE
  resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
GROUP BY
  resource_costs.usage_date
ORDER BY
  usage_date__day
-- params: {"usage_date_end": "2026-06-17", "usage_date_start": "2026-06-11"}
