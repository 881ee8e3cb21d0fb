/*  cw_cycle_pool — up to N cycles in flight: N cycle-runner threads, each with its own
    cycle runner (its own DEALER client socket, event publisher and cycle-log connection),
    so every cycle is the same recorded saga as a single one (cw_cycle). The caller's
    thread decides when a cycle starts (cw_cycle_pool_start on an idle slot) and collects
    the outcomes (cw_cycle_pool_wait). Used by codeworm-scheduler (schedule.max_in_flight)
    and `codeworm backfill` (--in-flight).

        cw_cycle_pool_t *pool = cw_cycle_pool_new (config, "scheduler", 8);
        while (...) {
            if (cw_cycle_pool_idle (pool) > 0)
                cw_cycle_pool_start (pool, &plan);
            cw_cycle_outcome_t o;
            if (cw_cycle_pool_wait (pool, 200, &o) == 1)
                ...                     // one cycle finished
        }
        cw_cycle_pool_destroy (&pool);  // waits for the cycles in flight

    A cycle in flight ends on its own (its requests have timeouts) or, once zsys_interrupted
    is set, at its next request (abandoned, or left "committing" for recovery). */
#ifndef CW_CYCLE_POOL_H
#define CW_CYCLE_POOL_H

#include <stdint.h>

#include "cw_config.h"
#include "cw_cycle.h"

#define CW_CYCLE_POOL_MAX 64

typedef struct _cw_cycle_pool_t cw_cycle_pool_t;

/* `size` runners (1..CW_CYCLE_POOL_MAX) publishing as `service`. `config` is borrowed and
   must outlive the pool. NULL on failure (logged). */
cw_cycle_pool_t *cw_cycle_pool_new(const cw_config_t *config, const char *service, int size);
/* Waits for the cycles in flight, then stops the threads. */
void cw_cycle_pool_destroy(cw_cycle_pool_t **self_p);
int cw_cycle_pool_size(cw_cycle_pool_t *self);
/* Slots free to start a cycle. */
int cw_cycle_pool_idle(cw_cycle_pool_t *self);
/* Cycles started and not yet collected by cw_cycle_pool_wait. */
int cw_cycle_pool_busy(cw_cycle_pool_t *self);
/* Start a cycle of `plan` (copied; NULL = the default plan; its pager is borrowed and must
   outlive the cycle) on an idle slot. 0, or -1 when no slot is idle. */
int cw_cycle_pool_start(cw_cycle_pool_t *self, const cw_cycle_plan_t *plan);
/* Other work on a slot's thread, with its runner (its client and publisher): fn fills the
   outcome (result, reason, tag, ...) as a cycle would; it is collected by cw_cycle_pool_wait
   like a cycle's. 0, or -1 when no slot is idle. */
typedef void(cw_cycle_job_fn)(cw_cycle_runner_t *runner, void *arg, cw_cycle_outcome_t *outcome);
int cw_cycle_pool_start_job(cw_cycle_pool_t *self, cw_cycle_job_fn *fn, void *arg);
/* The next finished cycle's outcome, waiting up to timeout_ms (0 = do not wait). 1 with
 *out filled, 0 when none finished in time. */
int cw_cycle_pool_wait(cw_cycle_pool_t *self, int timeout_ms, cw_cycle_outcome_t *out);
/* Per-step timeouts and seeds for every runner (tests), before the first start; runner i
   gets seed + i. */
void cw_cycle_pool_set_timeouts(cw_cycle_pool_t *self, int step_timeout_ms, int step_retries,
                                int generate_timeout_ms, int generate_retries);
void cw_cycle_pool_set_seed(cw_cycle_pool_t *self, uint64_t seed);
/* Every runner uses `config` from its next cycle on (a reload). Only while no cycle is in
   flight (cw_cycle_pool_busy() == 0): a running cycle reads the config it started with. */
void cw_cycle_pool_set_config(cw_cycle_pool_t *self, const cw_config_t *config);
/* Dry run for every runner (see cw_cycle_runner_set_dry_run); before the first start. */
void cw_cycle_pool_set_dry_run(cw_cycle_pool_t *self, cw_cycle_dry_run_fn *fn, void *arg);

#endif
