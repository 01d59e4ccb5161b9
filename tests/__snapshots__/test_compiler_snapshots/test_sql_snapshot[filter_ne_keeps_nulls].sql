-- case: filter_ne_keeps_nulls
-- != means 'everything except': resources without an instance type stay in.
SELECT
  resources.service AS service,
  COUNT(*) AS resource_count
FROM inventory.resources AS resources
WHERE
  resources.instance_type IS DISTINCT FROM %(instance_type)s
GROUP BY
  resources.service
ORDER BY
  service
-- params: {"instance_type": "t3.micro"}
