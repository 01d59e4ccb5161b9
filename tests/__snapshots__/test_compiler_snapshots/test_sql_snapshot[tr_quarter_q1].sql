-- case: tr_quarter_q1
-- Q1 without year is Q1 2026.
SELECT
  resource_costs.region AS region,
  SUM(resource_costs.cost_usd) AS cost
FROM inventory.resource_costs AS resource_costs
WHERE
  resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
GROUP BY
  resource_costs.region
ORDER BY
  region
-- params: {"usage_date_end": "2026-03-31", "usage_date_start": "2026-01-01"}
