-- case: grain_usage_date_week_last_4_weeks
-- Weekly grain (weeks start on Monday) over the 4 full weeks before this one.
SELECT
  CAST(DATE_TRUNC('week', CAST(resource_costs.usage_date AS TIMESTAMP)) AS DATE) AS usage_date__week,
  SUM(resource_costs.cost_usd) AS cost
FROM inventory.resource_costs AS resource_costs
WHERE
  resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
GROUP BY
  CAST(DATE_TRUNC('week', CAST(resource_costs.usage_date AS TIMESTAMP)) AS DATE)
ORDER BY
  usage_date__week
-- params: {"usage_date_end": "2026-06-14", "usage_date_start": "2026-05-18"}
