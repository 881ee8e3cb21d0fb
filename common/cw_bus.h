/*  cw_bus — the client, worker, publisher and subscriber sides of the CodeWorm bus.

    Wire protocol (Majordomo-style; frame 0 names the peer kind, then a command byte):
      client -> broker  (DEALER): ["CWC1", service, payload]
      broker -> client          : ["CWC1", service, payload]     payload = reply or "error"
      worker -> broker  (DEALER): ["CWW1", 0x01 READY, service]
                                  ["CWW1", 0x01 READY, service, client_id, payload]  (the
                                   request it still works on, after a reconnect)
                                  ["CWW1", 0x03 REPLY, client_id, payload]
                                  ["CWW1", 0x04 HEARTBEAT]
                                  ["CWW1", 0x05 DISCONNECT]
      broker -> worker          : ["CWW1", 0x02 REQUEST, client_id, payload]
                                  ["CWW1", 0x04 HEARTBEAT]
                                  ["CWW1", 0x05 DISCONNECT]
    Every payload is a cw_proto message with a "job_id". Heartbeats every 2.5 s both ways,
    a peer is dead after 3 missed beats; a worker reconnects with backoff 1 s -> 32 s.

    Broker restarts (issue 10): a worker keeps one routing id, registers whenever its
    connection comes up (socket monitor), announcing the job it still works on and first
    sending its last reply again (until the broker hands it a new request); a reply that
    finishes while no broker is there waits for one. A client sends its pending request
    again as soon as its connection comes back. The broker adopts announced jobs, routes
    replies from workers that do not hold the job to the client named in them, and parks a
    reply whose client is away until the client repeats the job. See docs/ARCHITECTURE.md.

    Events: PUB connects to the broker's XSUB; frames [topic "codeworm.<name>", payload].

    All sockets set ZMQ_MAXMSGSIZE (CW_PROTO_MAX_FRAME) and a linger so that a last reply
    or event is not dropped at exit.                                                      */
#ifndef CW_BUS_H
#define CW_BUS_H

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>
#include "cw_config.h"
#include "cw_value.h"

#define CW_BUS_CLIENT "CWC1"
#define CW_BUS_WORKER "CWW1"
#define CW_BUS_READY 0x01
#define CW_BUS_REQUEST 0x02
#define CW_BUS_REPLY 0x03
#define CW_BUS_HEARTBEAT 0x04
#define CW_BUS_DISCONNECT 0x05

#define CW_BUS_HEARTBEAT_MS 2500
#define CW_BUS_LIVENESS 3
#define CW_BUS_RECONNECT_MIN_MS 1000
#define CW_BUS_RECONNECT_MAX_MS 32000
#define CW_BUS_LINGER_MS 2000

/* A fresh job id: 32 hex characters from a random source. `out` must hold 33 bytes. */
void cw_bus_new_job_id(char out[33]);

/* ------------------------------------------------------------------ security (CURVE)
   Process-wide: once set, every socket created afterwards by cw_client_new, cw_worker_new
   (and its reconnects), cw_publisher_new and cw_subscriber_new is a CURVE client that
   expects the broker's public key `server_public`. Keys are Z85 text (40 characters).
   client_public + client_secret: this process's key pair (must belong together); both
   NULL/"" = a fresh key pair for this process, which only a broker with an empty
   allow-list accepts. server_public NULL/"" = CURVE off (plain sockets) again.
   Returns 0, or -1 (logged, setting unchanged) when a key is invalid. Secrets are never
   logged. */
int cw_bus_set_curve(const char *server_public, const char *client_public,
                     const char *client_secret);
/* cw_bus_set_curve from config->bus.curve when bus.curve.enabled; nothing when it is
   off. 0, or -1 with the reason in err. Called by cw_service_start and the codeworm CLI. */
int cw_bus_curve_from_config(const cw_config_t *config, char *err, size_t errlen);
bool cw_bus_curve_enabled(void);

/* ------------------------------------------------------------------ client */
typedef struct _cw_client_t cw_client_t;

cw_client_t *cw_client_new(const char *broker_endpoint);
void cw_client_destroy(cw_client_t **self_p);
/* Send `request` (must carry "job_id"; ownership taken, *request nulled) to `service` and
   wait for the reply with the same job_id. Each attempt waits timeout_ms; the same request
   (same job_id) is re-sent up to `retries` more times. Returns the decoded, validated reply
   (possibly a CW_MSG_ERROR payload) or NULL with a reason in err (timeout, interrupted,
   malformed reply). Replies for other job ids are dropped. */
cw_value_t *cw_client_request(cw_client_t *self, const char *service, cw_value_t **request,
                              int timeout_ms, int retries, char *err, size_t errlen);
/* Ask the broker for its status (a status_reply) within timeout_ms; NULL if no broker. */
cw_value_t *cw_client_broker_status(cw_client_t *self, int timeout_ms);

/* ------------------------------------------------------------------ worker */
typedef struct _cw_worker_t cw_worker_t;

/* A worker for `service`. Its socket lives in a background thread that heartbeats
   and reconnects on its own, so a long job (an LLM call) never looks like a dead worker. */
cw_worker_t *cw_worker_new(const char *broker_endpoint, const char *service);
void cw_worker_destroy(cw_worker_t **self_p); /* sends DISCONNECT, stops the thread */
/* Wait for the next request, up to timeout_ms (-1 = forever). Returns the validated
   payload; NULL on timeout or interrupt (check zsys_interrupted). A malformed request is
   answered with a bad_request error by the worker itself and never returned. */
cw_value_t *cw_worker_recv(cw_worker_t *self, int timeout_ms);
/* Answer the request last returned by cw_worker_recv. Takes ownership of *reply. */
int cw_worker_send(cw_worker_t *self, cw_value_t **reply);
/* true while the broker is answering heartbeats. */
bool cw_worker_connected(cw_worker_t *self);

/* ------------------------------------------------------------------ events */
typedef struct _cw_publisher_t cw_publisher_t;

/* Connects a PUB socket to the broker's events_in (XSUB). `service` is written into each
   event's "service" field. */
cw_publisher_t *cw_publisher_new(const char *events_in_endpoint, const char *service);
void cw_publisher_destroy(cw_publisher_t **self_p);
/* Publish event `name` (a CW_EV_* name). `fields` (a map or NULL; ownership taken) gets
   "v", "type"=name, "service" and "timestamp" (ISO 8601 UTC) added; the event is validated
   against its declaration and dropped with a warning if it breaks it. */
int cw_publisher_send(cw_publisher_t *self, const char *name, cw_value_t **fields);
/* Publish a `log` event {level, message} (message cut at 4096 bytes). NULL self: -1. */
int cw_publisher_log(cw_publisher_t *self, const char *level, const char *message);

/* The two frames of event `name` from `service` (what cw_publisher_send sends): `fields`
   as above, ownership taken. NULL (logged) when the event breaks its declaration. For a
   process that owns a socket of its own to publish on (the broker's XPUB). */
zmsg_t *cw_bus_event_new(const char *service, const char *name, cw_value_t **fields);

typedef struct _cw_subscriber_t cw_subscriber_t;

/* Connects a SUB socket to events_out (XPUB) subscribed to topics starting with
   "codeworm." + prefix ("" = every event). */
cw_subscriber_t *cw_subscriber_new(const char *events_out_endpoint, const char *prefix);
void cw_subscriber_destroy(cw_subscriber_t **self_p);
/* Next valid event within timeout_ms (-1 forever); NULL on timeout/interrupt. Malformed
   events are logged and skipped. The event name is the payload's "type". */
cw_value_t *cw_subscriber_recv(cw_subscriber_t *self, int timeout_ms);

#endif
