#!/usr/bin/env bash
# Stops the servers that up.sh started from this checkout (their pids are under .data/pids);
# servers started elsewhere are left alone. Data stays in .data/ for the next start.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# Jaeger's background build (up.sh), whole process group (go and its compilers): a build that
# finished later would start Jaeger after this stop.
if pid_alive jaeger-build; then
  step "stopping the Jaeger build (pid $(cat "$PIDS/jaeger-build.pid"))"
  kill -TERM -- "-$(cat "$PIDS/jaeger-build.pid")" 2>/dev/null || true
fi
rm -f "$PIDS/jaeger-build.pid"
for name in jaeger temporal-ui temporal-cluster kafka temporal moto mariadb redis; do
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
# PostgreSQL of the cluster profile: its own clean shutdown (it runs as the postgres user).
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -f "$PIDS/postgres.pid" ] && [ -n "$PG_BIN" ] && [ -f "$(postgres_data_dir)/postmaster.pid" ]; then
  step "stopping postgres"
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$(postgres_data_dir)" stop -m fast >/dev/null || true
  else "$PG_BIN/pg_ctl" -D "$(postgres_data_dir)" stop -m fast >/dev/null || true; fi
  rm -f "$PIDS/postgres.pid"
fi
step "stopped"
