-- case: tr_trailing_30_days
-- "last 30 days" includes the as-of day.
SELECT
  accounts.environment AS environment,
  SUM(resource_costs.cost_usd) AS cost
FROM inventory.resource_costs AS resource_costs
LEFT JOIN inventory.accounts AS accounts
  ON accounts.account_id = resource_costs.account_id
WHERE
  resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
GROUP BY
  accounts.environment
ORDER BY
  environment
-- params: {"usage_date_end": "2026-06-17", "usage_date_start": "2026-05-19"}
