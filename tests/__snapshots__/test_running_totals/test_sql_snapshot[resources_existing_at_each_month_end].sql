-- case: resources_existing_at_each_month_end
-- how many resources existed at the end of each month, from their creation date
SELECT
  totals.created_at__month AS created_at__month,
  totals.resource_count AS resource_count,
  SUM(totals.resource_count) OVER (ORDER BY totals.created_at__month) AS resource_count_cumulative,
  totals.total_storage_gb AS total_storage_gb,
  SUM(totals.total_storage_gb) OVER (ORDER BY totals.created_at__month) AS total_storage_gb_cumulative
FROM (
  SELECT
    CAST(DATE_TRUNC('month', resources.created_at AT TIME ZONE %(timezone)s) AS DATE) AS created_at__month,
    COUNT(*) AS resource_count,
    SUM(resources.storage_gb) AS total_storage_gb
  FROM inventory.resources AS resources
  GROUP BY
    CAST(DATE_TRUNC('month', resources.created_at AT TIME ZONE %(timezone)s) AS DATE)
) AS totals
ORDER BY
  created_at__month
-- params: {"timezone": "UTC"}
