-- case: filter_number_between
-- between is inclusive at both ends.
SELECT
  resources.resource_type AS resource_type,
  COUNT(*) AS resource_count
FROM inventory.resources AS resources
WHERE
  resources.storage_gb BETWEEN %(storage_gb_low)s AND %(storage_gb_high)s
GROUP BY
  resources.resource_type
ORDER BY
  resource_type
-- params: {"storage_gb_high": 500, "storage_gb_low": 100}
