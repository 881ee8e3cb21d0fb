"""The command line as the reference means it, and its exit codes: a missing repository
is skipped with a warning while the others are documented (all missing: a clear error,
exit 1); --repo NAME PATH replaces the configured repositories; --dry-run generates and
prints the document but commits nothing; run-once exits 0 committed, 1 nothing to
document, 2 error, 3 LLM unavailable (documented in --help); `events` says when no
broker answers; `schedule-preview --json` prints one object a line."""
import datetime
import json
import os
import signal
import subprocess
import time

import cwops
import cwtest
from cwtest import BIN, check

ws = cwtest.Workspace("semantics")
try:
    cwops.write_config(ws, backend="offline", interval=3600)
    ghost = os.path.join(ws.root, "no-such-repo")

    # --- --help documents the exit codes
    r = ws.codeworm("run-once", "--help")
    check(r.returncode == 0 and "exit status: 0 committed, 1 nothing to document, 2 error, 3 LLM "
          "unavailable" in r.stdout, "run-once --help documents the exit codes")

    # --- --dry-run: analyze + generate, print the document, commit nothing
    cwops.write_repos(ws, [("inventory", ws.source, 5)])
    r = ws.codeworm("run-once", "--dry-run", timeout=180)
    check(r.returncode == 0, "run-once --dry-run exits 0 (got %d: %r)" % (r.returncode, r.stderr[-400:]))
    check("--- would write " in r.stdout and "**Repository:** inventory" in r.stdout
          and "--- would commit: " in r.stdout and "nothing was committed" in r.stdout,
          "the dry run prints the document and its commit message: %r" % r.stdout[:600])
    check(not cwops.doc_commits(ws), "the dry run committed nothing")
    check(not ws.ledger_rows()[1], "the dry run wrote nothing to the ledger")

    # --- run --dry-run: the scheduler generates and logs each document, commits nothing
    cwops.write_config(ws, backend="offline", interval=1)
    log = os.path.join(ws.root, "codeworm.log")
    run = ws.start(os.path.join(BIN, "codeworm"), "--config", ws.config, "run", "--dry-run")
    done = cwops.wait_for(lambda: [e for e in cwops.log_lines(log)
                                   if e.get("event") == "dry_run_complete"], timeout=90)
    check(done and done[0].get("would_commit") and done[0].get("repo") == "inventory",
          "run --dry-run logs the documents it would commit (%r)" % done[:1])
    ws.stop()
    check(not cwops.doc_commits(ws) and not ws.ledger_rows()[1],
          "run --dry-run committed nothing")
    cwops.write_config(ws, backend="offline", interval=3600)

    # --- a missing repository is skipped with a warning; the others are documented
    cwops.write_repos(ws, [("ghost", ghost, 5), ("inventory", ws.source, 5)])
    r = ws.codeworm("run-once", timeout=180)
    check(r.returncode == 0, "run-once with one missing repository exits 0 (got %d: %r)"
          % (r.returncode, r.stderr[-400:]))
    warnings = [e for e in cwops.log_lines_text(r.stderr) if e.get("event") == "repository_missing"]
    check(warnings and warnings[0].get("repo") == "ghost" and warnings[0].get("where") == "repos.yaml:2",
          "the missing repository is named with its file and line (%r)" % warnings[:1])
    cols, rows = ws.ledger_rows()
    check(len(rows) == 1 and rows[0][1] == "inventory", "the other repository was documented")
    r = ws.codeworm("run", "--plan")
    check(r.returncode == 0, "run --plan accepts a config with a missing repository")

    # --- every repository missing: the "No repositories configured" error, exit 1
    cwops.write_repos(ws, [("ghost", ghost, 5)])
    for cmd in ("run-once", "run"):
        r = ws.codeworm(cmd, timeout=60)
        check(r.returncode == 1 and "No repositories configured" in r.stderr and "ghost" in r.stderr,
              "%s with every repository missing: exit 1 naming it (%d: %r)"
              % (cmd, r.returncode, r.stderr[-300:]))

    # --- --repo NAME PATH replaces the configured repositories
    r = ws.codeworm("run-once", "--repo", "inv2", ws.source, timeout=180)
    check(r.returncode == 0, "run-once --repo exits 0 although repos.yaml's only repository is "
          "missing (got %d: %r)" % (r.returncode, r.stderr[-400:]))
    check("ghost" not in r.stderr, "the configured repositories are not used at all")
    cols, rows = ws.ledger_rows()
    check(rows and rows[-1][1] == "inv2", "the document is from the --repo repository (%r)"
          % [x[1] for x in rows])
    r = ws.codeworm("run", "--plan", "--repo", "inv2", ws.source)
    check("repository   inv2" in r.stdout and "ghost" not in r.stdout,
          "run --plan shows only the --repo repository: %r" % r.stdout)

    # --- exit codes: 1 nothing to document, 2 error, 3 LLM unavailable
    empty = cwops.empty_repo(ws)
    cwops.write_repos(ws, [("empty", empty, 5)])
    r = ws.codeworm("run-once", timeout=180)
    check(r.returncode == 1 and "Nothing to document" in r.stdout,
          "nothing to document: exit 1 (got %d: %r)" % (r.returncode, r.stdout))
    cwops.write_repos(ws, [("inventory", ws.source, 5)])
    cwops.write_config(ws, backend="ollama", ollama_port=1, interval=3600)
    r = ws.codeworm("run-once", timeout=180)
    check(r.returncode == 3, "LLM unavailable: exit 3 (got %d: %r)" % (r.returncode, r.stdout))
    cwops.write_config(ws, backend="offline", interval=3600, extra="schedule:\n  bogus: [\n")
    r = ws.codeworm("run-once", timeout=60)
    check(r.returncode == 2, "a configuration error: exit 2 (got %d)" % r.returncode)
    cwops.write_config(ws, backend="offline", interval=3600)

    # --- events with no broker says so (and keeps listening)
    p = subprocess.Popen([os.path.join(BIN, "codeworm"), "--config", ws.config, "events"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    ws.procs.append(p)
    line = cwops.wait_for(lambda: p.stderr.readline(), timeout=20)
    check(line and "no broker answers at %s" % ws.broker in line,
          "events says no broker answers: %r" % line)
    check(p.poll() is None, "and keeps listening")
    os.killpg(p.pid, signal.SIGTERM)
    p.wait(timeout=20)

    # --- schedule-preview --json: {"time", "hour", "is_weekend"} a line, offsets of the zone
    cwops.write_config(ws, backend="offline", interval=0)
    r = ws.codeworm("schedule-preview", "--json", "--days", "3", "--timezone", "Asia/Kolkata",
                    "--seed", "7")
    check(r.returncode == 0, "schedule-preview --json exits 0")
    entries = []
    for text in r.stdout.splitlines():
        try:
            entries.append(json.loads(text))
        except ValueError:
            check(False, "a line that is not JSON: %r" % text)
    check(len(entries) >= 3 * 5, "a day's times for three days (%d entries)" % len(entries))
    good = True
    for e in entries:
        t = datetime.datetime.fromisoformat(e.get("time", ""))
        good &= set(e) == {"time", "hour", "is_weekend"}
        good &= t.utcoffset() == datetime.timedelta(hours=5, minutes=30)
        good &= e["hour"] == t.hour and e["is_weekend"] == (t.weekday() >= 5)
    check(entries and good, "each entry has time (with the zone's +05:30), hour, is_weekend")
    days = {datetime.datetime.fromisoformat(e["time"]).date() for e in entries}
    check(len(days) == 3, "three distinct days")
    cwops.write_config(ws, backend="offline", interval=600)
    r = ws.codeworm("schedule-preview", "--json", "--timezone", "UTC")
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    check(lines and all(x["time"].endswith("+00:00") for x in lines) and len(lines) <= 50,
          "interval mode prints JSON lines too (%d)" % len(lines))
finally:
    ws.cleanup()
cwtest.finish()
