-- case: running_vs_stopped_instances_by_region
-- how many running vs stopped instances are there per region
SELECT
  resources.state AS state,
  resources.region AS region,
  COUNT(*) AS resource_count
FROM inventory.resources AS resources
WHERE
  resources.state = ANY(
    %(state)s
  )
  AND resources.resource_type = %(resource_type)s
GROUP BY
  resources.state,
  resources.region
ORDER BY
  state,
  region
-- params: {"resource_type": "ec2:instance", "state": ["stopped", "running"]}
