-- case: timezone_los_angeles_created_at_trailing_14_days
-- A non-UTC time zone shifts both the day buckets and the range bounds of a timestamptz (the last 14 local days, 2026-06-04..2026-06-17 in Los Angeles).
SELECT
  CAST(resources.created_at AT TIME ZONE %(timezone)s AS DATE) AS created_at__day,
  COUNT(*) AS resource_count
FROM inventory.resources AS resources
WHERE
  resources.created_at >= %(created_at_from)s
  AND resources.created_at < %(created_at_before)s
GROUP BY
  CAST(resources.created_at AT TIME ZONE %(timezone)s AS DATE)
ORDER BY
  created_at__day
-- params: {"created_at_before": "2026-06-18T00:00:00-07:00", "created_at_from": "2026-06-04T00:00:00-07:00", "timezone": "America/Los_Angeles"}
