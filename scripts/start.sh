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
# main.ts ends its start with the "First five minutes" block (README, runtime/up-block.ts); told
# when this start began, it says how long the whole of it took, installs included.
export TIDINGS_STARTED_AT="$started"
exec node --import tsx main.ts
