#!/usr/bin/env bash
# The production-shaped Temporal of the cluster profile (TIDINGS_PROFILE=cluster): the real
# temporal-server (frontend, history, matching and worker services) built from its Go module, its
# persistence and visibility in PostgreSQL (Debian's package; Temporal does not support MariaDB),
# a configurable number of history shards, and the standalone Web UI. Beside the dev server, on
# ports of its own, so the default profile and the tests keep running.
# Idempotent: installs what is missing (the first build takes minutes), starts what is not up.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

TEMPORAL_SERVER_VERSION=1.32.2
# 2.58.x needs go.temporal.io/api v1.64.0, which the Go module proxy does not serve (403); keep in
# step with scripts/infra/temporal-ui/go.mod.
TEMPORAL_UI_SERVER_VERSION=2.56.1
CLUSTER_HOME="$INFRA/temporal-cluster-$TEMPORAL_SERVER_VERSION"
CLUSTER_DATA="$DATA/temporal-cluster"
PG_PORT="${TEMPORAL_CLUSTER_PG_PORT:-5433}"
FRONTEND_PORT="${TEMPORAL_CLUSTER_PORT:-7333}"
UI_PORT="${TEMPORAL_CLUSTER_UI_PORT:-8333}"
SHARDS="${TEMPORAL_HISTORY_SHARDS:-4}"
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)

# --- install ---------------------------------------------------------------------------------------
if [ -z "$PG_BIN" ]; then
  step "apt-get install postgresql (log: $LOGS/apt.log)"
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql; } >>"$LOGS/apt.log" 2>&1 \
    || die "apt-get install postgresql failed; see $LOGS/apt.log"
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi
command -v go >/dev/null || die "Go is needed to build temporal-server (apt-get install golang-go, or https://go.dev/dl)"
# The module asks for a newer Go than Debian may have: let go fetch that toolchain from the proxy.
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
if [ ! -x "$CLUSTER_HOME/bin/temporal-server" ] || [ ! -x "$CLUSTER_HOME/bin/temporal-sql-tool" ]; then
  step "go install go.temporal.io/server v$TEMPORAL_SERVER_VERSION (server and sql tool; first build takes several minutes; log: $LOGS/go-build.log)"
  mkdir -p "$CLUSTER_HOME/bin" "$CLUSTER_HOME/gobin"
  GOBIN="$CLUSTER_HOME/gobin" nice -n 10 go install "go.temporal.io/server/cmd/server@v$TEMPORAL_SERVER_VERSION" \
    "go.temporal.io/server/cmd/tools/sql@v$TEMPORAL_SERVER_VERSION" >>"$LOGS/go-build.log" 2>&1 \
    || die "building temporal-server failed; see $LOGS/go-build.log"
  mv "$CLUSTER_HOME/gobin/server" "$CLUSTER_HOME/bin/temporal-server"
  mv "$CLUSTER_HOME/gobin/sql" "$CLUSTER_HOME/bin/temporal-sql-tool"
fi
if [ ! -x "$CLUSTER_HOME/bin/temporal-ui-server" ]; then
  # Built from scripts/infra/temporal-ui/go.mod: it pins one dependency of the UI server to a
  # version the Go module proxy serves.
  step "go build github.com/temporalio/ui-server/v2 v$TEMPORAL_UI_SERVER_VERSION (log: $LOGS/go-build.log)"
  (cd "$ROOT/scripts/infra/temporal-ui" && GOFLAGS=-mod=mod nice -n 10 go build -o "$CLUSTER_HOME/bin/temporal-ui-server" \
    github.com/temporalio/ui-server/v2/cmd/server) >>"$LOGS/go-build.log" 2>&1 || die "building the Temporal UI server failed; see $LOGS/go-build.log"
fi
# The SQL schema ships in the server's module (same version as the binary).
SCHEMA="$(GOFLAGS=-mod=mod go env GOMODCACHE)/go.temporal.io/server@v$TEMPORAL_SERVER_VERSION/schema/postgresql/v12"
[ -d "$SCHEMA" ] || die "schema directory $SCHEMA missing (go clean -modcache?); remove $CLUSTER_HOME and run again"

# --- PostgreSQL ------------------------------------------------------------------------------------
# Runs as the unprivileged postgres user (the server refuses root), data under .data/postgres
# (postgres_data_dir in lib.sh says where when that user cannot enter .data).
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
PG_DATA="$(postgres_data_dir)"
[ "$PG_DATA" = "$DATA/postgres" ] || step "postgres: the postgres user cannot enter $DATA; its data is in $PG_DATA"
pg_ready() { "$PG_BIN/pg_isready" -h 127.0.0.1 -p "$PG_PORT" -q; }
if pg_ready 2>/dev/null; then
  step "postgres: already up on $PG_PORT"
else
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    step "postgres: initialising $PG_DATA"
    mkdir -p "$PG_DATA"
    [ "$(id -u)" = 0 ] && chown postgres: "$PG_DATA"
    as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust -E UTF8 >>"$LOGS/postgres.log" 2>&1 \
      || die "initdb failed; see $LOGS/postgres.log"
  fi
  step "postgres: starting on 127.0.0.1:$PG_PORT"
  touch "$LOGS/postgres.log"
  [ "$(id -u)" = 0 ] && chown postgres: "$LOGS/postgres.log"
  setsid nohup runuser -u postgres -- "$PG_BIN/postgres" -D "$PG_DATA" -h 127.0.0.1 -p "$PG_PORT" -k /tmp \
    -c max_connections=200 -c fsync=on >>"$LOGS/postgres.log" 2>&1 </dev/null &
  echo $! >"$PIDS/postgres.pid"
  wait_for postgres "$LOGS/postgres.log" 30 pg_ready
fi
psql_pg() { "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qtA "$@"; }
if [ "$(psql_pg -c "SELECT 1 FROM pg_roles WHERE rolname = 'temporal'")" != 1 ]; then
  psql_pg -c "CREATE ROLE temporal LOGIN PASSWORD 'temporal' CREATEDB" >/dev/null
fi
sqltool() { "$CLUSTER_HOME/bin/temporal-sql-tool" --plugin postgres12 --ep 127.0.0.1 -p "$PG_PORT" -u temporal --pw temporal "$@"; }
for db in temporal temporal_visibility; do
  dir=$([ "$db" = temporal ] && echo temporal || echo visibility)
  if [ "$(psql_pg -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" != 1 ]; then
    step "postgres: database $db with Temporal's schema"
    { sqltool --db "$db" create-database && sqltool --db "$db" setup-schema -v 0.0; } >>"$LOGS/temporal-cluster.log" 2>&1 \
      || die "schema setup of $db failed; see $LOGS/temporal-cluster.log"
  fi
  # Every start: apply the versions of the schema this binary brings that are not applied yet.
  sqltool --db "$db" update-schema -d "$SCHEMA/$dir/versioned" >>"$LOGS/temporal-cluster.log" 2>&1 \
    || die "schema update of $db failed; see $LOGS/temporal-cluster.log"
done

# --- temporal-server -------------------------------------------------------------------------------
mkdir -p "$CLUSTER_DATA/config"
# The shard count is fixed when the cluster is created: a different count needs a new database.
if [ -f "$CLUSTER_DATA/shards" ] && [ "$(cat "$CLUSTER_DATA/shards")" != "$SHARDS" ]; then
  die "this cluster was created with $(cat "$CLUSTER_DATA/shards") history shards; TEMPORAL_HISTORY_SHARDS=$SHARDS needs a new cluster: stop it (scripts/infra/down.sh) and remove .data/postgres and .data/temporal-cluster"
fi
echo "$SHARDS" >"$CLUSTER_DATA/shards"
sed -e "s/@PG_PORT@/$PG_PORT/g" -e "s/@SHARDS@/$SHARDS/g" -e "s/@FRONTEND_PORT@/$FRONTEND_PORT/g" \
  -e "s#@DYNAMIC@#$CLUSTER_DATA/config/dynamicconfig.yaml#g" \
  "$ROOT/scripts/infra/temporal-cluster.yaml.tmpl" >"$CLUSTER_DATA/config/tidings.yaml"
cp "$ROOT/scripts/infra/temporal-cluster-dynamicconfig.yaml" "$CLUSTER_DATA/config/dynamicconfig.yaml"
CLI="$VENV/bin/temporal"
cluster_ready() { "$CLI" operator cluster health --address "127.0.0.1:$FRONTEND_PORT" 2>/dev/null | grep -q SERVING; }
if cluster_ready; then
  step "temporal-server: already up on $FRONTEND_PORT"
else
  step "temporal-server $TEMPORAL_SERVER_VERSION: starting on 127.0.0.1:$FRONTEND_PORT ($SHARDS history shards, PostgreSQL on $PG_PORT)"
  spawn temporal-cluster "$CLUSTER_HOME/bin/temporal-server" --root "$CLUSTER_DATA" --config config --env tidings \
    start --service frontend --service history --service matching --service worker
  wait_for temporal-server "$LOGS/temporal-cluster.log" 120 cluster_ready
fi
namespace_ready() { "$CLI" operator namespace describe -n default --address "127.0.0.1:$FRONTEND_PORT" >/dev/null 2>&1; }
if ! namespace_ready; then
  step "temporal-server: registering namespace default"
  "$CLI" operator namespace create -n default --retention 72h --address "127.0.0.1:$FRONTEND_PORT" >>"$LOGS/temporal-cluster.log" 2>&1 || true
  wait_for "namespace default" "$LOGS/temporal-cluster.log" 60 namespace_ready
fi

# --- Web UI ----------------------------------------------------------------------------------------
ui_ready() { port_open "$UI_PORT"; }
if ui_ready; then
  step "temporal ui: already up on $UI_PORT"
else
  cat >"$CLUSTER_DATA/config/ui.yaml" <<YAML
temporalGrpcAddress: 127.0.0.1:$FRONTEND_PORT
host: 127.0.0.1
port: $UI_PORT
enableUi: true
defaultNamespace: default
YAML
  spawn temporal-ui "$CLUSTER_HOME/bin/temporal-ui-server" --root "$CLUSTER_DATA" --config config --env ui start
  wait_for "temporal ui" "$LOGS/temporal-ui.log" 30 ui_ready
fi
step "cluster profile Temporal up: temporal-server :$FRONTEND_PORT ($SHARDS shards, PostgreSQL :$PG_PORT), Web UI http://127.0.0.1:$UI_PORT"
