-- case: services_over_2000_per_account
-- which 5 accounts had the most services costing over $2,000 last month
SELECT
  *
FROM (
  SELECT
    counted_groups.account_name AS account_name,
    COUNT(*) AS service_count
  FROM (
    SELECT
      accounts.account_name AS account_name,
      resource_costs.service AS service,
      SUM(resource_costs.cost_usd) AS cost
    FROM inventory.resource_costs AS resource_costs
    LEFT JOIN inventory.accounts AS accounts
      ON accounts.account_id = resource_costs.account_id
    WHERE
      resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
    GROUP BY
      accounts.account_name,
      resource_costs.service
    HAVING
      SUM(resource_costs.cost_usd) > %(cost)s
  ) AS counted_groups
  GROUP BY
    counted_groups.account_name
  ORDER BY
    service_count DESC NULLS LAST
  FETCH FIRST %(limit)s ROWS WITH TIES
) AS ranked
ORDER BY
  service_count DESC NULLS LAST,
  account_name
-- params: {"cost": 2000, "limit": 5, "usage_date_end": "2026-05-31", "usage_date_start": "2026-05-01"}
