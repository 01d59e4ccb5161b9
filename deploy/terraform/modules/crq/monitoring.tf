locals {
  api_dimensions = {
    ApiId = aws_apigatewayv2_api.http.id
    Stage = aws_apigatewayv2_stage.default.name
  }
  functions = {
    chat = aws_lambda_function.chat.function_name
    jobs = aws_lambda_function.jobs.function_name
  }
}

resource "aws_cloudwatch_metric_alarm" "api_5xx_rate" {
  alarm_name          = "${var.name}-api-5xx-rate"
  alarm_description   = "More than ${var.api_5xx_rate_percent}% of API requests answered 5xx for 3 of 5 minutes"
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.api_5xx_rate_percent
  evaluation_periods  = 5
  datapoints_to_alarm = 3
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags

  metric_query {
    id          = "rate"
    expression  = "IF(requests > 0, 100 * errors / requests, 0)"
    label       = "5xx %"
    return_data = true
  }

  metric_query {
    id = "errors"
    metric {
      namespace   = "AWS/ApiGateway"
      metric_name = "5xx"
      dimensions  = local.api_dimensions
      period      = 60
      stat        = "Sum"
    }
  }

  metric_query {
    id = "requests"
    metric {
      namespace   = "AWS/ApiGateway"
      metric_name = "Count"
      dimensions  = local.api_dimensions
      period      = 60
      stat        = "Sum"
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "api_p95_latency" {
  alarm_name          = "${var.name}-api-p95-latency"
  alarm_description   = "API p95 latency above ${var.api_p95_latency_ms} ms for 3 of 5 minutes"
  namespace           = "AWS/ApiGateway"
  metric_name         = "Latency"
  dimensions          = local.api_dimensions
  extended_statistic  = "p95"
  period              = 60
  evaluation_periods  = 5
  datapoints_to_alarm = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.api_p95_latency_ms
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "jobs_dlq_depth" {
  alarm_name          = "${var.name}-jobs-dlq-depth"
  alarm_description   = "Job messages in the dead-letter queue"
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.jobs_dlq.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "lambda_errors" {
  for_each = local.functions

  alarm_name          = "${each.value}-errors"
  alarm_description   = "${each.value} invocations failed (unhandled errors or timeouts)"
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = each.value }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "llm_failed_calls" {
  alarm_name          = "${var.name}-llm-failed-calls"
  alarm_description   = "Calls to the language model failed (crq falls back to the offline mapper)"
  namespace           = local.metrics_namespace
  metric_name         = "llm_failed_calls"
  dimensions          = { service = local.metrics_service }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = var.llm_failed_calls_threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags
}

locals {
  # Aurora's connections per instance role: each chat container holds up to three (reader, writer
  # fallback, conversations), so reserved concurrency x 3 must stay under max_connections.
  database_widgets = var.aurora_cluster_identifier == null ? [] : [
    {
      type = "metric", x = 0, y = 12, width = 24, height = 6
      properties = {
        title  = "Database connections"
        region = data.aws_region.current.name
        view   = "timeSeries"
        period = 60
        stat   = "Maximum"
        metrics = [
          ["AWS/RDS", "DatabaseConnections", "DBClusterIdentifier", var.aurora_cluster_identifier, "Role", "WRITER", { label = "writer" }],
          ["AWS/RDS", "DatabaseConnections", "DBClusterIdentifier", var.aurora_cluster_identifier, "Role", "READER", { label = "readers" }],
          [local.metrics_namespace, "reader_fallbacks", "service", local.metrics_service, { stat = "Sum", yAxis = "right" }],
        ]
      }
    },
  ]
}

resource "aws_cloudwatch_dashboard" "crq" {
  dashboard_name = var.name
  dashboard_body = jsonencode({
    widgets = concat([
      {
        type = "metric", x = 0, y = 0, width = 12, height = 6
        properties = {
          title  = "API latency (ms)"
          region = data.aws_region.current.name
          view   = "timeSeries"
          period = 60
          metrics = [
            ["AWS/ApiGateway", "Latency", "ApiId", local.api_dimensions.ApiId, "Stage", local.api_dimensions.Stage, { stat = "p50", label = "p50" }],
            ["...", { stat = "p95", label = "p95" }],
            ["...", { stat = "p99", label = "p99" }],
          ]
        }
      },
      {
        type = "metric", x = 12, y = 0, width = 12, height = 6
        properties = {
          title  = "Error rate (%)"
          region = data.aws_region.current.name
          view   = "timeSeries"
          period = 60
          metrics = [
            [{ expression = "IF(m1 > 0, 100 * m2 / m1, 0)", label = "5xx %", id = "e1" }],
            [{ expression = "IF(m1 > 0, 100 * m3 / m1, 0)", label = "4xx %", id = "e2" }],
            ["AWS/ApiGateway", "Count", "ApiId", local.api_dimensions.ApiId, "Stage", local.api_dimensions.Stage, { id = "m1", stat = "Sum", visible = false }],
            ["AWS/ApiGateway", "5xx", "ApiId", local.api_dimensions.ApiId, "Stage", local.api_dimensions.Stage, { id = "m2", stat = "Sum", visible = false }],
            ["AWS/ApiGateway", "4xx", "ApiId", local.api_dimensions.ApiId, "Stage", local.api_dimensions.Stage, { id = "m3", stat = "Sum", visible = false }],
          ]
        }
      },
      {
        type = "metric", x = 0, y = 6, width = 12, height = 6
        properties = {
          title  = "LLM cost (USD)"
          region = data.aws_region.current.name
          view   = "timeSeries"
          period = 3600
          stat   = "Sum"
          metrics = [
            [local.metrics_namespace, "llm_cost_usd", "service", local.metrics_service],
            [local.metrics_namespace, "llm_failed_calls", "service", local.metrics_service, { yAxis = "right" }],
          ]
        }
      },
      {
        type = "metric", x = 12, y = 6, width = 12, height = 6
        properties = {
          title  = "Requests"
          region = data.aws_region.current.name
          view   = "timeSeries"
          period = 60
          stat   = "Sum"
          metrics = [
            [local.metrics_namespace, "requests", "service", local.metrics_service],
            [local.metrics_namespace, "answered", "service", local.metrics_service],
            [local.metrics_namespace, "clarify", "service", local.metrics_service],
            [local.metrics_namespace, "refused", "service", local.metrics_service],
            [local.metrics_namespace, "error", "service", local.metrics_service],
          ]
        }
      },
    ], local.database_widgets)
  })
}
