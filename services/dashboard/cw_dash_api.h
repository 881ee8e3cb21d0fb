/*  cw_dash_api — the dashboard's JSON API, apart from HTTP: each answer is built from the
    ledger (<data_dir>/codeworm.db, opened read-only for each request: the committer owns
    it), the configuration, and what the bus thread saw (cw_dash_state).

    Field names are the reference dashboard's (dashboard/backend/models.py):
      GET /api/stats      {total_documented, by_repo, by_language, by_doc_type,
                           last_7_days, last_30_days, today}
      GET /api/recent     [{id, source_repo, source_file, function_name, class_name,
                           doc_type, documented_at, snippet_path, git_commit}] (+ devlog_url)
                          ?limit=1..200 (50) &offset>=0 &repo= &doc_type=
      GET /api/activity   [{date, count}] per local day with documents, oldest first;
                          ?days=1..365 (90)
      GET /api/repos      [{name, path, weight, enabled, docs_generated, last_activity}]
      GET /api/languages  [{language, count, percentage}], largest first
      GET /api/health     service health (cw_dash_state_health_json)
      GET /api/status     what is happening now (cw_dash_state_status_json)
      GET /health         {"status": "healthy"}: the dashboard itself answers
    A missing ledger gives the reference's empty answers. A bad query parameter is 422
    {"detail": "..."}, as FastAPI answered. documented_at is local time (as the ledger
    stores it), so "today" and the day buckets are local days.                        */
#ifndef CW_DASH_API_H
#define CW_DASH_API_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "cw_config.h"
#include "cw_dash_state.h"

/* Everything an answer may read. */
typedef struct {
    const cw_config_t *config; /* repositories (for /api/repos), devlog.repo_path */
    const char *db_path;       /* the ledger */
    cw_dash_state_t *state;    /* may be NULL: empty health/status */
    time_t now;
} cw_dash_api_ctx_t;

/* Query-string lookup: the value of `key` or NULL. */
typedef const char *(cw_dash_arg_fn)(void *cls, const char *key);

typedef struct {
    int status;               /* HTTP status */
    const char *content_type; /* static string */
    char *body;               /* malloc'd, NUL-terminated */
    size_t len;
} cw_dash_reply_t;

/* Answer GET `path` when it is one of the JSON routes above: fills reply and returns true
   (reply->body owned by the caller, also for errors). false: not an API path. */
bool cw_dash_api_route(const cw_dash_api_ctx_t *ctx, const char *path, cw_dash_arg_fn *arg,
                       void *arg_cls, cw_dash_reply_t *reply);
void cw_dash_reply_free(cw_dash_reply_t *reply);

/* The answers themselves: malloc'd JSON, or NULL with err when the ledger cannot be read
   (it exists but is not a CodeWorm ledger, or SQLite fails). */
char *cw_dash_api_stats(const char *db_path, time_t now, char *err, size_t errlen);
char *cw_dash_api_recent(const char *db_path, const char *devlog_root, int limit, int offset,
                         const char *repo, const char *doc_type, char *err, size_t errlen);
char *cw_dash_api_activity(const char *db_path, int days, time_t now, char *err, size_t errlen);
char *cw_dash_api_languages(const char *db_path, char *err, size_t errlen);
char *cw_dash_api_repos(const cw_config_t *config, const char *db_path, char *err, size_t errlen);

/* The language a ledger row's source_file counts as (the reference's mapping by file
   extension, plus c and cpp): python, typescript, tsx, javascript, go, rust, c, cpp, other. */
const char *cw_dash_language_of(const char *source_file);

#endif
