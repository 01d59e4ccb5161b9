-- case: storage_in_tb_by_resource_type
-- storage by resource type in TB
SELECT
  resources.resource_type AS resource_type,
  (
    CAST(SUM(resources.storage_gb) AS DECIMAL) / %(total_storage_gb_tb_per)s
  ) AS total_storage_gb
FROM inventory.resources AS resources
GROUP BY
  resources.resource_type
ORDER BY
  resource_type
-- params: {"total_storage_gb_tb_per": 1000}
