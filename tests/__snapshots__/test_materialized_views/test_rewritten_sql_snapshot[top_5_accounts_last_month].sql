-- case: top_5_accounts_last_month
-- answered from: monthly_cost
-- view daily_cost: qualifies, but monthly_cost is smaller
-- view daily_cost_by_service: lacks dimension accounts.account_name
-- view monthly_cost: used
-- view resource_inventory: holds resources; this query reads resource_costs
SELECT
  *
FROM (
  SELECT
    monthly_cost.account_name AS account_name,
    SUM(monthly_cost.cost) AS cost
  FROM crq_mv.monthly_cost AS monthly_cost
  WHERE
    monthly_cost.usage_date__month BETWEEN %(usage_date_start)s AND %(usage_date_end)s
  GROUP BY
    monthly_cost.account_name
  ORDER BY
    cost DESC NULLS LAST
  FETCH FIRST %(limit)s ROWS WITH TIES
) AS ranked
ORDER BY
  cost DESC NULLS LAST,
  account_name
-- params: {"limit": 5, "usage_date_end": "2026-05-31", "usage_date_start": "2026-05-01"}
