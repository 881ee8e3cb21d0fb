/*  cw_llm — backend selection, the backends' one retry loop, their HTTP exchange (over
    common/cw_http), waits. */
#include "cw_text.h"
#include "cw_llm_int.h"
#include "cw_log.h"

#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static char *s_dup(const char *s, const char *dflt)
{
    return strdup(s && *s ? s : dflt);
}

cw_llm_t *cw_llm_new(const cw_config_t *config, char *err, size_t errlen)
{
    const char *backend =
        config && config->llm.backend && *config->llm.backend ? config->llm.backend : "ollama";
    cw_llm_kind_t kind;
    if (strcasecmp(backend, "ollama") == 0)
        kind = CW_LLM_KIND_OLLAMA;
    else if (strcasecmp(backend, "openai") == 0)
        kind = CW_LLM_KIND_OPENAI;
    else if (strcasecmp(backend, "offline") == 0)
        kind = CW_LLM_KIND_OFFLINE;
    else {
        if (err && errlen)
            snprintf(err, errlen, "llm.backend must be ollama, openai or offline (got \"%.64s\")",
                     backend);
        return NULL;
    }
    cw_llm_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->kind = kind;
    self->wait_divisor = 1;
    const char *fast = getenv("CW_TEST_FAST");
    if (fast && strcmp(fast, "1") == 0)
        self->wait_divisor = 100;
    self->connect_timeout_s = 10;
    self->timeout_s = 600;
    self->health_timeout_s = 5;
    self->stall_s = config && config->ollama.stall_seconds > 0 ? config->ollama.stall_seconds : 60;
    char url[1024];
    if (kind == CW_LLM_KIND_OPENAI) {
        const char *base = config && config->openai.base_url && *config->openai.base_url
                               ? config->openai.base_url
                               : "http://localhost:8080/v1";
        self->base_url = strdup(base);
        const char *model = config ? config->openai.model : NULL;
        if (!model || !*model)
            model = config ? config->ollama.model : NULL;
        self->model = s_dup(model, "default");
        self->api_key = config && config->openai.api_key && *config->openai.api_key
                            ? strdup(config->openai.api_key)
                            : NULL;
        self->temperature = config ? config->openai.temperature : 0.3;
        self->max_tokens =
            config && config->openai.max_tokens > 0 ? config->openai.max_tokens : 4096;
        self->num_ctx = config && config->ollama.num_ctx > 0 ? config->ollama.num_ctx : 16384;
    } else {
        snprintf(url, sizeof(url), "http://%s:%d",
                 config && config->ollama.host && *config->ollama.host ? config->ollama.host
                                                                       : "localhost",
                 config && config->ollama.port > 0 ? config->ollama.port : 11434);
        self->base_url = strdup(url);
        self->model = s_dup(config ? config->ollama.model : NULL,
                            kind == CW_LLM_KIND_OFFLINE ? "offline" : "qwen2.5:7b");
        self->temperature = config ? config->ollama.temperature : 0.3;
        self->max_tokens =
            config && config->ollama.num_predict > 0 ? config->ollama.num_predict : 4096;
        self->num_ctx = config && config->ollama.num_ctx > 0 ? config->ollama.num_ctx : 16384;
        self->keep_alive = s_dup(config ? config->ollama.keep_alive : NULL, "-1");
    }
    if (kind == CW_LLM_KIND_OFFLINE) {
        free(self->model);
        self->model = strdup("offline");
    }
    if (!self->base_url || !self->model) {
        cw_llm_destroy(&self);
        return NULL;
    }
    size_t bl = strlen(self->base_url);
    while (bl > 0 && self->base_url[bl - 1] == '/')
        self->base_url[--bl] = '\0';
    return self;
}

void cw_llm_destroy(cw_llm_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cw_llm_t *self = *self_p;
    free(self->model);
    free(self->base_url);
    free(self->api_key);
    free(self->keep_alive);
    free(self);
    *self_p = NULL;
}

const char *cw_llm_backend_name(const cw_llm_t *self)
{
    if (!self)
        return "none";
    switch (self->kind) {
    case CW_LLM_KIND_OPENAI:
        return "openai";
    case CW_LLM_KIND_OFFLINE:
        return "offline";
    default:
        return "ollama";
    }
}

const char *cw_llm_model(const cw_llm_t *self)
{
    return self ? self->model : "";
}

bool cw_llm_is_offline(const cw_llm_t *self)
{
    return self && self->kind == CW_LLM_KIND_OFFLINE;
}

int cw_llm_num_ctx(const cw_llm_t *self)
{
    return self ? self->num_ctx : 0;
}

void cw_llm_set_wait_divisor(cw_llm_t *self, int divisor)
{
    if (self)
        self->wait_divisor = divisor >= 1 ? divisor : 1;
}

bool cw_llm_health(cw_llm_t *self, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!self)
        return false;
    /* a health check answers for the server, not for one request's deadline */
    bool (*cancel)(void *) = self->cancel;
    void *cancel_arg = self->cancel_arg;
    self->cancel = NULL;
    bool up;
    switch (self->kind) {
    case CW_LLM_KIND_OFFLINE:
        up = true;
        break;
    case CW_LLM_KIND_OPENAI:
        up = cw_openai_health(self, err, errlen);
        break;
    default:
        up = cw_ollama_health(self, err, errlen);
    }
    self->cancel = cancel;
    self->cancel_arg = cancel_arg;
    return up;
}

int cw_llm_prewarm(cw_llm_t *self)
{
    if (!self || self->kind != CW_LLM_KIND_OLLAMA)
        return 0;
    return cw_ollama_prewarm(self);
}

cw_llm_status_t cw_llm_generate(cw_llm_t *self, const cw_llm_call_t *call, cw_llm_result_t *result)
{
    memset(result, 0, sizeof(*result));
    if (!self || !call || !call->prompt) {
        result->status = CW_LLM_FAILED;
        snprintf(result->error, sizeof(result->error), "no prompt");
        return result->status;
    }
    int64_t start = cw_llm_now_ms();
    cw_llm_status_t st;
    switch (self->kind) {
    case CW_LLM_KIND_OPENAI:
        st = cw_openai_generate(self, call, result);
        break;
    case CW_LLM_KIND_OLLAMA:
        st = cw_ollama_generate(self, call, result);
        break;
    default:
        st = CW_LLM_FAILED;
        snprintf(result->error, sizeof(result->error), "the offline backend does not call an LLM");
    }
    result->status = st;
    if (st != CW_LLM_OK) {
        free(result->text);
        result->text = NULL;
    } else if (result->duration_ms <= 0)
        result->duration_ms = cw_llm_now_ms() - start;
    return st;
}

void cw_llm_result_clear(cw_llm_result_t *result)
{
    if (!result)
        return;
    free(result->text);
    memset(result, 0, sizeof(*result));
}

const char *cw_llm_status_name(cw_llm_status_t status)
{
    switch (status) {
    case CW_LLM_OK:
        return "ok";
    case CW_LLM_UNAVAILABLE:
        return "unavailable";
    case CW_LLM_BUSY:
        return "busy";
    case CW_LLM_MODEL_MISSING:
        return "model_missing";
    case CW_LLM_BAD_INPUT:
        return "bad_input";
    case CW_LLM_CANCELLED:
        return "cancelled";
    default:
        return "failed";
    }
}

/* ---------------------------------------------------------------- attempts and retries */
cw_llm_attempt_t cw_llm_classify_status(long status)
{
    if (status == 404)
        return CW_LLM_ATTEMPT_MODEL_MISSING;
    if (status == 429 || status == 503)
        return CW_LLM_ATTEMPT_BUSY;
    if (status == 400)
        return CW_LLM_ATTEMPT_BAD_INPUT;
    if (status >= 500)
        return CW_LLM_ATTEMPT_RETRY;
    return CW_LLM_ATTEMPT_FATAL;
}

/* The wait after a busy answer: its Retry-After (capped) when the backend honours that
   value, else 2 s * attempt. */
static int64_t s_busy_wait_ms(const cw_llm_attempt_hooks_t *hooks, long retry_after_s, int n)
{
    if (hooks->retry_after_max_s > 0 && retry_after_s > hooks->retry_after_max_s)
        retry_after_s = hooks->retry_after_max_s;
    if (retry_after_s >= 0 && retry_after_s >= hooks->retry_after_min_s)
        return retry_after_s * 1000LL;
    return 2000LL * n;
}

cw_llm_status_t cw_llm_run_attempts(cw_llm_t *self, const char *backend, cw_llm_attempt_fn *attempt,
                                    const cw_llm_call_t *call, cw_llm_result_t *res,
                                    const cw_llm_attempt_hooks_t *hooks)
{
    static const cw_llm_attempt_hooks_t no_hooks = {0};
    if (!hooks)
        hooks = &no_hooks;
    cw_llm_status_t last = CW_LLM_FAILED;
    for (int n = 1; n <= CW_LLM_ATTEMPTS; n++) {
        if (cw_llm_cancelled(self)) {
            snprintf(res->error, sizeof(res->error), "cancelled before attempt %d: %s", n,
                     "the caller stopped waiting");
            return CW_LLM_CANCELLED;
        }
        res->attempts = n;
        res->error[0] = '\0';
        long retry_after_s = -1;
        cw_llm_attempt_t a = attempt(self, call, res, &retry_after_s);
        if (a == CW_LLM_ATTEMPT_OK) {
            if (hooks->on_ok)
                hooks->on_ok(self, call, res);
            return CW_LLM_OK;
        }
        if (cw_llm_cancelled(self)) {
            cw_warn("llm_call_cancelled", CW_LS("backend", backend), CW_LI("attempt", n),
                    CW_LS("error", res->error), CW_LEND);
            return CW_LLM_CANCELLED;
        }
        bool more = n < CW_LLM_ATTEMPTS;
        bool final = a == CW_LLM_ATTEMPT_MODEL_MISSING || a == CW_LLM_ATTEMPT_BAD_INPUT ||
                     a == CW_LLM_ATTEMPT_FATAL;
        if (hooks->log_will_retry)
            cw_warn("llm_attempt_failed", CW_LS("backend", backend), CW_LI("attempt", n),
                    CW_LS("error", res->error), CW_LB("will_retry", more && !final), CW_LEND);
        else
            cw_warn("llm_attempt_failed", CW_LS("backend", backend), CW_LI("attempt", n),
                    CW_LS("error", res->error), CW_LEND);
        switch (a) {
        case CW_LLM_ATTEMPT_MODEL_MISSING:
            return CW_LLM_MODEL_MISSING;
        case CW_LLM_ATTEMPT_BAD_INPUT:
            return CW_LLM_BAD_INPUT;
        case CW_LLM_ATTEMPT_FATAL:
            return CW_LLM_FAILED;
        case CW_LLM_ATTEMPT_TRANSPORT:
            last = CW_LLM_UNAVAILABLE;
            break;
        case CW_LLM_ATTEMPT_BUSY:
            last = CW_LLM_BUSY;
            break;
        default: /* out of memory, retryable server error */
            last = CW_LLM_FAILED;
        }
        if (!more)
            break;
        if (a == CW_LLM_ATTEMPT_BUSY)
            cw_llm_wait_ms(self, s_busy_wait_ms(hooks, retry_after_s, n));
        else if (a == CW_LLM_ATTEMPT_OOM && hooks->on_oom)
            hooks->on_oom(self, res->error);
        else
            cw_llm_wait_ms(self, 2000LL * n);
    }
    return last;
}

/* ---------------------------------------------------------------- helpers */
int64_t cw_llm_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void cw_llm_wait_ms(cw_llm_t *self, int64_t ms)
{
    int div = self && self->wait_divisor > 0 ? self->wait_divisor : 1;
    int64_t left = ms / div;
    while (left > 0 && !zsys_interrupted && !cw_llm_cancelled(self)) {
        int64_t slice = left > 100 ? 100 : left;
        struct timespec ts = {(time_t)(slice / 1000), (long)(slice % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        left -= slice;
    }
}

void cw_llm_excerpt(const char *s, size_t n, char *out, size_t outlen)
{
    if (!outlen)
        return;
    size_t o = 0;
    for (size_t i = 0; s && i < n && o + 1 < outlen; i++) {
        unsigned char c = (unsigned char)s[i];
        out[o++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
    }
    /* do not end inside a UTF-8 sequence */
    o = cw_utf8_complete(out, o);
    out[o] = '\0';
}

/* ---------------------------------------------------------------- HTTP */
int cw_llm_http(cw_llm_t *self, const char *path, const char *body, long timeout_s,
                size_t max_response, cw_http_line_fn *on_line, void *arg, cw_http_response_t *resp)
{
    memset(resp, 0, sizeof(*resp));
    resp->retry_after_s = -1;
    size_t un = strlen(self->base_url) + strlen(path) + 1;
    char *url = malloc(un);
    char *auth = NULL;
    size_t an = 0;
    if (self->api_key && *self->api_key) {
        an = strlen(self->api_key) + 32;
        auth = malloc(an);
        if (auth)
            snprintf(auth, an, "Authorization: Bearer %s", self->api_key);
    }
    if (!url || (an && !auth)) {
        free(url);
        free(auth);
        snprintf(resp->error, sizeof(resp->error), "out of memory building the request");
        return -1;
    }
    snprintf(url, un, "%s%s", self->base_url, path);
    const char *headers[4];
    size_t h = 0;
    headers[h++] = "Accept: application/json, application/x-ndjson";
    if (body)
        headers[h++] = "Content-Type: application/json";
    if (auth)
        headers[h++] = auth;
    headers[h] = NULL;
    cw_http_options_t opts = {
        .connect_timeout_ms = self->connect_timeout_s * 1000,
        .timeout_ms = timeout_s * 1000,
        .max_response = max_response,
        .on_line = on_line,
        .line_arg = arg,
        .max_line = CW_LLM_MAX_LINE,
        .stop = &zsys_interrupted,
        .stall_timeout_ms = self->stall_s * 1000,
        .cancel = self->cancel,
        .cancel_arg = self->cancel_arg,
    };
    int rc = body ? cw_http_post(url, headers, body, &opts, resp)
                  : cw_http_get(url, headers, &opts, resp);
    free(url);
    if (auth) {
        memset(auth, 0, an); /* the api key */
        free(auth);
    }
    return rc;
}

/* ---------------------------------------------------------------- cancellation */
void cw_llm_set_cancel(cw_llm_t *self, bool (*cancel)(void *arg), void *arg)
{
    if (!self)
        return;
    self->cancel = cancel;
    self->cancel_arg = cancel ? arg : NULL;
}

bool cw_llm_cancelled(cw_llm_t *self)
{
    return self && self->cancel && self->cancel(self->cancel_arg);
}
