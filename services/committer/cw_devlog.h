/*  cw_devlog — the DevLog git repository (libgit2): layout, the markdown document of the
    reference (shared/reference/OUTPUT.md), file naming, commits and pushes.

    Only the committer writes this repository. Every commit made for a job carries a
    trailer line "CodeWorm-Job: <job_id>" in its message body so that a repeated job can
    be recognised even when the ledger row was never written (crash between the git
    commit and the SQLite transaction).                                                  */
#ifndef CW_DEVLOG_H
#define CW_DEVLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "cw_bus.h"
#include "cw_value.h"

#define CW_DEVLOG_SOURCE_MAX_CHARS 3000 /* code points of source shown in a document */
#define CW_DEVLOG_SLUG_MAX 40
#define CW_DEVLOG_JOB_SCAN 50 /* commits scanned for a job trailer */
#define CW_DEVLOG_JOB_TRAILER "CodeWorm-Job: "

typedef struct _cw_devlog_t cw_devlog_t;

/* Open the repository at `path`, or create it (mkdir -p + git init with HEAD on `branch`).
   branch NULL/"" = "main"; author NULL/"" = "CodeWorm" <codeworm@localhost>. NULL on
   failure (logged). */
cw_devlog_t *cw_devlog_new(const char *path, const char *branch, const char *author_name,
                           const char *author_email);
void cw_devlog_destroy(cw_devlog_t **self_p);
/* true if cw_devlog_new created the repository (it did not exist before). */
bool cw_devlog_created(const cw_devlog_t *self);
const char *cw_devlog_path(const cw_devlog_t *self);

/* Create every layout folder with a .gitkeep and commit them ("Initialize DevLog") if
   anything changed. 0 ok (also when nothing changed), -1 on error. */
int cw_devlog_init_layout(cw_devlog_t *self);
/* `codeworm init`: create the repository if needed, the layout, commit. Idempotent.
   0 or -1 with a reason in err. */
int cw_devlog_init(const char *path, const char *branch, char *err, size_t errlen);

/* ---- pure helpers (no repository needed) */
/* "Documentation", "Class Documentation", ...; NULL for an unknown doc type. */
const char *cw_devlog_label(const char *doc_type);
/* Folder of a doc type inside the DevLog ("snippets/python", "classes", ...), malloc'd;
   NULL for an unknown doc type. The language is sanitised ("unknown" if empty). */
char *cw_devlog_folder(const char *doc_type, const char *language);
/* "Class.function" / function / class / file stem. malloc'd, never NULL except OOM. */
char *cw_devlog_display_name(const cw_value_t *target);
/* The reference's slug (lower-case, runs outside [a-z0-9] -> '-', trimmed, cut to 40 at
   the last '-', hard cut if none); "untitled" if nothing is left. malloc'd. */
char *cw_devlog_slug(const char *name);
/* Python's str(float): "7.0", "12.5", "0.1". */
void cw_devlog_format_float(double value, char *out, size_t outlen);
/* The whole markdown document (OUTPUT.md "The document"); local time of `now` in the
   footer. malloc'd; NULL on OOM or if the target lacks doc_type. */
char *cw_devlog_render(const cw_value_t *target, const char *documentation, time_t now);
/* weekly_summary / monthly_summary: written to <folder>/<period>.md, once per period. */
bool cw_devlog_is_summary(const char *doc_type);
/* "2026-W09" for weekly_summary (weeks 01..53), "2026-02" for monthly_summary. */
bool cw_devlog_valid_period(const char *doc_type, const char *period);
/* A summary's document: "# Weekly Summary: 2026-W09", type, period and counts from the
   target's `summary` map (first_day, last_day, timezone, total, repos), the text, the
   footer. malloc'd; NULL on OOM or an unknown doc type. */
char *cw_devlog_render_summary(const cw_value_t *target, const char *documentation, time_t now);
/* The reference's commit message cleaning (OUTPUT.md "Commit message"); an empty result
   becomes "Document <fallback>". malloc'd. */
char *cw_devlog_clean_commit_message(const char *message, const char *fallback);

/* ---- commits */
/* Render the document, write it to <folder>/<YYYY-MM-DD>_<slug>.md (suffix -2, -3, ...
   if that name exists; a summary to <folder>/<period>.md, failing if that exists), add it and
   commit on the configured branch with the cleaned commit message as subject and "CodeWorm-Job:
   <job_id>" as trailer (if job_id set). Writes the commit oid (40 hex) and the DevLog-relative
   path. 0 or -1 + err. */
int cw_devlog_commit_document(cw_devlog_t *self, const cw_value_t *target,
                              const char *documentation, const char *commit_message,
                              const char *job_id, time_t now, char oid_hex[41], char *path_out,
                              size_t path_len, char *err, size_t errlen);
/* Look through the last CW_DEVLOG_JOB_SCAN commits of the branch for the job's trailer.
   1 found (oid and the document path it added written), 0 not found, -1 error. */
int cw_devlog_find_job(cw_devlog_t *self, const char *job_id, char oid_hex[41], char *path_out,
                       size_t path_len);
/* ---- reconciling the ledger from the DevLog (issue 10)
   A job's commit carries, after its "CodeWorm-Job:" trailer, a "CodeWorm-Target:" trailer:
   one line of JSON with the target's ledger identity (repo, file, name, class, doc_type,
   code_hash), so that a commit whose ledger row was never written (ledger locked, process
   killed) can be recorded later from the DevLog alone. */
#define CW_DEVLOG_TARGET_TRAILER "CodeWorm-Target: "
#define CW_DEVLOG_RECONCILE_MAX 200000 /* commits walked at most by cw_devlog_walk_jobs */
/* The trailer lines of a job's commit ("CodeWorm-Job: <id>\n" and, when target is given,
   "CodeWorm-Target: {...}\n"). malloc'd; NULL on OOM or without a job id. */
char *cw_devlog_job_trailers(const char *job_id, const cw_value_t *target);
/* HEAD's commit as 40 hex characters, "" while the branch has no commit. 0 or -1. */
int cw_devlog_head(cw_devlog_t *self, char oid_hex[41]);
/* One job commit met by cw_devlog_walk_jobs. target is the map of the CodeWorm-Target
   trailer (NULL when the commit has none); return nonzero to stop the walk. */
typedef int(cw_devlog_job_fn)(const char *job_id, const char *oid_hex, const char *path,
                              const cw_value_t *target, void *arg);
/* Walk the branch from HEAD back to `since` (a commit oid, excluded with its history;
   NULL/"" or unknown = the whole history, at most CW_DEVLOG_RECONCILE_MAX commits) and
   call fn for every commit carrying a job trailer, newest first. head_out (may be NULL)
   gets the HEAD the walk started from. 0 when the walk finished, 1 when fn stopped it,
   -1 on error. */
int cw_devlog_walk_jobs(cw_devlog_t *self, const char *since, cw_devlog_job_fn *fn, void *arg,
                        char head_out[41]);

/* Number of commits reachable from the branch (for tests and stats); -1 on error. */
int cw_devlog_commit_count(cw_devlog_t *self);

/* ---- push (cw_devlog_push.c) */
typedef enum {
    CW_PUSH_OK = 0,
    CW_PUSH_SKIPPED, /* no remote configured */
    CW_PUSH_FAILED,  /* transient (remote unreachable, server error): worth retrying later;
                        the commits stay local and go out with the next push */
    CW_PUSH_REFUSED, /* will not work as configured: credentials refused, no such named
                        remote, no such repository, bad URL. Not retried. */
    CW_PUSH_BLOCKED  /* the remote refuses the content (secret scanning, GH013) or its new
                        history cannot be merged cleanly: manual intervention */
} cw_push_result_t;

typedef struct {
    const char *remote;  /* devlog.remote: a remote name of the DevLog, a URL or a path */
    const char *token;   /* devlog.token (https, or http to a loopback host); may be NULL */
    const char *ssh_key; /* devlog.ssh_key: private key file for ssh; NULL/"" = the agent,
                            then ~/.ssh/id_ed25519, id_ecdsa, id_rsa */
} cw_push_opts_t;

/* "push", "ok", "failed", "refused", "blocked" ... for logs and replies */
const char *cw_push_result_name(cw_push_result_t r);

/* One push of the branch, no waiting. devlog.remote may be:
     - a URL: https://, http://, ssh://, git://, file://
     - an scp-like address: git@github.com:me/devlog.git
     - a path: /srv/git/devlog.git, ./x, ~/x
     - the name of a remote of the DevLog repository (remote.<name>.pushurl / .url);
       a name that is not a remote is CW_PUSH_REFUSED, said in plain words.
   Credentials: with a token, https (and http to 127.0.0.1/localhost/::1) send it as the
   password of the URL's user, or of "x-access-token"; ssh uses the agent (SSH_AUTH_SOCK)
   and then a key file. Refused credentials fail at once (no retry).
   When the remote has commits the DevLog lacks (it "moved on"), they are fetched and merged
   (the DevLog only adds files, so this merges cleanly unless someone edited the same file:
   then CW_PUSH_BLOCKED), and the push is tried once more.
   Publishes push_failed {error, consecutive} (FAILED, REFUSED) or push_blocked {error}
   (BLOCKED) on `publisher` (may be NULL). The error, with the token and URL passwords
   scrubbed, goes to err. */
cw_push_result_t cw_devlog_push_with(cw_devlog_t *self, const cw_push_opts_t *opts,
                                     cw_publisher_t *publisher, char *err, size_t errlen);
/* The same with remote and token only. */
cw_push_result_t cw_devlog_push(cw_devlog_t *self, const char *remote, const char *token,
                                cw_publisher_t *publisher, char *err, size_t errlen);
/* Consecutive failed pushes so far (0 after a success). */
int cw_devlog_push_failures(const cw_devlog_t *self);
/* Can `remote` be pushed to from the DevLog repository at `devlog_path`, as far as can be
   told without the network? 0 yes (or no remote), -1 with the reason in plain words: a
   name that is not a remote of the repository, a local path that does not exist. The
   repository is only opened, never created. */
int cw_devlog_check_remote(const char *devlog_path, const char *remote, char *err, size_t errlen);
/* Replace every occurrence of `secret` (if non-empty) and URL credentials
   ("scheme://user:pass@") in `text` with "***", in place. */
void cw_devlog_scrub(char *text, size_t cap, const char *secret);

#endif
