"""`codeworm backfill` (issue 6) against a running stack (`codeworm run`, schedule off) and
the stand-in Ollama: bad options, Ctrl-C once (no new cycles, the ones in flight finish),
Ctrl-C twice (they are abandoned, their claims released), --limit with --json, the
progress line on a terminal, then the whole rest, and a second run with nothing left."""
import json
import os
import pty
import select
import signal
import sqlite3
import subprocess
import time
import urllib.request

import cwtest
from cwtest import check

ws = cwtest.Workspace("backfill", extra_config="generator:\n  instances: 2\n")


def control(port, **kw):
    req = urllib.request.Request("http://127.0.0.1:%d/_control" % port,
                                 data=json.dumps(dict(mode="normal", **kw)).encode(),
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=10).read()


def backfill_proc(*args):
    cmd = [os.path.join(cwtest.BIN, "codeworm"), "--config", ws.config, "backfill"] + list(args)
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=ws.env())


def wait_start(p):
    """Read backfill's JSON lines up to its "start" line (counting done); returns them."""
    seen = []
    for line in p.stdout:
        seen.append(line)
        if '"event":"start"' in line:
            break
    return "".join(seen)


def json_lines(text):
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    return out


def ledger_count():
    return len(ws.ledger_rows()[1])


def live_claims():
    con = sqlite3.connect(os.path.join(ws.data, "codeworm.db"))
    try:
        return con.execute("SELECT COUNT(*) FROM claims WHERE expires_at > strftime('%s','now')"
                           ).fetchone()[0]
    finally:
        con.close()


def open_cycles():
    con = sqlite3.connect(os.path.join(ws.data, "cycles.db"))
    try:
        return con.execute("SELECT COUNT(*) FROM cycles WHERE state NOT IN "
                           "('committed','skipped','failed','abandoned') OR release_pending = 1"
                           ).fetchone()[0]
    finally:
        con.close()


try:
    fake, port = cwtest.start_fake_ollama(ws, "--mode", "normal")
    cwtest.set_ollama_port(ws, port)
    ws.start_stack()
    check(ws.wait_for_workers(), "the stack is up")

    # --- bad options
    r = ws.codeworm("backfill", "--repo", "nosuch")
    check(r.returncode == 2 and "no repository named 'nosuch'" in r.stderr,
          "an unknown --repo is an error naming it (rc %d, %r)" % (r.returncode, r.stderr[-200:]))
    r = ws.codeworm("backfill", "--type", "sonnet")
    check(r.returncode == 2 and "unknown documentation type 'sonnet'" in r.stderr,
          "an unknown --type is an error")
    r = ws.codeworm("backfill", "--in-flight", "0")
    check(r.returncode == 2, "--in-flight 0 is refused")

    # --- Ctrl-C once: the cycles in flight finish, no new ones start
    control(port, latency_ms=1500)
    p = backfill_proc("--json", "--in-flight", "3")
    head = wait_start(p)
    time.sleep(1.0)  # three cycles generating (each answer takes 1.5 s)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    out = head + out
    lines = json_lines(out)
    cycles = [l for l in lines if l.get("event") == "cycle"]
    summary = [l for l in lines if l.get("event") == "summary"]
    check(p.returncode == 130, "Ctrl-C: exit 130 (got %d; %r)" % (p.returncode, err[-300:]))
    check(summary and summary[-1]["documented"] == ledger_count(),
          "the summary counts what the ledger has (%r, %d rows)" % (summary, ledger_count()))
    check(1 <= len(cycles) <= 3, "only the cycles in flight finished (%d)" % len(cycles))
    check(all(c["result"] == "committed" for c in cycles), "they finished committed: %r" % cycles)
    check(open_cycles() == 0, "no cycle left open or holding a claim in cycles.db")
    check(live_claims() == 0, "no claim left at the committer")
    done_first = ledger_count()

    # --- Ctrl-C twice: abandoned at once, claims released
    control(port, latency_ms=4000)
    p = backfill_proc("--json", "--in-flight", "2")
    wait_start(p)
    time.sleep(1.0)  # two cycles generating (each answer takes 4 s)
    t0 = time.time()
    p.send_signal(signal.SIGINT)
    time.sleep(0.3)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    took = time.time() - t0
    check(p.returncode == 130, "Ctrl-C twice: exit 130 (got %d)" % p.returncode)
    print("second Ctrl-C: backfill ended %.1f s after the first" % took)
    check(ledger_count() == done_first, "nothing was committed by the abandoned cycles")
    check(open_cycles() == 0, "the abandoned cycles are closed, their claims released")
    check(live_claims() == 0, "no claim left at the committer after the abandon")
    time.sleep(4.5)  # the generators finish the abandoned jobs (their replies go nowhere)

    # --- --limit 3 with --json
    control(port, latency_ms=0)
    before = ledger_count()
    r = ws.codeworm("backfill", "--limit", "3", "--json", timeout=120)
    lines = json_lines(r.stdout)
    cycles = [l for l in lines if l.get("event") == "cycle"]
    summary = [l for l in lines if l.get("event") == "summary"]
    check(r.returncode == 0, "--limit 3: exit 0 (got %d; %r)" % (r.returncode, r.stderr[-300:]))
    check(len([c for c in cycles if c["result"] == "committed"]) == 3,
          "--limit 3: three committed cycles reported (%r)" % cycles)
    check(all({"cycle_id", "result", "repo", "doc_type", "documented", "goal", "eligible"} <= set(c)
              for c in cycles), "every JSON line carries the cycle's facts")
    check(all(c["path"] and c["commit"] for c in cycles if c["result"] == "committed"),
          "a committed line has the commit and the path")
    check(summary and summary[-1]["documented"] == 3 and summary[-1]["goal"] == 3,
          "the summary says 3 of 3 (%r)" % summary)
    check(ledger_count() == before + 3, "three more ledger rows")
    eligible_before = summary[-1]["eligible"] if summary else 0

    # --- the progress line on a terminal (--limit 2)
    master, slave = pty.openpty()
    cmd = [os.path.join(cwtest.BIN, "codeworm"), "--config", ws.config, "backfill", "--limit", "2"]
    p = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, env=ws.env())
    os.close(slave)
    screen = b""
    deadline = time.time() + 60
    while time.time() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            screen += chunk
        elif p.poll() is not None:
            break
    p.wait(timeout=30)
    os.close(master)
    text = screen.decode(errors="replace")
    check(p.returncode == 0, "terminal run: exit 0 (got %d)" % p.returncode)
    check("\r" in text and "documented" in text and "docs/min" in text and "left" in text
          and "failed" in text, "a progress line with documented, rate, time left, failures: %r"
          % text[-400:])
    check("Backfill done: 2 of " in text, "and a summary: %r" % text[-200:])

    # --- everything else, then nothing
    before = ledger_count()
    r = ws.codeworm("backfill", "--json", timeout=300)
    lines = json_lines(r.stdout)
    summary = [l for l in lines if l.get("event") == "summary"]
    check(r.returncode == 0, "the whole backfill: exit 0 (got %d; %r)" % (r.returncode, r.stderr[-300:]))
    check(summary and summary[-1]["failed"] == 0 and
          summary[-1]["documented"] == summary[-1]["eligible"] == eligible_before - 5,
          "it documented every eligible target (%r, %d before)" % (summary, eligible_before))
    check(ledger_count() == before + (summary[-1]["documented"] if summary else -1),
          "the ledger grew by as much")
    _, rows = ws.ledger_rows()
    keys = [(row[5], row[9]) for row in rows]
    check(len(keys) == len(set(keys)), "no (code_hash, doc_type) twice")
    commits = [c for c in ws.devlog_commits() if "Initialize" not in c[1]]
    check(len(commits) == len(rows), "one DevLog commit per ledger row (%d, %d)"
          % (len(commits), len(rows)))
    r = ws.codeworm("backfill", timeout=120)
    check(r.returncode == 0 and "Nothing to document" in r.stdout,
          "a second run has nothing to document (%r)" % r.stdout[-200:])
finally:
    ws.cleanup()
cwtest.finish()
