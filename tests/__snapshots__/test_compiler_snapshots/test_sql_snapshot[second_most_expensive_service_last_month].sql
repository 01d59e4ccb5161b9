-- case: second_most_expensive_service_last_month
-- A ranked position (offset) - the second row of the ranking, not the first two.
SELECT
  service,
  cost
FROM (
  SELECT
    *,
    RANK() OVER (ORDER BY cost DESC NULLS LAST) AS position_rank,
    COUNT(*) OVER (PARTITION BY cost) AS position_tied
  FROM (
    SELECT
      resource_costs.service AS service,
      SUM(resource_costs.cost_usd) AS cost
    FROM inventory.resource_costs AS resource_costs
    WHERE
      resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
    GROUP BY
      resource_costs.service
  ) AS ranked
) AS positioned
WHERE
  position_rank <= %(position)s AND position_rank + position_tied > %(position)s
ORDER BY
  cost DESC NULLS LAST,
  service
-- params: {"position": 2, "usage_date_end": "2026-05-31", "usage_date_start": "2026-05-01"}
