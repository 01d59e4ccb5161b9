-- case: volumes_documented_shape
-- what do in-use vs available volumes cost
SELECT
  resources.state AS state,
  SUM(resource_costs.cost_usd) AS cost
FROM inventory.resource_costs AS resource_costs
LEFT JOIN inventory.resources AS resources
  ON resources.resource_id = resource_costs.resource_id
WHERE
  resources.resource_type = %(resource_type)s
  AND resources.state = ANY(
    %(state)s
  )
GROUP BY
  resources.state
ORDER BY
  state
-- params: {"resource_type": "ebs:volume", "state": ["in-use", "available"]}
