#!/usr/bin/env bash
# One line per local server: up or down, and where its log is.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
for pair in "temporal:$TEMPORAL_PORT" "temporal-ui:$TEMPORAL_UI_PORT" "kafka:$KAFKA_PORT" "moto:$AWS_PORT" "redis:$REDIS_PORT" "mariadb:$MYSQL_PORT" "jaeger:$JAEGER_OTLP_PORT" "jaeger-ui:$JAEGER_UI_PORT"; do
  name=${pair%%:*}; port=${pair##*:}
  if port_open "$port"; then state=up; else state=down; fi
  printf '%-12s %-5s 127.0.0.1:%-6s log: %s\n' "$name" "$state" "$port" "$LOGS/${name%-ui}.log"
done
# Jaeger's first build runs in the background (up.sh, start-jaeger.sh).
if pid_alive jaeger-build; then printf '%-12s %-5s %-16s log: %s\n' jaeger-build busy "(go build)" "$LOGS/jaeger-build.log"; fi
# The app's own HTTP roles (npm start), when they answer.
for pair in "api:${API_PORT:-3000}" "gateway:${GATEWAY_PORT:-3001}"; do
  name=${pair%%:*}; port=${pair##*:}
  if curl -sf -o /dev/null "http://127.0.0.1:$port/health"; then state=up; else state=down; fi
  printf '%-12s %-5s 127.0.0.1:%-6s %s\n' "$name" "$state" "$port" "(npm start; /health, /ready, /metrics)"
done
