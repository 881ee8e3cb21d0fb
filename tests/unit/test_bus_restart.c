/*  test_bus_restart — issue 10: a broker restart costs seconds, not a request timeout.
    A worker that finishes its job while (or after) its broker restarts delivers the reply
    on the new connection, and the waiting client gets it; a request the old broker held in
    its queue is sent again by the client as soon as it is connected to the new broker. The
    job runs once. Each request here gets a single attempt of 20 s: losing the reply (the
    old behaviour) fails the test, however fast the machine.                           */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cw_log.h"
#include "cw_test_bus.h"

#define SERVICE "restarts"
#define ATTEMPT_MS 20000

static int s_port(int offset)
{
    const char *base = getenv("CW_PORT_BASE");
    return (base ? atoi(base) : 24000) + offset;
}

typedef struct {
    cw_client_t *client;
    int limit;
    char job[33];
    cw_value_t *reply;
    char err[256];
    pthread_t thread;
} call_t;

static void *s_call_main(void *arg)
{
    call_t *c = arg;
    cw_value_t *req = test_request(c->limit, c->job);
    c->reply = cw_client_request(c->client, SERVICE, &req, ATTEMPT_MS, 0, c->err, sizeof(c->err));
    return NULL;
}

static void s_call_start(call_t *c, cw_client_t *client, int limit)
{
    memset(c, 0, sizeof(*c));
    c->client = client;
    c->limit = limit;
    assert_int_equal(pthread_create(&c->thread, NULL, s_call_main, c), 0);
}

static void s_call_expect(call_t *c, int limit)
{
    pthread_join(c->thread, NULL);
    if (!c->reply)
        fail_msg("no reply within the single attempt: %s", c->err);
    assert_string_equal(cw_proto_type(c->reply), CW_MSG_STATS_REPLY);
    assert_string_equal(cw_map_str(c->reply, "job_id", ""), c->job);
    assert_int_equal(cw_map_int(c->reply, "total", -1), limit);
    cw_value_destroy(&c->reply);
}

static void s_wait_requests(test_worker_t *tw, int n)
{
    for (int i = 0; i < 400 && atomic_load(&tw->requests) < n; i++)
        zclock_sleep(25);
    assert_int_equal(atomic_load(&tw->requests), n);
}

static void s_wait_workers(const char *endpoint, int n)
{
    cw_client_t *c = cw_client_new(endpoint);
    for (int i = 0; i < 200; i++) {
        cw_value_t *st = cw_client_broker_status(c, 1000);
        const cw_value_t *svc = st ? cw_map_get(cw_map_get(st, "services"), SERVICE) : NULL;
        int64_t workers = svc ? cw_map_int(svc, "workers", 0) : 0;
        cw_value_destroy(&st);
        if (workers >= n)
            break;
        zclock_sleep(50);
    }
    cw_client_destroy(&c);
}

/* The worker is in the middle of a job when its broker restarts: the reply it finishes
   on the new connection reaches the client, and the job is not done again. */
static void test_reply_survives_broker_restart(void **state)
{
    (void)state;
    test_bus_t bus;
    bus_start(&bus, s_port(0));
    test_worker_t tw = {0};
    tw.slow_ms = 1500;
    worker_start(&tw, bus.broker, SERVICE);
    s_wait_workers(bus.broker, 1);
    cw_client_t *client = cw_client_new(bus.broker);
    call_t call;
    s_call_start(&call, client, 21);
    s_wait_requests(&tw, 1);
    bus_stop(&bus);
    bus_start(&bus, s_port(0));
    s_call_expect(&call, 21);
    assert_int_equal(atomic_load(&tw.requests), 1);

    /* and the bus keeps working afterwards */
    s_call_start(&call, client, 22);
    s_call_expect(&call, 22);
    cw_client_destroy(&client);
    worker_stop(&tw);
    bus_stop(&bus);
}

/* The broker is down when the worker finishes: the reply waits in the worker until a
   broker is back. */
static void test_reply_waits_for_the_broker(void **state)
{
    (void)state;
    test_bus_t bus;
    bus_start(&bus, s_port(3));
    test_worker_t tw = {0};
    tw.slow_ms = 300;
    worker_start(&tw, bus.broker, SERVICE);
    s_wait_workers(bus.broker, 1);
    cw_client_t *client = cw_client_new(bus.broker);
    call_t call;
    s_call_start(&call, client, 31);
    s_wait_requests(&tw, 1);
    bus_stop(&bus);
    /* the worker replies into the void meanwhile */
    for (int i = 0; i < 200 && atomic_load(&tw.replies) < 1; i++)
        zclock_sleep(25);
    assert_int_equal(atomic_load(&tw.replies), 1);
    zclock_sleep(1000);
    bus_start(&bus, s_port(3));
    s_call_expect(&call, 31);
    assert_int_equal(atomic_load(&tw.requests), 1);
    cw_client_destroy(&client);
    worker_stop(&tw);
    bus_stop(&bus);
}

/* The request sat in the old broker's queue (no worker yet): the client sends it again
   to the new broker at once instead of after its timeout. */
static void test_queued_request_is_resent(void **state)
{
    (void)state;
    test_bus_t bus;
    bus_start(&bus, s_port(6));
    cw_client_t *client = cw_client_new(bus.broker);
    call_t call;
    s_call_start(&call, client, 41);
    /* wait until the old broker holds it in its queue */
    cw_client_t *probe = cw_client_new(bus.broker);
    for (int i = 0; i < 200; i++) {
        cw_value_t *st = cw_client_broker_status(probe, 1000);
        const cw_value_t *svc = st ? cw_map_get(cw_map_get(st, "services"), SERVICE) : NULL;
        int64_t queued = svc ? cw_map_int(svc, "queued", 0) : 0;
        cw_value_destroy(&st);
        if (queued == 1)
            break;
        zclock_sleep(25);
    }
    cw_client_destroy(&probe);
    bus_stop(&bus);
    bus_start(&bus, s_port(6));
    test_worker_t tw = {0};
    worker_start(&tw, bus.broker, SERVICE);
    s_call_expect(&call, 41);
    assert_int_equal(atomic_load(&tw.requests), 1);
    cw_client_destroy(&client);
    worker_stop(&tw);
    bus_stop(&bus);
}

int main(void)
{
    cw_log_init("test_bus_restart");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reply_survives_broker_restart),
        cmocka_unit_test(test_reply_waits_for_the_broker),
        cmocka_unit_test(test_queued_request_is_resent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
