-- case: top_5_accounts_by_cost_last_month
-- Top-N by a metric.
SELECT
  *
FROM (
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
  ORDER BY
    cost DESC NULLS LAST
  FETCH FIRST %(limit)s ROWS WITH TIES
) AS ranked
ORDER BY
  cost DESC NULLS LAST,
  account_name
-- params: {"limit": 5, "usage_date_end": "2026-05-31", "usage_date_start": "2026-05-01"}
