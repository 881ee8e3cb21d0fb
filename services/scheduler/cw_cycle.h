/*  cw_cycle — one documentation cycle conducted as a saga over the bus:
    analyzer (candidates) -> committer (dedup) -> generator (document) -> committer
    (write, commit, push). Each step is recorded in the cycle log before the next is
    taken, with its job id, so a restart resumes or abandons an open cycle and never
    documents the same target twice. Shared by codeworm-scheduler, `codeworm run-once` and
    `codeworm backfill`. */
#ifndef CW_CYCLE_H
#define CW_CYCLE_H

#include <stdbool.h>
#include <stdint.h>

#include "cw_config.h"

typedef enum {
    CW_CYCLE_COMMITTED = 0, /* a document was committed */
    CW_CYCLE_SKIPPED = 1,   /* nothing left to document */
    CW_CYCLE_FAILED = 2,    /* a step failed */
    CW_CYCLE_LLM_DOWN = 3,  /* the generator reports the LLM unavailable */
    CW_CYCLE_GENERATED = 4  /* dry run: documented, nothing committed */
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
    char code_hash[65]; /* of the chosen target ("" when none was chosen) */
    int64_t elapsed_ms; /* wall time of the cycle */
    void *tag;          /* the plan's tag (cw_cycle_plan_t) */
    /* the committer's push of this commit (commit_reply pushed/push_state/push_error) */
    bool pushed;
    char push_state[24]; /* "pushed", "not_configured", "retrying", "refused", "blocked" */
    char push_error[1024];
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

/* Per-attempt timeouts and retries of a cycle's requests, shared by the cycle runner and
   the summaries (cw_summary). */
typedef struct {
    int step_timeout_ms; /* analyzer and committer requests */
    int step_retries;
    int generate_timeout_ms; /* generator requests */
    int generate_retries;
} cw_cycle_timeouts_t;
/* Steps 30 s x (1 + 2 retries), generate 660 s x (1 + 1 retry). */
#define CW_CYCLE_TIMEOUTS_DEFAULT ((cw_cycle_timeouts_t){30000, 2, 660000, 1})
/* The values given, where a timeout <= 0 takes its default and negative retries are 0. */
cw_cycle_timeouts_t cw_cycle_timeouts(int step_timeout_ms, int step_retries,
                                      int generate_timeout_ms, int generate_retries);

/* Per-attempt timeouts and retries (cw_cycle_timeouts; defaults CW_CYCLE_TIMEOUTS_DEFAULT). */
void cw_cycle_runner_set_timeouts(cw_cycle_runner_t *self, int step_timeout_ms, int step_retries,
                                  int generate_timeout_ms, int generate_retries);
/* Seed the doc type choice (default: from the OS random source). */
void cw_cycle_runner_set_seed(cw_cycle_runner_t *self, uint64_t seed);
/* The runner's cycle log (owned by the runner). */
cw_cyclelog_t *cw_cycle_runner_log(cw_cycle_runner_t *self);
/* The runner's event publisher (owned by the runner), for the caller's own events. */
cw_publisher_t *cw_cycle_runner_publisher(cw_cycle_runner_t *self);
/* The runner's bus client (owned by the runner), for other requests on the runner's thread
   (the weekly and monthly summaries). */
typedef struct _cw_client_t cw_client_t;
cw_client_t *cw_cycle_runner_client(cw_cycle_runner_t *self);
/* Recover open cycles left by a process that is gone (or by this one, when not in
   flight): a cycle that reached the commit step is resumed by re-sending its recorded
   commit_request with the same job id; earlier ones are marked abandoned and their claim
   released. Claims whose release was lost are released. cw_cycle_run calls this first
   (skipped while another thread of the process recovers); callers may call it at start.
   Returns the number of cycles closed, -1 on a log error. */
int cw_cycle_recover(cw_cycle_runner_t *self);

/* ---- issue 6: concurrent cycles, claims, paging

   Several runners may run cycles at once, in one process (one runner per thread: a runner
   is used by one thread at a time) or in several. Each cycle claims its target at the
   committer with the dedup step (claim_id = its cycle id), so two cycles never pick the
   same (code_hash, doc_type); the claim goes with the commit, is released when the cycle
   ends otherwise, and a claim whose release was lost is released by a later recovery
   (cycles.db remembers it) or expires. Recovery leaves alone the cycles in flight in this
   process (a process-wide registry) and those of another live process. */

/* A shared paging cursor for cycles that go through the whole ranking of one doc type in
   one repository (backfill), and the targets they should leave alone: a cycle of the plan
   that fails at generate or commit adds its target before it releases the claim.
   Thread-safe. */
typedef struct _cw_cycle_pager_t cw_cycle_pager_t;
cw_cycle_pager_t *cw_cycle_pager_new(void);
void cw_cycle_pager_destroy(cw_cycle_pager_t **self_p);
/* Offset of the first page that may still hold a target nobody documented or claimed. */
size_t cw_cycle_pager_cursor(cw_cycle_pager_t *self);
/* Leave this (code_hash, doc_type) alone from now on. */
void cw_cycle_pager_exclude(cw_cycle_pager_t *self, const char *code_hash, const char *doc_type);
bool cw_cycle_pager_excluded(cw_cycle_pager_t *self, const char *code_hash, const char *doc_type);

typedef struct {
    const char *doc_type;    /* one doc type; NULL = the weighted choice, then the others */
    const char *repo;        /* one repository (name); NULL = every configured one */
    cw_cycle_pager_t *pager; /* page through the whole ranking from the pager's cursor
                                (needs doc_type and repo); NULL = the best 20 only */
    const char *trigger;     /* cycle_starting's trigger; NULL = "schedule" or "manual" */
    void *tag;               /* the caller's: copied to the outcome */
} cw_cycle_plan_t;

/* Run one cycle of this plan (NULL = the default: cw_cycle_run). */
cw_cycle_result_t cw_cycle_run_plan(cw_cycle_runner_t *self, const cw_cycle_plan_t *plan,
                                    cw_cycle_outcome_t *outcome);
/* How long a claim of this runner lives: the longest its cycle can take with its
   timeouts and retries, plus a minute (seconds). */
int cw_cycle_runner_claim_seconds(const cw_cycle_runner_t *self);
/* Number of cycles in flight in this process (all runners). */
int cw_cycle_active_count(void);
/* ---- added for reload and dry run (issue 9) */
/* Use `config` from the next cycle on (type weights, repositories); it must outlive the
   runner or the next call. Only between cycles. */
void cw_cycle_runner_set_config(cw_cycle_runner_t *self, const cw_config_t *config);
/* Dry run: after the generate step the cycle hands the target and the generate_reply to
   fn(arg, ...) instead of committing, closes the cycle as abandoned ("dry run", not
   counted in the stats) and returns CW_CYCLE_GENERATED. fn NULL = commit as usual. */
typedef void(cw_cycle_dry_run_fn)(void *arg, const cw_value_t *target,
                                  const cw_value_t *generate_reply);
void cw_cycle_runner_set_dry_run(cw_cycle_runner_t *self, cw_cycle_dry_run_fn *fn, void *arg);
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
