-- case: cost_in_millions_vs_previous_month
-- how did total spend change last month, in millions
WITH current_period AS (
  SELECT
    (
      CAST(SUM(resource_costs.cost_usd) AS DECIMAL) / %(cost_million_usd_per)s
    ) AS cost
  FROM inventory.resource_costs AS resource_costs
  WHERE
    resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
), previous_period AS (
  SELECT
    (
      CAST(SUM(resource_costs.cost_usd) AS DECIMAL) / %(cost_million_usd_per)s
    ) AS cost
  FROM inventory.resource_costs AS resource_costs
  WHERE
    resource_costs.usage_date BETWEEN %(usage_date_start_2)s AND %(usage_date_end_2)s
)
SELECT
  current_period.cost AS cost,
  previous_period.cost AS cost_previous,
  current_period.cost - previous_period.cost AS cost_change,
  100 * CAST(current_period.cost - previous_period.cost AS DECIMAL) / NULLIF(previous_period.cost, 0) AS cost_change_pct
FROM current_period
CROSS JOIN previous_period
-- params: {"cost_million_usd_per": 1000000, "usage_date_end": "2026-05-31", "usage_date_end_2": "2026-04-30", "usage_date_start": "2026-05-01", "usage_date_start_2": "2026-04-01"}
