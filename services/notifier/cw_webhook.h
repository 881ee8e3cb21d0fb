/*  cw_webhook — posts alerts to a generic webhook (webhook.url) as JSON:
      format "json" (default): {"text": ..., "event": ..., "severity": ...}
      format "slack":          {"text": ...}
      format "discord":        {"content": ...}
    with the configured extra headers (their values are secrets: never logged). Up to 3
    attempts on transport errors and 5xx answers. HTTP goes through common/cw_http.       */
#ifndef CW_WEBHOOK_H
#define CW_WEBHOOK_H

#include <stddef.h>

#include "cw_config.h"

/* The JSON body for `format` (NULL/"" = json). malloc'd. */
char *cw_webhook_body(const char *format, const char *text, const char *event,
                      const char *severity);

typedef struct _cw_webhook_t cw_webhook_t;

/* NULL when url is empty. Headers are copied. */
cw_webhook_t *cw_webhook_new(const char *url, const cw_header_t *headers, size_t header_count,
                             const char *format);
void cw_webhook_destroy(cw_webhook_t **self_p);
/* HTTP timeout per attempt (default 10000 ms) and delay between attempts (default 1000). */
void cw_webhook_set_timeouts(cw_webhook_t *self, long timeout_ms, long retry_delay_ms);
/* 0 delivered (2xx), -1 failed. */
int cw_webhook_send(cw_webhook_t *self, const char *text, const char *event, const char *severity);

#endif
