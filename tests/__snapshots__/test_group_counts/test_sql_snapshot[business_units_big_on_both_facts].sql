-- case: business_units_big_on_both_facts
-- how many business units have over 700 resources and over $450,000 of cost
SELECT
  COUNT(*) AS business_unit_count
FROM (
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
    MAX(resources_agg.resources__resource_count) > %(resource_count)s
    AND MAX(resource_costs_agg.resource_costs__cost) > %(cost)s
) AS counted_groups
-- params: {"cost": 450000, "resource_count": 700}
