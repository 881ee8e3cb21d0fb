/*  cw_redact — finds secrets in text and replaces each with "[REDACTED]", keeping the code
    around it readable: `password = "hunter2"` becomes `password = "[REDACTED]"`, a URL
    keeps its user and host (`postgres://app:[REDACTED]@db/x`), a private key block keeps
    its BEGIN/END lines.

    Built-in rules (hand-written matchers, linear in the text):
      - private key blocks: PEM (RSA, EC, DSA, PKCS#8, encrypted), OpenSSH, PGP, SSH2
      - cloud keys: AWS access key ids (AKIA/ASIA/...), Google API keys (AIza...), Google
        OAuth secrets and tokens (GOCSPX-, ya29.), Azure AccountKey= / SharedAccessKey= /
        SharedAccessSignature= values and SAS `sig=` parameters; secret keys through the
        assignment rule below (aws_secret_access_key, private_key of a GCP service account)
      - code hosts and providers: GitHub (ghp_ gho_ ghu_ ghs_ ghr_ github_pat_), GitLab
        (glpat- gldt- glrt- glptt-), Slack tokens (xox?-, xapp-) and webhooks
        (hooks.slack.com), Discord and Teams webhooks, Stripe (sk_/rk_ live/test, whsec_),
        Twilio (SK/AC + 32 hex), SendGrid (SG.x.y), npm (npm_), PyPI (pypi-), OpenAI and
        Anthropic (sk-...), Hugging Face (hf_), Vault (hvs.), DigitalOcean (dop_v1_),
        Shopify (shpat_ ...), Telegram bot tokens
      - JWTs (eyJ...eyJ...sig), `Bearer <token>`, `Authorization: Basic <base64>`
      - URLs and connection strings with a password: scheme://user:[REDACTED]@host
      - literal values given to names that say "secret": password, passwd, passphrase, pwd,
        secret, token, api_key, access_key, private_key, credentials, auth keys, ... in the
        assignment, dict/object/struct-field, YAML, JSON, .env/INI, XML, #define and
        getenv("NAME", "default") forms of Python, JS/TS, Go, Rust, C and C++.
    Extra rules: POSIX extended regular expressions (redaction.patterns, compiled with
    REG_NEWLINE); a pattern with a parenthesised group redacts the first group's match,
    otherwise the whole match. Allow list (redaction.allow): a would-be redaction whose
    text equals an entry, or fully matches it as an extended regular expression, is kept.

    Redacting twice changes nothing the second time ("[REDACTED]" is never redacted).
    Nothing here logs the text it looks at.                                              */
#ifndef CW_REDACT_H
#define CW_REDACT_H

#include <stdbool.h>
#include <stddef.h>

#include "cw_config.h"
#include "cw_value.h"

#define CW_REDACT_MARK "[REDACTED]"
#define CW_REDACT_PATTERN_MAX 1024 /* bytes of one redaction.patterns entry */
#define CW_REDACT_RULES_MAX 256    /* extra patterns / allow entries */

typedef struct _cw_redact_t cw_redact_t;

/* The built-in rules only. NULL on OOM. */
cw_redact_t *cw_redact_new(void);
/* Built-in rules plus config->redaction.patterns and .allow (NULL config = built-in only).
   NULL with a reason in err when a pattern does not compile (cw_config_load has already
   refused such a config) or on OOM. */
cw_redact_t *cw_redact_new_for_config(const cw_config_t *config, char *err, size_t errlen);
void cw_redact_destroy(cw_redact_t **self_p);

/* Add an extra pattern (POSIX ERE). 0, or -1 with a reason. */
int cw_redact_add_pattern(cw_redact_t *self, const char *pattern, char *err, size_t errlen);
/* Add an allow-list entry (a literal, and also an ERE if it compiles as one). 0 or -1. */
int cw_redact_add_allow(cw_redact_t *self, const char *entry);
/* Does `pattern` make a valid extra pattern? 0, or -1 with the reason (regerror's words,
   or the length limit). Used by cw_config to refuse a bad config at load time. */
int cw_redact_check_pattern(const char *pattern, char *why, size_t whylen);

/* Redact the NUL-terminated `text`. Returns 0 and sets *out to a new malloc'd string when
   something was replaced (*count = how many secrets), or *out = NULL and *count = 0 when
   nothing was. -1 on OOM (*out NULL): the caller must not use the text. */
int cw_redact_text(const cw_redact_t *self, const char *text, char **out, size_t *count);
/* Redact every string inside *value (maps and arrays at any depth). The identity fields of
   a target (doc_type, language, code_hash, repo, file) are left alone; a string under a
   map key that names a secret ("password", "api_key", ...) is replaced whole. When
   anything changed *value is replaced by a new tree (the old one is destroyed). Returns
   the number of redactions, or -1 on OOM (then *value is unchanged). */
long cw_redact_value(const cw_redact_t *self, cw_value_t **value);

/* Does this name (an identifier, a YAML/JSON/env key) say it holds a secret? */
bool cw_redact_secret_name(const char *name, size_t len);

#endif
