/*  cw_http — bounded HTTP exchanges over libcurl (see cw_http.h). */
#include "cw_http.h"
#include "cw_buf.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static pthread_once_t s_init_once = PTHREAD_ONCE_INIT;

static void s_global_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---------------------------------------------------------------- transfer state */
typedef struct {
    cw_http_response_t *resp;
    size_t max_response;
    size_t max_line;
    cw_http_line_fn *on_line;
    void *line_arg;
    const volatile int *stop;
    size_t total;  /* answer bytes received */
    cw_buf_t body; /* the answer (no on_line), handed over as resp->body */
    cw_buf_t line; /* the line being assembled (on_line) */
    bool line_overflow;
    long stall_ms;   /* 0 = no stall limit */
    int64_t last_rx; /* s_mono_ms() of the last answer byte (header or body), 0 = none yet */
    bool (*cancel)(void *arg);
    void *cancel_arg;
} xfer_t;

static int64_t s_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int s_emit_line(xfer_t *x)
{
    if (x->line.len > 0 && x->line.data[x->line.len - 1] == '\r')
        cw_buf_truncate(&x->line, x->line.len - 1); /* CRLF line ends */
    int rc = x->on_line(cw_buf_str(&x->line), x->line.len, x->line_arg);
    cw_buf_clear(&x->line);
    if (rc != 0)
        x->resp->aborted = true;
    return rc;
}

static size_t s_write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
    xfer_t *x = userp;
    cw_http_response_t *resp = x->resp;
    size_t n = size * nmemb;
    x->last_rx = s_mono_ms();
    if (n > x->max_response - x->total) {
        resp->overflow = true;
        return 0;
    }
    x->total += n;
    if (!x->on_line) {
        return cw_buf_append(&x->body, data, n) ? n : 0;
    }
    size_t i = 0;
    while (i < n) {
        const char *nl = memchr(data + i, '\n', n - i);
        size_t k = nl ? (size_t)(nl - (data + i)) : n - i;
        if (k > x->max_line - x->line.len) {
            resp->overflow = true;
            x->line_overflow = true;
            return 0;
        }
        if (!cw_buf_append(&x->line, data + i, k))
            return 0;
        i += k;
        if (nl) {
            i++; /* the newline */
            if (s_emit_line(x) != 0)
                return 0;
        }
    }
    return n;
}

/* Retry-After: delta-seconds or an HTTP date. A new status line forgets an earlier one. */
static size_t s_header_cb(char *data, size_t size, size_t nmemb, void *userp)
{
    xfer_t *x = userp;
    cw_http_response_t *resp = x->resp;
    size_t n = size * nmemb;
    x->last_rx = s_mono_ms();
    static const char key[] = "retry-after:";
    const size_t klen = sizeof(key) - 1;
    if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        resp->retry_after_s = -1;
        return n;
    }
    if (n <= klen || strncasecmp(data, key, klen) != 0)
        return n;
    char buf[64];
    size_t k = n - klen;
    if (k >= sizeof(buf))
        k = sizeof(buf) - 1;
    memcpy(buf, data + klen, k);
    buf[k] = '\0';
    char *v = buf;
    while (*v == ' ' || *v == '\t')
        v++;
    size_t vl = strlen(v);
    while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
        v[--vl] = '\0';
    long secs = -1;
    if (*v >= '0' && *v <= '9') {
        char *end = NULL;
        long long ll = strtoll(v, &end, 10);
        if (end != v)
            secs = ll > CW_HTTP_MAX_RETRY_AFTER_S ? CW_HTTP_MAX_RETRY_AFTER_S : (long)ll;
    } else if (*v) {
        time_t at = curl_getdate(v, NULL);
        if (at != (time_t)-1) {
            time_t now = time(NULL);
            long long d = at > now ? (long long)(at - now) : 0;
            secs = d > CW_HTTP_MAX_RETRY_AFTER_S ? CW_HTTP_MAX_RETRY_AFTER_S : (long)d;
        }
    }
    if (secs >= 0)
        resp->retry_after_s = secs;
    return n;
}

static int s_progress_cb(void *userp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                         curl_off_t ulnow)
{
    xfer_t *x = userp;
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    if (x->stop && *x->stop) {
        x->resp->interrupted = true;
        return 1;
    }
    if (x->cancel && x->cancel(x->cancel_arg)) {
        x->resp->cancelled = true;
        return 1;
    }
    /* libcurl calls this at least once a second, also while nothing arrives */
    if (x->stall_ms > 0 && x->last_rx > 0 && s_mono_ms() - x->last_rx >= x->stall_ms) {
        x->resp->stalled = true;
        return 1;
    }
    return 0;
}

/* ---------------------------------------------------------------- error text */
static bool s_contains(const char *hay, const char *needle, size_t n)
{
    if (n == 0)
        return false;
    return memmem(hay, strlen(hay), needle, n) != NULL;
}

/* The authority (host[:port]) of url, without user info. */
static void s_host(const char *url, const char **host, size_t *len)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t alen = strcspn(p, "/?#");
    const char *at = NULL;
    for (size_t i = 0; i < alen; i++)
        if (p[i] == '@')
            at = p + i;
    if (at) {
        alen -= (size_t)(at + 1 - p);
        p = at + 1;
    }
    *host = p;
    *len = alen;
}

/* Could `msg` show a part of the URL that may be secret (user info, path, query)? */
static bool s_leaks(const char *msg, const char *url)
{
    if (strstr(msg, url))
        return true;
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t alen = strcspn(p, "/?#");
    for (size_t i = 0; i < alen; i++)
        if (p[i] == '@' && s_contains(msg, p, i))
            return true;
    /* every path/query piece of 6+ characters, by its first 6 (also catches a cut one) */
    const char *r = p + alen;
    while (*r) {
        size_t seg = strcspn(r, "/?&=#;:");
        if (seg >= 6 && s_contains(msg, r, 6))
            return true;
        r += seg;
        if (*r)
            r++;
    }
    return false;
}

static void s_set_error(cw_http_response_t *resp, const char *url, CURLcode rc, const char *errbuf,
                        const xfer_t *x)
{
    if (resp->overflow) {
        if (x->line_overflow)
            snprintf(resp->error, sizeof(resp->error), "answer line longer than %zu bytes",
                     x->max_line);
        else
            snprintf(resp->error, sizeof(resp->error), "answer larger than %zu bytes",
                     x->max_response);
        return;
    }
    if (resp->interrupted) {
        snprintf(resp->error, sizeof(resp->error), "interrupted");
        return;
    }
    if (resp->cancelled) {
        snprintf(resp->error, sizeof(resp->error), "cancelled by the caller");
        return;
    }
    if (resp->stalled) {
        snprintf(resp->error, sizeof(resp->error),
                 "the answer stalled: no data for %ld s after %zu bytes",
                 (x->stall_ms + 999) / 1000, x->total);
        return;
    }
    if (resp->aborted) {
        snprintf(resp->error, sizeof(resp->error), "stopped by the answer's reader");
        return;
    }
    if (errbuf && *errbuf && !s_leaks(errbuf, url)) {
        snprintf(resp->error, sizeof(resp->error), "%s", errbuf);
        return;
    }
    const char *host;
    size_t hlen;
    s_host(url, &host, &hlen);
    if (hlen > 120)
        hlen = 120;
    snprintf(resp->error, sizeof(resp->error), "%s (host %.*s)", curl_easy_strerror(rc), (int)hlen,
             host);
}

/* ---------------------------------------------------------------- the exchange */
static int s_perform(const char *url, const char *const *headers, bool post, const char *body,
                     const cw_http_options_t *opts, cw_http_response_t *resp)
{
    memset(resp, 0, sizeof(*resp));
    resp->retry_after_s = -1;
    if (!url || !*url) {
        snprintf(resp->error, sizeof(resp->error), "no URL");
        return -1;
    }
    pthread_once(&s_init_once, s_global_init);
    cw_http_options_t o = {0};
    if (opts)
        o = *opts;
    xfer_t x = {0};
    x.resp = resp;
    x.max_response = o.max_response ? o.max_response : CW_HTTP_DEFAULT_MAX_RESPONSE;
    x.max_line = o.max_line ? o.max_line : CW_HTTP_DEFAULT_MAX_LINE;
    cw_buf_init(&x.body, x.max_response);
    cw_buf_init(&x.line, x.max_line);
    x.on_line = o.on_line;
    x.line_arg = o.line_arg;
    x.stop = o.stop;
    x.stall_ms = o.stall_timeout_ms > 0 ? o.stall_timeout_ms : 0;
    x.cancel = o.cancel;
    x.cancel_arg = o.cancel_arg;

    struct curl_slist *list = NULL;
    for (size_t i = 0; headers && headers[i]; i++) {
        if (strpbrk(headers[i], "\r\n")) {
            snprintf(resp->error, sizeof(resp->error), "a request header contains a line break");
            curl_slist_free_all(list);
            return -1;
        }
        struct curl_slist *grown = curl_slist_append(list, headers[i]);
        if (!grown) {
            snprintf(resp->error, sizeof(resp->error), "out of memory");
            curl_slist_free_all(list);
            return -1;
        }
        list = grown;
    }
    if (post) {
        struct curl_slist *grown = curl_slist_append(list, "Expect:"); /* no 100-continue */
        if (grown)
            list = grown;
    }
    CURL *curl = curl_easy_init();
    if (!curl) {
        snprintf(resp->error, sizeof(resp->error), "curl_easy_init failed");
        resp->curl_code = CURLE_FAILED_INIT;
        curl_slist_free_all(list);
        return -1;
    }
    char errbuf[CURL_ERROR_SIZE];
    errbuf[0] = '\0';
    curl_easy_setopt(curl, CURLOPT_URL, url);
    if (list)
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                     o.connect_timeout_ms > 0 ? o.connect_timeout_ms
                                              : CW_HTTP_DEFAULT_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                     o.timeout_ms > 0 ? o.timeout_ms : CW_HTTP_DEFAULT_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x.max_response);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, s_write_cb);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, s_header_cb);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &x);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, s_progress_cb);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &x);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    if (post) {
        curl_easy_setopt(curl, CURLOPT_POST, 1L);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? strlen(body) : 0));
    }
    CURLcode rc = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp->status);
    resp->curl_code = (int)rc;
    if (rc == CURLE_FILESIZE_EXCEEDED)
        resp->overflow = true;
    /* an answer may end without a newline */
    if (x.on_line && x.line.len > 0 && !resp->overflow && !resp->aborted && !resp->interrupted &&
        !resp->stalled && !resp->cancelled) {
        if (s_emit_line(&x) != 0 && rc == CURLE_OK)
            rc = CURLE_WRITE_ERROR;
    }
    if (rc != CURLE_OK) {
        switch (rc) {
        case CURLE_COULDNT_CONNECT:
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_PARTIAL_FILE:
        case CURLE_SSL_CONNECT_ERROR:
            resp->transport_error = !resp->aborted && !resp->interrupted && !resp->overflow;
            break;
        default:
            break;
        }
        resp->timed_out = rc == CURLE_OPERATION_TIMEDOUT || resp->stalled;
        if (resp->stalled) /* like a timeout: the server stopped answering */
            resp->transport_error = true;
        if (rc == CURLE_WRITE_ERROR && !resp->overflow && !resp->aborted)
            snprintf(errbuf, sizeof(errbuf), "out of memory reading the answer");
        s_set_error(resp, url, rc, errbuf, &x);
    }
    curl_easy_cleanup(curl);
    curl_slist_free_all(list);
    cw_buf_free(&x.line);
    if (x.body.data) /* NULL when nothing arrived */
        resp->body = cw_buf_take(&x.body, &resp->body_len);
    cw_buf_free(&x.body);
    return rc == CURLE_OK ? 0 : -1;
}

int cw_http_post(const char *url, const char *const *headers, const char *body,
                 const cw_http_options_t *opts, cw_http_response_t *resp)
{
    return s_perform(url, headers, true, body, opts, resp);
}

int cw_http_get(const char *url, const char *const *headers, const cw_http_options_t *opts,
                cw_http_response_t *resp)
{
    return s_perform(url, headers, false, NULL, opts, resp);
}

void cw_http_response_clear(cw_http_response_t *resp)
{
    if (!resp)
        return;
    free(resp->body);
    memset(resp, 0, sizeof(*resp));
    resp->retry_after_s = -1;
}
