/*  cw_gitstats — per-file git statistics from ONE history walk per repository (libgit2):
    the last CW_GITSTATS_MAX_COMMITS commits, or back to CW_GITSTATS_WINDOW_DAYS days,
    whichever ends first. Cached in memory by (repository, HEAD oid). */
#ifndef CW_GITSTATS_H
#define CW_GITSTATS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define CW_GITSTATS_MAX_COMMITS 1000
#define CW_GITSTATS_WINDOW_DAYS 90
#define CW_GITSTATS_PER_FILE 100 /* commits remembered per file (the reference's max_count) */
#define CW_GITSTATS_NO_HISTORY_DAYS 999

typedef struct {
    int commits_30d;
    int commits_90d;
    int authors;             /* distinct author emails */
    int64_t last_modified;   /* unix seconds, 0 = unknown */
    int days_since_modified; /* CW_GITSTATS_NO_HISTORY_DAYS when unknown */
    bool is_new;             /* <= 2 commits in 90 days and modified within 14 days */
} cw_file_stats_t;

typedef struct _cw_gitstats_t cw_gitstats_t;
typedef struct _cw_repo_history_t cw_repo_history_t;

cw_gitstats_t *cw_gitstats_new(void);
void cw_gitstats_destroy(cw_gitstats_t **self_p);
/* History of the repository containing `dir` (walked now, or cached while HEAD is the
   same). NULL when `dir` is not in a git repository or has no commits: callers treat every
   file as "no history". The result is owned by self and valid until the next call. */
const cw_repo_history_t *cw_gitstats_repo(cw_gitstats_t *self, const char *dir, time_t now);
/* About the directory the last cw_gitstats_repo / cw_gitstats_changes call opened, for a
   person: why it has no history (not in a git repository, no commits, unreadable), or that
   its repository belongs to another user and was read read-only (libgit2's ownership check,
   git's safe.directory, is bypassed for reading only). "" when its history was read
   normally. Valid until the next call. */
const char *cw_gitstats_note(const cw_gitstats_t *self);
/* Stats for `rel` (relative to the `dir` given above) as of `now`. Always fills `out`. */
void cw_gitstats_file(const cw_repo_history_t *history, const char *rel, time_t now,
                      cw_file_stats_t *out);
/* Number of commits walked (tests, logs). */
int cw_gitstats_commits_walked(const cw_repo_history_t *history);

/* ---- added: an on-disk cache and the recent changes (code_evolution) */

/* Keep each history walk in `dir` too (created if missing), so that a restart does not walk
   again while HEAD has not moved. A corrupt cache file is discarded with a warning.
   0, or -1 when the directory cannot be created (the memory cache still works). */
int cw_gitstats_set_cache_dir(cw_gitstats_t *self, const char *dir);
/* History walks made by this object so far (cache hits, memory or disk, do not count). */
size_t cw_gitstats_walks(const cw_gitstats_t *self);

#define CW_GITSTATS_CHANGE_COMMITS 20 /* code_evolution looks at the last 20 commits */
#define CW_GITSTATS_DIFF_MAX 5000     /* bytes of each diff kept */

/* One file of a commit (code_evolution facts): path relative to the directory asked about,
   status 'A' added, 'M' modified, 'D' deleted, 'R' renamed, lines added / deleted (0 for
   binary or oversized files). */
typedef struct {
    char *path;
    char status;
    int added;
    int deleted;
} cw_change_file_t;

#define CW_GITSTATS_COMMIT_FILES 50 /* files of a commit listed (the rest only counted) */

typedef struct {
    char *file; /* relative to the directory asked about */
    char short_hash[8];
    char hash[41]; /* the full commit id */
    char *message; /* the commit's summary line */
    char *author;  /* author name */
    int64_t when;  /* commit time, unix seconds */
    bool is_new;   /* the file was added by this commit */
    int added;     /* lines added / deleted */
    int deleted;
    size_t diff_len; /* length of the whole patch text */
    char *diff;      /* its first CW_GITSTATS_DIFF_MAX bytes (cut at a UTF-8 boundary) */
    int start_line;  /* new-side lines covered by the hunks */
    int end_line;
    /* the commit's files under the directory asked about (this one first), at most
       CW_GITSTATS_COMMIT_FILES; file_total counts them all */
    cw_change_file_t *files;
    size_t file_count;
    int file_total;
} cw_change_t;

/* The source files (a language the analyzer knows) changed by the last
   CW_GITSTATS_CHANGE_COMMITS commits reachable from HEAD, newest first, one entry per file
   (its newest change; deletions and binary diffs left out), limited to `dir`. Computed once
   per HEAD and cached in memory; owned by self, valid until the next call. NULL + *count 0
   without history. */
const cw_change_t *cw_gitstats_changes(cw_gitstats_t *self, const char *dir, size_t *count);

#endif
