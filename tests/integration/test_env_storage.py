"""Bad environment, storage (issue 10): a full disk, a read-only DevLog and a ledger locked
by another writer, each under a running stack (`codeworm run`, offline backend, a cycle a
second). During the fault cycles fail cleanly (nothing half-written, DevLog and ledger
agree); once it ends work resumes on its own, through the scheduler's probe of the failed
step rather than after the failure backoff (up to 300 s). Each scenario prints how long the
resumption took; docs/BENCHMARKS.md keeps those figures. The disk scenarios need root
(mount); without it they are skipped with a message."""
import os
import sqlite3
import subprocess
import threading
import time

import cwenv
import cwtest
from cwtest import check

RESUME_TIMEOUT = 90  # the test's own limit; a resumption normally takes seconds
mounts = []  # small filesystems of the scenario running now


def run_scenario(name, setup, fault_on, fault_off, resumes_document):
    """resumes_document: the fault hits the commit of a generated document, which must be
    delivered once the fault ends (cycle_resumed), not generated again."""
    ws = cwtest.Workspace(name, backend="offline")
    try:
        setup(ws)
        cwenv.scheduled(ws)
        ws.start_stack()
        took = cwenv.wait_commits(ws, 1, 60)
        check(took is not None, "%s: the stack commits before the fault" % name)
        before = len(cwenv.doc_commits(ws))
        log_mark = len(cwenv.stack_log(ws))
        fault_on(ws)
        time.sleep(6)  # several cycles meet the fault
        during = len(cwenv.doc_commits(ws))
        fault_off(ws)
        ended = time.time()
        took = cwenv.wait_commits(ws, during + 1, RESUME_TIMEOUT)
        check(took is not None, "%s: work resumes after the fault ends" % name)
        if took is not None:
            print("RESUME %s: next commit %.1f s after the fault ended" % (name, took))
        log = cwenv.stack_log(ws)[log_mark:]
        failed = cwenv.events_since(log, "cycle_failed") + cwenv.events_since(log, "cycle_deferred")
        check(failed > 0, "%s: cycles failed (or waited) while the fault lasted (%d)" % (name, failed))
        probes = cwenv.events_since(log, "environment_recovered")
        resumed = cwenv.events_since(log, "cycle_resumed")
        print("%s: %d commits before, %d during the fault; %d probe recoveries, %d resumed "
              "commits" % (name, before, during - before, probes, resumed))
        if resumes_document:
            check(resumed > 0, "%s: the document generated during the fault is committed "
                  "after it, not generated again (%d resumed)" % (name, resumed))
        ws.stop()
        cwenv.check_consistent(ws, name)
        return ws
    finally:
        ws.stop()
        while mounts:
            cwenv.umount(mounts.pop())
        ws.cleanup()


# ---------------------------------------------------------------- locked ledger
holder = {}


def lock_on(ws):
    def hold():
        db = sqlite3.connect(os.path.join(ws.data, "codeworm.db"), timeout=30,
                             isolation_level=None)
        db.execute("BEGIN IMMEDIATE")
        holder["release"].wait(60)
        db.execute("COMMIT")
        db.close()
    holder["release"] = threading.Event()
    holder["thread"] = threading.Thread(target=hold)
    holder["thread"].start()


def lock_off(ws):
    holder["release"].set()
    holder["thread"].join()


# The dedup step claims its target in a write transaction, so a locked ledger stops cycles
# there, before anything is generated (nothing to resume: no LLM call is wasted); a commit
# that meets the lock is covered by unit/test_committer_ledger_lock.c.
run_scenario("ledger-locked", lambda ws: None, lock_on, lock_off, False)

# ---------------------------------------------------------------- disk full, read-only
if not cwenv.can_mount():
    print("skipped: disk full and read-only DevLog need root to mount a small filesystem")
else:
    def small_disk(ws):
        disk = os.path.join(ws.root, "disk")
        cwenv.mount_tmpfs(disk, "16m")
        mounts.append(disk)
        cwenv.move(ws, data=os.path.join(disk, "data"), devlog=os.path.join(disk, "devlog"))

    def fill(ws):
        filler = os.path.join(mounts[-1], "filler")
        # unbuffered: nothing is left to flush (and fail) when the file is closed
        with open(filler, "wb", buffering=0) as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
            except OSError:
                pass
        st = os.statvfs(mounts[-1])
        print("disk full: %d bytes left" % (st.f_bavail * st.f_frsize))

    def unfill(ws):
        os.unlink(os.path.join(mounts[-1], "filler"))

    run_scenario("disk-full", small_disk, fill, unfill, False)

    def own_devlog_fs(ws):
        cwenv.mount_tmpfs(ws.devlog, "16m")
        mounts.append(ws.devlog)

    def read_only(ws):
        r = subprocess.run(["mount", "-o", "remount,ro", ws.devlog], capture_output=True, text=True)
        check(r.returncode == 0, "DevLog remounted read-only (%s)" % r.stderr.strip())

    def read_write(ws):
        r = subprocess.run(["mount", "-o", "remount,rw", ws.devlog], capture_output=True, text=True)
        check(r.returncode == 0, "DevLog writable again (%s)" % r.stderr.strip())

    run_scenario("devlog-read-only", own_devlog_fs, read_only, read_write, True)

cwtest.finish()
