-- case: days_over_14500_last_month
-- on how many days last month did we spend more than $14,500
SELECT
  COUNT(*) AS usage_date__day_count
FROM (
  SELECT
    resource_costs.usage_date AS usage_date__day,
    SUM(resource_costs.cost_usd) AS cost
  FROM inventory.resource_costs AS resource_costs
  WHERE
    resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
  GROUP BY
    resource_costs.usage_date
  HAVING
    SUM(resource_costs.cost_usd) > %(cost)s
) AS counted_groups
-- params: {"cost": 14500, "usage_date_end": "2026-05-31", "usage_date_start": "2026-05-01"}
