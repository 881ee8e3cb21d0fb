/*  test_scheduler_memory — issue 10: the scheduler's memory stays flat over many cycles
    that are all skipped (the analyzer finds nothing). A real scheduler with a clock that
    jumps, so cycles run back to back, an in-process broker and a stand-in analyzer that
    answers every request "no_target". The heap in use (mallinfo2) is sampled after a
    warm-up and again after hundreds more cycles.                                     */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <malloc.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "cw_config.h"
#include "cw_cyclelog.h"
#include "cw_log.h"
#include "cw_scheduler.h"
#include "cw_test_bus.h"

#define WARMUP_CYCLES 150
#define MEASURED_CYCLES 600

static time_t s_fake_now = 1700000000;

static double s_jumping_clock(void *arg)
{
    (void)arg;
    s_fake_now += 30; /* every call: the next interval is already due */
    return s_fake_now;
}

/* every analyze_request is answered "nothing worth documenting" */
typedef struct {
    const char *endpoint;
    atomic_bool stop;
    atomic_int answered;
    pthread_t thread;
} analyzer_t;

static void *s_analyzer_main(void *arg)
{
    analyzer_t *a = arg;
    cw_worker_t *worker = cw_worker_new(a->endpoint, CW_SERVICE_ANALYZER);
    assert_non_null(worker);
    while (!atomic_load(&a->stop)) {
        cw_value_t *req = cw_worker_recv(worker, 100);
        if (!req)
            continue;
        cw_value_t *reply = cw_proto_new_error(cw_map_str(req, "job_id", ""), CW_ERR_NO_TARGET,
                                               "nothing to document", false);
        cw_value_destroy(&req);
        cw_worker_send(worker, &reply);
        atomic_fetch_add(&a->answered, 1);
    }
    cw_worker_destroy(&worker);
    return NULL;
}

static size_t s_heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

static void s_set(cw_config_t *c, const char *key, const char *value)
{
    char err[256];
    if (cw_config_set(c, key, value, err, sizeof(err)) != 0)
        fail_msg("%s: %s", key, err);
}

static void test_skipped_cycles_keep_memory_flat(void **state)
{
    (void)state;
    const char *base = getenv("CW_PORT_BASE");
    int port = (base ? atoi(base) : 24000) + 10;
    test_bus_t bus;
    bus_start(&bus, port);
    analyzer_t a = {.endpoint = bus.broker};
    atomic_init(&a.stop, false);
    atomic_init(&a.answered, 0);
    assert_int_equal(pthread_create(&a.thread, NULL, s_analyzer_main, &a), 0);

    /* the cycle log on tmpfs when there is one: hundreds of cycles, each with fsyncs */
    struct stat st;
    char dir[64];
    snprintf(dir, sizeof(dir), "%s/cw-test-schedmem-XXXXXX",
             stat("/dev/shm", &st) == 0 ? "/dev/shm" : "/tmp");
    assert_non_null(mkdtemp(dir));
    cw_config_t *config = cw_config_new_defaults();
    s_set(config, "data_dir", dir);
    s_set(config, "bus.broker", bus.broker);
    s_set(config, "bus.events_in", bus.events_in);
    s_set(config, "bus.events_out", bus.events_out);
    s_set(config, "schedule.interval_seconds", "1");

    cw_scheduler_t *sched = cw_scheduler_new(config);
    assert_non_null(sched);
    cw_scheduler_set_clock(sched, s_jumping_clock, NULL);
    cw_scheduler_set_max_cycles(sched, WARMUP_CYCLES);
    assert_int_equal(cw_scheduler_run(sched), 0);
    size_t warm = s_heap_in_use();
    size_t samples[6];
    for (int i = 0; i < 6; i++) {
        cw_scheduler_set_max_cycles(sched, MEASURED_CYCLES / 6);
        assert_int_equal(cw_scheduler_run(sched), 0);
        samples[i] = s_heap_in_use();
        printf("# SQLite memory in use: %lld bytes\n", (long long)sqlite3_memory_used());
    }
    printf("# heap in use after %d cycles: %zu bytes; then every %d cycles:", WARMUP_CYCLES, warm,
           MEASURED_CYCLES / 6);
    for (int i = 0; i < 6; i++)
        printf(" %zu", samples[i]);
    printf("\n");
    /* every cycle ran and was skipped: 8 doc types asked each time (at least one) */
    assert_true(atomic_load(&a.answered) >= WARMUP_CYCLES + MEASURED_CYCLES);
    /* flat: less than 64 bytes a cycle over the measured cycles (the cycle log's growth used
       to keep ~3 KB a cycle in SQLite's page cache) */
    size_t end = samples[5];
    size_t growth = end > warm ? end - warm : 0;
    printf("# growth over %d cycles: %zu bytes (%.1f per cycle)\n", MEASURED_CYCLES, growth,
           (double)growth / MEASURED_CYCLES);
    assert_true(growth < (size_t)MEASURED_CYCLES * 64);

    cw_scheduler_destroy(&sched);
    cw_config_destroy(&config);
    atomic_store(&a.stop, true);
    pthread_join(a.thread, NULL);
    bus_stop(&bus);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    cw_log_init("test_scheduler_memory");
    cw_log_set_level(CW_LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_skipped_cycles_keep_memory_flat),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
