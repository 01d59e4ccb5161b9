-- case: top_3_accounts_by_cost
-- scope: business_unit in [payments]
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
    accounts.business_unit = ANY(
      %(scope_business_unit)s
    )
  GROUP BY
    accounts.account_name
  ORDER BY
    cost DESC NULLS LAST
  FETCH FIRST %(limit)s ROWS WITH TIES
) AS ranked
ORDER BY
  cost DESC NULLS LAST,
  account_name
-- params: {"limit": 3, "scope_business_unit": ["payments"]}
