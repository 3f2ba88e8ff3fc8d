#!/usr/bin/env bash
# Runs src/main.ts under GitHub's local runner for actions (@github/local-action): the TypeScript
# sources, no bundle, with @actions/core stubbed, inputs and runner variables from a dotenv file.
#   npm run local-action              # .env.example: the dry run of the embedded demo
#   npm run local-action -- .env      # your own copy (git ignores .env)
# local-action exits 0 even when the action fails: read the ::error lines and the outputs table.
set -euo pipefail
cd "$(dirname "$0")/.."
env_file="${1:-.env.example}"

[ -d node_modules ] || npm ci --no-audit --no-fund >/dev/null
# The demo's base image is a generated stand-in OCI layout, as in scripts/demo.sh.
[ -f examples/base-image/index.json ] || npx ts-node --transpile-only scripts/make-stand-in-base.ts examples/base-image >/dev/null
# local-action creates the summary file but not its folder.
summary=$(sed -n 's/^GITHUB_STEP_SUMMARY=//p' "$env_file" | tail -n 1 | tr -d "\"'")
[ -z "$summary" ] || mkdir -p "$(dirname "$summary")"

exec npx @github/local-action . src/main.ts "$env_file"
