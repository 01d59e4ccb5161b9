-- case: filter_date_gt_lte_not_in
-- >, <= and not in on a date dimension: 2026-06-01..2026-06-07 without the weekend.
SELECT
  resource_costs.usage_date AS usage_date,
  SUM(resource_costs.cost_usd) AS cost
FROM inventory.resource_costs AS resource_costs
WHERE
  resource_costs.usage_date > %(usage_date)s
  AND resource_costs.usage_date <= %(usage_date_2)s
  AND (
    resource_costs.usage_date IS NULL
    OR NOT resource_costs.usage_date = ANY(
      %(usage_date_3)s
    )
  )
GROUP BY
  resource_costs.usage_date
ORDER BY
  usage_date
-- params: {"usage_date": "2026-05-31", "usage_date_2": "2026-06-07", "usage_date_3": ["2026-06-06", "2026-06-07"]}
