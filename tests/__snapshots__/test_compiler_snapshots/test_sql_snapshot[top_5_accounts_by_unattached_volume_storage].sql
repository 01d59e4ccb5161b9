-- case: top_5_accounts_by_unattached_volume_storage
-- Segment with order by the metric and a limit (top-N).
SELECT
  *
FROM (
  SELECT
    accounts.account_name AS account_name,
    SUM(resources.storage_gb) AS total_storage_gb
  FROM inventory.resources AS resources
  LEFT JOIN inventory.accounts AS accounts
    ON accounts.account_id = resources.account_id
  WHERE
    resources.resource_type = %(resource_type)s AND resources.state = %(state)s
  GROUP BY
    accounts.account_name
  ORDER BY
    total_storage_gb DESC NULLS LAST
  FETCH FIRST %(limit)s ROWS WITH TIES
) AS ranked
ORDER BY
  total_storage_gb DESC NULLS LAST,
  account_name
-- params: {"limit": 5, "resource_type": "ebs:volume", "state": "available"}
