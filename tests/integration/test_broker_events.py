"""The broker's own life-cycle events reach subscribers.

service_started: published two seconds after the first subscriber that wants it arrived, so
a subscriber that connects after the broker started still gets it (before, it went out on an
empty bus), and so do the others that connect at about the same time; once.
service_stopping: published on the broker's own XPUB before its sockets close (before, the
proxy had already stopped). With a wildcard events_in (tcp://*:port, as in docker compose)
the broker no longer tries to connect a PUB to its own bind address.
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

import msgpack
import zmq

sys.path.insert(0, os.path.dirname(__file__))
from cwtest import BIN, PORT_BASE, check, finish  # noqa: E402


def write_config(root, events_in_host):
    cfg = os.path.join(root, "config")
    os.makedirs(cfg, exist_ok=True)
    with open(os.path.join(cfg, "config.yaml"), "w") as f:
        f.write("data_dir: %s/data\n"
                "bus:\n"
                "  broker: tcp://127.0.0.1:%d\n"
                "  events_in: tcp://%s:%d\n"
                "  events_out: tcp://127.0.0.1:%d\n"
                "  allow_insecure: true\n" % (root, PORT_BASE, events_in_host, PORT_BASE + 1,
                                              PORT_BASE + 2))
    return cfg


def subscriber(ctx, topic=b"codeworm."):
    s = ctx.socket(zmq.SUB)
    s.setsockopt(zmq.LINGER, 0)
    s.setsockopt(zmq.SUBSCRIBE, topic)
    s.connect("tcp://127.0.0.1:%d" % (PORT_BASE + 2))
    return s


def wait_event(sock, name, timeout):
    """The first event `name` from service broker within timeout, or None."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if sock.poll(200):
            topic, payload = sock.recv_multipart()
            ev = msgpack.unpackb(payload, raw=False)
            if topic == b"codeworm." + name.encode() and ev.get("service") == "broker":
                return ev
    return None


def run_case(label, events_in_host, subscribe_first):
    root = tempfile.mkdtemp(prefix="cw-broker-events-")
    cfg = write_config(root, events_in_host)
    log = open(os.path.join(root, "broker.log"), "wb")
    ctx = zmq.Context()
    early = subscriber(ctx) if subscribe_first else None
    broker = subprocess.Popen([os.path.join(BIN, "codeworm-broker"), "--config", cfg],
                              stderr=log, stdout=subprocess.DEVNULL)
    try:
        time.sleep(1.0)  # the broker has started with nobody listening (unless early)
        check(broker.poll() is None, "%s: the broker runs" % label)
        late = subscriber(ctx)
        sock = early or late
        ev = wait_event(sock, "service_started", 10)
        check(ev is not None, "%s: service_started from the broker reaches a subscriber" % label)
        if ev:
            check(ev.get("v") == 1 and ev.get("pid") == broker.pid and ev.get("version"),
                  "%s: service_started carries v, pid and version" % label)
        if early:
            # a subscriber that connects within the grace period after the first gets it too
            check(wait_event(late, "service_started", 5) is not None,
                  "%s: a subscriber that connected a second later gets it too" % label)
            check(wait_event(early, "service_started", 3) is None and
                  wait_event(late, "service_started", 0.5) is None,
                  "%s: service_started is published once" % label)
        broker.send_signal(signal.SIGTERM)
        ev = wait_event(late, "service_stopping", 10)
        check(ev is not None, "%s: service_stopping from the broker reaches a subscriber" % label)
        if ev:
            check(ev.get("reason") == "signal", "%s: service_stopping says why" % label)
        broker.wait(timeout=15)
        check(broker.returncode == 0, "%s: the broker exits 0" % label)
    finally:
        if broker.poll() is None:
            broker.kill()
            broker.wait()
        ctx.destroy(linger=0)
        log.close()
    text = open(os.path.join(root, "broker.log"), errors="replace").read()
    check("bus_connect_failed" not in text, "%s: no bus_connect_failed in the broker's log" % label)


run_case("late subscriber", "127.0.0.1", subscribe_first=False)
run_case("early subscriber, wildcard events_in", "*", subscribe_first=True)
finish()
