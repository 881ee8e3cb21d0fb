"""Helpers for the operations tests (reload, preflight, status, CLI semantics): a config
written from settings, the JSON log lines of a process, waiting for a condition, the
stand-in webhook, and repositories with and without something to document."""
import json
import os
import shutil
import subprocess
import time
import urllib.request

import cwtest


def write_config(ws, backend="offline", model="test-model", ollama_port=None, interval=0,
                 enabled=True, webhook=None, alert_after=5, remote="", extra=""):
    """config.yaml for `ws`, on its ports, data dir and DevLog."""
    lines = [
        "data_dir: %s" % ws.data,
        "devlog:",
        "  repo_path: %s" % ws.devlog,
        "  remote: \"%s\"" % remote,
        "  author_name: CodeWorm Test",
        "  author_email: codeworm@test.invalid",
        "llm:",
        "  backend: %s" % backend,
        "ollama:",
        "  host: 127.0.0.1",
        "  port: %d" % (ollama_port or cwtest.PORT_BASE + 9),
        "  model: %s" % model,
        "schedule:",
        "  enabled: %s" % ("true" if enabled else "false"),
        "  interval_seconds: %s" % interval,
        "telegram:",
        "  alert_after_failures: %d" % alert_after,
        "bus:",
        "  broker: %s" % ws.broker,
        "  events_in: %s" % ws.events_in,
        "  events_out: %s" % ws.events_out,
        "analyzer:",
        "  min_lines: 10",
    ]
    if webhook:
        lines += ["webhook:", "  url: %s" % webhook]
    with open(os.path.join(ws.config, "config.yaml"), "w") as f:
        f.write("\n".join(lines) + "\n" + extra)


def write_repos(ws, repos):
    """repos.yaml from [(name, path, weight)]."""
    text = "repositories:\n"
    for name, path, weight in repos:
        text += "  - name: %s\n    path: %s\n    weight: %d\n" % (name, path, weight)
    with open(os.path.join(ws.config, "repos.yaml"), "w") as f:
        f.write(text)


def empty_repo(ws, name="empty"):
    """A git repository (no commits: no history to document) with nothing worth
    documenting."""
    path = os.path.join(ws.root, name)
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "tiny.py"), "w") as f:
        f.write("def f():\n    return 1\n")
    cwtest.git(path, "init", "-q", "-b", "main")
    return path


def log_lines(path):
    """The JSON log lines of a file (other lines skipped)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return log_lines_text(f.read())
    except FileNotFoundError:
        return []


def log_lines_text(text):
    """The JSON log lines of a captured stderr."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    return out


def wait_for(predicate, timeout=60, step=0.3):
    """Poll predicate() until it returns something true; that value, or None."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return None


def doc_commits(ws):
    return [c for c in ws.devlog_commits() if "Initialize" not in c[1]]


def start_fake_webhook(ws):
    """tests/fakes/fake_webhook.py on a free port; its base URL."""
    cmd = [cwtest.PYTHON, os.path.join(cwtest.SRC, "tests", "fakes", "fake_webhook.py"), "--port", "0"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                         start_new_session=True)
    ws.procs.append(p)
    line = p.stdout.readline()
    if not line.startswith("PORT "):
        raise RuntimeError("fake_webhook did not print its port: %r" % line)
    return "http://127.0.0.1:%d" % int(line.split()[1])


def http_json(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read().decode())


def child_pid(ws, name):
    """The pid `codeworm run` records for its child `name` (supervisor.json), or None."""
    try:
        with open(os.path.join(ws.data, "supervisor.json")) as f:
            state = json.load(f)
    except (OSError, ValueError):
        return None
    for c in state.get("children", []):
        if c.get("name") == name and c.get("running"):
            return c.get("pid")
    return None


def copy_pipeline_repo(ws, name):
    """Another git repository with the pipeline fixture's code."""
    path = os.path.join(ws.root, name)
    shutil.copytree(os.path.join(cwtest.SRC, "tests", "fixtures", "pipeline_repo"), path)
    cwtest.git(path, "init", "-q", "-b", "main")
    cwtest.git(path, "add", "-A")
    cwtest.git(path, "commit", "-q", "-m", "code")
    return path
