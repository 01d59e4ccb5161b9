-- case: third_oldest_running_instances_listing
-- A ranked position in a listing ordered by a date column.
SELECT
  resources.resource_id AS resource_id,
  CAST(resources.created_at AT TIME ZONE %(timezone)s AS DATE) AS created_at
FROM inventory.resources AS resources
WHERE
  resources.resource_type = %(resource_type)s AND resources.state = %(state)s
GROUP BY
  resources.resource_id,
  CAST(resources.created_at AT TIME ZONE %(timezone)s AS DATE)
ORDER BY
  created_at ASC NULLS FIRST,
  resource_id
LIMIT %(limit)s
OFFSET %(offset)s
-- params: {"limit": 1, "offset": 2, "resource_type": "ec2:instance", "state": "running", "timezone": "UTC"}
