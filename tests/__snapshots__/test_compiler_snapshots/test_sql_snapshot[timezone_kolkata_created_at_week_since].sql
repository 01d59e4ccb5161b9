-- case: timezone_kolkata_created_at_week_since
-- Half-hour offset time zone on weekly buckets since a date; a resource created late on the as-of day UTC falls on the next local day and is outside the range.
SELECT
  CAST(DATE_TRUNC('week', resources.created_at AT TIME ZONE %(timezone)s) AS DATE) AS created_at__week,
  COUNT(*) AS resource_count
FROM inventory.resources AS resources
WHERE
  resources.created_at >= %(created_at_from)s
  AND resources.created_at < %(created_at_before)s
GROUP BY
  CAST(DATE_TRUNC('week', resources.created_at AT TIME ZONE %(timezone)s) AS DATE)
ORDER BY
  created_at__week
-- params: {"created_at_before": "2026-06-18T00:00:00+05:30", "created_at_from": "2026-04-01T00:00:00+05:30", "timezone": "Asia/Kolkata"}
