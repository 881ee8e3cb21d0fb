"""The whole pipeline over real processes: `codeworm run` supervises the stack, three
`codeworm run-once` cycles document a real git repository through the stand-in Ollama,
then three more with a service killed (kill -9) before each. A subscriber written with
pyzmq + msgpack watches bus.events_out the whole time."""
import os
import signal
import subprocess
import time

import msgpack
import zmq

import cwtest
from cwtest import check

ws = cwtest.Workspace("pipeline")
try:
    fake, port = cwtest.start_fake_ollama(ws)
    cwtest.set_ollama_port(ws, port)

    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"codeworm.")
    sub.connect(ws.events_out)

    ws.start_stack()
    check(ws.wait_for_workers(), "the supervised stack registers analyzer, generator and committer")
    time.sleep(1.0)  # let the subscription reach the broker's XPUB

    def run_cycle(label):
        r = ws.codeworm("run-once", timeout=180)
        check(r.returncode == 0, "%s: run-once exits 0 (got %d; stdout %r; stderr tail %r)"
              % (label, r.returncode, r.stdout[-300:], r.stderr[-600:]))
        return r

    for i in range(3):
        run_cycle("cycle %d" % (i + 1))

    commits = ws.devlog_commits()
    doc_commits = [c for c in commits if "Initialize" not in c[1]]
    check(len(doc_commits) == 3, "three documentation commits after three cycles (got %d: %r)"
          % (len(doc_commits), commits))
    cols, rows = ws.ledger_rows()
    check(cols == cwtest.REFERENCE_COLUMNS, "ledger table has the reference columns in order (%r)" % cols)
    check(len(rows) == 3, "three ledger rows (got %d)" % len(rows))

    # --- the same with a service killed (SIGKILL) before each cycle
    for victim in ("committer", "generator", "analyzer"):
        pids = subprocess.run(["pgrep", "-f", "codeworm-%s .*%s" % (victim, ws.config)],
                              capture_output=True, text=True).stdout.split()
        check(len(pids) >= 1, "found the running %s to kill" % victim)
        for pid in pids:
            os.kill(int(pid), signal.SIGKILL)
        run_cycle("after kill -9 of the %s" % victim)

    commits = ws.devlog_commits()
    doc_commits = [c for c in commits if "Initialize" not in c[1]]
    check(len(doc_commits) == 6, "six documentation commits in all (got %d)" % len(doc_commits))
    cols, rows = ws.ledger_rows()
    check(len(rows) == 6, "six ledger rows in all (got %d)" % len(rows))
    check(len({r[5] + r[9] for r in rows}) == 6, "no (code, doc type) documented twice")

    for oid, subject in doc_commits:
        check(0 < len(subject) <= 72, "subject within 72 characters: %r" % subject)
        check(subject[0] not in "\"'`" and subject[-1] not in "\"'`", "subject not quoted: %r" % subject)
        check(not subject.lower().startswith(("commit message", "message:")),
              "subject has no 'Commit message:' prefix: %r" % subject)

    for row in rows:
        path = os.path.join(ws.devlog, row[7])
        check(os.path.isfile(path), "ledger snippet_path exists in the DevLog: %s" % row[7])
        if os.path.isfile(path):
            problems = cwtest.check_document(path, "inventory")
            check(not problems, "%s is in the reference format and clean: %s" % (row[7], problems))
        check(row[8] and any(c[0] == row[8] for c in doc_commits), "ledger git_commit is a DevLog commit")

    # --- what the subscriber saw
    events = []
    deadline = time.time() + 3
    while time.time() < deadline:
        if sub.poll(200):
            topic, payload = sub.recv_multipart()
            events.append((topic.decode(), msgpack.unpackb(payload, raw=False)))
    committed = [e for t, e in events if t == "codeworm.documentation_committed"]
    check(len(committed) == 6, "subscriber saw six documentation_committed events (got %d)" % len(committed))
    for e in committed:
        check(all(k in e for k in ("target", "doc_type", "commit", "repo", "v", "type")),
              "documentation_committed carries target, doc_type, commit, repo: %r" % sorted(e))
        check(e.get("repo") == "inventory", "event names the repo")
        check(any(c[0] == e.get("commit") for c in doc_commits), "event commit is a DevLog commit")
    names = {t for t, _ in events}
    for expected in ("codeworm.cycle_starting", "codeworm.generating"):
        check(expected in names, "subscriber saw %s" % expected)
    for t, e in events:
        check(isinstance(e, dict) and all(isinstance(k, str) for k in e) and e.get("type") == t[len("codeworm."):],
              "event %s is a map with string keys whose type matches its topic" % t)
        break
    sub.close(0)
    ctx.term()
finally:
    ws.cleanup()
cwtest.finish()
