/*  cw_log — structured logging: one JSON object per line on stderr
    ({"timestamp","level","service","event", fields...}), or a readable line when
    stderr is a terminal. Fields are typed key/value pairs ended by CW_LEND:

        cw_info ("cycle_done", CW_LS ("repo", name), CW_LI ("commits", n), CW_LEND);

    Never pass a secret (token, key) as a field.                                   */
#ifndef CW_LOG_H
#define CW_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { CW_LOG_DEBUG = 0, CW_LOG_INFO, CW_LOG_WARN, CW_LOG_ERROR } cw_log_level_t;

/* field type tags (internal to the macros below) */
enum { CW_LOG_END_ = 0, CW_LOG_STR_ = 1, CW_LOG_INT_, CW_LOG_DBL_, CW_LOG_BOOL_ };

#define CW_LS(k, v) CW_LOG_STR_, (const char *)(k), (const char *)(v)
#define CW_LI(k, v) CW_LOG_INT_, (const char *)(k), (long long)(v)
#define CW_LF(k, v) CW_LOG_DBL_, (const char *)(k), (double)(v)
#define CW_LB(k, v) CW_LOG_BOOL_, (const char *)(k), (int)((v) ? 1 : 0)
#define CW_LEND CW_LOG_END_

/* Set the service name written on every line (default "codeworm"). */
void cw_log_init(const char *service);
/* Lowest level written; default INFO (DEBUG when config `debug` is true). */
void cw_log_set_level(cw_log_level_t level);
cw_log_level_t cw_log_level(void);
/* Force JSON (1) or readable (0) output; -1 = decide by isatty(stderr) (default). */
void cw_log_set_format(int json);
/* Optional hook, called for each line written (after formatting), e.g. to keep the last
   lines for alerts. The line is the JSON form without newline. */
typedef void(cw_log_hook_fn)(cw_log_level_t level, const char *json_line, void *arg);
void cw_log_set_hook(cw_log_hook_fn *hook, void *arg);

void cw_log_write(cw_log_level_t level, const char *event, ...);

/* The current time as ISO 8601 UTC with milliseconds, "2024-05-01T12:34:56.789Z" (the
   "timestamp" of log lines and bus events). `out` holds 40 bytes. */
void cw_log_timestamp(char out[40]);

#define cw_debug(event, ...) cw_log_write(CW_LOG_DEBUG, (event), __VA_ARGS__)
#define cw_info(event, ...) cw_log_write(CW_LOG_INFO, (event), __VA_ARGS__)
#define cw_warn(event, ...) cw_log_write(CW_LOG_WARN, (event), __VA_ARGS__)
#define cw_error(event, ...) cw_log_write(CW_LOG_ERROR, (event), __VA_ARGS__)

/* Rate-limited lines, for what can repeat in a loop (per file, per frame, per peer): one
   token bucket per event name, shared by the whole process. An event writes a burst of
   CW_LOG_LIMIT_BURST lines, then CW_LOG_LIMIT_PER_S a second; the lines beyond are
   counted, not written. Once the event may write again, one line
   {"event":"log_suppressed", "suppressed_event": NAME, "suppressed": N} (at the event's
   level) says how many were left out; it is written before the next line of any event,
   so a storm that stops is still summed up. At most CW_LOG_LIMIT_EVENTS names are
   tracked (the least recently used is forgotten, its count summed up first). */
#define CW_LOG_LIMIT_BURST 10
#define CW_LOG_LIMIT_PER_S 1.0
#define CW_LOG_LIMIT_EVENTS 128
void cw_log_limited(cw_log_level_t level, const char *event, ...);
#define cw_info_limited(event, ...) cw_log_limited(CW_LOG_INFO, (event), __VA_ARGS__)
#define cw_warn_limited(event, ...) cw_log_limited(CW_LOG_WARN, (event), __VA_ARGS__)
#define cw_error_limited(event, ...) cw_log_limited(CW_LOG_ERROR, (event), __VA_ARGS__)
/* For tests: the bucket's size and rate (burst <= 0 or rate < 0: the defaults), the clock
   in milliseconds (NULL: the monotonic clock), and forgetting every bucket. */
void cw_log_limit_configure(int burst, double per_second, int64_t (*now_ms)(void));
void cw_log_limit_reset(void);

/* One JSON log line read back (the supervisor reads its children's stderr). */
typedef struct {
    cw_log_level_t level;
    char timestamp[40];
    char service[64];
    char text[1024]; /* "event key=value key=\"a value\" ..." as the readable form shows it */
} cw_log_line_t;

/* Read a line cw_log_write wrote in JSON (len bytes, no newline). false when it is not
   one (any other text). */
bool cw_log_parse_line(const char *line, size_t len, cw_log_line_t *out);
/* The readable (terminal) form of a parsed line, as cw_log_write prints it on a terminal:
   "2024-05-01T12:34:56 error   committer  event key=value". */
void cw_log_format_human(const cw_log_line_t *line, char *out, size_t cap);

#endif
