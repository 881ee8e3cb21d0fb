/*  cw_log — JSON-lines logging on stderr, readable on a terminal. */
#include "cw_log.h"
#include "cw_json.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define CW_LOG_LINE_MAX 8192

static char s_service[64] = "codeworm";
static cw_log_level_t s_level = CW_LOG_INFO;
static int s_format = -1;
static cw_log_hook_fn *s_hook = NULL;
static void *s_hook_arg = NULL;
static pthread_mutex_t s_mutex = PTHREAD_MUTEX_INITIALIZER;

static const char *s_level_names[] = {"debug", "info", "warning", "error"};

void cw_log_init(const char *service)
{
    if (service) {
        strncpy(s_service, service, sizeof(s_service) - 1);
        s_service[sizeof(s_service) - 1] = '\0';
    }
}

void cw_log_set_level(cw_log_level_t level)
{
    s_level = level;
}

cw_log_level_t cw_log_level(void)
{
    return s_level;
}

void cw_log_set_format(int json)
{
    s_format = json;
}

void cw_log_set_hook(cw_log_hook_fn *hook, void *arg)
{
    pthread_mutex_lock(&s_mutex);
    s_hook = hook;
    s_hook_arg = arg;
    pthread_mutex_unlock(&s_mutex);
}

size_t cw_json_escape(char *out, size_t cap, const char *s)
{
    size_t len = strlen(out);
    size_t start = len;
    if (!s)
        s = "";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char buf[8];
        const char *piece = buf;
        switch (*p) {
        case '"':
            piece = "\\\"";
            break;
        case '\\':
            piece = "\\\\";
            break;
        case '\n':
            piece = "\\n";
            break;
        case '\r':
            piece = "\\r";
            break;
        case '\t':
            piece = "\\t";
            break;
        default:
            if (*p < 0x20)
                snprintf(buf, sizeof(buf), "\\u%04x", *p);
            else {
                buf[0] = (char)*p;
                buf[1] = '\0';
            }
        }
        size_t n = strlen(piece);
        if (len + n + 1 > cap)
            break;
        memcpy(out + len, piece, n + 1);
        len += n;
    }
    return len - start;
}

static void s_append(char *out, size_t cap, const char *fmt, ...)
{
    size_t len = strlen(out);
    if (len + 1 >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out + len, cap - len, fmt, ap);
    va_end(ap);
}

void cw_log_timestamp(char out[40])
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    size_t n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 40 - n, ".%03dZ", (int)((tv.tv_usec / 1000) % 1000));
}

/* The readable line's head: timestamp (to the second), level, service, event. */
#define S_HUMAN_HEAD "%.19s %-7s %-10s %s"

void cw_log_format_human(const cw_log_line_t *line, char *out, size_t cap)
{
    if (!out || cap == 0)
        return;
    out[0] = '\0';
    if (!line)
        return;
    int level = line->level >= CW_LOG_DEBUG && line->level <= CW_LOG_ERROR ? line->level : 1;
    snprintf(out, cap, S_HUMAN_HEAD, line->timestamp, s_level_names[level], line->service,
             line->text);
}

bool cw_log_parse_line(const char *line, size_t len, cw_log_line_t *out)
{
    if (!line || !out || len < 2 || line[0] != '{')
        return false;
    char perr[64];
    cw_json_t *root = cw_json_parse(line, len, perr, sizeof(perr));
    const char *level = cw_json_get_str(root, "level", NULL);
    const char *event = cw_json_get_str(root, "event", NULL);
    if (cw_json_kind(root) != CW_JSON_OBJECT || !level || !event) {
        cw_json_destroy(&root);
        return false;
    }
    memset(out, 0, sizeof(*out));
    out->level = CW_LOG_INFO;
    for (int i = 0; i < 4; i++)
        if (strcmp(level, s_level_names[i]) == 0)
            out->level = (cw_log_level_t)i;
    snprintf(out->timestamp, sizeof(out->timestamp), "%s", cw_json_get_str(root, "timestamp", ""));
    snprintf(out->service, sizeof(out->service), "%s", cw_json_get_str(root, "service", ""));
    snprintf(out->text, sizeof(out->text), "%s", event);
    size_t n = cw_json_size(root);
    for (size_t i = 0; i < n; i++) {
        const char *key = cw_json_key_at(root, i);
        if (!key || !strcmp(key, "timestamp") || !strcmp(key, "level") || !strcmp(key, "service") ||
            !strcmp(key, "event"))
            continue;
        const cw_json_t *v = cw_json_get(root, key);
        char value[512];
        switch (cw_json_kind(v)) {
        case CW_JSON_STRING: {
            const char *str = cw_json_str(v);
            snprintf(value, sizeof(value), strchr(str, ' ') ? "\"%s\"" : "%s", str);
            break;
        }
        case CW_JSON_NUMBER: {
            double d = cw_json_num(v);
            if (d == floor(d) && fabs(d) < 1e15)
                snprintf(value, sizeof(value), "%.0f", d);
            else
                snprintf(value, sizeof(value), "%.6g", d);
            break;
        }
        case CW_JSON_BOOL:
            snprintf(value, sizeof(value), "%s", cw_json_bool(v) ? "true" : "false");
            break;
        case CW_JSON_NULL:
            snprintf(value, sizeof(value), "null");
            break;
        default:
            snprintf(value, sizeof(value), "...");
        }
        s_append(out->text, sizeof(out->text), " %s=%s", key, value);
    }
    cw_json_destroy(&root);
    return true;
}

void cw_log_write(cw_log_level_t level, const char *event, ...)
{
    if (level < s_level)
        return;
    char ts[40];
    cw_log_timestamp(ts);

    char json[CW_LOG_LINE_MAX] = "";
    char human[CW_LOG_LINE_MAX] = "";
    s_append(json, sizeof(json), "{\"timestamp\":\"%s\",\"level\":\"%s\",\"service\":\"", ts,
             s_level_names[level]);
    cw_json_escape(json, sizeof(json), s_service);
    s_append(json, sizeof(json), "\",\"event\":\"");
    cw_json_escape(json, sizeof(json), event);
    s_append(json, sizeof(json), "\"");
    s_append(human, sizeof(human), S_HUMAN_HEAD, ts, s_level_names[level], s_service,
             event ? event : "");

    va_list ap;
    va_start(ap, event);
    for (int tag = va_arg(ap, int); tag != CW_LOG_END_; tag = va_arg(ap, int)) {
        const char *key = va_arg(ap, const char *);
        if (strlen(json) + 128 > sizeof(json))
            break; /* no room for another field: the line stays valid JSON */
        s_append(json, sizeof(json), ",\"");
        cw_json_escape(json, sizeof(json), key);
        s_append(json, sizeof(json), "\":");
        s_append(human, sizeof(human), " %s=", key ? key : "");
        if (tag == CW_LOG_STR_) {
            const char *v = va_arg(ap, const char *);
            if (v) {
                s_append(json, sizeof(json), "\"");
                cw_json_escape(json, sizeof(json) - 64, v); /* room left to close it */
                s_append(json, sizeof(json), "\"");
                s_append(human, sizeof(human), strchr(v, ' ') ? "\"%s\"" : "%s", v);
            } else {
                s_append(json, sizeof(json), "null");
                s_append(human, sizeof(human), "null");
            }
        } else if (tag == CW_LOG_INT_) {
            long long v = va_arg(ap, long long);
            s_append(json, sizeof(json), "%lld", v);
            s_append(human, sizeof(human), "%lld", v);
        } else if (tag == CW_LOG_DBL_) {
            double v = va_arg(ap, double);
            s_append(json, sizeof(json), "%.6g", v);
            s_append(human, sizeof(human), "%.6g", v);
        } else if (tag == CW_LOG_BOOL_) {
            int v = va_arg(ap, int);
            s_append(json, sizeof(json), v ? "true" : "false");
            s_append(human, sizeof(human), v ? "true" : "false");
        } else
            break; /* unknown tag: stop reading arguments */
    }
    va_end(ap);
    size_t jl = strlen(json); /* fields stop 64+ bytes short of the end: '}' fits */
    json[jl] = '}';
    json[jl + 1] = '\0';

    int as_json = s_format >= 0 ? s_format : !isatty(STDERR_FILENO);
    pthread_mutex_lock(&s_mutex);
    fprintf(stderr, "%s\n", as_json ? json : human);
    fflush(stderr);
    if (s_hook)
        s_hook(level, json, s_hook_arg);
    pthread_mutex_unlock(&s_mutex);
}
