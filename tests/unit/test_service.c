/*  test_service — cw_service_start: options, config errors, exit codes, signals.
    Each case runs cw_service_start in a forked child and checks its exit code and output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pthread.h>
#include <stdatomic.h>

#include "cw_broker.h"
#include "cw_bus.h"
#include "cw_log.h"
#include "cw_proto.h"
#include "cw_service.h"
#include "cw_test_bus.h"

static char s_base[256];

typedef struct {
    int code;
    char out[8192];
    char err[8192];
} run_t;

static void s_read_all(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    ssize_t r;
    while (n + 1 < cap && (r = read(fd, buf + n, cap - 1 - n)) > 0)
        n += (size_t)r;
    buf[n] = '\0';
}

/* run cw_service_start(info, argv) in a child; after a successful start the child prints
   "started debug=<0|1> level=<n> repos=<n>" and, after raising SIGTERM,
   "interrupted=<zsys_interrupted>" */
static void run(const cw_service_info_t *info, const char **args, run_t *res)
{
    char *argv[16];
    int argc = 0;
    argv[argc++] = (char *)"codeworm-test";
    for (; args && *args && argc < 15; args++)
        argv[argc++] = (char *)*args;
    argv[argc] = NULL;
    char outpath[300], errpath[300];
    snprintf(outpath, sizeof(outpath), "%s/out", s_base);
    snprintf(errpath, sizeof(errpath), "%s/err", s_base);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!freopen(outpath, "w", stdout) || !freopen(errpath, "w", stderr))
            _exit(99);
        cw_config_t *cfg = cw_service_start(info, argc, argv);
        printf("started debug=%d level=%d repos=%zu\n", cfg->debug ? 1 : 0, (int)cw_log_level(),
               cfg->repo_count);
        raise(SIGTERM);
        printf("interrupted=%d\n", zsys_interrupted);
        cw_config_destroy(&cfg);
        fflush(NULL);
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    res->code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    int fd = open(outpath, O_RDONLY);
    s_read_all(fd, res->out, sizeof(res->out));
    close(fd);
    fd = open(errpath, O_RDONLY);
    s_read_all(fd, res->err, sizeof(res->err));
    close(fd);
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static const cw_service_info_t s_plain = {"test", "A test service.", false, false};
static const cw_service_info_t s_repos = {"test", "A test service.", true, false};
static const cw_service_info_t s_devlog = {"test", "A test service.", false, true};

static void test_version_and_help(void **state)
{
    (void)state;
    run_t r;
    const char *v[] = {"--version", NULL};
    run(&s_plain, v, &r);
    assert_int_equal(r.code, 0);
    assert_string_equal(r.out, "codeworm-test " CW_VERSION "\n");
    const char *h[] = {"--help", NULL};
    run(&s_plain, h, &r);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "Usage: codeworm-test [--config DIR]"));
    assert_non_null(strstr(r.out, "A test service."));
    const char *h2[] = {"-h", NULL};
    run(&s_plain, h2, &r);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "--debug"));
}

static void test_bad_options(void **state)
{
    (void)state;
    run_t r;
    const char *a[] = {"--bogus", NULL};
    run(&s_plain, a, &r);
    assert_int_equal(r.code, 2);
    assert_string_equal(r.err, "codeworm-test: unknown option '--bogus' (see --help)\n");
    const char *b[] = {"extra", NULL};
    run(&s_plain, b, &r);
    assert_int_equal(r.code, 2);
    assert_string_equal(r.err, "codeworm-test: unexpected argument 'extra' (see --help)\n");
    const char *c[] = {"--config", NULL};
    run(&s_plain, c, &r);
    assert_int_equal(r.code, 2);
    assert_string_equal(r.err, "codeworm-test: option '--config' needs a directory (see --help)\n");
    const char *d[] = {"--config", "/nonexistent/cw", NULL};
    run(&s_plain, d, &r);
    assert_int_equal(r.code, 2);
    assert_string_equal(r.err,
                        "codeworm-test: config directory '/nonexistent/cw' does not exist\n");
}

static void test_config_errors(void **state)
{
    (void)state;
    char dir[300], arg[320];
    snprintf(dir, sizeof(dir), "%s/bad", s_base);
    mkdir(dir, 0755);
    write_file(dir, "config.yaml", "ollama:\n  port: nope\n");
    snprintf(arg, sizeof(arg), "--config=%s", dir);
    const char *a[] = {arg, NULL};
    run_t r;
    run(&s_plain, a, &r);
    assert_int_equal(r.code, 2);
    assert_string_equal(r.err, "codeworm-test: config.yaml:2: ollama.port must be an integer "
                               "between 1 and 65535 (got \"nope\")\n");
    /* no repositories when the service needs them */
    snprintf(dir, sizeof(dir), "%s/empty", s_base);
    mkdir(dir, 0755);
    const char *b[] = {"--config", dir, NULL};
    run(&s_repos, b, &r);
    assert_int_equal(r.code, 2);
    assert_string_equal(r.err, "codeworm-test: No repositories configured\n");
    run(&s_devlog, b, &r);
    assert_int_equal(r.code, 2);
    assert_string_equal(r.err, "codeworm-test: devlog.repo_path is not set (config.yaml, "
                               "CODEWORM_DEVLOG__REPO_PATH or --devlog)\n");
    /* a service that needs neither starts */
    run(&s_plain, b, &r);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "started debug=0"));
}

static void test_start_debug_and_signals(void **state)
{
    (void)state;
    char dir[300], text[600];
    snprintf(dir, sizeof(dir), "%s/good", s_base);
    mkdir(dir, 0755);
    write_file(dir, "config.yaml", "devlog:\n  repo_path: /tmp/devlog\n");
    snprintf(text, sizeof(text), "repositories:\n  - name: here\n    path: %s\n", s_base);
    write_file(dir, "repos.yaml", text);
    const char *a[] = {"--config", dir, "--debug", NULL};
    run_t r;
    run(&s_repos, a, &r);
    assert_int_equal(r.code, 0);
    char expect[128];
    snprintf(expect, sizeof(expect), "started debug=1 level=%d repos=1\ninterrupted=1\n",
             (int)CW_LOG_DEBUG);
    assert_string_equal(r.out, expect);
    /* without --debug: info level; config dir from CODEWORM_CONFIG_DIR */
    setenv("CODEWORM_CONFIG_DIR", dir, 1);
    run(&s_repos, NULL, &r);
    unsetenv("CODEWORM_CONFIG_DIR");
    assert_int_equal(r.code, 0);
    snprintf(expect, sizeof(expect), "started debug=0 level=%d repos=1\ninterrupted=1\n",
             (int)CW_LOG_INFO);
    assert_string_equal(r.out, expect);
    /* debug from the environment */
    setenv("CODEWORM_DEBUG", "1", 1);
    const char *b[] = {"--config", dir, NULL};
    run(&s_repos, b, &r);
    unsetenv("CODEWORM_DEBUG");
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "started debug=1"));
}

/* bus.curve.*: cw_service_start makes the process a CURVE client, or refuses bad keys */
static void test_start_with_curve(void **state)
{
    (void)state;
    char server_pub[41], server_sec[41], a_pub[41], a_sec[41], b_pub[41], b_sec[41];
    assert_int_equal(zmq_curve_keypair(server_pub, server_sec), 0);
    assert_int_equal(zmq_curve_keypair(a_pub, a_sec), 0);
    assert_int_equal(zmq_curve_keypair(b_pub, b_sec), 0);
    char dir[300], text[1024];
    snprintf(dir, sizeof(dir), "%s/curve", s_base);
    mkdir(dir, 0755);
    /* a secret key that belongs to another public key */
    snprintf(text, sizeof(text),
             "bus:\n  curve:\n    enabled: true\n    server_public_key: \"%s\"\n"
             "    client_public_key: \"%s\"\n    client_secret_key: \"%s\"\n",
             server_pub, a_pub, b_sec);
    write_file(dir, "config.yaml", text);
    const char *a[] = {"--config", dir, NULL};
    run_t r;
    run(&s_plain, a, &r);
    assert_int_equal(r.code, 2);
    assert_non_null(strstr(r.err, "client_secret_key does not belong"));
    assert_null(strstr(r.err, b_sec)); /* the secret is not shown */
    /* the right pair starts */
    snprintf(text, sizeof(text),
             "bus:\n  curve:\n    enabled: true\n    server_public_key: \"%s\"\n"
             "    client_public_key: \"%s\"\n    client_secret_key: \"%s\"\n",
             server_pub, a_pub, a_sec);
    write_file(dir, "config.yaml", text);
    const char *d[] = {"--config", dir, "--debug", NULL};
    run(&s_plain, d, &r);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "started"));
    assert_non_null(strstr(r.err, "bus_curve_enabled"));
    assert_null(strstr(r.err, a_sec));
}

/* ---- cw_service_announce and cw_service_serve over a real (in-process) broker */

/* Announce `event` until the subscriber sees it (slow joiner); the event or NULL. */
static cw_value_t *announce_seen(cw_publisher_t *pub, cw_subscriber_t *sub, const char *event,
                                 const char *reason)
{
    for (int i = 0; i < 30; i++) {
        cw_service_announce(pub, event, reason);
        cw_value_t *got = cw_subscriber_recv(sub, 200);
        if (got)
            return got;
    }
    return NULL;
}

static void test_announce(void **state)
{
    (void)state;
    test_bus_t bus;
    bus_start(&bus, 24801);
    cw_service_announce(NULL, CW_EV_SERVICE_STARTED, NULL); /* no publisher: nothing */
    cw_subscriber_t *sub = cw_subscriber_new(bus.events_out, "service_");
    cw_publisher_t *pub = cw_publisher_new(bus.events_in, "tester");
    assert_non_null(sub);
    assert_non_null(pub);

    cw_value_t *ev = announce_seen(pub, sub, CW_EV_SERVICE_STARTED, "ignored");
    assert_non_null(ev);
    assert_string_equal(cw_proto_type(ev), CW_EV_SERVICE_STARTED);
    assert_int_equal(cw_map_int(ev, "pid", -1), (int64_t)getpid());
    assert_string_equal(cw_map_str(ev, "version", ""), CW_VERSION);
    assert_string_equal(cw_map_str(ev, "service", ""), "tester");
    assert_null(cw_map_get(ev, "reason"));
    cw_value_destroy(&ev);
    while ((ev = cw_subscriber_recv(sub, 200))) /* the extra copies of the loop */
        cw_value_destroy(&ev);

    ev = announce_seen(pub, sub, CW_EV_SERVICE_STOPPING, NULL);
    assert_non_null(ev);
    assert_string_equal(cw_proto_type(ev), CW_EV_SERVICE_STOPPING);
    assert_int_equal(cw_map_int(ev, "pid", -1), (int64_t)getpid());
    assert_string_equal(cw_map_str(ev, "reason", ""), "signal");
    cw_value_destroy(&ev);
    cw_service_announce(pub, CW_EV_SERVICE_STOPPING, "done");
    bool done = false;
    while (!done && (ev = cw_subscriber_recv(sub, 1000))) {
        done = strcmp(cw_map_str(ev, "reason", ""), "done") == 0;
        cw_value_destroy(&ev);
    }
    assert_true(done);

    cw_publisher_destroy(&pub);
    cw_subscriber_destroy(&sub);
    bus_stop(&bus);
}

typedef struct {
    cw_worker_t *worker;
    atomic_int ticks;
    atomic_int handled;
    int rc;
    pthread_t thread;
} serve_t;

/* limit 13: the handler fails (NULL); otherwise it echoes the limit as "total" */
static cw_value_t *s_handle(void *self, const cw_value_t *request)
{
    serve_t *sv = (serve_t *)self;
    atomic_fetch_add(&sv->handled, 1);
    int64_t limit = cw_map_int(request, "limit", 0);
    if (limit == 13)
        return NULL;
    cw_value_t *reply = cw_proto_new(CW_MSG_STATS_REPLY);
    cw_map_set_str(reply, "job_id", cw_map_str(request, "job_id", ""));
    cw_map_set_int(reply, "total", limit);
    cw_map_set_int(reply, "last_7_days", 0);
    return reply;
}

static int64_t s_tick(void *self)
{
    serve_t *sv = (serve_t *)self;
    atomic_fetch_add(&sv->ticks, 1);
    return 20;
}

static void *serve_main(void *arg)
{
    serve_t *sv = (serve_t *)arg;
    sv->rc = cw_service_serve(sv->worker, s_handle, s_tick, sv);
    return NULL;
}

static cw_value_t *ask(cw_client_t *client, int limit, char job[33])
{
    cw_value_t *req = cw_proto_new(CW_MSG_ANALYZE_REQUEST);
    cw_bus_new_job_id(job);
    cw_map_set_str(req, "job_id", job);
    cw_map_set_int(req, "limit", limit);
    char err[256];
    cw_value_t *reply =
        cw_client_request(client, CW_SERVICE_ANALYZER, &req, 5000, 1, err, sizeof(err));
    if (!reply)
        print_error("request failed: %s\n", err);
    return reply;
}

static void test_serve(void **state)
{
    (void)state;
    assert_int_equal(cw_service_serve(NULL, s_handle, NULL, NULL), -1);
    test_bus_t bus;
    bus_start(&bus, 24811);
    serve_t sv;
    memset(&sv, 0, sizeof(sv));
    sv.rc = 99;
    sv.worker = cw_worker_new(bus.broker, CW_SERVICE_ANALYZER);
    assert_non_null(sv.worker);
    assert_int_equal(cw_service_serve(sv.worker, NULL, NULL, NULL), -1);
    assert_int_equal(pthread_create(&sv.thread, NULL, serve_main, &sv), 0);

    cw_client_t *client = cw_client_new(bus.broker);
    char job[33];
    cw_value_t *reply = ask(client, 7, job);
    assert_non_null(reply);
    assert_string_equal(cw_proto_type(reply), CW_MSG_STATS_REPLY);
    assert_string_equal(cw_map_str(reply, "job_id", ""), job);
    assert_int_equal(cw_map_int(reply, "total", -1), 7);
    cw_value_destroy(&reply);
    /* a handler that produces nothing: the client still gets an answer */
    reply = ask(client, 13, job);
    assert_non_null(reply);
    assert_string_equal(cw_proto_type(reply), CW_MSG_ERROR);
    assert_string_equal(cw_map_str(reply, "job_id", ""), job);
    assert_string_equal(cw_map_str(reply, "code", ""), CW_ERR_INTERNAL);
    assert_true(cw_map_bool(reply, "retryable", false));
    cw_value_destroy(&reply);
    cw_client_destroy(&client);
    assert_int_equal(atomic_load(&sv.handled), 2);
    assert_true(atomic_load(&sv.ticks) >= 2); /* once per wait at least */

    zsys_interrupted = 1; /* the loop ends */
    pthread_join(sv.thread, NULL);
    zsys_interrupted = 0;
    assert_int_equal(sv.rc, 0);
    cw_worker_destroy(&sv.worker);
    bus_stop(&bus);
}

/* ---- configuration reload (SIGHUP) */
static char s_reload_log[4096];

static void s_reload_log_hook(cw_log_level_t level, const char *line, void *arg)
{
    (void)arg;
    if (level >= CW_LOG_WARN && strlen(s_reload_log) + strlen(line) + 2 < sizeof(s_reload_log)) {
        strcat(s_reload_log, line);
        strcat(s_reload_log, "\n");
    }
}

typedef struct {
    int calls;
    int refuse;
    char model[64];
    int interval;
} reload_seen_t;

static int s_apply(void *self, const cw_config_t *config)
{
    reload_seen_t *seen = self;
    seen->calls++;
    if (seen->refuse)
        return -1;
    snprintf(seen->model, sizeof(seen->model), "%s", config->ollama.model);
    seen->interval = config->schedule.interval_seconds;
    return 0;
}

static void test_reload_step(void **state)
{
    (void)state;
    char dir[300];
    snprintf(dir, sizeof(dir), "%s/reload", s_base);
    mkdir(dir, 0755);
    write_file(dir, "config.yaml", "ollama:\n  model: first\nschedule:\n  interval_seconds: 10\n");
    char err[512] = "";
    cw_config_t *config = cw_config_load(dir, err, sizeof(err));
    assert_non_null(config);
    reload_seen_t seen = {0};
    /* nothing pending: nothing happens */
    assert_false(cw_service_reload_pending());
    assert_int_equal(cw_service_reload_step(&config, s_apply, &seen), 0);
    assert_int_equal(seen.calls, 0);

    /* a changed file and SIGHUP's flag: the new configuration is loaded and applied */
    write_file(dir, "config.yaml", "ollama:\n  model: second\nschedule:\n  interval_seconds: 20\n");
    cw_config_t *before = config;
    cw_service_request_reload();
    assert_true(cw_service_reload_pending());
    assert_int_equal(cw_service_reload_step(&config, s_apply, &seen), 1);
    assert_false(cw_service_reload_pending());
    assert_int_equal(seen.calls, 1);
    assert_string_equal(seen.model, "second");
    assert_int_equal(seen.interval, 20);
    assert_true(config != before);
    assert_string_equal(config->ollama.model, "second");

    /* an invalid file is refused with its file:line error; the old configuration stays */
    cw_log_set_hook(s_reload_log_hook, NULL);
    s_reload_log[0] = '\0';
    write_file(dir, "config.yaml",
               "ollama:\n  model: third\nschedule:\n  min_commits_per_day: lots\n");
    before = config;
    cw_service_request_reload();
    assert_int_equal(cw_service_reload_step(&config, s_apply, &seen), -1);
    assert_int_equal(seen.calls, 1);
    assert_true(config == before);
    assert_string_equal(config->ollama.model, "second");
    assert_non_null(strstr(s_reload_log, "\"event\":\"config_reload_refused\""));
    assert_non_null(strstr(s_reload_log, "config.yaml:4: schedule.min_commits_per_day"));

    /* the service itself may refuse it: the old one stays too */
    write_file(dir, "config.yaml", "ollama:\n  model: fourth\n");
    seen.refuse = 1;
    cw_service_request_reload();
    assert_int_equal(cw_service_reload_step(&config, s_apply, &seen), -1);
    assert_int_equal(seen.calls, 2);
    assert_string_equal(config->ollama.model, "second");

    /* a bus endpoint cannot change live: applied, with a warning naming the key */
    seen.refuse = 0;
    s_reload_log[0] = '\0';
    write_file(dir, "config.yaml", "ollama:\n  model: fifth\nbus:\n  broker: tcp://127.0.0.1:1\n");
    cw_service_request_reload();
    assert_int_equal(cw_service_reload_step(&config, s_apply, &seen), 1);
    assert_string_equal(seen.model, "fifth");
    assert_non_null(strstr(s_reload_log, "config_reload_needs_restart"));
    assert_non_null(strstr(s_reload_log, "bus.broker"));
    cw_log_set_hook(NULL, NULL);
    cw_config_destroy(&config);
}

/* SIGHUP does not stop a service; a service flag is accepted and shown in --help */
static void test_sighup_and_flags(void **state)
{
    (void)state;
    char outpath[300];
    snprintf(outpath, sizeof(outpath), "%s/hup", s_base);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!freopen(outpath, "w", stdout) || !freopen("/dev/null", "w", stderr))
            _exit(99);
        bool dry = false;
        const cw_service_flag_t flags[] = {{"--dry-run", "no commits", &dry}, {NULL, NULL, NULL}};
        char *argv[] = {(char *)"codeworm-test", (char *)"--dry-run", NULL};
        cw_config_t *cfg = cw_service_start_flags(&s_plain, flags, 2, argv);
        raise(SIGHUP);
        printf("alive dry=%d pending=%d interrupted=%d\n", dry ? 1 : 0,
               cw_service_reload_pending() ? 1 : 0, zsys_interrupted);
        cw_config_destroy(&cfg);
        fflush(NULL);
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    char buf[256];
    int fd = open(outpath, O_RDONLY);
    s_read_all(fd, buf, sizeof(buf));
    close(fd);
    assert_string_equal(buf, "alive dry=1 pending=1 interrupted=0\n");
    /* --help lists the flag */
    snprintf(outpath, sizeof(outpath), "%s/help", s_base);
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        if (!freopen(outpath, "w", stdout))
            _exit(99);
        bool dry = false;
        const cw_service_flag_t flags[] = {{"--dry-run", "no commits", &dry}, {NULL, NULL, NULL}};
        char *argv[] = {(char *)"codeworm-test", (char *)"--help", NULL};
        cw_service_start_flags(&s_plain, flags, 2, argv);
        _exit(1);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(WEXITSTATUS(status), 0);
    char help[4096];
    fd = open(outpath, O_RDONLY);
    s_read_all(fd, help, sizeof(help));
    close(fd);
    assert_non_null(strstr(help, "--dry-run"));
    assert_non_null(strstr(help, "SIGHUP reloads"));
}

/* A reload asked for while a request is being handled applies after it: that request
   is answered with the old settings, the next one with the new. */
typedef struct {
    cw_worker_t *worker;
    cw_config_t *config;
    int64_t value; /* what replies carry: the config's schedule.interval_seconds */
    int rc;
    pthread_t thread;
} reload_serve_t;

static cw_value_t *s_reload_handle(void *self, const cw_value_t *request)
{
    reload_serve_t *sv = self;
    /* SIGHUP arrives in the middle of this job */
    if (cw_map_int(request, "limit", 0) == 1) {
        char dir[300];
        snprintf(dir, sizeof(dir), "%s/serve-reload", s_base);
        write_file(dir, "config.yaml", "schedule:\n  interval_seconds: 222\n");
        cw_service_request_reload();
    }
    cw_value_t *reply = cw_proto_new(CW_MSG_STATS_REPLY);
    cw_map_set_str(reply, "job_id", cw_map_str(request, "job_id", ""));
    cw_map_set_int(reply, "total", sv->value);
    cw_map_set_int(reply, "last_7_days", 0);
    return reply;
}

static int s_reload_apply(void *self, const cw_config_t *config)
{
    ((reload_serve_t *)self)->value = config->schedule.interval_seconds;
    return 0;
}

static void *reload_serve_main(void *arg)
{
    reload_serve_t *sv = arg;
    sv->rc =
        cw_service_serve_reload(sv->worker, s_reload_handle, NULL, s_reload_apply, sv, &sv->config);
    return NULL;
}

static void test_serve_reload_between_jobs(void **state)
{
    (void)state;
    char dir[300], err[256];
    snprintf(dir, sizeof(dir), "%s/serve-reload", s_base);
    mkdir(dir, 0755);
    write_file(dir, "config.yaml", "schedule:\n  interval_seconds: 111\n");
    test_bus_t bus;
    const char *base = getenv("CW_PORT_BASE"); /* this checkout's port block */
    bus_start(&bus, (base && atoi(base) > 0 ? atoi(base) : 24800) + 10);
    reload_serve_t sv;
    memset(&sv, 0, sizeof(sv));
    sv.config = cw_config_load(dir, err, sizeof(err));
    assert_non_null(sv.config);
    sv.value = sv.config->schedule.interval_seconds;
    sv.worker = cw_worker_new(bus.broker, CW_SERVICE_ANALYZER);
    assert_non_null(sv.worker);
    assert_int_equal(pthread_create(&sv.thread, NULL, reload_serve_main, &sv), 0);
    cw_client_t *client = cw_client_new(bus.broker);
    char job[33];
    cw_value_t *reply = ask(client, 1, job);
    assert_non_null(reply);
    assert_int_equal(cw_map_int(reply, "total", -1), 111); /* finished with the old settings */
    cw_value_destroy(&reply);
    reply = ask(client, 2, job);
    assert_non_null(reply);
    assert_int_equal(cw_map_int(reply, "total", -1), 222); /* the next job: the new ones */
    cw_value_destroy(&reply);
    cw_client_destroy(&client);
    zsys_interrupted = 1;
    pthread_join(sv.thread, NULL);
    zsys_interrupted = 0;
    assert_int_equal(sv.rc, 0);
    assert_int_equal(sv.config->schedule.interval_seconds, 222);
    cw_worker_destroy(&sv.worker);
    cw_config_destroy(&sv.config);
    bus_stop(&bus);
}

int main(void)
{
    snprintf(s_base, sizeof(s_base), "/tmp/cw-test-service-XXXXXX");
    if (!mkdtemp(s_base))
        return 1;
    if (chdir(s_base) != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_and_help),
        /* before anything initialises czmq here: its --help child exits normally */
        cmocka_unit_test(test_sighup_and_flags),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_start_debug_and_signals),
        cmocka_unit_test(test_start_with_curve),
        /* last: they start czmq threads in this process, the tests above fork */
        cmocka_unit_test(test_announce),
        cmocka_unit_test(test_serve),
        cmocka_unit_test(test_reload_step),
        cmocka_unit_test(test_serve_reload_between_jobs),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s_base);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", s_base);
    return rc;
}
