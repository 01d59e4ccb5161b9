# Least privilege: each function gets exactly the secrets, queue, bucket prefix and log group it uses.
# "*" resources appear only where AWS allows nothing else (X-Ray, Lambda's VPC network interfaces).

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    sid     = "LambdaAssume"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "chat" {
  name               = "${local.chat_name}-role"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
  tags               = var.tags
}

resource "aws_iam_role" "jobs" {
  name               = "${local.jobs_name}-role"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "chat" {
  #checkov:skip=CKV_AWS_111:the only unconstrained write is the VpcNetworkInterfaces statement: Lambda creates, deletes and addresses the function's ENIs with this role before their ARNs exist (the actions of AWSLambdaVPCAccessExecutionRole); every other write names its queue, bucket prefix or log group
  #checkov:skip=CKV_AWS_356:"*" only in the XRay statement (AWS accepts nothing else) and VpcNetworkInterfaces (AWSLambdaVPCAccessExecutionRole's ENI actions on network interfaces that do not exist yet); tests/test_terraform.py keeps it that way
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.chat.arn}:*"]
  }

  statement {
    sid       = "Secrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = local.chat_secret_arns
  }

  statement {
    sid       = "EnqueueJobs"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.jobs.arn]
  }

  # GET /v1/jobs/{id} answers a large result with a presigned URL, signed by this role.
  statement {
    sid       = "ReadResults"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.results.arn}/${local.results_prefix}*"]
  }

  # AWS requires "*" for X-Ray segments.
  statement {
    sid       = "XRay"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }

  # AWSLambdaVPCAccessExecutionRole's actions: Lambda creates and deletes the ENIs with the role,
  # before any network interface ARN exists.
  statement {
    sid = "VpcNetworkInterfaces"
    actions = [
      "ec2:CreateNetworkInterface",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeSubnets",
      "ec2:DeleteNetworkInterface",
      "ec2:AssignPrivateIpAddresses",
      "ec2:UnassignPrivateIpAddresses",
    ]
    resources = ["*"]
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]
    content {
      sid       = "Kms"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [statement.value]
    }
  }
}

data "aws_iam_policy_document" "jobs" {
  #checkov:skip=CKV_AWS_111:the only unconstrained write is the VpcNetworkInterfaces statement: Lambda creates, deletes and addresses the function's ENIs with this role before their ARNs exist (the actions of AWSLambdaVPCAccessExecutionRole); every other write names its queue, bucket prefix or log group
  #checkov:skip=CKV_AWS_356:"*" only in the XRay statement (AWS accepts nothing else) and VpcNetworkInterfaces (AWSLambdaVPCAccessExecutionRole's ENI actions on network interfaces that do not exist yet); tests/test_terraform.py keeps it that way
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.jobs.arn}:*"]
  }

  statement {
    sid       = "Secrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = local.jobs_secret_arns
  }

  # GetQueueAttributes: the event source mapping needs it besides receive and delete.
  statement {
    sid = "ConsumeJobs"
    actions = [
      "sqs:ReceiveMessage",
      "sqs:DeleteMessage",
      "sqs:ChangeMessageVisibility",
      "sqs:GetQueueAttributes",
    ]
    resources = [aws_sqs_queue.jobs.arn]
  }

  # The sweeper sends again the jobs whose worker died or whose message was lost.
  statement {
    sid       = "EnqueueJobs"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.jobs.arn]
  }

  statement {
    sid       = "Results"
    actions   = ["s3:PutObject", "s3:GetObject"]
    resources = ["${aws_s3_bucket.results.arn}/${local.results_prefix}*"]
  }

  statement {
    sid       = "XRay"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }

  statement {
    sid = "VpcNetworkInterfaces"
    actions = [
      "ec2:CreateNetworkInterface",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeSubnets",
      "ec2:DeleteNetworkInterface",
      "ec2:AssignPrivateIpAddresses",
      "ec2:UnassignPrivateIpAddresses",
    ]
    resources = ["*"]
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]
    content {
      sid       = "Kms"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [statement.value]
    }
  }
}

resource "aws_iam_role_policy" "chat" {
  name   = "${local.chat_name}-policy"
  role   = aws_iam_role.chat.id
  policy = data.aws_iam_policy_document.chat.json
}

resource "aws_iam_role_policy" "jobs" {
  name   = "${local.jobs_name}-policy"
  role   = aws_iam_role.jobs.id
  policy = data.aws_iam_policy_document.jobs.json
}
