-- case: cost_per_new_resource_two_facts
-- cost per resource of resources created last month, by region, vs the month before
WITH current_period AS (
  WITH resource_costs_agg AS (
    SELECT
      resource_costs.region AS region,
      SUM(resource_costs.cost_usd) AS resource_costs__cost
    FROM inventory.resource_costs AS resource_costs
    LEFT JOIN inventory.resources AS resources
      ON resources.resource_id = resource_costs.resource_id
    WHERE
      resources.created_at >= %(created_at_from)s
      AND resources.created_at < %(created_at_before)s
    GROUP BY
      resource_costs.region
  ), resources_agg AS (
    SELECT
      resources.region AS region,
      COUNT(*) AS resources__resource_count
    FROM inventory.resources AS resources
    WHERE
      resources.created_at >= %(created_at_from)s
      AND resources.created_at < %(created_at_before)s
    GROUP BY
      resources.region
  )
  SELECT
    COALESCE(resource_costs_agg.region, resources_agg.region) AS region,
    CAST(MAX(resource_costs_agg.resource_costs__cost) AS DECIMAL) / NULLIF(MAX(resources_agg.resources__resource_count), 0) AS cost_per_resource
  FROM resource_costs_agg
  FULL OUTER JOIN resources_agg
    ON resource_costs_agg.region = resources_agg.region
  GROUP BY
    COALESCE(resource_costs_agg.region, resources_agg.region)
), previous_period AS (
  WITH resource_costs_agg AS (
    SELECT
      resource_costs.region AS region,
      SUM(resource_costs.cost_usd) AS resource_costs__cost
    FROM inventory.resource_costs AS resource_costs
    LEFT JOIN inventory.resources AS resources
      ON resources.resource_id = resource_costs.resource_id
    WHERE
      resources.created_at >= %(created_at_from_2)s
      AND resources.created_at < %(created_at_before_2)s
    GROUP BY
      resource_costs.region
  ), resources_agg AS (
    SELECT
      resources.region AS region,
      COUNT(*) AS resources__resource_count
    FROM inventory.resources AS resources
    WHERE
      resources.created_at >= %(created_at_from_2)s
      AND resources.created_at < %(created_at_before_2)s
    GROUP BY
      resources.region
  )
  SELECT
    COALESCE(resource_costs_agg.region, resources_agg.region) AS region,
    CAST(MAX(resource_costs_agg.resource_costs__cost) AS DECIMAL) / NULLIF(MAX(resources_agg.resources__resource_count), 0) AS cost_per_resource
  FROM resource_costs_agg
  FULL OUTER JOIN resources_agg
    ON resource_costs_agg.region = resources_agg.region
  GROUP BY
    COALESCE(resource_costs_agg.region, resources_agg.region)
)
SELECT
  COALESCE(current_period.region, previous_period.region) AS region,
  MAX(current_period.cost_per_resource) AS cost_per_resource,
  MAX(previous_period.cost_per_resource) AS cost_per_resource_previous,
  MAX(current_period.cost_per_resource) - MAX(previous_period.cost_per_resource) AS cost_per_resource_change,
  100 * CAST(MAX(current_period.cost_per_resource) - MAX(previous_period.cost_per_resource) AS DECIMAL) / NULLIF(MAX(previous_period.cost_per_resource), 0) AS cost_per_resource_change_pct
FROM current_period
FULL OUTER JOIN previous_period
  ON current_period.region = previous_period.region
GROUP BY
  COALESCE(current_period.region, previous_period.region)
ORDER BY
  region
-- params: {"created_at_before": "2026-06-01T00:00:00+00:00", "created_at_before_2": "2026-05-01T00:00:00+00:00", "created_at_from": "2026-05-01T00:00:00+00:00", "created_at_from_2": "2026-04-01T00:00:00+00:00"}
