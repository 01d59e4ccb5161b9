-- case: top_accounts_in_tib_over_one_tb
-- top 5 accounts with more than 1 TB of storage, in TiB
SELECT
  *
FROM (
  SELECT
    accounts.account_name AS account_name,
    (
      CAST(SUM(resources.storage_gb) AS DECIMAL) * %(total_storage_gb_tib_times)s / %(total_storage_gb_tib_per)s
    ) AS total_storage_gb
  FROM inventory.resources AS resources
  LEFT JOIN inventory.accounts AS accounts
    ON accounts.account_id = resources.account_id
  GROUP BY
    accounts.account_name
  HAVING
    (
      CAST(SUM(resources.storage_gb) AS DECIMAL) * %(total_storage_gb_tib_times)s / %(total_storage_gb_tib_per)s
    ) > %(total_storage_gb)s
  ORDER BY
    total_storage_gb DESC NULLS LAST
  FETCH FIRST %(limit)s ROWS WITH TIES
) AS ranked
ORDER BY
  total_storage_gb DESC NULLS LAST,
  account_name
-- params: {"limit": 5, "total_storage_gb": 0.9094947017729282, "total_storage_gb_tib_per": 2147483648, "total_storage_gb_tib_times": 1953125}
