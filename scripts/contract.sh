#!/usr/bin/env bash
# npm run test:contract (and a check of npm test): the API contract checked from outside.
# Starts the whole system from this checkout in an environment of its own (every role, on free
# ports), then runs Schemathesis against its GET /openapi.json with every check on and all four
# phases (examples, coverage, fuzzing, stateful), a fixed seed and a bounded number of examples per
# operation; stops the system and removes the environment. Fails on any failure and on any operation
# no schema-valid request got past 4xx (warning `missing_test_data`, see test/contract/schemathesis.toml).
#
#   CONTRACT_SEED (default 20261206)   the seed; a run with the same seed makes the same requests
#   CONTRACT_MAX_EXAMPLES (default 25) cases per operation and phase
#   CONTRACT_MAX_TIME                  optional time budget in seconds for the whole Schemathesis run
#   CONTRACT_API_URL                   run against that API instead of starting one (its token:
#                                      CONTRACT_TOKEN, else one signed with this checkout's JWT_SECRET)
# Arguments go to `st run` (e.g. --include-path /ping); `replay <id> [--keep]` replays one failure.
# Reports (JUnit, the VCR cassette of every request, NDJSON events) and crash files for `st replay`
# go to .data/contract/ (git-ignored). README, "The API contract", says how to reproduce a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-deps.sh
VENV="${TIDINGS_INFRA_DIR:-.infra}/venv"
OUT=.data/contract
mkdir -p "$OUT"
SEED="${CONTRACT_SEED:-20261206}"
MAX_EXAMPLES="${CONTRACT_MAX_EXAMPLES:-25}"

# Schemathesis and the servers come from the project's own install (scripts/infra/install.sh).
bash scripts/infra/up.sh || exit 1
[ -x "$VENV/bin/st" ] || { echo "[contract] $VENV/bin/st missing; scripts/infra/install.sh installs it" >&2; exit 1; }

server_pid=
own_env=
cleanup() {
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null
  fi
  if [ -n "$own_env" ]; then
    TIDINGS_ENV="$own_env" LOG_LEVEL=warn node --import tsx provision/cli.ts --teardown >/dev/null ||
      echo "[contract] teardown of $own_env failed; 'provision/cli.ts --sweep' removes it later"
  fi
}
trap cleanup EXIT

api="${CONTRACT_API_URL:-}"
if [ -z "$api" ]; then
  # Its own environment (test-…, swept by the next npm test if this run dies before its teardown),
  # also inside npm test: the system it starts runs consumers, which must not share the suite's queues.
  own_env="$(node --import tsx -e "import('./platform/names.ts').then((m) => console.log(m.newEphemeralEnv('test')))")"
  export TIDINGS_ENV="$own_env"
  echo "[contract] environment $TIDINGS_ENV (removed at the end)"
  LOG_LEVEL=warn node --import tsx provision/cli.ts >/dev/null || exit 1
  [ -f web/dist/app.js ] || node --import tsx scripts/build-web.ts || exit 1
  read -r api_port gateway_port < <(node -e '
    const net = require("net");
    const free = () => new Promise((r) => { const s = net.createServer().listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => r(p)); }); });
    Promise.all([free(), free()]).then((p) => console.log(p.join(" ")));')
  # Rate limits out of the way (Schemathesis sends thousands of requests with one token; the 429 is
  # documented and tested elsewhere); DEV_SIGN_IN so that POST /dev/token is there to be tested.
  API_PORT=$api_port GATEWAY_PORT=$gateway_port DEV_SIGN_IN=true SELF_CHECK_ON_START=false TRACING=true LOG_LEVEL=warn \
    API_RATE_LIMIT_PER_USER=1000000 API_RATE_LIMIT_PER_IP=1000000 \
    node --import tsx main.ts >"$OUT/server.log" 2>&1 &
  server_pid=$!
  api="http://127.0.0.1:$api_port"
  for _ in $(seq 1 240); do
    curl -sf -o /dev/null "$api/ready" && break
    kill -0 "$server_pid" 2>/dev/null || { echo "[contract] the system did not start; $OUT/server.log:" >&2; tail -n 30 "$OUT/server.log" >&2; exit 1; }
    sleep 0.5
  done
  curl -sf -o /dev/null "$api/ready" || { echo "[contract] $api/ready never answered 200; $OUT/server.log" >&2; exit 1; }
fi
# A backend client's token: it may act for any user (scope notifications:schedule-any), so generated
# user ids are accepted rather than all answered 403.
token="${CONTRACT_TOKEN:-$(node --import tsx scripts/dev-token.ts contract-fuzzer 7200 --scope notifications:schedule-any)}"
# The document's example member (bob) is a user the API knows, as a real one would be: one call of
# his own makes it so (a conversation with a never-seen user is refused with 409 unknown_member).
curl -sf -o /dev/null -H "Authorization: Bearer $(node --import tsx scripts/dev-token.ts bob 600)" "$api/conversations" ||
  { echo "[contract] could not make the example member bob known to $api" >&2; exit 1; }

# GET /traces/{traceId} answers only a trace of the caller's own that Jaeger holds: one request of
# the fuzzer's makes one (its X-Trace-Id), and test/contract/schemathesis.toml hands that id to the
# operation (CONTRACT_TRACE_ID), as a real client follows the header. Spans reach Jaeger in batches.
CONTRACT_TRACE_ID="$(curl -s -D - -o /dev/null -H "Authorization: Bearer $token" "$api/purchases" | awk 'tolower($1) == "x-trace-id:" { print $2 }' | tr -d '\r')"
export CONTRACT_TRACE_ID
for _ in $(seq 1 60); do
  curl -sf -o /dev/null -H "Authorization: Bearer $token" "$api/traces/$CONTRACT_TRACE_ID" && break
  sleep 0.5
done
curl -sf -o /dev/null -H "Authorization: Bearer $token" "$api/traces/$CONTRACT_TRACE_ID" ||
  echo "[contract] the trace $CONTRACT_TRACE_ID never reached Jaeger (is it up? scripts/infra/wait-jaeger.sh): GET /traces/{traceId} will be reported as missing test data" >&2

# `npm run test:contract -- replay <id>`: one failure again (the id is printed under it, its crash file
# is in .data/contract/cache), against a system started the same way; `--keep` keeps it once fixed.
if [ "${1:-}" = replay ]; then
  shift
  "$VENV/bin/st" --config-file test/contract/schemathesis.toml replay "$@" \
    --url "$api" --schema-location "$api/openapi.json" --header "Authorization: Bearer $token"
  exit $?
fi

echo "[contract] Schemathesis $("$VENV/bin/st" --version | awk '{print $NF}') against $api (seed $SEED, $MAX_EXAMPLES examples per operation)"
rm -rf "$OUT/report"
extra=()
[ -n "${CONTRACT_MAX_TIME:-}" ] && extra+=(--max-time "$CONTRACT_MAX_TIME")
"$VENV/bin/st" --config-file test/contract/schemathesis.toml run "$api/openapi.json" \
  --url "$api" \
  --checks all \
  --phases examples,coverage,fuzzing,stateful \
  --max-examples "$MAX_EXAMPLES" \
  --seed "$SEED" \
  --generation-database none \
  --header "Authorization: Bearer $token" \
  --report junit,vcr,ndjson --report-dir "$OUT/report" \
  --no-color "${extra[@]}" "$@"
rc=$?
echo "[contract] report: $OUT/report (junit.xml, the VCR cassette of every request, events.ndjson); crash files for st replay: $OUT/cache"
exit $rc
