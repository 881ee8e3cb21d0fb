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
   documented), -1 failed (logged; try again later). Uses the summary's own client. */
int cw_summary_run(cw_summary_t *self, const cw_summary_period_t *p);
/* The same with another thread's client and publisher (a cycle runner's, on a slot of the
   scheduler's pool: a summary generates for minutes with a real LLM and must not hold up
   the scheduler). Fails at once, without asking, when the broker has no committer or no
   generator worker. Reads only what cw_summary_new copied (time zone, timeouts). */
int cw_summary_run_with(cw_summary_t *self, cw_client_t *client, cw_publisher_t *publisher,
                        const cw_summary_period_t *p);
/* The scheduler's side, which never blocks: the next period due at `now` (the last ISO
   week, then the last month) not handled yet in this process and not waiting for a retry;
   true with *out filled. Report how it went with cw_summary_done. */
bool cw_summary_due(cw_summary_t *self, time_t now, cw_summary_period_t *out);
/* rc as cw_summary_run's: handled (0, 1), or retried later (-1). */
void cw_summary_done(cw_summary_t *self, const cw_summary_period_t *p, int rc, time_t now);
/* due + run + done on the caller's thread (tests): how many were written. */
int cw_summary_tick(cw_summary_t *self, time_t now);

#endif
