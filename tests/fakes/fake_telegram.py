#!/usr/bin/python3
"""Fake Telegram Bot API for tests (standard library only).

    fake_telegram.py [--port N] [--fail-429-once] [--token TOKEN]

Prints "PORT <n>" on stdout once listening (port 0 = pick a free one).

  POST /bot<token>/sendMessage   records the message (JSON or form body) and answers
                                 {"ok": true, "result": {...}}; an unknown token (when
                                 --token is given) gets 401; a missing chat_id or text 400.
  GET  /_messages                JSON list of recorded messages
                                 [{"token", "chat_id", "text", "parse_mode", "content_type"}]
  GET  /_requests                how many sendMessage requests arrived (incl. refused ones)
  POST /_mode?fail_429_once=1    arm the 429 answer again (also --fail-429-once at start):
                                 the next sendMessage answers 429 with
                                 {"ok":false,"error_code":429,"description":"Too Many
                                 Requests: retry after 1","parameters":{"retry_after":1}}
"""
import argparse
import json
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE = {"messages": [], "requests": 0, "fail_429": 0, "token": None}
LOCK = threading.Lock()
MAX_BODY = 1024 * 1024


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # keep test output quiet
        pass

    def _answer(self, status, obj):
        data = json.dumps(obj, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/_messages":
            with LOCK:
                self._answer(200, STATE["messages"])
        elif self.path == "/_requests":
            with LOCK:
                self._answer(200, {"requests": STATE["requests"]})
        else:
            self._answer(404, {"ok": False, "error_code": 404, "description": "Not Found"})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > MAX_BODY:
            self._answer(413, {"ok": False, "error_code": 413, "description": "too large"})
            return
        raw = self.rfile.read(length) if length else b""
        url = urllib.parse.urlparse(self.path)
        if url.path == "/_mode":
            query = urllib.parse.parse_qs(url.query)
            with LOCK:
                if query.get("fail_429_once", ["0"])[0] == "1":
                    STATE["fail_429"] = 1
            self._answer(200, {"ok": True})
            return
        parts = url.path.split("/")
        # ["", "bot<token>", "sendMessage"]
        if len(parts) != 3 or not parts[1].startswith("bot") or parts[2] != "sendMessage":
            self._answer(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        token = parts[1][3:]
        ctype = self.headers.get("Content-Type", "")
        with LOCK:
            STATE["requests"] += 1
            if STATE["token"] is not None and token != STATE["token"]:
                self._answer(401, {"ok": False, "error_code": 401,
                                   "description": "Unauthorized"})
                return
            if STATE["fail_429"] > 0:
                STATE["fail_429"] -= 1
                self._answer(429, {"ok": False, "error_code": 429,
                                   "description": "Too Many Requests: retry after 1",
                                   "parameters": {"retry_after": 1}})
                return
        try:
            if ctype.startswith("application/json"):
                body = json.loads(raw.decode("utf-8"))
            else:
                body = {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode("utf-8")).items()}
        except (ValueError, UnicodeDecodeError):
            self._answer(400, {"ok": False, "error_code": 400,
                               "description": "Bad Request: can't parse body"})
            return
        text = body.get("text")
        if not body.get("chat_id") or not isinstance(text, str) or not text:
            self._answer(400, {"ok": False, "error_code": 400,
                               "description": "Bad Request: message text is empty"})
            return
        if len(text) > 4096 + 4096 * 4:  # generous: entities are counted after parsing
            self._answer(400, {"ok": False, "error_code": 400,
                               "description": "Bad Request: message is too long"})
            return
        with LOCK:
            STATE["messages"].append({"token": token, "chat_id": str(body.get("chat_id")),
                                      "text": text, "parse_mode": body.get("parse_mode"),
                                      "content_type": ctype})
            message_id = len(STATE["messages"])
        self._answer(200, {"ok": True, "result": {"message_id": message_id,
                                                  "chat": {"id": body.get("chat_id")},
                                                  "text": text}})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--fail-429-once", action="store_true")
    parser.add_argument("--token", default=None)
    args = parser.parse_args()
    STATE["fail_429"] = 1 if args.fail_429_once else 0
    STATE["token"] = args.token
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
