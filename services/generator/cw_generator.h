/*  cw_generator — the generator worker's logic: a generate_request's target -> prompt ->
    LLM -> cleaned documentation + commit message -> generate_reply (or an error reply).

    LLM health: the generator checks the backend before taking work and whenever a call
    fails because the server cannot be reached. While it is down every request is answered
    with an error (code CW_ERR_UNAVAILABLE, retryable) and the health is re-checked after
    10 s, 20 s, 40 s ... at most 300 s (10 * 2^(n-1)); each failed check publishes
    llm_unavailable {backend, consecutive, retry_seconds, error}, and the first good check
    after that publishes llm_recovered {backend}. A missing model (404) is answered with
    CW_ERR_BAD_REQUEST, not retryable, message starting "model not found".

    Events go through the hook set with cw_generator_set_event_hook (main.c wires it to a
    cw_publisher); without a hook they are only logged.                                 */
#ifndef CW_GENERATOR_H
#define CW_GENERATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cw_config.h"
#include "cw_llm.h"
#include "cw_value.h"

#define CW_GEN_HEALTH_INITIAL_MS 10000
#define CW_GEN_HEALTH_MAX_MS 300000
#define CW_GEN_COMMIT_TEMPERATURE 0.4
#define CW_GEN_COMMIT_MAX_TOKENS 100

/* A generate_request's target in plain C (pointers borrowed from the request). */
typedef struct {
    int doc_type; /* cw_doc_type_t; -1 if unknown */
    const char *doc_type_name;
    const char *repo;
    const char *file;
    const char *language;
    const char *name;
    const char *class_name; /* NULL if none */
    const char *source;
    const char *docstring; /* NULL if none */
    const char *signature; /* NULL if none */
    const char *context;   /* NULL if none */
    long start_line;
    long end_line;
    double complexity;
    long nloc;    /* -1 if not given */
    long params;  /* -1 if not given */
    long nesting; /* -1 if not given */
    bool is_async;
    const char **parameters;
    size_t parameter_count;
    const char **calls;
    size_t call_count;
    const char **decorators;
    size_t decorator_count;
} cw_gen_target_t;

/* Fill `t` from a target map (pointers borrow from `target`; arrays are malloc'd: release
   with cw_gen_target_free). -1 with a reason when a required field is missing. */
int cw_gen_target_from_value(const cw_value_t *target, cw_gen_target_t *t, char *err,
                             size_t errlen);
void cw_gen_target_free(cw_gen_target_t *t);
/* "Class.function" when both exist (and differ), else the function, else the class, else
   the file's stem. */
void cw_gen_display_name(const cw_gen_target_t *t, char *out, size_t outlen);

typedef struct _cw_generator_t cw_generator_t;

typedef void(cw_generator_event_fn)(const char *event, cw_value_t **fields, void *arg);

/* NULL (logged) if the backend named in the config is unknown. The config is read, not
   kept. */
cw_generator_t *cw_generator_new(const cw_config_t *config);
void cw_generator_destroy(cw_generator_t **self_p);
/* fields (a map) is handed over to the hook, which must destroy or take it. */
void cw_generator_set_event_hook(cw_generator_t *self, cw_generator_event_fn *fn, void *arg);
/* The backend client (tests: cw_llm_set_wait_divisor). */
cw_llm_t *cw_generator_llm(cw_generator_t *self);

/* First health check, and a prewarm if the LLM is up. Returns true if up. */
bool cw_generator_start(cw_generator_t *self);
/* Check health now; publishes llm_unavailable / llm_recovered as described above. */
bool cw_generator_check_health(cw_generator_t *self);
/* Re-check the health if it is down and the wait is over. Returns the ms until the next
   check is due (0 = due now), or -1 while the LLM is up. */
int64_t cw_generator_tick(cw_generator_t *self);
bool cw_generator_llm_up(const cw_generator_t *self);
/* Consecutive failed health checks (0 while up). */
int cw_generator_consecutive_failures(const cw_generator_t *self);

/* Answer one request (a generate_request payload): a generate_reply or an error payload.
   Never NULL unless out of memory. The request is not modified. */
cw_value_t *cw_generator_handle(cw_generator_t *self, const cw_value_t *request);

/* The offline backend: deterministic markdown / commit message from the target alone.
   malloc'd. */
char *cw_offline_document(const cw_gen_target_t *t);
char *cw_offline_commit_message(const cw_gen_target_t *t);

#endif
