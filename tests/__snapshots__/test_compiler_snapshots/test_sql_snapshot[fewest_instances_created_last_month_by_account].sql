-- case: fewest_instances_created_last_month_by_account
-- Groups with none - the period is a condition on the counted rows too (created_at).
SELECT
  *
FROM (
  SELECT
    accounts.account_name AS account_name,
    COUNT(*) FILTER(WHERE
      resources.resource_type = %(resource_type)s
      AND resources.created_at >= %(created_at_from)s
      AND resources.created_at < %(created_at_before)s) AS resource_count
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
-- params: {"created_at_before": "2026-06-01T00:00:00+00:00", "created_at_from": "2026-05-01T00:00:00+00:00", "limit": 5, "resource_type": "ec2:instance"}
