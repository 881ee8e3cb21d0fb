/*  test_proto — message declarations: valid messages pass, broken ones fail with a
    message that names the type and field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cw_json.h"
#include "cw_proto.h"

/* ------------------------------------------------------------------ builders */

static cw_value_t *s_param(const char *name, const char *type, const char *dflt)
{
    cw_value_t *p = cw_value_new_map();
    cw_map_set_str(p, "name", name);
    if (type)
        cw_map_set_str(p, "type", type);
    if (dflt)
        cw_map_set_str(p, "default", dflt);
    return p;
}

static cw_value_t *s_member(const char *name, const char *kind, int line)
{
    cw_value_t *m = cw_value_new_map();
    cw_map_set_str(m, "name", name);
    cw_map_set_str(m, "kind", kind);
    cw_map_set_int(m, "line", line);
    return m;
}

static cw_value_t *s_target(void)
{
    cw_value_t *t = cw_value_new_map();
    cw_map_set_str(t, "doc_type", "function");
    cw_map_set_str(t, "repo", "codeworm");
    cw_map_set_str(t, "file", "src/main.py");
    cw_map_set_str(t, "language", "python");
    cw_map_set_str(t, "name", "parse_args");
    cw_map_set_int(t, "start_line", 10);
    cw_map_set_int(t, "end_line", 42);
    cw_map_set_float(t, "complexity", 7.5);
    cw_map_set_float(t, "score", 61.25);
    cw_map_set_str(t, "source", "def parse_args():\n    pass\n");
    cw_map_set_str(t, "code_hash",
                   "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
    cw_value_t *params = cw_value_new_array();
    cw_array_push(params, s_param("argv", "list[str]", "None"));
    cw_map_set(t, "parameters", params);
    cw_map_set_bool(t, "is_async", false);
    return t;
}

static cw_value_t *s_msg(const char *type)
{
    cw_value_t *m = cw_proto_new(type);
    assert_non_null(m);
    return m;
}

/* One valid instance of every request and reply type. */
static cw_value_t *s_valid(const char *type)
{
    cw_value_t *m = s_msg(type);
    cw_map_set_str(m, "job_id", "0123456789abcdef0123456789abcdef");
    if (strcmp(type, CW_MSG_ANALYZE_REQUEST) == 0) {
        cw_map_set_str(m, "doc_type", "function");
        cw_map_set_int(m, "limit", 20);
    } else if (strcmp(type, CW_MSG_ANALYZE_REPLY) == 0 || strcmp(type, CW_MSG_DEDUP_REQUEST) == 0) {
        cw_value_t *targets = cw_value_new_array();
        cw_array_push(targets, s_target());
        cw_array_push(targets, s_target());
        cw_map_set(m, "targets", targets);
        if (strcmp(type, CW_MSG_ANALYZE_REPLY) == 0)
            cw_map_set_int(m, "files_scanned", 12);
    } else if (strcmp(type, CW_MSG_DEDUP_REPLY) == 0) {
        cw_value_t *allowed = cw_value_new_array();
        cw_array_push(allowed, cw_value_new_bool(true));
        cw_array_push(allowed, cw_value_new_bool(false));
        cw_map_set(m, "allowed", allowed);
    } else if (strcmp(type, CW_MSG_GENERATE_REQUEST) == 0) {
        cw_map_set(m, "target", s_target());
    } else if (strcmp(type, CW_MSG_GENERATE_REPLY) == 0) {
        cw_map_set_str(m, "documentation", "# parse_args\n\nParses.\n");
        cw_map_set_str(m, "commit_message", "docs: parse_args");
        cw_map_set_str(m, "backend", "ollama");
        cw_map_set_int(m, "prompt_tokens", 100);
        cw_map_set_bool(m, "truncated", false);
    } else if (strcmp(type, CW_MSG_COMMIT_REQUEST) == 0) {
        cw_map_set(m, "target", s_target());
        cw_map_set_str(m, "documentation", "# doc\n");
        cw_map_set_str(m, "commit_message", "docs: x");
        cw_map_set_str(m, "cycle_id", "c-1");
    } else if (strcmp(type, CW_MSG_COMMIT_REPLY) == 0) {
        cw_map_set_str(m, "commit", "3b18e512dba79e4c8300dd08aeb37f8e728b8dad");
        cw_map_set_str(m, "path", "2024/01/02/function-parse_args.md");
        cw_map_set_bool(m, "duplicate", false);
        cw_map_set_bool(m, "pushed", true);
    } else if (strcmp(type, CW_MSG_STATS_REPLY) == 0) {
        cw_map_set_int(m, "total", 5);
        cw_map_set_int(m, "last_7_days", 2);
        cw_value_t *by_repo = cw_value_new_map();
        cw_map_set_int(by_repo, "codeworm", 5);
        cw_map_set(m, "by_repo", by_repo);
    } else if (strcmp(type, CW_MSG_STATUS_REPLY) == 0) {
        cw_value_t *services = cw_value_new_map();
        cw_value_t *gen = cw_value_new_map();
        cw_map_set_int(gen, "workers", 2);
        cw_map_set_int(gen, "queued", 0);
        cw_map_set_int(gen, "busy", 1);
        cw_map_set(services, "generator", gen);
        cw_map_set(m, "services", services);
    } else if (strcmp(type, CW_MSG_ERROR) == 0) {
        cw_map_set_str(m, "code", CW_ERR_INTERNAL);
        cw_map_set_str(m, "message", "boom");
        cw_map_set_bool(m, "retryable", true);
    }
    return m;
}

static const char *s_request_types[] = {CW_MSG_ANALYZE_REQUEST,
                                        CW_MSG_ANALYZE_REPLY,
                                        CW_MSG_DEDUP_REQUEST,
                                        CW_MSG_DEDUP_REPLY,
                                        CW_MSG_GENERATE_REQUEST,
                                        CW_MSG_GENERATE_REPLY,
                                        CW_MSG_COMMIT_REQUEST,
                                        CW_MSG_COMMIT_REPLY,
                                        CW_MSG_STATS_REQUEST,
                                        CW_MSG_STATS_REPLY,
                                        CW_MSG_STATUS_REQUEST,
                                        CW_MSG_STATUS_REPLY,
                                        CW_MSG_ERROR};
#define N_REQUEST_TYPES (sizeof(s_request_types) / sizeof(s_request_types[0]))

static void s_expect_valid(const cw_value_t *m)
{
    char err[512] = "";
    if (cw_proto_validate(m, err, sizeof(err)) != 0)
        fail_msg("expected valid, got: %s", err);
}

static void s_expect_error(const cw_value_t *m, const char *expected)
{
    char err[512] = "";
    if (cw_proto_validate(m, err, sizeof(err)) == 0)
        fail_msg("expected \"%s\", but the message validated", expected);
    assert_string_equal(err, expected);
}

/* ------------------------------------------------------------------ tests */

static void test_every_request_type_validates(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_REQUEST_TYPES; i++) {
        cw_value_t *m = s_valid(s_request_types[i]);
        s_expect_valid(m);
        assert_true(cw_proto_is_known_type(s_request_types[i]));
        assert_string_equal(cw_proto_type(m), s_request_types[i]);

        /* encode -> decode gives the same message back */
        char *data = NULL;
        size_t size = 0;
        char err[256];
        assert_int_equal(cw_proto_encode(m, &data, &size, err, sizeof(err)), 0);
        cw_value_t *back = cw_proto_decode(data, size, err, sizeof(err));
        if (!back)
            fail_msg("%s: %s", s_request_types[i], err);
        char *a = cw_json_encode(m), *b = cw_json_encode(back);
        assert_string_equal(a, b);
        free(a);
        free(b);
        free(data);
        cw_value_destroy(&back);
        cw_value_destroy(&m);
    }
}

static void test_known_types(void **state)
{
    (void)state;
    const char *events[] = {CW_EV_CYCLE_STARTING,
                            CW_EV_ANALYZING,
                            CW_EV_GENERATING,
                            CW_EV_DOCUMENTATION_COMMITTED,
                            CW_EV_NEXT_CYCLE,
                            CW_EV_STATS,
                            CW_EV_LOG,
                            CW_EV_CYCLE_FAILED,
                            CW_EV_CYCLE_SKIPPED,
                            CW_EV_LLM_UNAVAILABLE,
                            CW_EV_LLM_RECOVERED,
                            CW_EV_PUSH_FAILED,
                            CW_EV_PUSH_BLOCKED,
                            CW_EV_SERVICE_STARTED,
                            CW_EV_SERVICE_STOPPING};
    for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++)
        assert_true(cw_proto_is_known_type(events[i]));
    assert_false(cw_proto_is_known_type("nope"));
    assert_false(cw_proto_is_known_type("target"));
    assert_false(cw_proto_is_known_type(""));
    assert_false(cw_proto_is_known_type(NULL));
    assert_null(cw_proto_type(NULL));
}

static void test_missing_required(void **state)
{
    (void)state;
    cw_value_t *m = s_msg(CW_MSG_GENERATE_REQUEST);
    cw_map_set(m, "target", s_target());
    s_expect_error(m, "generate_request.job_id: required field missing");
    cw_value_destroy(&m);

    m = s_msg(CW_MSG_GENERATE_REQUEST);
    cw_map_set_str(m, "job_id", "j");
    s_expect_error(m, "generate_request.target: required field missing");
    cw_value_destroy(&m);

    /* inside the target */
    cw_value_t *t = s_target();
    cw_value_t *t2 = cw_value_new_map();
    for (size_t i = 0; i < cw_value_size(t); i++)
        if (strcmp(cw_map_key_at(t, i), "code_hash") != 0)
            cw_map_set(t2, cw_map_key_at(t, i), cw_value_clone(cw_map_value_at(t, i)));
    cw_value_destroy(&t);
    m = s_msg(CW_MSG_GENERATE_REQUEST);
    cw_map_set_str(m, "job_id", "j");
    cw_map_set(m, "target", t2);
    s_expect_error(m, "generate_request.target.code_hash: required field missing");
    cw_value_destroy(&m);

    m = s_valid(CW_MSG_COMMIT_REPLY);
    cw_map_set(m, "duplicate", cw_value_new_nil());
    s_expect_error(m, "commit_reply.duplicate: expected bool, got nil");
    cw_value_destroy(&m);

    /* optional fields may be absent */
    m = s_msg(CW_MSG_ANALYZE_REQUEST);
    cw_map_set_str(m, "job_id", "j");
    s_expect_valid(m);
    cw_value_destroy(&m);
}

static void test_wrong_kind(void **state)
{
    (void)state;
    cw_value_t *m = s_valid(CW_MSG_GENERATE_REQUEST);
    cw_map_set_int(m, "job_id", 12);
    s_expect_error(m, "generate_request.job_id: expected string, got int");
    cw_value_destroy(&m);

    m = s_valid(CW_MSG_GENERATE_REQUEST);
    cw_map_set_str(m, "target", "not a map");
    s_expect_error(m, "generate_request.target: expected map, got string");
    cw_value_destroy(&m);

    m = s_valid(CW_MSG_ANALYZE_REPLY);
    cw_value_t *targets = cw_value_new_array();
    cw_array_push(targets, s_target());
    cw_value_t *bad = s_target();
    cw_map_set_str(bad, "score", "high");
    cw_array_push(targets, bad);
    cw_map_set(m, "targets", targets);
    s_expect_error(m, "analyze_reply.targets[1].score: expected number, got string");
    cw_value_destroy(&m);

    m = s_valid(CW_MSG_DEDUP_REPLY);
    cw_value_t *allowed = cw_value_new_array();
    cw_array_push(allowed, cw_value_new_bool(true));
    cw_array_push(allowed, cw_value_new_int(1));
    cw_map_set(m, "allowed", allowed);
    s_expect_error(m, "dedup_reply.allowed[1]: expected bool, got int");
    cw_value_destroy(&m);

    m = s_valid(CW_MSG_DEDUP_REQUEST);
    cw_map_set_str(m, "targets", "x");
    s_expect_error(m, "dedup_request.targets: expected array, got string");
    cw_value_destroy(&m);

    m = s_valid(CW_MSG_GENERATE_REPLY);
    cw_map_set_float(m, "prompt_tokens", 1.5);
    s_expect_error(m, "generate_reply.prompt_tokens: expected int, got float");
    cw_value_destroy(&m);

    m = s_valid(CW_MSG_STATUS_REPLY);
    cw_map_set(m, "services", cw_value_new_array());
    s_expect_error(m, "status_reply.services: expected map, got array");
    cw_value_destroy(&m);

    /* float fields accept ints, but not NaN */
    m = s_valid(CW_MSG_GENERATE_REQUEST);
    cw_value_t *t = s_target();
    cw_map_set_int(t, "score", 3);
    cw_map_set(m, "target", t);
    s_expect_valid(m);
    cw_value_destroy(&m);

    m = s_valid(CW_MSG_GENERATE_REQUEST);
    t = s_target();
    cw_map_set_float(t, "complexity", NAN);
    cw_map_set(m, "target", t);
    s_expect_error(m, "generate_request.target.complexity: number is not finite");
    cw_value_destroy(&m);

    /* array of strings: element kind and bound */
    m = s_valid(CW_MSG_GENERATE_REQUEST);
    t = s_target();
    cw_value_t *calls = cw_value_new_array();
    cw_array_push_str(calls, "print");
    cw_array_push(calls, cw_value_new_bool(true));
    cw_map_set(t, "calls", calls);
    cw_map_set(m, "target", t);
    s_expect_error(m, "generate_request.target.calls[1]: expected string, got bool");
    cw_value_destroy(&m);
}

static void test_bounds(void **state)
{
    (void)state;
    size_t big = 2000000;
    char *s = malloc(big + 1);
    memset(s, 'x', big);
    s[big] = '\0';

    cw_value_t *m = s_valid(CW_MSG_GENERATE_REQUEST);
    cw_value_t *t = s_target();
    cw_map_set_str(t, "source", s);
    cw_map_set(m, "target", t);
    s_expect_error(m, "generate_request.target.source: string of 2000000 bytes exceeds 1048576");
    cw_value_destroy(&m);

    /* exactly the bound is fine, one more byte is not */
    s[1048576] = '\0';
    m = s_valid(CW_MSG_GENERATE_REPLY);
    cw_map_set_str(m, "documentation", s);
    s_expect_valid(m);
    s[1048576] = 'x';
    s[1048577] = '\0';
    cw_map_set_str(m, "documentation", s);
    s_expect_error(m, "generate_reply.documentation: string of 1048577 bytes exceeds 1048576");
    cw_value_destroy(&m);

    s[65] = '\0';
    m = s_valid(CW_MSG_STATS_REQUEST);
    cw_map_set_str(m, "job_id", s);
    s_expect_error(m, "stats_request.job_id: string of 65 bytes exceeds 64");
    cw_value_destroy(&m);

    memset(s, 'p', 257);
    s[257] = '\0';
    m = s_valid(CW_MSG_GENERATE_REQUEST);
    t = s_target();
    cw_value_t *params = cw_value_new_array();
    cw_array_push(params, s_param("ok", NULL, NULL));
    cw_array_push(params, s_param(s, NULL, NULL));
    cw_map_set(t, "parameters", params);
    cw_map_set(m, "target", t);
    s_expect_error(m,
                   "generate_request.target.parameters[1].name: string of 257 bytes exceeds 256");
    cw_value_destroy(&m);
    free(s);

    /* array element counts */
    m = s_valid(CW_MSG_DEDUP_REPLY);
    cw_value_t *allowed = cw_value_new_array();
    for (int i = 0; i < 1001; i++)
        cw_array_push(allowed, cw_value_new_bool(true));
    cw_map_set(m, "allowed", allowed);
    s_expect_error(m, "dedup_reply.allowed: array of 1001 elements exceeds 1000");
    cw_value_destroy(&m);

    /* integer ranges */
    m = s_valid(CW_MSG_ANALYZE_REQUEST);
    cw_map_set_int(m, "limit", 0);
    s_expect_error(m, "analyze_request.limit: 0 is below the minimum 1");
    cw_map_set_int(m, "limit", 1001);
    s_expect_error(m, "analyze_request.limit: 1001 exceeds the maximum 1000");
    cw_map_set_int(m, "limit", 1000);
    s_expect_valid(m);
    cw_value_destroy(&m);

    m = s_valid(CW_MSG_GENERATE_REQUEST);
    t = s_target();
    cw_map_set_int(t, "start_line", -1);
    cw_map_set(m, "target", t);
    s_expect_error(m, "generate_request.target.start_line: -1 is below the minimum 0");
    cw_value_destroy(&m);
}

static void test_version_type_and_shape(void **state)
{
    (void)state;
    cw_value_t *m = s_valid(CW_MSG_STATS_REQUEST);
    cw_map_set_int(m, "v", 2);
    s_expect_error(m, "unsupported protocol version 2 (this build speaks 1)");
    cw_map_set_str(m, "v", "1");
    s_expect_error(m, "protocol version \"v\" must be an int (got string)");
    cw_value_destroy(&m);

    m = cw_value_new_map();
    cw_map_set_str(m, "type", CW_MSG_STATS_REQUEST);
    cw_map_set_str(m, "job_id", "j");
    s_expect_error(m, "missing protocol version \"v\"");
    cw_value_destroy(&m);

    m = cw_value_new_map();
    cw_map_set_int(m, "v", CW_PROTO_VERSION);
    s_expect_error(m, "missing message \"type\"");
    cw_map_set_int(m, "type", 3);
    s_expect_error(m, "message \"type\" must be a string (got int)");
    cw_map_set_str(m, "type", "frobnicate_request");
    s_expect_error(m, "unknown message type \"frobnicate_request\"");
    cw_value_destroy(&m);

    m = cw_value_new_array();
    s_expect_error(m, "payload is not a map (got array)");
    cw_value_destroy(&m);
    s_expect_error(NULL, "no payload");

    /* unknown fields are ignored */
    m = s_valid(CW_MSG_STATS_REQUEST);
    cw_map_set_str(m, "added_in_v1_5", "whatever");
    cw_map_set(m, "nested_extra", cw_value_new_array());
    s_expect_valid(m);
    cw_value_destroy(&m);
}

static void test_events(void **state)
{
    (void)state;
    cw_value_t *m = s_msg(CW_EV_SERVICE_STARTED);
    cw_map_set_int(m, "pid", 1234);
    cw_map_set_str(m, "version", "0.1.0");
    cw_map_set_str(m, "service", "committer");
    cw_map_set_str(m, "timestamp", "2024-01-02T03:04:05Z");
    s_expect_valid(m);
    cw_map_set_str(m, "service",
                   "0123456789012345678901234567890123456789012345678901234567890123X");
    s_expect_error(m, "service_started.service: string of 65 bytes exceeds 64");
    cw_map_set_int(m, "service", 5);
    s_expect_error(m, "service_started.service: expected string, got int");
    cw_value_destroy(&m);

    m = s_msg(CW_EV_DOCUMENTATION_COMMITTED);
    cw_map_set_str(m, "target", "parse_args");
    cw_map_set_str(m, "doc_type", "function");
    cw_map_set_str(m, "commit", "3b18e512dba79e4c8300dd08aeb37f8e728b8dad");
    s_expect_error(m, "documentation_committed.repo: required field missing");
    cw_map_set_str(m, "repo", "codeworm");
    s_expect_valid(m);
    cw_value_destroy(&m);

    /* the stats event is free-form beyond its declared counters */
    m = s_msg(CW_EV_STATS);
    cw_map_set_int(m, "total", 3);
    cw_map_set_float(m, "success_rate", 0.5);
    s_expect_valid(m);
    cw_map_set_int(m, "failed", -1);
    s_expect_error(m, "stats.failed: -1 is below the minimum 0");
    cw_value_destroy(&m);

    m = s_msg(CW_EV_LLM_UNAVAILABLE);
    cw_map_set_str(m, "backend", "ollama");
    cw_map_set_int(m, "consecutive", 3);
    s_expect_error(m, "llm_unavailable.retry_seconds: required field missing");
    cw_map_set_int(m, "retry_seconds", 40);
    s_expect_valid(m);
    cw_value_destroy(&m);

    m = s_msg(CW_EV_CYCLE_SKIPPED);
    cw_map_set_str(m, "cycle_id", "c1");
    cw_map_set_str(m, "reason", "nothing to document");
    cw_map_set_int(m, "consecutive", 1);
    cw_value_t *repos = cw_value_new_array();
    cw_array_push_str(repos, "a");
    cw_array_push(repos, cw_value_new_int(1));
    cw_map_set(m, "repos", repos);
    s_expect_error(m, "cycle_skipped.repos[1]: expected string, got int");
    cw_value_destroy(&m);
}

static void test_new_error(void **state)
{
    (void)state;
    cw_value_t *e = cw_proto_new_error("job-1", CW_ERR_BAD_REQUEST, "no target", false);
    assert_non_null(e);
    s_expect_valid(e);
    assert_string_equal(cw_proto_type(e), CW_MSG_ERROR);
    assert_int_equal(cw_map_int(e, "v", 0), CW_PROTO_VERSION);
    assert_string_equal(cw_map_str(e, "job_id", NULL), "job-1");
    assert_string_equal(cw_map_str(e, "code", NULL), "bad_request");
    assert_string_equal(cw_map_str(e, "message", NULL), "no target");
    assert_false(cw_map_bool(e, "retryable", true));
    cw_value_destroy(&e);

    /* oversized inputs are cut so the error itself stays valid */
    char *longmsg = malloc(10000);
    memset(longmsg, 'm', 9999);
    longmsg[9999] = '\0';
    e = cw_proto_new_error(NULL, CW_ERR_UNAVAILABLE, longmsg, true);
    s_expect_valid(e);
    assert_string_equal(cw_map_str(e, "job_id", NULL), "");
    assert_int_equal(cw_value_strlen(cw_map_get(e, "message")), 4096);
    assert_true(cw_map_bool(e, "retryable", false));
    cw_value_destroy(&e);
    free(longmsg);
}

static void test_encode_refuses_invalid(void **state)
{
    (void)state;
    cw_value_t *m = s_valid(CW_MSG_ANALYZE_REQUEST);
    cw_map_set_int(m, "limit", 5000);
    char *data = (char *)"sentinel";
    size_t size = 99;
    char err[256] = "";
    assert_int_equal(cw_proto_encode(m, &data, &size, err, sizeof(err)), -1);
    assert_null(data);
    assert_int_equal(size, 0);
    assert_string_equal(err, "analyze_request.limit: 5000 exceeds the maximum 1000");
    cw_value_destroy(&m);

    m = cw_proto_new("no_such_type");
    assert_int_equal(cw_proto_encode(m, &data, &size, err, sizeof(err)), -1);
    assert_string_equal(err, "unknown message type \"no_such_type\"");
    cw_value_destroy(&m);
}

static void test_decode_rejects(void **state)
{
    (void)state;
    char err[256];
    /* malformed msgpack */
    const unsigned char junk[] = {0xdd, 0xff, 0xff, 0xff, 0xff, 0x00};
    assert_null(cw_proto_decode(junk, sizeof(junk), err, sizeof(err)));
    assert_string_equal(err, "array declares 4294967295 elements but only 1 bytes remain");

    /* well-formed msgpack, invalid message */
    cw_value_t *m = s_valid(CW_MSG_COMMIT_REQUEST);
    cw_map_set_int(m, "v", 2);
    char *data = NULL;
    size_t size = 0;
    assert_int_equal(cw_value_encode(m, &data, &size), 0);
    assert_null(cw_proto_decode(data, size, err, sizeof(err)));
    assert_string_equal(err, "unsupported protocol version 2 (this build speaks 1)");
    free(data);
    cw_value_destroy(&m);

    /* oversized frame is refused before parsing */
    size_t huge = (size_t)CW_PROTO_MAX_FRAME + 1;
    char *buf = calloc(1, huge);
    assert_null(cw_proto_decode(buf, huge, err, sizeof(err)));
    assert_string_equal(err, "payload of 8388609 bytes exceeds 8388608");
    free(buf);

    /* every prefix of a valid message is rejected with a reason */
    m = s_valid(CW_MSG_GENERATE_REQUEST);
    assert_int_equal(cw_value_encode(m, &data, &size), 0);
    for (size_t n = 0; n < size; n++) {
        err[0] = '\0';
        cw_value_t *v = cw_proto_decode(data, n, err, sizeof(err));
        assert_null(v);
        assert_true(strlen(err) > 0);
    }
    free(data);
    cw_value_destroy(&m);
}

/* The facts a target carries: nested maps and arrays of maps, declared and validated like
   messages (kinds, required fields, bounds at every level). */
static cw_value_t *s_rich_target(void)
{
    cw_value_t *t = s_target();
    cw_map_set_str(t, "kind", "method");
    cw_map_set_str(t, "return_type", "dict");
    cw_map_set_bool(t, "source_cut", false);
    cw_value_t *body = cw_value_new_map();
    cw_map_set_int(body, "loops", 2);
    cw_map_set_int(body, "loop_depth", 2);
    cw_map_set(t, "body", body);
    cw_value_t *members = cw_value_new_array();
    cw_array_push(members, s_member("parse", "method", 12));
    cw_map_set(t, "members", members);
    cw_value_t *defs = cw_value_new_array();
    cw_array_push(defs, s_member("Parser", "class", 3));
    cw_map_set(t, "definitions", defs);
    cw_value_t *imports = cw_value_new_array();
    cw_array_push_str(imports, "os");
    cw_map_set(t, "imports", imports);
    cw_value_t *module = cw_value_new_map(), *files = cw_value_new_array(), *f = cw_value_new_map();
    cw_map_set_str(f, "path", "pkg/a.py");
    cw_map_set_int(f, "lines", 10);
    cw_map_set_int(f, "functions", 1);
    cw_map_set_int(f, "classes", 0);
    cw_array_push(files, f);
    cw_map_set_str(module, "kind", "package");
    cw_map_set_int(module, "file_count", 1);
    cw_map_set(module, "files", files);
    cw_map_set(t, "module", module);
    cw_value_t *commit = cw_value_new_map(), *cfiles = cw_value_new_array(),
               *cf = cw_value_new_map();
    cw_map_set_str(cf, "path", "pkg/a.py");
    cw_map_set_str(cf, "status", "modified");
    cw_map_set_int(cf, "added", 3);
    cw_map_set_int(cf, "deleted", 1);
    cw_array_push(cfiles, cf);
    cw_map_set_str(commit, "hash", "0123456789abcdef0123456789abcdef01234567");
    cw_map_set_str(commit, "author", "Ada");
    cw_map_set_str(commit, "date", "2024-01-02T03:04:05Z");
    cw_map_set_str(commit, "subject", "Parse faster");
    cw_map_set(commit, "files", cfiles);
    cw_map_set(t, "commit", commit);
    cw_value_t *change = cw_value_new_map(), *hunks = cw_value_new_array(), *h = cw_value_new_map();
    cw_map_set_int(h, "old_start", 1);
    cw_map_set_int(h, "old_lines", 2);
    cw_map_set_int(h, "new_start", 1);
    cw_map_set_int(h, "new_lines", 4);
    cw_map_set_str(h, "section", "def parse(self):");
    cw_array_push(hunks, h);
    cw_map_set_str(change, "status", "modified");
    cw_map_set_int(change, "added", 3);
    cw_map_set_int(change, "deleted", 1);
    cw_map_set(change, "hunks", hunks);
    cw_map_set(t, "change", change);
    cw_value_t *patterns = cw_value_new_array(), *p = cw_value_new_map(),
               *ind = cw_value_new_array();
    cw_array_push_str(ind, "subscribe");
    cw_map_set_str(p, "name", "observer");
    cw_map_set(p, "indicators", ind);
    cw_array_push(patterns, p);
    cw_map_set(t, "patterns", patterns);
    return t;
}

static void s_expect_target_error(cw_value_t *t, const char *want)
{
    cw_value_t *m = s_valid(CW_MSG_GENERATE_REQUEST);
    cw_map_set(m, "target", t);
    s_expect_error(m, want);
    cw_value_destroy(&m);
}

static void test_target_facts(void **state)
{
    (void)state;
    cw_value_t *m = s_valid(CW_MSG_GENERATE_REQUEST);
    cw_map_set(m, "target", s_rich_target());
    s_expect_valid(m);
    /* and through the codec: nested maps survive encode and decode */
    char *data = NULL;
    size_t size = 0;
    char err[256];
    assert_int_equal(cw_proto_encode(m, &data, &size, err, sizeof err), 0);
    cw_value_t *back = cw_proto_decode(data, size, err, sizeof err);
    assert_non_null(back);
    const cw_value_t *t = cw_map_get(back, "target");
    assert_string_equal(cw_map_str(cw_map_get(t, "commit"), "subject", ""), "Parse faster");
    assert_int_equal(
        cw_map_int(cw_array_at(cw_map_get(cw_map_get(t, "change"), "hunks"), 0), "new_lines", 0),
        4);
    free(data);
    cw_value_destroy(&back);
    cw_value_destroy(&m);

    /* a required field of an element of an array of maps */
    cw_value_t *tv = s_rich_target();
    cw_value_t *params = cw_value_new_array();
    cw_array_push(params, s_param("a", NULL, NULL));
    cw_array_push(params, cw_value_new_map());
    cw_map_set(tv, "parameters", params);
    s_expect_target_error(tv, "generate_request.target.parameters[1].name: required field missing");
    /* the old shape (a list of names) is refused with a clear path */
    tv = s_rich_target();
    params = cw_value_new_array();
    cw_array_push_str(params, "argv");
    cw_map_set(tv, "parameters", params);
    s_expect_target_error(tv, "generate_request.target.parameters[0]: expected map, got string");
    /* a nested map's field kind and range */
    tv = s_rich_target();
    cw_value_t *commit = cw_value_clone(cw_map_get(tv, "commit"));
    cw_value_t *files = cw_value_new_array(), *f = cw_value_new_map();
    cw_map_set_str(f, "path", "x");
    cw_map_set_str(f, "status", "added");
    cw_map_set_int(f, "added", -1);
    cw_map_set_int(f, "deleted", 0);
    cw_array_push(files, f);
    cw_map_set(commit, "files", files);
    cw_map_set(tv, "commit", commit);
    s_expect_target_error(
        tv, "generate_request.target.commit.files[0].added: -1 is below the minimum 0");
    tv = s_rich_target();
    cw_map_set_str(tv, "module", "pkg");
    s_expect_target_error(tv, "generate_request.target.module: expected map, got string");
    tv = s_rich_target();
    cw_value_t *body = cw_value_new_map();
    cw_map_set_str(body, "loops", "many");
    cw_map_set(tv, "body", body);
    s_expect_target_error(tv, "generate_request.target.body.loops: expected int, got string");
    tv = s_rich_target();
    cw_value_t *change = cw_value_new_map();
    cw_map_set_int(change, "added", 1);
    cw_map_set_int(change, "deleted", 1);
    cw_map_set(tv, "change", change);
    s_expect_target_error(tv, "generate_request.target.change.status: required field missing");
    /* bounds: elements of an array of maps, strings inside them, strings of a nested array */
    tv = s_rich_target();
    cw_value_t *members = cw_value_new_array();
    for (int i = 0; i < 1001; i++)
        cw_array_push(members, s_member("m", "method", i));
    cw_map_set(tv, "members", members);
    s_expect_target_error(tv,
                          "generate_request.target.members: array of 1001 elements exceeds 1000");
    tv = s_rich_target();
    char kind[40];
    memset(kind, 'k', 33);
    kind[33] = '\0';
    members = cw_value_new_array();
    cw_array_push(members, s_member("m", kind, 1));
    cw_map_set(tv, "definitions", members);
    s_expect_target_error(tv, "generate_request.target.definitions[0].kind: string of 33 bytes "
                              "exceeds 32");
    tv = s_rich_target();
    cw_value_t *patterns = cw_value_new_array(), *p = cw_value_new_map(),
               *ind = cw_value_new_array();
    for (int i = 0; i < 17; i++)
        cw_array_push_str(ind, "x");
    cw_map_set_str(p, "name", "observer");
    cw_map_set(p, "indicators", ind);
    cw_array_push(patterns, p);
    cw_map_set(tv, "patterns", patterns);
    s_expect_target_error(tv, "generate_request.target.patterns[0].indicators: array of 17 "
                              "elements exceeds 16");
    /* unknown fields inside a nested map are ignored, as at the top */
    tv = s_rich_target();
    cw_value_t *b2 = cw_value_clone(cw_map_get(tv, "body"));
    cw_map_set_str(b2, "newer_count", "x");
    cw_map_set(tv, "body", b2);
    m = s_valid(CW_MSG_GENERATE_REQUEST);
    cw_map_set(m, "target", tv);
    s_expect_valid(m);
    cw_value_destroy(&m);
}

static void test_validate_target(void **state)
{
    (void)state;
    char err[256];
    cw_value_t *t = s_target();
    assert_int_equal(cw_proto_validate_target(t, err, sizeof(err)), 0);
    cw_map_set_int(t, "name", 5);
    assert_int_equal(cw_proto_validate_target(t, err, sizeof(err)), -1);
    assert_string_equal(err, "target.name: expected string, got int");
    cw_value_destroy(&t);
    t = cw_value_new_array();
    assert_int_equal(cw_proto_validate_target(t, err, sizeof(err)), -1);
    assert_string_equal(err, "target: expected map, got array");
    cw_value_destroy(&t);
    assert_int_equal(cw_proto_validate_target(NULL, err, sizeof(err)), -1);
}

/* The facts of a period, as the committer's cw_ledger_period makes them. */
static cw_value_t *s_period_document(const char *name, double complexity)
{
    cw_value_t *d = cw_value_new_map();
    cw_map_set_str(d, "repo", "codeworm");
    cw_map_set_str(d, "file", "src/cli.py");
    cw_map_set_str(d, "name", name);
    cw_map_set_str(d, "doc_type", "function_doc");
    cw_map_set_str(d, "path", "snippets/python/2026-02-03_parse.md");
    cw_map_set_str(d, "documented_at", "2026-02-03T10:00:00.123456");
    cw_map_set_str(d, "language", "python");
    cw_map_set_float(d, "complexity", complexity);
    cw_map_set_float(d, "grounding", 1.0);
    return d;
}

static cw_value_t *s_period_facts(void)
{
    cw_value_t *f = cw_value_new_map(), *repos = cw_value_new_map(), *types = cw_value_new_map(),
               *langs = cw_value_new_map(), *docs = cw_value_new_array(),
               *most = cw_value_new_array();
    cw_map_set_int(f, "total", 2);
    cw_map_set_int(repos, "codeworm", 2);
    cw_map_set_int(types, "function_doc", 2);
    cw_map_set_int(langs, "python", 2);
    cw_array_push(docs, s_period_document("parse", 3));
    cw_array_push(docs, s_period_document("main", 7));
    cw_array_push(most, s_period_document("main", 7));
    cw_map_set(f, "repos", repos);
    cw_map_set(f, "doc_types", types);
    cw_map_set(f, "languages", langs);
    cw_map_set(f, "documents", docs);
    cw_map_set(f, "most_complex", most);
    return f;
}

/* A summary's facts are declared: the committer's summary_reply.facts and a summary
   target's `summary` (with the period the scheduler adds) validate, and what does not
   match the declaration is refused with its path. */
static void test_summary_facts(void **state)
{
    (void)state;
    cw_value_t *m = s_msg(CW_MSG_SUMMARY_REPLY);
    cw_map_set_str(m, "job_id", "summary-weekly-2026-W06");
    cw_map_set_str(m, "kind", "weekly");
    cw_map_set_str(m, "period", "2026-W06");
    cw_map_set_bool(m, "exists", false);
    cw_map_set(m, "facts", s_period_facts());
    s_expect_valid(m);
    cw_value_destroy(&m);

    cw_value_t *t = s_target();
    cw_map_set_str(t, "doc_type", "weekly_summary");
    cw_value_t *f = s_period_facts();
    cw_map_set_str(f, "kind", "weekly");
    cw_map_set_str(f, "period", "2026-W06");
    cw_map_set_str(f, "first_day", "2026-02-02");
    cw_map_set_str(f, "last_day", "2026-02-08");
    cw_map_set_str(f, "timezone", "Europe/Berlin");
    cw_map_set(t, "summary", f);
    char err[256];
    assert_int_equal(cw_proto_validate_target(t, err, sizeof err), 0);
    cw_value_destroy(&t);

    static const struct {
        const char *what, *expected;
    } bad[] = {
        {"no total", "summary_reply.facts.total: required field missing"},
        {"a count that is text", "summary_reply.facts.repos.codeworm: expected a count (int >= "
                                 "0), got string"},
        {"a negative count", "summary_reply.facts.languages.python: expected a count (int >= "
                             "0), got int"},
        {"a document without path", "summary_reply.facts.documents[1].path: required field "
                                    "missing"},
        {"too many most complex", "summary_reply.facts.most_complex: array of 6 elements exceeds "
                                  "5"},
        {"a list for a map", "summary_reply.facts.doc_types: expected map, got array"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        f = s_period_facts();
        cw_value_t *x = NULL;
        switch (i) {
        case 0:
            cw_value_destroy(&f);
            f = cw_value_new_map();
            x = s_period_facts();
            for (size_t k = 1; k < cw_value_size(x); k++) /* all but total */
                cw_map_set(f, cw_map_key_at(x, k), cw_value_clone(cw_map_value_at(x, k)));
            cw_value_destroy(&x);
            break;
        case 1:
            x = cw_value_new_map();
            cw_map_set_str(x, "codeworm", "2");
            cw_map_set(f, "repos", x);
            break;
        case 2:
            x = cw_value_new_map();
            cw_map_set_int(x, "python", -1);
            cw_map_set(f, "languages", x);
            break;
        case 3: {
            x = cw_value_new_array();
            cw_array_push(x, s_period_document("a", 1));
            cw_value_t *d = cw_value_new_map();
            cw_map_set_str(d, "repo", "r");
            cw_map_set_str(d, "file", "f");
            cw_map_set_str(d, "doc_type", "til");
            cw_map_set_str(d, "documented_at", "2026-02-03T10:00:00");
            cw_array_push(x, d);
            cw_map_set(f, "documents", x);
            break;
        }
        case 4:
            x = cw_value_new_array();
            for (int k = 0; k < 6; k++)
                cw_array_push(x, s_period_document("a", k));
            cw_map_set(f, "most_complex", x);
            break;
        case 5:
            cw_map_set(f, "doc_types", cw_value_new_array());
            break;
        }
        m = s_msg(CW_MSG_SUMMARY_REPLY);
        cw_map_set_str(m, "job_id", "j");
        cw_map_set_str(m, "kind", "weekly");
        cw_map_set_str(m, "period", "2026-W06");
        cw_map_set_bool(m, "exists", false);
        cw_map_set(m, "facts", f);
        char msg[512] = "";
        if (cw_proto_validate(m, msg, sizeof msg) == 0)
            fail_msg("%s: validated", bad[i].what);
        if (strcmp(msg, bad[i].expected) != 0)
            fail_msg("%s: %s", bad[i].what, msg);
        cw_value_destroy(&m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_request_type_validates),
        cmocka_unit_test(test_known_types),
        cmocka_unit_test(test_missing_required),
        cmocka_unit_test(test_wrong_kind),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_version_type_and_shape),
        cmocka_unit_test(test_events),
        cmocka_unit_test(test_new_error),
        cmocka_unit_test(test_encode_refuses_invalid),
        cmocka_unit_test(test_decode_rejects),
        cmocka_unit_test(test_validate_target),
        cmocka_unit_test(test_target_facts),
        cmocka_unit_test(test_summary_facts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
