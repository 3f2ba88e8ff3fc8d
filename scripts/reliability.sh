#!/usr/bin/env bash
# npm run reliability: runs the reliability suites (bad-input corpus, fault matrices, secret audit,
# concurrency, hostile registries) against the bundled action, prints the tables they write to
# reports/, and collects them (with the memory table of `npm run bench`, when it ran) into
# docs/reliability.md. The same suites run in `npm test` and .ci/run; this command adds the tables.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p reports
rm -f reports/{bad-input,fault-matrix-registry,fault-matrix-aws,secret-audit,concurrency,hostile-registry}.md
npx jest --ci __tests__/reliability "$@"
status=$?

out=docs/reliability.md
mkdir -p docs
{
  echo "# Reliability tables"
  echo
  echo "Written by \`npm run reliability\` on $(date -u +%Y-%m-%d), Node $(node --version), $(nproc) cores;"
  echo "the memory table by \`npm run bench\`. Each row is a test run against the bundled action."
  echo
  for name in bad-input fault-matrix-registry fault-matrix-aws secret-audit concurrency hostile-registry memory-scale; do
    [ -f "reports/$name.md" ] && { sed 's/^## /## /' "reports/$name.md"; echo; }
  done
} > "$out"
npx prettier --write "$out" >/dev/null
cat "$out"
exit $status
