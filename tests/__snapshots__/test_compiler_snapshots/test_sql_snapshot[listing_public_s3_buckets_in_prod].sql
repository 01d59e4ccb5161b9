-- case: listing_public_s3_buckets_in_prod
-- A metric-less listing of resource ids and names with filters on the resource and its account.
SELECT
  resources.resource_id AS resource_id,
  resources.name AS resource_name
FROM inventory.resources AS resources
LEFT JOIN inventory.accounts AS accounts
  ON accounts.account_id = resources.account_id
WHERE
  resources.service = %(service)s
  AND resources.is_public = %(is_public)s
  AND accounts.environment = %(environment)s
GROUP BY
  resources.resource_id,
  resources.name
ORDER BY
  resource_id,
  resource_name
-- params: {"environment": "prod", "is_public": true, "service": "s3"}
