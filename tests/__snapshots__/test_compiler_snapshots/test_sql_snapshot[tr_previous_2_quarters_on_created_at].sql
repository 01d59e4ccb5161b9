-- case: tr_previous_2_quarters_on_created_at
-- time_range.dimension = created_at moves the range off the cost table's usage_date: all-time cost of the resources created in the two full quarters before this one (2025-10-01..2026-03-31).
SELECT
  resource_costs.service AS service,
  SUM(resource_costs.cost_usd) AS cost
FROM inventory.resource_costs AS resource_costs
LEFT JOIN inventory.resources AS resources
  ON resources.resource_id = resource_costs.resource_id
WHERE
  resources.created_at >= %(created_at_from)s
  AND resources.created_at < %(created_at_before)s
GROUP BY
  resource_costs.service
ORDER BY
  service
-- params: {"created_at_before": "2026-04-01T00:00:00+00:00", "created_at_from": "2025-10-01T00:00:00+00:00"}
