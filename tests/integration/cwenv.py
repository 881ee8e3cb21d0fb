"""Helpers for the bad-environment tests (issue 10): a scheduled stack, commit counting,
and the consistency checks every fault must leave true."""
import os
import re
import sqlite3
import subprocess
import time

import cwtest
from cwtest import check, BIN


def scheduled(ws, interval=1, extra=""):
    """Turn the Workspace's schedule on (a cycle every `interval` seconds)."""
    path = os.path.join(ws.config, "config.yaml")
    text = open(path).read()
    text = text.replace("schedule:\n  enabled: false",
                        "schedule:\n  enabled: true\n  interval_seconds: %d" % interval)
    open(path, "w").write(text + extra)


def move(ws, data=None, devlog=None):
    """Point data_dir and/or devlog.repo_path somewhere else (e.g. a small filesystem)."""
    path = os.path.join(ws.config, "config.yaml")
    text = open(path).read()
    if data:
        text = text.replace("data_dir: %s" % ws.data, "data_dir: %s" % data)
        ws.data = data
    if devlog:
        text = text.replace("repo_path: %s" % ws.devlog, "repo_path: %s" % devlog)
        ws.devlog = devlog
    open(path, "w").write(text)


def doc_commits(ws):
    return [c for c in ws.devlog_commits() if "Initialize" not in c[1]]


def wait_commits(ws, n, timeout):
    """Wait until the DevLog has at least n documentation commits; the seconds it took, or
    None on timeout."""
    start = time.time()
    while time.time() - start < timeout:
        if len(doc_commits(ws)) >= n:
            return time.time() - start
        time.sleep(0.2)
    return None


def stack_log(ws):
    p = os.path.join(ws.root, "codeworm.log")
    return open(p, errors="replace").read() if os.path.exists(p) else ""


def job_trailers(ws):
    out = cwtest.git(ws.devlog, "log", "--format=%H %(trailers:key=CodeWorm-Job,valueonly)",
                     check_rc=False)
    jobs = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2:
            jobs[parts[1]] = parts[0]
    return jobs


def check_consistent(ws, label):
    """What every fault must leave: nothing half-written, DevLog and ledger agree."""
    status = cwtest.git(ws.devlog, "status", "--porcelain", "--untracked-files=all",
                        check_rc=False)
    check(status.strip() == "", "%s: nothing half-written in the DevLog (%r)" % (label, status))
    fsck = subprocess.run(["git", "-C", ws.devlog, "fsck", "--no-dangling"], capture_output=True,
                          text=True)
    check(fsck.returncode == 0, "%s: git fsck is clean (%s)" % (label, fsck.stderr.strip()[-300:]))
    db = sqlite3.connect(os.path.join(ws.data, "codeworm.db"))
    try:
        ok = db.execute("PRAGMA integrity_check").fetchone()[0]
        check(ok == "ok", "%s: ledger integrity_check %s" % (label, ok))
        jobs = {r[0]: r[1] for r in db.execute("SELECT job_id, commit_oid FROM committed_jobs")}
        dup = db.execute("SELECT code_hash, doc_type, COUNT(*) FROM documented_snippets "
                         "GROUP BY code_hash, doc_type HAVING COUNT(*) > 1").fetchall()
        rows = db.execute("SELECT COUNT(*) FROM documented_snippets").fetchone()[0]
    finally:
        db.close()
    trailers = job_trailers(ws)
    check(jobs == trailers, "%s: DevLog commits and ledger jobs agree (%d vs %d)"
          % (label, len(trailers), len(jobs)))
    check(rows == len(trailers), "%s: one ledger row per documentation commit (%d rows, %d "
          "commits)" % (label, rows, len(trailers)))
    check(not dup, "%s: no (code_hash, doc_type) documented twice (%r)" % (label, dup))
    cycles = os.path.join(ws.data, "cycles.db")
    if os.path.exists(cycles):
        db = sqlite3.connect(cycles)
        try:
            ok = db.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            db.close()
        check(ok == "ok", "%s: cycle log integrity_check %s" % (label, ok))


def mount_tmpfs(path, size):
    os.makedirs(path, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0700" % size, "tmpfs", path],
                   check=True)


def umount(path):
    subprocess.run(["umount", "-l", path], capture_output=True)


def can_mount():
    if os.geteuid() != 0:
        return False
    probe = "/tmp/cw-mount-probe-%d" % os.getpid()
    try:
        mount_tmpfs(probe, "1m")
    except (subprocess.CalledProcessError, OSError):
        return False
    umount(probe)
    os.rmdir(probe)
    return True


def events_since(log, event, start_at=0):
    return len(re.findall(r'"event":"%s"' % re.escape(event), log[start_at:]))
