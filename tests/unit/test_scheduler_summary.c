/*  Weekly and monthly summaries across a week and a month boundary, with a fixed clock:
    the scheduler (codeworm-scheduler's loop, interval mode) runs against an in-process
    broker, a real committer and a real offline generator in threads and an analyzer that
    never has anything to document. The ledger holds documents around the boundaries; the
    schedule's time zone (Europe/Berlin) differs from the machine's (UTC), so a document
    written at 23:30 UTC on the last day of February belongs to March.
    cw-test-libs: cw_committer cw_generator */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cw_bus.h"
#include "cw_committer.h"
#include "cw_config.h"
#include "cw_generator.h"
#include "cw_ledger.h"
#include "cw_log.h"
#include "cw_proto.h"
#include "cw_scheduler.h"
#include "cw_summary.h"
#include "cw_test_bus.h"

static char s_dir[PATH_MAX];
static test_bus_t s_bus;

/* ------------------------------------------------------------------ workers in threads */

typedef struct {
    const char *service;
    const cw_config_t *config;
    atomic_bool stop;
    atomic_bool ready;
    pthread_t thread;
} s_worker_t;

static void *s_worker_main(void *arg)
{
    s_worker_t *w = arg;
    cw_publisher_t *pub = NULL;
    cw_committer_t *committer = NULL;
    cw_generator_t *generator = NULL;
    if (strcmp(w->service, CW_SERVICE_COMMITTER) == 0) {
        pub = cw_publisher_new(w->config->bus.events_in, "committer");
        committer = cw_committer_new(w->config, pub);
        assert_non_null(committer);
    } else if (strcmp(w->service, CW_SERVICE_GENERATOR) == 0) {
        generator = cw_generator_new(w->config);
        assert_non_null(generator);
    }
    cw_worker_t *worker = cw_worker_new(w->config->bus.broker, w->service);
    assert_non_null(worker);
    atomic_store(&w->ready, true);
    while (!atomic_load(&w->stop)) {
        cw_value_t *req = cw_worker_recv(worker, 50);
        if (committer)
            cw_committer_tick(committer);
        if (!req)
            continue;
        cw_value_t *rep;
        if (committer)
            rep = cw_committer_handle(committer, req);
        else if (generator)
            rep = cw_generator_handle(generator, req);
        else /* the analyzer: nothing worth documenting, ever */
            rep = cw_proto_new_error(cw_map_str(req, "job_id", ""), CW_ERR_NO_TARGET,
                                     "nothing to document", false);
        cw_value_destroy(&req);
        cw_worker_send(worker, &rep);
    }
    cw_worker_destroy(&worker);
    cw_committer_destroy(&committer);
    cw_generator_destroy(&generator);
    cw_publisher_destroy(&pub);
    return NULL;
}

static void s_worker_start(s_worker_t *w, const char *service, const cw_config_t *config)
{
    w->service = service;
    w->config = config;
    atomic_init(&w->stop, false);
    atomic_init(&w->ready, false);
    assert_int_equal(pthread_create(&w->thread, NULL, s_worker_main, w), 0);
    for (int i = 0; i < 200 && !atomic_load(&w->ready); i++)
        zclock_sleep(10);
}

static void s_worker_stop(s_worker_t *w)
{
    atomic_store(&w->stop, true);
    pthread_join(w->thread, NULL);
}

/* ------------------------------------------------------------------ the clock */

static atomic_llong s_clock;
static long long s_step = 1800; /* each look at the clock moves it on half an hour */

static double s_fake_clock(void *arg)
{
    (void)arg;
    return (double)atomic_fetch_add(&s_clock, s_step);
}

/* ------------------------------------------------------------------ helpers */

static char *s_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *s_run(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    static char out[8192];
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    pclose(p);
    while (n > 0 && out[n - 1] == '\n')
        out[--n] = '\0';
    return strdup(out);
}

static cw_config_t *s_config(void)
{
    cw_config_t *c = cw_config_new_defaults();
    char err[256], path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/data", s_dir);
    assert_int_equal(cw_config_set(c, "data_dir", path, err, sizeof err), 0);
    snprintf(path, sizeof path, "%s/devlog", s_dir);
    assert_int_equal(cw_config_set(c, "devlog.repo_path", path, err, sizeof err), 0);
    assert_int_equal(cw_config_set(c, "llm.backend", "offline", err, sizeof err), 0);
    assert_int_equal(cw_config_set(c, "schedule.timezone", "Europe/Berlin", err, sizeof err), 0);
    assert_int_equal(cw_config_set(c, "schedule.interval_seconds", "3600", err, sizeof err), 0);
    assert_int_equal(cw_config_set(c, "bus.broker", s_bus.broker, err, sizeof err), 0);
    assert_int_equal(cw_config_set(c, "bus.events_in", s_bus.events_in, err, sizeof err), 0);
    assert_int_equal(cw_config_set(c, "bus.events_out", s_bus.events_out, err, sizeof err), 0);
    return c;
}

static void s_document(cw_ledger_t *l, const char *repo, const char *name, const char *cls,
                       const char *doc_type, const char *lang, double complexity,
                       const char *when_utc)
{
    struct tm tm = {0};
    assert_non_null(strptime(when_utc, "%Y-%m-%d %H:%M", &tm));
    time_t when = timegm(&tm);
    cw_value_t *t = cw_value_new_map();
    cw_map_set_str(t, "doc_type", doc_type);
    cw_map_set_str(t, "repo", repo);
    cw_map_set_str(t, "file", "src/code.py");
    cw_map_set_str(t, "language", lang);
    cw_map_set_str(t, "name", name);
    if (cls)
        cw_map_set_str(t, "class", cls);
    cw_map_set_float(t, "complexity", complexity);
    cw_map_set_str(t, "code_hash", name);
    char path[128];
    snprintf(path, sizeof path, "snippets/%s/%s.md", lang, name);
    assert_int_equal(cw_ledger_record(l, t, path, "c0ffee", NULL, when), 0);
    assert_int_equal(cw_ledger_record_facts(l, path, t, 1.0, 0), 0);
    cw_value_destroy(&t);
}

static int s_commits_touching(const char *rel)
{
    char *out = s_run("git -C '%s/devlog' log --format=%%H -- '%s' | wc -l", s_dir, rel);
    int n = atoi(out);
    free(out);
    return n;
}

static time_t s_utc(const char *when)
{
    struct tm tm = {0};
    assert_non_null(strptime(when, "%Y-%m-%d %H:%M", &tm));
    return timegm(&tm);
}

/* ------------------------------------------------------------------ tests */

static void test_periods(void **state)
{
    cw_config_t *c = s_config();
    cw_summary_t *s = cw_summary_new(c, NULL);
    assert_non_null(s);
    cw_summary_period_t p;
    /* Monday 2026-03-02 00:30 in Berlin: the week that just ended is 2026-W09 */
    cw_summary_last_week(s, s_utc("2026-03-01 23:30"), &p);
    assert_string_equal(p.period, "2026-W09");
    assert_string_equal(p.first_day, "2026-02-23");
    assert_string_equal(p.last_day, "2026-03-01");
    assert_int_equal(p.start, s_utc("2026-02-22 23:00"));
    assert_int_equal(p.end, s_utc("2026-03-01 23:00"));
    /* still Sunday in Berlin at 22:30 UTC: the last finished week is W08 */
    cw_summary_last_week(s, s_utc("2026-03-01 22:30"), &p);
    assert_string_equal(p.period, "2026-W08");
    /* ISO years: 2027-01-01 is a Friday, in 2026-W53; 2026-01-01 (Thursday) in 2026-W01 */
    cw_summary_last_week(s, s_utc("2027-01-05 12:00"), &p);
    assert_string_equal(p.period, "2026-W53");
    assert_string_equal(p.first_day, "2026-12-28");
    cw_summary_last_week(s, s_utc("2026-01-06 12:00"), &p);
    assert_string_equal(p.period, "2026-W01");
    assert_string_equal(p.first_day, "2025-12-29");
    /* months, with a summer-time change inside March (Berlin, 2026-03-29) */
    cw_summary_last_month(s, s_utc("2026-03-01 00:30"), &p);
    assert_string_equal(p.period, "2026-02");
    assert_string_equal(p.last_day, "2026-02-28");
    cw_summary_last_month(s, s_utc("2026-04-10 00:00"), &p);
    assert_string_equal(p.period, "2026-03");
    assert_int_equal(p.start, s_utc("2026-02-28 23:00"));
    assert_int_equal(p.end, s_utc("2026-03-31 22:00"));
    cw_summary_last_month(s, s_utc("2026-01-15 00:00"), &p);
    assert_string_equal(p.period, "2025-12");
    cw_summary_destroy(&s);
    cw_config_destroy(&c);
}

static void test_summaries_across_boundaries(void **state)
{
    cw_config_t *c = s_config();
    /* the ledger before anything runs */
    char db[PATH_MAX + 32];
    assert_int_equal(cw_config_data_path(c, "codeworm.db", db, sizeof db), 0);
    cw_ledger_t *l = cw_ledger_new(db);
    assert_non_null(l);
    s_document(l, "alpha", "early", NULL, "function_doc", "python", 2, "2026-02-10 12:00");
    s_document(l, "alpha", "parse", NULL, "function_doc", "python", 6, "2026-02-24 09:00");
    s_document(l, "beta", "Walk", "Graph", "class_doc", "go", 14, "2026-02-28 23:30");
    s_document(l, "beta", "late", NULL, "til", "go", 3, "2026-03-01 22:30");
    s_document(l, "alpha", "monday", NULL, "function_doc", "python", 9, "2026-03-01 23:30");
    cw_ledger_destroy(&l);

    s_worker_t analyzer, generator, committer;
    s_worker_start(&committer, CW_SERVICE_COMMITTER, c);
    s_worker_start(&generator, CW_SERVICE_GENERATOR, c);
    s_worker_start(&analyzer, CW_SERVICE_ANALYZER, c);
    zclock_sleep(300);

    /* Saturday 2026-02-28 21:00 in Berlin, then on through Monday 2026-03-02 */
    atomic_store(&s_clock, (long long)s_utc("2026-02-28 20:00"));
    cw_scheduler_t *sched = cw_scheduler_new(c);
    assert_non_null(sched);
    cw_scheduler_set_clock(sched, s_fake_clock, NULL);
    cw_scheduler_set_timeouts(sched, 5000, 1, 10000, 0);
    cw_scheduler_set_max_cycles(sched, 36);
    cw_scheduler_run(sched);
    cw_scheduler_destroy(&sched);
    assert_true(atomic_load(&s_clock) > s_utc("2026-03-02 06:00"));

    /* one monthly summary (February in Berlin: early, parse) and one weekly (2026-W09:
       parse, Walk, late); none for January or 2026-W08, where nothing was documented */
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/devlog/analysis/monthly/2026-02.md", s_dir);
    char *month = s_run("cat '%s'", path);
    snprintf(path, sizeof path, "%s/devlog/analysis/weekly/2026-W09.md", s_dir);
    char *week = s_run("cat '%s'", path);
    assert_non_null(strstr(month, "# Monthly Summary: 2026-02"));
    assert_non_null(strstr(month, "**Period:** 2026-02-01 to 2026-02-28 (Europe/Berlin)"));
    assert_non_null(strstr(month, "documented 2 pieces of code in 1 repository"));
    assert_non_null(strstr(month, "`early`"));
    assert_non_null(strstr(month, "`parse`"));
    assert_null(strstr(month, "Walk"));
    assert_non_null(strstr(week, "# Weekly Summary: 2026-W09"));
    assert_non_null(strstr(week, "**Documented:** 3 documents in 2 repositories"));
    assert_non_null(strstr(week, "### Most complex targets\n\n1. `Graph.Walk`"));
    assert_non_null(strstr(week, "`late`"));
    assert_null(strstr(week, "monday"));
    assert_null(strstr(week, "early"));
    assert_non_null(strstr(week, "offline backend"));
    if (getenv("CW_SUMMARY_DUMP"))
        fprintf(stderr, "%s\n=====\n%s\n", month, week);
    free(month);
    free(week);
    assert_int_equal(s_commits_touching("analysis/monthly/2026-02.md"), 1);
    assert_int_equal(s_commits_touching("analysis/weekly/2026-W09.md"), 1);
    char *files = s_run("ls '%s/devlog/analysis/weekly' '%s/devlog/analysis/monthly' | grep -c md",
                        s_dir, s_dir);
    assert_string_equal(files, "2");
    free(files);
    char *subjects = s_run("git -C '%s/devlog' log --format=%%s | grep -c Summarize", s_dir);
    assert_string_equal(subjects, "2");
    free(subjects);

    /* a restart on Tuesday: both periods exist, nothing is written again */
    char *head = s_run("git -C '%s/devlog' rev-parse HEAD", s_dir);
    atomic_store(&s_clock, (long long)s_utc("2026-03-03 08:00"));
    sched = cw_scheduler_new(c);
    cw_scheduler_set_clock(sched, s_fake_clock, NULL);
    cw_scheduler_set_timeouts(sched, 5000, 1, 10000, 0);
    cw_scheduler_set_max_cycles(sched, 2);
    cw_scheduler_run(sched);
    cw_scheduler_destroy(&sched);
    char *head2 = s_run("git -C '%s/devlog' rev-parse HEAD", s_dir);
    assert_string_equal(head, head2);
    free(head);
    free(head2);

    /* the ledger knows both */
    l = cw_ledger_new(db);
    assert_int_equal(cw_ledger_find_summary(l, "weekly", "2026-W09", NULL, 0, NULL, 0), 1);
    assert_int_equal(cw_ledger_find_summary(l, "monthly", "2026-02", NULL, 0, NULL, 0), 1);
    assert_int_equal(cw_ledger_find_summary(l, "weekly", "2026-W08", NULL, 0, NULL, 0), 0);
    cw_ledger_destroy(&l);

    s_worker_stop(&analyzer);
    s_worker_stop(&generator);
    s_worker_stop(&committer);
    cw_config_destroy(&c);
}

static int s_setup(void **state)
{
    setenv("TZ", "UTC", 1);
    tzset();
    setenv("CW_TEST_FAST", "1", 1);
    cw_log_set_level(CW_LOG_ERROR);
    zsys_init();
    snprintf(s_dir, sizeof s_dir, "/tmp/cw-summary-XXXXXX");
    if (!mkdtemp(s_dir))
        return -1;
    const char *base = getenv("CW_PORT_BASE");
    bus_start(&s_bus, base ? atoi(base) : 24900);
    return 0;
}

static int s_teardown(void **state)
{
    bus_stop(&s_bus);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_periods),
        cmocka_unit_test(test_summaries_across_boundaries),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
