#!/usr/bin/python3
"""A real git server over HTTP for tests: git's own `git http-backend` (smart HTTP, fetch
and push) run as a CGI program behind Python's http.server, with HTTP basic auth.

Every request must carry basic credentials whose password is --password (any user name,
as GitHub accepts any name with a token); otherwise 401 with a WWW-Authenticate challenge.
The repositories are the bare repositories under --root (GIT_PROJECT_ROOT); pushing is
allowed for authenticated users (REMOTE_USER is set).

Test controls (no auth needed):
  GET /_log    every request so far as JSON: [{"method", "path", "user", "status"}]

Usage: git_http_server.py --root DIR --password PW [--port N] [--host H]
       --port 0 picks a free port and prints "PORT <n>" on stdout.
"""
import argparse
import base64
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

ARGS = None
LOG = []
LOCK = threading.Lock()
MAX_BODY = 64 * 1024 * 1024


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    server_version = "FakeGitHTTP/1.0"

    def log_message(self, fmt, *args):  # quiet
        pass

    def _record(self, user, status):
        with LOCK:
            LOG.append({"method": self.command, "path": self.path, "user": user,
                        "status": status})

    def _plain(self, code, text, headers=None):
        data = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _user(self):
        """The authenticated user name, or None."""
        auth = self.headers.get("Authorization") or ""
        if not auth.lower().startswith("basic "):
            return None
        try:
            user, _, password = base64.b64decode(auth[6:].strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return user if password == ARGS.password else None

    def _body(self):
        if (self.headers.get("Transfer-Encoding") or "").lower() == "chunked":
            out = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                out += self.rfile.read(size)
                self.rfile.readline()
                if len(out) > MAX_BODY:
                    raise ValueError("request body too large")
            return bytes(out)
        n = int(self.headers.get("Content-Length") or 0)
        if n > MAX_BODY:
            raise ValueError("request body too large")
        return self.rfile.read(n) if n > 0 else b""

    def _handle(self):
        if self.path == "/_log":
            with LOCK:
                data = json.dumps(LOG)
            return self._plain(200, data)
        user = self._user()
        if user is None:
            self._record(None, 401)
            return self._plain(401, "authentication required",
                               {"WWW-Authenticate": 'Basic realm="codeworm-test"'})
        try:
            body = self._body()
        except ValueError as e:
            self._record(user, 413)
            return self._plain(413, str(e))
        url = urlsplit(self.path)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": os.path.abspath(ARGS.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": url.path,
            "QUERY_STRING": url.query,
            "CONTENT_TYPE": self.headers.get("Content-Type") or "",
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_USER": user or "anonymous",
            "REMOTE_ADDR": self.client_address[0],
            "GATEWAY_INTERFACE": "CGI/1.1",
            "SERVER_PROTOCOL": "HTTP/1.0",
        }
        if self.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
        if self.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
        proc = subprocess.run(["git", "http-backend"], input=body, env=env,
                              capture_output=True)
        head, sep, payload = proc.stdout.partition(b"\r\n\r\n")
        if not sep:
            head, sep, payload = proc.stdout.partition(b"\n\n")
        status, headers = 200, []
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.strip().split()[0])
            elif name:
                headers.append((name.strip(), value.strip()))
        self._record(user, status)
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = _handle
    do_POST = _handle


def main():
    global ARGS
    ap = argparse.ArgumentParser(description="git http-backend behind basic auth, for tests")
    ap.add_argument("--root", required=True, help="directory holding bare repositories")
    ap.add_argument("--password", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--host", default="127.0.0.1")
    ARGS = ap.parse_args()
    server = ThreadingHTTPServer((ARGS.host, ARGS.port), Handler)
    server.daemon_threads = True
    server.allow_reuse_address = True
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
