-- case: cost_per_resource_by_business_unit
-- answered from: monthly_cost, resource_inventory
-- view daily_cost: qualifies, but monthly_cost is smaller
-- view daily_cost_by_service: lacks dimension accounts.business_unit
-- view monthly_cost: used
-- view resource_inventory: used
WITH resource_costs_agg AS (
  SELECT
    monthly_cost.business_unit AS business_unit,
    SUM(monthly_cost.cost) AS resource_costs__cost
  FROM crq_mv.monthly_cost AS monthly_cost
  WHERE
    monthly_cost.usage_date__month BETWEEN %(usage_date_start)s AND %(usage_date_end)s
  GROUP BY
    monthly_cost.business_unit
), resources_agg AS (
  SELECT
    resource_inventory.business_unit AS business_unit,
    COALESCE(SUM(resource_inventory.resource_count), 0) AS resources__resource_count
  FROM crq_mv.resource_inventory AS resource_inventory
  GROUP BY
    resource_inventory.business_unit
)
SELECT
  COALESCE(resource_costs_agg.business_unit, resources_agg.business_unit) AS business_unit,
  CAST(MAX(resource_costs_agg.resource_costs__cost) AS DECIMAL) / NULLIF(MAX(resources_agg.resources__resource_count), 0) AS cost_per_resource
FROM resource_costs_agg
FULL OUTER JOIN resources_agg
  ON resource_costs_agg.business_unit = resources_agg.business_unit
GROUP BY
  COALESCE(resource_costs_agg.business_unit, resources_agg.business_unit)
ORDER BY
  business_unit
-- params: {"usage_date_end": "2026-05-31", "usage_date_start": "2026-05-01"}
