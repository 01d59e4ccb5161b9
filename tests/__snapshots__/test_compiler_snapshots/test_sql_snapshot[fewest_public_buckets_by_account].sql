-- case: fewest_public_buckets_by_account
-- Ranked from the lowest, groups with none of the counted rows show 0 (rewrites/zero_groups).
SELECT
  *
FROM (
  SELECT
    accounts.account_name AS account_name,
    COUNT(*) FILTER(WHERE
      resources.is_public = %(is_public)s
      AND resources.resource_type = %(resource_type)s) AS resource_count
  FROM inventory.resources AS resources
  LEFT JOIN inventory.accounts AS accounts
    ON accounts.account_id = resources.account_id
  GROUP BY
    accounts.account_name
  ORDER BY
    resource_count ASC NULLS FIRST
  FETCH FIRST %(limit)s ROWS WITH TIES
) AS ranked
ORDER BY
  resource_count ASC NULLS FIRST,
  account_name
-- params: {"is_public": true, "limit": 4, "resource_type": "s3:bucket"}
