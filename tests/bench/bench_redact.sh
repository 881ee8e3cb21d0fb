#!/usr/bin/env bash
# Redaction and grounding benchmarks (issue 8): speed of cw_redact over real code nobody
# here wrote (Python's standard library: a corpus without real secrets, so every redaction
# in it is a false positive, counted and shown), and of redaction and the grounding check
# on a target at the protocol's size bound (1 MiB source + 1 MiB context).
# Usage: tests/bench/bench_redact.sh BUILD_DIR   (make bench runs it with the build dir)
# Env: CW_BENCH_RUNS (default 10), CW_BENCH_SHOW (redacted lines shown, default 20).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
RUNS=${CW_BENCH_RUNS:-10}
SHOW=${CW_BENCH_SHOW:-20}
WORK=$(mktemp -d /tmp/cw-bench-redact.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
ls /usr/lib/python3.11/*.py | grep -v '/test_' | sort > "$WORK/files.txt"
LIBS=$(pkg-config --libs libczmq libzmq msgpack yaml-0.1 libcurl sqlite3 libgit2)
${CC:-cc} -O2 -std=c11 -D_GNU_SOURCE -I"$SRC/common" -I"$SRC/proto" -o "$WORK/bench_redact" \
  "$SRC/tests/bench/bench_redact.c" "$BUILD/libcw_common.a" $LIBS -lpthread -lm
"$WORK/bench_redact" "$WORK/files.txt" "$RUNS" --show "$SHOW"
