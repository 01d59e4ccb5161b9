-- case: share_part_two_facts_ranked_by_share
-- Per account, the unencrypted part of its resources and of its cost (two facts, each with its own part), ranked by the count's share; the ranking is by the percentage, not the amount.
SELECT
  *
FROM (
  WITH resources_agg AS (
    SELECT
      accounts.account_name AS account_name,
      COUNT(*) AS resources__resource_count,
      COUNT(*) FILTER(WHERE
        resources.is_encrypted = %(is_encrypted)s) AS resources__resource_count__part
    FROM inventory.resources AS resources
    LEFT JOIN inventory.accounts AS accounts
      ON accounts.account_id = resources.account_id
    GROUP BY
      accounts.account_name
  ), resource_costs_agg AS (
    SELECT
      accounts.account_name AS account_name,
      SUM(resource_costs.cost_usd) AS resource_costs__cost,
      SUM(resource_costs.cost_usd) FILTER(WHERE
        resources.is_encrypted = %(is_encrypted)s) AS resource_costs__cost__part
    FROM inventory.resource_costs AS resource_costs
    LEFT JOIN inventory.accounts AS accounts
      ON accounts.account_id = resource_costs.account_id
    LEFT JOIN inventory.resources AS resources
      ON resources.resource_id = resource_costs.resource_id
    GROUP BY
      accounts.account_name
  )
  SELECT
    COALESCE(resources_agg.account_name, resource_costs_agg.account_name) AS account_name,
    MAX(resources_agg.resources__resource_count__part) AS resource_count,
    100 * CAST(MAX(resources_agg.resources__resource_count__part) AS DECIMAL) / NULLIF(MAX(resources_agg.resources__resource_count), 0) AS resource_count_share,
    MAX(resource_costs_agg.resource_costs__cost__part) AS cost,
    100 * CAST(MAX(resource_costs_agg.resource_costs__cost__part) AS DECIMAL) / NULLIF(MAX(resource_costs_agg.resource_costs__cost), 0) AS cost_share
  FROM resources_agg
  FULL OUTER JOIN resource_costs_agg
    ON resources_agg.account_name = resource_costs_agg.account_name
  GROUP BY
    COALESCE(resources_agg.account_name, resource_costs_agg.account_name)
  ORDER BY
    resource_count_share DESC NULLS LAST
  FETCH FIRST %(limit)s ROWS WITH TIES
) AS ranked
ORDER BY
  resource_count_share DESC NULLS LAST,
  account_name
-- params: {"is_encrypted": false, "limit": 4}
