-- case: region_group_ne_multi_fact
-- != with a group synonym (EU) excludes the whole group from both facts.
WITH resources_agg AS (
  SELECT
    resources.region AS region,
    COUNT(*) AS resources__resource_count
  FROM inventory.resources AS resources
  WHERE
    (
      resources.region IS NULL OR NOT resources.region = ANY(
        %(region)s
      )
    )
  GROUP BY
    resources.region
), resource_costs_agg AS (
  SELECT
    resource_costs.region AS region,
    SUM(resource_costs.cost_usd) AS resource_costs__cost
  FROM inventory.resource_costs AS resource_costs
  WHERE
    (
      resource_costs.region IS NULL OR NOT resource_costs.region = ANY(
        %(region)s
      )
    )
    AND resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
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
-- params: {"region": ["eu-west-1", "eu-central-1"], "usage_date_end": "2026-06-17", "usage_date_start": "2026-06-11"}
