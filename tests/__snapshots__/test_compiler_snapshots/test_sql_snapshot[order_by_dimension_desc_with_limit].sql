-- case: order_by_dimension_desc_with_limit
-- Ordering by a dimension; the resources without an instance type sort last.
SELECT
  resources.instance_type AS instance_type,
  COUNT(*) AS resource_count
FROM inventory.resources AS resources
GROUP BY
  resources.instance_type
ORDER BY
  instance_type DESC NULLS LAST
LIMIT %(limit)s
-- params: {"limit": 4}
