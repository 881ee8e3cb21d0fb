/*  Unit tests: cw_cycle against an in-process broker (cw_broker actor) and fake analyzer,
    generator and committer workers (cw_worker in zactor threads): the request sequence,
    outcomes COMMITTED / SKIPPED / LLM_DOWN / FAILED, the events seen by a subscriber, the
    cycle log rows, and restart recovery (a cycle left in "committing" is resumed with the
    same job id, and the committer's first result is kept). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <czmq.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cw_broker.h"
#include "cw_bus.h"
#include "cw_cycle.h"
#include "cw_cyclelog.h"
#include "cw_log.h"
#include "cw_proto.h"
#include "cw_scheduler.h"

/* ------------------------------------------------------------------ fake workers */
typedef enum { GEN_OK, GEN_UNAVAILABLE, GEN_INTERNAL } gen_mode_t;

#define MAX_SEEN 64
static struct {
    pthread_mutex_t lock;
    /* behaviour */
    bool allow_second; /* dedup: [false, true] else all false */
    gen_mode_t gen;
    int gen_unavailable_left; /* answer "unavailable" this many times first */
    /* what the fakes saw */
    int n_seen;
    char seen[MAX_SEEN][32]; /* request types in arrival order */
    char seen_job[MAX_SEEN][33];
    char analyze_doc_type[MAX_SEEN][33];
    int analyze_limit;
    int n_analyze;
    int full_pages; /* analyze: this many pages of 20 documented targets come first */
    int64_t analyze_offset[MAX_SEEN];
    int dedup_targets;
    bool dedup_sources_empty;
    char generate_name[128];
    char commit_cycle_id[65];
    char commit_doc[128];
    /* committer state: job id -> first result */
    int n_commits; /* real commits made */
    char committed_job[16][65];
    char committed_oid[16][41];
} S = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void s_reset(void)
{
    pthread_mutex_lock(&S.lock);
    S.allow_second = true;
    S.gen = GEN_OK;
    S.gen_unavailable_left = 0;
    S.n_seen = 0;
    S.n_analyze = 0;
    S.analyze_limit = 0;
    S.full_pages = 0;
    S.dedup_targets = 0;
    S.dedup_sources_empty = false;
    S.generate_name[0] = S.commit_cycle_id[0] = S.commit_doc[0] = '\0';
    pthread_mutex_unlock(&S.lock);
}

static void s_see(const cw_value_t *req)
{
    if (S.n_seen < MAX_SEEN) {
        snprintf(S.seen[S.n_seen], 32, "%s", cw_proto_type(req));
        snprintf(S.seen_job[S.n_seen], 33, "%s", cw_map_str(req, "job_id", ""));
        S.n_seen++;
    }
}

static cw_value_t *s_target(const char *doc_type, const char *cls, const char *name)
{
    cw_value_t *t = cw_value_new_map();
    cw_map_set_str(t, "doc_type", doc_type);
    cw_map_set_str(t, "repo", "repo-a");
    cw_map_set_str(t, "file", "src/widget.py");
    cw_map_set_str(t, "language", "python");
    cw_map_set_str(t, "name", name);
    if (cls)
        cw_map_set_str(t, "class", cls);
    cw_map_set_int(t, "start_line", 10);
    cw_map_set_int(t, "end_line", 40);
    cw_map_set_float(t, "complexity", 7.0);
    cw_map_set_float(t, "score", 50.0);
    cw_map_set_str(t, "source", "def render(self):\n    return 1\n");
    cw_map_set_str(t, "code_hash",
                   "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    return t;
}

static cw_value_t *s_handle(const char *service, const cw_value_t *req)
{
    const char *type = cw_proto_type(req);
    const char *job = cw_map_str(req, "job_id", "");
    cw_value_t *rep = NULL;
    pthread_mutex_lock(&S.lock);
    s_see(req);
    if (strcmp(type, CW_MSG_ANALYZE_REQUEST) == 0) {
        const char *dt = cw_map_str(req, "doc_type", "function_doc");
        int64_t offset = cw_map_int(req, "offset", 0);
        if (S.n_analyze < MAX_SEEN) {
            S.analyze_offset[S.n_analyze] = offset;
            snprintf(S.analyze_doc_type[S.n_analyze++], 33, "%s", dt);
        }
        S.analyze_limit = (int)cw_map_int(req, "limit", -1);
        rep = cw_proto_new(CW_MSG_ANALYZE_REPLY);
        cw_map_set_str(rep, "job_id", job);
        cw_value_t *list = cw_value_new_array();
        if (offset < (int64_t)S.full_pages * 20) {
            for (int i = 0; i < 20; i++) {
                char name[32];
                snprintf(name, sizeof name, "documented_%lld", (long long)offset + i);
                cw_array_push(list, s_target(dt, NULL, name));
            }
        } else {
            cw_array_push(list, s_target(dt, NULL, "helper"));
            cw_array_push(list, s_target(dt, "Widget", "render"));
        }
        cw_map_set(rep, "targets", list);
    } else if (strcmp(type, CW_MSG_DEDUP_REQUEST) == 0) {
        const cw_value_t *targets = cw_map_get(req, "targets");
        S.dedup_targets = (int)cw_value_size(targets);
        S.dedup_sources_empty = true;
        for (size_t i = 0; i < cw_value_size(targets); i++)
            if (strcmp(cw_map_str(cw_array_at(targets, i), "source", "x"), "") != 0)
                S.dedup_sources_empty = false;
        rep = cw_proto_new(CW_MSG_DEDUP_REPLY);
        cw_map_set_str(rep, "job_id", job);
        cw_value_t *allowed = cw_value_new_array();
        for (size_t i = 0; i < cw_value_size(targets); i++)
            cw_array_push(allowed,
                          cw_value_new_bool(S.allow_second && i == 1 &&
                                            strcmp(cw_map_str(cw_array_at(targets, i), "name", ""),
                                                   "render") == 0));
        cw_map_set(rep, "allowed", allowed);
    } else if (strcmp(type, CW_MSG_GENERATE_REQUEST) == 0) {
        snprintf(S.generate_name, sizeof S.generate_name, "%s",
                 cw_map_str(cw_map_get(req, "target"), "name", ""));
        if (S.gen_unavailable_left > 0) {
            S.gen_unavailable_left--;
            rep = cw_proto_new_error(job, CW_ERR_UNAVAILABLE, "ollama: connection refused", true);
        } else if (S.gen == GEN_UNAVAILABLE)
            rep = cw_proto_new_error(job, CW_ERR_UNAVAILABLE, "ollama: connection refused", true);
        else if (S.gen == GEN_INTERNAL)
            rep = cw_proto_new_error(job, CW_ERR_INTERNAL, "model produced nothing", true);
        else {
            rep = cw_proto_new(CW_MSG_GENERATE_REPLY);
            cw_map_set_str(rep, "job_id", job);
            cw_map_set_str(rep, "documentation", "# Widget.render\n\nRenders.\n");
            cw_map_set_str(rep, "commit_message", "docs: Widget.render");
            cw_map_set_str(rep, "backend", "offline");
        }
    } else if (strcmp(type, CW_MSG_COMMIT_REQUEST) == 0) {
        snprintf(S.commit_cycle_id, sizeof S.commit_cycle_id, "%s",
                 cw_map_str(req, "cycle_id", ""));
        snprintf(S.commit_doc, sizeof S.commit_doc, "%s", cw_map_str(req, "documentation", ""));
        int found = -1;
        for (int i = 0; i < S.n_commits; i++)
            if (strcmp(S.committed_job[i], job) == 0)
                found = i;
        bool duplicate = found >= 0;
        if (!duplicate && S.n_commits < 16) {
            found = S.n_commits++;
            snprintf(S.committed_job[found], 65, "%s", job);
            snprintf(S.committed_oid[found], 41, "%040d", found + 1);
        }
        rep = cw_proto_new(CW_MSG_COMMIT_REPLY);
        cw_map_set_str(rep, "job_id", job);
        cw_map_set_str(rep, "commit", S.committed_oid[found]);
        cw_map_set_str(rep, "path", "functions/2024-01-15_widget-render.md");
        cw_map_set_bool(rep, "duplicate", duplicate);
    } else {
        rep = cw_proto_new_error(job, CW_ERR_BAD_REQUEST, "unexpected", false);
    }
    pthread_mutex_unlock(&S.lock);
    (void)service;
    return rep;
}

typedef struct {
    const char *endpoint;
    const char *service;
} worker_args_t;

static void s_worker_actor(zsock_t *pipe, void *args)
{
    worker_args_t *wa = args;
    char service[32], endpoint[256];
    snprintf(service, sizeof service, "%s", wa->service);
    snprintf(endpoint, sizeof endpoint, "%s", wa->endpoint);
    cw_worker_t *w = cw_worker_new(endpoint, service);
    zsock_signal(pipe, 0);
    bool done = false;
    while (!done) {
        cw_value_t *req = cw_worker_recv(w, 50);
        if (req) {
            cw_value_t *rep = s_handle(service, req);
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
static char s_dir[256];
static char s_ep_broker[300], s_ep_in[300], s_ep_out[300];
static zactor_t *s_broker, *s_workers[3];
static int s_test_no;

static int group_setup(void **state)
{
    (void)state;
    snprintf(s_dir, sizeof s_dir, "/tmp/cw_test_cycle_XXXXXX");
    if (!mkdtemp(s_dir))
        return -1;
    snprintf(s_ep_broker, sizeof s_ep_broker, "ipc://%s/broker", s_dir);
    snprintf(s_ep_in, sizeof s_ep_in, "ipc://%s/events_in", s_dir);
    snprintf(s_ep_out, sizeof s_ep_out, "ipc://%s/events_out", s_dir);
    cw_broker_endpoints_t eps = {s_ep_broker, s_ep_in, s_ep_out, 0};
    s_broker = zactor_new(cw_broker_actor, &eps);
    if (!s_broker || eps.rc != 0)
        return -1;
    static worker_args_t wa[3];
    const char *services[3] = {CW_SERVICE_ANALYZER, CW_SERVICE_GENERATOR, CW_SERVICE_COMMITTER};
    for (int i = 0; i < 3; i++) {
        wa[i].endpoint = s_ep_broker;
        wa[i].service = services[i];
        s_workers[i] = zactor_new(s_worker_actor, &wa[i]);
    }
    zclock_sleep(300); /* workers register */
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    for (int i = 0; i < 3; i++)
        zactor_destroy(&s_workers[i]);
    zactor_destroy(&s_broker);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    return system(cmd) == 0 ? 0 : -1;
}

typedef struct {
    cw_config_t *config;
    cw_cycle_runner_t *runner;
    cw_subscriber_t *sub;
    char data_dir[300];
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    s_reset();
    f->config = cw_config_new_defaults();
    char err[256];
    snprintf(f->data_dir, sizeof f->data_dir, "%s/data%d", s_dir, ++s_test_no);
    if (cw_config_set(f->config, "data_dir", f->data_dir, err, sizeof err) != 0 ||
        cw_config_set(f->config, "bus.broker", s_ep_broker, err, sizeof err) != 0 ||
        cw_config_set(f->config, "bus.events_in", s_ep_in, err, sizeof err) != 0 ||
        cw_config_set(f->config, "bus.events_out", s_ep_out, err, sizeof err) != 0 ||
        cw_config_add_repo(f->config, "repo-a", s_dir, err, sizeof err) != 0) {
        fprintf(stderr, "config: %s\n", err);
        return -1;
    }
    f->sub = cw_subscriber_new(s_ep_out, "");
    f->runner = cw_cycle_runner_new(f->config, "scheduler");
    if (!f->sub || !f->runner)
        return -1;
    cw_cycle_runner_set_timeouts(f->runner, 3000, 1, 5000, 0);
    cw_cycle_runner_set_seed(f->runner, 42);
    zclock_sleep(300); /* publisher and subscriber connected */
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    cw_cycle_runner_destroy(&f->runner);
    cw_subscriber_destroy(&f->sub);
    cw_config_destroy(&f->config);
    free(f);
    return 0;
}

/* events received within a short while, as "name" strings; returns count */
static int s_events(fixture_t *f, char names[][32], cw_value_t **last_of, const char *want, int max)
{
    int n = 0;
    cw_value_t *ev;
    while ((ev = cw_subscriber_recv(f->sub, 500)) != NULL) {
        const char *type = cw_proto_type(ev);
        if (n < max)
            snprintf(names[n++], 32, "%s", type ? type : "?");
        if (want && last_of && type && strcmp(type, want) == 0) {
            cw_value_destroy(last_of);
            *last_of = ev;
        } else {
            cw_value_destroy(&ev);
        }
    }
    return n;
}

static bool s_has(char names[][32], int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return false;
}

/* ------------------------------------------------------------------ tests */
static void test_committed(void **state)
{
    fixture_t *f = *state;
    cw_cycle_outcome_t o;
    assert_int_equal(cw_cycle_run(f->runner, &o), CW_CYCLE_COMMITTED);
    assert_int_equal(o.result, CW_CYCLE_COMMITTED);
    assert_string_equal(o.target, "Widget.render");
    assert_string_equal(o.repo, "repo-a");
    assert_string_equal(o.path, "functions/2024-01-15_widget-render.md");
    assert_int_equal(strlen(o.commit), 40);
    assert_int_equal(strlen(o.cycle_id), 32);

    /* request sequence */
    pthread_mutex_lock(&S.lock);
    assert_int_equal(S.n_seen, 4);
    assert_string_equal(S.seen[0], CW_MSG_ANALYZE_REQUEST);
    assert_string_equal(S.seen[1], CW_MSG_DEDUP_REQUEST);
    assert_string_equal(S.seen[2], CW_MSG_GENERATE_REQUEST);
    assert_string_equal(S.seen[3], CW_MSG_COMMIT_REQUEST);
    assert_string_equal(S.analyze_doc_type[0], o.doc_type);
    assert_int_equal(S.analyze_limit, 20);
    assert_int_equal(S.dedup_targets, 2);
    assert_true(S.dedup_sources_empty);
    assert_string_equal(S.generate_name, "render");
    assert_string_equal(S.commit_cycle_id, o.cycle_id);
    assert_string_equal(S.commit_doc, "# Widget.render\n\nRenders.\n");
    char commit_job[33];
    snprintf(commit_job, sizeof commit_job, "%s", S.seen_job[3]);
    pthread_mutex_unlock(&S.lock);

    /* events */
    char names[32][32];
    cw_value_t *gen = NULL;
    int n = s_events(f, names, &gen, CW_EV_GENERATING, 32);
    assert_true(s_has(names, n, CW_EV_CYCLE_STARTING));
    assert_true(s_has(names, n, CW_EV_ANALYZING));
    assert_non_null(gen);
    assert_string_equal(cw_map_str(gen, "target", ""), "Widget.render");
    assert_string_equal(cw_map_str(gen, "cycle_id", ""), o.cycle_id);
    assert_string_equal(cw_map_str(gen, "service", ""), "scheduler");
    cw_value_destroy(&gen);
    assert_false(s_has(names, n, CW_EV_CYCLE_FAILED));

    /* cycle log */
    cw_cyclelog_t *log = cw_cycle_runner_log(f->runner);
    cw_cyclelog_cycle_t c;
    assert_int_equal(cw_cyclelog_get(log, o.cycle_id, &c), 0);
    assert_string_equal(c.state, "committed");
    assert_string_equal(c.commit_oid, o.commit);
    assert_string_equal(c.repo, "repo-a");
    char steps[8][32];
    assert_int_equal(cw_cyclelog_steps(log, o.cycle_id, steps, 8), 4);
    assert_string_equal(steps[0], "analyze");
    assert_string_equal(steps[1], "dedup");
    assert_string_equal(steps[2], "generate");
    assert_string_equal(steps[3], "commit");
    char job[65];
    void *payload = NULL;
    size_t plen = 0;
    assert_int_equal(
        cw_cyclelog_find_step(log, o.cycle_id, "commit", job, sizeof job, &payload, &plen), 0);
    assert_string_equal(job, commit_job);
    cw_value_t *req = cw_proto_decode(payload, plen, NULL, 0);
    free(payload);
    assert_non_null(req);
    assert_string_equal(cw_proto_type(req), CW_MSG_COMMIT_REQUEST);
    assert_string_equal(cw_map_str(req, "commit_message", ""), "docs: Widget.render");
    assert_string_equal(cw_map_str(cw_map_get(req, "target"), "source", ""),
                        "def render(self):\n    return 1\n");
    cw_value_destroy(&req);
    cw_cycle_stats_t st;
    assert_int_equal(cw_cyclelog_stats(log, &st), 0);
    assert_int_equal(st.successful, 1);
    assert_int_equal(st.total, 1);
}

static void test_skipped(void **state)
{
    fixture_t *f = *state;
    S.allow_second = false;
    cw_cycle_outcome_t o;
    assert_int_equal(cw_cycle_run(f->runner, &o), CW_CYCLE_SKIPPED);
    pthread_mutex_lock(&S.lock);
    /* every type with a weight was tried: 11 analyze + 11 dedup, nothing else */
    assert_int_equal(S.n_analyze, CW_DOC_TYPE_COUNT);
    assert_int_equal(S.n_seen, 2 * CW_DOC_TYPE_COUNT);
    for (int i = 0; i < S.n_seen; i++) {
        assert_string_not_equal(S.seen[i], CW_MSG_GENERATE_REQUEST);
        assert_string_not_equal(S.seen[i], CW_MSG_COMMIT_REQUEST);
    }
    pthread_mutex_unlock(&S.lock);
    char names[64][32];
    cw_value_t *sk = NULL;
    s_events(f, names, &sk, CW_EV_CYCLE_SKIPPED, 64);
    assert_non_null(sk);
    assert_int_equal(cw_map_int(sk, "consecutive", 0), 1);
    const cw_value_t *repos = cw_map_get(sk, "repos");
    assert_int_equal(cw_value_size(repos), 1);
    assert_string_equal(cw_value_str(cw_array_at(repos, 0)), "repo-a");
    cw_value_destroy(&sk);
    cw_cyclelog_cycle_t c;
    assert_int_equal(cw_cyclelog_get(cw_cycle_runner_log(f->runner), o.cycle_id, &c), 0);
    assert_string_equal(c.state, "skipped");
    cw_cycle_stats_t st;
    cw_cyclelog_stats(cw_cycle_runner_log(f->runner), &st);
    assert_int_equal(st.skipped, 1);
    assert_int_equal(st.failed, 0);
    assert_int_equal(st.consecutive_skips, 1);
}

/* The best 20 candidates of a doc type are all documented: the cycle goes on to the next
   pages of the ranking (analyze with an offset) until it finds one, instead of reporting
   "nothing to document" while the ranking has more. */
static void test_pages_past_the_best_20(void **state)
{
    fixture_t *f = *state;
    S.full_pages = 2;
    cw_cycle_outcome_t o;
    assert_int_equal(cw_cycle_run(f->runner, &o), CW_CYCLE_COMMITTED);
    pthread_mutex_lock(&S.lock);
    assert_int_equal(S.n_analyze, 3);
    assert_int_equal(S.analyze_offset[0], 0);
    assert_int_equal(S.analyze_offset[1], 20);
    assert_int_equal(S.analyze_offset[2], 40);
    assert_string_equal(S.generate_name, "render");
    pthread_mutex_unlock(&S.lock);
}

static void test_llm_down(void **state)
{
    fixture_t *f = *state;
    S.gen = GEN_UNAVAILABLE;
    cw_cycle_outcome_t o;
    assert_int_equal(cw_cycle_run(f->runner, &o), CW_CYCLE_LLM_DOWN);
    assert_string_equal(o.step, "generate");
    pthread_mutex_lock(&S.lock);
    assert_int_equal(S.n_seen, 3); /* no commit request */
    pthread_mutex_unlock(&S.lock);
    cw_cyclelog_cycle_t c;
    assert_int_equal(cw_cyclelog_get(cw_cycle_runner_log(f->runner), o.cycle_id, &c), 0);
    assert_string_equal(c.state, "abandoned");
    cw_cycle_stats_t st;
    cw_cyclelog_stats(cw_cycle_runner_log(f->runner), &st);
    assert_int_equal(st.failed, 0); /* not a documentation failure */
    assert_int_equal(st.total, 0);
    char names[32][32];
    int n = s_events(f, names, NULL, NULL, 32);
    assert_false(s_has(names, n, CW_EV_CYCLE_FAILED));
}

static void test_failed(void **state)
{
    fixture_t *f = *state;
    S.gen = GEN_INTERNAL;
    cw_cycle_outcome_t o;
    for (int round = 1; round <= 2; round++) {
        assert_int_equal(cw_cycle_run(f->runner, &o), CW_CYCLE_FAILED);
        assert_string_equal(o.step, "generate");
        assert_non_null(strstr(o.reason, "model produced nothing"));
        char names[32][32];
        cw_value_t *fe = NULL;
        s_events(f, names, &fe, CW_EV_CYCLE_FAILED, 32);
        assert_non_null(fe);
        assert_int_equal(cw_map_int(fe, "consecutive", 0), round);
        assert_string_equal(cw_map_str(fe, "step", ""), "generate");
        assert_string_equal(cw_map_str(fe, "cycle_id", ""), o.cycle_id);
        cw_value_destroy(&fe);
    }
    cw_cycle_stats_t st;
    cw_cyclelog_stats(cw_cycle_runner_log(f->runner), &st);
    assert_int_equal(st.failed, 2);
    assert_int_equal(st.consecutive_failures, 2);
    cw_cyclelog_cycle_t c;
    assert_int_equal(cw_cyclelog_get(cw_cycle_runner_log(f->runner), o.cycle_id, &c), 0);
    assert_string_equal(c.state, "failed");
    /* a success resets the consecutive count */
    S.gen = GEN_OK;
    assert_int_equal(cw_cycle_run(f->runner, &o), CW_CYCLE_COMMITTED);
    cw_cyclelog_stats(cw_cycle_runner_log(f->runner), &st);
    assert_int_equal(st.consecutive_failures, 0);
}

/* A pid no process can have (above any pid_max): its owner is gone. No fork needed. */
static pid_t s_dead_pid(void)
{
    return (pid_t)0x7ffffff0;
}

static void test_restart_recovery(void **state)
{
    fixture_t *f = *state;
    /* a previous scheduler (now dead) left two open cycles: one in "committing" whose
       commit the committer had already made, one in "generating" */
    cw_cycle_runner_destroy(&f->runner);
    char path[400];
    snprintf(path, sizeof path, "%s/cycles.db", f->data_dir);
    cw_cyclelog_t *log = cw_cyclelog_new(path);
    assert_non_null(log);
    const char *job = "feedfacefeedfacefeedfacefeedface";
    cw_value_t *req = cw_proto_new(CW_MSG_COMMIT_REQUEST);
    cw_map_set_str(req, "job_id", job);
    cw_map_set(req, "target", s_target("function_doc", "Widget", "render"));
    cw_map_set_str(req, "documentation", "# doc\n");
    cw_map_set_str(req, "commit_message", "docs: x");
    cw_map_set_str(req, "cycle_id", "oldcycle1");
    char *data = NULL;
    size_t size = 0;
    assert_int_equal(cw_proto_encode(req, &data, &size, NULL, 0), 0);
    cw_value_destroy(&req);
    assert_int_equal(cw_cyclelog_begin(log, "oldcycle1", 100), 0);
    assert_int_equal(cw_cyclelog_step(log, "oldcycle1", "commit", job, "Widget.render", data, size,
                                      CW_CYCLE_STATE_COMMITTING, 101),
                     0);
    free(data);
    assert_int_equal(cw_cyclelog_begin(log, "oldcycle2", 200), 0);
    assert_int_equal(cw_cyclelog_step(log, "oldcycle2", "generate", "j2", "f", NULL, 0,
                                      CW_CYCLE_STATE_GENERATING, 201),
                     0);
    cw_cyclelog_destroy(&log);
    /* mark both as owned by a process that is gone */
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char sql[128];
    snprintf(sql, sizeof sql, "UPDATE cycles SET pid = %d", (int)s_dead_pid());
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    /* the committer already made that commit before the crash */
    pthread_mutex_lock(&S.lock);
    int before = S.n_commits;
    snprintf(S.committed_job[S.n_commits], 65, "%s", job);
    snprintf(S.committed_oid[S.n_commits], 41, "%040d", 777);
    S.n_commits++;
    S.n_seen = 0;
    pthread_mutex_unlock(&S.lock);

    /* restart */
    f->runner = cw_cycle_runner_new(f->config, "scheduler");
    assert_non_null(f->runner);
    cw_cycle_runner_set_timeouts(f->runner, 3000, 1, 5000, 0);
    assert_int_equal(cw_cycle_recover(f->runner), 2);
    pthread_mutex_lock(&S.lock);
    assert_int_equal(S.n_seen, 1);
    assert_string_equal(S.seen[0], CW_MSG_COMMIT_REQUEST);
    assert_string_equal(S.seen_job[0], job);   /* the same job id */
    assert_int_equal(S.n_commits, before + 1); /* no second commit */
    pthread_mutex_unlock(&S.lock);
    log = cw_cycle_runner_log(f->runner);
    cw_cyclelog_cycle_t c;
    assert_int_equal(cw_cyclelog_get(log, "oldcycle1", &c), 0);
    assert_string_equal(c.state, "committed");
    assert_string_equal(c.commit_oid, "0000000000000000000000000000000000000777");
    assert_int_equal(cw_cyclelog_get(log, "oldcycle2", &c), 0);
    assert_string_equal(c.state, "abandoned");
    cw_cyclelog_cycle_t open[4];
    assert_int_equal(cw_cyclelog_list_open(log, open, 4), 0);
    /* nothing left to recover */
    assert_int_equal(cw_cycle_recover(f->runner), 0);
}

/* ---- the scheduler loop, with a fake clock that runs 30 s per look */
static double s_fake_now;
static double s_fake_clock(void *arg)
{
    (void)arg;
    return s_fake_now += 30;
}

static void test_scheduler_loop(void **state)
{
    fixture_t *f = *state;
    char err[256];
    assert_int_equal(cw_config_set(f->config, "schedule.interval_seconds", "600", err, sizeof err),
                     0);
    S.gen_unavailable_left = 2; /* the LLM is down for two tries */
    cw_scheduler_t *sched = cw_scheduler_new(f->config);
    assert_non_null(sched);
    cw_scheduler_set_clock(sched, s_fake_clock, NULL);
    cw_scheduler_set_seed(sched, 9);
    cw_scheduler_set_timeouts(sched, 3000, 1, 5000, 0);
    cw_scheduler_set_max_cycles(sched, 2);
    zclock_sleep(300); /* its publisher connects */
    s_fake_now = 1700000000;
    assert_int_equal(cw_scheduler_run(sched), 0);
    /* 2 intervals of 600 s, plus LLM waits of 10 s and 20 s */
    assert_true(s_fake_now - 1700000000 >= 1200 + 30);
    cw_scheduler_destroy(&sched);
    assert_null(sched);

    pthread_mutex_lock(&S.lock);
    int commits = 0, generates = 0;
    for (int i = 0; i < S.n_seen; i++) {
        commits += strcmp(S.seen[i], CW_MSG_COMMIT_REQUEST) == 0;
        generates += strcmp(S.seen[i], CW_MSG_GENERATE_REQUEST) == 0;
    }
    pthread_mutex_unlock(&S.lock);
    assert_int_equal(commits, 2);
    assert_int_equal(generates, 4); /* 2 refused + 2 documented */

    char names[64][32];
    cw_value_t *stats = NULL;
    int n = s_events(f, names, &stats, CW_EV_STATS, 64);
    assert_true(s_has(names, n, CW_EV_NEXT_CYCLE));
    assert_true(s_has(names, n, CW_EV_SERVICE_STARTED));
    assert_true(s_has(names, n, CW_EV_SERVICE_STOPPING));
    assert_non_null(stats);
    assert_int_equal(cw_map_int(stats, "total", -1), 2); /* LLM refusals are not cycles */
    assert_int_equal(cw_map_int(stats, "successful", -1), 2);
    assert_int_equal(cw_map_int(stats, "failed", -1), 0);
    cw_value_destroy(&stats);
}

int main(void)
{
    cw_log_set_level(CW_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_committed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pages_past_the_best_20, setup, teardown),
        cmocka_unit_test_setup_teardown(test_llm_down, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_recovery, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scheduler_loop, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
