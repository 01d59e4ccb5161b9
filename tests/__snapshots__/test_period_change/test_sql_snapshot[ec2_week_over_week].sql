-- case: ec2_week_over_week
-- week over week change in EC2 cost
WITH current_period AS (
  SELECT
    SUM(resource_costs.cost_usd) AS cost
  FROM inventory.resource_costs AS resource_costs
  WHERE
    resource_costs.service = %(service)s
    AND resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
), previous_period AS (
  SELECT
    SUM(resource_costs.cost_usd) AS cost
  FROM inventory.resource_costs AS resource_costs
  WHERE
    resource_costs.service = %(service)s
    AND resource_costs.usage_date BETWEEN %(usage_date_start_2)s AND %(usage_date_end_2)s
)
SELECT
  current_period.cost AS cost,
  previous_period.cost AS cost_previous,
  current_period.cost - previous_period.cost AS cost_change,
  100 * CAST(current_period.cost - previous_period.cost AS DECIMAL) / NULLIF(previous_period.cost, 0) AS cost_change_pct
FROM current_period
CROSS JOIN previous_period
-- params: {"service": "ec2", "usage_date_end": "2026-06-14", "usage_date_end_2": "2026-06-07", "usage_date_start": "2026-06-08", "usage_date_start_2": "2026-06-01"}
