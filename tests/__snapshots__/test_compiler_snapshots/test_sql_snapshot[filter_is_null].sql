-- case: filter_is_null
-- is null on a nullable string column.
SELECT
  resources.service AS service,
  COUNT(*) AS resource_count
FROM inventory.resources AS resources
WHERE
  resources.instance_type IS NULL
GROUP BY
  resources.service
ORDER BY
  service
-- params: {}
