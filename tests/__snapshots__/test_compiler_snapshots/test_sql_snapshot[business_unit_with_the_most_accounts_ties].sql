-- case: business_unit_with_the_most_accounts_ties
-- The one with the most - every group tied for first (FETCH FIRST 1 ROWS WITH TIES).
SELECT
  *
FROM (
  SELECT
    accounts.business_unit AS business_unit,
    COUNT(*) AS account_count
  FROM inventory.accounts AS accounts
  GROUP BY
    accounts.business_unit
  ORDER BY
    account_count DESC NULLS LAST
  FETCH FIRST %(limit)s ROWS WITH TIES
) AS ranked
ORDER BY
  account_count DESC NULLS LAST,
  business_unit
-- params: {"limit": 1}
