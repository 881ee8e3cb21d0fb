"""Only the user who runs the stack gets in (issue 10).

The stack runs with its default bus endpoints (Unix sockets in <data_dir>/run) as this
user; a second Unix user, made here with useradd, tries what a hostile local process would:
send a forged commit_request to the broker, publish a forged event, read the ledger. All of
it is refused, while the same user still reads the public event stream (bus.events_out on
loopback TCP, as in the README's Python example). Needs root (useradd, runuser); without it
the test says so and passes.

CW_ACCESS_TEST_BUS=tcp runs the same checks with the bus on loopback TCP (the old default):
the forged commit then gets in, and the test fails -- that is how it was verified to fail."""
import json
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
import time

import msgpack
import zmq

import cwtest
from cwtest import check, BIN, PORT_BASE, PYTHON

USER = "cwintruder"

if os.geteuid() != 0 or not shutil.which("useradd") or not shutil.which("runuser"):
    print("skipped: needs root, useradd and runuser to act as a second user")
    sys.exit(0)

created_user = False
try:
    pwd.getpwnam(USER)
except KeyError:
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                    USER], check=True)
    created_user = True

INTRUDER = r'''
import json, os, sys, time
import msgpack, zmq
broker, events_in, events_out, data_dir, marker = sys.argv[1:6]
out = {}
out["data_dir_readable"] = os.access(data_dir, os.R_OK | os.X_OK)
try:
    open(os.path.join(data_dir, "codeworm.db"), "rb").read(16)
    out["ledger_read"] = True
except OSError as e:
    out["ledger_read"] = False
ctx = zmq.Context()
sub = ctx.socket(zmq.SUB)
sub.connect(events_out)
sub.setsockopt(zmq.SUBSCRIBE, b"codeworm.")
req = ctx.socket(zmq.DEALER)
req.setsockopt(zmq.LINGER, 0)
req.connect(broker)
pub = ctx.socket(zmq.PUB)
pub.setsockopt(zmq.LINGER, 0)
pub.connect(events_in)
print("READY", flush=True)
target = {"doc_type": "function_doc", "repo": "inventory", "file": "forged.py",
          "language": "python", "name": "forged", "start_line": 1, "end_line": 9,
          "complexity": 1.0, "score": 99.0, "source": "def forged(): pass",
          "code_hash": "f" * 64}
forged = {"v": 1, "type": "commit_request", "job_id": marker, "target": target,
          "documentation": "Forged by another user.", "commit_message": "Forged " + marker}
req.send_multipart([b"CWC1", b"committer", msgpack.packb(forged)])
event = {"v": 1, "type": "log", "service": "committer", "timestamp": "2026-01-01T00:00:00Z",
         "level": "error", "message": "forged " + marker}
out["reply"] = None
out["events_seen"] = []
deadline = time.time() + 8
poller = zmq.Poller()
poller.register(req, zmq.POLLIN)
poller.register(sub, zmq.POLLIN)
while time.time() < deadline:
    pub.send_multipart([b"codeworm.log", msgpack.packb(event)])
    for sock, _ in poller.poll(200):
        frames = sock.recv_multipart()
        if sock is req:
            out["reply"] = msgpack.unpackb(frames[-1], raw=False).get("type")
        else:
            out["events_seen"].append(msgpack.unpackb(frames[1], raw=False).get("type"))
print(json.dumps(out), flush=True)
'''

ws = cwtest.Workspace("access", backend="offline")
script = None
owner_ctx = zmq.Context()
try:
    os.chmod(ws.root, 0o755)  # only data_dir's own mode keeps others out
    path = os.path.join(ws.config, "config.yaml")
    lines = open(path).read().splitlines()
    if os.environ.get("CW_ACCESS_TEST_BUS") != "tcp":
        # the defaults for work and event input; the public stream on this test's port
        lines = [l for l in lines if not l.strip().startswith(("broker:", "events_in:"))]
    open(path, "w").write("\n".join(lines) + "\n")
    # the effective endpoints, as the services compute them
    if os.environ.get("CW_ACCESS_TEST_BUS") == "tcp":
        broker_ep, events_in_ep = ws.broker, ws.events_in
    else:
        broker_ep = "ipc://%s/run/broker.sock" % ws.data
        events_in_ep = "ipc://%s/run/events.sock" % ws.data
    events_out_ep = ws.events_out

    broker = ws.start(os.path.join(BIN, "codeworm-broker"), "--config", ws.config)
    committer = ws.start(os.path.join(BIN, "codeworm-committer"), "--config", ws.config)
    check(ws.wait_for_workers(services=("committer",)), "the committer registered with the broker")

    listening = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True).stdout
    mine = [l for l in listening.splitlines() if "pid=%d," % broker.pid in l]
    if os.environ.get("CW_ACCESS_TEST_BUS") != "tcp":
        check(len(mine) == 1 and (":%d " % (PORT_BASE + 2)) in mine[0] + " ",
              "the broker listens on TCP for the read-only event stream only: %r" % mine)
        run_dir = os.path.join(ws.data, "run")
        check(os.path.isdir(run_dir) and stat.S_IMODE(os.stat(run_dir).st_mode) == 0o700,
              "the bus's socket folder is 0700")

    # the owner's own watcher on the public stream
    watch = owner_ctx.socket(zmq.SUB)
    watch.connect(events_out_ep)
    watch.setsockopt(zmq.SUBSCRIBE, b"codeworm.")

    marker = "forged-%d" % os.getpid()
    fd, script = tempfile.mkstemp(prefix="cw-intruder-", suffix=".py")
    os.write(fd, INTRUDER.encode())
    os.close(fd)
    os.chmod(script, 0o644)
    intruder = subprocess.Popen(["runuser", "-u", USER, "--", PYTHON, script, broker_ep,
                                 events_in_ep, events_out_ep, ws.data, marker],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = intruder.stdout.readline().strip()
    check(first == "READY", "the second user's script started (%r)" % first)
    time.sleep(1.0)  # its subscription reaches the broker

    # the owner commits for real: allowed, and published on the public stream
    dealer = owner_ctx.socket(zmq.DEALER)
    dealer.connect(broker_ep)
    target = {"doc_type": "function_doc", "repo": "inventory", "file": "inventory/stock.py",
              "language": "python", "name": "levels", "start_line": 1, "end_line": 9,
              "complexity": 2.0, "score": 50.0, "source": "def levels(): return 1",
              "code_hash": "a" * 64}
    dealer.send_multipart([b"CWC1", b"committer", msgpack.packb({
        "v": 1, "type": "commit_request", "job_id": "owner-job", "target": target,
        "documentation": "Returns the levels.", "commit_message": "Document levels"})])
    got = None
    if dealer.poll(20000):
        got = msgpack.unpackb(dealer.recv_multipart()[-1], raw=False)
    check(got is not None and got.get("type") == "commit_reply",
          "the owner's own commit_request is answered (%r)" % (got and got.get("type")))

    out, err = intruder.communicate(timeout=60)
    result = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
    seen = result.get("events_seen", [])
    print("second user: data_dir readable %s, ledger read %s, reply %r, %d events seen (%s)"
          % (result.get("data_dir_readable"), result.get("ledger_read"), result.get("reply"),
             len(seen), ", ".join(sorted(set(seen)))))
    if err.strip():
        print("second user's stderr: %s" % err.strip()[-1000:])
    check(result.get("reply") is None, "the second user's forged commit_request got no answer")
    commits = ws.devlog_commits()
    check(not any(marker in s for _, s in commits), "nothing forged reached the DevLog: %r" % commits)
    check(any("Document levels" in s for _, s in commits), "the owner's commit is in the DevLog")
    check(result.get("data_dir_readable") is False, "the second user cannot enter data_dir")
    check(result.get("ledger_read") is False, "the second user cannot read the ledger")
    check("documentation_committed" in seen,
          "the second user still reads the public event stream (%s)" % ", ".join(sorted(set(seen))))

    forged_seen = []
    while watch.poll(200):
        topic, payload = watch.recv_multipart()
        ev = msgpack.unpackb(payload, raw=False)
        if marker in str(ev.get("message", "")):
            forged_seen.append(ev)
    check(not forged_seen, "no forged event reached the event stream (%d did)" % len(forged_seen))

    check(stat.S_IMODE(os.stat(ws.data).st_mode) == 0o700, "data_dir is 0700")
    db = os.path.join(ws.data, "codeworm.db")
    check(stat.S_IMODE(os.stat(db).st_mode) == 0o600, "the ledger is 0600")
    for name in os.listdir(ws.data):
        p = os.path.join(ws.data, name)
        if os.path.isfile(p):
            check(stat.S_IMODE(os.stat(p).st_mode) & 0o077 == 0, "%s is private" % name)
finally:
    owner_ctx.destroy(linger=0)
    ws.cleanup()
    if script:
        os.unlink(script)
    if created_user:
        subprocess.run(["userdel", USER], capture_output=True)
cwtest.finish()
