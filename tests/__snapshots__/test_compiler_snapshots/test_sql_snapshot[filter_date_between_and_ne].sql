-- case: filter_date_between_and_ne
-- between and != on a date dimension used as a plain filter (not a time range).
SELECT
  resource_costs.service AS service,
  SUM(resource_costs.cost_usd) AS cost
FROM inventory.resource_costs AS resource_costs
WHERE
  resource_costs.usage_date BETWEEN %(usage_date_low)s AND %(usage_date_high)s
  AND resource_costs.usage_date IS DISTINCT FROM %(usage_date)s
GROUP BY
  resource_costs.service
ORDER BY
  service
-- params: {"usage_date": "2026-05-10", "usage_date_high": "2026-05-15", "usage_date_low": "2026-05-01"}
