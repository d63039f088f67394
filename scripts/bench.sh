#!/usr/bin/env bash
# Runs one benchmark under bench/ against the local servers: npm run bench:<name>.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-deps.sh
bash scripts/infra/up.sh
exec node --import tsx "bench/$1/run.ts"
