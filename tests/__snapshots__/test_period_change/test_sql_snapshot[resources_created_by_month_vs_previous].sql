-- case: resources_created_by_month_vs_previous
-- how many resources were created last month per region, vs the month before
WITH current_period AS (
  SELECT
    resources.region AS region,
    COUNT(*) AS resource_count
  FROM inventory.resources AS resources
  WHERE
    resources.created_at >= %(created_at_from)s
    AND resources.created_at < %(created_at_before)s
  GROUP BY
    resources.region
), previous_period AS (
  SELECT
    resources.region AS region,
    COUNT(*) AS resource_count
  FROM inventory.resources AS resources
  WHERE
    resources.created_at >= %(created_at_from_2)s
    AND resources.created_at < %(created_at_before_2)s
  GROUP BY
    resources.region
)
SELECT
  COALESCE(current_period.region, previous_period.region) AS region,
  MAX(current_period.resource_count) AS resource_count,
  MAX(previous_period.resource_count) AS resource_count_previous,
  MAX(current_period.resource_count) - MAX(previous_period.resource_count) AS resource_count_change,
  100 * CAST(MAX(current_period.resource_count) - MAX(previous_period.resource_count) AS DECIMAL) / NULLIF(MAX(previous_period.resource_count), 0) AS resource_count_change_pct
FROM current_period
FULL OUTER JOIN previous_period
  ON current_period.region = previous_period.region
GROUP BY
  COALESCE(current_period.region, previous_period.region)
ORDER BY
  region
-- params: {"created_at_before": "2026-06-01T00:00:00+00:00", "created_at_before_2": "2026-05-01T00:00:00+00:00", "created_at_from": "2026-05-01T00:00:00+00:00", "created_at_from_2": "2026-04-01T00:00:00+00:00"}
