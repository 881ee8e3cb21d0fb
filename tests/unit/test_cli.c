/*  The `codeworm` command, run as a process (build/bin/codeworm from CW_BIN_DIR): exit
    codes and messages of every command, help, the dry-run plan, schedule-preview, and
    end to end: run-once on a private stack (offline LLM backend) and `run` supervising
    the stack until SIGTERM. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <stdbool.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

static char s_bin[1024];
static char s_dir[256];   /* scratch directory */
static char s_cfg[512];   /* config dir with a config.yaml */
static char s_empty[512]; /* config dir without files */
static char s_quiet[512]; /* config dir: empty data dir, unused bus ports */
static char s_repo[512];
static char s_tmp[512]; /* TMPDIR for the command: must be empty afterwards */
static int s_port;

static char s_out[65536];
static char s_err[65536];

static void s_read_file(const char *path, char *buf, size_t cap)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
}

static void s_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Start codeworm with args; stdout/stderr to files. */
static pid_t s_spawn(const char *const *args)
{
    char out_path[600], err_path[600];
    snprintf(out_path, sizeof(out_path), "%s/out.txt", s_dir);
    snprintf(err_path, sizeof(err_path), "%s/err.txt", s_dir);
    pid_t pid = fork();
    if (pid == 0) {
        int o = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(o, 1);
        dup2(e, 2);
        setenv("TMPDIR", s_tmp, 1);
        char *argv[32];
        int n = 0;
        argv[n++] = s_bin;
        for (; args[n - 1] && n < 31; n++)
            argv[n] = (char *)args[n - 1];
        argv[n] = NULL;
        execv(s_bin, argv);
        _exit(127);
    }
    return pid;
}

static int s_collect(pid_t pid)
{
    int status = 0;
    waitpid(pid, &status, 0);
    char path[600];
    snprintf(path, sizeof(path), "%s/out.txt", s_dir);
    s_read_file(path, s_out, sizeof(s_out));
    snprintf(path, sizeof(path), "%s/err.txt", s_dir);
    s_read_file(path, s_err, sizeof(s_err));
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int s_run(const char *const *args)
{
    return s_collect(s_spawn(args));
}

static int s_count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static int s_setup(void **state)
{
    (void)state;
    const char *bin_dir = getenv("CW_BIN_DIR");
    snprintf(s_bin, sizeof(s_bin), "%s/codeworm", bin_dir ? bin_dir : "build/bin");
    if (access(s_bin, X_OK) != 0) {
        fprintf(stderr, "no codeworm binary at %s\n", s_bin);
        return -1;
    }
    snprintf(s_dir, sizeof(s_dir), "/tmp/cw-test-cli-XXXXXX");
    if (!mkdtemp(s_dir))
        return -1;
    const char *base = getenv("CW_PORT_BASE");
    s_port = base ? atoi(base) : 0;
    if (s_port <= 0)
        s_port = 22000 + (getpid() % 1000) * 20; /* below the ephemeral range */
    snprintf(s_cfg, sizeof(s_cfg), "%s/cfg", s_dir);
    snprintf(s_empty, sizeof(s_empty), "%s/empty", s_dir);
    snprintf(s_repo, sizeof(s_repo), "%s/repo", s_dir);
    snprintf(s_tmp, sizeof(s_tmp), "%s/tmp", s_dir);
    mkdir(s_cfg, 0755);
    mkdir(s_empty, 0755);
    mkdir(s_repo, 0755);
    mkdir(s_tmp, 0755);
    char path[700], text[2048];
    snprintf(s_quiet, sizeof(s_quiet), "%s/quiet", s_dir);
    mkdir(s_quiet, 0755);
    snprintf(text, sizeof(text),
             "data_dir: %s/nodata\n"
             "bus:\n  broker: tcp://127.0.0.1:%d\n  events_in: tcp://127.0.0.1:%d\n"
             "  events_out: tcp://127.0.0.1:%d\n",
             s_dir, s_port + 10, s_port + 11, s_port + 12);
    snprintf(path, sizeof(path), "%s/config.yaml", s_quiet);
    s_write_file(path, text);
    snprintf(text, sizeof(text),
             "data_dir: %s/data\n"
             "devlog:\n  repo_path: %s/devlog\n"
             "llm:\n  backend: offline\n"
             "generator:\n  instances: 2\n"
             "schedule:\n  interval_seconds: 3600\n"
             "bus:\n  broker: tcp://127.0.0.1:%d\n  events_in: tcp://127.0.0.1:%d\n"
             "  events_out: tcp://127.0.0.1:%d\n",
             s_dir, s_dir, s_port, s_port + 1, s_port + 2);
    snprintf(path, sizeof(path), "%s/config.yaml", s_cfg);
    s_write_file(path, text);
    snprintf(path, sizeof(path), "%s/calc.py", s_repo);
    s_write_file(path, "def compute_totals(items, discount=None, tax=0.2):\n"
                       "    total = 0\n"
                       "    for item in items:\n"
                       "        if item.get('skip'):\n"
                       "            continue\n"
                       "        price = item['price']\n"
                       "        if discount and item.get('category') in discount:\n"
                       "            price = price * (1 - discount[item['category']])\n"
                       "        elif item.get('clearance'):\n"
                       "            price = price * 0.5\n"
                       "        if price < 0:\n"
                       "            raise ValueError('negative')\n"
                       "        total += price * item.get('qty', 1)\n"
                       "    if tax:\n"
                       "        total = total * (1 + tax)\n"
                       "    for i in range(3):\n"
                       "        if total > 1000 and i == 0:\n"
                       "            total -= 10\n"
                       "    return round(total, 2)\n");
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------ tests */
static void test_version_and_usage(void **state)
{
    (void)state;
    assert_int_equal(s_run((const char *[]){"version", NULL}), 0);
    assert_non_null(strstr(s_out, "codeworm " CW_VERSION));
    assert_int_equal(s_run((const char *[]){NULL}), 2);
    assert_non_null(strstr(s_err, "usage: codeworm"));
    assert_int_equal(s_run((const char *[]){"frobnicate", NULL}), 2);
    assert_non_null(strstr(s_err, "unknown command 'frobnicate'"));
    assert_int_equal(s_run((const char *[]){"--help", NULL}), 0);
    assert_non_null(strstr(s_out, "schedule-preview"));
    assert_int_equal(s_run((const char *[]){"--nope", "version", NULL}), 2);
    /* global options belong before the command */
    assert_int_equal(s_run((const char *[]){"status", "--config", "x", NULL}), 2);
    assert_non_null(strstr(s_err, "global option"));
}

static void test_every_command_has_help(void **state)
{
    (void)state;
    const char *commands[] = {"run",  "run-once", "analyze", "stats",  "schedule-preview",
                              "init", "events",   "status",  "version"};
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        assert_int_equal(s_run((const char *[]){commands[i], "--help", NULL}), 0);
        char want[128];
        snprintf(want, sizeof(want), "usage: codeworm [--config DIR] [--debug] %s", commands[i]);
        assert_non_null(strstr(s_out, want));
        assert_int_equal(s_run((const char *[]){commands[i], "-h", NULL}), 0);
    }
}

static void test_no_repositories(void **state)
{
    (void)state;
    const char *commands[] = {"run", "run-once", "analyze"};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(s_run((const char *[]){"--config", s_empty, commands[i], NULL}), 1);
        assert_non_null(strstr(s_err, "No repositories configured"));
    }
}

static void test_config_error_exit_2(void **state)
{
    (void)state;
    char dir[600], path[700];
    snprintf(dir, sizeof(dir), "%s/bad", s_dir);
    mkdir(dir, 0755);
    snprintf(path, sizeof(path), "%s/config.yaml", dir);
    s_write_file(path, "debug: false\nschedule:\n  min_commits_per_day: 0\n");
    assert_int_equal(s_run((const char *[]){"--config", dir, "status", NULL}), 2);
    assert_non_null(strstr(s_err, "config.yaml:3"));
    assert_int_equal(s_run((const char *[]){"--config", dir, "analyze", NULL}), 2);
}

static void test_bad_options(void **state)
{
    (void)state;
    /* --limit 0 means no limit (issue 7); a negative one is an error */
    assert_int_equal(s_run((const char *[]){"--config", s_cfg, "analyze", "--limit", "-1", NULL}),
                     2);
    assert_int_equal(
        s_run((const char *[]){"--config", s_cfg, "analyze", "--all", "--limit", "5", NULL}), 2);
    assert_int_equal(
        s_run((const char *[]){"--config", s_cfg, "analyze", "--type", "poem_doc", NULL}), 2);
    assert_non_null(strstr(s_err, "function_doc"));
    assert_int_equal(s_run((const char *[]){"--config", s_cfg, "run", "--repo", "x", NULL}), 2);
    assert_int_equal(s_run((const char *[]){"--config", s_cfg, "run", "--bogus", NULL}), 2);
    assert_int_equal(s_run((const char *[]){"version", "extra", NULL}), 2);
}

static void test_status_without_broker(void **state)
{
    (void)state;
    assert_int_equal(s_run((const char *[]){"--config", s_cfg, "status", NULL}), 1);
    char want[64];
    snprintf(want, sizeof(want), "no broker at tcp://127.0.0.1:%d", s_port);
    assert_non_null(strstr(s_out, want));
}

static void test_schedule_preview(void **state)
{
    (void)state;
    char *empty_cfg = s_empty;
    assert_int_equal(s_run((const char *[]){"--config", empty_cfg, "schedule-preview", "--days",
                                            "3", "--timezone", "UTC", "--seed", "42", NULL}),
                     0);
    char first[65536];
    snprintf(first, sizeof(first), "%s", s_out);
    assert_non_null(strstr(first, "time zone UTC"));
    int days = 0;
    for (const char *p = first; (p = strstr(p, " commits\n")); p++)
        days++;
    assert_int_equal(days, 3);
    /* the same seed draws the same schedule */
    assert_int_equal(s_run((const char *[]){"--config", empty_cfg, "schedule-preview", "--days",
                                            "3", "--timezone", "UTC", "--seed", "42", NULL}),
                     0);
    assert_string_equal(first, s_out);
    assert_int_equal(
        s_run((const char *[]){"--config", empty_cfg, "schedule-preview", "--days", "0", NULL}), 2);
    /* interval mode */
    assert_int_equal(s_run((const char *[]){"--config", s_cfg, "schedule-preview", NULL}), 0);
    assert_non_null(strstr(s_out, "every 3600 s"));
}

static void test_run_plan(void **state)
{
    (void)state;
    assert_int_equal(s_run((const char *[]){"--config", s_cfg, "run", "--plan", "--repo", "calc",
                                            s_repo, "--devlog", "/tmp/elsewhere", NULL}),
                     0);
    const char *children[] = {"codeworm-broker",    "codeworm-analyzer",
                              "generator-1",        "generator-2",
                              "codeworm-committer", "codeworm-scheduler",
                              "codeworm-notifier",  "CODEWORM_DEVLOG__REPO_PATH=/tmp/elsewhere"};
    for (size_t i = 0; i < sizeof(children) / sizeof(children[0]); i++)
        assert_non_null(strstr(s_out, children[i]));
    assert_non_null(strstr(s_out, s_repo));
    /* the private config directory is removed again */
    assert_int_equal(s_count_entries(s_tmp), 0);
}

static void test_analyze(void **state)
{
    (void)state;
    assert_int_equal(
        s_run((const char *[]){"--config", s_cfg, "analyze", "--repo", s_repo, "--json", NULL}), 0);
    assert_non_null(strstr(s_out, "\"name\":\"compute_totals\""));
    const char *keys[] = {"repo",     "file",       "name",     "class",      "language",
                          "doc_type", "start_line", "end_line", "complexity", "nloc",
                          "tokens",   "params",     "nesting",  "score"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        char want[64];
        snprintf(want, sizeof(want), "\"%s\":", keys[i]);
        assert_non_null(strstr(s_out, want));
    }
    assert_null(strstr(s_out, "\"source\":"));
    assert_int_equal(s_run((const char *[]){"--config", s_cfg, "analyze", "--repo", s_repo, NULL}),
                     0);
    assert_non_null(strstr(s_out, "SCORE"));
    assert_non_null(strstr(s_out, "compute_totals"));
}

static void test_stats_without_ledger(void **state)
{
    (void)state;
    assert_int_equal(s_run((const char *[]){"--config", s_quiet, "stats", "--json", NULL}), 0);
    assert_non_null(strstr(s_out, "\"total\":0"));
}

static void test_run_once_private_stack(void **state)
{
    (void)state;
    int rc = s_run((const char *[]){"--config", s_cfg, "run-once", "--repo", "calc", s_repo, NULL});
    if (rc != 0)
        fprintf(stderr, "stdout:\n%s\nstderr:\n%s\n", s_out, s_err);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(s_out, "Committed "));
    assert_non_null(strstr(s_out, "compute_totals"));
    assert_int_equal(s_count_entries(s_tmp), 0);
    /* the ledger has it now (read directly: no stack runs any more) */
    assert_int_equal(s_run((const char *[]){"--config", s_cfg, "stats", NULL}), 0);
    assert_non_null(strstr(s_out, "Total documented:  1"));
    assert_non_null(strstr(s_out, "calc"));
}

/* WORKERS of `service` in status's table (a line starting with its name), -1 if none */
static long s_workers(const char *status_out, const char *service)
{
    size_t n = strlen(service);
    for (const char *line = status_out; line && *line;) {
        if (strncmp(line, service, n) == 0 && line[n] == ' ')
            return strtol(line + n, NULL, 10);
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return -1;
}

static void test_run_supervises_until_sigterm(void **state)
{
    (void)state;
    pid_t pid = s_spawn((const char *[]){"--config", s_cfg, "run", "--repo", "calc", s_repo, NULL});
    assert_true(pid > 0);
    /* wait (up to 20 s) until the stack answers with its workers */
    char status_out[65536] = "";
    bool ready = false;
    for (int i = 0; i < 40 && !ready; i++) {
        struct timespec nap = {0, 500 * 1000000L};
        nanosleep(&nap, NULL);
        char path[600];
        /* status writes to the same files: use a second scratch name */
        pid_t st = fork();
        if (st == 0) {
            snprintf(path, sizeof(path), "%s/status.txt", s_dir);
            int o = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            dup2(o, 1);
            int null = open("/dev/null", O_WRONLY);
            dup2(null, 2);
            execl(s_bin, s_bin, "--config", s_cfg, "status", (char *)NULL);
            _exit(127);
        }
        int status = 0;
        waitpid(st, &status, 0);
        snprintf(path, sizeof(path), "%s/status.txt", s_dir);
        s_read_file(path, status_out, sizeof(status_out));
        ready = WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
                s_workers(status_out, "committer") > 0 && s_workers(status_out, "analyzer") > 0 &&
                s_workers(status_out, "generator") == 2;
    }
    /* two generator instances registered */
    assert_int_equal(s_workers(status_out, "generator"), 2);
    assert_true(ready);
    kill(pid, SIGTERM);
    assert_int_equal(s_collect(pid), 0);
    assert_non_null(strstr(s_err, "stack_stopping"));
    /* every child went away with it */
    assert_int_equal(s_run((const char *[]){"--config", s_cfg, "status", NULL}), 1);
    assert_int_equal(s_count_entries(s_tmp), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_and_usage),
        cmocka_unit_test(test_every_command_has_help),
        cmocka_unit_test(test_no_repositories),
        cmocka_unit_test(test_config_error_exit_2),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_status_without_broker),
        cmocka_unit_test(test_schedule_preview),
        cmocka_unit_test(test_run_plan),
        cmocka_unit_test(test_analyze),
        cmocka_unit_test(test_stats_without_ledger),
        cmocka_unit_test(test_run_once_private_stack),
        cmocka_unit_test(test_run_supervises_until_sigterm),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
