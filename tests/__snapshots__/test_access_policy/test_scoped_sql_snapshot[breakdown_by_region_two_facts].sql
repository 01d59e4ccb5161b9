-- case: breakdown_by_region_two_facts
-- scope: business_unit in [payments]
WITH resources_agg AS (
  SELECT
    resources.region AS region,
    COUNT(*) AS resources__resource_count
  FROM inventory.resources AS resources
  LEFT JOIN inventory.accounts AS accounts
    ON accounts.account_id = resources.account_id
  WHERE
    accounts.business_unit = ANY(
      %(scope_business_unit)s
    )
  GROUP BY
    resources.region
), resource_costs_agg AS (
  SELECT
    resource_costs.region AS region,
    SUM(resource_costs.cost_usd) AS resource_costs__cost
  FROM inventory.resource_costs AS resource_costs
  LEFT JOIN inventory.accounts AS accounts
    ON accounts.account_id = resource_costs.account_id
  WHERE
    accounts.business_unit = ANY(
      %(scope_business_unit)s
    )
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
-- params: {"scope_business_unit": ["payments"]}
