#!/usr/bin/env bash
# TIDINGS_PROFILE=cluster npm start: the production-shaped topology on one machine. The real
# temporal-server on PostgreSQL (scripts/infra/cluster.sh) instead of the dev server, and the roles
# split across processes as a deployment would run them: two workers sharing the task queue, two
# gateways sharing the Redis backplane, and one process for the API, consumers and simulators.
# Its own environment (TIDINGS_ENV=cluster by default), so it can run beside the dev profile on the
# same Kafka, MySQL and Redis without sharing a topic, queue, key or database.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-deps.sh
bash scripts/infra/up.sh
bash scripts/infra/cluster.sh
export TIDINGS_ENV="${TIDINGS_ENV:-cluster}"
export TEMPORAL_ADDRESS="127.0.0.1:${TEMPORAL_CLUSTER_PORT:-7333}"
export TEMPORAL_UI_URL="http://127.0.0.1:${TEMPORAL_CLUSTER_UI_PORT:-8333}"
export API_PORT="${API_PORT:-3000}"
GATEWAY_PORTS=("${GATEWAY_PORT:-3001}" "${GATEWAY_PORT_2:-3002}")
export PUBLIC_GATEWAY_URL="${PUBLIC_GATEWAY_URL:-ws://127.0.0.1:${GATEWAY_PORTS[0]}/ws}"
export DEV_SIGN_IN="${DEV_SIGN_IN:-true}"
node --import tsx provision/cli.ts
node --import tsx scripts/build-web.ts

pids=()
run() { # run NAME ENV... : one process of the topology, its log lines prefixed with its name
  local name=$1; shift
  env "$@" node --import tsx main.ts > >(sed -u "s/^/[$name] /") 2>&1 &
  pids+=($!)
}
run worker-1 TIDINGS_ROLES=worker
run worker-2 TIDINGS_ROLES=worker SELF_CHECK_ON_START=false
run gateway-1 TIDINGS_ROLES=gateway GATEWAY_PORT="${GATEWAY_PORTS[0]}"
run gateway-2 TIDINGS_ROLES=gateway GATEWAY_PORT="${GATEWAY_PORTS[1]}"
run edge TIDINGS_ROLES=api,consumers,simulators
stop() { kill -TERM "${pids[@]}" 2>/dev/null || true; wait "${pids[@]}" 2>/dev/null || true; }
trap stop INT TERM
echo "[cluster] Temporal $TEMPORAL_ADDRESS (Web UI $TEMPORAL_UI_URL); API :$API_PORT; gateways :${GATEWAY_PORTS[0]} :${GATEWAY_PORTS[1]}; environment $TIDINGS_ENV"
# One process ending ends the topology: a supervisor (systemd, Kubernetes) would restart it; here
# the operator sees which one and why.
wait -n "${pids[@]}"
echo "[cluster] a process exited; stopping the others" >&2
stop
exit 1
