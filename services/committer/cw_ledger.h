/*  cw_ledger — what has been documented (SQLite, <data_dir>/codeworm.db).

    Table documented_snippets has exactly the reference's columns and indexes, so an
    existing reference database keeps its dedup history (a table from before doc_type
    existed gets the column added). source_file is stored relative to the repository; a
    reference row whose source_file is absolute and ends with "/<relative file>" for the
    same repository counts as the same file. documented_at is local time in Python's
    datetime.isoformat() form ("2026-02-28T07:42:13.123456").

    Extra table committed_jobs (job_id, commit_oid, path, created_at) makes commits
    idempotent per job id; document_facts (per snippet_path: language, complexity,
    grounding, redactions) and summaries (kind, period, commit_oid, path, job_id) hold what
    the reference's table has no column for.

    Extra table claims (code_hash, doc_type, claim_id, source_repo, source_file,
    function_name, class_name, expires_at): the targets that cycles in flight are working
    on. A claim is taken in the same transaction as the dedup check, so two cycles never
    pick the same target at once; it goes when the target is recorded as documented, when
    its holder releases it, or when it expires (its cycle died and nobody recovered it).
    A target is claimed when a live claim by another id has the same (code_hash,
    doc_type) or the same (repo, file, function, class, doc_type).                      */
#ifndef CW_LEDGER_H
#define CW_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "cw_value.h"

typedef struct _cw_ledger_t cw_ledger_t;

/* Open or create the database at `path` (WAL, busy timeout, schema + migration). NULL on
   failure, with the reason logged. */
cw_ledger_t *cw_ledger_new(const char *path);
void cw_ledger_destroy(cw_ledger_t **self_p);

/* Dedup (ANALYSIS.md "Dedup"): 0 when the target must be skipped (same code_hash with the
   same doc_type, or the same repo/file/function/class/doc_type documented less than
   `redocument_after_days` before `now`), 1 when it may be documented, -1 on error. */
int cw_ledger_allowed(cw_ledger_t *self, const cw_value_t *target, int redocument_after_days,
                      time_t now);

/* 1 when the ledger has a row with the target's (code_hash, doc_type), 0 not, -1 error. */
int cw_ledger_documented(cw_ledger_t *self, const cw_value_t *target);

/* Record a documented target and (if job_id is set) its job, in one transaction.
   `when` = 0 means the current time (with microseconds). 0 or -1. */
int cw_ledger_record(cw_ledger_t *self, const cw_value_t *target, const char *snippet_path,
                     const char *commit, const char *job_id, time_t when);

/* ---- a ledger shared with other writers (issue 10)
   Another process may hold the database's write lock for a while (a backup, a sqlite3
   shell, a second committer by mistake). Writes then wait: SQLite's busy timeout per
   attempt (cw_ledger_set_busy_timeout, default 5 s), and the *_patiently calls retry
   with a growing pause until patience_ms have passed. */
void cw_ledger_set_busy_timeout(cw_ledger_t *self, int ms);
/* cw_ledger_record, retried while the database is busy or locked. 0, or -1 (logged). */
int cw_ledger_record_patiently(cw_ledger_t *self, const cw_value_t *target,
                               const char *snippet_path, const char *commit, const char *job_id,
                               time_t when, int patience_ms);
/* Record only a job's result (no documented_snippets row: for a DevLog commit whose target
   is unknown), retried the same way. 0 or -1. */
int cw_ledger_record_job_patiently(cw_ledger_t *self, const char *job_id, const char *commit,
                                   const char *path, int patience_ms);

/* The first result of a job: 1 found (commit and path copied), 0 not found, -1 error. */
int cw_ledger_find_job(cw_ledger_t *self, const char *job_id, char *commit, size_t commit_len,
                       char *path, size_t path_len);

/* Dedup with claims, in one transaction: expired claims are dropped; allowed[i] = the
   target may be documented (cw_ledger_allowed) and no live claim by another id covers it.
   With a claim_id (not NULL/""), the first allowed target is claimed for it until now +
   claim_seconds (<= 0: 1800), replacing that id's earlier claim, and *claimed is its index
   (-1 when none was allowed). A claim by the same id does not block (a repeated request
   takes the same target again). allowed_len >= the number of targets. *held (may be
   NULL) = how many targets were refused only because another id holds them. 0 or -1. */
int cw_ledger_claim(cw_ledger_t *self, const cw_value_t *targets, const char *claim_id,
                    int claim_seconds, int redocument_after_days, time_t now, bool *allowed,
                    size_t allowed_len, int *claimed, int *held);
/* Drop the claims of claim_id. The number dropped, or -1. */
int cw_ledger_release(cw_ledger_t *self, const char *claim_id);
/* Live claims at `now` (tests, stats), or -1. */
int cw_ledger_claims(cw_ledger_t *self, time_t now);

/* {total, last_7_days, by_repo {name: n}, by_doc_type {type: n}} as a new map; NULL on
   error. */
cw_value_t *cw_ledger_stats(cw_ledger_t *self, time_t now);

/* ---- beside the reference's table (issue 8) */
#define CW_LEDGER_PERIOD_ROWS 5000 /* documents of a period looked at */
#define CW_LEDGER_PERIOD_DOCS 200  /* documents of a period listed */
#define CW_LEDGER_TOP_COMPLEX 5    /* most complex targets of a period */

/* Facts of a committed document the reference's table has no column for (table
   document_facts, keyed by snippet_path): language and complexity from the target, the
   document's grounding (< 0 = unknown) and how many secrets were redacted. 0 or -1. */
int cw_ledger_record_facts(cw_ledger_t *self, const char *snippet_path, const cw_value_t *target,
                           double grounding, long redactions);
/* What the ledger recorded in [start, end) (documented_at, local time):
   {total, repos {name: n}, doc_types {type: n}, languages {language: n},
    documents [{repo, file, name?, class?, doc_type, path, documented_at, language?,
                complexity?, grounding?}] (oldest first, at most CW_LEDGER_PERIOD_DOCS),
    most_complex [same maps] (highest complexity first, at most CW_LEDGER_TOP_COMPLEX)}.
   Rows written before document_facts existed have no language or complexity. NULL on
   error. */
cw_value_t *cw_ledger_period(cw_ledger_t *self, time_t start, time_t end);
/* The weekly/monthly summary already committed for (kind, period): 1 found (commit and
   path copied), 0 not, -1 error. */
int cw_ledger_find_summary(cw_ledger_t *self, const char *kind, const char *period, char *commit,
                           size_t commit_len, char *path, size_t path_len);
/* Record a committed summary (table summaries) and its job (committed_jobs), in one
   transaction. 0 or -1. */
int cw_ledger_record_summary(cw_ledger_t *self, const char *kind, const char *period,
                             const char *commit, const char *path, const char *job_id);

/* Local time as Python's datetime.isoformat(): microseconds only when non-zero. */
void cw_ledger_isoformat(time_t t, long usec, char *out, size_t outlen);
/* A random UUID version 4, lower-case text (37 bytes with NUL). */
void cw_ledger_uuid4(char out[37]);

#endif
