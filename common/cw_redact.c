/*  cw_redact — secret redaction. See cw_redact.h.

    Every rule adds byte spans [start, end) of the text to replace; the spans are then
    filtered (allow list, already-redacted markers), merged where they overlap, and the
    output is built once. Matchers look at each byte a bounded number of times.         */
#include "cw_redact.h"

#include <ctype.h>
#include <pthread.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MARK_LEN (sizeof(CW_REDACT_MARK) - 1)
#define NAME_MAX_LEN 80       /* longest name the assignment rule looks at */
#define KEY_BLOCK_MAX 65536   /* bytes of a private key block */
#define LITERAL_MAX 8192      /* bytes of a multi-line literal */
#define UNQUOTED_MAX 1024     /* bytes of an unquoted value */
#define AUTHORITY_MAX 1024    /* bytes of a URL's user:pass@host */
#define USER_MATCHES_MAX 4096 /* matches of one extra pattern in one text */

typedef struct {
    regex_t re;
    bool has_group;
} s_pattern_t;

typedef struct {
    char *literal;
    regex_t re;
    bool has_re;
} s_allow_t;

struct _cw_redact_t {
    s_pattern_t *patterns;
    size_t npatterns;
    s_allow_t *allow;
    size_t nallow;
};

/* ------------------------------------------------------------------ spans */

typedef struct {
    size_t start, end;
} s_span_t;

typedef struct {
    s_span_t *v;
    size_t n, cap;
    bool oom;
} s_spans_t;

static void s_add(s_spans_t *s, size_t start, size_t end)
{
    if (s->oom || end <= start)
        return;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        s_span_t *v = realloc(s->v, cap * sizeof *v);
        if (!v) {
            s->oom = true;
            return;
        }
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n].start = start;
    s->v[s->n].end = end;
    s->n++;
}

static int s_span_cmp(const void *a, const void *b)
{
    const s_span_t *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

/* ------------------------------------------------------------------ character classes */

static bool s_alnum(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
static bool s_word(int c)
{
    return s_alnum(c) || c == '_';
}
static bool s_upper_digit(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
static bool s_hex(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
static bool s_token_char(int c) /* [A-Za-z0-9_-] */
{
    return s_word(c) || c == '-';
}
static bool s_b64_char(int c) /* base64 and base64url */
{
    return s_alnum(c) || c == '+' || c == '/' || c == '=' || c == '-' || c == '_';
}
static bool s_bearer_char(int c) /* RFC 6750 b64token */
{
    return s_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' ||
           c == '=';
}
static bool s_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

typedef bool(s_class_fn)(int c);

static size_t s_run(const char *t, size_t len, size_t i, s_class_fn *cls, size_t max)
{
    size_t j = i;
    while (j < len && j - i <= max && cls((unsigned char)t[j]))
        j++;
    return j - i;
}

static bool s_left_ok(const char *t, size_t i)
{
    return i == 0 || !s_alnum((unsigned char)t[i - 1]);
}

static const char *s_find(const char *hay, size_t hlen, size_t from, const char *needle)
{
    size_t nl = strlen(needle);
    if (from >= hlen || hlen - from < nl)
        return NULL;
    return memmem(hay + from, hlen - from, needle, nl);
}

static bool s_is_mark(const char *t, size_t len, size_t start, size_t end)
{
    return end - start == MARK_LEN && end <= len &&
           memcmp(t + start, CW_REDACT_MARK, MARK_LEN) == 0;
}

/* ------------------------------------------------------------------ private key blocks */

static void s_rule_key_blocks(const char *t, size_t len, s_spans_t *out)
{
    size_t from = 0;
    const char *p;
    while ((p = s_find(t, len, from, "BEGIN ")) != NULL) {
        size_t b = (size_t)(p - t);
        from = b + 6;
        /* "-----BEGIN X-----" (PEM, OpenSSH, PGP) or "---- BEGIN X ----" (SSH2) */
        bool pem = b >= 4 && memcmp(t + b - 4, "----", 4) == 0;
        bool ssh2 = b >= 5 && memcmp(t + b - 5, "---- ", 5) == 0;
        if (!pem && !ssh2)
            continue;
        size_t l = b + 6, le = l;
        while (le < len && le - l < 64 && (s_upper_digit((unsigned char)t[le]) || t[le] == ' '))
            le++;
        if (le >= len || t[le] != '-')
            continue;
        const char *label = t + l;
        size_t label_len = le - l;
        if (!memmem(label, label_len, "PRIVATE KEY", 11))
            continue;
        size_t hdr_end = le;
        while (hdr_end < len && t[hdr_end] == '-')
            hdr_end++;
        /* the body starts after a line break (real or an escaped "\n" in a literal) */
        size_t bs = hdr_end;
        while (bs < len && (t[bs] == '\r' || t[bs] == '\n'))
            bs++;
        if (bs + 1 < len && t[bs] == '\\' && t[bs + 1] == 'n')
            bs += 2;
        size_t limit = len - bs > KEY_BLOCK_MAX ? bs + KEY_BLOCK_MAX : len;
        const char *e1 = s_find(t, limit, bs, "-----END");
        const char *e2 = s_find(t, limit, bs, "---- END");
        const char *e = e1 && (!e2 || e1 < e2) ? e1 : e2;
        size_t be;
        if (e) {
            be = (size_t)(e - t);
            while (be > bs && (t[be - 1] == '\n' || t[be - 1] == '\r' || t[be - 1] == ' ' ||
                               t[be - 1] == '\t'))
                be--;
            if (be >= bs + 2 && t[be - 2] == '\\' && t[be - 1] == 'n')
                be -= 2;
        } else {
            /* no END line (the text was cut): the base64 body as far as it goes */
            be = bs;
            while (be < limit) {
                unsigned char c = (unsigned char)t[be];
                if (s_b64_char(c) || c == '\n' || c == '\r' || c == ' ' || c == '\t' || c == ':' ||
                    c == ',')
                    be++;
                else if (c == '\\' && be + 1 < limit && t[be + 1] == 'n')
                    be += 2;
                else
                    break;
            }
        }
        if (be <= bs || s_is_mark(t, len, bs, be))
            continue;
        s_add(out, bs, be);
        from = be;
    }
}

/* ------------------------------------------------------------------ prefixed tokens */

typedef struct {
    const char *prefix;
    s_class_fn *cls;
    unsigned short min, max;
    bool need_digit; /* the body must hold a digit (and a letter) */
} s_prefix_rule_t;

static const s_prefix_rule_t s_prefix_rules[] = {
    /* AWS access key ids */
    {"AKIA", s_upper_digit, 16, 16, false},
    {"ASIA", s_upper_digit, 16, 16, false},
    {"AGPA", s_upper_digit, 16, 16, false},
    {"AIDA", s_upper_digit, 16, 16, false},
    {"AROA", s_upper_digit, 16, 16, false},
    {"AIPA", s_upper_digit, 16, 16, false},
    {"ANPA", s_upper_digit, 16, 16, false},
    {"ANVA", s_upper_digit, 16, 16, false},
    {"ABIA", s_upper_digit, 16, 16, false},
    {"ACCA", s_upper_digit, 16, 16, false},
    /* Google */
    {"AIza", s_token_char, 35, 35, false},
    {"GOCSPX-", s_token_char, 20, 64, false},
    {"ya29.", s_bearer_char, 20, 2048, false},
    /* GitHub */
    {"ghp_", s_alnum, 30, 255, false},
    {"gho_", s_alnum, 30, 255, false},
    {"ghu_", s_alnum, 30, 255, false},
    {"ghs_", s_alnum, 30, 255, false},
    {"ghr_", s_alnum, 30, 255, false},
    {"github_pat_", s_word, 22, 255, false},
    /* GitLab */
    {"glpat-", s_token_char, 20, 255, false},
    {"gldt-", s_token_char, 20, 255, false},
    {"glrt-", s_token_char, 20, 255, false},
    {"glptt-", s_token_char, 20, 255, false},
    /* Slack */
    {"xoxb-", s_token_char, 10, 255, false},
    {"xoxp-", s_token_char, 10, 255, false},
    {"xoxa-", s_token_char, 10, 255, false},
    {"xoxo-", s_token_char, 10, 255, false},
    {"xoxs-", s_token_char, 10, 255, false},
    {"xoxr-", s_token_char, 10, 255, false},
    {"xoxe-", s_token_char, 10, 255, false},
    {"xapp-", s_token_char, 10, 255, false},
    /* Stripe */
    {"sk_live_", s_alnum, 16, 255, false},
    {"sk_test_", s_alnum, 16, 255, false},
    {"rk_live_", s_alnum, 16, 255, false},
    {"rk_test_", s_alnum, 16, 255, false},
    {"whsec_", s_alnum, 24, 255, false},
    /* Twilio API key sid / account sid */
    {"SK", s_hex, 32, 32, true},
    {"AC", s_hex, 32, 32, true},
    /* npm, PyPI, OpenAI/Anthropic, Hugging Face, Vault, DigitalOcean, Shopify */
    {"npm_", s_alnum, 36, 36, false},
    {"pypi-", s_token_char, 50, 2048, false},
    {"sk-", s_token_char, 20, 255, true},
    {"hf_", s_alnum, 30, 40, false},
    {"hvs.", s_token_char, 24, 255, false},
    {"dop_v1_", s_hex, 64, 64, false},
    {"shpat_", s_hex, 32, 32, false},
    {"shpss_", s_hex, 32, 32, false},
    {"shpca_", s_hex, 32, 32, false},
    {"shppa_", s_hex, 32, 32, false},
};
#define PREFIX_RULES (sizeof s_prefix_rules / sizeof s_prefix_rules[0])

static bool s_digit_and_letter(const char *s, size_t n)
{
    bool d = false, a = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        d |= c >= '0' && c <= '9';
        a |= s_alpha(c);
    }
    return d && a;
}

/* the two-byte beginnings of the prefixes, one bit each: one pass over the text finds
   every candidate instead of one search per prefix */
static uint8_t s_pairs[65536 / 8];
static pthread_once_t s_pairs_once = PTHREAD_ONCE_INIT;

static void s_pairs_init(void)
{
    for (size_t r = 0; r < PREFIX_RULES; r++) {
        const unsigned char *p = (const unsigned char *)s_prefix_rules[r].prefix;
        unsigned key = (unsigned)p[0] << 8 | p[1];
        s_pairs[key >> 3] |= (uint8_t)(1u << (key & 7));
    }
}

static void s_rule_prefixes(const char *t, size_t len, s_spans_t *out)
{
    pthread_once(&s_pairs_once, s_pairs_init);
    const unsigned char *u = (const unsigned char *)t;
    for (size_t i = 0; i + 1 < len; i++) {
        unsigned key = (unsigned)u[i] << 8 | u[i + 1];
        if (!(s_pairs[key >> 3] & (1u << (key & 7))) || !s_left_ok(t, i))
            continue;
        for (size_t r = 0; r < PREFIX_RULES; r++) {
            const s_prefix_rule_t *rule = &s_prefix_rules[r];
            size_t pl = strlen(rule->prefix);
            if (rule->prefix[0] != t[i] || rule->prefix[1] != t[i + 1] || len - i < pl ||
                memcmp(t + i, rule->prefix, pl) != 0)
                continue;
            size_t n = s_run(t, len, i + pl, rule->cls, rule->max);
            if (n < rule->min || n > rule->max)
                continue;
            /* the token ends where its alphabet ends: no longer alphanumeric run */
            if (i + pl + n < len && s_alnum((unsigned char)t[i + pl + n]))
                continue;
            if (rule->need_digit && !s_digit_and_letter(t + i + pl, n))
                continue;
            s_add(out, i, i + pl + n);
            i += pl + n - 1;
            break;
        }
    }
}

/* SendGrid "SG.<22>.<43>", JWTs "eyJ...eyJ....sig", Telegram bot tokens "123456789:<35>" */
static void s_rule_structured(const char *t, size_t len, s_spans_t *out)
{
    size_t from = 0;
    const char *p;
    while ((p = s_find(t, len, from, "SG.")) != NULL) {
        size_t i = (size_t)(p - t);
        from = i + 3;
        if (!s_left_ok(t, i))
            continue;
        size_t a = s_run(t, len, i + 3, s_token_char, 64);
        if (a < 16 || a > 40 || i + 3 + a >= len || t[i + 3 + a] != '.')
            continue;
        size_t b = s_run(t, len, i + 4 + a, s_token_char, 128);
        if (b < 30 || b > 80)
            continue;
        s_add(out, i, i + 4 + a + b);
        from = i + 4 + a + b;
    }
    from = 0;
    while ((p = s_find(t, len, from, "eyJ")) != NULL) {
        size_t i = (size_t)(p - t);
        from = i + 3;
        if (!s_left_ok(t, i))
            continue;
        size_t a = s_run(t, len, i, s_token_char, 8192);
        if (a < 10 || i + a >= len || t[i + a] != '.')
            continue;
        size_t j = i + a + 1;
        if (j + 3 > len || memcmp(t + j, "eyJ", 3) != 0)
            continue;
        size_t b = s_run(t, len, j, s_token_char, 65536);
        if (b < 10)
            continue;
        size_t end = j + b;
        if (end < len && t[end] == '.')
            end += 1 + s_run(t, len, end + 1, s_token_char, 8192);
        s_add(out, i, end);
        from = end;
    }
    /* Telegram: 8-10 digits, ':', 35 of [A-Za-z0-9_-] */
    for (const char *c = memchr(t, ':', len); c;
         c = memchr(c + 1, ':', len - (size_t)(c - t) - 1)) {
        size_t k = (size_t)(c - t);
        size_t d = 0;
        while (d < k && d <= 10 && t[k - d - 1] >= '0' && t[k - d - 1] <= '9')
            d++;
        if (d < 8 || d > 10 || !s_left_ok(t, k - d))
            continue;
        size_t n = s_run(t, len, k + 1, s_token_char, 40);
        if (n != 35)
            continue;
        s_add(out, k - d, k + 1 + n);
        if (k + 1 + n >= len)
            break;
    }
}

/* ------------------------------------------------------------------ URLs and webhooks */

static bool s_placeholder(const char *s, size_t n)
{
    if (n == 0)
        return true;
    if ((s[0] == '{' && s[n - 1] == '}') || (s[0] == '<' && s[n - 1] == '>') ||
        (s[0] == '[' && s[n - 1] == ']'))
        return true;
    if (s[0] == '$' || (n >= 2 && s[0] == '%' && (s[1] == '(' || s[1] == 's')))
        return true;
    if (memmem(s, n, "${", 2) || memmem(s, n, "{{", 2))
        return true;
    bool all_mask = true;
    for (size_t i = 0; i < n; i++)
        if (s[i] != '*' && s[i] != 'x' && s[i] != 'X' && s[i] != '.')
            all_mask = false;
    return all_mask;
}

static void s_rule_urls(const char *t, size_t len, s_spans_t *out)
{
    size_t from = 0;
    const char *p;
    while ((p = s_find(t, len, from, "://")) != NULL) {
        size_t k = (size_t)(p - t);
        from = k + 3;
        /* a scheme of 2+ characters before "://" */
        size_t s = k;
        while (s > 0 && (s_alnum((unsigned char)t[s - 1]) || t[s - 1] == '+' || t[s - 1] == '.' ||
                         t[s - 1] == '-'))
            s--;
        if (k - s < 2)
            continue;
        size_t a = k + 3, e = a;
        while (e < len && e - a < AUTHORITY_MAX) {
            unsigned char c = (unsigned char)t[e];
            if (c <= ' ' || c == '/' || c == '?' || c == '#' || c == '"' || c == '\'' || c == '`' ||
                c == '<' || c == '>' || c == '\\')
                break;
            e++;
        }
        size_t at = (size_t)-1;
        for (size_t i = a; i < e; i++)
            if (t[i] == '@')
                at = i;
        if (at == (size_t)-1)
            continue;
        size_t colon = (size_t)-1;
        for (size_t i = a; i < at; i++)
            if (t[i] == ':') {
                colon = i;
                break;
            }
        if (colon != (size_t)-1) {
            size_t ps = colon + 1;
            if (at > ps && !s_is_mark(t, len, ps, at) && !s_placeholder(t + ps, at - ps))
                s_add(out, ps, at);
        } else if (at - a >= 20 && s_digit_and_letter(t + a, at - a) &&
                   !s_placeholder(t + a, at - a)) {
            /* https://<token>@host: the user is a token */
            s_add(out, a, at);
        }
        from = e > from ? e : from;
    }
}

static bool s_path_char(int c)
{
    return s_word(c) || c == '-' || c == '/' || c == '.' || c == '~';
}

static void s_rule_webhooks(const char *t, size_t len, s_spans_t *out)
{
    static const char *const hooks[] = {
        "hooks.slack.com/services/",    "hooks.slack.com/workflows/",
        "hooks.slack.com/triggers/",    "discord.com/api/webhooks/",
        "discordapp.com/api/webhooks/", "webhook.office.com/webhookb2/",
    };
    for (size_t h = 0; h < sizeof hooks / sizeof hooks[0]; h++) {
        size_t hl = strlen(hooks[h]), from = 0;
        const char *p;
        while ((p = s_find(t, len, from, hooks[h])) != NULL) {
            size_t i = (size_t)(p - t) + hl;
            size_t n = s_run(t, len, i, s_path_char, 4096);
            from = i + n;
            if (n >= 8 && !s_is_mark(t, len, i, i + n))
                s_add(out, i, i + n);
        }
    }
}

/* Azure connection-string keys and SAS signatures, Authorization headers */
static void s_rule_azure_auth(const char *t, const char *lower, size_t len, s_spans_t *out)
{
    static const char *const keys[] = {"AccountKey=", "SharedAccessKey=", "SharedAccessSignature="};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        size_t kl = strlen(keys[k]), from = 0;
        const char *p;
        while ((p = s_find(lower, len, from, keys[k])) != NULL) {
            size_t i = (size_t)(p - lower) + kl, e = i;
            while (e < len && e - i < 4096 && t[e] != ';' && t[e] != '"' && t[e] != '\'' &&
                   t[e] != '<' && t[e] != '`' && !isspace((unsigned char)t[e]))
                e++;
            from = e > i ? e : i;
            if (e > i && !s_is_mark(t, len, i, e) && !s_placeholder(t + i, e - i))
                s_add(out, i, e);
        }
    }
    size_t from = 0;
    const char *p;
    while ((p = s_find(t, len, from, "sig=")) != NULL) {
        size_t i = (size_t)(p - t);
        from = i + 4;
        if (i == 0 || (t[i - 1] != '?' && t[i - 1] != '&'))
            continue;
        size_t s = i + 4, e = s;
        while (e < len && e - s < 1024 &&
               (s_alnum((unsigned char)t[e]) || t[e] == '%' || t[e] == '+' || t[e] == '/' ||
                t[e] == '='))
            e++;
        if (e - s >= 10)
            s_add(out, s, e);
    }
    from = 0;
    while ((p = s_find(lower, len, from, "bearer ")) != NULL) {
        size_t i = (size_t)(p - lower);
        from = i + 7;
        if (!s_left_ok(t, i))
            continue;
        size_t s = i + 7;
        while (s < len && t[s] == ' ')
            s++;
        size_t n = s_run(t, len, s, s_bearer_char, 8192);
        if (n < 16 || s_is_mark(t, len, s, s + n))
            continue;
        bool mixed = false;
        for (size_t j = s; j < s + n; j++)
            if (!s_alpha((unsigned char)t[j]))
                mixed = true;
        if (mixed)
            s_add(out, s, s + n);
    }
    from = 0;
    while ((p = s_find(lower, len, from, "basic ")) != NULL) {
        size_t i = (size_t)(p - lower);
        from = i + 6;
        if (!s_left_ok(t, i))
            continue;
        size_t back = i > 40 ? i - 40 : 0;
        if (!s_find(lower, i, back, "authorization"))
            continue;
        size_t s = i + 6;
        size_t n = s_run(t, len, s, s_b64_char, 8192);
        if (n >= 8 && !s_is_mark(t, len, s, s + n))
            s_add(out, s, s + n);
    }
}

/* ------------------------------------------------------------------ secret names */

static bool s_sep(int c)
{
    return c == '_' || c == '-' || c == '.';
}

/* lower-cased name without separators into buf; false if too long */
static bool s_normalise(const char *name, size_t len, char *buf, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (s_sep(c))
            continue;
        if (o + 1 >= cap)
            return false;
        buf[o++] = (char)tolower(c);
    }
    buf[o] = '\0';
    return true;
}

static bool s_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* 3 = a password or secret, 2 = another name that clearly holds a secret (API keys,
   credentials), 1 = an ambiguous one (token: lexers have tokens too), 0 = none */
static int s_secret_kind(const char *name, size_t len)
{
    if (len < 2 || len > NAME_MAX_LEN)
        return 0;
    char n[NAME_MAX_LEN + 1];
    if (!s_normalise(name, len, n, sizeof n) || !n[0])
        return 0;
    /* names that describe a secret rather than hold one */
    static const char *const not_values[] = {
        "path",   "file",   "filename", "dir",      "name",   "url",       "uri",    "endpoint",
        "env",    "envvar", "var",      "field",    "label",  "prompt",    "header", "type",
        "length", "len",    "size",     "count",    "regex",  "pattern",   "format", "fmt",
        "tokens", "limit",  "budget",   "prefix",   "suffix", "policy",    "hash",   "help",
        "min",    "max",    "enabled",  "required", "valid",  "validator", "error"};
    for (size_t i = 0; i < sizeof not_values / sizeof not_values[0]; i++)
        if (s_ends_with(n, not_values[i]))
            return 0;
    if (strstr(n, "tokeniz") || strstr(n, "secretary"))
        return 0;
    static const char *const passwords[] = {"password", "passwd", "passphrase", "secret"};
    for (size_t i = 0; i < sizeof passwords / sizeof passwords[0]; i++)
        if (strstr(n, passwords[i]))
            return 3;
    static const char *const strong[] = {"apikey",     "accesskey",     "privatekey",   "authkey",
                                         "credential", "encryptionkey", "signingkey",   "masterkey",
                                         "accountkey", "authorization", "sessionkey",   "clientkey",
                                         "authtoken",  "accesstoken",   "refreshtoken", "apitoken"};
    for (size_t i = 0; i < sizeof strong / sizeof strong[0]; i++)
        if (strstr(n, strong[i]))
            return 2;
    /* short words count as whole segments only: DB_PASS, userPwd, wifi_psk */
    size_t i = 0;
    while (i < len) {
        while (i < len && s_sep((unsigned char)name[i]))
            i++;
        size_t s = i;
        i++;
        while (i < len && !s_sep((unsigned char)name[i]) &&
               !(isupper((unsigned char)name[i]) && islower((unsigned char)name[i - 1])))
            i++;
        size_t sl = i - s;
        if (s < len && (sl == 2 || sl == 3 || sl == 4)) {
            char seg[5];
            for (size_t k = 0; k < sl; k++)
                seg[k] = (char)tolower((unsigned char)name[s + k]);
            seg[sl] = '\0';
            if (!strcmp(seg, "pass") || !strcmp(seg, "pwd") || !strcmp(seg, "pw") ||
                !strcmp(seg, "psk"))
                return 3;
        }
    }
    if (strstr(n, "token"))
        return 1;
    return 0;
}

bool cw_redact_secret_name(const char *name, size_t len)
{
    return name && s_secret_kind(name, len) > 0;
}

/* ------------------------------------------------------------------ assignments */

static bool s_key_char(int c)
{
    return s_word(c) || c == '-';
}

/* Does a value look like a secret rather than a word? 8+ bytes, no blanks, 2+ classes. */
static bool s_secretish(const char *s, size_t n)
{
    if (n < 8)
        return false;
    bool lower = false, upper = false, digit = false, symbol = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isspace(c))
            return false;
        if (c >= 'a' && c <= 'z')
            lower = true;
        else if (c >= 'A' && c <= 'Z')
            upper = true;
        else if (c >= '0' && c <= '9')
            digit = true;
        else if (strchr("!@#$%^&*+=~|?<>", c))
            symbol = true;
    }
    /* identifiers and words (copy_context, ContextVar) are not; generated values mix
       digits with letters, or carry symbols */
    return ((lower || upper) && (digit || symbol)) || (upper && lower && n >= 16 && digit);
}

/* alphanumeric characters that are not part of a %-format specifier */
static size_t s_alnum_count(const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (s_alnum((unsigned char)s[i]) && !(i > 0 && s[i - 1] == '%'))
            k++;
    return k;
}

static bool s_ci_eq(const char *s, size_t n, const char *w)
{
    return strlen(w) == n && strncasecmp(s, w, n) == 0;
}

/* an unquoted value that is a language word, a type or a number */
static bool s_plain_word(const char *s, size_t n)
{
    static const char *const words[] = {
        "true",   "false",   "null",     "none",   "nil",      "undefined", "yes",
        "no",     "on",      "off",      "str",    "string",   "bytes",     "int",
        "bool",   "any",     "object",   "number", "optional", "secretstr", "char",
        "const",  "void",    "required", "self",   "this",     "new",       "await",
        "return", "nullptr", "default",  "os",     "env",      "getenv",    "input"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (s_ci_eq(s, n, words[i]))
            return true;
    bool numeric = true;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '-' || s[i] == '+' ||
              s[i] == '_'))
            numeric = false;
    return numeric;
}

/* a literal that names a secret rather than holding one: "Authorization",
   "use-credentials", "X-Api-Key" */
static bool s_label(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!(s_word((unsigned char)s[i]) || s[i] == '-' || s[i] == '.'))
            return false;
    return s_secret_kind(s, n) > 0;
}

/* a lower-case word ("include", "same-origin", "bearer"): a mode, not a key */
static bool s_lower_word(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '-' || s[i] == '_'))
            return false;
    return true;
}

static bool s_ident_path(const char *s, size_t n)
{
    if (n == 0 || !(s_alpha((unsigned char)s[0]) || s[0] == '_' || s[0] == '$'))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(s_word(c) || c == '$' || c == '.'))
            return false;
        if (c == '.' && (i + 1 == n || !(s_alpha((unsigned char)s[i + 1]) || s[i + 1] == '_')))
            return false;
    }
    return true;
}

typedef enum { OP_NONE, OP_ASSIGN, OP_COLON, OP_COMPARE, OP_COMMA, OP_DEFINE } s_op_t;

/* A quoted literal starting at p (after an optional r/b/u/f/L/u8 prefix). On success sets
   the content bounds and returns true. Unclosed single-line literals end at the line. */
static bool s_literal(const char *t, size_t len, size_t p, size_t *cs, size_t *ce, bool *fstr)
{
    *fstr = false;
    size_t q = p;
    while (q < len && q - p < 2 && strchr("rRbBuUfFL8", t[q]) && t[q] != '\0') {
        if (t[q] == 'f' || t[q] == 'F')
            *fstr = true;
        q++;
    }
    size_t hashes = 0;
    if (q > p && (t[q - 1] == 'r' || t[q - 1] == 'R'))
        while (q < len && t[q] == '#' && hashes < 8) {
            q++;
            hashes++;
        }
    if (q >= len || (t[q] != '"' && t[q] != '\'' && t[q] != '`'))
        return false;
    char quote = t[q];
    bool triple = q + 2 < len && t[q + 1] == quote && t[q + 2] == quote;
    size_t s = q + (triple ? 3 : 1), i = s;
    bool multiline = triple || quote == '`' || hashes > 0;
    size_t limit = len - s > LITERAL_MAX ? s + LITERAL_MAX : len;
    while (i < limit) {
        char c = t[i];
        if (c == '\\' && hashes == 0 && i + 1 < limit) {
            i += 2;
            continue;
        }
        if (c == '\n' && !multiline)
            break;
        if (c == quote) {
            if (triple) {
                if (i + 2 < len && t[i + 1] == quote && t[i + 2] == quote)
                    break;
            } else if (hashes) {
                size_t h = 0;
                while (h < hashes && i + 1 + h < len && t[i + 1 + h] == '#')
                    h++;
                if (h == hashes)
                    break;
            } else
                break;
        }
        i++;
    }
    if (i >= limit || t[i] == '\n') {
        /* unclosed: a literal cut by the end of the text counts, a stray quote does not */
        size_t e = i;
        while (e < len && t[e] != '\n')
            e++;
        if (multiline || e < len)
            return false;
    }
    *cs = s;
    *ce = i;
    return true;
}

/* Where the value of the name at [ws, we) starts, and how it is given. */
static s_op_t s_operator(const char *t, size_t len, size_t ws, size_t we, size_t *vp, bool *tight)
{
    size_t p = we;
    bool quoted =
        ws > 0 && (t[ws - 1] == '"' || t[ws - 1] == '\'') && we < len && t[we] == t[ws - 1];
    if (quoted)
        p++;
    /* ["name"] or name[16] */
    if (p < len && t[p] == ']')
        p++;
    else if (p < len && t[p] == '[') {
        size_t q = p + 1;
        while (q < len && q - p < 32 && t[q] != ']' && t[q] != '\n')
            q++;
        if (q < len && t[q] == ']')
            p = q + 1;
    }
    size_t before = p;
    while (p < len && (t[p] == ' ' || t[p] == '\t'))
        p++;
    bool space_before = p > before;
    if (p >= len)
        return OP_NONE;
    s_op_t op = OP_NONE;
    size_t oplen = 0;
    if (t[p] == ':' && p + 1 < len && t[p + 1] == '=') {
        op = OP_ASSIGN;
        oplen = 2;
    } else if ((t[p] == '=' || t[p] == '!') && p + 1 < len && t[p + 1] == '=') {
        op = OP_COMPARE;
        oplen = (p + 2 < len && t[p + 2] == '=') ? 3 : 2;
    } else if (t[p] == '=' && p + 1 < len && t[p + 1] == '>') {
        op = OP_ASSIGN;
        oplen = 2;
    } else if (t[p] == '=') {
        op = OP_ASSIGN;
        oplen = 1;
    } else if (t[p] == ':' && !(p + 1 < len && t[p + 1] == ':')) {
        op = OP_COLON;
        oplen = 1;
    } else if (t[p] == ',') {
        /* getenv("TOKEN", "default"), {"password", "x"}, strcmp(password, "x") */
        op = OP_COMMA;
        oplen = 1;
    } else if (t[p] == '{' && !quoted) {
        op = OP_ASSIGN; /* C++ brace initialisation: std::string token{"..."} */
        oplen = 1;
    } else if (space_before && !quoted) {
        /* #define NAME "value" */
        size_t ls = ws;
        while (ls > 0 && t[ls - 1] != '\n')
            ls--;
        while (ls < ws && (t[ls] == ' ' || t[ls] == '\t'))
            ls++;
        if (ws - ls >= 7 && strncmp(t + ls, "#define", 7) == 0) {
            op = OP_DEFINE;
            oplen = 0;
        }
    }
    if (op == OP_NONE)
        return OP_NONE;
    p += oplen;
    size_t after = p;
    while (p < len && (t[p] == ' ' || t[p] == '\t'))
        p++;
    *tight = !space_before && p == after;
    *vp = p;
    return op;
}

/* Is the name at ws the first thing on its line (YAML, .env, INI)? */
static bool s_line_start(const char *t, size_t ws)
{
    size_t i = ws;
    if (i > 0 && (t[i - 1] == '"' || t[i - 1] == '\''))
        i--;
    while (i > 0 && (t[i - 1] == ' ' || t[i - 1] == '\t'))
        i--;
    if (i >= 2 && t[i - 1] == '-' && t[i - 2] != '-')
        i--; /* YAML list item */
    while (i > 0 && (t[i - 1] == ' ' || t[i - 1] == '\t'))
        i--;
    if (i >= 6 && strncmp(t + i - 6, "export", 6) == 0 && (i == 6 || t[i - 7] == '\n'))
        i -= 6;
    while (i > 0 && (t[i - 1] == ' ' || t[i - 1] == '\t'))
        i--;
    return i == 0 || t[i - 1] == '\n';
}

/* A literal compared with or passed beside the name, before it on the same line:
   strcmp("x", password), "x" == token, check("x", secret). Secret-looking values only. */
static void s_value_before(const char *t, size_t len, size_t ws, s_spans_t *out)
{
    size_t i = ws;
    while (i > 0 && (t[i - 1] == ' ' || t[i - 1] == '\t'))
        i--;
    if (i >= 2 && t[i - 1] == '=' && (t[i - 2] == '=' || t[i - 2] == '!'))
        i -= 2;
    else if (i >= 1 && t[i - 1] == ',')
        i -= 1;
    else
        return;
    while (i > 0 && (t[i - 1] == '=' || t[i - 1] == '!'))
        i--;
    while (i > 0 && (t[i - 1] == ' ' || t[i - 1] == '\t'))
        i--;
    if (i == 0 || (t[i - 1] != '"' && t[i - 1] != '\''))
        return;
    char quote = t[i - 1];
    size_t ce = i - 1, cs = ce;
    while (cs > 0 && ce - cs < UNQUOTED_MAX && t[cs - 1] != '\n') {
        if (t[cs - 1] == quote && !(cs >= 2 && t[cs - 2] == '\\'))
            break;
        cs--;
    }
    if (cs == 0 || t[cs - 1] != quote || ce <= cs)
        return;
    if (s_secretish(t + cs, ce - cs) && !s_is_mark(t, len, cs, ce) &&
        !s_placeholder(t + cs, ce - cs))
        s_add(out, cs, ce);
}

static void s_value_span(const char *t, size_t len, size_t ws, size_t we, int kind, s_spans_t *out)
{
    /* <password>value</password> */
    if (ws > 0 && t[ws - 1] == '<' && we < len && t[we] == '>') {
        size_t s = we + 1, e = s;
        while (e < len && e - s < UNQUOTED_MAX && t[e] != '<' && t[e] != '\n')
            e++;
        if (e < len && t[e] == '<' && e - s >= 3 && !s_is_mark(t, len, s, e) &&
            !s_placeholder(t + s, e - s))
            s_add(out, s, e);
        return;
    }
    size_t p = 0;
    bool tight = false;
    s_op_t op = s_operator(t, len, ws, we, &p, &tight);
    if (op == OP_NONE) {
        s_value_before(t, len, ws, out);
        return;
    }
    if (p >= len)
        return;
    size_t cs, ce;
    bool fstr;
    bool lit = s_literal(t, len, p, &cs, &ce, &fstr);
    if (!lit && op == OP_COLON) {
        /* a type annotation first? "name: str = '...'", "const NAME: &str = ..." */
        size_t q = p;
        while (q < len && q - p < 120 && t[q] != '\n' && t[q] != ';' && t[q] != '{' &&
               t[q] != '}' && t[q] != ',' && t[q] != '"' && t[q] != '\'' &&
               !(t[q] == '=' && !(q + 1 < len && (t[q + 1] == '=' || t[q + 1] == '>')) &&
                 !(t[q - 1] == '=' || t[q - 1] == '!' || t[q - 1] == '<' || t[q - 1] == '>')))
            q++;
        if (q < len && t[q] == '=' && q > p) {
            q++;
            while (q < len && (t[q] == ' ' || t[q] == '\t'))
                q++;
            if (q < len && s_literal(t, len, q, &cs, &ce, &fstr)) {
                lit = true;
                op = OP_ASSIGN;
            }
        }
    }
    if (lit) {
        size_t n = ce - cs;
        if (n == 0 || s_is_mark(t, len, cs, ce) || s_placeholder(t + cs, n))
            return;
        if (fstr && memchr(t + cs, '{', n))
            return;
        if (s_alnum_count(t + cs, n) < 2 || s_plain_word(t + cs, n) ||
            (kind < 3 && (s_label(t + cs, n) || s_lower_word(t + cs, n))))
            return; /* a password is any literal; a key or a token is not a word */
        bool strict = op == OP_COMMA || kind < 2 || (op == OP_COMPARE && kind < 3);
        if (strict ? !s_secretish(t + cs, n) : n < 3)
            return;
        s_add(out, cs, ce);
        return;
    }
    if (op != OP_ASSIGN && op != OP_COLON)
        return;
    /* unquoted: .env, INI, YAML, connection strings, query strings */
    size_t s = p, e = p;
    while (e < len && e - s < UNQUOTED_MAX) {
        unsigned char c = (unsigned char)t[e];
        if (isspace(c) || c == ';' || c == ',' || c == ')' || c == ']' || c == '}' || c == '"' ||
            c == '\'' || c == '`' || c == '#' || c == '<' || c == '>' || c == '&' || c == '(' ||
            c == '[' || c == '{')
            break;
        e++;
    }
    size_t n = e - s;
    if (n == 0 || s_is_mark(t, len, s, e) || s_placeholder(t + s, n) || s_plain_word(t + s, n))
        return;
    char next = e < len ? t[e] : '\n';
    if (next == '(' || next == '[' || next == '{')
        return; /* a call or an index: code */
    unsigned char c0 = (unsigned char)t[s];
    if (c0 == '@' || c0 == '*' || c0 == '&' || c0 == '!' || c0 == '%' || c0 == '-' || c0 == '/')
        return; /* decorators, pointers, negations, paths and regular expressions */
    if (op == OP_COLON) {
        /* YAML: the value is the rest of the line ("key: value  # note"), not prose */
        size_t q = e;
        while (q < len && (t[q] == ' ' || t[q] == '\t' || t[q] == '\r'))
            q++;
        if (q < len && t[q] != '\n' && t[q] != '#' && t[q] != ',' && t[q] != '}')
            return;
    }
    bool ident = s_ident_path(t + s, n);
    bool config = tight || (op == OP_COLON && s_line_start(t, ws));
    if (ident) {
        if (memchr(t + s, '.', n))
            return; /* settings.SECRET_KEY, args.password: a reference */
        if (s_secret_kind(t + s, n) > 0)
            return; /* password=db_password */
        if (config && (next == ',' || next == ')'))
            return; /* f(token=tok): a keyword argument */
        if (op == OP_COLON && !s_digit_and_letter(t + s, n))
            return; /* { withCredentials: kEnumerable }: an object's property */
        if (!config) {
            /* code: an identifier is a variable unless it looks generated */
            bool upper = false, lower = false;
            for (size_t i = s; i < e; i++) {
                upper |= isupper((unsigned char)t[i]) != 0;
                lower |= islower((unsigned char)t[i]) != 0;
            }
            if (!(n >= 16 && upper && lower && s_digit_and_letter(t + s, n)))
                return;
        } else if (n < 3 || (kind < 2 && !s_secretish(t + s, n)))
            return;
    } else if (kind < 2 && !s_secretish(t + s, n))
        return;
    s_add(out, s, e);
}

static int s_size_cmp(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* Names are found through the roots every secret name contains, searched in the
   lower-cased text (a few memmem passes), so ordinary words cost nothing. */
static void s_rule_assignments(const char *t, const char *lower, size_t len, s_spans_t *out)
{
    static const char *const roots[] = {"pass",       "pw",       "psk",   "secret",
                                        "credential", "authoriz", "token", "key"};
    size_t *starts = NULL, n = 0, cap = 0;
    for (size_t r = 0; r < sizeof roots / sizeof roots[0] && !out->oom; r++) {
        size_t rl = strlen(roots[r]), from = 0;
        const char *p;
        while ((p = s_find(lower, len, from, roots[r])) != NULL) {
            size_t hit = (size_t)(p - lower);
            from = hit + rl;
            size_t ws = hit, we = hit + rl;
            while (ws > 0 && hit - ws <= NAME_MAX_LEN && s_key_char((unsigned char)t[ws - 1]))
                ws--;
            while (we < len && we - hit <= NAME_MAX_LEN && s_key_char((unsigned char)t[we]))
                we++;
            if (we - ws > NAME_MAX_LEN)
                continue; /* not a name */
            if (n == cap) {
                size_t nc = cap ? cap * 2 : 64;
                size_t *ns = realloc(starts, nc * sizeof *ns);
                if (!ns) {
                    out->oom = true;
                    break;
                }
                starts = ns;
                cap = nc;
            }
            starts[n++] = ws;
            from = we;
        }
    }
    if (n > 1)
        qsort(starts, n, sizeof *starts, s_size_cmp);
    size_t done = 0;
    for (size_t i = 0; i < n && !out->oom; i++) {
        size_t ws = starts[i];
        if (i > 0 && ws < done)
            continue; /* the same word through another root */
        size_t we = ws;
        while (we < len && s_key_char((unsigned char)t[we]))
            we++;
        done = we;
        int kind = s_secret_kind(t + ws, we - ws);
        if (kind > 0)
            s_value_span(t, len, ws, we, kind, out);
    }
    free(starts);
}

/* ------------------------------------------------------------------ extra patterns */

static void s_rule_patterns(const cw_redact_t *self, const char *t, size_t len, s_spans_t *out)
{
    for (size_t k = 0; k < self->npatterns; k++) {
        const s_pattern_t *pt = &self->patterns[k];
        size_t off = 0;
        for (int found = 0; off <= len && found < USER_MATCHES_MAX; found++) {
            regmatch_t m[2];
            if (regexec(&pt->re, t + off, 2, m, off > 0 ? REG_NOTBOL : 0) != 0)
                break;
            size_t ms = off + (size_t)m[0].rm_so, me = off + (size_t)m[0].rm_eo;
            size_t rs = ms, re = me;
            if (pt->has_group && m[1].rm_so >= 0) {
                rs = off + (size_t)m[1].rm_so;
                re = off + (size_t)m[1].rm_eo;
            }
            if (re > rs)
                s_add(out, rs, re);
            off = me > off ? me : off + 1;
        }
    }
}

/* ------------------------------------------------------------------ class */

static int s_compile(regex_t *re, const char *pattern, char *why, size_t whylen)
{
    if (!pattern || !*pattern) {
        snprintf(why, whylen, "an empty pattern would match everywhere");
        return -1;
    }
    if (strlen(pattern) > CW_REDACT_PATTERN_MAX) {
        snprintf(why, whylen, "a pattern is longer than %d bytes", CW_REDACT_PATTERN_MAX);
        return -1;
    }
    int rc = regcomp(re, pattern, REG_EXTENDED | REG_NEWLINE);
    if (rc != 0) {
        char msg[200];
        regerror(rc, re, msg, sizeof msg);
        snprintf(why, whylen, "not a valid extended regular expression (%s)", msg);
        return -1;
    }
    return 0;
}

int cw_redact_check_pattern(const char *pattern, char *why, size_t whylen)
{
    regex_t re;
    if (s_compile(&re, pattern, why, whylen) != 0)
        return -1;
    bool empty = regexec(&re, "", 0, NULL, 0) == 0;
    regfree(&re);
    if (empty) {
        snprintf(why, whylen, "the pattern matches the empty string");
        return -1;
    }
    return 0;
}

cw_redact_t *cw_redact_new(void)
{
    return calloc(1, sizeof(cw_redact_t));
}

int cw_redact_add_pattern(cw_redact_t *self, const char *pattern, char *err, size_t errlen)
{
    if (!self)
        return -1;
    char why[300] = "";
    if (self->npatterns >= CW_REDACT_RULES_MAX) {
        snprintf(err, errlen, "more than %d redaction patterns", CW_REDACT_RULES_MAX);
        return -1;
    }
    if (cw_redact_check_pattern(pattern, why, sizeof why) != 0) {
        snprintf(err, errlen, "redaction.patterns: %s", why);
        return -1;
    }
    s_pattern_t *v = realloc(self->patterns, (self->npatterns + 1) * sizeof *v);
    if (!v)
        return -1;
    self->patterns = v;
    s_pattern_t *pt = &v[self->npatterns];
    if (s_compile(&pt->re, pattern, why, sizeof why) != 0)
        return -1;
    pt->has_group = pt->re.re_nsub > 0;
    self->npatterns++;
    return 0;
}

int cw_redact_add_allow(cw_redact_t *self, const char *entry)
{
    if (!self || !entry || !*entry || self->nallow >= CW_REDACT_RULES_MAX)
        return -1;
    s_allow_t *v = realloc(self->allow, (self->nallow + 1) * sizeof *v);
    if (!v)
        return -1;
    self->allow = v;
    s_allow_t *a = &v[self->nallow];
    memset(a, 0, sizeof *a);
    a->literal = strdup(entry);
    if (!a->literal)
        return -1;
    size_t n = strlen(entry);
    char *anchored = n <= CW_REDACT_PATTERN_MAX ? malloc(n + 5) : NULL;
    if (anchored) {
        snprintf(anchored, n + 5, "^(%s)$", entry);
        a->has_re = regcomp(&a->re, anchored, REG_EXTENDED | REG_NOSUB) == 0;
        free(anchored);
    }
    self->nallow++;
    return 0;
}

cw_redact_t *cw_redact_new_for_config(const cw_config_t *config, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    cw_redact_t *self = cw_redact_new();
    if (!self)
        return NULL;
    if (!config)
        return self;
    for (size_t i = 0; i < config->redaction.pattern_count; i++)
        if (cw_redact_add_pattern(self, config->redaction.patterns[i], err, errlen) != 0) {
            cw_redact_destroy(&self);
            return NULL;
        }
    for (size_t i = 0; i < config->redaction.allow_count; i++)
        if (cw_redact_add_allow(self, config->redaction.allow[i]) != 0) {
            snprintf(err, errlen, "redaction.allow: cannot add entry %zu", i + 1);
            cw_redact_destroy(&self);
            return NULL;
        }
    return self;
}

void cw_redact_destroy(cw_redact_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cw_redact_t *self = *self_p;
    for (size_t i = 0; i < self->npatterns; i++)
        regfree(&self->patterns[i].re);
    free(self->patterns);
    for (size_t i = 0; i < self->nallow; i++) {
        free(self->allow[i].literal);
        if (self->allow[i].has_re)
            regfree(&self->allow[i].re);
    }
    free(self->allow);
    free(self);
    *self_p = NULL;
}

/* ------------------------------------------------------------------ text */

static bool s_allowed(const cw_redact_t *self, const char *t, size_t start, size_t end)
{
    if (self->nallow == 0)
        return false;
    size_t n = end - start;
    char stack[256];
    char *copy = n < sizeof stack ? stack : malloc(n + 1);
    if (!copy)
        return false; /* fail closed: redact */
    memcpy(copy, t + start, n);
    copy[n] = '\0';
    bool ok = false;
    for (size_t i = 0; i < self->nallow && !ok; i++) {
        const s_allow_t *a = &self->allow[i];
        ok = strcmp(a->literal, copy) == 0 || (a->has_re && regexec(&a->re, copy, 0, NULL, 0) == 0);
    }
    if (copy != stack)
        free(copy);
    return ok;
}

int cw_redact_text(const cw_redact_t *self, const char *text, char **out, size_t *count)
{
    if (out)
        *out = NULL;
    if (count)
        *count = 0;
    if (!self || !text || !out || !count)
        return -1;
    size_t len = strlen(text);
    if (len == 0)
        return 0;
    char *lower = malloc(len + 1);
    if (!lower)
        return -1;
    for (size_t i = 0; i <= len; i++)
        lower[i] = (char)tolower((unsigned char)text[i]);
    s_spans_t sp = {0};
    s_rule_key_blocks(text, len, &sp);
    s_rule_prefixes(text, len, &sp);
    s_rule_structured(text, len, &sp);
    s_rule_urls(text, len, &sp);
    s_rule_webhooks(text, len, &sp);
    s_rule_azure_auth(text, lower, len, &sp);
    s_rule_assignments(text, lower, len, &sp);
    s_rule_patterns(self, text, len, &sp);
    free(lower);
    if (sp.oom) {
        free(sp.v);
        return -1;
    }
    if (sp.n == 0)
        return 0;
    /* drop allowed values and spans inside an existing marker */
    size_t k = 0;
    for (size_t i = 0; i < sp.n; i++) {
        s_span_t s = sp.v[i];
        bool in_mark = false;
        size_t lo = s.start >= MARK_LEN ? s.start - MARK_LEN + 1 : 0;
        for (size_t m = lo; m <= s.start && !in_mark; m++)
            in_mark = m + MARK_LEN >= s.end && s_is_mark(text, len, m, m + MARK_LEN);
        if (in_mark || s_allowed(self, text, s.start, s.end))
            continue;
        sp.v[k++] = s;
    }
    sp.n = k;
    if (sp.n == 0) {
        free(sp.v);
        return 0;
    }
    qsort(sp.v, sp.n, sizeof *sp.v, s_span_cmp);
    k = 0;
    for (size_t i = 1; i < sp.n; i++) {
        if (sp.v[i].start <= sp.v[k].end) {
            if (sp.v[i].end > sp.v[k].end)
                sp.v[k].end = sp.v[i].end;
        } else
            sp.v[++k] = sp.v[i];
    }
    sp.n = k + 1;
    size_t removed = 0;
    for (size_t i = 0; i < sp.n; i++)
        removed += sp.v[i].end - sp.v[i].start;
    size_t total = len - removed + sp.n * MARK_LEN + 1;
    char *o = malloc(total);
    if (!o) {
        free(sp.v);
        return -1;
    }
    size_t w = 0, r = 0;
    for (size_t i = 0; i < sp.n; i++) {
        memcpy(o + w, text + r, sp.v[i].start - r);
        w += sp.v[i].start - r;
        memcpy(o + w, CW_REDACT_MARK, MARK_LEN);
        w += MARK_LEN;
        r = sp.v[i].end;
    }
    memcpy(o + w, text + r, len - r);
    w += len - r;
    o[w] = '\0';
    *out = o;
    *count = sp.n;
    free(sp.v);
    return 0;
}

/* ------------------------------------------------------------------ value trees */

static bool s_identity_key(const char *key)
{
    static const char *const keys[] = {"doc_type", "language", "code_hash", "repo",    "file",
                                       "type",     "v",        "job_id",    "cycle_id"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strcmp(key, keys[i]) == 0)
            return true;
    return false;
}

/* A redacted copy of v, or NULL when nothing inside changed (*oom set on failure). */
static cw_value_t *s_copy(const cw_redact_t *self, const cw_value_t *v, const char *key, int depth,
                          long *count, bool *oom)
{
    if (*oom || depth > CW_VALUE_MAX_DEPTH)
        return NULL;
    switch (cw_value_kind(v)) {
    case CW_VAL_STR: {
        const char *s = cw_value_str(v);
        if (key && s && *s && cw_redact_secret_name(key, strlen(key)) &&
            strcmp(s, CW_REDACT_MARK) != 0 && cw_value_strlen(v) <= UNQUOTED_MAX &&
            !strchr(s, '\n')) {
            (*count)++;
            cw_value_t *m = cw_value_new_str(CW_REDACT_MARK);
            if (!m)
                *oom = true;
            return m;
        }
        char *red = NULL;
        size_t n = 0;
        if (cw_redact_text(self, s, &red, &n) != 0) {
            *oom = true;
            return NULL;
        }
        if (!red)
            return NULL;
        cw_value_t *copy = cw_value_new_str(red);
        free(red);
        if (!copy) {
            *oom = true;
            return NULL;
        }
        *count += (long)n;
        return copy;
    }
    case CW_VAL_ARRAY: {
        size_t n = cw_value_size(v);
        cw_value_t **changed = calloc(n ? n : 1, sizeof *changed);
        if (!changed) {
            *oom = true;
            return NULL;
        }
        bool any = false;
        for (size_t i = 0; i < n && !*oom; i++) {
            changed[i] = s_copy(self, cw_array_at(v, i), key, depth + 1, count, oom);
            any |= changed[i] != NULL;
        }
        cw_value_t *arr = NULL;
        if (any && !*oom) {
            arr = cw_value_new_array();
            for (size_t i = 0; arr && i < n; i++) {
                cw_value_t *c = changed[i] ? changed[i] : cw_value_clone(cw_array_at(v, i));
                changed[i] = NULL;
                if (!c || cw_array_push(arr, c) != 0)
                    cw_value_destroy(&arr);
            }
            if (!arr)
                *oom = true;
        }
        for (size_t i = 0; i < n; i++)
            cw_value_destroy(&changed[i]);
        free(changed);
        return arr;
    }
    case CW_VAL_MAP: {
        size_t n = cw_value_size(v);
        cw_value_t *map = NULL;
        for (size_t i = 0; i < n && !*oom; i++) {
            const char *k = cw_map_key_at(v, i);
            if (!k || (depth == 0 && s_identity_key(k)))
                continue;
            cw_value_t *c = s_copy(self, cw_map_value_at(v, i), k, depth + 1, count, oom);
            if (!c)
                continue;
            if (!map && !(map = cw_value_clone(v))) {
                cw_value_destroy(&c);
                *oom = true;
                break;
            }
            if (cw_map_set(map, k, c) != 0)
                *oom = true;
        }
        if (*oom)
            cw_value_destroy(&map);
        return map;
    }
    default:
        return NULL;
    }
}

long cw_redact_value(const cw_redact_t *self, cw_value_t **value)
{
    if (!self || !value || !*value)
        return 0;
    long count = 0;
    bool oom = false;
    /* arrays of targets (analyze_reply.targets) are handled element by element as
       targets: their identity fields stay */
    cw_value_t *copy = NULL;
    if (cw_value_kind(*value) == CW_VAL_ARRAY) {
        size_t n = cw_value_size(*value);
        cw_value_t **changed = calloc(n ? n : 1, sizeof *changed);
        if (!changed)
            return -1;
        bool any = false;
        for (size_t i = 0; i < n && !oom; i++) {
            changed[i] = s_copy(self, cw_array_at(*value, i), NULL, 0, &count, &oom);
            any |= changed[i] != NULL;
        }
        if (any && !oom) {
            copy = cw_value_new_array();
            for (size_t i = 0; copy && i < n; i++) {
                cw_value_t *c = changed[i] ? changed[i] : cw_value_clone(cw_array_at(*value, i));
                changed[i] = NULL;
                if (!c || cw_array_push(copy, c) != 0)
                    cw_value_destroy(&copy);
            }
            if (!copy)
                oom = true;
        }
        for (size_t i = 0; i < n; i++)
            cw_value_destroy(&changed[i]);
        free(changed);
    } else
        copy = s_copy(self, *value, NULL, 0, &count, &oom);
    if (oom) {
        cw_value_destroy(&copy);
        return -1;
    }
    if (copy) {
        cw_value_destroy(value);
        *value = copy;
    }
    return count;
}
