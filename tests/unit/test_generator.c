/*  test_generator — the generator library against the stand-in Ollama server
    (tests/fakes/fake_ollama.py, started here with --port 0): streaming, cleaning of a
    chatty model, retries when busy, out-of-memory recovery, a missing model, an error in
    the middle of a stream, a cut answer, the OpenAI-compatible backend, and an unreachable
    server (llm_unavailable, then llm_recovered when a server appears). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cw_clean.h"
#include "cw_config.h"
#include "cw_generator.h"
#include "cw_json.h"
#include "cw_proto.h"
#include "cw_value.h"

/* ---------------------------------------------------------------- the fake */
typedef struct {
    pid_t pid;
    int port;
} fake_t;

static int s_start_fake(fake_t *f, int port)
{
    const char *src = getenv("CW_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof(path), "%s/tests/fakes/fake_ollama.py", src ? src : ".");
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    char portstr[16];
    snprintf(portstr, sizeof(portstr), "%d", port);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execl("/usr/bin/python3", "python3", path, "--port", portstr, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    FILE *in = fdopen(fds[0], "r");
    char line[128] = "";
    int got = -1;
    if (in && fgets(line, sizeof(line), in) && sscanf(line, "PORT %d", &got) == 1) {
        f->pid = pid;
        f->port = got;
    }
    if (in)
        fclose(in);
    else
        close(fds[0]);
    if (got <= 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return -1;
    }
    return 0;
}

static void s_stop_fake(fake_t *f)
{
    if (f->pid > 0) {
        kill(f->pid, SIGTERM);
        waitpid(f->pid, NULL, 0);
        f->pid = 0;
    }
}

typedef struct {
    char *data;
    size_t len;
} buf_t;

static size_t s_collect(char *d, size_t s, size_t n, void *u)
{
    buf_t *b = u;
    char *nd = realloc(b->data, b->len + s * n + 1);
    if (!nd)
        return 0;
    b->data = nd;
    memcpy(b->data + b->len, d, s * n);
    b->len += s * n;
    b->data[b->len] = '\0';
    return s * n;
}

/* POST (body) or GET (NULL) to the fake; returns the body (caller frees). */
static char *s_http(int port, const char *path, const char *body)
{
    char url[256];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
    CURL *c = curl_easy_init();
    buf_t b = {NULL, 0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    if (body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK) {
        free(b.data);
        return NULL;
    }
    return b.data ? b.data : strdup("");
}

static void s_mode(int port, const char *mode)
{
    char body[128];
    snprintf(body, sizeof(body), "{\"mode\":\"%s\"}", mode);
    free(s_http(port, "/_control", body));
    free(s_http(port, "/_reset", "{}"));
}

static cw_value_t *s_requests(int port)
{
    char *text = s_http(port, "/_requests", NULL);
    assert_non_null(text);
    char err[128];
    cw_value_t *j = cw_json_parse(text, strlen(text), err, sizeof(err));
    free(text);
    assert_non_null(j);
    return j;
}

/* recorded POST /api/generate bodies with a non-empty prompt; commit = commit calls */
static size_t s_count_generate(const cw_value_t *reqs, bool commit)
{
    size_t n = 0;
    for (size_t i = 0; i < cw_value_size(reqs); i++) {
        const cw_value_t *r = cw_array_at(reqs, i);
        if (strcmp(cw_map_str(r, "path", ""), "/api/generate") != 0)
            continue;
        const char *prompt = cw_map_str(cw_map_get(r, "body"), "prompt", "");
        if (!*prompt)
            continue;
        if ((strstr(prompt, "commit message") != NULL) == commit)
            n++;
    }
    return n;
}

/* ---------------------------------------------------------------- events */
#define MAX_EVENTS 32
static char s_ev_name[MAX_EVENTS][64];
static cw_value_t *s_ev_fields[MAX_EVENTS];
static int s_ev_count;

static void s_on_event(const char *event, cw_value_t **fields, void *arg)
{
    if (s_ev_count < MAX_EVENTS) {
        snprintf(s_ev_name[s_ev_count], sizeof(s_ev_name[0]), "%s", event);
        s_ev_fields[s_ev_count] = *fields;
        *fields = NULL;
        s_ev_count++;
    } else
        cw_value_destroy(fields);
}

static void s_events_clear(void)
{
    for (int i = 0; i < s_ev_count; i++)
        cw_value_destroy(&s_ev_fields[i]);
    s_ev_count = 0;
}

/* ---------------------------------------------------------------- helpers */
static fake_t s_fake;

static cw_generator_t *s_generator(const char *backend, int port)
{
    cw_config_t *c = cw_config_new_defaults();
    char err[256], num[16];
    snprintf(num, sizeof(num), "%d", port);
    assert_int_equal(cw_config_set(c, "ollama.host", "127.0.0.1", err, sizeof(err)), 0);
    assert_int_equal(cw_config_set(c, "ollama.port", num, err, sizeof(err)), 0);
    if (backend) {
        assert_int_equal(cw_config_set(c, "llm.backend", backend, err, sizeof(err)), 0);
        char url[128];
        snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/", port);
        assert_int_equal(cw_config_set(c, "openai.base_url", url, err, sizeof(err)), 0);
        assert_int_equal(cw_config_set(c, "openai.api_key", "sk-test-secret", err, sizeof(err)), 0);
    }
    cw_generator_t *g = cw_generator_new(c);
    cw_config_destroy(&c);
    assert_non_null(g);
    cw_llm_set_wait_divisor(cw_generator_llm(g), 1000);
    cw_generator_set_event_hook(g, s_on_event, NULL);
    return g;
}

static cw_value_t *s_request(const char *job)
{
    cw_value_t *t = cw_value_new_map();
    cw_map_set_str(t, "doc_type", "function_doc");
    cw_map_set_str(t, "repo", "demo");
    cw_map_set_str(t, "file", "pkg/tokens.py");
    cw_map_set_str(t, "language", "python");
    cw_map_set_str(t, "name", "tokenize");
    cw_map_set_int(t, "start_line", 1);
    cw_map_set_int(t, "end_line", 20);
    cw_map_set_float(t, "complexity", 4);
    cw_map_set_float(t, "score", 1);
    cw_map_set_str(t, "code_hash", "ab");
    cw_map_set_str(t, "source", "def tokenize(s):\n    return {c: 1 for c in s}\n");
    cw_value_t *r = cw_proto_new(CW_MSG_GENERATE_REQUEST);
    cw_map_set_str(r, "job_id", job);
    cw_map_set(r, "target", t);
    return r;
}

static cw_value_t *s_generate(cw_generator_t *g)
{
    cw_value_t *req = s_request("job-42");
    cw_value_t *reply = cw_generator_handle(g, req);
    cw_value_destroy(&req);
    assert_non_null(reply);
    char err[256];
    if (cw_proto_validate(reply, err, sizeof(err)) != 0)
        fail_msg("invalid reply: %s", err);
    return reply;
}

static void s_expect_error(cw_value_t *reply, const char *code, bool retryable,
                           const char *substring)
{
    if (strcmp(cw_proto_type(reply), CW_MSG_ERROR) != 0) {
        char *j = cw_json_encode(reply);
        fail_msg("expected an error, got %s", j);
    }
    assert_string_equal(cw_map_str(reply, "code", ""), code);
    assert_int_equal(cw_map_bool(reply, "retryable", !retryable), retryable);
    if (substring && !strstr(cw_map_str(reply, "message", ""), substring))
        fail_msg("message \"%s\" lacks \"%s\"", cw_map_str(reply, "message", ""), substring);
    assert_string_equal(cw_map_str(reply, "job_id", ""), "job-42");
}

static void s_expect_ok(const cw_value_t *reply)
{
    if (strcmp(cw_proto_type(reply), CW_MSG_GENERATE_REPLY) != 0) {
        char *j = cw_json_encode(reply);
        fail_msg("expected a generate_reply, got %s", j);
    }
}

static int setup(void **state)
{
    setenv("CW_TEST_FAST", "1", 1);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (s_start_fake(&s_fake, 0) != 0) {
        fprintf(stderr, "could not start tests/fakes/fake_ollama.py (CW_SOURCE_DIR=%s)\n",
                getenv("CW_SOURCE_DIR") ? getenv("CW_SOURCE_DIR") : "(unset)");
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    s_stop_fake(&s_fake);
    s_events_clear();
    curl_global_cleanup();
    return 0;
}

/* ---------------------------------------------------------------- tests */
static void test_chatty_stream_is_cleaned(void **state)
{
    s_mode(s_fake.port, "chatty");
    cw_generator_t *g = s_generator(NULL, s_fake.port);
    cw_value_t *reply = s_generate(g);
    s_expect_ok(reply);
    const char *doc = cw_map_str(reply, "documentation", "");
    assert_true(strncmp(doc, "### Purpose\n\n`tokenize` does", 28) == 0);
    assert_null(strstr(doc, "Here is"));
    assert_null(strstr(doc, "```markdown"));
    assert_null(strstr(doc, "This documentation provides"));
    /* the inner code block survives, closed */
    size_t dl = strlen(doc);
    assert_true(dl > 3 && strcmp(doc + dl - 3, "```") == 0);
    assert_non_null(strstr(doc, "```python\nresult = tokenize()\n```"));
    const char *msg = cw_map_str(reply, "commit_message", "");
    assert_true(strncmp(msg, "Add comprehensive documentation for tokenize", 44) == 0);
    assert_int_equal(cw_utf8_chars(msg), 72);
    assert_string_equal(msg + strlen(msg) - 3, "...");
    assert_string_equal(cw_map_str(reply, "backend", ""), "ollama");
    assert_string_equal(cw_map_str(reply, "model", ""), "qwen2.5:7b");
    assert_true(cw_map_int(reply, "prompt_tokens", 0) > 0);
    assert_true(cw_map_int(reply, "completion_tokens", 0) > 0);
    assert_false(cw_map_bool(reply, "truncated", true));
    cw_value_destroy(&reply);

    /* what was sent: health first, then the document and the commit message calls */
    cw_value_t *reqs = s_requests(s_fake.port);
    assert_string_equal(cw_map_str(cw_array_at(reqs, 0), "path", ""), "/");
    assert_int_equal(s_count_generate(reqs, false), 1);
    assert_int_equal(s_count_generate(reqs, true), 1);
    const cw_value_t *doc_body = cw_map_get(cw_array_at(reqs, 1), "body");
    assert_true(cw_map_bool(doc_body, "stream", false));
    assert_non_null(strstr(cw_map_str(doc_body, "system", ""), "invent"));
    assert_non_null(strstr(cw_map_str(doc_body, "prompt", ""), "{c: 1 for c in s}"));
    assert_true(cw_map_float(doc_body, "keep_alive", 0) == -1); /* a number, not "-1" */
    const cw_value_t *opt = cw_map_get(doc_body, "options");
    assert_true(cw_map_float(opt, "temperature", 0) == 0.3);
    assert_true(cw_map_float(opt, "num_ctx", 0) == 16384);
    assert_true(cw_map_float(opt, "num_predict", 0) == 4096);
    const cw_value_t *commit_body = cw_map_get(cw_array_at(reqs, 2), "body");
    assert_true(cw_map_float(cw_map_get(commit_body, "options"), "temperature", 0) == 0.4);
    assert_non_null(strstr(cw_map_str(commit_body, "prompt", ""), "### Purpose"));
    cw_value_destroy(&reqs);
    assert_int_equal(s_ev_count, 0);
    cw_generator_destroy(&g);
}

static void test_normal_and_length(void **state)
{
    s_mode(s_fake.port, "normal");
    cw_generator_t *g = s_generator(NULL, s_fake.port);
    cw_value_t *reply = s_generate(g);
    s_expect_ok(reply);
    assert_string_equal(cw_map_str(reply, "commit_message", ""),
                        "Document tokenize and its edge cases");
    assert_false(cw_map_bool(reply, "truncated", true));
    cw_value_destroy(&reply);
    s_mode(s_fake.port, "length");
    reply = s_generate(g);
    s_expect_ok(reply);
    assert_true(cw_map_bool(reply, "truncated", false));
    cw_value_destroy(&reply);
    cw_generator_destroy(&g);
}

static void test_busy_then_ok(void **state)
{
    s_mode(s_fake.port, "busy"); /* 503 twice, then normal */
    cw_generator_t *g = s_generator(NULL, s_fake.port);
    cw_value_t *reply = s_generate(g);
    s_expect_ok(reply);
    cw_value_destroy(&reply);
    cw_value_t *reqs = s_requests(s_fake.port);
    assert_int_equal(s_count_generate(reqs, false), 3); /* 2 busy + 1 good */
    cw_value_destroy(&reqs);
    assert_int_equal(s_ev_count, 0); /* busy is not "down" */
    cw_generator_destroy(&g);
}

static void test_oom_recovery(void **state)
{
    s_mode(s_fake.port, "oom");
    cw_generator_t *g = s_generator(NULL, s_fake.port);
    cw_value_t *reply = s_generate(g);
    s_expect_ok(reply);
    cw_value_destroy(&reply);
    assert_int_equal(cw_llm_num_ctx(cw_generator_llm(g)), 8192);
    cw_value_t *reqs = s_requests(s_fake.port);
    /* order: failed call (16384), unload (keep_alive 0), reload (8192), retry (8192) */
    int unload_at = -1, reload_at = -1, retry_at = -1;
    for (size_t i = 0; i < cw_value_size(reqs); i++) {
        const cw_value_t *b = cw_map_get(cw_array_at(reqs, i), "body");
        const cw_value_t *ka = cw_map_get(b, "keep_alive");
        const char *prompt = cw_map_str(b, "prompt", NULL);
        double ctx = cw_map_float(cw_map_get(b, "options"), "num_ctx", 0);
        if (ka && cw_value_kind(ka) == CW_VAL_INT && cw_value_int(ka) == 0 && !prompt &&
            unload_at < 0)
            unload_at = (int)i;
        else if (unload_at >= 0 && prompt && !*prompt && ctx == 8192 && reload_at < 0)
            reload_at = (int)i;
        else if (reload_at >= 0 && prompt && *prompt && ctx == 8192 && retry_at < 0)
            retry_at = (int)i;
    }
    assert_true(unload_at > 0);
    assert_true(reload_at > unload_at);
    assert_true(retry_at > reload_at);
    cw_value_destroy(&reqs);
    cw_generator_destroy(&g);
}

static void test_missing_model(void **state)
{
    s_mode(s_fake.port, "missing_model");
    cw_generator_t *g = s_generator(NULL, s_fake.port);
    cw_value_t *reply = s_generate(g);
    s_expect_error(reply, CW_ERR_BAD_REQUEST, false, "not found");
    assert_non_null(strstr(cw_map_str(reply, "message", ""), "model not found"));
    cw_value_destroy(&reply);
    cw_value_t *reqs = s_requests(s_fake.port);
    assert_int_equal(s_count_generate(reqs, false), 1); /* no retry */
    cw_value_destroy(&reqs);
    /* reported on the bus as an error log line, not as "LLM down" */
    assert_int_equal(s_ev_count, 1);
    assert_string_equal(s_ev_name[0], CW_EV_LOG);
    assert_non_null(strstr(cw_map_str(s_ev_fields[0], "message", ""), "model not found"));
    assert_true(cw_generator_llm_up(g));
    s_events_clear();
    cw_generator_destroy(&g);
}

static void test_midstream_error(void **state)
{
    s_mode(s_fake.port, "midstream_error");
    cw_generator_t *g = s_generator(NULL, s_fake.port);
    cw_value_t *reply = s_generate(g);
    s_expect_error(reply, CW_ERR_INTERNAL, true, "unexpected EOF");
    cw_value_destroy(&reply);
    cw_value_t *reqs = s_requests(s_fake.port);
    assert_int_equal(s_count_generate(reqs, false), 1);
    cw_value_destroy(&reqs);
    cw_generator_destroy(&g);
}

static void test_openai_backend(void **state)
{
    s_mode(s_fake.port, "chatty");
    cw_generator_t *g = s_generator("openai", s_fake.port);
    cw_value_t *reply = s_generate(g);
    s_expect_ok(reply);
    assert_string_equal(cw_map_str(reply, "backend", ""), "openai");
    assert_true(strncmp(cw_map_str(reply, "documentation", ""), "### Purpose", 11) == 0);
    assert_int_equal(cw_utf8_chars(cw_map_str(reply, "commit_message", "")), 72);
    cw_value_destroy(&reply);
    cw_value_t *reqs = s_requests(s_fake.port);
    int chats = 0;
    for (size_t i = 0; i < cw_value_size(reqs); i++) {
        const cw_value_t *r = cw_array_at(reqs, i);
        if (strcmp(cw_map_str(r, "path", ""), "/v1/chat/completions") != 0)
            continue;
        const cw_value_t *b = cw_map_get(r, "body");
        const cw_value_t *msgs = cw_map_get(b, "messages");
        assert_int_equal(cw_value_size(msgs), 2);
        assert_string_equal(cw_map_str(cw_array_at(msgs, 0), "role", ""), "system");
        assert_string_equal(cw_map_str(cw_array_at(msgs, 1), "role", ""), "user");
        assert_false(cw_map_bool(b, "stream", true));
        chats++;
    }
    assert_int_equal(chats, 2);
    cw_value_destroy(&reqs);
    /* 429 with Retry-After, then success */
    s_mode(s_fake.port, "busy");
    reply = s_generate(g);
    s_expect_ok(reply);
    cw_value_destroy(&reply);
    /* model missing: no retry */
    s_mode(s_fake.port, "missing_model");
    reply = s_generate(g);
    s_expect_error(reply, CW_ERR_BAD_REQUEST, false, "not found");
    cw_value_destroy(&reply);
    s_events_clear();
    cw_generator_destroy(&g);
}

static void test_fake_non_stream(void **state)
{
    s_mode(s_fake.port, "normal");
    char *text = s_http(s_fake.port, "/api/generate",
                        "{\"model\":\"m\",\"prompt\":\"Document `f`\",\"stream\":false}");
    assert_non_null(text);
    char err[128];
    cw_value_t *j = cw_json_parse(text, strlen(text), err, sizeof(err));
    free(text);
    assert_non_null(j); /* one object, not NDJSON */
    assert_true(cw_map_bool(j, "done", false));
    assert_string_equal(cw_map_str(j, "done_reason", ""), "stop");
    assert_non_null(strstr(cw_map_str(j, "response", ""), "`f`"));
    cw_value_destroy(&j);
}

static int s_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    bind(fd, (struct sockaddr *)&a, sizeof(a));
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    return ntohs(a.sin_port);
}

static void test_unreachable_then_recovered(void **state)
{
    int port = s_free_port(); /* nothing listens there */
    s_events_clear();
    cw_generator_t *g = s_generator(NULL, port);
    cw_value_t *reply = s_generate(g);
    s_expect_error(reply, CW_ERR_UNAVAILABLE, true, "unavailable");
    cw_value_destroy(&reply);
    assert_false(cw_generator_llm_up(g));
    assert_int_equal(s_ev_count, 1);
    assert_string_equal(s_ev_name[0], CW_EV_LLM_UNAVAILABLE);
    assert_string_equal(cw_map_str(s_ev_fields[0], "backend", ""), "ollama");
    assert_int_equal(cw_map_int(s_ev_fields[0], "consecutive", 0), 1);
    assert_int_equal(cw_map_int(s_ev_fields[0], "retry_seconds", 0), 10);
    assert_true(strlen(cw_map_str(s_ev_fields[0], "error", "")) > 0);
    /* while down and before the next check: answered at once, no new check */
    reply = s_generate(g);
    s_expect_error(reply, CW_ERR_UNAVAILABLE, true, NULL);
    cw_value_destroy(&reply);
    assert_int_equal(s_ev_count, 1);
    assert_true(cw_generator_tick(g) > 0);
    /* further failed checks back off: 20 s, 40 s */
    assert_false(cw_generator_check_health(g));
    assert_false(cw_generator_check_health(g));
    assert_int_equal(s_ev_count, 3);
    assert_int_equal(cw_map_int(s_ev_fields[1], "consecutive", 0), 2);
    assert_int_equal(cw_map_int(s_ev_fields[1], "retry_seconds", 0), 20);
    assert_int_equal(cw_map_int(s_ev_fields[2], "retry_seconds", 0), 40);
    assert_int_equal(cw_generator_consecutive_failures(g), 3);
    /* a server appears on that port: recovered */
    fake_t late = {0, 0};
    assert_int_equal(s_start_fake(&late, port), 0);
    assert_true(cw_generator_check_health(g));
    assert_int_equal(s_ev_count, 4);
    assert_string_equal(s_ev_name[3], CW_EV_LLM_RECOVERED);
    assert_string_equal(cw_map_str(s_ev_fields[3], "backend", ""), "ollama");
    assert_int_equal(cw_generator_tick(g), -1);
    reply = s_generate(g);
    s_expect_ok(reply);
    cw_value_destroy(&reply);
    /* the server dies mid-career: the call fails, the check fails, llm_unavailable again */
    s_stop_fake(&late);
    reply = s_generate(g);
    s_expect_error(reply, CW_ERR_UNAVAILABLE, true, NULL);
    cw_value_destroy(&reply);
    assert_int_equal(s_ev_count, 5);
    assert_string_equal(s_ev_name[4], CW_EV_LLM_UNAVAILABLE);
    assert_int_equal(cw_map_int(s_ev_fields[4], "consecutive", 0), 1);
    s_events_clear();
    cw_generator_destroy(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chatty_stream_is_cleaned),
        cmocka_unit_test(test_normal_and_length),
        cmocka_unit_test(test_busy_then_ok),
        cmocka_unit_test(test_oom_recovery),
        cmocka_unit_test(test_missing_model),
        cmocka_unit_test(test_midstream_error),
        cmocka_unit_test(test_openai_backend),
        cmocka_unit_test(test_fake_non_stream),
        cmocka_unit_test(test_unreachable_then_recovered),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
