-- case: filter_contains_escapes_wildcards
-- LIKE wildcards in a contains value are literal: no resource name has '_' or '%', so nothing matches.
SELECT
  COUNT(*) AS resource_count,
  SUM(resources.storage_gb) AS total_storage_gb
FROM inventory.resources AS resources
LEFT JOIN inventory.accounts AS accounts
  ON accounts.account_id = resources.account_id
WHERE
  resources.name ILIKE %(resource_name)s
  AND accounts.account_name ILIKE %(account_name)s
-- params: {"account_name": "%\\%%", "resource_name": "%\\_%"}
