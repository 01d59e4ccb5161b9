-- case: filter_timestamp_gte_lt
-- >= and < on a timestamptz compare calendar dates in the query's time zone (UTC here).
SELECT
  resources.resource_type AS resource_type,
  COUNT(*) AS resource_count
FROM inventory.resources AS resources
WHERE
  CAST(resources.created_at AT TIME ZONE %(timezone)s AS DATE) >= %(created_at)s
  AND CAST(resources.created_at AT TIME ZONE %(timezone)s AS DATE) < %(created_at_2)s
GROUP BY
  resources.resource_type
ORDER BY
  resource_type
-- params: {"created_at": "2026-06-01", "created_at_2": "2026-06-10", "timezone": "UTC"}
