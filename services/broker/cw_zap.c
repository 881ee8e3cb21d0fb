/*  cw_zap — ZAP handler with per-domain CURVE allow-lists. See cw_zap.h. */
#include "cw_zap.h"

#include <czmq.h>
#include <pthread.h>
#include <string.h>

#include "cw_log.h"

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define ZAP_MAX_FRAMES 16 /* a request has 6 frames + credentials */

typedef struct {
    uint8_t (*keys)[32];
    size_t count;
} zap_domain_t;

static pthread_mutex_t s_mutex = PTHREAD_MUTEX_INITIALIZER;
static zhashx_t *s_domains = NULL; /* domain -> zap_domain_t */
static zactor_t *s_actor = NULL;

static void s_domain_destroy(void **item)
{
    zap_domain_t *d = (zap_domain_t *)*item;
    if (d) {
        free(d->keys);
        free(d);
    }
    *item = NULL;
}

/* 200 if the CURVE key may connect in `domain`, else 400 with a reason. */
static const char *s_decide(const char *domain, const char *mechanism, zframe_t *credentials,
                            const char **reason)
{
    if (strcmp(mechanism, "CURVE") != 0) {
        *reason = "CURVE required";
        return "400";
    }
    if (!credentials || zframe_size(credentials) != 32) {
        *reason = "bad CURVE credentials";
        return "400";
    }
    const char *status = "400";
    *reason = "unknown ZAP domain";
    pthread_mutex_lock(&s_mutex);
    zap_domain_t *d = s_domains ? (zap_domain_t *)zhashx_lookup(s_domains, domain) : NULL;
    if (d) {
        *reason = "client key not in bus.curve.allowed_clients";
        if (d->count == 0) {
            status = "200";
            *reason = "OK";
        }
        for (size_t i = 0; i < d->count; i++)
            if (memcmp(d->keys[i], zframe_data(credentials), 32) == 0) {
                status = "200";
                *reason = "OK";
                break;
            }
    }
    pthread_mutex_unlock(&s_mutex);
    return status;
}

static void s_reply(zsock_t *handler, const char *request_id, const char *status, const char *text,
                    const char *user_id)
{
    zmsg_t *reply = zmsg_new();
    zmsg_addstr(reply, "1.0");
    zmsg_addstr(reply, request_id ? request_id : "");
    zmsg_addstr(reply, status);
    zmsg_addstr(reply, text);
    zmsg_addstr(reply, user_id ? user_id : "");
    zmsg_addmem(reply, NULL, 0); /* metadata */
    zmsg_send(&reply, handler);
}

/* One request: [version, request_id, domain, address, routing_id, mechanism, creds...] */
static void s_handle(zsock_t *handler)
{
    zmsg_t *request = zmsg_recv(handler);
    if (!request)
        return;
    if (zmsg_size(request) < 6 || zmsg_size(request) > ZAP_MAX_FRAMES) {
        cw_warn_limited("bus_zap_malformed", CW_LI("frames", zmsg_size(request)), CW_LEND);
        zmsg_destroy(&request);
        s_reply(handler, "", "500", "malformed ZAP request", "");
        return;
    }
    char *version = zmsg_popstr(request);
    char *request_id = zmsg_popstr(request);
    char *domain = zmsg_popstr(request);
    char *address = zmsg_popstr(request);
    zframe_t *routing_id = zmsg_pop(request);
    char *mechanism = zmsg_popstr(request);
    zframe_t *credentials = zmsg_first(request);
    if (!version || strcmp(version, "1.0") != 0)
        s_reply(handler, request_id, "500", "unsupported ZAP version", "");
    else {
        const char *reason = "";
        const char *status =
            s_decide(domain ? domain : "", mechanism ? mechanism : "", credentials, &reason);
        char key[41] = "";
        if (credentials && zframe_size(credentials) == 32)
            zmq_z85_encode(key, zframe_data(credentials), 32);
        if (strcmp(status, "200") == 0)
            cw_debug("bus_client_allowed", CW_LS("client_public_key", key),
                     CW_LS("address", address), CW_LEND);
        else /* a client retrying with a bad key must not flood the log */
            cw_warn_limited("bus_client_denied", CW_LS("client_public_key", key),
                            CW_LS("address", address), CW_LS("mechanism", mechanism),
                            CW_LS("reason", reason), CW_LEND);
        s_reply(handler, request_id, status, reason, strcmp(status, "200") == 0 ? key : "");
    }
    free(version);
    free(request_id);
    free(domain);
    free(address);
    zframe_destroy(&routing_id);
    free(mechanism);
    zmsg_destroy(&request);
}

/* args: int*, set to 0 (bound) or -1 before the actor signals */
static void s_zap_actor(zsock_t *pipe, void *args)
{
    int *rc = (int *)args;
    zsock_t *handler = zsock_new(ZMQ_REP);
    if (!handler || zsock_bind(handler, ZAP_ENDPOINT) != 0) {
        cw_error("bus_zap_failed", CW_LS("endpoint", ZAP_ENDPOINT),
                 CW_LS("error", zmq_strerror(zmq_errno())), CW_LEND);
        zsock_destroy(&handler);
        *rc = -1;
        zsock_signal(pipe, 0);
        return;
    }
    *rc = 0;
    zsock_signal(pipe, 0);
    zpoller_t *poller = zpoller_new(pipe, handler, NULL);
    zpoller_set_nonstop(poller, true); /* only $TERM stops it */
    while (true) {
        void *which = zpoller_wait(poller, -1);
        if (which == pipe) {
            char *cmd = zstr_recv(pipe);
            bool term = !cmd || streq(cmd, "$TERM");
            free(cmd);
            if (term)
                break;
        } else if (which == handler)
            s_handle(handler);
        else if (zpoller_terminated(poller))
            break;
    }
    zpoller_destroy(&poller);
    zsock_unbind(handler, ZAP_ENDPOINT);
    zsock_destroy(&handler);
}

int cw_zap_register(const char *domain, const uint8_t (*keys)[32], size_t count)
{
    if (!domain || !*domain || (count > 0 && !keys))
        return -1;
    zap_domain_t *d = (zap_domain_t *)zmalloc(sizeof(zap_domain_t));
    if (!d)
        return -1;
    if (count > 0) {
        d->keys = (uint8_t(*)[32])malloc(count * 32);
        if (!d->keys) {
            free(d);
            return -1;
        }
        memcpy(d->keys, keys, count * 32);
        d->count = count;
    }
    int rc = 0;
    pthread_mutex_lock(&s_mutex);
    if (!s_domains) {
        s_domains = zhashx_new();
        zhashx_set_destructor(s_domains, s_domain_destroy);
    }
    zhashx_update(s_domains, domain, d);
    if (!s_actor) {
        /* zactor_new returns after the actor has bound (or failed to); the handler
           only takes s_mutex after that */
        int bound = -1;
        s_actor = zactor_new(s_zap_actor, &bound);
        if (!s_actor || bound != 0) {
            zactor_destroy(&s_actor);
            zhashx_delete(s_domains, domain);
            rc = -1;
        }
    }
    if (zhashx_size(s_domains) == 0)
        zhashx_destroy(&s_domains);
    pthread_mutex_unlock(&s_mutex);
    return rc;
}

void cw_zap_unregister(const char *domain)
{
    if (!domain)
        return;
    zactor_t *doomed = NULL;
    pthread_mutex_lock(&s_mutex);
    if (s_domains) {
        zhashx_delete(s_domains, domain);
        if (zhashx_size(s_domains) == 0) {
            zhashx_destroy(&s_domains);
            doomed = s_actor;
            s_actor = NULL;
        }
    }
    pthread_mutex_unlock(&s_mutex);
    /* outside the lock: the handler may be in s_decide, waiting for it */
    zactor_destroy(&doomed);
}
