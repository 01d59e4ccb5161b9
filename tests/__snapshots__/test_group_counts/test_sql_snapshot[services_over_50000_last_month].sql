-- case: services_over_50000_last_month
-- how many services cost more than $50,000 last month
SELECT
  COUNT(*) AS service_count
FROM (
  SELECT
    resource_costs.service AS service,
    SUM(resource_costs.cost_usd) AS cost
  FROM inventory.resource_costs AS resource_costs
  WHERE
    resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
  GROUP BY
    resource_costs.service
  HAVING
    SUM(resource_costs.cost_usd) > %(cost)s
) AS counted_groups
-- params: {"cost": 50000, "usage_date_end": "2026-05-31", "usage_date_start": "2026-05-01"}
