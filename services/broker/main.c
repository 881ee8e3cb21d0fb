/*  codeworm-broker — the bus: request broker (ROUTER) and event proxy (XSUB -> XPUB). */
#include <stdio.h>
#include <string.h>

#include "cw_broker.h"
#include "cw_bus.h"
#include "cw_log.h"
#include "cw_proto.h"
#include "cw_service.h"

int main(int argc, char **argv)
{
    /* codeworm-broker --gen-keys: print a CURVE key pair for bus.curve.* and exit */
    if (argc == 2 && strcmp(argv[1], "--gen-keys") == 0) {
        if (cw_broker_print_keypair(stdout) == 0)
            return 0;
        fprintf(stderr, "codeworm-broker: this libzmq cannot make CURVE keys\n");
        return 1;
    }
    cw_service_info_t info = {
        .name = "broker",
        .summary =
            "The CodeWorm bus: a Majordomo-style request broker on bus.broker (ROUTER) that "
            "queues requests per service and hands them to idle workers, and the event proxy "
            "from bus.events_in (XSUB) to bus.events_out (XPUB).",
        .need_repos = false};
    cw_config_t *config = cw_service_start(&info, argc, argv);
    /* never expose the bus by accident: a plain bind beyond loopback needs CURVE or
       bus.allow_insecure (a configuration error: exit 2 like the others) */
    char why[1024];
    if (cw_config_check_bus_exposure(config, why, sizeof(why)) != 0) {
        fprintf(stderr, "codeworm-broker: %s\n", why);
        cw_config_destroy(&config);
        return 2;
    }
    cw_broker_t *broker = cw_broker_new_config(config);
    if (!broker) {
        cw_config_destroy(&config);
        return 1;
    }
    /* its own events go out on its own XPUB: see cw_broker_set_announce */
    cw_broker_set_announce(broker, true);

    cw_broker_run(broker);

    cw_info("broker_stopping", CW_LEND);
    cw_broker_announce_stopping(broker, "signal");
    cw_broker_destroy(&broker);
    cw_config_destroy(&config);
    return 0;
}
