-- case: share_of_total_by_service
-- scope: business_unit in [payments]
SELECT
  resource_costs.service AS service,
  SUM(resource_costs.cost_usd) AS cost,
  100 * CAST(SUM(resource_costs.cost_usd) AS DECIMAL) / NULLIF(SUM(SUM(resource_costs.cost_usd)) OVER (), 0) AS cost_share
FROM inventory.resource_costs AS resource_costs
LEFT JOIN inventory.accounts AS accounts
  ON accounts.account_id = resource_costs.account_id
WHERE
  resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
  AND accounts.business_unit = ANY(
    %(scope_business_unit)s
  )
GROUP BY
  resource_costs.service
ORDER BY
  service
-- params: {"scope_business_unit": ["payments"], "usage_date_end": "2026-05-31", "usage_date_start": "2026-05-01"}
