/*  `codeworm status`: the broker's view of services, workers and queues. */
#include <czmq.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cw_cli_int.h"
#include "cw_bus.h"
#include "cw_value.h"

static int s_cmd_status(cw_cli_t *cli, int argc, char **argv)
{
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else
            return cw_cli_usage_error("status", "unknown option '%s'", argv[i]);
    }
    int rc = 0;
    cw_config_t *config = cw_cli_load(cli, 0, &rc);
    if (!config)
        return rc;
    cw_client_t *client = cw_client_new(config->bus.broker);
    cw_value_t *status = client ? cw_client_broker_status(client, 1500) : NULL;
    cw_client_destroy(&client);
    if (!status) {
        printf("no broker at %s\n", config->bus.broker);
        cw_config_destroy(&config);
        return 1;
    }
    if (json) {
        char *text = cw_value_to_json(status);
        printf("%s\n", text ? text : "{}");
        free(text);
    } else {
        printf("broker at %s\n%-20s %8s %6s %7s\n", config->bus.broker, "SERVICE", "WORKERS",
               "BUSY", "QUEUED");
        const cw_value_t *services = cw_map_get(status, "services");
        size_t n = services ? cw_value_size(services) : 0;
        for (size_t i = 0; i < n; i++) {
            const cw_value_t *s = cw_map_value_at(services, i);
            printf("%-20s %8lld %6lld %7lld\n", cw_map_key_at(services, i),
                   (long long)cw_map_int(s, "workers", 0), (long long)cw_map_int(s, "busy", 0),
                   (long long)cw_map_int(s, "queued", 0));
        }
        if (n == 0)
            printf("(no services registered)\n");
    }
    cw_value_destroy(&status);
    cw_config_destroy(&config);
    return 0;
}

const cw_cli_command_t cw_cmd_status = {
    "status",
    "status [--json]",
    "broker status: services, workers, queued requests",
    "Ask the broker which services have workers and how many requests are queued.\n"
    "Exit 1 with \"no broker at <endpoint>\" when none answers.",
    "  --json                the broker's status reply as JSON\n",
    s_cmd_status};
