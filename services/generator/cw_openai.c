/*  cw_openai — OpenAI-compatible chat completions (llama.cpp server, vLLM, LM Studio,
    Ollama's /v1). The api key goes only into the Authorization header, never a log. */
#include "cw_json.h"
#include "cw_llm_int.h"
#include "cw_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool cw_openai_health(cw_llm_t *self, char *err, size_t errlen)
{
    cw_http_response_t res;
    int rc =
        cw_llm_http(self, "/models", NULL, self->health_timeout_s, 256 * 1024, NULL, NULL, &res);
    /* any answer below 500 means a server is there (some have no /models) */
    bool up = (rc == 0 || res.overflow) && res.status > 0 && res.status < 500;
    if (!up && err && errlen) {
        if (res.status == 0)
            snprintf(err, errlen, "%s", res.error);
        else
            snprintf(err, errlen, "HTTP %ld from %s/models", res.status, self->base_url);
    }
    cw_http_response_clear(&res);
    return up;
}

static char *s_body(const cw_llm_t *self, const cw_llm_call_t *call)
{
    cw_jbuf_t b;
    cw_jbuf_init(&b);
    cw_jbuf_raw(&b, "{");
    cw_jbuf_key(&b, "model");
    cw_jbuf_str(&b, self->model);
    cw_jbuf_key(&b, "messages");
    cw_jbuf_raw(&b, "[");
    if (call->system) {
        cw_jbuf_raw(&b, "{");
        cw_jbuf_key(&b, "role");
        cw_jbuf_str(&b, "system");
        cw_jbuf_key(&b, "content");
        cw_jbuf_str(&b, call->system);
        cw_jbuf_raw(&b, "},");
    }
    cw_jbuf_raw(&b, "{");
    cw_jbuf_key(&b, "role");
    cw_jbuf_str(&b, "user");
    cw_jbuf_key(&b, "content");
    cw_jbuf_str(&b, call->prompt);
    cw_jbuf_raw(&b, "}]");
    cw_jbuf_key(&b, "temperature");
    cw_jbuf_num(&b, call->temperature >= 0 ? call->temperature : self->temperature);
    cw_jbuf_key(&b, "max_tokens");
    cw_jbuf_int(&b, call->max_tokens > 0 ? call->max_tokens : self->max_tokens);
    cw_jbuf_key(&b, "stream");
    cw_jbuf_raw(&b, "false");
    cw_jbuf_raw(&b, "}");
    return cw_jbuf_take(&b);
}

typedef enum {
    O_OK,
    O_TRANSPORT,
    O_BUSY,
    O_MODEL_MISSING,
    O_BAD_INPUT,
    O_RETRY,
    O_FATAL
} outcome_t;

static const char *s_error_message(const cw_json_t *root)
{
    const cw_json_t *e = cw_json_get(root, "error");
    if (!e)
        return NULL;
    if (cw_json_str(e))
        return cw_json_str(e);
    return cw_json_get_str(e, "message", "unknown error");
}

static outcome_t s_attempt(cw_llm_t *self, const cw_llm_call_t *call, cw_llm_result_t *res,
                           long *retry_after)
{
    char *body = s_body(self, call);
    if (!body) {
        snprintf(res->error, sizeof(res->error), "out of memory building the request");
        return O_FATAL;
    }
    cw_http_response_t http;
    int rc = cw_llm_http(self, "/chat/completions", body, self->timeout_s, CW_LLM_MAX_LINE, NULL,
                         NULL, &http);
    free(body);
    *retry_after = http.retry_after_s;
    outcome_t out = O_FATAL;
    cw_json_t *root = NULL;
    if (http.overflow) {
        snprintf(res->error, sizeof(res->error), "answer larger than %d KiB",
                 CW_LLM_MAX_LINE / 1024);
        out = O_FATAL;
    } else if (http.interrupted) {
        snprintf(res->error, sizeof(res->error), "interrupted");
    } else if (rc != 0) {
        snprintf(res->error, sizeof(res->error), "%s: %s", self->base_url, http.error);
        out = http.transport_error ? O_TRANSPORT : O_FATAL;
    } else {
        char perr[128] = "";
        root = http.body ? cw_json_parse(http.body, http.body_len, perr, sizeof(perr)) : NULL;
        const char *emsg = s_error_message(root);
        char head[200];
        cw_llm_excerpt(http.body, http.body_len, head, sizeof(head));
        if (http.status == 200 && !emsg) {
            const cw_json_t *choice = cw_json_at(cw_json_get(root, "choices"), 0);
            const cw_json_t *content = cw_json_get(cw_json_get(choice, "message"), "content");
            if (!root) {
                snprintf(res->error, sizeof(res->error), "malformed answer: %s", perr);
                out = O_RETRY;
            } else if (!cw_json_str(content)) {
                snprintf(res->error, sizeof(res->error), "answer without choices[0].message");
                out = O_RETRY;
            } else if (cw_json_strlen(content) > CW_LLM_MAX_RESPONSE) {
                snprintf(res->error, sizeof(res->error), "answer larger than %d KiB",
                         CW_LLM_MAX_RESPONSE / 1024);
                out = O_FATAL;
            } else {
                res->text = strdup(cw_json_str(content));
                const cw_json_t *usage = cw_json_get(root, "usage");
                res->prompt_tokens = (long)cw_json_get_num(usage, "prompt_tokens", 0);
                res->completion_tokens = (long)cw_json_get_num(usage, "completion_tokens", 0);
                res->truncated =
                    strcmp(cw_json_get_str(choice, "finish_reason", ""), "length") == 0;
                out = res->text ? O_OK : O_FATAL;
            }
        } else {
            snprintf(res->error, sizeof(res->error), "HTTP %ld: %s", http.status,
                     emsg ? emsg : head);
            if (http.status == 404)
                out = O_MODEL_MISSING;
            else if (http.status == 429 || http.status == 503)
                out = O_BUSY;
            else if (http.status == 400 || http.status == 413)
                out = O_BAD_INPUT;
            else if (http.status >= 500 || http.status == 200)
                out = O_RETRY;
            else
                out = O_FATAL; /* 401, 403, ...: configuration */
        }
    }
    cw_json_destroy(&root);
    cw_http_response_clear(&http);
    return out;
}

cw_llm_status_t cw_openai_generate(cw_llm_t *self, const cw_llm_call_t *call, cw_llm_result_t *res)
{
    cw_llm_status_t last = CW_LLM_FAILED;
    for (int attempt = 1; attempt <= CW_LLM_ATTEMPTS; attempt++) {
        res->attempts = attempt;
        res->error[0] = '\0';
        long retry_after = -1;
        outcome_t o = s_attempt(self, call, res, &retry_after);
        if (o == O_OK)
            return CW_LLM_OK;
        bool more = attempt < CW_LLM_ATTEMPTS;
        cw_warn("llm_attempt_failed", CW_LS("backend", "openai"), CW_LI("attempt", attempt),
                CW_LS("error", res->error), CW_LEND);
        switch (o) {
        case O_MODEL_MISSING:
            return CW_LLM_MODEL_MISSING;
        case O_BAD_INPUT:
            return CW_LLM_BAD_INPUT;
        case O_FATAL:
            return CW_LLM_FAILED;
        case O_TRANSPORT:
            last = CW_LLM_UNAVAILABLE;
            if (more)
                cw_llm_wait_ms(self, 2000LL * attempt);
            break;
        case O_BUSY:
            last = CW_LLM_BUSY;
            if (more) {
                long ra = retry_after > 120 ? 120 : retry_after;
                cw_llm_wait_ms(self, ra >= 0 ? ra * 1000LL : 2000LL * attempt);
            }
            break;
        default:
            last = CW_LLM_FAILED;
            if (more)
                cw_llm_wait_ms(self, 2000LL * attempt);
        }
    }
    return last;
}
