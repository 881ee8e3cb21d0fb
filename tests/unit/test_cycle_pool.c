/*  Unit tests (issue 6): cycles in flight at once. An in-process broker, a fake analyzer
    (30 ranked targets, honouring offset/limit), several fake generators that take 200 ms
    per document, and the REAL committer (cw_committer: DevLog + ledger + claims) as a
    worker. Checks that cycles run concurrently and spread over the generators, that no
    (code_hash, doc_type) is picked or documented twice, that a paged run documents every
    target once, that claims are released when a cycle fails, and the scheduler loop with
    a fractional interval and max_in_flight.
    cw-test-libs: cw_committer */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <czmq.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cw_broker.h"
#include "cw_bus.h"
#include "cw_committer.h"
#include "cw_cycle.h"
#include "cw_cycle_pool.h"
#include "cw_cyclelog.h"
#include "cw_ledger.h"
#include "cw_log.h"
#include "cw_proto.h"
#include "cw_scheduler.h"

#define N_TARGETS 30
#define N_GENERATORS 4
#define GEN_MS 200

/* ------------------------------------------------------------------ fakes */
static struct {
    pthread_mutex_t lock;
    int gen_fail_index; /* generate fails for this target index (-1 none) */
    int generated[N_TARGETS];
    int gen_by_worker[N_GENERATORS];
    int analyze_requests;
} S = {.lock = PTHREAD_MUTEX_INITIALIZER};
static atomic_int s_gen_now, s_gen_max;

static void s_hash(int i, char out[65])
{
    snprintf(out, 65, "%064d", 1000 + i);
}

static cw_value_t *s_target(int i)
{
    char name[32], hash[65];
    snprintf(name, sizeof name, "f%02d", i);
    s_hash(i, hash);
    cw_value_t *t = cw_value_new_map();
    cw_map_set_str(t, "doc_type", "function_doc");
    cw_map_set_str(t, "repo", "repo-a");
    cw_map_set_str(t, "file", "src/mod.py");
    cw_map_set_str(t, "language", "python");
    cw_map_set_str(t, "name", name);
    cw_map_set_int(t, "start_line", 10 * i + 1);
    cw_map_set_int(t, "end_line", 10 * i + 9);
    cw_map_set_float(t, "complexity", 5.0);
    cw_map_set_float(t, "score", 100.0 - i);
    cw_map_set_str(t, "source", "def f():\n    return 1\n");
    cw_map_set_str(t, "code_hash", hash);
    return t;
}

static int s_index_of(const cw_value_t *target)
{
    const char *name = cw_map_str(target, "name", "");
    return name[0] == 'f' ? atoi(name + 1) : -1;
}

static cw_value_t *s_analyze(const cw_value_t *req)
{
    pthread_mutex_lock(&S.lock);
    S.analyze_requests++;
    pthread_mutex_unlock(&S.lock);
    const char *job = cw_map_str(req, "job_id", "");
    int64_t offset = cw_map_int(req, "offset", 0), limit = cw_map_int(req, "limit", 20);
    cw_value_t *rep = cw_proto_new(CW_MSG_ANALYZE_REPLY);
    cw_map_set_str(rep, "job_id", job);
    cw_value_t *list = cw_value_new_array();
    /* only function_doc has targets here */
    if (strcmp(cw_map_str(req, "doc_type", "function_doc"), "function_doc") == 0)
        for (int64_t i = offset; i < N_TARGETS && i < offset + limit; i++)
            cw_array_push(list, s_target((int)i));
    cw_map_set(rep, "targets", list);
    cw_map_set_int(rep, "total", N_TARGETS);
    return rep;
}

static cw_value_t *s_generate(const cw_value_t *req, int worker)
{
    const char *job = cw_map_str(req, "job_id", "");
    int now = atomic_fetch_add(&s_gen_now, 1) + 1;
    int max = atomic_load(&s_gen_max);
    while (now > max && !atomic_compare_exchange_weak(&s_gen_max, &max, now))
        ;
    zclock_sleep(GEN_MS);
    atomic_fetch_sub(&s_gen_now, 1);
    int i = s_index_of(cw_map_get(req, "target"));
    pthread_mutex_lock(&S.lock);
    bool fail = i >= 0 && i == S.gen_fail_index;
    if (i >= 0 && i < N_TARGETS && !fail)
        S.generated[i]++;
    S.gen_by_worker[worker]++;
    pthread_mutex_unlock(&S.lock);
    if (fail)
        return cw_proto_new_error(job, CW_ERR_INTERNAL, "model produced nothing", true);
    cw_value_t *rep = cw_proto_new(CW_MSG_GENERATE_REPLY);
    cw_map_set_str(rep, "job_id", job);
    cw_map_set_str(rep, "documentation", "It returns one.\n");
    cw_map_set_str(rep, "commit_message", "Document a function");
    cw_map_set_str(rep, "backend", "offline");
    return rep;
}

typedef struct {
    char endpoint[300];
    char service[32];
    int index;
    cw_committer_t *committer;
} worker_args_t;

static void s_worker_actor(zsock_t *pipe, void *args)
{
    worker_args_t *wa = args;
    cw_worker_t *w = cw_worker_new(wa->endpoint, wa->service);
    zsock_signal(pipe, 0);
    bool done = false;
    while (!done) {
        cw_value_t *req = cw_worker_recv(w, 20);
        if (req) {
            cw_value_t *rep = NULL;
            if (strcmp(wa->service, CW_SERVICE_ANALYZER) == 0)
                rep = s_analyze(req);
            else if (strcmp(wa->service, CW_SERVICE_GENERATOR) == 0)
                rep = s_generate(req, wa->index);
            else
                rep = cw_committer_handle(wa->committer, req);
            cw_worker_send(w, &rep);
            cw_value_destroy(&req);
        }
        while (zsock_events(pipe) & ZMQ_POLLIN) {
            char *cmd = zstr_recv(pipe);
            if (!cmd || streq(cmd, "$TERM"))
                done = true;
            zstr_free(&cmd);
        }
    }
    cw_worker_destroy(&w);
}

/* ------------------------------------------------------------------ fixture */
typedef struct {
    char dir[64];
    char ep_broker[300], ep_in[300], ep_out[300];
    zactor_t *broker;
    zactor_t *workers[2 + N_GENERATORS];
    worker_args_t args[2 + N_GENERATORS];
    cw_config_t *config;
    cw_committer_t *committer;
} fixture_t;

static void s_set(cw_config_t *config, const char *key, const char *value)
{
    char err[256];
    if (cw_config_set(config, key, value, err, sizeof err) != 0)
        fail_msg("cw_config_set %s: %s", key, err);
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/cw_test_pool_XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    pthread_mutex_lock(&S.lock);
    S.gen_fail_index = -1;
    memset(S.generated, 0, sizeof S.generated);
    memset(S.gen_by_worker, 0, sizeof S.gen_by_worker);
    S.analyze_requests = 0;
    pthread_mutex_unlock(&S.lock);
    atomic_store(&s_gen_now, 0);
    atomic_store(&s_gen_max, 0);
    snprintf(f->ep_broker, sizeof f->ep_broker, "ipc://%s/broker", f->dir);
    snprintf(f->ep_in, sizeof f->ep_in, "ipc://%s/events_in", f->dir);
    snprintf(f->ep_out, sizeof f->ep_out, "ipc://%s/events_out", f->dir);
    cw_broker_endpoints_t eps = {f->ep_broker, f->ep_in, f->ep_out, 0};
    f->broker = zactor_new(cw_broker_actor, &eps);
    if (!f->broker || eps.rc != 0)
        return -1;
    char path[300];
    f->config = cw_config_new_defaults();
    snprintf(path, sizeof path, "%s/data", f->dir);
    s_set(f->config, "data_dir", path);
    snprintf(path, sizeof path, "%s/devlog", f->dir);
    s_set(f->config, "devlog.repo_path", path);
    s_set(f->config, "bus.broker", f->ep_broker);
    s_set(f->config, "bus.events_in", f->ep_in);
    s_set(f->config, "bus.events_out", f->ep_out);
    char err[256];
    if (cw_config_add_repo(f->config, "repo-a", f->dir, err, sizeof err) != 0)
        return -1;
    f->committer = cw_committer_new(f->config, NULL);
    if (!f->committer)
        return -1;
    const char *services[2] = {CW_SERVICE_ANALYZER, CW_SERVICE_COMMITTER};
    for (int i = 0; i < 2 + N_GENERATORS; i++) {
        worker_args_t *wa = &f->args[i];
        snprintf(wa->endpoint, sizeof wa->endpoint, "%s", f->ep_broker);
        snprintf(wa->service, sizeof wa->service, "%s", i < 2 ? services[i] : CW_SERVICE_GENERATOR);
        wa->index = i < 2 ? 0 : i - 2;
        wa->committer = f->committer;
        f->workers[i] = zactor_new(s_worker_actor, wa);
    }
    zclock_sleep(300); /* workers register */
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    for (int i = 0; i < 2 + N_GENERATORS; i++)
        zactor_destroy(&f->workers[i]);
    zactor_destroy(&f->broker);
    cw_committer_destroy(&f->committer);
    cw_config_destroy(&f->config);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    free(f);
    return rc == 0 ? 0 : -1;
}

/* rows of the ledger, and how many distinct (code_hash, doc_type) */
static void s_ledger(fixture_t *f, int *rows, int *distinct)
{
    char path[300];
    snprintf(path, sizeof path, "%s/data/codeworm.db", f->dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT COUNT(*), COUNT(DISTINCT code_hash || doc_type) "
                                        "FROM documented_snippets",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    *rows = sqlite3_column_int(st, 0);
    *distinct = sqlite3_column_int(st, 1);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static int s_claims(fixture_t *f)
{
    return cw_ledger_claims(cw_committer_ledger(f->committer), time(NULL));
}

/* ------------------------------------------------------------------ tests */

/* 8 cycles at once, best-20 plan: 8 different targets, spread over the 4 generators */
static void test_concurrent_cycles(void **state)
{
    fixture_t *f = *state;
    cw_cycle_pool_t *pool = cw_cycle_pool_new(f->config, "scheduler", 8);
    assert_non_null(pool);
    cw_cycle_pool_set_timeouts(pool, 5000, 1, 10000, 0);
    assert_int_equal(cw_cycle_pool_size(pool), 8);
    assert_int_equal(cw_cycle_pool_idle(pool), 8);
    cw_cycle_plan_t plan = {.doc_type = "function_doc"};
    for (int i = 0; i < 8; i++)
        assert_int_equal(cw_cycle_pool_start(pool, &plan), 0);
    assert_int_equal(cw_cycle_pool_start(pool, &plan), -1); /* no slot left */
    assert_int_equal(cw_cycle_pool_busy(pool), 8);
    char seen[8][65];
    for (int i = 0; i < 8; i++) {
        cw_cycle_outcome_t o;
        int got = 0;
        for (int tries = 0; tries < 300 && !got; tries++)
            got = cw_cycle_pool_wait(pool, 100, &o);
        assert_int_equal(got, 1);
        assert_int_equal(o.result, CW_CYCLE_COMMITTED);
        assert_int_equal(strlen(o.code_hash), 64);
        for (int k = 0; k < i; k++)
            assert_string_not_equal(seen[k], o.code_hash);
        snprintf(seen[i], 65, "%s", o.code_hash);
    }
    assert_int_equal(cw_cycle_pool_idle(pool), 8);
    cw_cycle_pool_destroy(&pool);
    assert_null(pool);
    /* they overlapped: more than one document was being generated at once, and every
       generator got work (the broker hands a request to the longest idle one) */
    assert_true(atomic_load(&s_gen_max) >= 2);
    pthread_mutex_lock(&S.lock);
    for (int g = 0; g < N_GENERATORS; g++)
        assert_true(S.gen_by_worker[g] >= 1);
    pthread_mutex_unlock(&S.lock);
    int rows, distinct;
    s_ledger(f, &rows, &distinct);
    assert_int_equal(rows, 8);
    assert_int_equal(distinct, 8);
    assert_int_equal(s_claims(f), 0); /* every claim went with its commit */
}

/* a paged run (backfill): every target documented exactly once, then "skipped" */
static void test_paged_all_once(void **state)
{
    fixture_t *f = *state;
    pthread_mutex_lock(&S.lock);
    S.gen_fail_index = 7; /* one target cannot be documented */
    pthread_mutex_unlock(&S.lock);
    cw_cycle_pager_t *pager = cw_cycle_pager_new();
    assert_non_null(pager);
    cw_cycle_pool_t *pool = cw_cycle_pool_new(f->config, "codeworm", 4);
    assert_non_null(pool);
    cw_cycle_pool_set_timeouts(pool, 5000, 1, 10000, 0);
    cw_cycle_plan_t plan = {
        .doc_type = "function_doc", .repo = "repo-a", .pager = pager, .trigger = "backfill"};
    int committed = 0, failed = 0, skipped = 0;
    bool exhausted = false;
    for (int rounds = 0; rounds < 2000; rounds++) {
        while (!exhausted && cw_cycle_pool_idle(pool) > 0)
            assert_int_equal(cw_cycle_pool_start(pool, &plan), 0);
        if (exhausted && cw_cycle_pool_busy(pool) == 0)
            break;
        cw_cycle_outcome_t o;
        if (cw_cycle_pool_wait(pool, 100, &o) != 1)
            continue;
        if (o.result == CW_CYCLE_COMMITTED)
            committed++;
        else if (o.result == CW_CYCLE_FAILED) {
            failed++;
            assert_string_equal(o.step, "generate");
            assert_true(cw_cycle_pager_excluded(pager, o.code_hash, o.doc_type));
        } else if (o.result == CW_CYCLE_SKIPPED) {
            skipped++;
            exhausted = true;
        } else
            fail_msg("unexpected outcome %d: %s", o.result, o.reason);
    }
    cw_cycle_pool_destroy(&pool);
    cw_cycle_pager_destroy(&pager);
    assert_int_equal(committed, N_TARGETS - 1);
    assert_int_equal(failed, 1); /* tried once, then left alone */
    assert_true(skipped >= 1);
    pthread_mutex_lock(&S.lock);
    for (int i = 0; i < N_TARGETS; i++)
        assert_int_equal(S.generated[i], i == 7 ? 0 : 1);
    /* the cursor spared most pages: far fewer analyses than a rescan from the top each time */
    assert_true(S.analyze_requests < 3 * N_TARGETS);
    pthread_mutex_unlock(&S.lock);
    int rows, distinct;
    s_ledger(f, &rows, &distinct);
    assert_int_equal(rows, N_TARGETS - 1);
    assert_int_equal(distinct, N_TARGETS - 1);
    assert_int_equal(s_claims(f), 0); /* the failed cycle released its claim */
    /* nothing left open or holding a claim in the cycle log */
    char path[300];
    snprintf(path, sizeof path, "%s/data/cycles.db", f->dir);
    cw_cyclelog_t *log = cw_cyclelog_new(path);
    cw_cyclelog_cycle_t open[4];
    assert_int_equal(cw_cyclelog_list_open(log, open, 4), 0);
    assert_int_equal(cw_cyclelog_list_release_pending(log, open, 4), 0);
    cw_cyclelog_destroy(&log);
}

/* a claim whose release was lost is released by the next recovery */
static void test_lost_release_recovered(void **state)
{
    fixture_t *f = *state;
    /* a dead process's cycle took a claim and never released it */
    cw_value_t *dd = cw_proto_new(CW_MSG_DEDUP_REQUEST);
    cw_map_set_str(dd, "job_id", "dd-lost");
    cw_value_t *arr = cw_value_new_array();
    cw_array_push(arr, s_target(0));
    cw_map_set(dd, "targets", arr);
    cw_map_set_str(dd, "claim_id", "deadcycle");
    cw_value_t *reply = cw_committer_handle(f->committer, dd);
    cw_value_destroy(&dd);
    assert_int_equal(cw_map_int(reply, "claimed", -1), 0);
    cw_value_destroy(&reply);
    assert_int_equal(s_claims(f), 1);
    char path[300];
    snprintf(path, sizeof path, "%s/data/cycles.db", f->dir);
    cw_cyclelog_t *log = cw_cyclelog_new(path);
    assert_int_equal(cw_cyclelog_begin(log, "deadcycle", time(NULL)), 0);
    cw_cyclelog_rec_t rec = {.cycle_id = "deadcycle",
                             .step = "dedup",
                             .job_id = "dd-lost",
                             .at = time(NULL),
                             .new_state = CW_CYCLE_STATE_ANALYZED,
                             .release_pending = 1};
    assert_int_equal(cw_cyclelog_record(log, &rec), 0);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "UPDATE cycles SET pid = 2147483632", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    /* the target is taken: a new cycle picks the next one */
    cw_cycle_runner_t *runner = cw_cycle_runner_new(f->config, "scheduler");
    cw_cycle_runner_set_timeouts(runner, 5000, 1, 10000, 0);
    assert_int_equal(cw_cycle_recover(runner), 1); /* abandoned, claim released */
    cw_cyclelog_cycle_t c;
    assert_int_equal(cw_cyclelog_get(log, "deadcycle", &c), 0);
    assert_string_equal(c.state, "abandoned");
    assert_false(c.release_pending);
    assert_int_equal(s_claims(f), 0);
    cw_cycle_outcome_t o;
    cw_cycle_plan_t plan = {.doc_type = "function_doc"};
    assert_int_equal(cw_cycle_run_plan(runner, &plan, &o), CW_CYCLE_COMMITTED);
    assert_string_equal(o.target, "f00"); /* free again */
    cw_cycle_runner_destroy(&runner);
    cw_cyclelog_destroy(&log);
}

/* the scheduler: interval 0.05 s, 4 in flight, 12 cycles */
static void test_scheduler_in_flight(void **state)
{
    fixture_t *f = *state;
    s_set(f->config, "schedule.interval_seconds", "0.05");
    s_set(f->config, "schedule.max_in_flight", "4");
    s_set(f->config, "documentation.type_weights", "{function_doc: 1}");
    cw_scheduler_t *sched = cw_scheduler_new(f->config);
    assert_non_null(sched);
    cw_scheduler_set_timeouts(sched, 5000, 1, 10000, 0);
    cw_scheduler_set_max_cycles(sched, 12);
    assert_int_equal(cw_scheduler_run(sched), 0);
    cw_scheduler_destroy(&sched);
    int rows, distinct;
    s_ledger(f, &rows, &distinct);
    assert_int_equal(rows, 12);
    assert_int_equal(distinct, 12);
    assert_true(atomic_load(&s_gen_max) >= 2); /* cycles overlapped */
    assert_true(atomic_load(&s_gen_max) <= 4); /* never more than max_in_flight */
    assert_int_equal(s_claims(f), 0);
}

int main(void)
{
    cw_log_set_level(CW_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_concurrent_cycles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paged_all_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lost_release_recovered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scheduler_in_flight, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
