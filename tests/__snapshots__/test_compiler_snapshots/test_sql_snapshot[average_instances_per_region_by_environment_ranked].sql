-- case: average_instances_per_region_by_environment_ranked
-- Each environment's EC2 instances per region, averaged over the regions it has any in, highest first; ranked by the metric's name, which means its average.
SELECT
  *
FROM (
  SELECT
    counted_groups.environment AS environment,
    AVG(counted_groups.resource_count) AS resource_count_average,
    COUNT(*) AS region_count
  FROM (
    SELECT
      accounts.environment AS environment,
      resources.region AS region,
      COUNT(*) AS resource_count
    FROM inventory.resources AS resources
    LEFT JOIN inventory.accounts AS accounts
      ON accounts.account_id = resources.account_id
    WHERE
      resources.resource_type = %(resource_type)s
    GROUP BY
      accounts.environment,
      resources.region
  ) AS counted_groups
  GROUP BY
    counted_groups.environment
  ORDER BY
    resource_count_average DESC NULLS LAST
  FETCH FIRST %(limit)s ROWS WITH TIES
) AS ranked
ORDER BY
  resource_count_average DESC NULLS LAST,
  environment
-- params: {"limit": 2, "resource_type": "ec2:instance"}
