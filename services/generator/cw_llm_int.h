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
};

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

cw_llm_status_t cw_ollama_generate(cw_llm_t *self, const cw_llm_call_t *call, cw_llm_result_t *res);
bool cw_ollama_health(cw_llm_t *self, char *err, size_t errlen);
int cw_ollama_prewarm(cw_llm_t *self);

cw_llm_status_t cw_openai_generate(cw_llm_t *self, const cw_llm_call_t *call, cw_llm_result_t *res);
bool cw_openai_health(cw_llm_t *self, char *err, size_t errlen);

#endif
