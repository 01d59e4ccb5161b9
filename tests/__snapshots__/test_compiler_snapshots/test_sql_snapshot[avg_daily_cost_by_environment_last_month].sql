-- case: avg_daily_cost_by_environment_last_month
-- Derived metric cost / cost_days evaluated after aggregation.
SELECT
  accounts.environment AS environment,
  CAST(SUM(resource_costs.cost_usd) AS DECIMAL) / NULLIF(CAST(COUNT(DISTINCT resource_costs.usage_date) AS DECIMAL), 0) AS avg_daily_cost
FROM inventory.resource_costs AS resource_costs
LEFT JOIN inventory.accounts AS accounts
  ON accounts.account_id = resource_costs.account_id
WHERE
  resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
GROUP BY
  accounts.environment
ORDER BY
  environment
-- params: {"usage_date_end": "2026-05-31", "usage_date_start": "2026-05-01"}
