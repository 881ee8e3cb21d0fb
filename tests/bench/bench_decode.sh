#!/usr/bin/env bash
# Worst decode time and memory of the bus's msgpack decoder for hostile 8 MiB frames
# (issue 10). Usage: bash tests/bench/bench_decode.sh [BUILD_DIR] (default build).
# Env: CW_BENCH_FRAME (bytes, default 8388608), CW_BENCH_RUNS (default 5).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
CC=${CC:-cc}
WORK=$(mktemp -d /tmp/cw-bench-decode.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
LIBS=$(pkg-config --libs libczmq libzmq msgpack libcurl libgit2 sqlite3 yaml-0.1)
$CC -O2 -std=c11 -D_GNU_SOURCE -I"$SRC/proto" -I"$SRC/common" -o "$WORK/bench_decode" \
  "$SRC/tests/bench/bench_decode.c" "$BUILD/libcw_common.a" $LIBS -lpthread -lm
echo "# bench_decode ${CW_BENCH_FRAME:-8388608} ${CW_BENCH_RUNS:-5} (built against $BUILD)"
"$WORK/bench_decode" "${CW_BENCH_FRAME:-8388608}" "${CW_BENCH_RUNS:-5}"
