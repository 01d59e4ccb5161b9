-- case: average_cost_per_account_last_month
-- An average of each account's total (average_groups): the accounts with cost rows in May, each summed, then averaged; the number of accounts beside it.
SELECT
  AVG(counted_groups.cost) AS cost_average,
  COUNT(*) AS account_id_count
FROM (
  SELECT
    accounts.account_id AS account_id,
    SUM(resource_costs.cost_usd) AS cost
  FROM inventory.resource_costs AS resource_costs
  LEFT JOIN inventory.accounts AS accounts
    ON accounts.account_id = resource_costs.account_id
  WHERE
    resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
  GROUP BY
    accounts.account_id
) AS counted_groups
HAVING
  COUNT(*) > 0
-- params: {"usage_date_end": "2026-05-31", "usage_date_start": "2026-05-01"}
