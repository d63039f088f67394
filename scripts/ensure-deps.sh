# Sourced by start.sh, test.sh and the other npm scripts that run the app: a Node >= 22 first
# (ensure-node.sh), then node_modules when missing or older than the lockfile.
source "$(dirname "${BASH_SOURCE[0]}")/ensure-node.sh"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[deps] npm ci (first run or lockfile changed)"
  npm ci --no-audit --no-fund --loglevel=error
fi
# kafkajs 2.2.4 (unmaintained) arms a negative timer in its request queue, which Node >= 23 reports
# as a TimeoutNegativeWarning on every start (harmless: Node runs it after 1 ms); docs/kafka-client.md.
export NODE_OPTIONS="${NODE_OPTIONS:-} --disable-warning=TimeoutNegativeWarning"
