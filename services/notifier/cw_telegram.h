/*  cw_telegram — a Telegram Bot API client for alerts: HTML-escaped text cut to 4096
    characters, sent through cw_delivery (dedup of identical text within 300 s, a token
    bucket of 1 message/s with bursts of 3, up to 3 attempts) with a 429 answer's
    parameters.retry_after (or its Retry-After header) honoured.
    The bot token is a secret: neither it nor the URL that carries it is ever logged.
    HTTP goes through common/cw_http, answers are read with common/cw_json.
    Time is injectable (clock + sleep) so tests need no real waiting.                  */
#ifndef CW_TELEGRAM_H
#define CW_TELEGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cw_delivery.h"

#define CW_TELEGRAM_MAX_CHARS 4096
#define CW_TELEGRAM_MAX_RETRY_AFTER_S CW_DELIVERY_MAX_RETRY_AFTER_S

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
/* Its dedup, rate limit and retry state (owned by the client). */
cw_delivery_t *cw_telegram_delivery(cw_telegram_t *self);
/* HTTP timeout per attempt (default 10000 ms). */
void cw_telegram_set_timeout(cw_telegram_t *self, long timeout_ms);
/* Send one message. 0 delivered, 1 suppressed as a duplicate, -1 failed after every attempt
   (or refused permanently, e.g. 400/401/403). */
int cw_telegram_send(cw_telegram_t *self, const char *text);

#endif
