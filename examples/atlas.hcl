# Atlas project file for the demo service.
# The database URL never lives in this file: ECS injects it as DATABASE_URL from Secrets Manager
# (input database-url-secret). To read the secret directly instead, see the runtimevar block below.

# data "runtimevar" "url" {
#   url = "awssecretsmanager://prod/api/database-url?region=us-east-1"
# }

env "deploy" {
  url = getenv("DATABASE_URL")
  # url = data.runtimevar.url
  migration {
    dir = "file://migrations"
  }
}

env "local" {
  url = "postgres://localhost:5432/app?sslmode=disable"
  dev = "docker://postgres/16/dev"
  migration {
    dir = "file://migrations"
  }
}
