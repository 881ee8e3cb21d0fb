/*  cw_llm_int — private parts shared by the LLM backends (cw_llm.c, cw_ollama.c,
    cw_openai.c). Not for use outside services/generator. */
#ifndef CW_LLM_INT_H
#define CW_LLM_INT_H

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

/* Return `n` to go on, anything else aborts the transfer. */
typedef size_t(cw_http_sink_fn)(const char *data, size_t n, void *arg);

typedef struct {
    long status;   /* HTTP status, 0 if none */
    int curl_code; /* CURLcode */
    char curl_error[256];
    bool transport_error; /* could not connect, timed out, connection broke */
    bool aborted;         /* the sink stopped the transfer */
    bool interrupted;     /* zsys_interrupted */
    char *body;           /* without a sink: the body, NUL-terminated, at most max_body */
    size_t body_len;
    bool body_overflow;
    long retry_after_s; /* Retry-After header in seconds, -1 if absent */
} cw_http_result_t;

/* One HTTP exchange. body NULL = GET. timeout_s overall. */
int cw_http_request(cw_llm_t *llm, const char *url, const char *body, long timeout_s,
                    size_t max_body, cw_http_sink_fn *sink, void *arg, cw_http_result_t *res);
void cw_http_result_clear(cw_http_result_t *res);

/* Sleep ms / wait_divisor, in slices, returning early on zsys_interrupted. */
void cw_llm_wait_ms(cw_llm_t *self, int64_t ms);
int64_t cw_llm_now_ms(void);
/* case-insensitive substring */
bool cw_llm_contains(const char *haystack, const char *needle);
/* Put a short, printable excerpt of s (n bytes) into out. */
void cw_llm_excerpt(const char *s, size_t n, char *out, size_t outlen);

cw_llm_status_t cw_ollama_generate(cw_llm_t *self, const cw_llm_call_t *call, cw_llm_result_t *res);
bool cw_ollama_health(cw_llm_t *self, char *err, size_t errlen);
int cw_ollama_prewarm(cw_llm_t *self);

cw_llm_status_t cw_openai_generate(cw_llm_t *self, const cw_llm_call_t *call, cw_llm_result_t *res);
bool cw_openai_health(cw_llm_t *self, char *err, size_t errlen);

#endif
