#!/usr/bin/env bash
# npm test: the same install/start as npm start, then type-check, lint and the vitest suite.
# Ends with the plain line `N passed, N failed` (also saved to .data/test-summary.txt for CI).
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p .data
summary=.data/test-summary.txt
echo "0 passed, 1 failed" >"$summary" # replaced below unless set-up itself dies
set -e
source scripts/ensure-deps.sh
bash scripts/infra/up.sh
node --import tsx provision/cli.ts
set +e

failed_checks=0
passed_checks=0
check() {
  local name=$1; shift
  echo "[test] $name: $*"
  if "$@"; then passed_checks=$((passed_checks + 1)); else echo "[test] $name FAILED"; failed_checks=$((failed_checks + 1)); fi
}
check typecheck npx tsc -p tsconfig.json --noEmit
check lint npx eslint --max-warnings=0 .

results=.data/vitest-results.json
rm -f "$results"
npx vitest run --reporter=default --reporter=json --outputFile.json="$results" "$@"
vitest_rc=$?

node -e '
  const fs = require("fs");
  const [file, passedChecks, failedChecks, rc] = process.argv.slice(1);
  let passed = 0, failed = 0, skipped = 0;
  if (fs.existsSync(file)) {
    const r = JSON.parse(fs.readFileSync(file, "utf8"));
    passed = r.numPassedTests; failed = r.numFailedTests;
    skipped = r.numPendingTests + r.numTodoTests;
    // A file that fails to load has no tests to count; count it as a failure.
    failed += r.testResults.filter((f) => f.status === "failed" && f.assertionResults.length === 0).length;
  } else if (rc !== "0") failed += 1;
  passed += Number(passedChecks); failed += Number(failedChecks);
  console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$results" "$passed_checks" "$failed_checks" "$vitest_rc" >"$summary"
cat "$summary"
[ "$vitest_rc" -eq 0 ] && [ "$failed_checks" -eq 0 ]
