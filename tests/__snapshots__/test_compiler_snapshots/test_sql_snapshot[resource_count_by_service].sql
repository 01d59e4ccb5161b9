-- case: resource_count_by_service
-- count aggregation grouped by a plain column.
SELECT
  resources.service AS service,
  COUNT(*) AS resource_count
FROM inventory.resources AS resources
GROUP BY
  resources.service
ORDER BY
  service
-- params: {}
