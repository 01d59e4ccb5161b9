-- case: multi_fact_top_3_by_cost_with_grain
-- Two facts by created month (both reach resources.created_at), top 3 months by cost.
SELECT
  *
FROM (
  WITH resources_agg AS (
    SELECT
      CAST(DATE_TRUNC('month', resources.created_at AT TIME ZONE %(timezone)s) AS DATE) AS created_at__month,
      COUNT(*) AS resources__resource_count
    FROM inventory.resources AS resources
    GROUP BY
      CAST(DATE_TRUNC('month', resources.created_at AT TIME ZONE %(timezone)s) AS DATE)
  ), resource_costs_agg AS (
    SELECT
      CAST(DATE_TRUNC('month', resources.created_at AT TIME ZONE %(timezone)s) AS DATE) AS created_at__month,
      SUM(resource_costs.cost_usd) AS resource_costs__cost
    FROM inventory.resource_costs AS resource_costs
    LEFT JOIN inventory.resources AS resources
      ON resources.resource_id = resource_costs.resource_id
    GROUP BY
      CAST(DATE_TRUNC('month', resources.created_at AT TIME ZONE %(timezone)s) AS DATE)
  )
  SELECT
    COALESCE(resources_agg.created_at__month, resource_costs_agg.created_at__month) AS created_at__month,
    MAX(resources_agg.resources__resource_count) AS resource_count,
    MAX(resource_costs_agg.resource_costs__cost) AS cost
  FROM resources_agg
  FULL OUTER JOIN resource_costs_agg
    ON resources_agg.created_at__month = resource_costs_agg.created_at__month
  GROUP BY
    COALESCE(resources_agg.created_at__month, resource_costs_agg.created_at__month)
  ORDER BY
    cost DESC NULLS LAST
  FETCH FIRST %(limit)s ROWS WITH TIES
) AS ranked
ORDER BY
  cost DESC NULLS LAST,
  created_at__month
-- params: {"limit": 3, "timezone": "UTC"}
