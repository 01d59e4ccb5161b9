-- case: public_share_by_region_in_production
-- Ratio metric with a value synonym ("production" means prod) filtered through accounts.
SELECT
  resources.region AS region,
  CAST(COUNT(*) FILTER(WHERE
    resources.is_public) AS DECIMAL) / NULLIF(COUNT(*), 0) AS public_share
FROM inventory.resources AS resources
LEFT JOIN inventory.accounts AS accounts
  ON accounts.account_id = resources.account_id
WHERE
  accounts.environment = %(environment)s
GROUP BY
  resources.region
ORDER BY
  region
-- params: {"environment": "prod"}
