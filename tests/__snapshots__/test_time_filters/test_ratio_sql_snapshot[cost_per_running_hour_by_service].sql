-- case: cost_per_running_hour_by_service
-- cost per running hour by service
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
    resource_costs.service AS service,
    SUM(resource_costs.cost_usd) AS resource_costs__cost
  FROM inventory.resource_costs AS resource_costs
  WHERE
    resource_costs.usage_date BETWEEN (
      SELECT
        common_span.first_day
      FROM common_span
    ) AND (
      SELECT
        common_span.last_day
      FROM common_span
    )
  GROUP BY
    resource_costs.service
), instance_hours_agg AS (
  SELECT
    instance_hours.service AS service,
    SUM(instance_hours.hours) AS instance_hours__running_hours
  FROM hours_fixture.instance_hours AS instance_hours
  WHERE
    instance_hours.usage_date BETWEEN (
      SELECT
        common_span.first_day
      FROM common_span
    ) AND (
      SELECT
        common_span.last_day
      FROM common_span
    )
  GROUP BY
    instance_hours.service
)
SELECT
  COALESCE(resource_costs_agg.service, instance_hours_agg.service) AS service,
  CAST(MAX(resource_costs_agg.resource_costs__cost) AS DECIMAL) / NULLIF(MAX(instance_hours_agg.instance_hours__running_hours), 0) AS cost_per_running_hour
FROM resource_costs_agg
FULL OUTER JOIN instance_hours_agg
  ON resource_costs_agg.service = instance_hours_agg.service
GROUP BY
  COALESCE(resource_costs_agg.service, instance_hours_agg.service)
ORDER BY
  service
-- params: {}
