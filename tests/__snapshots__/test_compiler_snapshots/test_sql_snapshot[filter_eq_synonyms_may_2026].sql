-- case: filter_eq_synonyms_may_2026
-- = on strings with value synonyms on two tables (production -> prod, compute -> ec2) and a named month with year.
SELECT
  accounts.account_name AS account_name,
  SUM(resource_costs.cost_usd) AS cost
FROM inventory.resource_costs AS resource_costs
LEFT JOIN inventory.accounts AS accounts
  ON accounts.account_id = resource_costs.account_id
WHERE
  accounts.environment = %(environment)s
  AND resource_costs.service = %(service)s
  AND resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
GROUP BY
  accounts.account_name
ORDER BY
  account_name
-- params: {"environment": "prod", "service": "ec2", "usage_date_end": "2026-05-31", "usage_date_start": "2026-05-01"}
