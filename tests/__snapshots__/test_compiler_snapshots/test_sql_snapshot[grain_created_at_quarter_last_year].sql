-- case: grain_created_at_quarter_last_year
-- Quarterly grain on created_at, with the time range explicitly on created_at ("last year").
SELECT
  CAST(DATE_TRUNC('quarter', resources.created_at AT TIME ZONE %(timezone)s) AS DATE) AS created_at__quarter,
  COUNT(*) AS resource_count
FROM inventory.resources AS resources
WHERE
  resources.created_at >= %(created_at_from)s
  AND resources.created_at < %(created_at_before)s
GROUP BY
  CAST(DATE_TRUNC('quarter', resources.created_at AT TIME ZONE %(timezone)s) AS DATE)
ORDER BY
  created_at__quarter
-- params: {"created_at_before": "2026-01-01T00:00:00+00:00", "created_at_from": "2025-01-01T00:00:00+00:00", "timezone": "UTC"}
