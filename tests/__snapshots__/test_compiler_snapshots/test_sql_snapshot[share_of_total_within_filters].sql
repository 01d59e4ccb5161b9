-- case: share_of_total_within_filters
-- Running EC2 instances per region as a percentage of all running instances: the total is the filtered one, not every resource's.
SELECT
  resources.region AS region,
  COUNT(*) AS resource_count,
  100 * CAST(COUNT(*) AS DECIMAL) / NULLIF(SUM(COUNT(*)) OVER (), 0) AS resource_count_share
FROM inventory.resources AS resources
WHERE
  resources.resource_type = %(resource_type)s AND resources.state = %(state)s
GROUP BY
  resources.region
ORDER BY
  region
-- params: {"resource_type": "ec2:instance", "state": "running"}
