-- case: cost_in_thousands_by_service_last_month
-- cost by service last month in thousands of dollars
SELECT
  resource_costs.service AS service,
  (
    CAST(SUM(resource_costs.cost_usd) AS DECIMAL) / %(cost_thousand_usd_per)s
  ) AS cost
FROM inventory.resource_costs AS resource_costs
WHERE
  resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
GROUP BY
  resource_costs.service
ORDER BY
  service
-- params: {"cost_thousand_usd_per": 1000, "usage_date_end": "2026-05-31", "usage_date_start": "2026-05-01"}
