-- case: segment_running_instances_in_north_america
-- A two-filter segment plus a group synonym filter ("us" = north_america).
SELECT
  resources.instance_type AS instance_type,
  COUNT(*) AS resource_count
FROM inventory.resources AS resources
WHERE
  resources.region = ANY(
    %(region)s
  )
  AND resources.resource_type = %(resource_type)s
  AND resources.state = %(state)s
GROUP BY
  resources.instance_type
ORDER BY
  instance_type
-- params: {"region": ["us-east-1", "us-west-2"], "resource_type": "ec2:instance", "state": "running"}
