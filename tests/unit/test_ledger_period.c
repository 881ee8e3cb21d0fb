/*  The ledger's additions for issue 8: document facts (grounding, complexity, language,
    redactions) beside the reference's table, a period's summary facts, the summaries
    table, and a reference database of the Python version (no such tables) that still
    opens and answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cw_ledger.h"
#include "cw_log.h"
#include "cw_value.h"

static char s_tmp[64];
static char s_db[128];

static int s_setup(void **state)
{
    setenv("TZ", "UTC", 1);
    tzset();
    cw_log_set_level(CW_LOG_ERROR);
    snprintf(s_tmp, sizeof s_tmp, "/tmp/cw-test-period-XXXXXX");
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

static cw_value_t *s_target(const char *repo, const char *name, const char *cls,
                            const char *doc_type, const char *lang, double complexity)
{
    cw_value_t *t = cw_value_new_map();
    cw_map_set_str(t, "doc_type", doc_type);
    cw_map_set_str(t, "repo", repo);
    cw_map_set_str(t, "file", "src/x.py");
    cw_map_set_str(t, "language", lang);
    cw_map_set_str(t, "name", name);
    if (cls)
        cw_map_set_str(t, "class", cls);
    cw_map_set_float(t, "complexity", complexity);
    char hash[80];
    snprintf(hash, sizeof hash, "%s-%s-%s", repo, name, doc_type);
    cw_map_set_str(t, "code_hash", hash);
    return t;
}

/* 2026-02-23 (a Monday) 00:00 UTC */
#define MON 1771804800
#define DAY 86400

static void s_record(cw_ledger_t *l, cw_value_t *t, time_t when, const char *path, double g)
{
    assert_int_equal(cw_ledger_record(l, t, path, "c0ffee", NULL, when), 0);
    if (g >= -1)
        assert_int_equal(cw_ledger_record_facts(l, path, t, g, 2), 0);
    cw_value_destroy(&t);
}

static void test_period_facts(void **state)
{
    cw_ledger_t *l = cw_ledger_new(s_db);
    assert_non_null(l);
    /* the week before, four in the week, one after */
    s_record(l, s_target("alpha", "old", NULL, "function_doc", "python", 3), MON - 60, "p0", 1);
    s_record(l, s_target("alpha", "parse", NULL, "function_doc", "python", 4), MON + 10, "p1", 1.0);
    s_record(l, s_target("alpha", "run", "Engine", "class_doc", "python", 12), MON + DAY, "p2",
             0.9);
    s_record(l, s_target("beta", "Walk", NULL, "function_doc", "go", 7), MON + 3 * DAY, "p3", 1);
    s_record(l, s_target("beta", "legacy", NULL, "til", "go", 0), MON + 6 * DAY + 86000, "p4",
             -5); /* no facts row: written by an older version */
    s_record(l, s_target("alpha", "next", NULL, "function_doc", "python", 30), MON + 7 * DAY, "p5",
             1);

    cw_value_t *f = cw_ledger_period(l, MON, MON + 7 * DAY);
    assert_non_null(f);
    assert_int_equal(cw_map_int(f, "total", 0), 4);
    assert_int_equal(cw_map_int(cw_map_get(f, "repos"), "alpha", 0), 2);
    assert_int_equal(cw_map_int(cw_map_get(f, "repos"), "beta", 0), 2);
    assert_int_equal(cw_map_int(cw_map_get(f, "doc_types"), "function_doc", 0), 2);
    assert_int_equal(cw_map_int(cw_map_get(f, "doc_types"), "class_doc", 0), 1);
    assert_int_equal(cw_map_int(cw_map_get(f, "doc_types"), "til", 0), 1);
    assert_int_equal(cw_map_int(cw_map_get(f, "languages"), "python", 0), 2);
    assert_int_equal(cw_map_int(cw_map_get(f, "languages"), "go", 0), 1);
    const cw_value_t *docs = cw_map_get(f, "documents");
    assert_int_equal(cw_value_size(docs), 4);
    assert_string_equal(cw_map_str(cw_array_at(docs, 0), "name", ""), "parse");
    assert_string_equal(cw_map_str(cw_array_at(docs, 1), "class", ""), "Engine");
    assert_null(cw_map_get(cw_array_at(docs, 3), "complexity")); /* no facts row */
    assert_true(cw_map_float(cw_array_at(docs, 1), "grounding", 0) > 0.89);
    const cw_value_t *most = cw_map_get(f, "most_complex");
    assert_int_equal(cw_value_size(most), 3);
    assert_string_equal(cw_map_str(cw_array_at(most, 0), "name", ""), "run");
    assert_string_equal(cw_map_str(cw_array_at(most, 1), "name", ""), "Walk");
    assert_string_equal(cw_map_str(cw_array_at(most, 2), "name", ""), "parse");
    cw_value_destroy(&f);
    /* an empty period */
    f = cw_ledger_period(l, MON - 30 * DAY, MON - 20 * DAY);
    assert_non_null(f);
    assert_int_equal(cw_map_int(f, "total", -1), 0);
    assert_int_equal(cw_value_size(cw_map_get(f, "documents")), 0);
    cw_value_destroy(&f);
    assert_null(cw_ledger_period(l, MON, MON));

    /* summaries: recorded once, found again */
    char commit[64], path[256];
    assert_int_equal(
        cw_ledger_find_summary(l, "weekly", "2026-W09", commit, sizeof commit, path, sizeof path),
        0);
    assert_int_equal(cw_ledger_record_summary(l, "weekly", "2026-W09", "abc123",
                                              "analysis/weekly/2026-W09.md", "summary-weekly-x"),
                     0);
    assert_int_equal(
        cw_ledger_find_summary(l, "weekly", "2026-W09", commit, sizeof commit, path, sizeof path),
        1);
    assert_string_equal(commit, "abc123");
    assert_string_equal(path, "analysis/weekly/2026-W09.md");
    assert_int_equal(
        cw_ledger_find_job(l, "summary-weekly-x", commit, sizeof commit, path, sizeof path), 1);
    assert_int_equal(cw_ledger_find_summary(l, "monthly", "2026-W09", NULL, 0, NULL, 0), 0);
    /* summaries are not documented snippets: stats do not count them */
    cw_value_t *stats = cw_ledger_stats(l, MON + 8 * DAY);
    assert_int_equal(cw_map_int(stats, "total", 0), 6);
    cw_value_destroy(&stats);
    cw_ledger_destroy(&l);
}

static void test_reference_database_opens(void **state)
{
    /* the Python version's table, and nothing else */
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(s_db, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db,
                     "CREATE TABLE documented_snippets (id TEXT PRIMARY KEY, source_repo TEXT NOT "
                     "NULL, source_file TEXT NOT NULL, function_name TEXT, class_name TEXT, "
                     "code_hash TEXT NOT NULL, documented_at TIMESTAMP NOT NULL, snippet_path "
                     "TEXT NOT NULL, git_commit TEXT, doc_type TEXT NOT NULL DEFAULT "
                     "'function_doc');"
                     "INSERT INTO documented_snippets VALUES ('1', 'alpha', '/home/u/alpha/a.py', "
                     "'f', NULL, 'h1', '2026-02-24T10:00:00.123456', 'snippets/python/x.md', "
                     "'c1', 'function_doc');",
                     NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    cw_ledger_t *l = cw_ledger_new(s_db);
    assert_non_null(l);
    cw_value_t *f = cw_ledger_period(l, MON, MON + 7 * DAY);
    assert_non_null(f);
    assert_int_equal(cw_map_int(f, "total", 0), 1);
    assert_int_equal(cw_value_size(cw_map_get(f, "most_complex")), 0);
    cw_value_destroy(&f);
    cw_value_t *t = s_target("alpha", "g", NULL, "function_doc", "python", 5);
    assert_int_equal(cw_ledger_record(l, t, "snippets/python/y.md", "c2", "j2", MON + DAY), 0);
    assert_int_equal(cw_ledger_record_facts(l, "snippets/python/y.md", t, 0.75, 0), 0);
    cw_value_destroy(&t);
    cw_ledger_destroy(&l);
    /* the reference's columns are unchanged */
    assert_int_equal(sqlite3_open(s_db, &db), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM pragma_table_info('documented_snippets')", -1,
                           &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 10);
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT grounding FROM document_facts WHERE snippet_path "
                                        "= 'snippets/python/y.md'",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_true(sqlite3_column_double(st, 0) > 0.74 && sqlite3_column_double(st, 0) < 0.76);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_period_facts, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_reference_database_opens, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
