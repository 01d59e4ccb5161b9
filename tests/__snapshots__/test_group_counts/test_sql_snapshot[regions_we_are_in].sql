-- case: regions_we_are_in
-- how many regions are we in
SELECT
  COUNT(*) AS region_count
FROM (
  SELECT
    resources.region AS region,
    COUNT(*) AS resource_count
  FROM inventory.resources AS resources
  WHERE
    NOT resources.region IS NULL
  GROUP BY
    resources.region
) AS counted_groups
-- params: {}
