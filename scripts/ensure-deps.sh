# Sourced by start.sh, test.sh and the other npm scripts that run the app: a Node >= 22 first
# (ensure-node.sh), then node_modules when missing or older than the lockfile.
source "$(dirname "${BASH_SOURCE[0]}")/ensure-node.sh"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[deps] npm ci (first run or lockfile changed)"
  npm ci --no-audit --no-fund --loglevel=error
fi
