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

#define TOKEN "123456:SECRET-token-do-not-log"
#define CHAT "-100777"

static pid_t s_fake_pid = 0;
static int s_fake_port = 0;
static char s_base[128];

/* ------------------------------------------------------------------ fake clock */
typedef struct {
    int64_t now;
    int64_t slept_total;
    int sleeps;
    int64_t sleep_log[16];
} fake_time_t;

static int64_t s_now(void *arg)
{
    return ((fake_time_t *)arg)->now;
}

static void s_sleep(int64_t ms, void *arg)
{
    fake_time_t *t = arg;
    if (t->sleeps < 16)
        t->sleep_log[t->sleeps] = ms;
    t->sleeps++;
    t->slept_total += ms;
    t->now += ms;
}

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

/* ------------------------------------------------------------------ http helpers */
typedef struct {
    char data[65536];
    size_t len;
} s_body_t;

static size_t s_collect(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    s_body_t *b = userdata;
    size_t n = size * nmemb;
    if (b->len + n >= sizeof(b->data))
        n = sizeof(b->data) - 1 - b->len;
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = '\0';
    return size * nmemb;
}

static long s_http(const char *method, const char *path, s_body_t *out)
{
    char url[256];
    snprintf(url, sizeof(url), "%s%s", s_base, path);
    CURL *curl = curl_easy_init();
    s_body_t dummy;
    if (!out)
        out = &dummy;
    out->len = 0;
    out->data[0] = '\0';
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, s_collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
    if (strcmp(method, "POST") == 0)
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
    long status = 0;
    if (curl_easy_perform(curl) == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(curl);
    return status;
}

static int s_request_count(void)
{
    s_body_t body;
    assert_int_equal(s_http("GET", "/_requests", &body), 200);
    const char *p = strstr(body.data, "\"requests\":");
    assert_non_null(p);
    return atoi(p + strlen("\"requests\":"));
}

/* ------------------------------------------------------------------ fixture */
static int s_setup(void **state)
{
    (void)state;
    const char *src = getenv("CW_SOURCE_DIR");
    char script[1024];
    snprintf(script, sizeof(script), "%s/tests/fakes/fake_telegram.py", src ? src : ".");
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    s_fake_pid = fork();
    if (s_fake_pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execl("/usr/bin/python3", "python3", script, "--port", "0", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    FILE *in = fdopen(fds[0], "r");
    char line[128] = "";
    if (!in || !fgets(line, sizeof(line), in) || sscanf(line, "PORT %d", &s_fake_port) != 1) {
        fprintf(stderr, "fake_telegram did not start (%s)\n", script);
        return -1;
    }
    fclose(in);
    snprintf(s_base, sizeof(s_base), "http://127.0.0.1:%d", s_fake_port);
    cw_log_set_hook(s_log_hook, NULL);
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    cw_log_set_hook(NULL, NULL);
    if (s_fake_pid > 0) {
        kill(s_fake_pid, SIGTERM);
        waitpid(s_fake_pid, NULL, 0);
    }
    return 0;
}

/* ------------------------------------------------------------------ tests */
static void test_send_format_and_dedup(void **state)
{
    (void)state;
    fake_time_t t = {.now = 1000};
    cw_telegram_t *tg = cw_telegram_new(s_base, TOKEN, CHAT);
    assert_non_null(tg);
    cw_telegram_set_clock(tg, s_now, s_sleep, &t);
    int before = s_request_count();
    assert_int_equal(cw_telegram_send(tg, "Build <b>broke</b> & \"more\""), 0);
    s_body_t body;
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
    cw_telegram_set_clock(tg, s_now, s_sleep, &t);
    assert_int_equal(s_http("POST", "/_mode?fail_429_once=1", NULL), 200);
    int before = s_request_count();
    assert_int_equal(cw_telegram_send(tg, "after a 429"), 0);
    assert_int_equal(s_request_count(), before + 2);
    /* one wait: the 1 s the answer asked for */
    assert_int_equal(t.sleeps, 1);
    assert_int_equal(t.sleep_log[0], 1000);
    s_body_t body;
    s_http("GET", "/_messages", &body);
    assert_non_null(strstr(body.data, "after a 429"));
    cw_telegram_destroy(&tg);
}

static void test_rate_limit_bursts_of_three(void **state)
{
    (void)state;
    fake_time_t t = {.now = 0};
    cw_telegram_t *tg = cw_telegram_new(s_base, TOKEN, CHAT);
    cw_telegram_set_clock(tg, s_now, s_sleep, &t);
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
    cw_telegram_set_clock(tg, s_now, s_sleep, &t);
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
