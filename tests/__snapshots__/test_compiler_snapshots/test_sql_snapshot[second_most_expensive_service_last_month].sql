-- case: second_most_expensive_service_last_month
-- A ranked position (offset) - the second row of the ranking, not the first two.
SELECT
  resource_costs.service AS service,
  SUM(resource_costs.cost_usd) AS cost
FROM inventory.resource_costs AS resource_costs
WHERE
  resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
GROUP BY
  resource_costs.service
ORDER BY
  cost DESC NULLS LAST,
  service
LIMIT %(limit)s
OFFSET %(offset)s
-- params: {"limit": 1, "offset": 1, "usage_date_end": "2026-05-31", "usage_date_start": "2026-05-01"}
