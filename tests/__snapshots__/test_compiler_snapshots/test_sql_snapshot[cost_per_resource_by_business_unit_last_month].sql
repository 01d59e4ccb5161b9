-- case: cost_per_resource_by_business_unit_last_month
-- Ratio across two fact tables: last month's cost over today's resource count (resources have no default time dimension, so the range applies to cost only), each aggregated on its own.
WITH resource_costs_agg AS (
  SELECT
    accounts.business_unit AS business_unit,
    SUM(resource_costs.cost_usd) AS resource_costs__cost
  FROM inventory.resource_costs AS resource_costs
  LEFT JOIN inventory.accounts AS accounts
    ON accounts.account_id = resource_costs.account_id
  WHERE
    resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
  GROUP BY
    accounts.business_unit
), resources_agg AS (
  SELECT
    accounts.business_unit AS business_unit,
    COUNT(*) AS resources__resource_count
  FROM inventory.resources AS resources
  LEFT JOIN inventory.accounts AS accounts
    ON accounts.account_id = resources.account_id
  GROUP BY
    accounts.business_unit
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
