-- case: region_group_europe_last_month
-- The region group "europe" expands to eu-west-1 and eu-central-1 on the cost table's region.
SELECT
  resource_costs.region AS region,
  SUM(resource_costs.cost_usd) AS cost
FROM inventory.resource_costs AS resource_costs
WHERE
  resource_costs.region = ANY(
    %(region)s
  )
  AND resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
GROUP BY
  resource_costs.region
ORDER BY
  region
-- params: {"region": ["eu-west-1", "eu-central-1"], "usage_date_end": "2026-05-31", "usage_date_start": "2026-05-01"}
