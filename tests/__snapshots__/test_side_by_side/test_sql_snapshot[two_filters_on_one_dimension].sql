-- case: two_filters_on_one_dimension
-- prod and staging spend last month, side by side
SELECT
  accounts.environment AS environment,
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
  accounts.environment
ORDER BY
  environment
-- params: {"environment": ["prod", "staging"], "usage_date_end": "2026-05-31", "usage_date_start": "2026-05-01"}
