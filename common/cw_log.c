/*  cw_log — JSON-lines logging on stderr, readable on a terminal. */
#include "cw_log.h"
#include "cw_buf.h"
#include "cw_json.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
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

/* The line of one event; `ap` holds its fields (CW_LS ... CW_LEND). */
static void s_vwrite(cw_log_level_t level, const char *event, va_list ap)
{
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

static void s_write(cw_log_level_t level, const char *event, ...)
{
    va_list ap;
    va_start(ap, event);
    s_vwrite(level, event, ap);
    va_end(ap);
}

/* ------------------------------------------------------------------ rate-limited lines */

typedef struct {
    char event[64];
    cw_log_level_t level;
    double tokens;
    int64_t refilled; /* clock of the last refill */
    int64_t used;     /* clock of the last line asked for (for forgetting the oldest) */
    long long suppressed;
} s_bucket_t;

static pthread_mutex_t s_limit_mutex = PTHREAD_MUTEX_INITIALIZER;
static s_bucket_t s_buckets[CW_LOG_LIMIT_EVENTS];
static size_t s_bucket_count;
static atomic_llong s_pending; /* buckets with a count not summed up yet */
static int s_burst = CW_LOG_LIMIT_BURST;
static double s_rate = CW_LOG_LIMIT_PER_S;
static int64_t (*s_clock)(void);

static int64_t s_now_ms(void)
{
    if (s_clock)
        return s_clock();
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void s_refill(s_bucket_t *b, int64_t now)
{
    if (now > b->refilled) {
        b->tokens += (double)(now - b->refilled) * s_rate / 1000.0;
        if (b->tokens > s_burst)
            b->tokens = s_burst;
    }
    b->refilled = now;
}

/* A summary to write once the lock is released. */
typedef struct {
    char event[64];
    cw_log_level_t level;
    long long count;
} s_summary_t;

/* Counts of buckets that may write again, taken for summing up: at most `max`, the number
   in *n. Called with s_limit_mutex held. */
static void s_take_summaries(int64_t now, s_summary_t *out, size_t max, size_t *n)
{
    for (size_t i = 0; s_pending > 0 && i < s_bucket_count && *n < max; i++) {
        s_bucket_t *b = &s_buckets[i];
        if (b->suppressed == 0)
            continue;
        s_refill(b, now);
        if (b->tokens < 1)
            continue;
        memcpy(out[*n].event, b->event, sizeof out[*n].event);
        out[*n].level = b->level;
        out[*n].count = b->suppressed;
        (*n)++;
        b->suppressed = 0;
        s_pending--;
    }
}

static void s_write_summaries(const s_summary_t *sums, size_t n)
{
    for (size_t i = 0; i < n; i++)
        s_write(sums[i].level, "log_suppressed", CW_LS("suppressed_event", sums[i].event),
                CW_LI("suppressed", sums[i].count), CW_LEND);
}

/* Sum up the counts of events that may write again (before any line). */
static void s_flush_ready(void)
{
    if (atomic_load(&s_pending) == 0)
        return;
    s_summary_t sums[8];
    size_t n = 0;
    pthread_mutex_lock(&s_limit_mutex);
    s_take_summaries(s_now_ms(), sums, 8, &n);
    pthread_mutex_unlock(&s_limit_mutex);
    s_write_summaries(sums, n);
}

/* true when `event` may write a line now; else it is counted. */
static bool s_limit_take(cw_log_level_t level, const char *event)
{
    int64_t now = s_now_ms();
    s_summary_t evicted = {{0}, 0, 0};
    bool ok;
    pthread_mutex_lock(&s_limit_mutex);
    s_bucket_t *b = NULL;
    for (size_t i = 0; i < s_bucket_count && !b; i++)
        if (strncmp(s_buckets[i].event, event, sizeof s_buckets[i].event - 1) == 0)
            b = &s_buckets[i];
    if (!b) {
        if (s_bucket_count < CW_LOG_LIMIT_EVENTS)
            b = &s_buckets[s_bucket_count++];
        else { /* forget the least recently used name, summing up its count */
            b = &s_buckets[0];
            for (size_t i = 1; i < s_bucket_count; i++)
                if (s_buckets[i].used < b->used)
                    b = &s_buckets[i];
            if (b->suppressed > 0) {
                memcpy(evicted.event, b->event, sizeof evicted.event);
                evicted.level = b->level;
                evicted.count = b->suppressed;
                s_pending--;
            }
        }
        memset(b, 0, sizeof *b);
        snprintf(b->event, sizeof b->event, "%s", event);
        b->tokens = s_burst;
        b->refilled = now;
    }
    b->level = level;
    b->used = now;
    s_refill(b, now);
    ok = b->tokens >= 1;
    if (ok)
        b->tokens -= 1;
    else if (b->suppressed++ == 0)
        s_pending++;
    pthread_mutex_unlock(&s_limit_mutex);
    if (evicted.count)
        s_write_summaries(&evicted, 1);
    return ok;
}

void cw_log_write(cw_log_level_t level, const char *event, ...)
{
    if (level < s_level)
        return;
    s_flush_ready();
    va_list ap;
    va_start(ap, event);
    s_vwrite(level, event, ap);
    va_end(ap);
}

void cw_log_limited(cw_log_level_t level, const char *event, ...)
{
    if (level < s_level)
        return;
    s_flush_ready();
    if (!s_limit_take(level, event ? event : ""))
        return;
    va_list ap;
    va_start(ap, event);
    s_vwrite(level, event, ap);
    va_end(ap);
}

void cw_log_limit_configure(int burst, double per_second, int64_t (*now_ms)(void))
{
    pthread_mutex_lock(&s_limit_mutex);
    s_burst = burst > 0 ? burst : CW_LOG_LIMIT_BURST;
    s_rate = per_second >= 0 ? per_second : CW_LOG_LIMIT_PER_S;
    s_clock = now_ms;
    pthread_mutex_unlock(&s_limit_mutex);
}

void cw_log_limit_reset(void)
{
    pthread_mutex_lock(&s_limit_mutex);
    s_bucket_count = 0;
    s_pending = 0;
    pthread_mutex_unlock(&s_limit_mutex);
}
