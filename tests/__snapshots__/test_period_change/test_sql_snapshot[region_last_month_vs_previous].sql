-- case: region_last_month_vs_previous
-- how did each region's spend change last month
WITH current_period AS (
  SELECT
    resource_costs.region AS region,
    SUM(resource_costs.cost_usd) AS cost
  FROM inventory.resource_costs AS resource_costs
  WHERE
    resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
  GROUP BY
    resource_costs.region
), previous_period AS (
  SELECT
    resource_costs.region AS region,
    SUM(resource_costs.cost_usd) AS cost
  FROM inventory.resource_costs AS resource_costs
  WHERE
    resource_costs.usage_date BETWEEN %(usage_date_start_2)s AND %(usage_date_end_2)s
  GROUP BY
    resource_costs.region
)
SELECT
  COALESCE(current_period.region, previous_period.region) AS region,
  MAX(current_period.cost) AS cost,
  MAX(previous_period.cost) AS cost_previous,
  MAX(current_period.cost) - MAX(previous_period.cost) AS cost_change,
  100 * CAST(MAX(current_period.cost) - MAX(previous_period.cost) AS DECIMAL) / NULLIF(MAX(previous_period.cost), 0) AS cost_change_pct
FROM current_period
FULL OUTER JOIN previous_period
  ON current_period.region = previous_period.region
GROUP BY
  COALESCE(current_period.region, previous_period.region)
ORDER BY
  region
-- params: {"usage_date_end": "2026-05-31", "usage_date_end_2": "2026-04-30", "usage_date_start": "2026-05-01", "usage_date_start_2": "2026-04-01"}
