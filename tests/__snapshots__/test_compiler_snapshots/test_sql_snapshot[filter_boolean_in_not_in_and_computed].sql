-- case: filter_boolean_in_not_in_and_computed
-- in and not in on booleans (with the word "no"), and = false on the computed is_untagged.
SELECT
  resources.service AS service,
  COUNT(*) AS resource_count
FROM inventory.resources AS resources
WHERE
  resources.is_public = ANY(
    %(is_public)s
  )
  AND (
    resources.is_encrypted IS NULL
    OR NOT resources.is_encrypted = ANY(
      %(is_encrypted)s
    )
  )
  AND (
    resources.tags = CAST('{}' AS JSONB)
  ) = %(is_untagged)s
GROUP BY
  resources.service
ORDER BY
  service
-- params: {"is_encrypted": [false], "is_public": [false], "is_untagged": false}
