/*  test_dash_api — the dashboard's JSON answers (the reference's field names) from a real
    ledger file, the router's parameter checks, and DevLog document serving (traversal
    refused). cw-test-libs: cw_committer */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cw_config.h"
#include "cw_dash_api.h"
#include "cw_dash_devlog.h"
#include "cw_dashboard.h"
#include "cw_json.h"
#include "cw_ledger.h"
#include "cw_log.h"

static char s_tmp[64];
static char s_db[128];
static char s_devlog[128];
static time_t s_now;

static int s_setup(void **state)
{
    (void)state;
    snprintf(s_tmp, sizeof s_tmp, "/tmp/cw-test-dash-XXXXXX");
    assert_non_null(mkdtemp(s_tmp));
    snprintf(s_db, sizeof s_db, "%s/codeworm.db", s_tmp);
    snprintf(s_devlog, sizeof s_devlog, "%s/devlog", s_tmp);
    s_now = time(NULL);
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_tmp);
    assert_int_equal(system(cmd), 0);
    return 0;
}

/* documented_at `days` days (and `hours` hours) before now, local time as the ledger
   writes it */
static void s_when(double days, char *out, size_t len)
{
    time_t t = s_now - (time_t)(days * 86400);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(out, len, "%Y-%m-%dT%H:%M:%S.123456", &tm);
}

/* A real ledger (the committer's schema) with rows inserted directly. */
static void s_ledger(void)
{
    cw_ledger_t *ledger = cw_ledger_new(s_db);
    assert_non_null(ledger);
    cw_ledger_destroy(&ledger);
}

static void s_insert(const char *id, const char *repo, const char *file, const char *function,
                     const char *klass, const char *doc_type, double days_ago, const char *path)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(s_db, &db), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "INSERT INTO documented_snippets (id, source_repo, "
                                        "source_file, function_name, class_name, code_hash, "
                                        "documented_at, snippet_path, git_commit, doc_type) "
                                        "VALUES (?1, ?2, ?3, ?4, ?5, 'h', ?6, ?7, 'abc123', ?8)",
                                        -1, &st, NULL),
                     SQLITE_OK);
    char when[64];
    s_when(days_ago, when, sizeof when);
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, repo, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, file, -1, SQLITE_STATIC);
    if (function)
        sqlite3_bind_text(st, 4, function, -1, SQLITE_STATIC);
    if (klass)
        sqlite3_bind_text(st, 5, klass, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, when, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 7, path, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, doc_type, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* The standard rows: 6 documents over 40 days in two repositories. */
static void s_fill(void)
{
    s_ledger();
    s_insert("1", "alpha", "src/a.py", "parse", NULL, "function_doc", 0.0, "snippets/python/a.md");
    s_insert("2", "alpha", "src/b.py", NULL, "Parser", "class_doc", 0.0, "snippets/python/b.md");
    s_insert("3", "alpha", "cmd/main.go", "main", NULL, "function_doc", 3, "snippets/go/main.md");
    s_insert("4", "beta", "lib/x.c", "x_new", NULL, "function_doc", 10, "/elsewhere/x.md");
    s_insert("5", "beta", "README", NULL, NULL, "file_doc", 20, "snippets/other/readme.md");
    s_insert("6", "alpha", "old.py", "old", NULL, "function_doc", 40, "snippets/python/old.md");
}

static cw_value_t *s_parse(char *text)
{
    assert_non_null(text);
    char err[128] = "";
    cw_value_t *j = cw_json_parse(text, strlen(text), err, sizeof err);
    if (!j)
        fail_msg("not JSON (%s): %s", err, text);
    free(text);
    return j;
}

static double s_num(const cw_value_t *obj, const char *key)
{
    const cw_value_t *v = cw_map_get(obj, key);
    assert_non_null(v);
    assert_true(cw_value_kind(v) == CW_VAL_INT || cw_value_kind(v) == CW_VAL_FLOAT);
    return cw_value_float(v);
}

/* ------------------------------------------------------------------ /api/stats */

static void test_stats_without_ledger(void **state)
{
    (void)state;
    char err[256] = "";
    cw_value_t *j = s_parse(cw_dash_api_stats(s_db, s_now, err, sizeof err));
    const char *keys[] = {"total_documented", "last_7_days", "last_30_days", "today"};
    for (size_t i = 0; i < 4; i++)
        assert_true(s_num(j, keys[i]) == 0);
    const char *maps[] = {"by_repo", "by_language", "by_doc_type"};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(cw_value_kind(cw_map_get(j, maps[i])), CW_VAL_MAP);
        assert_int_equal(cw_value_size(cw_map_get(j, maps[i])), 0);
    }
    cw_value_destroy(&j);
    /* and the dashboard did not create it */
    assert_int_not_equal(access(s_db, F_OK), 0);
}

static void test_stats(void **state)
{
    (void)state;
    s_fill();
    char err[256] = "";
    cw_value_t *j = s_parse(cw_dash_api_stats(s_db, s_now, err, sizeof err));
    assert_true(s_num(j, "total_documented") == 6);
    assert_true(s_num(j, "today") == 2);
    assert_true(s_num(j, "last_7_days") == 3);
    assert_true(s_num(j, "last_30_days") == 5);
    const cw_value_t *repo = cw_map_get(j, "by_repo");
    assert_true(s_num(repo, "alpha") == 4);
    assert_true(s_num(repo, "beta") == 2);
    const cw_value_t *lang = cw_map_get(j, "by_language");
    assert_true(s_num(lang, "python") == 3);
    assert_true(s_num(lang, "go") == 1);
    assert_true(s_num(lang, "c") == 1);
    assert_true(s_num(lang, "other") == 1);
    const cw_value_t *type = cw_map_get(j, "by_doc_type");
    assert_true(s_num(type, "function_doc") == 4);
    assert_true(s_num(type, "class_doc") == 1);
    assert_true(s_num(type, "file_doc") == 1);
    cw_value_destroy(&j);
}

static void test_stats_not_a_ledger(void **state)
{
    (void)state;
    FILE *f = fopen(s_db, "w");
    assert_non_null(f);
    fputs("this is not sqlite", f);
    fclose(f);
    char err[256] = "";
    assert_null(cw_dash_api_stats(s_db, s_now, err, sizeof err));
    assert_true(strlen(err) > 0);
    /* the router answers 503 with the reason */
    cw_dash_api_ctx_t ctx = {NULL, s_db, NULL, s_now};
    cw_dash_reply_t reply;
    assert_true(cw_dash_api_route(&ctx, "/api/stats", NULL, NULL, &reply));
    assert_int_equal(reply.status, 503);
    assert_non_null(strstr(reply.body, "\"detail\""));
    cw_dash_reply_free(&reply);
}

/* ------------------------------------------------------------------ /api/recent */

static void test_recent(void **state)
{
    (void)state;
    s_fill();
    s_insert("7", "beta", "odd name.py", "f", NULL, "function_doc", 0.5,
             "snippets/python/a \"quoted\" <b>.md");
    char abs_path[256];
    snprintf(abs_path, sizeof abs_path, "%s/snippets/go/abs.md", s_devlog);
    s_insert("8", "beta", "abs.go", "g", NULL, "function_doc", 0.7, abs_path);
    char err[256] = "";
    cw_value_t *j = s_parse(cw_dash_api_recent(s_db, s_devlog, 50, 0, NULL, NULL, err, sizeof err));
    assert_int_equal(cw_value_kind(j), CW_VAL_ARRAY);
    assert_int_equal(cw_value_size(j), 8);
    /* newest first, with the reference's fields */
    const cw_value_t *first = cw_array_at(j, 0);
    const char *fields[] = {"id",         "source_repo", "source_file",   "function_name",
                            "class_name", "doc_type",    "documented_at", "snippet_path",
                            "git_commit"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        assert_non_null(cw_map_get(first, fields[i]));
    const char *prev = NULL;
    for (size_t i = 0; i < cw_value_size(j); i++) {
        const char *at = cw_map_str(cw_array_at(j, i), "documented_at", NULL);
        assert_non_null(at);
        if (prev)
            assert_true(strcmp(prev, at) >= 0);
        prev = at;
    }
    /* a class_doc has no function_name: null, as the reference */
    bool seen_class = false;
    for (size_t i = 0; i < cw_value_size(j); i++) {
        const cw_value_t *d = cw_array_at(j, i);
        const char *id = cw_map_str(d, "id", "");
        if (strcmp(id, "2") == 0) {
            seen_class = true;
            assert_int_equal(cw_value_kind(cw_map_get(d, "function_name")), CW_VAL_NIL);
            assert_string_equal(cw_map_str(d, "class_name", ""), "Parser");
            assert_string_equal(cw_map_str(d, "devlog_url", ""), "/devlog/snippets/python/b.md");
        } else if (strcmp(id, "4") == 0) { /* absolute, outside the DevLog: no link */
            assert_int_equal(cw_value_kind(cw_map_get(d, "devlog_url")), CW_VAL_NIL);
        } else if (strcmp(id, "7") == 0) { /* percent-encoded */
            assert_string_equal(cw_map_str(d, "devlog_url", ""),
                                "/devlog/snippets/python/a%20%22quoted%22%20%3Cb%3E.md");
            assert_string_equal(cw_map_str(d, "snippet_path", ""),
                                "snippets/python/a \"quoted\" <b>.md");
        } else if (strcmp(id, "8") == 0) { /* absolute inside the DevLog */
            assert_string_equal(cw_map_str(d, "devlog_url", ""), "/devlog/snippets/go/abs.md");
        }
    }
    assert_true(seen_class);
    cw_value_destroy(&j);

    /* limit, offset and the filters */
    j = s_parse(cw_dash_api_recent(s_db, s_devlog, 2, 1, NULL, NULL, err, sizeof err));
    assert_int_equal(cw_value_size(j), 2);
    cw_value_destroy(&j);
    j = s_parse(cw_dash_api_recent(s_db, s_devlog, 50, 0, "beta", NULL, err, sizeof err));
    assert_int_equal(cw_value_size(j), 4);
    cw_value_destroy(&j);
    j = s_parse(
        cw_dash_api_recent(s_db, s_devlog, 50, 0, "alpha", "function_doc", err, sizeof err));
    assert_int_equal(cw_value_size(j), 3);
    cw_value_destroy(&j);
    j = s_parse(cw_dash_api_recent(s_db, s_devlog, 50, 0, "nobody", NULL, err, sizeof err));
    assert_int_equal(cw_value_size(j), 0);
    cw_value_destroy(&j);
}

/* ------------------------------------------------------------------ /api/activity */

static void test_activity(void **state)
{
    (void)state;
    s_fill();
    char err[256] = "";
    cw_value_t *j = s_parse(cw_dash_api_activity(s_db, 30, s_now, err, sizeof err));
    /* today (2), 3 days ago, 10 days ago, 20 days ago; not the 40-day-old one */
    assert_int_equal(cw_value_size(j), 4);
    long total = 0;
    const char *prev = "";
    for (size_t i = 0; i < cw_value_size(j); i++) {
        const cw_value_t *d = cw_array_at(j, i);
        const char *date = cw_map_str(d, "date", NULL);
        assert_non_null(date);
        assert_int_equal(strlen(date), 10);
        assert_true(strcmp(date, prev) > 0); /* oldest first */
        prev = date;
        total += (long)s_num(d, "count");
    }
    assert_int_equal(total, 5);
    /* the last entry is today with 2 */
    char today[32];
    s_when(0, today, sizeof today);
    today[10] = '\0';
    assert_string_equal(cw_map_str(cw_array_at(j, 3), "date", ""), today);
    assert_true(s_num(cw_array_at(j, 3), "count") == 2);
    cw_value_destroy(&j);
    j = s_parse(cw_dash_api_activity(s_db, 1, s_now, err, sizeof err));
    assert_int_equal(cw_value_size(j), 1);
    cw_value_destroy(&j);
    j = s_parse(cw_dash_api_activity(s_db, 90, s_now, err, sizeof err));
    assert_int_equal(cw_value_size(j), 5);
    cw_value_destroy(&j);
}

/* ------------------------------------------------------------------ /api/languages */

static void test_languages(void **state)
{
    (void)state;
    s_ledger();
    s_insert("1", "r", "a.py", "a", NULL, "function_doc", 0, "p1.md");
    s_insert("2", "r", "b.ts", "b", NULL, "function_doc", 0, "p2.md");
    s_insert("3", "r", "c.tsx", "c", NULL, "function_doc", 0, "p3.md");
    char err[256] = "";
    cw_value_t *j = s_parse(cw_dash_api_languages(s_db, err, sizeof err));
    assert_int_equal(cw_value_size(j), 3);
    for (size_t i = 0; i < 3; i++) {
        const cw_value_t *l = cw_array_at(j, i);
        assert_non_null(cw_map_str(l, "language", NULL));
        assert_true(s_num(l, "count") == 1);
        assert_true(s_num(l, "percentage") == 33.3); /* round(1/3*100, 1) */
    }
    cw_value_destroy(&j);
    /* the reference's mapping by extension */
    assert_string_equal(cw_dash_language_of("x/y.py"), "python");
    assert_string_equal(cw_dash_language_of("x/y.TS"), "typescript");
    assert_string_equal(cw_dash_language_of("y.tsx"), "tsx");
    assert_string_equal(cw_dash_language_of("y.js"), "javascript");
    assert_string_equal(cw_dash_language_of("y.go"), "go");
    assert_string_equal(cw_dash_language_of("y.rs"), "rust");
    assert_string_equal(cw_dash_language_of("y.h"), "c");
    assert_string_equal(cw_dash_language_of("y.cpp"), "cpp");
    assert_string_equal(cw_dash_language_of("dir.py/Makefile"), "other");
    assert_string_equal(cw_dash_language_of(NULL), "other");
}

/* ------------------------------------------------------------------ /api/repos */

static void test_repos(void **state)
{
    (void)state;
    s_fill();
    cw_config_t *config = cw_config_new_defaults();
    char err[256] = "";
    assert_int_equal(cw_config_add_repo(config, "alpha", s_tmp, err, sizeof err), 0);
    assert_int_equal(cw_config_add_repo(config, "gamma", s_tmp, err, sizeof err), 0);
    cw_value_t *j = s_parse(cw_dash_api_repos(config, s_db, err, sizeof err));
    assert_int_equal(cw_value_size(j), 2);
    const cw_value_t *a = cw_array_at(j, 0);
    assert_string_equal(cw_map_str(a, "name", ""), "alpha");
    assert_non_null(cw_map_str(a, "path", NULL));
    assert_true(s_num(a, "weight") >= 1);
    assert_true(cw_map_bool(a, "enabled", false));
    assert_true(s_num(a, "docs_generated") == 4);
    assert_non_null(cw_map_str(a, "last_activity", NULL));
    const cw_value_t *g = cw_array_at(j, 1);
    assert_true(s_num(g, "docs_generated") == 0);
    assert_int_equal(cw_value_kind(cw_map_get(g, "last_activity")), CW_VAL_NIL);
    cw_value_destroy(&j);
    cw_config_destroy(&config);
}

/* ------------------------------------------------------------------ the router */

typedef struct {
    const char *keys[4];
    const char *values[4];
} args_t;

static const char *s_arg(void *cls, const char *key)
{
    args_t *a = (args_t *)cls;
    for (size_t i = 0; i < 4 && a->keys[i]; i++)
        if (strcmp(a->keys[i], key) == 0)
            return a->values[i];
    return NULL;
}

static int s_route(const char *path, const char *key, const char *value, char **body)
{
    args_t args = {{key}, {value}};
    cw_dash_api_ctx_t ctx = {NULL, s_db, NULL, s_now};
    cw_dash_reply_t reply;
    if (!cw_dash_api_route(&ctx, path, s_arg, &args, &reply))
        return 0;
    assert_string_equal(reply.content_type, "application/json");
    int status = reply.status;
    *body = reply.body;
    reply.body = NULL;
    return status;
}

static void test_router(void **state)
{
    (void)state;
    s_fill();
    char *body = NULL;
    struct {
        const char *path, *key, *value;
        int status;
        const char *contains;
    } cases[] = {
        {"/api/stats", NULL, NULL, 200, "\"total_documented\":6"},
        {"/api/recent", "limit", "2", 200, "\"source_repo\""},
        {"/api/recent", "limit", "0", 422, "limit must be an integer between 1 and 200"},
        {"/api/recent", "limit", "201", 422, "between 1 and 200"},
        {"/api/recent", "limit", "5x", 422, "limit"},
        {"/api/recent", "offset", "-1", 422, "offset"},
        {"/api/activity", "days", "366", 422, "days must be an integer between 1 and 365"},
        {"/api/activity", "days", "7", 200, "\"date\""},
        {"/api/languages", NULL, NULL, 200, "\"percentage\""},
        {"/api/repos", NULL, NULL, 200, "[]"},
        {"/api/health", NULL, NULL, 200, "\"status\":\"down\""},
        {"/api/status", NULL, NULL, 200, "\"current_activity\":\"idle\""},
        {"/health", NULL, NULL, 200, "{\"status\":\"healthy\"}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int status = s_route(cases[i].path, cases[i].key, cases[i].value, &body);
        if (status != cases[i].status || !strstr(body, cases[i].contains))
            fail_msg("%s %s=%s: %d %s", cases[i].path, cases[i].key ? cases[i].key : "",
                     cases[i].value ? cases[i].value : "", status, body);
        free(body);
    }
    assert_int_equal(s_route("/api/nothing", NULL, NULL, &body), 0);
    assert_int_equal(s_route("/", NULL, NULL, &body), 0);
}

/* ------------------------------------------------------------------ DevLog documents */

static void s_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_devlog_paths(void **state)
{
    (void)state;
    const char *ok[] = {"snippets/python/a.md", "a.md", "snippets/go/x@1f2e.md",
                        "analysis/weekly/2026-W01.md", "snippets/c/caf\xc3\xa9.md"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (!cw_dash_devlog_path_ok(ok[i]))
            fail_msg("refused %s", ok[i]);
    const char *bad[] = {"",
                         "/etc/passwd.md",
                         "../x.md",
                         "snippets/../../x.md",
                         "snippets/./a.md",
                         "snippets//a.md",
                         ".git/config",
                         ".git/x.md",
                         "snippets/.hidden.md",
                         "snippets/a.txt",
                         "snippets\\..\\a.md",
                         "snippets/a\n.md",
                         "snippets/a.md/",
                         ".md"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (cw_dash_devlog_path_ok(bad[i]))
            fail_msg("accepted %s", bad[i]);
}

static void test_devlog_read(void **state)
{
    (void)state;
    char path[256], outside[256];
    snprintf(path, sizeof path, "%s/snippets/python", s_devlog);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' '%s/.git'", path, s_devlog);
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof path, "%s/snippets/python/a.md", s_devlog);
    s_write(path, "# parse\n\n<script>alert(1)</script> & \"x\"\n");
    snprintf(outside, sizeof outside, "%s/secret.md", s_tmp);
    s_write(outside, "secret\n");
    snprintf(path, sizeof path, "%s/snippets/python/link.md", s_devlog);
    assert_int_equal(symlink(outside, path), 0);
    snprintf(path, sizeof path, "%s/snippets/python/dir.md", s_devlog);
    assert_int_equal(mkdir(path, 0755), 0);

    char *data = NULL;
    size_t len = 0;
    char err[256];
    assert_int_equal(
        cw_dash_devlog_read(s_devlog, "snippets/python/a.md", &data, &len, err, sizeof err), 200);
    assert_non_null(strstr(data, "# parse"));
    assert_int_equal(len, strlen(data));
    /* shown escaped */
    char *page = cw_dash_devlog_page("snippets/python/a.md", data, len);
    assert_non_null(page);
    assert_null(strstr(page, "<script>"));
    assert_non_null(strstr(page, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;"));
    free(page);
    free(data);

    struct {
        const char *rel;
        int status;
    } cases[] = {
        {"../secret.md", 403}, {"snippets/python/link.md", 403}, {"snippets/python/none.md", 404},
        {".git/config", 403},  {"snippets/python/dir.md", 403},  {"/etc/hostname.md", 403}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int status = cw_dash_devlog_read(s_devlog, cases[i].rel, &data, &len, err, sizeof err);
        if (status != cases[i].status)
            fail_msg("%s: %d (%s)", cases[i].rel, status, err);
        assert_null(data);
    }
    /* no DevLog at all */
    assert_int_equal(cw_dash_devlog_read("/nonexistent-cw", "a.md", &data, &len, err, sizeof err),
                     404);
}

static void test_html_escape(void **state)
{
    (void)state;
    const char text[] = "a<b>&\"'\0z";
    char *out = cw_dash_html_escape(text, sizeof text - 1);
    assert_string_equal(out, "a&lt;b&gt;&amp;&quot;&#39;\xEF\xBF\xBDz");
    free(out);
    out = cw_dash_html_escape("", 0);
    assert_string_equal(out, "");
    free(out);
}

/* ------------------------------------------------------------------ options */

static void test_take_options(void **state)
{
    (void)state;
    char *argv[] = {"codeworm-dashboard", "--config", "c", "--host", "0.0.0.0",
                    "--port=9001",        "--debug",  NULL};
    int argc = 7;
    const char *host = NULL, *port = NULL;
    char err[128] = "";
    assert_int_equal(cw_dashboard_take_options(&argc, argv, &host, &port, err, sizeof err), 0);
    assert_string_equal(host, "0.0.0.0");
    assert_string_equal(port, "9001");
    assert_int_equal(argc, 4);
    assert_string_equal(argv[1], "--config");
    assert_string_equal(argv[2], "c");
    assert_string_equal(argv[3], "--debug");
    assert_null(argv[4]);
    char *bad[] = {"codeworm-dashboard", "--port", NULL};
    argc = 2;
    assert_int_equal(cw_dashboard_take_options(&argc, bad, &host, &port, err, sizeof err), -1);
    assert_non_null(strstr(err, "--port"));
}

int main(void)
{
    cw_log_init("test");
    cw_log_set_level(CW_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_stats_without_ledger, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_stats, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_stats_not_a_ledger, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_recent, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_activity, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_languages, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_repos, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_router, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_devlog_paths, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_devlog_read, s_setup, s_teardown),
        cmocka_unit_test(test_html_escape),
        cmocka_unit_test(test_take_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
