/*  cw_ledger — what has been documented. See cw_ledger.h. */
#include "cw_ledger.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "cw_log.h"

#define LEDGER_BUSY_TIMEOUT_MS 5000
#define LEDGER_MAX_GROUPS 256

static const char *s_schema =
    "CREATE TABLE IF NOT EXISTS documented_snippets (id TEXT PRIMARY KEY, source_repo TEXT NOT "
    "NULL, source_file TEXT NOT NULL, function_name TEXT, class_name TEXT, code_hash TEXT NOT "
    "NULL, documented_at TIMESTAMP NOT NULL, snippet_path TEXT NOT NULL, git_commit TEXT, "
    "doc_type TEXT NOT NULL DEFAULT 'function_doc');";

static const char *s_indexes =
    "CREATE INDEX IF NOT EXISTS idx_code_hash ON documented_snippets(code_hash);"
    "CREATE INDEX IF NOT EXISTS idx_source ON documented_snippets(source_repo, source_file);"
    "CREATE INDEX IF NOT EXISTS idx_function ON documented_snippets(source_file, function_name);"
    "CREATE INDEX IF NOT EXISTS idx_dedup ON documented_snippets(source_file, function_name, "
    "class_name, doc_type);"
    "CREATE INDEX IF NOT EXISTS idx_doc_type ON documented_snippets(doc_type);"
    "CREATE TABLE IF NOT EXISTS committed_jobs (job_id TEXT PRIMARY KEY, commit_oid TEXT, path "
    "TEXT, created_at TEXT);"
    /* claims: a target a cycle in flight is working on (issue 6) */
    "CREATE TABLE IF NOT EXISTS claims (code_hash TEXT NOT NULL, doc_type TEXT NOT NULL, "
    "claim_id TEXT NOT NULL, source_repo TEXT NOT NULL, source_file TEXT NOT NULL, "
    "function_name TEXT, class_name TEXT, expires_at INTEGER NOT NULL, "
    "PRIMARY KEY (code_hash, doc_type));"
    "CREATE INDEX IF NOT EXISTS idx_claims_id ON claims(claim_id);"
    "CREATE INDEX IF NOT EXISTS idx_claims_name ON claims(source_repo, source_file, "
    "function_name, class_name, doc_type);";

/* Tables beside the reference's (issue 8): facts of each document that the reference's
   table has no column for, and the weekly/monthly summaries written. An old database
   gets them on open; its rows simply have no facts. */
static const char *s_extra_schema =
    "CREATE TABLE IF NOT EXISTS document_facts (snippet_path TEXT PRIMARY KEY, language TEXT, "
    "complexity REAL, grounding REAL, redactions INTEGER, recorded_at TEXT);"
    "CREATE TABLE IF NOT EXISTS summaries (kind TEXT NOT NULL, period TEXT NOT NULL, commit_oid "
    "TEXT, path TEXT, job_id TEXT, created_at TEXT, PRIMARY KEY (kind, period));";

enum {
    Q_HASH = 0,
    Q_RECENT_REL,
    Q_RECENT_ABS,
    Q_INSERT,
    Q_INSERT_JOB,
    Q_FIND_JOB,
    Q_TOTAL,
    Q_SINCE,
    Q_BY_REPO,
    Q_BY_TYPE,
    Q_CLAIM_EXPIRE,
    Q_CLAIM_OTHER,
    Q_CLAIM_DROP_ID,
    Q_CLAIM_INSERT,
    Q_CLAIM_DROP_TARGET,
    Q_COUNT
};

static const char *s_sql[Q_COUNT] = {
    /* Q_HASH */
    "SELECT 1 FROM documented_snippets WHERE code_hash = ?1 AND doc_type = ?2 LIMIT 1",
    /* Q_RECENT_REL: ?1 file ?2 function ?3 class ?4 doc_type ?5 cutoff ?6 repo */
    "SELECT 1 FROM documented_snippets WHERE source_file = ?1 AND function_name IS ?2 AND "
    "class_name IS ?3 AND doc_type = ?4 AND julianday(documented_at) > julianday(?5) AND "
    "source_repo = ?6 LIMIT 1",
    /* Q_RECENT_ABS: reference rows with absolute paths ending in "/<file>" */
    "SELECT 1 FROM documented_snippets WHERE source_repo = ?6 AND source_file >= '/' AND "
    "source_file < '0' AND length(source_file) > length(?1) AND "
    "substr(source_file, -(length(?1) + 1)) = '/' || ?1 AND function_name IS ?2 AND "
    "class_name IS ?3 AND doc_type = ?4 AND julianday(documented_at) > julianday(?5) LIMIT 1",
    /* Q_INSERT */
    "INSERT INTO documented_snippets (id, source_repo, source_file, function_name, class_name, "
    "code_hash, documented_at, snippet_path, git_commit, doc_type) VALUES "
    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    /* Q_INSERT_JOB */
    "INSERT OR IGNORE INTO committed_jobs (job_id, commit_oid, path, created_at) VALUES "
    "(?1, ?2, ?3, ?4)",
    /* Q_FIND_JOB */
    "SELECT commit_oid, path FROM committed_jobs WHERE job_id = ?1",
    /* Q_TOTAL */
    "SELECT COUNT(*) FROM documented_snippets",
    /* Q_SINCE */
    "SELECT COUNT(*) FROM documented_snippets WHERE julianday(documented_at) >= julianday(?1)",
    /* Q_BY_REPO */
    "SELECT source_repo, COUNT(*) FROM documented_snippets GROUP BY source_repo "
    "ORDER BY 2 DESC, 1 LIMIT 256",
    /* Q_BY_TYPE */
    "SELECT doc_type, COUNT(*) FROM documented_snippets GROUP BY doc_type "
    "ORDER BY 2 DESC, 1 LIMIT 256",
    /* Q_CLAIM_EXPIRE: ?1 now */
    "DELETE FROM claims WHERE expires_at <= ?1",
    /* Q_CLAIM_OTHER: a live claim by another id on the same code or the same name;
       ?1 hash ?2 doc_type ?3 claim_id ?4 repo ?5 file ?6 function ?7 class */
    "SELECT 1 FROM claims WHERE claim_id IS NOT ?3 AND ((code_hash = ?1 AND doc_type = ?2) OR "
    "(source_repo = ?4 AND source_file = ?5 AND function_name IS ?6 AND class_name IS ?7 AND "
    "doc_type = ?2)) LIMIT 1",
    /* Q_CLAIM_DROP_ID */
    "DELETE FROM claims WHERE claim_id = ?1",
    /* Q_CLAIM_INSERT */
    "INSERT OR REPLACE INTO claims (code_hash, doc_type, claim_id, source_repo, source_file, "
    "function_name, class_name, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    /* Q_CLAIM_DROP_TARGET: ?1 hash ?2 doc_type */
    "DELETE FROM claims WHERE code_hash = ?1 AND doc_type = ?2",
};

struct _cw_ledger_t {
    sqlite3 *db;
    char *path;
    sqlite3_stmt *stmt[Q_COUNT];
};

void cw_ledger_isoformat(time_t t, long usec, char *out, size_t outlen)
{
    struct tm tm;
    localtime_r(&t, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    if (usec > 0 && usec < 1000000)
        snprintf(out, outlen, "%s.%06ld", base, usec);
    else
        snprintf(out, outlen, "%s", base);
}

void cw_ledger_uuid4(char out[37])
{
    unsigned char b[16];
    size_t got = 0;
    while (got < sizeof b) {
        ssize_t n = getrandom(b + got, sizeof b - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            /* extremely unlikely: fall back on a weaker source rather than fail */
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            srandom((unsigned)(ts.tv_nsec ^ ts.tv_sec ^ getpid()));
            for (; got < sizeof b; got++)
                b[got] = (unsigned char)(random() & 0xff);
            break;
        }
        got += (size_t)n;
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

static int s_exec(cw_ledger_t *self, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(self->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        cw_error("ledger_sql_failed", CW_LS("path", self->path),
                 CW_LS("reason", msg ? msg : sqlite3_errmsg(self->db)), CW_LEND);
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* 1 if documented_snippets has a doc_type column, 0 if not, -1 on error */
static int s_has_doc_type(cw_ledger_t *self)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(self->db, "PRAGMA table_info(documented_snippets)", -1, &st, NULL) !=
        SQLITE_OK)
        return -1;
    int found = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *name = sqlite3_column_text(st, 1);
        if (name && strcmp((const char *)name, "doc_type") == 0)
            found = 1;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? found : -1;
}

cw_ledger_t *cw_ledger_new(const char *path)
{
    if (!path || !*path)
        return NULL;
    cw_ledger_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->path = strdup(path);
    if (!self->path)
        goto fail;
    if (sqlite3_open_v2(path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        cw_error("ledger_open_failed", CW_LS("path", path),
                 CW_LS("reason", self->db ? sqlite3_errmsg(self->db) : "out of memory"), CW_LEND);
        goto fail;
    }
    sqlite3_busy_timeout(self->db, LEDGER_BUSY_TIMEOUT_MS);
    if (s_exec(self, "PRAGMA journal_mode=WAL;") != 0 || s_exec(self, s_schema) != 0)
        goto fail;
    int has = s_has_doc_type(self);
    if (has < 0)
        goto fail;
    if (has == 0) {
        if (s_exec(self, "ALTER TABLE documented_snippets ADD COLUMN doc_type TEXT NOT NULL "
                         "DEFAULT 'function_doc';") != 0)
            goto fail;
        cw_info("ledger_migrated", CW_LS("path", path), CW_LS("added_column", "doc_type"), CW_LEND);
    }
    if (s_exec(self, s_indexes) != 0 || s_exec(self, s_extra_schema) != 0)
        goto fail;
    for (int i = 0; i < Q_COUNT; i++) {
        if (sqlite3_prepare_v3(self->db, s_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &self->stmt[i],
                               NULL) != SQLITE_OK) {
            cw_error("ledger_prepare_failed", CW_LS("path", path),
                     CW_LS("reason", sqlite3_errmsg(self->db)), CW_LI("statement", i), CW_LEND);
            goto fail;
        }
    }
    return self;
fail:
    cw_ledger_destroy(&self);
    return NULL;
}

void cw_ledger_destroy(cw_ledger_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cw_ledger_t *self = *self_p;
    for (int i = 0; i < Q_COUNT; i++)
        sqlite3_finalize(self->stmt[i]);
    if (self->db)
        sqlite3_close(self->db);
    free(self->path);
    free(self);
    *self_p = NULL;
}

static sqlite3_stmt *s_stmt(cw_ledger_t *self, int q)
{
    sqlite3_stmt *st = self->stmt[q];
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return st;
}

/* NULL for missing or empty strings: the reference stores None there */
static const char *s_opt(const cw_value_t *target, const char *key)
{
    const char *s = cw_map_str(target, key, NULL);
    return (s && *s) ? s : NULL;
}

static void s_bind_text(sqlite3_stmt *st, int idx, const char *s)
{
    if (s)
        sqlite3_bind_text(st, idx, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, idx);
}

/* 1 row, 0 none, -1 error */
static int s_exists(cw_ledger_t *self, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    cw_error("ledger_query_failed", CW_LS("reason", sqlite3_errmsg(self->db)), CW_LEND);
    return -1;
}

int cw_ledger_allowed(cw_ledger_t *self, const cw_value_t *target, int redocument_after_days,
                      time_t now)
{
    if (!self || !target)
        return -1;
    const char *doc_type = cw_map_str(target, "doc_type", "function_doc");
    const char *hash = s_opt(target, "code_hash");
    if (hash) {
        sqlite3_stmt *st = s_stmt(self, Q_HASH);
        s_bind_text(st, 1, hash);
        s_bind_text(st, 2, doc_type);
        int rc = s_exists(self, st);
        if (rc != 0)
            return rc < 0 ? -1 : 0;
    }
    const char *file = s_opt(target, "file");
    if (!file || redocument_after_days <= 0)
        return 1;
    char cutoff[40];
    cw_ledger_isoformat(now - (time_t)redocument_after_days * 86400, 0, cutoff, sizeof cutoff);
    for (int q = Q_RECENT_REL; q <= Q_RECENT_ABS; q++) {
        sqlite3_stmt *st = s_stmt(self, q);
        s_bind_text(st, 1, file);
        s_bind_text(st, 2, s_opt(target, "name"));
        s_bind_text(st, 3, s_opt(target, "class"));
        s_bind_text(st, 4, doc_type);
        s_bind_text(st, 5, cutoff);
        s_bind_text(st, 6, cw_map_str(target, "repo", ""));
        int rc = s_exists(self, st);
        if (rc != 0)
            return rc < 0 ? -1 : 0;
    }
    return 1;
}

int cw_ledger_documented(cw_ledger_t *self, const cw_value_t *target)
{
    const char *hash = self && target ? s_opt(target, "code_hash") : NULL;
    if (!hash)
        return self && target ? 0 : -1;
    sqlite3_stmt *st = s_stmt(self, Q_HASH);
    s_bind_text(st, 1, hash);
    s_bind_text(st, 2, cw_map_str(target, "doc_type", "function_doc"));
    return s_exists(self, st);
}

static int s_step_done(cw_ledger_t *self, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        cw_error("ledger_write_failed", CW_LS("what", what),
                 CW_LS("reason", sqlite3_errmsg(self->db)), CW_LEND);
        return -1;
    }
    return 0;
}

/* The end of a record's transaction (`rc`: how it went so far): the job, when there is
   one, into committed_jobs (a repeat of the job finds its commit), then COMMIT; a ROLLBACK
   when anything failed. */
static int s_record_end(cw_ledger_t *self, int rc, const char *job_id, const char *commit,
                        const char *path, const char *iso)
{
    if (rc == 0 && job_id && *job_id) {
        sqlite3_stmt *st = s_stmt(self, Q_INSERT_JOB);
        s_bind_text(st, 1, job_id);
        s_bind_text(st, 2, commit);
        s_bind_text(st, 3, path);
        s_bind_text(st, 4, iso);
        rc = s_step_done(self, st, "committed_jobs");
    }
    if (rc == 0)
        rc = s_exec(self, "COMMIT;");
    if (rc != 0)
        sqlite3_exec(self->db, "ROLLBACK;", NULL, NULL, NULL);
    return rc;
}

int cw_ledger_record(cw_ledger_t *self, const cw_value_t *target, const char *snippet_path,
                     const char *commit, const char *job_id, time_t when)
{
    if (!self || !target || !snippet_path)
        return -1;
    char iso[40], id[37];
    if (when == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        cw_ledger_isoformat(ts.tv_sec, ts.tv_nsec / 1000, iso, sizeof iso);
    } else
        cw_ledger_isoformat(when, 0, iso, sizeof iso);
    cw_ledger_uuid4(id);

    if (s_exec(self, "BEGIN IMMEDIATE;") != 0)
        return -1;
    sqlite3_stmt *st = s_stmt(self, Q_INSERT);
    s_bind_text(st, 1, id);
    s_bind_text(st, 2, cw_map_str(target, "repo", ""));
    s_bind_text(st, 3, cw_map_str(target, "file", ""));
    s_bind_text(st, 4, s_opt(target, "name"));
    s_bind_text(st, 5, s_opt(target, "class"));
    s_bind_text(st, 6, cw_map_str(target, "code_hash", ""));
    s_bind_text(st, 7, iso);
    s_bind_text(st, 8, snippet_path);
    s_bind_text(st, 9, commit);
    s_bind_text(st, 10, cw_map_str(target, "doc_type", "function_doc"));
    int rc = s_step_done(self, st, "documented_snippets");
    if (rc == 0) { /* documented: its claim has done its work */
        st = s_stmt(self, Q_CLAIM_DROP_TARGET);
        s_bind_text(st, 1, cw_map_str(target, "code_hash", ""));
        s_bind_text(st, 2, cw_map_str(target, "doc_type", "function_doc"));
        rc = s_step_done(self, st, "claims");
    }
    return s_record_end(self, rc, job_id, commit, snippet_path, iso);
}

int cw_ledger_find_job(cw_ledger_t *self, const char *job_id, char *commit, size_t commit_len,
                       char *path, size_t path_len)
{
    if (!self || !job_id)
        return -1;
    sqlite3_stmt *st = s_stmt(self, Q_FIND_JOB);
    s_bind_text(st, 1, job_id);
    int rc = sqlite3_step(st);
    int result;
    if (rc == SQLITE_ROW) {
        const unsigned char *c = sqlite3_column_text(st, 0);
        const unsigned char *p = sqlite3_column_text(st, 1);
        if (commit && commit_len)
            snprintf(commit, commit_len, "%s", c ? (const char *)c : "");
        if (path && path_len)
            snprintf(path, path_len, "%s", p ? (const char *)p : "");
        result = 1;
    } else if (rc == SQLITE_DONE)
        result = 0;
    else {
        cw_error("ledger_query_failed", CW_LS("reason", sqlite3_errmsg(self->db)), CW_LEND);
        result = -1;
    }
    sqlite3_reset(st);
    return result;
}

static int64_t s_count(cw_ledger_t *self, sqlite3_stmt *st, bool *ok)
{
    int64_t n = 0;
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    else {
        cw_error("ledger_query_failed", CW_LS("reason", sqlite3_errmsg(self->db)), CW_LEND);
        *ok = false;
    }
    sqlite3_reset(st);
    return n;
}

static cw_value_t *s_groups(cw_ledger_t *self, sqlite3_stmt *st, bool *ok)
{
    cw_value_t *map = cw_value_new_map();
    if (!map) {
        *ok = false;
        return NULL;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *k = sqlite3_column_text(st, 0);
        cw_map_set_int(map, k ? (const char *)k : "", sqlite3_column_int64(st, 1));
    }
    if (rc != SQLITE_DONE) {
        cw_error("ledger_query_failed", CW_LS("reason", sqlite3_errmsg(self->db)), CW_LEND);
        *ok = false;
    }
    sqlite3_reset(st);
    return map;
}

cw_value_t *cw_ledger_stats(cw_ledger_t *self, time_t now)
{
    if (!self)
        return NULL;
    bool ok = true;
    char cutoff[40];
    cw_ledger_isoformat(now - 7 * 86400, 0, cutoff, sizeof cutoff);
    cw_value_t *out = cw_value_new_map();
    if (!out)
        return NULL;
    cw_map_set_int(out, "total", s_count(self, s_stmt(self, Q_TOTAL), &ok));
    sqlite3_stmt *st = s_stmt(self, Q_SINCE);
    s_bind_text(st, 1, cutoff);
    cw_map_set_int(out, "last_7_days", s_count(self, st, &ok));
    cw_value_t *g = s_groups(self, s_stmt(self, Q_BY_REPO), &ok);
    if (g)
        cw_map_set(out, "by_repo", g);
    g = s_groups(self, s_stmt(self, Q_BY_TYPE), &ok);
    if (g)
        cw_map_set(out, "by_doc_type", g);
    if (!ok)
        cw_value_destroy(&out);
    return out;
}

/* ------------------------------------------------------------------ claims */

/* Claims are short-lived bookkeeping: their transactions need not wait for the disk (in
   WAL mode a NORMAL commit is as safe against a killed process, and the next synced commit
   carries it to the disk). The connection's own setting is restored afterwards. */
static int s_sync_relax(cw_ledger_t *self)
{
    sqlite3_stmt *st = NULL;
    int level = -1;
    if (sqlite3_prepare_v2(self->db, "PRAGMA synchronous", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        level = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (level > 1)
        sqlite3_exec(self->db, "PRAGMA synchronous=NORMAL;", NULL, NULL, NULL);
    return level;
}

static void s_sync_restore(cw_ledger_t *self, int level)
{
    if (level > 1) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA synchronous=%d;", level);
        sqlite3_exec(self->db, sql, NULL, NULL, NULL);
    }
}

/* The claim statements' parameters ?1..?7: hash, doc type, claim id, repo, file,
   function, class. */
static sqlite3_stmt *s_claim_stmt(cw_ledger_t *self, int q, const cw_value_t *target,
                                  const char *claim_id)
{
    sqlite3_stmt *st = s_stmt(self, q);
    s_bind_text(st, 1, cw_map_str(target, "code_hash", ""));
    s_bind_text(st, 2, cw_map_str(target, "doc_type", "function_doc"));
    s_bind_text(st, 3, claim_id);
    s_bind_text(st, 4, cw_map_str(target, "repo", ""));
    s_bind_text(st, 5, cw_map_str(target, "file", ""));
    s_bind_text(st, 6, s_opt(target, "name"));
    s_bind_text(st, 7, s_opt(target, "class"));
    return st;
}

/* 1 when a live claim by another id covers the target, 0 not, -1 error */
static int s_claimed_by_other(cw_ledger_t *self, const cw_value_t *target, const char *claim_id)
{
    return s_exists(self, s_claim_stmt(self, Q_CLAIM_OTHER, target, claim_id));
}

int cw_ledger_claim(cw_ledger_t *self, const cw_value_t *targets, const char *claim_id,
                    int claim_seconds, int redocument_after_days, time_t now, bool *allowed,
                    size_t allowed_len, int *claimed, int *held)
{
    if (claimed)
        *claimed = -1;
    if (held)
        *held = 0;
    int n_held = 0;
    if (!self || !targets || !allowed)
        return -1;
    size_t n = cw_value_size(targets);
    if (n > allowed_len)
        return -1;
    if (claim_id && !*claim_id)
        claim_id = NULL;
    int sync = s_sync_relax(self);
    if (s_exec(self, "BEGIN IMMEDIATE;") != 0) {
        s_sync_restore(self, sync);
        return -1;
    }
    sqlite3_stmt *st = s_stmt(self, Q_CLAIM_EXPIRE);
    sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
    int rc = s_step_done(self, st, "claims_expire");
    int pick = -1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const cw_value_t *t = cw_array_at(targets, i);
        int ok = cw_ledger_allowed(self, t, redocument_after_days, now);
        if (ok == 1) {
            int other = s_claimed_by_other(self, t, claim_id);
            ok = other < 0 ? -1 : !other;
            n_held += other == 1;
        }
        if (ok < 0) {
            rc = -1;
            break;
        }
        allowed[i] = ok == 1;
        if (ok == 1 && claim_id && pick < 0)
            pick = (int)i;
    }
    if (rc == 0 && claim_id && pick >= 0) {
        /* a cycle holds one claim: the one it takes now replaces any earlier one */
        st = s_stmt(self, Q_CLAIM_DROP_ID);
        s_bind_text(st, 1, claim_id);
        rc = s_step_done(self, st, "claims_drop");
        const cw_value_t *t = cw_array_at(targets, (size_t)pick);
        if (rc == 0) {
            st = s_claim_stmt(self, Q_CLAIM_INSERT, t, claim_id);
            sqlite3_bind_int64(st, 8,
                               (sqlite3_int64)now + (claim_seconds > 0 ? claim_seconds : 1800));
            rc = s_step_done(self, st, "claims_insert");
        }
    }
    if (rc == 0)
        rc = s_exec(self, "COMMIT;");
    if (rc != 0)
        sqlite3_exec(self->db, "ROLLBACK;", NULL, NULL, NULL);
    s_sync_restore(self, sync);
    if (rc != 0)
        return -1;
    if (claimed)
        *claimed = pick;
    if (held)
        *held = n_held;
    return 0;
}

int cw_ledger_release(cw_ledger_t *self, const char *claim_id)
{
    if (!self || !claim_id || !*claim_id)
        return -1;
    int sync = s_sync_relax(self);
    sqlite3_stmt *st = s_stmt(self, Q_CLAIM_DROP_ID);
    s_bind_text(st, 1, claim_id);
    int rc = s_step_done(self, st, "claims_release");
    int n = sqlite3_changes(self->db);
    s_sync_restore(self, sync);
    return rc == 0 ? n : -1;
}

int cw_ledger_claims(cw_ledger_t *self, time_t now)
{
    if (!self)
        return -1;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(self->db, "SELECT COUNT(*) FROM claims WHERE expires_at > ?1", -1, &st,
                           NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
    int n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    return n;
}

/* ------------------------------------------------------------------ facts and summaries */

/* A one-off statement (these run once per commit or per summary: no need to keep them). */
static sqlite3_stmt *s_prepare(cw_ledger_t *self, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(self->db, sql, -1, &st, NULL) != SQLITE_OK) {
        cw_error("ledger_prepare_failed", CW_LS("path", self->path),
                 CW_LS("reason", sqlite3_errmsg(self->db)), CW_LEND);
        return NULL;
    }
    return st;
}

int cw_ledger_record_facts(cw_ledger_t *self, const char *snippet_path, const cw_value_t *target,
                           double grounding, long redactions)
{
    if (!self || !snippet_path || !target)
        return -1;
    sqlite3_stmt *st = s_prepare(self, "INSERT OR REPLACE INTO document_facts (snippet_path, "
                                       "language, complexity, grounding, redactions, recorded_at) "
                                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (!st)
        return -1;
    char iso[40];
    cw_ledger_isoformat(time(NULL), 0, iso, sizeof iso);
    s_bind_text(st, 1, snippet_path);
    s_bind_text(st, 2, s_opt(target, "language"));
    sqlite3_bind_double(st, 3, cw_map_float(target, "complexity", 0));
    if (grounding >= 0)
        sqlite3_bind_double(st, 4, grounding);
    else
        sqlite3_bind_null(st, 4);
    sqlite3_bind_int64(st, 5, redactions);
    s_bind_text(st, 6, iso);
    int rc = s_step_done(self, st, "document_facts");
    sqlite3_finalize(st);
    return rc;
}

static void s_bump(cw_value_t *map, const char *key)
{
    cw_map_set_int(map, key && *key ? key : "(unknown)",
                   cw_map_int(map, key && *key ? key : "(unknown)", 0) + 1);
}

static const char *s_col(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

/* one document of a period as a map */
static cw_value_t *s_document(sqlite3_stmt *st)
{
    cw_value_t *d = cw_value_new_map();
    if (!d)
        return NULL;
    cw_map_set_str(d, "repo", s_col(st, 0));
    cw_map_set_str(d, "file", s_col(st, 1));
    if (sqlite3_column_type(st, 2) != SQLITE_NULL)
        cw_map_set_str(d, "name", s_col(st, 2));
    if (sqlite3_column_type(st, 3) != SQLITE_NULL)
        cw_map_set_str(d, "class", s_col(st, 3));
    cw_map_set_str(d, "doc_type", s_col(st, 4));
    cw_map_set_str(d, "path", s_col(st, 5));
    cw_map_set_str(d, "documented_at", s_col(st, 6));
    if (sqlite3_column_type(st, 7) != SQLITE_NULL)
        cw_map_set_str(d, "language", s_col(st, 7));
    if (sqlite3_column_type(st, 8) != SQLITE_NULL)
        cw_map_set_float(d, "complexity", sqlite3_column_double(st, 8));
    if (sqlite3_column_type(st, 9) != SQLITE_NULL)
        cw_map_set_float(d, "grounding", sqlite3_column_double(st, 9));
    return d;
}

cw_value_t *cw_ledger_period(cw_ledger_t *self, time_t start, time_t end)
{
    if (!self || end <= start)
        return NULL;
    sqlite3_stmt *st = s_prepare(
        self, "SELECT d.source_repo, d.source_file, d.function_name, d.class_name, d.doc_type, "
              "d.snippet_path, d.documented_at, f.language, f.complexity, f.grounding FROM "
              "documented_snippets d LEFT JOIN document_facts f ON f.snippet_path = "
              "d.snippet_path WHERE julianday(d.documented_at) >= julianday(?1) AND "
              "julianday(d.documented_at) < julianday(?2) ORDER BY julianday(d.documented_at), "
              "d.rowid LIMIT ?3");
    if (!st)
        return NULL;
    char from[40], to[40];
    cw_ledger_isoformat(start, 0, from, sizeof from);
    cw_ledger_isoformat(end, 0, to, sizeof to);
    s_bind_text(st, 1, from);
    s_bind_text(st, 2, to);
    sqlite3_bind_int(st, 3, CW_LEDGER_PERIOD_ROWS);
    cw_value_t *out = cw_value_new_map();
    cw_value_t *repos = cw_value_new_map(), *types = cw_value_new_map();
    cw_value_t *langs = cw_value_new_map(), *docs = cw_value_new_array();
    cw_value_t *top[CW_LEDGER_TOP_COMPLEX] = {0};
    double top_c[CW_LEDGER_TOP_COMPLEX];
    size_t ntop = 0;
    int64_t total = 0;
    int rc = SQLITE_DONE;
    bool ok = out && repos && types && langs && docs;
    while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        total++;
        s_bump(repos, s_col(st, 0));
        s_bump(types, s_col(st, 4));
        if (sqlite3_column_type(st, 7) != SQLITE_NULL)
            s_bump(langs, s_col(st, 7));
        if (cw_value_size(docs) < CW_LEDGER_PERIOD_DOCS)
            cw_array_push(docs, s_document(st));
        if (sqlite3_column_type(st, 8) != SQLITE_NULL) {
            double c = sqlite3_column_double(st, 8);
            /* keep the most complex, highest first (ties: the earlier one) */
            size_t pos = ntop;
            while (pos > 0 && top_c[pos - 1] < c)
                pos--;
            if (pos < CW_LEDGER_TOP_COMPLEX) {
                if (ntop == CW_LEDGER_TOP_COMPLEX)
                    cw_value_destroy(&top[--ntop]);
                memmove(&top[pos + 1], &top[pos], (ntop - pos) * sizeof top[0]);
                memmove(&top_c[pos + 1], &top_c[pos], (ntop - pos) * sizeof top_c[0]);
                top[pos] = s_document(st);
                top_c[pos] = c;
                ntop++;
            }
        }
    }
    if (ok && rc != SQLITE_DONE) {
        cw_error("ledger_query_failed", CW_LS("reason", sqlite3_errmsg(self->db)), CW_LEND);
        ok = false;
    }
    sqlite3_finalize(st);
    cw_value_t *most = ok ? cw_value_new_array() : NULL;
    for (size_t i = 0; i < ntop; i++) {
        if (most && top[i])
            cw_array_push(most, top[i]);
        else
            cw_value_destroy(&top[i]);
    }
    if (!ok || !most) {
        cw_value_destroy(&out);
        cw_value_destroy(&repos);
        cw_value_destroy(&types);
        cw_value_destroy(&langs);
        cw_value_destroy(&docs);
        cw_value_destroy(&most);
        return NULL;
    }
    cw_map_set_int(out, "total", total);
    cw_map_set(out, "repos", repos);
    cw_map_set(out, "doc_types", types);
    cw_map_set(out, "languages", langs);
    cw_map_set(out, "documents", docs);
    cw_map_set(out, "most_complex", most);
    return out;
}

int cw_ledger_find_summary(cw_ledger_t *self, const char *kind, const char *period, char *commit,
                           size_t commit_len, char *path, size_t path_len)
{
    if (!self || !kind || !period)
        return -1;
    sqlite3_stmt *st =
        s_prepare(self, "SELECT commit_oid, path FROM summaries WHERE kind = ?1 AND period = ?2");
    if (!st)
        return -1;
    s_bind_text(st, 1, kind);
    s_bind_text(st, 2, period);
    int rc = sqlite3_step(st), result = -1;
    if (rc == SQLITE_ROW) {
        if (commit && commit_len)
            snprintf(commit, commit_len, "%s", s_col(st, 0));
        if (path && path_len)
            snprintf(path, path_len, "%s", s_col(st, 1));
        result = 1;
    } else if (rc == SQLITE_DONE)
        result = 0;
    else
        cw_error("ledger_query_failed", CW_LS("reason", sqlite3_errmsg(self->db)), CW_LEND);
    sqlite3_finalize(st);
    return result;
}

int cw_ledger_record_summary(cw_ledger_t *self, const char *kind, const char *period,
                             const char *commit, const char *path, const char *job_id)
{
    if (!self || !kind || !period || !path)
        return -1;
    char iso[40];
    cw_ledger_isoformat(time(NULL), 0, iso, sizeof iso);
    if (s_exec(self, "BEGIN IMMEDIATE;") != 0)
        return -1;
    sqlite3_stmt *st = s_prepare(self, "INSERT OR IGNORE INTO summaries (kind, period, commit_oid, "
                                       "path, job_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    int rc = st ? 0 : -1;
    if (st) {
        s_bind_text(st, 1, kind);
        s_bind_text(st, 2, period);
        s_bind_text(st, 3, commit);
        s_bind_text(st, 4, path);
        s_bind_text(st, 5, job_id);
        s_bind_text(st, 6, iso);
        rc = s_step_done(self, st, "summaries");
        sqlite3_finalize(st);
    }
    return s_record_end(self, rc, job_id, commit, path, iso);
}

/* ------------------------------------------------------------------ locked databases */

void cw_ledger_set_busy_timeout(cw_ledger_t *self, int ms)
{
    if (self && self->db)
        sqlite3_busy_timeout(self->db, ms > 0 ? ms : 0);
}

/* Is the last failure one that goes away when another writer lets go? */
static bool s_busy(cw_ledger_t *self)
{
    int code = sqlite3_errcode(self->db) & 0xff;
    return code == SQLITE_BUSY || code == SQLITE_LOCKED;
}

static int64_t s_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int s_record_job(cw_ledger_t *self, const char *job_id, const char *commit, const char *path)
{
    char iso[40];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    cw_ledger_isoformat(ts.tv_sec, ts.tv_nsec / 1000, iso, sizeof iso);
    sqlite3_stmt *st = s_stmt(self, Q_INSERT_JOB);
    s_bind_text(st, 1, job_id);
    s_bind_text(st, 2, commit);
    s_bind_text(st, 3, path);
    s_bind_text(st, 4, iso);
    return s_step_done(self, st, "committed_jobs");
}

/* Run one write (record == true: cw_ledger_record, else the job row only) until it
   succeeds, fails for another reason than a lock, or patience_ms have passed. */
static int s_patiently(cw_ledger_t *self, bool record, const cw_value_t *target, const char *path,
                       const char *commit, const char *job_id, time_t when, int patience_ms)
{
    int64_t deadline = s_mono_ms() + (patience_ms > 0 ? patience_ms : 0);
    int64_t pause = 50;
    int attempts = 0;
    while (true) {
        attempts++;
        int rc = record ? cw_ledger_record(self, target, path, commit, job_id, when)
                        : s_record_job(self, job_id, commit, path);
        if (rc == 0) {
            if (attempts > 1)
                cw_info("ledger_lock_waited", CW_LS("path", self->path),
                        CW_LS("job_id", job_id ? job_id : ""), CW_LI("attempts", attempts),
                        CW_LEND);
            return 0;
        }
        bool busy = s_busy(self);
        int64_t left = deadline - s_mono_ms();
        if (!busy || left <= 0) {
            cw_error("ledger_record_failed", CW_LS("path", self->path),
                     CW_LS("job_id", job_id ? job_id : ""), CW_LS("commit", commit ? commit : ""),
                     CW_LS("reason", sqlite3_errmsg(self->db)), CW_LB("locked", busy),
                     CW_LI("attempts", attempts), CW_LEND);
            return -1;
        }
        int64_t nap = pause < left ? pause : left;
        struct timespec ts = {(time_t)(nap / 1000), (long)(nap % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        if (pause < 1000)
            pause *= 2;
    }
}

int cw_ledger_record_patiently(cw_ledger_t *self, const cw_value_t *target,
                               const char *snippet_path, const char *commit, const char *job_id,
                               time_t when, int patience_ms)
{
    if (!self || !target || !snippet_path)
        return -1;
    return s_patiently(self, true, target, snippet_path, commit, job_id, when, patience_ms);
}

int cw_ledger_record_job_patiently(cw_ledger_t *self, const char *job_id, const char *commit,
                                   const char *path, int patience_ms)
{
    if (!self || !job_id || !*job_id)
        return -1;
    return s_patiently(self, false, NULL, path, commit, job_id, 0, patience_ms);
}
