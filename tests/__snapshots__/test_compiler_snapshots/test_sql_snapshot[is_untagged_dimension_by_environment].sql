-- case: is_untagged_dimension_by_environment
-- A computed boolean dimension (expr) used to group.
SELECT
  accounts.environment AS environment,
  (
    resources.tags = CAST('{}' AS JSONB)
  ) AS is_untagged,
  COUNT(*) AS resource_count
FROM inventory.resources AS resources
LEFT JOIN inventory.accounts AS accounts
  ON accounts.account_id = resources.account_id
GROUP BY
  accounts.environment,
  (
    resources.tags = CAST('{}' AS JSONB)
  )
ORDER BY
  environment,
  is_untagged
-- params: {}
