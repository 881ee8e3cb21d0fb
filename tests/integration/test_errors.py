"""Bad input never crashes anything and always says what to fix: a bad config file, an
unreachable broker, malformed frames on the bus, a worker started before its broker."""
import os
import subprocess
import time

import msgpack
import zmq

import cwtest
from cwtest import check, BIN

ws = cwtest.Workspace("errors")
try:
    # --- a bad config file: file:line and exit 2, for the command and for a service
    bad = os.path.join(ws.root, "badconfig")
    os.makedirs(bad)
    with open(os.path.join(bad, "config.yaml"), "w") as f:
        f.write("devlog:\n  repo_path: /tmp/x\nschedule:\n  min_commits_per_day: lots\n")
    for cmd in ([os.path.join(BIN, "codeworm"), "--config", bad, "status"],
                [os.path.join(BIN, "codeworm-scheduler"), "--config", bad]):
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        check(r.returncode == 2, "%s with a bad value exits 2 (got %d)" % (os.path.basename(cmd[0]), r.returncode))
        check("config.yaml:4" in r.stderr and "min_commits_per_day" in r.stderr,
              "%s names file, line and key: %r" % (os.path.basename(cmd[0]), r.stderr.strip()[-300:]))
    with open(os.path.join(bad, "config.yaml"), "w") as f:
        f.write("devlog:\n  repo_path: [unclosed\n")
    r = subprocess.run([os.path.join(BIN, "codeworm"), "--config", bad, "status"],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 2 and "config.yaml:" in r.stderr, "YAML syntax error gives file:line: %r" % r.stderr.strip()[-300:])
    with open(os.path.join(bad, "config.yaml"), "w") as f:
        f.write("devlog:\n  repo_path: %s\n" % ws.devlog)
    with open(os.path.join(bad, "repos.yaml"), "w") as f:
        f.write("repositories:\n  - name: ghost\n    path: /nonexistent/ghost-repo\n")
    r = subprocess.run([os.path.join(BIN, "codeworm"), "--config", bad, "run-once"],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 1 and "ghost" in r.stderr and "No repositories configured that exist" in r.stderr,
          "a missing repo path (the only one) names the repo, exit 1: %r" % r.stderr.strip()[-300:])

    # --- no repositories configured
    with open(os.path.join(bad, "repos.yaml"), "w") as f:
        f.write("repositories: []\n")
    r = subprocess.run([os.path.join(BIN, "codeworm"), "--config", bad, "run-once"],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 1 and "No repositories configured" in (r.stderr + r.stdout),
          "no repositories: 'No repositories configured', exit 1 (got %d: %r)" % (r.returncode, r.stderr[-200:]))

    # --- an unreachable broker: a clear message, no hang
    t0 = time.time()
    r = ws.codeworm("status", timeout=60)
    check(r.returncode == 1, "status without a broker exits 1 (got %d)" % r.returncode)
    check(ws.broker in (r.stdout + r.stderr), "status names the broker endpoint it tried: %r" % (r.stdout + r.stderr)[-300:])

    # --- a worker started before its broker keeps retrying, then registers
    analyzer = ws.start(os.path.join(BIN, "codeworm-analyzer"), "--config", ws.config)
    time.sleep(3)
    check(analyzer.poll() is None, "the analyzer keeps running while no broker answers")
    broker = ws.start(os.path.join(BIN, "codeworm-broker"), "--config", ws.config)
    check(ws.wait_for_workers(("analyzer",), timeout=60), "the analyzer registers once the broker is up")

    # --- malformed frames at the broker: logged and dropped, the broker keeps serving
    ctx = zmq.Context()
    raw = ctx.socket(zmq.DEALER)
    raw.connect(ws.broker)
    garbage = [
        [b"garbage"],
        [b"CWC1"],
        [b"CWC1", b"analyzer"],
        [b"CWC1", b"analyzer", b"\xc1\xc1\xc1"],
        [b"CWC1", b"analyzer", b"\xdd\xff\xff\xff\xff"],                       # array of 4G elements, 5 bytes
        [b"CWC1", b"analyzer", msgpack.packb({"v": 1, "type": "analyze_request"})],  # no job_id
        [b"CWC1", b"analyzer", msgpack.packb({"v": 99, "type": "analyze_request", "job_id": "x"})],
        [b"CWC1", b"analyzer", msgpack.packb([1, 2, 3])],
        [b"CWC1", b"analyzer", msgpack.packb({1: 2})],
        [b"CWW1", b"\x09"],
        [b"CWW1", b"\x03", b"nobody", b"\x80"],
        [b"CWC1", b"nosuchservice", msgpack.packb({"v": 1, "type": "status_request", "job_id": "y"})],
        [b"CWC1", b"analyzer", b"x" * (9 * 1024 * 1024)],                       # over the size limit
    ]
    for frames in garbage:
        raw.send_multipart(frames)
    time.sleep(1)
    raw.close(0)
    pub = ctx.socket(zmq.PUB)
    pub.connect(ws.events_in)
    time.sleep(0.5)
    pub.send_multipart([b"codeworm.log", b"\xc1"])
    pub.send_multipart([b"codeworm.log"])
    pub.close(0)
    ctx.term()
    time.sleep(1)
    check(broker.poll() is None, "the broker survives malformed frames")
    r = ws.codeworm("status", timeout=60)
    check(r.returncode == 0 and "analyzer" in r.stdout, "the broker still answers after malformed frames: %r" % r.stdout)
    r = ws.codeworm("analyze", "--limit", "3", "--json", timeout=60)
    check(r.returncode == 0 and r.stdout.count("\n") >= 1, "analyze still works: %r" % r.stderr[-300:])
finally:
    ws.cleanup()
cwtest.finish()
