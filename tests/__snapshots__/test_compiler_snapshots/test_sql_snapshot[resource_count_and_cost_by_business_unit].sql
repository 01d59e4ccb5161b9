-- case: resource_count_and_cost_by_business_unit
-- Two facts in one answer; joining costs to resources first would multiply the count by the days.
WITH resources_agg AS (
  SELECT
    accounts.business_unit AS business_unit,
    COUNT(*) AS resources__resource_count
  FROM inventory.resources AS resources
  LEFT JOIN inventory.accounts AS accounts
    ON accounts.account_id = resources.account_id
  GROUP BY
    accounts.business_unit
), resource_costs_agg AS (
  SELECT
    accounts.business_unit AS business_unit,
    SUM(resource_costs.cost_usd) AS resource_costs__cost
  FROM inventory.resource_costs AS resource_costs
  LEFT JOIN inventory.accounts AS accounts
    ON accounts.account_id = resource_costs.account_id
  GROUP BY
    accounts.business_unit
)
SELECT
  COALESCE(resources_agg.business_unit, resource_costs_agg.business_unit) AS business_unit,
  MAX(resources_agg.resources__resource_count) AS resource_count,
  MAX(resource_costs_agg.resource_costs__cost) AS cost
FROM resources_agg
FULL OUTER JOIN resource_costs_agg
  ON resources_agg.business_unit = resource_costs_agg.business_unit
GROUP BY
  COALESCE(resources_agg.business_unit, resource_costs_agg.business_unit)
ORDER BY
  business_unit
-- params: {}
