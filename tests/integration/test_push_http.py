"""Pushes that arrive, against a real git server on loopback: git's `git http-backend`
behind a small HTTP server with basic auth (tests/fakes/git_http_server.py).

With `codeworm run` (the whole stack, notifier included, alerts to a webhook):
  - a commit is pushed with devlog.token, and run-once says so;
  - the server goes down: commits stay local and run-once says the push will follow;
    the server comes back: the committer's retries push them all, without a new commit;
  - the remote moved on (someone pushed a README): fetched, merged, pushed;
  - the remote refuses for a secret (GH013): push_blocked, and the webhook alert arrives.
With run-once's private stack:
  - wrong credentials fail once, clearly, without retries;
  - devlog.remote "origin" on a DevLog without such a remote is reported in plain words.
The token never shows in a log line or on the bus."""
import json
import os
import shutil
import subprocess
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import msgpack
import zmq

import cwtest
from cwtest import check

TOKEN = "tok-Pz7Qw9Lm2Xv4"


class Workspace(cwtest.Workspace):
    def __init__(self, *a, **kw):
        self.extra_env = {}
        super().__init__(*a, **kw)

    def env(self):
        e = super().env()
        e.update(self.extra_env)
        return e


def start_git_server(ws, root, port=0):
    cmd = [cwtest.PYTHON, os.path.join(cwtest.SRC, "tests", "fakes", "git_http_server.py"),
           "--root", root, "--password", TOKEN, "--port", str(port)]
    for _ in range(50):
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                             start_new_session=True)
        line = p.stdout.readline()
        if line.startswith("PORT "):
            return p, int(line.split()[1])
        p.wait()
        time.sleep(0.2)  # the port may still be closing
    raise RuntimeError("git_http_server did not start")


def stop_proc(p):
    p.terminate()
    p.wait(timeout=10)


def server_log(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/_log" % port, timeout=10) as r:
        return json.loads(r.read().decode())


class Hooks:
    """A webhook receiver: records the alerts the notifier posts."""

    def __init__(self):
        self.bodies = []
        outer = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                outer.bodies.append(self.rfile.read(n).decode("utf-8", "replace"))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class Events:
    def __init__(self, endpoint):
        self.ctx = zmq.Context()
        self.sub = self.ctx.socket(zmq.SUB)
        self.sub.setsockopt(zmq.SUBSCRIBE, b"codeworm.")
        self.sub.connect(endpoint)
        self.seen = []

    def drain(self, seconds=1.0):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if self.sub.poll(100):
                topic, payload = self.sub.recv_multipart()
                self.seen.append((topic.decode(), msgpack.unpackb(payload, raw=False)))
        return self.seen

    def of(self, name):
        return [e for t, e in self.seen if t == "codeworm." + name]

    def close(self):
        self.sub.close(0)
        self.ctx.term()


def head(repo):
    return cwtest.git(repo, "rev-parse", "HEAD", check_rc=False).strip()


def remote_head(bare):
    return subprocess.run(["git", "--git-dir", bare, "rev-parse", "refs/heads/main"],
                          capture_output=True, text=True).stdout.strip()


ws = Workspace("push", backend="offline")
events = None
server = None
try:
    served = os.path.join(ws.root, "served")
    bare = os.path.join(served, "devlog.git")
    os.makedirs(served)
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", bare], check=True)
    server, port = start_git_server(ws, served)
    url = "http://127.0.0.1:%d/devlog.git" % port
    hooks = Hooks()
    ws.extra_env.update({"CODEWORM_DEVLOG__REMOTE": url, "CODEWORM_DEVLOG__TOKEN": TOKEN,
                         "CODEWORM_WEBHOOK__URL": "http://127.0.0.1:%d/alert" % hooks.port})

    events = Events(ws.events_out)
    ws.start_stack()
    check(ws.wait_for_workers(), "the stack registers its workers")
    time.sleep(1.0)

    # --- a commit arrives
    r = ws.codeworm("run-once", timeout=180)
    check(r.returncode == 0, "run-once commits (rc %d, %r)" % (r.returncode, r.stderr[-500:]))
    check("push:   pushed" in r.stdout, "run-once reports the push (%r)" % r.stdout)
    check(remote_head(bare) == head(ws.devlog) != "", "the server has the DevLog's commit")

    # --- the server goes down: commits stay local, then arrive when it is back
    stop_proc(server)
    for i in range(2):
        r = ws.codeworm("run-once", timeout=180)
        check(r.returncode == 0, "run-once commits while the server is down (%d)" % i)
        check("push:   not yet" in r.stdout and "carries it" in r.stdout,
              "run-once says the push will follow (%r)" % r.stdout)
    local = head(ws.devlog)
    check(remote_head(bare) != local, "the server does not have the last commits yet")
    server, port2 = start_git_server(ws, served, port)
    check(port2 == port, "the server is back on its port")
    deadline = time.time() + 60
    while time.time() < deadline and remote_head(bare) != local:
        time.sleep(0.5)
    check(remote_head(bare) == local, "the committer's retries pushed both commits once the "
          "server was back, without a new commit")
    events.drain(1.5)
    failed = events.of("push_failed")
    check(len(failed) >= 1 and all(e.get("consecutive", 0) >= 1 for e in failed),
          "push_failed events count the failures (%d)" % len(failed))
    check(any("back" in e.get("message", "") for e in events.of("log")),
          "a log event says the remote is back")

    # --- the remote moved on: someone pushed a README
    other = os.path.join(ws.root, "other")
    subprocess.run(["git", "clone", "-q", "-b", "main", bare, other], check=True)
    with open(os.path.join(other, "README.md"), "w") as f:
        f.write("# My DevLog\n")
    cwtest.git(other, "add", "README.md")
    cwtest.git(other, "commit", "-q", "-m", "Add a README")
    cwtest.git(other, "push", "-q", "origin", "main")
    r = ws.codeworm("run-once", timeout=180)
    check("push:   pushed" in r.stdout, "after the remote moved on, the push still arrives (%r)"
          % (r.stdout + r.stderr[-300:]))
    log = cwtest.git(ws.devlog, "log", "--format=%s", check_rc=False)
    check("Add a README" in log and "Merge the remote's changes" in log,
          "the remote's commit was merged into the DevLog")
    check(os.path.isfile(os.path.join(ws.devlog, "README.md")), "the README is in the DevLog")
    check(remote_head(bare) == head(ws.devlog), "the server has the merged history")

    # --- secret scanning refuses the push: blocked, alerted at once
    hook = os.path.join(bare, "hooks", "pre-receive")
    with open(hook, "w") as f:
        f.write("#!/bin/sh\necho 'error: GH013: Repository rule violations found for "
                "refs/heads/main. Push cannot contain secrets' >&2\nexit 1\n")
    os.chmod(hook, 0o755)
    r = ws.codeworm("run-once", timeout=180)
    check(r.returncode == 0 and "push:   FAILED (blocked)" in r.stdout and "GH013" in r.stdout,
          "run-once reports the blocked push (%r)" % r.stdout)
    deadline = time.time() + 20
    while time.time() < deadline and not any("Push blocked" in b for b in hooks.bodies):
        time.sleep(0.3)
    check(any("Push blocked" in b and "secret scanning" in b for b in hooks.bodies),
          "the webhook got the push_blocked alert (%r)" % hooks.bodies[-3:])
    events.drain(1.0)
    check(len(events.of("push_blocked")) == 1, "one push_blocked event")
    os.remove(hook)
    ws.stop()

    # --- wrong credentials: once, clearly (run-once's private stack)
    ws.extra_env["CODEWORM_DEVLOG__TOKEN"] = "wrong-Token-123"
    before = len(server_log(port))
    r = ws.codeworm("run-once", timeout=180)
    check(r.returncode == 0, "run-once still commits with wrong credentials")
    check("push:   FAILED (refused)" in r.stdout and "authentication failed" in r.stdout
          and "devlog.token" in r.stdout, "run-once says the credentials were refused (%r)"
          % r.stdout)
    check("wrong-Token-123" not in r.stdout + r.stderr, "the token is not printed")
    requests = server_log(port)[before:]
    check(0 < len(requests) <= 3, "the refused credentials were tried once, not retried "
          "(%d requests)" % len(requests))

    # --- a named remote that does not exist: run-once stops before it starts anything
    # (preflight), naming the remote and the fix; a committer started on its own (systemd,
    # compose: no preflight) reports it at start
    ws.extra_env["CODEWORM_DEVLOG__REMOTE"] = "origin"
    ws.extra_env["CODEWORM_DEVLOG__TOKEN"] = TOKEN
    r = ws.codeworm("run-once", timeout=180)
    check(r.returncode == 2 and "'origin' is not a remote" in r.stderr
          and "remote add origin" in r.stderr,
          "run-once names the missing remote and the fix (%d: %r)" % (r.returncode, r.stderr[-400:]))
    check("unsupported URL protocol" not in r.stdout + r.stderr, "no libgit2 jargon")
    committer = ws.start(os.path.join(cwtest.BIN, "codeworm-committer"), "--config", ws.config)
    clog = os.path.join(ws.root, "codeworm-committer.log")
    reported = False
    deadline = time.time() + 30
    while time.time() < deadline and not reported:
        time.sleep(0.2)
        with open(clog, encoding="utf-8", errors="replace") as f:
            reported = "devlog_remote_problem" in f.read()
    committer.terminate()
    committer.wait(timeout=30)
    check(reported, "the committer reported the missing remote at start")

    # --- the token never reached a log or the bus
    logs = ""
    for dirpath, _, files in os.walk(ws.root):
        if "served" in dirpath or ".git" in dirpath:
            continue
        for name in files:
            if name.endswith(".log"):
                logs += open(os.path.join(dirpath, name), encoding="utf-8", errors="replace").read()
    check(len(logs) > 1000, "service logs were written")
    check(TOKEN not in logs and "wrong-Token-123" not in logs, "no token in any log")
    check(all(TOKEN not in json.dumps(e) for _, e in events.seen), "no token on the bus")
finally:
    if events:
        events.close()
    if server and server.poll() is None:
        stop_proc(server)
    ws.cleanup()
cwtest.finish()
