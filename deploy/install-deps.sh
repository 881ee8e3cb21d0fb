#!/usr/bin/env bash
# Install what CodeWorm needs on Debian 12 and fetch the tree-sitter grammars.
# Idempotent; runs as root or through sudo.   --if-missing: do nothing when all is there.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
packages=(build-essential cmake pkg-config git
          libzmq3-dev libczmq-dev libmsgpack-dev libcurl4-openssl-dev libtree-sitter-dev
          libgit2-dev libsqlite3-dev libyaml-dev libsodium-dev libmicrohttpd-dev
          libcmocka-dev python3 python3-zmq python3-msgpack valgrind hyperfine
          chromium python3-yaml curl)
# chromium: the dashboard's browser test (headless); python3-yaml: the deploy-file checks;
# curl: tests/deploy/compose_test.sh
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "install-deps: run as root or install sudo" >&2; exit 1; }
    sudo=sudo
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
elif [ "${1:-}" != "--if-missing" ]; then
  echo "install-deps: all Debian packages present"
fi

# Grammars go into the build tree (ignored by git); CMake also fetches them if missing.
"$here/fetch-grammars.sh" "${CW_GRAMMAR_DIR:-$top/build/grammars}"
