-- case: cost_and_cost_per_running_hour_in_total
-- cost and cost per running hour
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
), instance_hours_agg AS (
  SELECT
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
)
SELECT
  resource_costs_agg.resource_costs__cost AS cost,
  CAST(resource_costs_agg.resource_costs__cost AS DECIMAL) / NULLIF(instance_hours_agg.instance_hours__running_hours, 0) AS cost_per_running_hour
FROM resource_costs_agg
CROSS JOIN instance_hours_agg
-- params: {}
