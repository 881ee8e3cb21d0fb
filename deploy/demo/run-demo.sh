#!/usr/bin/env bash
# Start the whole stack on the demo configuration (used by `make run`).
set -euo pipefail
build=${1:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
(umask 077 && mkdir -p data/demo) # private, like everything CodeWorm keeps there
echo "CodeWorm demo: documenting $(pwd) into data/demo/devlog (offline backend, a cycle every 20 s)."
echo "Watch it:   git -C data/demo/devlog log --oneline      Stop it:   Ctrl-C"
echo "Dashboard:  http://127.0.0.1:8420/"
echo "The bus:    work on data/demo/run/*.sock (your user only), events on tcp://127.0.0.1:5557"
"$build/bin/codeworm" --config deploy/demo init >/dev/null
exec "$build/bin/codeworm" --config deploy/demo run
