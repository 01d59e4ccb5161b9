-- case: region_group_not_in_synonym
-- not in with a group synonym (asia pacific) and a plain value.
SELECT
  resources.region AS region,
  COUNT(*) AS resource_count
FROM inventory.resources AS resources
WHERE
  (
    resources.region IS NULL OR NOT resources.region = ANY(
      %(region)s
    )
  )
GROUP BY
  resources.region
ORDER BY
  region
-- params: {"region": ["ap-southeast-1", "ap-northeast-1", "us-west-2"]}
