"""`codeworm dashboard [--host] [--port]`: serves the dashboard without a stack (the ledger
alone), says where, refuses bad options, reports a port in use with its cause and exit 1,
and stops on SIGTERM."""
import json
import os
import signal
import subprocess
import time
import urllib.request

import cwtest
from cwtest import BIN, PORT_BASE, check

ws = cwtest.Workspace("dashboard-cli", backend="offline")
PORT = PORT_BASE + 6


def codeworm(*args):
    return [os.path.join(BIN, "codeworm"), "--config", ws.config] + list(args)


try:
    for bad, why in ((["--port", "0"], "--port must be a number from 1 to 65535"),
                     (["--port", "http"], "--port must be a number"),
                     (["--host"], "--host needs a value"),
                     (["--verbose"], "unknown option '--verbose'")):
        r = ws.codeworm("dashboard", *bad)
        check(r.returncode == 2 and why in r.stderr, "dashboard %s: exit 2, %r (%d %r)"
              % (" ".join(bad), why, r.returncode, r.stderr[-200:]))
    r = ws.codeworm("dashboard", "--help")
    check(r.returncode == 0 and "--host HOST" in r.stdout and "127.0.0.1:8420" in r.stdout,
          "dashboard --help names the options and the default address")

    p = subprocess.Popen(codeworm("dashboard", "--port", str(PORT)), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, start_new_session=True)
    first = p.stdout.readline()
    check(first.strip() == "CodeWorm dashboard: http://127.0.0.1:%d/ (Ctrl-C stops it)" % PORT,
          "it says where it serves (%r)" % first)
    stats = None
    for _ in range(100):
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/api/stats" % PORT, timeout=5) as resp:
                stats = json.loads(resp.read())
            break
        except OSError:
            time.sleep(0.1)
    check(stats is not None and stats.get("total_documented") == 0,
          "it serves /api/stats with no stack and no ledger yet (%r)" % stats)

    r = ws.codeworm("dashboard", "--port", str(PORT))
    check(r.returncode == 1 and ("cannot listen on 127.0.0.1:%d" % PORT) in r.stderr
          and "in use" in r.stderr,
          "a second one on the same port exits 1 and says why (%d %r)" % (r.returncode, r.stderr[-300:]))

    os.killpg(p.pid, signal.SIGTERM)
    try:
        rc = p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        rc = p.wait()
    p.stdout.close()
    p.stderr.close()
    check(rc == 0, "it stops on SIGTERM with exit 0 (got %d)" % rc)
finally:
    ws.cleanup()
cwtest.finish()
