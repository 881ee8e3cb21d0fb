/*  cw_telegram — Telegram Bot API sendMessage; dedup, rate limit and retries are
    cw_delivery's. */
#include "cw_telegram.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cw_http.h"
#include "cw_json.h"
#include "cw_log.h"

#define CW_TG_DEFAULT_BASE "https://api.telegram.org"
#define CW_TG_ANSWER_MAX (64 * 1024)

/* ------------------------------------------------------------------ text */
/* Length of the UTF-8 sequence starting with byte c (1 for invalid lead bytes). */
static size_t s_utf8_len(unsigned char c)
{
    if (c >= 0xF0 && c <= 0xF7)
        return 4;
    if (c >= 0xE0)
        return c <= 0xEF ? 3 : 1;
    if (c >= 0xC0)
        return 2;
    return 1;
}

char *cw_telegram_format(const char *text, size_t max_chars)
{
    if (!text)
        text = "";
    if (max_chars < 2)
        max_chars = 2;
    size_t len = strlen(text);
    /* find the byte end of the first max_chars code points */
    size_t chars = 0, pos = 0, cut_at = 0;
    bool cut = false;
    while (pos < len) {
        if (chars == max_chars - 1)
            cut_at = pos; /* where "…" goes if the text is longer than max_chars */
        if (chars == max_chars) {
            cut = true;
            break;
        }
        size_t n = s_utf8_len((unsigned char)text[pos]);
        if (pos + n > len)
            n = len - pos;
        pos += n;
        chars++;
    }
    size_t end = cut ? cut_at : len;
    /* worst case every byte becomes "&amp;" (5 bytes), plus the ellipsis */
    char *out = malloc(end * 5 + 4 + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < end; i++) {
        char c = text[i];
        if (c == '<') {
            memcpy(out + o, "&lt;", 4);
            o += 4;
        } else if (c == '>') {
            memcpy(out + o, "&gt;", 4);
            o += 4;
        } else if (c == '&') {
            memcpy(out + o, "&amp;", 5);
            o += 5;
        } else
            out[o++] = c;
    }
    if (cut) {
        memcpy(out + o, "\xE2\x80\xA6", 3); /* … */
        o += 3;
    }
    out[o] = '\0';
    return out;
}

char *cw_telegram_body(const char *chat_id, const char *formatted_text)
{
    if (!chat_id || !formatted_text)
        return NULL;
    cw_buf_t b;
    cw_buf_init(&b, 0);
    cw_buf_puts(&b, "{");
    cw_json_put_key(&b, "chat_id");
    cw_json_put_str(&b, chat_id);
    cw_json_put_key(&b, "text");
    cw_json_put_str(&b, formatted_text);
    cw_buf_puts(&b, ",\"parse_mode\":\"HTML\",\"disable_web_page_preview\":true}");
    return cw_buf_take(&b, NULL);
}

/* What a Bot API answer says: {"ok":false,"error_code":429,"description":"...",
   "parameters":{"retry_after":7}}. */
typedef struct {
    bool ok;
    long error_code; /* 0 if absent */
    int retry_after; /* parameters.retry_after (or a top-level one), 0..300; -1 if absent */
    char description[256];
} tg_answer_t;

static int s_retry_after_of(const cw_value_t *v)
{
    if (cw_value_kind(v) != CW_VAL_INT && cw_value_kind(v) != CW_VAL_FLOAT)
        return -1;
    double d = cw_value_float(v);
    if (!(d >= 0)) /* also NaN */
        return -1;
    return d > CW_TELEGRAM_MAX_RETRY_AFTER_S ? CW_TELEGRAM_MAX_RETRY_AFTER_S : (int)d;
}

static void s_parse_answer(const char *answer, size_t len, tg_answer_t *out)
{
    memset(out, 0, sizeof(*out));
    out->retry_after = -1;
    if (!answer || !len)
        return;
    char err[128];
    cw_value_t *root = cw_json_parse(answer, len, err, sizeof(err));
    if (root && cw_value_kind(root) == CW_VAL_MAP) {
        out->ok = cw_map_bool(root, "ok", false);
        double code = cw_map_float(root, "error_code", 0);
        out->error_code = code >= 0 && code < 100000 ? (long)code : 0;
        snprintf(out->description, sizeof(out->description), "%s",
                 cw_map_str(root, "description", ""));
        out->retry_after =
            s_retry_after_of(cw_map_get(cw_map_get(root, "parameters"), "retry_after"));
        if (out->retry_after < 0)
            out->retry_after = s_retry_after_of(cw_map_get(root, "retry_after"));
    }
    cw_value_destroy(&root);
}

int cw_telegram_retry_after(const char *answer)
{
    tg_answer_t a;
    s_parse_answer(answer, answer ? strlen(answer) : 0, &a);
    return a.retry_after;
}

/* ------------------------------------------------------------------ client */
struct _cw_telegram_t {
    char *url; /* contains the token: never logged */
    char *chat_id;
    long timeout_ms;
    cw_delivery_t *delivery;
    const char *body; /* the message being sent (during cw_telegram_send) */
};

cw_telegram_t *cw_telegram_new(const char *api_base, const char *bot_token, const char *chat_id)
{
    if (!bot_token || !*bot_token || !chat_id || !*chat_id)
        return NULL;
    if (!api_base || !*api_base)
        api_base = CW_TG_DEFAULT_BASE;
    cw_telegram_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    size_t base_len = strlen(api_base);
    while (base_len > 0 && api_base[base_len - 1] == '/')
        base_len--;
    size_t n = base_len + strlen(bot_token) + 32;
    self->url = malloc(n);
    self->chat_id = strdup(chat_id);
    self->delivery = cw_delivery_new("telegram");
    if (!self->url || !self->chat_id || !self->delivery) {
        cw_telegram_destroy(&self);
        return NULL;
    }
    snprintf(self->url, n, "%.*s/bot%s/sendMessage", (int)base_len, api_base, bot_token);
    self->timeout_ms = 10000;
    return self;
}

void cw_telegram_destroy(cw_telegram_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cw_telegram_t *self = *self_p;
    if (self->url) {
        memset(self->url, 0, strlen(self->url)); /* the token */
        free(self->url);
    }
    free(self->chat_id);
    cw_delivery_destroy(&self->delivery);
    free(self);
    *self_p = NULL;
}

void cw_telegram_set_clock(cw_telegram_t *self, cw_clock_fn *clock, cw_sleep_fn *sleep, void *arg)
{
    if (self)
        cw_delivery_set_clock(self->delivery, clock, sleep, arg);
}

cw_delivery_t *cw_telegram_delivery(cw_telegram_t *self)
{
    return self ? self->delivery : NULL;
}

void cw_telegram_set_timeout(cw_telegram_t *self, long timeout_ms)
{
    if (self && timeout_ms > 0)
        self->timeout_ms = timeout_ms;
}

/* One sendMessage POST, described for cw_delivery. */
static void s_post_once(void *arg, cw_delivery_attempt_t *out)
{
    cw_telegram_t *self = arg;
    static const char *const headers[] = {"Content-Type: application/json", NULL};
    cw_http_options_t opts = {
        .connect_timeout_ms = self->timeout_ms,
        .timeout_ms = self->timeout_ms,
        .max_response = CW_TG_ANSWER_MAX,
    };
    cw_http_response_t resp;
    /* cw_http never puts the URL (it carries the token) into resp.error */
    int rc = cw_http_post(self->url, headers, self->body, &opts, &resp);
    /* a broken exchange counts as no answer, whatever status line had arrived */
    long status = rc == 0 || resp.overflow ? resp.status : 0;
    tg_answer_t answer;
    s_parse_answer(resp.body, resp.body_len, &answer);
    out->status = status;
    /* an oversized 2xx answer still means delivered */
    out->delivered = status >= 200 && status < 300 && ((rc == 0 && answer.ok) || resp.overflow);
    out->retry_after_s = answer.retry_after >= 0 ? answer.retry_after : (int)resp.retry_after_s;
    out->error_code = answer.error_code;
    snprintf(out->error, sizeof(out->error), "%s", rc != 0 ? resp.error : answer.description);
    cw_http_response_clear(&resp);
}

int cw_telegram_send(cw_telegram_t *self, const char *text)
{
    if (!self || !text)
        return -1;
    char *formatted = cw_telegram_format(text, CW_TELEGRAM_MAX_CHARS);
    if (!formatted)
        return -1;
    char *body = cw_telegram_body(self->chat_id, formatted);
    if (!body) {
        free(formatted);
        return -1;
    }
    self->body = body;
    int rc = cw_delivery_send(self->delivery, formatted, s_post_once, self);
    self->body = NULL;
    free(body);
    free(formatted);
    return rc;
}
