#!/usr/bin/env bash
# npm start: install what is missing, start the local servers, provision them, run every role.
set -euo pipefail
cd "$(dirname "$0")/.."
# TIDINGS_PROFILE=cluster: the real temporal-server on PostgreSQL, roles in separate processes.
if [ "${TIDINGS_PROFILE:-dev}" = cluster ]; then exec bash scripts/start-cluster.sh; fi
[ "${TIDINGS_PROFILE:-dev}" = dev ] || { echo "TIDINGS_PROFILE must be dev or cluster" >&2; exit 2; }
started=$(date +%s)
# A first run installs node_modules (npm ci) while up.sh installs and starts the servers; both
# are needed only by provisioning below. The test tools (Chromium, docker-compose) are npm test's.
source scripts/ensure-node.sh
mkdir -p .data/logs
npm_ci_pid=
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[deps] npm ci, beside the servers' install (first run or lockfile changed; log: .data/logs/npm-ci.log)"
  npm ci --no-audit --no-fund --loglevel=error >.data/logs/npm-ci.log 2>&1 &
  npm_ci_pid=$!
fi
TIDINGS_TEST_TOOLS=0 bash scripts/infra/up.sh
if [ -n "$npm_ci_pid" ]; then
  wait "$npm_ci_pid" || { tail -n 20 .data/logs/npm-ci.log >&2; echo "[deps] npm ci failed; see .data/logs/npm-ci.log" >&2; exit 1; }
  echo "[deps] npm ci done"
fi
source scripts/ensure-deps.sh
node --import tsx provision/cli.ts
node --import tsx scripts/build-web.ts
# The demo sign-in of the web app is on for a local start (never in production).
export DEV_SIGN_IN="${DEV_SIGN_IN:-true}"
# Once the API answers and serves the web app: the "First five minutes" block (README), with how long
# this start took. A background watcher, so it ends with (or before) the app and never delays it.
api="http://127.0.0.1:${API_PORT:-3000}"
(
  for _ in $(seq 1 600); do
    if curl -sf -o /dev/null "$api/health" && curl -sf -o /dev/null "$api/"; then
      if curl -sf -o /dev/null "${TRACING_UI_URL:-http://127.0.0.1:16686}/api/services"; then traces="${TRACING_UI_URL:-http://127.0.0.1:16686}"
      else traces="${TRACING_UI_URL:-http://127.0.0.1:16686} (Jaeger still building in the background: npm run infra:status)"; fi
      cat <<BLOCK

  ── Tidings is up in $(( $(date +%s) - started )) s ──────────────────────────────────────────
  Web app       $api/             API reference  $api/docs
  Temporal UI   ${TEMPORAL_UI_URL:-http://127.0.0.1:8233}     Traces         $traces
  Sign in       any name on the web app's demo sign-in (alice, bob, …), one user per tab;
                for curl: npm run -s token -- alice
  Try           1. Purchase: Simulate, then Contract; watch its status change live.
                2. Chat: tab A as alice, tab B as bob; alice talks to bob and sends: ✓ sent,
                   ✓✓ delivered, blue ✓✓ once bob opens the conversation.
                3. Notifications: set Send at 30 s ahead, Schedule; it lands in the Inbox then.
  Stop with Ctrl-C (the servers keep running: npm run infra:down)

BLOCK
      exit 0
    fi
    sleep 0.5
  done
) &
exec node --import tsx main.ts
