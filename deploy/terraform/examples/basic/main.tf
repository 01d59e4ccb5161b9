# A minimal root module: crq in an existing VPC next to an existing Aurora cluster.
# The layer zips come from `make layers`, uploaded to var.layers_s3_bucket.

terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.60.0, < 6.0.0"
    }
  }
}

provider "aws" {
  region = var.region
}

variable "region" {
  type    = string
  default = "eu-west-1"
}

variable "vpc_id" {
  type = string
}

variable "private_subnet_ids" {
  type = list(string)
}

variable "private_route_table_ids" {
  type = list(string)
}

variable "aurora_security_group_id" {
  type = string
}

variable "aurora_cluster_identifier" {
  type = string
}

variable "demo_page_origin" {
  description = "Where the demo page is served from (its CloudFront URL), allowed by CORS; null: none."
  type        = string
  default     = null
}

variable "database_secret_arn" {
  type = string
}

variable "app_database_secret_arn" {
  type = string
}

variable "layers_s3_bucket" {
  type = string
}

variable "access_policy_layer_arn" {
  description = "A layer version holding crq/access.yaml (zip with crq/access.yaml at its root)."
  type        = string
}

variable "jwt_issuer" {
  description = "e.g. https://cognito-idp.<region>.amazonaws.com/<user pool id>"
  type        = string
}

variable "jwt_audience" {
  type = list(string)
}

module "crq" {
  source = "../../modules/crq"

  name                      = "crq"
  vpc_id                    = var.vpc_id
  private_subnet_ids        = var.private_subnet_ids
  private_route_table_ids   = var.private_route_table_ids
  aurora_security_group_id  = var.aurora_security_group_id
  aurora_cluster_identifier = var.aurora_cluster_identifier
  database_secret_arn       = var.database_secret_arn
  app_database_secret_arn   = var.app_database_secret_arn

  layers_s3_bucket = var.layers_s3_bucket
  lib_layer_s3_key = "layers/crq-lib-layer-arm64.zip"
  app_layer_s3_key = "layers/crq-app-layer.zip"
  architecture     = "arm64"

  # The access policy (docs/access-policy.md) comes in a small layer of its own, unpacked under /opt.
  access_file      = "/opt/crq/access.yaml"
  extra_layer_arns = [var.access_policy_layer_arn]

  jwt_issuer         = var.jwt_issuer
  jwt_audience       = var.jwt_audience
  cors_allow_origins = var.demo_page_origin == null ? [] : [var.demo_page_origin]

  tags = { application = "crq" }
}

output "api_url" {
  value = module.crq.api_url
}

output "jobs_dlq_url" {
  value = module.crq.jobs_dlq_url
}

output "chat_alias_arn" {
  value = module.crq.chat_alias_arn
}

output "jobs_queue_url" {
  value = module.crq.jobs_queue_url
}

output "results_bucket_name" {
  value = module.crq.results_bucket_name
}
