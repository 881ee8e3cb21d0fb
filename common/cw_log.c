/*  cw_log — JSON-lines logging on stderr, readable on a terminal. */
#include "cw_log.h"
#include "cw_buf.h"
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
    cw_value_t *root = cw_json_parse(line, len, perr, sizeof(perr));
    const char *level = cw_map_str(root, "level", NULL);
    const char *event = cw_map_str(root, "event", NULL);
    if (cw_value_kind(root) != CW_VAL_MAP || !level || !event) {
        cw_value_destroy(&root);
        return false;
    }
    memset(out, 0, sizeof(*out));
    out->level = CW_LOG_INFO;
    for (int i = 0; i < 4; i++)
        if (strcmp(level, s_level_names[i]) == 0)
            out->level = (cw_log_level_t)i;
    snprintf(out->timestamp, sizeof(out->timestamp), "%s", cw_map_str(root, "timestamp", ""));
    snprintf(out->service, sizeof(out->service), "%s", cw_map_str(root, "service", ""));
    snprintf(out->text, sizeof(out->text), "%s", event);
    size_t n = cw_value_size(root);
    for (size_t i = 0; i < n; i++) {
        const char *key = cw_map_key_at(root, i);
        if (!key || !strcmp(key, "timestamp") || !strcmp(key, "level") || !strcmp(key, "service") ||
            !strcmp(key, "event"))
            continue;
        const cw_value_t *v = cw_map_value_at(root, i);
        char value[512];
        switch (cw_value_kind(v)) {
        case CW_VAL_STR: {
            const char *str = cw_value_str(v);
            snprintf(value, sizeof(value), strchr(str, ' ') ? "\"%s\"" : "%s", str);
            break;
        }
        case CW_VAL_INT:
            snprintf(value, sizeof(value), "%lld", (long long)cw_value_int(v));
            break;
        case CW_VAL_FLOAT: {
            double d = cw_value_float(v);
            if (d == floor(d) && fabs(d) < 1e15)
                snprintf(value, sizeof(value), "%.0f", d);
            else
                snprintf(value, sizeof(value), "%.6g", d);
            break;
        }
        case CW_VAL_BOOL:
            snprintf(value, sizeof(value), "%s", cw_value_bool(v) ? "true" : "false");
            break;
        case CW_VAL_NIL:
            snprintf(value, sizeof(value), "null");
            break;
        default:
            snprintf(value, sizeof(value), "...");
        }
        s_append(out->text, sizeof(out->text), " %s=%s", key, value);
    }
    cw_value_destroy(&root);
    return true;
}

/* Room to keep free behind a field for closing the line ('}', NUL). */
#define S_CLOSE_ROOM 64

void cw_log_write(cw_log_level_t level, const char *event, ...)
{
    if (level < s_level)
        return;
    char ts[40];
    cw_log_timestamp(ts);

    /* the JSON line: at most CW_LOG_LINE_MAX bytes; a string that does not fit is cut, a
       field that does not fit is left out, and the line stays valid JSON */
    cw_buf_t json;
    cw_buf_init(&json, CW_LOG_LINE_MAX);
    cw_buf_reserve(&json, 512);
    char human[CW_LOG_LINE_MAX] = "";
    cw_buf_printf(&json, "{\"timestamp\":\"%s\",\"level\":\"%s\",\"service\":", ts,
                  s_level_names[level]);
    cw_json_put_str(&json, s_service);
    cw_buf_puts(&json, ",\"event\":");
    cw_json_put_str_cut(&json, event ? event : "", cw_buf_room(&json) / 2);
    s_append(human, sizeof(human), S_HUMAN_HEAD, ts, s_level_names[level], s_service,
             event ? event : "");

    va_list ap;
    va_start(ap, event);
    for (int tag = va_arg(ap, int); tag != CW_LOG_END_; tag = va_arg(ap, int)) {
        const char *key = va_arg(ap, const char *);
        if (cw_buf_room(&json) < 128)
            break; /* no room for another field: the line stays valid JSON */
        cw_buf_putc(&json, ',');
        cw_json_put_str_cut(&json, key ? key : "", 48);
        cw_buf_putc(&json, ':');
        s_append(human, sizeof(human), " %s=", key ? key : "");
        if (tag == CW_LOG_STR_) {
            const char *v = va_arg(ap, const char *);
            size_t room = cw_buf_room(&json);
            cw_json_put_str_cut(&json, v, room > S_CLOSE_ROOM ? room - S_CLOSE_ROOM : 0);
            if (v)
                s_append(human, sizeof(human), strchr(v, ' ') ? "\"%s\"" : "%s", v);
            else
                s_append(human, sizeof(human), "null");
        } else if (tag == CW_LOG_INT_) {
            long long v = va_arg(ap, long long);
            cw_json_put_int(&json, v);
            s_append(human, sizeof(human), "%lld", v);
        } else if (tag == CW_LOG_DBL_) {
            double v = va_arg(ap, double);
            cw_json_put_num_digits(&json, v, 6);
            s_append(human, sizeof(human), "%.6g", v);
        } else if (tag == CW_LOG_BOOL_) {
            int v = va_arg(ap, int);
            cw_json_put_bool(&json, v);
            s_append(human, sizeof(human), v ? "true" : "false");
        } else {
            cw_json_put_null(&json);
            break; /* unknown tag: stop reading arguments */
        }
    }
    va_end(ap);
    cw_buf_putc(&json, '}'); /* fields stop S_CLOSE_ROOM bytes short of the end: it fits */

    int as_json = s_format >= 0 ? s_format : !isatty(STDERR_FILENO);
    const char *line = json.failed ? NULL : cw_buf_str(&json);
    pthread_mutex_lock(&s_mutex);
    if (line || !as_json)
        fprintf(stderr, "%s\n", as_json ? line : human);
    fflush(stderr);
    if (s_hook && line)
        s_hook(level, line, s_hook_arg);
    pthread_mutex_unlock(&s_mutex);
    cw_buf_free(&json);
}
