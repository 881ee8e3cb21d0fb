/*  cw_config — config.yaml, repos.yaml, prompts.yaml, .env and CODEWORM_* environment.

    One table (s_keys) describes every dotted key: its type, where it lives in
    cw_config_t and its bounds. YAML nodes, environment strings and command-line
    values all go through the same setters, so the checks and messages agree.

    Precedence (highest first): cw_config_set, real environment, <config dir>/.env,
    ./.env, YAML, defaults. Empty strings and YAML nulls mean "not set".          */
#include "cw_config.h"
#include "cw_buf.h"
#include "cw_log.h"
#include "cw_redact.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>
#include <yaml.h>

#define CW_CFG_FILE_MAX (1024 * 1024) /* bytes per YAML / .env file */
#define CW_CFG_VALUE_MAX (256 * 1024) /* one string value */
#define CW_CFG_LIST_MAX 1000          /* entries in a list or map */
#define CW_CFG_PATH_MAX 4096
#define CW_CFG_REPO_MAX 1000
#define CW_CFG_ENVFILE_MAX 1000

extern char **environ;

/* ------------------------------------------------------------------ key table */

typedef enum {
    T_BOOL,
    T_INT,
    T_DBL,
    T_STR,      /* single line string */
    T_PATH,     /* single line, ~ and $VAR expanded */
    T_ENUM,     /* one of choices ("a|b|c") */
    T_HOST,     /* host name without scheme */
    T_URL,      /* http:// or https:// */
    T_ENDPOINT, /* zeromq endpoint scheme://address */
    T_TZ,       /* IANA zone */
    T_BRANCH,   /* git branch name */
    T_KEEPALIVE,
    T_Z85,     /* CURVE key, 40 characters */
    T_HOURS,   /* list of 0..23 */
    T_STRLIST, /* list of strings */
    T_Z85LIST, /* list of CURVE keys */
    T_WEIGHTS, /* map doc type -> weight */
    T_HEADERS, /* map header -> value */
    T_HINTS,   /* map language -> hint */
    T_TEXT,    /* multi-line text, NULL default (prompts) */
    T_IGNORE   /* accepted and ignored (dashboard.redis) */
} key_type_t;

#define F_SECRET 1u
#define F_PROMPTS 2u  /* lives in prompts.yaml */
#define F_NONEMPTY 4u /* cannot be emptied (a default always exists) */
#define F_OR_ZERO 8u  /* T_DBL: 0 is allowed besides [min, max] (0 = off) */
#define F_REGEX 16u   /* list of extended regular expressions: checked, never split at commas */

typedef struct {
    const char *key;
    key_type_t type;
    size_t off;
    size_t off2; /* count field for lists and maps */
    double min, max;
    const char *choices;
    unsigned flags;
} key_def_t;

#define OFF(f) offsetof(cw_config_t, f)
#define K_(k, t, f)                                                                                \
    {                                                                                              \
        k, t, OFF(f), 0, 0, 0, NULL, 0                                                             \
    }
#define KF(k, t, f, fl)                                                                            \
    {                                                                                              \
        k, t, OFF(f), 0, 0, 0, NULL, fl                                                            \
    }
#define KI(k, f, lo, hi)                                                                           \
    {                                                                                              \
        k, T_INT, OFF(f), 0, lo, hi, NULL, 0                                                       \
    }
#define KD(k, f, lo, hi)                                                                           \
    {                                                                                              \
        k, T_DBL, OFF(f), 0, lo, hi, NULL, 0                                                       \
    }
#define KE(k, f, ch)                                                                               \
    {                                                                                              \
        k, T_ENUM, OFF(f), 0, 0, 0, ch, 0                                                          \
    }
#define KL(k, t, f, n, fl)                                                                         \
    {                                                                                              \
        k, t, OFF(f), OFF(n), 0, 0, NULL, fl                                                       \
    }

static const key_def_t s_keys[] = {
    K_("debug", T_BOOL, debug),
    KF("data_dir", T_PATH, data_dir, F_NONEMPTY),
    K_("devlog.repo_path", T_PATH, devlog.repo_path),
    K_("devlog.remote", T_STR, devlog.remote),
    K_("devlog.branch", T_BRANCH, devlog.branch),
    KF("devlog.token", T_STR, devlog.token, F_SECRET),
    K_("devlog.author_name", T_STR, devlog.author_name),
    K_("devlog.author_email", T_STR, devlog.author_email),
    K_("devlog.ssh_key", T_PATH, devlog.ssh_key),
    K_("ollama.host", T_HOST, ollama.host),
    KI("ollama.port", ollama.port, 1, 65535),
    K_("ollama.model", T_STR, ollama.model),
    KD("ollama.temperature", ollama.temperature, 0, 2),
    KI("ollama.num_ctx", ollama.num_ctx, 128, 4194304),
    KI("ollama.num_predict", ollama.num_predict, -2, 4194304),
    K_("ollama.keep_alive", T_KEEPALIVE, ollama.keep_alive),
    KI("ollama.stall_seconds", ollama.stall_seconds, 1, 86400),
    KE("llm.backend", llm.backend, "ollama|openai|offline"),
    K_("openai.base_url", T_URL, openai.base_url),
    K_("openai.model", T_STR, openai.model),
    KF("openai.api_key", T_STR, openai.api_key, F_SECRET),
    KD("openai.temperature", openai.temperature, 0, 2),
    KI("openai.max_tokens", openai.max_tokens, 1, 4194304),
    K_("schedule.enabled", T_BOOL, schedule.enabled),
    KI("schedule.min_commits_per_day", schedule.min_commits_per_day, 1, 500),
    KI("schedule.max_commits_per_day", schedule.max_commits_per_day, 1, 500),
    K_("schedule.timezone", T_TZ, schedule.timezone),
    KL("schedule.prefer_hours", T_HOURS, schedule.prefer_hours, schedule.prefer_hours_count, 0),
    KL("schedule.avoid_hours", T_HOURS, schedule.avoid_hours, schedule.avoid_hours_count, 0),
    KD("schedule.weekend_reduction", schedule.weekend_reduction, 0, 1),
    KI("schedule.min_gap_minutes", schedule.min_gap_minutes, 0, 1440),
    {"schedule.interval_seconds", T_DBL, OFF(schedule.interval_seconds), 0, 0.01, 604800, NULL,
     F_OR_ZERO},
    KI("schedule.max_in_flight", schedule.max_in_flight, 1, 64),
    KI("analyzer.min_complexity", analyzer.min_complexity, 0, 10000),
    KI("analyzer.max_lines", analyzer.max_lines, 1, 1000000),
    KI("analyzer.min_lines", analyzer.min_lines, 0, 1000000),
    KL("analyzer.include_patterns", T_STRLIST, analyzer.include_patterns, analyzer.include_count,
       0),
    KL("analyzer.exclude_patterns", T_STRLIST, analyzer.exclude_patterns, analyzer.exclude_count,
       0),
    KI("documentation.redocument_after_days", documentation.redocument_after_days, 0, 36500),
    K_("documentation.type_weights", T_WEIGHTS, documentation.type_weights),
    KD("documentation.min_grounding", documentation.min_grounding, 0, 1),
    KL("redaction.patterns", T_STRLIST, redaction.patterns, redaction.pattern_count, F_REGEX),
    KL("redaction.allow", T_STRLIST, redaction.allow, redaction.allow_count, 0),
    K_("dashboard.enabled", T_BOOL, dashboard.enabled),
    K_("dashboard.host", T_HOST, dashboard.host),
    KI("dashboard.port", dashboard.port, 1, 65535),
    {"dashboard.redis", T_IGNORE, 0, 0, 0, 0, NULL, 0},
    K_("telegram.enabled", T_BOOL, telegram.enabled),
    KF("telegram.bot_token", T_STR, telegram.bot_token, F_SECRET),
    K_("telegram.chat_id", T_STR, telegram.chat_id),
    KI("telegram.alert_after_failures", telegram.alert_after_failures, 1, 100000),
    K_("telegram.alert_on_push_failure", T_BOOL, telegram.alert_on_push_failure),
    K_("telegram.alert_on_git_wedge", T_BOOL, telegram.alert_on_git_wedge),
    K_("telegram.api_base", T_URL, telegram.api_base),
    K_("webhook.url", T_URL, webhook.url),
    KL("webhook.headers", T_HEADERS, webhook.headers, webhook.header_count, F_SECRET),
    KE("webhook.format", webhook.format, "json|slack|discord"),
    K_("bus.broker", T_ENDPOINT, bus.broker),
    K_("bus.events_in", T_ENDPOINT, bus.events_in),
    K_("bus.events_out", T_ENDPOINT, bus.events_out),
    K_("bus.allow_insecure", T_BOOL, bus.allow_insecure),
    K_("bus.curve.enabled", T_BOOL, bus.curve.enabled),
    K_("bus.curve.server_public_key", T_Z85, bus.curve.server_public_key),
    KF("bus.curve.server_secret_key", T_Z85, bus.curve.server_secret_key, F_SECRET),
    K_("bus.curve.client_public_key", T_Z85, bus.curve.client_public_key),
    KF("bus.curve.client_secret_key", T_Z85, bus.curve.client_secret_key, F_SECRET),
    KL("bus.curve.allowed_clients", T_Z85LIST, bus.curve.allowed_clients, bus.curve.allowed_count,
       0),
    KI("generator.instances", generator.instances, 1, 64),
    KF("prompts.style", T_TEXT, prompts.style, F_PROMPTS),
    KF("prompts.system_prompt", T_TEXT, prompts.system_prompt, F_PROMPTS),
    KF("prompts.documentation_template", T_TEXT, prompts.documentation_template, F_PROMPTS),
    KF("prompts.commit_message_template", T_TEXT, prompts.commit_message_template, F_PROMPTS),
    KL("prompts.language_hints", T_HINTS, prompts.language_hints, prompts.language_hint_count,
       F_PROMPTS),
};
#define NKEYS (sizeof(s_keys) / sizeof(s_keys[0]))

/* ------------------------------------------------------------------ private state */

#define ORIGIN_MAX 160

typedef struct {
    cw_config_t pub;                /* first: a cw_config_t * is a cw_config_priv_t * */
    char origin[NKEYS][ORIGIN_MAX]; /* where each key was last set ("" = default) */
    char **repo_origin;             /* parallel to pub.repos */
} cw_config_priv_t;

typedef struct {
    char *name;
    char *value;
    char label[ORIGIN_MAX]; /* "config/.env:3" */
} env_entry_t;

typedef struct {
    env_entry_t *items;
    size_t count;
} env_file_t;

/* where a value comes from, for messages */
typedef struct {
    const char *file;  /* YAML file label ("config.yaml") or NULL */
    const char *label; /* non-YAML label ("CODEWORM_X", "command line") */
    env_file_t *env;   /* for $VAR lookups (may be NULL) */
} src_t;

static void *s_field(cw_config_t *c, const key_def_t *k)
{
    return (char *)c + k->off;
}

static const void *s_cfield(const cw_config_t *c, const key_def_t *k)
{
    return (const char *)c + k->off;
}

static const key_def_t *s_key_find(const char *key)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(s_keys[i].key, key) == 0)
            return &s_keys[i];
    return NULL;
}

/* true if `prefix` is a section: some key starts with "prefix." */
static bool s_is_section(const char *prefix)
{
    size_t n = strlen(prefix);
    for (size_t i = 0; i < NKEYS; i++)
        if (strncmp(s_keys[i].key, prefix, n) == 0 && s_keys[i].key[n] == '.')
            return true;
    return false;
}

static void s_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* quoted, shortened, control characters shown as '?' — for "(got ...)" */
static void s_show(char *out, size_t cap, const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && n + 4 < cap; p++) {
        if (n >= 60) {
            memcpy(out + n, "...", 3);
            n += 3;
            break;
        }
        out[n++] = (*p < 0x20 || *p == 0x7f) ? '?' : (char)*p;
    }
    out[n] = '\0';
}

static char *s_strdup(const char *s)
{
    char *r = strdup(s ? s : "");
    if (!r) {
        fprintf(stderr, "codeworm: out of memory\n");
        abort();
    }
    return r;
}

static void *s_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        fprintf(stderr, "codeworm: out of memory\n");
        abort();
    }
    return p;
}

static void s_free_strlist(char **list, size_t count)
{
    if (!list)
        return;
    for (size_t i = 0; i < count; i++)
        free(list[i]);
    free(list);
}

static void s_free_headers(cw_header_t *h, size_t n)
{
    if (!h)
        return;
    for (size_t i = 0; i < n; i++) {
        free(h[i].name);
        free(h[i].value);
    }
    free(h);
}

static void s_free_hints(cw_lang_hint_t *h, size_t n)
{
    if (!h)
        return;
    for (size_t i = 0; i < n; i++) {
        free(h[i].language);
        free(h[i].hint);
    }
    free(h);
}

/* ------------------------------------------------------------------ env lookups */

static const char *s_env_lookup(env_file_t *env, const char *name, const char **label)
{
    const char *v = getenv(name);
    if (v) {
        if (label)
            *label = NULL;
        return v;
    }
    if (env)
        for (size_t i = 0; i < env->count; i++)
            if (strcmp(env->items[i].name, name) == 0) {
                if (label)
                    *label = env->items[i].label;
                return env->items[i].value;
            }
    return NULL;
}

/* ------------------------------------------------------------------ path expansion */

static char *s_expand(const char *path, env_file_t *env)
{
    if (!path)
        return NULL;
    cw_buf_t vars; /* a value is at most CW_CFG_VALUE_MAX - 1 bytes */
    cw_buf_init(&vars, CW_CFG_VALUE_MAX - 1);
    /* $VAR and ${VAR}; unknown variables stay as written (like os.path.expandvars) */
    for (const char *p = path; *p;) {
        if (*p == '$') {
            const char *name = NULL;
            size_t nlen = 0, skip = 0;
            if (p[1] == '{') {
                const char *end = strchr(p + 2, '}');
                if (end && end > p + 2) {
                    name = p + 2;
                    nlen = (size_t)(end - name);
                    skip = nlen + 3;
                }
            } else if (isalpha((unsigned char)p[1]) || p[1] == '_') {
                name = p + 1;
                while (isalnum((unsigned char)name[nlen]) || name[nlen] == '_')
                    nlen++;
                skip = nlen + 1;
            }
            if (name && nlen < 256) {
                char var[256];
                memcpy(var, name, nlen);
                var[nlen] = '\0';
                const char *val = s_env_lookup(env, var, NULL);
                if (val) {
                    cw_buf_puts(&vars, val);
                    p += skip;
                    continue;
                }
            }
        }
        cw_buf_putc(&vars, *p);
        p++;
    }
    char *expanded = cw_buf_take(&vars, NULL);
    if (!expanded)
        return NULL;
    /* leading ~ or ~user */
    const char *s = expanded;
    if (s[0] != '~')
        return expanded;
    const char *slash = strchr(s, '/');
    size_t ulen = slash ? (size_t)(slash - s - 1) : strlen(s) - 1;
    const char *home = NULL;
    if (ulen == 0) {
        home = getenv("HOME");
        if (!home || !*home) {
            struct passwd *pw = getpwuid(getuid());
            home = pw ? pw->pw_dir : NULL;
        }
    } else if (ulen < 256) {
        char user[256];
        memcpy(user, s + 1, ulen);
        user[ulen] = '\0';
        struct passwd *pw = getpwnam(user);
        home = pw ? pw->pw_dir : NULL;
    }
    if (!home)
        return expanded;
    cw_buf_t out;
    cw_buf_init(&out, CW_CFG_VALUE_MAX - 1);
    cw_buf_puts(&out, home);
    cw_buf_puts(&out, s + 1 + ulen);
    free(expanded);
    return cw_buf_take(&out, NULL);
}

char *cw_config_expand_path(const char *path)
{
    return s_expand(path, NULL);
}

/* ------------------------------------------------------------------ scalar parsing */

static bool s_parse_int(const char *s, long long *out)
{
    while (isspace((unsigned char)*s))
        s++;
    if (!*s)
        return false;
    errno = 0;
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s)
        return false;
    while (isspace((unsigned char)*end))
        end++;
    if (*end)
        return false;
    *out = v;
    return true;
}

static bool s_parse_double(const char *s, double *out)
{
    while (isspace((unsigned char)*s))
        s++;
    if (!*s)
        return false;
    errno = 0;
    char *end = NULL;
    double v = strtod(s, &end);
    if (errno || end == s || !isfinite(v))
        return false;
    while (isspace((unsigned char)*end))
        end++;
    if (*end)
        return false;
    *out = v;
    return true;
}

static bool s_parse_bool(const char *s, bool *out)
{
    static const char *yes[] = {"true", "yes", "on", "1", "y"};
    static const char *no[] = {"false", "no", "off", "0", "n"};
    for (size_t i = 0; i < 5; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

static bool s_has_ctl(const char *s, bool allow_newlines)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (allow_newlines && (*p == '\n' || *p == '\t' || *p == '\r'))
            continue;
        if (*p < 0x20 || *p == 0x7f)
            return true;
    }
    return false;
}

static bool s_has_space(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (isspace(*p))
            return true;
    return false;
}

static bool s_valid_keep_alive(const char *s)
{
    /* a number of seconds (may be negative, e.g. -1) or a Go duration ("5m", "1h30m") */
    long long n;
    double d;
    if (s_parse_int(s, &n) || s_parse_double(s, &d))
        return true;
    const char *p = s;
    if (*p == '-')
        p++;
    if (!*p)
        return false;
    while (*p) {
        if (!isdigit((unsigned char)*p))
            return false;
        while (isdigit((unsigned char)*p) || *p == '.')
            p++;
        if (strncmp(p, "ns", 2) == 0 || strncmp(p, "us", 2) == 0 || strncmp(p, "ms", 2) == 0)
            p += 2;
        else if (*p == 'h' || *p == 'm' || *p == 's')
            p++;
        else
            return false;
    }
    return true;
}

static bool s_valid_z85(const char *s)
{
    static const char *alpha = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               ".-:+=^!/*?&<>()[]{}@%$#";
    if (strlen(s) != 40)
        return false;
    for (const char *p = s; *p; p++)
        if (!strchr(alpha, *p))
            return false;
    return true;
}

static bool s_valid_tz(const char *s)
{
    if (strcmp(s, "UTC") == 0)
        return true;
    if (!*s || s[0] == '/' || strstr(s, "..") || strlen(s) > 200)
        return false;
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("_+-/", *p))
            return false;
    const char *dir = getenv("TZDIR");
    if (!dir || !*dir)
        dir = "/usr/share/zoneinfo";
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, s);
    struct stat st;
    if (stat(dir, &st) != 0) {
        /* no time zone database here (minimal image): only the name's form is checked */
        cw_warn("config_tz_unchecked", CW_LS("timezone", s), CW_LS("missing", dir), CW_LEND);
        return strchr(s, '/') != NULL || strcmp(s, "GMT") == 0;
    }
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool s_valid_branch(const char *s)
{
    if (!*s || s[0] == '-' || s[0] == '/' || strstr(s, "..") || strstr(s, "@{") ||
        strstr(s, "//") || s_has_space(s) || s_has_ctl(s, false))
        return false;
    size_t n = strlen(s);
    if (s[n - 1] == '/' || s[n - 1] == '.' || (n >= 5 && strcmp(s + n - 5, ".lock") == 0))
        return false;
    for (const char *p = s; *p; p++)
        if (strchr("~^:?*[\\", *p))
            return false;
    return true;
}

static bool s_valid_url(const char *s)
{
    if (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0)
        return false;
    const char *host = strstr(s, "://") + 3;
    return *host && *host != '/' && !s_has_space(s) && !s_has_ctl(s, false);
}

static bool s_valid_endpoint(const char *s)
{
    const char *sep = strstr(s, "://");
    if (!sep || sep == s || !sep[3] || s_has_space(s) || s_has_ctl(s, false))
        return false;
    for (const char *p = s; p < sep; p++)
        if (!islower((unsigned char)*p))
            return false;
    return true;
}

static bool s_valid_host(const char *s)
{
    return *s && !strstr(s, "://") && !strchr(s, '/') && !s_has_space(s) && !s_has_ctl(s, false);
}

/* Check and set one scalar value. `why` gets "must be ... (got "x")" on failure.
   Empty strings were filtered by the caller. */
static int s_set_scalar(cw_config_t *c, const key_def_t *k, const char *v, env_file_t *env,
                        char *why, size_t whylen)
{
    char shown[80];
    s_show(shown, sizeof(shown), v);
    void *f = s_field(c, k);
    switch (k->type) {
    case T_BOOL: {
        bool b;
        if (!s_parse_bool(v, &b)) {
            s_err(why, whylen, "must be true or false (got \"%s\")", shown);
            return -1;
        }
        *(bool *)f = b;
        return 0;
    }
    case T_INT: {
        long long n;
        if (!s_parse_int(v, &n) || n < (long long)k->min || n > (long long)k->max) {
            s_err(why, whylen, "must be an integer between %lld and %lld (got \"%s\")",
                  (long long)k->min, (long long)k->max, shown);
            return -1;
        }
        *(int *)f = (int)n;
        return 0;
    }
    case T_DBL: {
        double d;
        bool zero_ok = (k->flags & F_OR_ZERO) != 0;
        if (!s_parse_double(v, &d) || ((d < k->min || d > k->max) && !(zero_ok && d == 0.0))) {
            s_err(why, whylen, "must be %sa number between %g and %g (got \"%s\")",
                  zero_ok ? "0 or " : "", k->min, k->max, shown);
            return -1;
        }
        *(double *)f = d;
        return 0;
    }
    case T_TEXT:
        if (s_has_ctl(v, true)) {
            s_err(why, whylen, "must not contain control characters");
            return -1;
        }
        free(*(char **)f);
        *(char **)f = s_strdup(v);
        return 0;
    case T_PATH: {
        if (s_has_ctl(v, false)) {
            s_err(why, whylen, "must be a path on one line (got \"%s\")", shown);
            return -1;
        }
        char *e = s_expand(v, env);
        if (!e) {
            s_err(why, whylen, "is too long once expanded (got \"%s\")", shown);
            return -1;
        }
        if (strlen(e) >= CW_CFG_PATH_MAX) {
            free(e);
            s_err(why, whylen, "is longer than %d characters", CW_CFG_PATH_MAX - 1);
            return -1;
        }
        free(*(char **)f);
        *(char **)f = e;
        return 0;
    }
    default:
        break;
    }
    /* the remaining types are single-line strings with a format */
    bool ok = !s_has_ctl(v, false);
    const char *expect = "must be a single-line string";
    if (ok)
        switch (k->type) {
        case T_ENUM: {
            ok = false;
            size_t n = strlen(v);
            for (const char *p = k->choices; p && *p;) {
                const char *bar = strchr(p, '|');
                size_t len = bar ? (size_t)(bar - p) : strlen(p);
                if (len == n && strncmp(p, v, n) == 0)
                    ok = true;
                p = bar ? bar + 1 : NULL;
            }
            if (!ok) {
                char choices[128];
                snprintf(choices, sizeof(choices), "%s", k->choices);
                for (char *p = choices; *p; p++)
                    if (*p == '|')
                        *p = ',';
                s_err(why, whylen, "must be one of %s (got \"%s\")", choices, shown);
                return -1;
            }
            break;
        }
        case T_HOST:
            ok = s_valid_host(v);
            expect = "must be a host name or address, without scheme, path or port";
            break;
        case T_URL:
            ok = s_valid_url(v);
            expect = "must be an http:// or https:// URL";
            break;
        case T_ENDPOINT:
            ok = s_valid_endpoint(v);
            expect = "must be a ZeroMQ endpoint such as tcp://127.0.0.1:5555";
            break;
        case T_TZ:
            ok = s_valid_tz(v);
            expect = "must be an IANA time zone name such as Europe/Berlin or UTC";
            break;
        case T_BRANCH:
            ok = s_valid_branch(v);
            expect = "must be a valid git branch name";
            break;
        case T_KEEPALIVE:
            ok = s_valid_keep_alive(v);
            expect = "must be a number of seconds or a duration such as \"5m\" or \"-1\"";
            break;
        case T_Z85:
            ok = s_valid_z85(v);
            expect = "must be a 40-character Z85 CURVE key";
            break;
        default:
            break;
        }
    if (!ok) {
        if (k->flags & F_SECRET)
            s_err(why, whylen, "%s", expect);
        else
            s_err(why, whylen, "%s (got \"%s\")", expect, shown);
        return -1;
    }
    free(*(char **)f);
    *(char **)f = s_strdup(v);
    return 0;
}

static bool s_is_list_type(key_type_t t)
{
    return t == T_HOURS || t == T_STRLIST || t == T_Z85LIST;
}

static bool s_is_map_type(key_type_t t)
{
    return t == T_WEIGHTS || t == T_HEADERS || t == T_HINTS;
}

/* ------------------------------------------------------------------ list / map builders */

/* A list being built; committed to the config only when complete and valid. */
typedef struct {
    char **strs;
    size_t count;
    int hours[24];
    int nhours;
} list_acc_t;

static int s_list_add(const key_def_t *k, list_acc_t *acc, const char *v, char *why, size_t whylen)
{
    char shown[80];
    s_show(shown, sizeof(shown), v);
    if (k->type == T_HOURS) {
        long long n;
        if (!s_parse_int(v, &n) || n < 0 || n > 23) {
            s_err(why, whylen, "must be a list of hours between 0 and 23 (got \"%s\")", shown);
            return -1;
        }
        for (int i = 0; i < acc->nhours; i++)
            if (acc->hours[i] == (int)n)
                return 0; /* duplicates dropped */
        acc->hours[acc->nhours++] = (int)n;
        return 0;
    }
    if (s_has_ctl(v, false)) {
        s_err(why, whylen, "entries must be single-line strings (got \"%s\")", shown);
        return -1;
    }
    if (k->flags & F_REGEX) {
        char rwhy[300];
        if (cw_redact_check_pattern(v, rwhy, sizeof(rwhy)) != 0) {
            s_err(why, whylen, "entry \"%s\": %s", shown, rwhy);
            return -1;
        }
    }
    if (k->type == T_Z85LIST && !s_valid_z85(v)) {
        s_err(why, whylen, "entries must be 40-character Z85 CURVE keys (got \"%s\")", shown);
        return -1;
    }
    if (acc->count >= CW_CFG_LIST_MAX) {
        s_err(why, whylen, "has more than %d entries", CW_CFG_LIST_MAX);
        return -1;
    }
    if (!acc->strs)
        acc->strs = s_calloc(CW_CFG_LIST_MAX, sizeof(char *));
    acc->strs[acc->count++] = s_strdup(v);
    return 0;
}

static void s_list_commit(cw_config_t *c, const key_def_t *k, list_acc_t *acc)
{
    void *f = s_field(c, k);
    size_t *count = (size_t *)((char *)c + k->off2);
    if (k->type == T_HOURS) {
        memcpy(f, acc->hours, sizeof(acc->hours));
        *(int *)count = acc->nhours; /* int count for hours */
        return;
    }
    s_free_strlist(*(char ***)f, *count);
    char **strs = s_calloc(acc->count, sizeof(char *));
    for (size_t i = 0; i < acc->count; i++)
        strs[i] = acc->strs[i];
    free(acc->strs);
    acc->strs = NULL;
    *(char ***)f = strs;
    *count = acc->count;
    acc->count = 0;
}

static void s_list_free(list_acc_t *acc)
{
    s_free_strlist(acc->strs, acc->count);
    acc->strs = NULL;
    acc->count = 0;
}

typedef struct {
    double weights[CW_DOC_TYPE_COUNT];
    char **names;
    char **values;
    size_t count;
} map_acc_t;

static int s_map_add(const key_def_t *k, map_acc_t *acc, const char *name, const char *value,
                     char *why, size_t whylen)
{
    char sname[80], sval[80];
    s_show(sname, sizeof(sname), name);
    s_show(sval, sizeof(sval), value);
    if (k->type == T_WEIGHTS) {
        int t = cw_doc_type_from_name(name);
        if (t < 0) {
            char known[400] = "";
            for (int j = 0; j < CW_DOC_TYPE_COUNT; j++)
                snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s%s",
                         j ? ", " : "", cw_doc_type_name(j));
            s_err(why, whylen, "has an unknown doc type \"%s\" (known: %s)", sname, known);
            return -1;
        }
        double d;
        if (!s_parse_double(value, &d) || d < 0 || d > 1e6) {
            s_err(why, whylen, "%s must be a number >= 0 (got \"%s\")", sname, sval);
            return -1;
        }
        acc->weights[t] = d;
        return 0;
    }
    if (acc->count >= CW_CFG_LIST_MAX) {
        s_err(why, whylen, "has more than %d entries", CW_CFG_LIST_MAX);
        return -1;
    }
    if (k->type == T_HEADERS) {
        bool ok = *name != '\0';
        for (const unsigned char *p = (const unsigned char *)name; *p; p++)
            if (*p <= 0x20 || *p >= 0x7f || strchr("()<>@,;:\\\"/[]?={}", *p))
                ok = false;
        if (!ok) {
            s_err(why, whylen, "has an invalid header name \"%s\"", sname);
            return -1;
        }
        if (s_has_ctl(value, false)) {
            s_err(why, whylen, "%s must be a single-line value", sname);
            return -1; /* the value is a secret: not shown */
        }
    } else { /* hints */
        if (!*name || s_has_ctl(name, false) || s_has_ctl(value, true)) {
            s_err(why, whylen, "must map language names to text (got \"%s\")", sname);
            return -1;
        }
    }
    if (!acc->names) {
        acc->names = s_calloc(CW_CFG_LIST_MAX, sizeof(char *));
        acc->values = s_calloc(CW_CFG_LIST_MAX, sizeof(char *));
    }
    /* a repeated name replaces the earlier one */
    for (size_t i = 0; i < acc->count; i++)
        if (strcasecmp(acc->names[i], name) == 0) {
            free(acc->values[i]);
            acc->values[i] = s_strdup(value);
            return 0;
        }
    acc->names[acc->count] = s_strdup(name);
    acc->values[acc->count] = s_strdup(value);
    acc->count++;
    return 0;
}

static void s_map_free(map_acc_t *acc)
{
    for (size_t i = 0; i < acc->count; i++) {
        free(acc->names[i]);
        free(acc->values[i]);
    }
    free(acc->names);
    free(acc->values);
    acc->names = acc->values = NULL;
    acc->count = 0;
}

static void s_map_commit(cw_config_t *c, const key_def_t *k, map_acc_t *acc)
{
    void *f = s_field(c, k);
    if (k->type == T_WEIGHTS) {
        memcpy(f, acc->weights, sizeof(acc->weights));
        return;
    }
    size_t *count = (size_t *)((char *)c + k->off2);
    if (k->type == T_HEADERS) {
        s_free_headers(*(cw_header_t **)f, *count);
        cw_header_t *h = s_calloc(acc->count, sizeof(*h));
        for (size_t i = 0; i < acc->count; i++) {
            h[i].name = acc->names[i];
            h[i].value = acc->values[i];
        }
        *(cw_header_t **)f = h;
    } else {
        s_free_hints(*(cw_lang_hint_t **)f, *count);
        cw_lang_hint_t *h = s_calloc(acc->count, sizeof(*h));
        for (size_t i = 0; i < acc->count; i++) {
            h[i].language = acc->names[i];
            h[i].hint = acc->values[i];
        }
        *(cw_lang_hint_t **)f = h;
    }
    *count = acc->count;
    free(acc->names);
    free(acc->values);
    acc->names = acc->values = NULL;
    acc->count = 0;
}

/* ------------------------------------------------------------------ YAML walking */

typedef struct {
    cw_config_priv_t *cfg;
    char *err;
    size_t errlen;
    env_file_t env;
} ctx_t;

static void s_where(char *out, size_t cap, const src_t *src, const yaml_node_t *node)
{
    if (src->file && node)
        snprintf(out, cap, "%s:%lu", src->file, (unsigned long)node->start_mark.line + 1);
    else if (src->file)
        snprintf(out, cap, "%s", src->file);
    else
        snprintf(out, cap, "%s", src->label ? src->label : "configuration");
}

static void s_fail(ctx_t *ctx, const src_t *src, const yaml_node_t *node, const char *key,
                   const char *why)
{
    char where[ORIGIN_MAX];
    s_where(where, sizeof(where), src, node);
    s_err(ctx->err, ctx->errlen, "%s: %s %s", where, key, why);
}

static bool s_is_null(const yaml_node_t *n)
{
    if (!n)
        return true;
    if (n->type != YAML_SCALAR_NODE)
        return false;
    const char *v = (const char *)n->data.scalar.value;
    if (n->data.scalar.length == 0)
        return true;
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    return strcmp(v, "~") == 0 || strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
           strcmp(v, "NULL") == 0;
}

/* scalar text, or NULL with why set (NUL bytes, too long) */
static const char *s_scalar(const yaml_node_t *n, char *why, size_t whylen)
{
    if (n->type != YAML_SCALAR_NODE) {
        s_err(why, whylen, "must be a single value, not a %s",
              n->type == YAML_SEQUENCE_NODE ? "list" : "mapping");
        return NULL;
    }
    const char *v = (const char *)n->data.scalar.value;
    if (strlen(v) != n->data.scalar.length) {
        s_err(why, whylen, "must not contain NUL characters");
        return NULL;
    }
    if (n->data.scalar.length > CW_CFG_VALUE_MAX) {
        s_err(why, whylen, "is longer than %d characters", CW_CFG_VALUE_MAX);
        return NULL;
    }
    return v;
}

static void s_set_origin(ctx_t *ctx, const key_def_t *k, const src_t *src, const yaml_node_t *node)
{
    s_where(ctx->cfg->origin[k - s_keys], ORIGIN_MAX, src, node);
}

/* Apply a YAML node to key k. */
static int s_apply_node(ctx_t *ctx, const key_def_t *k, yaml_document_t *doc, yaml_node_t *node,
                        const src_t *src)
{
    char why[512];
    cw_config_t *c = &ctx->cfg->pub;
    if (k->type == T_IGNORE)
        return 0;
    if (s_is_null(node))
        return 0; /* not set: keep the default */
    if (s_is_list_type(k->type)) {
        list_acc_t acc = {0};
        if (node->type == YAML_SCALAR_NODE) {
            /* a single value or a comma-separated list */
            const char *v = s_scalar(node, why, sizeof(why));
            if (!v) {
                s_fail(ctx, src, node, k->key, why);
                return -1;
            }
            if (k->flags & F_REGEX) {
                /* one pattern: a regular expression may hold commas */
                if (s_list_add(k, &acc, v, why, sizeof(why)) != 0) {
                    s_list_free(&acc);
                    s_fail(ctx, src, node, k->key, why);
                    return -1;
                }
                s_list_commit(c, k, &acc);
                s_list_free(&acc);
                s_set_origin(ctx, k, src, node);
                return 0;
            }
            char *copy = s_strdup(v), *save = NULL;
            for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                while (isspace((unsigned char)*tok))
                    tok++;
                char *end = tok + strlen(tok);
                while (end > tok && isspace((unsigned char)end[-1]))
                    *--end = '\0';
                if (*tok && s_list_add(k, &acc, tok, why, sizeof(why)) != 0) {
                    free(copy);
                    s_list_free(&acc);
                    s_fail(ctx, src, node, k->key, why);
                    return -1;
                }
            }
            free(copy);
        } else if (node->type == YAML_SEQUENCE_NODE) {
            for (yaml_node_item_t *it = node->data.sequence.items.start;
                 it < node->data.sequence.items.top; it++) {
                yaml_node_t *item = yaml_document_get_node(doc, *it);
                if (!item || s_is_null(item))
                    continue;
                const char *v = s_scalar(item, why, sizeof(why));
                if (!v || s_list_add(k, &acc, v, why, sizeof(why)) != 0) {
                    s_list_free(&acc);
                    s_fail(ctx, src, item, k->key, v ? why : "entries must be single values");
                    return -1;
                }
            }
        } else {
            s_fail(ctx, src, node, k->key, "must be a list");
            return -1;
        }
        s_list_commit(c, k, &acc);
        s_list_free(&acc);
        s_set_origin(ctx, k, src, node);
        return 0;
    }
    if (s_is_map_type(k->type)) {
        if (node->type != YAML_MAPPING_NODE) {
            s_fail(ctx, src, node, k->key,
                   k->type == T_WEIGHTS ? "must be a mapping of doc type to weight"
                                        : "must be a mapping");
            return -1;
        }
        map_acc_t acc;
        memset(&acc, 0, sizeof(acc));
        for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
             p++) {
            yaml_node_t *kn = yaml_document_get_node(doc, p->key);
            yaml_node_t *vn = yaml_document_get_node(doc, p->value);
            if (!kn || !vn)
                continue;
            const char *name = s_scalar(kn, why, sizeof(why));
            const char *value = name ? (s_is_null(vn) ? "" : s_scalar(vn, why, sizeof(why))) : NULL;
            if (!name || !value || s_map_add(k, &acc, name, value, why, sizeof(why)) != 0) {
                s_map_free(&acc);
                s_fail(ctx, src, name ? vn : kn, k->key, why);
                return -1;
            }
        }
        s_map_commit(c, k, &acc);
        s_set_origin(ctx, k, src, node);
        return 0;
    }
    const char *v = s_scalar(node, why, sizeof(why));
    if (!v || (*v && s_set_scalar(c, k, v, &ctx->env, why, sizeof(why)) != 0)) {
        s_fail(ctx, src, node, k->key, why);
        return -1;
    }
    if (*v)
        s_set_origin(ctx, k, src, node);
    return 0;
}

static void s_warn_unknown(const src_t *src, const yaml_node_t *node, const char *key)
{
    char where[ORIGIN_MAX];
    s_where(where, sizeof(where), src, node);
    cw_warn("config_unknown_key", CW_LS("where", where), CW_LS("key", key), CW_LEND);
}

static int s_walk_mapping(ctx_t *ctx, yaml_document_t *doc, yaml_node_t *map, const char *prefix,
                          const src_t *src, bool prompts, int depth)
{
    char why[256];
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *kn = yaml_document_get_node(doc, p->key);
        yaml_node_t *vn = yaml_document_get_node(doc, p->value);
        if (!kn || !vn)
            continue;
        const char *name = s_scalar(kn, why, sizeof(why));
        if (!name) {
            s_fail(ctx, src, kn, "key", "must be a plain name");
            return -1;
        }
        char full[256];
        if (snprintf(full, sizeof(full), "%s%s%s", prefix, *prefix ? "." : "", name) >=
            (int)sizeof(full)) {
            s_warn_unknown(src, kn, "(over-long key)");
            continue;
        }
        const key_def_t *k = s_key_find(full);
        if (k && (((k->flags & F_PROMPTS) != 0) != prompts))
            k = NULL;
        if (k) {
            if (s_apply_node(ctx, k, doc, vn, src) != 0)
                return -1;
        } else if (!prompts && depth < 4 && s_is_section(full)) {
            if (s_is_null(vn))
                continue;
            if (vn->type != YAML_MAPPING_NODE) {
                s_fail(ctx, src, vn, full, "must be a mapping of settings");
                return -1;
            }
            if (s_walk_mapping(ctx, doc, vn, full, src, prompts, depth + 1) != 0)
                return -1;
        } else {
            s_warn_unknown(src, kn, prompts ? name : full);
        }
    }
    return 0;
}

/* Read a whole file (bounded). 1 = read, 0 = missing, -1 = error (err set). */
static int s_read_file(const char *path, const char *label, char **out, size_t *len, char *err,
                       size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        s_err(err, errlen, "%s: cannot read: %s", label, strerror(errno));
        return -1;
    }
    char *buf = malloc(CW_CFG_FILE_MAX + 1);
    if (!buf) {
        fclose(f);
        s_err(err, errlen, "%s: out of memory", label);
        return -1;
    }
    size_t n = fread(buf, 1, CW_CFG_FILE_MAX + 1, f);
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        s_err(err, errlen, "%s: cannot read", label);
        return -1;
    }
    if (n > CW_CFG_FILE_MAX) {
        free(buf);
        s_err(err, errlen, "%s: file is larger than %d bytes", label, CW_CFG_FILE_MAX);
        return -1;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 1;
}

/* Parse YAML text into doc. 0, or -1 with err. */
static int s_yaml_load(const char *text, size_t len, const char *label, yaml_document_t *doc,
                       char *err, size_t errlen)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        s_err(err, errlen, "%s: cannot initialise the YAML parser", label);
        return -1;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, doc)) {
        const char *problem = parser.problem ? parser.problem : "invalid YAML";
        unsigned long line = (unsigned long)parser.problem_mark.line + 1;
        if (parser.context)
            s_err(err, errlen, "%s:%lu: YAML syntax error: %s (%s, line %lu)", label, line, problem,
                  parser.context, (unsigned long)parser.context_mark.line + 1);
        else
            s_err(err, errlen, "%s:%lu: YAML syntax error: %s", label, line, problem);
        yaml_parser_delete(&parser);
        return -1;
    }
    /* a second document is not expected */
    yaml_document_t extra;
    if (yaml_document_get_root_node(doc)) {
        if (!yaml_parser_load(&parser, &extra)) {
            s_err(err, errlen, "%s:%lu: YAML syntax error: %s", label,
                  (unsigned long)parser.problem_mark.line + 1,
                  parser.problem ? parser.problem : "invalid YAML");
            yaml_document_delete(doc);
            yaml_parser_delete(&parser);
            return -1;
        }
        yaml_node_t *root2 = yaml_document_get_root_node(&extra);
        if (root2) {
            s_err(err, errlen, "%s:%lu: only one YAML document is allowed", label,
                  (unsigned long)root2->start_mark.line + 1);
            yaml_document_delete(&extra);
            yaml_document_delete(doc);
            yaml_parser_delete(&parser);
            return -1;
        }
        yaml_document_delete(&extra);
    }
    yaml_parser_delete(&parser);
    return 0;
}

/* Open dir/name as a YAML document. 1 = loaded, 0 = missing or empty, -1 = error. */
static int s_yaml_file(ctx_t *ctx, const char *dir, const char *name, yaml_document_t *doc)
{
    char path[CW_CFG_PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    char *text = NULL;
    size_t len = 0;
    int rc = s_read_file(path, name, &text, &len, ctx->err, ctx->errlen);
    if (rc <= 0)
        return rc;
    rc = s_yaml_load(text, len, name, doc, ctx->err, ctx->errlen);
    free(text);
    if (rc != 0)
        return -1;
    yaml_node_t *root = yaml_document_get_root_node(doc);
    if (!root || s_is_null(root)) {
        yaml_document_delete(doc);
        return 0;
    }
    if (root->type != YAML_MAPPING_NODE) {
        s_err(ctx->err, ctx->errlen, "%s:%lu: expected a mapping of settings at the top level",
              name, (unsigned long)root->start_mark.line + 1);
        yaml_document_delete(doc);
        return -1;
    }
    return 1;
}

static int s_load_settings_file(ctx_t *ctx, const char *dir, const char *name, bool prompts)
{
    yaml_document_t doc;
    int rc = s_yaml_file(ctx, dir, name, &doc);
    if (rc <= 0)
        return rc;
    src_t src = {name, NULL, &ctx->env};
    rc = s_walk_mapping(ctx, &doc, yaml_document_get_root_node(&doc), prompts ? "prompts" : "",
                        &src, prompts, 0);
    yaml_document_delete(&doc);
    return rc;
}

/* ------------------------------------------------------------------ repositories */

static void s_repo_free(cw_repo_t *r)
{
    free(r->name);
    free(r->path);
}

/* append or replace (same name) a repo; takes ownership of name and path */
static void s_repo_put(cw_config_priv_t *p, char *name, char *path, int weight, bool enabled,
                       const char *origin)
{
    cw_config_t *c = &p->pub;
    for (size_t i = 0; i < c->repo_count; i++)
        if (strcmp(c->repos[i].name, name) == 0) {
            s_repo_free(&c->repos[i]);
            free(p->repo_origin[i]);
            c->repos[i] = (cw_repo_t){name, path, weight, enabled};
            p->repo_origin[i] = s_strdup(origin);
            return;
        }
    cw_repo_t *repos = realloc(c->repos, (c->repo_count + 1) * sizeof(*repos));
    char **origins = repos ? realloc(p->repo_origin, (c->repo_count + 1) * sizeof(char *)) : NULL;
    if (!repos || !origins) {
        fprintf(stderr, "codeworm: out of memory\n");
        abort();
    }
    c->repos = repos;
    p->repo_origin = origins;
    c->repos[c->repo_count] = (cw_repo_t){name, path, weight, enabled};
    p->repo_origin[c->repo_count] = s_strdup(origin);
    c->repo_count++;
}

static int s_load_repos(ctx_t *ctx, const char *dir)
{
    const char *file = "repos.yaml";
    yaml_document_t doc;
    int rc = s_yaml_file(ctx, dir, file, &doc);
    if (rc <= 0)
        return rc;
    src_t src = {file, NULL, &ctx->env};
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    char why[512];
    rc = 0;
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
         rc == 0 && p < root->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = yaml_document_get_node(&doc, p->key);
        yaml_node_t *vn = yaml_document_get_node(&doc, p->value);
        if (!kn || !vn)
            continue;
        const char *name = s_scalar(kn, why, sizeof(why));
        if (!name || strcmp(name, "repositories") != 0) {
            s_warn_unknown(&src, kn, name ? name : "(non-scalar key)");
            continue;
        }
        if (s_is_null(vn))
            continue;
        if (vn->type != YAML_SEQUENCE_NODE) {
            s_fail(ctx, &src, vn, "repositories", "must be a list of repositories");
            rc = -1;
            break;
        }
        int index = 0;
        for (yaml_node_item_t *it = vn->data.sequence.items.start;
             rc == 0 && it < vn->data.sequence.items.top; it++, index++) {
            yaml_node_t *item = yaml_document_get_node(&doc, *it);
            char label[64];
            snprintf(label, sizeof(label), "repositories[%d]", index);
            if (!item || item->type != YAML_MAPPING_NODE) {
                s_fail(ctx, &src, item, label, "must be a mapping with name and path");
                rc = -1;
                break;
            }
            if (ctx->cfg->pub.repo_count >= CW_CFG_REPO_MAX) {
                s_fail(ctx, &src, item, "repositories", "has too many entries");
                rc = -1;
                break;
            }
            const char *rname = NULL, *rpath = NULL;
            long long weight = 5;
            bool enabled = true;
            for (yaml_node_pair_t *q = item->data.mapping.pairs.start;
                 q < item->data.mapping.pairs.top; q++) {
                yaml_node_t *k2 = yaml_document_get_node(&doc, q->key);
                yaml_node_t *v2 = yaml_document_get_node(&doc, q->value);
                if (!k2 || !v2)
                    continue;
                const char *field = s_scalar(k2, why, sizeof(why));
                if (!field) {
                    s_fail(ctx, &src, k2, label, "keys must be plain names");
                    rc = -1;
                    break;
                }
                char fl[128];
                snprintf(fl, sizeof(fl), "%s.%s", label, field);
                bool known = strcmp(field, "name") == 0 || strcmp(field, "path") == 0 ||
                             strcmp(field, "weight") == 0 || strcmp(field, "enabled") == 0;
                if (!known) {
                    s_warn_unknown(&src, k2, fl);
                    continue;
                }
                if (s_is_null(v2))
                    continue;
                const char *v = s_scalar(v2, why, sizeof(why));
                char shown[80];
                if (!v) {
                    s_fail(ctx, &src, v2, fl, why);
                    rc = -1;
                    break;
                }
                s_show(shown, sizeof(shown), v);
                if (strcmp(field, "name") == 0) {
                    if (s_has_ctl(v, false) || strlen(v) > 200) {
                        s_err(why, sizeof(why), "must be a short single-line name (got \"%s\")",
                              shown);
                        s_fail(ctx, &src, v2, fl, why);
                        rc = -1;
                        break;
                    }
                    rname = v;
                } else if (strcmp(field, "path") == 0) {
                    if (s_has_ctl(v, false)) {
                        s_fail(ctx, &src, v2, fl, "must be a path on one line");
                        rc = -1;
                        break;
                    }
                    rpath = v;
                } else if (strcmp(field, "weight") == 0) {
                    if (!s_parse_int(v, &weight) || weight < 1 || weight > 10) {
                        s_err(why, sizeof(why), "must be an integer between 1 and 10 (got \"%s\")",
                              shown);
                        s_fail(ctx, &src, v2, fl, why);
                        rc = -1;
                        break;
                    }
                } else if (!s_parse_bool(v, &enabled)) {
                    s_err(why, sizeof(why), "must be true or false (got \"%s\")", shown);
                    s_fail(ctx, &src, v2, fl, why);
                    rc = -1;
                    break;
                }
            }
            if (rc != 0)
                break;
            if (!rname || !rpath) {
                s_fail(ctx, &src, item, label, !rname ? "needs a name" : "needs a path");
                rc = -1;
                break;
            }
            if (!enabled)
                continue; /* dropped at load time, like the reference */
            for (size_t i = 0; i < ctx->cfg->pub.repo_count; i++)
                if (strcmp(ctx->cfg->pub.repos[i].name, rname) == 0) {
                    char shown[80];
                    s_show(shown, sizeof(shown), rname);
                    s_err(why, sizeof(why), "repeats the repository name '%s'", shown);
                    s_fail(ctx, &src, item, label, why);
                    rc = -1;
                    break;
                }
            if (rc != 0)
                break;
            char *path = s_expand(rpath, &ctx->env);
            if (!path || strlen(path) >= CW_CFG_PATH_MAX) {
                free(path);
                s_fail(ctx, &src, item, label, "has a path that is too long");
                rc = -1;
                break;
            }
            char origin[ORIGIN_MAX];
            s_where(origin, sizeof(origin), &src, item);
            s_repo_put(ctx->cfg, s_strdup(rname), path, (int)weight, true, origin);
        }
    }
    yaml_document_delete(&doc);
    return rc;
}

/* ------------------------------------------------------------------ .env files */

static void s_env_free(env_file_t *env)
{
    for (size_t i = 0; i < env->count; i++) {
        free(env->items[i].name);
        free(env->items[i].value);
    }
    free(env->items);
    env->items = NULL;
    env->count = 0;
}

/* Read KEY=VALUE lines; entries already present (from an earlier file) win. */
static int s_env_read(env_file_t *env, const char *path, char *err, size_t errlen)
{
    char *text = NULL;
    size_t len = 0;
    int rc = s_read_file(path, path, &text, &len, err, errlen);
    if (rc <= 0)
        return rc;
    int lineno = 0;
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        lineno++;
        char *p = line;
        size_t ll = strlen(p);
        if (ll && p[ll - 1] == '\r')
            p[--ll] = '\0';
        while (isspace((unsigned char)*p))
            p++;
        if (*p && *p != '#') {
            if (strncmp(p, "export ", 7) == 0)
                p += 7;
            while (isspace((unsigned char)*p))
                p++;
            char *eq = strchr(p, '=');
            char *name_end = eq;
            while (name_end && name_end > p && isspace((unsigned char)name_end[-1]))
                name_end--;
            bool ok = eq && name_end > p;
            for (char *q = p; ok && q < name_end; q++)
                if (!isalnum((unsigned char)*q) && *q != '_')
                    ok = false;
            if (!ok) {
                char where[ORIGIN_MAX + 16];
                snprintf(where, sizeof(where), "%.*s:%d", ORIGIN_MAX - 8, path, lineno);
                cw_warn("config_env_file_bad_line", CW_LS("where", where), CW_LEND);
            } else {
                *name_end = '\0';
                char *v = eq + 1;
                while (*v == ' ' || *v == '\t')
                    v++;
                char *value;
                if (*v == '"' || *v == '\'') {
                    char q = *v++;
                    value = v;
                    char *w = v;
                    for (; *v && *v != q; v++) {
                        if (q == '"' && *v == '\\' && v[1]) {
                            v++;
                            *w++ = *v == 'n' ? '\n' : *v == 't' ? '\t' : *v;
                        } else
                            *w++ = *v;
                    }
                    *w = '\0';
                } else {
                    value = v;
                    char *hash = v;
                    while ((hash = strchr(hash, '#')) != NULL) {
                        if (hash > value && isspace((unsigned char)hash[-1])) {
                            *hash = '\0';
                            break;
                        }
                        hash++;
                    }
                    char *end = value + strlen(value);
                    while (end > value && isspace((unsigned char)end[-1]))
                        *--end = '\0';
                }
                bool seen = false;
                for (size_t i = 0; i < env->count; i++)
                    if (strcmp(env->items[i].name, p) == 0)
                        seen = true;
                if (!seen && env->count < CW_CFG_ENVFILE_MAX) {
                    env_entry_t *items =
                        realloc(env->items, (env->count + 1) * sizeof(env_entry_t));
                    if (!items) {
                        free(text);
                        s_err(err, errlen, "%s: out of memory", path);
                        return -1;
                    }
                    env->items = items;
                    env_entry_t *e = &env->items[env->count++];
                    e->name = s_strdup(p);
                    e->value = s_strdup(value);
                    snprintf(e->label, sizeof(e->label), "%.*s:%d", ORIGIN_MAX - 16, path, lineno);
                }
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    free(text);
    return 1;
}

/* ------------------------------------------------------------------ environment overrides */

static void s_env_name(const char *key, char *out, size_t cap)
{
    size_t n = snprintf(out, cap, "CODEWORM_");
    for (const char *p = key; *p && n + 3 < cap; p++) {
        if (*p == '.') {
            out[n++] = '_';
            out[n++] = '_';
        } else
            out[n++] = (char)toupper((unsigned char)*p);
    }
    out[n] = '\0';
}

/* Apply a value given as text (environment, command line) to key k. */
static int s_apply_text(ctx_t *ctx, const key_def_t *k, const char *value, const src_t *src)
{
    char why[512];
    cw_config_t *c = &ctx->cfg->pub;
    if (k->type == T_IGNORE)
        return 0;
    if (strlen(value) > CW_CFG_VALUE_MAX) {
        s_fail(ctx, src, NULL, k->key, "is too long");
        return -1;
    }
    const char *v = value;
    while (isspace((unsigned char)*v))
        v++;
    if (!*v)
        return 0; /* empty = not set */
    if (s_is_list_type(k->type) || s_is_map_type(k->type)) {
        /* a regular expression may start with '[': a list of patterns is given with
           quoted entries (["a", "b"]) */
        bool flow = *v == '[' || *v == '{';
        if ((k->flags & F_REGEX) && !(v[0] == '[' && (v[1] == '"' || v[1] == '\'')))
            flow = false;
        if (flow) {
            /* JSON / YAML flow syntax */
            yaml_document_t doc;
            char perr[512];
            if (s_yaml_load(v, strlen(v), "value", &doc, perr, sizeof(perr)) != 0) {
                s_fail(ctx, src, NULL, k->key, "is not a valid [list] or {mapping}");
                return -1;
            }
            src_t sub = {NULL, src->label, src->env};
            yaml_node_t *root = yaml_document_get_root_node(&doc);
            int rc = root ? s_apply_node(ctx, k, &doc, root, &sub) : 0;
            yaml_document_delete(&doc);
            return rc;
        }
        if (s_is_list_type(k->type) && (k->flags & F_REGEX)) {
            /* one pattern (JSON/YAML [list] syntax above for several) */
            list_acc_t acc = {0};
            if (s_list_add(k, &acc, v, why, sizeof(why)) != 0) {
                s_list_free(&acc);
                s_fail(ctx, src, NULL, k->key, why);
                return -1;
            }
            s_list_commit(c, k, &acc);
            s_list_free(&acc);
        } else if (s_is_list_type(k->type)) {
            list_acc_t acc = {0};
            char *copy = s_strdup(v), *save = NULL;
            for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                while (isspace((unsigned char)*tok))
                    tok++;
                char *end = tok + strlen(tok);
                while (end > tok && isspace((unsigned char)end[-1]))
                    *--end = '\0';
                if (*tok && s_list_add(k, &acc, tok, why, sizeof(why)) != 0) {
                    free(copy);
                    s_list_free(&acc);
                    s_fail(ctx, src, NULL, k->key, why);
                    return -1;
                }
            }
            free(copy);
            s_list_commit(c, k, &acc);
            s_list_free(&acc);
        } else {
            /* name=value,name=value (or name: value) */
            map_acc_t acc;
            memset(&acc, 0, sizeof(acc));
            char *copy = s_strdup(v), *save = NULL;
            for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                char *sep = strpbrk(tok, "=:");
                while (isspace((unsigned char)*tok))
                    tok++;
                if (!*tok)
                    continue;
                if (!sep) {
                    free(copy);
                    s_map_free(&acc);
                    s_fail(ctx, src, NULL, k->key, "must be name=value pairs separated by commas");
                    return -1;
                }
                *sep = '\0';
                char *val = sep + 1;
                char *end = sep;
                while (end > tok && isspace((unsigned char)end[-1]))
                    *--end = '\0';
                while (isspace((unsigned char)*val))
                    val++;
                end = val + strlen(val);
                while (end > val && isspace((unsigned char)end[-1]))
                    *--end = '\0';
                if (s_map_add(k, &acc, tok, val, why, sizeof(why)) != 0) {
                    free(copy);
                    s_map_free(&acc);
                    s_fail(ctx, src, NULL, k->key, why);
                    return -1;
                }
            }
            free(copy);
            s_map_commit(c, k, &acc);
        }
    } else if (s_set_scalar(c, k, k->type == T_TEXT ? value : v, src->env, why, sizeof(why)) != 0) {
        s_fail(ctx, src, NULL, k->key, why);
        return -1;
    }
    s_where(ctx->cfg->origin[k - s_keys], ORIGIN_MAX, src, NULL);
    return 0;
}

static bool s_env_known(const char *name)
{
    static const char *others[] = {"CODEWORM_CONFIG_DIR", "CODEWORM_CONFIG", NULL};
    for (size_t i = 0; others[i]; i++)
        if (strcmp(name, others[i]) == 0)
            return true;
    for (size_t i = 0; i < NKEYS; i++) {
        char envname[160];
        s_env_name(s_keys[i].key, envname, sizeof(envname));
        size_t n = strlen(envname);
        if (strcmp(name, envname) == 0 ||
            (s_keys[i].type == T_IGNORE && strncmp(name, envname, n) == 0))
            return true;
    }
    return false;
}

static int s_apply_env(ctx_t *ctx)
{
    for (size_t i = 0; i < NKEYS; i++) {
        const key_def_t *k = &s_keys[i];
        if (k->type == T_IGNORE || (k->flags & F_PROMPTS))
            continue;
        char name[160];
        s_env_name(k->key, name, sizeof(name));
        const char *file_label = NULL;
        const char *v = s_env_lookup(&ctx->env, name, &file_label);
        if (!v)
            continue;
        char label[ORIGIN_MAX + 200];
        if (file_label)
            snprintf(label, sizeof(label), "%s: %s", file_label, name);
        else
            snprintf(label, sizeof(label), "%s", name);
        src_t src = {NULL, label, &ctx->env};
        if (s_apply_text(ctx, k, v, &src) != 0)
            return -1;
    }
    /* nested-looking CODEWORM_ variables that match no key are probably typos */
    for (char **e = environ; e && *e; e++) {
        if (strncmp(*e, "CODEWORM_", 9) != 0)
            continue;
        const char *eq = strchr(*e, '=');
        size_t n = eq ? (size_t)(eq - *e) : strlen(*e);
        char name[160];
        if (n >= sizeof(name))
            continue;
        memcpy(name, *e, n);
        name[n] = '\0';
        if (strstr(name, "__") && !s_env_known(name))
            cw_warn("config_unknown_env", CW_LS("variable", name), CW_LEND);
    }
    for (size_t i = 0; i < ctx->env.count; i++) {
        const char *name = ctx->env.items[i].name;
        if (strncmp(name, "CODEWORM_", 9) == 0 && strstr(name, "__") && !s_env_known(name))
            cw_warn("config_unknown_env", CW_LS("variable", name),
                    CW_LS("where", ctx->env.items[i].label), CW_LEND);
    }
    return 0;
}

/* ------------------------------------------------------------------ cross-field checks */

static const char *s_origin_of(const cw_config_priv_t *p, const char *key)
{
    const key_def_t *k = s_key_find(key);
    return (k && p->origin[k - s_keys][0]) ? p->origin[k - s_keys] : NULL;
}

/* bus.events_in / bus.events_out not set anywhere but bus.broker set to tcp://HOST:PORT:
   they follow the broker to HOST:PORT+1 and HOST:PORT+2 (the defaults' layout), so a
   process on another machine needs only bus.broker. */
static void s_derive_event_endpoints(cw_config_priv_t *p)
{
    cw_config_t *c = &p->pub;
    if (!s_origin_of(p, "bus.broker") || !c->bus.broker || strncmp(c->bus.broker, "tcp://", 6) != 0)
        return;
    const char *colon = strrchr(c->bus.broker, ':');
    if (!colon || colon < c->bus.broker + 6)
        return;
    char *end = NULL;
    long port = strtol(colon + 1, &end, 10);
    if (!end || *end || port < 1 || port > 65533)
        return;
    int hostlen = (int)(colon - c->bus.broker);
    const char *keys[2] = {"bus.events_in", "bus.events_out"};
    char **fields[2] = {&c->bus.events_in, &c->bus.events_out};
    for (int i = 0; i < 2; i++) {
        if (s_origin_of(p, keys[i]))
            continue;
        char ep[CW_CFG_PATH_MAX];
        snprintf(ep, sizeof(ep), "%.*s:%ld", hostlen, c->bus.broker, port + 1 + i);
        char *copy = s_strdup(ep);
        if (!copy)
            continue;
        free(*fields[i]);
        *fields[i] = copy;
    }
}

static int s_consistency(const cw_config_priv_t *p, char *err, size_t errlen)
{
    const cw_config_t *c = &p->pub;
    const char *o;
    if (c->schedule.min_commits_per_day > c->schedule.max_commits_per_day) {
        o = s_origin_of(p, "schedule.max_commits_per_day");
        if (!o)
            o = s_origin_of(p, "schedule.min_commits_per_day");
        s_err(err, errlen,
              "%s: schedule.min_commits_per_day (%d) must not be greater than "
              "schedule.max_commits_per_day (%d)",
              o ? o : "configuration", c->schedule.min_commits_per_day,
              c->schedule.max_commits_per_day);
        return -1;
    }
    if (c->analyzer.min_lines > c->analyzer.max_lines) {
        o = s_origin_of(p, "analyzer.max_lines");
        if (!o)
            o = s_origin_of(p, "analyzer.min_lines");
        s_err(err, errlen,
              "%s: analyzer.min_lines (%d) must not be greater than analyzer.max_lines (%d)",
              o ? o : "configuration", c->analyzer.min_lines, c->analyzer.max_lines);
        return -1;
    }
    double total = 0;
    for (int i = 0; i < CW_DOC_TYPE_COUNT; i++)
        total += c->documentation.type_weights[i];
    if (total <= 0) {
        o = s_origin_of(p, "documentation.type_weights");
        s_err(err, errlen,
              "%s: documentation.type_weights must give at least one doc type a "
              "weight above 0",
              o ? o : "configuration");
        return -1;
    }
    if (c->bus.curve.enabled && !*c->bus.curve.server_public_key) {
        o = s_origin_of(p, "bus.curve.enabled");
        s_err(err, errlen, "%s: bus.curve.enabled needs bus.curve.server_public_key",
              o ? o : "configuration");
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ public API */

static void s_bus_defaults(cw_config_priv_t *p);

cw_config_t *cw_config_new_defaults(void)
{
    cw_config_priv_t *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    cw_config_t *c = &p->pub;
    c->config_dir = s_strdup("config");
    c->debug = false;
    c->data_dir = s_strdup("data");
    c->devlog.repo_path = s_strdup("");
    c->devlog.remote = s_strdup("");
    c->devlog.branch = s_strdup("main");
    c->devlog.token = s_strdup("");
    c->devlog.author_name = s_strdup("CodeWorm");
    c->devlog.author_email = s_strdup("codeworm@localhost");
    c->devlog.ssh_key = s_strdup("");
    c->ollama.host = s_strdup("localhost");
    c->ollama.port = 11434;
    c->ollama.model = s_strdup("qwen2.5:7b");
    c->ollama.temperature = 0.3;
    c->ollama.num_ctx = 16384;
    c->ollama.num_predict = 4096;
    c->ollama.keep_alive = s_strdup("-1");
    c->ollama.stall_seconds = 60;
    c->llm.backend = s_strdup("ollama");
    c->openai.base_url = s_strdup("http://localhost:8080/v1");
    c->openai.model = s_strdup("");
    c->openai.api_key = s_strdup("");
    c->openai.temperature = 0.3;
    c->openai.max_tokens = 4096;
    c->schedule.enabled = true;
    c->schedule.min_commits_per_day = 12;
    c->schedule.max_commits_per_day = 18;
    c->schedule.timezone = s_strdup("America/Los_Angeles");
    static const int prefer[] = {9, 10, 11, 14, 15, 16, 20, 21, 22};
    static const int avoid[] = {3, 4, 5, 6, 7};
    memcpy(c->schedule.prefer_hours, prefer, sizeof(prefer));
    c->schedule.prefer_hours_count = 9;
    memcpy(c->schedule.avoid_hours, avoid, sizeof(avoid));
    c->schedule.avoid_hours_count = 5;
    c->schedule.weekend_reduction = 0.7;
    c->schedule.min_gap_minutes = 30;
    c->schedule.interval_seconds = 0.0;
    c->schedule.max_in_flight = 1;
    c->analyzer.min_complexity = 3;
    c->analyzer.max_lines = 150;
    c->analyzer.min_lines = 15;
    static const char *inc[] = {"**/*.py", "**/*.ts", "**/*.tsx", "**/*.js", "**/*.go", "**/*.rs"};
    static const char *exc[] = {
        "**/test_*.py",       "**/*_test.py", "**/*_test.go", "**/*.spec.ts",      "**/*.test.ts",
        "**/node_modules/**", "**/venv/**",   "**/.venv/**",  "**/__pycache__/**", "**/dist/**",
        "**/build/**",        "**/.git/**",   "**/vendor/**", "**/target/**"};
    size_t ninc = sizeof(inc) / sizeof(inc[0]), nexc = sizeof(exc) / sizeof(exc[0]);
    c->analyzer.include_patterns = s_calloc(ninc, sizeof(char *));
    for (size_t i = 0; i < ninc; i++)
        c->analyzer.include_patterns[i] = s_strdup(inc[i]);
    c->analyzer.include_count = ninc;
    c->analyzer.exclude_patterns = s_calloc(nexc, sizeof(char *));
    for (size_t i = 0; i < nexc; i++)
        c->analyzer.exclude_patterns[i] = s_strdup(exc[i]);
    c->analyzer.exclude_count = nexc;
    c->documentation.redocument_after_days = 90;
    for (int t = 0; t < CW_DOC_TYPE_COUNT; t++)
        c->documentation.type_weights[t] = cw_doctype(t)->default_weight;
    c->documentation.min_grounding = 0.8;
    c->redaction.patterns = NULL;
    c->redaction.pattern_count = 0;
    c->redaction.allow = NULL;
    c->redaction.allow_count = 0;
    c->dashboard.enabled = false;
    c->dashboard.host = s_strdup("127.0.0.1"); /* the reference: 0.0.0.0; see ARCHITECTURE.md */
    c->dashboard.port = 8420;
    c->telegram.enabled = false;
    c->telegram.bot_token = s_strdup("");
    c->telegram.chat_id = s_strdup("");
    c->telegram.alert_after_failures = 5;
    c->telegram.alert_on_push_failure = true;
    c->telegram.alert_on_git_wedge = true;
    c->telegram.api_base = s_strdup("https://api.telegram.org");
    c->webhook.url = s_strdup("");
    c->webhook.headers = NULL;
    c->webhook.header_count = 0;
    c->webhook.format = s_strdup("json");
    c->bus.broker = s_strdup(""); /* s_bus_defaults: ipc:// in <data_dir>/run */
    c->bus.events_in = s_strdup("");
    c->bus.events_out = s_strdup("tcp://127.0.0.1:5557");
    c->bus.allow_insecure = false;
    c->bus.curve.enabled = false;
    c->bus.curve.server_public_key = s_strdup("");
    c->bus.curve.server_secret_key = s_strdup("");
    c->bus.curve.client_public_key = s_strdup("");
    c->bus.curve.client_secret_key = s_strdup("");
    c->bus.curve.allowed_clients = NULL;
    c->bus.curve.allowed_count = 0;
    c->generator.instances = 1;
    s_bus_defaults(p);
    return c;
}

void cw_config_destroy(cw_config_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cw_config_priv_t *p = (cw_config_priv_t *)*self_p;
    cw_config_t *c = &p->pub;
    for (size_t i = 0; i < NKEYS; i++) {
        const key_def_t *k = &s_keys[i];
        void *f = s_field(c, k);
        size_t *count = (size_t *)((char *)c + k->off2);
        switch (k->type) {
        case T_BOOL:
        case T_INT:
        case T_DBL:
        case T_HOURS:
        case T_WEIGHTS:
        case T_IGNORE:
            break;
        case T_STRLIST:
        case T_Z85LIST:
            s_free_strlist(*(char ***)f, *count);
            break;
        case T_HEADERS:
            s_free_headers(*(cw_header_t **)f, *count);
            break;
        case T_HINTS:
            s_free_hints(*(cw_lang_hint_t **)f, *count);
            break;
        default:
            free(*(char **)f);
        }
    }
    for (size_t i = 0; i < c->repo_count; i++) {
        s_repo_free(&c->repos[i]);
        free(p->repo_origin[i]);
    }
    free(c->repos);
    free(p->repo_origin);
    free(c->config_dir);
    free(p);
    *self_p = NULL;
}

cw_config_t *cw_config_load(const char *dir_arg, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    bool explicit_dir = dir_arg && *dir_arg;
    char *dir = s_expand(explicit_dir ? dir_arg : "config", NULL);
    if (!dir || strlen(dir) >= CW_CFG_PATH_MAX) {
        free(dir);
        s_err(err, errlen, "config directory path is too long");
        return NULL;
    }
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            s_err(err, errlen, "config directory '%s' is not a directory", dir);
            free(dir);
            return NULL;
        }
    } else if (explicit_dir) {
        s_err(err, errlen, "config directory '%s' does not exist", dir);
        free(dir);
        return NULL;
    }
    cw_config_t *c = cw_config_new_defaults();
    if (!c) {
        free(dir);
        s_err(err, errlen, "out of memory");
        return NULL;
    }
    free(c->config_dir);
    c->config_dir = dir;
    ctx_t ctx = {(cw_config_priv_t *)c, err, errlen, {NULL, 0}};
    char path[CW_CFG_PATH_MAX + 16];
    snprintf(path, sizeof(path), "%s/.env", dir);
    int rc = s_env_read(&ctx.env, path, err, errlen);
    if (rc >= 0) {
        char cwd_env[] = ".env";
        char rdir[PATH_MAX], rcwd[PATH_MAX];
        bool same = realpath(dir, rdir) && getcwd(rcwd, sizeof(rcwd)) && strcmp(rdir, rcwd) == 0;
        if (!same)
            rc = s_env_read(&ctx.env, cwd_env, err, errlen);
    }
    if (rc >= 0)
        rc = s_load_settings_file(&ctx, dir, "config.yaml", false);
    if (rc >= 0)
        rc = s_load_settings_file(&ctx, dir, "prompts.yaml", true);
    if (rc >= 0)
        rc = s_load_repos(&ctx, dir);
    if (rc >= 0)
        rc = s_apply_env(&ctx);
    if (rc >= 0)
        s_bus_defaults(ctx.cfg);
    if (rc >= 0) /* a bus.broker on another host: the events go to that host too */
        s_derive_event_endpoints(ctx.cfg);
    if (rc >= 0)
        rc = s_consistency(ctx.cfg, err, errlen);
    s_env_free(&ctx.env);
    if (rc < 0) {
        cw_config_destroy(&c);
        return NULL;
    }
    return c;
}

int cw_config_set(cw_config_t *self, const char *key, const char *value, char *err, size_t errlen)
{
    if (!self || !key || !value) {
        s_err(err, errlen, "missing key or value");
        return -1;
    }
    const key_def_t *k = s_key_find(key);
    if (!k || k->type == T_IGNORE) {
        s_err(err, errlen, "unknown setting '%s'", key);
        return -1;
    }
    ctx_t ctx = {(cw_config_priv_t *)self, err, errlen, {NULL, 0}};
    src_t src = {NULL, "command line", NULL};
    int rc = s_apply_text(&ctx, k, value, &src);
    if (rc == 0) { /* the private endpoints follow data_dir unless set themselves */
        s_bus_defaults(ctx.cfg);
        s_derive_event_endpoints(ctx.cfg);
    }
    return rc;
}

int cw_config_add_repo(cw_config_t *self, const char *name, const char *path, char *err,
                       size_t errlen)
{
    if (!self || !name || !*name || !path || !*path) {
        s_err(err, errlen, "--repo needs a name and a path");
        return -1;
    }
    if (s_has_ctl(name, false) || strlen(name) > 200) {
        s_err(err, errlen, "repository name must be a short single-line name");
        return -1;
    }
    if (s_has_ctl(path, false)) {
        s_err(err, errlen, "repository '%s': path must be on one line", name);
        return -1;
    }
    cw_config_priv_t *p = (cw_config_priv_t *)self;
    if (self->repo_count >= CW_CFG_REPO_MAX) {
        s_err(err, errlen, "too many repositories");
        return -1;
    }
    char *e = cw_config_expand_path(path);
    if (!e || strlen(e) >= CW_CFG_PATH_MAX) {
        free(e);
        s_err(err, errlen, "repository '%s': path is too long", name);
        return -1;
    }
    s_repo_put(p, s_strdup(name), e, 5, true, "command line");
    return 0;
}

void cw_config_clear_repos(cw_config_t *self)
{
    if (!self)
        return;
    cw_config_priv_t *p = (cw_config_priv_t *)self;
    for (size_t i = 0; i < self->repo_count; i++) {
        s_repo_free(&self->repos[i]);
        free(p->repo_origin[i]);
    }
    free(self->repos);
    free(p->repo_origin);
    self->repos = NULL;
    p->repo_origin = NULL;
    self->repo_count = 0;
}

bool cw_config_repo_exists(const cw_repo_t *repo)
{
    struct stat st;
    return repo && repo->path && stat(repo->path, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *cw_config_repo_origin(const cw_config_t *self, size_t index)
{
    const cw_config_priv_t *p = (const cw_config_priv_t *)self;
    if (!self || index >= self->repo_count || !p->repo_origin || !p->repo_origin[index])
        return "repos.yaml";
    return p->repo_origin[index];
}

int cw_config_check(const cw_config_t *self, bool need_repos, char *err, size_t errlen)
{
    if (!self) {
        s_err(err, errlen, "no configuration");
        return -1;
    }
    const cw_config_priv_t *p = (const cw_config_priv_t *)self;
    if (s_consistency(p, err, errlen) != 0)
        return -1;
    if (!need_repos)
        return 0;
    if (self->repo_count == 0) {
        s_err(err, errlen, "No repositories configured");
        return -1;
    }
    /* A missing repository is skipped with a warning (it may be an unmounted disk that
       comes back); only when none is there is it an error. */
    size_t usable = 0;
    char first[600] = "";
    for (size_t i = 0; i < self->repo_count; i++) {
        const cw_repo_t *r = &self->repos[i];
        if (cw_config_repo_exists(r)) {
            usable++;
            continue;
        }
        const char *origin = cw_config_repo_origin(self, i);
        cw_warn("repository_missing", CW_LS("repo", r->name), CW_LS("path", r->path),
                CW_LS("where", origin),
                CW_LS("hint", "skipped: the path does not exist or is not a directory; the "
                              "other repositories are documented"),
                CW_LEND);
        if (!first[0])
            snprintf(first, sizeof(first),
                     "repository '%s' (%s): path %s does not exist or is not a directory", r->name,
                     origin, r->path);
    }
    if (usable == 0) {
        s_err(err, errlen,
              "No repositories configured that exist: %s%s. Fix the path in repos.yaml or "
              "use --repo NAME PATH",
              first, self->repo_count > 1 ? " (and every other one is missing too)" : "");
        return -1;
    }
    return cw_config_check_devlog(self, err, errlen);
}

int cw_config_check_devlog(const cw_config_t *self, char *err, size_t errlen)
{
    if (!self || !self->devlog.repo_path || !*self->devlog.repo_path) {
        s_err(err, errlen,
              "devlog.repo_path is not set (config.yaml, CODEWORM_DEVLOG__REPO_PATH or --devlog)");
        return -1;
    }
    return 0;
}

/* mkdir -p; the last folder gets `mode`, the ones above it 0755. */
static int s_mkdir_p(const char *dir, mode_t mode)
{
    char tmp[CW_CFG_PATH_MAX];
    if (snprintf(tmp, sizeof(tmp), "%s", dir) >= (int)sizeof(tmp))
        return -1;
    size_t n = strlen(tmp);
    while (n > 1 && tmp[n - 1] == '/')
        tmp[--n] = '\0';
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    }
    if (mkdir(tmp, mode) != 0 && errno != EEXIST)
        return -1;
    struct stat st;
    return (stat(tmp, &st) == 0 && S_ISDIR(st.st_mode)) ? 0 : -1;
}

int cw_config_data_path(const cw_config_t *self, const char *name, char *out, size_t outlen)
{
    if (!self || !name || !out || outlen == 0)
        return -1;
    const char *dir = self->data_dir && *self->data_dir ? self->data_dir : "data";
    if (s_mkdir_p(dir, 0700) != 0) /* data_dir: the user's alone (issue 10) */
        return -1;
    int n = snprintf(out, outlen, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= outlen)
        return -1;
    return 0;
}

/* ------------------------------------------------------------------ dump */

static void s_dump_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", out);
        else if (*p == '\t')
            fputs("\\t", out);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(out, "\\x%02x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

void cw_config_dump(const cw_config_t *self, FILE *out)
{
    if (!self || !out)
        return;
    fprintf(out, "# effective configuration (from %s); secrets shown as ***\n",
            self->config_dir ? self->config_dir : "defaults");
    char prev[128] = "";
    for (size_t i = 0; i < NKEYS; i++) {
        const key_def_t *k = &s_keys[i];
        if (k->type == T_IGNORE)
            continue;
        /* section headers for the parts that changed since the previous key */
        char sect[128];
        snprintf(sect, sizeof(sect), "%s", k->key);
        char *last = strrchr(sect, '.');
        const char *leaf = k->key;
        int depth = 0;
        if (last) {
            *last = '\0';
            leaf = k->key + (last - sect) + 1;
        }
        if (last && strcmp(sect, prev) != 0) {
            /* print each level of sect not shared with prev */
            char *parts[8];
            int np = 0;
            char tmp[128];
            snprintf(tmp, sizeof(tmp), "%s", sect);
            for (char *s = strtok(tmp, "."); s && np < 8; s = strtok(NULL, "."))
                parts[np++] = s;
            size_t shared = 0;
            char acc[128] = "";
            for (int j = 0; j < np; j++) {
                size_t l = strlen(acc);
                snprintf(acc + l, sizeof(acc) - l, "%s%s", j ? "." : "", parts[j]);
                size_t al = strlen(acc);
                if (strncmp(prev, acc, al) == 0 && (prev[al] == '\0' || prev[al] == '.'))
                    shared = (size_t)j + 1;
                else
                    fprintf(out, "%*s%s:\n", j * 2, "", parts[j]);
            }
            (void)shared;
        }
        if (last) {
            snprintf(prev, sizeof(prev), "%s", sect);
            for (const char *p = k->key; *p; p++)
                if (*p == '.')
                    depth++;
        } else
            prev[0] = '\0';
        fprintf(out, "%*s%s: ", depth * 2, "", leaf);
        const void *f = s_cfield(self, k);
        const size_t *count = (const size_t *)((const char *)self + k->off2);
        switch (k->type) {
        case T_BOOL:
            fprintf(out, "%s", *(const bool *)f ? "true" : "false");
            break;
        case T_INT:
            fprintf(out, "%d", *(const int *)f);
            break;
        case T_DBL:
            fprintf(out, "%g", *(const double *)f);
            break;
        case T_HOURS: {
            const int *h = f;
            int n = *(const int *)count;
            fputc('[', out);
            for (int j = 0; j < n && j < 24; j++)
                fprintf(out, "%s%d", j ? ", " : "", h[j]);
            fputc(']', out);
            break;
        }
        case T_STRLIST:
        case T_Z85LIST: {
            char *const *l = *(char **const *)f;
            fputc('[', out);
            for (size_t j = 0; j < *count; j++) {
                if (j)
                    fputs(", ", out);
                s_dump_str(out, l[j]);
            }
            fputc(']', out);
            break;
        }
        case T_WEIGHTS: {
            const double *w = f;
            fputc('{', out);
            for (int j = 0; j < CW_DOC_TYPE_COUNT; j++)
                fprintf(out, "%s%s: %g", j ? ", " : "", cw_doc_type_name(j), w[j]);
            fputc('}', out);
            break;
        }
        case T_HEADERS: {
            const cw_header_t *h = *(const cw_header_t *const *)f;
            fputc('{', out);
            for (size_t j = 0; j < *count; j++) {
                fputs(j ? ", " : "", out);
                s_dump_str(out, h[j].name);
                fputs(": \"***\"", out);
            }
            fputc('}', out);
            break;
        }
        case T_HINTS: {
            const cw_lang_hint_t *h = *(const cw_lang_hint_t *const *)f;
            fputc('{', out);
            for (size_t j = 0; j < *count; j++) {
                fputs(j ? ", " : "", out);
                s_dump_str(out, h[j].language);
                fputs(": ", out);
                s_dump_str(out, h[j].hint);
            }
            fputc('}', out);
            break;
        }
        case T_TEXT: {
            const char *s = *(const char *const *)f;
            if (s)
                s_dump_str(out, s);
            else
                fputs("null  # built-in default", out);
            break;
        }
        default: {
            const char *s = *(const char *const *)f;
            if ((k->flags & F_SECRET) && s && *s)
                fputs("\"***\"", out);
            else
                s_dump_str(out, s);
        }
        }
        fputc('\n', out);
    }
    fprintf(out, "repositories:%s\n", self->repo_count ? "" : " []");
    for (size_t i = 0; i < self->repo_count; i++) {
        fputs("  - name: ", out);
        s_dump_str(out, self->repos[i].name);
        fputs("\n    path: ", out);
        s_dump_str(out, self->repos[i].path);
        fprintf(out, "\n    weight: %d\n    enabled: %s\n", self->repos[i].weight,
                self->repos[i].enabled ? "true" : "false");
    }
}

/* ------------------------------------------------------------------ who may use the bus
   (issue 10) By default the request endpoint (bus.broker) and the event input
   (bus.events_in) are Unix sockets in <data_dir>/run, a folder only the user who runs the
   stack may enter, so only that user's processes can send work or publish events; the
   read-only event stream (bus.events_out) stays on loopback TCP for any subscriber. A
   broker that binds a non-loopback TCP address without CURVE refuses to start unless
   bus.allow_insecure is true. data_dir is 0700 and its files 0600. */

#define CW_BUS_RUN_DIR "run"
#define CW_IPC_PATH_MAX 107 /* sun_path holds 108 bytes with the NUL */

/* The default ipc:// endpoint `name` of a data_dir: <abs data_dir>/run/<name>, or, when
   that path is too long for a Unix socket, /tmp/codeworm-<uid>/<hash of data_dir>/<name>
   (the folder is checked to be the user's and private before a bind). malloc'd. */
static char *s_private_endpoint(const char *data_dir, const char *name)
{
    char abs[CW_CFG_PATH_MAX];
    if (data_dir[0] == '/')
        snprintf(abs, sizeof(abs), "%s", data_dir);
    else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof(cwd)))
            snprintf(cwd, sizeof(cwd), ".");
        const char *rel = strncmp(data_dir, "./", 2) == 0 ? data_dir + 2 : data_dir;
        if (strlen(cwd) + strlen(rel) + 2 > sizeof(abs))
            rel = "."; /* cannot happen with bounded paths; keeps the result a path */
        strcpy(abs, cwd);
        strcat(abs, "/");
        strcat(abs, rel);
    }
    size_t n = strlen(abs);
    while (n > 1 && abs[n - 1] == '/')
        abs[--n] = '\0';
    char path[CW_CFG_PATH_MAX + 64];
    int len = snprintf(path, sizeof(path), "%s/" CW_BUS_RUN_DIR "/%s", abs, name);
    if (len < 0 || len > CW_IPC_PATH_MAX) {
        uint64_t h = 1469598103934665603ULL;
        for (const char *c = abs; *c; c++)
            h = (h ^ (unsigned char)*c) * 1099511628211ULL;
        snprintf(path, sizeof(path), "/tmp/codeworm-%u/%016llx/%s", (unsigned)getuid(),
                 (unsigned long long)h, name);
    }
    size_t out_len = strlen(path) + 8;
    char *out = malloc(out_len);
    if (out)
        snprintf(out, out_len, "ipc://%s", path);
    return out;
}

static void s_bus_defaults(cw_config_priv_t *p)
{
    cw_config_t *c = &p->pub;
    const char *dir = c->data_dir && *c->data_dir ? c->data_dir : "data";
    if (!s_origin_of(p, "bus.broker") || !*c->bus.broker) {
        char *e = s_private_endpoint(dir, "broker.sock");
        if (e) {
            free(c->bus.broker);
            c->bus.broker = e;
        }
    }
    if (!s_origin_of(p, "bus.events_in") || !*c->bus.events_in) {
        char *e = s_private_endpoint(dir, "events.sock");
        if (e) {
            free(c->bus.events_in);
            c->bus.events_in = e;
        }
    }
}

bool cw_config_endpoint_is_private(const char *endpoint)
{
    if (!endpoint)
        return false;
    if (strncmp(endpoint, "ipc://", 6) == 0 || strncmp(endpoint, "inproc://", 9) == 0)
        return true;
    if (strncmp(endpoint, "tcp://", 6) != 0)
        return false;
    const char *host = endpoint + 6;
    const char *semi = strchr(host, ';'); /* tcp://source;destination: the destination */
    if (semi)
        host = semi + 1;
    char h[256];
    size_t hl;
    if (host[0] == '[') {
        const char *end = strchr(host, ']');
        if (!end)
            return false;
        hl = (size_t)(end - host - 1);
        host++;
    } else {
        const char *colon = strrchr(host, ':');
        hl = colon ? (size_t)(colon - host) : strlen(host);
    }
    if (hl == 0 || hl >= sizeof(h))
        return false;
    memcpy(h, host, hl);
    h[hl] = '\0';
    return strcmp(h, "localhost") == 0 || strcmp(h, "::1") == 0 || strncmp(h, "127.", 4) == 0 ||
           strcmp(h, "lo") == 0;
}

int cw_config_check_bus_exposure(const cw_config_t *self, char *err, size_t errlen)
{
    if (!self)
        return -1;
    if (self->bus.curve.enabled || self->bus.allow_insecure)
        return 0;
    const char *keys[] = {"bus.broker", "bus.events_in", "bus.events_out"};
    const char *eps[] = {self->bus.broker, self->bus.events_in, self->bus.events_out};
    for (int i = 0; i < 3; i++) {
        if (!eps[i] || !*eps[i] || cw_config_endpoint_is_private(eps[i]))
            continue;
        const cw_config_priv_t *p = (const cw_config_priv_t *)self;
        const char *o = s_origin_of(p, keys[i]);
        s_err(err, errlen,
              "%s: %s = %s would accept connections from other machines without CURVE: anyone "
              "who reaches it could send work or forge events. Bind a loopback or ipc:// "
              "address, turn on CURVE (bus.curve.enabled, see proto/README.md), or set "
              "bus.allow_insecure: true if the network itself is private (a compose network)",
              o ? o : "configuration", keys[i], eps[i]);
        return -1;
    }
    return 0;
}

/* The folder holding an ipc:// socket: created if missing (0700). `ours` (the default
   <data_dir>/run, the /tmp/codeworm-<uid> fallback): it must be the user's own and is made
   0700. Any other folder the configuration names (/tmp, /run/user/...) is left as it is:
   the socket file itself is then what keeps others out (created under umask 077). */
static int s_private_folder(const char *dir, bool ours, char *err, size_t errlen)
{
    if (s_mkdir_p(dir, 0700) != 0) {
        s_err(err, errlen, "cannot create the bus folder %s: %s", dir, strerror(errno));
        return -1;
    }
    struct stat st;
    if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        s_err(err, errlen, "the bus folder %s is not a folder", dir);
        return -1;
    }
    if (!ours)
        return 0;
    if (st.st_uid != geteuid()) {
        s_err(err, errlen,
              "the bus folder %s belongs to another user (uid %u): refusing to put the bus "
              "there; remove it or set bus.broker / bus.events_in",
              dir, (unsigned)st.st_uid);
        return -1;
    }
    if ((st.st_mode & 077) != 0 && chmod(dir, 0700) != 0) {
        s_err(err, errlen, "cannot make the bus folder %s private (chmod 0700): %s", dir,
              strerror(errno));
        return -1;
    }
    return 0;
}

int cw_config_prepare_ipc(const char *endpoint, char *err, size_t errlen)
{
    if (!endpoint || strncmp(endpoint, "ipc://", 6) != 0)
        return 0;
    const char *path = endpoint + 6;
    if (path[0] == '@') /* Linux abstract socket: no file, nothing to prepare */
        return 0;
    if (strlen(path) > CW_IPC_PATH_MAX) {
        s_err(err, errlen, "%s: a Unix socket path is at most %d bytes", endpoint, CW_IPC_PATH_MAX);
        return -1;
    }
    char dir[CW_CFG_PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        /* the per-user folder of a /tmp fallback is checked like the socket's own */
        if (strncmp(dir, "/tmp/codeworm-", 14) == 0) {
            char top[64];
            size_t tl = strcspn(dir + 5, "/") + 5;
            if (tl < sizeof(top)) {
                memcpy(top, dir, tl);
                top[tl] = '\0';
                if (s_private_folder(top, true, err, errlen) != 0)
                    return -1;
            }
        }
        /* CodeWorm's own folder: the default <data_dir>/run (a "run" folder that is not
           /run itself, holding broker.sock or events.sock) or the /tmp fallback */
        const char *base = strrchr(dir, '/');
        base = base ? base + 1 : dir;
        const char *file = slash + 1;
        bool ours = strncmp(dir, "/tmp/codeworm-", 14) == 0 ||
                    (strcmp(base, "run") == 0 && strcmp(dir, "/run") != 0 &&
                     (strcmp(file, "broker.sock") == 0 || strcmp(file, "events.sock") == 0));
        if (s_private_folder(dir, ours, err, errlen) != 0)
            return -1;
    }
    /* a socket file with a live listener: another broker (libzmq would silently take the
       path over and leave that one unreachable) */
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa;
        memset(&sa, 0, sizeof(sa));
        sa.sun_family = AF_UNIX;
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        bool live = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
        if (fd >= 0)
            close(fd);
        if (live) {
            s_err(err, errlen, "%s is in use: another broker is listening there", endpoint);
            return -1;
        }
    }
    return 0;
}

/* The entries of data_dir that CodeWorm makes (only these are tightened: data_dir may be a
   folder the user shares with other things). */
static bool s_codeworm_entry(const char *name)
{
    static const char *const prefixes[] = {"codeworm.db",  "cycles.db",       "analyzer-index.db",
                                           "analyzer-git", "supervisor.json", "run-once.log",
                                           "backfill.log"};
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
        if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    return strcmp(name, "run") == 0;
}

int cw_config_secure_data_dir(const cw_config_t *self, char *err, size_t errlen)
{
    if (!self)
        return -1;
    const char *dir = self->data_dir && *self->data_dir ? self->data_dir : "data";
    struct stat st;
    if (stat(dir, &st) != 0)
        return 0; /* made 0700 when first needed (cw_config_data_path) */
    if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid())
        return 0; /* not ours to change; the services will say what fails */
    char real[PATH_MAX];
    const char *home = getenv("HOME");
    char rhome[PATH_MAX];
    if (!realpath(dir, real) || strcmp(real, "/") == 0 || strcmp(real, "/tmp") == 0 ||
        strcmp(real, "/var/tmp") == 0 || strcmp(real, "/dev/shm") == 0 ||
        (home && realpath(home, rhome) && strcmp(real, rhome) == 0)) {
        cw_warn("data_dir_shared", CW_LS("data_dir", dir),
                CW_LS("hint", "data_dir is a shared folder: its permissions are left alone; "
                              "point data_dir at a folder of its own"),
                CW_LEND);
        return 0;
    }
    int tightened = 0;
    if ((st.st_mode & 077) != 0) {
        if (chmod(dir, 0700) != 0) {
            s_err(err, errlen, "cannot make data_dir %s private (chmod 0700): %s", dir,
                  strerror(errno));
            return -1;
        }
        tightened++;
    }
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !s_codeworm_entry(e->d_name))
            continue;
        char path[CW_CFG_PATH_MAX + 300];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        struct stat fs;
        if (lstat(path, &fs) != 0 || fs.st_uid != geteuid())
            continue;
        mode_t want = S_ISDIR(fs.st_mode) ? 0700 : 0600;
        if ((S_ISREG(fs.st_mode) || S_ISDIR(fs.st_mode)) && (fs.st_mode & 077) != 0 &&
            chmod(path, (fs.st_mode & 0700) | (want & 0700)) == 0)
            tightened++;
    }
    closedir(d);
    if (tightened)
        cw_warn("data_dir_tightened", CW_LS("data_dir", dir), CW_LI("entries", tightened),
                CW_LS("now", "folder 0700, CodeWorm's files 0600: readable by this user only"),
                CW_LEND);
    return 0;
}
