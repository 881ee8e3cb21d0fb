/*  cw_webhook — posts alerts to a generic webhook (webhook.url) as JSON:
      format "json" (default): {"text": ..., "event": ..., "severity": ...}
      format "slack":          {"text": ...}
      format "discord":        {"content": ...}
    with the configured extra headers (their values are secrets: never logged, and neither
    is the URL, which often carries a key). Delivery goes through cw_delivery, as
    Telegram's does: identical texts within 300 s are sent once, a token bucket of
    1 message/s with bursts of 3, up to 3 attempts (1 s, then 2 s apart) on transport
    errors, 5xx and 429 answers, a 429's Retry-After header honoured (at most 300 s);
    another 4xx is final. HTTP goes through common/cw_http.                              */
#ifndef CW_WEBHOOK_H
#define CW_WEBHOOK_H

#include <stddef.h>

#include "cw_config.h"
#include "cw_delivery.h"

/* The JSON body for `format` (NULL/"" = json). malloc'd. */
char *cw_webhook_body(const char *format, const char *text, const char *event,
                      const char *severity);

typedef struct _cw_webhook_t cw_webhook_t;

/* NULL when url is empty. Headers are copied. */
cw_webhook_t *cw_webhook_new(const char *url, const cw_header_t *headers, size_t header_count,
                             const char *format);
void cw_webhook_destroy(cw_webhook_t **self_p);
/* HTTP timeout per attempt (default 10000 ms) and the first delay between attempts
   (default 1000 ms, doubling). */
void cw_webhook_set_timeouts(cw_webhook_t *self, long timeout_ms, long retry_delay_ms);
/* Inject a clock and sleep (tests; NULL = the real ones). */
void cw_webhook_set_clock(cw_webhook_t *self, cw_clock_fn *clock, cw_sleep_fn *sleep, void *arg);
/* Its dedup, rate limit and retry state (owned by the client). */
cw_delivery_t *cw_webhook_delivery(cw_webhook_t *self);
/* 0 delivered (2xx), 1 suppressed as a duplicate of a text sent within 300 s, -1 failed. */
int cw_webhook_send(cw_webhook_t *self, const char *text, const char *event, const char *severity);

#endif
