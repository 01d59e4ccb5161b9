-- case: filter_number_eq
-- = on a number dimension given as a float.
SELECT
  resources.service AS service,
  COUNT(*) AS resource_count,
  SUM(resources.storage_gb) AS total_storage_gb
FROM inventory.resources AS resources
WHERE
  resources.storage_gb = %(storage_gb)s
GROUP BY
  resources.service
ORDER BY
  service
-- params: {"storage_gb": 1000.0}
