/*  cw_bus — client, worker, publisher and subscriber sides of the CodeWorm bus.
    See cw_bus.h for the wire protocol. */
#include "cw_bus.h"

#include <czmq.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cw_backoff.h"
#include "cw_log.h"
#include "cw_proto.h"
#include "cw_zsock.h"

#define CW_BUS_MAX_FRAMES 6      /* more frames than any command has: malformed */
#define CW_BUS_POLL_SLICE_MS 200 /* how often blocking waits look at zsys_interrupted */
#define CW_BUS_NAME_MAX CW_ZSOCK_NAME_MAX

/* ------------------------------------------------------------------ helpers */

void cw_bus_new_job_id(char out[33])
{
    unsigned char raw[16];
    size_t got = 0;
    while (got < sizeof(raw)) {
        ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (got < sizeof(raw)) { /* no kernel entropy: fall back to time + random() */
        struct timeval tv;
        gettimeofday(&tv, NULL);
        srandom((unsigned)(tv.tv_sec ^ tv.tv_usec ^ (long)getpid()));
        for (size_t i = got; i < sizeof(raw); i++)
            raw[i] = (unsigned char)(random() & 0xff);
    }
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof(raw); i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 0x0f];
    }
    out[32] = '\0';
}

/* ------------------------------------------------------------------ CURVE */

/* Process-wide: every socket created after cw_bus_set_curve is a CURVE client. The worker
   actor reads it from its own thread when it reconnects, hence the mutex. */
static pthread_mutex_t s_curve_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct {
    bool enabled;
    char server_public[41];
    char client_public[41];
    char client_secret[41]; /* secret: never logged */
} s_curve;

static bool s_z85_key(const char *text, uint8_t out[32])
{
    return text && strlen(text) == 40 && zmq_z85_decode(out, text) != NULL;
}

static void s_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void s_seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static int s_set_curve(const char *server_public, const char *client_public,
                       const char *client_secret, char *err, size_t errlen)
{
    if (!server_public || !*server_public) {
        pthread_mutex_lock(&s_curve_mutex);
        memset(&s_curve, 0, sizeof(s_curve));
        pthread_mutex_unlock(&s_curve_mutex);
        return 0;
    }
    uint8_t key[32], secret[32], derived[32];
    if (!s_z85_key(server_public, key)) {
        s_seterr(err, errlen, "bus.curve.server_public_key is not a 40-character Z85 key");
        return -1;
    }
    if (!zmq_has("curve")) {
        s_seterr(err, errlen, "this libzmq was built without CURVE support");
        return -1;
    }
    bool have_public = client_public && *client_public;
    bool have_secret = client_secret && *client_secret;
    char pub_z85[41], sec_z85[41];
    if (!have_public && !have_secret) {
        /* no client key pair configured: a fresh one for this process (accepted only by
           a broker whose allow-list is empty) */
        if (zmq_curve_keypair(pub_z85, sec_z85) != 0) {
            s_seterr(err, errlen, "cannot make a CURVE key pair: %s", zmq_strerror(zmq_errno()));
            return -1;
        }
    } else if (!have_public || !have_secret) {
        s_seterr(err, errlen,
                 "bus.curve.client_public_key and bus.curve.client_secret_key go together");
        return -1;
    } else {
        if (!s_z85_key(client_public, key) || !s_z85_key(client_secret, secret)) {
            s_seterr(err, errlen, "bus.curve client keys must be 40-character Z85 keys");
            return -1;
        }
        char derived_z85[41];
        if (zmq_curve_public(derived_z85, client_secret) != 0 ||
            !zmq_z85_decode(derived, derived_z85) || memcmp(derived, key, 32) != 0) {
            s_seterr(err, errlen,
                     "bus.curve.client_secret_key does not belong to bus.curve.client_public_key");
            return -1;
        }
        snprintf(pub_z85, sizeof(pub_z85), "%s", client_public);
        snprintf(sec_z85, sizeof(sec_z85), "%s", client_secret);
    }
    pthread_mutex_lock(&s_curve_mutex);
    s_curve.enabled = true;
    snprintf(s_curve.server_public, sizeof(s_curve.server_public), "%s", server_public);
    snprintf(s_curve.client_public, sizeof(s_curve.client_public), "%s", pub_z85);
    snprintf(s_curve.client_secret, sizeof(s_curve.client_secret), "%s", sec_z85);
    pthread_mutex_unlock(&s_curve_mutex);
    memset(sec_z85, 0, sizeof(sec_z85));
    memset(secret, 0, sizeof(secret));
    cw_debug("bus_curve_enabled", CW_LS("server_public_key", server_public),
             CW_LS("client_public_key", pub_z85), CW_LB("ephemeral_client_key", !have_public),
             CW_LEND);
    return 0;
}

int cw_bus_set_curve(const char *server_public, const char *client_public,
                     const char *client_secret)
{
    char err[256] = "";
    int rc = s_set_curve(server_public, client_public, client_secret, err, sizeof(err));
    if (rc != 0)
        cw_error("bus_curve_invalid", CW_LS("error", err), CW_LEND);
    return rc;
}

int cw_bus_curve_from_config(const cw_config_t *config, char *err, size_t errlen)
{
    if (!config || !config->bus.curve.enabled)
        return 0;
    return s_set_curve(config->bus.curve.server_public_key, config->bus.curve.client_public_key,
                       config->bus.curve.client_secret_key, err, errlen);
}

bool cw_bus_curve_enabled(void)
{
    pthread_mutex_lock(&s_curve_mutex);
    bool on = s_curve.enabled;
    pthread_mutex_unlock(&s_curve_mutex);
    return on;
}

/* Size limit and linger, plus the CURVE client keys when CURVE is on. */
static void s_socket_setup(zsock_t *sock)
{
    cw_zsock_setup(sock);
    pthread_mutex_lock(&s_curve_mutex);
    if (s_curve.enabled) {
        zsock_set_curve_serverkey(sock, s_curve.server_public);
        zsock_set_curve_publickey(sock, s_curve.client_public);
        zsock_set_curve_secretkey(sock, s_curve.client_secret);
    }
    pthread_mutex_unlock(&s_curve_mutex);
}

static bool s_valid_name(const char *name)
{
    return name && cw_zsock_valid_name(name, strlen(name));
}

/* Wait until a socket of `poller` is readable or `deadline` (zclock_mono) passes, in
   slices so that zsys_interrupted is seen. The readable socket, or NULL on timeout or
   interrupt (then *interrupted is set, if given). */
static void *s_poll_until(zpoller_t *poller, int64_t deadline, bool *interrupted)
{
    while (true) {
        if (zsys_interrupted) {
            if (interrupted)
                *interrupted = true;
            return NULL;
        }
        int64_t left = deadline - zclock_mono();
        if (left <= 0)
            return NULL;
        int slice = left > CW_BUS_POLL_SLICE_MS ? CW_BUS_POLL_SLICE_MS : (int)left;
        void *which = zpoller_wait(poller, slice);
        if (which)
            return which;
        if (zpoller_terminated(poller)) {
            if (interrupted)
                *interrupted = true;
            return NULL;
        }
    }
}

/* ------------------------------------------------------------------ connection monitor */

/*  A socket's connection events (libzmq socket monitor) on an inproc PAIR: the worker
    registers as soon as a connection to a broker is up (also after libzmq reconnected it
    to a restarted broker on its own), and a client re-sends the request it waits for when
    its connection comes back. */
#define CW_BUS_MONITOR_EVENTS (ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED)

static zsock_t *s_monitor_new(zsock_t *sock)
{
    static atomic_uint_fast64_t s_monitors = 0;
    char endpoint[96];
    snprintf(endpoint, sizeof(endpoint), "inproc://cw-bus-monitor-%d-%llu", (int)getpid(),
             (unsigned long long)atomic_fetch_add(&s_monitors, 1));
    if (zmq_socket_monitor(zsock_resolve(sock), endpoint, CW_BUS_MONITOR_EVENTS) != 0)
        return NULL;
    zsock_t *monitor = zsock_new(ZMQ_PAIR);
    if (monitor && zsock_connect(monitor, "%s", endpoint) != 0)
        zsock_destroy(&monitor);
    if (!monitor)
        zmq_socket_monitor(zsock_resolve(sock), NULL, 0);
    return monitor;
}

static void s_monitor_destroy(zsock_t *sock, zsock_t **monitor_p)
{
    if (!*monitor_p)
        return;
    if (sock)
        zmq_socket_monitor(zsock_resolve(sock), NULL, 0);
    zsock_set_linger(*monitor_p, 0);
    zsock_destroy(monitor_p);
}

/* The next waiting event of a monitor (ZMQ_EVENT_*), 0 when none is waiting. */
static int s_monitor_event(zsock_t *monitor)
{
    if (!monitor || !(zsock_events(monitor) & ZMQ_POLLIN))
        return 0;
    zmq_msg_t part;
    zmq_msg_init(&part);
    int event = 0;
    bool first = true;
    int more;
    do { /* [uint16 event, uint32 value] [endpoint] */
        if (zmq_msg_recv(&part, zsock_resolve(monitor), ZMQ_DONTWAIT) == -1)
            break;
        if (first && zmq_msg_size(&part) >= 2) {
            uint16_t id;
            memcpy(&id, zmq_msg_data(&part), sizeof(id));
            event = id;
        }
        first = false;
        more = zmq_msg_more(&part);
    } while (more);
    zmq_msg_close(&part);
    return event;
}

/* ------------------------------------------------------------------ client */

struct _cw_client_t {
    zsock_t *sock;
    zsock_t *monitor; /* connection events of sock (NULL if the monitor failed) */
    int links;        /* handshakes with a broker so far */
    bool link_up;
    char *endpoint;
    char identity[40];
};

#define CW_BUS_MAX_RESENDS 8 /* re-sends after reconnects within one request */

/* Read the monitor's waiting events. Returns true when a connection came up again after
   one had been up before (a broker restart, a network blip): a request sent before may
   be lost with the old broker. */
static bool s_client_relinked(cw_client_t *self)
{
    bool relinked = false;
    int event;
    while ((event = s_monitor_event(self->monitor)) != 0) {
        if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
            if (self->links++ > 0)
                relinked = true;
            self->link_up = true;
        } else if (event == ZMQ_EVENT_DISCONNECTED)
            self->link_up = false;
    }
    return relinked;
}

cw_client_t *cw_client_new(const char *broker_endpoint)
{
    if (!broker_endpoint || !*broker_endpoint)
        return NULL;
    cw_client_t *self = (cw_client_t *)zmalloc(sizeof(cw_client_t));
    if (!self)
        return NULL;
    self->endpoint = strdup(broker_endpoint);
    self->sock = zsock_new(ZMQ_DEALER);
    if (!self->endpoint || !self->sock) {
        cw_client_destroy(&self);
        return NULL;
    }
    s_socket_setup(self->sock);
    /* A fixed routing id lets the broker recognise a re-sent job after a reconnect;
       IMMEDIATE keeps requests from queueing for a broker that is not there. */
    char job[33];
    cw_bus_new_job_id(job);
    snprintf(self->identity, sizeof(self->identity), "cl-%s", job);
    zmq_setsockopt(zsock_resolve(self->sock), ZMQ_ROUTING_ID, self->identity,
                   strlen(self->identity));
    zsock_set_immediate(self->sock, 1);
    self->monitor = s_monitor_new(self->sock);
    if (zsock_connect(self->sock, "%s", broker_endpoint) != 0) {
        cw_error("bus_connect_failed", CW_LS("endpoint", broker_endpoint),
                 CW_LS("error", zmq_strerror(zmq_errno())), CW_LEND);
        cw_client_destroy(&self);
        return NULL;
    }
    return self;
}

void cw_client_destroy(cw_client_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cw_client_t *self = *self_p;
    s_monitor_destroy(self->sock, &self->monitor);
    zsock_destroy(&self->sock);
    free(self->endpoint);
    free(self);
    *self_p = NULL;
}

/* Wait for the reply carrying job_id until deadline. Returns the reply, or NULL on timeout
   (*interrupted set when zsys_interrupted stopped the wait), or NULL with *relinked set
   when the connection to the broker came up again meanwhile (the request may have been
   lost with the old broker: the caller sends it again at once). */
static cw_value_t *s_client_wait(cw_client_t *self, const char *job_id, int64_t deadline,
                                 bool *interrupted, bool *relinked)
{
    zpoller_t *poller = zpoller_new(self->sock, NULL);
    if (!poller)
        return NULL;
    if (self->monitor)
        zpoller_add(poller, self->monitor);
    cw_value_t *reply = NULL;
    while (!reply) {
        void *which = s_poll_until(poller, deadline, interrupted);
        if (!which)
            break;
        if (which == self->monitor) {
            if (s_client_relinked(self)) {
                *relinked = true;
                break;
            }
            continue;
        }
        bool truncated;
        zmsg_t *msg = cw_zsock_recv_bounded(self->sock, CW_BUS_MAX_FRAMES, &truncated);
        if (!msg)
            continue;
        if (truncated || zmsg_size(msg) != 3 ||
            !cw_zsock_frame_is(zmsg_first(msg), CW_BUS_CLIENT)) {
            cw_warn("bus_reply_malformed", CW_LS("endpoint", self->endpoint),
                    CW_LI("frames", zmsg_size(msg)), CW_LEND);
            zmsg_destroy(&msg);
            continue;
        }
        zmsg_next(msg); /* service */
        zframe_t *payload = zmsg_next(msg);
        char why[256] = "";
        cw_value_t *value =
            cw_proto_decode(zframe_data(payload), zframe_size(payload), why, sizeof(why));
        zmsg_destroy(&msg);
        if (!value) {
            cw_warn("bus_reply_invalid", CW_LS("endpoint", self->endpoint), CW_LS("error", why),
                    CW_LEND);
            continue;
        }
        const char *got = cw_map_str(value, "job_id", NULL);
        if (!got || strcmp(got, job_id) != 0) {
            cw_debug("bus_reply_stale", CW_LS("job_id", got), CW_LS("want", job_id), CW_LEND);
            cw_value_destroy(&value);
            continue;
        }
        reply = value;
    }
    zpoller_destroy(&poller);
    return reply;
}

cw_value_t *cw_client_request(cw_client_t *self, const char *service, cw_value_t **request,
                              int timeout_ms, int retries, char *err, size_t errlen)
{
    s_seterr(err, errlen, "%s", "");
    cw_value_t *req = request ? *request : NULL;
    if (request)
        *request = NULL;
    if (!self || !req) {
        s_seterr(err, errlen, "no client or no request");
        cw_value_destroy(&req);
        return NULL;
    }
    if (!s_valid_name(service)) {
        s_seterr(err, errlen, "invalid service name");
        cw_value_destroy(&req);
        return NULL;
    }
    const char *job = cw_map_str(req, "job_id", NULL);
    if (!job || !*job || strlen(job) > 64) {
        s_seterr(err, errlen, "request has no valid job_id");
        cw_value_destroy(&req);
        return NULL;
    }
    char job_id[65];
    snprintf(job_id, sizeof(job_id), "%s", job);
    char *data = NULL;
    size_t size = 0;
    char why[256] = "";
    if (cw_proto_encode(req, &data, &size, why, sizeof(why)) != 0) {
        s_seterr(err, errlen, "invalid request: %s", why);
        cw_value_destroy(&req);
        return NULL;
    }
    cw_value_destroy(&req);
    if (timeout_ms < 1)
        timeout_ms = 1;
    if (retries < 0)
        retries = 0;

    cw_value_t *reply = NULL;
    bool interrupted = false;
    int attempts = 0, resends = 0;
    for (int attempt = 0; attempt <= retries && !reply && !interrupted; attempt++) {
        if (zsys_interrupted) {
            interrupted = true;
            break;
        }
        attempts++;
        if (attempt > 0)
            cw_warn("bus_request_retry", CW_LS("service_name", service), CW_LS("job_id", job_id),
                    CW_LI("attempt", attempt + 1), CW_LI("of", retries + 1), CW_LEND);
        int64_t deadline = zclock_mono() + timeout_ms;
        s_client_relinked(self); /* connection events from before this send are old news */
        bool relinked;
    send_again:
        relinked = false;
        zmsg_t *msg = zmsg_new();
        zmsg_addstr(msg, CW_BUS_CLIENT);
        zmsg_addstr(msg, service);
        zmsg_addmem(msg, data, size);
        /* Blocks at most timeout_ms while the broker is unreachable (IMMEDIATE). */
        int64_t left_ms = deadline - zclock_mono();
        zsock_set_sndtimeo(self->sock, left_ms > 1 ? (int)left_ms : 1);
        if (cw_zsock_send(&msg, self->sock) != 0) {
            if (errno == EINTR)
                interrupted = true;
            cw_debug("bus_request_not_sent", CW_LS("endpoint", self->endpoint),
                     CW_LS("error", zmq_strerror(errno)), CW_LEND);
            /* wait out the rest of the attempt so retries keep their spacing */
            while (!zsys_interrupted && zclock_mono() < deadline) {
                int64_t left = deadline - zclock_mono();
                zclock_sleep(left > CW_BUS_POLL_SLICE_MS ? CW_BUS_POLL_SLICE_MS : (int)left);
            }
            if (zsys_interrupted)
                interrupted = true;
            continue;
        }
        reply = s_client_wait(self, job_id, deadline, &interrupted, &relinked);
        /* the broker came back (restarted, or the network did): the request may have died
           with the old one, so send it again now rather than at the end of the attempt; the
           broker ignores the repeat if it still holds the job, the worker deduplicates */
        if (!reply && relinked && !interrupted && resends < CW_BUS_MAX_RESENDS &&
            zclock_mono() < deadline) {
            resends++;
            cw_info("bus_request_resent", CW_LS("service_name", service), CW_LS("job_id", job_id),
                    CW_LS("reason", "broker connection came back"), CW_LI("resend", resends),
                    CW_LEND);
            goto send_again;
        }
    }
    free(data);
    if (reply)
        return reply;
    if (interrupted)
        s_seterr(err, errlen, "interrupted while waiting for %s (job %s)", service, job_id);
    else
        s_seterr(err, errlen, "no reply from broker %s for %s within %d ms after %d attempts",
                 self->endpoint, service, timeout_ms, attempts);
    return NULL;
}

cw_value_t *cw_client_broker_status(cw_client_t *self, int timeout_ms)
{
    if (!self)
        return NULL;
    cw_value_t *req = cw_proto_new(CW_MSG_STATUS_REQUEST);
    if (!req)
        return NULL;
    char job[33];
    cw_bus_new_job_id(job);
    cw_map_set_str(req, "job_id", job);
    char err[256];
    cw_value_t *reply =
        cw_client_request(self, CW_SERVICE_BROKER, &req, timeout_ms, 0, err, sizeof(err));
    if (!reply) {
        cw_debug("bus_status_failed", CW_LS("error", err), CW_LEND);
        return NULL;
    }
    const char *type = cw_proto_type(reply);
    if (!type || strcmp(type, CW_MSG_STATUS_REPLY) != 0) {
        cw_warn("bus_status_unexpected", CW_LS("type", type),
                CW_LS("message", cw_map_str(reply, "message", "")), CW_LEND);
        cw_value_destroy(&reply);
        return NULL;
    }
    return reply;
}

/* ------------------------------------------------------------------ worker */

/*  Pipe protocol between the caller's thread and the worker actor:
      actor -> caller: ["REQUEST", generation, client_id, payload]   (payload validated)
      caller -> actor: ["REPLY", generation, client_id, payload]

    Broker restarts (issue 10). The actor keeps one routing id for its whole life, so a
    broker that is still the same recognises it after a reconnect. It keeps the job the
    caller works on and the last reply it produced:
      - whenever a connection to a broker comes up (the monitor's handshake event: the
        first connect, libzmq's own reconnect to a restarted broker, or a new socket after
        the broker's heartbeats stopped), it first sends the last reply again, unless the
        broker has handed out a request since (which proves it had the reply), then READY
        with the job it still works on: ["CWW1", READY, service, client_id, payload];
      - a reply the caller finishes while no broker is there waits for the next connection.
    A broker routes a reply from a worker that does not hold that job (a restarted broker)
    to the client named in the reply, and adopts the job of a READY as held by that worker,
    so the client that waits gets its reply and the job is not run again. The socket uses
    ZMQ_IMMEDIATE so nothing stale (old heartbeats) is queued for a broker that is gone. */

typedef struct {
    char *endpoint;
    char *service;
    atomic_bool connected;
} worker_shared_t;

typedef struct {
    worker_shared_t *shared;
    zsock_t *pipe;
    zsock_t *sock;
    zsock_t *monitor;
    char identity[40];   /* routing id, the same for every socket of this actor */
    uint64_t generation; /* sockets made so far */
    bool link_up;        /* a handshake succeeded on this socket and it has not dropped */
    int64_t last_heard;
    int64_t heartbeat_at;
    cw_backoff_t backoff;
    bool terminated;
    zframe_t *held_client, *held_payload;   /* the request the caller works on */
    zframe_t *reply_client, *reply_payload; /* the last reply, until the next request */
} worker_actor_t;

static void s_actor_send_frames(worker_actor_t *self, int command, zframe_t *a, zframe_t *b)
{
    if (!self->sock)
        return;
    zmsg_t *msg = zmsg_new();
    zmsg_addstr(msg, CW_BUS_WORKER);
    unsigned char cmd = (unsigned char)command;
    zmsg_addmem(msg, &cmd, 1);
    if (command == CW_BUS_READY)
        zmsg_addstr(msg, self->shared->service);
    if (a && b) {
        zmsg_addmem(msg, zframe_data(a), zframe_size(a));
        zmsg_addmem(msg, zframe_data(b), zframe_size(b));
    }
    cw_zsock_send(&msg, self->sock);
}

static void s_actor_send_cmd(worker_actor_t *self, int command)
{
    s_actor_send_frames(self, command, NULL, NULL);
}

static void s_actor_close(worker_actor_t *self)
{
    s_monitor_destroy(self->sock, &self->monitor);
    zsock_destroy(&self->sock);
    self->link_up = false;
}

static void s_actor_register(worker_actor_t *self);

static void s_actor_connect(worker_actor_t *self)
{
    s_actor_close(self);
    self->sock = zsock_new(ZMQ_DEALER);
    if (!self->sock) {
        cw_error("worker_socket_failed", CW_LS("service_name", self->shared->service), CW_LEND);
        return;
    }
    s_socket_setup(self->sock);
    /* Never block the actor on a full or missing connection, never queue for a broker
       that is not there: drop instead (what matters is re-sent on the next connection). */
    zsock_set_sndtimeo(self->sock, 0);
    zmq_setsockopt(zsock_resolve(self->sock), ZMQ_ROUTING_ID, self->identity,
                   strlen(self->identity));
    self->monitor = s_monitor_new(self->sock);
    if (self->monitor)
        zsock_set_immediate(self->sock, 1);
    else /* no connection events: register at once, queued until the connection is up */
        cw_warn("worker_monitor_failed", CW_LS("service_name", self->shared->service),
                CW_LS("error", zmq_strerror(zmq_errno())), CW_LEND);
    if (zsock_connect(self->sock, "%s", self->shared->endpoint) != 0)
        cw_error("worker_connect_failed", CW_LS("endpoint", self->shared->endpoint),
                 CW_LS("error", zmq_strerror(zmq_errno())), CW_LEND);
    if (!self->monitor)
        s_actor_register(self);
    self->generation++;
    int64_t now = zclock_mono();
    self->last_heard = now;
    self->heartbeat_at = now + CW_BUS_HEARTBEAT_MS;
}

/* A connection to a broker is up: the last reply again (if the broker may not have it),
   then READY with the job still in the caller's hands. */
static void s_actor_register(worker_actor_t *self)
{
    self->link_up = true;
    if (self->reply_client && self->reply_payload) {
        cw_info("worker_reply_resent", CW_LS("service_name", self->shared->service), CW_LEND);
        s_actor_send_frames(self, CW_BUS_REPLY, self->reply_client, self->reply_payload);
    }
    s_actor_send_frames(self, CW_BUS_READY, self->held_client, self->held_payload);
    int64_t now = zclock_mono();
    self->last_heard = now;
    self->heartbeat_at = now + CW_BUS_HEARTBEAT_MS;
}

static void s_actor_on_monitor(worker_actor_t *self)
{
    int event;
    while ((event = s_monitor_event(self->monitor)) != 0) {
        if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
            s_actor_register(self);
        else if (event == ZMQ_EVENT_DISCONNECTED) {
            self->link_up = false;
            atomic_store(&self->shared->connected, false);
        }
    }
}

static void s_actor_on_pipe(worker_actor_t *self);

/* Wait delay_ms, still answering the pipe ($TERM; a reply meanwhile is kept). */
static void s_actor_pause(worker_actor_t *self, int64_t delay_ms)
{
    int64_t until = zclock_mono() + delay_ms;
    while (!self->terminated) {
        int64_t left = until - zclock_mono();
        if (left <= 0)
            break;
        zmq_pollitem_t item = {zsock_resolve(self->pipe), 0, ZMQ_POLLIN, 0};
        int rc = zmq_poll(&item, 1, (long)left);
        if (rc == -1 && errno == ETERM) {
            self->terminated = true;
            break;
        }
        if (rc > 0 && (item.revents & ZMQ_POLLIN))
            s_actor_on_pipe(self);
    }
}

static void s_actor_reconnect(worker_actor_t *self, const char *reason)
{
    atomic_store(&self->shared->connected, false);
    int64_t delay = cw_backoff_fail(&self->backoff);
    cw_warn("worker_reconnect", CW_LS("service_name", self->shared->service),
            CW_LS("endpoint", self->shared->endpoint), CW_LS("reason", reason),
            CW_LI("attempt", self->backoff.failures), CW_LI("delay_ms", delay),
            CW_LB("holds_job", self->held_client != NULL),
            CW_LB("reply_kept", self->reply_client != NULL), CW_LEND);
    if (self->sock)
        zsock_set_linger(self->sock, 0);
    s_actor_close(self);
    s_actor_pause(self, delay);
    if (!self->terminated)
        s_actor_connect(self);
}

static void s_actor_reply_bad_request(worker_actor_t *self, zframe_t *client, zframe_t *payload,
                                      const char *why)
{
    char job_id[65];
    cw_zsock_salvage_job_id(zframe_data(payload), zframe_size(payload), "unknown", job_id);
    cw_warn("worker_bad_request", CW_LS("service_name", self->shared->service),
            CW_LS("job_id", job_id), CW_LS("error", why), CW_LEND);
    char message[512];
    snprintf(message, sizeof(message), "malformed request: %s", why);
    cw_value_t *err = cw_proto_new_error(job_id, CW_ERR_BAD_REQUEST, message, false);
    char *data = NULL;
    size_t size = 0;
    if (err && cw_proto_encode(err, &data, &size, NULL, 0) == 0) {
        zmsg_t *msg = zmsg_new();
        zmsg_addstr(msg, CW_BUS_WORKER);
        unsigned char cmd = CW_BUS_REPLY;
        zmsg_addmem(msg, &cmd, 1);
        zmsg_addmem(msg, zframe_data(client), zframe_size(client));
        zmsg_addmem(msg, data, size);
        cw_zsock_send(&msg, self->sock);
    }
    free(data);
    cw_value_destroy(&err);
}

static void s_actor_on_broker(worker_actor_t *self)
{
    bool truncated;
    zmsg_t *msg = cw_zsock_recv_bounded(self->sock, CW_BUS_MAX_FRAMES, &truncated);
    if (!msg)
        return;
    zframe_t *header = zmsg_first(msg);
    zframe_t *command = zmsg_next(msg);
    if (truncated || !cw_zsock_frame_is(header, CW_BUS_WORKER) || !command ||
        zframe_size(command) != 1) {
        cw_warn_limited("worker_frame_malformed", CW_LS("service_name", self->shared->service),
                        CW_LI("frames", zmsg_size(msg)), CW_LEND);
        zmsg_destroy(&msg);
        return;
    }
    int cmd = zframe_data(command)[0];
    if (cmd == CW_BUS_DISCONNECT) {
        zmsg_destroy(&msg);
        s_actor_reconnect(self, "broker sent disconnect");
        return;
    }
    self->last_heard = zclock_mono();
    if (!atomic_load(&self->shared->connected)) {
        atomic_store(&self->shared->connected, true);
        cw_info("worker_connected", CW_LS("service_name", self->shared->service),
                CW_LS("endpoint", self->shared->endpoint), CW_LEND);
    }
    cw_backoff_reset(&self->backoff);
    if (cmd == CW_BUS_HEARTBEAT) {
        zmsg_destroy(&msg);
        return;
    }
    if (cmd != CW_BUS_REQUEST || zmsg_size(msg) != 4) {
        cw_warn_limited("worker_frame_malformed", CW_LS("service_name", self->shared->service),
                        CW_LI("command", cmd), CW_LI("frames", zmsg_size(msg)), CW_LEND);
        zmsg_destroy(&msg);
        return;
    }
    zframe_t *client = zmsg_next(msg);
    zframe_t *payload = zmsg_next(msg);
    /* a new request: the broker has handled the last reply, no need to keep it */
    zframe_destroy(&self->reply_client);
    zframe_destroy(&self->reply_payload);
    char why[256] = "";
    cw_value_t *value =
        cw_proto_decode(zframe_data(payload), zframe_size(payload), why, sizeof(why));
    if (!value) {
        s_actor_reply_bad_request(self, client, payload, why);
        zmsg_destroy(&msg);
        return;
    }
    cw_value_destroy(&value);
    zframe_destroy(&self->held_client);
    zframe_destroy(&self->held_payload);
    self->held_client = zframe_dup(client);
    self->held_payload = zframe_dup(payload);
    zmsg_t *out = zmsg_new();
    zmsg_addstr(out, "REQUEST");
    zmsg_addstrf(out, "%llu", (unsigned long long)self->generation);
    zmsg_addmem(out, zframe_data(client), zframe_size(client));
    zmsg_addmem(out, zframe_data(payload), zframe_size(payload));
    zmsg_destroy(&msg);
    cw_zsock_send(&out, self->pipe);
}

static void s_actor_on_pipe(worker_actor_t *self)
{
    zmsg_t *msg = zmsg_recv(self->pipe);
    if (!msg) {
        self->terminated = true;
        return;
    }
    char *cmd = zmsg_popstr(msg);
    if (cmd && streq(cmd, "$TERM"))
        self->terminated = true;
    else if (cmd && streq(cmd, "REPLY") && zmsg_size(msg) == 3) {
        free(zmsg_popstr(msg)); /* generation: a reply goes out whatever the connection */
        zframe_t *client = zmsg_pop(msg);
        zframe_t *payload = zmsg_pop(msg);
        /* the job is done; its reply is kept until the broker hands out another request */
        zframe_destroy(&self->held_client);
        zframe_destroy(&self->held_payload);
        zframe_destroy(&self->reply_client);
        zframe_destroy(&self->reply_payload);
        self->reply_client = client;
        self->reply_payload = payload;
        if (self->sock && self->link_up)
            s_actor_send_frames(self, CW_BUS_REPLY, client, payload);
        else
            cw_info("worker_reply_kept", CW_LS("service_name", self->shared->service),
                    CW_LS("reason", "no broker connection: sent when one is up"), CW_LEND);
    }
    free(cmd);
    zmsg_destroy(&msg);
}

static void s_worker_actor(zsock_t *pipe, void *args)
{
    worker_actor_t self;
    memset(&self, 0, sizeof(self));
    self.shared = (worker_shared_t *)args;
    self.pipe = pipe;
    char id[33];
    cw_bus_new_job_id(id);
    snprintf(self.identity, sizeof(self.identity), "wk-%s", id);
    cw_backoff_init(&self.backoff, CW_BUS_RECONNECT_MIN_MS, CW_BUS_RECONNECT_MAX_MS, 2.0, 0.1);
    zsock_signal(pipe, 0);
    s_actor_connect(&self);
    while (!self.terminated) {
        int64_t now = zclock_mono();
        long timeout = (long)(self.heartbeat_at - now);
        if (timeout < 0)
            timeout = 0;
        zmq_pollitem_t items[3] = {
            {zsock_resolve(pipe), 0, ZMQ_POLLIN, 0},
            {self.sock ? zsock_resolve(self.sock) : NULL, 0, ZMQ_POLLIN, 0},
            {self.monitor ? zsock_resolve(self.monitor) : NULL, 0, ZMQ_POLLIN, 0}};
        int n = self.sock ? (self.monitor ? 3 : 2) : 1;
        int rc = zmq_poll(items, n, timeout);
        if (rc == -1) {
            if (errno == ETERM)
                break;
            continue; /* EINTR: the caller's thread decides about interrupts */
        }
        if (n > 2 && (items[2].revents & ZMQ_POLLIN))
            s_actor_on_monitor(&self);
        if (items[0].revents & ZMQ_POLLIN)
            s_actor_on_pipe(&self);
        if (self.terminated)
            break;
        if (self.sock && (items[1].revents & ZMQ_POLLIN))
            s_actor_on_broker(&self);
        if (self.terminated)
            break;
        now = zclock_mono();
        if (!self.sock) {
            s_actor_reconnect(&self, "no socket");
            continue;
        }
        if (now - self.last_heard > (int64_t)CW_BUS_HEARTBEAT_MS * CW_BUS_LIVENESS) {
            s_actor_reconnect(&self, "broker heartbeats stopped");
            continue;
        }
        if (now >= self.heartbeat_at) {
            s_actor_send_cmd(&self, CW_BUS_HEARTBEAT);
            self.heartbeat_at = now + CW_BUS_HEARTBEAT_MS;
        }
    }
    if (self.sock)
        s_actor_send_cmd(&self, CW_BUS_DISCONNECT);
    s_actor_close(&self);
    zframe_destroy(&self.held_client);
    zframe_destroy(&self.held_payload);
    zframe_destroy(&self.reply_client);
    zframe_destroy(&self.reply_payload);
    atomic_store(&self.shared->connected, false);
}

struct _cw_worker_t {
    worker_shared_t *shared;
    zactor_t *actor;
    zpoller_t *poller;
    /* the request last returned by cw_worker_recv */
    bool pending;
    char generation[24];
    zframe_t *client;
    char job_id[65];
};

cw_worker_t *cw_worker_new(const char *broker_endpoint, const char *service)
{
    if (!broker_endpoint || !*broker_endpoint || !s_valid_name(service))
        return NULL;
    cw_worker_t *self = (cw_worker_t *)zmalloc(sizeof(cw_worker_t));
    if (!self)
        return NULL;
    self->shared = (worker_shared_t *)zmalloc(sizeof(worker_shared_t));
    if (!self->shared) {
        free(self);
        return NULL;
    }
    self->shared->endpoint = strdup(broker_endpoint);
    self->shared->service = strdup(service);
    atomic_init(&self->shared->connected, false);
    if (self->shared->endpoint && self->shared->service)
        self->actor = zactor_new(s_worker_actor, self->shared);
    if (self->actor)
        self->poller = zpoller_new(self->actor, NULL);
    if (!self->poller) {
        cw_worker_destroy(&self);
        return NULL;
    }
    return self;
}

void cw_worker_destroy(cw_worker_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cw_worker_t *self = *self_p;
    zpoller_destroy(&self->poller);
    zactor_destroy(&self->actor);
    zframe_destroy(&self->client);
    if (self->shared) {
        free(self->shared->endpoint);
        free(self->shared->service);
        free(self->shared);
    }
    free(self);
    *self_p = NULL;
}

static int s_worker_pipe_reply(cw_worker_t *self, const char *data, size_t size)
{
    zmsg_t *msg = zmsg_new();
    zmsg_addstr(msg, "REPLY");
    zmsg_addstr(msg, self->generation);
    zmsg_addmem(msg, zframe_data(self->client), zframe_size(self->client));
    zmsg_addmem(msg, data, size);
    return cw_zsock_send(&msg, zactor_sock(self->actor));
}

cw_value_t *cw_worker_recv(cw_worker_t *self, int timeout_ms)
{
    if (!self)
        return NULL;
    int64_t deadline = timeout_ms < 0 ? INT64_MAX : zclock_mono() + timeout_ms;
    while (s_poll_until(self->poller, deadline, NULL)) {
        zmsg_t *msg = zmsg_recv(self->actor);
        if (!msg)
            break;
        char *cmd = zmsg_popstr(msg);
        char *gen = zmsg_popstr(msg);
        zframe_t *client = zmsg_pop(msg);
        zframe_t *payload = zmsg_pop(msg);
        zmsg_destroy(&msg);
        cw_value_t *value = NULL;
        if (cmd && streq(cmd, "REQUEST") && gen && client && payload) {
            char why[256] = "";
            value = cw_proto_decode(zframe_data(payload), zframe_size(payload), why, sizeof(why));
            zframe_destroy(&self->client);
            self->client = client;
            client = NULL;
            snprintf(self->generation, sizeof(self->generation), "%s", gen);
            self->pending = true;
            if (value) {
                snprintf(self->job_id, sizeof(self->job_id), "%s", cw_map_str(value, "job_id", ""));
            } else { /* cannot happen (the actor validated it) but never return it */
                cw_value_t *err = cw_proto_new_error("unknown", CW_ERR_BAD_REQUEST, why, false);
                cw_zsock_salvage_job_id(zframe_data(payload), zframe_size(payload), "unknown",
                                        self->job_id);
                cw_map_set_str(err, "job_id", self->job_id);
                cw_worker_send(self, &err);
            }
        }
        free(cmd);
        free(gen);
        zframe_destroy(&client);
        zframe_destroy(&payload);
        if (value)
            return value;
    }
    return NULL;
}

int cw_worker_send(cw_worker_t *self, cw_value_t **reply)
{
    cw_value_t *value = reply ? *reply : NULL;
    if (reply)
        *reply = NULL;
    if (!self || !value) {
        cw_value_destroy(&value);
        return -1;
    }
    if (!self->pending || !self->client) {
        cw_error("worker_reply_without_request", CW_LS("service_name", self->shared->service),
                 CW_LEND);
        cw_value_destroy(&value);
        return -1;
    }
    /* the reply belongs to the request: the broker refuses a reply for another job */
    const char *reply_job = cw_map_str(value, "job_id", NULL);
    if (reply_job && strcmp(reply_job, self->job_id) != 0)
        cw_warn("worker_reply_job_id_fixed", CW_LS("service_name", self->shared->service),
                CW_LS("job_id", self->job_id), CW_LS("reply_job_id", reply_job), CW_LEND);
    if (!reply_job || strcmp(reply_job, self->job_id) != 0)
        cw_map_set_str(value, "job_id", self->job_id);
    char *data = NULL;
    size_t size = 0;
    char why[256] = "";
    if (cw_proto_encode(value, &data, &size, why, sizeof(why)) != 0) {
        cw_error("worker_reply_invalid", CW_LS("service_name", self->shared->service),
                 CW_LS("job_id", self->job_id), CW_LS("error", why), CW_LEND);
        cw_value_destroy(&value);
        char message[512];
        snprintf(message, sizeof(message), "worker produced an invalid reply: %s", why);
        value = cw_proto_new_error(self->job_id, CW_ERR_INTERNAL, message, true);
        if (!value || cw_proto_encode(value, &data, &size, why, sizeof(why)) != 0) {
            cw_value_destroy(&value);
            free(data);
            return -1;
        }
    }
    cw_value_destroy(&value);
    int rc = s_worker_pipe_reply(self, data, size);
    free(data);
    self->pending = false;
    zframe_destroy(&self->client);
    return rc == 0 ? 0 : -1;
}

bool cw_worker_connected(cw_worker_t *self)
{
    return self && self->shared && atomic_load(&self->shared->connected);
}

/* ------------------------------------------------------------------ events */

struct _cw_publisher_t {
    zsock_t *sock;
    char *service;
    int64_t connected_at; /* zclock_mono() at connect */
    bool settled;         /* a subscription arrived, or the settle time passed */
};

/* A publisher drops what it sends before the broker's XSUB has passed it the
   subscriptions. The socket is an XPUB (it publishes exactly like a PUB) so that it SEES
   those subscriptions arrive: the first event waits for the first subscription, at most
   this long after connect. On loopback that is about a millisecond when anyone
   subscribes; with no subscriber at all, the first event waits the whole time (and
   nobody would have received it anyway). */
#define CW_BUS_PUB_SETTLE_MS 300

/* Read (and drop) the subscription messages that arrived; true if there was one. */
static bool s_publisher_drain(cw_publisher_t *self)
{
    bool any = false;
    while (zsock_events(self->sock) & ZMQ_POLLIN) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        int rc = zmq_msg_recv(&msg, zsock_resolve(self->sock), ZMQ_DONTWAIT);
        zmq_msg_close(&msg);
        if (rc < 0)
            break;
        any = true;
    }
    return any;
}

/* Wait until a subscription arrived or the settle time passed since connect. */
static void s_publisher_settle(cw_publisher_t *self)
{
    while (!self->settled) {
        if (s_publisher_drain(self)) {
            self->settled = true;
            break;
        }
        int64_t left = self->connected_at + CW_BUS_PUB_SETTLE_MS - zclock_mono();
        if (left <= 0 || zsys_interrupted) {
            self->settled = true;
            break;
        }
        zmq_pollitem_t item = {zsock_resolve(self->sock), 0, ZMQ_POLLIN, 0};
        zmq_poll(&item, 1, (long)(left < 20 ? left : 20));
    }
}

cw_publisher_t *cw_publisher_new(const char *events_in_endpoint, const char *service)
{
    if (!events_in_endpoint || !*events_in_endpoint || !s_valid_name(service))
        return NULL;
    cw_publisher_t *self = (cw_publisher_t *)zmalloc(sizeof(cw_publisher_t));
    if (!self)
        return NULL;
    self->service = strdup(service);
    self->sock = zsock_new(ZMQ_XPUB);
    if (!self->service || !self->sock) {
        cw_publisher_destroy(&self);
        return NULL;
    }
    s_socket_setup(self->sock);
    if (zsock_connect(self->sock, "%s", events_in_endpoint) != 0) {
        cw_error("bus_connect_failed", CW_LS("endpoint", events_in_endpoint),
                 CW_LS("error", zmq_strerror(zmq_errno())), CW_LEND);
        cw_publisher_destroy(&self);
        return NULL;
    }
    self->connected_at = zclock_mono();
    return self;
}

void cw_publisher_destroy(cw_publisher_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cw_publisher_t *self = *self_p;
    zsock_destroy(&self->sock);
    free(self->service);
    free(self);
    *self_p = NULL;
}

zmsg_t *cw_bus_event_new(const char *service, const char *name, cw_value_t **fields)
{
    cw_value_t *event = fields ? *fields : NULL;
    if (fields)
        *fields = NULL;
    if (!service || !name || !*name || strlen(name) > CW_BUS_NAME_MAX) {
        cw_value_destroy(&event);
        return NULL;
    }
    if (!event)
        event = cw_value_new_map();
    if (!event || cw_value_kind(event) != CW_VAL_MAP) {
        cw_warn("event_dropped", CW_LS("event_name", name), CW_LS("error", "fields is not a map"),
                CW_LEND);
        cw_value_destroy(&event);
        return NULL;
    }
    char ts[40];
    cw_log_timestamp(ts);
    cw_map_set_int(event, "v", CW_PROTO_VERSION);
    cw_map_set_str(event, "type", name);
    cw_map_set_str(event, "service", service);
    cw_map_set_str(event, "timestamp", ts);
    char *data = NULL;
    size_t size = 0;
    char why[256] = "";
    int rc = cw_proto_encode(event, &data, &size, why, sizeof(why));
    cw_value_destroy(&event);
    if (rc != 0) {
        cw_warn("event_dropped", CW_LS("event_name", name), CW_LS("error", why), CW_LEND);
        return NULL;
    }
    zmsg_t *msg = zmsg_new();
    if (msg) {
        zmsg_addstrf(msg, "%s%s", CW_EVENT_TOPIC_PREFIX, name);
        zmsg_addmem(msg, data, size);
    }
    free(data);
    return msg;
}

int cw_publisher_send(cw_publisher_t *self, const char *name, cw_value_t **fields)
{
    if (!self) {
        if (fields)
            cw_value_destroy(fields);
        return -1;
    }
    zmsg_t *msg = cw_bus_event_new(self->service, name, fields);
    if (!msg)
        return -1;
    s_publisher_settle(self);
    s_publisher_drain(self); /* later subscription changes: nothing to keep */
    return cw_zsock_send(&msg, self->sock) == 0 ? 0 : -1;
}

int cw_publisher_log(cw_publisher_t *self, const char *level, const char *message)
{
    if (!self)
        return -1;
    cw_value_t *ev = cw_value_new_map();
    if (!ev)
        return -1;
    char text[4097];
    snprintf(text, sizeof text, "%s", message ? message : "");
    cw_map_set_str(ev, "level", level ? level : "info");
    cw_map_set_str(ev, "message", text);
    return cw_publisher_send(self, CW_EV_LOG, &ev);
}

struct _cw_subscriber_t {
    zsock_t *sock;
    zpoller_t *poller;
    char *endpoint;
};

cw_subscriber_t *cw_subscriber_new(const char *events_out_endpoint, const char *prefix)
{
    if (!events_out_endpoint || !*events_out_endpoint)
        return NULL;
    if (!prefix)
        prefix = "";
    if (strlen(prefix) > CW_BUS_NAME_MAX)
        return NULL;
    cw_subscriber_t *self = (cw_subscriber_t *)zmalloc(sizeof(cw_subscriber_t));
    if (!self)
        return NULL;
    self->endpoint = strdup(events_out_endpoint);
    self->sock = zsock_new(ZMQ_SUB);
    if (!self->endpoint || !self->sock) {
        cw_subscriber_destroy(&self);
        return NULL;
    }
    s_socket_setup(self->sock);
    char topic[CW_BUS_NAME_MAX + 16];
    snprintf(topic, sizeof(topic), "%s%s", CW_EVENT_TOPIC_PREFIX, prefix);
    zsock_set_subscribe(self->sock, topic);
    if (zsock_connect(self->sock, "%s", events_out_endpoint) != 0) {
        cw_error("bus_connect_failed", CW_LS("endpoint", events_out_endpoint),
                 CW_LS("error", zmq_strerror(zmq_errno())), CW_LEND);
        cw_subscriber_destroy(&self);
        return NULL;
    }
    self->poller = zpoller_new(self->sock, NULL);
    if (!self->poller) {
        cw_subscriber_destroy(&self);
        return NULL;
    }
    return self;
}

void cw_subscriber_destroy(cw_subscriber_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cw_subscriber_t *self = *self_p;
    zpoller_destroy(&self->poller);
    zsock_destroy(&self->sock);
    free(self->endpoint);
    free(self);
    *self_p = NULL;
}

/* The event in msg, or NULL (logged) if it is malformed. */
static cw_value_t *s_subscriber_parse(cw_subscriber_t *self, zmsg_t *msg, bool truncated)
{
    if (truncated || zmsg_size(msg) != 2) {
        cw_warn_limited("event_malformed", CW_LS("endpoint", self->endpoint),
                        CW_LS("error", "an event has two frames"), CW_LI("frames", zmsg_size(msg)),
                        CW_LEND);
        return NULL;
    }
    zframe_t *topic = zmsg_first(msg);
    zframe_t *payload = zmsg_next(msg);
    size_t plen = strlen(CW_EVENT_TOPIC_PREFIX);
    char name[CW_BUS_NAME_MAX + 1];
    size_t tlen = zframe_size(topic);
    if (tlen <= plen || tlen - plen > CW_BUS_NAME_MAX ||
        memcmp(zframe_data(topic), CW_EVENT_TOPIC_PREFIX, plen) != 0) {
        cw_warn_limited("event_malformed", CW_LS("endpoint", self->endpoint),
                        CW_LS("error", "bad topic"), CW_LEND);
        return NULL;
    }
    memcpy(name, zframe_data(topic) + plen, tlen - plen);
    name[tlen - plen] = '\0';
    char why[256] = "";
    cw_value_t *event =
        cw_proto_decode(zframe_data(payload), zframe_size(payload), why, sizeof(why));
    if (!event) {
        cw_warn_limited("event_malformed", CW_LS("endpoint", self->endpoint), CW_LS("topic", name),
                        CW_LS("error", why), CW_LEND);
        return NULL;
    }
    const char *type = cw_proto_type(event);
    if (!type || strcmp(type, name) != 0) {
        cw_warn_limited("event_malformed", CW_LS("endpoint", self->endpoint), CW_LS("topic", name),
                        CW_LS("type", type),
                        CW_LS("error", "topic does not match the payload type"), CW_LEND);
        cw_value_destroy(&event);
        return NULL;
    }
    return event;
}

cw_value_t *cw_subscriber_recv(cw_subscriber_t *self, int timeout_ms)
{
    if (!self)
        return NULL;
    int64_t deadline = timeout_ms < 0 ? INT64_MAX : zclock_mono() + timeout_ms;
    while (s_poll_until(self->poller, deadline, NULL)) {
        bool truncated;
        zmsg_t *msg = cw_zsock_recv_bounded(self->sock, CW_BUS_MAX_FRAMES, &truncated);
        if (!msg)
            continue;
        cw_value_t *event = s_subscriber_parse(self, msg, truncated);
        zmsg_destroy(&msg);
        if (event)
            return event;
    }
    return NULL;
}
