-- case: cumulative_cost_by_day_in_may
-- cumulative cost by day in May
SELECT
  totals.usage_date__day AS usage_date__day,
  totals.cost AS cost,
  SUM(totals.cost) OVER (ORDER BY totals.usage_date__day) AS cost_cumulative
FROM (
  SELECT
    resource_costs.usage_date AS usage_date__day,
    SUM(resource_costs.cost_usd) AS cost
  FROM inventory.resource_costs AS resource_costs
  WHERE
    resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
  GROUP BY
    resource_costs.usage_date
) AS totals
ORDER BY
  usage_date__day
-- params: {"usage_date_end": "2026-05-31", "usage_date_start": "2026-05-01"}
