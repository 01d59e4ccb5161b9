-- case: resources_of_at_least_half_a_tb
-- how many resources have at least 0.5 TB of storage
SELECT
  COUNT(*) AS resource_count
FROM inventory.resources AS resources
WHERE
  resources.storage_gb >= %(storage_gb)s
-- params: {"storage_gb": 500.0}
