-- case: filter_number_gt_and_lte
-- > and <= together form a half-open range.
SELECT
  resources.resource_type AS resource_type,
  SUM(resources.storage_gb) AS total_storage_gb
FROM inventory.resources AS resources
WHERE
  resources.storage_gb > %(storage_gb)s
  AND resources.storage_gb <= %(storage_gb_2)s
GROUP BY
  resources.resource_type
ORDER BY
  resource_type
-- params: {"storage_gb": 20, "storage_gb_2": 200.5}
