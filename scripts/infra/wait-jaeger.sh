#!/usr/bin/env bash
# Waits (bounded) for Jaeger when its first build is still running in the background (up.sh): npm
# test's tracing tests read their traces back from it. npm start never waits on it. Returns at once
# when Jaeger answers or no build is running; non-zero when it gave up.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
jaeger_ready() { curl -sf -o /dev/null "http://127.0.0.1:$JAEGER_UI_PORT/api/services"; }
jaeger_ready && exit 0
pid_alive jaeger-build || exit 0
step "waiting for Jaeger's first build to finish (the tracing tests read traces from it; log: $LOGS/jaeger-build.log)"
deadline=$(( $(date +%s) + ${JAEGER_WAIT_SECONDS:-1200} ))
while ! jaeger_ready; do
  if ! pid_alive jaeger-build && ! jaeger_ready; then step "jaeger: its build ended without starting it; see $LOGS/jaeger-build.log"; exit 1; fi
  if [ "$(date +%s)" -ge "$deadline" ]; then step "jaeger: still not up after ${JAEGER_WAIT_SECONDS:-1200}s; see $LOGS/jaeger-build.log"; exit 1; fi
  sleep 2
done
step "jaeger: up"
