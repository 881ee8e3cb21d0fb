/*  Helpers shared by the bus tests (test_bus*.c, test_broker*.c, test_service.c): an
    in-process broker on three ipc:// endpoints named after a number the test picks
    (test_endpoint), an echo worker thread and a request maker. Include after cmocka.h.
    ipc:// in /tmp, named with the process id, so that several checkouts (or CI and a
    developer) can run these tests at once without sharing a port. */
#ifndef CW_TEST_BUS_H
#define CW_TEST_BUS_H

#include <czmq.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cw_broker.h"
#include "cw_bus.h"
#include "cw_proto.h"

typedef struct {
    char broker[64], events_in[64], events_out[64];
    zactor_t *actor;
} test_bus_t;

/* Socket files this process named, removed at exit (libzmq may leave them behind). */
static char test_endpoint_files[256][48];
static int test_endpoint_count;

static void test_endpoint_cleanup(void)
{
    for (int i = 0; i < test_endpoint_count; i++)
        unlink(test_endpoint_files[i]);
}

/* "ipc:///tmp/cwt-<pid>-<n>" into out: an endpoint of this test process alone. */
static inline const char *test_endpoint(char *out, size_t outlen, int n)
{
    char path[48];
    snprintf(path, sizeof path, "/tmp/cwt-%d-%d", (int)getpid(), n);
    snprintf(out, outlen, "ipc://%s", path);
    if (test_endpoint_count == 0)
        atexit(test_endpoint_cleanup);
    bool known = false;
    for (int i = 0; i < test_endpoint_count && !known; i++)
        known = strcmp(test_endpoint_files[i], path) == 0;
    if (!known && test_endpoint_count < 256)
        snprintf(test_endpoint_files[test_endpoint_count++], sizeof test_endpoint_files[0], "%s",
                 path);
    return out;
}

/* Port k (0-19) of the block ctest gives this test binary (CW_PORT_BASE): for the few
   tests that need TCP itself (a second bind of the same address fails; ipc rebinds). */
static inline int test_tcp_port(int k)
{
    const char *base = getenv("CW_PORT_BASE");
    return (base && *base ? atoi(base) : 23980) + k;
}

/* A broker (CURVE when `curve` is given) on endpoints n, n+1 (events in), n+2 (out). */
static inline void bus_start_curve(test_bus_t *bus, int port, const cw_broker_curve_t *curve)
{
    test_endpoint(bus->broker, sizeof(bus->broker), port);
    test_endpoint(bus->events_in, sizeof(bus->events_in), port + 1);
    test_endpoint(bus->events_out, sizeof(bus->events_out), port + 2);
    cw_broker_curve_args_t args = {{bus->broker, bus->events_in, bus->events_out, 99}, {0}};
    if (curve)
        args.curve = *curve;
    zactor_fn *fn = curve ? cw_broker_curve_actor : cw_broker_actor;
    void *arg = curve ? (void *)&args : (void *)&args.endpoints;
    bus->actor = zactor_new(fn, arg);
    /* a port just released by a previous broker may take a moment to come free */
    for (int i = 0; i < 20 && args.endpoints.rc != 0; i++) {
        zactor_destroy(&bus->actor);
        zclock_sleep(100);
        bus->actor = zactor_new(fn, arg);
    }
    assert_non_null(bus->actor);
    assert_int_equal(args.endpoints.rc, 0);
}

static inline void bus_start(test_bus_t *bus, int port)
{
    bus_start_curve(bus, port, NULL);
}

static inline void bus_stop(test_bus_t *bus)
{
    zactor_destroy(&bus->actor);
}

/* An analyze_request with a fresh job id (written to job_id) and "limit". */
static inline cw_value_t *test_request(int limit, char job_id[33])
{
    cw_value_t *req = cw_proto_new(CW_MSG_ANALYZE_REQUEST);
    cw_bus_new_job_id(job_id);
    cw_map_set_str(req, "job_id", job_id);
    cw_map_set_int(req, "limit", limit);
    return req;
}

/* ---- a worker of `service` in its own thread: answers a stats_reply whose "total" is
   the request's "limit" and "last_7_days" the number of requests it has seen. */
typedef struct {
    const char *endpoint;
    const char *service;
    int slow_ms;      /* sleep before replying */
    int vanish_count; /* destroy the worker without replying this many times first */
    atomic_int requests;
    atomic_int vanished;
    atomic_int replies;
    atomic_bool stop;
    pthread_t thread;
} test_worker_t;

static inline void *test_worker_main(void *arg)
{
    test_worker_t *tw = (test_worker_t *)arg;
    cw_worker_t *worker = cw_worker_new(tw->endpoint, tw->service);
    assert_non_null(worker);
    while (!atomic_load(&tw->stop)) {
        cw_value_t *req = cw_worker_recv(worker, 100);
        if (!req)
            continue;
        atomic_fetch_add(&tw->requests, 1);
        if (atomic_load(&tw->vanished) < tw->vanish_count) {
            /* die mid-job: no reply, the broker must hand the job to someone else */
            cw_value_destroy(&req);
            cw_worker_destroy(&worker);
            atomic_fetch_add(&tw->vanished, 1);
            worker = cw_worker_new(tw->endpoint, tw->service);
            continue;
        }
        if (tw->slow_ms)
            zclock_sleep(tw->slow_ms);
        cw_value_t *reply = cw_proto_new(CW_MSG_STATS_REPLY);
        cw_map_set_str(reply, "job_id", cw_map_str(req, "job_id", ""));
        cw_map_set_int(reply, "total", cw_map_int(req, "limit", 0));
        cw_map_set_int(reply, "last_7_days", atomic_load(&tw->requests));
        cw_value_destroy(&req);
        assert_int_equal(cw_worker_send(worker, &reply), 0);
        assert_null(reply);
        atomic_fetch_add(&tw->replies, 1);
    }
    cw_worker_destroy(&worker);
    return NULL;
}

/* Start the worker thread; set slow_ms / vanish_count in *tw before, the rest is reset. */
static inline void worker_start(test_worker_t *tw, const char *endpoint, const char *service)
{
    tw->endpoint = endpoint;
    tw->service = service;
    atomic_init(&tw->requests, 0);
    atomic_init(&tw->vanished, 0);
    atomic_init(&tw->replies, 0);
    atomic_init(&tw->stop, false);
    assert_int_equal(pthread_create(&tw->thread, NULL, test_worker_main, tw), 0);
}

static inline void worker_stop(test_worker_t *tw)
{
    atomic_store(&tw->stop, true);
    pthread_join(tw->thread, NULL);
}

#endif
