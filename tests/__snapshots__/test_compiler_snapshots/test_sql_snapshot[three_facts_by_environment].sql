-- case: three_facts_by_environment
-- Accounts, resources and costs each aggregated once and combined on the environment.
WITH accounts_agg AS (
  SELECT
    accounts.environment AS environment,
    COUNT(*) AS accounts__account_count
  FROM inventory.accounts AS accounts
  GROUP BY
    accounts.environment
), resources_agg AS (
  SELECT
    accounts.environment AS environment,
    COUNT(*) AS resources__resource_count
  FROM inventory.resources AS resources
  LEFT JOIN inventory.accounts AS accounts
    ON accounts.account_id = resources.account_id
  GROUP BY
    accounts.environment
), resource_costs_agg AS (
  SELECT
    accounts.environment AS environment,
    SUM(resource_costs.cost_usd) AS resource_costs__cost,
    COUNT(DISTINCT resource_costs.usage_date) AS resource_costs__cost_days
  FROM inventory.resource_costs AS resource_costs
  LEFT JOIN inventory.accounts AS accounts
    ON accounts.account_id = resource_costs.account_id
  WHERE
    resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
  GROUP BY
    accounts.environment
)
SELECT
  COALESCE(accounts_agg.environment, resources_agg.environment, resource_costs_agg.environment) AS environment,
  MAX(accounts_agg.accounts__account_count) AS account_count,
  MAX(resources_agg.resources__resource_count) AS resource_count,
  CAST(MAX(resource_costs_agg.resource_costs__cost) AS DECIMAL) / NULLIF(CAST(MAX(resource_costs_agg.resource_costs__cost_days) AS DECIMAL), 0) AS avg_daily_cost
FROM accounts_agg
FULL OUTER JOIN resources_agg
  ON accounts_agg.environment = resources_agg.environment
FULL OUTER JOIN resource_costs_agg
  ON COALESCE(accounts_agg.environment, resources_agg.environment) = resource_costs_agg.environment
GROUP BY
  COALESCE(accounts_agg.environment, resources_agg.environment, resource_costs_agg.environment)
ORDER BY
  environment
-- params: {"usage_date_end": "2026-06-17", "usage_date_start": "2026-05-19"}
