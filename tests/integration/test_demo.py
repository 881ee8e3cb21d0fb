"""The demo configuration (what `make run` starts) commits documentation within a minute,
with no LLM installed. Runs from the checkout like `make run`, with the data dir and the
bus moved aside through CODEWORM_* environment overrides."""
import os
import shutil
import signal
import subprocess
import tempfile
import time

import cwtest
from cwtest import check, BIN, SRC, PORT_BASE

root = tempfile.mkdtemp(prefix="cw-demo-")
env = dict(os.environ,
           CODEWORM_DATA_DIR=os.path.join(root, "data"),
           CODEWORM_DEVLOG__REPO_PATH=os.path.join(root, "devlog"),
           CODEWORM_BUS__BROKER="tcp://127.0.0.1:%d" % PORT_BASE,
           CODEWORM_BUS__EVENTS_IN="tcp://127.0.0.1:%d" % (PORT_BASE + 1),
           CODEWORM_BUS__EVENTS_OUT="tcp://127.0.0.1:%d" % (PORT_BASE + 2),
           CODEWORM_DASHBOARD__PORT=str(PORT_BASE + 5))
log = open(os.path.join(root, "run.log"), "wb")
proc = subprocess.Popen([os.path.join(BIN, "codeworm"), "--config", "deploy/demo", "run"], cwd=SRC,
                        env=env, stdout=log, stderr=log, start_new_session=True)
try:
    devlog = os.path.join(root, "devlog")
    started = time.time()
    commits = []
    while time.time() - started < 60:
        if os.path.isdir(os.path.join(devlog, ".git")):
            out = subprocess.run(["git", "-C", devlog, "log", "--format=%s"], capture_output=True, text=True).stdout
            commits = [l for l in out.splitlines() if l and "Initialize" not in l]
            if commits:
                break
        time.sleep(1)
    check(bool(commits), "the demo committed documentation within a minute (after %.0f s): %r"
          % (time.time() - started, commits))
    check(proc.poll() is None, "the demo stack is still running")
    # the demo starts the dashboard too (dashboard.enabled), here on PORT_BASE + 5
    import json
    import urllib.request
    stats = {}
    for _ in range(40):
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/api/stats" % (PORT_BASE + 5), timeout=5) as r:
                stats = json.loads(r.read())
            if stats.get("total_documented", 0) >= 1:
                break
        except OSError:
            pass
        time.sleep(0.5)
    check(stats.get("total_documented", 0) >= 1, "the demo's dashboard shows the documents (%r)" % stats)
finally:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            rc = proc.wait(timeout=30)
            check(rc == 0, "codeworm run stops cleanly on SIGTERM (exit %d)" % rc)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            check(False, "codeworm run stops within 30 s of SIGTERM")
    left = subprocess.run(["pgrep", "-f", "--", "--config deploy/demo"], capture_output=True, text=True).stdout.split()
    check(not left, "no stack process outlives codeworm run (left: %r)" % left)
    if cwtest.failures:
        print(open(os.path.join(root, "run.log"), errors="replace").read()[-3000:])
    shutil.rmtree(root, ignore_errors=True)
cwtest.finish()
