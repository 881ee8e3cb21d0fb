/*  cw_cycle — one documentation cycle conducted as a saga over the bus:
    analyzer (candidates) -> committer (dedup) -> generator (document) -> committer
    (write, commit, push). Each step is recorded in the cycle log before the next is
    taken, with its job id, so a restart resumes or abandons an open cycle and never
    documents the same target twice. Shared by codeworm-scheduler and `codeworm run-once`. */
#ifndef CW_CYCLE_H
#define CW_CYCLE_H

#include "cw_config.h"

typedef enum {
    CW_CYCLE_COMMITTED = 0, /* a document was committed */
    CW_CYCLE_SKIPPED = 1,   /* nothing left to document */
    CW_CYCLE_FAILED = 2,    /* a step failed */
    CW_CYCLE_LLM_DOWN = 3   /* the generator reports the LLM unavailable */
} cw_cycle_result_t;

typedef struct {
    cw_cycle_result_t result;
    char cycle_id[40];
    char reason[1024];
    char step[32];
    char commit[64];
    char path[1024];
    char target[512];
    char doc_type[32];
    char repo[256];
    /* issue 10: the failure came from the environment and may clear by itself (no answer,
       or an error its sender calls retryable: disk full, database locked, broker away);
       cw_cycle_probe tells when it has */
    bool environmental;
} cw_cycle_outcome_t;

typedef struct _cw_cycle_runner_t cw_cycle_runner_t;

/* `service` names the publisher of cycle events ("scheduler" or "codeworm"). */
cw_cycle_runner_t *cw_cycle_runner_new(const cw_config_t *config, const char *service);
void cw_cycle_runner_destroy(cw_cycle_runner_t **self_p);
/* Run one cycle; fills outcome; returns outcome->result. */
cw_cycle_result_t cw_cycle_run(cw_cycle_runner_t *self, cw_cycle_outcome_t *outcome);

/* ---- added by the scheduler: knobs for tests and the scheduler, and shared helpers */
#include <stddef.h>
#include <stdint.h>
#include "cw_schedule.h"
#include "cw_value.h"

typedef struct _cw_cyclelog_t cw_cyclelog_t;
typedef struct _cw_publisher_t cw_publisher_t;

/* Per-attempt timeouts and retries (defaults: steps 30 s x (1 + 2 retries), generate
   660 s x (1 + 1 retry)). */
void cw_cycle_runner_set_timeouts(cw_cycle_runner_t *self, int step_timeout_ms, int step_retries,
                                  int generate_timeout_ms, int generate_retries);
/* Seed the doc type choice (default: from the OS random source). */
void cw_cycle_runner_set_seed(cw_cycle_runner_t *self, uint64_t seed);
/* The runner's cycle log (owned by the runner). */
cw_cyclelog_t *cw_cycle_runner_log(cw_cycle_runner_t *self);
/* The runner's event publisher (owned by the runner), for the caller's own events. */
cw_publisher_t *cw_cycle_runner_publisher(cw_cycle_runner_t *self);
/* Recover open cycles left by a process that is gone (or by this one): a cycle that
   reached the commit step is resumed by re-sending its recorded commit_request with the
   same job id; earlier ones are marked abandoned. cw_cycle_run calls this first; callers
   may call it at start. Returns the number of cycles closed, -1 on a log error. */
int cw_cycle_recover(cw_cycle_runner_t *self);

/* issue 10: after an environmental failure, is the environment back? Asks the failed
   step's service something cheap (analyzer: one target; committer: an empty dedup, which
   first records any DevLog commit the ledger misses; generator: the broker's worker list),
   with short timeouts, and first re-sends a commit left open. true when it answers. */
bool cw_cycle_probe(cw_cycle_runner_t *self, const cw_cycle_outcome_t *failed);

/* Doc types to try, in order: the first chosen by weighted random choice over `weights`
   (weight <= 0 never chosen), then the others by weight descending (ties: reference
   order). Returns how many indices were written to `order`. */
int cw_cycle_doc_type_order(const double weights[CW_DOC_TYPE_COUNT], cw_rng_t *rng,
                            int order[CW_DOC_TYPE_COUNT]);
/* Display name of a target map (OUTPUT.md): Class.function, else function, else class,
   else the file's stem. */
void cw_cycle_display_name(const cw_value_t *target, char *out, size_t outlen);

#endif
