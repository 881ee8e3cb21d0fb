/*  cw_llm_int — private parts shared by the LLM backends (cw_llm.c, cw_ollama.c,
    cw_openai.c). Not for use outside services/generator. */
#ifndef CW_LLM_INT_H
#define CW_LLM_INT_H

#include "cw_text.h"
#include "cw_http.h"
#include "cw_llm.h"

typedef enum { CW_LLM_KIND_OLLAMA = 0, CW_LLM_KIND_OPENAI, CW_LLM_KIND_OFFLINE } cw_llm_kind_t;

struct _cw_llm_t {
    cw_llm_kind_t kind;
    char *model;
    char *base_url; /* no trailing slash */
    char *api_key;  /* secret: never logged */
    double temperature;
    int max_tokens; /* num_predict / max_tokens */
    int num_ctx;    /* effective (lowered after OOM) */
    char *keep_alive;
    int wait_divisor;
    long connect_timeout_s;
    long timeout_s;
    long health_timeout_s;
    long stall_s;              /* no answer byte for this long ends an attempt (0 = never) */
    bool (*cancel)(void *arg); /* cw_llm_set_cancel: the caller gave up */
    void *cancel_arg;
};

/* true when the caller's cancel callback says the call is no longer wanted. */
bool cw_llm_cancelled(cw_llm_t *self);

/* One exchange with the backend (common/cw_http): base_url + path, JSON Accept and
   Content-Type headers, the api key as a Bearer token (never logged), the configured
   connect timeout, aborted on zsys_interrupted. body NULL = GET. timeout_s overall.
   Same return contract as cw_http_post; clear resp with cw_http_response_clear. */
int cw_llm_http(cw_llm_t *self, const char *path, const char *body, long timeout_s,
                size_t max_response, cw_http_line_fn *on_line, void *arg, cw_http_response_t *resp);

/* Sleep ms / wait_divisor, in slices, returning early on zsys_interrupted. */
void cw_llm_wait_ms(cw_llm_t *self, int64_t ms);
int64_t cw_llm_now_ms(void);
/* Put a short, printable excerpt of s (n bytes) into out. */
void cw_llm_excerpt(const char *s, size_t n, char *out, size_t outlen);

/* ---------------------------------------------------------------- attempts and retries
   A backend writes one attempt (a cw_llm_attempt_fn) and hands it to cw_llm_run_attempts,
   the one retry loop: CW_LLM_ATTEMPTS attempts, a "llm_attempt_failed" warning after each
   failed one, then by outcome: model missing, bad input and fatal end the call at once;
   transport errors and retryable server errors wait 2 s * attempt; busy waits for the
   Retry-After the server sent (within the hooks' bounds), else 2 s * attempt; out of
   memory calls hooks->on_oom (else waits 2 s * attempt). No wait after the last attempt. */
typedef enum {
    CW_LLM_ATTEMPT_OK = 0,
    CW_LLM_ATTEMPT_TRANSPORT,     /* no answer: refused, unresolved, timed out, broken */
    CW_LLM_ATTEMPT_BUSY,          /* 503 / 429: retry after Retry-After or 2 s * attempt */
    CW_LLM_ATTEMPT_MODEL_MISSING, /* 404: not retried, needs a person */
    CW_LLM_ATTEMPT_BAD_INPUT,     /* the input is rejected as it is: not retried */
    CW_LLM_ATTEMPT_OOM,           /* the server ran out of memory: recover, retry */
    CW_LLM_ATTEMPT_RETRY,         /* server error worth another attempt */
    CW_LLM_ATTEMPT_FATAL          /* failure not worth retrying */
} cw_llm_attempt_t;

/* The HTTP statuses every backend reads alike (for an answer that is not a success):
   404 model missing, 429 and 503 busy, 400 bad input, other 5xx retry, anything else
   fatal. A backend decides its own exceptions before or after calling this. */
cw_llm_attempt_t cw_llm_classify_status(long status);

/* One attempt. On failure writes res->error; on success fills res->text and the counts.
   Sets retry_after_s to the answer's Retry-After in seconds, -1 when it had none. */
typedef cw_llm_attempt_t(cw_llm_attempt_fn)(cw_llm_t *self, const cw_llm_call_t *call,
                                            cw_llm_result_t *res, long *retry_after_s);

/* What a backend does differently in the retry loop. Zeroed = none of it. */
typedef struct {
    long retry_after_min_s; /* a smaller Retry-After is ignored (2 s * attempt instead) */
    long retry_after_max_s; /* a larger Retry-After is cut to this; <= 0 = no cap */
    bool log_will_retry;    /* llm_attempt_failed carries a will_retry field */
    /* after an out-of-memory attempt that will be retried (error = res->error) */
    void (*on_oom)(cw_llm_t *self, const char *error);
    /* after a successful attempt, before returning CW_LLM_OK */
    void (*on_ok)(cw_llm_t *self, const cw_llm_call_t *call, const cw_llm_result_t *res);
} cw_llm_attempt_hooks_t;

/* The retry loop (see above). backend names the backend in the log lines. Sets
   res->attempts; returns the status of the call (res->status is left to the caller). */
cw_llm_status_t cw_llm_run_attempts(cw_llm_t *self, const char *backend, cw_llm_attempt_fn *attempt,
                                    const cw_llm_call_t *call, cw_llm_result_t *res,
                                    const cw_llm_attempt_hooks_t *hooks);

/* ---------------------------------------------------------------- backends */
cw_llm_status_t cw_ollama_generate(cw_llm_t *self, const cw_llm_call_t *call, cw_llm_result_t *res);
bool cw_ollama_health(cw_llm_t *self, char *err, size_t errlen);
int cw_ollama_prewarm(cw_llm_t *self);

cw_llm_status_t cw_openai_generate(cw_llm_t *self, const cw_llm_call_t *call, cw_llm_result_t *res);
bool cw_openai_health(cw_llm_t *self, char *err, size_t errlen);

#endif
