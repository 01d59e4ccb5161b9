-- case: filter_number_gte_string_value
-- >= with the number given as text, typed by the dimension.
SELECT
  resources.region AS region,
  COUNT(*) AS resource_count
FROM inventory.resources AS resources
WHERE
  resources.storage_gb >= %(storage_gb)s
GROUP BY
  resources.region
ORDER BY
  region
-- params: {"storage_gb": 1000}
