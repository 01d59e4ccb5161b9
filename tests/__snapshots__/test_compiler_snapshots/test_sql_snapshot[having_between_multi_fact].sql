-- case: having_between_multi_fact
-- HAVING between on one fact's metric of a two-fact query.
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
HAVING
  MAX(resources_agg.resources__resource_count) BETWEEN %(resource_count_low)s AND %(resource_count_high)s
ORDER BY
  business_unit
-- params: {"resource_count_high": 1000, "resource_count_low": 500}
