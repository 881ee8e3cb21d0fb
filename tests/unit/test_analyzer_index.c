/*  Analyzer incremental index and git statistics cache: a second run parses nothing, a
    restart reuses the database, changed files (and only those) are parsed again, a corrupt
    database or entry is discarded with a warning, the git history walk is cached by HEAD
    in memory and on disk, worker threads give the same results as one thread, and the
    ranking is the same cold, warm and after a restart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cw_test_analyzer.h"

#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cw_analyzer.h"
#include "cw_json.h"
#include "cw_gitstats.h"
#include "cw_index.h"
#include "cw_log.h"
#include "cw_proto.h"
#include "cw_scan.h"

#define T0 1700000000LL
#define DAY 86400LL
#define NOW (T0 + 5 * DAY)

static char s_tmp[512];
static char s_repo[1024]; /* a git repository: the analyzer sample + the targets fixture */
static char s_data[1024];
static int s_warnings;
static char s_last_warning[1024];

static void s_hook(cw_log_level_t level, const char *line, void *arg)
{
    (void)arg;
    if (level >= CW_LOG_WARN) {
        s_warnings++;
        snprintf(s_last_warning, sizeof s_last_warning, "%s", line);
    }
}

static int s_setup(void **state)
{
    (void)state;
    cw_log_set_level(CW_LOG_WARN);
    cw_log_set_hook(s_hook, NULL);
    const char *src = getenv("CW_SOURCE_DIR");
    if (!src)
        src = "../..";
    snprintf(s_tmp, sizeof s_tmp, "/tmp/cw_index_XXXXXX");
    if (!mkdtemp(s_tmp))
        return -1;
    snprintf(s_repo, sizeof s_repo, "%s/repo", s_tmp);
    snprintf(s_data, sizeof s_data, "%s/data", s_tmp);
    int rc = test_sh("mkdir -p '%s' && cp -r '%s/tests/fixtures/analyzer/sample/pkg' "
                     "'%s/tests/fixtures/analyzer/targets/python/shapes' "
                     "'%s/tests/fixtures/analyzer/targets/js' '%s/' && cd '%s' && git init -q . && "
                     "git config user.email t@example.com && git config user.name Test && "
                     "git add -A && GIT_AUTHOR_DATE='@%lld +0000' GIT_COMMITTER_DATE='@%lld +0000' "
                     "git commit -q -m one",
                     s_repo, src, src, src, s_repo, s_repo, T0, T0);
    return rc == 0 ? 0 : -1;
}

static int s_teardown(void **state)
{
    (void)state;
    cw_log_set_hook(NULL, NULL);
    if (strncmp(s_tmp, "/tmp/cw_index_", 14) == 0)
        test_sh("rm -rf '%s'", s_tmp);
    return 0;
}

static cw_config_t *s_config(void)
{
    cw_config_t *cfg = cw_config_new_defaults();
    assert_non_null(cfg);
    free(cfg->data_dir);
    cfg->data_dir = strdup(s_data);
    char err[256];
    assert_int_equal(cw_config_add_repo(cfg, "repo", s_repo, err, sizeof err), 0);
    return cfg;
}

static cw_analyzer_t *s_new(cw_config_t *cfg)
{
    cw_analyzer_t *a = cw_analyzer_new(cfg);
    assert_non_null(a);
    cw_analyzer_set_now(a, (time_t)NOW);
    return a;
}

/* the candidates of a kind as one JSON text (ranking and content) */
static char *s_json(cw_analyzer_t *a, const char *doc_type)
{
    char err[256] = "";
    cw_value_t *arr = cw_analyzer_candidates(a, doc_type, NULL, 50, err, sizeof err);
    assert_non_null(arr);
    char *json = cw_json_encode(arr);
    assert_non_null(json);
    cw_value_destroy(&arr);
    return json;
}

static bool s_has(const char *json, const char *needle)
{
    return strstr(json, needle) != NULL;
}

static void s_reset_data(void)
{
    test_sh("rm -rf '%s'", s_data);
}

/* ------------------------------------------------------------------ reuse */

static void test_reuse_and_restart(void **state)
{
    (void)state;
    s_reset_data();
    cw_config_t *cfg = s_config();
    cw_analyzer_t *a = s_new(cfg);
    char *cold = s_json(a, "function_doc");
    size_t parsed = cw_analyzer_files_parsed(a);
    size_t scanned = cw_analyzer_files_scanned(a);
    assert_true(parsed >= 8); /* the .py files of pkg and shapes, the .js files of js/lib */
    assert_int_equal(parsed, scanned);
    assert_true(s_has(cold, "\"classify\""));
    /* warm: nothing parsed, same answer */
    char *warm = s_json(a, "function_doc");
    assert_int_equal(cw_analyzer_files_parsed(a), 0);
    assert_int_equal(cw_analyzer_files_scanned(a), scanned);
    assert_string_equal(cold, warm);
    /* the other kinds use the same index */
    char *files = s_json(a, "file_doc");
    assert_int_equal(cw_analyzer_files_parsed(a), 0);
    assert_true(s_has(files, "\"shapes/base.py\""));
    cw_analyzer_destroy(&a);
    /* a restart: loaded from <data_dir>/analyzer-index.db, nothing parsed */
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/analyzer-index.db", s_data);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    a = s_new(cfg);
    char *again = s_json(a, "function_doc");
    assert_int_equal(cw_analyzer_files_parsed(a), 0);
    assert_int_equal(cw_analyzer_files_scanned(a), scanned);
    assert_string_equal(cold, again); /* deterministic ranking */
    char *files2 = s_json(a, "file_doc");
    assert_string_equal(files, files2);
    cw_analyzer_destroy(&a);
    /* deleting the index only costs time */
    s_reset_data();
    a = s_new(cfg);
    char *rebuilt = s_json(a, "function_doc");
    assert_int_equal(cw_analyzer_files_parsed(a), parsed);
    assert_string_equal(cold, rebuilt);
    cw_analyzer_destroy(&a);
    free(cold);
    free(warm);
    free(files);
    free(again);
    free(files2);
    free(rebuilt);
    cw_config_destroy(&cfg);
}

/* ------------------------------------------------------------------ invalidation */

static void test_invalidation(void **state)
{
    (void)state;
    s_reset_data();
    cw_config_t *cfg = s_config();
    cw_analyzer_t *a = s_new(cfg);
    free(s_json(a, "function_doc"));
    size_t scanned = cw_analyzer_files_scanned(a);
    /* a new function in one file: that file (only) is parsed again, and the change shows */
    assert_int_equal(
        test_sh(
            "cd '%s' && cp pkg/store.py /tmp/cw_index_store.bak && cat >> pkg/store.py <<'EOF'\n"
            "\n\ndef reconcile(rows, wanted, limit=10):\n"
            "    out = []\n"
            "    for row in rows:\n"
            "        if row in wanted and len(out) < limit:\n"
            "            out.append(row)\n"
            "        elif row is None:\n"
            "            continue\n"
            "        else:\n"
            "            for w in wanted:\n"
            "                if w and w == row:\n"
            "                    out.append(w)\n"
            "    while len(out) > limit:\n"
            "        out.pop()\n"
            "    if not out:\n"
            "        return None\n"
            "    out.sort()\n"
            "    return out\n"
            "EOF",
            s_repo),
        0);
    char *json = s_json(a, "function_doc");
    assert_int_equal(cw_analyzer_files_parsed(a), 1);
    assert_true(s_has(json, "\"reconcile\""));
    free(json);
    /* only the mtime moves (same content): read and hashed, not parsed */
    assert_int_equal(test_sh("touch -d '2001-01-01' '%s/pkg/core.py'", s_repo), 0);
    json = s_json(a, "function_doc");
    assert_int_equal(cw_analyzer_files_parsed(a), 0);
    free(json);
    /* a removed file leaves the index (and the ranking), here and after a restart */
    assert_int_equal(test_sh("rm '%s/pkg/store.py'", s_repo), 0);
    json = s_json(a, "function_doc");
    assert_false(s_has(json, "\"reconcile\""));
    assert_int_equal(cw_analyzer_files_scanned(a), scanned - 1);
    free(json);
    cw_analyzer_destroy(&a);
    a = s_new(cfg);
    json = s_json(a, "function_doc");
    assert_int_equal(cw_analyzer_files_parsed(a), 0);
    assert_int_equal(cw_analyzer_files_scanned(a), scanned - 1);
    assert_false(s_has(json, "\"reconcile\""));
    free(json);
    /* it comes back: parsed again */
    assert_int_equal(test_sh("cp /tmp/cw_index_store.bak '%s/pkg/store.py' && rm "
                             "/tmp/cw_index_store.bak",
                             s_repo),
                     0);
    json = s_json(a, "function_doc");
    assert_int_equal(cw_analyzer_files_parsed(a), 1);
    assert_int_equal(cw_analyzer_files_scanned(a), scanned);
    free(json);
    cw_analyzer_destroy(&a);
    cw_config_destroy(&cfg);
}

/* the index's own counters: a touched file is read (hash compared), not parsed */
static void test_index_counters(void **state)
{
    (void)state;
    cw_index_t *index = cw_index_new(NULL, 2);
    assert_non_null(index);
    assert_false(cw_index_persistent(index));
    cw_scan_list_t scan = {0};
    assert_int_equal(cw_scan_repo(s_repo, NULL, NULL, &scan), 0);
    cw_index_view_t view;
    assert_int_equal(cw_index_refresh(index, s_repo, &scan, &view), 0);
    assert_int_equal(cw_index_files_read(index), scan.count);
    free(view.files);
    cw_scan_list_free(&scan);
    assert_int_equal(test_sh("touch -d '2002-02-02' '%s/shapes/base.py'", s_repo), 0);
    assert_int_equal(cw_scan_repo(s_repo, NULL, NULL, &scan), 0);
    assert_int_equal(cw_index_refresh(index, s_repo, &scan, &view), 0);
    assert_int_equal(cw_index_files_read(index), 1);
    assert_int_equal(cw_index_files_parsed(index), 0);
    assert_int_equal(view.count, scan.count);
    free(view.files);
    cw_scan_list_free(&scan);
    cw_index_destroy(&index);
    assert_null(index);
    cw_index_destroy(&index); /* idempotent */
}

/* ------------------------------------------------------------------ corruption */

static void test_corrupt_index(void **state)
{
    (void)state;
    s_reset_data();
    cw_config_t *cfg = s_config();
    cw_analyzer_t *a = s_new(cfg);
    char *good = s_json(a, "function_doc");
    size_t parsed = cw_analyzer_files_parsed(a);
    cw_analyzer_destroy(&a);
    /* garbage instead of a database: discarded with a warning, everything parsed again */
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/analyzer-index.db", s_data);
    assert_int_equal(
        test_sh("rm -f '%s'-wal '%s'-shm && head -c 20000 /dev/urandom > '%s'", path, path, path),
        0);
    s_warnings = 0;
    a = s_new(cfg);
    assert_true(s_warnings >= 1);
    assert_non_null(strstr(s_last_warning, "analyzer_index_discarded"));
    char *json = s_json(a, "function_doc");
    assert_int_equal(cw_analyzer_files_parsed(a), parsed);
    assert_string_equal(good, json);
    free(json);
    cw_analyzer_destroy(&a);
    /* the new database works */
    a = s_new(cfg);
    json = s_json(a, "function_doc");
    assert_int_equal(cw_analyzer_files_parsed(a), 0);
    free(json);
    cw_analyzer_destroy(&a);
    /* one mangled entry: that file only is parsed again, with a warning */
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "UPDATE files SET data = x'0100000002' WHERE rel='pkg/core.py';"
                                  "UPDATE files SET data = zeroblob(100000) WHERE "
                                  "rel='shapes/base.py';",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_changes(db), 1);
    sqlite3_close(db);
    s_warnings = 0;
    a = s_new(cfg);
    json = s_json(a, "function_doc");
    assert_int_equal(cw_analyzer_files_parsed(a), 2);
    assert_true(s_warnings >= 1);
    assert_non_null(strstr(s_last_warning, "analyzer_index_entries_dropped"));
    assert_string_equal(good, json);
    free(json);
    cw_analyzer_destroy(&a);
    /* a data_dir that cannot hold the index: memory only, still answers */
    free(cfg->data_dir);
    cfg->data_dir = strdup("/proc/cw-no-such-dir/data");
    a = s_new(cfg);
    json = s_json(a, "function_doc");
    assert_string_equal(good, json);
    free(json);
    cw_analyzer_destroy(&a);
    free(good);
    cw_config_destroy(&cfg);
}

/* ------------------------------------------------------------------ threads */

static void s_records_equal(const cw_index_view_t *a, const cw_index_view_t *b)
{
    assert_int_equal(a->count, b->count);
    for (size_t i = 0; i < a->count; i++) {
        const cw_index_file_t *x = a->files[i], *y = b->files[i];
        assert_string_equal(x->rel, y->rel);
        assert_memory_equal(x->hash, y->hash, 32);
        assert_int_equal(x->lines, y->lines);
        assert_int_equal(x->fn_count, y->fn_count);
        assert_int_equal(x->class_count, y->class_count);
        assert_int_equal(x->imports, y->imports);
        assert_memory_equal(x->patterns, y->patterns, sizeof x->patterns);
        for (size_t k = 0; k < x->fn_count; k++) {
            assert_string_equal(x->fns[k].name, y->fns[k].name);
            assert_memory_equal(&x->fns[k].metrics, &y->fns[k].metrics, sizeof(cw_metrics_t));
            assert_int_equal(x->fns[k].start_byte, y->fns[k].start_byte);
        }
    }
}

static void test_threads_same_result(void **state)
{
    (void)state;
    cw_scan_list_t scan = {0};
    assert_int_equal(cw_scan_repo(s_repo, NULL, NULL, &scan), 0);
    assert_true(scan.count >= 8); /* enough to start the workers */
    cw_index_t *one = cw_index_new(NULL, 1), *two = cw_index_new(NULL, 2);
    cw_index_view_t v1, v2;
    assert_int_equal(cw_index_refresh(one, s_repo, &scan, &v1), 0);
    assert_int_equal(cw_index_refresh(two, s_repo, &scan, &v2), 0);
    assert_int_equal(cw_index_files_parsed(one), cw_index_files_parsed(two));
    s_records_equal(&v1, &v2);
    /* and a database round trip keeps every field */
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/roundtrip.db", s_tmp);
    unlink(path);
    cw_index_t *db = cw_index_new(path, 2);
    assert_true(cw_index_persistent(db));
    cw_index_view_t v3, v4;
    assert_int_equal(cw_index_refresh(db, s_repo, &scan, &v3), 0);
    free(v3.files);
    cw_index_destroy(&db);
    db = cw_index_new(path, 2);
    assert_int_equal(cw_index_refresh(db, s_repo, &scan, &v4), 0);
    assert_int_equal(cw_index_files_parsed(db), 0);
    assert_int_equal(cw_index_files_read(db), 0);
    s_records_equal(&v1, &v4);
    for (size_t i = 0; i < v1.count; i++)
        for (size_t k = 0; k < v1.files[i]->fn_count; k++) {
            const cw_index_fn_t *x = &v1.files[i]->fns[k], *y = &v4.files[i]->fns[k];
            assert_int_equal(x->decorators.count, y->decorators.count);
            assert_int_equal(x->calls.count, y->calls.count);
            assert_int_equal(x->source_flags, y->source_flags);
            assert_true((x->docstring == NULL) == (y->docstring == NULL));
        }
    free(v1.files);
    free(v2.files);
    free(v4.files);
    cw_index_destroy(&one);
    cw_index_destroy(&two);
    cw_index_destroy(&db);
    cw_scan_list_free(&scan);
}

/* ------------------------------------------------------------------ git statistics cache */

static void test_gitstats_cache(void **state)
{
    (void)state;
    char cache[PATH_MAX];
    snprintf(cache, sizeof cache, "%s/gitcache", s_tmp);
    test_sh("rm -rf '%s'", cache);
    cw_gitstats_t *g = cw_gitstats_new();
    assert_int_equal(cw_gitstats_set_cache_dir(g, cache), 0);
    const cw_repo_history_t *h = cw_gitstats_repo(g, s_repo, (time_t)NOW);
    assert_non_null(h);
    assert_int_equal(cw_gitstats_walks(g), 1);
    cw_file_stats_t first;
    cw_gitstats_file(h, "pkg/core.py", (time_t)NOW, &first);
    assert_int_equal(first.commits_30d, 1);
    assert_int_equal(first.days_since_modified, 5);
    /* same HEAD: memory cache, no walk */
    h = cw_gitstats_repo(g, s_repo, (time_t)NOW + 100);
    assert_int_equal(cw_gitstats_walks(g), 1);
    cw_gitstats_destroy(&g);
    /* a restart: the disk cache, no walk, the same figures */
    g = cw_gitstats_new();
    cw_gitstats_set_cache_dir(g, cache);
    h = cw_gitstats_repo(g, s_repo, (time_t)NOW);
    assert_non_null(h);
    assert_int_equal(cw_gitstats_walks(g), 0);
    cw_file_stats_t again;
    cw_gitstats_file(h, "pkg/core.py", (time_t)NOW, &again);
    assert_memory_equal(&first, &again, sizeof first);
    assert_int_equal(cw_gitstats_commits_walked(h), 1);
    cw_gitstats_destroy(&g);
    /* HEAD moves: one walk, and the new commit counts */
    assert_int_equal(test_sh("cd '%s' && echo '# more' >> pkg/core.py && git add -A && "
                             "GIT_AUTHOR_DATE='@%lld +0000' GIT_COMMITTER_DATE='@%lld +0000' "
                             "git commit -q -m two",
                             s_repo, T0 + DAY, T0 + DAY),
                     0);
    g = cw_gitstats_new();
    cw_gitstats_set_cache_dir(g, cache);
    h = cw_gitstats_repo(g, s_repo, (time_t)NOW);
    assert_int_equal(cw_gitstats_walks(g), 1);
    cw_gitstats_file(h, "pkg/core.py", (time_t)NOW, &again);
    assert_int_equal(again.commits_30d, 2);
    assert_int_equal(again.days_since_modified, 4);
    cw_gitstats_destroy(&g);
    /* a corrupt cache file: a warning, a walk, no crash */
    assert_int_equal(
        test_sh("for f in '%s'/git-*.bin; do printf 'CWGS0001garbage' > \"$f\"; done", cache), 0);
    s_warnings = 0;
    g = cw_gitstats_new();
    cw_gitstats_set_cache_dir(g, cache);
    h = cw_gitstats_repo(g, s_repo, (time_t)NOW);
    assert_non_null(h);
    assert_int_equal(cw_gitstats_walks(g), 1);
    assert_true(s_warnings >= 1);
    assert_non_null(strstr(s_last_warning, "git_cache_discarded"));
    cw_gitstats_file(h, "pkg/core.py", (time_t)NOW, &again);
    assert_int_equal(again.commits_30d, 2);
    cw_gitstats_destroy(&g);
    /* the analyzer walks once for many functions and requests, and not at all after a
       restart */
    s_reset_data();
    cw_config_t *cfg = s_config();
    cw_analyzer_t *a = s_new(cfg);
    free(s_json(a, "function_doc"));
    free(s_json(a, "til"));
    assert_int_equal(cw_analyzer_git_walks(a), 1);
    cw_analyzer_destroy(&a);
    a = s_new(cfg);
    free(s_json(a, "function_doc"));
    assert_int_equal(cw_analyzer_git_walks(a), 0);
    cw_analyzer_destroy(&a);
    cw_config_destroy(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reuse_and_restart),   cmocka_unit_test(test_invalidation),
        cmocka_unit_test(test_index_counters),      cmocka_unit_test(test_corrupt_index),
        cmocka_unit_test(test_threads_same_result), cmocka_unit_test(test_gitstats_cache),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
