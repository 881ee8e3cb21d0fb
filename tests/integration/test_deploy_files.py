"""The deployment files parse and agree with the code: the Kubernetes manifests in
deploy/k8s/ (with PyYAML, Debian's python3-yaml) and docker-compose.yml. No cluster and no
Docker engine needed; `docker-compose up` for real is tests/deploy/compose_test.sh.

Checked: every manifest is a valid object of a known kind in namespace codeworm, listed in
kustomization.yaml; Deployments' selectors match their pods; containers run binaries that
exist; every volume, ConfigMap, Secret key and claim referred to is declared; Services
select a pod with the port they name; the generator has replicas, the committer and the
scheduler one replica with strategy Recreate; every CODEWORM_* variable names a real
configuration key; the configuration files load with the real loader without an unknown
key. Exit 77 (ctest: skipped) without PyYAML.
"""
import os
import re
import subprocess
import sys
import tempfile

try:
    import yaml
except ImportError:
    print("SKIP: PyYAML is not installed (apt-get install python3-yaml; deploy/install-deps.sh does)")
    sys.exit(77)

import cwtest
from cwtest import BIN, PORT_BASE, SRC, check

K8S = os.path.join(SRC, "deploy", "k8s")
BINARIES = {"codeworm", "codeworm-broker", "codeworm-analyzer", "codeworm-generator",
            "codeworm-committer", "codeworm-scheduler", "codeworm-notifier", "codeworm-dashboard"}
# variables of the container entrypoint (deploy/docker-entrypoint.sh), not config keys
NOT_CONFIG = {"CODEWORM_UID", "CODEWORM_GID", "CODEWORM_CONFIG_DIR"}


def config_keys():
    """The dotted keys of the configuration table in common/cw_config.c."""
    text = open(os.path.join(SRC, "common", "cw_config.c")).read()
    keys = set(re.findall(r'\bK[_A-Z]?\("([a-z_.]+)"', text))
    keys |= set(re.findall(r'\{"([a-z_.]+)", T_', text))
    return keys


KEYS = config_keys()


def env_key(name):
    """CODEWORM_BUS__ALLOW_INSECURE -> bus.allow_insecure; CODEWORM_DATA_DIR -> data_dir."""
    return name[len("CODEWORM_"):].lower().replace("__", ".")


def check_env_names(names, where):
    for name in sorted(names):
        if name in NOT_CONFIG:
            continue
        check(name.startswith("CODEWORM_") and env_key(name) in KEYS,
              "%s: %s names a configuration key (%s)" % (where, name, env_key(name)))


def loads_cleanly(files, where, env=None):
    """Load a config directory with the real loader (`codeworm stats --json`): exit 0 and no
    warning about an unknown key."""
    d = tempfile.mkdtemp(prefix="cw-deploy-config-")
    for name, text in files.items():
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    e = dict(os.environ, CODEWORM_BUS__BROKER="tcp://127.0.0.1:%d" % (PORT_BASE + 19))
    e.update(env or {})
    r = subprocess.run([os.path.join(BIN, "codeworm"), "--config", d, "stats", "--json"],
                       capture_output=True, text=True, timeout=60, env=e)
    check(r.returncode == 0, "%s: the configuration loads (exit %d: %s)" % (where, r.returncode, r.stderr[-300:]))
    check("config_unknown_key" not in r.stderr and "unknown key" not in r.stderr,
          "%s: no unknown configuration key (%s)" % (where, r.stderr[-300:]))
    for name in files:
        os.unlink(os.path.join(d, name))
    os.rmdir(d)


# ------------------------------------------------------------------ Kubernetes
docs = []
files = sorted(f for f in os.listdir(K8S) if f.endswith(".yaml"))
for f in files:
    with open(os.path.join(K8S, f)) as fh:
        for doc in yaml.safe_load_all(fh):
            if doc is not None:
                docs.append((f, doc))
check(len(docs) >= 12, "deploy/k8s/ holds the manifests (%d documents in %d files)" % (len(docs), len(files)))

kust = [d for f, d in docs if d.get("kind") == "Kustomization"]
check(len(kust) == 1, "one kustomization.yaml")
listed = set(kust[0].get("resources", [])) if kust else set()
check(listed == set(files) - {"kustomization.yaml"},
      "kustomization.yaml lists every manifest (%s)" % sorted(set(files) ^ listed ^ {"kustomization.yaml"}))

KNOWN = {"Namespace": "v1", "ConfigMap": "v1", "Secret": "v1", "PersistentVolumeClaim": "v1",
         "Service": "v1", "Deployment": "apps/v1", "Kustomization": "kustomize.config.k8s.io/v1beta1"}
objects = {}
for f, d in docs:
    kind = d.get("kind")
    check(kind in KNOWN and d.get("apiVersion") == KNOWN[kind],
          "%s: %s has apiVersion %s" % (f, kind, d.get("apiVersion")))
    if kind == "Kustomization":
        continue
    name = (d.get("metadata") or {}).get("name")
    check(bool(name) and re.match(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", name or "") is not None,
          "%s: %s has a valid name (%s)" % (f, kind, name))
    if kind != "Namespace":
        check(d["metadata"].get("namespace") == "codeworm", "%s: %s/%s is in namespace codeworm" % (f, kind, name))
    objects[(kind, name)] = d

configmaps = {n: d for (k, n), d in objects.items() if k == "ConfigMap"}
secrets = {n: d for (k, n), d in objects.items() if k == "Secret"}
claims = {n: d for (k, n), d in objects.items() if k == "PersistentVolumeClaim"}
deployments = {n: d for (k, n), d in objects.items() if k == "Deployment"}
services = {n: d for (k, n), d in objects.items() if k == "Service"}

for comp in ("broker", "analyzer", "generator", "committer", "scheduler", "notifier"):
    check("codeworm-" + comp in deployments, "a Deployment for the %s" % comp)
gen = deployments.get("codeworm-generator", {}).get("spec", {})
check(gen.get("replicas", 1) >= 2, "the generator Deployment has replicas (%s)" % gen.get("replicas"))
for single in ("codeworm-committer", "codeworm-scheduler"):
    spec = deployments.get(single, {}).get("spec", {})
    check(spec.get("replicas") == 1 and (spec.get("strategy") or {}).get("type") == "Recreate",
          "%s: one replica, strategy Recreate" % single)
check("codeworm-broker" in services, "a Service for the broker")
check("codeworm-dashboard" in services, "a Service for the dashboard")

env_names = set()
pod_labels = []
for name, d in deployments.items():
    spec = d["spec"]
    sel = spec["selector"]["matchLabels"]
    tmpl = spec["template"]
    labels = tmpl["metadata"]["labels"]
    check(all(labels.get(k) == v for k, v in sel.items()), "%s: the selector matches its pods" % name)
    pod = tmpl["spec"]
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    ports = set()
    for c in pod["containers"]:
        args = c.get("args") or c.get("command") or []
        check(bool(args) and args[0] in BINARIES and os.path.exists(os.path.join(BIN, args[0])),
              "%s/%s runs a CodeWorm binary (%s)" % (name, c["name"], args[:1]))
        check("--config" in args and args[args.index("--config") + 1] == "/etc/codeworm",
              "%s/%s reads /etc/codeworm" % (name, c["name"]))
        check(c.get("image", "").startswith("codeworm"), "%s/%s has the codeworm image" % (name, c["name"]))
        for m in c.get("volumeMounts", []):
            check(m["name"] in volumes, "%s/%s mounts a declared volume (%s)" % (name, c["name"], m["name"]))
        for e in c.get("env", []):
            env_names.add(e["name"])
            ref = (e.get("valueFrom") or {}).get("secretKeyRef")
            if ref:
                data = (secrets.get(ref["name"]) or {}).get("stringData") or {}
                check(ref["key"] in data, "%s/%s: secret key %s is in Secret %s" % (name, c["name"], ref["key"], ref["name"]))
        for p in c.get("ports", []):
            ports.add(p.get("name"))
            ports.add(p.get("containerPort"))
    for v in volumes.values():
        if "configMap" in v:
            check(v["configMap"]["name"] in configmaps, "%s: ConfigMap %s exists" % (name, v["configMap"]["name"]))
        if "persistentVolumeClaim" in v:
            check(v["persistentVolumeClaim"]["claimName"] in claims,
                  "%s: claim %s exists" % (name, v["persistentVolumeClaim"]["claimName"]))
    pod_labels.append((name, labels, ports))

for name, s in services.items():
    sel = s["spec"]["selector"]
    targets = [(n, ports) for n, labels, ports in pod_labels if all(labels.get(k) == v for k, v in sel.items())]
    check(len(targets) == 1, "Service %s selects the pods of one Deployment (%s)" % (name, [t[0] for t in targets]))
    for p in s["spec"]["ports"]:
        check(any(p.get("targetPort", p["port"]) in t[1] for t in targets),
              "Service %s: port %s reaches a container port" % (name, p.get("name")))

check_env_names(env_names, "deploy/k8s")
cm = configmaps.get("codeworm-config", {}).get("data", {})
check("config.yaml" in cm and "repos.yaml" in cm, "the ConfigMap holds config.yaml and repos.yaml")
if cm:
    loads_cleanly({k: v for k, v in cm.items() if k.endswith(".yaml")}, "deploy/k8s ConfigMap")

# ------------------------------------------------------------------ docker-compose.yml
with open(os.path.join(SRC, "docker-compose.yml")) as fh:
    compose = yaml.safe_load(fh)
svc = compose.get("services", {})
for comp in ("broker", "analyzer", "generator", "committer", "scheduler", "notifier", "dashboard", "ollama"):
    check(comp in svc, "docker-compose.yml has the %s service" % comp)
compose_env = set()
for name, s in svc.items():
    if name == "ollama":
        continue
    cmd = s.get("command") or []
    check(bool(cmd) and cmd[0] in BINARIES, "compose %s runs a CodeWorm binary (%s)" % (name, cmd[:1]))
    check("healthcheck" in s and s["healthcheck"].get("test"), "compose %s has a health check" % name)
    env = s.get("environment") or {}
    compose_env |= set(env)
    for p in s.get("ports", []):
        check(str(p).startswith("127.0.0.1:"), "compose %s publishes %s on the host's loopback only" % (name, p))
    vols = [str(v) for v in s.get("volumes", [])]
    check(any(v.endswith(":/var/lib/codeworm") and "./data/compose" in v for v in vols),
          "compose %s keeps its data in the host folder ./data/compose" % name)
    if name != "broker":
        check(env.get("CODEWORM_BUS__BROKER") == "tcp://broker:5555",
              "compose %s connects to the broker by its name" % name)
        check((s.get("depends_on") or {}).get("broker", {}).get("condition") == "service_healthy",
              "compose %s waits for a healthy broker" % name)
check(str(svc["broker"]["environment"].get("CODEWORM_BUS__ALLOW_INSECURE")).lower() == "true",
      "compose broker: bus.allow_insecure for its non-loopback binds")
check("${CODEWORM_LLM__BACKEND:-offline}" in open(os.path.join(SRC, "docker-compose.yml")).read(),
      "compose defaults to the offline backend, switchable with CODEWORM_LLM__BACKEND")
check(svc["generator"]["environment"].get("CODEWORM_OLLAMA__HOST", "").endswith("ollama}"),
      "compose points the generator at the ollama service")
oll = svc.get("ollama", {})
check(oll.get("profiles") == ["ollama"], "the ollama service is under the profile 'ollama'")
devices = ((((oll.get("deploy") or {}).get("resources") or {}).get("reservations") or {}).get("devices") or [])
check(any("gpu" in (d.get("capabilities") or []) for d in devices), "the ollama service reserves a GPU")
check_env_names(compose_env, "docker-compose.yml")
compose_dir = os.path.join(SRC, "deploy", "compose")
loads_cleanly({f: open(os.path.join(compose_dir, f)).read() for f in os.listdir(compose_dir)
               if f.endswith(".yaml")}, "deploy/compose",
              env={"CODEWORM_SCHEDULE__INTERVAL_SECONDS": "20", "CODEWORM_LLM__BACKEND": "offline"})
ignore = open(os.path.join(SRC, ".dockerignore")).read().split()
check("build/" in ignore and "data/" in ignore, ".dockerignore keeps build/ and data/ out of the image")

cwtest.finish()
