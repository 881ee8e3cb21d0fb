/*  test_dash_server — codeworm-dashboard's HTTP server on a real socket: the page, the
    JSON API, read-only and loopback-host rules, DevLog documents without traversal, and the
    live feed (server-sent events) with resume and a bounded number of streams. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cw_config.h"
#include "cw_dashboard.h"
#include "cw_log.h"
#include "cw_value.h"

#define S_WAIT_MS 30000 /* only against a hang: every answer comes much sooner */

static char s_tmp[64];
static int s_port_base;
static cw_config_t *s_config;
static cw_dashboard_t *s_dash;

static int s_setup(void **state)
{
    (void)state;
    const char *base = getenv("CW_PORT_BASE");
    s_port_base = base ? atoi(base) : 23000;
    snprintf(s_tmp, sizeof s_tmp, "/tmp/cw-test-dashsrv-XXXXXX");
    assert_non_null(mkdtemp(s_tmp));
    char text[256], err[256];
    s_config = cw_config_new_defaults();
    snprintf(text, sizeof text, "%s/data", s_tmp);
    assert_int_equal(cw_config_set(s_config, "data_dir", text, err, sizeof err), 0);
    snprintf(text, sizeof text, "%s/devlog", s_tmp);
    assert_int_equal(cw_config_set(s_config, "devlog.repo_path", text, err, sizeof err), 0);
    const char *keys[] = {"bus.broker", "bus.events_in", "bus.events_out"};
    for (int i = 0; i < 3; i++) { /* nothing listens there: the bus is simply absent */
        snprintf(text, sizeof text, "tcp://127.0.0.1:%d", s_port_base + 1 + i);
        assert_int_equal(cw_config_set(s_config, keys[i], text, err, sizeof err), 0);
    }
    snprintf(text, sizeof text, "%d", s_port_base);
    assert_int_equal(cw_config_set(s_config, "dashboard.port", text, err, sizeof err), 0);
    /* the default host is loopback */
    assert_string_equal(s_config->dashboard.host, "127.0.0.1");
    s_dash = cw_dashboard_new(s_config, err, sizeof err);
    if (!s_dash)
        fail_msg("dashboard did not start: %s", err);
    assert_int_equal(cw_dashboard_port(s_dash), s_port_base);
    /* a DevLog document, and a file outside the DevLog */
    snprintf(text, sizeof text, "mkdir -p '%s/devlog/snippets/python'", s_tmp);
    assert_int_equal(system(text), 0);
    snprintf(text, sizeof text, "%s/devlog/snippets/python/a.md", s_tmp);
    FILE *f = fopen(text, "w");
    fputs("# a\n<img src=x onerror=alert(1)>\n", f);
    fclose(f);
    snprintf(text, sizeof text, "%s/secret.md", s_tmp);
    f = fopen(text, "w");
    fputs("top secret\n", f);
    fclose(f);
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    cw_dashboard_destroy(&s_dash);
    cw_config_destroy(&s_config);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_tmp);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static int s_connect(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s_port_base)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

static void s_send_all(int fd, const char *text)
{
    size_t n = strlen(text), off = 0;
    while (off < n) {
        ssize_t w = send(fd, text + off, n - off, MSG_NOSIGNAL);
        assert_true(w > 0);
        off += (size_t)w;
    }
}

/* Read into buf until `until` appears (NULL: until the peer closes). */
static size_t s_read_until(int fd, char *buf, size_t cap, size_t have, const char *until)
{
    while (have + 1 < cap) {
        buf[have] = '\0';
        if (until && strstr(buf, until))
            break;
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, S_WAIT_MS) != 1)
            fail_msg("no answer; so far: %s", buf);
        ssize_t r = recv(fd, buf + have, cap - have - 1, 0);
        if (r <= 0)
            break;
        have += (size_t)r;
    }
    buf[have] = '\0';
    return have;
}

/* One request (Connection: close); the whole answer into buf; returns the status. */
static int s_request(const char *method, const char *path, const char *extra, char *buf, size_t cap)
{
    int fd = s_connect();
    char req[1024];
    snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%sConnection: close\r\n\r\n",
             method, path, s_port_base, extra ? extra : "");
    s_send_all(fd, req);
    s_read_until(fd, buf, cap, 0, NULL);
    close(fd);
    int status = 0;
    if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
        fail_msg("not an HTTP answer: %s", buf);
    return status;
}

static char s_buf[256 * 1024];

static void test_page_and_api(void **state)
{
    (void)state;
    assert_int_equal(s_request("GET", "/", NULL, s_buf, sizeof s_buf), 200);
    assert_non_null(strstr(s_buf, "Content-Type: text/html; charset=utf-8"));
    assert_non_null(strstr(s_buf, "Content-Security-Policy: default-src 'none'"));
    assert_non_null(strstr(s_buf, "<title>CodeWorm</title>"));
    assert_non_null(strstr(s_buf, "new EventSource(\"/api/events\")"));
    /* nothing from elsewhere (no CDN) */
    const char *remote[] = {"src=\"http", "href=\"http", "src=\"//",
                            "href=\"//",  "@import",     "url("};
    for (size_t i = 0; i < sizeof remote / sizeof remote[0]; i++)
        if (strstr(s_buf, remote[i]))
            fail_msg("the page loads something from elsewhere: %s", remote[i]);

    assert_int_equal(s_request("GET", "/api/stats", NULL, s_buf, sizeof s_buf), 200);
    assert_non_null(strstr(s_buf, "Content-Type: application/json"));
    assert_non_null(strstr(s_buf, "\"total_documented\":0"));
    assert_int_equal(s_request("HEAD", "/api/stats", NULL, s_buf, sizeof s_buf), 200);
    assert_null(strstr(s_buf, "total_documented"));
    assert_int_equal(s_request("GET", "/api/recent?limit=500", NULL, s_buf, sizeof s_buf), 422);
    assert_int_equal(s_request("GET", "/api/health", NULL, s_buf, sizeof s_buf), 200);
    assert_non_null(strstr(s_buf, "\"status\":\"down\""));
    assert_int_equal(s_request("GET", "/health", NULL, s_buf, sizeof s_buf), 200);
    assert_int_equal(s_request("GET", "/nothing", NULL, s_buf, sizeof s_buf), 404);
    /* the ledger was not created by reading it */
    char db[128];
    snprintf(db, sizeof db, "%s/data/codeworm.db", s_tmp);
    assert_int_not_equal(access(db, F_OK), 0);
}

static void test_read_only_and_host(void **state)
{
    (void)state;
    const char *methods[] = {"POST", "PUT", "DELETE", "PATCH"};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(
            s_request(methods[i], "/api/stats", "Content-Length: 0\r\n", s_buf, sizeof s_buf), 405);
        assert_non_null(strstr(s_buf, "Allow: GET, HEAD"));
    }
    /* bound to loopback: a request for another host name (DNS rebinding) is refused */
    int fd = s_connect();
    s_send_all(fd,
               "GET /api/stats HTTP/1.1\r\nHost: evil.example:8420\r\nConnection: close\r\n\r\n");
    s_read_until(fd, s_buf, sizeof s_buf, 0, NULL);
    close(fd);
    assert_non_null(strstr(s_buf, "HTTP/1.1 403"));
    const char *hosts[] = {"localhost:1", "127.0.0.1", "[::1]:8420", "127.1.2.3:80"};
    for (size_t i = 0; i < 4; i++) {
        char req[256];
        snprintf(req, sizeof req, "GET /health HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n",
                 hosts[i]);
        fd = s_connect();
        s_send_all(fd, req);
        s_read_until(fd, s_buf, sizeof s_buf, 0, NULL);
        close(fd);
        if (!strstr(s_buf, "HTTP/1.1 200"))
            fail_msg("Host %s: %s", hosts[i], s_buf);
    }
}

static void test_devlog_documents(void **state)
{
    (void)state;
    assert_int_equal(s_request("GET", "/devlog/snippets/python/a.md", NULL, s_buf, sizeof s_buf),
                     200);
    assert_non_null(strstr(s_buf, "&lt;img src=x onerror=alert(1)&gt;"));
    assert_null(strstr(s_buf, "<img"));
    assert_int_equal(
        s_request("GET", "/devlog/snippets/python/a.md?raw=1", NULL, s_buf, sizeof s_buf), 200);
    assert_non_null(strstr(s_buf, "Content-Type: text/plain; charset=utf-8"));
    assert_non_null(strstr(s_buf, "<img src=x onerror=alert(1)>"));
    const char *refused[] = {"/devlog/../secret.md", "/devlog/%2e%2e/secret.md",
                             "/devlog/snippets/../../secret.md", "/devlog/%2Fetc%2Fpasswd",
                             "/devlog/.git/config"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        int status = s_request("GET", refused[i], NULL, s_buf, sizeof s_buf);
        if (status != 403 && status != 404)
            fail_msg("%s: %d", refused[i], status);
        assert_null(strstr(s_buf, "top secret"));
    }
    assert_int_equal(s_request("GET", "/devlog/snippets/python/none.md", NULL, s_buf, sizeof s_buf),
                     404);
}

static void s_push_log(const char *message)
{
    cw_value_t *ev = cw_value_new_map();
    cw_map_set_int(ev, "v", 1);
    cw_map_set_str(ev, "type", "log");
    cw_map_set_str(ev, "service", "test");
    cw_map_set_str(ev, "timestamp", "2026-01-01T00:00:00.000Z");
    cw_map_set_str(ev, "level", "info");
    cw_map_set_str(ev, "message", message);
    assert_true(cw_dash_state_push(cw_dashboard_state(s_dash), ev) > 0);
    cw_value_destroy(&ev);
}

static int s_open_stream(const char *extra)
{
    int fd = s_connect();
    char req[512];
    snprintf(req, sizeof req, "GET /api/events HTTP/1.1\r\nHost: localhost\r\n%s\r\n",
             extra ? extra : "");
    s_send_all(fd, req);
    return fd;
}

static void test_live_events(void **state)
{
    (void)state;
    s_push_log("before anyone listened");
    int fd = s_open_stream(NULL);
    size_t n = s_read_until(fd, s_buf, sizeof s_buf, 0, "before anyone listened");
    assert_non_null(strstr(s_buf, "HTTP/1.1 200"));
    assert_non_null(strstr(s_buf, "Content-Type: text/event-stream"));
    assert_non_null(strstr(s_buf, "retry: 3000"));
    assert_non_null(strstr(s_buf, "id: 1\n"));
    /* a live one arrives on the open stream */
    s_push_log("live marker 42");
    s_read_until(fd, s_buf, sizeof s_buf, n, "live marker 42");
    assert_non_null(strstr(s_buf, "id: 2\ndata: {"));
    close(fd);

    /* Last-Event-ID resumes after the event it names */
    s_push_log("third");
    fd = s_open_stream("Last-Event-ID: 2\r\n");
    s_read_until(fd, s_buf, sizeof s_buf, 0, "third");
    assert_null(strstr(s_buf, "live marker 42"));
    assert_non_null(strstr(s_buf, "id: 3\n"));
    close(fd);
}

static void test_stream_limit(void **state)
{
    (void)state;
    s_push_log("hello");
    int fds[CW_DASH_MAX_STREAMS];
    for (int i = 0; i < CW_DASH_MAX_STREAMS; i++) {
        fds[i] = s_open_stream(NULL);
        s_read_until(fds[i], s_buf, sizeof s_buf, 0, "hello"); /* it is being served */
    }
    int extra = s_open_stream(NULL);
    s_read_until(extra, s_buf, sizeof s_buf, 0, "\r\n\r\n");
    assert_non_null(strstr(s_buf, "HTTP/1.1 503"));
    close(extra);
    /* the page still answers while the streams are open */
    assert_int_equal(s_request("GET", "/api/status", NULL, s_buf, sizeof s_buf), 200);
    for (int i = 0; i < CW_DASH_MAX_STREAMS; i++)
        close(fds[i]);
    /* a browser that went away gives its slot back (soon: the server checks every second) */
    for (int waited = 0; cw_dash_state_readers(cw_dashboard_state(s_dash)) > 0; waited += 50) {
        if (waited > S_WAIT_MS)
            fail_msg("closed live feeds still hold %zu slots",
                     cw_dash_state_readers(cw_dashboard_state(s_dash)));
        usleep(50 * 1000);
    }
    /* the teardown stops the server with... open streams of its own: */
    for (int i = 0; i < 3; i++)
        fds[i] = s_open_stream(NULL);
    for (int i = 0; i < 3; i++) {
        s_read_until(fds[i], s_buf, sizeof s_buf, 0, "hello");
        assert_non_null(strstr(s_buf, "HTTP/1.1 200"));
    }
    cw_dashboard_destroy(&s_dash); /* returns although three live feeds are open */
    for (int i = 0; i < 3; i++)
        close(fds[i]);
}

static void test_port_taken(void **state)
{
    (void)state;
    char err[256] = "";
    assert_null(cw_dashboard_new(s_config, err, sizeof err));
    assert_non_null(strstr(err, "cannot listen on 127.0.0.1:"));
    assert_non_null(strstr(err, "in use"));
}

int main(void)
{
    cw_log_init("test");
    cw_log_set_level(CW_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_page_and_api, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_read_only_and_host, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_devlog_documents, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_live_events, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_stream_limit, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_port_taken, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
