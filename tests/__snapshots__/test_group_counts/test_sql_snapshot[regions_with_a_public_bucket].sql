-- case: regions_with_a_public_bucket
-- how many regions have any public bucket
SELECT
  COUNT(*) AS region_count
FROM (
  SELECT
    resources.region AS region,
    COUNT(*) AS resource_count
  FROM inventory.resources AS resources
  WHERE
    resources.resource_type = %(resource_type)s
    AND resources.is_public = %(is_public)s
  GROUP BY
    resources.region
) AS counted_groups
-- params: {"is_public": true, "resource_type": "s3:bucket"}
