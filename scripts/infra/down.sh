#!/usr/bin/env bash
# Stops the servers that up.sh started from this checkout (their pids are under .data/pids);
# servers started elsewhere are left alone. Data stays in .data/ for the next start.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

for name in kafka temporal moto mariadb redis; do
  pidfile="$PIDS/$name.pid"
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    step "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && { step "$name did not stop in 30s, killing"; kill -KILL "$pid" 2>/dev/null || true; }
  fi
  rm -f "$pidfile"
done
step "stopped"
