-- case: cost_in_europe_not_ec2
-- answered from: monthly_cost
-- view daily_cost: lacks dimension resources.resource_type
-- view daily_cost_by_service: lacks dimension resources.resource_type
-- view monthly_cost: used
-- view resource_inventory: holds resources; this query reads resource_costs
SELECT
  monthly_cost.resources__resource_type AS resource_type,
  SUM(monthly_cost.cost) AS cost
FROM crq_mv.monthly_cost AS monthly_cost
WHERE
  monthly_cost.region = ANY(
    %(region)s
  )
  AND monthly_cost.service IS DISTINCT FROM %(service)s
GROUP BY
  monthly_cost.resources__resource_type
ORDER BY
  resource_type
-- params: {"region": ["eu-west-1", "eu-central-1"], "service": "ec2"}
