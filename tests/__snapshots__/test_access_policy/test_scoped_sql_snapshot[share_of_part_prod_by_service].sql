-- case: share_of_part_prod_by_service
-- scope: business_unit in [payments]
SELECT
  resources.service AS service,
  COUNT(*) FILTER(WHERE
    accounts.environment = %(environment)s) AS resource_count,
  100 * CAST(COUNT(*) FILTER(WHERE
    accounts.environment = %(environment)s) AS DECIMAL) / NULLIF(COUNT(*), 0) AS resource_count_share
FROM inventory.resources AS resources
LEFT JOIN inventory.accounts AS accounts
  ON accounts.account_id = resources.account_id
WHERE
  accounts.business_unit = ANY(
    %(scope_business_unit)s
  )
GROUP BY
  resources.service
ORDER BY
  service
-- params: {"environment": "prod", "scope_business_unit": ["payments"]}
