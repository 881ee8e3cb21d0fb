/*  cw_delivery — what every alert channel (Telegram, webhook) does around its HTTP POST,
    in one place:

      dedup       an identical text within 300 s is suppressed (no request at all)
      rate limit  a token bucket: 1 message per second, bursts of 3
      retry       up to 3 attempts, 1 s then 2 s apart; a 429 answer waits what it asks
                  for instead (the channel reads it: Telegram's parameters.retry_after, an
                  HTTP Retry-After header), at most 300 s; any other 4xx is final

    The channel supplies one attempt (cw_delivery_post_fn); cw_delivery_send runs the
    mechanism around it. Time is injectable (clock + sleep), so tests wait for nothing.

        cw_delivery_t *d = cw_delivery_new ("webhook");
        int rc = cw_delivery_send (d, text, s_post_once, self);   // 0 sent, 1 dup, -1 failed
        cw_delivery_destroy (&d);                                                        */
#ifndef CW_DELIVERY_H
#define CW_DELIVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CW_DELIVERY_ATTEMPTS 3
#define CW_DELIVERY_DEDUP_MS 300000
#define CW_DELIVERY_RATE_PER_S 1.0
#define CW_DELIVERY_BURST 3
#define CW_DELIVERY_MAX_RETRY_AFTER_S 300
#define CW_DELIVERY_RETRY_BASE_MS 1000

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

/* ---- one attempt, as the channel saw it */
typedef struct {
    long status;       /* HTTP status; 0 when no (complete) answer arrived */
    bool delivered;    /* the channel counts this answer as a delivery */
    int retry_after_s; /* a 429's wait in seconds as the answer gave it, -1 if none */
    long error_code;   /* the channel's own error code, if its answer has one (0) */
    char error[256];   /* why it failed (no secrets: never a URL, token or header) */
} cw_delivery_attempt_t;

/* Make one POST and describe it in `out` (pre-filled: status 0, retry_after_s -1). */
typedef void(cw_delivery_post_fn)(void *arg, cw_delivery_attempt_t *out);

typedef struct _cw_delivery_t cw_delivery_t;

/* `channel` names the log events: "<channel>_sent", "<channel>_send_failed",
   "<channel>_duplicate_suppressed". */
cw_delivery_t *cw_delivery_new(const char *channel);
void cw_delivery_destroy(cw_delivery_t **self_p);
/* Replace the clock and sleep (NULL = the real ones); re-fills the token bucket. */
void cw_delivery_set_clock(cw_delivery_t *self, cw_clock_fn *clock, cw_sleep_fn *sleep, void *arg);
/* First wait between attempts (default 1000 ms; doubles after each attempt). */
void cw_delivery_set_retry_base(cw_delivery_t *self, int64_t ms);
/* Take over another delivery's dedup memory and token bucket (a channel rebuilt on a
   configuration reload keeps suppressing what the old one sent). */
void cw_delivery_carry(cw_delivery_t *self, const cw_delivery_t *from);
/* Deliver one message: dedup on `dedup_text`, then up to CW_DELIVERY_ATTEMPTS calls of
   post(arg, ...), each after a token. 0 delivered, 1 suppressed as a duplicate, -1 failed
   after every attempt (or refused for good: a 4xx other than 429). */
int cw_delivery_send(cw_delivery_t *self, const char *dedup_text, cw_delivery_post_fn *post,
                     void *arg);

#endif
