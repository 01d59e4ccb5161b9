-- case: most_expensive_service_last_month_one_row
-- The one with the most, no tie - one row.
SELECT
  *
FROM (
  SELECT
    resource_costs.service AS service,
    SUM(resource_costs.cost_usd) AS cost
  FROM inventory.resource_costs AS resource_costs
  WHERE
    resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
  GROUP BY
    resource_costs.service
  ORDER BY
    cost DESC NULLS LAST
  FETCH FIRST %(limit)s ROWS WITH TIES
) AS ranked
ORDER BY
  cost DESC NULLS LAST,
  service
-- params: {"limit": 1, "usage_date_end": "2026-05-31", "usage_date_start": "2026-05-01"}
