/*  cw_dashboard — codeworm-dashboard: a read-only web dashboard on libmicrohttpd.

        GET /                  the page (embedded; HTML + CSS + JS, no CDN)
        GET /api/...           JSON (cw_dash_api.h)
        GET /api/events        server-sent events: the kept events, then the live ones
                               (Last-Event-ID resumes); at most CW_DASH_MAX_STREAMS at once
        GET /devlog/<path>     a DevLog document, escaped into a page (?raw=1: text/plain)
        GET /health            {"status":"healthy"}

    A bus thread subscribes to bus.events_out (every event goes into cw_dash_state) and
    asks the broker for its status every CW_DASH_STATUS_EVERY_MS (service health). The
    ledger is read per request, read-only. Only GET and HEAD are answered (405 otherwise).
    Bound to a loopback address, only requests whose Host header names a loopback host
    are answered (a web page elsewhere cannot read the dashboard through DNS rebinding).

    One thread per connection (a live feed blocks in its own thread), at most
    CW_DASH_MAX_CONNECTIONS connections; an idle connection closes after
    CW_DASH_IDLE_TIMEOUT_S seconds; a live feed sends a comment every
    CW_DASH_KEEPALIVE_MS so that a closed browser is noticed.                          */
#ifndef CW_DASHBOARD_H
#define CW_DASHBOARD_H

#include <stdbool.h>
#include <stdint.h>

#include "cw_config.h"
#include "cw_dash_state.h"

#define CW_DASH_MAX_CONNECTIONS 64
#define CW_DASH_MAX_STREAMS 16
#define CW_DASH_IDLE_TIMEOUT_S 30
#define CW_DASH_KEEPALIVE_MS 15000
#define CW_DASH_STATUS_EVERY_MS 3000

typedef struct _cw_dashboard_t cw_dashboard_t;

/* Listen on dashboard.host:dashboard.port (port 0: any free port) and start the bus
   thread. NULL on failure, with the reason in err ("cannot listen on 127.0.0.1:8420:
   Address already in use"). The config must outlive the dashboard. */
cw_dashboard_t *cw_dashboard_new(const cw_config_t *config, char *err, size_t errlen);
/* Stop serving (open live feeds end), stop the bus thread, free. */
void cw_dashboard_destroy(cw_dashboard_t **self_p);

/* The port it listens on. */
int cw_dashboard_port(cw_dashboard_t *self);
/* Its view of the bus (for tests). */
cw_dash_state_t *cw_dashboard_state(cw_dashboard_t *self);

/* Serve until zsys_interrupted. Returns 0. */
int cw_dashboard_run(cw_dashboard_t *self);

/* codeworm-dashboard's own options: removes `--host H` / `--port N` (also `--host=H`,
   `--port=N`) from argv, keeping the rest for cw_service_start. 0, or -1 with err when one
   lacks its value. *host / *port stay NULL when not given. */
int cw_dashboard_take_options(int *argc, char **argv, const char **host, const char **port,
                              char *err, size_t errlen);

#endif
