/*  The broker against raw sockets (on ipc endpoints, see cw_test_bus.h): malformed frames of every
   kind (and a frame over ZMQ_MAXMSGSIZE) neither crash it nor stop it serving; heartbeat expiry
   hands a job to another worker; re-sent jobs are not duplicated; bounded queues; replies for
   vanished clients; malformed events are skipped by subscribers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <string.h>

#include "cw_broker.h"
#include "cw_bus.h"
#include "cw_config.h"
#include "cw_log.h"
#include "cw_proto.h"
#include "cw_test_bus.h"

#define SERVICE "analyzer"

/* ---- raw sockets */

static zsock_t *raw_dealer(const char *endpoint)
{
    zsock_t *sock = zsock_new(ZMQ_DEALER);
    assert_non_null(sock);
    zsock_set_linger(sock, 0);
    assert_int_equal(zsock_connect(sock, "%s", endpoint), 0);
    return sock;
}

/* Send frames given as NUL-terminated strings (a frame may be "" ). */
static void raw_send(zsock_t *sock, int count, ...)
{
    zmsg_t *msg = zmsg_new();
    va_list ap;
    va_start(ap, count);
    for (int i = 0; i < count; i++)
        zmsg_addstr(msg, va_arg(ap, const char *));
    va_end(ap);
    assert_int_equal(zmsg_send(&msg, sock), 0);
}

static void raw_send_cmd(zsock_t *sock, int command, const char *extra)
{
    zmsg_t *msg = zmsg_new();
    zmsg_addstr(msg, CW_BUS_WORKER);
    unsigned char cmd = (unsigned char)command;
    zmsg_addmem(msg, &cmd, 1);
    if (extra)
        zmsg_addstr(msg, extra);
    assert_int_equal(zmsg_send(&msg, sock), 0);
}

static zframe_t *encode(cw_value_t *msg)
{
    char *data = NULL;
    size_t size = 0;
    char err[256];
    if (cw_proto_encode(msg, &data, &size, err, sizeof(err)) != 0)
        fail_msg("encode: %s", err);
    zframe_t *frame = zframe_new(data, size);
    free(data);
    return frame;
}

static zframe_t *make_request(const char *job_id)
{
    cw_value_t *req = cw_proto_new(CW_MSG_ANALYZE_REQUEST);
    cw_map_set_str(req, "job_id", job_id);
    zframe_t *frame = encode(req);
    cw_value_destroy(&req);
    return frame;
}

static void raw_client_send(zsock_t *client, const char *service, zframe_t *payload)
{
    zmsg_t *msg = zmsg_new();
    zmsg_addstr(msg, CW_BUS_CLIENT);
    zmsg_addstr(msg, service);
    zmsg_addmem(msg, zframe_data(payload), zframe_size(payload));
    assert_int_equal(zmsg_send(&msg, client), 0);
}

static zmsg_t *recv_within(zsock_t *sock, int timeout_ms)
{
    zpoller_t *poller = zpoller_new(sock, NULL);
    zmsg_t *msg = NULL;
    if (zpoller_wait(poller, timeout_ms))
        msg = zmsg_recv(sock);
    zpoller_destroy(&poller);
    return msg;
}

/* The next reply on a raw client, decoded. */
static cw_value_t *raw_client_recv(zsock_t *client, int timeout_ms)
{
    zmsg_t *msg = recv_within(client, timeout_ms);
    if (!msg)
        return NULL;
    assert_int_equal(zmsg_size(msg), 3);
    char *header = zmsg_popstr(msg);
    assert_string_equal(header, CW_BUS_CLIENT);
    free(header);
    free(zmsg_popstr(msg));
    zframe_t *payload = zmsg_pop(msg);
    char err[256];
    cw_value_t *value =
        cw_proto_decode(zframe_data(payload), zframe_size(payload), err, sizeof(err));
    if (!value)
        fail_msg("reply: %s", err);
    zframe_destroy(&payload);
    zmsg_destroy(&msg);
    return value;
}

/* A fake worker: registers, then the test drives it frame by frame. */
static zsock_t *fake_worker(const char *endpoint, const char *service)
{
    zsock_t *sock = raw_dealer(endpoint);
    raw_send_cmd(sock, CW_BUS_READY, service);
    return sock;
}

/* Next message other than HEARTBEAT, with the command in *command. */
static zmsg_t *fake_worker_recv(zsock_t *worker, int timeout_ms, int *command)
{
    int64_t deadline = zclock_mono() + timeout_ms;
    while (zclock_mono() < deadline) {
        zmsg_t *msg = recv_within(worker, (int)(deadline - zclock_mono()));
        if (!msg)
            return NULL;
        assert_true(zmsg_size(msg) >= 2);
        zframe_t *header = zmsg_first(msg);
        assert_int_equal(zframe_size(header), 4);
        assert_memory_equal(zframe_data(header), CW_BUS_WORKER, 4);
        int cmd = zframe_data(zmsg_next(msg))[0];
        if (cmd == CW_BUS_HEARTBEAT) {
            zmsg_destroy(&msg);
            continue;
        }
        *command = cmd;
        return msg;
    }
    return NULL;
}

/* Wait for a REQUEST; returns it as [CWW1, 0x02, client, payload]. */
static zmsg_t *fake_worker_request(zsock_t *worker, int timeout_ms)
{
    int cmd = 0;
    zmsg_t *msg = fake_worker_recv(worker, timeout_ms, &cmd);
    if (msg) {
        assert_int_equal(cmd, CW_BUS_REQUEST);
        assert_int_equal(zmsg_size(msg), 4);
    }
    return msg;
}

/* Reply to a request with a stats_reply carrying `job_id`. */
static void fake_worker_reply(zsock_t *worker, zmsg_t *request, const char *job_id)
{
    zmsg_first(request);
    zmsg_next(request);
    zframe_t *client = zmsg_next(request);
    cw_value_t *reply = cw_proto_new(CW_MSG_STATS_REPLY);
    cw_map_set_str(reply, "job_id", job_id);
    cw_map_set_int(reply, "total", 1);
    cw_map_set_int(reply, "last_7_days", 1);
    zframe_t *payload = encode(reply);
    cw_value_destroy(&reply);
    zmsg_t *msg = zmsg_new();
    zmsg_addstr(msg, CW_BUS_WORKER);
    unsigned char cmd = CW_BUS_REPLY;
    zmsg_addmem(msg, &cmd, 1);
    zmsg_addmem(msg, zframe_data(client), zframe_size(client));
    zmsg_append(msg, &payload);
    assert_int_equal(zmsg_send(&msg, worker), 0);
}

static int64_t status_field(const char *endpoint, const char *service, const char *field)
{
    cw_client_t *client = cw_client_new(endpoint);
    cw_value_t *status = cw_client_broker_status(client, 3000);
    cw_client_destroy(&client);
    assert_non_null(status);
    const cw_value_t *svc = cw_map_get(cw_map_get(status, "services"), service);
    int64_t value = svc ? cw_map_int(svc, field, -1) : -1;
    cw_value_destroy(&status);
    return value;
}

static void wait_status(const char *endpoint, const char *service, const char *field, int64_t want)
{
    for (int i = 0; i < 100; i++) {
        if (status_field(endpoint, service, field) == want)
            return;
        zclock_sleep(50);
    }
    fail_msg("%s.%s never became %lld", service, field, (long long)want);
}

/* A full round trip through a fake worker: the broker still serves. */
static void assert_still_serving(const char *endpoint, const char *service)
{
    zsock_t *worker = fake_worker(endpoint, service);
    zsock_t *client = raw_dealer(endpoint);
    char job[33];
    cw_bus_new_job_id(job);
    zframe_t *payload = make_request(job);
    raw_client_send(client, service, payload);
    zframe_destroy(&payload);
    zmsg_t *request = fake_worker_request(worker, 5000);
    assert_non_null(request);
    fake_worker_reply(worker, request, job);
    zmsg_destroy(&request);
    cw_value_t *reply = raw_client_recv(client, 5000);
    assert_non_null(reply);
    assert_string_equal(cw_map_str(reply, "job_id", ""), job);
    assert_string_equal(cw_proto_type(reply), CW_MSG_STATS_REPLY);
    cw_value_destroy(&reply);
    raw_send_cmd(worker, CW_BUS_DISCONNECT, NULL);
    zclock_sleep(50);
    zsock_destroy(&client);
    zsock_destroy(&worker);
}

/* ------------------------------------------------------------------ tests */

static void test_malformed_frames(void **state)
{
    test_bus_t bus;
    bus_start(&bus, 24501);
    zsock_t *evil = raw_dealer(bus.broker);

    raw_send(evil, 1, "XXXX");                                                /* unknown header */
    raw_send(evil, 1, "");                                                    /* empty frame */
    raw_send(evil, 1, CW_BUS_CLIENT);                                         /* missing frames */
    raw_send(evil, 2, CW_BUS_CLIENT, SERVICE);                                /* missing payload */
    raw_send(evil, 3, CW_BUS_CLIENT, SERVICE, "garbage");                     /* bad payload */
    raw_send(evil, 3, CW_BUS_CLIENT, "", "garbage");                          /* empty service */
    raw_send(evil, 3, CW_BUS_CLIENT, "bad name", "x");                        /* bad service name */
    raw_send(evil, 4, CW_BUS_CLIENT, SERVICE, "a", "b");                      /* extra frame */
    raw_send(evil, 9, CW_BUS_CLIENT, "1", "2", "3", "4", "5", "6", "7", "8"); /* many */
    raw_send(evil, 1, CW_BUS_WORKER);                                         /* no command */
    raw_send(evil, 2, CW_BUS_WORKER, "\x09");                                 /* unknown command */
    raw_send(evil, 2, CW_BUS_WORKER, "\x01\x02");                             /* 2-byte command */
    raw_send(evil, 2, CW_BUS_WORKER, "\x01");           /* READY without service */
    raw_send(evil, 3, CW_BUS_WORKER, "\x01", "");       /* READY empty service */
    raw_send(evil, 4, CW_BUS_WORKER, "\x03", "x", "y"); /* REPLY from a stranger */

    /* a valid msgpack map with a job_id but an unknown type: bad_request back */
    cw_value_t *odd = cw_value_new_map();
    cw_map_set_int(odd, "v", 1);
    cw_map_set_str(odd, "type", "no_such_type");
    cw_map_set_str(odd, "job_id", "evil-1");
    char *data = NULL;
    size_t size = 0;
    assert_int_equal(cw_value_encode(odd, &data, &size), 0);
    cw_value_destroy(&odd);
    zmsg_t *msg = zmsg_new();
    zmsg_addstr(msg, CW_BUS_CLIENT);
    zmsg_addstr(msg, SERVICE);
    zmsg_addmem(msg, data, size);
    free(data);
    assert_int_equal(zmsg_send(&msg, evil), 0);

    /* the stranger's REPLY gets a DISCONNECT; the odd request an error bad_request */
    bool got_disconnect = false, got_error = false;
    for (int i = 0; i < 10 && !(got_disconnect && got_error); i++) {
        zmsg_t *in = recv_within(evil, 2000);
        if (!in)
            break;
        zframe_t *header = zmsg_first(in);
        if (zframe_streq(header, CW_BUS_WORKER)) {
            assert_int_equal(zframe_data(zmsg_next(in))[0], CW_BUS_DISCONNECT);
            got_disconnect = true;
        } else {
            assert_true(zframe_streq(header, CW_BUS_CLIENT));
            zmsg_next(in);
            zframe_t *payload = zmsg_next(in);
            cw_value_t *err = cw_proto_decode(zframe_data(payload), zframe_size(payload), NULL, 0);
            assert_non_null(err);
            assert_string_equal(cw_proto_type(err), CW_MSG_ERROR);
            assert_string_equal(cw_map_str(err, "code", ""), CW_ERR_BAD_REQUEST);
            assert_string_equal(cw_map_str(err, "job_id", ""), "evil-1");
            cw_value_destroy(&err);
            got_error = true;
        }
        zmsg_destroy(&in);
    }
    assert_true(got_disconnect);
    assert_true(got_error);

    /* a worker for the reserved service "broker" is refused */
    zsock_t *impostor = fake_worker(bus.broker, CW_SERVICE_BROKER);
    int cmd = 0;
    zmsg_t *in = fake_worker_recv(impostor, 3000, &cmd);
    assert_non_null(in);
    assert_int_equal(cmd, CW_BUS_DISCONNECT);
    zmsg_destroy(&in);
    zsock_destroy(&impostor);

    /* 9 MB: over ZMQ_MAXMSGSIZE, libzmq drops that connection */
    zsock_t *big = raw_dealer(bus.broker);
    size_t huge = 9 * 1024 * 1024;
    char *blob = (char *)calloc(1, huge);
    msg = zmsg_new();
    zmsg_addstr(msg, CW_BUS_CLIENT);
    zmsg_addstr(msg, SERVICE);
    zmsg_addmem(msg, blob, huge);
    free(blob);
    assert_int_equal(zmsg_send(&msg, big), 0);
    zclock_sleep(300);
    zsock_destroy(&big);

    /* still serving: status (garbage created no service entry) and a full round trip */
    assert_int_equal(status_field(bus.broker, SERVICE, "queued"), -1);
    assert_still_serving(bus.broker, SERVICE);
    zsock_destroy(&evil);
    bus_stop(&bus);
}

static void test_worker_with_wrong_reply_is_dropped(void **state)
{
    test_bus_t bus;
    bus_start(&bus, 24511);
    zsock_t *w1 = fake_worker(bus.broker, SERVICE);
    wait_status(bus.broker, SERVICE, "workers", 1);
    zsock_t *client = raw_dealer(bus.broker);
    zframe_t *payload = make_request("job-wrong-1");
    raw_client_send(client, SERVICE, payload);
    zframe_destroy(&payload);
    zmsg_t *request = fake_worker_request(w1, 5000);
    assert_non_null(request);
    fake_worker_reply(w1, request, "some-other-job"); /* not what it holds */
    zmsg_destroy(&request);
    int cmd = 0;
    zmsg_t *in = fake_worker_recv(w1, 3000, &cmd);
    assert_non_null(in);
    assert_int_equal(cmd, CW_BUS_DISCONNECT);
    zmsg_destroy(&in);

    /* the job goes to the next worker, which answers properly */
    zsock_t *w2 = fake_worker(bus.broker, SERVICE);
    request = fake_worker_request(w2, 5000);
    assert_non_null(request);
    fake_worker_reply(w2, request, "job-wrong-1");
    zmsg_destroy(&request);
    cw_value_t *reply = raw_client_recv(client, 5000);
    assert_non_null(reply);
    assert_string_equal(cw_proto_type(reply), CW_MSG_STATS_REPLY);
    assert_string_equal(cw_map_str(reply, "job_id", ""), "job-wrong-1");
    cw_value_destroy(&reply);
    zsock_destroy(&client);
    zsock_destroy(&w1);
    zsock_destroy(&w2);
    bus_stop(&bus);
}

static void test_heartbeat_expiry_requeues(void **state)
{
    test_bus_t bus;
    bus_start(&bus, 24521);
    zsock_t *silent = fake_worker(bus.broker, SERVICE);
    wait_status(bus.broker, SERVICE, "workers", 1);
    zsock_t *client = raw_dealer(bus.broker);
    zframe_t *payload = make_request("job-expiry-1");
    raw_client_send(client, SERVICE, payload);
    zframe_destroy(&payload);
    zmsg_t *request = fake_worker_request(silent, 5000);
    assert_non_null(request);
    zmsg_destroy(&request);
    /* `silent` now holds the job and never speaks again */

    zsock_t *healthy = fake_worker(bus.broker, SERVICE);
    int64_t next_beat = zclock_mono();
    int64_t deadline = zclock_mono() + 20000;
    while (!request && zclock_mono() < deadline) {
        if (zclock_mono() >= next_beat) {
            raw_send_cmd(healthy, CW_BUS_HEARTBEAT, NULL);
            next_beat = zclock_mono() + 1000;
        }
        int cmd = 0;
        zmsg_t *in = fake_worker_recv(healthy, 500, &cmd);
        if (in && cmd == CW_BUS_REQUEST)
            request = in;
        else
            zmsg_destroy(&in);
    }
    assert_non_null(request);
    fake_worker_reply(healthy, request, "job-expiry-1");
    zmsg_destroy(&request);
    cw_value_t *reply = raw_client_recv(client, 5000);
    assert_non_null(reply);
    assert_string_equal(cw_map_str(reply, "job_id", ""), "job-expiry-1");
    cw_value_destroy(&reply);
    /* the silent worker is gone from the books, the healthy one remains */
    assert_int_equal(status_field(bus.broker, SERVICE, "workers"), 1);
    assert_int_equal(status_field(bus.broker, SERVICE, "busy"), 0);
    zsock_destroy(&client);
    zsock_destroy(&silent);
    zsock_destroy(&healthy);
    bus_stop(&bus);
}

static void test_duplicate_resend_ignored(void **state)
{
    test_bus_t bus;
    bus_start(&bus, 24531);
    zsock_t *worker = fake_worker(bus.broker, SERVICE);
    wait_status(bus.broker, SERVICE, "workers", 1);
    zsock_t *client = raw_dealer(bus.broker);
    zframe_t *payload = make_request("job-dup-1");
    for (int i = 0; i < 3; i++)
        raw_client_send(client, SERVICE, payload);
    zframe_destroy(&payload);
    zmsg_t *request = fake_worker_request(worker, 5000);
    assert_non_null(request);
    /* a second worker would get a duplicate now if the broker had queued one */
    zsock_t *second = fake_worker(bus.broker, SERVICE);
    zmsg_t *dup = fake_worker_request(second, 700);
    assert_null(dup);
    assert_int_equal(status_field(bus.broker, SERVICE, "queued"), 0);
    fake_worker_reply(worker, request, "job-dup-1");
    zmsg_destroy(&request);
    cw_value_t *reply = raw_client_recv(client, 5000);
    assert_non_null(reply);
    assert_string_equal(cw_map_str(reply, "job_id", ""), "job-dup-1");
    cw_value_destroy(&reply);
    assert_null(raw_client_recv(client, 500)); /* exactly one reply */
    assert_null(fake_worker_request(worker, 300));
    zsock_destroy(&client);
    zsock_destroy(&worker);
    zsock_destroy(&second);
    bus_stop(&bus);
}

static void test_queue_is_bounded(void **state)
{
    test_bus_t bus;
    bus_start(&bus, 24541);
    zsock_t *client = raw_dealer(bus.broker);
    for (int i = 0; i <= CW_BROKER_MAX_QUEUE; i++) {
        char job[32];
        snprintf(job, sizeof(job), "q-%d", i);
        zframe_t *payload = make_request(job);
        raw_client_send(client, "generator", payload);
        zframe_destroy(&payload);
    }
    cw_value_t *reply = raw_client_recv(client, 10000);
    assert_non_null(reply);
    assert_string_equal(cw_proto_type(reply), CW_MSG_ERROR);
    assert_string_equal(cw_map_str(reply, "code", ""), CW_ERR_UNAVAILABLE);
    char want[32];
    snprintf(want, sizeof(want), "q-%d", CW_BROKER_MAX_QUEUE);
    assert_string_equal(cw_map_str(reply, "job_id", ""), want);
    cw_value_destroy(&reply);
    assert_int_equal(status_field(bus.broker, "generator", "queued"), CW_BROKER_MAX_QUEUE);
    assert_int_equal(status_field(bus.broker, "generator", "workers"), 0);
    zsock_destroy(&client);
    bus_stop(&bus);
}

static void test_reply_for_vanished_client(void **state)
{
    test_bus_t bus;
    bus_start(&bus, 24551);
    zsock_t *worker = fake_worker(bus.broker, SERVICE);
    wait_status(bus.broker, SERVICE, "workers", 1);
    zsock_t *client = raw_dealer(bus.broker);
    zframe_t *payload = make_request("job-gone-1");
    raw_client_send(client, SERVICE, payload);
    zframe_destroy(&payload);
    zmsg_t *request = fake_worker_request(worker, 5000);
    assert_non_null(request);
    zsock_destroy(&client);
    zclock_sleep(300);
    fake_worker_reply(worker, request, "job-gone-1"); /* dropped with a log line */
    zmsg_destroy(&request);
    wait_status(bus.broker, SERVICE, "busy", 0);
    assert_int_equal(status_field(bus.broker, SERVICE, "workers"), 1);
    raw_send_cmd(worker, CW_BUS_DISCONNECT, NULL);
    wait_status(bus.broker, SERVICE, "workers", 0);
    assert_still_serving(bus.broker, SERVICE);
    zsock_destroy(&worker);
    bus_stop(&bus);
}

static void test_unknown_worker_told_to_register(void **state)
{
    test_bus_t bus;
    bus_start(&bus, 24561);
    zsock_t *stranger = raw_dealer(bus.broker);
    raw_send_cmd(stranger, CW_BUS_HEARTBEAT, NULL);
    int cmd = 0;
    zmsg_t *in = fake_worker_recv(stranger, 3000, &cmd);
    assert_non_null(in);
    assert_int_equal(cmd, CW_BUS_DISCONNECT);
    zmsg_destroy(&in);
    zsock_destroy(&stranger);
    bus_stop(&bus);
}

static void test_malformed_events_skipped(void **state)
{
    test_bus_t bus;
    bus_start(&bus, 24571);
    cw_subscriber_t *sub = cw_subscriber_new(bus.events_out, "");
    assert_non_null(sub);
    zsock_t *pub = zsock_new(ZMQ_PUB);
    zsock_set_linger(pub, 0);
    assert_int_equal(zsock_connect(pub, "%s", bus.events_in), 0);

    cw_value_t *good = cw_proto_new(CW_EV_LOG);
    cw_map_set_str(good, "level", "info");
    cw_map_set_str(good, "message", "valid");
    cw_map_set_str(good, "service", "test");
    cw_map_set_str(good, "timestamp", "2024-01-01T00:00:00Z");
    zframe_t *good_frame = encode(good);
    cw_value_destroy(&good);

    cw_value_t *event = NULL;
    for (int i = 0; i < 50 && !event; i++) {
        raw_send(pub, 1, "codeworm.log");            /* one frame */
        raw_send(pub, 3, "codeworm.log", "a", "b");  /* three frames */
        raw_send(pub, 2, "codeworm.log", "garbage"); /* bad payload */
        zmsg_t *msg = zmsg_new();                    /* topic != type */
        zmsg_addstr(msg, "codeworm.stats");
        zmsg_addmem(msg, zframe_data(good_frame), zframe_size(good_frame));
        zmsg_send(&msg, pub);
        msg = zmsg_new();
        zmsg_addstr(msg, "codeworm.log");
        zmsg_addmem(msg, zframe_data(good_frame), zframe_size(good_frame));
        zmsg_send(&msg, pub);
        event = cw_subscriber_recv(sub, 100);
    }
    assert_non_null(event);
    assert_string_equal(cw_proto_type(event), CW_EV_LOG);
    assert_string_equal(cw_map_str(event, "message", ""), "valid");
    cw_value_destroy(&event);
    zframe_destroy(&good_frame);
    zsock_destroy(&pub);
    cw_subscriber_destroy(&sub);
    bus_stop(&bus);
}

static void test_constructors(void **state)
{
    /* TCP here: a second bind of the same ipc path would simply replace the first */
    test_bus_t bus;
    snprintf(bus.broker, sizeof bus.broker, "tcp://127.0.0.1:%d", test_tcp_port(0));
    snprintf(bus.events_in, sizeof bus.events_in, "tcp://127.0.0.1:%d", test_tcp_port(1));
    snprintf(bus.events_out, sizeof bus.events_out, "tcp://127.0.0.1:%d", test_tcp_port(2));
    cw_broker_endpoints_t first = {bus.broker, bus.events_in, bus.events_out, 99};
    bus.actor = zactor_new(cw_broker_actor, &first);
    assert_non_null(bus.actor);
    assert_int_equal(first.rc, 0);
    /* the same endpoints again: bind fails, reported through rc */
    cw_broker_endpoints_t eps = {bus.broker, bus.events_in, bus.events_out, 99};
    zactor_t *second = zactor_new(cw_broker_actor, &eps);
    assert_int_equal(eps.rc, -1);
    zactor_destroy(&second);
    assert_null(cw_broker_new(bus.broker, NULL, NULL));
    bus_stop(&bus);

    assert_null(cw_broker_new(NULL, NULL, NULL));
    assert_null(cw_broker_new_config(NULL));
    char ep[64];
    cw_broker_t *broker = cw_broker_new(test_endpoint(ep, sizeof ep, 24585), NULL, NULL);
    assert_non_null(broker);
    assert_int_equal(cw_broker_workers(broker, SERVICE), 0);
    assert_int_equal(cw_broker_queued(broker, SERVICE), 0);
    cw_broker_destroy(&broker);
    assert_null(broker);
    cw_broker_destroy(&broker);

    /* CURVE without a server secret key is refused rather than run in clear text */
    cw_config_t *config = cw_config_new_defaults();
    assert_non_null(config);
    config->bus.curve.enabled = true;
    assert_null(cw_broker_new_config(config));
    cw_config_destroy(&config);
}

/* A broker whose queue time-to-live is short: an untaken job is answered "unavailable". */
static void short_ttl_broker(zsock_t *pipe, void *args)
{
    cw_broker_t *broker = cw_broker_new((const char *)args, NULL, NULL);
    cw_broker_set_queue_ttl(broker, 300);
    zsock_signal(pipe, 0);
    cw_broker_run_pipe(broker, pipe);
    cw_broker_destroy(&broker);
}

static void test_untaken_job_expires(void **state)
{
    char ep[64];
    test_endpoint(ep, sizeof ep, 24591);
    zactor_t *actor = zactor_new(short_ttl_broker, (void *)ep);
    zsock_t *client = raw_dealer(ep);
    zframe_t *payload = make_request("job-ttl-1");
    raw_client_send(client, "generator", payload);
    zframe_destroy(&payload);
    cw_value_t *reply = raw_client_recv(client, 10000);
    assert_non_null(reply);
    assert_string_equal(cw_proto_type(reply), CW_MSG_ERROR);
    assert_string_equal(cw_map_str(reply, "code", ""), CW_ERR_UNAVAILABLE);
    assert_string_equal(cw_map_str(reply, "job_id", ""), "job-ttl-1");
    assert_true(cw_map_bool(reply, "retryable", false));
    cw_value_destroy(&reply);
    assert_int_equal(status_field(ep, "generator", "queued"), 0);
    zsock_destroy(&client);
    zactor_destroy(&actor);
}

/* issue 6: a request goes to the idle worker that has waited longest (Majordomo's rule),
   and waits in the queue while every worker is busy */
static void s_lru_wait_request(zsock_t *worker, char job_out[65])
{
    zmsg_t *request = fake_worker_request(worker, 5000);
    assert_non_null(request);
    zmsg_first(request);
    zmsg_next(request);
    zmsg_next(request);
    zframe_t *payload = zmsg_next(request);
    cw_value_t *req = cw_proto_decode(zframe_data(payload), zframe_size(payload), NULL, 0);
    assert_non_null(req);
    snprintf(job_out, 65, "%s", cw_map_str(req, "job_id", ""));
    cw_value_destroy(&req);
    fake_worker_reply(worker, request, job_out);
    zmsg_destroy(&request);
}

static void test_least_recently_used_worker(void **state)
{
    char dir[64], ep[128], ep_in[128], ep_out[128];
    snprintf(dir, sizeof dir, "/tmp/cw-test-lru-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(ep, sizeof ep, "ipc://%s/b", dir);
    snprintf(ep_in, sizeof ep_in, "ipc://%s/i", dir);
    snprintf(ep_out, sizeof ep_out, "ipc://%s/o", dir);
    cw_broker_endpoints_t eps = {ep, ep_in, ep_out, 99};
    zactor_t *actor = zactor_new(cw_broker_actor, &eps);
    assert_int_equal(eps.rc, 0);
    zsock_t *w[3];
    for (int i = 0; i < 3; i++) {
        w[i] = fake_worker(ep, "generator");
        wait_status(ep, "generator", "workers", i + 1); /* idle since: w0, w1, w2 */
    }
    zsock_t *client = raw_dealer(ep);
    char job[65];
    /* one request at a time: each goes to the worker idle the longest, in turn */
    int order[6] = {0, 1, 2, 0, 1, 2};
    for (int k = 0; k < 6; k++) {
        char want[33];
        snprintf(want, sizeof want, "job-lru-%d", k);
        zframe_t *payload = make_request(want);
        raw_client_send(client, "generator", payload);
        zframe_destroy(&payload);
        s_lru_wait_request(w[order[k]], job);
        assert_string_equal(job, want);
        cw_value_t *reply = raw_client_recv(client, 5000);
        assert_non_null(reply);
        cw_value_destroy(&reply);
    }
    /* all three busy: a fourth waits in the queue, then goes to the first one free */
    zmsg_t *held[3];
    for (int k = 0; k < 3; k++) {
        char id[33];
        snprintf(id, sizeof id, "job-busy-%d", k);
        zframe_t *payload = make_request(id);
        raw_client_send(client, "generator", payload);
        zframe_destroy(&payload);
        held[k] = fake_worker_request(w[k], 5000);
        assert_non_null(held[k]);
    }
    zframe_t *payload = make_request("job-queued");
    raw_client_send(client, "generator", payload);
    zframe_destroy(&payload);
    wait_status(ep, "generator", "queued", 1);
    assert_int_equal(status_field(ep, "generator", "busy"), 3);
    fake_worker_reply(w[1], held[1], "job-busy-1");
    s_lru_wait_request(w[1], job);
    assert_string_equal(job, "job-queued");
    fake_worker_reply(w[0], held[0], "job-busy-0");
    fake_worker_reply(w[2], held[2], "job-busy-2");
    for (int k = 0; k < 3; k++)
        zmsg_destroy(&held[k]);
    for (int k = 0; k < 4; k++) {
        cw_value_t *reply = raw_client_recv(client, 5000);
        assert_non_null(reply);
        cw_value_destroy(&reply);
    }
    assert_int_equal(status_field(ep, "generator", "queued"), 0);
    zsock_destroy(&client);
    for (int i = 0; i < 3; i++)
        zsock_destroy(&w[i]);
    zactor_destroy(&actor);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    cw_log_init("test_broker");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_malformed_frames),
        cmocka_unit_test(test_worker_with_wrong_reply_is_dropped),
        cmocka_unit_test(test_heartbeat_expiry_requeues),
        cmocka_unit_test(test_duplicate_resend_ignored),
        cmocka_unit_test(test_queue_is_bounded),
        cmocka_unit_test(test_reply_for_vanished_client),
        cmocka_unit_test(test_unknown_worker_told_to_register),
        cmocka_unit_test(test_malformed_events_skipped),
        cmocka_unit_test(test_constructors),
        cmocka_unit_test(test_untaken_job_expires),
        cmocka_unit_test(test_least_recently_used_worker),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
