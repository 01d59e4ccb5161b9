-- case: storage_sum_and_avg_by_resource_type
-- sum and avg of a nullable column; types without storage give NULL, not zero.
SELECT
  resources.resource_type AS resource_type,
  SUM(resources.storage_gb) AS total_storage_gb,
  AVG(resources.storage_gb) AS avg_storage_gb
FROM inventory.resources AS resources
GROUP BY
  resources.resource_type
ORDER BY
  resource_type
-- params: {}
