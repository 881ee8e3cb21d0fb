/*  cw_committer — the committer worker's logic, without sockets: it owns the DevLog
    repository (cw_devlog) and the ledger (cw_ledger) and answers

      dedup_request   -> dedup_reply  {allowed[], claimed?}  (claim_id: claim the first
                         allowed target for that id, in the same transaction as the check)
      release_request -> release_reply {released}             (drop an id's claims)
      commit_request  -> commit_reply {job_id, commit, path, duplicate, pushed, push_error?}
      stats_request   -> stats_reply  {total, last_7_days, by_repo, by_doc_type, devlog_path}
      summary_request -> summary_reply {kind, period, exists, commit?, path?, facts}

    anything else -> error bad_request. A job id is committed at most once: a repeat is
    answered with the first result (duplicate = true), found in the ledger or, if the
    process died between the git commit and the ledger write, through the commit's
    "CodeWorm-Job:" trailer. A new job for a (code_hash, doc_type) the ledger already has
    is refused with already_documented: each is documented once, whatever happened to
    the claims.

    Before anything is written, the target, the documentation and the commit message are
    redacted (cw_redact) once more, and the documentation's grounding is measured
    (cw_grounding); both go to the ledger (document_facts), the documentation_committed
    event and the reply. Pushes go through cw_pusher: at once after a commit, retried in
    the background from cw_committer_tick while the remote is away.                   */
#ifndef CW_COMMITTER_H
#define CW_COMMITTER_H

#include "cw_bus.h"
#include "cw_config.h"
#include "cw_devlog.h"
#include "cw_ledger.h"
#include "cw_pusher.h"
#include "cw_value.h"

typedef struct _cw_committer_t cw_committer_t;

/* Opens (creates, lays out) the DevLog at config->devlog.repo_path and the ledger at
   <data_dir>/codeworm.db. `config` and `publisher` (may be NULL) are borrowed and must
   outlive the committer. NULL on failure (logged). */
cw_committer_t *cw_committer_new(const cw_config_t *config, cw_publisher_t *publisher);
void cw_committer_destroy(cw_committer_t **self_p);
/* Handle one validated request; returns a new reply (never NULL except OOM). */
cw_value_t *cw_committer_handle(cw_committer_t *self, const cw_value_t *request);

/* How long one ledger write waits for a database locked by another writer before the
   request is answered "unavailable" (retryable) instead (default
   CW_COMMITTER_LEDGER_PATIENCE_MS; a tenth of it with CW_TEST_FAST=1). */
#define CW_COMMITTER_LEDGER_PATIENCE_MS 20000
void cw_committer_set_ledger_patience(cw_committer_t *self, int ms);

/* For tests and the CLI. */
cw_devlog_t *cw_committer_devlog(cw_committer_t *self);
cw_ledger_t *cw_committer_ledger(cw_committer_t *self);
cw_pusher_t *cw_committer_pusher(cw_committer_t *self);
/* Periodic work for the worker loop (push retries): ms until it wants to run, or -1. */
int64_t cw_committer_tick(cw_committer_t *self);

#endif
