-- case: teams
-- how many teams
SELECT
  COUNT(*) AS tag_team_count
FROM (
  SELECT
    resources.tags ->> %(tag_key_team)s AS tag_team,
    COUNT(*) AS resource_count
  FROM inventory.resources AS resources
  WHERE
    NOT resources.tags ->> %(tag_key_team)s IS NULL
  GROUP BY
    resources.tags ->> %(tag_key_team)s
) AS counted_groups
-- params: {"tag_key_team": "team"}
