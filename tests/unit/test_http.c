/*  test_http — common/cw_http against a small Python http.server started here (its
    script is inline below): a POST's body and headers arrive, status and body come back,
    the answer limit is enforced, streamed lines are reassembled across chunks, Retry-After
    is read, redirects are not followed, a refused connection and a timeout give clear
    errors, and no error ever shows the secret part of a URL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cw_http.h"
#include "cw_json.h"

/* ---------------------------------------------------------------- the server */
static const char s_script[] =
    "import http.server, json, time\n"
    "class H(http.server.BaseHTTPRequestHandler):\n"
    "    protocol_version = 'HTTP/1.0'\n"
    "    def log_message(self, *a):\n"
    "        pass\n"
    "    def send(self, code, data, ctype='application/json', extra=()):\n"
    "        self.send_response(code)\n"
    "        self.send_header('Content-Type', ctype)\n"
    "        self.send_header('Content-Length', str(len(data)))\n"
    "        for k, v in extra:\n"
    "            self.send_header(k, v)\n"
    "        self.end_headers()\n"
    "        self.wfile.write(data)\n"
    "    def echo(self, body):\n"
    "        h = self.headers\n"
    "        self.send(201, json.dumps({'method': self.command, 'path': self.path,\n"
    "                                   'body': body, 'x_test': h.get('X-Test', ''),\n"
    "                                   'ctype': h.get('Content-Type', ''),\n"
    "                                   'expect': h.get('Expect', '')}).encode())\n"
    "    def do_POST(self):\n"
    "        n = int(self.headers.get('Content-Length') or 0)\n"
    "        self.echo(self.rfile.read(n).decode('utf-8', 'replace'))\n"
    "    def do_GET(self):\n"
    "        p = self.path\n"
    "        if p == '/echo':\n"
    "            return self.echo('')\n"
    "        if p == '/teapot':\n"
    "            return self.send(418, b'short and stout', 'text/plain')\n"
    "        if p == '/big':\n"
    "            return self.send(200, b'x' * 300000, 'text/plain')\n"
    "        if p == '/retry':\n"
    "            return self.send(429, b'{}', extra=[('Retry-After', '7')])\n"
    "        if p == '/retrydate':\n"
    "            return self.send(503, b'{}', extra=[('Retry-After',\n"
    "                                                 'Wed, 21 Oct 2015 07:28:00 GMT')])\n"
    "        if p == '/redirect':\n"
    "            return self.send(302, b'', extra=[('Location', '/echo')])\n"
    "        if p == '/slow':\n"
    "            time.sleep(20)\n"
    "            return self.send(200, b'late')\n"
    "        self.send_response(200)\n"
    "        self.send_header('Content-Type', 'application/x-ndjson')\n"
    "        self.end_headers()\n"
    "        self.wfile.flush()\n"
    "        pause = 0\n"
    "        if p == '/lines':\n"
    "            parts, pause = [b'alpha\\nbe', b'ta\\n\\ngam', b'ma\\r\\nomega'], 0.05\n"
    "        elif p == '/longline':\n"
    "            parts = [b'y' * 5000]\n"
    "        elif p == '/unbounded':\n"
    "            parts = [b'z' * 999 + b'\\n'] * 300\n"
    "        elif p == '/abort':\n"
    "            parts = [b'1\\n2\\n3\\n']\n"
    "        else:\n"
    "            parts = []\n"
    "        for part in parts:\n"
    "            self.wfile.write(part)\n"
    "            self.wfile.flush()\n"
    "            time.sleep(pause)\n"
    "s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)\n"
    "s.daemon_threads = True\n"
    "print('PORT %d' % s.server_address[1], flush=True)\n"
    "s.serve_forever()\n";

static pid_t s_pid = 0;
static int s_port = 0;

static int s_setup(void **state)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    s_pid = fork();
    if (s_pid < 0)
        return -1;
    if (s_pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execl("/usr/bin/python3", "python3", "-c", s_script, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    FILE *in = fdopen(fds[0], "r");
    char line[64] = "";
    if (!in || !fgets(line, sizeof(line), in) || sscanf(line, "PORT %d", &s_port) != 1) {
        fprintf(stderr, "the test HTTP server did not start\n");
        if (in)
            fclose(in);
        return -1;
    }
    fclose(in);
    return 0;
}

static int s_teardown(void **state)
{
    if (s_pid > 0) {
        kill(s_pid, SIGTERM);
        waitpid(s_pid, NULL, 0);
        s_pid = 0;
    }
    return 0;
}

static const char *s_url(const char *path)
{
    static char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", s_port, path);
    return url;
}

/* ---------------------------------------------------------------- line collector */
typedef struct {
    char lines[8][64];
    int count;
    int stop_at; /* return nonzero on this line (1-based), 0 = never */
} lines_t;

static int s_on_line(const char *line, size_t len, void *arg)
{
    lines_t *l = arg;
    assert_int_equal(strlen(line), len); /* NUL-terminated at len */
    if (l->count < 8)
        snprintf(l->lines[l->count], sizeof(l->lines[0]), "%s", line);
    l->count++;
    return l->stop_at && l->count == l->stop_at;
}

/* ---------------------------------------------------------------- tests */
static void test_post_body_and_headers_arrive(void **state)
{
    const char *headers[] = {"Content-Type: application/json", "X-Test: hello", NULL};
    const char *body = "{\"k\":\"v \xC3\xA9\"}";
    cw_http_response_t resp;
    assert_int_equal(cw_http_post(s_url("/echo"), headers, body, NULL, &resp), 0);
    assert_int_equal(resp.status, 201);
    assert_non_null(resp.body);
    assert_int_equal(strlen(resp.body), resp.body_len);
    assert_int_equal(resp.retry_after_s, -1);
    assert_false(resp.transport_error);
    char err[128];
    cw_value_t *j = cw_json_parse(resp.body, resp.body_len, err, sizeof(err));
    assert_non_null(j);
    assert_string_equal(cw_map_str(j, "method", ""), "POST");
    assert_string_equal(cw_map_str(j, "body", ""), body);
    assert_string_equal(cw_map_str(j, "x_test", ""), "hello");
    assert_string_equal(cw_map_str(j, "ctype", ""), "application/json");
    assert_string_equal(cw_map_str(j, "expect", "?"), ""); /* no 100-continue dance */
    cw_value_destroy(&j);
    cw_http_response_clear(&resp);
    assert_null(resp.body);
    cw_http_response_clear(&resp); /* idempotent */

    /* GET reaches the same handler as a GET */
    assert_int_equal(cw_http_get(s_url("/echo"), NULL, NULL, &resp), 0);
    assert_int_equal(resp.status, 201);
    assert_non_null(strstr(resp.body, "\"method\": \"GET\""));
    cw_http_response_clear(&resp);
}

static void test_status_and_body_returned(void **state)
{
    cw_http_response_t resp;
    assert_int_equal(cw_http_get(s_url("/teapot"), NULL, NULL, &resp), 0);
    assert_int_equal(resp.status, 418);
    assert_string_equal(resp.body, "short and stout");
    assert_int_equal(resp.body_len, 15);
    assert_string_equal(resp.error, "");
    cw_http_response_clear(&resp);

    /* a redirect is returned, not followed */
    assert_int_equal(cw_http_get(s_url("/redirect"), NULL, NULL, &resp), 0);
    assert_int_equal(resp.status, 302);
    cw_http_response_clear(&resp);
}

static void test_max_response_enforced(void **state)
{
    cw_http_options_t opts = {.max_response = 1000};
    cw_http_response_t resp;
    /* announced by Content-Length */
    assert_int_equal(cw_http_get(s_url("/big"), NULL, &opts, &resp), -1);
    assert_true(resp.overflow);
    assert_false(resp.transport_error);
    assert_int_equal(resp.status, 200);
    assert_true(resp.body_len <= 1000);
    assert_non_null(strstr(resp.error, "larger than 1000"));
    cw_http_response_clear(&resp);
    /* not announced: the body just keeps coming */
    opts.max_response = 10000;
    assert_int_equal(cw_http_get(s_url("/unbounded"), NULL, &opts, &resp), -1);
    assert_true(resp.overflow);
    assert_true(resp.body_len <= 10000);
    assert_non_null(strstr(resp.error, "larger than 10000"));
    cw_http_response_clear(&resp);
    /* the same limit applies to a streamed answer */
    lines_t l = {0};
    cw_http_options_t sopts = {.max_response = 5000, .on_line = s_on_line, .line_arg = &l};
    assert_int_equal(cw_http_get(s_url("/unbounded"), NULL, &sopts, &resp), -1);
    assert_true(resp.overflow);
    assert_true(l.count <= 5);
    assert_null(resp.body);
    cw_http_response_clear(&resp);
    /* within the limit all is well */
    opts.max_response = 300000;
    assert_int_equal(cw_http_get(s_url("/big"), NULL, &opts, &resp), 0);
    assert_int_equal(resp.body_len, 300000);
    cw_http_response_clear(&resp);
}

static void test_streamed_lines_split_across_chunks(void **state)
{
    lines_t l = {0};
    cw_http_options_t opts = {.on_line = s_on_line, .line_arg = &l};
    cw_http_response_t resp;
    assert_int_equal(cw_http_get(s_url("/lines"), NULL, &opts, &resp), 0);
    assert_int_equal(resp.status, 200);
    assert_null(resp.body); /* handed over, not kept */
    /* "alpha\nbe" "ta\n\ngam" "ma\r\nomega": the last line has no newline */
    assert_int_equal(l.count, 5);
    assert_string_equal(l.lines[0], "alpha");
    assert_string_equal(l.lines[1], "beta");
    assert_string_equal(l.lines[2], "");
    assert_string_equal(l.lines[3], "gamma");
    assert_string_equal(l.lines[4], "omega");
    cw_http_response_clear(&resp);

    /* a line longer than max_line stops the transfer */
    lines_t l2 = {0};
    cw_http_options_t lopts = {.on_line = s_on_line, .line_arg = &l2, .max_line = 1000};
    assert_int_equal(cw_http_get(s_url("/longline"), NULL, &lopts, &resp), -1);
    assert_true(resp.overflow);
    assert_int_equal(l2.count, 0);
    assert_non_null(strstr(resp.error, "line longer than 1000"));
    cw_http_response_clear(&resp);

    /* the callback can stop the transfer */
    lines_t l3 = {.stop_at = 2};
    cw_http_options_t aopts = {.on_line = s_on_line, .line_arg = &l3};
    assert_int_equal(cw_http_get(s_url("/abort"), NULL, &aopts, &resp), -1);
    assert_true(resp.aborted);
    assert_false(resp.transport_error);
    assert_int_equal(l3.count, 2);
    assert_true(strlen(resp.error) > 0);
    cw_http_response_clear(&resp);
}

static void test_retry_after(void **state)
{
    cw_http_response_t resp;
    assert_int_equal(cw_http_get(s_url("/retry"), NULL, NULL, &resp), 0);
    assert_int_equal(resp.status, 429);
    assert_int_equal(resp.retry_after_s, 7);
    cw_http_response_clear(&resp);
    /* an HTTP date in the past means "now" */
    assert_int_equal(cw_http_get(s_url("/retrydate"), NULL, NULL, &resp), 0);
    assert_int_equal(resp.status, 503);
    assert_int_equal(resp.retry_after_s, 0);
    cw_http_response_clear(&resp);
}

static void test_connection_refused(void **state)
{
    cw_http_response_t resp;
    const char *url = "http://127.0.0.1:1/bot123456:SECRET-token/sendMessage?key=SECRETKEY";
    assert_int_equal(cw_http_post(url, NULL, "{}", NULL, &resp), -1);
    assert_int_equal(resp.status, 0);
    assert_true(resp.transport_error);
    assert_false(resp.timed_out);
    assert_non_null(strcasestr(resp.error, "connect"));
    assert_null(strstr(resp.error, "SECRET"));
    assert_null(strstr(resp.error, "/bot"));
    cw_http_response_clear(&resp);
}

static void test_timeout_honoured(void **state)
{
    cw_http_options_t opts = {.timeout_ms = 300, .connect_timeout_ms = 300};
    cw_http_response_t resp;
    assert_int_equal(cw_http_get(s_url("/slow"), NULL, &opts, &resp), -1);
    assert_true(resp.timed_out);
    assert_true(resp.transport_error);
    assert_int_equal(resp.status, 0);
    assert_non_null(strcasestr(resp.error, "timed out"));
    cw_http_response_clear(&resp);
    /* a raised stop flag ends the exchange early */
    volatile int stop = 1;
    cw_http_options_t sopts = {.timeout_ms = 15000, .stop = &stop};
    assert_int_equal(cw_http_get(s_url("/slow"), NULL, &sopts, &resp), -1);
    assert_true(resp.interrupted);
    assert_false(resp.transport_error);
    assert_string_equal(resp.error, "interrupted");
    cw_http_response_clear(&resp);
}

static void test_refusals_never_echo_secrets(void **state)
{
    const char *urls[] = {
        "ftp://127.0.0.1:1/bot123456:SECRET-token/sendMessage",
        "file:///etc/bot123456:SECRET-token",
        "http://user:SECRETPASS@127.0.0.1:1/x",
        "http://[::1/bot123456:SECRET-token/sendMessage",
        "http://no-such-host.invalid/bot123456:SECRET-token/sendMessage",
    };
    for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
        cw_http_response_t resp;
        cw_http_options_t opts = {.timeout_ms = 5000};
        assert_int_equal(cw_http_get(urls[i], NULL, &opts, &resp), -1);
        assert_int_equal(resp.status, 0);
        assert_true(strlen(resp.error) > 0);
        if (strstr(resp.error, "SECRET") || strstr(resp.error, "/bot"))
            fail_msg("error shows a secret: %s", resp.error);
        cw_http_response_clear(&resp);
    }
    /* a header with a line break is refused before anything is sent */
    const char *bad[] = {"X-Test: a\r\nX-Injected: b", NULL};
    cw_http_response_t resp;
    assert_int_equal(cw_http_post(s_url("/echo"), bad, "{}", NULL, &resp), -1);
    assert_int_equal(resp.status, 0);
    assert_null(strstr(resp.error, "X-Injected"));
    cw_http_response_clear(&resp);
    /* no URL at all */
    assert_int_equal(cw_http_get(NULL, NULL, NULL, &resp), -1);
    cw_http_response_clear(&resp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_post_body_and_headers_arrive),
        cmocka_unit_test(test_status_and_body_returned),
        cmocka_unit_test(test_max_response_enforced),
        cmocka_unit_test(test_streamed_lines_split_across_chunks),
        cmocka_unit_test(test_retry_after),
        cmocka_unit_test(test_connection_refused),
        cmocka_unit_test(test_timeout_honoured),
        cmocka_unit_test(test_refusals_never_echo_secrets),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
