/*  cw_cyclelog — the scheduler's record of every cycle and its steps, and the cycle stats,
    in SQLite at <data_dir>/cycles.db (WAL, synchronous NORMAL, busy timeout: `codeworm
    run-once`, `codeworm backfill` and the scheduler may open it at once, and each cycle
    runner thread has its own connection).

      cycles(cycle_id, started_at, finished_at, state, target, doc_type, repo, reason,
             commit_oid, pid, counted, release_pending)
      steps(id, cycle_id, step, job_id, at, detail, payload)   payload = the exact request
             (msgpack) for steps that may be repeated (commit)
      stats(total, successful, failed, skipped, consecutive_failures, consecutive_skips, ...)

    Each step is written (one transaction with the cycle's new state) BEFORE its request is
    sent, so after a crash an open cycle is either resumed (it reached the commit step: the
    same commit_request, same job id, is sent again and the committer answers a repeat with
    its first result) or abandoned (nothing was committed; its target comes round again).
    Times are Unix seconds.                                                               */
#ifndef CW_CYCLELOG_H
#define CW_CYCLELOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cw_config.h"

#define CW_CYCLE_STATE_STARTED "started"
#define CW_CYCLE_STATE_ANALYZED "analyzed"
#define CW_CYCLE_STATE_GENERATING "generating"
#define CW_CYCLE_STATE_GENERATED "generated"
#define CW_CYCLE_STATE_COMMITTING "committing"
#define CW_CYCLE_STATE_COMMITTED "committed"
#define CW_CYCLE_STATE_SKIPPED "skipped"
#define CW_CYCLE_STATE_FAILED "failed"
#define CW_CYCLE_STATE_ABANDONED "abandoned"

/* true for committed, skipped, failed, abandoned */
bool cw_cyclelog_state_is_final(const char *state);

typedef enum {
    CW_RECOVER_NONE = 0,   /* closed cycle: nothing to do */
    CW_RECOVER_RESUME = 1, /* re-send the recorded commit_request with its job id */
    CW_RECOVER_ABANDON = 2 /* nothing committed: mark abandoned */
} cw_recover_action_t;

/* The recovery decision for a cycle found in `state` (has_commit_step: a commit step with
   its request was recorded). */
cw_recover_action_t cw_cyclelog_recovery_action(const char *state, bool has_commit_step);

typedef struct {
    int64_t total;
    int64_t successful;
    int64_t failed;
    int64_t skipped;
    int64_t consecutive_failures;
    int64_t consecutive_skips;
    int64_t last_success; /* 0 = never */
    int64_t last_failure; /* 0 = never */
    char last_failure_reason[1024];
} cw_cycle_stats_t;

typedef struct {
    char cycle_id[65];
    char state[16];
    char doc_type[33];
    char repo[257];
    char reason[1024];
    char commit_oid[65];
    int64_t started_at;
    int64_t finished_at;  /* 0 while open */
    int64_t pid;          /* process that ran it */
    bool counted;         /* its result is in the stats */
    bool release_pending; /* it may hold a claim at the committer (a dedup with its id was
                             sent) that nobody released yet */
} cw_cyclelog_cycle_t;

typedef struct _cw_cyclelog_t cw_cyclelog_t;

/* Open (create) the database at `path`. NULL + error log on failure. */
cw_cyclelog_t *cw_cyclelog_new(const char *path);
/* <data_dir>/cycles.db of a config. */
cw_cyclelog_t *cw_cyclelog_new_for_config(const cw_config_t *config);
void cw_cyclelog_destroy(cw_cyclelog_t **self_p);

/* A new cycle in state "started", owned by this process. 0 / -1. */
int cw_cyclelog_begin(cw_cyclelog_t *self, const char *cycle_id, time_t at);
/* Record a step (and, if new_state != NULL, the cycle's new state) in one transaction.
   payload (may be NULL) is stored as a blob for steps that may be repeated. */
int cw_cyclelog_step(cw_cyclelog_t *self, const char *cycle_id, const char *step,
                     const char *job_id, const char *detail, const void *payload,
                     size_t payload_len, const char *new_state, time_t at);
/* One step and what changes with it, in one transaction: the step row, then the cycle's
   state, doc type, repo, target and release flag, each only when given (NULL / -1). */
typedef struct {
    const char *cycle_id;
    const char *step;
    const char *job_id;
    const char *detail;
    const void *payload; /* the exact request, for steps that may be repeated (commit) */
    size_t payload_len;
    time_t at;
    const char *new_state;
    const char *doc_type;
    const char *repo;
    const char *target_json;
    int release_pending; /* 1 set, 0 clear, -1 leave */
} cw_cyclelog_rec_t;
int cw_cyclelog_record(cw_cyclelog_t *self, const cw_cyclelog_rec_t *rec);
/* Mark whether the cycle may still hold a claim that nobody released. 0 / -1. Closing a
   cycle as committed clears it (the committer drops the claim with the ledger write). */
int cw_cyclelog_set_release_pending(cw_cyclelog_t *self, const char *cycle_id, bool pending);
/* Closed cycles whose claim was never released (their release was lost or never sent),
   oldest first; up to max. The count, or -1. */
int cw_cyclelog_list_release_pending(cw_cyclelog_t *self, cw_cyclelog_cycle_t *out, int max);
/* Set the chosen target (JSON), its doc type and repo. */
int cw_cyclelog_set_target(cw_cyclelog_t *self, const char *cycle_id, const char *doc_type,
                           const char *repo, const char *target_json);
int cw_cyclelog_set_state(cw_cyclelog_t *self, const char *cycle_id, const char *state);
/* Close a cycle: final state, reason (may be NULL), commit oid (may be NULL). If
   count_result >= 0 (a cw_cycle_result_t) and the cycle was not counted yet, the stats are
   updated in the same transaction and the cycle marked counted; `stats_out` (may be NULL)
   receives the stats after the update. */
int cw_cyclelog_finish(cw_cyclelog_t *self, const char *cycle_id, const char *state,
                       const char *reason, const char *commit_oid, time_t at, int count_result,
                       cw_cycle_stats_t *stats_out);

/* One cycle by id. 0, or -1 when unknown. */
int cw_cyclelog_get(cw_cyclelog_t *self, const char *cycle_id, cw_cyclelog_cycle_t *out);
/* Cycles not in a final state, oldest first; up to max. Returns the count (or -1). */
int cw_cyclelog_list_open(cw_cyclelog_t *self, cw_cyclelog_cycle_t *out, int max);
/* The latest step named `step` of a cycle: its job id (>= 65 bytes) and a malloc'd copy of
   its payload (*payload NULL if none). 0, or -1 when there is no such step. */
int cw_cyclelog_find_step(cw_cyclelog_t *self, const char *cycle_id, const char *step, char *job_id,
                          size_t job_id_len, void **payload, size_t *payload_len);
/* Number of steps recorded for a cycle (or -1). Steps' names in order into names (each
   32 bytes) if names != NULL, up to max. */
int cw_cyclelog_steps(cw_cyclelog_t *self, const char *cycle_id, char (*names)[32], int max);

/* Current stats (zeros on a fresh database). */
int cw_cyclelog_stats(cw_cyclelog_t *self, cw_cycle_stats_t *out);

#endif
