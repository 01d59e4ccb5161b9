-- case: cost_per_running_hour_last_90_days_by_region
-- cost per running hour by region over the last 90 days
WITH common_span AS (
  SELECT
    GREATEST(span_0.first_day, span_1.first_day) AS first_day,
    LEAST(span_0.last_day, span_1.last_day) AS last_day
  FROM (
    SELECT
      MIN(resource_costs.usage_date) AS first_day,
      MAX(resource_costs.usage_date) AS last_day
    FROM inventory.resource_costs AS resource_costs
  ) AS span_0
  CROSS JOIN (
    SELECT
      MIN(instance_hours.usage_date) AS first_day,
      MAX(instance_hours.usage_date) AS last_day
    FROM hours_fixture.instance_hours AS instance_hours
  ) AS span_1
), resource_costs_agg AS (
  SELECT
    resource_costs.region AS region,
    SUM(resource_costs.cost_usd) AS resource_costs__cost
  FROM inventory.resource_costs AS resource_costs
  WHERE
    resource_costs.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
    AND resource_costs.usage_date BETWEEN (
      SELECT
        common_span.first_day
      FROM common_span
    ) AND (
      SELECT
        common_span.last_day
      FROM common_span
    )
  GROUP BY
    resource_costs.region
), instance_hours_agg AS (
  SELECT
    instance_hours.region AS region,
    SUM(instance_hours.hours) AS instance_hours__running_hours
  FROM hours_fixture.instance_hours AS instance_hours
  WHERE
    instance_hours.usage_date BETWEEN %(usage_date_start)s AND %(usage_date_end)s
    AND instance_hours.usage_date BETWEEN (
      SELECT
        common_span.first_day
      FROM common_span
    ) AND (
      SELECT
        common_span.last_day
      FROM common_span
    )
  GROUP BY
    instance_hours.region
)
SELECT
  COALESCE(resource_costs_agg.region, instance_hours_agg.region) AS region,
  CAST(MAX(resource_costs_agg.resource_costs__cost) AS DECIMAL) / NULLIF(MAX(instance_hours_agg.instance_hours__running_hours), 0) AS cost_per_running_hour
FROM resource_costs_agg
FULL OUTER JOIN instance_hours_agg
  ON resource_costs_agg.region = instance_hours_agg.region
GROUP BY
  COALESCE(resource_costs_agg.region, instance_hours_agg.region)
ORDER BY
  region
-- params: {"usage_date_end": "2026-06-17", "usage_date_start": "2026-03-20"}
