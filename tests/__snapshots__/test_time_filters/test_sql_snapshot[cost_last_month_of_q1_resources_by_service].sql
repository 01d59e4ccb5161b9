-- case: cost_last_month_of_q1_resources_by_service
-- last month's cost of the resources created in Q1 2026, by service
SELECT
  resource_costs.service AS service,
  SUM(resource_costs.cost_usd) AS cost
FROM inventory.resource_costs AS resource_costs
LEFT JOIN inventory.resources AS resources
  ON resources.resource_id = resource_costs.resource_id
WHERE
  CAST(resources.created_at AT TIME ZONE %(timezone)s AS DATE) BETWEEN %(created_at_low)s AND %(created_at_high)s
  AND resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
GROUP BY
  resource_costs.service
ORDER BY
  service
-- params: {"created_at_high": "2026-03-31", "created_at_low": "2026-01-01", "timezone": "UTC", "usage_date_end": "2026-05-31", "usage_date_start": "2026-05-01"}
