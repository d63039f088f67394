#!/usr/bin/env bash
# Builds Jaeger v2 (the trace backend of `npm start` and `npm test`, docs/tracing.md) from its Go
# module into .infra/jaeger-$JAEGER_VERSION/bin/jaeger. Idempotent: skipped when the binary exists.
# The module is github.com/jaegertracing/jaeger (its v1.x tags carry the v2 binary, cmd/jaeger:
# v1.75.0 is Jaeger 2.12.0; v1.76.0 is not an approved release). Its go.mod has a replace directive, which `go install pkg@version`
# refuses, so it is built from scripts/infra/jaeger/go.mod (the same replace). The first build
# compiles an OpenTelemetry Collector distribution: several minutes on two cores, with progress, so
# up.sh runs it in the background (through start-jaeger.sh) and no start waits on it.
# Module and build caches are Go's own (~/go/pkg/mod, ~/.cache/go-build), as for the cluster
# profile's temporal-server: a fresh clone on a machine that built it once links in seconds.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

JAEGER_DIR="$INFRA/jaeger-$JAEGER_VERSION"
JAEGER_BIN="$JAEGER_DIR/bin/jaeger"
if [ -x "$JAEGER_BIN" ]; then
  echo "$JAEGER_BIN"
  exit 0
fi
# One build at a time for this .infra/ (two checkouts, or npm test beside npm start): the second
# waits for the first and finds the binary.
mkdir -p "$JAEGER_DIR/bin"
exec 9>"$JAEGER_DIR/.build.lock"
flock 9
if [ -x "$JAEGER_BIN" ]; then
  echo "$JAEGER_BIN"
  exit 0
fi
command -v go >/dev/null || [ ! -x /usr/local/go/bin/go ] || PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || die "Go is needed to build Jaeger (go build); install Go 1.24+ (apt-get install golang-go, or https://go.dev/dl)"
# The module asks for a newer Go than Debian may have: let go fetch that toolchain from the proxy.
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
log="$LOGS/jaeger-build.log"
step "go build github.com/jaegertracing/jaeger/cmd/jaeger $JAEGER_MODULE_VERSION (Jaeger $JAEGER_VERSION; first build takes several minutes; log: $log)" >&2
# Low priority on a shared machine; -v names each package as it is compiled, counted for progress.
# Built to a temporary name and moved, so an interrupted build never leaves a half binary behind.
(cd "$ROOT/scripts/infra/jaeger" &&
  GOFLAGS="-mod=mod" nice -n 10 go build -v -o "$JAEGER_BIN.tmp" github.com/jaegertracing/jaeger/cmd/jaeger) 2>&1 |
  tee -a "$log" | awk '!/^go: / { n++; if (n % 200 == 0) { printf "[infra] jaeger build: %d packages compiled\n", n; fflush() } }' >&2 \
  || die "Jaeger build failed; see $log"
mv "$JAEGER_BIN.tmp" "$JAEGER_BIN"
echo "$JAEGER_BIN"
