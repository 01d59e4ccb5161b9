-- case: average_cost_per_team_tag_held_to_a_total
-- Teams named by a tag, each team's cost this quarter held to over $1,000 (HAVING on the groups), then averaged; resources without the tag are no team.
SELECT
  AVG(counted_groups.cost) AS cost_average,
  COUNT(*) AS tag_team_count
FROM (
  SELECT
    resources.tags ->> %(tag_key_team)s AS tag_team,
    SUM(resource_costs.cost_usd) AS cost
  FROM inventory.resource_costs AS resource_costs
  LEFT JOIN inventory.resources AS resources
    ON resources.resource_id = resource_costs.resource_id
  WHERE
    NOT resources.tags ->> %(tag_key_team)s IS NULL
    AND resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
  GROUP BY
    resources.tags ->> %(tag_key_team)s
  HAVING
    SUM(resource_costs.cost_usd) > %(cost)s
) AS counted_groups
HAVING
  COUNT(*) > 0
-- params: {"cost": 1000, "tag_key_team": "team", "usage_date_end": "2026-06-17", "usage_date_start": "2026-04-01"}
