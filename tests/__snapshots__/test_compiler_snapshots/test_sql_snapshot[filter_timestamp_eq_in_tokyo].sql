-- case: filter_timestamp_eq_in_tokyo
-- = on a timestamptz matches the local calendar day of the intent's time zone (Asia/Tokyo).
SELECT
  resources.resource_id AS resource_id,
  CAST(resources.created_at AT TIME ZONE %(timezone)s AS DATE) AS created_at
FROM inventory.resources AS resources
WHERE
  CAST(resources.created_at AT TIME ZONE %(timezone)s AS DATE) = %(created_at)s
GROUP BY
  resources.resource_id,
  CAST(resources.created_at AT TIME ZONE %(timezone)s AS DATE)
ORDER BY
  resource_id,
  created_at
-- params: {"created_at": "2026-06-12", "timezone": "Asia/Tokyo"}
