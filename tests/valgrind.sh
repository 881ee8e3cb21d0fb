#!/usr/bin/env bash
# Run every unit test under valgrind (memcheck): any error or definite leak fails.
# Usage: tests/valgrind.sh [BUILD_DIR]     (make valgrind)
set -uo pipefail
build=$(cd "${1:-build}" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
export CW_SOURCE_DIR="$top" CW_BIN_DIR="$build/bin" CW_PORT_BASE=26000
logdir="$build/valgrind"
mkdir -p "$logdir"
failed=0 passed=0
for t in "$build"/tests/test_*; do
  [ -x "$t" ] || continue
  name=$(basename "$t")
  start=$(date +%s)
  (cd "$build" && valgrind -q --leak-check=full --errors-for-leak-kinds=definite \
     --error-exitcode=99 --trace-children=no "$t") >"$logdir/$name.log" 2>&1
  rc=$?
  if [ $rc -eq 0 ]; then
    passed=$((passed + 1)); echo "ok   $name ($(( $(date +%s) - start )) s)"
  else
    failed=$((failed + 1)); echo "FAIL $name (exit $rc; see $logdir/$name.log)"
    tail -20 "$logdir/$name.log" | sed 's/^/     /'
  fi
done
echo "valgrind: $passed passed, $failed failed"
[ $failed -eq 0 ]
