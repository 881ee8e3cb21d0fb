/*  cw_http — the one HTTP client of CodeWorm (libcurl underneath), for the LLM backends
    (services/generator), Telegram and webhooks (services/notifier).

    One call = one exchange, no state kept between calls (curl_global_init runs once,
    on first use). Every exchange:
      - speaks http and https only, follows no redirect (a 3xx is returned as it is),
        never raises signals (CURLOPT_NOSIGNAL), has a connect and an overall timeout;
      - keeps at most max_response bytes of the answer; beyond that it stops reading and
        fails with `overflow` set (the status line, when it arrived, is still reported);
      - or, with an on_line callback, hands the answer over line by line as it arrives
        (NDJSON streams): each complete line without its "\n" or "\r\n" (NUL-terminated;
        a last line without '\n' is handed over when the answer ends), at most max_line bytes
        (longer: overflow), max_response bytes in total; a nonzero return aborts;
      - with stall_timeout_ms, fails (`stalled`) when no byte has arrived for that long once
        the answer has started (a server that sent "200 OK" and half a stream, then went
        silent); the wait for the first byte is bounded by timeout_ms only, because an LLM
        may think for minutes before its first token;
      - with a cancel callback, stops (`cancelled`) as soon as it returns true (checked at
        least once a second);
      - parses a Retry-After header (seconds, or an HTTP date) into retry_after_s;
      - writes errors that never contain the URL's path, query or user info: a URL may
        carry a secret (Telegram's /bot<token>/..., webhook keys). Header values (an
        Authorization header) are never put into an error either.                    */
#ifndef CW_HTTP_H
#define CW_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define CW_HTTP_DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define CW_HTTP_DEFAULT_TIMEOUT_MS 60000L
#define CW_HTTP_DEFAULT_MAX_RESPONSE (1024 * 1024)
#define CW_HTTP_DEFAULT_MAX_LINE (1024 * 1024)
#define CW_HTTP_MAX_RETRY_AFTER_S 3600

/* One line of a streamed answer (len bytes, line[len] == '\0'). Nonzero aborts. */
typedef int(cw_http_line_fn)(const char *line, size_t len, void *arg);

typedef struct {
    long connect_timeout_ms;  /* <= 0: CW_HTTP_DEFAULT_CONNECT_TIMEOUT_MS */
    long timeout_ms;          /* the whole exchange; <= 0: CW_HTTP_DEFAULT_TIMEOUT_MS */
    size_t max_response;      /* answer bytes; 0: CW_HTTP_DEFAULT_MAX_RESPONSE */
    cw_http_line_fn *on_line; /* stream line by line instead of keeping the body */
    void *line_arg;
    size_t max_line;           /* 0: CW_HTTP_DEFAULT_MAX_LINE */
    const volatile int *stop;  /* abort as soon as *stop != 0 (e.g. &zsys_interrupted) */
    long stall_timeout_ms;     /* <= 0: none; no answer byte for this long ends the exchange */
    bool (*cancel)(void *arg); /* NULL: none; true = give up now */
    void *cancel_arg;
} cw_http_options_t;

typedef struct {
    long status; /* HTTP status, 0 when no answer arrived */
    char *body;  /* malloc'd, NUL-terminated (NULL with on_line or no body) */
    size_t body_len;
    long retry_after_s;   /* Retry-After in seconds (0..3600), -1 if absent */
    bool transport_error; /* no (complete) answer: refused, unresolved, timed out, broken */
    bool timed_out;
    bool overflow;    /* the answer (or one line) was larger than allowed */
    bool aborted;     /* on_line asked to stop */
    bool interrupted; /* *stop became nonzero */
    bool stalled;     /* the answer stopped coming for stall_timeout_ms (also timed_out) */
    bool cancelled;   /* the cancel callback said so */
    int curl_code;    /* CURLcode, for diagnostics */
    char error[256];  /* why the call failed; never contains secrets */
} cw_http_response_t;

/* POST `body` (NULL = empty) with extra `headers` ("Name: value", NULL-terminated array,
   may be NULL; no Content-Type is added for you). opts NULL = defaults.
   Returns 0 when a complete answer arrived (whatever its status), -1 otherwise (resp->error
   says why; resp->status is set if the status line had arrived). Always clear resp. */
int cw_http_post(const char *url, const char *const *headers, const char *body,
                 const cw_http_options_t *opts, cw_http_response_t *resp);
/* GET, same contract. */
int cw_http_get(const char *url, const char *const *headers, const cw_http_options_t *opts,
                cw_http_response_t *resp);
/* Free the body and reset resp (idempotent). */
void cw_http_response_clear(cw_http_response_t *resp);

#endif
