# Both functions run from the two layers of `make layers` (docs/layers.md) and carry no code of their own:
# the deployment package is a placeholder file.
#
# Terraform creates the first layer versions and points the `live` aliases at the first function
# versions; from then on the deploy workflow (deploy/publish.py) publishes layer versions, function
# versions and moves the aliases (docs/deployment.md). So each function ignores later changes to its
# `layers` and each alias to its `function_version`: an apply never undoes a deploy or a rollback.

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

  # SnapStart: the init of each published version (imports, the model, the access policy; see
  # before_snapshot in runtime/aws/api.py) is snapshotted once, and new containers restore it instead
  # of importing again. The alias `live` always points at a published version, which SnapStart needs.
  dynamic "snap_start" {
    for_each = var.chat_snap_start ? [1] : []
    content {
      apply_on = "PublishedVersions"
    }
  }

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
        CRQ_RESULTS_BUCKET          = aws_s3_bucket.results.bucket
        CRQ_RESULTS_PREFIX          = local.results_prefix
        CRQ_JOB_TIMEOUT_S           = tostring(local.job_timeout_s)
        CRQ_JOB_MAX_ATTEMPTS        = tostring(var.jobs_max_receive_count)
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

  lifecycle {
    ignore_changes = [layers]
  }
}

resource "aws_lambda_alias" "chat_live" {
  name             = "live"
  function_name    = aws_lambda_function.chat.function_name
  function_version = aws_lambda_function.chat.version

  lifecycle {
    ignore_changes = [function_version, description]
  }
}

# Async jobs (docs/infra_design.md): the chat function queues a job's id on SQS when a question is
# expected to be heavy or runs past CRQ_SYNC_BUDGET_S; this function claims and runs it with the long
# timeout, stores the result (large ones in the results bucket) and reports partial batch failures.
resource "aws_lambda_function" "jobs" {
  #checkov:skip=CKV_AWS_116:invoked by an SQS event source mapping; failed messages go to the queue's redrive dead-letter queue, a function DLQ only serves asynchronous invocations
  #checkov:skip=CKV_AWS_272:no code signing yet: `make layers` builds unsigned zips (docs/layers.md) and the package is an empty placeholder; signing needs an AWS Signer profile and a signing step in the build
  function_name                  = local.jobs_name
  description                    = "crq async jobs from SQS (runtime/aws/jobs.py)"
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
    # the queue: the sweeper sends again the jobs whose worker died or whose message was lost
    variables = {
      CRQ_DATABASE_SECRET_ARN     = var.database_secret_arn
      CRQ_APP_DATABASE_SECRET_ARN = var.app_database_secret_arn
      CRQ_DATABASE_SSLMODE        = "require"
      CRQ_ACCESS_FILE             = var.access_file
      CRQ_LOG_LEVEL               = var.log_level
      CRQ_JOBS_QUEUE_URL          = aws_sqs_queue.jobs.url
      CRQ_RESULTS_BUCKET          = aws_s3_bucket.results.bucket
      CRQ_RESULTS_PREFIX          = local.results_prefix
      CRQ_JOB_TIMEOUT_S           = tostring(local.job_timeout_s)
      CRQ_JOB_MAX_ATTEMPTS        = tostring(var.jobs_max_receive_count)
      POWERTOOLS_SERVICE_NAME     = local.metrics_service
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

  lifecycle {
    ignore_changes = [layers]
  }
}

resource "aws_lambda_alias" "jobs_live" {
  name             = "live"
  function_name    = aws_lambda_function.jobs.function_name
  function_version = aws_lambda_function.jobs.version

  lifecycle {
    ignore_changes = [function_version, description]
  }
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
