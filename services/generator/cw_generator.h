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
#include "cw_gen_target.h"
#include "cw_llm.h"
#include "cw_value.h"

#define CW_GEN_HEALTH_INITIAL_MS 10000
#define CW_GEN_HEALTH_MAX_MS 300000
#define CW_GEN_COMMIT_TEMPERATURE 0.4
#define CW_GEN_COMMIT_MAX_TOKENS 100

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

/* The offline backend (cw_offline*.c): deterministic markdown and commit message rendered
   from the target's facts (never from its source or context). malloc'd. */
char *cw_offline_document(const cw_gen_target_t *t);
char *cw_offline_commit_message(const cw_gen_target_t *t);

#endif
