-- case: quarter_to_date_by_business_unit
-- change vs last quarter by business unit, so far this quarter
WITH current_period AS (
  SELECT
    accounts.business_unit AS business_unit,
    SUM(resource_costs.cost_usd) AS cost,
    CAST(SUM(resource_costs.cost_usd) AS DECIMAL) / NULLIF(CAST(COUNT(DISTINCT resource_costs.usage_date) AS DECIMAL), 0) AS avg_daily_cost
  FROM inventory.resource_costs AS resource_costs
  LEFT JOIN inventory.accounts AS accounts
    ON accounts.account_id = resource_costs.account_id
  WHERE
    resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
  GROUP BY
    accounts.business_unit
), previous_period AS (
  SELECT
    accounts.business_unit AS business_unit,
    SUM(resource_costs.cost_usd) AS cost,
    CAST(SUM(resource_costs.cost_usd) AS DECIMAL) / NULLIF(CAST(COUNT(DISTINCT resource_costs.usage_date) AS DECIMAL), 0) AS avg_daily_cost
  FROM inventory.resource_costs AS resource_costs
  LEFT JOIN inventory.accounts AS accounts
    ON accounts.account_id = resource_costs.account_id
  WHERE
    resource_costs.usage_date BETWEEN %(usage_date_start_2)s AND %(usage_date_end_2)s
  GROUP BY
    accounts.business_unit
)
SELECT
  COALESCE(current_period.business_unit, previous_period.business_unit) AS business_unit,
  MAX(current_period.cost) AS cost,
  MAX(previous_period.cost) AS cost_previous,
  MAX(current_period.cost) - MAX(previous_period.cost) AS cost_change,
  100 * CAST(MAX(current_period.cost) - MAX(previous_period.cost) AS DECIMAL) / NULLIF(MAX(previous_period.cost), 0) AS cost_change_pct,
  MAX(current_period.avg_daily_cost) AS avg_daily_cost,
  MAX(previous_period.avg_daily_cost) AS avg_daily_cost_previous,
  MAX(current_period.avg_daily_cost) - MAX(previous_period.avg_daily_cost) AS avg_daily_cost_change,
  100 * CAST(MAX(current_period.avg_daily_cost) - MAX(previous_period.avg_daily_cost) AS DECIMAL) / NULLIF(MAX(previous_period.avg_daily_cost), 0) AS avg_daily_cost_change_pct
FROM current_period
FULL OUTER JOIN previous_period
  ON current_period.business_unit = previous_period.business_unit
GROUP BY
  COALESCE(current_period.business_unit, previous_period.business_unit)
ORDER BY
  business_unit
-- params: {"usage_date_end": "2026-06-17", "usage_date_end_2": "2026-03-19", "usage_date_start": "2026-04-01", "usage_date_start_2": "2026-01-01"}
