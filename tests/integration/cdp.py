"""A small Chrome DevTools Protocol client on Python's standard library, for the browser
tests: headless Chromium (Debian's `chromium`) is started with --remote-debugging-pipe, so
the protocol runs over two pipes (fd 3: commands in, fd 4: answers and events out, each
message a JSON text ended by a NUL byte) and no port is opened.

    with Browser() as b:
        page = b.new_page(1400, 1100)
        page.navigate("http://127.0.0.1:8420/")
        page.evaluate("document.title")
        page.screenshot("shot.png")
"""
import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--mute-audio", "--hide-scrollbars"]


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class CDPError(RuntimeError):
    pass


class Browser:
    def __init__(self, binary=None, timeout=60):
        self.binary = binary or find_chromium()
        if not self.binary:
            raise CDPError("no chromium found (apt-get install chromium)")
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="cw-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        # the child's ends, moved above 10 (so that dup2 onto 3 and 4 cannot clobber them)
        # and closed on exec; the dup2 copies on 3 and 4 are what chromium inherits
        a = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD_CLOEXEC, 10)
        b = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(to_browser_r)
        os.close(from_browser_w)

        def child_fds():
            os.dup2(a, 3)
            os.dup2(b, 4)

        env = dict(os.environ, HOME=self.profile)
        self.log = open(os.path.join(self.profile, "chromium.log"), "wb")
        self.proc = subprocess.Popen(
            [self.binary] + CHROMIUM_FLAGS + ["--user-data-dir=" + os.path.join(self.profile, "p"),
                                              "--remote-debugging-pipe", "about:blank"],
            close_fds=False, preexec_fn=child_fds, stdin=subprocess.DEVNULL,
            stdout=self.log, stderr=self.log, env=env, start_new_session=True)
        os.close(a)
        os.close(b)
        self._buf = b""
        self._next_id = 0
        self.events = []  # (sessionId, method, params) not yet consumed

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.proc.poll() is None:
            try:
                self.send("Browser.close", timeout=5)
            except Exception:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def _read_message(self, deadline):
        while b"\0" not in self._buf:
            left = deadline - time.time()
            if left <= 0:
                return None
            ready, _, _ = select.select([self._from_browser], [], [], left)
            if not ready:
                return None
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise CDPError("chromium closed the DevTools pipe (see %s)" % self.log.name)
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw.decode("utf-8"))

    def send(self, method, params=None, session=None, timeout=None):
        self._next_id += 1
        msg = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        data = json.dumps(msg).encode("utf-8") + b"\0"
        while data:
            n = os.write(self._to_browser, data)
            data = data[n:]
        deadline = time.time() + (timeout or self.timeout)
        while True:
            reply = self._read_message(deadline)
            if reply is None:
                raise CDPError("no answer to %s" % method)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise CDPError("%s: %s" % (method, reply["error"]))
                return reply.get("result", {})
            if "method" in reply:
                self.events.append((reply.get("sessionId"), reply["method"], reply.get("params", {})))

    def pump(self, seconds):
        """Collect events for up to `seconds`."""
        deadline = time.time() + seconds
        while True:
            msg = self._read_message(deadline)
            if msg is None:
                return
            if "method" in msg:
                self.events.append((msg.get("sessionId"), msg["method"], msg.get("params", {})))

    def new_page(self, width=1400, height=1100):
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        page.call("Page.enable")
        page.call("Runtime.enable")
        page.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        return page


class Page:
    def __init__(self, browser, session):
        self.browser = browser
        self.session = session

    def call(self, method, params=None, timeout=None):
        return self.browser.send(method, params, session=self.session, timeout=timeout)

    def take_events(self, method):
        """Remove and return the params of this page's collected events named `method`."""
        mine = [e for e in self.browser.events if e[0] == self.session and e[1] == method]
        self.browser.events = [e for e in self.browser.events
                               if not (e[0] == self.session and e[1] == method)]
        return [e[2] for e in mine]

    def navigate(self, url, timeout=30):
        self.take_events("Page.loadEventFired")
        result = self.call("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise CDPError("navigation to %s failed: %s" % (url, result["errorText"]))
        deadline = time.time() + timeout
        while not self.take_events("Page.loadEventFired"):
            if time.time() > deadline:
                raise CDPError("%s did not finish loading" % url)
            self.browser.pump(0.2)

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True})
        if "exceptionDetails" in result:
            raise CDPError("%s threw: %s" % (expression, result["exceptionDetails"]))
        return result.get("result", {}).get("value")

    def wait_for(self, expression, timeout=30, interval=0.25):
        """Evaluate until the value is truthy; returns it, or None after timeout."""
        deadline = time.time() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.time() > deadline:
                return None
            self.browser.pump(interval)

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        return path
