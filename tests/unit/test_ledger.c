/*  test_ledger — the SQLite ledger: the reference schema, migration, dedup rules, jobs,
    stats. Real database files in a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cw_ledger.h"
#include "cw_log.h"
#include "cw_value.h"

static char s_tmp[64];
static char s_db[128];

static int s_setup(void **state)
{
    snprintf(s_tmp, sizeof s_tmp, "/tmp/cw-test-ledger-XXXXXX");
    assert_non_null(mkdtemp(s_tmp));
    snprintf(s_db, sizeof s_db, "%s/codeworm.db", s_tmp);
    return 0;
}

static int s_teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_tmp);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static sqlite3 *s_open_raw(void)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(s_db, &db), SQLITE_OK);
    return db;
}

static void s_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fail_msg("sql failed: %s (%s)", msg ? msg : "?", sql);
}

static char *s_query_text(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    char *out = NULL;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        out = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out;
}

static cw_value_t *s_target(const char *repo, const char *file, const char *name, const char *cls,
                            const char *doc_type, const char *hash)
{
    cw_value_t *t = cw_value_new_map();
    cw_map_set_str(t, "doc_type", doc_type);
    cw_map_set_str(t, "repo", repo);
    cw_map_set_str(t, "file", file);
    cw_map_set_str(t, "language", "python");
    cw_map_set_str(t, "name", name);
    if (cls)
        cw_map_set_str(t, "class", cls);
    cw_map_set_int(t, "start_line", 1);
    cw_map_set_int(t, "end_line", 20);
    cw_map_set_float(t, "complexity", 4.0);
    cw_map_set_float(t, "score", 40.0);
    cw_map_set_str(t, "source", "");
    cw_map_set_str(t, "code_hash", hash);
    return t;
}

static int s_allowed(cw_ledger_t *l, const char *repo, const char *file, const char *name,
                     const char *cls, const char *doc_type, const char *hash, time_t now)
{
    cw_value_t *t = s_target(repo, file, name, cls, doc_type, hash);
    int rc = cw_ledger_allowed(l, t, 90, now);
    cw_value_destroy(&t);
    return rc;
}

static void s_record(cw_ledger_t *l, const char *repo, const char *file, const char *name,
                     const char *cls, const char *doc_type, const char *hash, time_t when,
                     const char *job)
{
    cw_value_t *t = s_target(repo, file, name, cls, doc_type, hash);
    assert_int_equal(cw_ledger_record(l, t, "snippets/python/x.md", "abc123", job, when), 0);
    cw_value_destroy(&t);
}

/* ------------------------------------------------------------------ tests */

static void test_schema_matches_reference(void **state)
{
    cw_ledger_t *l = cw_ledger_new(s_db);
    assert_non_null(l);
    sqlite3 *db = s_open_raw();
    static const char *cols[][4] = {
        /* name, type, notnull, pk */
        {"id", "TEXT", "0", "1"},
        {"source_repo", "TEXT", "1", "0"},
        {"source_file", "TEXT", "1", "0"},
        {"function_name", "TEXT", "0", "0"},
        {"class_name", "TEXT", "0", "0"},
        {"code_hash", "TEXT", "1", "0"},
        {"documented_at", "TIMESTAMP", "1", "0"},
        {"snippet_path", "TEXT", "1", "0"},
        {"git_commit", "TEXT", "0", "0"},
        {"doc_type", "TEXT", "1", "0"},
    };
    sqlite3_stmt *st = NULL;
    assert_int_equal(
        sqlite3_prepare_v2(db, "PRAGMA table_info(documented_snippets)", -1, &st, NULL), SQLITE_OK);
    size_t i = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        assert_true(i < 10);
        assert_int_equal(sqlite3_column_int(st, 0), (int)i);
        assert_string_equal((const char *)sqlite3_column_text(st, 1), cols[i][0]);
        assert_string_equal((const char *)sqlite3_column_text(st, 2), cols[i][1]);
        assert_int_equal(sqlite3_column_int(st, 3), atoi(cols[i][2]));
        assert_int_equal(sqlite3_column_int(st, 5), atoi(cols[i][3]));
        if (i == 9)
            assert_string_equal((const char *)sqlite3_column_text(st, 4), "'function_doc'");
        i++;
    }
    sqlite3_finalize(st);
    assert_int_equal(i, 10);

    static const char *indexes[][2] = {
        {"idx_code_hash", "code_hash"},
        {"idx_source", "source_repo,source_file"},
        {"idx_function", "source_file,function_name"},
        {"idx_dedup", "source_file,function_name,class_name,doc_type"},
        {"idx_doc_type", "doc_type"},
    };
    for (i = 0; i < 5; i++) {
        char sql[256];
        snprintf(sql, sizeof sql,
                 "SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_index_info('%s') "
                 "ORDER BY seqno)",
                 indexes[i][0]);
        char *colsl = s_query_text(db, sql);
        assert_non_null(colsl);
        assert_string_equal(colsl, indexes[i][1]);
        free(colsl);
    }
    char *jobs = s_query_text(db, "SELECT group_concat(name, ',') FROM "
                                  "pragma_table_info('committed_jobs')");
    assert_string_equal(jobs, "job_id,commit_oid,path,created_at");
    free(jobs);
    char *mode = s_query_text(db, "PRAGMA journal_mode");
    assert_string_equal(mode, "wal");
    free(mode);
    sqlite3_close(db);
    cw_ledger_destroy(&l);
    assert_null(l);
    cw_ledger_destroy(&l);

    /* reopening an existing database is fine */
    l = cw_ledger_new(s_db);
    assert_non_null(l);
    cw_ledger_destroy(&l);
}

static void test_migration_adds_doc_type(void **state)
{
    sqlite3 *db = s_open_raw();
    s_exec(db, "CREATE TABLE documented_snippets (id TEXT PRIMARY KEY, source_repo TEXT NOT "
               "NULL, source_file TEXT NOT NULL, function_name TEXT, class_name TEXT, code_hash "
               "TEXT NOT NULL, documented_at TIMESTAMP NOT NULL, snippet_path TEXT NOT NULL, "
               "git_commit TEXT);"
               "CREATE INDEX idx_code_hash ON documented_snippets(code_hash);"
               "INSERT INTO documented_snippets VALUES ('u1', 'CodeWorm', "
               "'/home/me/dev/CodeWorm/codeworm/daemon.py', 'run', 'Daemon', 'HASHOLD', "
               "'2020-01-01T10:00:00.000001', 'snippets/python/a.md', 'deadbeef');");
    sqlite3_close(db);

    cw_ledger_t *l = cw_ledger_new(s_db);
    assert_non_null(l);
    db = s_open_raw();
    char *dt = s_query_text(db, "SELECT doc_type FROM documented_snippets WHERE id = 'u1'");
    assert_string_equal(dt, "function_doc");
    free(dt);
    char *n = s_query_text(db, "SELECT count(*) FROM pragma_table_info('documented_snippets')");
    assert_string_equal(n, "10");
    free(n);
    char *idx = s_query_text(db, "SELECT count(*) FROM pragma_index_list('documented_snippets')");
    assert_true(atoi(idx) >= 5);
    free(idx);
    sqlite3_close(db);
    /* the old row keeps its dedup power for function_doc, not for another type */
    time_t now = time(NULL);
    assert_int_equal(
        s_allowed(l, "CodeWorm", "codeworm/x.py", "f", NULL, "function_doc", "HASHOLD", now), 0);
    assert_int_equal(s_allowed(l, "CodeWorm", "codeworm/x.py", "f", NULL, "til", "HASHOLD", now),
                     1);
    cw_ledger_destroy(&l);
}

static void test_dedup_rules(void **state)
{
    cw_ledger_t *l = cw_ledger_new(s_db);
    assert_non_null(l);
    time_t now = time(NULL);
    assert_int_equal(s_allowed(l, "R", "src/a.py", "run", "Job", "function_doc", "H1", now), 1);
    s_record(l, "R", "src/a.py", "run", "Job", "function_doc", "H1", 0, NULL);

    /* same code hash, same doc type: skipped wherever it is */
    assert_int_equal(s_allowed(l, "Other", "x/y.py", "zzz", NULL, "function_doc", "H1", now), 0);
    /* same code, another doc type: allowed */
    assert_int_equal(s_allowed(l, "R", "src/a.py", "run", "Job", "security_review", "H1", now), 1);
    /* changed code, same function, within the window: skipped */
    assert_int_equal(s_allowed(l, "R", "src/a.py", "run", "Job", "function_doc", "H2", now), 0);
    /* another class, no class, another function, another file, another repo: allowed */
    assert_int_equal(s_allowed(l, "R", "src/a.py", "run", "Other", "function_doc", "H2", now), 1);
    assert_int_equal(s_allowed(l, "R", "src/a.py", "run", NULL, "function_doc", "H2", now), 1);
    assert_int_equal(s_allowed(l, "R", "src/a.py", "stop", "Job", "function_doc", "H2", now), 1);
    assert_int_equal(s_allowed(l, "R", "src/b.py", "run", "Job", "function_doc", "H2", now), 1);
    assert_int_equal(s_allowed(l, "R2", "src/a.py", "run", "Job", "function_doc", "H2", now), 1);
    /* once the window has passed, the changed code may be documented again */
    assert_int_equal(
        s_allowed(l, "R", "src/a.py", "run", "Job", "function_doc", "H2", now + 91 * 86400), 1);
    assert_int_equal(
        s_allowed(l, "R", "src/a.py", "run", "Job", "function_doc", "H2", now + 89 * 86400), 0);
    /* an old record (100 days ago) does not block */
    s_record(l, "R", "src/c.py", "go", NULL, "function_doc", "H3", now - 100 * 86400, NULL);
    assert_int_equal(s_allowed(l, "R", "src/c.py", "go", NULL, "function_doc", "H4", now), 1);
    /* ... unless it is the very same code */
    assert_int_equal(s_allowed(l, "R", "src/c.py", "go", NULL, "function_doc", "H3", now), 0);
    /* window disabled */
    cw_value_t *t = s_target("R", "src/a.py", "run", "Job", "function_doc", "H9");
    assert_int_equal(cw_ledger_allowed(l, t, 0, now), 1);
    cw_value_destroy(&t);
    cw_ledger_destroy(&l);
}

static void test_dedup_reference_absolute_rows(void **state)
{
    cw_ledger_t *l = cw_ledger_new(s_db);
    assert_non_null(l);
    time_t now = time(NULL);
    char recent[40], old[40], sql[1024];
    cw_ledger_isoformat(now - 3 * 86400, 250000, recent, sizeof recent);
    cw_ledger_isoformat(now - 200 * 86400, 0, old, sizeof old);
    sqlite3 *db = s_open_raw();
    /* the reference: absolute paths; the second row uses the sqlite3 adapter's ' ' form */
    snprintf(sql, sizeof sql,
             "INSERT INTO documented_snippets VALUES ('r1', 'CodeWorm', "
             "'/home/me/dev/CodeWorm/codeworm/daemon.py', 'run', 'Daemon', 'HREF1', '%s', "
             "'snippets/python/a.md', 'c1', 'function_doc');"
             "INSERT INTO documented_snippets VALUES ('r2', 'CodeWorm', "
             "'/home/me/dev/CodeWorm/codeworm/git_ops.py', 'push', NULL, 'HREF2', '%s', "
             "'snippets/python/b.md', 'c2', 'function_doc');",
             recent, old);
    s_exec(db, sql);
    sqlite3_close(db);

    /* same file (relative now), changed code: still within the window -> skipped */
    assert_int_equal(
        s_allowed(l, "CodeWorm", "codeworm/daemon.py", "run", "Daemon", "function_doc", "NEW", now),
        0);
    /* the suffix must sit on a path boundary */
    assert_int_equal(
        s_allowed(l, "CodeWorm", "orm/daemon.py", "run", "Daemon", "function_doc", "NEW", now), 1);
    assert_int_equal(s_allowed(l, "CodeWorm", "x/codeworm/daemon.py", "run", "Daemon",
                               "function_doc", "NEW", now),
                     1);
    /* another repository with the same relative file */
    assert_int_equal(
        s_allowed(l, "Other", "codeworm/daemon.py", "run", "Daemon", "function_doc", "NEW", now),
        1);
    /* the old reference row is outside the window */
    assert_int_equal(
        s_allowed(l, "CodeWorm", "codeworm/git_ops.py", "push", NULL, "function_doc", "NEW", now),
        1);
    /* a space-separated timestamp inside the window counts too */
    cw_ledger_isoformat(now - 86400, 0, recent, sizeof recent);
    recent[10] = ' ';
    db = s_open_raw();
    snprintf(sql, sizeof sql, "UPDATE documented_snippets SET documented_at = '%s' WHERE id = 'r2'",
             recent);
    s_exec(db, sql);
    sqlite3_close(db);
    assert_int_equal(
        s_allowed(l, "CodeWorm", "codeworm/git_ops.py", "push", NULL, "function_doc", "NEW", now),
        0);
    cw_ledger_destroy(&l);
}

static void test_record_and_jobs(void **state)
{
    cw_ledger_t *l = cw_ledger_new(s_db);
    assert_non_null(l);
    char commit[64], path[256];
    assert_int_equal(cw_ledger_find_job(l, "job-1", commit, sizeof commit, path, sizeof path), 0);
    s_record(l, "R", "a.py", "f", NULL, "til", "HX", 0, "job-1");
    assert_int_equal(cw_ledger_find_job(l, "job-1", commit, sizeof commit, path, sizeof path), 1);
    assert_string_equal(commit, "abc123");
    assert_string_equal(path, "snippets/python/x.md");

    sqlite3 *db = s_open_raw();
    char *id = s_query_text(db, "SELECT id FROM documented_snippets");
    assert_int_equal(strlen(id), 36);
    assert_int_equal(id[14], '4');
    assert_non_null(strchr("89ab", id[19]));
    assert_int_equal(id[8], '-');
    free(id);
    char *at = s_query_text(db, "SELECT documented_at FROM documented_snippets");
    /* Python isoformat: YYYY-MM-DDTHH:MM:SS[.ffffff] */
    size_t n = strlen(at);
    assert_true(n == 19 || n == 26);
    assert_int_equal(at[10], 'T');
    assert_int_equal(at[4], '-');
    assert_int_equal(at[13], ':');
    if (n == 26)
        assert_int_equal(at[19], '.');
    free(at);
    char *fn = s_query_text(db, "SELECT coalesce(class_name, 'NULL') || '|' || function_name || "
                                "'|' || source_file || '|' || git_commit FROM "
                                "documented_snippets");
    assert_string_equal(fn, "NULL|f|a.py|abc123");
    free(fn);
    sqlite3_close(db);

    /* isoformat itself */
    char iso[40];
    cw_ledger_isoformat(1772264533, 123456, iso, sizeof iso); /* TZ=UTC */
    assert_string_equal(iso, "2026-02-28T07:42:13.123456");
    cw_ledger_isoformat(1772264533, 0, iso, sizeof iso);
    assert_string_equal(iso, "2026-02-28T07:42:13");
    char u1[37], u2[37];
    cw_ledger_uuid4(u1);
    cw_ledger_uuid4(u2);
    assert_string_not_equal(u1, u2);
    cw_ledger_destroy(&l);
}

static void test_stats(void **state)
{
    cw_ledger_t *l = cw_ledger_new(s_db);
    assert_non_null(l);
    time_t now = time(NULL);
    cw_value_t *s = cw_ledger_stats(l, now);
    assert_int_equal(cw_map_int(s, "total", -1), 0);
    assert_int_equal(cw_map_int(s, "last_7_days", -1), 0);
    cw_value_destroy(&s);

    s_record(l, "A", "a.py", "f1", NULL, "function_doc", "1", 0, NULL);
    s_record(l, "A", "a.py", "f2", NULL, "til", "2", 0, NULL);
    s_record(l, "B", "b.py", "f3", NULL, "function_doc", "3", now - 2 * 86400, NULL);
    s_record(l, "B", "b.py", "f4", NULL, "class_doc", "4", now - 30 * 86400, NULL);
    s_record(l, "C", "c.py", "f5", NULL, "function_doc", "5", now - 8 * 86400, NULL);
    s = cw_ledger_stats(l, now);
    assert_non_null(s);
    assert_int_equal(cw_map_int(s, "total", -1), 5);
    assert_int_equal(cw_map_int(s, "last_7_days", -1), 3);
    const cw_value_t *by_repo = cw_map_get(s, "by_repo");
    assert_int_equal(cw_map_int(by_repo, "A", -1), 2);
    assert_int_equal(cw_map_int(by_repo, "B", -1), 2);
    assert_int_equal(cw_map_int(by_repo, "C", -1), 1);
    const cw_value_t *by_type = cw_map_get(s, "by_doc_type");
    assert_int_equal(cw_map_int(by_type, "function_doc", -1), 3);
    assert_int_equal(cw_map_int(by_type, "til", -1), 1);
    assert_int_equal(cw_map_int(by_type, "class_doc", -1), 1);
    assert_int_equal(cw_value_size(by_type), 3);
    cw_value_destroy(&s);
    cw_ledger_destroy(&l);
}

static void test_bad_path(void **state)
{
    assert_null(cw_ledger_new("/nonexistent-dir-cw/sub/codeworm.db"));
    assert_null(cw_ledger_new(""));
    assert_null(cw_ledger_new(NULL));
}

/* issue 6: claims are taken with the dedup check, block other ids, expire, and go when
   the target is recorded or released */
static void test_claims(void **state)
{
    cw_ledger_t *l = cw_ledger_new(s_db);
    assert_non_null(l);
    time_t now = time(NULL);
    cw_value_t *list = cw_value_new_array();
    cw_array_push(list, s_target("r", "a.py", "f1", NULL, "function_doc", "H1"));
    cw_array_push(list, s_target("r", "a.py", "f2", NULL, "function_doc", "H2"));
    cw_array_push(list, s_target("r", "a.py", "f3", NULL, "function_doc", "H3"));
    s_record(l, "r", "a.py", "f1", NULL, "function_doc", "H1", now - 10, "j0");
    bool allowed[3];
    int claimed = -2;
    /* cycle A claims the first allowed target (f2) */
    assert_int_equal(cw_ledger_claim(l, list, "A", 60, 90, now, allowed, 3, &claimed, NULL), 0);
    assert_false(allowed[0]);
    assert_true(allowed[1]);
    assert_true(allowed[2]);
    assert_int_equal(claimed, 1);
    /* cycle B sees f2 taken and claims f3 */
    assert_int_equal(cw_ledger_claim(l, list, "B", 60, 90, now, allowed, 3, &claimed, NULL), 0);
    assert_false(allowed[1]);
    assert_int_equal(claimed, 2);
    /* C finds nothing: one target documented, two held by others */
    int held = -1;
    assert_int_equal(cw_ledger_claim(l, list, "C", 60, 90, now, allowed, 3, &claimed, &held), 0);
    assert_int_equal(claimed, -1);
    assert_int_equal(held, 2);
    /* A repeated request of A takes the same target again */
    assert_int_equal(cw_ledger_claim(l, list, "A", 60, 90, now, allowed, 3, &claimed, NULL), 0);
    assert_int_equal(claimed, 1);
    /* no claim id: a plain dedup sees both taken */
    assert_int_equal(cw_ledger_claim(l, list, NULL, 0, 90, now, allowed, 3, &claimed, NULL), 0);
    assert_false(allowed[1] || allowed[2]);
    assert_int_equal(claimed, -1);
    assert_int_equal(cw_ledger_claims(l, now), 2);
    /* the same function with changed code (another hash) is covered by the name */
    cw_value_t *changed = cw_value_new_array();
    cw_array_push(changed, s_target("r", "a.py", "f2", NULL, "function_doc", "H2b"));
    cw_array_push(changed, s_target("r", "a.py", "f2", NULL, "til", "H2"));
    assert_int_equal(cw_ledger_claim(l, changed, "D", 60, 90, now, allowed, 2, &claimed, NULL), 0);
    assert_false(allowed[0]);
    assert_true(allowed[1]); /* another doc type is another target */
    assert_int_equal(claimed, 1);
    assert_int_equal(cw_ledger_release(l, "D"), 1);
    cw_value_destroy(&changed);
    /* recording f2 as documented drops A's claim */
    s_record(l, "r", "a.py", "f2", NULL, "function_doc", "H2", now, "jA");
    assert_int_equal(cw_ledger_claims(l, now), 1);
    /* B releases; a release of an unknown id drops nothing */
    assert_int_equal(cw_ledger_release(l, "B"), 1);
    assert_int_equal(cw_ledger_release(l, "B"), 0);
    assert_int_equal(cw_ledger_claims(l, now), 0);
    /* a claim expires: at its expiry another id may take it */
    assert_int_equal(cw_ledger_claim(l, list, "E", 30, 90, now, allowed, 3, &claimed, NULL), 0);
    assert_int_equal(claimed, 2);
    assert_int_equal(cw_ledger_claim(l, list, "F", 30, 90, now + 29, allowed, 3, &claimed, NULL),
                     0);
    assert_int_equal(claimed, -1);
    assert_int_equal(cw_ledger_claim(l, list, "F", 30, 90, now + 30, allowed, 3, &claimed, NULL),
                     0);
    assert_int_equal(claimed, 2);
    /* claims survive a reopen (another committer process) */
    cw_ledger_destroy(&l);
    l = cw_ledger_new(s_db);
    assert_int_equal(cw_ledger_claims(l, now + 31), 1);
    /* documented: by code and doc type only */
    cw_value_t *t = s_target("r", "b.py", "other", NULL, "function_doc", "H2");
    assert_int_equal(cw_ledger_documented(l, t), 1);
    cw_map_set_str(t, "doc_type", "til");
    assert_int_equal(cw_ledger_documented(l, t), 0);
    cw_value_destroy(&t);
    /* more targets than room for answers: refused */
    assert_int_equal(cw_ledger_claim(l, list, "G", 30, 90, now, allowed, 2, &claimed, NULL), -1);
    cw_value_destroy(&list);
    cw_ledger_destroy(&l);
}

int main(void)
{
    setenv("TZ", "UTC", 1);
    tzset();
    cw_log_set_level(CW_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_schema_matches_reference, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_migration_adds_doc_type, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_dedup_rules, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_dedup_reference_absolute_rows, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_record_and_jobs, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_stats, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_claims, s_setup, s_teardown),
        cmocka_unit_test(test_bad_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
