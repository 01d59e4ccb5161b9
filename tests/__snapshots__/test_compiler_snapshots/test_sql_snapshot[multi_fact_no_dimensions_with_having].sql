-- case: multi_fact_no_dimensions_with_having
-- Two facts without dimensions give one row; a metric filter then keeps or drops that row.
WITH resources_agg AS (
  SELECT
    COUNT(*) AS resources__resource_count
  FROM inventory.resources AS resources
), resource_costs_agg AS (
  SELECT
    SUM(resource_costs.cost_usd) AS resource_costs__cost
  FROM inventory.resource_costs AS resource_costs
  WHERE
    resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
)
SELECT
  resources_agg.resources__resource_count AS resource_count,
  resource_costs_agg.resource_costs__cost AS cost
FROM resources_agg
CROSS JOIN resource_costs_agg
WHERE
  resource_costs_agg.resource_costs__cost > %(cost)s
-- params: {"cost": 1000, "usage_date_end": "2026-06-17", "usage_date_start": "2026-06-17"}
