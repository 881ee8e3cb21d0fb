/*  test_dash_state — the dashboard's view of the bus: the bounded event ring and its
    readers, the current activity followed through a cycle, and service health from the
    broker's status reply. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cw_dash_state.h"
#include "cw_json.h"
#include "cw_log.h"
#include "cw_value.h"

static cw_value_t *s_event(const char *type, const char *service, const char *ts)
{
    cw_value_t *ev = cw_value_new_map();
    cw_map_set_int(ev, "v", 1);
    cw_map_set_str(ev, "type", type);
    cw_map_set_str(ev, "service", service);
    cw_map_set_str(ev, "timestamp", ts);
    return ev;
}

static uint64_t s_push(cw_dash_state_t *st, cw_value_t *ev)
{
    uint64_t seq = cw_dash_state_push(st, ev);
    cw_value_destroy(&ev);
    return seq;
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

static void test_ring_and_readers(void **state)
{
    (void)state;
    cw_dash_state_t *st = cw_dash_state_new(4);
    assert_non_null(st);
    static char buf[CW_DASH_EVENT_MAX + 1];
    assert_int_equal(cw_dash_state_next(st, 0, buf, sizeof buf, 0), 0); /* nothing yet */
    for (int i = 1; i <= 6; i++) {
        cw_value_t *ev = s_event("log", "committer", "2026-01-01T00:00:00.000Z");
        cw_map_set_str(ev, "level", "info");
        char msg[32];
        snprintf(msg, sizeof msg, "message %d", i);
        cw_map_set_str(ev, "message", msg);
        assert_int_equal(s_push(st, ev), (uint64_t)i);
    }
    assert_int_equal(cw_dash_state_last_seq(st), 6);
    /* a reader at 0 fell behind: it continues at the oldest kept (3 of 6, capacity 4) */
    uint64_t seq = cw_dash_state_next(st, 0, buf, sizeof buf, 0);
    assert_int_equal(seq, 3);
    assert_non_null(strstr(buf, "\"message 3\""));
    seq = cw_dash_state_next(st, 5, buf, sizeof buf, 0);
    assert_int_equal(seq, 6);
    assert_non_null(strstr(buf, "\"message 6\""));
    assert_int_equal(cw_dash_state_next(st, 6, buf, sizeof buf, 50), 0); /* timeout */
    /* a too small buffer is refused rather than overrun */
    char small[16];
    assert_int_equal(cw_dash_state_next(st, 0, small, sizeof small, 0), 0);
    /* the kept events as an array, oldest first */
    cw_value_t *j = s_parse(cw_dash_state_events_json(st, 100));
    assert_int_equal(cw_value_size(j), 4);
    assert_string_equal(cw_map_str(cw_array_at(j, 0), "message", ""), "message 3");
    cw_value_destroy(&j);
    j = s_parse(cw_dash_state_events_json(st, 2));
    assert_int_equal(cw_value_size(j), 2);
    assert_string_equal(cw_map_str(cw_array_at(j, 1), "message", ""), "message 6");
    cw_value_destroy(&j);
    /* reader slots are bounded */
    assert_true(cw_dash_state_reader_enter(st, 2));
    assert_true(cw_dash_state_reader_enter(st, 2));
    assert_false(cw_dash_state_reader_enter(st, 2));
    cw_dash_state_reader_leave(st);
    assert_int_equal(cw_dash_state_readers(st), 1);
    cw_dash_state_reader_leave(st);
    cw_dash_state_destroy(&st);
    assert_null(st);
    cw_dash_state_destroy(&st);
}

static void test_big_event_is_a_stub(void **state)
{
    (void)state;
    cw_dash_state_t *st = cw_dash_state_new(0);
    cw_value_t *ev = s_event("log", "generator", "2026-01-01T00:00:00.000Z");
    char *big = malloc(CW_DASH_EVENT_MAX + 100);
    memset(big, 'x', CW_DASH_EVENT_MAX + 99);
    big[CW_DASH_EVENT_MAX + 99] = '\0';
    cw_map_set_str(ev, "message", big);
    free(big);
    assert_int_equal(s_push(st, ev), 1);
    static char buf[CW_DASH_EVENT_MAX + 1];
    assert_int_equal(cw_dash_state_next(st, 0, buf, sizeof buf, 0), 1);
    cw_value_t *j = s_parse(strdup(buf));
    assert_string_equal(cw_map_str(j, "type", ""), "log");
    assert_string_equal(cw_map_str(j, "service", ""), "generator");
    assert_true(cw_map_bool(j, "truncated", false));
    assert_null(cw_map_get(j, "message"));
    cw_value_destroy(&j);
    /* strings with quotes and newlines stay one line of valid JSON (one SSE data line) */
    ev = s_event("log", "generator", "2026-01-01T00:00:00.000Z");
    cw_map_set_str(ev, "message", "line one\nline \"two\"\r\n</script>");
    assert_int_equal(s_push(st, ev), 2);
    assert_int_equal(cw_dash_state_next(st, 1, buf, sizeof buf, 0), 2);
    assert_null(strchr(buf, '\n'));
    assert_null(strchr(buf, '\r'));
    j = s_parse(strdup(buf));
    assert_string_equal(cw_map_str(j, "message", ""), "line one\nline \"two\"\r\n</script>");
    cw_value_destroy(&j);
    /* not an event */
    cw_value_t *bad = cw_value_new_map();
    assert_int_equal(s_push(st, bad), 0);
    assert_int_equal(cw_dash_state_push(st, NULL), 0);
    cw_dash_state_destroy(&st);
}

typedef struct {
    cw_dash_state_t *st;
    uint64_t after;
    uint64_t got;
} waiter_t;

static void *s_waiter(void *arg)
{
    waiter_t *w = (waiter_t *)arg;
    static char buf[CW_DASH_EVENT_MAX + 1];
    /* a long wait: only an event or a stop ends it (ctest's timeout fails the test otherwise) */
    w->got = cw_dash_state_next(w->st, w->after, buf, sizeof buf, 600000);
    return NULL;
}

static void test_waiters_wake(void **state)
{
    (void)state;
    cw_dash_state_t *st = cw_dash_state_new(8);
    /* a waiting reader gets the next event without polling */
    waiter_t w = {st, 0, 99};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, s_waiter, &w), 0);
    usleep(100 * 1000);
    s_push(st, s_event("next_cycle", "scheduler", "2026-01-01T00:00:00.000Z"));
    pthread_join(t, NULL);
    assert_int_equal(w.got, 1);
    /* stop ends a wait at once (the waiter waits for an event after the last one) */
    waiter_t w2 = {st, 1, 99};
    assert_false(cw_dash_state_stopping(st));
    assert_int_equal(pthread_create(&t, NULL, s_waiter, &w2), 0);
    usleep(100 * 1000);
    cw_dash_state_stop(st);
    pthread_join(t, NULL);
    assert_int_equal(w2.got, 0);
    assert_true(cw_dash_state_stopping(st));
    static char buf[CW_DASH_EVENT_MAX + 1];
    assert_int_equal(cw_dash_state_next(st, 0, buf, sizeof buf, 10000), 0);
    assert_false(cw_dash_state_reader_enter(st, 10));
    cw_dash_state_destroy(&st);
}

static void test_current_activity(void **state)
{
    (void)state;
    cw_dash_state_t *st = cw_dash_state_new(0);
    time_t now = time(NULL);
    cw_value_t *j = s_parse(cw_dash_state_status_json(st, now));
    assert_false(cw_map_bool(j, "running", true));
    assert_string_equal(cw_map_str(j, "current_activity", ""), "idle");
    assert_int_equal(cw_value_kind(cw_map_get(j, "current_target")), CW_VAL_NIL);
    assert_int_equal(cw_value_kind(cw_map_get(j, "last_commit")), CW_VAL_NIL);
    cw_value_destroy(&j);

    cw_value_t *ev = s_event("cycle_starting", "scheduler", "2026-01-01T10:00:00.000Z");
    cw_map_set_str(ev, "cycle_id", "c1");
    s_push(st, ev);
    j = s_parse(cw_dash_state_status_json(st, now));
    assert_string_equal(cw_map_str(j, "current_activity", ""), "starting");
    assert_string_equal(cw_map_str(j, "cycle_id", ""), "c1");
    cw_value_destroy(&j);

    ev = s_event("generating", "scheduler", "2026-01-01T10:00:05.000Z");
    cw_map_set_str(ev, "cycle_id", "c1");
    cw_map_set_str(ev, "target", "Parser.parse");
    cw_map_set_str(ev, "doc_type", "function_doc");
    cw_map_set_str(ev, "repo", "alpha");
    s_push(st, ev);
    j = s_parse(cw_dash_state_status_json(st, now));
    assert_string_equal(cw_map_str(j, "current_activity", ""), "generating");
    assert_string_equal(cw_map_str(j, "current_target", ""), "Parser.parse");
    assert_string_equal(cw_map_str(j, "current_repo", ""), "alpha");
    assert_string_equal(cw_map_str(j, "current_doc_type", ""), "function_doc");
    assert_string_equal(cw_map_str(j, "since", ""), "2026-01-01T10:00:05.000Z");
    cw_value_destroy(&j);

    s_push(st, s_event("llm_unavailable", "generator", "2026-01-01T10:00:06.000Z"));
    j = s_parse(cw_dash_state_status_json(st, now));
    assert_string_equal(cw_map_str(j, "current_activity", ""), "waiting_for_llm");
    cw_value_destroy(&j);
    s_push(st, s_event("llm_recovered", "generator", "2026-01-01T10:00:07.000Z"));
    j = s_parse(cw_dash_state_status_json(st, now));
    assert_string_equal(cw_map_str(j, "current_activity", ""), "generating");
    cw_value_destroy(&j);

    ev = s_event("documentation_committed", "committer", "2026-01-01T10:00:09.000Z");
    cw_map_set_str(ev, "target", "Parser.parse");
    cw_map_set_str(ev, "doc_type", "function_doc");
    cw_map_set_str(ev, "repo", "alpha");
    cw_map_set_str(ev, "commit", "0123456789abcdef");
    cw_map_set_str(ev, "path", "snippets/python/x.md");
    s_push(st, ev);
    ev = s_event("next_cycle", "scheduler", "2026-01-01T10:00:10.000Z");
    cw_map_set_str(ev, "at", "2026-01-01T10:30:00+00:00");
    cw_map_set_int(ev, "seconds", 1790);
    s_push(st, ev);
    j = s_parse(cw_dash_state_status_json(st, now));
    assert_string_equal(cw_map_str(j, "current_activity", ""), "idle");
    assert_int_equal(cw_value_kind(cw_map_get(j, "current_target")), CW_VAL_NIL);
    assert_string_equal(cw_map_str(j, "next_cycle_at", ""), "2026-01-01T10:30:00+00:00");
    const cw_value_t *last = cw_map_get(j, "last_commit");
    assert_string_equal(cw_map_str(last, "target", ""), "Parser.parse");
    assert_string_equal(cw_map_str(last, "path", ""), "snippets/python/x.md");
    assert_string_equal(cw_map_str(last, "commit", ""), "0123456789abcdef");
    cw_value_destroy(&j);

    ev = s_event("cycle_failed", "scheduler", "2026-01-01T11:00:00.000Z");
    cw_map_set_str(ev, "cycle_id", "c2");
    cw_map_set_str(ev, "reason", "generator: \"boom\"");
    cw_map_set_int(ev, "consecutive", 1);
    s_push(st, ev);
    j = s_parse(cw_dash_state_status_json(st, now));
    const cw_value_t *failure = cw_map_get(j, "last_failure");
    assert_string_equal(cw_map_str(failure, "event", ""), "cycle_failed");
    assert_string_equal(cw_map_str(failure, "reason", ""), "generator: \"boom\"");
    cw_value_destroy(&j);
    cw_dash_state_destroy(&st);
}

static cw_value_t *s_status(int analyzers, int generators, int committers)
{
    cw_value_t *status = cw_value_new_map();
    cw_value_t *services = cw_value_new_map();
    const char *names[] = {"analyzer", "generator", "committer"};
    int counts[] = {analyzers, generators, committers};
    for (int i = 0; i < 3; i++) {
        if (counts[i] < 0)
            continue;
        cw_value_t *s = cw_value_new_map();
        cw_map_set_int(s, "workers", counts[i]);
        cw_map_set_int(s, "busy", counts[i] > 1 ? 1 : 0);
        cw_map_set_int(s, "queued", 0);
        cw_map_set(services, names[i], s);
    }
    cw_map_set(status, "services", services);
    return status;
}

static const cw_value_t *s_service(const cw_value_t *health, const char *name)
{
    const cw_value_t *list = cw_map_get(health, "services");
    for (size_t i = 0; i < cw_value_size(list); i++)
        if (strcmp(cw_map_str(cw_array_at(list, i), "name", ""), name) == 0)
            return cw_array_at(list, i);
    return NULL;
}

static void test_health(void **state)
{
    (void)state;
    cw_dash_state_t *st = cw_dash_state_new(0);
    cw_dash_state_set_broker(st, "tcp://127.0.0.1:5555");
    time_t now = time(NULL);
    /* never asked: down */
    cw_value_t *j = s_parse(cw_dash_state_health_json(st, now));
    assert_string_equal(cw_map_str(j, "status", ""), "down");
    assert_string_equal(cw_map_str(cw_map_get(j, "broker"), "endpoint", ""),
                        "tcp://127.0.0.1:5555");
    assert_int_equal(cw_value_size(cw_map_get(j, "missing")), 3);
    cw_value_destroy(&j);

    /* every worker service has a worker: healthy, with the counts */
    cw_value_t *status = s_status(1, 3, 1);
    cw_dash_state_set_status(st, status, now);
    cw_value_destroy(&status);
    s_push(st, s_event("service_started", "scheduler", "2026-01-01T10:00:00.000Z"));
    j = s_parse(cw_dash_state_health_json(st, now));
    assert_string_equal(cw_map_str(j, "status", ""), "healthy");
    assert_true(cw_map_bool(cw_map_get(j, "broker"), "reachable", false));
    assert_int_equal(cw_value_size(cw_map_get(j, "missing")), 0);
    const cw_value_t *gen = s_service(j, "generator");
    assert_non_null(gen);
    assert_true(cw_map_float(gen, "workers", 0) == 3);
    assert_true(cw_map_float(gen, "busy", 0) == 1);
    assert_string_equal(cw_map_str(gen, "state", ""), "up");
    const cw_value_t *sched = s_service(j, "scheduler");
    assert_non_null(sched);
    assert_string_equal(cw_map_str(sched, "last_event", ""), "service_started");
    assert_string_equal(cw_map_str(sched, "state", ""), "seen");
    assert_int_equal(cw_value_kind(cw_map_get(sched, "workers")), CW_VAL_NIL);
    assert_string_equal(cw_map_str(s_service(j, "broker"), "state", ""), "up");
    /* the running flag follows the broker */
    cw_value_t *now_j = s_parse(cw_dash_state_status_json(st, now));
    assert_true(cw_map_bool(now_j, "running", false));
    cw_value_destroy(&now_j);
    cw_value_destroy(&j);

    /* no committer: degraded, and it says which */
    status = s_status(1, 1, -1);
    cw_dash_state_set_status(st, status, now);
    cw_value_destroy(&status);
    s_push(st, s_event("service_stopping", "scheduler", "2026-01-01T10:05:00.000Z"));
    j = s_parse(cw_dash_state_health_json(st, now));
    assert_string_equal(cw_map_str(j, "status", ""), "degraded");
    assert_int_equal(cw_value_size(cw_map_get(j, "missing")), 1);
    assert_string_equal(cw_value_str(cw_array_at(cw_map_get(j, "missing"), 0)), "committer");
    assert_string_equal(cw_map_str(s_service(j, "committer"), "state", ""), "no_workers");
    assert_string_equal(cw_map_str(s_service(j, "scheduler"), "state", ""), "stopped");
    cw_value_destroy(&j);

    /* an answer that is too old no longer counts; no answer is down */
    j = s_parse(cw_dash_state_health_json(st, now + CW_DASH_BROKER_STALE_S + 1));
    assert_string_equal(cw_map_str(j, "status", ""), "down");
    cw_value_destroy(&j);
    cw_dash_state_set_status(st, NULL, now);
    j = s_parse(cw_dash_state_health_json(st, now));
    assert_string_equal(cw_map_str(j, "status", ""), "down");
    assert_false(cw_map_bool(cw_map_get(j, "broker"), "reachable", true));
    assert_string_equal(cw_map_str(s_service(j, "broker"), "state", ""), "down");
    cw_value_destroy(&j);
    cw_dash_state_destroy(&st);
}

int main(void)
{
    cw_log_init("test");
    cw_log_set_level(CW_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ring_and_readers), cmocka_unit_test(test_big_event_is_a_stub),
        cmocka_unit_test(test_waiters_wake),     cmocka_unit_test(test_current_activity),
        cmocka_unit_test(test_health),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
