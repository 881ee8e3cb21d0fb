"""A generator on another host (issue 6), played by two loopback addresses: the broker binds
127.0.0.2, the analyzer, committer and `codeworm run-once` run with the main config, and a
generator joins with a config that sets only bus.broker (and llm.backend), connecting
from 127.0.0.1. Its events reach bus.events_out, which follows the broker's address. Then
the same with CURVE: the generator adds only the CURVE keys, and a generator whose key the
broker does not allow is turned away."""
import os
import time

import msgpack
import zmq

import cwtest
from cwtest import check

P = cwtest.PORT_BASE + 10  # the broker on 127.0.0.2:P, events on P+1 and P+2


def host_b_config(root, name, extra=""):
    """The other host: bus.broker (and the LLM) only."""
    d = os.path.join(root, name)
    os.makedirs(d)
    with open(os.path.join(d, "config.yaml"), "w") as f:
        f.write("bus:\n  broker: tcp://127.0.0.2:%d\n%sllm:\n  backend: offline\n" % (P, extra))
    return d


def established_to(host, port):
    """Local addresses of the established TCP connections to host:port (/proc/net/tcp)."""
    want = "%02X%02X%02X%02X:%04X" % (tuple(reversed([int(x) for x in host.split(".")])) + (port,))
    local = []
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            parts = line.split()
            if len(parts) > 3 and parts[2] == want and parts[3] == "01":
                a = parts[1].split(":")[0]
                local.append(".".join(str(int(a[i:i + 2], 16)) for i in (6, 4, 2, 0)))
    return sorted(set(local))


def generator_workers(ws):
    out = ws.codeworm("status", timeout=20).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "generator" and parts[1].isdigit():
            return int(parts[1])
    return 0


def wait_generators(ws, n, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if generator_workers(ws) == n:
            return True
        time.sleep(0.3)
    return False


def run_scenario(label, curve_main="", curve_b="", bad_b=None):
    ws = cwtest.Workspace("crosshost-" + label, backend="offline")
    ctx = zmq.Context()
    try:
        cfg = os.path.join(ws.config, "config.yaml")
        text = open(cfg).read()
        # main host: only bus.broker on 127.0.0.2; the event endpoints follow it
        text = text.replace("  broker: %s\n  events_in: %s\n  events_out: %s\n"
                            % (ws.broker, ws.events_in, ws.events_out),
                            "  broker: tcp://127.0.0.2:%d\n%s" % (P, curve_main))
        open(cfg, "w").write(text)
        sub = ctx.socket(zmq.SUB)
        if curve_main:
            sub.curve_serverkey = SERVER_PUBLIC.encode()
            sub.curve_publickey = CLIENT_PUBLIC.encode()
            sub.curve_secretkey = CLIENT_SECRET.encode()
        sub.setsockopt(zmq.SUBSCRIBE, b"codeworm.")
        sub.connect("tcp://127.0.0.2:%d" % (P + 2))
        for service in ("broker", "analyzer", "committer"):
            ws.start(os.path.join(cwtest.BIN, "codeworm-" + service), "--config", ws.config)
        time.sleep(1.0)
        b_dir = host_b_config(ws.root, "host-b", curve_b)
        gen = ws.start(os.path.join(cwtest.BIN, "codeworm-generator"), "--config", b_dir)
        check(wait_generators(ws, 1), "%s: the generator with only bus.broker set registers" % label)
        est = established_to("127.0.0.2", P)
        check("127.0.0.1" in est, "%s: the workers connect from 127.0.0.1 to 127.0.0.2 (%r)"
              % (label, est))
        if bad_b is not None:
            bad_dir = host_b_config(ws.root, "host-c", bad_b)
            ws.start(os.path.join(cwtest.BIN, "codeworm-generator"), "--config", bad_dir)
            time.sleep(3.0)
            check(generator_workers(ws) == 1,
                  "%s: a generator whose key is not allowed is turned away" % label)
        r = ws.codeworm("run-once", timeout=120)
        check(r.returncode == 0 and "Committed" in r.stdout,
              "%s: run-once commits through the remote generator (rc %d, %r, %r)"
              % (label, r.returncode, r.stdout[-200:], r.stderr[-300:]))
        seen = []
        deadline = time.time() + 3
        while time.time() < deadline:
            if sub.poll(200):
                topic, payload = sub.recv_multipart()
                seen.append((topic.decode(), msgpack.unpackb(payload, raw=False)))
        gen_events = [e for t, e in seen if e.get("service") == "generator"]
        cycle_events = [t for t, e in seen if t == "codeworm.documentation_committed"]
        check(cycle_events, "%s: events reach bus.events_out on 127.0.0.2:%d" % (label, P + 2))
        check(any(e.get("type") == "service_started" for e in gen_events),
              "%s: the remote generator's own events arrive too (its events_in followed "
              "bus.broker): %r" % (label, [e.get("type") for e in gen_events]))
        check(gen.poll() is None, "%s: the generator is still running" % label)
        sub.close(0)
    finally:
        ctx.term()
        ws.cleanup()


# plain TCP
run_scenario("plain")

# CURVE: the broker knows its keys and allows the installation's client key
SERVER_PUBLIC, SERVER_SECRET = [k.decode() for k in zmq.curve_keypair()]
CLIENT_PUBLIC, CLIENT_SECRET = [k.decode() for k in zmq.curve_keypair()]
OTHER_PUBLIC, OTHER_SECRET = [k.decode() for k in zmq.curve_keypair()]
curve_main = ("  curve:\n    enabled: true\n    server_public_key: \"%s\"\n"
              "    server_secret_key: \"%s\"\n    client_public_key: \"%s\"\n"
              "    client_secret_key: \"%s\"\n"
              % (SERVER_PUBLIC, SERVER_SECRET, CLIENT_PUBLIC, CLIENT_SECRET))
curve_b = ("  curve:\n    enabled: true\n    server_public_key: \"%s\"\n"
           "    client_public_key: \"%s\"\n    client_secret_key: \"%s\"\n"
           % (SERVER_PUBLIC, CLIENT_PUBLIC, CLIENT_SECRET))
curve_other = ("  curve:\n    enabled: true\n    server_public_key: \"%s\"\n"
               "    client_public_key: \"%s\"\n    client_secret_key: \"%s\"\n"
               % (SERVER_PUBLIC, OTHER_PUBLIC, OTHER_SECRET))
run_scenario("curve", curve_main, curve_b, bad_b=curve_other)
cwtest.finish()
