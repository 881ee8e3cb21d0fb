/*  cw_ledger — what has been documented (SQLite, <data_dir>/codeworm.db).

    Table documented_snippets has exactly the reference's columns and indexes, so an
    existing reference database keeps its dedup history (a table from before doc_type
    existed gets the column added). source_file is stored relative to the repository; a
    reference row whose source_file is absolute and ends with "/<relative file>" for the
    same repository counts as the same file. documented_at is local time in Python's
    datetime.isoformat() form ("2026-02-28T07:42:13.123456").

    Extra table committed_jobs (job_id, commit_oid, path, created_at) makes commits
    idempotent per job id.                                                             */
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

/* {total, last_7_days, by_repo {name: n}, by_doc_type {type: n}} as a new map; NULL on
   error. */
cw_value_t *cw_ledger_stats(cw_ledger_t *self, time_t now);

/* Local time as Python's datetime.isoformat(): microseconds only when non-zero. */
void cw_ledger_isoformat(time_t t, long usec, char *out, size_t outlen);
/* A random UUID version 4, lower-case text (37 bytes with NUL). */
void cw_ledger_uuid4(char out[37]);

#endif
