-- case: tag_team_is_null_last_30_days
-- is null on a tag finds resources without that tag key.
SELECT
  resource_costs.service AS service,
  SUM(resource_costs.cost_usd) AS cost
FROM inventory.resource_costs AS resource_costs
LEFT JOIN inventory.resources AS resources
  ON resources.resource_id = resource_costs.resource_id
WHERE
  resources.tags ->> %(tag_key_team)s IS NULL
  AND resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
GROUP BY
  resource_costs.service
ORDER BY
  service
-- params: {"tag_key_team": "team", "usage_date_end": "2026-06-17", "usage_date_start": "2026-05-19"}
