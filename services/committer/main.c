/*  codeworm-committer — the only owner of the DevLog repository and of the ledger.
    Thin: options and config via cw_service_start, the logic lives in cw_committer.c. */
#include <czmq.h>
#include <limits.h>
#include <unistd.h>

#include "cw_bus.h"
#include "cw_committer.h"
#include "cw_config.h"
#include "cw_log.h"
#include "cw_proto.h"
#include "cw_service.h"

static void s_publish_lifecycle(cw_publisher_t *pub, const char *event, const char *reason)
{
    cw_value_t *f = cw_value_new_map();
    if (!f)
        return;
    cw_map_set_int(f, "pid", (int64_t)getpid());
    if (reason)
        cw_map_set_str(f, "reason", reason);
    else
        cw_map_set_str(f, "version", CW_VERSION);
    cw_publisher_send(pub, event, &f);
    cw_value_destroy(&f);
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
    char err[512];
    if (cw_config_check(config, false, err, sizeof err) != 0) {
        fprintf(stderr, "codeworm-committer: %s\n", err);
        cw_config_destroy(&config);
        return 2;
    }
    cw_publisher_t *publisher = cw_publisher_new(config->bus.events_in, "committer");
    cw_committer_t *committer = cw_committer_new(config, publisher);
    cw_worker_t *worker =
        committer ? cw_worker_new(config->bus.broker, CW_SERVICE_COMMITTER) : NULL;
    if (!committer || !worker) {
        cw_error("service_start_failed", CW_LS("service", "committer"), CW_LEND);
        cw_worker_destroy(&worker);
        cw_committer_destroy(&committer);
        cw_publisher_destroy(&publisher);
        cw_config_destroy(&config);
        return 1;
    }
    if (publisher)
        s_publish_lifecycle(publisher, CW_EV_SERVICE_STARTED, NULL);
    cw_info("service_started", CW_LS("service", "committer"), CW_LS("broker", config->bus.broker),
            CW_LEND);

    while (!zsys_interrupted) {
        cw_value_t *request = cw_worker_recv(worker, 1000);
        if (!request)
            continue;
        cw_value_t *reply = cw_committer_handle(committer, request);
        if (reply)
            cw_worker_send(worker, &reply);
        cw_value_destroy(&reply);
        cw_value_destroy(&request);
    }

    cw_info("service_stopping", CW_LS("service", "committer"), CW_LEND);
    if (publisher)
        s_publish_lifecycle(publisher, CW_EV_SERVICE_STOPPING, "interrupted");
    cw_worker_destroy(&worker);
    cw_committer_destroy(&committer);
    cw_publisher_destroy(&publisher);
    cw_config_destroy(&config);
    return 0;
}
