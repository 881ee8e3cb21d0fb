#!/usr/bin/env bash
# Analyzer benchmarks (issue 3): builds a corpus git repository of real code nobody here
# wrote (Python's standard library, npm's own JavaScript, C headers), then measures
#   floor   bare single-threaded tree-sitter parsing of the same files (bench_parse.c)
#   cold    `codeworm analyze` with the index and git cache deleted (2 worker threads)
#   cold/1  the same with CW_ANALYZER_THREADS=1
#   warm    `codeworm analyze` again, nothing changed
#   select  a cycle's target selection when warm: analyze_request through
#           cw_analyzer_handle in-process (bench_select.c), per doc type
# Usage: tests/bench/bench_analyzer.sh BUILD_DIR   (make bench runs it with the build dir)
# Env: CW_BENCH_RUNS (default 10), CW_BENCH_DIR (work dir, default a fresh /tmp dir, kept).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
RUNS=${CW_BENCH_RUNS:-10}
WORK=${CW_BENCH_DIR:-$(mktemp -d /tmp/cw-bench.XXXXXX)}
CORPUS=$WORK/corpus
CFG=$WORK/config
DATA=$WORK/data
CODEWORM=$BUILD/bin/codeworm
mkdir -p "$WORK"
[ -x "$CODEWORM" ] || { echo "bench: $CODEWORM missing (build first)" >&2; exit 1; }

# ---------------------------------------------------------------- corpus
/usr/bin/python3 "$SRC/tests/bench/make_corpus.py" "$CORPUS" "$WORK/files.txt"
LINES=$(xargs cat < "$WORK/files.txt" | wc -l)
FILES=$(wc -l < "$WORK/files.txt")
BYTES=$(xargs cat < "$WORK/files.txt" | wc -c)
echo "corpus: $CORPUS ($FILES files, $LINES lines, $BYTES bytes)"

mkdir -p "$CFG"
cat > "$CFG/config.yaml" <<EOF
data_dir: $DATA
devlog:
  repo_path: $WORK/devlog
analyzer:
  include_patterns: ["**/*.py", "**/*.ts", "**/*.tsx", "**/*.js", "**/*.go", "**/*.rs", "**/*.c", "**/*.h"]
EOF
cat > "$CFG/repos.yaml" <<EOF
repositories:
  - name: corpus
    path: $CORPUS
    weight: 5
    enabled: true
EOF

# ---------------------------------------------------------------- helper programs
CC=${CC:-cc}
TS_FLAGS=$(pkg-config --cflags --libs tree-sitter)
$CC -O2 -o "$WORK/bench_parse" "$SRC/tests/bench/bench_parse.c" "$BUILD/libcw_grammars.a" $TS_FLAGS
LIBS=$(pkg-config --libs libczmq libzmq msgpack yaml-0.1 libcurl sqlite3 libgit2 tree-sitter libsodium)
$CC -O2 -std=c11 -D_GNU_SOURCE -I"$SRC/services/analyzer" -I"$SRC/common" -I"$SRC/proto" \
  $(pkg-config --cflags tree-sitter) -o "$WORK/bench_select" "$SRC/tests/bench/bench_select.c" \
  "$BUILD/libcw_analyzer.a" "$BUILD/libcw_common.a" "$BUILD/libcw_grammars.a" $LIBS -lpthread -lm

ANALYZE="$CODEWORM --config $CFG analyze --repo $CORPUS --limit 20 --type function_doc"
RESULTS=$WORK/results.md
: > "$RESULTS"
row() { printf '| %s | %s | %s | `%s` |\n' "$1" "$2" "$3" "$4" | tee -a "$RESULTS"; }
median_of() { # hyperfine JSON -> median seconds
  /usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%.3f s (min %.3f, max %.3f)" % (r["median"], r["min"], r["max"]))' "$1"
}

echo "## analyzer benchmark, $(date -u +%F), $(nproc) cores, $FILES files / $LINES lines / $BYTES bytes" | tee -a "$RESULTS"

# floor
FLOOR=$("$WORK/bench_parse" "$WORK/files.txt" "$RUNS")
echo "floor: $FLOOR"
row "floor: tree-sitter parsing only, 1 thread (in-process, files preloaded)" \
  "$(echo "$FLOOR" | awk '{printf "%s s (min %s, max %s)", $8, $10, $12}')" "$RUNS" \
  "bench_parse files.txt $RUNS"

if command -v hyperfine >/dev/null; then
  HF="hyperfine --style none --runs $RUNS"
  $HF --export-json "$WORK/floor.json" "$WORK/bench_parse $WORK/files.txt 1" >/dev/null
  row "floor, whole process (start-up + reading + parsing)" "$(median_of "$WORK/floor.json")" "$RUNS" \
    "hyperfine '$WORK/bench_parse files.txt 1'"
  $HF --prepare "rm -rf $DATA" --export-json "$WORK/cold.json" "$ANALYZE" >/dev/null
  row "cold codeworm analyze (index + git cache deleted, 2 threads)" "$(median_of "$WORK/cold.json")" "$RUNS" \
    "hyperfine --prepare 'rm -rf DATA' '$ANALYZE'"
  $HF --prepare "rm -rf $DATA" --export-json "$WORK/cold1.json" "env CW_ANALYZER_THREADS=1 $ANALYZE" >/dev/null
  row "cold codeworm analyze, 1 thread" "$(median_of "$WORK/cold1.json")" "$RUNS" \
    "hyperfine --prepare 'rm -rf DATA' 'CW_ANALYZER_THREADS=1 $ANALYZE'"
  $ANALYZE >/dev/null
  $HF --warmup 1 --export-json "$WORK/warm.json" "$ANALYZE" >/dev/null
  row "warm codeworm analyze (nothing changed)" "$(median_of "$WORK/warm.json")" "$RUNS" \
    "hyperfine --warmup 1 '$ANALYZE'"
  $HF --warmup 1 --export-json "$WORK/version.json" "$CODEWORM version" >/dev/null
  row "process start-up alone (codeworm version)" "$(median_of "$WORK/version.json")" "$RUNS" \
    "hyperfine '$CODEWORM version'"
else
  echo "bench: hyperfine not installed (apt-get install hyperfine); skipping process timings" >&2
fi

# a cycle's selection, warm, in-process
"$WORK/bench_select" "$CFG" 30 | tee "$WORK/select.txt"
while read -r type _ n _ files _ runs _ med _ min _ max; do
  row "selection when warm: analyze_request $type, limit 20 ($n targets)" \
    "$med ms (min $min, max $max)" "$runs" "bench_select CONFIG 30 $type"
done < "$WORK/select.txt"
echo "results: $RESULTS (work dir $WORK)"
