#!/usr/bin/env bash
# npm start: install what is missing, start the local servers, provision them, run every role.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-deps.sh
bash scripts/infra/up.sh
node --import tsx provision/cli.ts
exec node --import tsx main.ts
