output "api_url" {
  description = "Base URL of the API (routes under /v1)."
  value       = aws_apigatewayv2_stage.default.invoke_url
}

output "chat_function_name" {
  value = aws_lambda_function.chat.function_name
}

output "chat_function_arn" {
  value = aws_lambda_function.chat.arn
}

output "chat_alias_arn" {
  description = "The `live` alias API Gateway invokes."
  value       = aws_lambda_alias.chat_live.arn
}

output "jobs_function_name" {
  value = aws_lambda_function.jobs.function_name
}

output "jobs_function_arn" {
  value = aws_lambda_function.jobs.arn
}

output "jobs_alias_arn" {
  value = aws_lambda_alias.jobs_live.arn
}

output "jobs_queue_url" {
  value = aws_sqs_queue.jobs.url
}

output "jobs_dlq_url" {
  value = aws_sqs_queue.jobs_dlq.url
}

output "results_bucket_name" {
  value = aws_s3_bucket.results.bucket
}

output "functions_security_group_id" {
  value = aws_security_group.functions.id
}
