/*  cw_dash_api — the dashboard's JSON answers. See cw_dash_api.h. */
#include "cw_dash_api.h"

#include <errno.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cw_json.h"

#define S_MAX_GROUPS 1000 /* rows of a GROUP BY answer */
#define S_RECENT_MAX 200  /* the reference's limit bound */
#define S_RECENT_DFLT 50
#define S_DAYS_MAX 365
#define S_DAYS_DFLT 90
#define S_OFFSET_MAX 1000000000L

/* ------------------------------------------------------------------ languages */

const char *cw_dash_language_of(const char *source_file)
{
    static const struct {
        const char *ext;
        const char *language;
    } map[] = {{".py", "python"}, {".ts", "typescript"}, {".tsx", "tsx"}, {".js", "javascript"},
               {".go", "go"},     {".rs", "rust"},       {".c", "c"},     {".h", "c"},
               {".cpp", "cpp"},   {".cc", "cpp"},        {".cxx", "cpp"}, {".hpp", "cpp"},
               {".hh", "cpp"},    {".hxx", "cpp"}};
    const char *dot = source_file ? strrchr(source_file, '.') : NULL;
    const char *slash = source_file ? strrchr(source_file, '/') : NULL;
    if (!dot || (slash && dot < slash))
        return "other";
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcasecmp(dot, map[i].ext) == 0)
            return map[i].language;
    return "other";
}

static void s_sql_language(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const char *file = argc == 1 ? (const char *)sqlite3_value_text(argv[0]) : NULL;
    sqlite3_result_text(ctx, cw_dash_language_of(file), -1, SQLITE_STATIC);
}

/* ------------------------------------------------------------------ the ledger */

typedef struct {
    sqlite3 *db;
    bool has_doc_type;
} ledger_t;

/* 1 opened, 0 no ledger file (empty answers), -1 error (err set). */
static int s_open(const char *db_path, ledger_t *l, char *err, size_t errlen)
{
    memset(l, 0, sizeof(*l));
    if (!db_path || access(db_path, F_OK) != 0)
        return 0;
    if (sqlite3_open_v2(db_path, &l->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot open %s: %s", db_path,
                 l->db ? sqlite3_errmsg(l->db) : "out of memory");
        sqlite3_close(l->db);
        l->db = NULL;
        return -1;
    }
    sqlite3_busy_timeout(l->db, 2000);
    sqlite3_create_function(l->db, "cw_language", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                            s_sql_language, NULL, NULL);
    sqlite3_stmt *st = NULL;
    bool table = false;
    if (sqlite3_prepare_v2(l->db, "PRAGMA table_info(documented_snippets)", -1, &st, NULL) ==
        SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *col = (const char *)sqlite3_column_text(st, 1);
            table = true;
            if (col && strcmp(col, "doc_type") == 0)
                l->has_doc_type = true;
        }
    }
    sqlite3_finalize(st);
    if (!table) {
        snprintf(err, errlen, "%s is not a CodeWorm ledger (no documented_snippets table)",
                 db_path);
        sqlite3_close(l->db);
        l->db = NULL;
        return -1;
    }
    return 1;
}

static void s_close(ledger_t *l)
{
    sqlite3_close(l->db);
    l->db = NULL;
}

static int s_fail(ledger_t *l, sqlite3_stmt *st, char *err, size_t errlen)
{
    snprintf(err, errlen, "ledger query failed: %s", sqlite3_errmsg(l->db));
    sqlite3_finalize(st);
    return -1;
}

/* A query failed half-way through an answer: say why, close everything, NULL. */
static char *s_abort(ledger_t *l, sqlite3_stmt *st, cw_buf_t *b, char *err, size_t errlen)
{
    s_fail(l, st, err, errlen);
    s_close(l);
    cw_buf_free(b);
    return NULL;
}

/* One integer from a query with up to one text parameter. */
static int s_count(ledger_t *l, const char *sql, const char *arg, int64_t *out, char *err,
                   size_t errlen)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(l->db, sql, -1, &st, NULL) != SQLITE_OK)
        return s_fail(l, st, err, errlen);
    if (arg)
        sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW)
        return s_fail(l, st, err, errlen);
    *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return 0;
}

/* {"key": count, ...} from "SELECT key, COUNT(*) ... GROUP BY" */
static int s_groups(ledger_t *l, const char *sql, cw_buf_t *b, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(l->db, sql, -1, &st, NULL) != SQLITE_OK)
        return s_fail(l, st, err, errlen);
    cw_buf_puts(b, "{");
    int rc, rows = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && rows++ < S_MAX_GROUPS) {
        const char *key = (const char *)sqlite3_column_text(st, 0);
        cw_json_put_key(b, key ? key : "");
        cw_json_put_int(b, (long long)sqlite3_column_int64(st, 1));
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return s_fail(l, st, err, errlen);
    sqlite3_finalize(st);
    cw_buf_puts(b, "}");
    return 0;
}

/* Local time as the ledger writes it (without microseconds). */
static void s_local(time_t t, char *out, size_t len)
{
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(out, len, "%Y-%m-%dT%H:%M:%S", &tm);
}

/* Local midnight `days_back` days before the day of `now`, as the ledger writes times. */
static void s_local_midnight(time_t now, int days_back, char *out, size_t len)
{
    struct tm tm;
    localtime_r(&now, &tm);
    tm.tm_mday -= days_back;
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = -1;
    time_t t = mktime(&tm);
    s_local(t, out, len);
}

static char *s_take(cw_buf_t *b, char *err, size_t errlen)
{
    char *out = cw_buf_take(b, NULL);
    if (!out)
        snprintf(err, errlen, "out of memory");
    return out;
}

char *cw_dash_api_stats(const char *db_path, time_t now, char *err, size_t errlen)
{
    ledger_t l;
    int opened = s_open(db_path, &l, err, errlen);
    if (opened < 0)
        return NULL;
    int64_t total = 0, last7 = 0, last30 = 0, today = 0;
    cw_buf_t repo, lang, type;
    cw_buf_init(&repo, 0);
    cw_buf_init(&lang, 0);
    cw_buf_init(&type, 0);
    int rc = 0;
    if (opened) {
        char week[32], month[32], day[32];
        s_local(now - 7 * 86400, week, sizeof(week));
        s_local(now - 30 * 86400, month, sizeof(month));
        s_local(now, day, sizeof(day));
        day[10] = '\0';
        const char *since = "SELECT COUNT(*) FROM documented_snippets WHERE "
                            "julianday(documented_at) > julianday(?1)";
        rc = s_count(&l, "SELECT COUNT(*) FROM documented_snippets", NULL, &total, err, errlen);
        if (rc == 0)
            rc = s_count(&l, since, week, &last7, err, errlen);
        if (rc == 0)
            rc = s_count(&l, since, month, &last30, err, errlen);
        if (rc == 0)
            rc = s_count(&l,
                         "SELECT COUNT(*) FROM documented_snippets WHERE "
                         "substr(documented_at, 1, 10) = ?1",
                         day, &today, err, errlen);
        if (rc == 0)
            rc = s_groups(&l,
                          "SELECT source_repo, COUNT(*) FROM documented_snippets GROUP BY "
                          "source_repo ORDER BY COUNT(*) DESC, source_repo",
                          &repo, err, errlen);
        if (rc == 0)
            rc = s_groups(&l,
                          "SELECT cw_language(source_file) AS lang, COUNT(*) FROM "
                          "documented_snippets GROUP BY lang ORDER BY COUNT(*) DESC, lang",
                          &lang, err, errlen);
        if (rc == 0 && l.has_doc_type)
            rc = s_groups(&l,
                          "SELECT doc_type, COUNT(*) FROM documented_snippets GROUP BY doc_type "
                          "ORDER BY COUNT(*) DESC, doc_type",
                          &type, err, errlen);
        s_close(&l);
    }
    if (rc == 0 && !opened) {
        cw_buf_puts(&repo, "{}");
        cw_buf_puts(&lang, "{}");
    }
    if (rc == 0 && (!opened || !l.has_doc_type)) { /* the reference: all function_doc */
        cw_buf_puts(&type, "{");
        if (total > 0) {
            cw_json_put_key(&type, "function_doc");
            cw_json_put_int(&type, (long long)total);
        }
        cw_buf_puts(&type, "}");
    }
    char *out = NULL;
    if (rc == 0) {
        cw_buf_t b;
        cw_buf_init(&b, 0);
        cw_buf_puts(&b, "{");
        cw_json_put_key(&b, "total_documented");
        cw_json_put_int(&b, (long long)total);
        cw_json_put_key(&b, "by_repo");
        cw_buf_puts(&b, repo.data);
        cw_json_put_key(&b, "by_language");
        cw_buf_puts(&b, lang.data);
        cw_json_put_key(&b, "by_doc_type");
        cw_buf_puts(&b, type.data);
        cw_json_put_key(&b, "last_7_days");
        cw_json_put_int(&b, (long long)last7);
        cw_json_put_key(&b, "last_30_days");
        cw_json_put_int(&b, (long long)last30);
        cw_json_put_key(&b, "today");
        cw_json_put_int(&b, (long long)today);
        cw_buf_puts(&b, "}");
        if (repo.failed || lang.failed || type.failed)
            b.failed = true;
        out = s_take(&b, err, errlen);
    }
    cw_buf_free(&repo);
    cw_buf_free(&lang);
    cw_buf_free(&type);
    return out;
}

/* "/devlog/<path>" with the path percent-encoded, for a snippet_path inside the DevLog
   (relative, or absolute under devlog_root); NULL when it is elsewhere. */
static char *s_devlog_url(const char *snippet_path, const char *devlog_root)
{
    if (!snippet_path || !*snippet_path)
        return NULL;
    const char *rel = snippet_path;
    if (rel[0] == '/') {
        size_t n = devlog_root ? strlen(devlog_root) : 0;
        while (n > 1 && devlog_root[n - 1] == '/')
            n--;
        if (!n || strncmp(rel, devlog_root, n) != 0 || rel[n] != '/')
            return NULL;
        rel += n + 1;
    }
    size_t len = strlen(rel);
    char *out = (char *)malloc(8 + 3 * len + 1);
    if (!out)
        return NULL;
    char *w = out + sprintf(out, "/devlog/");
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)rel; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~/@+", *p))
            *w++ = (char)*p;
        else {
            *w++ = '%';
            *w++ = hex[*p >> 4];
            *w++ = hex[*p & 15];
        }
    }
    *w = '\0';
    return out;
}

static void s_column_str(cw_buf_t *b, sqlite3_stmt *st, int col, const char *key)
{
    cw_json_put_key(b, key);
    cw_json_put_str(b, (const char *)sqlite3_column_text(st, col)); /* NULL -> null */
}

typedef void(s_row_fn)(cw_buf_t *b, sqlite3_stmt *st, void *arg);

/* A JSON list of objects, one a row of `st` (prepared and bound; NULL: none), each written
   by `row`, at most max_rows; then the statement and the ledger are closed. NULL (with the
   reason) when a step fails. */
static char *s_list(ledger_t *l, sqlite3_stmt *st, int max_rows, s_row_fn *row, void *arg,
                    char *err, size_t errlen)
{
    cw_buf_t b;
    cw_buf_init(&b, 0);
    cw_buf_putc(&b, '[');
    int rc = SQLITE_DONE, rows = 0;
    while (st && (rc = sqlite3_step(st)) == SQLITE_ROW && rows < max_rows) {
        if (rows++)
            cw_buf_putc(&b, ',');
        cw_buf_putc(&b, '{');
        row(&b, st, arg);
        cw_buf_putc(&b, '}');
    }
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return s_abort(l, st, &b, err, errlen);
    sqlite3_finalize(st);
    s_close(l);
    cw_buf_putc(&b, ']');
    return s_take(&b, err, errlen);
}

/* `sql` prepared on an open ledger; 0, or -1 (reason in err, ledger closed). */
static int s_prepare(ledger_t *l, const char *sql, sqlite3_stmt **st, char *err, size_t errlen)
{
    *st = NULL;
    if (sqlite3_prepare_v2(l->db, sql, -1, st, NULL) == SQLITE_OK)
        return 0;
    s_fail(l, *st, err, errlen);
    *st = NULL;
    s_close(l);
    return -1;
}

static void s_recent_row(cw_buf_t *b, sqlite3_stmt *st, void *arg)
{
    static const char *const columns[] = {
        "id",       "source_repo",   "source_file",  "function_name", "class_name",
        "doc_type", "documented_at", "snippet_path", "git_commit"};
    for (int i = 0; i < (int)(sizeof columns / sizeof columns[0]); i++)
        s_column_str(b, st, i, columns[i]);
    char *url = s_devlog_url((const char *)sqlite3_column_text(st, 7), (const char *)arg);
    cw_json_put_key(b, "devlog_url");
    cw_json_put_str(b, url);
    free(url);
    cw_json_put_key(b, "language");
    cw_json_put_str(b, cw_dash_language_of((const char *)sqlite3_column_text(st, 2)));
}

char *cw_dash_api_recent(const char *db_path, const char *devlog_root, int limit, int offset,
                         const char *repo, const char *doc_type, char *err, size_t errlen)
{
    ledger_t l;
    int opened = s_open(db_path, &l, err, errlen);
    if (opened < 0)
        return NULL;
    sqlite3_stmt *st = NULL;
    if (opened) {
        char sql[512];
        snprintf(sql, sizeof(sql),
                 "SELECT id, source_repo, source_file, function_name, class_name, %s, "
                 "documented_at, snippet_path, git_commit FROM documented_snippets WHERE "
                 "(?1 IS NULL OR source_repo = ?1) AND (?2 IS NULL OR %s = ?2) "
                 "ORDER BY documented_at DESC, rowid DESC LIMIT ?3 OFFSET ?4",
                 l.has_doc_type ? "doc_type" : "'function_doc'",
                 l.has_doc_type ? "doc_type" : "'function_doc'");
        if (s_prepare(&l, sql, &st, err, errlen) != 0)
            return NULL;
        if (repo && *repo)
            sqlite3_bind_text(st, 1, repo, -1, SQLITE_STATIC);
        if (doc_type && *doc_type)
            sqlite3_bind_text(st, 2, doc_type, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, limit);
        sqlite3_bind_int(st, 4, offset);
    }
    return s_list(&l, st, INT_MAX, s_recent_row, (void *)devlog_root, err, errlen);
}

static void s_activity_row(cw_buf_t *b, sqlite3_stmt *st, void *arg)
{
    (void)arg;
    s_column_str(b, st, 0, "date");
    cw_json_put_key(b, "count");
    cw_json_put_int(b, (long long)sqlite3_column_int64(st, 1));
}

char *cw_dash_api_activity(const char *db_path, int days, time_t now, char *err, size_t errlen)
{
    ledger_t l;
    int opened = s_open(db_path, &l, err, errlen);
    if (opened < 0)
        return NULL;
    sqlite3_stmt *st = NULL;
    char since[32];
    if (opened) {
        s_local_midnight(now, days - 1, since, sizeof(since));
        if (s_prepare(&l,
                      "SELECT substr(documented_at, 1, 10) AS day, COUNT(*) FROM "
                      "documented_snippets WHERE julianday(documented_at) >= "
                      "julianday(?1) GROUP BY day ORDER BY day",
                      &st, err, errlen) != 0)
            return NULL;
        sqlite3_bind_text(st, 1, since, -1, SQLITE_STATIC);
    }
    return s_list(&l, st, S_DAYS_MAX + 2, s_activity_row, NULL, err, errlen);
}

static void s_language_row(cw_buf_t *b, sqlite3_stmt *st, void *arg)
{
    int64_t total = *(const int64_t *)arg, n = sqlite3_column_int64(st, 1);
    s_column_str(b, st, 0, "language");
    cw_json_put_key(b, "count");
    cw_json_put_int(b, (long long)n);
    cw_json_put_key(b, "percentage");
    /* round(n / total * 100, 1), as the reference */
    cw_buf_printf(b, "%.1f", (double)n * 100.0 / (double)total);
}

char *cw_dash_api_languages(const char *db_path, char *err, size_t errlen)
{
    ledger_t l;
    int opened = s_open(db_path, &l, err, errlen);
    if (opened < 0)
        return NULL;
    int64_t total = 0;
    if (opened &&
        s_count(&l, "SELECT COUNT(*) FROM documented_snippets", NULL, &total, err, errlen) != 0) {
        s_close(&l);
        return NULL;
    }
    sqlite3_stmt *st = NULL;
    if (opened && total > 0 &&
        s_prepare(&l,
                  "SELECT cw_language(source_file) AS lang, COUNT(*) AS cnt "
                  "FROM documented_snippets GROUP BY lang ORDER BY cnt DESC, lang",
                  &st, err, errlen) != 0)
        return NULL;
    return s_list(&l, st, INT_MAX, s_language_row, &total, err, errlen);
}

char *cw_dash_api_repos(const cw_config_t *config, const char *db_path, char *err, size_t errlen)
{
    ledger_t l;
    int opened = s_open(db_path, &l, err, errlen);
    if (opened < 0)
        return NULL;
    sqlite3_stmt *st = NULL;
    if (opened && sqlite3_prepare_v2(l.db,
                                     "SELECT COUNT(*), MAX(documented_at) FROM "
                                     "documented_snippets WHERE source_repo = ?1",
                                     -1, &st, NULL) != SQLITE_OK) {
        s_fail(&l, st, err, errlen);
        s_close(&l);
        return NULL;
    }
    cw_buf_t b;
    cw_buf_init(&b, 0);
    cw_buf_puts(&b, "[");
    int rc = 0;
    for (size_t i = 0; config && i < config->repo_count; i++) {
        const cw_repo_t *r = &config->repos[i];
        if (i)
            cw_buf_puts(&b, ",");
        cw_buf_puts(&b, "{");
        cw_json_put_key(&b, "name");
        cw_json_put_str(&b, r->name ? r->name : "");
        cw_json_put_key(&b, "path");
        cw_json_put_str(&b, r->path ? r->path : "");
        cw_json_put_key(&b, "weight");
        cw_json_put_int(&b, r->weight);
        cw_json_put_key(&b, "enabled");
        cw_buf_puts(&b, r->enabled ? "true" : "false");
        long long count = 0;
        const char *last = NULL;
        if (st) {
            sqlite3_reset(st);
            sqlite3_bind_text(st, 1, r->name ? r->name : "", -1, SQLITE_STATIC);
            rc = sqlite3_step(st);
            if (rc != SQLITE_ROW)
                break;
            count = (long long)sqlite3_column_int64(st, 0);
            last = (const char *)sqlite3_column_text(st, 1);
        }
        cw_json_put_key(&b, "docs_generated");
        cw_json_put_int(&b, count);
        cw_json_put_key(&b, "last_activity");
        cw_json_put_str(&b, last);
        cw_buf_puts(&b, "}");
        rc = 0;
    }
    if (rc != 0)
        return s_abort(&l, st, &b, err, errlen);
    sqlite3_finalize(st);
    if (opened)
        s_close(&l);
    cw_buf_puts(&b, "]");
    return s_take(&b, err, errlen);
}

/* ------------------------------------------------------------------ routing */

void cw_dash_reply_free(cw_dash_reply_t *reply)
{
    if (!reply)
        return;
    free(reply->body);
    memset(reply, 0, sizeof(*reply));
}

static void s_reply(cw_dash_reply_t *reply, int status, char *body)
{
    reply->status = status;
    reply->content_type = "application/json";
    reply->body = body;
    reply->len = body ? strlen(body) : 0;
}

/* {"detail": message} */
static void s_reply_detail(cw_dash_reply_t *reply, int status, const char *message)
{
    cw_buf_t b;
    cw_buf_init(&b, 0);
    cw_buf_puts(&b, "{");
    cw_json_put_key(&b, "detail");
    cw_json_put_str(&b, message);
    cw_buf_puts(&b, "}");
    s_reply(reply, status, cw_buf_take(&b, NULL));
}

/* An integer query parameter in [lo, hi] (dflt when absent). false + 422 reply when bad. */
static bool s_int_arg(cw_dash_arg_fn *arg, void *cls, const char *key, long lo, long hi, long dflt,
                      long *out, cw_dash_reply_t *reply)
{
    const char *s = arg ? arg(cls, key) : NULL;
    *out = dflt;
    if (!s)
        return true;
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || errno || *end || v < lo || v > hi) {
        char message[160];
        snprintf(message, sizeof(message), "%s must be an integer between %ld and %ld", key, lo,
                 hi);
        s_reply_detail(reply, 422, message);
        return false;
    }
    *out = v;
    return true;
}

/* A ledger answer or 503 with the reason. */
static void s_reply_ledger(cw_dash_reply_t *reply, char *body, const char *err)
{
    if (body)
        s_reply(reply, 200, body);
    else
        s_reply_detail(reply, 503, err && *err ? err : "the ledger cannot be read");
}

bool cw_dash_api_route(const cw_dash_api_ctx_t *ctx, const char *path, cw_dash_arg_fn *arg,
                       void *arg_cls, cw_dash_reply_t *reply)
{
    memset(reply, 0, sizeof(*reply));
    if (!ctx || !path)
        return false;
    char err[512] = "";
    const char *devlog = ctx->config ? ctx->config->devlog.repo_path : NULL;
    if (strcmp(path, "/health") == 0) {
        s_reply(reply, 200, strdup("{\"status\":\"healthy\"}"));
    } else if (strcmp(path, "/api/stats") == 0) {
        s_reply_ledger(reply, cw_dash_api_stats(ctx->db_path, ctx->now, err, sizeof(err)), err);
    } else if (strcmp(path, "/api/recent") == 0) {
        long limit, offset;
        if (!s_int_arg(arg, arg_cls, "limit", 1, S_RECENT_MAX, S_RECENT_DFLT, &limit, reply) ||
            !s_int_arg(arg, arg_cls, "offset", 0, S_OFFSET_MAX, 0, &offset, reply))
            return true;
        const char *repo = arg ? arg(arg_cls, "repo") : NULL;
        const char *doc_type = arg ? arg(arg_cls, "doc_type") : NULL;
        s_reply_ledger(reply,
                       cw_dash_api_recent(ctx->db_path, devlog, (int)limit, (int)offset, repo,
                                          doc_type, err, sizeof(err)),
                       err);
    } else if (strcmp(path, "/api/activity") == 0) {
        long days;
        if (!s_int_arg(arg, arg_cls, "days", 1, S_DAYS_MAX, S_DAYS_DFLT, &days, reply))
            return true;
        s_reply_ledger(
            reply, cw_dash_api_activity(ctx->db_path, (int)days, ctx->now, err, sizeof(err)), err);
    } else if (strcmp(path, "/api/languages") == 0) {
        s_reply_ledger(reply, cw_dash_api_languages(ctx->db_path, err, sizeof(err)), err);
    } else if (strcmp(path, "/api/repos") == 0) {
        s_reply_ledger(reply, cw_dash_api_repos(ctx->config, ctx->db_path, err, sizeof(err)), err);
    } else if (strcmp(path, "/api/health") == 0) {
        char *body = ctx->state ? cw_dash_state_health_json(ctx->state, ctx->now) : NULL;
        if (!ctx->state)
            body = strdup("{\"status\":\"down\",\"broker\":null,\"services\":[],\"missing\":[]}");
        s_reply(reply, body ? 200 : 500, body);
    } else if (strcmp(path, "/api/status") == 0) {
        char *body = ctx->state ? cw_dash_state_status_json(ctx->state, ctx->now)
                                : strdup("{\"running\":false,\"current_activity\":\"idle\"}");
        s_reply(reply, body ? 200 : 500, body);
    } else
        return false;
    if (!reply->body && reply->status == 0)
        reply->status = 500;
    return true;
}
