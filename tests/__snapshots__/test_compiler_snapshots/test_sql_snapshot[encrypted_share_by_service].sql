-- case: encrypted_share_by_service
-- Ratio metric of two measures on the same table, recomputed per group.
SELECT
  resources.service AS service,
  CAST(COUNT(*) FILTER(WHERE
    resources.is_encrypted) AS DECIMAL) / NULLIF(COUNT(*), 0) AS encrypted_share
FROM inventory.resources AS resources
GROUP BY
  resources.service
ORDER BY
  service
-- params: {}
