-- case: filter_in_with_synonym
-- in with a value synonym ("relational database service" -> rds).
SELECT
  resources.service AS service,
  SUM(resources.storage_gb) AS total_storage_gb
FROM inventory.resources AS resources
WHERE
  resources.service = ANY(
    %(service)s
  )
GROUP BY
  resources.service
ORDER BY
  service
-- params: {"service": ["ebs", "s3", "rds"]}
