-- case: least_common_instance_type_among_running_ec2
-- Groups with none are not made when a grouped dimension is of some kinds only (applies_to) and no condition names the kind: "among running ec2" says it by its service, and every instance type of every kind (databases' classes) would be a group with 0.
SELECT
  *
FROM (
  SELECT
    resources.instance_type AS instance_type,
    COUNT(*) AS resource_count
  FROM inventory.resources AS resources
  WHERE
    resources.state = %(state)s
    AND resources.service = %(service)s
    AND NOT resources.instance_type IS NULL
  GROUP BY
    resources.instance_type
  ORDER BY
    resource_count ASC NULLS FIRST
  FETCH FIRST %(limit)s ROWS WITH TIES
) AS ranked
ORDER BY
  resource_count ASC NULLS FIRST,
  instance_type
-- params: {"limit": 1, "service": "ec2", "state": "running"}
