#!/usr/bin/env bash
# Installs what the tests need and runs every check CI runs. Safe to run on a fresh clone.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

npm run -s build
npm run -s lint
npm run -s format:check

# dist/ is what the runner executes: it must be exactly what the sources build to.
npm run -s package >/dev/null
if git rev-parse --git-dir >/dev/null 2>&1 && [ -n "$(git status --porcelain -- dist)" ]; then
  echo "dist/ is stale: run 'npm run package' and commit dist/." >&2
  git status --short -- dist >&2
  exit 1
fi

npx jest --ci
