-- case: filter_is_not_null
-- is not null on a number column.
SELECT
  resources.service AS service,
  AVG(resources.storage_gb) AS avg_storage_gb
FROM inventory.resources AS resources
WHERE
  NOT resources.storage_gb IS NULL
GROUP BY
  resources.service
ORDER BY
  service
-- params: {}
