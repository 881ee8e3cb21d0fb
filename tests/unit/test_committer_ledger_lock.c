/*  test_committer_ledger_lock — issue 10: a ledger held by another writer must never
    make the committer acknowledge a commit the ledger does not hold, nor answer a dedup
    from a ledger that misses commits of the DevLog. Commits whose ledger row is missing
    are recorded from their "CodeWorm-Job:" / "CodeWorm-Target:" trailers before any dedup
    answer and at start-up.                                                             */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cw_committer.h"
#include "cw_config.h"
#include "cw_devlog.h"
#include "cw_ledger.h"
#include "cw_proto.h"
#include "cw_value.h"

static char s_tmp[64];
static char s_devlog[128];
static char s_db[160];

typedef struct {
    cw_config_t *config;
    cw_committer_t *committer;
    sqlite3 *holder; /* the other writer */
} fixture_t;

static void s_set(cw_config_t *config, const char *key, const char *value)
{
    char err[256];
    if (cw_config_set(config, key, value, err, sizeof err) != 0)
        fail_msg("cw_config_set %s: %s", key, err);
}

static cw_committer_t *s_committer(cw_config_t *config)
{
    cw_committer_t *c = cw_committer_new(config, NULL);
    assert_non_null(c);
    /* wait for the lock at most 300 ms per write, not the production 20 s */
    cw_committer_set_ledger_patience(c, 300);
    return c;
}

static int s_setup(void **state)
{
    snprintf(s_tmp, sizeof s_tmp, "/tmp/cw-test-ledgerlock-XXXXXX");
    assert_non_null(mkdtemp(s_tmp));
    snprintf(s_devlog, sizeof s_devlog, "%s/devlog", s_tmp);
    snprintf(s_db, sizeof s_db, "%s/data/codeworm.db", s_tmp);
    fixture_t *f = calloc(1, sizeof *f);
    f->config = cw_config_new_defaults();
    char data[128];
    snprintf(data, sizeof data, "%s/data", s_tmp);
    s_set(f->config, "devlog.repo_path", s_devlog);
    s_set(f->config, "data_dir", data);
    f->committer = s_committer(f->config);
    assert_int_equal(sqlite3_open(s_db, &f->holder), SQLITE_OK);
    *state = f;
    return 0;
}

static int s_teardown(void **state)
{
    fixture_t *f = *state;
    sqlite3_close(f->holder);
    cw_committer_destroy(&f->committer);
    cw_config_destroy(&f->config);
    free(f);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_tmp);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static void s_lock(fixture_t *f)
{
    assert_int_equal(sqlite3_exec(f->holder, "BEGIN IMMEDIATE;", NULL, NULL, NULL), SQLITE_OK);
}

static void s_unlock(fixture_t *f)
{
    assert_int_equal(sqlite3_exec(f->holder, "COMMIT;", NULL, NULL, NULL), SQLITE_OK);
}

static int s_count(fixture_t *f, const char *sql)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(f->holder, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
}

static int s_commits(void)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "git -C '%s' rev-list --count HEAD", s_devlog);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    int n = -1;
    assert_int_equal(fscanf(p, "%d", &n), 1);
    pclose(p);
    return n;
}

static cw_value_t *s_target(const char *name, const char *hash)
{
    cw_value_t *t = cw_value_new_map();
    cw_map_set_str(t, "doc_type", "function_doc");
    cw_map_set_str(t, "repo", "inventory");
    cw_map_set_str(t, "file", "inventory/stock.py");
    cw_map_set_str(t, "language", "python");
    cw_map_set_str(t, "name", name);
    cw_map_set_str(t, "class", "Stock");
    cw_map_set_int(t, "start_line", 3);
    cw_map_set_int(t, "end_line", 30);
    cw_map_set_float(t, "complexity", 5.0);
    cw_map_set_float(t, "score", 50.0);
    cw_map_set_str(t, "source", "def levels(self):\n    return self._levels");
    cw_map_set_str(t, "code_hash", hash);
    return t;
}

static cw_value_t *s_commit(fixture_t *f, const char *job_id, const char *name, const char *hash)
{
    cw_value_t *r = cw_proto_new(CW_MSG_COMMIT_REQUEST);
    cw_map_set_str(r, "job_id", job_id);
    cw_map_set(r, "target", s_target(name, hash));
    cw_map_set_str(r, "documentation", "Returns the stock levels.");
    cw_map_set_str(r, "commit_message", "Document Stock.levels");
    cw_value_t *reply = cw_committer_handle(f->committer, r);
    cw_value_destroy(&r);
    assert_non_null(reply);
    return reply;
}

/* -1 error reply, 0 not allowed, 1 allowed */
static int s_dedup(fixture_t *f, const char *name, const char *hash)
{
    cw_value_t *r = cw_proto_new(CW_MSG_DEDUP_REQUEST);
    cw_map_set_str(r, "job_id", "dedup-1");
    cw_value_t *arr = cw_value_new_array();
    cw_value_t *t = s_target(name, hash);
    cw_map_set_str(t, "source", "");
    cw_array_push(arr, t);
    cw_map_set(r, "targets", arr);
    cw_value_t *reply = cw_committer_handle(f->committer, r);
    cw_value_destroy(&r);
    assert_non_null(reply);
    int result;
    if (strcmp(cw_proto_type(reply), CW_MSG_ERROR) == 0) {
        assert_true(cw_map_bool(reply, "retryable", false));
        result = -1;
    } else
        result = cw_value_bool(cw_array_at(cw_map_get(reply, "allowed"), 0)) ? 1 : 0;
    cw_value_destroy(&reply);
    return result;
}

static bool s_is_error(const cw_value_t *reply)
{
    return strcmp(cw_proto_type(reply), CW_MSG_ERROR) == 0;
}

/* ------------------------------------------------------------------ tests */

static void test_locked_ledger_never_acknowledges(void **state)
{
    fixture_t *f = *state;
    int commits = s_commits();
    s_lock(f);
    cw_value_t *reply = s_commit(f, "job-locked", "levels", "HASH-L");
    int jobs = s_count(f, "SELECT count(*) FROM committed_jobs WHERE job_id='job-locked'");
    /* acknowledged only when the ledger holds it too */
    if (!s_is_error(reply))
        assert_int_equal(jobs, 1);
    else {
        assert_true(cw_map_bool(reply, "retryable", false));
        assert_int_equal(jobs, 0);
    }
    cw_value_destroy(&reply);

    /* while the ledger is still locked, dedup never says "not documented yet" for it */
    assert_int_not_equal(s_dedup(f, "levels", "HASH-L"), 1);
    s_unlock(f);

    /* lock gone: the DevLog's commit is recorded before the dedup answer */
    assert_int_equal(s_dedup(f, "levels", "HASH-L"), 0);
    assert_int_equal(s_count(f, "SELECT count(*) FROM committed_jobs WHERE job_id='job-locked'"),
                     1);
    assert_int_equal(s_count(f, "SELECT count(*) FROM documented_snippets WHERE "
                                "code_hash='HASH-L' AND function_name='levels' AND "
                                "class_name='Stock' AND doc_type='function_doc' AND "
                                "source_repo='inventory' AND source_file='inventory/stock.py'"),
                     1);
    /* the re-sent job gets the first commit, nothing is committed twice */
    reply = s_commit(f, "job-locked", "levels", "HASH-L");
    assert_false(s_is_error(reply));
    assert_true(cw_map_bool(reply, "duplicate", false));
    cw_value_destroy(&reply);
    assert_int_equal(s_commits(), commits + 1);
    assert_int_equal(s_count(f, "SELECT count(*) FROM documented_snippets"), 1);
}

static void *s_unlock_later(void *arg)
{
    usleep(300 * 1000);
    s_unlock((fixture_t *)arg);
    return NULL;
}

static void test_lock_shorter_than_patience_is_waited_out(void **state)
{
    fixture_t *f = *state;
    cw_committer_set_ledger_patience(f->committer, 10000);
    s_lock(f);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, s_unlock_later, f), 0);
    cw_value_t *reply = s_commit(f, "job-wait", "levels", "HASH-W");
    pthread_join(th, NULL);
    assert_false(s_is_error(reply));
    assert_false(cw_map_bool(reply, "duplicate", true));
    cw_value_destroy(&reply);
    assert_int_equal(s_count(f, "SELECT count(*) FROM committed_jobs WHERE job_id='job-wait'"), 1);
}

static void test_reconciled_at_start(void **state)
{
    fixture_t *f = *state;
    /* two commits whose ledger rows were never written (locked, crash, ...) */
    cw_devlog_t *devlog = cw_committer_devlog(f->committer);
    for (int i = 0; i < 2; i++) {
        char oid[41], rel[256], err[256], job[32], hash[32], name[32];
        snprintf(job, sizeof job, "job-lost-%d", i);
        snprintf(hash, sizeof hash, "HASH-%d", i);
        snprintf(name, sizeof name, "lost_%d", i);
        cw_value_t *t = s_target(name, hash);
        assert_int_equal(cw_devlog_commit_document(devlog, t, "Docs.", "Document it", job,
                                                   time(NULL), oid, rel, sizeof rel, err,
                                                   sizeof err),
                         0);
        cw_value_destroy(&t);
    }
    assert_int_equal(s_count(f, "SELECT count(*) FROM committed_jobs"), 0);
    /* a restarted committer records them before answering anything */
    cw_committer_destroy(&f->committer);
    f->committer = s_committer(f->config);
    assert_int_equal(s_count(f, "SELECT count(*) FROM committed_jobs"), 2);
    assert_int_equal(s_count(f, "SELECT count(*) FROM documented_snippets WHERE "
                                "code_hash IN ('HASH-0','HASH-1') AND class_name='Stock'"),
                     2);
    assert_int_equal(s_dedup(f, "lost_1", "HASH-1"), 0);
    assert_int_equal(s_dedup(f, "fresh", "HASH-FRESH"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_locked_ledger_never_acknowledges, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_lock_shorter_than_patience_is_waited_out, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_reconciled_at_start, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
