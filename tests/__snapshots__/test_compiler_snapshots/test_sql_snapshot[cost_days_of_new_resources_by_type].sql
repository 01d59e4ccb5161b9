-- case: cost_days_of_new_resources_by_type
-- count_distinct over the cost fact, filtered on the resource's creation time through the to-one join.
SELECT
  resources.resource_type AS resource_type,
  COUNT(DISTINCT resource_costs.usage_date) AS cost_days
FROM inventory.resource_costs AS resource_costs
LEFT JOIN inventory.resources AS resources
  ON resources.resource_id = resource_costs.resource_id
WHERE
  CAST(resources.created_at AT TIME ZONE %(timezone)s AS DATE) >= %(created_at)s
GROUP BY
  resources.resource_type
ORDER BY
  resource_type
-- params: {"created_at": "2026-06-10", "timezone": "UTC"}
