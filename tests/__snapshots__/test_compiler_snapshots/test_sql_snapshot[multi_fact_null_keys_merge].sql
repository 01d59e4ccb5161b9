-- case: multi_fact_null_keys_merge
-- Two facts grouped by a tag: the resources without an owner tag form one NULL group in each fact, and the answer must show a single NULL row carrying both numbers.
WITH resources_agg AS (
  SELECT
    resources.tags ->> %(tag_key_owner)s AS tag_owner,
    COUNT(*) AS resources__resource_count
  FROM inventory.resources AS resources
  GROUP BY
    resources.tags ->> %(tag_key_owner)s
), resource_costs_agg AS (
  SELECT
    resources.tags ->> %(tag_key_owner)s AS tag_owner,
    SUM(resource_costs.cost_usd) AS resource_costs__cost
  FROM inventory.resource_costs AS resource_costs
  LEFT JOIN inventory.resources AS resources
    ON resources.resource_id = resource_costs.resource_id
  WHERE
    resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
  GROUP BY
    resources.tags ->> %(tag_key_owner)s
)
SELECT
  COALESCE(resources_agg.tag_owner, resource_costs_agg.tag_owner) AS tag_owner,
  MAX(resources_agg.resources__resource_count) AS resource_count,
  MAX(resource_costs_agg.resource_costs__cost) AS cost
FROM resources_agg
FULL OUTER JOIN resource_costs_agg
  ON resources_agg.tag_owner = resource_costs_agg.tag_owner
GROUP BY
  COALESCE(resources_agg.tag_owner, resource_costs_agg.tag_owner)
ORDER BY
  tag_owner
-- params: {"tag_key_owner": "owner", "usage_date_end": "2026-05-31", "usage_date_start": "2026-05-01"}
