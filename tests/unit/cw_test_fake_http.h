/*  Shared by the tests that talk to a stand-in HTTP server (the Python scripts in
    tests/fakes/): start one on a free port, ask it things with libcurl, and a fake clock
    whose sleeps only move the time on. Header-only; include it once per test file. */
#ifndef CW_TEST_FAKE_HTTP_H
#define CW_TEST_FAKE_HTTP_H

#include <curl/curl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ------------------------------------------------------------------ fake clock */
typedef struct {
    int64_t now;
    int64_t slept_total;
    int sleeps;
    int64_t sleep_log[16];
} fake_time_t;

static inline int64_t fake_now(void *arg)
{
    return ((fake_time_t *)arg)->now;
}

static inline void fake_sleep(int64_t ms, void *arg)
{
    fake_time_t *t = arg;
    if (t->sleeps < 16)
        t->sleep_log[t->sleeps] = ms;
    t->sleeps++;
    t->slept_total += ms;
    t->now += ms;
}

/* ------------------------------------------------------------------ the fake server */
/* Start tests/fakes/<script> --port 0; its pid and port. 0 or -1. */
static inline int fake_server_start(const char *script, pid_t *pid, int *port)
{
    const char *src = getenv("CW_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof(path), "%s/tests/fakes/%s", src ? src : ".", script);
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    *pid = fork();
    if (*pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execl("/usr/bin/python3", "python3", path, "--port", "0", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    FILE *in = fdopen(fds[0], "r");
    char line[128] = "";
    int ok = in && fgets(line, sizeof(line), in) && sscanf(line, "PORT %d", port) == 1;
    if (in)
        fclose(in);
    if (!ok)
        fprintf(stderr, "%s did not start\n", path);
    return ok ? 0 : -1;
}

static inline void fake_server_stop(pid_t pid)
{
    if (pid > 0) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
}

/* ------------------------------------------------------------------ asking it */
typedef struct {
    char data[65536];
    size_t len;
} fake_body_t;

static inline size_t fake_collect(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    fake_body_t *b = userdata;
    size_t n = size * nmemb;
    if (b->len + n >= sizeof(b->data))
        n = sizeof(b->data) - 1 - b->len;
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = '\0';
    return size * nmemb;
}

/* GET or (empty) POST base+path; the status (0 when no answer); the body into out. */
static inline long fake_http(const char *base, const char *method, const char *path,
                             fake_body_t *out)
{
    char url[512];
    snprintf(url, sizeof(url), "%s%s", base, path);
    CURL *curl = curl_easy_init();
    fake_body_t dummy;
    if (!out)
        out = &dummy;
    out->len = 0;
    out->data[0] = '\0';
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, fake_collect);
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

/* The fake's {"requests": n} (GET /_requests), -1 on failure. */
static inline int fake_request_count(const char *base)
{
    fake_body_t body;
    if (fake_http(base, "GET", "/_requests", &body) != 200)
        return -1;
    const char *p = strstr(body.data, "\"requests\":");
    return p ? atoi(p + strlen("\"requests\":")) : -1;
}

#endif
