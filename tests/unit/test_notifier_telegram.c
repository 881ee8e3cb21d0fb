/*  Telegram delivery against tests/fakes/fake_telegram.py: message format, dedup, a 429
    answer's retry_after honoured, the token bucket on the real client, retries against a
    dead server, and the bot token never written to the log. Time is injected: the client
    "sleeps" on a fake clock, so nothing here waits for real. */
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

#include "cw_log.h"
#include "cw_telegram.h"
#include "cw_test_fake_http.h"

#define TOKEN "123456:SECRET-token-do-not-log"
#define CHAT "-100777"

static pid_t s_fake_pid = 0;
static int s_fake_port = 0;
static char s_base[128];

/* ------------------------------------------------------------------ log capture */
static int s_token_leaks = 0;
static int s_log_lines = 0;

static void s_log_hook(cw_log_level_t level, const char *line, void *arg)
{
    (void)level;
    (void)arg;
    s_log_lines++;
    if (strstr(line, "SECRET-token") || strstr(line, "/bot"))
        s_token_leaks++;
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

/* ------------------------------------------------------------------ fixture */
static int s_setup(void **state)
{
    (void)state;
    if (fake_server_start("fake_telegram.py", &s_fake_pid, &s_fake_port) != 0)
        return -1;
    snprintf(s_base, sizeof(s_base), "http://127.0.0.1:%d", s_fake_port);
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
static void test_send_format_and_dedup(void **state)
{
    (void)state;
    fake_time_t t = {.now = 1000};
    cw_telegram_t *tg = cw_telegram_new(s_base, TOKEN, CHAT);
    assert_non_null(tg);
    cw_telegram_set_clock(tg, fake_now, fake_sleep, &t);
    int before = s_request_count();
    assert_int_equal(cw_telegram_send(tg, "Build <b>broke</b> & \"more\""), 0);
    fake_body_t body;
    assert_int_equal(s_http("GET", "/_messages", &body), 200);
    /* the fake records the decoded JSON: the text arrives HTML-escaped */
    assert_non_null(strstr(body.data, "Build &lt;b&gt;broke&lt;/b&gt; &amp; \\\"more\\\""));
    assert_non_null(strstr(body.data, "\"parse_mode\":\"HTML\""));
    assert_non_null(strstr(body.data, "\"chat_id\":\"-100777\""));
    assert_non_null(strstr(body.data, "\"token\":\"" TOKEN "\""));
    /* the same text within 300 s is suppressed without a request */
    t.now += 299 * 1000;
    assert_int_equal(cw_telegram_send(tg, "Build <b>broke</b> & \"more\""), 1);
    assert_int_equal(s_request_count(), before + 1);
    /* after the window it goes out again */
    t.now += 2000;
    assert_int_equal(cw_telegram_send(tg, "Build <b>broke</b> & \"more\""), 0);
    assert_int_equal(s_request_count(), before + 2);
    cw_telegram_destroy(&tg);
    assert_null(tg);
}

static void test_429_retry_after_honoured(void **state)
{
    (void)state;
    fake_time_t t = {.now = 5000};
    cw_telegram_t *tg = cw_telegram_new(s_base, TOKEN, CHAT);
    cw_telegram_set_clock(tg, fake_now, fake_sleep, &t);
    assert_int_equal(s_http("POST", "/_mode?fail_429_once=1", NULL), 200);
    int before = s_request_count();
    assert_int_equal(cw_telegram_send(tg, "after a 429"), 0);
    assert_int_equal(s_request_count(), before + 2);
    /* one wait: the 1 s the answer asked for */
    assert_int_equal(t.sleeps, 1);
    assert_int_equal(t.sleep_log[0], 1000);
    fake_body_t body;
    s_http("GET", "/_messages", &body);
    assert_non_null(strstr(body.data, "after a 429"));
    cw_telegram_destroy(&tg);
}

static void test_rate_limit_bursts_of_three(void **state)
{
    (void)state;
    fake_time_t t = {.now = 0};
    cw_telegram_t *tg = cw_telegram_new(s_base, TOKEN, CHAT);
    cw_telegram_set_clock(tg, fake_now, fake_sleep, &t);
    for (int i = 0; i < 5; i++) {
        char text[32];
        snprintf(text, sizeof(text), "burst %d", i);
        assert_int_equal(cw_telegram_send(tg, text), 0);
    }
    /* three at once, then one per second */
    assert_int_equal(t.sleeps, 2);
    assert_int_equal(t.sleep_log[0], 1000);
    assert_int_equal(t.sleep_log[1], 1000);
    cw_telegram_destroy(&tg);
}

static void test_dead_server_three_attempts(void **state)
{
    (void)state;
    fake_time_t t = {.now = 0};
    /* port 1 on loopback: connection refused */
    cw_telegram_t *tg = cw_telegram_new("http://127.0.0.1:1/", TOKEN, CHAT);
    cw_telegram_set_clock(tg, fake_now, fake_sleep, &t);
    cw_telegram_set_timeout(tg, 2000);
    assert_int_equal(cw_telegram_send(tg, "nobody listens"), -1);
    /* waits between attempts only: 3 attempts -> 2 waits */
    assert_int_equal(t.sleeps, 2);
    cw_telegram_destroy(&tg);
}

static void test_token_never_logged(void **state)
{
    (void)state;
    /* every test above logged (sent, failed, suppressed) lines */
    assert_true(s_log_lines > 0);
    assert_int_equal(s_token_leaks, 0);
}

int main(void)
{
    cw_log_set_format(1);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_send_format_and_dedup),
        cmocka_unit_test(test_429_retry_after_honoured),
        cmocka_unit_test(test_rate_limit_bursts_of_three),
        cmocka_unit_test(test_dead_server_three_attempts),
        cmocka_unit_test(test_token_never_logged),
    };
    int rc = cmocka_run_group_tests(tests, s_setup, s_teardown);
    curl_global_cleanup();
    return rc;
}
