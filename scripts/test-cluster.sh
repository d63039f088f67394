#!/usr/bin/env bash
# npm run test:cluster: one flow of each journey on the cluster profile (test/cluster/), against
# the real temporal-server on PostgreSQL that scripts/infra/cluster.sh installs and starts.
# Ends with the plain line `N passed, N failed`, like npm test.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-deps.sh
bash scripts/infra/up.sh
bash scripts/infra/cluster.sh
set +e
npx vitest run --config vitest.cluster.config.ts --reporter=default --reporter=json --outputFile.json=.data/vitest-cluster-results.json
rc=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(".data/vitest-cluster-results.json", "utf8"));
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests + (r.numTotalTests - r.numPassedTests - r.numFailedTests)} failed`);
' || echo "0 passed, 1 failed"
exit $rc
