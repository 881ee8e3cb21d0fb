/*  cw_telegram — a Telegram Bot API client for alerts: HTML-escaped text cut to 4096
    characters, a token bucket (1 message/s, bursts of 3), dedup of identical text within
    300 s, up to 3 attempts, and a 429 answer's parameters.retry_after honoured.
    The bot token is a secret: neither it nor the URL that carries it is ever logged.
    HTTP goes through common/cw_http, answers are read with common/cw_json.
    Time is injectable (clock + sleep) so tests need no real waiting.                  */
#ifndef CW_TELEGRAM_H
#define CW_TELEGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CW_TELEGRAM_MAX_CHARS 4096
#define CW_TELEGRAM_ATTEMPTS 3
#define CW_TELEGRAM_DEDUP_MS 300000
#define CW_TELEGRAM_RATE_PER_S 1.0
#define CW_TELEGRAM_BURST 3
#define CW_TELEGRAM_MAX_RETRY_AFTER_S 300

/* Milliseconds from some fixed point (monotonic), and a sleep. */
typedef int64_t(cw_clock_fn)(void *arg);
typedef void(cw_sleep_fn)(int64_t ms, void *arg);
/* The default clock (CLOCK_MONOTONIC) and sleep (nanosleep). */
int64_t cw_clock_monotonic_ms(void *arg);
void cw_clock_sleep_ms(int64_t ms, void *arg);

/* ---- token bucket (pure) */
typedef struct {
    double tokens;
    double capacity;
    double per_ms; /* tokens added per millisecond */
    int64_t last_ms;
} cw_token_bucket_t;

void cw_token_bucket_init(cw_token_bucket_t *self, int burst, double per_second, int64_t now_ms);
/* Take one token: returns 0 when taken, else the milliseconds until one is available
   (nothing taken). */
int64_t cw_token_bucket_take(cw_token_bucket_t *self, int64_t now_ms);

/* ---- dedup of identical texts within a window (pure) */
#define CW_DEDUP_SLOTS 64
typedef struct {
    uint64_t hash[CW_DEDUP_SLOTS];
    int64_t at[CW_DEDUP_SLOTS];
    bool used[CW_DEDUP_SLOTS];
    int64_t window_ms;
} cw_dedup_t;

void cw_dedup_init(cw_dedup_t *self, int64_t window_ms);
/* true if the same text was recorded less than window_ms ago (suppress it); otherwise
   records it and returns false. */
bool cw_dedup_check(cw_dedup_t *self, const char *text, int64_t now_ms);

/* ---- text */
/* Cut `text` to at most max_chars characters (UTF-8 code points, never splitting one;
   a cut text ends with "…"), then escape <, > and & for parse_mode HTML. malloc'd. */
char *cw_telegram_format(const char *text, size_t max_chars);
/* JSON body {"chat_id":..,"text":..,"parse_mode":"HTML"} for already formatted text. */
char *cw_telegram_body(const char *chat_id, const char *formatted_text);
/* parameters.retry_after from a Telegram answer (JSON, read with common/cw_json; a
   top-level retry_after is accepted too), or -1. Bounded to 0..300. */
int cw_telegram_retry_after(const char *answer);

/* ---- client */
typedef struct _cw_telegram_t cw_telegram_t;

/* api_base NULL/"" = https://api.telegram.org. NULL if token or chat_id is empty. */
cw_telegram_t *cw_telegram_new(const char *api_base, const char *bot_token, const char *chat_id);
void cw_telegram_destroy(cw_telegram_t **self_p);
void cw_telegram_set_clock(cw_telegram_t *self, cw_clock_fn *clock, cw_sleep_fn *sleep, void *arg);
/* HTTP timeout per attempt (default 10000 ms). */
void cw_telegram_set_timeout(cw_telegram_t *self, long timeout_ms);
/* Send one message. 0 delivered, 1 suppressed as a duplicate, -1 failed after every attempt
   (or refused permanently, e.g. 400/401/403). */
int cw_telegram_send(cw_telegram_t *self, const char *text);

#endif
