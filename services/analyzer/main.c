/*  codeworm-analyzer — the "analyzer" worker: answers analyze_request with the best
    documentation targets of the configured repositories. */
#include <czmq.h>

#include "cw_analyzer.h"
#include "cw_bus.h"
#include "cw_log.h"
#include "cw_proto.h"
#include "cw_service.h"

int main(int argc, char **argv)
{
    cw_service_info_t info = {
        .name = "analyzer",
        .summary = "The analyzer worker: scans the configured repositories (tree-sitter, "
                   "libgit2) and answers analyze_request with scored documentation targets.",
        .need_repos = true};
    cw_config_t *config = cw_service_start(&info, argc, argv);
    if (!config)
        return 2;
    int rc = 0;
    cw_analyzer_t *analyzer = cw_analyzer_new(config);
    cw_worker_t *worker = analyzer ? cw_worker_new(config->bus.broker, CW_SERVICE_ANALYZER) : NULL;
    if (!analyzer || !worker) {
        cw_error("analyzer_start_failed", CW_LS("broker", config->bus.broker), CW_LEND);
        rc = 1;
    } else {
        cw_info("analyzer_ready", CW_LS("broker", config->bus.broker),
                CW_LI("repos", config->repo_count), CW_LEND);
    }
    while (rc == 0 && !zsys_interrupted) {
        cw_value_t *request = cw_worker_recv(worker, 1000);
        if (!request)
            continue;
        cw_value_t *reply = cw_analyzer_handle(analyzer, request);
        if (!reply)
            reply = cw_proto_new_error(cw_map_str(request, "job_id", ""), CW_ERR_INTERNAL,
                                       "out of memory", true);
        cw_value_destroy(&request);
        if (reply && cw_worker_send(worker, &reply) != 0)
            cw_warn("reply_not_sent", CW_LEND);
        cw_value_destroy(&reply);
    }
    cw_info("analyzer_stopping", CW_LEND);
    cw_worker_destroy(&worker);
    cw_analyzer_destroy(&analyzer);
    cw_config_destroy(&config);
    return rc;
}
