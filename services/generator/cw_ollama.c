/*  cw_ollama — Ollama's native API: health, prewarm, streaming generate with retries
    and out-of-memory recovery. */
#include "cw_json.h"
#include "cw_llm_int.h"
#include "cw_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- NDJSON stream */
typedef struct {
    cw_buf_t text; /* at most CW_LLM_MAX_RESPONSE bytes */
    bool done;
    char done_reason[32];
    long prompt_eval_count;
    long eval_count;
    double total_duration_ns;
    bool have_error;
    char error[400];
    bool overflow;
    char overflow_what[64];
    int bad_lines;
    char raw_head[200]; /* start of the body, for non-JSON error answers */
    size_t raw_len;
} stream_t;

/* All the bytes one streamed answer may have (NDJSON lines around the text). */
#define CW_OLLAMA_MAX_STREAM ((size_t)CW_LLM_MAX_RESPONSE * 256)

static bool s_text_append(stream_t *st, const char *s, size_t n)
{
    if (st->text.len + n > CW_LLM_MAX_RESPONSE) {
        st->overflow = true;
        snprintf(st->overflow_what, sizeof(st->overflow_what), "answer larger than %d KiB",
                 CW_LLM_MAX_RESPONSE / 1024);
        return false;
    }
    return cw_buf_append(&st->text, s, n);
}

/* Handle one complete line. false = abort the transfer. */
static bool s_stream_line(stream_t *st, const char *line, size_t n)
{
    while (n && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
        n--;
    while (n && (*line == ' ' || *line == '\t')) {
        line++;
        n--;
    }
    if (!n)
        return true;
    char perr[128];
    cw_value_t *obj = cw_json_parse(line, n, perr, sizeof(perr));
    if (!obj || cw_value_kind(obj) != CW_VAL_MAP) {
        st->bad_lines++;
        cw_value_destroy(&obj);
        return true;
    }
    const cw_value_t *e = cw_map_get(obj, "error");
    if (e) {
        st->have_error = true;
        const char *msg = cw_value_str(e);
        if (!msg)
            msg = cw_map_str(e, "message", "unknown error");
        cw_llm_excerpt(msg, strlen(msg), st->error, sizeof(st->error));
    }
    const char *piece = cw_value_str(cw_map_get(obj, "response"));
    bool ok = true;
    if (piece && *piece)
        ok = s_text_append(st, piece, cw_value_strlen(cw_map_get(obj, "response")));
    if (cw_map_bool(obj, "done", false)) {
        st->done = true;
        const char *reason = cw_map_str(obj, "done_reason", "");
        snprintf(st->done_reason, sizeof(st->done_reason), "%s", reason);
        st->prompt_eval_count = (long)cw_map_float(obj, "prompt_eval_count", 0);
        st->eval_count = (long)cw_map_float(obj, "eval_count", 0);
        st->total_duration_ns = cw_map_float(obj, "total_duration", 0);
    }
    cw_value_destroy(&obj);
    return ok;
}

/* cw_http hands over the answer line by line (each at most CW_LLM_MAX_LINE). */
static int s_stream_on_line(const char *line, size_t n, void *arg)
{
    stream_t *st = arg;
    if (st->raw_len < sizeof(st->raw_head) - 1) {
        if (st->raw_len > 0)
            st->raw_head[st->raw_len++] = ' ';
        size_t k = sizeof(st->raw_head) - 1 - st->raw_len;
        if (k > n)
            k = n;
        memcpy(st->raw_head + st->raw_len, line, k);
        st->raw_len += k;
        st->raw_head[st->raw_len] = '\0';
    }
    return s_stream_line(st, line, n) ? 0 : 1;
}

static void s_stream_free(stream_t *st)
{
    cw_buf_free(&st->text);
    memset(st, 0, sizeof(*st));
}

/* ---------------------------------------------------------------- requests */
/* The start of a request body: the model and keep_alive (an integer is sent as a number:
   Ollama rejects "-1" as a duration string). */
static cw_value_t *s_body(const cw_llm_t *self, const char *keep_alive)
{
    cw_value_t *body = cw_value_new_map();
    cw_map_set_str(body, "model", self->model);
    if (!keep_alive || !*keep_alive)
        return body;
    const char *p = keep_alive;
    if (*p == '-' || *p == '+')
        p++;
    bool numeric = *p != '\0';
    for (; *p; p++)
        if (*p < '0' || *p > '9')
            numeric = false;
    if (numeric && strlen(keep_alive) < 12)
        cw_map_set_int(body, "keep_alive", strtoll(keep_alive, NULL, 10));
    else
        cw_map_set_str(body, "keep_alive", keep_alive);
    return body;
}

/* The body as JSON (NULL when memory ran out); the value is destroyed. */
static char *s_json(cw_value_t **body)
{
    char *text = *body ? cw_json_encode(*body) : NULL;
    cw_value_destroy(body);
    return text;
}

/* POST a small non-streamed request (prewarm / unload) and discard the answer. */
static int s_post_simple(cw_llm_t *self, const char *body, long timeout_s, char *err, size_t errlen)
{
    if (!body)
        return -1;
    cw_http_response_t res;
    int rc = cw_llm_http(self, "/api/generate", body, timeout_s, 64 * 1024, NULL, NULL, &res);
    if (rc == 0 && res.status != 200) {
        char ex[200];
        cw_llm_excerpt(res.body, res.body_len, ex, sizeof(ex));
        snprintf(err, errlen, "HTTP %ld: %s", res.status, ex);
        rc = -1;
    } else if (rc != 0)
        snprintf(err, errlen, "%s", res.error);
    cw_http_response_clear(&res);
    return rc;
}

static char *s_prewarm_body(const cw_llm_t *self)
{
    cw_value_t *body = s_body(self, self->keep_alive);
    cw_map_set_str(body, "prompt", "");
    cw_map_set_bool(body, "stream", false);
    cw_value_t *options = cw_value_new_map();
    cw_map_set_int(options, "num_ctx", self->num_ctx);
    cw_map_set(body, "options", options);
    return s_json(&body);
}

int cw_ollama_prewarm(cw_llm_t *self)
{
    char *body = s_prewarm_body(self);
    char err[300] = "";
    int rc = s_post_simple(self, body, self->timeout_s, err, sizeof(err));
    free(body);
    if (rc == 0)
        cw_info("llm_prewarmed", CW_LS("backend", "ollama"), CW_LS("model", self->model),
                CW_LI("num_ctx", self->num_ctx), CW_LEND);
    else
        cw_warn("llm_prewarm_failed", CW_LS("backend", "ollama"), CW_LS("model", self->model),
                CW_LS("error", err), CW_LEND);
    return rc;
}

bool cw_ollama_health(cw_llm_t *self, char *err, size_t errlen)
{
    cw_http_response_t res;
    int rc = cw_llm_http(self, "/", NULL, self->health_timeout_s, 64 * 1024, NULL, NULL, &res);
    bool up = rc == 0 && res.status == 200;
    if (!up && err && errlen) {
        if (rc != 0)
            snprintf(err, errlen, "%s", res.error);
        else
            snprintf(err, errlen, "HTTP %ld from %s/", res.status, self->base_url);
    }
    cw_http_response_clear(&res);
    return up;
}

/* unload, wait, lower num_ctx, reload */
static void s_recover_oom(cw_llm_t *self, const char *error)
{
    int old_ctx = self->num_ctx;
    cw_warn("llm_out_of_memory", CW_LS("backend", "ollama"), CW_LS("model", self->model),
            CW_LS("error", error), CW_LI("num_ctx", old_ctx), CW_LEND);
    cw_value_t *unload = s_body(self, "0");
    char *body = s_json(&unload);
    char err[300] = "";
    if (s_post_simple(self, body, 60, err, sizeof(err)) != 0)
        cw_warn("llm_unload_failed", CW_LS("model", self->model), CW_LS("error", err), CW_LEND);
    free(body);
    cw_llm_wait_ms(self, 5000);
    if (self->num_ctx > CW_LLM_OOM_NUM_CTX)
        self->num_ctx = CW_LLM_OOM_NUM_CTX;
    cw_info("llm_reloading", CW_LS("model", self->model), CW_LI("num_ctx", self->num_ctx),
            CW_LI("previous_num_ctx", old_ctx), CW_LEND);
    cw_ollama_prewarm(self);
}

static bool s_is_oom(const char *msg)
{
    return cw_text_contains_ci(msg, "out of memory") || cw_text_contains_ci(msg, "cuda");
}

static char *s_generate_body(const cw_llm_t *self, const cw_llm_call_t *call)
{
    cw_value_t *body = s_body(self, self->keep_alive);
    cw_map_set_str(body, "prompt", call->prompt);
    if (call->system)
        cw_map_set_str(body, "system", call->system);
    cw_map_set_bool(body, "stream", true);
    cw_value_t *options = cw_value_new_map();
    cw_map_set_float(options, "temperature",
                     call->temperature >= 0 ? call->temperature : self->temperature);
    cw_map_set_int(options, "num_predict",
                   call->max_tokens > 0 ? call->max_tokens : self->max_tokens);
    cw_map_set_int(options, "num_ctx", self->num_ctx);
    cw_map_set(body, "options", options);
    return s_json(&body);
}

static cw_llm_attempt_t s_attempt(cw_llm_t *self, const cw_llm_call_t *call, cw_llm_result_t *res,
                                  long *retry_after)
{
    char *body = s_generate_body(self, call);
    if (!body) {
        snprintf(res->error, sizeof(res->error), "out of memory building the request");
        return CW_LLM_ATTEMPT_FATAL;
    }
    stream_t st;
    memset(&st, 0, sizeof(st));
    cw_buf_init(&st.text, CW_LLM_MAX_RESPONSE);
    cw_http_response_t http;
    /* cw_http also hands over a last line without a newline */
    int rc = cw_llm_http(self, "/api/generate", body, self->timeout_s, CW_OLLAMA_MAX_STREAM,
                         s_stream_on_line, &st, &http);
    free(body);
    *retry_after = http.retry_after_s;
    if (http.overflow && !st.overflow) {
        st.overflow = true;
        if (strstr(http.error, "line"))
            snprintf(st.overflow_what, sizeof(st.overflow_what), "stream line longer than %d KiB",
                     CW_LLM_MAX_LINE / 1024);
        else
            snprintf(st.overflow_what, sizeof(st.overflow_what), "stream larger than %zu KiB",
                     CW_OLLAMA_MAX_STREAM / 1024);
    }
    cw_llm_attempt_t out;
    const char *msg = st.have_error ? st.error : NULL;
    char head[200];
    cw_llm_excerpt(st.raw_head, st.raw_len, head, sizeof(head));
    if (st.overflow) {
        snprintf(res->error, sizeof(res->error), "%s", st.overflow_what);
        out = CW_LLM_ATTEMPT_FATAL;
    } else if (http.interrupted || http.cancelled) {
        snprintf(res->error, sizeof(res->error), "%s",
                 http.interrupted ? "interrupted" : "cancelled");
        out = CW_LLM_ATTEMPT_FATAL;
    } else if (rc != 0 && (http.transport_error || http.status == 0)) {
        snprintf(res->error, sizeof(res->error), "%s: %s", self->base_url, http.error);
        out = http.transport_error ? CW_LLM_ATTEMPT_TRANSPORT : CW_LLM_ATTEMPT_FATAL;
    } else if (http.status == 200) {
        if (st.have_error) {
            snprintf(res->error, sizeof(res->error), "error in stream: %s", st.error);
            out = s_is_oom(st.error) ? CW_LLM_ATTEMPT_OOM : CW_LLM_ATTEMPT_FATAL;
        } else if (rc != 0) {
            snprintf(res->error, sizeof(res->error), "stream broke: %s", http.error);
            out = CW_LLM_ATTEMPT_RETRY;
        } else if (!st.done) {
            snprintf(res->error, sizeof(res->error), "stream ended without done (%d bad lines)",
                     st.bad_lines);
            out = CW_LLM_ATTEMPT_RETRY;
        } else {
            out = CW_LLM_ATTEMPT_OK;
            res->text = cw_buf_take(&st.text, NULL);
            res->prompt_tokens = st.prompt_eval_count;
            res->completion_tokens = st.eval_count;
            res->duration_ms = (int64_t)(st.total_duration_ns / 1e6);
            res->truncated = strcmp(st.done_reason, "length") == 0;
            if (!res->text)
                out = CW_LLM_ATTEMPT_FATAL;
        }
    } else {
        snprintf(res->error, sizeof(res->error), "HTTP %ld: %s", http.status, msg ? msg : head);
        out = cw_llm_classify_status(http.status);
        /* a 5xx (other than 503) about memory: unload and reload smaller, see s_recover_oom */
        if (out == CW_LLM_ATTEMPT_RETRY && s_is_oom(msg ? msg : head))
            out = CW_LLM_ATTEMPT_OOM;
    }
    s_stream_free(&st);
    cw_http_response_clear(&http);
    return out;
}

/* Ollama cuts over-long prompts silently: the token count is the only sign */
static void s_warn_truncated(cw_llm_t *self, const cw_llm_call_t *call, const cw_llm_result_t *res)
{
    size_t plen = strlen(call->prompt) + (call->system ? strlen(call->system) : 0);
    if (res->prompt_tokens > 0 && (size_t)res->prompt_tokens * 12 < plen &&
        res->prompt_tokens >= self->num_ctx / 2)
        cw_warn("llm_prompt_truncated", CW_LI("prompt_bytes", (long long)plen),
                CW_LI("prompt_tokens", res->prompt_tokens), CW_LI("num_ctx", self->num_ctx),
                CW_LEND);
}

cw_llm_status_t cw_ollama_generate(cw_llm_t *self, const cw_llm_call_t *call, cw_llm_result_t *res)
{
    static const cw_llm_attempt_hooks_t hooks = {
        .retry_after_min_s = 1, /* Retry-After: 0 waits 2 s * attempt like no header */
        .retry_after_max_s = 0, /* no cap below cw_http's */
        .log_will_retry = true,
        .on_oom = s_recover_oom,
        .on_ok = s_warn_truncated,
    };
    return cw_llm_run_attempts(self, "ollama", s_attempt, call, res, &hooks);
}
