/*  cw_broker — the CodeWorm bus broker: a Majordomo-style request broker on a ROUTER
    socket (bus.broker) and the event proxy XSUB (bus.events_in) -> XPUB (bus.events_out).

    Requests (see cw_bus.h for frames) are queued per service until a worker of that
    service is idle. The broker remembers which worker holds which request; when a worker
    disconnects or its heartbeats stop (CW_BUS_LIVENESS x CW_BUS_HEARTBEAT_MS) the request
    goes back to the front of its queue, and after CW_BROKER_MAX_DELIVERIES deliveries that
    all died the client gets an error "worker_lost". A re-sent job (same client, same
    job_id) that is still queued or in flight is ignored. Service "broker" is answered by
    the broker itself (status_request -> status_reply). Malformed frames are logged and
    dropped.

    Restarts (issue 10): a READY that names a job (client id + payload) makes that job held
    by the worker (taken out of the queue if the client sent it again); a reply from a worker
    that does not hold its job is delivered to the client named in it (and the job dropped
    from the queue); a reply whose client is not connected is parked for 120 s and answers
    that client's repeat of the job. Before binding, an ipc:// endpoint's folder is made
    the user's and 0700, and cw_broker_new_config refuses a non-loopback TCP bind without
    CURVE unless bus.allow_insecure (see cw_config.h).

    In-process use (tests, `codeworm run-once`):

        cw_broker_endpoints_t eps = {"tcp://127.0.0.1:24001", "tcp://127.0.0.1:24002",
                                     "tcp://127.0.0.1:24003", 0};
        zactor_t *broker = zactor_new (cw_broker_actor, &eps);
        if (eps.rc != 0) ... (could not bind)
        ...
        zactor_destroy (&broker);
*/
#ifndef CW_BROKER_H
#define CW_BROKER_H

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>

#include "cw_config.h"

#define CW_BROKER_MAX_DELIVERIES 3  /* deliveries of one job to workers that all died */
#define CW_BROKER_MAX_QUEUE 10000   /* queued requests per service */
#define CW_BROKER_MAX_SERVICES 64   /* distinct service names */
#define CW_BROKER_MAX_WORKERS 10000 /* registered workers */
#define CW_BROKER_QUEUE_TTL_MS                                                                     \
    600000 /* a request queued longer than this is answered                                        \
              "unavailable" (no worker took it) */

typedef struct _cw_broker_t cw_broker_t;

/* Bind the three endpoints (any may be NULL or "" to skip events). NULL on failure
   (logged). */
cw_broker_t *cw_broker_new(const char *broker_endpoint, const char *events_in,
                           const char *events_out);
/* CURVE on the broker's three sockets (see cw_zap.h for the authentication). */
typedef struct {
    const char *server_secret;          /* Z85 secret key of the broker (required) */
    const char *server_public;          /* Z85; when given, must belong to server_secret */
    const char *const *allowed_clients; /* Z85 client public keys */
    size_t allowed_count;               /* 0 = any CURVE client that knows the server key */
} cw_broker_curve_t;

/* cw_broker_new with CURVE: the ROUTER, XSUB and XPUB are CURVE servers and a client is
   accepted only when its public key is in allowed_clients (or any CURVE client when the
   list is empty); plain (non-CURVE) peers never get through. curve NULL = plain sockets.
   NULL on failure (bad key, bind error; logged). */
cw_broker_t *cw_broker_new_curve(const char *broker_endpoint, const char *events_in,
                                 const char *events_out, const cw_broker_curve_t *curve);
/* Bind bus.broker, bus.events_in, bus.events_out of a config. With bus.curve.enabled the
   sockets use CURVE with bus.curve.server_secret_key (which must belong to
   bus.curve.server_public_key); the allow-list is bus.curve.allowed_clients plus
   bus.curve.client_public_key (the key this installation's own services use). An empty
   list (no allowed_clients, no client key) accepts any CURVE client. */
cw_broker_t *cw_broker_new_config(const cw_config_t *config);

/* Print a fresh CURVE key pair (Z85) as config lines to `out`. 0, or -1 without CURVE. */
int cw_broker_print_keypair(FILE *out);
void cw_broker_destroy(cw_broker_t **self_p);

/* Serve until zsys_interrupted (or, if `pipe` is not NULL, until "$TERM" arrives on it).
   Returns 0. */
int cw_broker_run(cw_broker_t *self);
int cw_broker_run_pipe(cw_broker_t *self, zsock_t *pipe);

/* The broker's own life-cycle events, published on its XPUB (events_out) directly:
   service_started CW_BROKER_STARTED_GRACE_MS after the first subscriber whose subscription
   covers it arrived (so it is not lost to an empty bus at start-up, and the subscribers
   that connect at about the same time get it too; once), service_stopping from
   cw_broker_announce_stopping (call it after cw_broker_run returns, before destroy; it
   waits CW_BROKER_STOPPING_FLUSH_MS so the event leaves). Off by default (in-process
   brokers of tests and `run-once` stay quiet); codeworm-broker turns it on. */
#define CW_BROKER_STOPPING_FLUSH_MS 200
#define CW_BROKER_STARTED_GRACE_MS 2000
void cw_broker_set_announce(cw_broker_t *self, bool announce);
void cw_broker_announce_stopping(cw_broker_t *self, const char *reason);

/* Change the queue time-to-live (ms, > 0); for tests. */
void cw_broker_set_queue_ttl(cw_broker_t *self, int64_t ttl_ms);

/* Counters for tests and the status reply. */
size_t cw_broker_workers(cw_broker_t *self, const char *service);
size_t cw_broker_queued(cw_broker_t *self, const char *service);

/* ------------------------------------------------------------------ actor form */
typedef struct {
    const char *broker;     /* ROUTER endpoint */
    const char *events_in;  /* XSUB endpoint (NULL/"" = none) */
    const char *events_out; /* XPUB endpoint (NULL/"" = none) */
    int rc;                 /* set by the actor before zactor_new returns: 0 or -1 */
} cw_broker_endpoints_t;

/* zactor_fn: binds, signals, serves until $TERM. args = cw_broker_endpoints_t*, read only
   before zactor_new returns (a stack struct is fine). */
void cw_broker_actor(zsock_t *pipe, void *args);

/* The same with CURVE (cw_broker_new_curve): args = cw_broker_curve_args_t*, rc is set in
   args->endpoints.rc. */
typedef struct {
    cw_broker_endpoints_t endpoints;
    cw_broker_curve_t curve;
} cw_broker_curve_args_t;
void cw_broker_curve_actor(zsock_t *pipe, void *args);

#endif
