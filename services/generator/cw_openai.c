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

static void s_message(cw_value_t *messages, const char *role, const char *content)
{
    cw_value_t *m = cw_value_new_map();
    cw_map_set_str(m, "role", role);
    cw_map_set_str(m, "content", content);
    cw_array_push(messages, m);
}

static char *s_body(const cw_llm_t *self, const cw_llm_call_t *call)
{
    cw_value_t *body = cw_value_new_map(), *messages = cw_value_new_array();
    cw_map_set_str(body, "model", self->model);
    if (call->system)
        s_message(messages, "system", call->system);
    s_message(messages, "user", call->prompt);
    cw_map_set(body, "messages", messages);
    cw_map_set_float(body, "temperature",
                     call->temperature >= 0 ? call->temperature : self->temperature);
    cw_map_set_int(body, "max_tokens", call->max_tokens > 0 ? call->max_tokens : self->max_tokens);
    cw_map_set_bool(body, "stream", false);
    char *text = body ? cw_json_encode(body) : NULL;
    cw_value_destroy(&body);
    return text;
}

static const char *s_error_message(const cw_value_t *root)
{
    const cw_value_t *e = cw_map_get(root, "error");
    if (!e)
        return NULL;
    if (cw_value_str(e))
        return cw_value_str(e);
    return cw_map_str(e, "message", "unknown error");
}

static cw_llm_attempt_t s_attempt(cw_llm_t *self, const cw_llm_call_t *call, cw_llm_result_t *res,
                                  long *retry_after)
{
    char *body = s_body(self, call);
    if (!body) {
        snprintf(res->error, sizeof(res->error), "out of memory building the request");
        return CW_LLM_ATTEMPT_FATAL;
    }
    cw_http_response_t http;
    int rc = cw_llm_http(self, "/chat/completions", body, self->timeout_s, CW_LLM_MAX_LINE, NULL,
                         NULL, &http);
    free(body);
    *retry_after = http.retry_after_s;
    cw_llm_attempt_t out = CW_LLM_ATTEMPT_FATAL;
    cw_value_t *root = NULL;
    if (http.overflow) {
        snprintf(res->error, sizeof(res->error), "answer larger than %d KiB",
                 CW_LLM_MAX_LINE / 1024);
        out = CW_LLM_ATTEMPT_FATAL;
    } else if (http.interrupted || http.cancelled) {
        snprintf(res->error, sizeof(res->error), "%s",
                 http.interrupted ? "interrupted" : "cancelled");
    } else if (rc != 0) {
        snprintf(res->error, sizeof(res->error), "%s: %s", self->base_url, http.error);
        out = http.transport_error ? CW_LLM_ATTEMPT_TRANSPORT : CW_LLM_ATTEMPT_FATAL;
    } else {
        char perr[128] = "";
        root = http.body ? cw_json_parse(http.body, http.body_len, perr, sizeof(perr)) : NULL;
        const char *emsg = s_error_message(root);
        char head[200];
        cw_llm_excerpt(http.body, http.body_len, head, sizeof(head));
        if (http.status == 200 && !emsg) {
            const cw_value_t *choice = cw_array_at(cw_map_get(root, "choices"), 0);
            const cw_value_t *content = cw_map_get(cw_map_get(choice, "message"), "content");
            if (!root) {
                snprintf(res->error, sizeof(res->error), "malformed answer: %s", perr);
                out = CW_LLM_ATTEMPT_RETRY;
            } else if (!cw_value_str(content)) {
                snprintf(res->error, sizeof(res->error), "answer without choices[0].message");
                out = CW_LLM_ATTEMPT_RETRY;
            } else if (cw_value_strlen(content) > CW_LLM_MAX_RESPONSE) {
                snprintf(res->error, sizeof(res->error), "answer larger than %d KiB",
                         CW_LLM_MAX_RESPONSE / 1024);
                out = CW_LLM_ATTEMPT_FATAL;
            } else {
                res->text = strdup(cw_value_str(content));
                const cw_value_t *usage = cw_map_get(root, "usage");
                res->prompt_tokens = (long)cw_map_float(usage, "prompt_tokens", 0);
                res->completion_tokens = (long)cw_map_float(usage, "completion_tokens", 0);
                res->truncated = strcmp(cw_map_str(choice, "finish_reason", ""), "length") == 0;
                out = res->text ? CW_LLM_ATTEMPT_OK : CW_LLM_ATTEMPT_FATAL;
            }
        } else {
            snprintf(res->error, sizeof(res->error), "HTTP %ld: %s", http.status,
                     emsg ? emsg : head);
            if (http.status == 413) /* payload too large: the input as it is */
                out = CW_LLM_ATTEMPT_BAD_INPUT;
            else if (http.status == 200) /* an error object in a success */
                out = CW_LLM_ATTEMPT_RETRY;
            else /* 401, 403, ...: configuration, fatal */
                out = cw_llm_classify_status(http.status);
        }
    }
    cw_value_destroy(&root);
    cw_http_response_clear(&http);
    return out;
}

cw_llm_status_t cw_openai_generate(cw_llm_t *self, const cw_llm_call_t *call, cw_llm_result_t *res)
{
    static const cw_llm_attempt_hooks_t hooks = {
        .retry_after_min_s = 0,   /* Retry-After: 0 retries at once */
        .retry_after_max_s = 120, /* a longer Retry-After waits 2 min */
    };
    return cw_llm_run_attempts(self, "openai", s_attempt, call, res, &hooks);
}
