-- case: filter_number_in_and_ne
-- in and != on a number dimension.
SELECT
  resources.resource_type AS resource_type,
  COUNT(*) AS resource_count
FROM inventory.resources AS resources
WHERE
  resources.storage_gb = ANY(
    %(storage_gb)s
  )
  AND resources.storage_gb IS DISTINCT FROM %(storage_gb_2)s
GROUP BY
  resources.resource_type
ORDER BY
  resource_type
-- params: {"storage_gb": [100, 200, 500], "storage_gb_2": 200}
