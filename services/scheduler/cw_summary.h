/*  cw_summary — the weekly and monthly summaries. Once per ISO week and once per calendar
    month (in schedule.timezone), after the period is over, the scheduler asks the committer
    for what the ledger recorded in it (summary_request), has a generator write the summary
    (generate_request with a weekly_summary / monthly_summary target whose `summary` map
    holds the facts and whose source lists them), and has the committer write it to
    analysis/weekly/YYYY-Www.md or analysis/monthly/YYYY-MM.md (commit_request, job id
    "summary-<kind>-<period>").

    Each period is written once: the committer answers "exists" for a period it has
    written (its summaries table, or the file), so a restart asks again and does nothing.
    A period in which nothing was documented gets no summary. A failed attempt (LLM down,
    no committer) is tried again 10 minutes later (5 s with CW_TEST_FAST=1).          */
#ifndef CW_SUMMARY_H
#define CW_SUMMARY_H

#include <stddef.h>
#include <time.h>

#include "cw_bus.h"
#include "cw_config.h"

typedef struct {
    char kind[8];                     /* "weekly" | "monthly" */
    char doc_type[20];                /* "weekly_summary" | "monthly_summary" */
    char period[16];                  /* "2026-W09" | "2026-02" */
    char first_day[11], last_day[11]; /* local dates, both inclusive */
    time_t start, end;                /* [start, end): local midnights */
} cw_summary_period_t;

typedef struct _cw_summary_t cw_summary_t;

/* `publisher` (may be NULL) is borrowed, for `log` events about summaries. NULL on OOM. */
cw_summary_t *cw_summary_new(const cw_config_t *config, cw_publisher_t *publisher);
void cw_summary_destroy(cw_summary_t **self_p);
/* Per-request timeouts and retries (defaults as the cycle runner's). */
void cw_summary_set_timeouts(cw_summary_t *self, int step_timeout_ms, int step_retries,
                             int generate_timeout_ms, int generate_retries);

/* The last ISO week / calendar month that ended at or before `now`, in the timezone. */
void cw_summary_last_week(cw_summary_t *self, time_t now, cw_summary_period_t *out);
void cw_summary_last_month(cw_summary_t *self, time_t now, cw_summary_period_t *out);

/* Write the summary of `p`: 1 written, 0 nothing to do (written before, or nothing was
   documented), -1 failed (logged; try again later). */
int cw_summary_run(cw_summary_t *self, const cw_summary_period_t *p);
/* The scheduler's hook: runs the summaries that are due at `now` and not handled yet in
   this process. Returns how many were written. Quick when nothing is due. */
int cw_summary_tick(cw_summary_t *self, time_t now);

#endif
