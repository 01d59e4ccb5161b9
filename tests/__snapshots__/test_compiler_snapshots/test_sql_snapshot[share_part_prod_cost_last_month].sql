-- case: share_part_prod_cost_last_month
-- The part of last month's cost from prod accounts, and its percentage of the whole.
SELECT
  SUM(resource_costs.cost_usd) FILTER(WHERE
    accounts.environment = %(environment)s) AS cost,
  100 * CAST(SUM(resource_costs.cost_usd) FILTER(WHERE
    accounts.environment = %(environment)s) AS DECIMAL) / NULLIF(SUM(resource_costs.cost_usd), 0) AS cost_share
FROM inventory.resource_costs AS resource_costs
LEFT JOIN inventory.accounts AS accounts
  ON accounts.account_id = resource_costs.account_id
WHERE
  resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
-- params: {"environment": "prod", "usage_date_end": "2026-05-31", "usage_date_start": "2026-05-01"}
