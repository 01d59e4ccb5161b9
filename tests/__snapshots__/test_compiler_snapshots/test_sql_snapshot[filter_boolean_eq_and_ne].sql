-- case: filter_boolean_eq_and_ne
-- Booleans accept true/yes; != on a boolean means the other value.
SELECT
  resources.service AS service,
  COUNT(*) AS resource_count
FROM inventory.resources AS resources
WHERE
  resources.is_public = %(is_public)s
  AND resources.is_encrypted IS DISTINCT FROM %(is_encrypted)s
GROUP BY
  resources.service
ORDER BY
  service
-- params: {"is_encrypted": true, "is_public": true}
