/*  The bus API over a real broker (in-process actor) on ipc endpoints (cw_test_bus.h):
    round trips, many requests, a worker that dies mid-job, a job that kills three
    workers, a client with no broker, re-sent requests, events, broker status. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "cw_broker.h"
#include "cw_bus.h"
#include "cw_log.h"
#include "cw_proto.h"
#include "cw_test_bus.h"

#define SERVICE "analyzer"

/* Wait until the broker reports `n` workers for SERVICE. */
static void wait_workers(cw_client_t *client, int n)
{
    for (int i = 0; i < 100; i++) {
        cw_value_t *status = cw_client_broker_status(client, 1000);
        const cw_value_t *svc = status ? cw_map_get(cw_map_get(status, "services"), SERVICE) : NULL;
        int64_t workers = svc ? cw_map_int(svc, "workers", -1) : -1;
        cw_value_destroy(&status);
        if (workers == n)
            return;
        zclock_sleep(50);
    }
    fail_msg("broker never reported %d workers", n);
}

static void assert_echo(cw_value_t *reply, const char *job_id, int limit)
{
    assert_non_null(reply);
    assert_string_equal(cw_proto_type(reply), CW_MSG_STATS_REPLY);
    assert_string_equal(cw_map_str(reply, "job_id", ""), job_id);
    assert_int_equal(cw_map_int(reply, "total", -1), limit);
}

/* ------------------------------------------------------------------ tests */

static void test_job_ids(void **state)
{
    char a[33], b[33];
    cw_bus_new_job_id(a);
    cw_bus_new_job_id(b);
    assert_int_equal(strlen(a), 32);
    assert_int_equal(strspn(a, "0123456789abcdef"), 32);
    assert_string_not_equal(a, b);
}

static void test_round_trip(void **state)
{
    test_bus_t bus;
    bus_start(&bus, 24101);
    test_worker_t tw = {0};
    worker_start(&tw, bus.broker, SERVICE);
    cw_client_t *client = cw_client_new(bus.broker);
    assert_non_null(client);

    char job[33], err[256];
    cw_value_t *req = test_request(7, job);
    cw_value_t *reply = cw_client_request(client, SERVICE, &req, 5000, 2, err, sizeof(err));
    assert_null(req);
    assert_echo(reply, job, 7);
    cw_value_destroy(&reply);
    assert_int_equal(atomic_load(&tw.requests), 1);

    /* the worker's actor says it is connected */
    cw_worker_t *probe = cw_worker_new(bus.broker, "probe");
    for (int i = 0; i < 100 && !cw_worker_connected(probe); i++)
        zclock_sleep(20);
    assert_true(cw_worker_connected(probe));
    cw_worker_destroy(&probe);
    assert_null(probe);
    cw_worker_destroy(&probe); /* idempotent */

    /* a request without a job_id is refused before sending */
    cw_value_t *bad = cw_proto_new(CW_MSG_ANALYZE_REQUEST);
    assert_null(cw_client_request(client, SERVICE, &bad, 500, 0, err, sizeof(err)));
    assert_null(bad);
    assert_non_null(strstr(err, "job_id"));

    cw_client_destroy(&client);
    assert_null(client);
    worker_stop(&tw);
    bus_stop(&bus);
}

static void test_many_requests(void **state)
{
    test_bus_t bus;
    bus_start(&bus, 24111);
    test_worker_t w1 = {0}, w2 = {0};
    worker_start(&w1, bus.broker, SERVICE);
    worker_start(&w2, bus.broker, SERVICE);
    cw_client_t *client = cw_client_new(bus.broker);
    wait_workers(client, 2);
    const int n = 300;
    for (int i = 0; i < n; i++) {
        char job[33], err[256];
        cw_value_t *req = test_request(i % 1000 + 1, job);
        cw_value_t *reply = cw_client_request(client, SERVICE, &req, 5000, 2, err, sizeof(err));
        if (!reply)
            fail_msg("request %d: %s", i, err);
        assert_echo(reply, job, i % 1000 + 1);
        cw_value_destroy(&reply);
    }
    assert_int_equal(atomic_load(&w1.replies) + atomic_load(&w2.replies), n);
    /* both workers took a share */
    assert_true(atomic_load(&w1.replies) > 0);
    assert_true(atomic_load(&w2.replies) > 0);
    cw_client_destroy(&client);
    worker_stop(&w1);
    worker_stop(&w2);
    bus_stop(&bus);
}

static void test_worker_dies_mid_job(void **state)
{
    test_bus_t bus;
    bus_start(&bus, 24121);
    cw_client_t *client = cw_client_new(bus.broker);
    test_worker_t dying = {0}, healthy = {0};
    dying.vanish_count = 1;
    worker_start(&dying, bus.broker, SERVICE);
    wait_workers(client, 1);
    worker_start(&healthy, bus.broker, SERVICE);
    wait_workers(client, 2);

    char job[33], err[256];
    cw_value_t *req = test_request(42, job);
    /* the longest-idle worker (the dying one) gets the job first */
    cw_value_t *reply = cw_client_request(client, SERVICE, &req, 10000, 0, err, sizeof(err));
    if (!reply)
        fail_msg("%s", err);
    assert_echo(reply, job, 42);
    cw_value_destroy(&reply);
    assert_int_equal(atomic_load(&dying.vanished), 1);
    assert_int_equal(atomic_load(&dying.requests) + atomic_load(&healthy.requests), 2);
    cw_client_destroy(&client);
    worker_stop(&dying);
    worker_stop(&healthy);
    bus_stop(&bus);
}

static void test_job_that_kills_three_workers(void **state)
{
    test_bus_t bus;
    bus_start(&bus, 24131);
    cw_client_t *client = cw_client_new(bus.broker);
    test_worker_t tw = {0};
    tw.vanish_count = 3;
    worker_start(&tw, bus.broker, SERVICE);
    wait_workers(client, 1);

    char job[33], err[256];
    cw_value_t *req = test_request(1, job);
    cw_value_t *reply = cw_client_request(client, SERVICE, &req, 15000, 0, err, sizeof(err));
    if (!reply)
        fail_msg("%s", err);
    assert_string_equal(cw_proto_type(reply), CW_MSG_ERROR);
    assert_string_equal(cw_map_str(reply, "code", ""), CW_ERR_WORKER_LOST);
    assert_string_equal(cw_map_str(reply, "job_id", ""), job);
    assert_non_null(strstr(cw_map_str(reply, "message", ""), "was lost by 3 workers"));
    cw_value_destroy(&reply);
    assert_int_equal(atomic_load(&tw.vanished), 3);
    assert_int_equal(atomic_load(&tw.replies), 0);

    /* the broker still serves: the fourth worker of that thread answers the next job */
    req = test_request(5, job);
    reply = cw_client_request(client, SERVICE, &req, 10000, 0, err, sizeof(err));
    assert_echo(reply, job, 5);
    cw_value_destroy(&reply);
    cw_client_destroy(&client);
    worker_stop(&tw);
    bus_stop(&bus);
}

static void test_client_without_broker(void **state)
{
    cw_client_t *client = cw_client_new("tcp://127.0.0.1:24140");
    assert_non_null(client);
    char job[33], err[256];
    cw_value_t *req = test_request(1, job);
    int64_t start = zclock_mono();
    cw_value_t *reply = cw_client_request(client, SERVICE, &req, 200, 2, err, sizeof(err));
    int64_t elapsed = zclock_mono() - start;
    assert_null(reply);
    assert_non_null(strstr(err, "no reply from broker tcp://127.0.0.1:24140 for analyzer"));
    assert_non_null(strstr(err, "within 200 ms after 3 attempts"));
    /* it gave up (a hang would never get here); status gives NULL too */
    assert_true(elapsed >= 200);
    assert_null(cw_client_broker_status(client, 200));
    cw_client_destroy(&client);
    assert_null(cw_client_new(NULL));
    assert_null(cw_client_new("not-an-endpoint"));
}

static void test_resend_is_not_processed_twice(void **state)
{
    test_bus_t bus;
    bus_start(&bus, 24151);
    cw_client_t *client = cw_client_new(bus.broker);
    test_worker_t tw = {0};
    tw.slow_ms = 1500; /* longer than one attempt: the client re-sends once */
    worker_start(&tw, bus.broker, SERVICE);
    wait_workers(client, 1);
    char job[33], err[256];
    cw_value_t *req = test_request(9, job);
    cw_value_t *reply = cw_client_request(client, SERVICE, &req, 1000, 2, err, sizeof(err));
    if (!reply)
        fail_msg("%s", err);
    assert_echo(reply, job, 9);
    cw_value_destroy(&reply);
    zclock_sleep(300);
    assert_int_equal(atomic_load(&tw.requests), 1);
    cw_client_destroy(&client);
    worker_stop(&tw);
    bus_stop(&bus);
}

static void test_events_through_proxy(void **state)
{
    test_bus_t bus;
    bus_start(&bus, 24161);
    cw_subscriber_t *sub = cw_subscriber_new(bus.events_out, "");
    cw_subscriber_t *only_stats = cw_subscriber_new(bus.events_out, "stats");
    cw_publisher_t *pub = cw_publisher_new(bus.events_in, "tester");
    assert_non_null(sub);
    assert_non_null(only_stats);
    assert_non_null(pub);

    /* slow joiner: publish until the subscription has reached the publisher */
    cw_value_t *event = NULL;
    for (int i = 0; i < 50 && !event; i++) {
        cw_value_t *fields = cw_value_new_map();
        cw_map_set_str(fields, "level", "info");
        cw_map_set_str(fields, "message", "hello bus");
        assert_int_equal(cw_publisher_send(pub, CW_EV_LOG, &fields), 0);
        assert_null(fields);
        event = cw_subscriber_recv(sub, 100);
    }
    assert_non_null(event);
    assert_string_equal(cw_proto_type(event), CW_EV_LOG);
    assert_string_equal(cw_map_str(event, "message", ""), "hello bus");
    assert_string_equal(cw_map_str(event, "service", ""), "tester");
    assert_int_equal(cw_map_int(event, "v", 0), CW_PROTO_VERSION);
    assert_non_null(strchr(cw_map_str(event, "timestamp", ""), 'T'));
    cw_value_destroy(&event);

    /* an event that breaks its declaration is not sent */
    cw_value_t *bad = cw_value_new_map();
    cw_map_set_str(bad, "level", "info"); /* "message" missing */
    assert_int_equal(cw_publisher_send(pub, CW_EV_LOG, &bad), -1);
    assert_null(bad);

    /* prefix filter: the stats subscriber sees stats only */
    for (int i = 0; i < 50 && !event; i++) {
        cw_value_t *fields = cw_value_new_map();
        cw_map_set_str(fields, "level", "info");
        cw_map_set_str(fields, "message", "not for stats");
        cw_publisher_send(pub, CW_EV_LOG, &fields);
        fields = cw_value_new_map();
        cw_map_set_int(fields, "total", 12);
        cw_publisher_send(pub, CW_EV_STATS, &fields);
        event = cw_subscriber_recv(only_stats, 100);
    }
    assert_non_null(event);
    assert_string_equal(cw_proto_type(event), CW_EV_STATS);
    assert_int_equal(cw_map_int(event, "total", 0), 12);
    cw_value_destroy(&event);

    cw_publisher_destroy(&pub);
    cw_subscriber_destroy(&sub);
    cw_subscriber_destroy(&only_stats);
    bus_stop(&bus);
}

static void test_broker_status(void **state)
{
    test_bus_t bus;
    bus_start(&bus, 24171);
    cw_client_t *client = cw_client_new(bus.broker);
    test_worker_t w1 = {0}, w2 = {0};
    worker_start(&w1, bus.broker, SERVICE);
    worker_start(&w2, bus.broker, SERVICE);
    wait_workers(client, 2);
    cw_value_t *status = cw_client_broker_status(client, 2000);
    assert_non_null(status);
    assert_string_equal(cw_proto_type(status), CW_MSG_STATUS_REPLY);
    const cw_value_t *svc = cw_map_get(cw_map_get(status, "services"), SERVICE);
    assert_non_null(svc);
    assert_int_equal(cw_map_int(svc, "workers", -1), 2);
    assert_int_equal(cw_map_int(svc, "queued", -1), 0);
    assert_int_equal(cw_map_int(svc, "busy", -1), 0);
    cw_value_destroy(&status);

    /* another request type to service "broker" is a bad request */
    char job[33], err[256];
    cw_value_t *req = test_request(1, job);
    cw_value_t *reply =
        cw_client_request(client, CW_SERVICE_BROKER, &req, 2000, 0, err, sizeof(err));
    assert_non_null(reply);
    assert_string_equal(cw_map_str(reply, "code", ""), CW_ERR_BAD_REQUEST);
    cw_value_destroy(&reply);

    cw_client_destroy(&client);
    worker_stop(&w1);
    worker_stop(&w2);
    bus_stop(&bus);
}

/* A fake broker (raw ROUTER): the worker heartbeats on its own while the caller's thread
   does nothing, declares the broker dead when it stays silent and registers again;
   malformed requests are answered by the worker itself. */
static void test_worker_heartbeats_and_reconnects(void **state)
{
    int port = test_tcp_port(19);
    char ep[64];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);
    zsock_t *router = zsock_new(ZMQ_ROUTER);
    zsock_set_linger(router, 0);
    assert_int_equal(zsock_bind(router, "%s", ep), port);
    cw_worker_t *worker = cw_worker_new(ep, SERVICE);
    assert_non_null(worker);
    zpoller_t *poller = zpoller_new(router, NULL);

    zframe_t *first = NULL, *second = NULL;
    int heartbeats = 0;
    int64_t deadline = zclock_mono() + 20000;
    while (!second && zclock_mono() < deadline) {
        if (!zpoller_wait(poller, 500))
            continue;
        zmsg_t *msg = zmsg_recv(router);
        zframe_t *id = zmsg_pop(msg);
        char *header = zmsg_popstr(msg);
        zframe_t *cmd = zmsg_pop(msg);
        assert_string_equal(header, CW_BUS_WORKER);
        assert_int_equal(zframe_size(cmd), 1);
        int command = zframe_data(cmd)[0];
        if (command == CW_BUS_READY) {
            char *service = zmsg_popstr(msg);
            assert_string_equal(service, SERVICE);
            free(service);
            if (!first) {
                first = zframe_dup(id);
                /* answer once: the worker counts as connected */
                zmsg_t *hb = zmsg_new();
                zmsg_append(hb, &id);
                zmsg_addstr(hb, CW_BUS_WORKER);
                zmsg_addmem(hb, (unsigned char[]){CW_BUS_HEARTBEAT}, 1);
                zmsg_send(&hb, router);
            } else
                second = zframe_dup(id);
        } else if (command == CW_BUS_HEARTBEAT) {
            assert_non_null(first);
            assert_true(zframe_eq(id, first));
            heartbeats++;
        }
        zframe_destroy(&id);
        zframe_destroy(&cmd);
        free(header);
        zmsg_destroy(&msg);
    }
    assert_non_null(first);
    assert_non_null(second); /* registered again after the broker went quiet */
    /* on a new socket that keeps the routing id, so that a broker which is still the same
       one knows the worker again (issue 10: broker restarts and network blips) */
    assert_true(zframe_eq(first, second));
    assert_true(heartbeats >= 2); /* kept beating while this thread did nothing */
    assert_false(cw_worker_connected(worker));

    /* a malformed request is answered bad_request by the worker, never returned */
    zmsg_t *req = zmsg_new();
    zmsg_addmem(req, zframe_data(second), zframe_size(second));
    zmsg_addstr(req, CW_BUS_WORKER);
    zmsg_addmem(req, (unsigned char[]){CW_BUS_REQUEST}, 1);
    zmsg_addstr(req, "client-1");
    zmsg_addstr(req, "not msgpack at all");
    zmsg_send(&req, router);
    assert_null(cw_worker_recv(worker, 300));
    zmsg_t *answer = NULL;
    while (!answer && zpoller_wait(poller, 3000)) {
        zmsg_t *msg = zmsg_recv(router);
        zmsg_first(msg);
        zmsg_next(msg);
        if (zframe_data(zmsg_next(msg))[0] == CW_BUS_REPLY)
            answer = msg;
        else
            zmsg_destroy(&msg);
    }
    assert_non_null(answer);
    assert_int_equal(zmsg_size(answer), 5);
    zmsg_first(answer);
    zmsg_next(answer);
    zmsg_next(answer);
    assert_true(zframe_streq(zmsg_next(answer), "client-1"));
    zframe_t *payload = zmsg_next(answer);
    cw_value_t *err = cw_proto_decode(zframe_data(payload), zframe_size(payload), NULL, 0);
    assert_non_null(err);
    assert_string_equal(cw_map_str(err, "code", ""), CW_ERR_BAD_REQUEST);
    cw_value_destroy(&err);
    zmsg_destroy(&answer);

    /* a valid request reaches the caller, and its reply goes to that client */
    char job[33];
    cw_value_t *value = test_request(3, job);
    char *data = NULL;
    size_t size = 0;
    assert_int_equal(cw_proto_encode(value, &data, &size, NULL, 0), 0);
    cw_value_destroy(&value);
    req = zmsg_new();
    zmsg_addmem(req, zframe_data(second), zframe_size(second));
    zmsg_addstr(req, CW_BUS_WORKER);
    zmsg_addmem(req, (unsigned char[]){CW_BUS_REQUEST}, 1);
    zmsg_addstr(req, "client-2");
    zmsg_addmem(req, data, size);
    free(data);
    zmsg_send(&req, router);
    value = cw_worker_recv(worker, 3000);
    assert_non_null(value);
    assert_string_equal(cw_map_str(value, "job_id", ""), job);
    assert_true(cw_worker_connected(worker));
    cw_value_destroy(&value);
    cw_value_t *reply = cw_proto_new(CW_MSG_STATS_REPLY); /* job_id filled in by the worker */
    cw_map_set_int(reply, "total", 1);
    cw_map_set_int(reply, "last_7_days", 1);
    assert_int_equal(cw_worker_send(worker, &reply), 0);
    answer = NULL;
    while (!answer && zpoller_wait(poller, 3000)) {
        zmsg_t *msg = zmsg_recv(router);
        zmsg_first(msg);
        zmsg_next(msg);
        if (zframe_data(zmsg_next(msg))[0] == CW_BUS_REPLY)
            answer = msg;
        else
            zmsg_destroy(&msg);
    }
    assert_non_null(answer);
    zmsg_first(answer);
    zmsg_next(answer);
    zmsg_next(answer);
    assert_true(zframe_streq(zmsg_next(answer), "client-2"));
    payload = zmsg_next(answer);
    value = cw_proto_decode(zframe_data(payload), zframe_size(payload), NULL, 0);
    assert_non_null(value);
    assert_string_equal(cw_map_str(value, "job_id", ""), job);
    cw_value_destroy(&value);
    zmsg_destroy(&answer);
    /* no request pending any more: a second send is refused */
    reply = cw_proto_new(CW_MSG_STATS_REPLY);
    assert_int_equal(cw_worker_send(worker, &reply), -1);
    assert_null(reply);

    zframe_destroy(&first);
    zframe_destroy(&second);
    zpoller_destroy(&poller);
    cw_worker_destroy(&worker);
    zsock_destroy(&router);
}

static void test_worker_survives_broker_restart(void **state)
{
    test_bus_t bus;
    bus_start(&bus, 24191);
    test_worker_t tw = {0};
    worker_start(&tw, bus.broker, SERVICE);
    cw_client_t *client = cw_client_new(bus.broker);
    wait_workers(client, 1);
    bus_stop(&bus); /* tells the worker to go away; it comes back with backoff */
    bus_start(&bus, 24191);
    char job[33], err[256];
    cw_value_t *req = test_request(11, job);
    cw_value_t *reply = cw_client_request(client, SERVICE, &req, 3000, 3, err, sizeof(err));
    if (!reply)
        fail_msg("%s", err);
    assert_echo(reply, job, 11);
    cw_value_destroy(&reply);
    cw_client_destroy(&client);
    worker_stop(&tw);
    bus_stop(&bus);
}

int main(void)
{
    cw_log_init("test_bus");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_job_ids),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_many_requests),
        cmocka_unit_test(test_worker_dies_mid_job),
        cmocka_unit_test(test_job_that_kills_three_workers),
        cmocka_unit_test(test_client_without_broker),
        cmocka_unit_test(test_resend_is_not_processed_twice),
        cmocka_unit_test(test_events_through_proxy),
        cmocka_unit_test(test_broker_status),
        cmocka_unit_test(test_worker_heartbeats_and_reconnects),
        cmocka_unit_test(test_worker_survives_broker_restart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
