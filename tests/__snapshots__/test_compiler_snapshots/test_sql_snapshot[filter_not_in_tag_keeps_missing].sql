-- case: filter_not_in_tag_keeps_missing
-- not in on a tag keeps resources that lack the tag, like !=.
SELECT
  resources.tags ->> %(tag_key_team)s AS tag_team,
  COUNT(*) AS resource_count
FROM inventory.resources AS resources
WHERE
  (
    resources.tags ->> %(tag_key_team)s IS NULL
    OR NOT resources.tags ->> %(tag_key_team)s = ANY(
      %(tag_team)s
    )
  )
GROUP BY
  resources.tags ->> %(tag_key_team)s
ORDER BY
  tag_team
-- params: {"tag_key_team": "team", "tag_team": ["core", "web"]}
