/*  cw_scheduler — codeworm-scheduler's loop: decides when (cw_schedule: human-like times or
    a fixed interval, fractions of a second allowed), announces the next run (next_cycle),
    keeps up to schedule.max_in_flight cycles in flight (cw_cycle_pool: one runner thread
    per slot, each cycle the recorded saga of cw_cycle), publishes stats after each, and
    backs off:

      n >= 2 consecutive failed cycles: wait 30 * 2^(n-1) s (at most 300 s) before the next
      LLM unavailable: retry the cycle after 10 s, then 10 * 2^(n-1) s (at most 300 s); not
                       counted as a documentation failure (several cycles that see the same
                       outage count once)
      skipped cycles (nothing to document) are counted apart and do not back off

    Human-like schedule: each planned time starts one cycle (when every slot is busy, as soon
    as one frees). Interval mode: a cycle is due every interval_seconds; a due cycle starts
    as soon as a slot is free, so a short interval keeps every slot busy. Missed run times
    within the misfire grace (3600 s) run once (coalesced); older ones are dropped.
    schedule.enabled = false: idles until interrupted. Stats and consecutive-failure counts
    live in the cycle log, so a restart keeps them. */
#ifndef CW_SCHEDULER_H
#define CW_SCHEDULER_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "cw_config.h"

/* Wait before the next cycle after n consecutive failures: 0 for n <= 1, else
   min(300, 30 * 2^(n-1)). */
int64_t cw_scheduler_backoff_seconds(int64_t consecutive_failures);
/* Wait before retrying after the n-th consecutive "LLM unavailable": 10 for n <= 1, else
   min(300, 10 * 2^(n-1)). */
int64_t cw_scheduler_llm_wait_seconds(int64_t consecutive_llm_failures);

/* Unix time in seconds, with fractions. */
typedef double(cw_scheduler_clock_fn)(void *arg);

typedef struct _cw_scheduler_t cw_scheduler_t;

/* Creates the schedule, its own cycle runner (recovery, events) and the pool of
   schedule.max_in_flight cycle runners (each: bus client, publisher, cycle log). */
cw_scheduler_t *cw_scheduler_new(const cw_config_t *config);
void cw_scheduler_destroy(cw_scheduler_t **self_p);
/* Replace the wall clock (tests). */
void cw_scheduler_set_clock(cw_scheduler_t *self, cw_scheduler_clock_fn *fn, void *arg);
/* Seed of the schedule and of the doc type choice (tests; default random). */
void cw_scheduler_set_seed(cw_scheduler_t *self, uint64_t seed);
/* Stop after this many cycles have ended (0 = never; tests). LLM retries are not counted
   apart. */
void cw_scheduler_set_max_cycles(cw_scheduler_t *self, int max_cycles);
/* Per-step timeouts passed to the cycle runner (tests). */
void cw_scheduler_set_timeouts(cw_scheduler_t *self, int step_timeout_ms, int step_retries,
                               int generate_timeout_ms, int generate_retries);
/* Run until zsys_interrupted (or max_cycles). Returns 0. */
int cw_scheduler_run(cw_scheduler_t *self);

/* ---- configuration reload and dry run (issue 9): a small hook, kept apart */
/* Called by cw_scheduler_run only between cycles (while it waits for the next one, and
   while it idles with schedule.enabled false). Returns 1 when it applied a new
   configuration with cw_scheduler_reload, else 0. */
typedef int(cw_scheduler_reload_hook_fn)(cw_scheduler_t *self, void *arg);
void cw_scheduler_set_reload_hook(cw_scheduler_t *self, cw_scheduler_reload_hook_fn *fn, void *arg);
/* Use `config` from now on (it must outlive the scheduler or the next reload): the
   schedule is drawn again from its schedule.* keys with the same seed, the cycle runner
   takes its type weights and repositories, and the next run time is announced again.
   Only between cycles. 0, or -1 with nothing changed. */
int cw_scheduler_reload(cw_scheduler_t *self, const cw_config_t *config);
/* Dry run (`codeworm run --dry-run`): cycles generate but never commit; each document is
   logged (dry_run_complete: target, doc type, commit message, size). */
void cw_scheduler_set_dry_run(cw_scheduler_t *self, bool dry_run);

#endif
