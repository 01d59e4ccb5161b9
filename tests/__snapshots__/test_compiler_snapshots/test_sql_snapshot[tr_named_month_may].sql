-- case: tr_named_month_may
-- A month name without year is the latest such month not after as-of (May 2026).
SELECT
  accounts.business_unit AS business_unit,
  SUM(resource_costs.cost_usd) AS cost
FROM inventory.resource_costs AS resource_costs
LEFT JOIN inventory.accounts AS accounts
  ON accounts.account_id = resource_costs.account_id
WHERE
  resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
GROUP BY
  accounts.business_unit
ORDER BY
  business_unit
-- params: {"usage_date_end": "2026-05-31", "usage_date_start": "2026-05-01"}
