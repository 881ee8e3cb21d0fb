/*  cw_redact: every kind of secret the issue names, in the forms the eight languages and
    the config formats write them, is replaced by [REDACTED] with the code kept readable;
    ordinary code is left alone; extra patterns, the allow list, value trees, and config
    validation of redaction.patterns.

    Secrets are assembled at run time from pieces, so this file itself holds none that a
    secret scanner would flag. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cw_config.h"
#include "cw_redact.h"
#include "cw_value.h"

/* a string of n characters cycling through `alphabet` */
static const char *s_rep(const char *alphabet, size_t n)
{
    static char bufs[8][512];
    static int next = 0;
    char *b = bufs[next++ % 8];
    size_t al = strlen(alphabet);
    for (size_t i = 0; i < n && i < 511; i++)
        b[i] = alphabet[(i * 7 + 3) % al];
    b[n < 511 ? n : 511] = '\0';
    return b;
}

static char *s_redact(const cw_redact_t *r, const char *text, size_t *count)
{
    char *out = NULL;
    size_t n = 0;
    assert_int_equal(cw_redact_text(r, text, &out, &n), 0);
    if (count)
        *count = n;
    return out ? out : strdup(text);
}

/* `text` with `secret` inside must come out as `expected` (when given) without `secret` */
static void s_expect(const cw_redact_t *r, const char *text, const char *secret,
                     const char *expected)
{
    size_t n = 0;
    char *out = s_redact(r, text, &n);
    if ((secret && strstr(out, secret)) || (expected && strcmp(out, expected) != 0) ||
        !strstr(out, CW_REDACT_MARK)) {
        print_error("input:    %s\noutput:   %s\nexpected: %s\n", text, out,
                    expected ? expected : "(secret gone)");
        free(out);
        fail();
    }
    assert_true(n >= 1);
    /* a second pass changes nothing */
    size_t again = 99;
    char *twice = s_redact(r, out, &again);
    assert_string_equal(twice, out);
    assert_int_equal(again, 0);
    free(twice);
    free(out);
}

static void s_untouched(const cw_redact_t *r, const char *text)
{
    size_t n = 0;
    char *out = s_redact(r, text, &n);
    if (strcmp(out, text) != 0) {
        print_error("should be left alone:\ninput:  %s\noutput: %s\n", text, out);
        free(out);
        fail();
    }
    assert_int_equal(n, 0);
    free(out);
}

static void test_assignments_all_languages(void **state)
{
    cw_redact_t *r = cw_redact_new();
    assert_non_null(r);
    /* python */
    s_expect(r, "password = \"hunter2\"\n", "hunter2", "password = \"[REDACTED]\"\n");
    s_expect(r, "DB_PASSWORD: str = 's3cr3t-pass'", "s3cr3t-pass",
             "DB_PASSWORD: str = '[REDACTED]'");
    s_expect(r, "cfg = {\"api_key\": \"abcd1234efgh\", \"user\": \"bob\"}", "abcd1234efgh",
             "cfg = {\"api_key\": \"[REDACTED]\", \"user\": \"bob\"}");
    s_expect(r, "connect(host=h, password=\"hunter2\")", "hunter2",
             "connect(host=h, password=\"[REDACTED]\")");
    s_expect(r, "os.environ[\"SECRET_KEY\"] = r'django-insecure-abc123'", "django-insecure",
             "os.environ[\"SECRET_KEY\"] = r'[REDACTED]'");
    s_expect(r, "token = os.getenv(\"GITHUB_TOKEN\", \"fallback-Tok3n-value\")", "fallback-Tok3n",
             NULL);
    s_expect(r, "if password == \"letmein\":\n", "letmein", "if password == \"[REDACTED]\":\n");
    s_expect(r, "DEFAULT_PASSWORD = \"supersecret\"", "supersecret", NULL);
    s_expect(r, "self.client_secret = \"0a1b2c3d4e5f\"", "0a1b2c3d4e5f", NULL);
    /* javascript / typescript */
    s_expect(r, "const apiKey = 'AbCdEf123456';", "AbCdEf123456", "const apiKey = '[REDACTED]';");
    s_expect(r, "let authToken: string = \"tok-1234-abcd\";", "tok-1234-abcd", NULL);
    s_expect(r, "const cfg = {\n  password: `p4ss w0rd`,\n};", "p4ss w0rd", NULL);
    s_expect(r, "headers['X-Api-Key'] = \"k-9f8e7d6c\"", "k-9f8e7d6c", NULL);
    /* go */
    s_expect(r, "password := \"hunter2\"", "hunter2", "password := \"[REDACTED]\"");
    s_expect(r, "cfg := Config{\n\tPassword: \"hunter2\",\n}", "hunter2",
             "cfg := Config{\n\tPassword: \"[REDACTED]\",\n}");
    s_expect(r, "const apiToken = `raw-T0ken-value`", "raw-T0ken-value", NULL);
    /* rust */
    s_expect(r, "const API_TOKEN: &str = \"tok_9f8e7d6c5b4a\";", "tok_9f8e7d6c5b4a",
             "const API_TOKEN: &str = \"[REDACTED]\";");
    s_expect(r, "let secret = r#\"raw\"secret\"#;", "raw\"secret", NULL);
    s_expect(r, "Settings { db_password: \"hunter2\".to_string() }", "hunter2", NULL);
    /* c / c++ */
    s_expect(r, "#define API_KEY \"k3y-v4lue-123\"\n", "k3y-v4lue-123",
             "#define API_KEY \"[REDACTED]\"\n");
    s_expect(r, "static const char *db_passwd = \"hunter2\";", "hunter2", NULL);
    s_expect(r, "char secret[32] = \"topsecret1\";", "topsecret1",
             "char secret[32] = \"[REDACTED]\";");
    s_expect(r, "std::string token{\"Zx9Yw8Vu7Ts6\"};", "Zx9Yw8Vu7Ts6",
             "std::string token{\"[REDACTED]\"};");
    s_expect(r, "struct cfg c = {.password = \"hunter2\"};", "hunter2", NULL);
    s_expect(r, "if (strcmp(password, \"c-Secret99\") == 0)", "c-Secret99",
             "if (strcmp(password, \"[REDACTED]\") == 0)");
    s_expect(r, "if (strcmp(\"c-Secret99\", passwd) == 0)", "c-Secret99", NULL);
    s_expect(r, "if (\"tok-Abc12345\" == token)", "tok-Abc12345", NULL);
    /* yaml, json, .env, ini, xml */
    s_expect(r, "db:\n  user: app\n  password: hunter2\n", "hunter2",
             "db:\n  user: app\n  password: [REDACTED]\n");
    s_expect(r, "{\"credentials\": {\"api_key\": \"zyx987wvu654\"}}", "zyx987wvu654", NULL);
    s_expect(r, "export API_TOKEN=ab12cd34ef56gh78\nDB_PASS=hunter2\n", "hunter2",
             "export API_TOKEN=[REDACTED]\nDB_PASS=[REDACTED]\n");
    s_expect(r, "[client]\npassword=s3cret\n", "s3cret", "[client]\npassword=[REDACTED]\n");
    s_expect(r, "<password>hunter2</password>", "hunter2", "<password>[REDACTED]</password>");
    s_expect(r, "Server=db;User Id=sa;Password=Pa55word;Database=x", "Pa55word",
             "Server=db;User Id=sa;Password=[REDACTED];Database=x");
    s_expect(r, "GET /api?user=bob&api_key=a1b2c3d4e5&x=1", "a1b2c3d4e5", NULL);
    s_expect(r, "run --password=hunter2 --verbose", "hunter2", NULL);
    cw_redact_destroy(&r);
    assert_null(r);
}

static void test_cloud_and_provider_tokens(void **state)
{
    cw_redact_t *r = cw_redact_new();
    char text[1024], secret[512];
    struct {
        const char *prefix, *alphabet;
        size_t n;
    } tokens[] = {
        {"AKIA", "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16},
        {"ASIA", "QRSTUVWXYZ234567", 16},
        {"AIza", "abcdefghijklmnopqrstuvwxyzABCDEF0123456789_-", 35},
        {"GOCSPX-", "abcdefXYZ0123_-", 28},
        {"ya29.", "a0b1c2d3e4f5_-", 60},
        {"gh"
         "p_",
         "aBcDeF0123456789", 36},
        {"gh"
         "o_",
         "aBcDeF0123456789", 36},
        {"gh"
         "u_",
         "aBcDeF0123456789", 36},
        {"gh"
         "s_",
         "aBcDeF0123456789", 36},
        {"github"
         "_pat_",
         "aBcD0123_", 82},
        {"gl"
         "pat-",
         "aBcD0123_-", 20},
        {"xo"
         "xb-",
         "0123456789-abcdefABCDEF", 50},
        {"xo"
         "xp-",
         "0123456789-abcdef", 60},
        {"sk"
         "_live_",
         "aBcDeF0123456789", 24},
        {"rk"
         "_live_",
         "aBcDeF0123456789", 24},
        {"SK", "0123456789abcdef", 32},
        {"AC", "0123456789abcdef", 32},
        {"npm"
         "_",
         "aBcDeF0123456789", 36},
        {"sk-"
         "proj-",
         "aBcD_-0123456789", 48},
        {"sk-", "aBcDeF0123456789", 48},
        {"sk-"
         "ant-api03-",
         "aBcD_-0123456789", 90},
        {"hf"
         "_",
         "aBcDeFgHiJ0123", 34},
        {"hvs.", "aBcDeF0123456789", 90},
        {"dop"
         "_v1_",
         "0123456789abcdef", 64},
        {"shpat"
         "_",
         "0123456789abcdef", 32},
        {"pypi-", "AgEIcHlwaS5vcmc0123_-", 80},
    };
    for (size_t i = 0; i < sizeof tokens / sizeof tokens[0]; i++) {
        snprintf(secret, sizeof secret, "%s%s", tokens[i].prefix,
                 s_rep(tokens[i].alphabet, tokens[i].n));
        /* bare in prose, in a call, in a comment */
        snprintf(text, sizeof text, "client = Client(\"%s\")  # see docs", secret);
        char expected[1024];
        snprintf(expected, sizeof expected, "client = Client(\"%s\")  # see docs", CW_REDACT_MARK);
        s_expect(r, text, secret, expected);
    }
    /* SendGrid, Telegram, Azure, AWS secret key, JWT */
    snprintf(secret, sizeof secret, "SG.%s.%s", s_rep("aBcD0123_-", 22), s_rep("eFgH4567_-", 43));
    snprintf(text, sizeof text, "sg = SendGridAPIClient('%s')", secret);
    s_expect(r, text, secret, "sg = SendGridAPIClient('[REDACTED]')");
    snprintf(secret, sizeof secret, "123456789:%s", s_rep("AAbbCC_-0123", 35));
    snprintf(text, sizeof text, "bot = Bot(%s)", secret);
    s_expect(r, text, secret, "bot = Bot([REDACTED])");
    snprintf(secret, sizeof secret, "%s==", s_rep("aB0+/cD1eF2gH3", 86));
    snprintf(text, sizeof text,
             "conn = \"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=%s;"
             "EndpointSuffix=core.windows.net\"",
             secret);
    s_expect(r, text, secret,
             "conn = \"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=[REDACTED];"
             "EndpointSuffix=core.windows.net\"");
    snprintf(text, sizeof text,
             "sb = \"Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=Root;"
             "SharedAccessKey=%s\"",
             secret);
    s_expect(r, text, secret, NULL);
    snprintf(text, sizeof text,
             "url = \"https://acct.blob.core.windows.net/c?sv=2022-11-02&se=x&sig=%s\"",
             "AbCdEf0123456789%2B%2FxyZ%3D");
    s_expect(r, text, "AbCdEf0123456789%2B", NULL);
    snprintf(secret, sizeof secret, "wJalrXUtnFEMI/K7MDENG/bPxRfiCY%s", "EXAMPLEKEY");
    snprintf(text, sizeof text, "[default]\naws_access_key_id = %s%s\naws_secret_access_key = %s\n",
             "AKIA", "IOSFODNN7EXAMPLE", secret);
    s_expect(r, text, secret,
             "[default]\naws_access_key_id = [REDACTED]\naws_secret_access_key = [REDACTED]\n");
    snprintf(text, sizeof text, "AWS_SECRET_ACCESS_KEY=%s", secret);
    s_expect(r, text, secret, "AWS_SECRET_ACCESS_KEY=[REDACTED]");
    snprintf(secret, sizeof secret,
             "ey"
             "JhbGciOiJIUzI1NiJ9.ey"
             "JzdWIiOiIxMjM0NSJ9.%s",
             s_rep("aBc_-012", 43));
    snprintf(text, sizeof text, "auth = '%s'", secret);
    s_expect(r, text, secret, "auth = '[REDACTED]'");
    snprintf(text, sizeof text, "curl -H \"Authorization: Bearer %s\" https://api",
             s_rep("aB0.c_D1-e", 40));
    s_expect(r, text, s_rep("aB0.c_D1-e", 40),
             "curl -H \"Authorization: Bearer [REDACTED]\" https://api");
    s_expect(r, "req.headers['Authorization'] = 'Basic dXNlcjpwYXNzd29yZA=='", "dXNlcjpwYXNzd29yZA",
             NULL);
    cw_redact_destroy(&r);
}

static void test_webhooks_and_urls(void **state)
{
    cw_redact_t *r = cw_redact_new();
    char text[1024], secret[256];
    snprintf(secret, sizeof secret, "T%s/B%s/%s", s_rep("ABC0123", 8), s_rep("DEF4567", 8),
             s_rep("aBcD0123", 24));
    snprintf(text, sizeof text, "SLACK = \"https://hooks.slack.com/services/%s\"", secret);
    s_expect(r, text, secret, "SLACK = \"https://hooks.slack.com/services/[REDACTED]\"");
    snprintf(secret, sizeof secret, "1234567890123/%s", s_rep("aBcD_-0123", 68));
    snprintf(text, sizeof text, "post('https://discord.com/api/webhooks/%s', data)", secret);
    s_expect(r, text, secret, "post('https://discord.com/api/webhooks/[REDACTED]', data)");
    s_expect(r, "DATABASE_URL = \"postgres://app:S3cret!@db.example.com:5432/app\"", "S3cret!",
             "DATABASE_URL = \"postgres://app:[REDACTED]@db.example.com:5432/app\"");
    s_expect(r, "redis://:hunter2@cache:6379/0", "hunter2", "redis://:[REDACTED]@cache:6379/0");
    s_expect(r, "mongodb+srv://admin:p%40ss@cluster0.mongodb.net/db", "p%40ss",
             "mongodb+srv://admin:[REDACTED]@cluster0.mongodb.net/db");
    s_expect(r, "amqp://guest:guest@localhost:5672//", "guest@",
             "amqp://guest:[REDACTED]@localhost:5672//");
    snprintf(secret, sizeof secret, "%s", s_rep("abcdef0123456789", 32));
    snprintf(text, sizeof text, "SENTRY_DSN = 'https://%s@o1.ingest.sentry.io/42'", secret);
    s_expect(r, text, secret, "SENTRY_DSN = 'https://[REDACTED]@o1.ingest.sentry.io/42'");
    cw_redact_destroy(&r);
}

static void test_private_key_blocks(void **state)
{
    cw_redact_t *r = cw_redact_new();
    char text[4096], body[1024];
    snprintf(body, sizeof body, "%s\n%s\n%s==", s_rep("MIIEvAIBADANBgkqhkiG9w0BAQEFAASC", 64),
             s_rep("kjhGFD+/sa0129", 64), s_rep("Zx9+/", 20));
    const char *kinds[] = {"RSA PRIVATE KEY",       "PRIVATE KEY",         "EC PRIVATE KEY",
                           "ENCRYPTED PRIVATE KEY", "OPENSSH PRIVATE KEY", "PGP PRIVATE KEY BLOCK",
                           "DSA PRIVATE KEY"};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        char expected[512];
        snprintf(text, sizeof text,
                 "KEY = \"\"\"\n-----BEGIN %s-----\n%s\n-----END %s-----\n\"\"\"\n", kinds[i], body,
                 kinds[i]);
        snprintf(expected, sizeof expected,
                 "KEY = \"\"\"\n-----BEGIN %s-----\n[REDACTED]\n-----END %s-----\n\"\"\"\n",
                 kinds[i], kinds[i]);
        s_expect(r, text, "MIIEvAIBADANBg", expected);
    }
    /* a GCP service account: escaped newlines inside JSON */
    snprintf(text, sizeof text,
             "{\"type\": \"service_account\", \"private_key_id\": \"%s\", \"private_key\": "
             "\"-----BEGIN PRIVATE KEY-----\\n%s\\n%s\\n-----END PRIVATE KEY-----\\n\", "
             "\"client_email\": \"x@y.iam.gserviceaccount.com\"}",
             s_rep("0123456789abcdef", 40), s_rep("MIIEvAIBADANBgkqhkiG9w0", 64),
             s_rep("abcXYZ+/=", 30));
    s_expect(r, text, "MIIEvAIBADANBgkq", NULL);
    char *out = s_redact(r, text, NULL);
    assert_null(strstr(out, s_rep("0123456789abcdef", 40)));
    assert_non_null(strstr(out, "\"client_email\": \"x@y.iam.gserviceaccount.com\""));
    free(out);
    /* a block cut before its END line */
    snprintf(text, sizeof text, "-----BEGIN RSA PRIVATE KEY-----\n%s\n%s", body, body);
    s_expect(r, text, "MIIEvAIBADANBgkq", "-----BEGIN RSA PRIVATE KEY-----\n[REDACTED]");
    /* SSH2 format */
    snprintf(text, sizeof text,
             "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\n%s\n---- END SSH2 ENCRYPTED PRIVATE "
             "KEY ----",
             body);
    s_expect(r, text, "MIIEvAIBADANBgkq", NULL);
    /* certificates and public keys are not secrets */
    s_untouched(r, "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUZ\n-----END CERTIFICATE-----");
    s_untouched(r, "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0B\n-----END PUBLIC KEY-----");
    cw_redact_destroy(&r);
}

static void test_ordinary_code_left_alone(void **state)
{
    cw_redact_t *r = cw_redact_new();
    s_untouched(r, "def login(self, user, password):\n    self.password = password\n"
                   "    token = self.make_token(user)\n    return token\n");
    s_untouched(r, "password = getpass.getpass()\nsecret = None\napi_key = \"\"\n");
    s_untouched(r, "password: str\ntoken: Optional[str] = None\n");
    s_untouched(r, "if token == \"(\":\n    depth += 1\nelif tok == \")\":\n    depth -= 1\n");
    s_untouched(r, "max_tokens = 4096\nnum_tokens: 512\ntoken_type = \"bearer\"\n");
    s_untouched(r, "headers = {\"Authorization\": f\"Bearer {token}\"}\n");
    s_untouched(r, "dsn = f\"postgresql://{user}:{password}@{host}/{db}\"\n");
    s_untouched(r, "url = \"mysql://%s:%s@%s/db\" % (user, pw, host)\n");
    s_untouched(r, "from sklearn import svm  # sk-learn\n");
    s_untouched(r, "func (t *Tokenizer) Next() Token { return t.tokens[t.pos] }\n");
    s_untouched(r, "let secret_path = cfg.secrets_dir.join(\"db\");\n");
    s_untouched(r, "const char *password_prompt = \"Password: \";\n");
    s_untouched(r, "Password: cfg.Password,\nToken: token,\n");
    s_untouched(r, "api(key=api_key, token=tok)\n");
    s_untouched(r, "The password is checked against the stored hash.\n");
    s_untouched(r, "require(password, \"the password is required\");\n");
    /* names and modes are not keys (seen in npm's and libmicrohttpd's code) */
    s_untouched(r, "const USE_CREDENTIALS = 'use-credentials'\n");
    s_untouched(r, "#define MHD_HTTP_HEADER_AUTHORIZATION \"Authorization\"\n");
    s_untouched(r, "  credentials: 'include',\n  if (request.credentials === 'same-origin')\n");
    s_untouched(r, "  withCredentials: kEnumerableProperty,\n");
    s_untouched(r, "const UNEXPECTED_TOKEN = /^Unexpected token '?(.)'?(,)? /i\n");
    s_untouched(r, "credentials: corsAttributeState === 'anonymous'\n");
    s_untouched(r, "'MODULE_PWD_STATE': 'yes',\n__all__ = ('Context', 'Token', 'copy_context')\n");
    s_untouched(r, "def unix_getpass(prompt='Password: ', stream=None):\n");
    s_untouched(r, "    GetPassWarning: When we were unable to turn echo off.\n");
    s_untouched(r, "if (strcmp(token, \"(\") == 0) depth++;\n");
    s_untouched(r, "https://github.com/org/repo.git and user@example.com\n");
    s_untouched(r, "value = \"[REDACTED]\"  # already redacted\n");
    cw_redact_destroy(&r);
}

static void test_extra_patterns_and_allow_list(void **state)
{
    cw_redact_t *r = cw_redact_new();
    char err[256] = "";
    assert_int_equal(cw_redact_add_pattern(r, "internal-[0-9]{6}", err, sizeof err), 0);
    assert_int_equal(cw_redact_add_pattern(r, "corp_key=([a-z0-9]+)", err, sizeof err), 0);
    s_expect(r, "id = 'internal-123456' # x", "internal-123456", "id = '[REDACTED]' # x");
    s_expect(r, "corp_key=abc123 other", "abc123", "corp_key=[REDACTED] other");
    /* bad patterns are refused with the reason */
    assert_int_equal(cw_redact_add_pattern(r, "(unclosed", err, sizeof err), -1);
    assert_non_null(strstr(err, "regular expression"));
    assert_int_equal(cw_redact_check_pattern("a*", err, sizeof err), -1);
    assert_non_null(strstr(err, "empty"));
    assert_int_equal(cw_redact_check_pattern("", err, sizeof err), -1);
    assert_int_equal(cw_redact_check_pattern("sec[0-9]{4}", err, sizeof err), 0);
    /* allow list: a literal and a pattern */
    assert_int_equal(cw_redact_add_allow(r, "changeme123"), 0);
    assert_int_equal(cw_redact_add_allow(r, "example-[a-z]+"), 0);
    s_untouched(r, "password = \"changeme123\"\n");
    s_untouched(r, "password = \"example-secret\"\n");
    s_expect(r, "password = \"notallowed1\"", "notallowed1", "password = \"[REDACTED]\"");
    cw_redact_destroy(&r);
}

static void test_value_trees(void **state)
{
    cw_redact_t *r = cw_redact_new();
    cw_value_t *t = cw_value_new_map();
    cw_map_set_str(t, "doc_type", "function_doc");
    cw_map_set_str(t, "repo", "inventory");
    cw_map_set_str(t, "file", "app/settings.py");
    cw_map_set_str(t, "name", "connect");
    cw_map_set_str(t, "code_hash", s_rep("0123456789abcdef", 64));
    cw_map_set_str(t, "source", "def connect():\n    password = \"hunter2\"\n");
    cw_map_set_str(t, "docstring", "Uses postgres://app:S3cret@db/app");
    cw_map_set_int(t, "start_line", 3);
    cw_value_t *facts = cw_value_new_map();
    cw_value_t *consts = cw_value_new_array();
    cw_array_push_str(consts, "API_TOKEN = 'tok-1234-abcd'");
    cw_array_push_str(consts, "RETRIES = 3");
    cw_map_set(facts, "constants", consts);
    cw_map_set_str(facts, "password", "plainvalue");
    cw_map_set(t, "facts", facts);
    cw_value_t *list = cw_value_new_array();
    cw_array_push(list, t);

    long n = cw_redact_value(r, &list);
    assert_int_equal(n, 4);
    const cw_value_t *got = cw_array_at(list, 0);
    assert_string_equal(cw_map_str(got, "source", ""),
                        "def connect():\n    password = \"[REDACTED]\"\n");
    assert_string_equal(cw_map_str(got, "docstring", ""), "Uses postgres://app:[REDACTED]@db/app");
    assert_string_equal(cw_map_str(got, "code_hash", ""), s_rep("0123456789abcdef", 64));
    assert_string_equal(cw_map_str(got, "file", ""), "app/settings.py");
    assert_int_equal(cw_map_int(got, "start_line", 0), 3);
    const cw_value_t *f = cw_map_get(got, "facts");
    assert_string_equal(cw_map_str(f, "password", ""), CW_REDACT_MARK);
    assert_string_equal(cw_value_str(cw_array_at(cw_map_get(f, "constants"), 0)),
                        "API_TOKEN = '[REDACTED]'");
    assert_string_equal(cw_value_str(cw_array_at(cw_map_get(f, "constants"), 1)), "RETRIES = 3");
    /* twice: nothing more */
    cw_value_t *before = list;
    assert_int_equal(cw_redact_value(r, &list), 0);
    assert_ptr_equal(before, list);
    cw_value_destroy(&list);
    cw_redact_destroy(&r);
}

static void s_write(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_config_validates_patterns(void **state)
{
    char dir[] = "/tmp/cw-redact-cfg-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char err[512] = "";
    s_write(dir, "config.yaml",
            "devlog:\n  repo_path: /tmp/x\nredaction:\n  patterns:\n    - 'corp-[0-9]{4,8}'\n"
            "    - '(broken'\n");
    cw_config_t *c = cw_config_load(dir, err, sizeof err);
    assert_null(c);
    assert_non_null(strstr(err, "config.yaml:6"));
    assert_non_null(strstr(err, "redaction.patterns"));
    assert_non_null(strstr(err, "(broken"));
    /* commas inside a pattern are kept; the allow list is free text */
    s_write(dir, "config.yaml",
            "redaction:\n  patterns: 'corp-[0-9]{4,8}'\n  allow: [changeme, 'x(']\n");
    c = cw_config_load(dir, err, sizeof err);
    assert_non_null(c);
    assert_int_equal(c->redaction.pattern_count, 1);
    assert_string_equal(c->redaction.patterns[0], "corp-[0-9]{4,8}");
    assert_int_equal(c->redaction.allow_count, 2);
    cw_redact_t *r = cw_redact_new_for_config(c, err, sizeof err);
    assert_non_null(r);
    s_expect(r, "id: corp-123456\n", "corp-123456", "id: [REDACTED]\n");
    s_untouched(r, "password = \"changeme\"\n");
    cw_redact_destroy(&r);
    cw_config_destroy(&c);
    /* the environment: one pattern, even when it starts with '[' */
    setenv("CODEWORM_REDACTION__PATTERNS", "[A-Z]{3}-[0-9]{3,5}", 1);
    s_write(dir, "config.yaml", "debug: false\n");
    c = cw_config_load(dir, err, sizeof err);
    assert_non_null(c);
    assert_int_equal(c->redaction.pattern_count, 1);
    assert_string_equal(c->redaction.patterns[0], "[A-Z]{3}-[0-9]{3,5}");
    cw_config_destroy(&c);
    setenv("CODEWORM_REDACTION__PATTERNS", "x{2", 1);
    c = cw_config_load(dir, err, sizeof err);
    assert_null(c);
    assert_non_null(strstr(err, "CODEWORM_REDACTION__PATTERNS"));
    unsetenv("CODEWORM_REDACTION__PATTERNS");
    char path[600];
    snprintf(path, sizeof path, "%s/config.yaml", dir);
    unlink(path);
    rmdir(dir);
}

static void test_large_text_is_linear(void **state)
{
    /* a megabyte of code-like text with secrets sprinkled in: all found */
    size_t cap = 1024 * 1024;
    char *big = malloc(cap + 1);
    size_t o = 0;
    int secrets = 0;
    while (o + 200 < cap) {
        int n;
        if (secrets < 100 && (o / 200) % 50 == 7) {
            n = snprintf(big + o, cap - o, "    api_key = \"k%05d-abcdef\"\n", secrets);
            secrets++;
        } else
            n = snprintf(big + o, cap - o,
                         "    total = compute(items, key=lambda x: x.size)  "
                         "# token counts: %zu\n",
                         o);
        o += (size_t)n;
    }
    big[o] = '\0';
    cw_redact_t *r = cw_redact_new();
    size_t count = 0;
    char *out = NULL;
    assert_int_equal(cw_redact_text(r, big, &out, &count), 0);
    assert_int_equal(count, (size_t)secrets);
    assert_null(strstr(out, "-abcdef\""));
    free(out);
    free(big);
    cw_redact_destroy(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_assignments_all_languages),
        cmocka_unit_test(test_cloud_and_provider_tokens),
        cmocka_unit_test(test_webhooks_and_urls),
        cmocka_unit_test(test_private_key_blocks),
        cmocka_unit_test(test_ordinary_code_left_alone),
        cmocka_unit_test(test_extra_patterns_and_allow_list),
        cmocka_unit_test(test_value_trees),
        cmocka_unit_test(test_config_validates_patterns),
        cmocka_unit_test(test_large_text_is_linear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
