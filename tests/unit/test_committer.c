/*  test_committer — the committer worker's request handling without the broker:
    commits, job idempotency (also across a crash between git commit and ledger write),
    dedup, stats, pushes, events and bad requests. Real git repos and SQLite files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cw_bus.h"
#include "cw_committer.h"
#include "cw_config.h"
#include "cw_devlog.h"
#include "cw_ledger.h"
#include "cw_log.h"
#include "cw_proto.h"
#include "cw_value.h"

static char s_tmp[64];
static char s_devlog[128];

typedef struct {
    cw_config_t *config;
    cw_committer_t *committer;
} fixture_t;

static char *s_run(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char *out = calloc(1, 65536);
    size_t len = fread(out, 1, 65535, p);
    pclose(p);
    while (len > 0 && out[len - 1] == '\n')
        out[--len] = '\0';
    return out;
}

static void s_set(cw_config_t *config, const char *key, const char *value)
{
    char err[256];
    if (cw_config_set(config, key, value, err, sizeof err) != 0)
        fail_msg("cw_config_set %s: %s", key, err);
}

static cw_config_t *s_config(const char *remote)
{
    cw_config_t *config = cw_config_new_defaults();
    assert_non_null(config);
    char data[128];
    snprintf(data, sizeof data, "%s/data", s_tmp);
    s_set(config, "devlog.repo_path", s_devlog);
    s_set(config, "data_dir", data);
    s_set(config, "devlog.author_name", "Commit Bot");
    s_set(config, "devlog.author_email", "bot@example.test");
    if (remote)
        s_set(config, "devlog.remote", remote);
    return config;
}

static int s_setup(void **state)
{
    snprintf(s_tmp, sizeof s_tmp, "/tmp/cw-test-committer-XXXXXX");
    assert_non_null(mkdtemp(s_tmp));
    snprintf(s_devlog, sizeof s_devlog, "%s/devlog", s_tmp);
    fixture_t *f = calloc(1, sizeof *f);
    f->config = s_config(NULL);
    f->committer = cw_committer_new(f->config, NULL);
    assert_non_null(f->committer);
    *state = f;
    return 0;
}

static int s_teardown(void **state)
{
    fixture_t *f = *state;
    cw_committer_destroy(&f->committer);
    cw_config_destroy(&f->config);
    free(f);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_tmp);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static cw_value_t *s_target(const char *name, const char *cls, const char *hash)
{
    cw_value_t *t = cw_value_new_map();
    cw_map_set_str(t, "doc_type", "function_doc");
    cw_map_set_str(t, "repo", "CodeWorm");
    cw_map_set_str(t, "file", "codeworm/daemon.py");
    cw_map_set_str(t, "language", "python");
    cw_map_set_str(t, "name", name);
    if (cls)
        cw_map_set_str(t, "class", cls);
    cw_map_set_int(t, "start_line", 10);
    cw_map_set_int(t, "end_line", 40);
    cw_map_set_float(t, "complexity", 7.0);
    cw_map_set_float(t, "score", 61.5);
    cw_map_set_str(t, "source", "def get_wait(self):\n    return 30");
    cw_map_set_str(t, "code_hash", hash);
    return t;
}

static cw_value_t *s_commit_request(const char *job_id, cw_value_t *target)
{
    cw_value_t *r = cw_proto_new(CW_MSG_COMMIT_REQUEST);
    cw_map_set_str(r, "job_id", job_id);
    cw_map_set(r, "target", target);
    cw_map_set_str(r, "documentation", "Waits before the next cycle.");
    cw_map_set_str(r, "commit_message", "Document the cycle wait in CycleStats");
    cw_map_set_str(r, "cycle_id", "cycle-7");
    char err[256];
    if (cw_proto_validate(r, err, sizeof err) != 0)
        fail_msg("test request invalid: %s", err);
    return r;
}

static cw_value_t *s_handle(fixture_t *f, cw_value_t *request)
{
    cw_value_t *reply = cw_committer_handle(f->committer, request);
    assert_non_null(reply);
    char err[256];
    if (cw_proto_validate(reply, err, sizeof err) != 0)
        fail_msg("reply breaks its declaration: %s", err);
    cw_value_destroy(&request);
    return reply;
}

static int s_commits(void)
{
    char *out = s_run("git -C '%s' rev-list --count HEAD", s_devlog);
    int n = atoi(out);
    free(out);
    return n;
}

static int s_ledger_rows(const char *table)
{
    char *out = s_run("sqlite3 '%s/data/codeworm.db' 'SELECT count(*) FROM %s'", s_tmp, table);
    int n = atoi(out);
    free(out);
    return n;
}

/* ------------------------------------------------------------------ tests */

static void test_commit_once_per_job(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(s_commits(), 1); /* the layout commit */
    cw_value_t *reply =
        s_handle(f, s_commit_request("job-1", s_target("get_wait", "CycleStats", "H1")));
    assert_string_equal(cw_proto_type(reply), CW_MSG_COMMIT_REPLY);
    assert_string_equal(cw_map_str(reply, "job_id", ""), "job-1");
    assert_false(cw_map_bool(reply, "duplicate", true));
    assert_false(cw_map_bool(reply, "pushed", true));
    assert_null(cw_map_get(reply, "push_error"));
    char commit[41], path[256];
    snprintf(commit, sizeof commit, "%s", cw_map_str(reply, "commit", ""));
    snprintf(path, sizeof path, "%s", cw_map_str(reply, "path", ""));
    assert_int_equal(strlen(commit), 40);
    assert_non_null(strstr(path, "snippets/python/"));
    assert_non_null(strstr(path, "_cyclestats-get-wait.md"));
    cw_value_destroy(&reply);
    assert_int_equal(s_commits(), 2);

    char *out = s_run(
        "git -C '%s' log -1 --format='%%H|%%an <%%ae>|%%s|%%(trailers:key=CodeWorm-Job,valueonly)'",
        s_devlog);
    char want[512];
    snprintf(want, sizeof want,
             "%s|Commit Bot <bot@example.test>|Document the cycle wait in CycleStats|job-1",
             commit);
    assert_string_equal(out, want);
    free(out);
    assert_int_equal(s_ledger_rows("documented_snippets"), 1);
    assert_int_equal(s_ledger_rows("committed_jobs"), 1);
    out = s_run("sqlite3 '%s/data/codeworm.db' \"SELECT source_repo||'|'||source_file||'|'||"
                "function_name||'|'||class_name||'|'||code_hash||'|'||snippet_path||'|'||"
                "git_commit||'|'||doc_type FROM documented_snippets\"",
                s_tmp);
    snprintf(want, sizeof want,
             "CodeWorm|codeworm/daemon.py|get_wait|CycleStats|H1|%s|%s|function_doc", path, commit);
    assert_string_equal(out, want);
    free(out);

    /* the same job again: the first result, no new commit, no new row */
    reply = s_handle(f, s_commit_request("job-1", s_target("get_wait", "CycleStats", "H1")));
    assert_true(cw_map_bool(reply, "duplicate", false));
    assert_string_equal(cw_map_str(reply, "commit", ""), commit);
    assert_string_equal(cw_map_str(reply, "path", ""), path);
    cw_value_destroy(&reply);
    assert_int_equal(s_commits(), 2);
    assert_int_equal(s_ledger_rows("documented_snippets"), 1);

    /* survives a restart of the committer */
    cw_committer_destroy(&f->committer);
    f->committer = cw_committer_new(f->config, NULL);
    assert_non_null(f->committer);
    reply = s_handle(f, s_commit_request("job-1", s_target("get_wait", "CycleStats", "H1")));
    assert_true(cw_map_bool(reply, "duplicate", false));
    assert_string_equal(cw_map_str(reply, "commit", ""), commit);
    cw_value_destroy(&reply);
    assert_int_equal(s_commits(), 2);

    /* another job: another commit */
    reply = s_handle(f, s_commit_request("job-2", s_target("run", "Daemon", "H2")));
    assert_false(cw_map_bool(reply, "duplicate", true));
    assert_string_not_equal(cw_map_str(reply, "commit", ""), commit);
    cw_value_destroy(&reply);
    assert_int_equal(s_commits(), 3);
}

static void test_crash_between_commit_and_ledger(void **state)
{
    fixture_t *f = *state;
    /* the git commit happened, then the process died before the ledger transaction */
    char oid[41], rel[256], err[256];
    cw_value_t *t = s_target("get_wait", "CycleStats", "H1");
    assert_int_equal(cw_devlog_commit_document(cw_committer_devlog(f->committer), t, "Docs.",
                                               "Document the wait", "job-crash", time(NULL), oid,
                                               rel, sizeof rel, err, sizeof err),
                     0);
    cw_value_destroy(&t);
    /* a few unrelated commits after it */
    for (int i = 0; i < 3; i++) {
        char job[16];
        snprintf(job, sizeof job, "other-%d", i);
        cw_value_t *reply = s_handle(f, s_commit_request(job, s_target("x", NULL, job)));
        assert_false(cw_map_bool(reply, "duplicate", true));
        cw_value_destroy(&reply);
    }
    int commits = s_commits();
    /* the first of them reconciled the ledger with the DevLog before committing: the
       crashed job's commit is recorded too (its trailers name job and target) */
    assert_int_equal(s_ledger_rows("committed_jobs"), 4);

    cw_value_t *reply =
        s_handle(f, s_commit_request("job-crash", s_target("get_wait", "CycleStats", "H1")));
    assert_true(cw_map_bool(reply, "duplicate", false));
    assert_string_equal(cw_map_str(reply, "commit", ""), oid);
    assert_string_equal(cw_map_str(reply, "path", ""), rel);
    cw_value_destroy(&reply);
    assert_int_equal(s_commits(), commits);
    /* the ledger now knows it: row + job recorded */
    assert_int_equal(s_ledger_rows("committed_jobs"), 4);
    assert_int_equal(s_ledger_rows("documented_snippets"), 4);
    char *out = s_run("sqlite3 '%s/data/codeworm.db' \"SELECT commit_oid||'|'||path FROM "
                      "committed_jobs WHERE job_id='job-crash'\"",
                      s_tmp);
    char want[320];
    snprintf(want, sizeof want, "%s|%s", oid, rel);
    assert_string_equal(out, want);
    free(out);
    /* and dedup now refuses that code */
    cw_value_t *dd = cw_proto_new(CW_MSG_DEDUP_REQUEST);
    cw_map_set_str(dd, "job_id", "dd-1");
    cw_value_t *arr = cw_value_new_array();
    cw_array_push(arr, s_target("get_wait", "CycleStats", "H1"));
    cw_map_set(dd, "targets", arr);
    reply = s_handle(f, dd);
    assert_false(cw_value_bool(cw_array_at(cw_map_get(reply, "allowed"), 0)));
    cw_value_destroy(&reply);
}

static void test_dedup_request(void **state)
{
    fixture_t *f = *state;
    cw_value_t *reply =
        s_handle(f, s_commit_request("job-d", s_target("get_wait", "CycleStats", "H1")));
    cw_value_destroy(&reply);

    cw_value_t *dd = cw_proto_new(CW_MSG_DEDUP_REQUEST);
    cw_map_set_str(dd, "job_id", "dd-2");
    cw_value_t *arr = cw_value_new_array();
    cw_array_push(arr, s_target("get_wait", "CycleStats", "H1")); /* same code */
    cw_array_push(arr, s_target("get_wait", "CycleStats", "H9")); /* changed, too recent */
    cw_array_push(arr, s_target("fresh", NULL, "H3"));            /* never documented */
    cw_value_t *til = s_target("get_wait", "CycleStats", "H1");
    cw_map_set_str(til, "doc_type", "til"); /* same code, another angle */
    cw_array_push(arr, til);
    cw_map_set(dd, "targets", arr);
    reply = s_handle(f, dd);
    assert_string_equal(cw_proto_type(reply), CW_MSG_DEDUP_REPLY);
    assert_string_equal(cw_map_str(reply, "job_id", ""), "dd-2");
    const cw_value_t *allowed = cw_map_get(reply, "allowed");
    assert_int_equal(cw_value_size(allowed), 4);
    assert_false(cw_value_bool(cw_array_at(allowed, 0)));
    assert_false(cw_value_bool(cw_array_at(allowed, 1)));
    assert_true(cw_value_bool(cw_array_at(allowed, 2)));
    assert_true(cw_value_bool(cw_array_at(allowed, 3)));
    cw_value_destroy(&reply);

    /* empty list: empty answer */
    dd = cw_proto_new(CW_MSG_DEDUP_REQUEST);
    cw_map_set_str(dd, "job_id", "dd-3");
    cw_map_set(dd, "targets", cw_value_new_array());
    reply = s_handle(f, dd);
    assert_int_equal(cw_value_size(cw_map_get(reply, "allowed")), 0);
    cw_value_destroy(&reply);
}

/* issue 6: dedup with a claim id claims, release drops, a documented target is refused */
static cw_value_t *s_dedup_claim(const char *job, const char *claim, int n, ...)
{
    cw_value_t *dd = cw_proto_new(CW_MSG_DEDUP_REQUEST);
    cw_map_set_str(dd, "job_id", job);
    if (claim) {
        cw_map_set_str(dd, "claim_id", claim);
        cw_map_set_int(dd, "claim_seconds", 600);
    }
    cw_value_t *arr = cw_value_new_array();
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        const char *name = va_arg(ap, const char *);
        const char *hash = va_arg(ap, const char *);
        cw_array_push(arr, s_target(name, NULL, hash));
    }
    va_end(ap);
    cw_map_set(dd, "targets", arr);
    return dd;
}

static void test_claims(void **state)
{
    fixture_t *f = *state;
    cw_value_t *reply = s_handle(f, s_dedup_claim("c1", "cycle-A", 2, "a", "HA", "b", "HB"));
    assert_string_equal(cw_proto_type(reply), CW_MSG_DEDUP_REPLY);
    assert_int_equal(cw_map_int(reply, "claimed", -5), 0);
    cw_value_destroy(&reply);
    reply = s_handle(f, s_dedup_claim("c2", "cycle-B", 2, "a", "HA", "b", "HB"));
    assert_int_equal(cw_map_int(reply, "claimed", -5), 1);
    assert_false(cw_value_bool(cw_array_at(cw_map_get(reply, "allowed"), 0)));
    cw_value_destroy(&reply);
    /* without claim_id: no "claimed" field, claimed targets are not allowed */
    reply = s_handle(f, s_dedup_claim("c3", NULL, 2, "a", "HA", "b", "HB"));
    assert_null(cw_map_get(reply, "claimed"));
    assert_false(cw_value_bool(cw_array_at(cw_map_get(reply, "allowed"), 1)));
    cw_value_destroy(&reply);
    /* B gives up: its target is free again */
    cw_value_t *rel = cw_proto_new(CW_MSG_RELEASE_REQUEST);
    cw_map_set_str(rel, "job_id", "r1");
    cw_map_set_str(rel, "claim_id", "cycle-B");
    reply = s_handle(f, rel);
    assert_string_equal(cw_proto_type(reply), CW_MSG_RELEASE_REPLY);
    assert_int_equal(cw_map_int(reply, "released", -1), 1);
    cw_value_destroy(&reply);
    reply = s_handle(f, s_dedup_claim("c4", "cycle-C", 2, "a", "HA", "b", "HB"));
    assert_int_equal(cw_map_int(reply, "claimed", -5), 1);
    cw_value_destroy(&reply);
    /* A commits "a": its claim goes with the ledger row */
    reply = s_handle(f, s_commit_request("job-A", s_target("a", NULL, "HA")));
    assert_string_equal(cw_proto_type(reply), CW_MSG_COMMIT_REPLY);
    cw_value_destroy(&reply);
    assert_int_equal(cw_ledger_claims(cw_committer_ledger(f->committer), time(NULL)), 1);
    /* another job for the same (code, doc type) is refused and commits nothing */
    int commits = s_commits();
    reply = s_handle(f, s_commit_request("job-A2", s_target("a", NULL, "HA")));
    assert_string_equal(cw_proto_type(reply), CW_MSG_ERROR);
    assert_string_equal(cw_map_str(reply, "code", ""), CW_ERR_DOCUMENTED);
    assert_false(cw_map_bool(reply, "retryable", true));
    cw_value_destroy(&reply);
    assert_int_equal(s_commits(), commits);
    /* while a repeat of the first job still gets its first result */
    reply = s_handle(f, s_commit_request("job-A", s_target("a", NULL, "HA")));
    assert_true(cw_map_bool(reply, "duplicate", false));
    cw_value_destroy(&reply);
    /* a release without claim_id is a bad request */
    rel = cw_proto_new(CW_MSG_RELEASE_REQUEST);
    cw_map_set_str(rel, "job_id", "r2");
    cw_map_set_str(rel, "claim_id", "");
    reply = s_handle(f, rel);
    assert_string_equal(cw_map_str(reply, "code", ""), CW_ERR_BAD_REQUEST);
    cw_value_destroy(&reply);
}

static void test_stats_request(void **state)
{
    fixture_t *f = *state;
    cw_value_t *reply = s_handle(f, s_commit_request("s1", s_target("a", NULL, "1")));
    cw_value_destroy(&reply);
    cw_value_t *t = s_target("b", NULL, "2");
    cw_map_set_str(t, "doc_type", "security_review");
    reply = s_handle(f, s_commit_request("s2", t));
    assert_non_null(strstr(cw_map_str(reply, "path", ""), "reviews/security/"));
    cw_value_destroy(&reply);

    cw_value_t *req = cw_proto_new(CW_MSG_STATS_REQUEST);
    cw_map_set_str(req, "job_id", "st-1");
    reply = s_handle(f, req);
    assert_string_equal(cw_proto_type(reply), CW_MSG_STATS_REPLY);
    assert_int_equal(cw_map_int(reply, "total", -1), 2);
    assert_int_equal(cw_map_int(reply, "last_7_days", -1), 2);
    assert_int_equal(cw_map_int(cw_map_get(reply, "by_repo"), "CodeWorm", -1), 2);
    assert_int_equal(cw_map_int(cw_map_get(reply, "by_doc_type"), "security_review", -1), 1);
    assert_int_equal(cw_map_int(cw_map_get(reply, "by_doc_type"), "function_doc", -1), 1);
    assert_string_equal(cw_map_str(reply, "devlog_path", ""), s_devlog);
    cw_value_destroy(&reply);
}

static void s_expect_bad_request(fixture_t *f, cw_value_t *request)
{
    cw_value_t *reply = cw_committer_handle(f->committer, request);
    assert_non_null(reply);
    assert_string_equal(cw_proto_type(reply), CW_MSG_ERROR);
    assert_string_equal(cw_map_str(reply, "code", ""), CW_ERR_BAD_REQUEST);
    assert_false(cw_map_bool(reply, "retryable", true));
    assert_true(strlen(cw_map_str(reply, "message", "")) > 0);
    cw_value_destroy(&reply);
    cw_value_destroy(&request);
}

static void test_bad_requests(void **state)
{
    fixture_t *f = *state;
    int commits = s_commits();
    cw_value_t *r = cw_proto_new(CW_MSG_GENERATE_REQUEST); /* not ours */
    cw_map_set_str(r, "job_id", "b1");
    s_expect_bad_request(f, r);

    r = cw_proto_new(CW_MSG_COMMIT_REQUEST); /* no target */
    cw_map_set_str(r, "job_id", "b2");
    cw_map_set_str(r, "documentation", "x");
    cw_map_set_str(r, "commit_message", "y");
    s_expect_bad_request(f, r);

    r = s_commit_request("b3", s_target("f", NULL, "h"));
    cw_value_t *t = cw_value_clone(cw_map_get(r, "target"));
    cw_map_set_str(t, "doc_type", "../../etc");
    cw_map_set(r, "target", t);
    s_expect_bad_request(f, r);

    r = s_commit_request("b4", s_target("f", NULL, "h"));
    cw_map_set_str(r, "documentation", "");
    s_expect_bad_request(f, r);
    r = s_commit_request("b4b", s_target("f", NULL, "h"));
    cw_map_set_str(r, "documentation", " \n\t ");
    s_expect_bad_request(f, r);

    r = s_commit_request("b5", s_target("f", NULL, "h"));
    cw_map_set_int(r, "commit_message", 5);
    s_expect_bad_request(f, r);

    r = s_commit_request("", s_target("f", NULL, "h")); /* no job id */
    s_expect_bad_request(f, r);

    r = cw_proto_new(CW_MSG_DEDUP_REQUEST);
    cw_map_set_str(r, "job_id", "b6");
    cw_map_set_str(r, "targets", "not a list");
    s_expect_bad_request(f, r);

    r = cw_value_new_array();
    s_expect_bad_request(f, r);
    s_expect_bad_request(f, NULL);
    assert_int_equal(s_commits(), commits);
}

static void test_push_after_commit(void **state)
{
    fixture_t *f = *state;
    setenv("CW_TEST_FAST", "1", 1);
    char bare[128];
    snprintf(bare, sizeof bare, "%s/remote.git", s_tmp);
    char *out = s_run("git init -q --bare '%s' && echo ok", bare);
    assert_string_equal(out, "ok");
    free(out);

    /* a remote that is missing: the commit stays, the reply says why */
    cw_committer_destroy(&f->committer);
    cw_config_destroy(&f->config);
    char missing[128];
    snprintf(missing, sizeof missing, "%s/missing.git", s_tmp);
    f->config = s_config(missing);
    f->committer = cw_committer_new(f->config, NULL);
    assert_non_null(f->committer);
    cw_value_t *reply = s_handle(f, s_commit_request("p1", s_target("a", NULL, "1")));
    assert_string_equal(cw_proto_type(reply), CW_MSG_COMMIT_REPLY);
    assert_false(cw_map_bool(reply, "pushed", true));
    assert_non_null(strstr(cw_map_str(reply, "push_error", ""), "missing.git"));
    char first[41];
    snprintf(first, sizeof first, "%s", cw_map_str(reply, "commit", ""));
    cw_value_destroy(&reply);
    out = s_run("git -C '%s' rev-parse HEAD", s_devlog);
    assert_string_equal(out, first);
    free(out);

    /* a working remote: the next commit's push carries both */
    cw_committer_destroy(&f->committer);
    cw_config_destroy(&f->config);
    f->config = s_config(bare);
    f->committer = cw_committer_new(f->config, NULL);
    reply = s_handle(f, s_commit_request("p2", s_target("b", NULL, "2")));
    assert_true(cw_map_bool(reply, "pushed", false));
    assert_null(cw_map_get(reply, "push_error"));
    char second[41];
    snprintf(second, sizeof second, "%s", cw_map_str(reply, "commit", ""));
    cw_value_destroy(&reply);
    out = s_run("git --git-dir='%s' rev-parse refs/heads/main", bare);
    assert_string_equal(out, second);
    free(out);
    out = s_run("git --git-dir='%s' cat-file -t %s", bare, first);
    assert_string_equal(out, "commit");
    free(out);
}

/* ------------------------------------------------------------------ events */

static cw_value_t *s_next_event(zsock_t *sub, const char *type, int tries)
{
    for (int i = 0; i < tries; i++) {
        zmsg_t *msg = zmsg_recv(sub);
        if (!msg)
            return NULL;
        zframe_t *topic = zmsg_pop(msg);
        zframe_t *payload = zmsg_pop(msg);
        cw_value_t *ev = NULL;
        if (payload)
            ev = cw_value_decode(zframe_data(payload), zframe_size(payload), NULL, 0);
        zframe_destroy(&topic);
        zframe_destroy(&payload);
        zmsg_destroy(&msg);
        if (ev && strcmp(cw_map_str(ev, "type", ""), type) == 0)
            return ev;
        cw_value_destroy(&ev);
    }
    return NULL;
}

static void test_events(void **state)
{
    fixture_t *f = *state;
    setenv("CW_TEST_FAST", "1", 1);
    char endpoint[160];
    snprintf(endpoint, sizeof endpoint, "ipc://%s/events.ipc", s_tmp);
    char bind[170];
    snprintf(bind, sizeof bind, "@%s", endpoint);
    zsock_t *sub = zsock_new_sub(bind, "codeworm.");
    assert_non_null(sub);
    zsock_set_rcvtimeo(sub, 200);
    cw_publisher_t *pub = cw_publisher_new(endpoint, "committer");
    assert_non_null(pub);
    /* wait until the subscription is through (slow joiner) */
    cw_value_t *probe = NULL;
    for (int i = 0; i < 50 && !probe; i++) {
        cw_value_t *fields = cw_value_new_map();
        cw_map_set_str(fields, "level", "info");
        cw_map_set_str(fields, "message", "probe");
        cw_publisher_send(pub, CW_EV_LOG, &fields);
        probe = s_next_event(sub, CW_EV_LOG, 1);
    }
    assert_non_null(probe);
    cw_value_destroy(&probe);
    zsock_set_rcvtimeo(sub, 5000);

    cw_committer_destroy(&f->committer);
    cw_config_destroy(&f->config);
    char missing[128];
    snprintf(missing, sizeof missing, "%s/nowhere.git", s_tmp);
    f->config = s_config(missing);
    f->committer = cw_committer_new(f->config, pub);
    assert_non_null(f->committer);
    cw_value_t *reply =
        s_handle(f, s_commit_request("ev-1", s_target("get_wait", "CycleStats", "H1")));
    char commit[41];
    snprintf(commit, sizeof commit, "%s", cw_map_str(reply, "commit", ""));

    cw_value_t *ev = s_next_event(sub, CW_EV_PUSH_FAILED, 10);
    assert_non_null(ev);
    assert_int_equal(cw_map_int(ev, "consecutive", 0), 1);
    assert_non_null(strstr(cw_map_str(ev, "error", ""), "nowhere.git"));
    cw_value_destroy(&ev);
    ev = s_next_event(sub, CW_EV_DOCUMENTATION_COMMITTED, 10);
    assert_non_null(ev);
    assert_string_equal(cw_map_str(ev, "target", ""), "CycleStats.get_wait");
    assert_string_equal(cw_map_str(ev, "doc_type", ""), "function_doc");
    assert_string_equal(cw_map_str(ev, "commit", ""), commit);
    assert_string_equal(cw_map_str(ev, "repo", ""), "CodeWorm");
    assert_string_equal(cw_map_str(ev, "file", ""), "codeworm/daemon.py");
    assert_string_equal(cw_map_str(ev, "path", ""), cw_map_str(reply, "path", "?"));
    assert_string_equal(cw_map_str(ev, "job_id", ""), "ev-1");
    assert_string_equal(cw_map_str(ev, "cycle_id", ""), "cycle-7");
    assert_string_equal(cw_map_str(ev, "service", ""), "committer");
    cw_value_destroy(&ev);
    cw_value_destroy(&reply);

    /* a commit made while a retry waits is not held up by another attempt: it joins the
       next push */
    reply = s_handle(f, s_commit_request("ev-2", s_target("other", NULL, "H2")));
    assert_false(cw_map_bool(reply, "pushed", true));
    assert_string_equal(cw_map_str(reply, "push_state", ""), "retrying");
    assert_non_null(strstr(cw_map_str(reply, "push_error", ""), "next attempt"));
    cw_value_destroy(&reply);
    /* the retry (from the worker loop's tick) fails again and counts up */
    assert_true(cw_pusher_pending(cw_committer_pusher(f->committer)));
    cw_devlog_t *dl = cw_committer_devlog(f->committer);
    for (int i = 0; i < 200 && cw_devlog_push_failures(dl) < 2; i++) {
        int64_t wait = cw_committer_tick(f->committer);
        zclock_sleep((int)(wait > 0 && wait < 50 ? wait : 50));
    }
    assert_int_equal(cw_devlog_push_failures(dl), 2);
    ev = s_next_event(sub, CW_EV_PUSH_FAILED, 10);
    assert_non_null(ev);
    assert_int_equal(cw_map_int(ev, "consecutive", 0), 2);
    cw_value_destroy(&ev);

    cw_committer_destroy(&f->committer);
    cw_publisher_destroy(&pub);
    zsock_destroy(&sub);
}

static void test_new_requires_repo_path(void **state)
{
    cw_config_t *config = cw_config_new_defaults();
    assert_null(cw_committer_new(config, NULL));
    assert_null(cw_committer_new(NULL, NULL));
    cw_config_destroy(&config);
}

int main(void)
{
    cw_log_set_level(CW_LOG_ERROR);
    zsys_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_commit_once_per_job, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_crash_between_commit_and_ledger, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_dedup_request, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_claims, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_stats_request, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_bad_requests, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_push_after_commit, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_events, s_setup, s_teardown),
        cmocka_unit_test(test_new_requires_repo_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
