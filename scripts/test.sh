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
node --import tsx scripts/build-web.ts
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

# Two runs: the browser tests start the whole system (its consumers share the real queues), so
# they run after the rest, not beside it. A path argument narrows the first run and skips the second.
results=.data/vitest-results.json
web_results=.data/vitest-web-results.json
rm -f "$results" "$web_results"
npx vitest run --reporter=default --reporter=json --outputFile.json="$results" --exclude 'test/web*.test.ts' "$@"
vitest_rc=$?
if [ $# -eq 0 ]; then
  npx vitest run --reporter=default --reporter=json --outputFile.json="$web_results" test/web.e2e.test.ts
  web_rc=$?
  [ "$web_rc" -eq 0 ] || vitest_rc=$web_rc
fi

node -e '
  const fs = require("fs");
  const [files, passedChecks, failedChecks, rc] = process.argv.slice(1);
  let passed = 0, failed = 0, skipped = 0, read = 0;
  for (const file of files.split(",")) {
    if (!fs.existsSync(file)) continue;
    read++;
    const r = JSON.parse(fs.readFileSync(file, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests;
    skipped += r.numPendingTests + r.numTodoTests;
    // A file that fails to load has no tests to count; count it as a failure.
    failed += r.testResults.filter((f) => f.status === "failed" && f.assertionResults.length === 0).length;
  }
  if (read === 0 && rc !== "0") failed += 1;
  passed += Number(passedChecks); failed += Number(failedChecks);
  console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$results,$web_results" "$passed_checks" "$failed_checks" "$vitest_rc" >"$summary"
cat "$summary"
[ "$vitest_rc" -eq 0 ] && [ "$failed_checks" -eq 0 ]
