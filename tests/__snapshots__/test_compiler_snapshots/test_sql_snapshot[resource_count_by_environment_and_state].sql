-- case: resource_count_by_environment_and_state
-- Resource count by an account column and its own column; joining to accounts never multiplies.
SELECT
  accounts.environment AS environment,
  resources.state AS state,
  COUNT(*) AS resource_count
FROM inventory.resources AS resources
LEFT JOIN inventory.accounts AS accounts
  ON accounts.account_id = resources.account_id
GROUP BY
  accounts.environment,
  resources.state
ORDER BY
  environment,
  state
-- params: {}
