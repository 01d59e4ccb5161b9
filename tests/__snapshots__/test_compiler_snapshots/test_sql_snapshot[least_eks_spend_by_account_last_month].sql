-- case: least_eks_spend_by_account_last_month
-- A sum ranked from the lowest - an account that spent nothing on EKS shows 0.
SELECT
  *
FROM (
  SELECT
    accounts.account_name AS account_name,
    COALESCE(
      SUM(resource_costs.cost_usd) FILTER(WHERE
        resource_costs.service = %(service)s
        AND resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s),
      0
    ) AS cost
  FROM inventory.resource_costs AS resource_costs
  LEFT JOIN inventory.accounts AS accounts
    ON accounts.account_id = resource_costs.account_id
  GROUP BY
    accounts.account_name
  ORDER BY
    cost ASC NULLS FIRST
  FETCH FIRST %(limit)s ROWS WITH TIES
) AS ranked
ORDER BY
  cost ASC NULLS FIRST,
  account_name
-- params: {"limit": 3, "service": "eks", "usage_date_end": "2026-05-31", "usage_date_start": "2026-05-01"}
