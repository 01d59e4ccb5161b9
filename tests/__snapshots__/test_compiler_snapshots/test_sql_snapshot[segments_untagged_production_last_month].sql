-- case: segments_untagged_production_last_month
-- Two segments combine their filters (untagged resources in prod accounts) for a cost metric.
SELECT
  resource_costs.service AS service,
  SUM(resource_costs.cost_usd) AS cost
FROM inventory.resource_costs AS resource_costs
LEFT JOIN inventory.resources AS resources
  ON resources.resource_id = resource_costs.resource_id
LEFT JOIN inventory.accounts AS accounts
  ON accounts.account_id = resource_costs.account_id
WHERE
  (
    resources.tags = CAST('{}' AS JSONB)
  ) = %(is_untagged)s
  AND accounts.environment = %(environment)s
  AND resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
GROUP BY
  resource_costs.service
ORDER BY
  service
-- params: {"environment": "prod", "is_untagged": true, "usage_date_end": "2026-05-31", "usage_date_start": "2026-05-01"}
