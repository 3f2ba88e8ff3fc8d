#!/usr/bin/env bash
# Runs the bundled action (dist/index.js) on examples/ as a dry run, exactly as the runner would:
# inputs as INPUT_* variables, outputs in GITHUB_OUTPUT, the summary in GITHUB_STEP_SUMMARY.
# No AWS account and no Docker: the base image is a generated stand-in OCI layout.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$root/examples/out

# The stand-in base generator is TypeScript run with the project's dev dependencies.
[ -d node_modules ] || npm ci --no-audit --no-fund >/dev/null
[ -f examples/base-image/index.json ] || npx ts-node --transpile-only scripts/make-stand-in-base.ts examples/base-image

rm -rf "$out" && mkdir -p "$out/runner-temp"
: >"$out/github-output"
: >"$out/step-summary.md"

env -i PATH="$PATH" HOME="$HOME" \
  GITHUB_ACTIONS=true \
  GITHUB_WORKSPACE="$root/examples" \
  GITHUB_SERVER_URL=https://github.com \
  GITHUB_REPOSITORY=acme/demo-api \
  GITHUB_SHA=0123456789abcdef0123456789abcdef01234567 \
  RUNNER_TEMP="$out/runner-temp" \
  GITHUB_OUTPUT="$out/github-output" \
  GITHUB_STEP_SUMMARY="$out/step-summary.md" \
  'INPUT_DRY-RUN=true' \
  'INPUT_TASK-DEFINITION=task-definition.json' \
  'INPUT_MIGRATIONS-DIR=migrations' \
  'INPUT_ATLAS-CONFIG=atlas.hcl' \
  'INPUT_ATLAS-ENV=deploy' \
  'INPUT_ATLAS-IMAGE=oci-layout://base-image:latest' \
  'INPUT_IMAGE-REPOSITORY=123456789012.dkr.ecr.us-east-1.amazonaws.com/demo-api-migrations' \
  'INPUT_DATABASE-URL-SECRET=arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/api/database-url-Ab12Cd' \
  'INPUT_CONTAINER-NAME=atlas' \
  'INPUT_LOCK-TIMEOUT=10m' \
  'INPUT_WAIT-FOR-SERVICE-STABILITY=true' \
  'INPUT_WAIT-TIMEOUT-MINUTES=30' \
  'INPUT_ROLLBACK-ON-FAILURE=true' \
  'INPUT_FORCE-NEW-DEPLOYMENT=false' \
  'INPUT_MODE=sidecar' \
  'INPUT_CLUSTER=default' \
  node dist/index.js

echo
echo "Outputs ($out/github-output):"
# GITHUB_OUTPUT uses heredoc blocks: name<<delimiter / value / delimiter.
awk '/<<ghadelimiter/ {split($0, a, "<<"); name=a[1]; getline; print "  " name " = " $0}' "$out/github-output"
echo
echo "Rendered task definition: $(sed -n '/^task-definition-file<</{n;p}' "$out/github-output")"
echo "Image (OCI layout):       $out/runner-temp/atlas-ecs-deploy/image"
echo "Step summary:             $out/step-summary.md"
