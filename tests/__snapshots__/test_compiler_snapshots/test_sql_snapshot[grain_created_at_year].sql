-- case: grain_created_at_year
-- Yearly grain on a timestamptz, in UTC.
SELECT
  CAST(DATE_TRUNC('year', resources.created_at AT TIME ZONE %(timezone)s) AS DATE) AS created_at__year,
  COUNT(*) AS resource_count
FROM inventory.resources AS resources
GROUP BY
  CAST(DATE_TRUNC('year', resources.created_at AT TIME ZONE %(timezone)s) AS DATE)
ORDER BY
  created_at__year
-- params: {"timezone": "UTC"}
