/*  CURVE on the bus: a broker whose sockets are CURVE servers (cw_broker_new_curve, ZAP
    allow-list in cw_zap.c) and clients made CURVE by cw_bus_set_curve. An allowed client
    round-trips, an unlisted key or a plain client gets nothing, events pass the proxy
    encrypted, an empty allow-list takes any CURVE client, bad keys are refused.
    Endpoints: ipc, see cw_test_bus.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "cw_broker.h"
#include "cw_bus.h"
#include "cw_log.h"
#include "cw_proto.h"
#include "cw_test_bus.h"
#include "cw_zsock.h"

#define SERVICE "analyzer"

typedef struct {
    char public_key[41];
    char secret_key[41];
} keypair_t;

static keypair_t s_server, s_alice, s_bob; /* alice is allowed, bob is not */

static void make_keys(keypair_t *k)
{
    assert_int_equal(zmq_curve_keypair(k->public_key, k->secret_key), 0);
}

/* A CURVE broker with the given allow-list (count 0 = any CURVE client). */
static void bus_start_list(test_bus_t *bus, int port, const char *const *allowed, size_t count)
{
    cw_broker_curve_t curve = {s_server.secret_key, s_server.public_key, allowed, count};
    bus_start_curve(bus, port, &curve);
}

static void use_keys(const keypair_t *client)
{
    if (client)
        assert_int_equal(
            cw_bus_set_curve(s_server.public_key, client->public_key, client->secret_key), 0);
    else
        assert_int_equal(cw_bus_set_curve(NULL, NULL, NULL), 0); /* plain */
}

/* Workers of SERVICE the broker reports to a client with the current keys; -1 = no
   answer. */
static int64_t broker_workers(const char *endpoint, int timeout_ms)
{
    cw_client_t *client = cw_client_new(endpoint);
    assert_non_null(client);
    cw_value_t *status = cw_client_broker_status(client, timeout_ms);
    int64_t n = -1;
    if (status) {
        const cw_value_t *svc = cw_map_get(cw_map_get(status, "services"), SERVICE);
        n = svc ? cw_map_int(svc, "workers", -1) : 0;
    }
    cw_value_destroy(&status);
    cw_client_destroy(&client);
    return n;
}

static void wait_workers(const char *endpoint, int64_t n)
{
    for (int i = 0; i < 100; i++) {
        if (broker_workers(endpoint, 1000) == n)
            return;
        zclock_sleep(50);
    }
    fail_msg("broker never reported %d workers", (int)n);
}

/* Publish `message` until `sub` sees it (slow joiner) or 30 tries passed. */
static bool event_passes(cw_publisher_t *pub, cw_subscriber_t *sub, const char *message)
{
    for (int i = 0; i < 30; i++) {
        cw_value_t *fields = cw_value_new_map();
        cw_map_set_str(fields, "level", "info");
        cw_map_set_str(fields, "message", message);
        assert_int_equal(cw_publisher_send(pub, CW_EV_LOG, &fields), 0);
        cw_value_t *event = cw_subscriber_recv(sub, 100);
        bool seen = event && strcmp(cw_map_str(event, "message", ""), message) == 0;
        cw_value_destroy(&event);
        if (seen)
            return true;
    }
    return false;
}

/* ------------------------------------------------------------------ tests */

static void test_allowed_client_round_trip(void **state)
{
    (void)state;
    const char *allowed[] = {s_alice.public_key};
    test_bus_t bus;
    bus_start_list(&bus, 24701, allowed, 1);
    use_keys(&s_alice);
    assert_true(cw_bus_curve_enabled());
    test_worker_t tw = {0};
    worker_start(&tw, bus.broker, SERVICE);
    wait_workers(bus.broker, 1);

    cw_client_t *client = cw_client_new(bus.broker);
    assert_non_null(client);
    char job[33], err[256];
    cw_value_t *req = test_request(42, job);
    cw_value_t *reply = cw_client_request(client, SERVICE, &req, 5000, 1, err, sizeof(err));
    assert_non_null(reply);
    assert_string_equal(cw_proto_type(reply), CW_MSG_STATS_REPLY);
    assert_string_equal(cw_map_str(reply, "job_id", ""), job);
    assert_int_equal(cw_map_int(reply, "total", -1), 42);
    cw_value_destroy(&reply);
    assert_int_equal(atomic_load(&tw.requests), 1);
    cw_client_destroy(&client);

    worker_stop(&tw);
    bus_stop(&bus);
    use_keys(NULL);
    assert_false(cw_bus_curve_enabled());
}

static void test_unlisted_key_gets_nothing(void **state)
{
    (void)state;
    const char *allowed[] = {s_alice.public_key};
    test_bus_t bus;
    bus_start_list(&bus, 24711, allowed, 1);

    /* bob: encrypted, knows the server key, but is not on the list */
    use_keys(&s_bob);
    cw_client_t *client = cw_client_new(bus.broker);
    assert_non_null(client);
    char job[33], err[256];
    cw_value_t *req = test_request(1, job);
    assert_null(cw_client_request(client, CW_SERVICE_BROKER, &req, 700, 1, err, sizeof(err)));
    assert_non_null(strstr(err, "no reply"));
    cw_client_destroy(&client);
    /* nor can bob register a worker */
    cw_worker_t *worker = cw_worker_new(bus.broker, SERVICE);
    assert_non_null(worker);
    zclock_sleep(600);
    assert_false(cw_worker_connected(worker));

    /* the same broker answers alice, and has no worker from bob */
    use_keys(&s_alice);
    assert_int_equal(broker_workers(bus.broker, 3000), 0);
    cw_worker_destroy(&worker);

    bus_stop(&bus);
    use_keys(NULL);
}

static void test_plain_client_gets_nothing(void **state)
{
    (void)state;
    test_bus_t bus;
    bus_start_list(&bus, 24721, NULL, 0); /* even with "any CURVE client" */
    use_keys(NULL);
    assert_int_equal(broker_workers(bus.broker, 700), -1);

    /* a raw DEALER speaking the protocol in clear text gets nothing either */
    zsock_t *raw = zsock_new(ZMQ_DEALER);
    assert_non_null(raw);
    assert_int_equal(zsock_connect(raw, "%s", bus.broker), 0);
    char job[33];
    cw_value_t *req = cw_proto_new(CW_MSG_STATUS_REQUEST);
    cw_bus_new_job_id(job);
    cw_map_set_str(req, "job_id", job);
    char *data = NULL;
    size_t size = 0;
    assert_int_equal(cw_proto_encode(req, &data, &size, NULL, 0), 0);
    cw_value_destroy(&req);
    zmsg_t *msg = zmsg_new();
    zmsg_addstr(msg, CW_BUS_CLIENT);
    zmsg_addstr(msg, CW_SERVICE_BROKER);
    zmsg_addmem(msg, data, size);
    free(data);
    zsock_set_sndtimeo(raw, 500);
    cw_zsock_send(&msg, raw); /* queued: the handshake never completes */
    zpoller_t *poller = zpoller_new(raw, NULL);
    assert_null(zpoller_wait(poller, 700));
    zpoller_destroy(&poller);
    zsock_destroy(&raw);

    /* a CURVE client with any key gets through: the broker itself is fine */
    use_keys(&s_bob);
    assert_int_equal(broker_workers(bus.broker, 3000), 0);
    bus_stop(&bus);
    use_keys(NULL);
}

static void test_events_through_proxy(void **state)
{
    (void)state;
    const char *allowed[] = {s_alice.public_key};
    test_bus_t bus;
    bus_start_list(&bus, 24731, allowed, 1);

    use_keys(NULL);
    cw_subscriber_t *plain = cw_subscriber_new(bus.events_out, "");
    use_keys(&s_bob);
    cw_subscriber_t *unlisted = cw_subscriber_new(bus.events_out, "");
    use_keys(&s_alice);
    cw_subscriber_t *sub = cw_subscriber_new(bus.events_out, "");
    cw_publisher_t *pub = cw_publisher_new(bus.events_in, "tester");
    assert_non_null(plain);
    assert_non_null(unlisted);
    assert_non_null(sub);
    assert_non_null(pub);

    assert_true(event_passes(pub, sub, "over curve"));
    /* the others saw none of the events published meanwhile */
    assert_null(cw_subscriber_recv(plain, 300));
    assert_null(cw_subscriber_recv(unlisted, 300));

    /* a publisher with an unlisted key cannot inject events */
    use_keys(&s_bob);
    cw_publisher_t *intruder = cw_publisher_new(bus.events_in, "intruder");
    assert_non_null(intruder);
    assert_false(event_passes(intruder, sub, "injected"));
    cw_publisher_destroy(&intruder);

    cw_publisher_destroy(&pub);
    cw_subscriber_destroy(&sub);
    cw_subscriber_destroy(&unlisted);
    cw_subscriber_destroy(&plain);
    bus_stop(&bus);
    use_keys(NULL);
}

static void test_empty_list_and_ephemeral_keys(void **state)
{
    (void)state;
    test_bus_t bus;
    bus_start_list(&bus, 24741, NULL, 0);
    /* no client key pair: a fresh one for this process; fine with an empty allow-list */
    assert_int_equal(cw_bus_set_curve(s_server.public_key, NULL, NULL), 0);
    assert_true(cw_bus_curve_enabled());
    test_worker_t tw = {0};
    worker_start(&tw, bus.broker, SERVICE);
    wait_workers(bus.broker, 1);
    cw_client_t *client = cw_client_new(bus.broker);
    char job[33], err[256];
    cw_value_t *req = test_request(5, job);
    cw_value_t *reply = cw_client_request(client, SERVICE, &req, 5000, 1, err, sizeof(err));
    assert_non_null(reply);
    assert_int_equal(cw_map_int(reply, "total", -1), 5);
    cw_value_destroy(&reply);
    cw_client_destroy(&client);
    worker_stop(&tw);

    /* a client that expects another server key does not get through */
    keypair_t other;
    make_keys(&other);
    assert_int_equal(cw_bus_set_curve(other.public_key, s_alice.public_key, s_alice.secret_key), 0);
    assert_int_equal(broker_workers(bus.broker, 700), -1);
    bus_stop(&bus);
    use_keys(NULL);
}

/* A broker made by cw_broker_new_config, served until $TERM. */
static void config_broker_actor(zsock_t *pipe, void *args)
{
    cw_broker_t *broker = cw_broker_new_config((const cw_config_t *)args);
    zsock_signal(pipe, broker ? 0 : 1);
    if (!broker)
        return;
    cw_broker_run_pipe(broker, pipe);
    cw_broker_destroy(&broker);
}

static void set_str(char **field, const char *value)
{
    free(*field);
    *field = strdup(value);
}

static void test_bad_keys_refused(void **state)
{
    (void)state;
    /* client side: the setting stays as it was */
    use_keys(NULL);
    assert_int_equal(cw_bus_set_curve("short", NULL, NULL), -1);
    assert_int_equal(cw_bus_set_curve(s_server.public_key, s_alice.public_key, NULL), -1);
    assert_int_equal(cw_bus_set_curve(s_server.public_key, s_alice.public_key, s_bob.secret_key),
                     -1);
    assert_int_equal(cw_bus_set_curve(s_server.public_key,
                                      "\"not z85 at all, 40 characters long!!!\"",
                                      s_alice.secret_key),
                     -1);
    assert_false(cw_bus_curve_enabled());

    /* from a config: nothing when disabled, the reason when wrong */
    cw_config_t *config = cw_config_new_defaults();
    assert_non_null(config);
    char err[256] = "";
    assert_int_equal(cw_bus_curve_from_config(config, err, sizeof(err)), 0);
    assert_false(cw_bus_curve_enabled());
    config->bus.curve.enabled = true;
    set_str(&config->bus.curve.server_public_key, s_server.public_key);
    set_str(&config->bus.curve.client_public_key, s_alice.public_key);
    set_str(&config->bus.curve.client_secret_key, s_bob.secret_key);
    assert_int_equal(cw_bus_curve_from_config(config, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "client_secret_key"));
    assert_false(cw_bus_curve_enabled());

    /* broker side: no or a wrong secret key, a bad allow-list entry */
    char ep[64];
    set_str(&config->bus.broker, test_endpoint(ep, sizeof ep, 24751));
    set_str(&config->bus.events_in, "");
    set_str(&config->bus.events_out, "");
    assert_null(cw_broker_new_config(config)); /* no server secret key */
    set_str(&config->bus.curve.server_secret_key, s_bob.secret_key);
    assert_null(cw_broker_new_config(config)); /* does not belong to the public key */
    set_str(&config->bus.curve.server_secret_key, s_server.secret_key);
    cw_broker_t *broker = cw_broker_new_config(config);
    assert_non_null(broker);
    cw_broker_destroy(&broker);
    const char *bad[] = {"tooshort"};
    cw_broker_curve_t curve = {s_server.secret_key, NULL, bad, 1};
    assert_null(cw_broker_new_curve(test_endpoint(ep, sizeof ep, 24752), NULL, NULL, &curve));
    cw_config_destroy(&config);
}

/* cw_broker_new_config: allowed_clients plus the installation's own client key. */
static void test_config_broker_allows_own_key(void **state)
{
    (void)state;
    cw_config_t *config = cw_config_new_defaults();
    assert_non_null(config);
    char ep[64];
    set_str(&config->bus.broker, test_endpoint(ep, sizeof ep, 24761));
    set_str(&config->bus.events_in, "");
    set_str(&config->bus.events_out, "");
    config->bus.curve.enabled = true;
    set_str(&config->bus.curve.server_public_key, s_server.public_key);
    set_str(&config->bus.curve.server_secret_key, s_server.secret_key);
    set_str(&config->bus.curve.client_public_key, s_alice.public_key);
    set_str(&config->bus.curve.client_secret_key, s_alice.secret_key);
    keypair_t remote;
    make_keys(&remote);
    config->bus.curve.allowed_clients = (char **)calloc(1, sizeof(char *));
    config->bus.curve.allowed_clients[0] = strdup(remote.public_key);
    config->bus.curve.allowed_count = 1;

    zactor_t *actor = zactor_new(config_broker_actor, config);
    assert_non_null(actor);
    char err[256] = "";
    assert_int_equal(cw_bus_curve_from_config(config, err, sizeof(err)), 0); /* alice */
    assert_int_equal(broker_workers(config->bus.broker, 3000), 0);
    use_keys(&remote);
    assert_int_equal(broker_workers(config->bus.broker, 3000), 0);
    use_keys(&s_bob);
    assert_int_equal(broker_workers(config->bus.broker, 700), -1);
    use_keys(NULL);
    zactor_destroy(&actor);
    cw_config_destroy(&config);
}

static void test_print_keypair(void **state)
{
    (void)state;
    char buf[512] = "";
    FILE *out = fmemopen(buf, sizeof(buf) - 1, "w");
    assert_non_null(out);
    assert_int_equal(cw_broker_print_keypair(out), 0);
    fclose(out);
    const char *p = strstr(buf, "public_key: \"");
    const char *s = strstr(buf, "secret_key: \"");
    assert_non_null(p);
    assert_non_null(s);
    char pub[41], sec[41], derived[41];
    memcpy(pub, p + 13, 40);
    pub[40] = '\0';
    memcpy(sec, s + 13, 40);
    sec[40] = '\0';
    assert_int_equal(zmq_curve_public(derived, sec), 0);
    assert_string_equal(derived, pub);
    assert_int_equal(cw_broker_print_keypair(NULL), -1);
}

int main(void)
{
    cw_log_init("test_bus_curve");
    cw_log_set_format(1);
    if (!zmq_has("curve")) {
        fprintf(stderr, "libzmq without CURVE: skipped\n");
        return 0;
    }
    make_keys(&s_server);
    make_keys(&s_alice);
    make_keys(&s_bob);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_allowed_client_round_trip),
        cmocka_unit_test(test_unlisted_key_gets_nothing),
        cmocka_unit_test(test_plain_client_gets_nothing),
        cmocka_unit_test(test_events_through_proxy),
        cmocka_unit_test(test_empty_list_and_ephemeral_keys),
        cmocka_unit_test(test_bad_keys_refused),
        cmocka_unit_test(test_config_broker_allows_own_key),
        cmocka_unit_test(test_print_keypair),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    zsys_shutdown();
    return rc;
}
