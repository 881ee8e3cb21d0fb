/*  codeworm-notifier — subscribes to every bus event and turns failures into alerts
    (Telegram, webhook), with rate limit, dedup, retries and a dead man's switch. */
#include <curl/curl.h>
#include <czmq.h>

#include "cw_bus.h"
#include "cw_log.h"
#include "cw_notifier.h"
#include "cw_proto.h"
#include "cw_service.h"

static cw_config_t *s_config = NULL;

static int s_reload(void *self, const cw_config_t *config)
{
    return cw_notifier_reload((cw_notifier_t *)self, config);
}

/* between events: SIGHUP reloads telegram.* and webhook.* */
static void s_idle(cw_notifier_t *notifier, void *arg)
{
    (void)arg;
    cw_service_reload_step(&s_config, s_reload, notifier);
}

int main(int argc, char **argv)
{
    cw_service_info_t info = {
        .name = "notifier",
        .summary = "Subscribes to the CodeWorm bus and sends alerts (Telegram, webhook) when "
                   "documentation stops making progress: LLM unavailable, repeated cycle "
                   "failures, blocked or failing pushes, and no commit for 45 minutes.",
        .need_repos = false,
    };
    cw_config_t *config = cw_service_start(&info, argc, argv);
    if (!config)
        return 2;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = 1;
    cw_notifier_t *notifier = cw_notifier_new(config);
    cw_subscriber_t *subscriber = cw_subscriber_new(config->bus.events_out, "");
    cw_publisher_t *publisher = cw_publisher_new(config->bus.events_in, "notifier");
    if (notifier && subscriber) {
        cw_service_announce(publisher, CW_EV_SERVICE_STARTED, NULL);
        s_config = config;
        cw_notifier_set_idle_hook(notifier, s_idle, NULL);
        rc = cw_notifier_run(notifier, subscriber) == 0 ? 0 : 1;
        config = s_config;
        cw_service_announce(publisher, CW_EV_SERVICE_STOPPING, "signal");
    } else
        cw_error("notifier_start_failed", CW_LS("events_out", config->bus.events_out), CW_LEND);
    cw_publisher_destroy(&publisher);
    cw_subscriber_destroy(&subscriber);
    cw_notifier_destroy(&notifier);
    cw_config_destroy(&config);
    curl_global_cleanup();
    return rc;
}
