/*  codeworm-broker — the bus: request broker (ROUTER) and event proxy (XSUB -> XPUB). */
#include <czmq.h>
#include <unistd.h>

#include "cw_broker.h"
#include "cw_bus.h"
#include "cw_log.h"
#include "cw_proto.h"
#include "cw_service.h"

int main(int argc, char **argv)
{
    cw_service_info_t info = {
        .name = "broker",
        .summary =
            "The CodeWorm bus: a Majordomo-style request broker on bus.broker (ROUTER) that "
            "queues requests per service and hands them to idle workers, and the event proxy "
            "from bus.events_in (XSUB) to bus.events_out (XPUB).",
        .need_repos = false};
    cw_config_t *config = cw_service_start(&info, argc, argv);
    cw_broker_t *broker = cw_broker_new_config(config);
    if (!broker) {
        cw_config_destroy(&config);
        return 1;
    }
    cw_publisher_t *events = cw_publisher_new(config->bus.events_in, "broker");
    cw_value_t *fields = cw_value_new_map();
    cw_map_set_int(fields, "pid", (int64_t)getpid());
    cw_map_set_str(fields, "version", CW_VERSION);
    if (events)
        cw_publisher_send(events, CW_EV_SERVICE_STARTED, &fields);
    cw_value_destroy(&fields);

    cw_broker_run(broker);

    if (events) {
        fields = cw_value_new_map();
        cw_map_set_int(fields, "pid", (int64_t)getpid());
        cw_map_set_str(fields, "reason", "signal");
        cw_publisher_send(events, CW_EV_SERVICE_STOPPING, &fields);
    }
    cw_info("broker_stopping", CW_LEND);
    cw_publisher_destroy(&events);
    cw_broker_destroy(&broker);
    cw_config_destroy(&config);
    return 0;
}
