-- case: production_segment_vs_staging
-- production vs staging spend by service last month
SELECT
  accounts.environment AS environment,
  resource_costs.service AS service,
  SUM(resource_costs.cost_usd) AS cost
FROM inventory.resource_costs AS resource_costs
LEFT JOIN inventory.accounts AS accounts
  ON accounts.account_id = resource_costs.account_id
WHERE
  accounts.environment = ANY(
    %(environment)s
  )
  AND resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
GROUP BY
  accounts.environment,
  resource_costs.service
ORDER BY
  environment,
  service
-- params: {"environment": ["staging", "prod"], "usage_date_end": "2026-05-31", "usage_date_start": "2026-05-01"}
