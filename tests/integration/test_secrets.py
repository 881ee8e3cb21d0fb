"""A DevLog that is safe to publish: a repository seeded with every kind of secret the
issue names, in the eight languages' assignment, dict, struct-field, YAML, JSON and .env
forms, is documented once for every doc type the analyzer makes (function_doc, class_doc,
file_doc, module_doc, security_review, performance_analysis, til, code_evolution,
pattern_analysis) through the whole stack and a stand-in LLM. Afterwards no secret is in:
  - the DevLog's history (every commit's patch and message),
  - any event on the bus (a subscriber recorded all of them),
  - any log line of any process,
  - anything the LLM was sent,
  - the ledger or the cycle log;
and the documents show [REDACTED] where the secrets were, with the names kept. The
secrets are assembled at run time, so this file holds none a scanner would flag."""
import json
import os
import random
import shutil
import string
import time
import urllib.request

import msgpack
import zmq

import cwtest
from cwtest import check

DOC_TYPES = ["function_doc", "class_doc", "file_doc", "module_doc", "security_review",
             "performance_analysis", "til", "code_evolution", "pattern_analysis"]

rng = random.Random(8)


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


UP = string.ascii_uppercase + string.digits
AL = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
B64 = AL + "+/"
TOK = AL + "_-"

S = {
    "aws_id": "AK" + "IA" + rand(UP, 16),
    "aws_secret": rand(B64, 40),
    "gcp_key_body": "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" + rand(B64, 60),
    "gcp_key_id": rand(HEX, 40),
    "azure_key": rand(B64, 86) + "==",
    "github": "gh" + "p_" + rand(AL, 36),
    "github_pat": "github" + "_pat_" + rand(AL + "_", 82),
    "gitlab": "gl" + "pat-" + rand(TOK, 20),
    "slack_token": "xo" + "xb-" + rand("0123456789", 12) + "-" + rand(AL, 24),
    "slack_hook": "T" + rand(UP, 8) + "/B" + rand(UP, 8) + "/" + rand(AL, 24),
    "discord_hook": rand("0123456789", 18) + "/" + rand(TOK, 68),
    "stripe": "sk" + "_live_" + rand(AL, 24),
    "twilio": "SK" + rand(HEX, 32),
    "sendgrid": "SG." + rand(TOK, 22) + "." + rand(TOK, 43),
    "npm": "npm" + "_" + rand(AL, 36),
    "openai": "sk-" + "proj-" + rand(TOK, 48),
    "google": "AI" + "za" + rand(TOK, 35),
    "rsa_body": "MIIEpAIBAAKCAQEA" + rand(B64, 60),
    "openssh_body": "b3BlbnNzaC1rZXktdjEAAAAA" + rand(B64, 50),
    "pgp_body": "lQOYBF" + rand(B64, 60),
    "db_pw": "Pg-" + rand(AL, 14),
    "rs_pw": "My-" + rand(AL, 14),
    "jwt": "ey" + "JhbGciOiJIUzI1NiJ9.ey" + "JzdWIiOiJjb2Rld29ybSJ9." + rand(TOK, 43),
    "py_password": "pw-" + rand(AL, 12),
    "env_password": "env-" + rand(AL, 12),
    "env_token": rand(AL, 24),
    "yaml_password": "yml-" + rand(AL, 12),
    "ts_password": "tsx-" + rand(AL, 12),
    "go_password": "go-" + rand(AL, 12),
    "c_secret": "c-" + rand(AL, 14),
    "cpp_token": "cpp-" + rand(AL, 14),
    "json_secret": "json-" + rand(AL, 12),
}

PY_SETTINGS = '''"""Billing settings and the payment client."""
import os

AWS_ACCESS_KEY_ID = "{aws_id}"
AWS_SECRET_ACCESS_KEY = "{aws_secret}"
DATABASE_URL = "postgres://billing:{db_pw}@db.internal:5432/billing"
STRIPE_KEY = "{stripe}"
ENV_FILE = """
DB_PASSWORD={env_password}
export API_TOKEN={env_token}
"""
YAML_CONFIG = """
database:
  user: billing
  password: {yaml_password}
"""
SERVICE_ACCOUNT = {{
    "type": "service_account",
    "private_key_id": "{gcp_key_id}",
    "private_key": "-----BEGIN PRIVATE KEY-----\\n{gcp_key_body}\\n-----END PRIVATE KEY-----\\n",
    "client_email": "billing@example.iam.gserviceaccount.com",
}}


class BillingClient:
    """Talks to the payment provider: one per process."""

    _instance = None

    def __new__(cls, *args, **kwargs):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __init__(self, api_key="{openai}"):
        self.api_key = api_key
        self.password = "{py_password}"
        self.webhook = "https://hooks.slack.com/services/{slack_hook}"
        self.retries = 3

    @classmethod
    def get_instance(cls):
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance

    def charge(self, amount, currency="usd", retries=3):
        headers = {{"Authorization": "Bearer {jwt}"}}
        token = "{github}"
        if amount <= 0:
            raise ValueError("amount")
        for attempt in range(retries):
            if currency == "usd" and amount > 1000:
                headers["X-Review"] = "manual"
            elif currency == "eur":
                headers["X-Region"] = "eu"
            else:
                headers["X-Region"] = "us"
            if attempt > 1 and token:
                return self.send(amount, headers)
        return None

    def send(self, amount, headers):
        conn = "Server=sql;User Id=sa;Password={db_pw};Database=billing"
        if not headers:
            return None
        if amount > 10:
            return conn
        return headers
'''

PY_NOTIFY = '''"""Notifications."""


def notify(channel, message, urgent=False):
    slack_token = "{slack_token}"
    sendgrid_key = "{sendgrid}"
    if not message:
        return None
    if channel == "slack":
        target = slack_token
    elif channel == "mail" and urgent:
        target = sendgrid_key
    elif channel == "mail":
        target = None
    else:
        raise ValueError(channel)
    if urgent:
        message = "URGENT " + message
    return target, message
'''

JS = '''export function notify(message, level, retries) {{
  const SLACK_TOKEN = "{slack_token}";
  const config = {{
    apiKey: "{google}",
    discordHook: "https://discord.com/api/webhooks/{discord_hook}",
  }};
  const ARMOR = `-----BEGIN PGP PRIVATE KEY BLOCK-----

{pgp_body}
=AbCd
-----END PGP PRIVATE KEY BLOCK-----`;
  const sendgrid = "{sendgrid}";
  if (!message) {{
    return null;
  }}
  for (let i = 0; i < retries; i++) {{
    if (level === "error" && i > 0) {{
      console.log(sendgrid.length, SLACK_TOKEN.length, ARMOR.length);
    }} else if (level === "warn") {{
      continue;
    }} else {{
      break;
    }}
  }}
  return fetch(config.discordHook, {{ method: "POST", body: message }});
}}
'''

TS = '''export class RegistryClient {{
  private readonly token: string = "{gitlab}";
  private readonly password = "{ts_password}";

  constructor(private base: string) {{}}

  publish(pkg: string, tag: string, dry: boolean): string {{
    const NPM_TOKEN: string = "{npm}";
    const headers = {{ "Authorization": "token {gitlab}" }};
    if (!pkg) {{
      throw new Error("no package");
    }}
    let auth = NPM_TOKEN;
    if (tag === "next" && !dry) {{
      auth = this.token;
    }} else if (dry) {{
      auth = this.password;
    }}
    for (const part of pkg.split("/")) {{
      if (part.startsWith("@")) {{
        auth = auth + part;
      }}
    }}
    return this.base + auth;
  }}
}}
'''

TSX = '''import React from "react";

export function LoginPanel(props: {{ user: string; admin: boolean; tries: number }}) {{
  const password = "{ts_password}";
  const apiKey = "{google}";
  let hint = "";
  if (props.admin && props.tries > 3) {{
    hint = "locked";
  }} else if (props.admin) {{
    hint = password.slice(0, 1);
  }} else if (props.tries > 5) {{
    hint = apiKey.slice(0, 1);
  }}
  for (let i = 0; i < props.tries; i++) {{
    if (i % 2 === 0) {{
      hint = hint + ".";
    }}
  }}
  return <div className="login">{{props.user}} {{hint}}</div>;
}}
'''

GO = '''package svc

import "errors"

type Config struct {{
	Token    string
	Password string
	Region   string
}}

func Load(env string, strict bool) (*Config, error) {{
	const twilioKey = "{twilio}"
	var dbPassword = "{go_password}"
	c := &Config{{
		Token:    "{github_pat}",
		Password: "{go_password}",
	}}
	if env == "" {{
		return nil, errors.New("no env")
	}}
	if env == "prod" && strict {{
		c.Region = "eu"
	}} else if env == "dev" {{
		c.Region = twilioKey[:2]
	}} else {{
		c.Region = dbPassword[:1]
	}}
	return c, nil
}}
'''

RUST = '''pub fn connect(host: &str, port: u16, tls: bool) -> Result<String, String> {{
    const API_KEY: &str = "{openai}";
    let url = "mysql://root:{rs_pw}@localhost/app";
    let secret = "{json_secret}";
    if host.is_empty() {{
        return Err("no host".to_string());
    }}
    if port == 0 || port > 60000 {{
        return Err("bad port".to_string());
    }}
    let scheme = if tls {{ "https" }} else {{ "http" }};
    for _ in 0..2 {{
        if secret.len() > 3 && API_KEY.len() > 3 {{
            break;
        }}
    }}
    Ok(format!("{{}}://{{}}:{{}} {{}}", scheme, host, port, url))
}}
'''

C = '''#include <string.h>

int auth_check(const char *user, const char *password, int attempts)
{{
#define API_SECRET "{c_secret}"
    static const char *KEY_PEM =
        "-----BEGIN RSA PRIVATE KEY-----\\n"
        "{rsa_body}\\n"
        "-----END RSA PRIVATE KEY-----\\n";
    if (!user || !password)
        return -1;
    if (attempts > 3 && strcmp(password, API_SECRET) != 0)
        return -2;
    for (int i = 0; i < attempts; i++) {{
        if (strcmp(user, "root") == 0 && i > 1)
            return 0;
        else if (strlen(KEY_PEM) > 10)
            continue;
    }}
    if (strcmp(password, "{c_secret}") == 0)
        return 1;
    return 0;
}}
'''

CPP = '''#include <string>

class Vault {{
  public:
    static Vault &instance()
    {{
        static Vault v;
        return v;
    }}
    std::string open(const std::string &name, int mode, bool audit)
    {{
        std::string token{{"{cpp_token}"}};
        std::string conn = "DefaultEndpointsProtocol=https;AccountName=x;AccountKey={azure_key};";
        std::string key = R"(-----BEGIN OPENSSH PRIVATE KEY-----
{openssh_body}
-----END OPENSSH PRIVATE KEY-----)";
        if (name.empty())
            return "";
        if (mode > 2 && audit)
            return token;
        else if (mode == 1)
            return conn;
        for (int i = 0; i < mode; i++) {{
            if (i % 2)
                token += key.substr(0, 1);
        }}
        return token;
    }}
  private:
    Vault() {{}}
}};
'''

FILES = {
    "billing/settings.py": PY_SETTINGS,
    "billing/notify.py": PY_NOTIFY,
    "billing/__init__.py": '"""Billing."""\n',
    "web/client.js": JS,
    "web/registry.ts": TS,
    "web/LoginPanel.tsx": TSX,
    "svc/config.go": GO,
    "core/src/lib.rs": RUST,
    "native/auth.c": C,
    "native/vault.cpp": CPP,
}


class Workspace(cwtest.Workspace):
    def __init__(self, *a, **kw):
        self.extra_env = {}
        super().__init__(*a, **kw)

    def env(self):
        e = super().env()
        e.update(self.extra_env)
        return e


def fake_requests(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/_requests" % port, timeout=10) as r:
        return r.read().decode()


def found(text, where):
    """The secrets that occur in text (by their distinctive part)."""
    hits = [k for k, v in S.items() if v in text]
    check(not hits, "no secret in %s (found: %s)" % (where, ", ".join(hits)))


ws = Workspace("secrets")
ctx = sub = None
try:
    fake, port = cwtest.start_fake_ollama(ws, "--mode", "normal")
    cwtest.set_ollama_port(ws, port)
    # the seeded repository replaces the fixture: every target holds secrets
    cwtest.git(ws.source, "rm", "-q", "-r", "inventory")
    for rel, template in FILES.items():
        path = os.path.join(ws.source, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(template.format(**S))
    cwtest.git(ws.source, "add", "-A")
    cwtest.git(ws.source, "commit", "-q", "-m", "Billing, web, services and native code")
    # a second commit (code_evolution documents its diff): more secrets in settings.py
    with open(os.path.join(ws.source, "billing", "settings.py"), "a") as f:
        f.write('\nSTRIPE_RESTRICTED = "%s"\nTWILIO_API_KEY = "%s"\n' % (
            "rk" + "_live_" + S["stripe"][8:], S["twilio"]))
    cwtest.git(ws.source, "commit", "-q", "-am", "Add restricted keys to the settings")
    with open(os.path.join(ws.source, "billing", "notify.py"), "a") as f:
        f.write('\nNPM_TOKEN = "%s"\n' % S["npm"])
    cwtest.git(ws.source, "commit", "-q", "-am", "Add the npm token")

    ws.extra_env["CODEWORM_ANALYZER__INCLUDE_PATTERNS"] = (
        "**/*.py,**/*.js,**/*.ts,**/*.tsx,**/*.go,**/*.rs,**/*.c,**/*.cpp")
    ws.extra_env["CODEWORM_ANALYZER__EXCLUDE_PATTERNS"] = ".git"

    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"codeworm.")
    sub.connect(ws.events_out)
    ws.start_stack()
    check(ws.wait_for_workers(), "the stack registers its workers")
    time.sleep(1.0)

    outputs = ""
    for doc_type in DOC_TYPES:
        ws.extra_env["CODEWORM_DOCUMENTATION__TYPE_WEIGHTS"] = '{"%s": 1}' % doc_type
        r = ws.codeworm("run-once", timeout=180)
        outputs += r.stdout + r.stderr
        check(r.returncode == 0, "%s documented (rc %d: %r)" % (doc_type, r.returncode,
                                                                r.stdout[-300:] + r.stderr[-300:]))

    # then every function and every file, so that each language's source is in a document
    for doc_type in ("function_doc", "file_doc"):
        ws.extra_env["CODEWORM_DOCUMENTATION__TYPE_WEIGHTS"] = '{"%s": 1}' % doc_type
        for _ in range(20):
            r = ws.codeworm("run-once", timeout=180)
            outputs += r.stdout + r.stderr
            if r.returncode != 0:
                break
        check(r.returncode == 1, "every %s target was documented (rc %d)" % (doc_type,
                                                                           r.returncode))

    events = []
    deadline = time.time() + 3
    while time.time() < deadline:
        if sub.poll(200):
            topic, payload = sub.recv_multipart()
            events.append((topic.decode(), msgpack.unpackb(payload, raw=False)))
    committed = [e for t, e in events if t == "codeworm.documentation_committed"]
    check(set(e.get("doc_type") for e in committed) == set(DOC_TYPES),
          "documentation_committed for every doc type (%r)" %
          sorted(set(e.get("doc_type") for e in committed)))
    files = set(e.get("file") for e in committed)
    check(all(rel in files for rel in FILES if not rel.endswith("__init__.py")),
          "every seeded file was documented (%r)" % sorted(files))
    for e in committed[:len(DOC_TYPES)]:
        if e.get("doc_type") != "code_evolution":
            check(e.get("redactions", 0) >= 1, "%s: the event counts its redactions (%r)" % (
                e.get("doc_type"), e.get("redactions")))
    generating = [e for t, e in events if t == "codeworm.generating"]
    check(len(generating) == len(committed) and sum(e.get("redactions", 0) for e in generating) >= 40,
          "generating events carry the analyzer's count (%r)" %
          [e.get("redactions") for e in generating])
    check(sum(e.get("redactions", 0) for e in committed) >= 80,
          "many secrets were redacted in all (%d)" % sum(e.get("redactions", 0) for e in committed))
    prompts = fake_requests(port)
    ws.stop()

    # --- the DevLog: every commit, patch and message
    history = cwtest.git(ws.devlog, "log", "-p", "--all", "--format=%H %s%n%b", check_rc=False)
    check(len(history) > 10000, "the DevLog history is there (%d bytes)" % len(history))
    found(history, "the DevLog's history")
    check(history.count("[REDACTED]") >= 80, "the documents show [REDACTED] (%d)"
          % history.count("[REDACTED]"))
    check('password = "[REDACTED]"' in history or "self.password = \"[REDACTED]\"" in history,
          "names and quotes are kept around a redaction")
    for kind in ("RSA PRIVATE KEY", "OPENSSH PRIVATE KEY", "PGP PRIVATE KEY BLOCK"):
        check("-----BEGIN %s-----" % kind in history, "the %s block keeps its BEGIN line" % kind)
    # --- the bus, the logs, the LLM, the databases
    found(json.dumps(events), "any event on the bus")
    logs = outputs
    for dirpath, _, files in os.walk(ws.root):
        for name in files:
            if name.endswith(".log"):
                logs += open(os.path.join(dirpath, name), encoding="utf-8",
                             errors="replace").read()
    check(len(logs) > 10000, "the processes wrote logs (%d bytes)" % len(logs))
    found(logs, "the logs")
    check(prompts.count("/api/generate") >= 9, "the LLM was asked to write")
    found(prompts, "what the LLM was sent")
    for db in ("codeworm.db", "cycles.db"):
        path = os.path.join(ws.data, db)
        blob = ""
        for suffix in ("", "-wal"):
            if os.path.exists(path + suffix):
                blob += open(path + suffix, "rb").read().decode("latin-1")
        check(len(blob) > 0, "%s exists" % db)
        found(blob, db)
finally:
    if sub:
        sub.close(0)
    if ctx:
        ctx.term()
    ws.cleanup()
cwtest.finish()
