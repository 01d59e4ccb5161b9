-- case: regions_with_over_10_public_buckets
-- how many regions have more than 10 public buckets
SELECT
  COUNT(*) AS region_count
FROM (
  SELECT
    resources.region AS region,
    COUNT(*) FILTER(WHERE
      resources.is_public) AS public_count
  FROM inventory.resources AS resources
  WHERE
    resources.resource_type = %(resource_type)s
  GROUP BY
    resources.region
  HAVING
    COUNT(*) FILTER(WHERE
      resources.is_public) > %(public_count)s
) AS counted_groups
-- params: {"public_count": 10, "resource_type": "s3:bucket"}
