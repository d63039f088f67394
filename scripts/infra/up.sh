#!/usr/bin/env bash
# Installs what is missing, then starts every local server that is not already answering, and waits
# until each one is ready. A server already up (from this checkout or an earlier one) is reused, so
# a second run takes seconds. Loopback only.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bash "$ROOT/scripts/infra/install.sh"

# --- Redis ---------------------------------------------------------------------------------------
redis_ready() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping | grep -q PONG; }
if redis_ready 2>/dev/null; then
  step "redis: already up on $REDIS_PORT"
else
  step "redis: starting on 127.0.0.1:$REDIS_PORT"
  mkdir -p "$DATA/redis"
  spawn redis redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$DATA/redis" \
    --save '' --appendonly no --daemonize no
  wait_for redis "$LOGS/redis.log" 20 redis_ready
fi

# --- MariaDB -------------------------------------------------------------------------------------
MYSQL_SOCK="$DATA/mysql.sock"
# Each environment (TIDINGS_ENV: the live system, every test run and benchmark) has a database of
# its own named tidings_<env>, so the app user may create and drop databases named tidings*.
app_user_ready() {
  mariadb --protocol=tcp -h 127.0.0.1 -P "$MYSQL_PORT" -u "$MYSQL_USER" -p"$MYSQL_PASSWORD" \
    -e "CREATE DATABASE IF NOT EXISTS \`tidings_dev\`"
}
# Runs as the socket-authenticated root of the server this script started, to create the app user.
create_app_user() {
  mariadb --socket="$MYSQL_SOCK" -u root <<SQL
CREATE USER IF NOT EXISTS '$MYSQL_USER'@'127.0.0.1' IDENTIFIED BY '$MYSQL_PASSWORD';
CREATE USER IF NOT EXISTS '$MYSQL_USER'@'localhost' IDENTIFIED BY '$MYSQL_PASSWORD';
GRANT ALL PRIVILEGES ON \`tidings%\`.* TO '$MYSQL_USER'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`tidings%\`.* TO '$MYSQL_USER'@'localhost';
FLUSH PRIVILEGES;
SQL
}
if app_user_ready >/dev/null 2>&1; then
  step "mariadb: already up on $MYSQL_PORT"
elif port_open "$MYSQL_PORT" && [ -S "$MYSQL_SOCK" ] && mariadb-admin --socket="$MYSQL_SOCK" -u root ping >/dev/null 2>&1; then
  # Ours, started by an older version of this script: widen the app user's grants.
  step "mariadb: granting '$MYSQL_USER' the tidings* databases"
  create_app_user >>"$LOGS/mariadb.log" 2>&1 || die "granting failed; see $LOGS/mariadb.log"
  wait_for mariadb "$LOGS/mariadb.log" 20 app_user_ready
elif port_open "$MYSQL_PORT" && ! [ -S "$MYSQL_SOCK" ]; then
  die "port $MYSQL_PORT is taken by a MySQL server this project did not start, and user '$MYSQL_USER' cannot create databases named tidings* there (each environment has its own). Grant it, stop that server, or set MYSQL_PORT."
else
  if ! [ -d "$DATA/mysql/mysql" ]; then
    step "mariadb: initialising data directory $DATA/mysql"
    mariadb-install-db --no-defaults --datadir="$DATA/mysql" --user=root \
      --auth-root-authentication-method=socket --skip-test-db >>"$LOGS/mariadb.log" 2>&1 \
      || die "mariadb-install-db failed; see $LOGS/mariadb.log"
  fi
  if ! port_open "$MYSQL_PORT"; then
    step "mariadb: starting on 127.0.0.1:$MYSQL_PORT"
    spawn mariadb mariadbd --no-defaults --datadir="$DATA/mysql" --user=root \
      --bind-address=127.0.0.1 --port="$MYSQL_PORT" --socket="$MYSQL_SOCK" \
      --pid-file="$DATA/mysql.pid" --skip-name-resolve --max-connections=500 \
      --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
      --innodb-buffer-pool-size=256M
    wait_for mariadb "$LOGS/mariadb.log" 60 mariadb-admin --socket="$MYSQL_SOCK" -u root ping
  fi
  create_app_user >>"$LOGS/mariadb.log" 2>&1 || die "creating the app user failed; see $LOGS/mariadb.log"
  wait_for mariadb "$LOGS/mariadb.log" 20 app_user_ready
fi

# --- SNS/SQS (moto) ------------------------------------------------------------------------------
moto_ready() { curl -sf -o /dev/null "http://127.0.0.1:$AWS_PORT/moto-api/"; }
if moto_ready 2>/dev/null; then
  step "moto (SNS/SQS): already up on $AWS_PORT"
else
  step "moto (SNS/SQS): starting on 127.0.0.1:$AWS_PORT"
  spawn moto "$VENV/bin/python" "$ROOT/scripts/infra/moto/serve.py" -H 127.0.0.1 -p "$AWS_PORT"
  wait_for moto "$LOGS/moto.log" 60 moto_ready
fi

# --- Temporal dev server + Web UI ----------------------------------------------------------------
temporal_ready() { "$VENV/bin/temporal" operator cluster health --address "127.0.0.1:$TEMPORAL_PORT"; }
if temporal_ready >/dev/null 2>&1; then
  step "temporal: already up on $TEMPORAL_PORT (Web UI http://127.0.0.1:$TEMPORAL_UI_PORT)"
else
  step "temporal: starting dev server on 127.0.0.1:$TEMPORAL_PORT, Web UI on $TEMPORAL_UI_PORT"
  mkdir -p "$DATA/temporal"
  spawn temporal "$VENV/bin/temporal" server start-dev --ip 127.0.0.1 --port "$TEMPORAL_PORT" \
    --ui-port "$TEMPORAL_UI_PORT" --db-filename "$DATA/temporal/temporal.sqlite" --log-level warn \
    --sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=normal
  wait_for temporal "$LOGS/temporal.log" 60 temporal_ready
fi

# --- Kafka (KRaft, single node) ------------------------------------------------------------------
KAFKA_HOME="$INFRA/kafka-$KAFKA_VERSION"
KAFKA_DATA="$DATA/kafka"
# The broker is ready once its client listener answers; provisioning then waits for leaders.
kafka_ready() { port_open "$KAFKA_PORT"; }
if kafka_ready; then
  step "kafka: already up on $KAFKA_PORT"
else
  mkdir -p "$KAFKA_DATA/logs"
  cat >"$KAFKA_DATA/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$KAFKA_DATA/logs
num.partitions=3
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
log.retention.hours=168
PROPS
  cat >"$KAFKA_DATA/log4j.properties" <<'PROPS'
log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaServer=INFO
log4j.logger.kafka.server.BrokerServer=INFO
PROPS
  kjava=(java -Xms256m -Xmx768m -cp "$KAFKA_HOME/libs/*" "-Dlog4j.configuration=file:$KAFKA_DATA/log4j.properties")
  if ! [ -f "$KAFKA_DATA/logs/meta.properties" ]; then
    step "kafka: formatting KRaft storage in $KAFKA_DATA"
    cluster_id=$("${kjava[@]}" kafka.tools.StorageTool random-uuid 2>>"$LOGS/kafka.log")
    "${kjava[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_DATA/server.properties" \
      --ignore-formatted >>"$LOGS/kafka.log" 2>&1 || die "kafka storage format failed; see $LOGS/kafka.log"
  fi
  step "kafka: starting broker on 127.0.0.1:$KAFKA_PORT"
  spawn kafka "${kjava[@]}" kafka.Kafka "$KAFKA_DATA/server.properties"
  wait_for kafka "$LOGS/kafka.log" 90 kafka_ready
fi

# --- Jaeger v2 (traces) ---------------------------------------------------------------------------
# Optional for the app: until it answers every process keeps its spans queued (and drops the oldest),
# then exports them (platform/tracing.ts). Built from its Go module on the first run (minutes:
# install-jaeger.sh), so that build runs in the background and starts Jaeger when it is done; nothing
# here waits on Go. Built once, it starts in seconds.
jaeger_ready() { curl -sf -o /dev/null "http://127.0.0.1:$JAEGER_UI_PORT/api/services"; }
jaeger_state="up :$JAEGER_OTLP_PORT (UI http://127.0.0.1:$JAEGER_UI_PORT)"
if jaeger_ready 2>/dev/null; then
  step "jaeger: already up, OTLP/HTTP on $JAEGER_OTLP_PORT, UI http://127.0.0.1:$JAEGER_UI_PORT"
elif port_open "$JAEGER_OTLP_PORT" || port_open "$JAEGER_UI_PORT"; then
  step "jaeger: WARNING port $JAEGER_OTLP_PORT or $JAEGER_UI_PORT is taken by something else; traces go wherever TRACING_OTLP_URL points"
  jaeger_state="not started (port taken)"
elif [ -x "$INFRA/jaeger-$JAEGER_VERSION/bin/jaeger" ]; then
  bash "$ROOT/scripts/infra/start-jaeger.sh"
elif pid_alive jaeger-build; then
  step "jaeger $JAEGER_VERSION: still building in the background (log: $LOGS/jaeger-build.log); it starts by itself when built"
  jaeger_state="building in the background"
else
  # Detached like a server (spawn): it outlives this script and npm start's own exit.
  spawn jaeger-build bash "$ROOT/scripts/infra/start-jaeger.sh"
  step "jaeger $JAEGER_VERSION: first run, building it from its Go module in the background (several minutes; log: $LOGS/jaeger-build.log); it starts by itself when built, and the app sends its spans from then on"
  jaeger_state="building in the background"
fi

step "all servers up: temporal :$TEMPORAL_PORT (UI :$TEMPORAL_UI_PORT), kafka :$KAFKA_PORT, sns/sqs :$AWS_PORT, redis :$REDIS_PORT, mariadb :$MYSQL_PORT, jaeger $jaeger_state"
