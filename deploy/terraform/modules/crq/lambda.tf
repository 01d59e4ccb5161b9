# Both functions run from the two layers of `make layers` (docs/layers.md) and carry no code of their own:
# the deployment package is a placeholder file.

data "archive_file" "empty" {
  type        = "zip"
  output_path = "${path.module}/.terraform-build/empty-function.zip"

  source {
    filename = "README.txt"
    content  = "crq's code is in its layers (crq-lib-layer, crq-app-layer)."
  }
}

resource "aws_lambda_layer_version" "lib" {
  layer_name               = "${var.name}-lib-${var.architecture}"
  s3_bucket                = var.layers_s3_bucket
  s3_key                   = var.lib_layer_s3_key
  compatible_runtimes      = ["python3.12"]
  compatible_architectures = [var.architecture]
  description              = "crq runtime dependencies (constraints.txt)"
}

resource "aws_lambda_layer_version" "app" {
  layer_name          = "${var.name}-app"
  s3_bucket           = var.layers_s3_bucket
  s3_key              = var.app_layer_s3_key
  compatible_runtimes = ["python3.12"]
  description         = "crq packages: models, semantic, compiler, runtime"
}

resource "aws_cloudwatch_log_group" "chat" {
  name              = "/aws/lambda/${local.chat_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_cloudwatch_log_group" "jobs" {
  name              = "/aws/lambda/${local.jobs_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_lambda_function" "chat" {
  #checkov:skip=CKV_AWS_116:invoked synchronously by API Gateway; a dead-letter queue only receives failed asynchronous invocations
  #checkov:skip=CKV_AWS_272:no code signing yet: `make layers` builds unsigned zips (docs/layers.md) and the package is an empty placeholder; signing needs an AWS Signer profile and a signing step in the build
  function_name                  = local.chat_name
  description                    = "crq chat API (docs/api.md)"
  role                           = aws_iam_role.chat.arn
  runtime                        = "python3.12"
  handler                        = "runtime.aws.api.handler"
  architectures                  = [var.architecture]
  filename                       = data.archive_file.empty.output_path
  source_code_hash               = data.archive_file.empty.output_base64sha256
  layers                         = concat([aws_lambda_layer_version.lib.arn, aws_lambda_layer_version.app.arn], var.extra_layer_arns)
  memory_size                    = var.chat_memory_mb
  timeout                        = var.chat_timeout_s
  reserved_concurrent_executions = var.chat_reserved_concurrency
  kms_key_arn                    = var.kms_key_arn
  publish                        = true

  environment {
    variables = merge(
      var.extra_environment,
      {
        CRQ_DATABASE_SECRET_ARN     = var.database_secret_arn
        CRQ_APP_DATABASE_SECRET_ARN = var.app_database_secret_arn
        CRQ_DATABASE_SSLMODE        = "require"
        CRQ_ACCESS_FILE             = var.access_file
        CRQ_LOG_LEVEL               = var.log_level
        POWERTOOLS_SERVICE_NAME     = local.metrics_service
        CRQ_JOBS_QUEUE_URL          = aws_sqs_queue.jobs.url
      },
      var.llm_api_key_secret_arn == null ? {} : { CRQ_LLM_API_KEY_SECRET_ARN = var.llm_api_key_secret_arn },
    )
  }

  tracing_config {
    mode = "Active"
  }

  vpc_config {
    subnet_ids         = var.private_subnet_ids
    security_group_ids = [aws_security_group.functions.id]
  }

  # Text: Powertools already writes JSON lines and EMF metrics to stdout, which must reach CloudWatch as they are.
  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.chat.name
  }

  tags       = var.tags
  depends_on = [aws_iam_role_policy.chat]
}

resource "aws_lambda_alias" "chat_live" {
  name             = "live"
  function_name    = aws_lambda_function.chat.function_name
  function_version = aws_lambda_function.chat.version
}

# Placeholder: runtime/aws/jobs.py does not exist yet; the wiring (queue, DLQ, partial batch
# responses, results bucket) is ready for it.
resource "aws_lambda_function" "jobs" {
  #checkov:skip=CKV_AWS_116:invoked by an SQS event source mapping; failed messages go to the queue's redrive dead-letter queue, a function DLQ only serves asynchronous invocations
  #checkov:skip=CKV_AWS_272:no code signing yet: `make layers` builds unsigned zips (docs/layers.md) and the package is an empty placeholder; signing needs an AWS Signer profile and a signing step in the build
  function_name                  = local.jobs_name
  description                    = "crq background jobs (placeholder)"
  role                           = aws_iam_role.jobs.arn
  runtime                        = "python3.12"
  handler                        = "runtime.aws.jobs.handler"
  architectures                  = [var.architecture]
  filename                       = data.archive_file.empty.output_path
  source_code_hash               = data.archive_file.empty.output_base64sha256
  layers                         = concat([aws_lambda_layer_version.lib.arn, aws_lambda_layer_version.app.arn], var.extra_layer_arns)
  memory_size                    = 1024
  timeout                        = var.jobs_timeout_s
  reserved_concurrent_executions = var.jobs_reserved_concurrency
  kms_key_arn                    = var.kms_key_arn
  publish                        = true

  environment {
    variables = {
      CRQ_DATABASE_SECRET_ARN = var.database_secret_arn
      CRQ_DATABASE_SSLMODE    = "require"
      CRQ_ACCESS_FILE         = var.access_file
      CRQ_LOG_LEVEL           = var.log_level
      CRQ_RESULTS_BUCKET      = aws_s3_bucket.results.bucket
      CRQ_RESULTS_PREFIX      = local.results_prefix
      POWERTOOLS_SERVICE_NAME = local.metrics_service
    }
  }

  tracing_config {
    mode = "Active"
  }

  vpc_config {
    subnet_ids         = var.private_subnet_ids
    security_group_ids = [aws_security_group.functions.id]
  }

  # Text: Powertools already writes JSON lines and EMF metrics to stdout, which must reach CloudWatch as they are.
  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.jobs.name
  }

  tags       = var.tags
  depends_on = [aws_iam_role_policy.jobs]
}

resource "aws_lambda_alias" "jobs_live" {
  name             = "live"
  function_name    = aws_lambda_function.jobs.function_name
  function_version = aws_lambda_function.jobs.version
}

resource "aws_lambda_event_source_mapping" "jobs" {
  event_source_arn        = aws_sqs_queue.jobs.arn
  function_name           = aws_lambda_alias.jobs_live.arn
  batch_size              = var.jobs_batch_size
  function_response_types = ["ReportBatchItemFailures"]

  scaling_config {
    maximum_concurrency = var.jobs_reserved_concurrency
  }
}
