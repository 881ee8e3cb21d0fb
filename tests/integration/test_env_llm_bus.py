"""Bad environment, LLM and bus (issue 10), under a running stack (`codeworm run`) and the
stand-in Ollama:

- the LLM hangs mid-stream (HTTP 200, half the NDJSON, then silence): each attempt ends after
  ollama.stall_seconds (1 s here) instead of the 600 s total timeout, the hung connections
  are closed, nothing half-written stays, and commits resume once the LLM answers again;
- the broker is killed (SIGKILL) while the generator works on a request: the supervisor
  restarts it, the generator delivers its reply through the new broker, and the cycle
  commits without asking the LLM for the same document again.

Each prints how long the resumption took (docs/BENCHMARKS.md keeps the figures)."""
import json
import os
import signal
import subprocess
import time
import urllib.request

import cwenv
import cwtest
from cwtest import check


def fake_call(port, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=data,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read().decode())


def doc_calls(port):
    """Generations the fake was asked for (not commit messages, not prewarm/unload)."""
    n = 0
    for r in fake_call(port, "/_requests"):
        body = r.get("body") or {}
        prompt = body.get("prompt") or "" if isinstance(body, dict) else ""
        if r.get("path") == "/api/generate" and prompt and \
                "commit message" not in prompt[:300].lower():
            n += 1
    return n


def stall_config(ws, seconds):
    path = os.path.join(ws.config, "config.yaml")
    text = open(path).read().replace("  model: test-model",
                                     "  model: test-model\n  stall_seconds: %d" % seconds)
    open(path, "w").write(text)


# ---------------------------------------------------------------- LLM hanging mid-stream
ws = cwtest.Workspace("llm-hang")
try:
    fake, port = cwtest.start_fake_ollama(ws, "--mode", "normal")
    cwtest.set_ollama_port(ws, port)
    stall_config(ws, 1)
    cwenv.scheduled(ws)
    ws.start_stack()
    check(cwenv.wait_commits(ws, 1, 60) is not None, "llm-hang: the stack commits first")
    fake_call(port, "/_control", {"mode": "hang", "hang_count": 0})
    time.sleep(8)
    during = len(cwenv.doc_commits(ws))
    hangs = fake_call(port, "/_hangs")
    check(hangs["total"] >= 2, "llm-hang: generations hung meanwhile (%r)" % hangs)
    check(hangs["active"] <= 1, "llm-hang: stalled answers are given up, not piled up (%r)" % hangs)
    fake_call(port, "/_control", {"mode": "normal"})
    took = cwenv.wait_commits(ws, during + 1, 90)
    check(took is not None, "llm-hang: commits resume once the LLM answers")
    if took is not None:
        print("RESUME llm-hang: next commit %.1f s after the LLM answered again" % took)
    log = cwenv.stack_log(ws)
    check('"event":"llm_attempt_failed"' in log and "stalled" in log,
          "llm-hang: attempts ended as stalled")
    check(fake_call(port, "/_hangs")["active"] == 0, "llm-hang: no hung connection is left open")
    ws.stop()
    cwenv.check_consistent(ws, "llm-hang")
finally:
    ws.cleanup()

# ---------------------------------------------------------------- broker killed mid-request
ws = cwtest.Workspace("broker-restart")
try:
    fake, port = cwtest.start_fake_ollama(ws, "--mode", "normal")
    cwtest.set_ollama_port(ws, port)
    stall_config(ws, 4)
    ws.start_stack()
    check(ws.wait_for_workers(), "broker-restart: the stack is up")
    # the first generation hangs for 4 s (then the generator's next attempt answers): the
    # broker dies during it
    fake_call(port, "/_control", {"mode": "hang", "hang_count": 1})
    fake_call(port, "/_reset", {})
    once = subprocess.Popen([os.path.join(cwtest.BIN, "codeworm"), "--config", ws.config,
                             "run-once"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=ws.env())
    deadline = time.time() + 60
    while time.time() < deadline and fake_call(port, "/_hangs")["active"] == 0:
        time.sleep(0.1)
    check(fake_call(port, "/_hangs")["active"] == 1, "broker-restart: the generation is under way")
    pids = subprocess.run(["pgrep", "-f", "codeworm-broker .*%s" % ws.config],
                          capture_output=True, text=True).stdout.split()
    check(len(pids) == 1, "broker-restart: found the broker to kill (%r)" % pids)
    killed = time.time()
    for pid in pids:
        os.kill(int(pid), signal.SIGKILL)
    try:
        out, err = once.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        once.kill()
        out, err = once.communicate()
    took = time.time() - killed
    check(once.returncode == 0, "broker-restart: the cycle committed (exit %d; %s)"
          % (once.returncode, err.strip()[-400:]))
    print("RESUME broker-restart: cycle committed %.1f s after the broker was killed" % took)
    calls = doc_calls(port)
    check(calls == 2, "broker-restart: the LLM was asked for the document twice, the hung "
          "attempt and its retry, not again after the restart (%d)" % calls)
    check(len(cwenv.doc_commits(ws)) == 1, "broker-restart: one documentation commit")
    ws.stop()
    cwenv.check_consistent(ws, "broker-restart")
finally:
    ws.cleanup()

cwtest.finish()
