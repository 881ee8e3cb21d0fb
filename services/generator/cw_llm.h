/*  cw_llm — the LLM backends the generator talks to, over common/cw_http.

      ollama  POST {http://host:port}/api/generate, streaming NDJSON parsed as it arrives
              (response capped at CW_LLM_MAX_RESPONSE, one line at CW_LLM_MAX_LINE).
              Health GET / (5 s). Retries: 3 attempts; connection errors and timeouts wait
              2 s * attempt; 503/429 (busy) retry the same way; a 500 mentioning "out of
              memory" or "cuda" unloads the model (keep_alive 0), waits 5 s, reloads it with
              num_ctx at most 8192 and retries; 404 (model not found) and 400 are not
              retried; an error line inside a 200 stream is a failure.
      openai  POST {base_url}/chat/completions (stream false), Bearer api_key if set (never
              logged); 429/503 honour Retry-After (at most 120 s). Health GET {base_url}/models.
      offline no network at all: cw_llm_generate is never called for it (the generator
              writes from the target alone, see cw_offline.h); health is always up.

    An answer that stops coming (no byte for ollama.stall_seconds, default 60, once it has
    started) ends the attempt like a broken connection (transport error: retried, and
    reported "unavailable" if every attempt stalls), besides the overall 600 s timeout.

    Waits are divided by 100 when the environment has CW_TEST_FAST=1 (or by the divisor
    set with cw_llm_set_wait_divisor) so that tests run fast. A call is aborted when
    zsys_interrupted is set.                                                            */
#ifndef CW_LLM_H
#define CW_LLM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cw_config.h"

#define CW_LLM_MAX_RESPONSE (256 * 1024) /* generated text kept from one call */
#define CW_LLM_MAX_LINE (1024 * 1024)    /* one NDJSON line / one non-streamed body */
#define CW_LLM_ATTEMPTS 3
#define CW_LLM_OOM_NUM_CTX 8192

typedef enum {
    CW_LLM_OK = 0,
    CW_LLM_UNAVAILABLE,   /* server unreachable (refused, timed out, connection broke) */
    CW_LLM_BUSY,          /* 503 / 429 on every attempt */
    CW_LLM_MODEL_MISSING, /* 404 model not found: do not retry, needs a person */
    CW_LLM_BAD_INPUT,     /* 400: the input is rejected as it is */
    CW_LLM_FAILED,        /* server error, error mid-stream, malformed or oversized answer */
    CW_LLM_CANCELLED      /* the cancel callback (cw_llm_set_cancel) said stop */
} cw_llm_status_t;

typedef struct {
    const char *system;
    const char *prompt;
    double temperature; /* < 0: the configured temperature */
    int max_tokens;     /* <= 0: the configured num_predict / max_tokens */
} cw_llm_call_t;

typedef struct {
    cw_llm_status_t status;
    char *text; /* malloc'd generated text (OK only) */
    long prompt_tokens;
    long completion_tokens;
    int64_t duration_ms; /* server-reported when available, else wall clock */
    bool truncated;      /* the answer was cut by the token limit */
    int attempts;
    char error[512];
} cw_llm_result_t;

typedef struct _cw_llm_t cw_llm_t;

/* Backend from config->llm.backend (NULL/"" = ollama). NULL + err for an unknown one. */
cw_llm_t *cw_llm_new(const cw_config_t *config, char *err, size_t errlen);
void cw_llm_destroy(cw_llm_t **self_p);

const char *cw_llm_backend_name(const cw_llm_t *self); /* "ollama" | "openai" | "offline" */
const char *cw_llm_model(const cw_llm_t *self);
bool cw_llm_is_offline(const cw_llm_t *self);
/* The num_ctx used for the next call (lowered after an out-of-memory recovery). */
int cw_llm_num_ctx(const cw_llm_t *self);
/* A callback asked about once a second during a call (and before each attempt or wait):
   true stops the call with CW_LLM_CANCELLED. NULL = none. The generator uses it for the
   deadline of its request (the client stops waiting, so the answer is no longer wanted). */
void cw_llm_set_cancel(cw_llm_t *self, bool (*cancel)(void *arg), void *arg);
/* Divide every wait by `divisor` (>= 1). */
void cw_llm_set_wait_divisor(cw_llm_t *self, int divisor);

/* Is the server answering? On false, err says why. */
bool cw_llm_health(cw_llm_t *self, char *err, size_t errlen);
/* Load the model ahead of the first call (ollama). Failures are logged, not fatal. */
int cw_llm_prewarm(cw_llm_t *self);
/* One generation with retries. Fills `result` (clear it with cw_llm_result_clear). */
cw_llm_status_t cw_llm_generate(cw_llm_t *self, const cw_llm_call_t *call, cw_llm_result_t *result);
void cw_llm_result_clear(cw_llm_result_t *result);
const char *cw_llm_status_name(cw_llm_status_t status);

#endif
