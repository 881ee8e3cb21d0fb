"""The dashboard in a real browser against a running stack.

`codeworm run` with dashboard.enabled starts the stack (offline backend, a cycle every two
seconds) plus codeworm-dashboard; headless Chromium (Debian's `chromium`, driven over the
DevTools protocol, tests/integration/cdp.py) loads the page and must show the documents,
the statistics, the chart and the service health, then a live event published on the bus
must appear in the page without a reload. A screenshot is kept as a test artifact:
build/test-artifacts/dashboard.png.

Exit 77 (ctest: skipped) when chromium is not installed.
"""
import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid

import msgpack
import zmq

import cwtest
from cwtest import BIN, PORT_BASE, check
import cdp

if not cdp.find_chromium():
    print("SKIP: chromium is not installed (apt-get install chromium; deploy/install-deps.sh does)")
    sys.exit(77)

DASH_PORT = PORT_BASE + 5
URL = "http://127.0.0.1:%d" % DASH_PORT
ARTIFACTS = os.path.join(os.path.dirname(BIN), "test-artifacts")


def get(path, timeout=10):
    with urllib.request.urlopen(URL + path, timeout=timeout) as r:
        return r.status, r.headers.get("Content-Type", ""), r.read().decode("utf-8", "replace")


def wait_http(path, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            return get(path, timeout=2)
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.2)
    return None


ws = cwtest.Workspace("dashboard", backend="offline")
try:
    path = os.path.join(ws.config, "config.yaml")
    text = open(path).read().replace("schedule:\n  enabled: false\n",
                                     "schedule:\n  interval_seconds: 2\n")
    text += "dashboard:\n  enabled: true\n  port: %d\n" % DASH_PORT
    open(path, "w").write(text)

    ws.start_stack()
    check(ws.wait_for_workers(), "the stack registers analyzer, generator and committer")
    answer = wait_http("/health")
    check(answer is not None and answer[0] == 200,
          "`codeworm run` started the dashboard (dashboard.enabled) on 127.0.0.1:%d" % DASH_PORT)

    deadline = time.time() + 60
    while time.time() < deadline and len(ws.devlog_commits()) < 2:
        time.sleep(0.5)
    check(len(ws.devlog_commits()) >= 2, "the stack committed a first document")

    # --- the JSON API against the same ledger
    status, ctype, body = get("/api/stats")
    stats = json.loads(body)
    check(status == 200 and ctype.startswith("application/json"), "/api/stats answers JSON")
    check(set(stats) >= {"total_documented", "by_repo", "by_language", "by_doc_type",
                         "last_7_days", "last_30_days", "today"},
          "/api/stats has the reference's fields (%s)" % sorted(stats))
    check(stats.get("total_documented", 0) >= 1 and stats.get("by_repo", {}).get("inventory", 0) >= 1,
          "/api/stats counts the documents of repository 'inventory' (%r)" % stats)
    recent = json.loads(get("/api/recent?limit=5")[2])
    check(len(recent) >= 1 and recent[0].get("devlog_url", "").startswith("/devlog/"),
          "/api/recent lists the newest document with a link into the DevLog")
    if recent:
        status, ctype, body = get(recent[0]["devlog_url"])
        check(status == 200 and "text/html" in ctype and "Source Code" in body,
              "the document opens from the dashboard, read from the DevLog")
    health = {}
    deadline = time.time() + 20  # the dashboard asks the broker every 3 s
    while time.time() < deadline and health.get("status") != "healthy":
        health = json.loads(get("/api/health")[2])
        time.sleep(0.5)
    check(health.get("status") == "healthy", "/api/health says healthy (%s)" % health)
    gen = [s for s in health.get("services", []) if s.get("name") == "generator"]
    check(gen and gen[0].get("workers", 0) >= 1, "/api/health counts the generator's workers")

    # --- the page in headless Chromium
    os.makedirs(ARTIFACTS, exist_ok=True)
    with cdp.Browser() as browser:
        page = browser.new_page(1400, 1150)
        page.navigate(URL + "/")
        page.evaluate("window.__loadedOnce = 'cw-%s'" % uuid.uuid4().hex)
        marker_before = page.evaluate("window.__loadedOnce")
        check(page.evaluate("document.title") == "CodeWorm", "the page loads (title CodeWorm)")
        total = page.wait_for("(() => { const t = document.getElementById('stat-total').textContent;"
                              " return /^[0-9]+$/.test(t) && Number(t) >= 1 ? t : null; })()")
        check(total is not None, "the page shows the number of documents (%s)" % total)
        check(page.wait_for("document.querySelectorAll('#recent a[href^=\"/devlog/\"]').length >= 1")
              is not None, "recent documents link to their DevLog files")
        check(page.wait_for("document.querySelectorAll('#chart svg rect.bar').length === 30")
              is not None, "the activity chart has 30 days")
        check(page.wait_for("document.querySelector('#chart svg rect.bar:not(.zero)') !== null")
              is not None, "today's bar of the chart is not empty")
        check(page.wait_for("document.getElementById('health-status').textContent === 'healthy'")
              is not None, "service health shows healthy")
        check(page.wait_for("document.getElementById('repos').textContent.includes('inventory')")
              is not None, "statistics by repository list 'inventory'")
        check(page.wait_for("document.getElementById('languages').textContent.includes('python')")
              is not None, "statistics by language list python")
        check(page.wait_for("document.getElementById('sse-state').textContent === 'feed: live'")
              is not None, "the live feed is connected")

        # a live event appears without a reload
        marker = "live-%s <b>not markup</b>" % uuid.uuid4().hex[:12]
        ctx = zmq.Context()
        pub = ctx.socket(zmq.PUB)
        pub.setsockopt(zmq.LINGER, 500)
        pub.connect(ws.events_in)
        event = {"v": 1, "type": "log", "service": "browser-test",
                 "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                 "level": "info", "message": marker}
        seen = None
        deadline = time.time() + 30
        while seen is None and time.time() < deadline:  # PUB drops until it is connected
            pub.send_multipart([b"codeworm.log", msgpack.packb(event)])
            seen = page.wait_for("document.getElementById('feed').textContent.includes(%s)"
                                 % json.dumps(marker), timeout=1)
        pub.close()
        ctx.term()
        check(seen is not None, "a live event published on the bus appears in the page")
        check(page.evaluate("window.__loadedOnce") == marker_before,
              "... without a reload of the page")
        check(page.evaluate("document.querySelectorAll('#feed b').length") == 0,
              "event text is shown as text, never as markup")
        committed = page.wait_for("document.querySelector('#feed li[data-type=\"documentation_committed\"]')"
                                  " !== null", timeout=30)
        check(committed is not None, "the stack's own documentation_committed events reach the feed")
        check(page.wait_for("document.getElementById('now').textContent.length > 0") is not None,
              "the header says what is happening now")
        errors = page.take_events("Runtime.exceptionThrown")
        check(not errors, "no JavaScript error on the page (%s)" % errors[:1])
        shot = page.screenshot(os.path.join(ARTIFACTS, "dashboard.png"))
        check(os.path.getsize(shot) > 10000, "a screenshot was kept: %s" % shot)
finally:
    ws.cleanup()
cwtest.finish()
