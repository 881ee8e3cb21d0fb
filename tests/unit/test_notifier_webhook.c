/*  Webhook delivery against tests/fakes/fake_webhook.py: the same dedup (300 s), rate limit
    (1/s, bursts of 3) and retries (3 attempts, a 429's Retry-After header honoured) as
    Telegram's, through the one cw_delivery mechanism; 5xx retried, other 4xx final; the
    configured headers arrive and neither their values nor the URL's key reach the log.
    Time is injected: nothing here waits for real. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "cw_delivery.h"
#include "cw_log.h"
#include "cw_webhook.h"
#include "cw_test_fake_http.h"

#define HOOK_PATH "/hooks/KEY-in-the-url-do-not-log"
#define HEADER_SECRET "Bearer header-secret-do-not-log"

static pid_t s_fake_pid = 0;
static char s_base[128];
static char s_url[256];

/* ------------------------------------------------------------------ log capture */
static int s_leaks = 0;
static int s_log_lines = 0;

static void s_log_hook(cw_log_level_t level, const char *line, void *arg)
{
    (void)level;
    (void)arg;
    s_log_lines++;
    if (strstr(line, "KEY-in-the-url") || strstr(line, "header-secret"))
        s_leaks++;
}

static long s_http(const char *method, const char *path, fake_body_t *out)
{
    return fake_http(s_base, method, path, out);
}

static int s_request_count(void)
{
    int n = fake_request_count(s_base);
    assert_true(n >= 0);
    return n;
}

static cw_webhook_t *s_client(fake_time_t *t, const char *format)
{
    cw_header_t headers[] = {{"Authorization", HEADER_SECRET}, {"X-Team", "docs"}};
    cw_webhook_t *hook = cw_webhook_new(s_url, headers, 2, format);
    assert_non_null(hook);
    cw_webhook_set_clock(hook, fake_now, fake_sleep, t);
    assert_int_equal(s_http("POST", "/_reset", NULL), 200);
    return hook;
}

/* ------------------------------------------------------------------ fixture */
static int s_setup(void **state)
{
    (void)state;
    int port = 0;
    if (fake_server_start("fake_webhook.py", &s_fake_pid, &port) != 0)
        return -1;
    snprintf(s_base, sizeof(s_base), "http://127.0.0.1:%d", port);
    snprintf(s_url, sizeof(s_url), "%s%s", s_base, HOOK_PATH);
    cw_log_set_hook(s_log_hook, NULL);
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    cw_log_set_hook(NULL, NULL);
    fake_server_stop(s_fake_pid);
    return 0;
}

/* ------------------------------------------------------------------ tests */
static void test_delivered_with_headers_and_dedup(void **state)
{
    (void)state;
    fake_time_t t = {.now = 1000};
    cw_webhook_t *hook = s_client(&t, NULL);
    assert_int_equal(cw_webhook_send(hook, "Push blocked \"now\"", "push_blocked", "critical"), 0);
    fake_body_t body;
    assert_int_equal(s_http("GET", "/_messages", &body), 200);
    assert_non_null(strstr(body.data, "\"path\":\"" HOOK_PATH "\""));
    assert_non_null(strstr(body.data, "\"text\":\"Push blocked \\\"now\\\"\""));
    assert_non_null(strstr(body.data, "\"event\":\"push_blocked\""));
    assert_non_null(strstr(body.data, "\"severity\":\"critical\""));
    assert_non_null(strstr(body.data, "\"authorization\":\"" HEADER_SECRET "\""));
    assert_non_null(strstr(body.data, "\"x-team\":\"docs\""));
    assert_non_null(strstr(body.data, "\"content_type\":\"application/json\""));
    /* the same text within 300 s: suppressed, no request */
    t.now += 299 * 1000;
    assert_int_equal(cw_webhook_send(hook, "Push blocked \"now\"", "push_blocked", "critical"), 1);
    assert_int_equal(s_request_count(), 1);
    /* another text goes out */
    assert_int_equal(cw_webhook_send(hook, "something else", "cycle_failed", "warning"), 0);
    assert_int_equal(s_request_count(), 2);
    /* after the window the first text goes out again */
    t.now += 2000;
    assert_int_equal(cw_webhook_send(hook, "Push blocked \"now\"", "push_blocked", "critical"), 0);
    assert_int_equal(s_request_count(), 3);
    cw_webhook_destroy(&hook);
    assert_null(hook);
}

static void test_429_retry_after_header_honoured(void **state)
{
    (void)state;
    fake_time_t t = {.now = 5000};
    cw_webhook_t *hook = s_client(&t, "slack");
    assert_int_equal(s_http("POST", "/_mode?fail_429=1&retry_after=7", NULL), 200);
    assert_int_equal(cw_webhook_send(hook, "after a 429", "e", "warning"), 0);
    assert_int_equal(s_request_count(), 2);
    /* one wait: the 7 s the answer asked for (not the default 1 s) */
    assert_int_equal(t.sleeps, 1);
    assert_int_equal(t.sleep_log[0], 7000);
    fake_body_t body;
    s_http("GET", "/_messages", &body);
    assert_non_null(strstr(body.data, "\"text\":\"after a 429\""));
    /* a Retry-After beyond 300 s is capped */
    t.sleeps = 0;
    assert_int_equal(s_http("POST", "/_mode?fail_429=1&retry_after=9000", NULL), 200);
    assert_int_equal(cw_webhook_send(hook, "capped wait", "e", "warning"), 0);
    assert_int_equal(t.sleeps, 1);
    assert_int_equal(t.sleep_log[0], 300000);
    /* a 429 without the header waits the normal 1 s */
    t.sleeps = 0;
    assert_int_equal(s_http("POST", "/_mode?fail_429=1", NULL), 200);
    assert_int_equal(cw_webhook_send(hook, "no header", "e", "warning"), 0);
    assert_int_equal(t.sleeps, 1);
    assert_int_equal(t.sleep_log[0], 1000);
    cw_webhook_destroy(&hook);
}

static void test_5xx_retried_three_attempts(void **state)
{
    (void)state;
    fake_time_t t = {.now = 0};
    cw_webhook_t *hook = s_client(&t, "discord");
    assert_int_equal(s_http("POST", "/_mode?fail_500=2", NULL), 200);
    assert_int_equal(cw_webhook_send(hook, "third time lucky", "e", "warning"), 0);
    assert_int_equal(s_request_count(), 3);
    assert_int_equal(t.sleeps, 2);
    assert_int_equal(t.sleep_log[0], 1000);
    assert_int_equal(t.sleep_log[1], 2000);
    fake_body_t body;
    s_http("GET", "/_messages", &body);
    assert_non_null(strstr(body.data, "\"content\":\"third time lucky\""));
    /* three failures: given up after the third attempt */
    t.sleeps = 0;
    assert_int_equal(s_http("POST", "/_mode?fail_500=5", NULL), 200);
    assert_int_equal(cw_webhook_send(hook, "never arrives", "e", "warning"), -1);
    assert_int_equal(s_request_count(), 6);
    assert_int_equal(t.sleeps, 2);
    cw_webhook_destroy(&hook);
}

static void test_4xx_is_final(void **state)
{
    (void)state;
    fake_time_t t = {.now = 0};
    cw_webhook_t *hook = s_client(&t, NULL);
    assert_int_equal(s_http("POST", "/_mode?fail_400=3", NULL), 200);
    assert_int_equal(cw_webhook_send(hook, "refused", "e", "warning"), -1);
    assert_int_equal(s_request_count(), 1);
    assert_int_equal(t.sleeps, 0);
    cw_webhook_destroy(&hook);
}

static void test_rate_limit_bursts_of_three(void **state)
{
    (void)state;
    fake_time_t t = {.now = 0};
    cw_webhook_t *hook = s_client(&t, NULL);
    for (int i = 0; i < 5; i++) {
        char text[32];
        snprintf(text, sizeof(text), "burst %d", i);
        assert_int_equal(cw_webhook_send(hook, text, "e", "warning"), 0);
    }
    /* three at once, then one per second */
    assert_int_equal(s_request_count(), 5);
    assert_int_equal(t.sleeps, 2);
    assert_int_equal(t.sleep_log[0], 1000);
    assert_int_equal(t.sleep_log[1], 1000);
    cw_webhook_destroy(&hook);
}

static void test_dead_server_three_attempts(void **state)
{
    (void)state;
    fake_time_t t = {.now = 0};
    cw_webhook_t *hook = cw_webhook_new("http://127.0.0.1:1" HOOK_PATH, NULL, 0, NULL);
    cw_webhook_set_clock(hook, fake_now, fake_sleep, &t);
    cw_webhook_set_timeouts(hook, 2000, -1);
    assert_int_equal(cw_webhook_send(hook, "nobody listens", "e", "warning"), -1);
    /* waits between attempts only: 3 attempts -> 2 waits */
    assert_int_equal(t.sleeps, 2);
    cw_webhook_destroy(&hook);
}

static void test_delivery_state_carried_over(void **state)
{
    (void)state;
    /* a channel rebuilt on reload keeps suppressing what the old one sent */
    fake_time_t t = {.now = 0};
    cw_webhook_t *old = s_client(&t, NULL);
    assert_int_equal(cw_webhook_send(old, "once only", "e", "warning"), 0);
    cw_webhook_t *fresh = cw_webhook_new(s_url, NULL, 0, NULL);
    cw_webhook_set_clock(fresh, fake_now, fake_sleep, &t);
    cw_delivery_carry(cw_webhook_delivery(fresh), cw_webhook_delivery(old));
    cw_webhook_destroy(&old);
    assert_int_equal(cw_webhook_send(fresh, "once only", "e", "warning"), 1);
    assert_int_equal(s_request_count(), 1);
    cw_webhook_destroy(&fresh);
}

static void test_secrets_never_logged(void **state)
{
    (void)state;
    /* every test above logged (sent, failed, suppressed) lines */
    assert_true(s_log_lines > 0);
    assert_int_equal(s_leaks, 0);
}

int main(void)
{
    cw_log_set_format(1);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delivered_with_headers_and_dedup),
        cmocka_unit_test(test_429_retry_after_header_honoured),
        cmocka_unit_test(test_5xx_retried_three_attempts),
        cmocka_unit_test(test_4xx_is_final),
        cmocka_unit_test(test_rate_limit_bursts_of_three),
        cmocka_unit_test(test_dead_server_three_attempts),
        cmocka_unit_test(test_delivery_state_carried_over),
        cmocka_unit_test(test_secrets_never_logged),
    };
    int rc = cmocka_run_group_tests(tests, s_setup, s_teardown);
    curl_global_cleanup();
    return rc;
}
