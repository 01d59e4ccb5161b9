-- case: regions_with_at_most_one_public_database_in_prod
-- The region's rows make the groups; the account's environment picks counted rows too.
SELECT
  resources.region AS region,
  COUNT(*) FILTER(WHERE
    resources.is_public = %(is_public)s
    AND resources.resource_type = %(resource_type)s
    AND accounts.environment = %(environment)s) AS resource_count
FROM inventory.resources AS resources
LEFT JOIN inventory.accounts AS accounts
  ON accounts.account_id = resources.account_id
GROUP BY
  resources.region
HAVING
  COUNT(*) FILTER(WHERE
    resources.is_public = %(is_public)s
    AND resources.resource_type = %(resource_type)s
    AND accounts.environment = %(environment)s) <= %(resource_count)s
ORDER BY
  region
-- params: {"environment": "prod", "is_public": true, "resource_count": 1, "resource_type": "rds:db-instance"}
