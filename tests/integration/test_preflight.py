"""A stack that explains itself. Preflight at `run` / `run-once` names the real cause and
starts nothing: an unwritable DevLog, a busy bus port, a devlog.remote the DevLog does
not have; an LLM that does not answer is only a warning (run-once then exits 3). A
service that keeps failing at start (here: its ledger path is a directory) is reported
with its last error by `run-once`, by `run` (child_failing) and by `status`, which lists
the absent service and why."""
import json
import os
import shutil
import socket
import stat
import subprocess
import time

import cwops
import cwtest
from cwtest import BIN, check

ws = cwtest.Workspace("preflight")


def procs_of(ws):
    """Processes started with this workspace's config directory."""
    out = subprocess.run(["pgrep", "-f", "--", "--config %s" % ws.config], capture_output=True,
                         text=True).stdout.split()
    return out


try:
    cwops.write_config(ws, backend="offline", interval=3600)

    # --- an unwritable DevLog: named, with the fix; nothing started
    ro = os.path.join(ws.root, "ro")
    os.makedirs(ro)
    cwops.write_config(ws, backend="offline", interval=3600,
                       extra="")
    cfg = open(os.path.join(ws.config, "config.yaml")).read()
    with open(os.path.join(ws.config, "config.yaml"), "w") as f:
        f.write(cfg.replace("repo_path: %s" % ws.devlog, "repo_path: %s/devlog" % ro))
    if os.geteuid() == 0:
        # root writes anywhere: run the command as `nobody`, who may not write into `ro`
        for d in (ws.root, ws.config, ws.source):
            os.chmod(d, 0o755)
        os.makedirs(ws.data, exist_ok=True)
        os.chmod(ws.data, 0o777)
        os.chmod(ro, 0o755)
        user = "nobody"
    else:
        os.chmod(ro, 0o555)
        user = None
    for cmd in ("run-once", "run"):
        r = subprocess.run([os.path.join(BIN, "codeworm"), "--config", ws.config, cmd],
                           capture_output=True, text=True, timeout=60, user=user, env=ws.env())
        check(r.returncode == 2, "%s with an unwritable DevLog exits 2 (got %d)" % (cmd, r.returncode))
        check("preflight:" in r.stderr and "%s/devlog" % ro in r.stderr
              and "not writable" in r.stderr and "devlog.repo_path" in r.stderr,
              "%s names the DevLog, the cause and the fix: %r" % (cmd, r.stderr[-600:]))
        check("timed out" not in r.stderr and "nothing was started" in r.stderr,
              "%s does not start anything" % cmd)
    check(not procs_of(ws), "no process was left behind")
    cwops.write_config(ws, backend="offline", interval=3600)

    # --- a busy bus port
    busy = socket.socket()
    busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    port = int(ws.events_in.rsplit(":", 1)[1])
    busy.bind(("127.0.0.1", port))
    busy.listen(1)
    for cmd in ("run-once", "run"):
        r = ws.codeworm(cmd, timeout=60)
        check(r.returncode == 2, "%s with a busy port exits 2 (got %d)" % (cmd, r.returncode))
        check("port %d" % port in r.stderr and "bus.events_in" in r.stderr and "in use" in r.stderr,
              "%s names the port and the setting: %r" % (cmd, r.stderr[-500:]))
        check("the broker did not come up" not in r.stderr, "%s says why, not a symptom" % cmd)
    busy.close()

    # --- a devlog.remote the DevLog does not have
    r = ws.codeworm("init", timeout=60)
    check(r.returncode == 0, "init creates the DevLog")
    cwops.write_config(ws, backend="offline", interval=3600, remote="upstream")
    r = ws.codeworm("run-once", timeout=60)
    check(r.returncode == 2 and "devlog.remote 'upstream' is not a remote" in r.stderr
          and "remote add upstream" in r.stderr,
          "a missing remote is named with the fix (%d: %r)" % (r.returncode, r.stderr[-500:]))
    bare = os.path.join(ws.root, "upstream.git")
    cwtest.git(ws.root, "init", "-q", "--bare", bare)
    cwtest.git(ws.devlog, "remote", "add", "upstream", bare)
    r = ws.codeworm("run-once", timeout=180)
    check(r.returncode == 0, "with the remote added, run-once commits (%d: %r)"
          % (r.returncode, r.stderr[-500:]))
    check(cwtest.git(bare, "log", "--oneline", "-1", "main", check_rc=False).strip() != "",
          "and pushes to it")

    # --- an LLM that does not answer: a warning, then exit 3 (LLM unavailable)
    cwops.write_config(ws, backend="ollama", ollama_port=1, interval=3600)
    r = ws.codeworm("run-once", timeout=180)
    check("preflight warning: the LLM does not answer" in r.stderr,
          "an unreachable LLM is a preflight warning: %r" % r.stderr[-500:])
    check(r.returncode == 3 and "LLM unavailable" in r.stdout,
          "run-once exits 3 when the LLM is unavailable (got %d: %r)" % (r.returncode, r.stdout))

    # --- a service that keeps failing at start: its ledger path is a directory
    cwops.write_config(ws, backend="offline", interval=3600)
    os.remove(os.path.join(ws.data, "codeworm.db"))
    for extra in ("-wal", "-shm"):
        if os.path.exists(os.path.join(ws.data, "codeworm.db" + extra)):
            os.remove(os.path.join(ws.data, "codeworm.db" + extra))
    os.makedirs(os.path.join(ws.data, "codeworm.db"))
    r = ws.codeworm("run-once", timeout=120)
    check(r.returncode == 2, "run-once with a failing committer exits 2 (got %d)" % r.returncode)
    check("the committer did not start" in r.stderr and "ledger_open_failed" in r.stderr,
          "run-once reports the committer's last error: %r" % r.stderr[-700:])
    check("timed out after" not in r.stderr, "and gives up without waiting out the timeout")

    log = os.path.join(ws.root, "codeworm.log")
    run = ws.start_stack()
    failing = cwops.wait_for(lambda: [e for e in cwops.log_lines(log)
                                      if e.get("event") == "child_failing"], timeout=60)
    check(failing and failing[0].get("child") == "committer"
          and "ledger_open_failed" in failing[0].get("last_error", ""),
          "run reports the committer failing with its last error (%r)" % failing[:1])
    r = ws.codeworm("status", timeout=30)
    check(r.returncode == 0, "status answers (got %d)" % r.returncode)
    lines = r.stdout.splitlines()
    section = lines[lines.index("absent:") + 1:] if "absent:" in lines else []
    absent = [l for l in section if l.strip().startswith("committer ")]
    check(absent and "ledger_open_failed" in absent[0] and "not running" in absent[0],
          "status lists the committer as absent, with why: %r" % r.stdout)
    r = ws.codeworm("status", "--json", timeout=30)
    try:
        doc = json.loads(r.stdout)
    except ValueError:
        doc = {}
    gone = [a for a in doc.get("absent", []) if a.get("service") == "committer"]
    check(doc.get("reachable") is True and gone and "ledger_open_failed" in gone[0].get("last_error", ""),
          "status --json has the committer in absent with its last error: %r" % r.stdout[-600:])
    check(doc.get("supervisor") and doc["supervisor"].get("pid") == run.pid,
          "status --json includes the supervisor's state")
    check("analyzer" not in [a.get("service") for a in doc.get("absent", [])],
          "present services are not listed as absent")
    ws.stop()
    r = ws.codeworm("status", timeout=30)
    check(r.returncode == 1 and "no broker at" in r.stdout and "supervised" not in r.stdout,
          "after `run` stopped, status says there is no broker and ignores the old state")
finally:
    ws.cleanup()
cwtest.finish()
