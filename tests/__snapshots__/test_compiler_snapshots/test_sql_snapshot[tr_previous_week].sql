-- case: tr_previous_week
-- "last week" is the previous Monday..Sunday.
SELECT
  resource_costs.usage_date AS usage_date,
  SUM(resource_costs.cost_usd) AS cost
FROM inventory.resource_costs AS resource_costs
WHERE
  resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
GROUP BY
  resource_costs.usage_date
ORDER BY
  usage_date
-- params: {"usage_date_end": "2026-06-14", "usage_date_start": "2026-06-08"}
