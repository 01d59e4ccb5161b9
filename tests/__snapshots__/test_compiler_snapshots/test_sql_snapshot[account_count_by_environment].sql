-- case: account_count_by_environment
-- A metric of the accounts table, the one side of every relationship.
SELECT
  accounts.environment AS environment,
  COUNT(*) AS account_count
FROM inventory.accounts AS accounts
GROUP BY
  accounts.environment
ORDER BY
  environment
-- params: {}
