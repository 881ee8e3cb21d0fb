/*  codeworm-dashboard — the read-only web dashboard (libmicrohttpd): page, JSON API and
    live events from the bus. See cw_dashboard.h. */
#include <signal.h>
#include <stdio.h>

#include "cw_dashboard.h"
#include "cw_log.h"
#include "cw_service.h"

int main(int argc, char **argv)
{
    const char *host = NULL, *port = NULL;
    char err[512] = "";
    if (cw_dashboard_take_options(&argc, argv, &host, &port, err, sizeof(err)) != 0) {
        fprintf(stderr, "codeworm-dashboard: %s (see --help)\n", err);
        return 2;
    }
    cw_service_info_t info = {
        .name = "dashboard",
        .summary = "The read-only CodeWorm dashboard: a web page with what the stack is doing now, "
                   "recent documents, statistics by repository, doc type and language, a 30-day "
                   "activity chart, service health and a live event feed, plus the JSON API "
                   "(/api/stats, /api/recent, /api/activity, /api/repos, /api/languages, "
                   "/api/health, /api/status) and server-sent events (/api/events). Serves on "
                   "dashboard.host:dashboard.port (127.0.0.1:8420); --host HOST and --port PORT "
                   "override them.",
        .need_repos = false};
    cw_config_t *config = cw_service_start(&info, argc, argv);
    /* a reload (SIGHUP, which `codeworm run` passes on) must not end the dashboard; its own
       settings take a restart (docs/ARCHITECTURE.md) */
    signal(SIGHUP, SIG_IGN);
    if ((host && cw_config_set(config, "dashboard.host", host, err, sizeof(err)) != 0) ||
        (port && cw_config_set(config, "dashboard.port", port, err, sizeof(err)) != 0)) {
        fprintf(stderr, "codeworm-dashboard: %s\n", err);
        cw_config_destroy(&config);
        return 2;
    }
    cw_dashboard_t *dashboard = cw_dashboard_new(config, err, sizeof(err));
    if (!dashboard) {
        cw_error("dashboard_start_failed", CW_LS("error", err), CW_LEND);
        fprintf(stderr, "codeworm-dashboard: %s\n", err);
        cw_config_destroy(&config);
        return 1;
    }
    cw_dashboard_run(dashboard);
    cw_info("dashboard_stopping", CW_LEND);
    cw_dashboard_destroy(&dashboard);
    cw_config_destroy(&config);
    return 0;
}
