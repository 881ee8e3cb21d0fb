/*  codeworm-committer — the only owner of the DevLog repository and of the ledger.
    Thin: options and config via cw_service_start, the logic lives in cw_committer.c. */
#include "cw_bus.h"
#include "cw_committer.h"
#include "cw_log.h"
#include "cw_proto.h"
#include "cw_service.h"

typedef struct {
    cw_committer_t *committer;
    cw_publisher_t *publisher;
} s_app_t;

static cw_value_t *s_handle(void *self, const cw_value_t *request)
{
    return cw_committer_handle(((s_app_t *)self)->committer, request);
}

/* SIGHUP, between requests: a committer opened with the new configuration (DevLog, remote,
   token, author, data_dir) replaces the old one; if it cannot open them, the old stays. */
static int s_reload(void *self, const cw_config_t *config)
{
    s_app_t *app = self;
    cw_committer_t *fresh = cw_committer_new(config, app->publisher);
    if (!fresh)
        return -1;
    cw_committer_destroy(&app->committer);
    app->committer = fresh;
    return 0;
}

static int64_t s_tick(void *self)
{
    return cw_committer_tick(((s_app_t *)self)->committer);
}

int main(int argc, char **argv)
{
    cw_service_info_t info = {
        .name = "committer",
        .summary = "The committer worker: the only owner of the DevLog git repository and of "
                   "the ledger. Writes each documentation file, commits it, pushes it to "
                   "devlog.remote, and answers dedup and stats queries.",
        .need_repos = false,
        .need_devlog = true};
    cw_config_t *config = cw_service_start(&info, argc, argv);
    if (!config)
        return 2;
    cw_publisher_t *publisher = cw_publisher_new(config->bus.events_in, CW_SERVICE_COMMITTER);
    cw_committer_t *committer = cw_committer_new(config, publisher);
    cw_worker_t *worker =
        committer ? cw_worker_new(config->bus.broker, CW_SERVICE_COMMITTER) : NULL;
    int rc = 0;
    if (!committer || !worker) {
        cw_error("service_start_failed", CW_LS("service", "committer"), CW_LEND);
        rc = 1;
    } else {
        cw_service_announce(publisher, CW_EV_SERVICE_STARTED, NULL);
        cw_info("service_started", CW_LS("service", "committer"),
                CW_LS("broker", config->bus.broker), CW_LEND);
        s_app_t app = {committer, publisher};
        cw_service_serve_reload(worker, s_handle, s_tick, s_reload, &app, &config);
        committer = app.committer;
        cw_info("service_stopping", CW_LS("service", "committer"), CW_LEND);
        cw_service_announce(publisher, CW_EV_SERVICE_STOPPING, "signal");
    }
    cw_worker_destroy(&worker);
    cw_committer_destroy(&committer);
    cw_publisher_destroy(&publisher);
    cw_config_destroy(&config);
    return rc;
}
