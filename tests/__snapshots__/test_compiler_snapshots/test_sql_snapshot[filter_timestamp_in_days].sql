-- case: filter_timestamp_in_days
-- in on a timestamptz matches whole local days; grouped by the day.
SELECT
  CAST(resources.created_at AT TIME ZONE %(timezone)s AS DATE) AS created_at,
  COUNT(*) AS resource_count
FROM inventory.resources AS resources
WHERE
  CAST(resources.created_at AT TIME ZONE %(timezone)s AS DATE) = ANY(
    %(created_at)s
  )
GROUP BY
  CAST(resources.created_at AT TIME ZONE %(timezone)s AS DATE)
ORDER BY
  created_at
-- params: {"created_at": ["2026-06-01", "2026-06-05", "2026-06-09"], "timezone": "UTC"}
