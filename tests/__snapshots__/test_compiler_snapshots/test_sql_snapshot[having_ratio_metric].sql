-- case: having_ratio_metric
-- HAVING on a ratio metric compares the recomputed share.
SELECT
  resources.service AS service,
  CAST(COUNT(*) FILTER(WHERE
    resources.is_encrypted) AS DECIMAL) / NULLIF(COUNT(*), 0) AS encrypted_share
FROM inventory.resources AS resources
GROUP BY
  resources.service
HAVING
  CAST(COUNT(*) FILTER(WHERE
    resources.is_encrypted) AS DECIMAL) / NULLIF(COUNT(*), 0) < %(encrypted_share)s
ORDER BY
  service
-- params: {"encrypted_share": 0.87}
