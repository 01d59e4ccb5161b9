-- case: third_oldest_running_instances_listing
-- A ranked position in a listing ordered by a timestamp shown as its date - ranked by the time itself (rows created the same day are no tie), with every row of that exact time.
SELECT
  resource_id,
  created_at
FROM (
  SELECT
    *,
    RANK() OVER (ORDER BY created_at__time ASC NULLS FIRST) AS position_rank,
    COUNT(*) OVER (PARTITION BY created_at__time) AS position_tied
  FROM (
    SELECT
      resources.resource_id AS resource_id,
      CAST(resources.created_at AT TIME ZONE %(timezone)s AS DATE) AS created_at,
      MIN(resources.created_at) AS created_at__time
    FROM inventory.resources AS resources
    WHERE
      resources.resource_type = %(resource_type)s AND resources.state = %(state)s
    GROUP BY
      resources.resource_id,
      CAST(resources.created_at AT TIME ZONE %(timezone)s AS DATE)
  ) AS ranked
) AS positioned
WHERE
  position_rank <= %(position)s AND position_rank + position_tied > %(position)s
ORDER BY
  created_at__time ASC NULLS FIRST,
  resource_id
-- params: {"position": 3, "resource_type": "ec2:instance", "state": "running", "timezone": "UTC"}
