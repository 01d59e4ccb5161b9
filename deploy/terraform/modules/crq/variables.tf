variable "name" {
  description = "Prefix of every resource name."
  type        = string
  default     = "crq"
}

variable "tags" {
  description = "Tags added to every resource that takes them."
  type        = map(string)
  default     = {}
}

# --- Network and Aurora (inputs: this module does not create the database) ---

variable "vpc_id" {
  description = "The VPC holding Aurora and the private subnets."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets for the functions' ENIs and the Secrets Manager and SQS endpoints."
  type        = list(string)
}

variable "private_route_table_ids" {
  description = "Route tables of the private subnets (for the S3 gateway endpoint)."
  type        = list(string)
}

variable "aurora_security_group_id" {
  description = "Aurora's security group; the module adds an ingress rule on 5432 from the functions' group."
  type        = string
}

variable "aurora_cluster_identifier" {
  description = "Aurora's DB cluster identifier, for the dashboard's database connections widget; null: no such widget."
  type        = string
  default     = null
}

variable "database_secret_arn" {
  description = "Secrets Manager ARN of crq_reader's login (CRQ_DATABASE_SECRET_ARN)."
  type        = string
}

variable "app_database_secret_arn" {
  description = "Secrets Manager ARN of crq_api's login, for conversations (CRQ_APP_DATABASE_SECRET_ARN)."
  type        = string
}

variable "llm_api_key_secret_arn" {
  description = "Secrets Manager ARN of the LLM key (CRQ_LLM_API_KEY_SECRET_ARN); null: no language model."
  type        = string
  default     = null
}

variable "https_egress_cidr_blocks" {
  description = "Extra CIDRs the functions may reach on 443 (e.g. a NAT route to the LLM provider). Empty: VPC endpoints only."
  type        = list(string)
  default     = []
}

# --- Code: the two layers built by `make layers` (docs/layers.md) ---

variable "layers_s3_bucket" {
  description = "Bucket holding the layer zips."
  type        = string
}

variable "lib_layer_s3_key" {
  description = "S3 key of dist/crq-lib-layer-<architecture>.zip."
  type        = string
}

variable "app_layer_s3_key" {
  description = "S3 key of dist/crq-app-layer.zip."
  type        = string
}

variable "architecture" {
  description = "Lambda architecture; must match the lib layer's."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture is arm64 or x86_64."
  }
}

# --- The chat function ---

variable "access_file" {
  description = "CRQ_ACCESS_FILE: path of the access policy YAML inside the function (e.g. in a layer under /opt). Without one every caller gets 403."
  type        = string
}

variable "extra_layer_arns" {
  description = "Layers added after crq's two, e.g. one holding the access policy that access_file names (/opt/...)."
  type        = list(string)
  default     = []
}

variable "extra_environment" {
  description = "More environment variables for the chat function, e.g. the CRQ_LLM_* settings (docs/api.md). Never secret values: use secrets."
  type        = map(string)
  default     = {}
}

variable "log_level" {
  description = "CRQ_LOG_LEVEL."
  type        = string
  default     = "INFO"
}

variable "chat_memory_mb" {
  type    = number
  default = 1024
}

variable "chat_timeout_s" {
  description = "The chat function's timeout (API Gateway HTTP APIs give up after 30 s)."
  type        = number
  default     = 29
}

variable "chat_reserved_concurrency" {
  description = "Reserved concurrency of the chat function (caps database connections)."
  type        = number
  default     = 20
}

variable "jobs_timeout_s" {
  description = "The jobs function's timeout; a job's statement timeout (CRQ_JOB_TIMEOUT_S) is 30 s less."
  type        = number
  default     = 300

  validation {
    condition     = var.jobs_timeout_s >= 60 && var.jobs_timeout_s <= 900
    error_message = "jobs_timeout_s is 60 to 900 (Lambda's limit); longer jobs belong on the ECS/Fargate worker."
  }
}

variable "jobs_reserved_concurrency" {
  description = "Reserved concurrency of the jobs function; also the event source mapping's maximum concurrency (at least 2)."
  type        = number
  default     = 2

  validation {
    condition     = var.jobs_reserved_concurrency >= 2
    error_message = "jobs_reserved_concurrency is at least 2 (SQS event source mappings scale to 2 or more)."
  }
}

variable "chat_snap_start" {
  description = "Lambda SnapStart for the chat function (Python 3.12+): new containers restore a snapshot taken after init instead of importing crq again. Not with provisioned concurrency, EFS or ephemeral storage over 512 MB; restores are billed (docs/infra_design.md)."
  type        = bool
  default     = true
}

variable "jobs_batch_size" {
  description = "Messages per jobs invocation. 1: each job gets the whole function timeout (a batch runs its jobs one after another, and CRQ_JOB_TIMEOUT_S is the timeout minus 30 s); raise it only with a jobs timeout that holds that many."
  type        = number
  default     = 1
  validation {
    condition     = var.jobs_batch_size >= 1 && var.jobs_batch_size <= 10
    error_message = "jobs_batch_size is 1 to 10 (an SQS event source mapping without a batching window)."
  }
}

variable "jobs_max_receive_count" {
  description = "Receives before a job message moves to the dead-letter queue."
  type        = number
  default     = 3
}

# --- Authentication ---

variable "jwt_issuer" {
  description = "Issuer of the JWT authorizer (e.g. a Cognito user pool URL); null: every route but health needs IAM (SigV4) callers instead, who are crq's group `iam` (docs/api.md)."
  type        = string
  default     = null
}

variable "jwt_audience" {
  description = "Audiences (client ids) the JWT authorizer accepts."
  type        = list(string)
  default     = []
}

variable "cors_allow_origins" {
  description = "Origins allowed to call the API from a browser, e.g. the demo page's CloudFront URL (https://dxxxx.cloudfront.net); empty: no CORS."
  type        = list(string)
  default     = []

  validation {
    condition     = !contains(var.cors_allow_origins, "*")
    error_message = "cors_allow_origins names the page's origins; \"*\" would let any site call the API with a user's token."
  }
}

# --- Storage, logs, encryption ---

variable "kms_key_arn" {
  description = "Customer-managed KMS key for logs, queues, the bucket and environment variables; null: AWS-managed keys."
  type        = string
  default     = null
}

variable "log_retention_days" {
  type    = number
  default = 365
}

variable "results_expiration_days" {
  description = "Days a job result stays in the results bucket."
  type        = number
  default     = 30
}

# --- Alarms ---

variable "alarm_actions" {
  description = "SNS topic ARNs notified when an alarm fires or clears."
  type        = list(string)
  default     = []
}

variable "api_5xx_rate_percent" {
  type    = number
  default = 1
}

variable "api_p95_latency_ms" {
  type    = number
  default = 10000
}

variable "llm_failed_calls_threshold" {
  description = "llm_failed_calls in 5 minutes that raise the alarm."
  type        = number
  default     = 5
}
