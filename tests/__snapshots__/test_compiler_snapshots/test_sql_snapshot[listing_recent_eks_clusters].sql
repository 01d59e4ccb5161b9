-- case: listing_recent_eks_clusters
-- A listing over a created_at time range, newest first, limited.
SELECT
  resource_name,
  account_name,
  created_at
FROM (
  SELECT
    resources.name AS resource_name,
    accounts.account_name AS account_name,
    CAST(resources.created_at AT TIME ZONE %(timezone)s AS DATE) AS created_at,
    MIN(resources.created_at) AS created_at__time
  FROM inventory.resources AS resources
  LEFT JOIN inventory.accounts AS accounts
    ON accounts.account_id = resources.account_id
  WHERE
    resources.resource_type = %(resource_type)s
    AND resources.created_at >= %(created_at_from)s
    AND resources.created_at < %(created_at_before)s
  GROUP BY
    resources.name,
    accounts.account_name,
    CAST(resources.created_at AT TIME ZONE %(timezone)s AS DATE)
  ORDER BY
    created_at__time DESC NULLS LAST
  FETCH FIRST %(limit)s ROWS WITH TIES
) AS ranked
ORDER BY
  created_at__time DESC NULLS LAST,
  resource_name,
  account_name
-- params: {"created_at_before": "2026-06-18T00:00:00+00:00", "created_at_from": "2026-03-20T00:00:00+00:00", "limit": 10, "resource_type": "eks:cluster", "timezone": "UTC"}
