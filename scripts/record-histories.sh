#!/usr/bin/env bash
# npm run record:histories: runs the workflow and end-to-end suites against the dev server in an
# environment of its own, then records a few histories of every workflow type as replay fixtures
# (test/histories/); name suites to run only those. Commit the new files; test/replay.test.ts replays all of them in every npm test.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-deps.sh
bash scripts/infra/up.sh
TIDINGS_ENV="$(node --import tsx -e "import('./platform/names.ts').then((m) => console.log(m.newEphemeralEnv('test')))")"
export TIDINGS_ENV
trap 'LOG_LEVEL=warn node --import tsx provision/cli.ts --teardown || true' EXIT
LOG_LEVEL=warn node --import tsx provision/cli.ts
# Suites to run first: all end-to-end suites, or the ones named (npm run record:histories -- test/ledger.e2e.test.ts).
if [ $# -gt 0 ]; then SUITES=("$@"); else SUITES=(test/*.e2e.test.ts); fi
npx vitest run --project integration "${SUITES[@]}" || echo "[record] some suites failed; recording what ran"
node --import tsx scripts/record-histories.ts
