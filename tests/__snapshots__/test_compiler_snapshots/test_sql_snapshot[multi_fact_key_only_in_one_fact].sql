-- case: multi_fact_key_only_in_one_fact
-- Resources created on the as-of day have no cost yesterday: they still appear, with a NULL cost (the facts are combined with a full outer join, not an inner one).
WITH resources_agg AS (
  SELECT
    resources.resource_id AS resource_id,
    COUNT(*) AS resources__resource_count
  FROM inventory.resources AS resources
  WHERE
    CAST(resources.created_at AT TIME ZONE %(timezone)s AS DATE) >= %(created_at)s
  GROUP BY
    resources.resource_id
), resource_costs_agg AS (
  SELECT
    resource_costs.resource_id AS resource_id,
    SUM(resource_costs.cost_usd) AS resource_costs__cost
  FROM inventory.resource_costs AS resource_costs
  LEFT JOIN inventory.resources AS resources
    ON resources.resource_id = resource_costs.resource_id
  WHERE
    CAST(resources.created_at AT TIME ZONE %(timezone)s AS DATE) >= %(created_at)s
    AND resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
  GROUP BY
    resource_costs.resource_id
)
SELECT
  COALESCE(resources_agg.resource_id, resource_costs_agg.resource_id) AS resource_id,
  MAX(resources_agg.resources__resource_count) AS resource_count,
  MAX(resource_costs_agg.resource_costs__cost) AS cost
FROM resources_agg
FULL OUTER JOIN resource_costs_agg
  ON resources_agg.resource_id = resource_costs_agg.resource_id
GROUP BY
  COALESCE(resources_agg.resource_id, resource_costs_agg.resource_id)
ORDER BY
  resource_id
-- params: {"created_at": "2026-06-16", "timezone": "UTC", "usage_date_end": "2026-06-16", "usage_date_start": "2026-06-16"}
