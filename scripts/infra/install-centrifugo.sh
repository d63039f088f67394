#!/usr/bin/env bash
# Builds Centrifugo (the benchmark's strongest anchor, never run by the app) from its Go module into
# .infra/centrifugo-$CENTRIFUGO_VERSION/bin. Idempotent: skipped when the binary exists. Not on
# `npm start`'s path: the build takes minutes of CPU, so only `npm run bench:gateway` asks for it.
# Needs Go and the Go module proxy; the module and build caches stay under .infra/go.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

CENTRIFUGO_VERSION=v6.9.1
CENTRIFUGO_DIR="$INFRA/centrifugo-$CENTRIFUGO_VERSION"
CENTRIFUGO_BIN="$CENTRIFUGO_DIR/bin/centrifugo"
if [ -x "$CENTRIFUGO_BIN" ]; then
  echo "$CENTRIFUGO_BIN"
  exit 0
fi
command -v go >/dev/null || die "Go is needed to build Centrifugo (go install); install Go 1.24+"
step "go install github.com/centrifugal/centrifugo/v6@$CENTRIFUGO_VERSION (log: $LOGS/centrifugo-build.log)" >&2
mkdir -p "$CENTRIFUGO_DIR/bin" "$INFRA/go"
# A heavy build on a shared machine: low priority, and the shared lock when one is in use.
GOBIN="$CENTRIFUGO_DIR/bin" GOPATH="$INFRA/go" GOMODCACHE="$INFRA/go/pkg/mod" GOCACHE="$INFRA/go/cache" \
  GOFLAGS=-modcacherw nice -n 10 go install "github.com/centrifugal/centrifugo/v6@$CENTRIFUGO_VERSION" \
  >>"$LOGS/centrifugo-build.log" 2>&1 || die "Centrifugo build failed; see $LOGS/centrifugo-build.log"
echo "$CENTRIFUGO_BIN"
