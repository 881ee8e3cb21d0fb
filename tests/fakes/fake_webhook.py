#!/usr/bin/python3
"""Stand-in alert webhook for tests (standard library only).

    fake_webhook.py [--port N] [--host H]

Prints "PORT <n>" on stdout once listening (port 0 = pick a free one).

  POST <any other path>   records the request and answers 200 {"ok": true}, unless a
                          failure is armed (below)
  GET  /_messages         JSON list of recorded deliveries (2xx answers only):
                          [{"path", "body" (decoded JSON or null), "content_type",
                            "headers" {lower-case name: value}}]
  GET  /_requests         {"requests": n}: every POST that arrived, failed ones included
  POST /_mode?fail_429=N&retry_after=S
                          the next N posts answer 429 with "Retry-After: S" (S omitted:
                          no header)
  POST /_mode?fail_500=N  the next N posts answer 500
  POST /_mode?fail_400=N  the next N posts answer 400
  POST /_reset            forget everything recorded and armed
"""
import argparse
import json
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 1024 * 1024
LOCK = threading.Lock()


def fresh_state():
    return {"messages": [], "requests": 0, "fail_429": 0, "retry_after": None,
            "fail_500": 0, "fail_400": 0}


STATE = fresh_state()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # keep test output quiet
        pass

    def _answer(self, status, obj, headers=None):
        data = json.dumps(obj, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        with LOCK:
            if self.path == "/_messages":
                self._answer(200, STATE["messages"])
            elif self.path == "/_requests":
                self._answer(200, {"requests": STATE["requests"]})
            else:
                self._answer(404, {"ok": False, "error": "not found"})

    def do_POST(self):
        global STATE
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > MAX_BODY:
            self._answer(413, {"ok": False, "error": "too large"})
            return
        raw = self.rfile.read(length) if length else b""
        url = urllib.parse.urlparse(self.path)
        query = urllib.parse.parse_qs(url.query)
        if url.path == "/_reset":
            with LOCK:
                STATE = fresh_state()
            self._answer(200, {"ok": True})
            return
        if url.path == "/_mode":
            with LOCK:
                for key in ("fail_429", "fail_500", "fail_400"):
                    if key in query:
                        STATE[key] = int(query[key][0])
                STATE["retry_after"] = query["retry_after"][0] if "retry_after" in query else None
            self._answer(200, {"ok": True})
            return
        with LOCK:
            STATE["requests"] += 1
            if STATE["fail_429"] > 0:
                STATE["fail_429"] -= 1
                extra = {"Retry-After": STATE["retry_after"]} if STATE["retry_after"] else {}
                self._answer(429, {"ok": False, "error": "slow down"}, extra)
                return
            if STATE["fail_500"] > 0:
                STATE["fail_500"] -= 1
                self._answer(500, {"ok": False, "error": "internal"})
                return
            if STATE["fail_400"] > 0:
                STATE["fail_400"] -= 1
                self._answer(400, {"ok": False, "error": "bad request"})
                return
        try:
            body = json.loads(raw.decode("utf-8")) if raw else None
        except (ValueError, UnicodeDecodeError):
            body = None
        record = {"path": url.path, "body": body,
                  "content_type": self.headers.get("Content-Type", ""),
                  "headers": {k.lower(): v for k, v in self.headers.items()}}
        with LOCK:
            STATE["messages"].append(record)
        self._answer(200, {"ok": True})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    print("PORT %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
