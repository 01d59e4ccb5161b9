-- case: resource_count_and_cost_by_region_last_7_days
-- "region" means each fact's nearest region: resources.region for the count, resource_costs.region for the cost; the time range only restricts the cost.
WITH resources_agg AS (
  SELECT
    resources.region AS region,
    COUNT(*) AS resources__resource_count
  FROM inventory.resources AS resources
  GROUP BY
    resources.region
), resource_costs_agg AS (
  SELECT
    resource_costs.region AS region,
    SUM(resource_costs.cost_usd) AS resource_costs__cost
  FROM inventory.resource_costs AS resource_costs
  WHERE
    resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
  GROUP BY
    resource_costs.region
)
SELECT
  COALESCE(resources_agg.region, resource_costs_agg.region) AS region,
  MAX(resources_agg.resources__resource_count) AS resource_count,
  MAX(resource_costs_agg.resource_costs__cost) AS cost
FROM resources_agg
FULL OUTER JOIN resource_costs_agg
  ON resources_agg.region = resource_costs_agg.region
GROUP BY
  COALESCE(resources_agg.region, resource_costs_agg.region)
ORDER BY
  region
-- params: {"usage_date_end": "2026-06-17", "usage_date_start": "2026-06-11"}
