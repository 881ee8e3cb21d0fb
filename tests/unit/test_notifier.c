/*  Notifier: alert rules (each event kind, thresholds exactly N), dead man's switch with an
    injected clock, token bucket math, dedup window, HTML escaping and the 4096 cut,
    webhook bodies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cw_config.h"
#include "cw_log.h"
#include "cw_notifier.h"
#include "cw_proto.h"
#include "cw_telegram.h"
#include "cw_value.h"
#include "cw_webhook.h"

/* ------------------------------------------------------------------ helpers */
static cw_value_t *s_event(const char *type, int64_t consecutive)
{
    cw_value_t *ev = cw_value_new_map();
    cw_map_set_int(ev, "v", CW_PROTO_VERSION);
    cw_map_set_str(ev, "type", type);
    cw_map_set_str(ev, "service", "test");
    cw_map_set_str(ev, "timestamp", "2024-01-01T00:00:00Z");
    if (consecutive >= 0)
        cw_map_set_int(ev, "consecutive", consecutive);
    return ev;
}

static char *s_rule(const cw_value_t *ev, int n, bool on_push, const char **severity)
{
    return cw_alert_for_event(ev, n, on_push, severity);
}

typedef struct {
    int64_t now;
} fake_clock_t;

static int64_t s_fake_now(void *arg)
{
    return ((fake_clock_t *)arg)->now;
}

typedef struct {
    int count;
    char last_text[8192];
    char last_event[64];
    char last_severity[32];
} sink_t;

static int s_sink(const char *text, const char *event, const char *severity, void *arg)
{
    sink_t *sink = arg;
    sink->count++;
    snprintf(sink->last_text, sizeof(sink->last_text), "%s", text);
    snprintf(sink->last_event, sizeof(sink->last_event), "%s", event);
    snprintf(sink->last_severity, sizeof(sink->last_severity), "%s", severity);
    return 0;
}

/* ------------------------------------------------------------------ rules */
static void test_llm_unavailable_exactly_n(void **state)
{
    (void)state;
    for (int c = 1; c <= 8; c++) {
        cw_value_t *ev = s_event(CW_EV_LLM_UNAVAILABLE, c);
        cw_map_set_str(ev, "backend", "ollama");
        cw_map_set_int(ev, "retry_seconds", 40);
        cw_map_set_str(ev, "error", "connection refused");
        char *text = s_rule(ev, 5, true, NULL);
        if (c == 5) {
            assert_non_null(text);
            assert_non_null(strstr(text, "Ollama unavailable \xE2\x80\x94 5 consecutive failures"));
            assert_non_null(strstr(text, "40 s"));
            assert_non_null(strstr(text, "paused until it recovers"));
            assert_non_null(strstr(text, "Backend: ollama"));
            assert_non_null(strstr(text, "connection refused"));
        } else {
            assert_null(text);
        }
        free(text);
        cw_value_destroy(&ev);
    }
    /* another backend is named as such */
    cw_value_t *ev = s_event(CW_EV_LLM_UNAVAILABLE, 3);
    cw_map_set_str(ev, "backend", "openai");
    cw_map_set_int(ev, "retry_seconds", 10);
    char *text = s_rule(ev, 3, true, NULL);
    assert_non_null(text);
    assert_non_null(strstr(text, "Backend: openai"));
    assert_null(strstr(text, "Ollama"));
    free(text);
    cw_value_destroy(&ev);
}

static void test_cycle_failed_threshold(void **state)
{
    (void)state;
    for (int c = 1; c <= 7; c++) {
        cw_value_t *ev = s_event(CW_EV_CYCLE_FAILED, c);
        cw_map_set_str(ev, "cycle_id", "abc");
        cw_map_set_str(ev, "step", "generate");
        cw_map_set_str(ev, "reason", "generator timed out");
        const char *sev = NULL;
        char *text = s_rule(ev, 5, true, &sev);
        if (c >= 5) {
            assert_non_null(text);
            char count[64];
            snprintf(count, sizeof(count), "%d consecutive failures", c);
            assert_non_null(strstr(text, count));
            assert_non_null(strstr(text, "generator timed out"));
            assert_non_null(strstr(text, "generate"));
            assert_string_equal(sev, CW_SEVERITY_WARNING);
        } else {
            assert_null(text);
        }
        free(text);
        cw_value_destroy(&ev);
    }
}

static void test_cycle_skipped_threshold(void **state)
{
    (void)state;
    cw_value_t *ev = s_event(CW_EV_CYCLE_SKIPPED, 2);
    cw_map_set_str(ev, "cycle_id", "abc");
    cw_map_set_str(ev, "reason", "no candidates");
    cw_value_t *repos = cw_value_new_array();
    cw_array_push_str(repos, "alpha");
    cw_array_push_str(repos, "beta");
    cw_map_set(ev, "repos", repos);
    char *text = s_rule(ev, 3, true, NULL);
    assert_null(text);
    cw_map_set_int(ev, "consecutive", 3);
    text = s_rule(ev, 3, true, NULL);
    assert_non_null(text);
    assert_non_null(strstr(text, "3 consecutive cycles skipped"));
    assert_non_null(strstr(text, "alpha, beta"));
    free(text);
    cw_value_destroy(&ev);
}

static void test_push_blocked_immediately(void **state)
{
    (void)state;
    char error[1000];
    memset(error, 'x', sizeof(error) - 1);
    error[sizeof(error) - 1] = '\0';
    memcpy(error, "GH013: Repository rule violations", 33);
    cw_value_t *ev = s_event(CW_EV_PUSH_BLOCKED, -1);
    cw_map_set_str(ev, "error", error);
    const char *sev = NULL;
    char *text = s_rule(ev, 5, false, &sev);
    assert_non_null(text);
    assert_non_null(strstr(text, "Push blocked \xE2\x80\x94 secret scanning violation"));
    assert_non_null(strstr(text, "Manual intervention required."));
    assert_string_equal(sev, CW_SEVERITY_CRITICAL);
    /* first 300 characters of the error, not more */
    char first300[301];
    memcpy(first300, error, 300);
    first300[300] = '\0';
    assert_non_null(strstr(text, first300));
    char first301[302];
    memcpy(first301, error, 301);
    first301[301] = '\0';
    assert_null(strstr(text, first301));
    free(text);
    cw_value_destroy(&ev);

    /* a push_failed that mentions a secret is also blocked, at its first occurrence */
    ev = s_event(CW_EV_PUSH_FAILED, 1);
    cw_map_set_str(ev, "error", "remote: Push cannot contain secrets");
    text = s_rule(ev, 5, true, NULL);
    assert_non_null(text);
    assert_non_null(strstr(text, "Push blocked"));
    free(text);
    cw_value_destroy(&ev);
}

static void test_push_failed_threshold_and_switch(void **state)
{
    (void)state;
    cw_value_t *ev = s_event(CW_EV_PUSH_FAILED, 4);
    cw_map_set_str(ev, "error", "could not resolve host github.com");
    char *text = s_rule(ev, 5, true, NULL);
    assert_null(text);
    cw_map_set_int(ev, "consecutive", 5);
    text = s_rule(ev, 5, true, NULL);
    assert_non_null(text);
    assert_non_null(strstr(text, "could not resolve host github.com"));
    assert_non_null(strstr(text, "5 consecutive"));
    free(text);
    /* alert_on_push_failure false: no alert */
    text = s_rule(ev, 5, false, NULL);
    assert_null(text);
    cw_value_destroy(&ev);
}

static void test_other_events_no_alert(void **state)
{
    (void)state;
    const char *types[] = {CW_EV_CYCLE_STARTING,
                           CW_EV_ANALYZING,
                           CW_EV_GENERATING,
                           CW_EV_DOCUMENTATION_COMMITTED,
                           CW_EV_NEXT_CYCLE,
                           CW_EV_STATS,
                           CW_EV_LOG,
                           CW_EV_LLM_RECOVERED,
                           CW_EV_SERVICE_STARTED,
                           CW_EV_SERVICE_STOPPING};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        cw_value_t *ev = s_event(types[i], 99);
        char *text = s_rule(ev, 1, true, NULL);
        assert_null(text);
        cw_value_destroy(&ev);
    }
    assert_null(s_rule(NULL, 1, true, NULL));
    cw_value_t *not_map = cw_value_new_str("cycle_failed");
    assert_null(s_rule(not_map, 1, true, NULL));
    cw_value_destroy(&not_map);
}

/* ------------------------------------------------------------------ notifier object */
static cw_notifier_t *s_notifier(int n, fake_clock_t *clock, sink_t *sink)
{
    cw_config_t *config = cw_config_new_defaults();
    assert_non_null(config);
    config->telegram.alert_after_failures = n;
    cw_notifier_t *notifier = cw_notifier_new(config);
    cw_config_destroy(&config);
    assert_non_null(notifier);
    cw_notifier_set_clock(notifier, s_fake_now, clock);
    cw_notifier_set_sink(notifier, s_sink, sink);
    return notifier;
}

static void test_notifier_llm_and_recovery(void **state)
{
    (void)state;
    fake_clock_t clock = {1000};
    sink_t sink = {0};
    cw_notifier_t *notifier = s_notifier(3, &clock, &sink);
    cw_value_t *rec = s_event(CW_EV_LLM_RECOVERED, -1);
    cw_map_set_str(rec, "backend", "ollama");
    /* a recovery without a prior alert says nothing */
    assert_int_equal(cw_notifier_handle(notifier, rec), 0);
    for (int c = 1; c <= 5; c++) {
        cw_value_t *ev = s_event(CW_EV_LLM_UNAVAILABLE, c);
        cw_map_set_str(ev, "backend", "ollama");
        cw_map_set_int(ev, "retry_seconds", 10);
        assert_int_equal(cw_notifier_handle(notifier, ev), c == 3 ? 1 : 0);
        cw_value_destroy(&ev);
    }
    assert_int_equal(sink.count, 1);
    assert_string_equal(sink.last_event, CW_EV_LLM_UNAVAILABLE);
    assert_int_equal(cw_notifier_handle(notifier, rec), 1);
    assert_non_null(strstr(sink.last_text, "recovered"));
    assert_int_equal(cw_notifier_handle(notifier, rec), 0);
    cw_value_destroy(&rec);
    cw_notifier_destroy(&notifier);
    assert_null(notifier);
    cw_notifier_destroy(&notifier); /* idempotent */
}

static void test_deadman_switch(void **state)
{
    (void)state;
    const int64_t MIN = 60000;
    fake_clock_t clock = {0};
    sink_t sink = {0};
    cw_notifier_t *notifier = s_notifier(5, &clock, &sink);
    /* some log lines for the alert */
    for (int i = 0; i < 25; i++) {
        cw_value_t *ev = s_event(CW_EV_LOG, -1);
        char msg[64];
        snprintf(msg, sizeof(msg), "line %d", i);
        cw_map_set_str(ev, "level", "info");
        cw_map_set_str(ev, "message", msg);
        cw_notifier_handle(notifier, ev);
        cw_value_destroy(&ev);
    }
    cw_value_t *json_line = s_event(CW_EV_LOG, -1);
    cw_map_set_str(json_line, "level", "info");
    cw_map_set_str(json_line, "message", "{\"json\":true}");
    cw_notifier_handle(notifier, json_line);
    cw_value_destroy(&json_line);

    /* before the first 5-minute wait nothing is checked */
    clock.now = 4 * MIN;
    assert_int_equal(cw_notifier_tick(notifier), 0);
    assert_int_equal(cw_notifier_next_tick_ms(notifier), 1 * MIN);
    /* 44 minutes of silence: still fine */
    clock.now = 44 * MIN;
    assert_int_equal(cw_notifier_tick(notifier), 0);
    /* the check at 45 minutes fires */
    clock.now = 45 * MIN;
    assert_int_equal(cw_notifier_tick(notifier), 1);
    assert_int_equal(sink.count, 1);
    assert_non_null(strstr(sink.last_text, "No commits in 45 minutes"));
    assert_non_null(strstr(sink.last_text, "line 24"));
    assert_non_null(strstr(sink.last_text, ": line 5\n"));
    assert_null(strstr(sink.last_text, ": line 4\n"));
    assert_null(strstr(sink.last_text, "json"));
    assert_string_equal(sink.last_severity, CW_SEVERITY_CRITICAL);
    /* once per silence */
    clock.now = 90 * MIN;
    assert_int_equal(cw_notifier_tick(notifier), 0);
    assert_int_equal(sink.count, 1);
    /* a success re-arms it: first wait, then 45 minutes */
    cw_value_t *ok = s_event(CW_EV_DOCUMENTATION_COMMITTED, -1);
    cw_notifier_handle(notifier, ok);
    clock.now = 90 * MIN + 44 * MIN;
    assert_int_equal(cw_notifier_tick(notifier), 0);
    clock.now = 90 * MIN + 46 * MIN;
    assert_int_equal(cw_notifier_tick(notifier), 1);
    assert_int_equal(sink.count, 2);
    assert_non_null(strstr(sink.last_text, "No commits in 46 minutes"));

    /* a planned quiet period (next cycle in 3 hours) is not an alert */
    cw_notifier_handle(notifier, ok);
    int64_t t0 = clock.now;
    cw_value_t *next = s_event(CW_EV_NEXT_CYCLE, -1);
    cw_map_set_int(next, "seconds", 3 * 3600);
    cw_map_set_str(next, "at", "2024-01-01T03:00:00Z");
    cw_notifier_handle(notifier, next);
    clock.now = t0 + 3 * 60 * MIN;
    assert_int_equal(cw_notifier_tick(notifier), 0);
    clock.now = t0 + 3 * 60 * MIN + 46 * MIN;
    assert_int_equal(cw_notifier_tick(notifier), 1);
    assert_int_equal(sink.count, 3);
    cw_value_destroy(&next);
    cw_value_destroy(&ok);
    cw_notifier_destroy(&notifier);
}

static void test_deadman_text_no_lines(void **state)
{
    (void)state;
    char *text = cw_alert_deadman_text(50, NULL, 0);
    assert_non_null(text);
    assert_non_null(strstr(text, "No commits in 50 minutes"));
    free(text);
}

/* ------------------------------------------------------------------ telegram pieces */
static void test_token_bucket(void **state)
{
    (void)state;
    cw_token_bucket_t bucket;
    cw_token_bucket_init(&bucket, 3, 1.0, 10000);
    /* a burst of 3 goes through at once */
    assert_int_equal(cw_token_bucket_take(&bucket, 10000), 0);
    assert_int_equal(cw_token_bucket_take(&bucket, 10000), 0);
    assert_int_equal(cw_token_bucket_take(&bucket, 10000), 0);
    /* the 4th waits a second */
    assert_int_equal(cw_token_bucket_take(&bucket, 10000), 1000);
    assert_int_equal(cw_token_bucket_take(&bucket, 10400), 600);
    assert_int_equal(cw_token_bucket_take(&bucket, 11000), 0);
    assert_int_equal(cw_token_bucket_take(&bucket, 11000), 1000);
    /* refills up to the burst size only */
    assert_int_equal(cw_token_bucket_take(&bucket, 100000), 0);
    assert_int_equal(cw_token_bucket_take(&bucket, 100000), 0);
    assert_int_equal(cw_token_bucket_take(&bucket, 100000), 0);
    assert_true(cw_token_bucket_take(&bucket, 100000) > 0);
}

static void test_dedup_window(void **state)
{
    (void)state;
    cw_dedup_t dedup;
    cw_dedup_init(&dedup, 300000);
    assert_false(cw_dedup_check(&dedup, "hello", 0));
    assert_true(cw_dedup_check(&dedup, "hello", 1000));
    assert_false(cw_dedup_check(&dedup, "other", 1000));
    assert_true(cw_dedup_check(&dedup, "hello", 299999));
    assert_false(cw_dedup_check(&dedup, "hello", 300000));
    assert_true(cw_dedup_check(&dedup, "hello", 300001));
    /* many distinct texts do not break it */
    for (int i = 0; i < 500; i++) {
        char t[32];
        snprintf(t, sizeof(t), "text %d", i);
        assert_false(cw_dedup_check(&dedup, t, 400000 + i));
    }
    assert_true(cw_dedup_check(&dedup, "text 499", 400600));
}

static void test_html_escape_and_cut(void **state)
{
    (void)state;
    char *out = cw_telegram_format("a <b> & c > d", 4096);
    assert_string_equal(out, "a &lt;b&gt; &amp; c &gt; d");
    free(out);

    /* 5000 ASCII characters -> 4095 + "…" */
    char *big = malloc(5001);
    memset(big, 'a', 5000);
    big[5000] = '\0';
    out = cw_telegram_format(big, 4096);
    assert_int_equal(strlen(out), 4095 + 3);
    assert_memory_equal(out + 4095, "\xE2\x80\xA6", 3);
    free(out);
    /* exactly 4096 is kept whole */
    big[4096] = '\0';
    out = cw_telegram_format(big, 4096);
    assert_int_equal(strlen(out), 4096);
    free(out);
    /* escaping does not count against the limit; multibyte characters are not split */
    for (int i = 0; i < 5000; i++)
        big[i] = '&';
    big[5000] = '\0';
    out = cw_telegram_format(big, 4096);
    assert_int_equal(strlen(out), 4095 * 5 + 3);
    free(out);
    free(big);
    char *euros = malloc(3 * 5000 + 1);
    for (int i = 0; i < 5000; i++)
        memcpy(euros + 3 * i, "\xE2\x82\xAC", 3);
    euros[3 * 5000] = '\0';
    out = cw_telegram_format(euros, 4096);
    assert_int_equal(strlen(out), 4096 * 3); /* 4095 euros + the ellipsis */
    free(out);
    free(euros);
    out = cw_telegram_format(NULL, 4096);
    assert_string_equal(out, "");
    free(out);
}

static void test_body_and_retry_after(void **state)
{
    (void)state;
    char *body = cw_telegram_body("-100123", "say \"hi\"\n&amp;");
    assert_string_equal(body, "{\"chat_id\":\"-100123\",\"text\":\"say \\\"hi\\\"\\n&amp;\","
                              "\"parse_mode\":\"HTML\",\"disable_web_page_preview\":true}");
    free(body);
    assert_int_equal(cw_telegram_retry_after("{\"ok\":false,\"error_code\":429,\"parameters\":"
                                             "{\"retry_after\":7}}"),
                     7);
    assert_int_equal(cw_telegram_retry_after("{\"parameters\": {\"retry_after\" : 12}}"), 12);
    assert_int_equal(cw_telegram_retry_after("{\"retry_after\":99999999999999999999}"), 300);
    assert_int_equal(cw_telegram_retry_after("{\"ok\":true}"), -1);
    assert_int_equal(cw_telegram_retry_after("{\"retry_after\":\"x\"}"), -1);
    assert_int_equal(cw_telegram_retry_after(NULL), -1);
    assert_null(cw_telegram_new(NULL, "", "1"));
    assert_null(cw_telegram_new(NULL, "123:abc", ""));
}

static void test_webhook_bodies(void **state)
{
    (void)state;
    char *body = cw_webhook_body(NULL, "it \"broke\"", "cycle_failed", "warning");
    assert_string_equal(body, "{\"text\":\"it \\\"broke\\\"\",\"event\":\"cycle_failed\","
                              "\"severity\":\"warning\"}");
    free(body);
    body = cw_webhook_body("slack", "hi", "e", "s");
    assert_string_equal(body, "{\"text\":\"hi\"}");
    free(body);
    body = cw_webhook_body("discord", "hi", "e", "s");
    assert_string_equal(body, "{\"content\":\"hi\"}");
    free(body);
    assert_null(cw_webhook_new("", NULL, 0, NULL));
}

/* A configuration reload changes the thresholds; the dead man's switch keeps counting
   from the last commit (it is not re-armed by the reload). */
static void test_reload_keeps_state(void **state)
{
    (void)state;
    const int64_t MIN = 60000;
    fake_clock_t clock = {0};
    sink_t sink = {0};
    cw_notifier_t *notifier = s_notifier(5, &clock, &sink);
    cw_value_t *ev = s_event(CW_EV_CYCLE_FAILED, 2);
    cw_map_set_str(ev, "reason", "boom");
    assert_int_equal(cw_notifier_handle(notifier, ev), 0); /* 2 < 5 */
    cw_config_t *config = cw_config_new_defaults();
    config->telegram.alert_after_failures = 2;
    clock.now = 40 * MIN;
    assert_int_equal(cw_notifier_reload(notifier, config), 0);
    cw_config_destroy(&config);
    assert_int_equal(cw_notifier_handle(notifier, ev), 1); /* 2 >= 2 now */
    cw_value_destroy(&ev);
    /* still 45 minutes after the start, not after the reload */
    clock.now = 45 * MIN;
    assert_int_equal(cw_notifier_tick(notifier), 1);
    assert_string_equal(sink.last_event, "dead_mans_switch");
    assert_int_equal(cw_notifier_reload(notifier, NULL), -1);
    cw_notifier_destroy(&notifier);
}

int main(void)
{
    cw_log_set_level(CW_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_llm_unavailable_exactly_n),
        cmocka_unit_test(test_cycle_failed_threshold),
        cmocka_unit_test(test_cycle_skipped_threshold),
        cmocka_unit_test(test_push_blocked_immediately),
        cmocka_unit_test(test_push_failed_threshold_and_switch),
        cmocka_unit_test(test_other_events_no_alert),
        cmocka_unit_test(test_notifier_llm_and_recovery),
        cmocka_unit_test(test_deadman_switch),
        cmocka_unit_test(test_deadman_text_no_lines),
        cmocka_unit_test(test_token_bucket),
        cmocka_unit_test(test_dedup_window),
        cmocka_unit_test(test_html_escape_and_cut),
        cmocka_unit_test(test_body_and_retry_after),
        cmocka_unit_test(test_webhook_bodies),
        cmocka_unit_test(test_reload_keeps_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
