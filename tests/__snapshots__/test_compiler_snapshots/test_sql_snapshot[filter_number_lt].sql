-- case: filter_number_lt
-- < on a number dimension; NULL storage never matches.
SELECT
  resources.resource_type AS resource_type,
  COUNT(*) AS resource_count
FROM inventory.resources AS resources
WHERE
  resources.storage_gb < %(storage_gb)s
GROUP BY
  resources.resource_type
ORDER BY
  resource_type
-- params: {"storage_gb": 50}
