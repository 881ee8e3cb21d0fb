/*  codeworm-analyzer — the "analyzer" worker: answers analyze_request with the best
    documentation targets of the configured repositories. */
#include "cw_analyzer.h"
#include "cw_bus.h"
#include "cw_log.h"
#include "cw_proto.h"
#include "cw_service.h"

static cw_value_t *s_handle(void *self, const cw_value_t *request)
{
    return cw_analyzer_handle(*(cw_analyzer_t **)self, request);
}

/* SIGHUP, between requests: an analyzer built from the new configuration (repositories,
   weights, analyzer.*) replaces the old one; its caches under data_dir stay valid. */
static int s_reload(void *self, const cw_config_t *config)
{
    cw_analyzer_t **analyzer = self;
    cw_analyzer_t *fresh = cw_analyzer_new(config);
    if (!fresh)
        return -1;
    cw_analyzer_destroy(analyzer);
    *analyzer = fresh;
    return 0;
}

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
    cw_analyzer_t *analyzer = cw_analyzer_new(config);
    cw_worker_t *worker = analyzer ? cw_worker_new(config->bus.broker, CW_SERVICE_ANALYZER) : NULL;
    cw_publisher_t *pub = cw_publisher_new(config->bus.events_in, CW_SERVICE_ANALYZER);
    int rc = 0;
    if (!analyzer || !worker) {
        cw_error("analyzer_start_failed", CW_LS("broker", config->bus.broker), CW_LEND);
        rc = 1;
    } else {
        cw_service_announce(pub, CW_EV_SERVICE_STARTED, NULL);
        cw_info("analyzer_ready", CW_LS("broker", config->bus.broker),
                CW_LI("repos", config->repo_count), CW_LEND);
        cw_service_serve_reload(worker, s_handle, NULL, s_reload, &analyzer, &config);
        cw_info("analyzer_stopping", CW_LEND);
        cw_service_announce(pub, CW_EV_SERVICE_STOPPING, "signal");
    }
    cw_publisher_destroy(&pub);
    cw_worker_destroy(&worker);
    cw_analyzer_destroy(&analyzer);
    cw_config_destroy(&config);
    return rc;
}
