/*  cw_broker — Majordomo-style request broker and event proxy. See cw_broker.h. */
#include "cw_broker.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cw_bus.h"
#include "cw_log.h"
#include "cw_proto.h"
#include "cw_zap.h"
#include "cw_zsock.h"

#define BROKER_MAX_FRAMES 7 /* identity + the longest command (READY with its job: 5) + 1 */
#define BROKER_BATCH 256    /* messages handled per socket per wake-up */

typedef struct _service_t service_t;
typedef struct _worker_t worker_t;

typedef struct {
    zframe_t *client; /* client routing id */
    char *key;        /* "<client hex>/<job_id>": the dedup key */
    char job_id[65];
    service_t *service;
    zframe_t *payload; /* the request bytes as received (validated) */
    int deliveries;    /* times handed to a worker */
    int64_t queued_at;
    worker_t *worker; /* holder, NULL while queued */
} request_t;

struct _service_t {
    char *name;
    zlistx_t *requests; /* request_t*, front = next to dispatch */
    zlistx_t *waiting;  /* idle worker_t*, front = idle the longest */
    size_t workers;
    size_t busy;
};

struct _worker_t {
    char *id; /* routing id as hex */
    zframe_t *identity;
    service_t *service;
    request_t *request; /* the request it holds, or NULL */
    void *waiting_handle;
    int64_t expiry;
    bool busy_untracked; /* working on a job another worker holds (counted in busy) */
};

struct _cw_broker_t {
    zsock_t *router;
    zsock_t *xsub;
    zsock_t *xpub;
    char *endpoint;
    char zap_domain[40]; /* registered with cw_zap when CURVE is on, else "" */
    zhashx_t *services;  /* name -> service_t */
    zhashx_t *workers;   /* hex id -> worker_t */
    zhashx_t *jobs;      /* dedup key -> request_t (not owning) */
    zhashx_t *parked;    /* dedup key -> parked_t: replies whose client was away */
    size_t parked_bytes;
    int64_t heartbeat_at;
    int64_t ttl_ms;
    /* the broker's own service_started/service_stopping (cw_broker_set_announce) */
    bool announce;
    bool started_pending; /* service_started waits for a subscriber that wants it */
    int64_t started_due;  /* ... then for CW_BROKER_STARTED_GRACE_MS (0 = not yet) */
};

/* ------------------------------------------------------------------ small helpers */

/* A line about malformed input from a peer: rate-limited (cw_log_limited), so a flood of
   bad frames cannot flood the log. */
#define MALFORMED_WARN(self, ...) cw_warn_limited(__VA_ARGS__)

static void s_request_destroy(cw_broker_t *self, request_t **req_p)
{
    if (!req_p || !*req_p)
        return;
    request_t *req = *req_p;
    if (req->key && zhashx_lookup(self->jobs, req->key) == req)
        zhashx_delete(self->jobs, req->key);
    zframe_destroy(&req->client);
    zframe_destroy(&req->payload);
    free(req->key);
    free(req);
    *req_p = NULL;
}

/* ------------------------------------------------------------------ parked replies
   (issue 10) A reply whose client is not connected right now (its connection is coming
   back after a broker restart or a network blip) is kept for BROKER_PARK_TTL_MS; when that
   client sends the job again, as it does as soon as it is connected, it gets the reply at
   once instead of the job being run a second time. Bounded in count and bytes. */
#define BROKER_PARK_TTL_MS 120000
#define BROKER_PARK_MAX 1024
#define BROKER_PARK_MAX_BYTES (64u * 1024 * 1024)

typedef struct {
    char service[CW_ZSOCK_NAME_MAX + 1];
    zframe_t *payload;
    int64_t expiry;
} parked_t;

static void s_parked_destroy(void **item)
{
    parked_t *p = (parked_t *)*item;
    if (!p)
        return;
    zframe_destroy(&p->payload);
    free(p);
    *item = NULL;
}

static void s_park(cw_broker_t *self, zframe_t *client, const char *service, const void *data,
                   size_t size, const char *job_id)
{
    if (!self->parked || !job_id || !*job_id || zhashx_size(self->parked) >= BROKER_PARK_MAX ||
        self->parked_bytes + size > BROKER_PARK_MAX_BYTES) {
        cw_warn("broker_reply_not_parked", CW_LS("job_id", job_id), CW_LS("reason", "parking full"),
                CW_LEND);
        return;
    }
    char *hex = zframe_strhex(client);
    size_t n = strlen(hex) + strlen(job_id) + 2;
    char *key = (char *)malloc(n);
    snprintf(key, n, "%s/%s", hex, job_id);
    free(hex);
    parked_t *p = (parked_t *)zmalloc(sizeof(parked_t));
    snprintf(p->service, sizeof(p->service), "%s", service);
    p->payload = zframe_new(data, size);
    p->expiry = zclock_mono() + BROKER_PARK_TTL_MS;
    void *old = zhashx_lookup(self->parked, key);
    if (old)
        self->parked_bytes -= zframe_size(((parked_t *)old)->payload);
    zhashx_update(self->parked, key, p);
    self->parked_bytes += size;
    cw_info("broker_reply_parked", CW_LS("job_id", job_id),
            CW_LS("reason", "client not connected: kept for its repeat"), CW_LEND);
    free(key);
}

static void s_parked_expire(cw_broker_t *self, int64_t now)
{
    zlistx_t *keys = zhashx_keys(self->parked);
    for (const char *k = (const char *)zlistx_first(keys); k; k = (const char *)zlistx_next(keys)) {
        parked_t *p = (parked_t *)zhashx_lookup(self->parked, k);
        if (p && now > p->expiry) {
            self->parked_bytes -= zframe_size(p->payload);
            zhashx_delete(self->parked, k);
        }
    }
    zlistx_destroy(&keys);
}

/* ------------------------------------------------------------------ sending */

/* [client, CWC1, service, payload]. A client that is not connected gets the reply parked
   (see above); other failures are dropped with a log line. */
static void s_send_client(cw_broker_t *self, zframe_t *client, const char *service,
                          const void *data, size_t size, const char *job_id)
{
    zmsg_t *msg = zmsg_new();
    zmsg_addmem(msg, zframe_data(client), zframe_size(client));
    zmsg_addstr(msg, CW_BUS_CLIENT);
    zmsg_addstr(msg, service);
    zmsg_addmem(msg, data, size);
    if (cw_zsock_send(&msg, self->router) != 0) {
        bool away = errno == EHOSTUNREACH;
        char *hex = zframe_strhex(client);
        cw_warn("broker_reply_dropped", CW_LS("client", hex), CW_LS("service_name", service),
                CW_LS("job_id", job_id),
                CW_LS("reason", away ? "unknown client" : zmq_strerror(errno)), CW_LEND);
        free(hex);
        if (away)
            s_park(self, client, service, data, size, job_id);
    }
}

static void s_reply_error(cw_broker_t *self, zframe_t *client, const char *service,
                          const char *job_id, const char *code, const char *message, bool retryable)
{
    cw_value_t *err = cw_proto_new_error(job_id, code, message, retryable);
    char *data = NULL;
    size_t size = 0;
    char why[256] = "";
    if (err && cw_proto_encode(err, &data, &size, why, sizeof(why)) == 0)
        s_send_client(self, client, service, data, size, job_id);
    else
        cw_error("broker_error_reply_failed", CW_LS("job_id", job_id), CW_LS("error", why),
                 CW_LEND);
    free(data);
    cw_value_destroy(&err);
}

/* [worker, CWW1, command, (client, payload)]. -1 when the worker is gone. */
static int s_send_worker(cw_broker_t *self, worker_t *worker, int command, zframe_t *client,
                         zframe_t *payload)
{
    zmsg_t *msg = zmsg_new();
    zmsg_addmem(msg, zframe_data(worker->identity), zframe_size(worker->identity));
    zmsg_addstr(msg, CW_BUS_WORKER);
    unsigned char cmd = (unsigned char)command;
    zmsg_addmem(msg, &cmd, 1);
    if (client && payload) {
        zmsg_addmem(msg, zframe_data(client), zframe_size(client));
        zmsg_addmem(msg, zframe_data(payload), zframe_size(payload));
    }
    if (cw_zsock_send(&msg, self->router) != 0) {
        cw_warn("broker_worker_unreachable", CW_LS("worker", worker->id),
                CW_LS("service_name", worker->service ? worker->service->name : ""),
                CW_LS("error", zmq_strerror(errno)), CW_LEND);
        return -1;
    }
    return 0;
}

static void s_send_disconnect_to(cw_broker_t *self, zframe_t *identity)
{
    zmsg_t *msg = zmsg_new();
    zmsg_addmem(msg, zframe_data(identity), zframe_size(identity));
    zmsg_addstr(msg, CW_BUS_WORKER);
    unsigned char cmd = CW_BUS_DISCONNECT;
    zmsg_addmem(msg, &cmd, 1);
    cw_zsock_send(&msg, self->router);
}

/* ------------------------------------------------------------------ services, workers */

static void s_service_destroy(void **item)
{
    service_t *service = (service_t *)*item;
    if (!service)
        return;
    zlistx_destroy(&service->requests);
    zlistx_destroy(&service->waiting);
    free(service->name);
    free(service);
    *item = NULL;
}

static service_t *s_service_require(cw_broker_t *self, const char *name)
{
    service_t *service = (service_t *)zhashx_lookup(self->services, name);
    if (service)
        return service;
    if (zhashx_size(self->services) >= CW_BROKER_MAX_SERVICES) {
        cw_warn("broker_too_many_services", CW_LS("service_name", name),
                CW_LI("max", CW_BROKER_MAX_SERVICES), CW_LEND);
        return NULL;
    }
    service = (service_t *)zmalloc(sizeof(service_t));
    service->name = strdup(name);
    service->requests = zlistx_new();
    service->waiting = zlistx_new();
    zhashx_insert(self->services, name, service);
    return service;
}

static void s_dispatch(cw_broker_t *self, service_t *service);
static void s_worker_delete(cw_broker_t *self, worker_t *worker, const char *reason);

/* A worker that held `req` died: requeue it at the front, or give up after
   CW_BROKER_MAX_DELIVERIES deliveries. */
static void s_request_lost(cw_broker_t *self, request_t *req)
{
    service_t *service = req->service;
    req->worker = NULL;
    if (req->deliveries >= CW_BROKER_MAX_DELIVERIES) {
        char message[256];
        snprintf(message, sizeof(message), "job %s was lost by %d workers", req->job_id,
                 req->deliveries);
        cw_error("broker_job_lost", CW_LS("service_name", service->name),
                 CW_LS("job_id", req->job_id), CW_LI("deliveries", req->deliveries), CW_LEND);
        s_reply_error(self, req->client, service->name, req->job_id, CW_ERR_WORKER_LOST, message,
                      false);
        s_request_destroy(self, &req);
        return;
    }
    cw_warn("broker_job_requeued", CW_LS("service_name", service->name),
            CW_LS("job_id", req->job_id), CW_LI("deliveries", req->deliveries), CW_LEND);
    req->queued_at = zclock_mono();
    zlistx_add_start(service->requests, req);
}

static void s_worker_delete(cw_broker_t *self, worker_t *worker, const char *reason)
{
    service_t *service = worker->service;
    cw_info("broker_worker_removed", CW_LS("worker", worker->id),
            CW_LS("service_name", service ? service->name : ""), CW_LS("reason", reason),
            CW_LB("held_job", worker->request != NULL), CW_LEND);
    if (service && worker->waiting_handle) {
        zlistx_delete(service->waiting, worker->waiting_handle);
        worker->waiting_handle = NULL;
    }
    if (worker->request) {
        request_t *req = worker->request;
        worker->request = NULL;
        if (service && service->busy > 0)
            service->busy--;
        s_request_lost(self, req);
    } else if (worker->busy_untracked && service && service->busy > 0)
        service->busy--;
    if (service && service->workers > 0)
        service->workers--;
    zhashx_delete(self->workers, worker->id);
    zframe_destroy(&worker->identity);
    free(worker->id);
    free(worker);
    if (service)
        s_dispatch(self, service);
}

static void s_worker_waiting(cw_broker_t *self, worker_t *worker)
{
    worker->waiting_handle = zlistx_add_end(worker->service->waiting, worker);
    s_dispatch(self, worker->service);
}

/* Hand queued requests to idle workers. */
static void s_dispatch(cw_broker_t *self, service_t *service)
{
    while (zlistx_size(service->requests) > 0 && zlistx_size(service->waiting) > 0) {
        worker_t *worker = (worker_t *)zlistx_first(service->waiting);
        zlistx_delete(service->waiting, zlistx_cursor(service->waiting));
        worker->waiting_handle = NULL;
        request_t *req = (request_t *)zlistx_first(service->requests);
        zlistx_delete(service->requests, zlistx_cursor(service->requests));
        if (s_send_worker(self, worker, CW_BUS_REQUEST, req->client, req->payload) != 0) {
            zlistx_add_start(service->requests, req);
            s_worker_delete(self, worker, "unreachable");
            return; /* s_worker_delete dispatched again */
        }
        req->deliveries++;
        req->worker = worker;
        worker->request = req;
        service->busy++;
        cw_debug("broker_dispatch", CW_LS("service_name", service->name),
                 CW_LS("job_id", req->job_id), CW_LS("worker", worker->id),
                 CW_LI("delivery", req->deliveries), CW_LEND);
    }
}

/* ------------------------------------------------------------------ status */

static void s_answer_broker(cw_broker_t *self, zframe_t *client, const cw_value_t *request,
                            const char *job_id)
{
    const char *type = cw_proto_type(request);
    if (!type || strcmp(type, CW_MSG_STATUS_REQUEST) != 0) {
        char message[128];
        snprintf(message, sizeof(message), "the broker answers only %s, not %s",
                 CW_MSG_STATUS_REQUEST, type ? type : "?");
        s_reply_error(self, client, CW_SERVICE_BROKER, job_id, CW_ERR_BAD_REQUEST, message, false);
        return;
    }
    cw_value_t *reply = cw_proto_new(CW_MSG_STATUS_REPLY);
    cw_value_t *services = cw_value_new_map();
    cw_map_set_str(reply, "job_id", job_id);
    for (service_t *s = (service_t *)zhashx_first(self->services); s;
         s = (service_t *)zhashx_next(self->services)) {
        cw_value_t *entry = cw_value_new_map();
        cw_map_set_int(entry, "workers", (int64_t)s->workers);
        cw_map_set_int(entry, "queued", (int64_t)zlistx_size(s->requests));
        cw_map_set_int(entry, "busy", (int64_t)s->busy);
        cw_map_set(services, s->name, entry);
    }
    cw_map_set(reply, "services", services);
    char *data = NULL;
    size_t size = 0;
    char why[256] = "";
    if (cw_proto_encode(reply, &data, &size, why, sizeof(why)) == 0)
        s_send_client(self, client, CW_SERVICE_BROKER, data, size, job_id);
    else
        cw_error("broker_status_failed", CW_LS("error", why), CW_LEND);
    free(data);
    cw_value_destroy(&reply);
}

/* ------------------------------------------------------------------ client requests */

static void s_on_client(cw_broker_t *self, zframe_t *identity, zmsg_t *msg, const char *peer)
{
    /* msg: [CWC1, service, payload] */
    if (zmsg_size(msg) != 3) {
        MALFORMED_WARN(self, "broker_frame_malformed", CW_LS("peer", peer), CW_LS("kind", "client"),
                       CW_LS("error", "a request has 3 frames"), CW_LI("frames", zmsg_size(msg)),
                       CW_LEND);
        return;
    }
    zmsg_first(msg);
    zframe_t *service_frame = zmsg_next(msg);
    zframe_t *payload = zmsg_next(msg);
    if (!cw_zsock_valid_name((const char *)zframe_data(service_frame),
                             zframe_size(service_frame))) {
        MALFORMED_WARN(self, "broker_frame_malformed", CW_LS("peer", peer), CW_LS("kind", "client"),
                       CW_LS("error", "invalid service name"), CW_LEND);
        return;
    }
    char service_name[CW_ZSOCK_NAME_MAX + 1];
    memcpy(service_name, zframe_data(service_frame), zframe_size(service_frame));
    service_name[zframe_size(service_frame)] = '\0';

    char why[256] = "";
    cw_value_t *request =
        cw_proto_decode(zframe_data(payload), zframe_size(payload), why, sizeof(why));
    const char *job = request ? cw_map_str(request, "job_id", NULL) : NULL;
    if (!request || !job || !*job || strlen(job) > 64) {
        char job_id[65];
        cw_zsock_salvage_job_id(zframe_data(payload), zframe_size(payload), "", job_id);
        if (request && !*why)
            snprintf(why, sizeof(why), "request has no job_id");
        MALFORMED_WARN(self, "broker_request_invalid", CW_LS("peer", peer),
                       CW_LS("service_name", service_name), CW_LS("job_id", job_id),
                       CW_LS("error", why), CW_LEND);
        if (*job_id) {
            char message[512];
            snprintf(message, sizeof(message), "malformed request: %s", why);
            s_reply_error(self, identity, service_name, job_id, CW_ERR_BAD_REQUEST, message, false);
        }
        cw_value_destroy(&request);
        return;
    }
    char job_id[65];
    snprintf(job_id, sizeof(job_id), "%s", job);

    if (streq(service_name, CW_SERVICE_BROKER)) {
        s_answer_broker(self, identity, request, job_id);
        cw_value_destroy(&request);
        return;
    }
    cw_value_destroy(&request);

    size_t keylen = strlen(peer) + 1 + strlen(job_id) + 1;
    char *key = (char *)malloc(keylen);
    snprintf(key, keylen, "%s/%s", peer, job_id);
    parked_t *parked = (parked_t *)zhashx_lookup(self->parked, key);
    if (parked) { /* done while the client was away: the reply, not the job again */
        cw_info("broker_parked_reply_delivered", CW_LS("service_name", service_name),
                CW_LS("job_id", job_id), CW_LEND);
        zframe_t *payload_copy = zframe_dup(parked->payload);
        char svc[CW_ZSOCK_NAME_MAX + 1];
        snprintf(svc, sizeof(svc), "%s", parked->service);
        self->parked_bytes -= zframe_size(parked->payload);
        zhashx_delete(self->parked, key);
        s_send_client(self, identity, svc, zframe_data(payload_copy), zframe_size(payload_copy),
                      job_id);
        zframe_destroy(&payload_copy);
        free(key);
        return;
    }
    request_t *existing = (request_t *)zhashx_lookup(self->jobs, key);
    if (existing) {
        cw_info("broker_duplicate_ignored", CW_LS("service_name", service_name),
                CW_LS("job_id", job_id), CW_LB("in_flight", existing->worker != NULL), CW_LEND);
        free(key);
        return;
    }
    service_t *service = s_service_require(self, service_name);
    if (!service) {
        s_reply_error(self, identity, service_name, job_id, CW_ERR_UNAVAILABLE,
                      "too many services on this broker", true);
        free(key);
        return;
    }
    if (zlistx_size(service->requests) >= CW_BROKER_MAX_QUEUE) {
        cw_warn("broker_queue_full", CW_LS("service_name", service_name), CW_LS("job_id", job_id),
                CW_LI("queued", zlistx_size(service->requests)), CW_LEND);
        char message[256];
        snprintf(message, sizeof(message), "queue for %s is full (%d requests)", service_name,
                 CW_BROKER_MAX_QUEUE);
        s_reply_error(self, identity, service_name, job_id, CW_ERR_UNAVAILABLE, message, true);
        free(key);
        return;
    }
    request_t *req = (request_t *)zmalloc(sizeof(request_t));
    req->client = zframe_dup(identity);
    req->key = key;
    snprintf(req->job_id, sizeof(req->job_id), "%s", job_id);
    req->service = service;
    req->payload = zframe_dup(payload);
    req->queued_at = zclock_mono();
    zhashx_insert(self->jobs, key, req);
    zlistx_add_end(service->requests, req);
    cw_debug("broker_request_queued", CW_LS("service_name", service_name), CW_LS("job_id", job_id),
             CW_LI("queued", zlistx_size(service->requests)), CW_LEND);
    s_dispatch(self, service);
}

/* ------------------------------------------------------------------ broker restarts
   (issue 10) A worker that reconnects announces the job it still works on with its READY,
   and sends the reply of a job it finished while its broker was away before that READY.
   The broker adopts the first (the job counts as held by that worker: a client's repeat is
   ignored, nothing is dispatched twice) and delivers the second to the client named in it,
   dropping the same job from its queue if the client had already sent it again. */

/* The job named by a worker's client frame and payload: its dedup key and id. false when
   the payload is not a valid message with a job id. */
static bool s_job_key(zframe_t *client, zframe_t *payload, char **key_out, char job_id[65])
{
    cw_value_t *value = cw_proto_decode(zframe_data(payload), zframe_size(payload), NULL, 0);
    const char *job = value ? cw_map_str(value, "job_id", NULL) : NULL;
    bool ok = job && *job && strlen(job) <= 64;
    if (ok) {
        snprintf(job_id, 65, "%s", job);
        char *hex = zframe_strhex(client);
        size_t n = strlen(hex) + strlen(job_id) + 2;
        *key_out = (char *)malloc(n);
        snprintf(*key_out, n, "%s/%s", hex, job_id);
        free(hex);
    }
    cw_value_destroy(&value);
    return ok;
}

/* Does `worker` already hold the job of this READY (a reconnect to the same broker)? */
static bool s_worker_still_holds(worker_t *worker, const char *service, zframe_t *client,
                                 zframe_t *payload)
{
    if (!client || !worker->request || !streq(worker->service->name, service))
        return false;
    char *key = NULL, job_id[65];
    bool same = s_job_key(client, payload, &key, job_id) && streq(key, worker->request->key);
    free(key);
    return same;
}

/* READY with a job: the worker holds it from now on. true when it is busy with it. */
static bool s_worker_adopt(cw_broker_t *self, worker_t *worker, zframe_t *client, zframe_t *payload)
{
    char *key = NULL, job_id[65];
    if (!s_job_key(client, payload, &key, job_id)) {
        cw_warn("broker_adopt_invalid", CW_LS("worker", worker->id),
                CW_LS("reason", "READY names a job without a valid payload"), CW_LEND);
        return false;
    }
    service_t *service = worker->service;
    request_t *req = (request_t *)zhashx_lookup(self->jobs, key);
    if (req && (req->worker || req->service != service)) {
        /* another worker has it too (the client sent it again before this worker came
           back): both finish it, the first reply is delivered, the other is dropped by the
           client; effects stay exactly-once because workers deduplicate by job id */
        cw_warn("broker_job_shared", CW_LS("service_name", service->name), CW_LS("job_id", job_id),
                CW_LS("worker", worker->id), CW_LEND);
        worker->busy_untracked = true;
        service->busy++;
        free(key);
        return true;
    }
    if (req) { /* queued again by the client's repeat: this worker already has it */
        void *handle = zlistx_find(service->requests, req);
        if (handle)
            zlistx_delete(service->requests, handle);
        free(key);
    } else {
        req = (request_t *)zmalloc(sizeof(request_t));
        req->client = zframe_dup(client);
        req->key = key;
        snprintf(req->job_id, sizeof(req->job_id), "%s", job_id);
        req->service = service;
        req->payload = zframe_dup(payload);
        req->queued_at = zclock_mono();
        req->deliveries = 1;
        zhashx_insert(self->jobs, req->key, req);
    }
    req->worker = worker;
    worker->request = req;
    service->busy++;
    cw_info("broker_job_adopted", CW_LS("service_name", service->name), CW_LS("job_id", job_id),
            CW_LS("worker", worker->id), CW_LEND);
    return true;
}

/* Deliver a reply no worker of this broker was expected to send; forget the same job if
   it is queued or held elsewhere (that holder's own reply will be delivered too, late). */
static void s_route_orphan_reply(cw_broker_t *self, const char *peer, const char *service_name,
                                 zframe_t *client, zframe_t *payload)
{
    char *key = NULL, job_id[65];
    if (!s_job_key(client, payload, &key, job_id)) {
        MALFORMED_WARN(self, "broker_reply_invalid", CW_LS("worker", peer),
                       CW_LS("error", "an unexpected reply without a valid payload"), CW_LEND);
        return;
    }
    request_t *req = (request_t *)zhashx_lookup(self->jobs, key);
    const char *name = service_name ? service_name : req ? req->service->name : NULL;
    if (req) {
        if (req->worker) {
            req->worker->request = NULL;
            req->worker->busy_untracked = true; /* still busy until it answers */
        } else {
            void *handle = zlistx_find(req->service->requests, req);
            if (handle)
                zlistx_delete(req->service->requests, handle);
        }
        s_request_destroy(self, &req);
    }
    cw_info("broker_reply_rerouted", CW_LS("worker", peer), CW_LS("job_id", job_id),
            CW_LS("service_name", name ? name : "?"), CW_LEND);
    s_send_client(self, client, name ? name : "unknown", zframe_data(payload), zframe_size(payload),
                  job_id);
    free(key);
}

/* ------------------------------------------------------------------ worker commands */

static void s_on_worker(cw_broker_t *self, zframe_t *identity, zmsg_t *msg, const char *peer)
{
    /* msg: [CWW1, command, ...] */
    zmsg_first(msg);
    zframe_t *command = zmsg_next(msg);
    if (!command || zframe_size(command) != 1) {
        MALFORMED_WARN(self, "broker_frame_malformed", CW_LS("peer", peer), CW_LS("kind", "worker"),
                       CW_LS("error", "missing or bad command frame"), CW_LEND);
        return;
    }
    int cmd = zframe_data(command)[0];
    size_t frames = zmsg_size(msg);
    worker_t *worker = (worker_t *)zhashx_lookup(self->workers, peer);

    if (cmd == CW_BUS_READY) {
        zframe_t *service_frame = zmsg_next(msg);
        if ((frames != 3 && frames != 5) ||
            !cw_zsock_valid_name((const char *)zframe_data(service_frame),
                                 zframe_size(service_frame))) {
            MALFORMED_WARN(
                self, "broker_frame_malformed", CW_LS("peer", peer), CW_LS("kind", "worker"),
                CW_LS("error", "READY needs one valid service name (and a job)"), CW_LEND);
            return;
        }
        /* READY with the job the worker still works on (after a reconnect) */
        zframe_t *held_client = frames == 5 ? zmsg_next(msg) : NULL;
        zframe_t *held_payload = frames == 5 ? zmsg_next(msg) : NULL;
        char name[CW_ZSOCK_NAME_MAX + 1];
        memcpy(name, zframe_data(service_frame), zframe_size(service_frame));
        name[zframe_size(service_frame)] = '\0';
        if (worker && s_worker_still_holds(worker, name, held_client, held_payload)) {
            worker->expiry = zclock_mono() + (int64_t)CW_BUS_HEARTBEAT_MS * CW_BUS_LIVENESS;
            s_send_worker(self, worker, CW_BUS_HEARTBEAT, NULL, NULL);
            return;
        }
        if (worker) /* a second READY: forget the first registration */
            s_worker_delete(self, worker, "registered twice");
        service_t *service = NULL;
        if (streq(name, CW_SERVICE_BROKER) || zhashx_size(self->workers) >= CW_BROKER_MAX_WORKERS ||
            !(service = s_service_require(self, name))) {
            cw_warn("broker_worker_refused", CW_LS("peer", peer), CW_LS("service_name", name),
                    CW_LEND);
            s_send_disconnect_to(self, identity);
            return;
        }
        worker = (worker_t *)zmalloc(sizeof(worker_t));
        worker->id = strdup(peer);
        worker->identity = zframe_dup(identity);
        worker->service = service;
        worker->expiry = zclock_mono() + (int64_t)CW_BUS_HEARTBEAT_MS * CW_BUS_LIVENESS;
        zhashx_insert(self->workers, peer, worker);
        service->workers++;
        cw_info("broker_worker_ready", CW_LS("worker", peer), CW_LS("service_name", name),
                CW_LI("workers", service->workers), CW_LEND);
        /* confirm at once, so the worker knows it is connected */
        if (s_send_worker(self, worker, CW_BUS_HEARTBEAT, NULL, NULL) != 0) {
            s_worker_delete(self, worker, "unreachable");
            return;
        }
        if (held_client && s_worker_adopt(self, worker, held_client, held_payload))
            return; /* busy with its job */
        s_worker_waiting(self, worker);
        return;
    }

    if (!worker && cmd == CW_BUS_REPLY && frames == 4) {
        /* a reply from a worker this broker does not know (it registered with a broker
           that has since restarted): deliver it; the worker's READY follows */
        zframe_t *client = zmsg_next(msg);
        zframe_t *payload = zmsg_next(msg);
        s_route_orphan_reply(self, peer, NULL, client, payload);
        return;
    }
    if (!worker) {
        if (cmd != CW_BUS_DISCONNECT) {
            cw_info("broker_unknown_worker", CW_LS("peer", peer), CW_LI("command", cmd), CW_LEND);
            s_send_disconnect_to(self, identity); /* it must register again */
        }
        return;
    }
    worker->expiry = zclock_mono() + (int64_t)CW_BUS_HEARTBEAT_MS * CW_BUS_LIVENESS;

    if (cmd == CW_BUS_HEARTBEAT) {
        if (frames != 2)
            MALFORMED_WARN(self, "broker_frame_malformed", CW_LS("peer", peer),
                           CW_LS("kind", "worker"), CW_LS("error", "HEARTBEAT has 2 frames"),
                           CW_LEND);
        return;
    }
    if (cmd == CW_BUS_DISCONNECT) {
        s_worker_delete(self, worker, "disconnected");
        return;
    }
    if (cmd != CW_BUS_REPLY || frames != 4) {
        MALFORMED_WARN(self, "broker_frame_malformed", CW_LS("peer", peer), CW_LS("kind", "worker"),
                       CW_LI("command", cmd), CW_LI("frames", frames), CW_LEND);
        return;
    }
    zframe_t *client = zmsg_next(msg);
    zframe_t *payload = zmsg_next(msg);
    request_t *req = worker->request;
    if (!req) {
        /* a job it held on a broker before this one (or shared with another worker): the
           client may still wait for it */
        s_route_orphan_reply(self, peer, worker->service->name, client, payload);
        if (worker->busy_untracked) {
            worker->busy_untracked = false;
            if (worker->service->busy > 0)
                worker->service->busy--;
        }
        if (!worker->waiting_handle)
            s_worker_waiting(self, worker);
        return;
    }
    char why[256] = "";
    cw_value_t *reply =
        cw_proto_decode(zframe_data(payload), zframe_size(payload), why, sizeof(why));
    const char *reply_job = reply ? cw_map_str(reply, "job_id", NULL) : NULL;
    if (!zframe_eq(client, req->client) || !reply_job || strcmp(reply_job, req->job_id) != 0) {
        /* Not the answer to what it holds: a broken worker. Treat it as dead. */
        cw_warn("broker_reply_invalid", CW_LS("worker", peer),
                CW_LS("service_name", worker->service->name), CW_LS("job_id", req->job_id),
                CW_LS("error", reply ? "reply does not match the request it holds" : why), CW_LEND);
        cw_value_destroy(&reply);
        s_send_disconnect_to(self, worker->identity);
        s_worker_delete(self, worker, "invalid reply");
        return;
    }
    cw_value_destroy(&reply);
    s_send_client(self, req->client, worker->service->name, zframe_data(payload),
                  zframe_size(payload), req->job_id);
    worker->request = NULL;
    if (worker->service->busy > 0)
        worker->service->busy--;
    s_request_destroy(self, &req);
    s_worker_waiting(self, worker);
}

static void s_on_router(cw_broker_t *self)
{
    bool truncated;
    zmsg_t *msg = cw_zsock_recv_bounded(self->router, BROKER_MAX_FRAMES, &truncated);
    if (!msg)
        return;
    zframe_t *identity = zmsg_pop(msg);
    char *peer = identity ? zframe_strhex(identity) : NULL;
    zframe_t *header = zmsg_first(msg);
    if (!peer || truncated || !header) {
        MALFORMED_WARN(self, "broker_frame_malformed", CW_LS("peer", peer),
                       CW_LS("error", truncated ? "too many frames" : "empty message"), CW_LEND);
    } else if (cw_zsock_frame_is(header, CW_BUS_CLIENT))
        s_on_client(self, identity, msg, peer);
    else if (cw_zsock_frame_is(header, CW_BUS_WORKER))
        s_on_worker(self, identity, msg, peer);
    else
        MALFORMED_WARN(self, "broker_frame_malformed", CW_LS("peer", peer),
                       CW_LS("error", "unknown protocol header"), CW_LI("frames", zmsg_size(msg)),
                       CW_LEND);
    free(peer);
    zframe_destroy(&identity);
    zmsg_destroy(&msg);
}

/* ------------------------------------------------------------------ timers */

static void s_heartbeat(cw_broker_t *self)
{
    int64_t now = zclock_mono();
    s_parked_expire(self, now);
    /* by id: deleting one worker may delete others (dispatch to an unreachable one) */
    zlistx_t *ids = zhashx_keys(self->workers);
    for (const char *id = (const char *)zlistx_first(ids); id;
         id = (const char *)zlistx_next(ids)) {
        worker_t *w = (worker_t *)zhashx_lookup(self->workers, id);
        if (!w)
            continue;
        if (now > w->expiry)
            s_worker_delete(self, w, "heartbeats stopped");
        else if (s_send_worker(self, w, CW_BUS_HEARTBEAT, NULL, NULL) != 0)
            s_worker_delete(self, w, "unreachable");
    }
    zlistx_destroy(&ids);

    /* requests nobody took within the time-to-live */
    for (service_t *s = (service_t *)zhashx_first(self->services); s;
         s = (service_t *)zhashx_next(self->services)) {
        zlistx_t *expired = NULL;
        for (request_t *req = (request_t *)zlistx_first(s->requests); req;
             req = (request_t *)zlistx_next(s->requests))
            if (now - req->queued_at > self->ttl_ms) {
                if (!expired)
                    expired = zlistx_new();
                zlistx_add_end(expired, req);
            }
        if (!expired)
            continue;
        for (request_t *req = (request_t *)zlistx_first(expired); req;
             req = (request_t *)zlistx_next(expired)) {
            void *handle = zlistx_find(s->requests, req);
            if (handle)
                zlistx_delete(s->requests, handle);
            char message[256];
            snprintf(message, sizeof(message), "no %s worker took job %s within %.1f s", s->name,
                     req->job_id, (double)self->ttl_ms / 1000.0);
            cw_warn("broker_job_expired", CW_LS("service_name", s->name),
                    CW_LS("job_id", req->job_id), CW_LEND);
            s_reply_error(self, req->client, s->name, req->job_id, CW_ERR_UNAVAILABLE, message,
                          true);
            request_t *doomed = req;
            s_request_destroy(self, &doomed);
        }
        zlistx_destroy(&expired);
    }
}

/* ------------------------------------------------------------------ events */

static void s_proxy(zsock_t *from, zsock_t *to)
{
    for (int n = 0; n < BROKER_BATCH; n++) {
        zmq_msg_t part;
        int more = 0;
        bool first = true;
        do {
            zmq_msg_init(&part);
            if (zmq_msg_recv(&part, zsock_resolve(from), first ? ZMQ_DONTWAIT : 0) == -1) {
                zmq_msg_close(&part);
                return;
            }
            first = false;
            more = zmq_msg_more(&part);
            if (!to || zmq_msg_send(&part, zsock_resolve(to), more ? ZMQ_SNDMORE : 0) == -1)
                zmq_msg_close(&part); /* dropped (high-water mark): observers only */
        } while (more);
    }
}

/* Publish one of the broker's own events straight on its XPUB (it owns the socket: no
   PUB connecting to its own, possibly wildcard, events_in address). */
static int s_publish_own(cw_broker_t *self, const char *event, const char *reason)
{
    if (!self->xpub)
        return -1;
    cw_value_t *fields = cw_value_new_map();
    cw_map_set_int(fields, "pid", (int64_t)getpid());
    if (strcmp(event, CW_EV_SERVICE_STOPPING) == 0)
        cw_map_set_str(fields, "reason", reason ? reason : "signal");
    else
        cw_map_set_str(fields, "version", CW_VERSION);
    zmsg_t *msg = cw_bus_event_new(CW_SERVICE_BROKER, event, &fields);
    return msg && cw_zsock_send(&msg, self->xpub) == 0 ? 0 : -1;
}

/* Subscriptions from XPUB go on to XSUB (so publishers learn them); a subscription that
   covers the broker's pending service_started releases it. On XPUB a subscription is one
   frame: 0x01 (subscribe) or 0x00 (unsubscribe) followed by the topic prefix. */
static void s_on_subscriptions(cw_broker_t *self)
{
    static const char started[] = CW_EVENT_TOPIC_PREFIX CW_EV_SERVICE_STARTED;
    bool wanted = false;
    for (int n = 0; n < BROKER_BATCH; n++) {
        zmq_msg_t part;
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, zsock_resolve(self->xpub), ZMQ_DONTWAIT) == -1) {
            zmq_msg_close(&part);
            break;
        }
        const unsigned char *data = (const unsigned char *)zmq_msg_data(&part);
        size_t size = zmq_msg_size(&part);
        if (self->started_pending && size >= 1 && data[0] == 1 && size - 1 <= strlen(started) &&
            memcmp(data + 1, started, size - 1) == 0)
            wanted = true;
        int more = zmq_msg_more(&part);
        if (!self->xsub ||
            zmq_msg_send(&part, zsock_resolve(self->xsub), more ? ZMQ_SNDMORE : 0) == -1)
            zmq_msg_close(&part);
    }
    /* the others that connect at about the same time (a restart: every subscriber
       reconnects) get it too */
    if (wanted && self->started_pending && !self->started_due)
        self->started_due = zclock_mono() + CW_BROKER_STARTED_GRACE_MS;
}

/* Publish service_started when its grace period is over. Returns the ms until then, or
   -1 when nothing is due. */
static int64_t s_announce_started(cw_broker_t *self)
{
    if (!self->started_pending || !self->started_due)
        return -1;
    int64_t left = self->started_due - zclock_mono();
    if (left > 0)
        return left;
    self->started_pending = false;
    self->started_due = 0;
    s_publish_own(self, CW_EV_SERVICE_STARTED, NULL);
    return -1;
}

void cw_broker_set_announce(cw_broker_t *self, bool announce)
{
    if (!self)
        return;
    self->announce = announce && self->xpub;
    self->started_pending = self->announce;
    self->started_due = 0;
}

void cw_broker_announce_stopping(cw_broker_t *self, const char *reason)
{
    if (!self || !self->announce)
        return;
    self->announce = false;
    self->started_pending = false;
    if (s_publish_own(self, CW_EV_SERVICE_STOPPING, reason) == 0)
        zclock_sleep(CW_BROKER_STOPPING_FLUSH_MS); /* let it leave before the sockets close */
}

/* ------------------------------------------------------------------ life cycle */

/* Bind one socket: size limit, linger, never block on one slow peer; a CURVE server in
   the broker's ZAP domain when `secret` is given. */
static zsock_t *s_bind(int type, const char *endpoint, const char *secret, const char *domain)
{
    char why[512] = "";
    if (cw_config_prepare_ipc(endpoint, why, sizeof(why)) != 0) {
        cw_error("broker_bind_failed", CW_LS("endpoint", endpoint), CW_LS("error", why), CW_LEND);
        return NULL;
    }
    zsock_t *sock = zsock_new(type);
    if (!sock)
        return NULL;
    cw_zsock_setup(sock);
    zsock_set_sndtimeo(sock, 0);
    if (type == ZMQ_ROUTER) {
        zsock_set_router_mandatory(sock, 1);
        zsock_set_router_handover(sock, 1); /* a client reconnecting keeps its routing id */
    }
    if (type == ZMQ_XPUB)
        zsock_set_xpub_verbose(sock, 0);
    if (secret) {
        zsock_set_zap_domain(sock, domain);
        zsock_set_curve_server(sock, 1);
        zsock_set_curve_secretkey(sock, secret);
    }
    if (zsock_bind(sock, "%s", endpoint) == -1) {
        cw_error("broker_bind_failed", CW_LS("endpoint", endpoint),
                 CW_LS("error", zmq_strerror(zmq_errno())), CW_LEND);
        zsock_destroy(&sock);
        return NULL;
    }
    return sock;
}

/* Check the CURVE settings and register the allow-list with the ZAP handler. */
static int s_curve_setup(cw_broker_t *self, const cw_broker_curve_t *curve)
{
    if (!zmq_has("curve")) {
        cw_error("broker_curve_invalid", CW_LS("error", "libzmq was built without CURVE"), CW_LEND);
        return -1;
    }
    if (!curve->server_secret || strlen(curve->server_secret) != 40) {
        cw_error("broker_curve_invalid",
                 CW_LS("error", "bus.curve.server_secret_key must be a 40-character Z85 key"),
                 CW_LEND);
        return -1;
    }
    char derived[41];
    uint8_t raw[32];
    if (zmq_curve_public(derived, curve->server_secret) != 0 ||
        !zmq_z85_decode(raw, curve->server_secret)) {
        cw_error("broker_curve_invalid",
                 CW_LS("error", "bus.curve.server_secret_key is not a valid Z85 key"), CW_LEND);
        return -1;
    }
    if (curve->server_public && *curve->server_public &&
        strcmp(derived, curve->server_public) != 0) {
        cw_error("broker_curve_invalid",
                 CW_LS("error", "bus.curve.server_secret_key does not belong to "
                                "bus.curve.server_public_key"),
                 CW_LEND);
        return -1;
    }
    size_t count = curve->allowed_count;
    uint8_t(*keys)[32] = count ? (uint8_t(*)[32])calloc(count, 32) : NULL;
    if (count && !keys)
        return -1;
    for (size_t i = 0; i < count; i++) {
        const char *key = curve->allowed_clients ? curve->allowed_clients[i] : NULL;
        if (!key || strlen(key) != 40 || !zmq_z85_decode(keys[i], key)) {
            cw_error("broker_curve_invalid", CW_LS("error", "an allowed client key is not Z85"),
                     CW_LI("index", (long long)i), CW_LEND);
            free(keys);
            return -1;
        }
    }
    static atomic_int s_domains = 0;
    snprintf(self->zap_domain, sizeof(self->zap_domain), "codeworm-%d-%d", (int)getpid(),
             atomic_fetch_add(&s_domains, 1));
    int rc = cw_zap_register(self->zap_domain, (const uint8_t(*)[32])keys, count);
    free(keys);
    if (rc != 0) {
        self->zap_domain[0] = '\0';
        return -1;
    }
    cw_info("broker_curve_enabled", CW_LS("server_public_key", derived),
            CW_LI("allowed_clients", (long long)count), CW_LB("any_curve_client", count == 0),
            CW_LEND);
    return 0;
}

cw_broker_t *cw_broker_new_curve(const char *broker_endpoint, const char *events_in,
                                 const char *events_out, const cw_broker_curve_t *curve)
{
    if (!broker_endpoint || !*broker_endpoint)
        return NULL;
    cw_broker_t *self = (cw_broker_t *)zmalloc(sizeof(cw_broker_t));
    if (!self)
        return NULL;
    self->endpoint = strdup(broker_endpoint);
    self->services = zhashx_new();
    zhashx_set_destructor(self->services, s_service_destroy);
    self->workers = zhashx_new();
    self->jobs = zhashx_new();
    self->parked = zhashx_new();
    zhashx_set_destructor(self->parked, s_parked_destroy);
    self->ttl_ms = CW_BROKER_QUEUE_TTL_MS;
    self->heartbeat_at = zclock_mono() + CW_BUS_HEARTBEAT_MS;
    if (curve && s_curve_setup(self, curve) != 0) {
        cw_broker_destroy(&self);
        return NULL;
    }
    const char *secret = curve ? curve->server_secret : NULL;
    self->router = s_bind(ZMQ_ROUTER, broker_endpoint, secret, self->zap_domain);
    bool ok = self->router != NULL;
    if (ok && events_in && *events_in)
        ok = (self->xsub = s_bind(ZMQ_XSUB, events_in, secret, self->zap_domain)) != NULL;
    if (ok && events_out && *events_out)
        ok = (self->xpub = s_bind(ZMQ_XPUB, events_out, secret, self->zap_domain)) != NULL;
    if (!ok) {
        cw_broker_destroy(&self);
        return NULL;
    }
    cw_info("broker_listening", CW_LS("broker", broker_endpoint),
            CW_LS("events_in", events_in ? events_in : ""),
            CW_LS("events_out", events_out ? events_out : ""), CW_LB("curve", curve != NULL),
            CW_LEND);
    return self;
}

cw_broker_t *cw_broker_new(const char *broker_endpoint, const char *events_in,
                           const char *events_out)
{
    return cw_broker_new_curve(broker_endpoint, events_in, events_out, NULL);
}

cw_broker_t *cw_broker_new_config(const cw_config_t *config)
{
    if (!config)
        return NULL;
    char why[1024] = "";
    if (cw_config_check_bus_exposure(config, why, sizeof(why)) != 0) {
        cw_error("broker_insecure_bind_refused", CW_LS("error", why), CW_LEND);
        return NULL;
    }
    if (config->bus.allow_insecure && !config->bus.curve.enabled &&
        (!cw_config_endpoint_is_private(config->bus.broker) ||
         !cw_config_endpoint_is_private(config->bus.events_in)))
        cw_warn("broker_insecure_bind", CW_LS("broker", config->bus.broker),
                CW_LS("events_in", config->bus.events_in),
                CW_LS("reason", "bus.allow_insecure: anyone who reaches these addresses can "
                                "send work and publish events"),
                CW_LEND);
    if (!config->bus.curve.enabled)
        return cw_broker_new(config->bus.broker, config->bus.events_in, config->bus.events_out);
    /* the allow-list: bus.curve.allowed_clients plus this installation's own client key */
    const char *own = config->bus.curve.client_public_key;
    bool add_own = own && *own;
    for (size_t i = 0; add_own && i < config->bus.curve.allowed_count; i++)
        if (config->bus.curve.allowed_clients[i] &&
            strcmp(config->bus.curve.allowed_clients[i], own) == 0)
            add_own = false;
    size_t count = config->bus.curve.allowed_count + (add_own ? 1 : 0);
    const char **allowed = count ? (const char **)calloc(count, sizeof(char *)) : NULL;
    if (count && !allowed)
        return NULL;
    for (size_t i = 0; i < config->bus.curve.allowed_count; i++)
        allowed[i] = config->bus.curve.allowed_clients[i];
    if (add_own)
        allowed[count - 1] = own;
    cw_broker_curve_t curve = {config->bus.curve.server_secret_key,
                               config->bus.curve.server_public_key, allowed, count};
    cw_broker_t *self = cw_broker_new_curve(config->bus.broker, config->bus.events_in,
                                            config->bus.events_out, &curve);
    free(allowed);
    return self;
}

void cw_broker_destroy(cw_broker_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cw_broker_t *self = *self_p;
    if (self->workers) {
        /* tell workers to look for a new broker now instead of after 3 heartbeats */
        if (self->router)
            for (worker_t *w = (worker_t *)zhashx_first(self->workers); w;
                 w = (worker_t *)zhashx_next(self->workers))
                s_send_disconnect_to(self, w->identity);
        for (worker_t *w = (worker_t *)zhashx_first(self->workers); w;
             w = (worker_t *)zhashx_next(self->workers)) {
            if (w->request)
                s_request_destroy(self, &w->request);
            zframe_destroy(&w->identity);
            free(w->id);
            free(w);
        }
        zhashx_destroy(&self->workers);
    }
    if (self->services) {
        for (service_t *s = (service_t *)zhashx_first(self->services); s;
             s = (service_t *)zhashx_next(self->services)) {
            request_t *req = (request_t *)zlistx_first(s->requests);
            while (req) {
                request_t *next = (request_t *)zlistx_next(s->requests);
                s_request_destroy(self, &req);
                req = next;
            }
        }
        zhashx_destroy(&self->services);
    }
    zhashx_destroy(&self->jobs);
    zhashx_destroy(&self->parked);
    /* unbind first so a new broker can bind the same endpoints at once */
    zsock_t **socks[] = {&self->router, &self->xsub, &self->xpub};
    for (size_t i = 0; i < sizeof(socks) / sizeof(socks[0]); i++) {
        if (!*socks[i])
            continue;
        char *endpoint = zsock_last_endpoint(*socks[i]);
        if (endpoint && *endpoint)
            zsock_unbind(*socks[i], "%s", endpoint);
        free(endpoint);
        zsock_destroy(socks[i]);
    }
    if (self->zap_domain[0])
        cw_zap_unregister(self->zap_domain);
    free(self->endpoint);
    free(self);
    *self_p = NULL;
}

void cw_broker_set_queue_ttl(cw_broker_t *self, int64_t ttl_ms)
{
    if (self && ttl_ms > 0)
        self->ttl_ms = ttl_ms;
}

size_t cw_broker_workers(cw_broker_t *self, const char *service)
{
    service_t *s = self && service ? (service_t *)zhashx_lookup(self->services, service) : NULL;
    return s ? s->workers : 0;
}

size_t cw_broker_queued(cw_broker_t *self, const char *service)
{
    service_t *s = self && service ? (service_t *)zhashx_lookup(self->services, service) : NULL;
    return s ? zlistx_size(s->requests) : 0;
}

int cw_broker_run_pipe(cw_broker_t *self, zsock_t *pipe)
{
    if (!self)
        return -1;
    zpoller_t *poller = zpoller_new(self->router, NULL);
    if (self->xsub)
        zpoller_add(poller, self->xsub);
    if (self->xpub)
        zpoller_add(poller, self->xpub);
    if (pipe) {
        zpoller_add(poller, pipe);
        zpoller_set_nonstop(poller, true); /* only $TERM stops an actor */
    }
    while (true) {
        if (!pipe && zsys_interrupted)
            break;
        int64_t timeout = self->heartbeat_at - zclock_mono();
        if (timeout < 0)
            timeout = 0;
        if (timeout > CW_BUS_HEARTBEAT_MS)
            timeout = CW_BUS_HEARTBEAT_MS;
        int64_t announce_in = s_announce_started(self);
        if (announce_in >= 0 && announce_in < timeout)
            timeout = announce_in;
        void *which = zpoller_wait(poller, (int)timeout);
        if (which == pipe && pipe) {
            char *cmd = zstr_recv(pipe);
            bool term = !cmd || streq(cmd, "$TERM");
            free(cmd);
            if (term)
                break;
        } else if (which == self->router) {
            for (int n = 0; n < BROKER_BATCH; n++) {
                if (!(zsock_events(self->router) & ZMQ_POLLIN))
                    break;
                s_on_router(self);
            }
        } else if (which && which == self->xsub)
            s_proxy(self->xsub, self->xpub ? self->xpub : NULL);
        else if (which && which == self->xpub)
            s_on_subscriptions(self);
        else if (!which && zpoller_terminated(poller) && !pipe)
            break;
        if (zclock_mono() >= self->heartbeat_at) {
            s_heartbeat(self);
            self->heartbeat_at = zclock_mono() + CW_BUS_HEARTBEAT_MS;
        }
    }
    zpoller_destroy(&poller);
    return 0;
}

int cw_broker_run(cw_broker_t *self)
{
    return cw_broker_run_pipe(self, NULL);
}

static void s_actor(zsock_t *pipe, cw_broker_endpoints_t *eps, const cw_broker_curve_t *curve)
{
    cw_broker_t *self =
        eps ? cw_broker_new_curve(eps->broker, eps->events_in, eps->events_out, curve) : NULL;
    if (eps)
        eps->rc = self ? 0 : -1;
    zsock_signal(pipe, 0);
    if (!self)
        return;
    cw_broker_run_pipe(self, pipe);
    cw_broker_destroy(&self);
}

void cw_broker_actor(zsock_t *pipe, void *args)
{
    s_actor(pipe, (cw_broker_endpoints_t *)args, NULL);
}

void cw_broker_curve_actor(zsock_t *pipe, void *args)
{
    cw_broker_curve_args_t *a = (cw_broker_curve_args_t *)args;
    s_actor(pipe, a ? &a->endpoints : NULL, a ? &a->curve : NULL);
}

int cw_broker_print_keypair(FILE *out)
{
    char public_key[41], secret_key[41];
    if (!out || !zmq_has("curve") || zmq_curve_keypair(public_key, secret_key) != 0)
        return -1;
    fprintf(out,
            "# a CURVE key pair (Z85); keep the secret key out of version control\n"
            "public_key: \"%s\"\n"
            "secret_key: \"%s\"\n",
            public_key, secret_key);
    memset(secret_key, 0, sizeof(secret_key));
    return 0;
}
