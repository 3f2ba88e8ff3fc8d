#!/usr/bin/env bash
# npm run reliability: runs the reliability suites (bad-input corpus, fault matrix, secret audit,
# concurrency, hostile registries) against the bundled action and prints the tables they write to
# reports/. The same suites run in `npm test` / .ci/run; this command only collects their tables.
set -uo pipefail
cd "$(dirname "$0")/.."
rm -rf reports
npx jest --ci __tests__/reliability "$@"
status=$?
for report in reports/*.md; do
  [ -f "$report" ] && { cat "$report"; echo; }
done
exit $status
