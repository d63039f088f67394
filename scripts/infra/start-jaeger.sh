#!/usr/bin/env bash
# Builds Jaeger when it is not built yet (install-jaeger.sh: minutes of Go on the first run), starts
# it and waits until it answers. up.sh runs it in the foreground when the binary is already there
# (seconds) and in the background otherwise, so no start waits on Go: the app's processes begin
# exporting their spans when Jaeger answers (platform/tracing.ts logs "tracing: exporting spans").
set -euo pipefail
source "$(dirname "$0")/lib.sh"
jaeger_ready() { curl -sf -o /dev/null "http://127.0.0.1:$JAEGER_UI_PORT/api/services"; }
jaeger_bin=$(bash "$ROOT/scripts/infra/install-jaeger.sh")
# Another start may have brought it up meanwhile (a second checkout, or npm test beside npm start).
if jaeger_ready 2>/dev/null; then step "jaeger: already up on $JAEGER_OTLP_PORT"; exit 0; fi
step "jaeger $JAEGER_VERSION: starting, OTLP/HTTP on 127.0.0.1:$JAEGER_OTLP_PORT, UI http://127.0.0.1:$JAEGER_UI_PORT"
JAEGER_OTLP_PORT=$JAEGER_OTLP_PORT JAEGER_UI_PORT=$JAEGER_UI_PORT JAEGER_QUERY_GRPC_PORT=$JAEGER_QUERY_GRPC_PORT \
  JAEGER_HEALTH_PORT=$JAEGER_HEALTH_PORT spawn jaeger "$jaeger_bin" --config "$ROOT/scripts/infra/jaeger/config.yaml"
wait_for jaeger "$LOGS/jaeger.log" 60 jaeger_ready
step "jaeger: up, traces at http://127.0.0.1:$JAEGER_UI_PORT"
