/*  test_generator_stall — issue 10: an LLM answer that stops mid-stream (HTTP 200, half
    the NDJSON, then silence) ends the attempt after ollama.stall_seconds instead of the
    600 s overall timeout, for Ollama and OpenAI-compatible servers; and a generation whose
    client stopped waiting (the request's timeout_ms passed) is cancelled and its
    connection closed. Against tests/fakes/fake_ollama.py in "hang" mode.              */
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
#include <time.h>
#include <unistd.h>

#include "cw_config.h"
#include "cw_generator.h"
#include "cw_http.h"
#include "cw_json.h"
#include "cw_proto.h"
#include "cw_value.h"

static pid_t s_pid;
static int s_port;

static int setup(void **state)
{
    (void)state;
    setenv("CW_TEST_FAST", "1", 1);
    const char *src = getenv("CW_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof(path), "%s/tests/fakes/fake_ollama.py", src ? src : ".");
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    s_pid = fork();
    if (s_pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execl("/usr/bin/python3", "python3", path, "--port", "0", "--mode", "normal", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    FILE *in = fdopen(fds[0], "r");
    char line[64] = "";
    int ok = in && fgets(line, sizeof(line), in) && sscanf(line, "PORT %d", &s_port) == 1;
    if (in)
        fclose(in);
    return ok ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    if (s_pid > 0) {
        kill(s_pid, SIGTERM);
        waitpid(s_pid, NULL, 0);
    }
    return 0;
}

/* POST or GET on the fake; the JSON answer (caller destroys). */
static cw_value_t *s_fake(const char *path, const char *body)
{
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", s_port, path);
    cw_http_response_t r;
    const char *hdr[] = {"Content-Type: application/json", NULL};
    int rc = body ? cw_http_post(url, hdr, body, NULL, &r) : cw_http_get(url, NULL, NULL, &r);
    assert_int_equal(rc, 0);
    cw_value_t *j = cw_json_parse(r.body, r.body_len, NULL, 0);
    cw_http_response_clear(&r);
    assert_non_null(j);
    return j;
}

static void s_mode(const char *mode, int hang_count)
{
    char body[128];
    snprintf(body, sizeof(body), "{\"mode\": \"%s\", \"hang_count\": %d}", mode, hang_count);
    cw_value_t *j = s_fake("/_control", body);
    cw_value_destroy(&j);
}

static int s_hangs(const char *which)
{
    cw_value_t *j = s_fake("/_hangs", NULL);
    int n = (int)cw_map_float(j, which, -1);
    cw_value_destroy(&j);
    return n;
}

static cw_generator_t *s_generator(const char *backend, const char *stall)
{
    cw_config_t *c = cw_config_new_defaults();
    char err[256], port[16], url[128];
    snprintf(port, sizeof(port), "%d", s_port);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1", s_port);
    assert_int_equal(cw_config_set(c, "llm.backend", backend, err, sizeof(err)), 0);
    assert_int_equal(cw_config_set(c, "ollama.host", "127.0.0.1", err, sizeof(err)), 0);
    assert_int_equal(cw_config_set(c, "ollama.port", port, err, sizeof(err)), 0);
    assert_int_equal(cw_config_set(c, "openai.base_url", url, err, sizeof(err)), 0);
    assert_int_equal(cw_config_set(c, "ollama.stall_seconds", stall, err, sizeof(err)), 0);
    cw_generator_t *g = cw_generator_new(c);
    cw_config_destroy(&c);
    assert_non_null(g);
    return g;
}

static cw_value_t *s_request(int64_t timeout_ms)
{
    cw_value_t *t = cw_value_new_map();
    cw_map_set_str(t, "doc_type", "function_doc");
    cw_map_set_str(t, "repo", "inventory");
    cw_map_set_str(t, "file", "inventory/stock.py");
    cw_map_set_str(t, "language", "python");
    cw_map_set_str(t, "name", "levels");
    cw_map_set_int(t, "start_line", 1);
    cw_map_set_int(t, "end_line", 12);
    cw_map_set_float(t, "complexity", 3.0);
    cw_map_set_float(t, "score", 40.0);
    cw_map_set_str(t, "source", "def levels(self):\n    return self._levels\n");
    cw_map_set_str(t, "code_hash", "abc");
    cw_value_t *r = cw_proto_new(CW_MSG_GENERATE_REQUEST);
    cw_map_set_str(r, "job_id", "job-stall");
    cw_map_set(r, "target", t);
    if (timeout_ms > 0)
        cw_map_set_int(r, "timeout_ms", timeout_ms);
    char err[256];
    if (cw_proto_validate(r, err, sizeof(err)) != 0)
        fail_msg("request invalid: %s", err);
    return r;
}

static void s_expect_error(const cw_value_t *reply, const char *code, const char *words)
{
    char *j = cw_json_encode(reply);
    if (strcmp(cw_proto_type(reply), CW_MSG_ERROR) != 0 ||
        strcmp(cw_map_str(reply, "code", ""), code) != 0 ||
        !strstr(cw_map_str(reply, "message", ""), words))
        fail_msg("expected error %s mentioning \"%s\", got %s", code, words, j);
    assert_true(cw_map_bool(reply, "retryable", false));
    free(j);
}

/* ---------------------------------------------------------------- tests */

static void test_ollama_stream_stall_ends_attempt(void **state)
{
    (void)state;
    s_mode("hang", 0); /* every generation hangs */
    cw_generator_t *g = s_generator("ollama", "1");
    cw_value_t *req = s_request(0);
    cw_value_t *reply = cw_generator_handle(g, req);
    /* each of the 3 attempts stalled after 1 s: "unavailable", retryable, saying why */
    s_expect_error(reply, CW_ERR_UNAVAILABLE, "stalled");
    assert_int_equal(s_hangs("total"), 3);
    cw_value_destroy(&reply);
    /* the stalled connections were closed by the generator */
    for (int i = 0; i < 50 && s_hangs("active") > 0; i++)
        usleep(100 * 1000);
    assert_int_equal(s_hangs("active"), 0);

    /* a stream that hangs once: the next attempt answers, the job succeeds */
    s_mode("hang", 1);
    reply = cw_generator_handle(g, req);
    assert_string_equal(cw_proto_type(reply), CW_MSG_GENERATE_REPLY);
    assert_non_null(strstr(cw_map_str(reply, "documentation", ""), "levels"));
    cw_value_destroy(&reply);
    cw_value_destroy(&req);
    cw_generator_destroy(&g);
    s_mode("normal", 0);
}

static void test_openai_stall_ends_attempt(void **state)
{
    (void)state;
    s_mode("hang", 1);
    cw_generator_t *g = s_generator("openai", "1");
    cw_value_t *req = s_request(0);
    cw_value_t *reply = cw_generator_handle(g, req);
    /* the first answer stalled half-way through its body; the retry succeeds */
    assert_string_equal(cw_proto_type(reply), CW_MSG_GENERATE_REPLY);
    assert_int_equal(s_hangs("total"), 1);
    cw_value_destroy(&reply);
    cw_value_destroy(&req);
    cw_generator_destroy(&g);
    s_mode("normal", 0);
}

static void test_abandoned_job_is_cancelled(void **state)
{
    (void)state;
    s_mode("hang", 0);
    /* the stall limit is far away: only the client's deadline can end this call */
    cw_generator_t *g = s_generator("ollama", "3600");
    cw_value_t *req = s_request(1500);
    cw_value_t *reply = cw_generator_handle(g, req);
    s_expect_error(reply, CW_ERR_UNAVAILABLE, "abandoned");
    cw_value_destroy(&reply);
    for (int i = 0; i < 50 && s_hangs("active") > 0; i++)
        usleep(100 * 1000);
    assert_int_equal(s_hangs("active"), 0);

    /* a deadline that is far away does not get in the way */
    s_mode("normal", 0);
    cw_value_destroy(&req);
    req = s_request(600000);
    reply = cw_generator_handle(g, req);
    assert_string_equal(cw_proto_type(reply), CW_MSG_GENERATE_REPLY);
    cw_value_destroy(&reply);
    cw_value_destroy(&req);
    cw_generator_destroy(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ollama_stream_stall_ends_attempt),
        cmocka_unit_test(test_openai_stall_ends_attempt),
        cmocka_unit_test(test_abandoned_job_is_cancelled),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
