-- case: filter_contains_case_insensitive
-- contains is a case-insensitive substring match.
SELECT
  accounts.account_name AS account_name,
  COUNT(*) AS resource_count
FROM inventory.resources AS resources
LEFT JOIN inventory.accounts AS accounts
  ON accounts.account_id = resources.account_id
WHERE
  resources.name ILIKE %(resource_name)s
GROUP BY
  accounts.account_name
ORDER BY
  account_name
-- params: {"resource_name": "%CHECKOUT%"}
