-- case: accounts_over_1000_resources
-- how many accounts have more than 1,000 resources
SELECT
  COUNT(*) AS account_name_count
FROM (
  SELECT
    accounts.account_name AS account_name,
    COUNT(*) AS resource_count
  FROM inventory.resources AS resources
  LEFT JOIN inventory.accounts AS accounts
    ON accounts.account_id = resources.account_id
  GROUP BY
    accounts.account_name
  HAVING
    COUNT(*) > %(resource_count)s
) AS counted_groups
-- params: {"resource_count": 1000}
