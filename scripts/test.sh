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
# The run's own environment: every topic, queue, consumer group, Redis key, database and workflow id
# it uses is scoped to it, so the suite can run beside a live `npm start` on the same servers.
TIDINGS_ENV="$(node --import tsx -e "import('./platform/names.ts').then((m) => console.log(m.newEphemeralEnv('test')))")"
export TIDINGS_ENV
echo "[test] environment $TIDINGS_ENV (removed at the end)"
teardown() { LOG_LEVEL=warn node --import tsx provision/cli.ts --teardown || echo "[test] teardown of $TIDINGS_ENV failed; 'provision/cli.ts --prune' removes it later"; }
trap teardown EXIT
# Environments of runs that died before their teardown (older than 6 hours).
LOG_LEVEL=warn node --import tsx provision/cli.ts --prune
LOG_LEVEL=warn node --import tsx provision/cli.ts
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
check format npx prettier --check --log-level warn .
# Import rules: no cycles, activities never import workflows, workflows stay pure (.dependency-cruiser.cjs).
check imports npx depcruise --config .dependency-cruiser.cjs --output-type err activities api bench consumers contracts domain gateway platform provision runtime scripts services simulators stores test web/src workflows main.ts worker.ts

# Jaeger's first build runs in the background (scripts/infra/up.sh); the checks above ran beside it,
# and the tracing tests need it answering.
bash scripts/infra/wait-jaeger.sh || echo "[test] Jaeger is not up: the tracing tests will fail"

# Two runs: the unit and integration projects (vitest.config.ts), then the browser tests
# (test/web*.test.ts, project web), which start the whole system (its consumers share the real
# queues), so they run after the rest, not beside it. Path arguments narrow the runs: a web test
# file goes to the second run, any other path to the first; options (from the first argument that
# starts with -, with their values: -t 'some name') go to both; a run left with no path of its own
# is skipped.
results=.data/vitest-results.json
web_results=.data/vitest-web-results.json
rm -f "$results" "$web_results"
paths=() web_paths=() options=()
for arg in "$@"; do
  if [ ${#options[@]} -gt 0 ]; then options+=("$arg"); continue; fi
  case "$arg" in
    -*) options+=("$arg") ;;
    test/web*.test.ts | ./test/web*.test.ts) web_paths+=("$arg") ;;
    *) paths+=("$arg") ;;
  esac
done
narrowed=$(( ${#paths[@]} + ${#web_paths[@]} ))
vitest_rc=0
if [ "$narrowed" -eq 0 ] || [ ${#paths[@]} -gt 0 ]; then
  npx vitest run --project unit --project integration --reporter=default --reporter=json --outputFile.json="$results" "${paths[@]}" "${options[@]}"
  vitest_rc=$?
fi
if [ "$narrowed" -eq 0 ] || [ ${#web_paths[@]} -gt 0 ]; then
  [ "$narrowed" -eq 0 ] && web_paths=(test/web)
  npx vitest run --project web --reporter=default --reporter=json --outputFile.json="$web_results" "${web_paths[@]}" "${options[@]}"
  web_rc=$?
  [ "$web_rc" -eq 0 ] || vitest_rc=$web_rc
fi

# The API contract from outside (README, "The API contract"): Schemathesis against the whole system
# started from this checkout in an environment of its own, all checks, all four phases, a fixed seed
# and a bounded number of examples (a few minutes); 0 failures and 0 unreached operations to pass.
# TIDINGS_CONTRACT_TESTS=0 leaves it out of a local run; `npm run test:contract` runs it alone.
if [ $# -eq 0 ] && [ "${TIDINGS_CONTRACT_TESTS:-1}" != 0 ]; then
  check contract bash scripts/contract.sh
fi

# The cluster profile (README, "Cluster profile"): one flow of each journey on the real
# temporal-server on PostgreSQL, with two workers and two gateways. Its first run builds
# temporal-server from its Go module (minutes); later runs reuse .infra/. TIDINGS_CLUSTER_TESTS=0
# leaves it out of a local run (its tests are then neither run nor counted).
cluster_results=.data/vitest-cluster-results.json
rm -f "$cluster_results"
if [ $# -eq 0 ] && [ "${TIDINGS_CLUSTER_TESTS:-1}" != 0 ]; then
  if bash scripts/infra/cluster.sh; then
    npx vitest run --config vitest.cluster.config.ts --reporter=default --reporter=json --outputFile.json="$cluster_results"
    cluster_rc=$?
    [ "$cluster_rc" -eq 0 ] || vitest_rc=$cluster_rc
  else
    echo "[test] cluster profile FAILED to start (scripts/infra/cluster.sh)"; failed_checks=$((failed_checks + 1))
  fi
fi

# Beside a live system (npm start on this machine, as CI runs it): its own flows still work after the
# suite ran next to it, and its database holds none of the suite's rows.
# .ci/run starts one first and sets EXPECT_LIVE=1, so a live system that failed to start fails the run.
if [ $# -eq 0 ] && { [ "${EXPECT_LIVE:-}" = 1 ] || curl -sf -o /dev/null "${LIVE_API_URL:-http://127.0.0.1:3000}/health"; }; then
  check live-system node --import tsx scripts/live-smoke.ts "${LIVE_API_URL:-http://127.0.0.1:3000}"
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
    // A file that fails to load has no tests to count, and one whose beforeAll fails has only
    // skipped ones (e.g. no time-skipping test server): count such a file as a failure.
    failed += r.testResults.filter((f) => f.status === "failed" && !f.assertionResults.some((a) => a.status === "failed")).length;
  }
  if (read === 0 && rc !== "0") failed += 1;
  passed += Number(passedChecks); failed += Number(failedChecks);
  console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$results,$web_results,$cluster_results" "$passed_checks" "$failed_checks" "$vitest_rc" >"$summary"
cat "$summary"
[ "$vitest_rc" -eq 0 ] && [ "$failed_checks" -eq 0 ]
