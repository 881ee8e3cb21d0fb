#!/usr/bin/python3
"""A stand-in Ollama server for tests (Python standard library only).

Serves the parts of Ollama's API that CodeWorm uses:
  GET  /                      "Ollama is running"
  GET  /api/version           {"version": ...}
  GET  /api/tags              the one model
  POST /api/generate          stream (default true: NDJSON) or stream:false
  GET  /v1/models             OpenAI-compatible model list
  POST /v1/chat/completions   OpenAI-compatible chat completion
Test controls:
  POST /_control {"mode": M, "busy_count": N, "latency_ms": L}   change behaviour (resets
                                               counters; latency_ms kept when not given)
  GET  /_requests                              every request recorded so far (JSON list)
  POST /_reset                                 forget the recorded requests
  GET  /_hangs                                 {"active": n, "total": n}: hung answers now
                                               open / started so far

Modes (--mode or /_control):
  chatty (default)  answers wrapped in ```markdown fences, with a "Here is ...:" preamble
                    and closing chatter; commit messages with a "Commit message:" prefix,
                    quotes and more than 72 characters
  normal            clean answers
  busy              503 {"error": "server busy"} busy_count times (default 2), then normal
  oom               500 out of memory once (on a real generation), then normal
  missing_model     404 model "x" not found
  midstream_error   HTTP 200, a few pieces, then an {"error": ...} line
  length            normal answer with done_reason "length"
  inventing         clean answers that name functions and classes the code does not have
                    (`frobnicate_widgets`, `QuantumFluxCapacitor.engage()`, ...)
  inventing_once    the first documentation answer invents, the next ones are clean
  hang              HTTP 200, the first half of the stream (OpenAI: of the body), then
                    silence: the connection stays open until the client closes it or the
                    mode changes. With hang_count N (--hang-count, /_control "hang_count")
                    only the next N generations hang, later ones are normal; 0 = all hang.
A request whose prompt mentions "commit message" near its start is a commit message call
and gets a one-line answer. Empty prompts (prewarm, unload) get an immediate done answer.
--latency-ms L: every real generation (a non-empty prompt) takes L ms before its answer
starts, like a model that needs that long; requests are served concurrently (one thread
each), so N at once all answer after about L ms (benchmarks).
--no-record: do not keep the requests for /_requests (long benchmark runs).

Usage: fake_ollama.py [--port N] [--model NAME] [--mode M] [--busy-count N]
                      [--hang-count N] [--latency-ms L] [--no-record]
       --port 0 picks a free port and prints "PORT <n>" on stdout.
"""
import argparse
import json
import re
import select
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODES = ("chatty", "normal", "busy", "oom", "missing_model", "midstream_error", "length",
         "inventing", "inventing_once", "hang")

INVENTED = ("frobnicate_widgets", "QuantumFluxCapacitor.engage()", "zork_inventory_cache",
            "reticulate_splines")


class State:
    def __init__(self, model, mode, busy_count, latency_ms=0, record=True, hang_count=0):
        self.lock = threading.Lock()
        self.model = model
        self.requests = []
        self.latency_ms = latency_ms
        self.record = record
        self.hangs_active = 0
        self.hangs_total = 0
        self.generation = 0  # bumped by every mode change: releases hung answers
        self.set_mode(mode, busy_count, hang_count)

    def set_mode(self, mode, busy_count=2, hang_count=0):
        self.mode = mode
        self.busy_count = busy_count
        self.busy_left = busy_count if mode == "busy" else 0
        self.oom_pending = mode == "oom"
        self.invent_left = 1 if mode == "inventing_once" else 0
        self.hang_left = hang_count if mode == "hang" else 0
        self.hangs_total = 0
        self.generation += 1

    def take_hang(self):
        """Should this generation hang? (caller holds the lock)"""
        if self.mode != "hang":
            return False
        if self.hang_left == 0:
            return True
        self.hang_left -= 1
        if self.hang_left == 0:
            self.mode = "normal"
        return True


STATE = None


def target_name(prompt):
    m = re.search(r"`([^`\n]{1,200})`", prompt or "")
    return m.group(1) if m else "the code"


def is_commit_call(prompt):
    return "commit message" in (prompt or "")[:300].lower()


def make_text(prompt, mode):
    name = target_name(prompt)
    if mode == "inventing" and not is_commit_call(prompt):
        return ("### Purpose\n\n`%s` hands its work to `%s`, which keeps `%s` warm; see also "
                "`%s` and `%s`." % ((name,) + INVENTED))
    if is_commit_call(prompt):
        if mode == "chatty":
            return ('Commit message: "Add comprehensive documentation for %s describing its '
                    'purpose, behaviour and usage in great detail"' % name)
        return "Document %s and its edge cases" % name
    body = ("### Purpose\n\n`%s` does exactly what its source says.\n\n"
            "### Details\n\n- It is short.\n- It is tested.\n\n"
            "```python\nresult = %s()\n```" % (name, name))
    if mode == "chatty":
        return ("Here is the documentation for %s:\n\n```markdown\n%s\n```\n\n"
                "This documentation provides an overview of the function's role, key "
                "components and important design choices." % (name, body))
    return body


def pieces(text, size=16):
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]


def now_iso():
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    server_version = "FakeOllama/1.0"

    def log_message(self, fmt, *args):  # quiet
        pass

    def _json(self, code, obj, headers=None):
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _record(self, body):
        with STATE.lock:
            if STATE.record:
                STATE.requests.append({"method": self.command, "path": self.path, "body": body})

    def _latency(self):
        """A real generation takes the configured time (other requests keep flowing)."""
        with STATE.lock:
            ms = STATE.latency_ms
        if ms > 0:
            time.sleep(ms / 1000.0)

    def _read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n > 0 else b""
        try:
            return json.loads(raw.decode("utf-8")) if raw else {}
        except (ValueError, UnicodeDecodeError):
            return {"_raw": raw.decode("utf-8", "replace")}

    # ------------------------------------------------------------------ GET
    def do_GET(self):
        if self.path == "/_requests":
            with STATE.lock:
                return self._json(200, list(STATE.requests))
        if self.path == "/_hangs":
            with STATE.lock:
                return self._json(200, {"active": STATE.hangs_active, "total": STATE.hangs_total})
        self._record(None)
        if self.path == "/":
            data = b"Ollama is running"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        elif self.path == "/api/version":
            self._json(200, {"version": "0.0.0-fake"})
        elif self.path == "/api/tags":
            self._json(200, {"models": [{"name": STATE.model, "model": STATE.model,
                                         "size": 1, "digest": "0" * 64}]})
        elif self.path == "/v1/models":
            self._json(200, {"object": "list",
                             "data": [{"id": STATE.model, "object": "model", "owned_by": "fake"}]})
        else:
            self._json(404, {"error": "404 page not found"})

    # ------------------------------------------------------------------ POST
    def do_POST(self):
        body = self._read_body()
        if self.path == "/_control":
            mode = body.get("mode", "chatty")
            if mode not in MODES:
                return self._json(400, {"error": "unknown mode %r" % mode})
            with STATE.lock:
                STATE.set_mode(mode, int(body.get("busy_count", 2)), int(body.get("hang_count", 0)))
                if "latency_ms" in body:
                    STATE.latency_ms = max(0, int(body["latency_ms"]))
            return self._json(200, {"mode": mode, "latency_ms": STATE.latency_ms})
        if self.path == "/_reset":
            with STATE.lock:
                STATE.requests.clear()
            return self._json(200, {"ok": True})
        self._record(body)
        if self.path == "/api/generate":
            return self._generate(body)
        if self.path == "/v1/chat/completions":
            return self._chat(body)
        self._json(404, {"error": "404 page not found"})

    def _hang(self):
        """Keep the connection open, sending nothing, until the client goes away or the
        mode changes. Counts in /_hangs."""
        with STATE.lock:
            STATE.hangs_active += 1
            STATE.hangs_total += 1
            generation = STATE.generation
        try:
            while True:
                with STATE.lock:
                    if STATE.generation != generation:
                        return
                readable, _, _ = select.select([self.connection], [], [], 0.1)
                if readable:
                    try:
                        if not self.connection.recv(1, socket.MSG_PEEK):
                            return  # the client closed the connection
                    except OSError:
                        return
                    time.sleep(0.1)
        finally:
            with STATE.lock:
                STATE.hangs_active -= 1
            self.close_connection = True

    def _failure(self, real_call, model, openai=False):
        """An error answer due to the mode, or None."""
        with STATE.lock:
            mode = STATE.mode
            if mode == "missing_model":
                msg = 'model "%s" not found, try pulling it first' % model
                return 404, ({"error": {"message": msg, "type": "not_found_error"}}
                             if openai else {"error": msg})
            if not real_call:
                return None
            if STATE.busy_left > 0:
                STATE.busy_left -= 1
                return 503, {"error": "server busy"}
            if STATE.oom_pending:
                STATE.oom_pending = False
                return 500, {"error": "llama runner process has terminated: "
                                      "cudaMalloc failed: out of memory"}
        return None

    def _text_mode(self, prompt):
        """chatty, inventing or normal text for this call (counts inventing_once)."""
        with STATE.lock:
            mode = STATE.mode
            if mode == "inventing_once":
                if STATE.invent_left > 0 and not is_commit_call(prompt):
                    STATE.invent_left -= 1
                    return "inventing"
                return "normal"
        return mode if mode in ("chatty", "inventing") else "normal"

    def _generate(self, body):
        model = body.get("model", "")
        prompt = body.get("prompt") or ""
        real = bool(prompt)
        fail = self._failure(real, model)
        if fail:
            return self._json(fail[0], fail[1])
        stream = body.get("stream", True)
        if not real:
            reason = "unload" if body.get("keep_alive") == 0 else "load"
            return self._json(200, {"model": model, "created_at": now_iso(), "response": "",
                                    "done": True, "done_reason": reason})
        self._latency()
        with STATE.lock:
            hang = STATE.take_hang()
            mode = STATE.mode
        text = make_text(prompt, self._text_mode(prompt))
        reason = "length" if mode == "length" else "stop"
        parts = pieces(text)
        final = {"model": model, "created_at": now_iso(), "response": "", "done": True,
                 "done_reason": reason, "prompt_eval_count": max(1, len(prompt) // 4),
                 "eval_count": len(parts), "eval_duration": 1000000 * len(parts),
                 "total_duration": 2000000 * len(parts) + 5000000}
        if not stream:
            final["response"] = text
            return self._json(200, final)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.end_headers()
        if mode == "midstream_error":
            parts = parts[:3]
        if hang:
            parts = parts[:max(1, len(parts) // 2)]
        for p in parts:
            line = {"model": model, "created_at": now_iso(), "response": p, "done": False}
            self.wfile.write((json.dumps(line) + "\n").encode())
            self.wfile.flush()
        if hang:
            return self._hang()
        if mode == "midstream_error":
            self.wfile.write((json.dumps({"error": "an error was encountered while running "
                                          "the model: unexpected EOF"}) + "\n").encode())
        else:
            self.wfile.write((json.dumps(final) + "\n").encode())
        self.wfile.flush()

    def _chat(self, body):
        model = body.get("model", "")
        msgs = body.get("messages") or []
        user = ""
        for m in msgs:
            if isinstance(m, dict) and m.get("role") == "user":
                user = m.get("content") or ""
        fail = self._failure(True, model, openai=True)
        if fail:
            code, obj = fail
            if code == 503:
                code = 429
                obj = {"error": {"message": "rate limited", "type": "rate_limit"}}
                return self._json(code, obj, {"Retry-After": "0"})
            if "error" in obj and isinstance(obj["error"], str):
                obj = {"error": {"message": obj["error"]}}
            return self._json(code, obj)
        self._latency()
        with STATE.lock:
            hang = STATE.take_hang()
            mode = STATE.mode
        text = make_text(user, self._text_mode(user))
        if hang:
            data = json.dumps({"id": "chatcmpl-fake", "choices": [
                {"index": 0, "message": {"role": "assistant", "content": text}}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[:len(data) // 2])
            self.wfile.flush()
            return self._hang()
        self._json(200, {
            "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "finish_reason": "length" if mode == "length" else "stop"}],
            "usage": {"prompt_tokens": max(1, len(user) // 4), "completion_tokens": 10,
                      "total_tokens": max(1, len(user) // 4) + 10}})


def main():
    global STATE
    ap = argparse.ArgumentParser(description="stand-in Ollama server for tests")
    ap.add_argument("--port", type=int, default=11434)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--model", default="qwen2.5:7b")
    ap.add_argument("--mode", default="chatty", choices=MODES)
    ap.add_argument("--busy-count", type=int, default=2)
    ap.add_argument("--latency-ms", type=int, default=0,
                    help="each real generation answers after this many ms (concurrently)")
    ap.add_argument("--no-record", action="store_true",
                    help="do not keep requests for /_requests")
    ap.add_argument("--hang-count", type=int, default=0)
    args = ap.parse_args()
    STATE = State(args.model, args.mode, args.busy_count, max(0, args.latency_ms),
                  not args.no_record, args.hang_count)
    ThreadingHTTPServer.request_queue_size = 128  # many generators at once
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    print("PORT %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
