-- case: grain_usage_date_quarter_this_year
-- Quarterly grain with a second dimension, this year to date.
SELECT
  CAST(DATE_TRUNC('quarter', CAST(resource_costs.usage_date AS TIMESTAMP)) AS DATE) AS usage_date__quarter,
  accounts.environment AS environment,
  SUM(resource_costs.cost_usd) AS cost
FROM inventory.resource_costs AS resource_costs
LEFT JOIN inventory.accounts AS accounts
  ON accounts.account_id = resource_costs.account_id
WHERE
  resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
GROUP BY
  CAST(DATE_TRUNC('quarter', CAST(resource_costs.usage_date AS TIMESTAMP)) AS DATE),
  accounts.environment
ORDER BY
  usage_date__quarter,
  environment
-- params: {"usage_date_end": "2026-06-17", "usage_date_start": "2026-01-01"}
