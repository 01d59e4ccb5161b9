-- case: accounts_that_grew_most
-- which accounts grew the most last month
SELECT
  *
FROM (
  WITH current_period AS (
    SELECT
      accounts.account_name AS account_name,
      SUM(resource_costs.cost_usd) AS cost
    FROM inventory.resource_costs AS resource_costs
    LEFT JOIN inventory.accounts AS accounts
      ON accounts.account_id = resource_costs.account_id
    WHERE
      resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
    GROUP BY
      accounts.account_name
  ), previous_period AS (
    SELECT
      accounts.account_name AS account_name,
      SUM(resource_costs.cost_usd) AS cost
    FROM inventory.resource_costs AS resource_costs
    LEFT JOIN inventory.accounts AS accounts
      ON accounts.account_id = resource_costs.account_id
    WHERE
      resource_costs.usage_date BETWEEN %(usage_date_start_2)s AND %(usage_date_end_2)s
    GROUP BY
      accounts.account_name
  )
  SELECT
    COALESCE(current_period.account_name, previous_period.account_name) AS account_name,
    MAX(current_period.cost) AS cost,
    MAX(previous_period.cost) AS cost_previous,
    MAX(current_period.cost) - MAX(previous_period.cost) AS cost_change,
    100 * CAST(MAX(current_period.cost) - MAX(previous_period.cost) AS DECIMAL) / NULLIF(MAX(previous_period.cost), 0) AS cost_change_pct
  FROM current_period
  FULL OUTER JOIN previous_period
    ON current_period.account_name = previous_period.account_name
  GROUP BY
    COALESCE(current_period.account_name, previous_period.account_name)
  ORDER BY
    cost_change DESC NULLS LAST
  FETCH FIRST %(limit)s ROWS WITH TIES
) AS ranked
ORDER BY
  cost_change DESC NULLS LAST,
  account_name
-- params: {"limit": 3, "usage_date_end": "2026-05-31", "usage_date_end_2": "2026-04-30", "usage_date_start": "2026-05-01", "usage_date_start_2": "2026-04-01"}
