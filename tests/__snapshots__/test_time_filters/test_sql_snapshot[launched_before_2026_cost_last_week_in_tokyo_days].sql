-- case: launched_before_2026_cost_last_week_in_tokyo_days
-- last week's daily cost of resources launched before 2026, in Tokyo time
SELECT
  resource_costs.usage_date AS usage_date__day,
  SUM(resource_costs.cost_usd) AS cost
FROM inventory.resource_costs AS resource_costs
LEFT JOIN inventory.resources AS resources
  ON resources.resource_id = resource_costs.resource_id
WHERE
  CAST(resources.created_at AT TIME ZONE %(timezone)s AS DATE) < %(created_at)s
  AND resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
GROUP BY
  resource_costs.usage_date
ORDER BY
  usage_date__day
-- params: {"created_at": "2026-01-01", "timezone": "Asia/Tokyo", "usage_date_end": "2026-06-14", "usage_date_start": "2026-06-08"}
