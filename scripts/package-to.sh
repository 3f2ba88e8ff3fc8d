#!/usr/bin/env bash
# Bundles the action into another folder than dist/ (work in progress, parallel checkouts):
#   bash scripts/package-to.sh /tmp/my-bundle && ACTION_BUNDLE=/tmp/my-bundle/index.js npx jest __tests__/e2e
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:?usage: package-to.sh OUTPUT_DIR}"
npx ncc build src/index.ts -o "$out" --source-map --license licenses.txt >/dev/null
node scripts/package-hcl-parser.js "$out"
echo "$out/index.js"
