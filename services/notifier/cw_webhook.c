/*  cw_webhook — generic alert webhook (JSON, Slack or Discord shape). */
#include "cw_webhook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cw_http.h"
#include "cw_json.h"
#include "cw_log.h"
#include "cw_text.h"

#define CW_WEBHOOK_TEXT_MAX (64 * 1024)
#define CW_WEBHOOK_ANSWER_MAX (64 * 1024)

struct _cw_webhook_t {
    char *url;
    char *format;
    char **headers; /* "Name: value", NULL-terminated; values are secrets: never logged */
    size_t header_count;
    long timeout_ms;
    cw_delivery_t *delivery;
    const char *body; /* the message being sent (during cw_webhook_send) */
};

static void s_field(cw_buf_t *b, const char *key, const char *value, size_t len)
{
    cw_json_put_key(b, key);
    cw_json_put_strn(b, value ? value : "", value ? len : 0);
}

char *cw_webhook_body(const char *format, const char *text, const char *event, const char *severity)
{
    if (!text)
        text = "";
    /* at most CW_WEBHOOK_TEXT_MAX bytes of the text, never half a character */
    size_t len = cw_utf8_prefix(text, strnlen(text, CW_WEBHOOK_TEXT_MAX + 1), CW_WEBHOOK_TEXT_MAX);
    cw_buf_t b;
    cw_buf_init(&b, 0);
    cw_buf_putc(&b, '{');
    if (format && strcmp(format, "slack") == 0)
        s_field(&b, "text", text, len);
    else if (format && strcmp(format, "discord") == 0)
        s_field(&b, "content", text, len);
    else {
        s_field(&b, "text", text, len);
        s_field(&b, "event", event, event ? strlen(event) : 0);
        s_field(&b, "severity", severity, severity ? strlen(severity) : 0);
    }
    cw_buf_putc(&b, '}');
    return cw_buf_take(&b, NULL);
}

cw_webhook_t *cw_webhook_new(const char *url, const cw_header_t *headers, size_t header_count,
                             const char *format)
{
    if (!url || !*url)
        return NULL;
    cw_webhook_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->url = strdup(url);
    self->format = strdup(format && *format ? format : "json");
    self->timeout_ms = 10000;
    self->delivery = cw_delivery_new("webhook");
    self->headers = calloc(header_count + 2, sizeof(char *));
    if (self->headers)
        self->headers[self->header_count++] = strdup("Content-Type: application/json");
    for (size_t i = 0; i < header_count && self->headers && self->headers[0]; i++) {
        if (!headers[i].name || !*headers[i].name)
            continue;
        /* refuse header injection through names or values */
        const char *v = headers[i].value ? headers[i].value : "";
        if (strpbrk(headers[i].name, "\r\n:") || strpbrk(v, "\r\n")) {
            cw_warn("webhook_header_rejected", CW_LS("header", headers[i].name),
                    CW_LS("reason", "contains a line break or colon"), CW_LEND);
            continue;
        }
        size_t n = strlen(headers[i].name) + strlen(v) + 3;
        char *line = malloc(n);
        if (!line)
            continue;
        snprintf(line, n, "%s: %s", headers[i].name, v);
        self->headers[self->header_count++] = line;
    }
    if (!self->url || !self->format || !self->headers || !self->headers[0] || !self->delivery) {
        cw_webhook_destroy(&self);
        return NULL;
    }
    return self;
}

void cw_webhook_destroy(cw_webhook_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cw_webhook_t *self = *self_p;
    free(self->url);
    free(self->format);
    for (size_t i = 0; self->headers && i < self->header_count; i++) {
        if (self->headers[i])
            memset(self->headers[i], 0, strlen(self->headers[i])); /* may hold a secret */
        free(self->headers[i]);
    }
    free(self->headers);
    cw_delivery_destroy(&self->delivery);
    free(self);
    *self_p = NULL;
}

void cw_webhook_set_timeouts(cw_webhook_t *self, long timeout_ms, long retry_delay_ms)
{
    if (!self)
        return;
    if (timeout_ms > 0)
        self->timeout_ms = timeout_ms;
    if (retry_delay_ms >= 0)
        cw_delivery_set_retry_base(self->delivery, retry_delay_ms);
}

void cw_webhook_set_clock(cw_webhook_t *self, cw_clock_fn *clock, cw_sleep_fn *sleep, void *arg)
{
    if (self)
        cw_delivery_set_clock(self->delivery, clock, sleep, arg);
}

cw_delivery_t *cw_webhook_delivery(cw_webhook_t *self)
{
    return self ? self->delivery : NULL;
}

/* One POST, described for cw_delivery. The answer's body does not matter: a 2xx status is
   a delivery (even when the answer was too large to keep). */
static void s_post_once(void *arg, cw_delivery_attempt_t *out)
{
    cw_webhook_t *self = arg;
    cw_http_options_t opts = {
        .connect_timeout_ms = self->timeout_ms,
        .timeout_ms = self->timeout_ms,
        .max_response = CW_WEBHOOK_ANSWER_MAX,
    };
    cw_http_response_t resp;
    int rc = cw_http_post(self->url, (const char *const *)self->headers, self->body, &opts, &resp);
    long status = rc == 0 || resp.overflow ? resp.status : 0;
    out->status = status;
    out->delivered = status >= 200 && status < 300;
    out->retry_after_s = (int)resp.retry_after_s;
    /* the URL may carry a secret (Slack/Discord hooks do): cw_http never writes it */
    if (rc != 0)
        snprintf(out->error, sizeof(out->error), "%s", resp.error);
    else if (!out->delivered)
        snprintf(out->error, sizeof(out->error), "HTTP status %ld", status);
    cw_http_response_clear(&resp);
}

int cw_webhook_send(cw_webhook_t *self, const char *text, const char *event, const char *severity)
{
    if (!self)
        return -1;
    char *body = cw_webhook_body(self->format, text, event, severity);
    if (!body)
        return -1;
    self->body = body;
    /* dedup on the text, as Telegram does: the same alert for another trigger is the
       same message to a person */
    int rc = cw_delivery_send(self->delivery, text ? text : "", s_post_once, self);
    self->body = NULL;
    free(body);
    return rc;
}
