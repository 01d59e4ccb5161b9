data "aws_region" "current" {}

locals {
  chat_name = "${var.name}-chat"
  jobs_name = "${var.name}-jobs"

  # Powertools in runtime/aws/api.py is built with service="crq": its metrics carry that dimension.
  metrics_namespace = "crq"
  metrics_service   = "crq"

  jwt_enabled = var.jwt_issuer != null

  chat_secret_arns = compact([var.database_secret_arn, var.app_database_secret_arn, var.llm_api_key_secret_arn])
  jobs_secret_arns = [var.database_secret_arn, var.app_database_secret_arn]

  # A job's statement timeout leaves the function 30 s to store the result or the failure.
  job_timeout_s = var.jobs_timeout_s - 30

  results_prefix = "results/"
}
