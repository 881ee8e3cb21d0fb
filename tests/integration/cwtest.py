"""Shared helpers for CodeWorm's integration tests: real processes, real sockets.

Environment (set by ctest): CW_BIN_DIR (built binaries), CW_SOURCE_DIR (the checkout),
CW_PORT_BASE (20 free ports for this test).
"""
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

SRC = os.environ.get("CW_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BIN = os.environ.get("CW_BIN_DIR", os.path.join(SRC, "build", "bin"))
PORT_BASE = int(os.environ.get("CW_PORT_BASE", "23000"))
PYTHON = "/usr/bin/python3"

REFERENCE_COLUMNS = ["id", "source_repo", "source_file", "function_name", "class_name",
                     "code_hash", "documented_at", "snippet_path", "git_commit", "doc_type"]

failures = []


def check(cond, what):
    """Record a failed expectation (the test keeps going to report all of them)."""
    if cond:
        print("ok   - " + what, flush=True)
    else:
        print("FAIL - " + what, flush=True)
        failures.append(what)


def finish():
    passed = sum(1 for _ in range(0))
    if failures:
        print("%d failed: %s" % (len(failures), "; ".join(failures)))
        sys.exit(1)
    print("all checks passed")
    sys.exit(0)


def git(cwd, *args, check_rc=True):
    env = dict(os.environ, GIT_AUTHOR_NAME="Tester", GIT_AUTHOR_EMAIL="t@example.com",
               GIT_COMMITTER_NAME="Tester", GIT_COMMITTER_EMAIL="t@example.com")
    r = subprocess.run(["git", "-C", cwd] + list(args), capture_output=True, text=True, env=env)
    if check_rc and r.returncode != 0:
        raise RuntimeError("git %s failed: %s" % (" ".join(args), r.stderr))
    return r.stdout


class Workspace:
    """A temporary world: a source repository, a config dir, a data dir, a DevLog path."""

    def __init__(self, name, backend="ollama", ollama_port=None, extra_config=""):
        self.root = tempfile.mkdtemp(prefix="cw-%s-" % name)
        self.source = os.path.join(self.root, "source")
        self.config = os.path.join(self.root, "config")
        self.data = os.path.join(self.root, "data")
        self.devlog = os.path.join(self.root, "devlog")
        self.broker = "tcp://127.0.0.1:%d" % PORT_BASE
        self.events_in = "tcp://127.0.0.1:%d" % (PORT_BASE + 1)
        self.events_out = "tcp://127.0.0.1:%d" % (PORT_BASE + 2)
        shutil.copytree(os.path.join(SRC, "tests", "fixtures", "pipeline_repo"), self.source)
        git(self.source, "init", "-q", "-b", "main")
        git(self.source, "add", "-A")
        git(self.source, "commit", "-q", "-m", "Initial inventory code")
        os.makedirs(self.config)
        lines = [
            "data_dir: %s" % self.data,
            "devlog:",
            "  repo_path: %s" % self.devlog,
            "  author_name: CodeWorm Test",
            "  author_email: codeworm@test.invalid",
            "llm:",
            "  backend: %s" % backend,
            "ollama:",
            "  host: 127.0.0.1",
            "  port: %d" % (ollama_port or PORT_BASE + 9),
            "  model: test-model",
            "schedule:",
            "  enabled: false",
            "bus:",
            "  broker: %s" % self.broker,
            "  events_in: %s" % self.events_in,
            "  events_out: %s" % self.events_out,
            "analyzer:",
            "  min_lines: 10",
        ]
        with open(os.path.join(self.config, "config.yaml"), "w") as f:
            f.write("\n".join(lines) + "\n" + extra_config)
        with open(os.path.join(self.config, "repos.yaml"), "w") as f:
            f.write("repositories:\n  - name: inventory\n    path: %s\n    weight: 5\n    enabled: true\n"
                    % self.source)
        self.procs = []

    def env(self):
        e = dict(os.environ)
        e["CW_TEST_FAST"] = "1"
        return e

    def codeworm(self, *args, timeout=120):
        cmd = [os.path.join(BIN, "codeworm"), "--config", self.config] + list(args)
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=self.env())

    def start(self, *cmd, stdout=subprocess.DEVNULL):
        log = open(os.path.join(self.root, "%s.log" % os.path.basename(cmd[0])), "ab")
        p = subprocess.Popen(list(cmd), stdout=stdout, stderr=log, env=self.env(),
                             start_new_session=True)
        self.procs.append(p)
        return p

    def start_stack(self):
        """`codeworm run`: the whole supervised stack."""
        return self.start(os.path.join(BIN, "codeworm"), "--config", self.config, "run")

    def wait_for_workers(self, services=("analyzer", "generator", "committer"), timeout=30):
        deadline = time.time() + timeout
        out = ""
        while time.time() < deadline:
            r = self.codeworm("status", timeout=20)
            out = r.stdout
            if r.returncode == 0 and all(_has_worker(out, s) for s in services):
                return True
            time.sleep(0.5)
        print("status never showed workers for %s; last output:\n%s" % (services, out))
        return False

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        self.procs = []

    def ledger_rows(self):
        db = os.path.join(self.data, "codeworm.db")
        if not os.path.exists(db):
            return [], []
        con = sqlite3.connect(db)
        try:
            cols = [r[1] for r in con.execute("PRAGMA table_info(documented_snippets)")]
            rows = con.execute("SELECT * FROM documented_snippets ORDER BY documented_at").fetchall()
        finally:
            con.close()
        return cols, rows

    def devlog_commits(self):
        """(oid, subject) of every commit in the DevLog, newest first."""
        if not os.path.isdir(os.path.join(self.devlog, ".git")):
            return []
        out = git(self.devlog, "log", "--format=%H%x09%s", check_rc=False)
        return [tuple(l.split("\t", 1)) for l in out.splitlines() if "\t" in l]

    def cleanup(self):
        self.stop()
        if not os.environ.get("CW_KEEP_TMP"):
            shutil.rmtree(self.root, ignore_errors=True)


def _has_worker(status_text, service):
    """`codeworm status` prints a table: SERVICE WORKERS BUSY QUEUED."""
    for line in status_text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == service and parts[1].isdigit():
            return int(parts[1]) > 0
    return False


def start_fake_ollama(ws, *args):
    """The stand-in Ollama on a free port; returns (process, port)."""
    cmd = [PYTHON, os.path.join(SRC, "tests", "fakes", "fake_ollama.py"), "--port", "0"] + list(args)
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                         start_new_session=True)
    ws.procs.append(p)
    line = p.stdout.readline()
    if not line.startswith("PORT "):
        raise RuntimeError("fake_ollama did not print its port: %r" % line)
    return p, int(line.split()[1])


def set_ollama_port(ws, port):
    path = os.path.join(ws.config, "config.yaml")
    text = open(path).read().replace("port: %d" % (PORT_BASE + 9), "port: %d" % port)
    open(path, "w").write(text)


def check_document(path, repo_name):
    """Assert a DevLog document is in the reference format and clean. Returns problems."""
    text = open(path, encoding="utf-8").read()
    problems = []
    lines = text.split("\n")
    if not lines[0].startswith("# "):
        problems.append("first line is not '# <name>'")
    expected_prefixes = ["", "**Type:** ", "**Repository:** %s" % repo_name, "**File:** ",
                         "**Language:** python", "**Lines:** ", "**Complexity:** ", "", "---", "",
                         "## Source Code", "", "```python"]
    for i, prefix in enumerate(expected_prefixes, start=1):
        if i >= len(lines) or not lines[i].startswith(prefix) or (prefix == "" and lines[i] != ""):
            problems.append("line %d %r does not start with %r" % (i + 1, lines[i] if i < len(lines) else None, prefix))
    import re
    if not re.match(r"^\*\*Complexity:\*\* \d+\.\d+$", lines[7] if len(lines) > 7 else ""):
        problems.append("complexity line is not a decimal: %r" % (lines[7] if len(lines) > 7 else None))
    if not re.search(r"\n---\n\n\*Generated by CodeWorm on \d{4}-\d{2}-\d{2} \d{2}:\d{2}\*\n?$", text):
        problems.append("footer missing or malformed")
    fences = [l for l in lines if l.strip().startswith("```")]
    if len(fences) % 2:
        problems.append("odd number of code fence lines (%d)" % len(fences))
    lowered = text.lower()
    for bad in ("here is the documentation", "here's the documentation", "```markdown",
                "this documentation provides", "let me know if", "i hope this helps"):
        if bad in lowered:
            problems.append("contains %r" % bad)
    return problems
