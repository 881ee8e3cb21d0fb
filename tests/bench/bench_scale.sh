#!/usr/bin/env bash
# Scale-out benchmarks (issue 6). Self-contained: builds the benchmark corpus
# (make_corpus.py), starts the stand-in Ollama (tests/fakes/fake_ollama.py) and real stacks
# (`codeworm run`, schedule off) on their own ports, and drives cycles with
# `codeworm backfill --json` (the same recorded saga as a scheduled cycle):
#   A  instant LLM (the stand-in answers at once), 2 generators: documents committed per
#      second with 1 cycle in flight and with 8, and the CPU each process spends per
#      document (from /proc/<pid>/stat, measured between backfill's "start" and "summary")
#   B  LLM of fixed 400 ms latency per answer, served concurrently, 8 in flight:
#      documents per minute with 1, 2, 4 and 8 generators (a document is 2 LLM answers)
#   C  `codeworm run-once` against a running stack with the offline backend: wall time of
#      the whole command, median of N runs (on a fresh ledger: a cycle looks at the best 20
#      targets of each type only, and once those are documented it walks every type)
# Every part starts from an empty data directory and DevLog (after one warm-up run).
# Usage: bash tests/bench/bench_scale.sh BUILD_DIR   (make bench runs it with the build dir)
# Env: CW_BENCH_DIR (work dir, default a fresh /tmp dir, kept), CW_BENCH_PORT (first of 3
#      ports, default 25800), CW_BENCH_DOCS1 (documents at 1 in flight, default 200),
#      CW_BENCH_DOCS8 (at 8 in flight, default 400), CW_BENCH_LATENCY_DOCS (per generator
#      in B, default 16), CW_BENCH_RUNONCE (runs in C, default 20).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
WORK=${CW_BENCH_DIR:-$(mktemp -d /tmp/cw-bench-scale.XXXXXX)}
mkdir -p "$WORK"
[ -x "$BUILD/bin/codeworm" ] || { echo "bench: $BUILD/bin/codeworm missing (build first)" >&2; exit 1; }
exec /usr/bin/python3 - "$SRC" "$BUILD" "$WORK" <<'PY'
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request

SRC, BUILD, WORK = sys.argv[1:4]
BIN = os.path.join(BUILD, "bin")
CODEWORM = os.path.join(BIN, "codeworm")
PORT = int(os.environ.get("CW_BENCH_PORT", "25800"))
DOCS1 = int(os.environ.get("CW_BENCH_DOCS1", "200"))
DOCS8 = int(os.environ.get("CW_BENCH_DOCS8", "400"))
LAT_DOCS = int(os.environ.get("CW_BENCH_LATENCY_DOCS", "16"))
RUNONCE = int(os.environ.get("CW_BENCH_RUNONCE", "20"))
CLK = os.sysconf("SC_CLK_TCK")
RESULTS = os.path.join(WORK, "results.md")
CORPUS = os.path.join(WORK, "corpus")
out = open(RESULTS, "w")


def say(line=""):
    print(line, flush=True)
    out.write(line + "\n")
    out.flush()


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


subprocess.run(["/usr/bin/python3", os.path.join(SRC, "tests/bench/make_corpus.py"), CORPUS,
                os.path.join(WORK, "files.txt")], check=True)

# ---------------------------------------------------------------- the stand-in LLM
fake = subprocess.Popen(["/usr/bin/python3", os.path.join(SRC, "tests/fakes/fake_ollama.py"),
                         "--port", "0", "--mode", "normal", "--no-record"],
                        stdout=subprocess.PIPE, text=True, start_new_session=True)
FAKE_PORT = int(fake.stdout.readline().split()[1])


def llm_latency(ms):
    req = urllib.request.Request("http://127.0.0.1:%d/_control" % FAKE_PORT,
                                 data=json.dumps({"mode": "normal", "latency_ms": ms}).encode(),
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=10).read()


# ---------------------------------------------------------------- config and stack
def config(name, backend, generators):
    d = os.path.join(WORK, "config-" + name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.yaml"), "w") as f:
        f.write("""data_dir: {work}/data
devlog:
  repo_path: {work}/devlog
  author_name: Bench
  author_email: bench@example.com
llm:
  backend: {backend}
ollama:
  host: 127.0.0.1
  port: {fake}
  model: bench-model
schedule:
  enabled: false
bus:
  broker: tcp://127.0.0.1:{p0}
  events_in: tcp://127.0.0.1:{p1}
  events_out: tcp://127.0.0.1:{p2}
generator:
  instances: {gens}
analyzer:
  include_patterns: ["**/*.py", "**/*.ts", "**/*.tsx", "**/*.js", "**/*.go", "**/*.rs", "**/*.c", "**/*.h"]
""".format(work=WORK, backend=backend, fake=FAKE_PORT, p0=PORT, p1=PORT + 1, p2=PORT + 2,
           gens=generators))
    with open(os.path.join(d, "repos.yaml"), "w") as f:
        f.write("repositories:\n  - name: corpus\n    path: %s\n    weight: 5\n    enabled: true\n"
                % CORPUS)
    return d


def children(pid):
    """{pid: name} of the processes `codeworm run` started."""
    kids = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) != pid:
                continue
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                name = os.path.basename(f.read().split(b"\0")[0].decode())
            kids[int(entry)] = name.replace("codeworm-", "")
        except (OSError, IndexError, ValueError):
            pass
    return kids


def cpu(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK
    except (OSError, IndexError, ValueError):
        return 0.0


class Stack:
    def __init__(self, cfg, generators):
        self.cfg = cfg
        log = open(os.path.join(WORK, "stack.log"), "ab")
        self.proc = subprocess.Popen([CODEWORM, "--config", cfg, "run"], stdout=log, stderr=log,
                                     start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            st = subprocess.run([CODEWORM, "--config", cfg, "status"], capture_output=True,
                                text=True).stdout
            workers = {l.split()[0]: int(l.split()[1]) for l in st.splitlines()
                       if len(l.split()) >= 2 and l.split()[1].isdigit()}
            if workers.get("generator") == generators and workers.get("analyzer") and \
                    workers.get("committer"):
                return
            time.sleep(0.3)
        raise SystemExit("bench: the stack did not come up (see %s/stack.log)" % WORK)

    def stop(self):
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=30)


def backfill(cfg, in_flight, limit, stack):
    """Run backfill; returns (documents, seconds, {process: cpu seconds between start and
    summary})."""
    cmd = [CODEWORM, "--config", cfg, "backfill", "--json", "--repo", "corpus",
           "--in-flight", str(in_flight), "--limit", str(limit)]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    procs = dict(children(stack.proc.pid))
    procs[fake.pid] = "stand-in LLM"
    procs[p.pid] = "backfill (cycles)"
    before, summary = None, None
    for line in p.stdout:
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        if ev.get("event") == "start":
            before = {pid: cpu(pid) for pid in procs}
        elif ev.get("event") == "summary":
            summary = ev
            after = {pid: cpu(pid) for pid in procs}
    p.wait()
    if not summary or p.returncode != 0:
        raise SystemExit("bench: backfill failed (rc %s, %r)" % (p.returncode, summary))
    spent = {}
    if before:
        for pid, name in procs.items():
            spent[name] = spent.get(name, 0.0) + max(0.0, after.get(pid, 0) - before.get(pid, 0))
    return summary["documented"], summary["seconds"], spent


def fresh():
    for d in ("data", "devlog"):
        shutil.rmtree(os.path.join(WORK, d), ignore_errors=True)


rows = []


def row(what, value, goal, verdict, command):
    rows.append((what, value, goal, verdict, command))
    say("| %s | %s | %s | %s | `%s` |" % (what, value, goal, verdict, command))


say("## scale-out benchmark, %s UTC, %d cores, load average at start %s"
    % (time.strftime("%Y-%m-%d %H:%M", time.gmtime()), os.cpu_count(), load()))
say()
say("| what | measured | goal | verdict | command |")
say("|---|---|---|---|---|")

# ---------------------------------------------------------------- A: instant LLM
fresh()
llm_latency(0)
cfg = config("instant", "ollama", 2)
stack = Stack(cfg, 2)
backfill(cfg, 8, 8, stack)  # warm: the analyzer's index, the DevLog layout
cpu_tables = {}
for k, docs, goal in ((1, DOCS1, 20.0), (8, DOCS8, 60.0)):
    n, secs, spent = backfill(cfg, k, docs, stack)
    rate = n / secs if secs > 0 else 0.0
    row("instant LLM, %d in flight, 2 generators: documents committed per second" % k,
        "%.1f/s (%d in %.2f s)" % (rate, n, secs), ">= %g/s" % goal,
        "met" if rate >= goal else "not met",
        "codeworm backfill --json --repo corpus --in-flight %d --limit %d" % (k, docs))
    cpu_tables[k] = (n, secs, spent)
stack.stop()

# ---------------------------------------------------------------- B: 400 ms LLM
rates = {}
for g in (1, 2, 4, 8):
    fresh()
    cfg = config("latency-%d" % g, "ollama", g)
    stack = Stack(cfg, g)
    llm_latency(0)
    backfill(cfg, 8, 2, stack)  # warm
    llm_latency(400)
    n, secs, _ = backfill(cfg, 8, LAT_DOCS * g, stack)
    llm_latency(0)
    stack.stop()
    rates[g] = n / secs * 60.0 if secs > 0 else 0.0
for g in (1, 2, 4, 8):
    goal = 0.9 * g * rates[1]
    row("400 ms LLM, 8 in flight, %d generator%s: documents per minute" % (g, "" if g == 1 else "s"),
        "%.1f/min (%.2f x one generator)" % (rates[g], rates[g] / rates[1] if rates[1] else 0),
        ">= %.1f/min (0.9 x %d x one)" % (goal, g) if g > 1 else "(the base)",
        ("met" if rates[g] >= goal else "not met") if g > 1 else "-",
        "generator.instances: %d; codeworm backfill --json --repo corpus --in-flight 8 --limit %d"
        % (g, LAT_DOCS * g))

# ---------------------------------------------------------------- C: run-once
fresh()  # run-once looks at the best 20 of each type: give it something to document
cfg = config("offline", "offline", 1)
stack = Stack(cfg, 1)
# warm: backfill's counting pass asks the analyzer about every doc type once (each type's
# first request builds what it caches: git statistics, diffs); then one run-once
subprocess.run([CODEWORM, "--config", cfg, "backfill", "--limit", "1"], capture_output=True)
subprocess.run([CODEWORM, "--config", cfg, "run-once"], capture_output=True)
walls = []
for _ in range(RUNONCE):
    t0 = time.perf_counter()
    r = subprocess.run([CODEWORM, "--config", cfg, "run-once"], capture_output=True)
    walls.append((time.perf_counter() - t0) * 1000.0)
    if r.returncode not in (0, 1):
        raise SystemExit("bench: run-once failed: %r" % r.stderr[-500:])
stack.stop()
med = statistics.median(walls)
row("`codeworm run-once` on a running stack, offline backend: wall time",
    "median %.0f ms (min %.0f, max %.0f; %d runs)" % (med, min(walls), max(walls), RUNONCE),
    "<= 100 ms", "met" if med <= 100 else "not met",
    "codeworm --config CFG run-once (x%d, after a warm-up)" % RUNONCE)

# ---------------------------------------------------------------- where the time goes
say()
say("CPU per document by process (instant LLM; between backfill's start and summary):")
say()
say("| process | 1 in flight: ms CPU / document | 8 in flight: ms CPU / document |")
say("|---|---|---|")
names = sorted(set(cpu_tables[1][2]) | set(cpu_tables[8][2]))
totals = {1: 0.0, 8: 0.0}
for name in names:
    cells = []
    for k in (1, 8):
        n, _, spent = cpu_tables[k]
        ms = spent.get(name, 0.0) * 1000.0 / max(1, n)
        totals[k] += ms
        cells.append("%.1f" % ms)
    say("| %s | %s | %s |" % (name, cells[0], cells[1]))
say("| all | %.1f | %.1f |" % (totals[1], totals[8]))
for k in (1, 8):
    n, secs, _ = cpu_tables[k]
    say("")
    say("%d in flight: %.1f ms wall per document, %.1f ms CPU per document (%d cores)"
        % (k, secs * 1000.0 / max(1, n), totals[k], os.cpu_count()))
say()
say("load average at the end: %s; work directory %s" % (load(), WORK))
os.killpg(fake.pid, signal.SIGTERM)
PY
