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
} cw_cycle_outcome_t;

typedef struct _cw_cycle_runner_t cw_cycle_runner_t;

/* `service` names the publisher of cycle events ("scheduler" or "codeworm"). */
cw_cycle_runner_t *cw_cycle_runner_new(const cw_config_t *config, const char *service);
void cw_cycle_runner_destroy(cw_cycle_runner_t **self_p);
/* Run one cycle; fills outcome; returns outcome->result. */
cw_cycle_result_t cw_cycle_run(cw_cycle_runner_t *self, cw_cycle_outcome_t *outcome);

#endif
