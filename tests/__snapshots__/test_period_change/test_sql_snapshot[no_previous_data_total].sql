-- case: no_previous_data_total
-- December 2025 spend vs November
WITH current_period AS (
  SELECT
    SUM(resource_costs.cost_usd) AS cost,
    COUNT(DISTINCT resource_costs.usage_date) AS cost_days
  FROM inventory.resource_costs AS resource_costs
  WHERE
    resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
), previous_period AS (
  SELECT
    SUM(resource_costs.cost_usd) AS cost,
    COUNT(DISTINCT resource_costs.usage_date) AS cost_days
  FROM inventory.resource_costs AS resource_costs
  WHERE
    resource_costs.usage_date BETWEEN %(usage_date_start_2)s AND %(usage_date_end_2)s
)
SELECT
  current_period.cost AS cost,
  previous_period.cost AS cost_previous,
  current_period.cost - previous_period.cost AS cost_change,
  100 * CAST(current_period.cost - previous_period.cost AS DECIMAL) / NULLIF(previous_period.cost, 0) AS cost_change_pct,
  current_period.cost_days AS cost_days,
  previous_period.cost_days AS cost_days_previous,
  current_period.cost_days - previous_period.cost_days AS cost_days_change,
  100 * CAST(current_period.cost_days - previous_period.cost_days AS DECIMAL) / NULLIF(previous_period.cost_days, 0) AS cost_days_change_pct
FROM current_period
CROSS JOIN previous_period
-- params: {"usage_date_end": "2025-12-31", "usage_date_end_2": "2025-11-30", "usage_date_start": "2025-12-01", "usage_date_start_2": "2025-11-01"}
