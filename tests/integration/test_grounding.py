"""Grounded documents, with a stand-in LLM that invents identifiers
(tests/fakes/fake_ollama.py, modes "inventing" and "inventing_once"):

  - always inventing: the generator asks a second time at a lower temperature, then the
    cycle fails with the reason (code "ungrounded", the ratio, the names not found), and
    nothing is committed;
  - inventing once: the second, cooler answer is grounded and committed; the ratio is in
    the documentation_committed event and in the ledger (table document_facts)."""
import json
import re
import os
import sqlite3
import time
import urllib.request

import msgpack
import zmq

import cwtest
from cwtest import check


def fake_requests(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/_requests" % port, timeout=10) as r:
        return json.loads(r.read().decode())


def fake_control(port, mode):
    for path, body in (("/_control", {"mode": mode}), ("/_reset", {})):
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path),
                                     data=json.dumps(body).encode(), method="POST")
        urllib.request.urlopen(req, timeout=10).read()


def doc_calls(port):
    """The documentation calls the generator made (not health checks, not commit messages)."""
    out = []
    for r in fake_requests(port):
        body = r.get("body") or {}
        prompt = body.get("prompt") or ""
        if r["path"] == "/api/generate" and prompt and \
                "commit message" not in prompt[:300].lower():
            out.append(body)
    return out


ws = cwtest.Workspace("grounding")
ctx = sub = None
try:
    fake, port = cwtest.start_fake_ollama(ws, "--mode", "inventing")
    cwtest.set_ollama_port(ws, port)
    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"codeworm.")
    sub.connect(ws.events_out)
    ws.start_stack()
    check(ws.wait_for_workers(), "the stack registers its workers")
    time.sleep(1.0)  # the subscription reaches every publisher

    # --- an LLM that keeps inventing: two tries, then the cycle fails with the reason
    fake_control(port, "inventing")
    r = ws.codeworm("run-once", timeout=180)
    check(r.returncode == 2, "run-once fails (rc %d)" % r.returncode)
    err = r.stderr
    check("cycle failed at generate" in err and "ungrounded" in err,
          "the failure names the step and the code (%r)" % err[-600:])
    check("documentation.min_grounding 0.80" in err and re.search(r"grounding 0\.[0-7]\d", err),
          "the reason gives the ratio and the threshold (%r)" % err[-600:])
    check("frobnicate_widgets" in err, "the reason names what was invented")
    calls = doc_calls(port)
    check(len(calls) == 2, "the document was asked for twice (%d)" % len(calls))
    if len(calls) == 2:
        t0 = calls[0].get("options", {}).get("temperature")
        t1 = calls[1].get("options", {}).get("temperature")
        check(t0 is not None and t1 is not None and t1 < t0,
              "the second try is cooler (%r then %r)" % (t0, t1))
    commits = [c for c in ws.devlog_commits() if "Initialize" not in c[1]]
    check(commits == [], "nothing was committed (%r)" % commits)

    # --- inventing once: the cooler second answer is grounded and committed
    fake_control(port, "inventing_once")
    time.sleep(0.5)
    r = ws.codeworm("run-once", timeout=180)
    check(r.returncode == 0, "run-once commits (rc %d, %r)" % (r.returncode, r.stderr[-600:]))
    check(len(doc_calls(port)) == 2, "after one invented answer, one more was asked for")
    cols, rows = ws.ledger_rows()
    check(len(rows) == 1, "one ledger row")
    if rows:
        text = open(os.path.join(ws.devlog, rows[0][7]), encoding="utf-8").read()
        check("frobnicate_widgets" not in text, "the committed document invents nothing")
        con = sqlite3.connect(os.path.join(ws.data, "codeworm.db"))
        g = con.execute("SELECT grounding FROM document_facts WHERE snippet_path = ?",
                        (rows[0][7],)).fetchone()
        con.close()
        check(g is not None and g[0] == 1.0, "the ledger has the ratio (%r)" % (g,))
    seen = []
    deadline = time.time() + 3
    while time.time() < deadline:
        if sub.poll(200):
            topic, payload = sub.recv_multipart()
            seen.append((topic.decode(), msgpack.unpackb(payload, raw=False)))
    committed = [e for t, e in seen if t == "codeworm.documentation_committed"]
    failed = [e for t, e in seen if t == "codeworm.cycle_failed"]
    check(len(committed) == 1 and committed[0].get("grounding") == 1.0,
          "documentation_committed carries the ratio (%r)" % committed)
    check(len(failed) == 1 and "ungrounded" in failed[0].get("reason", ""),
          "cycle_failed carries the reason (%r)" % failed)
finally:
    if sub:
        sub.close(0)
    if ctx:
        ctx.term()
    ws.cleanup()
cwtest.finish()
