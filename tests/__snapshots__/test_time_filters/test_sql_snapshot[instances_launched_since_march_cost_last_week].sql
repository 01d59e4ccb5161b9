-- case: instances_launched_since_march_cost_last_week
-- what did instances launched since March cost last week
SELECT
  SUM(resource_costs.cost_usd) AS cost
FROM inventory.resource_costs AS resource_costs
LEFT JOIN inventory.resources AS resources
  ON resources.resource_id = resource_costs.resource_id
WHERE
  resources.resource_type = %(resource_type)s
  AND CAST(resources.created_at AT TIME ZONE %(timezone)s AS DATE) >= %(created_at)s
  AND resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
-- params: {"created_at": "2026-03-01", "resource_type": "ec2:instance", "timezone": "UTC", "usage_date_end": "2026-06-14", "usage_date_start": "2026-06-08"}
