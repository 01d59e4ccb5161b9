-- answered from: monthly_cost
SELECT
  monthly_cost.service AS service,
  SUM(monthly_cost.cost) AS cost
FROM crq_mv.monthly_cost AS monthly_cost
WHERE
  monthly_cost.usage_date__month BETWEEN %(usage_date_start)s AND %(usage_date_end)s
  AND monthly_cost.business_unit = ANY(
    %(scope_business_unit)s
  )
GROUP BY
  monthly_cost.service
ORDER BY
  service
-- params: {"scope_business_unit": ["payments"], "usage_date_end": "2026-05-31", "usage_date_start": "2026-05-01"}
