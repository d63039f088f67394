#!/usr/bin/env bash
# Runs one benchmark under bench/ against the local servers: npm run bench:<name>.
# Each run works in an environment of its own (TIDINGS_ENV=bench-…), provisioned first and removed
# at the end, so a live `npm start` or a test run on the same servers is never disturbed.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-deps.sh
bash scripts/infra/up.sh
# TIDINGS_PROFILE=cluster: the same benchmark on the real temporal-server (README, "Cluster
# profile"); its results go to a section of their own beside the dev server's.
if [ "${TIDINGS_PROFILE:-dev}" = cluster ]; then
  bash scripts/infra/cluster.sh
  export TEMPORAL_ADDRESS="127.0.0.1:${TEMPORAL_CLUSTER_PORT:-7333}" TEMPORAL_UI_URL="http://127.0.0.1:${TEMPORAL_CLUSTER_UI_PORT:-8333}"
fi
TIDINGS_ENV="$(node --import tsx -e "import('./platform/names.ts').then((m) => console.log(m.newEphemeralEnv('bench')))")"
export TIDINGS_ENV
# Benchmarks measure the system without tracing (comparable with earlier figures); TRACING=true
# measures it with (docs/tracing.md, "Cost").
export TRACING="${TRACING:-false}"
echo "[bench] environment $TIDINGS_ENV (removed at the end)"
trap 'LOG_LEVEL=warn node --import tsx provision/cli.ts --teardown || true' EXIT
LOG_LEVEL=warn node --import tsx provision/cli.ts
# The gateway benchmark compares against Centrifugo, built from its Go module on first use (minutes).
if [ "$1" = gateway ]; then
  CENTRIFUGO_BIN="$(bash scripts/infra/install-centrifugo.sh)"
  export CENTRIFUGO_BIN
fi
node --import tsx "bench/$1/run.ts"
