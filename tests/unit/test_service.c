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

#include "cw_log.h"
#include "cw_service.h"

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

int main(void)
{
    snprintf(s_base, sizeof(s_base), "/tmp/cw-test-service-XXXXXX");
    if (!mkdtemp(s_base))
        return 1;
    if (chdir(s_base) != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_and_help),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_start_debug_and_signals),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s_base);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", s_base);
    return rc;
}
