#!/usr/bin/env bash
# npm start: install what is missing, start the local servers, provision them, run every role.
set -euo pipefail
cd "$(dirname "$0")/.."
# TIDINGS_PROFILE=cluster: the real temporal-server on PostgreSQL, roles in separate processes.
if [ "${TIDINGS_PROFILE:-dev}" = cluster ]; then exec bash scripts/start-cluster.sh; fi
[ "${TIDINGS_PROFILE:-dev}" = dev ] || { echo "TIDINGS_PROFILE must be dev or cluster" >&2; exit 2; }
source scripts/ensure-deps.sh
bash scripts/infra/up.sh
node --import tsx provision/cli.ts
node --import tsx scripts/build-web.ts
# The demo sign-in of the web app is on for a local start (never in production).
export DEV_SIGN_IN="${DEV_SIGN_IN:-true}"
exec node --import tsx main.ts
