/*  Supervisor: a child that exits is restarted with a growing delay (and the streak resets
    once a child stayed up), exits are logged with their exit code, stop sends SIGTERM then
    SIGKILLs stragglers, and SIGTERM to the supervisor ends its loop. Children are small
    /bin/sh scripts. Delays are shrunk with cw_supervisor_set_restart; the loops below wait
    for events with generous deadlines and assert on what happened, not on how long. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cw_log.h"
#include "cw_supervisor.h"

static int s_exit3_lines = 0;
static int s_killed_lines = 0;
static int s_failing_lines = 0;
static int s_hup_refused = 0;
static char s_failing_line[4096];

static void s_hook(cw_log_level_t level, const char *line, void *arg)
{
    (void)level;
    (void)arg;
    if (strstr(line, "\"child_exited\"") && strstr(line, "exit code 3"))
        s_exit3_lines++;
    if (strstr(line, "\"child_killed\""))
        s_killed_lines++;
    if (strstr(line, "\"child_failing\"")) {
        s_failing_lines++;
        snprintf(s_failing_line, sizeof s_failing_line, "%s", line);
    }
    if (strstr(line, "\"reload_signal\"") && strstr(line, "\"passed_on\":false"))
        s_hup_refused++;
}

static void s_read_text(const char *path, char *buf, size_t cap)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
}

static void s_nap(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static cw_supervisor_t *s_sup_with(const char *name, const char *script)
{
    cw_supervisor_t *sup = cw_supervisor_new();
    assert_non_null(sup);
    char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};
    assert_int_equal(cw_supervisor_add(sup, name, argv), 0);
    return sup;
}

/* Poll until `want` distinct restart delays were scheduled (or 20 s passed); returns how
   many were collected into delays[]. */
static int s_collect_delays(cw_supervisor_t *sup, int64_t *delays, int want)
{
    int got = 0, last_starts = cw_supervisor_starts(sup, 0);
    int exits_seen = 0;
    for (int i = 0; i < 2000 && got < want; i++) {
        exits_seen += cw_supervisor_poll(sup);
        if (exits_seen > got) {
            delays[got++] = cw_supervisor_last_delay_ms(sup, 0);
        }
        if (cw_supervisor_starts(sup, 0) != last_starts)
            last_starts = cw_supervisor_starts(sup, 0);
        s_nap(10);
    }
    return got;
}

static void test_default_delays(void **state)
{
    (void)state;
    cw_supervisor_t *sup = cw_supervisor_new();
    assert_int_equal(cw_supervisor_restart_delay_ms(sup, 1), 1000);
    assert_int_equal(cw_supervisor_restart_delay_ms(sup, 2), 2000);
    assert_int_equal(cw_supervisor_restart_delay_ms(sup, 3), 4000);
    assert_int_equal(cw_supervisor_restart_delay_ms(sup, 6), 32000);
    assert_int_equal(cw_supervisor_restart_delay_ms(sup, 7), 60000);
    assert_int_equal(cw_supervisor_restart_delay_ms(sup, 100), 60000);
    cw_supervisor_destroy(&sup);
    assert_null(sup);
    cw_supervisor_destroy(&sup); /* idempotent */
}

static void test_restart_growing_delay(void **state)
{
    (void)state;
    cw_supervisor_t *sup = s_sup_with("exit3", "exit 3");
    cw_supervisor_set_restart(sup, 50, 200, 60000);
    int before = s_exit3_lines;
    assert_int_equal(cw_supervisor_start(sup), 0);
    assert_true(cw_supervisor_pid(sup, 0) > 0);
    int64_t delays[5] = {0};
    assert_int_equal(s_collect_delays(sup, delays, 5), 5);
    assert_int_equal(delays[0], 50);
    assert_int_equal(delays[1], 100);
    assert_int_equal(delays[2], 200);
    assert_int_equal(delays[3], 200); /* capped */
    assert_int_equal(delays[4], 200);
    assert_true(cw_supervisor_starts(sup, 0) >= 5);
    assert_true(cw_supervisor_failures(sup, 0) >= 5);
    /* every exit was logged with its exit code */
    assert_true(s_exit3_lines - before >= 5);
    cw_supervisor_stop(sup, 1000);
    assert_int_equal(cw_supervisor_pid(sup, 0), 0);
    cw_supervisor_destroy(&sup);
}

static void test_streak_resets_when_stable(void **state)
{
    (void)state;
    /* stays up 300 ms, which counts as "stable" here (100 ms): delay never grows */
    cw_supervisor_t *sup = s_sup_with("steady", "sleep 0.3; exit 1");
    cw_supervisor_set_restart(sup, 50, 1000, 100);
    assert_int_equal(cw_supervisor_start(sup), 0);
    int64_t delays[3] = {0};
    assert_int_equal(s_collect_delays(sup, delays, 3), 3);
    assert_int_equal(delays[0], 50);
    assert_int_equal(delays[1], 50);
    assert_int_equal(delays[2], 50);
    assert_int_equal(cw_supervisor_failures(sup, 0), 1);
    cw_supervisor_destroy(&sup);
}

static void test_stop_terminates_and_kills_stragglers(void **state)
{
    (void)state;
    cw_supervisor_t *sup = cw_supervisor_new();
    char *polite[] = {"/bin/sleep", "30", NULL};
    char *stubborn[] = {"/bin/sh", "-c", "trap '' TERM; while :; do sleep 1; done", NULL};
    assert_int_equal(cw_supervisor_add(sup, "polite", polite), 0);
    assert_int_equal(cw_supervisor_add(sup, "stubborn", stubborn), 1);
    assert_int_equal(cw_supervisor_count(sup), 2);
    assert_int_equal(cw_supervisor_find(sup, "stubborn"), 1);
    assert_int_equal(cw_supervisor_find(sup, "nope"), -1);
    assert_int_equal(cw_supervisor_start(sup), 0);
    pid_t p0 = cw_supervisor_pid(sup, 0), p1 = cw_supervisor_pid(sup, 1);
    assert_true(p0 > 0 && p1 > 0);
    s_nap(200); /* let the shell install its trap */
    int killed_before = s_killed_lines;
    assert_int_equal(cw_supervisor_stop(sup, 500), 1); /* only the stubborn one */
    assert_int_equal(s_killed_lines - killed_before, 1);
    assert_int_equal(cw_supervisor_pid(sup, 0), 0);
    assert_int_equal(cw_supervisor_pid(sup, 1), 0);
    /* both are gone (reaped: kill reports ESRCH) */
    assert_int_equal(kill(p0, 0), -1);
    assert_int_equal(errno, ESRCH);
    assert_int_equal(kill(p1, 0), -1);
    /* and nothing restarts them afterwards */
    cw_supervisor_poll(sup);
    s_nap(100);
    cw_supervisor_poll(sup);
    assert_int_equal(cw_supervisor_pid(sup, 0), 0);
    cw_supervisor_destroy(&sup);
}

static void test_request_stop_ends_run(void **state)
{
    (void)state;
    cw_supervisor_t *sup = s_sup_with("sleeper", "sleep 30");
    assert_int_equal(cw_supervisor_start(sup), 0);
    /* a timeout returns 0, a request returns 1 */
    assert_int_equal(cw_supervisor_run(sup, 100), 0);
    cw_supervisor_request_stop(sup);
    assert_int_equal(cw_supervisor_run(sup, -1), 1);
    cw_supervisor_destroy(&sup); /* stops the child */
}

/* true when process `pid` executes a program whose file name is `name` */
static bool s_runs_program(pid_t pid, const char *name)
{
    char link[64], target[PATH_MAX];
    snprintf(link, sizeof link, "/proc/%d/exe", (int)pid);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n <= 0)
        return false;
    target[n] = '\0';
    const char *base = strrchr(target, '/');
    return strcmp(base ? base + 1 : target, name) == 0;
}

static void test_sigterm_stops_everything(void **state)
{
    (void)state;
    /* last test: the signal flag stays set for the process */
    cw_supervisor_t *sup = cw_supervisor_new();
    char *a[] = {"/bin/sleep", "30", NULL};
    char *b[] = {"/bin/sh", "-c", "exit 3", NULL};
    cw_supervisor_add(sup, "a", a);
    cw_supervisor_add(sup, "b", b);
    cw_supervisor_install_signals();
    assert_int_equal(cw_supervisor_start(sup), 0);
    pid_t pa = cw_supervisor_pid(sup, 0);
    /* Signal only once the child runs sleep: a signal that arrives between fork and exec
       is delivered by the kernel after exec, but valgrind's emulation loses it there. */
    for (int i = 0; i < 500 && !s_runs_program(pa, "sleep"); i++)
        usleep(10000);
    assert_true(s_runs_program(pa, "sleep"));
    assert_false(cw_supervisor_signalled());
    kill(getpid(), SIGTERM);
    assert_true(cw_supervisor_signalled());
    assert_int_equal(cw_supervisor_run(sup, 10000), 1);
    assert_int_equal(cw_supervisor_stop(sup, 5000), 0);
    assert_int_equal(kill(pa, 0), -1);
    /* b exited on its own and was not restarted after the signal */
    cw_supervisor_poll(sup);
    assert_int_equal(cw_supervisor_pid(sup, 1), 0);
    cw_supervisor_destroy(&sup);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    cw_supervisor_t *sup = cw_supervisor_new();
    char *empty[] = {NULL};
    assert_int_equal(cw_supervisor_add(sup, "x", empty), -1);
    assert_int_equal(cw_supervisor_add(NULL, "x", empty), -1);
    assert_int_equal(cw_supervisor_start_child(sup, 3), -1);
    /* a program that does not exist: exec fails in the child (exit 127) and it is
       scheduled for a restart like any other exit */
    char *missing[] = {"/nonexistent/codeworm-nothing", NULL};
    assert_int_equal(cw_supervisor_add(sup, "missing", missing), 0);
    cw_supervisor_set_restart(sup, 5000, 5000, 60000);
    assert_int_equal(cw_supervisor_start(sup), 0);
    int exited = 0;
    for (int i = 0; i < 500 && !exited; i++) {
        exited = cw_supervisor_poll(sup);
        s_nap(10);
    }
    assert_int_equal(exited, 1);
    assert_int_equal(cw_supervisor_last_delay_ms(sup, 0), 5000);
    cw_supervisor_destroy(&sup);
}

/* ---- what the children say: forwarded lines, last errors, child_failing, state file */
static int s_lines_seen = 0;
static char s_line_child[64];

static void s_line_hook(const char *child, const char *line, void *arg)
{
    (void)arg;
    (void)line;
    s_lines_seen++;
    snprintf(s_line_child, sizeof s_line_child, "%s", child);
}

static void test_last_errors_and_state_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/cw-test-sup-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char out[PATH_MAX], statefile[PATH_MAX], script[2048];
    snprintf(out, sizeof out, "%s/children.log", dir);
    snprintf(statefile, sizeof statefile, "%s/supervisor.json", dir);
    /* a log line at info, one at error, a plain line (an error too), then exit 1 */
    snprintf(script, sizeof script,
             "echo '{\"timestamp\":\"2024-01-01T00:00:00.000Z\",\"level\":\"info\","
             "\"service\":\"t\",\"event\":\"hello\"}' >&2; "
             "echo '{\"timestamp\":\"2024-01-01T00:00:00.000Z\",\"level\":\"error\","
             "\"service\":\"t\",\"event\":\"ledger_open_failed\",\"path\":\"/a b\","
             "\"code\":14}' >&2; "
             "printf 'cannot go on' >&2; exit 1");
    cw_supervisor_t *sup = s_sup_with("failer", script);
    cw_supervisor_set_restart(sup, 20, 50, 60000);
    cw_supervisor_set_output(sup, out);
    cw_supervisor_set_state_file(sup, statefile);
    cw_supervisor_set_line_hook(sup, s_line_hook, NULL);
    int failing_before = s_failing_lines;
    assert_int_equal(cw_supervisor_start(sup), 0);
    for (int i = 0; i < 2000 && cw_supervisor_failures(sup, 0) < CW_SUPERVISOR_REPORT_AFTER; i++) {
        cw_supervisor_poll(sup);
        s_nap(5);
    }
    assert_true(cw_supervisor_failures(sup, 0) >= CW_SUPERVISOR_REPORT_AFTER);
    cw_supervisor_flush(sup);
    char text[CW_SUPERVISOR_ERROR_MAX];
    cw_supervisor_last_error(sup, 0, text, sizeof text);
    /* the last two distinct error lines, readable; the info line is not an error */
    assert_string_equal(text, "ledger_open_failed path=\"/a b\" code=14 | cannot go on");
    cw_supervisor_last_exit(sup, 0, text, sizeof text);
    assert_string_equal(text, "exit code 1");
    /* child_failing was logged once for this streak, with the last error */
    assert_int_equal(s_failing_lines - failing_before, 1);
    assert_non_null(strstr(s_failing_line, "\"child\":\"failer\""));
    assert_non_null(strstr(s_failing_line, "ledger_open_failed"));
    /* every line was passed on to the output, unchanged (not a terminal) */
    char buf[16384];
    s_read_text(out, buf, sizeof buf);
    assert_non_null(strstr(buf, "\"event\":\"hello\"}\n"));
    assert_non_null(strstr(buf, "\ncannot go on\n"));
    assert_true(s_lines_seen >= 3);
    assert_string_equal(s_line_child, "failer");
    /* the state file */
    s_read_text(statefile, buf, sizeof buf);
    char want[64];
    snprintf(want, sizeof want, "{\"pid\":%d,", (int)getpid());
    assert_non_null(strstr(buf, want));
    assert_non_null(strstr(buf, "\"name\":\"failer\""));
    assert_non_null(strstr(buf, "\"last_exit\":\"exit code 1\""));
    assert_non_null(strstr(buf, "ledger_open_failed path=\\\"/a b\\\" code=14 | cannot go on"));
    assert_non_null(strstr(buf, "\"consecutive_failures\":"));
    cw_supervisor_destroy(&sup);
    /* removed with the supervisor */
    assert_int_equal(access(statefile, F_OK), -1);
    unlink(out);
    rmdir(dir);
}

static bool s_hup_pass = false;
static bool s_on_hup(void *arg)
{
    (void)arg;
    return s_hup_pass;
}

static void test_sighup_passed_on(void **state)
{
    (void)state;
    char dir[] = "/tmp/cw-test-hup-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char mark[64], script[1024];
    snprintf(mark, sizeof mark, "%s/hup", dir);
    snprintf(script, sizeof script,
             "trap 'echo hup >> %s' HUP; echo ready >> %s.ready; while :; do sleep 0.05; done",
             mark, mark);
    cw_supervisor_t *sup = s_sup_with("listener", script);
    cw_supervisor_set_hup_hook(sup, s_on_hup, NULL);
    cw_supervisor_install_signals();
    assert_int_equal(cw_supervisor_start(sup), 0);
    char ready[80];
    snprintf(ready, sizeof ready, "%s.ready", mark);
    for (int i = 0; i < 1000 && access(ready, F_OK) != 0; i++)
        s_nap(10);
    assert_int_equal(access(ready, F_OK), 0);
    pid_t pid = cw_supervisor_pid(sup, 0);
    /* the hook refuses: nothing is passed on */
    s_hup_pass = false;
    int refused = s_hup_refused;
    raise(SIGHUP);
    assert_int_equal(cw_supervisor_run(sup, 300), 0);
    assert_int_equal(s_hup_refused - refused, 1);
    /* the hook accepts: the child gets SIGHUP (and the supervisor keeps running) */
    s_hup_pass = true;
    raise(SIGHUP);
    for (int i = 0; i < 100 && access(mark, F_OK) != 0; i++)
        assert_int_equal(cw_supervisor_run(sup, 100), 0);
    assert_int_equal(access(mark, F_OK), 0);
    assert_false(cw_supervisor_signalled());
    assert_int_equal(cw_supervisor_pid(sup, 0), pid); /* the same child, still running */
    cw_supervisor_destroy(&sup);
    unlink(mark);
    unlink(ready);
    rmdir(dir);
}

int main(void)
{
    cw_log_set_format(1);
    cw_log_set_hook(s_hook, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_delays),
        cmocka_unit_test(test_restart_growing_delay),
        cmocka_unit_test(test_streak_resets_when_stable),
        cmocka_unit_test(test_stop_terminates_and_kills_stragglers),
        cmocka_unit_test(test_request_stop_ends_run),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_last_errors_and_state_file),
        cmocka_unit_test(test_sighup_passed_on),
        cmocka_unit_test(test_sigterm_stops_everything),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
