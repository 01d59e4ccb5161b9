-- case: storage_in_pb_by_region_as_share
-- storage by region in PB, as a percentage of the total
SELECT
  resources.region AS region,
  (
    CAST(SUM(resources.storage_gb) AS DECIMAL) / %(total_storage_gb_pb_per)s
  ) AS total_storage_gb,
  100 * CAST(SUM(resources.storage_gb) AS DECIMAL) / NULLIF(SUM(SUM(resources.storage_gb)) OVER (), 0) AS total_storage_gb_share
FROM inventory.resources AS resources
GROUP BY
  resources.region
ORDER BY
  region
-- params: {"total_storage_gb_pb_per": 1000000}
