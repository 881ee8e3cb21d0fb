"""`codeworm run-once` with no stack running starts a private one, documents one target
with the offline backend, and stops it again; with nothing left to document it exits 1."""
import os
import subprocess

import cwtest
from cwtest import check

ws = cwtest.Workspace("private", backend="offline")
try:
    r = ws.codeworm("run-once", timeout=180)
    check(r.returncode == 0, "run-once without a stack exits 0 (got %d: %r)" % (r.returncode, r.stderr[-800:]))
    commits = [c for c in ws.devlog_commits() if "Initialize" not in c[1]]
    check(len(commits) == 1, "one documentation commit (got %r)" % commits)
    cols, rows = ws.ledger_rows()
    check(len(rows) == 1, "one ledger row")
    if rows:
        text = open(os.path.join(ws.devlog, rows[0][7]), encoding="utf-8").read()
        check("without an LLM" in text, "offline documents say they were written without an LLM")
        check(not cwtest.check_document(os.path.join(ws.devlog, rows[0][7]), "inventory"),
              "offline document is in the reference format")
    left = subprocess.run(["pgrep", "-f", "--", "--config %s" % ws.config], capture_output=True, text=True).stdout.split()
    check(not left, "the private stack is gone after run-once (left: %r)" % left)

    # exhaust: a repository with nothing worth documenting
    empty = os.path.join(ws.root, "empty")
    os.makedirs(empty)
    with open(os.path.join(empty, "tiny.py"), "w") as f:
        f.write("def f():\n    return 1\n")
    cwtest.git(empty, "init", "-q")
    with open(os.path.join(ws.config, "repos.yaml"), "w") as f:
        f.write("repositories:\n  - name: empty\n    path: %s\n" % empty)
    r = ws.codeworm("run-once", timeout=180)
    check(r.returncode == 1, "run-once with nothing to document exits 1 (got %d: %r)" % (r.returncode, r.stderr[-500:]))
finally:
    ws.cleanup()
cwtest.finish()
