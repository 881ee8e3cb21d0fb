/*  cw_dashboard — the dashboard's HTTP server and bus thread. See cw_dashboard.h. */
#include "cw_dashboard.h"

#include <arpa/inet.h>
#include <czmq.h>
#include <errno.h>
#include <limits.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "cw_bus.h"
#include "cw_dash_api.h"
#include "cw_dash_devlog.h"
#include "cw_json.h"
#include "cw_log.h"

/* the page, embedded at build time from services/dashboard/page.html (CMakeLists.txt) */
extern const unsigned char cw_dash_page_data[];
extern const unsigned long cw_dash_page_size;

#define S_STREAM_BUF (CW_DASH_EVENT_MAX + 64)
#define S_STREAM_SLICE_MS 1000

static const char *s_page_csp =
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'";
static const char *s_doc_csp =
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'";

struct _cw_dashboard_t {
    const cw_config_t *config;
    char db_path[PATH_MAX];
    struct MHD_Daemon *daemon;
    int port;
    bool loopback_only; /* bound to loopback: check the Host header */
    cw_dash_state_t *state;
    pthread_t bus_thread;
    bool bus_started;
    atomic_bool stop;
};

/* ------------------------------------------------------------------ bus thread */

static void *s_bus_main(void *arg)
{
    cw_dashboard_t *self = (cw_dashboard_t *)arg;
    const cw_config_t *config = self->config;
    cw_subscriber_t *sub = cw_subscriber_new(config->bus.events_out, "");
    if (!sub)
        cw_error("dashboard_subscribe_failed", CW_LS("endpoint", config->bus.events_out), CW_LEND);
    cw_client_t *client = cw_client_new(config->bus.broker);
    int64_t next_status = 0;
    bool was_up = true;
    while (!atomic_load(&self->stop)) {
        if (zclock_mono() >= next_status) {
            if (!client)
                client = cw_client_new(config->bus.broker);
            cw_value_t *status = client ? cw_client_broker_status(client, 1000) : NULL;
            cw_dash_state_set_status(self->state, status, time(NULL));
            if (!status && was_up)
                cw_warn("dashboard_broker_silent", CW_LS("broker", config->bus.broker), CW_LEND);
            else if (status && !was_up)
                cw_info("dashboard_broker_answers", CW_LS("broker", config->bus.broker), CW_LEND);
            was_up = status != NULL;
            if (!status) /* a fresh socket for the next try (Lazy Pirate) */
                cw_client_destroy(&client);
            cw_value_destroy(&status);
            next_status = zclock_mono() + CW_DASH_STATUS_EVERY_MS;
        }
        if (!sub) {
            zclock_sleep(250);
            continue;
        }
        cw_value_t *event = cw_subscriber_recv(sub, 250);
        if (event)
            cw_dash_state_push(self->state, event);
        cw_value_destroy(&event);
    }
    cw_client_destroy(&client);
    cw_subscriber_destroy(&sub);
    return NULL;
}

/* ------------------------------------------------------------------ responses */

static void s_common_headers(struct MHD_Response *r, const char *type)
{
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
}

/* Queue `body` (malloc'd, taken; NULL = 500). */
static enum MHD_Result s_send(struct MHD_Connection *c, int status, const char *type, char *body,
                              size_t len, const char *csp)
{
    if (!body) {
        status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        type = "application/json";
        body = strdup("{\"detail\":\"out of memory\"}");
        len = body ? strlen(body) : 0;
        if (!body)
            return MHD_NO;
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    s_common_headers(r, type);
    if (csp)
        MHD_add_response_header(r, "Content-Security-Policy", csp);
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result rc = MHD_queue_response(c, (unsigned int)status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result s_send_detail(struct MHD_Connection *c, int status, const char *detail)
{
    cw_buf_t b;
    cw_buf_init(&b, 0);
    cw_buf_putc(&b, '{');
    cw_json_put_key(&b, "detail");
    cw_json_put_str_cut(&b, detail, 500);
    cw_buf_putc(&b, '}');
    size_t len = 0;
    char *body = cw_buf_take(&b, &len);
    return s_send(c, status, "application/json", body, len, NULL);
}

static enum MHD_Result s_send_page(struct MHD_Connection *c)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        (size_t)cw_dash_page_size, (void *)cw_dash_page_data, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    s_common_headers(r, "text/html; charset=utf-8");
    MHD_add_response_header(r, "Content-Security-Policy", s_page_csp);
    enum MHD_Result rc = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return rc;
}

/* ------------------------------------------------------------------ live feed (SSE) */

typedef struct {
    cw_dashboard_t *dash;
    int fd; /* the connection's socket, to notice a browser that went away */
    uint64_t after;
    bool hello;
    size_t len, off; /* pending bytes in buf */
    char buf[S_STREAM_BUF];
    char event[CW_DASH_EVENT_MAX + 1];
} stream_t;

/* The browser closed its end (or the socket broke). */
static bool s_peer_gone(int fd)
{
    if (fd < 0)
        return false;
    struct pollfd p = {fd, POLLRDHUP, 0};
    return poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL));
}

/* The next event after `after`, waiting up to CW_DASH_KEEPALIVE_MS in slices of
   S_STREAM_SLICE_MS so that a closed browser gives back its slot soon. 0: none (a
   keepalive is due); -1: stop, or the browser is gone. */
static int64_t s_stream_wait(stream_t *s)
{
    cw_dash_state_t *state = s->dash->state;
    for (int waited = 0; waited < CW_DASH_KEEPALIVE_MS; waited += S_STREAM_SLICE_MS) {
        uint64_t seq =
            cw_dash_state_next(state, s->after, s->event, sizeof(s->event), S_STREAM_SLICE_MS);
        if (cw_dash_state_stopping(state) || s_peer_gone(s->fd))
            return -1;
        if (seq)
            return (int64_t)seq;
    }
    return 0;
}

static ssize_t s_stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
    (void)pos;
    stream_t *s = (stream_t *)cls;
    if (s->off >= s->len) {
        s->off = s->len = 0;
        if (!s->hello) {
            s->hello = true;
            s->len = (size_t)snprintf(s->buf, sizeof(s->buf), "retry: 3000\n: codeworm events\n\n");
        } else {
            int64_t seq = s_stream_wait(s);
            if (seq < 0)
                return MHD_CONTENT_READER_END_WITH_ERROR;
            int n;
            if (seq) {
                s->after = (uint64_t)seq;
                n = snprintf(s->buf, sizeof(s->buf), "id: %llu\ndata: %s\n\n",
                             (unsigned long long)seq, s->event);
            } else
                n = snprintf(s->buf, sizeof(s->buf), ": keepalive\n\n");
            s->len = n < 0 ? 0 : (size_t)n < sizeof(s->buf) ? (size_t)n : sizeof(s->buf) - 1;
        }
    }
    size_t n = s->len - s->off;
    if (n > max)
        n = max;
    memcpy(out, s->buf + s->off, n);
    s->off += n;
    return (ssize_t)n;
}

static void s_stream_free(void *cls)
{
    stream_t *s = (stream_t *)cls;
    cw_dash_state_reader_leave(s->dash->state);
    free(s);
}

static enum MHD_Result s_send_events(cw_dashboard_t *self, struct MHD_Connection *c)
{
    if (!cw_dash_state_reader_enter(self->state, CW_DASH_MAX_STREAMS)) {
        cw_warn_limited("dashboard_streams_full", CW_LI("max", CW_DASH_MAX_STREAMS), CW_LEND);
        return s_send_detail(c, MHD_HTTP_SERVICE_UNAVAILABLE,
                             "too many live feeds open; close one and retry");
    }
    stream_t *s = (stream_t *)calloc(1, sizeof(stream_t));
    if (!s) {
        cw_dash_state_reader_leave(self->state);
        return MHD_NO;
    }
    s->dash = self;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    s->fd = ci ? ci->connect_fd : -1;
    const char *last = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID");
    if (last && *last) {
        char *end = NULL;
        errno = 0;
        unsigned long long id = strtoull(last, &end, 10);
        /* an id from before a restart of the dashboard: start over */
        if (!errno && !*end && id <= cw_dash_state_last_seq(self->state))
            s->after = id;
    }
    struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, S_STREAM_BUF,
                                                               s_stream_read, s, s_stream_free);
    if (!r) {
        s_stream_free(s);
        return MHD_NO;
    }
    s_common_headers(r, "text/event-stream; charset=utf-8");
    MHD_add_response_header(r, "X-Accel-Buffering", "no");
    enum MHD_Result rc = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return rc;
}

/* ------------------------------------------------------------------ DevLog documents */

static enum MHD_Result s_send_devlog(cw_dashboard_t *self, struct MHD_Connection *c,
                                     const char *rel)
{
    char *data = NULL;
    size_t len = 0;
    char err[256] = "";
    int status =
        cw_dash_devlog_read(self->config->devlog.repo_path, rel, &data, &len, err, sizeof(err));
    if (status != 200) {
        cw_debug("dashboard_devlog_refused", CW_LI("status", status), CW_LS("reason", err),
                 CW_LEND);
        return s_send_detail(c, status, err);
    }
    const char *raw = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "raw");
    if (raw && strcmp(raw, "0") != 0)
        return s_send(c, MHD_HTTP_OK, "text/plain; charset=utf-8", data, len, s_doc_csp);
    char *page = cw_dash_devlog_page(rel, data, len);
    free(data);
    return s_send(c, MHD_HTTP_OK, "text/html; charset=utf-8", page, page ? strlen(page) : 0,
                  s_doc_csp);
}

/* ------------------------------------------------------------------ requests */

/* The Host header names a loopback host (or is absent). */
static bool s_host_ok(cw_dashboard_t *self, struct MHD_Connection *c)
{
    if (!self->loopback_only)
        return true;
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    if (!host)
        return true;
    char name[256];
    if (host[0] == '[') {
        const char *close = strchr(host, ']');
        if (!close || (size_t)(close - host - 1) >= sizeof(name))
            return false;
        memcpy(name, host + 1, (size_t)(close - host - 1));
        name[close - host - 1] = '\0';
    } else {
        size_t n = strcspn(host, ":");
        if (n >= sizeof(name))
            return false;
        memcpy(name, host, n);
        name[n] = '\0';
    }
    if (strcasecmp(name, "localhost") == 0 || strcmp(name, "::1") == 0 ||
        strcasecmp(name, self->config->dashboard.host) == 0)
        return true;
    struct in_addr a4;
    return inet_pton(AF_INET, name, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

static const char *s_query_arg(void *cls, const char *key)
{
    return MHD_lookup_connection_value((struct MHD_Connection *)cls, MHD_GET_ARGUMENT_KIND, key);
}

static int s_request_marker;

static enum MHD_Result s_on_request(void *cls, struct MHD_Connection *c, const char *url,
                                    const char *method, const char *version,
                                    const char *upload_data, size_t *upload_data_size,
                                    void **req_cls)
{
    (void)version;
    (void)upload_data;
    cw_dashboard_t *self = (cw_dashboard_t *)cls;
    if (*req_cls == NULL) { /* headers only: answer when the request is complete */
        *req_cls = &s_request_marker;
        return MHD_YES;
    }
    if (*upload_data_size) { /* a body: nothing here takes one */
        *upload_data_size = 0;
        return MHD_YES;
    }
    cw_debug("dashboard_request", CW_LS("method", method), CW_LS("url", url), CW_LEND);
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return s_send_detail(c, MHD_HTTP_METHOD_NOT_ALLOWED, "the dashboard is read-only");
    if (!s_host_ok(self, c))
        return s_send_detail(c, MHD_HTTP_FORBIDDEN,
                             "this dashboard answers only requests for a loopback host");
    if (strcmp(url, "/") == 0 || strcmp(url, "/index.html") == 0)
        return s_send_page(c);
    if (strcmp(url, "/api/events") == 0)
        return s_send_events(self, c);
    if (strncmp(url, "/devlog/", 8) == 0)
        return s_send_devlog(self, c, url + 8);
    cw_dash_api_ctx_t ctx = {self->config, self->db_path, self->state, time(NULL)};
    cw_dash_reply_t reply;
    if (cw_dash_api_route(&ctx, url, s_query_arg, c, &reply)) {
        if (reply.status >= 500)
            cw_warn_limited("dashboard_answer_failed", CW_LS("url", url),
                            CW_LI("status", reply.status), CW_LEND);
        char *body = reply.body;
        reply.body = NULL;
        return s_send(c, reply.status, reply.content_type, body, reply.len, NULL);
    }
    return s_send_detail(c, MHD_HTTP_NOT_FOUND, "Not Found");
}

static void s_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof(line), fmt, ap);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    cw_warn_limited("dashboard_http", CW_LS("message", line), CW_LEND);
}

/* ------------------------------------------------------------------ life cycle */

static bool s_is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
    return false;
}

cw_dashboard_t *cw_dashboard_new(const cw_config_t *config, char *err, size_t errlen)
{
    if (!config || !config->dashboard.host || !*config->dashboard.host) {
        snprintf(err, errlen, "dashboard.host is not set");
        return NULL;
    }
    const char *host = config->dashboard.host;
    int port = config->dashboard.port;
    char port_text[16];
    snprintf(port_text, sizeof(port_text), "%d", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(host, port_text, &hints, &res);
    if (gai != 0 || !res) {
        snprintf(err, errlen, "cannot listen on %s:%d: %s (check dashboard.host)", host, port,
                 gai_strerror(gai));
        return NULL;
    }
    cw_dashboard_t *self = (cw_dashboard_t *)calloc(1, sizeof(cw_dashboard_t));
    if (!self) {
        freeaddrinfo(res);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    self->config = config;
    snprintf(self->db_path, sizeof(self->db_path), "%s/codeworm.db",
             config->data_dir && *config->data_dir ? config->data_dir : "data");
    self->loopback_only = s_is_loopback(res->ai_addr);
    self->state = cw_dash_state_new(CW_DASH_FEED_EVENTS);
    if (!self->state) {
        freeaddrinfo(res);
        free(self);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    cw_dash_state_set_broker(self->state, config->bus.broker);
    unsigned int flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                         MHD_USE_POLL | MHD_USE_ERROR_LOG;
    if (res->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    errno = 0;
    self->daemon = MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, s_on_request, self, MHD_OPTION_EXTERNAL_LOGGER,
        s_mhd_log, NULL, MHD_OPTION_SOCK_ADDR, res->ai_addr, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned int)CW_DASH_MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned int)CW_DASH_IDLE_TIMEOUT_S, MHD_OPTION_END);
    int saved = errno;
    freeaddrinfo(res);
    if (!self->daemon) {
        snprintf(err, errlen, "cannot listen on %s:%d: %s (dashboard.host / dashboard.port)", host,
                 port, saved ? strerror(saved) : "the HTTP server did not start");
        cw_dash_state_destroy(&self->state);
        free(self);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(self->daemon, MHD_DAEMON_INFO_BIND_PORT);
    self->port = info ? (int)info->port : port;
    if (pthread_create(&self->bus_thread, NULL, s_bus_main, self) == 0)
        self->bus_started = true;
    else
        cw_error("dashboard_bus_thread_failed", CW_LS("error", strerror(errno)), CW_LEND);
    cw_info("dashboard_listening", CW_LS("host", host), CW_LI("port", self->port),
            CW_LS("url_hint", self->loopback_only ? "loopback only" : "reachable from other hosts"),
            CW_LS("ledger", self->db_path), CW_LEND);
    return self;
}

void cw_dashboard_destroy(cw_dashboard_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cw_dashboard_t *self = *self_p;
    atomic_store(&self->stop, true);
    cw_dash_state_stop(self->state); /* open live feeds end */
    if (self->daemon)
        MHD_stop_daemon(self->daemon);
    if (self->bus_started)
        pthread_join(self->bus_thread, NULL);
    cw_dash_state_destroy(&self->state);
    free(self);
    *self_p = NULL;
}

int cw_dashboard_port(cw_dashboard_t *self)
{
    return self ? self->port : 0;
}

cw_dash_state_t *cw_dashboard_state(cw_dashboard_t *self)
{
    return self ? self->state : NULL;
}

int cw_dashboard_run(cw_dashboard_t *self)
{
    while (self && !zsys_interrupted)
        zclock_sleep(200);
    return 0;
}

int cw_dashboard_take_options(int *argc, char **argv, const char **host, const char **port,
                              char *err, size_t errlen)
{
    *host = *port = NULL;
    int out = 1;
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i];
        const char **slot = NULL;
        const char *value = NULL;
        if (strcmp(a, "--host") == 0 || strcmp(a, "--port") == 0) {
            slot = a[2] == 'h' ? host : port;
            if (i + 1 >= *argc || !argv[i + 1][0]) {
                snprintf(err, errlen, "option '%s' needs a value", a);
                return -1;
            }
            value = argv[++i];
        } else if (strncmp(a, "--host=", 7) == 0 || strncmp(a, "--port=", 7) == 0) {
            slot = a[2] == 'h' ? host : port;
            value = a + 7;
            if (!*value) {
                snprintf(err, errlen, "option '%.6s' needs a value", a);
                return -1;
            }
        }
        if (slot)
            *slot = value;
        else
            argv[out++] = argv[i];
    }
    argv[out] = NULL;
    *argc = out;
    return 0;
}
