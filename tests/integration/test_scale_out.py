"""Scale out (issue 6): `codeworm run` with 2 generators and a scheduler keeping 8 cycles in
flight (schedule.interval_seconds 0.05, max_in_flight 8) against the stand-in Ollama with
250 ms per answer. During the run a generator, then the committer, then the scheduler are
killed with SIGKILL (the supervisor restarts them). Afterwards:
  - every cycle in cycles.db ended committed, skipped, failed or abandoned, with a reason
    when it was not committed; no claim is left unreleased;
  - the ledger and the DevLog agree (one documentation commit per ledger row, the same
    commits, the files exist), and no (code_hash, doc_type) is documented twice;
  - both generators served requests, and a request held by the killed generator was
    handed to another worker;
  - nothing eligible is left (`codeworm backfill` finds nothing to document)."""
import json
import os
import signal
import sqlite3
import subprocess
import time
import urllib.request

import cwtest
from cwtest import check

ws = cwtest.Workspace("scale", extra_config="generator:\n  instances: 2\n")
try:
    fake, port = cwtest.start_fake_ollama(ws, "--mode", "normal", "--latency-ms", "250")
    cwtest.set_ollama_port(ws, port)
    cfg_path = os.path.join(ws.config, "config.yaml")
    text = open(cfg_path).read().replace(
        "schedule:\n  enabled: false",
        "schedule:\n  enabled: true\n  interval_seconds: 0.05\n  max_in_flight: 8")
    open(cfg_path, "w").write(text)

    stack = ws.start_stack()
    check(ws.wait_for_workers(), "the stack registers analyzer, generators and committer")

    def rows():
        return len(ws.ledger_rows()[1])

    def pids(service):
        out = subprocess.run(["pgrep", "-f", "codeworm-%s --config %s" % (service, ws.config)],
                             capture_output=True, text=True).stdout.split()
        return [int(p) for p in out]

    def wait_rows(n, timeout=90):
        deadline = time.time() + timeout
        while time.time() < deadline and rows() < n:
            time.sleep(0.1)
        return rows() >= n

    gens = pids("generator")
    check(len(gens) == 2, "two generators run (generator.instances: 2): %r" % gens)
    # the work spreads: both generators busy at once while 8 cycles are in flight
    both_busy = False
    deadline = time.time() + 30
    while time.time() < deadline and not both_busy:
        out = ws.codeworm("status", timeout=20).stdout
        for line in out.splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[0] == "generator" and parts[2].isdigit():
                both_busy = int(parts[2]) >= 2
        time.sleep(0.1)
    check(both_busy, "both generators were busy at once (broker status)")
    for at, victim in ((2, "generator"), (5, "committer"), (8, "scheduler")):
        check(wait_rows(at), "%d documents committed before killing the %s" % (at, victim))
        victims = pids(victim)
        check(len(victims) >= 1, "found the %s to kill" % victim)
        os.kill(victims[0], signal.SIGKILL)
        print("killed the %s (pid %d) with %d documents committed" % (victim, victims[0], rows()))

    # run until nothing is left: the ledger stops growing and cycles are skipped
    last, stable_since, deadline = -1, time.time(), time.time() + 150
    while time.time() < deadline:
        n = rows()
        if n != last:
            last, stable_since = n, time.time()
        elif time.time() - stable_since > 12:
            break
        time.sleep(0.5)
    print("ledger rows at the end: %d" % last)
    check(len(pids("scheduler")) == 1 and len(pids("committer")) == 1 and len(pids("generator")) == 2,
          "the supervisor restarted every killed process")
    with urllib.request.urlopen("http://127.0.0.1:%d/_requests" % port, timeout=10) as resp:
        llm_calls = [r for r in json.loads(resp.read()) if r.get("path") == "/api/generate"
                     and (r.get("body") or {}).get("prompt")]
    ws.stop()

    # the cycles the stop interrupted are closed by the next recovery (a run-once on a
    # private stack: it recovers first, then finds nothing to document)
    r = ws.codeworm("run-once", timeout=120)
    check(r.returncode == 1 and "Nothing to document" in r.stdout,
          "run-once afterwards: nothing to document (rc %d, %r, %r)"
          % (r.returncode, r.stdout[-300:], r.stderr[-300:]))

    # --- the cycle log
    con = sqlite3.connect(os.path.join(ws.data, "cycles.db"))
    cycles = con.execute("SELECT cycle_id, state, COALESCE(reason, ''), release_pending "
                         "FROM cycles").fetchall()
    con.close()
    states = {}
    for _, state, _, _ in cycles:
        states[state] = states.get(state, 0) + 1
    print("cycle states: %r" % states)
    final = ("committed", "skipped", "failed", "abandoned")
    check(all(c[1] in final for c in cycles), "every cycle ended (%r)" % states)
    check(all(c[2] for c in cycles if c[1] != "committed"),
          "every cycle that did not commit says why")
    check(not [c for c in cycles if c[3]], "no claim left unreleased in the cycle log")
    check(states.get("committed", 0) >= last, "at least one committed cycle per ledger row "
          "(%d cycles, %d rows)" % (states.get("committed", 0), last))

    # --- ledger, claims and DevLog agree
    cols, ledger = ws.ledger_rows()
    keys = [(r[5], r[9]) for r in ledger]
    check(len(keys) == len(set(keys)), "no (code_hash, doc_type) documented twice")
    con = sqlite3.connect(os.path.join(ws.data, "codeworm.db"))
    claims = con.execute("SELECT COUNT(*) FROM claims WHERE expires_at > strftime('%s','now')"
                         ).fetchone()[0]
    jobs = con.execute("SELECT COUNT(*) FROM committed_jobs").fetchone()[0]
    con.close()
    check(claims == 0, "no live claim is left in the ledger (%d)" % claims)
    commits = [c for c in ws.devlog_commits() if "Initialize" not in c[1]]
    check(len(commits) == len(ledger) == jobs,
          "one DevLog commit per ledger row and job (%d commits, %d rows, %d jobs)"
          % (len(commits), len(ledger), jobs))
    oids = {c[0] for c in commits}
    check({r[8] for r in ledger} == oids, "the ledger's commits are the DevLog's commits")
    missing = [r[7] for r in ledger if not os.path.isfile(os.path.join(ws.devlog, r[7]))]
    check(not missing, "every ledger row's document exists in the DevLog: %r" % missing[:3])
    check(len(ledger) >= 12, "a real run: %d documents" % len(ledger))

    # --- the lost job, the LLM calls
    log = open(os.path.join(ws.root, "codeworm.log"), errors="replace").read()
    requeued = [l for l in log.splitlines()
                if '"broker_job_requeued"' in l and '"generator"' in l]
    check(requeued, "the job the killed generator held went to another generator")
    check(len(llm_calls) >= 2 * len(ledger),
          "the generators asked the LLM for every document and commit message (%d calls)"
          % len(llm_calls))

    r = ws.codeworm("backfill", "--json", timeout=120)
    check(r.returncode == 0 and '"eligible":0' in r.stdout,
          "backfill afterwards finds nothing eligible (rc %d, %r)" % (r.returncode, r.stdout[-300:]))
finally:
    ws.cleanup()
cwtest.finish()
