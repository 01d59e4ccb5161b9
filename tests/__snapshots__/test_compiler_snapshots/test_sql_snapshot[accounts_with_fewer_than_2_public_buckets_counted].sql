-- case: accounts_with_fewer_than_2_public_buckets_counted
-- A threshold 0 meets, counted - the accounts with none are among them.
SELECT
  COUNT(*) AS account_id_count
FROM (
  SELECT
    accounts.account_id AS account_id,
    COUNT(*) FILTER(WHERE
      resources.is_public = %(is_public)s
      AND resources.resource_type = %(resource_type)s) AS resource_count
  FROM inventory.resources AS resources
  LEFT JOIN inventory.accounts AS accounts
    ON accounts.account_id = resources.account_id
  GROUP BY
    accounts.account_id
  HAVING
    COUNT(*) FILTER(WHERE
      resources.is_public = %(is_public)s
      AND resources.resource_type = %(resource_type)s) < %(resource_count)s
) AS counted_groups
-- params: {"is_public": true, "resource_count": 2, "resource_type": "s3:bucket"}
