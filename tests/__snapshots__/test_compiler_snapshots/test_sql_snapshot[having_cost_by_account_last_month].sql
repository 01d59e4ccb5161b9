-- case: having_cost_by_account_last_month
-- A metric filter becomes HAVING on the aggregate, not WHERE on rows.
SELECT
  accounts.account_name AS account_name,
  SUM(resource_costs.cost_usd) AS cost
FROM inventory.resource_costs AS resource_costs
LEFT JOIN inventory.accounts AS accounts
  ON accounts.account_id = resource_costs.account_id
WHERE
  resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
GROUP BY
  accounts.account_name
HAVING
  SUM(resource_costs.cost_usd) > %(cost)s
ORDER BY
  account_name
-- params: {"cost": 20000, "usage_date_end": "2026-05-31", "usage_date_start": "2026-05-01"}
