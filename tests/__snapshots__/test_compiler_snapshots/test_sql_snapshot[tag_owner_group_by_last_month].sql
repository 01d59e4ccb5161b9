-- case: tag_owner_group_by_last_month
-- Group cost by a tag reached through resources; the missing tag is its own (NULL) group.
SELECT
  resources.tags ->> %(tag_key_owner)s AS tag_owner,
  SUM(resource_costs.cost_usd) AS cost
FROM inventory.resource_costs AS resource_costs
LEFT JOIN inventory.resources AS resources
  ON resources.resource_id = resource_costs.resource_id
WHERE
  resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
GROUP BY
  resources.tags ->> %(tag_key_owner)s
ORDER BY
  tag_owner
-- params: {"tag_key_owner": "owner", "usage_date_end": "2026-05-31", "usage_date_start": "2026-05-01"}
