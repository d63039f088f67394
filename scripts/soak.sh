#!/usr/bin/env bash
# npm run soak: the system under steady load while its parts are killed and paused (bench/soak/).
# It starts servers of its own (ports and data under .data/soak/), never the shared ones, so it
# needs only what scripts/infra/install.sh puts in .infra/ (run through up.sh, as the benchmarks do).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-deps.sh
bash scripts/infra/up.sh
node --import tsx bench/soak/run.ts
