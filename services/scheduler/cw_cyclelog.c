/*  cw_cyclelog — see cw_cyclelog.h. */
#include "cw_cyclelog.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cw_cycle.h"
#include "cw_log.h"

#define CW_CYCLELOG_CACHE_KIB "256" /* SQLite page cache of cycles.db */

struct _cw_cyclelog_t {
    sqlite3 *db;
    char path[1024];
};

static const char *s_schema = "CREATE TABLE IF NOT EXISTS cycles ("
                              " cycle_id TEXT PRIMARY KEY,"
                              " started_at INTEGER NOT NULL,"
                              " finished_at INTEGER,"
                              " state TEXT NOT NULL,"
                              " target TEXT,"
                              " doc_type TEXT,"
                              " repo TEXT,"
                              " reason TEXT,"
                              " commit_oid TEXT,"
                              " pid INTEGER,"
                              " counted INTEGER NOT NULL DEFAULT 0,"
                              " release_pending INTEGER NOT NULL DEFAULT 0);"
                              "CREATE INDEX IF NOT EXISTS cycles_state ON cycles(state);"
                              /* open cycles only: recovery reads these before every cycle,
                                 without walking the whole history (issue 10) */
                              "CREATE INDEX IF NOT EXISTS cycles_open ON cycles(started_at)"
                              " WHERE state NOT IN ('committed','skipped','failed','abandoned');"
                              "CREATE TABLE IF NOT EXISTS steps ("
                              " id INTEGER PRIMARY KEY AUTOINCREMENT,"
                              " cycle_id TEXT NOT NULL,"
                              " step TEXT NOT NULL,"
                              " job_id TEXT,"
                              " at INTEGER NOT NULL,"
                              " detail TEXT,"
                              " payload BLOB);"
                              "CREATE INDEX IF NOT EXISTS steps_cycle ON steps(cycle_id);"
                              "CREATE TABLE IF NOT EXISTS stats ("
                              " id INTEGER PRIMARY KEY CHECK (id = 1),"
                              " total INTEGER NOT NULL DEFAULT 0,"
                              " successful INTEGER NOT NULL DEFAULT 0,"
                              " failed INTEGER NOT NULL DEFAULT 0,"
                              " skipped INTEGER NOT NULL DEFAULT 0,"
                              " consecutive_failures INTEGER NOT NULL DEFAULT 0,"
                              " consecutive_skips INTEGER NOT NULL DEFAULT 0,"
                              " last_success INTEGER NOT NULL DEFAULT 0,"
                              " last_failure INTEGER NOT NULL DEFAULT 0,"
                              " last_failure_reason TEXT NOT NULL DEFAULT '');"
                              "INSERT OR IGNORE INTO stats (id) VALUES (1);";

bool cw_cyclelog_state_is_final(const char *state)
{
    if (!state)
        return false;
    return strcmp(state, CW_CYCLE_STATE_COMMITTED) == 0 ||
           strcmp(state, CW_CYCLE_STATE_SKIPPED) == 0 ||
           strcmp(state, CW_CYCLE_STATE_FAILED) == 0 ||
           strcmp(state, CW_CYCLE_STATE_ABANDONED) == 0;
}

cw_recover_action_t cw_cyclelog_recovery_action(const char *state, bool has_commit_step)
{
    if (!state || cw_cyclelog_state_is_final(state))
        return CW_RECOVER_NONE;
    if (strcmp(state, CW_CYCLE_STATE_COMMITTING) == 0 && has_commit_step)
        return CW_RECOVER_RESUME;
    if (has_commit_step) /* the commit request may have left: repeating it is safe */
        return CW_RECOVER_RESUME;
    return CW_RECOVER_ABANDON;
}

static void s_log_db_error(cw_cyclelog_t *self, const char *what)
{
    cw_error("cyclelog_error", CW_LS("op", what), CW_LS("error", sqlite3_errmsg(self->db)),
             CW_LS("path", self->path), CW_LEND);
}

static int s_exec(cw_cyclelog_t *self, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(self->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        cw_error("cyclelog_error", CW_LS("op", "exec"), CW_LS("error", msg ? msg : "?"),
                 CW_LS("path", self->path), CW_LEND);
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* A cycles table from before release_pending gets the column. */
static int s_migrate(cw_cyclelog_t *self)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(self->db, "PRAGMA table_info(cycles)", -1, &st, NULL) != SQLITE_OK)
        return -1;
    bool has = false;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *name = sqlite3_column_text(st, 1);
        if (name && strcmp((const char *)name, "release_pending") == 0)
            has = true;
    }
    sqlite3_finalize(st);
    if (has)
        return 0;
    return s_exec(self,
                  "ALTER TABLE cycles ADD COLUMN release_pending INTEGER NOT NULL DEFAULT 0;");
}

cw_cyclelog_t *cw_cyclelog_new(const char *path)
{
    if (!path || !*path)
        return NULL;
    cw_cyclelog_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    snprintf(self->path, sizeof self->path, "%s", path);
    if (sqlite3_open_v2(path, &self->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        NULL) != SQLITE_OK) {
        cw_error("cyclelog_open_failed", CW_LS("path", path),
                 CW_LS("error", self->db ? sqlite3_errmsg(self->db) : "out of memory"), CW_LEND);
        sqlite3_close(self->db);
        free(self);
        return NULL;
    }
    sqlite3_busy_timeout(self->db, 10000);
    /* NORMAL in WAL mode: a commit does not wait for the disk (about 4 ms each here), and
       a process killed at any point loses nothing; only a power cut may lose the last
       transactions, which recovery then treats as an earlier state. A small page cache: the
       log only appends and reads open cycles; SQLite's default (2 MB per connection) kept
       growing by a page a cycle (issue 10). */
    if (s_exec(self, "PRAGMA journal_mode=WAL;") != 0 ||
        s_exec(self, "PRAGMA cache_size=-" CW_CYCLELOG_CACHE_KIB ";") != 0 ||
        s_exec(self, "PRAGMA synchronous=NORMAL;") != 0 || s_exec(self, s_schema) != 0 ||
        s_migrate(self) != 0) {
        sqlite3_close(self->db);
        free(self);
        return NULL;
    }
    return self;
}

cw_cyclelog_t *cw_cyclelog_new_for_config(const cw_config_t *config)
{
    char path[1024];
    if (!config || cw_config_data_path(config, "cycles.db", path, sizeof path) != 0) {
        cw_error("cyclelog_open_failed", CW_LS("error", "no data directory"), CW_LEND);
        return NULL;
    }
    return cw_cyclelog_new(path);
}

void cw_cyclelog_destroy(cw_cyclelog_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cw_cyclelog_t *self = *self_p;
    sqlite3_close(self->db);
    free(self);
    *self_p = NULL;
}

/* prepare, bind texts/ints by a tiny format: 's' text (NULL ok), 'i' int64, 'b' blob */
static sqlite3_stmt *s_prepare(cw_cyclelog_t *self, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(self->db, sql, -1, &st, NULL) != SQLITE_OK) {
        s_log_db_error(self, "prepare");
        return NULL;
    }
    return st;
}

static int s_run(cw_cyclelog_t *self, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        s_log_db_error(self, what);
        return -1;
    }
    return 0;
}

static void s_bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

int cw_cyclelog_begin(cw_cyclelog_t *self, const char *cycle_id, time_t at)
{
    if (!self || !cycle_id)
        return -1;
    sqlite3_stmt *st = s_prepare(self, "INSERT INTO cycles (cycle_id, started_at, state, pid)"
                                       " VALUES (?, ?, ?, ?)");
    if (!st)
        return -1;
    s_bind_text(st, 1, cycle_id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)at);
    s_bind_text(st, 3, CW_CYCLE_STATE_STARTED);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)getpid());
    return s_run(self, st, "begin");
}

int cw_cyclelog_record(cw_cyclelog_t *self, const cw_cyclelog_rec_t *rec)
{
    if (!self || !rec || !rec->cycle_id || !rec->step)
        return -1;
    if (s_exec(self, "BEGIN IMMEDIATE;") != 0)
        return -1;
    sqlite3_stmt *st = s_prepare(
        self,
        "INSERT INTO steps (cycle_id, step, job_id, at, detail, payload) VALUES (?,?,?,?,?,?)");
    if (!st)
        goto fail;
    s_bind_text(st, 1, rec->cycle_id);
    s_bind_text(st, 2, rec->step);
    s_bind_text(st, 3, rec->job_id);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)rec->at);
    s_bind_text(st, 5, rec->detail);
    if (rec->payload && rec->payload_len > 0 && rec->payload_len < (size_t)INT32_MAX)
        sqlite3_bind_blob(st, 6, rec->payload, (int)rec->payload_len, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 6);
    if (s_run(self, st, "step") != 0)
        goto fail;
    /* the cycle's row: state, target, release flag, each only when given */
    st = s_prepare(self, "UPDATE cycles SET state = COALESCE(?, state),"
                         " doc_type = COALESCE(?, doc_type), repo = COALESCE(?, repo),"
                         " target = COALESCE(?, target),"
                         " release_pending = COALESCE(?, release_pending) WHERE cycle_id = ?");
    if (!st)
        goto fail;
    s_bind_text(st, 1, rec->new_state);
    s_bind_text(st, 2, rec->doc_type);
    s_bind_text(st, 3, rec->repo);
    s_bind_text(st, 4, rec->target_json);
    if (rec->release_pending >= 0)
        sqlite3_bind_int(st, 5, rec->release_pending ? 1 : 0);
    else
        sqlite3_bind_null(st, 5);
    s_bind_text(st, 6, rec->cycle_id);
    if (s_run(self, st, "step_state") != 0)
        goto fail;
    return s_exec(self, "COMMIT;");
fail:
    s_exec(self, "ROLLBACK;");
    return -1;
}

int cw_cyclelog_step(cw_cyclelog_t *self, const char *cycle_id, const char *step,
                     const char *job_id, const char *detail, const void *payload,
                     size_t payload_len, const char *new_state, time_t at)
{
    cw_cyclelog_rec_t rec = {.cycle_id = cycle_id,
                             .step = step,
                             .job_id = job_id,
                             .detail = detail,
                             .payload = payload,
                             .payload_len = payload_len,
                             .new_state = new_state,
                             .at = at,
                             .release_pending = -1};
    return cw_cyclelog_record(self, &rec);
}

int cw_cyclelog_set_release_pending(cw_cyclelog_t *self, const char *cycle_id, bool pending)
{
    if (!self || !cycle_id)
        return -1;
    sqlite3_stmt *st = s_prepare(self, "UPDATE cycles SET release_pending = ? WHERE cycle_id = ?");
    if (!st)
        return -1;
    sqlite3_bind_int(st, 1, pending ? 1 : 0);
    s_bind_text(st, 2, cycle_id);
    return s_run(self, st, "set_release_pending");
}

int cw_cyclelog_set_target(cw_cyclelog_t *self, const char *cycle_id, const char *doc_type,
                           const char *repo, const char *target_json)
{
    if (!self || !cycle_id)
        return -1;
    sqlite3_stmt *st =
        s_prepare(self, "UPDATE cycles SET doc_type = ?, repo = ?, target = ? WHERE cycle_id = ?");
    if (!st)
        return -1;
    s_bind_text(st, 1, doc_type);
    s_bind_text(st, 2, repo);
    s_bind_text(st, 3, target_json);
    s_bind_text(st, 4, cycle_id);
    return s_run(self, st, "set_target");
}

int cw_cyclelog_set_state(cw_cyclelog_t *self, const char *cycle_id, const char *state)
{
    if (!self || !cycle_id || !state)
        return -1;
    sqlite3_stmt *st = s_prepare(self, "UPDATE cycles SET state = ? WHERE cycle_id = ?");
    if (!st)
        return -1;
    s_bind_text(st, 1, state);
    s_bind_text(st, 2, cycle_id);
    return s_run(self, st, "set_state");
}

static int s_read_stats(cw_cyclelog_t *self, cw_cycle_stats_t *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = s_prepare(
        self, "SELECT total, successful, failed, skipped, consecutive_failures, consecutive_skips,"
              " last_success, last_failure, last_failure_reason FROM stats WHERE id = 1");
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->total = sqlite3_column_int64(st, 0);
        out->successful = sqlite3_column_int64(st, 1);
        out->failed = sqlite3_column_int64(st, 2);
        out->skipped = sqlite3_column_int64(st, 3);
        out->consecutive_failures = sqlite3_column_int64(st, 4);
        out->consecutive_skips = sqlite3_column_int64(st, 5);
        out->last_success = sqlite3_column_int64(st, 6);
        out->last_failure = sqlite3_column_int64(st, 7);
        const unsigned char *r = sqlite3_column_text(st, 8);
        snprintf(out->last_failure_reason, sizeof out->last_failure_reason, "%s",
                 r ? (const char *)r : "");
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        s_log_db_error(self, "stats");
        return -1;
    }
    return 0;
}

int cw_cyclelog_stats(cw_cyclelog_t *self, cw_cycle_stats_t *out)
{
    if (!self || !out)
        return -1;
    return s_read_stats(self, out);
}

static int s_write_stats(cw_cyclelog_t *self, const cw_cycle_stats_t *s)
{
    sqlite3_stmt *st =
        s_prepare(self, "UPDATE stats SET total = ?, successful = ?, failed = ?, skipped = ?,"
                        " consecutive_failures = ?, consecutive_skips = ?, last_success = ?,"
                        " last_failure = ?, last_failure_reason = ? WHERE id = 1");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, s->total);
    sqlite3_bind_int64(st, 2, s->successful);
    sqlite3_bind_int64(st, 3, s->failed);
    sqlite3_bind_int64(st, 4, s->skipped);
    sqlite3_bind_int64(st, 5, s->consecutive_failures);
    sqlite3_bind_int64(st, 6, s->consecutive_skips);
    sqlite3_bind_int64(st, 7, s->last_success);
    sqlite3_bind_int64(st, 8, s->last_failure);
    s_bind_text(st, 9, s->last_failure_reason);
    return s_run(self, st, "write_stats");
}

int cw_cyclelog_finish(cw_cyclelog_t *self, const char *cycle_id, const char *state,
                       const char *reason, const char *commit_oid, time_t at, int count_result,
                       cw_cycle_stats_t *stats_out)
{
    if (!self || !cycle_id || !state)
        return -1;
    if (s_exec(self, "BEGIN IMMEDIATE;") != 0)
        return -1;
    cw_cyclelog_cycle_t cur;
    bool known = cw_cyclelog_get(self, cycle_id, &cur) == 0;
    bool count = count_result >= 0 && known && !cur.counted;
    cw_cycle_stats_t s;
    if (s_read_stats(self, &s) != 0)
        goto fail;
    if (count) {
        switch ((cw_cycle_result_t)count_result) {
        case CW_CYCLE_COMMITTED:
            s.total++;
            s.successful++;
            s.consecutive_failures = 0;
            s.consecutive_skips = 0;
            s.last_success = (int64_t)at;
            break;
        case CW_CYCLE_FAILED:
            s.total++;
            s.failed++;
            s.consecutive_failures++;
            s.last_failure = (int64_t)at;
            snprintf(s.last_failure_reason, sizeof s.last_failure_reason, "%s",
                     reason ? reason : "");
            break;
        case CW_CYCLE_SKIPPED:
            s.total++;
            s.skipped++;
            s.consecutive_skips++;
            snprintf(s.last_failure_reason, sizeof s.last_failure_reason, "%s",
                     reason ? reason : "");
            break;
        case CW_CYCLE_LLM_DOWN: /* not a documentation failure: not counted */
        default:
            count = false;
            break;
        }
        if (count && s_write_stats(self, &s) != 0)
            goto fail;
    }
    /* committed: the committer dropped the claim with the ledger write */
    sqlite3_stmt *st = s_prepare(self, "UPDATE cycles SET state = ?, reason = ?, commit_oid = "
                                       "COALESCE(?, commit_oid), finished_at = ?,"
                                       " counted = MAX(counted, ?), release_pending = CASE WHEN"
                                       " ?1 = 'committed' THEN 0 ELSE release_pending END"
                                       " WHERE cycle_id = ?");
    if (!st)
        goto fail;
    s_bind_text(st, 1, state);
    s_bind_text(st, 2, reason);
    s_bind_text(st, 3, commit_oid);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)at);
    sqlite3_bind_int(st, 5, count ? 1 : 0);
    s_bind_text(st, 6, cycle_id);
    if (s_run(self, st, "finish") != 0)
        goto fail;
    if (s_exec(self, "COMMIT;") != 0)
        goto fail;
    if (stats_out)
        *stats_out = s;
    return 0;
fail:
    s_exec(self, "ROLLBACK;");
    return -1;
}

static void s_row_to_cycle(sqlite3_stmt *st, cw_cyclelog_cycle_t *out)
{
    memset(out, 0, sizeof *out);
#define S_COL(i, field)                                                                            \
    do {                                                                                           \
        const unsigned char *v_ = sqlite3_column_text(st, (i));                                    \
        snprintf(out->field, sizeof out->field, "%s", v_ ? (const char *)v_ : "");                 \
    } while (0)
    S_COL(0, cycle_id);
    S_COL(1, state);
    S_COL(2, doc_type);
    S_COL(3, repo);
    S_COL(4, reason);
    S_COL(5, commit_oid);
#undef S_COL
    out->started_at = sqlite3_column_int64(st, 6);
    out->finished_at = sqlite3_column_int64(st, 7);
    out->pid = sqlite3_column_int64(st, 8);
    out->counted = sqlite3_column_int(st, 9) != 0;
    out->release_pending = sqlite3_column_int(st, 10) != 0;
}

#define S_CYCLE_COLUMNS                                                                            \
    "cycle_id, state, doc_type, repo, reason, commit_oid, started_at,"                             \
    " COALESCE(finished_at, 0), COALESCE(pid, 0), counted, release_pending"

int cw_cyclelog_get(cw_cyclelog_t *self, const char *cycle_id, cw_cyclelog_cycle_t *out)
{
    if (!self || !cycle_id || !out)
        return -1;
    sqlite3_stmt *st = s_prepare(self, "SELECT " S_CYCLE_COLUMNS " FROM cycles WHERE cycle_id = ?");
    if (!st)
        return -1;
    s_bind_text(st, 1, cycle_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        s_row_to_cycle(st, out);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

/* Cycles matching `where` (SQL), oldest first; up to max. The count, or -1. */
static int s_list(cw_cyclelog_t *self, const char *where, const char *what,
                  cw_cyclelog_cycle_t *out, int max)
{
    if (!self || !out || max <= 0)
        return -1;
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT " S_CYCLE_COLUMNS " FROM cycles WHERE %s"
             " ORDER BY started_at, rowid LIMIT ?",
             where);
    sqlite3_stmt *st = s_prepare(self, sql);
    if (!st)
        return -1;
    sqlite3_bind_int(st, 1, max);
    int n = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < max)
        s_row_to_cycle(st, &out[n++]);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        s_log_db_error(self, what);
        return -1;
    }
    return n;
}

int cw_cyclelog_list_open(cw_cyclelog_t *self, cw_cyclelog_cycle_t *out, int max)
{
    return s_list(self, "state NOT IN ('committed','skipped','failed','abandoned')", "list_open",
                  out, max);
}

int cw_cyclelog_find_step(cw_cyclelog_t *self, const char *cycle_id, const char *step, char *job_id,
                          size_t job_id_len, void **payload, size_t *payload_len)
{
    if (payload)
        *payload = NULL;
    if (payload_len)
        *payload_len = 0;
    if (!self || !cycle_id || !step)
        return -1;
    sqlite3_stmt *st = s_prepare(self, "SELECT job_id, payload FROM steps WHERE cycle_id = ?"
                                       " AND step = ? ORDER BY id DESC LIMIT 1");
    if (!st)
        return -1;
    s_bind_text(st, 1, cycle_id);
    s_bind_text(st, 2, step);
    int rc = sqlite3_step(st);
    int result = -1;
    if (rc == SQLITE_ROW) {
        result = 0;
        const unsigned char *j = sqlite3_column_text(st, 0);
        if (job_id && job_id_len)
            snprintf(job_id, job_id_len, "%s", j ? (const char *)j : "");
        const void *blob = sqlite3_column_blob(st, 1);
        int n = sqlite3_column_bytes(st, 1);
        if (payload && blob && n > 0) {
            *payload = malloc((size_t)n);
            if (*payload) {
                memcpy(*payload, blob, (size_t)n);
                if (payload_len)
                    *payload_len = (size_t)n;
            } else {
                result = -1;
            }
        }
    }
    sqlite3_finalize(st);
    return result;
}

int cw_cyclelog_steps(cw_cyclelog_t *self, const char *cycle_id, char (*names)[32], int max)
{
    if (!self || !cycle_id)
        return -1;
    sqlite3_stmt *st = s_prepare(self, "SELECT step FROM steps WHERE cycle_id = ? ORDER BY id");
    if (!st)
        return -1;
    s_bind_text(st, 1, cycle_id);
    int n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (names && n < max) {
            const unsigned char *v = sqlite3_column_text(st, 0);
            snprintf(names[n], 32, "%s", v ? (const char *)v : "");
        }
        n++;
    }
    sqlite3_finalize(st);
    return n;
}

int cw_cyclelog_list_release_pending(cw_cyclelog_t *self, cw_cyclelog_cycle_t *out, int max)
{
    return s_list(self,
                  "release_pending = 1 AND state IN ('committed','skipped','failed','abandoned')",
                  "list_release_pending", out, max);
}
