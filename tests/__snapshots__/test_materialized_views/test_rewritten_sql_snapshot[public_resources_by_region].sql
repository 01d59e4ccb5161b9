-- case: public_resources_by_region
-- answered from: resource_inventory
-- view daily_cost: holds resource_costs; this query reads resources
-- view daily_cost_by_service: holds resource_costs; this query reads resources
-- view monthly_cost: holds resource_costs; this query reads resources
-- view resource_inventory: used
SELECT
  resource_inventory.region AS region,
  COALESCE(SUM(resource_inventory.resource_count), 0) AS resource_count
FROM crq_mv.resource_inventory AS resource_inventory
WHERE
  resource_inventory.is_public = %(is_public)s
  AND (
    resource_inventory.environment IS NULL
    OR NOT resource_inventory.environment = ANY(
      %(environment)s
    )
  )
GROUP BY
  resource_inventory.region
ORDER BY
  region
-- params: {"environment": ["sandbox", "dev"], "is_public": true}
