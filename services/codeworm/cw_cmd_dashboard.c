/*  `codeworm dashboard`: serve the web dashboard (runs codeworm-dashboard in place of
    this process). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cw_cli_int.h"

static int s_cmd_dashboard(cw_cli_t *cli, int argc, char **argv)
{
    const char *host = NULL, *port = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = strcmp(a, "--host") == 0   ? &host
                            : strcmp(a, "--port") == 0 ? &port
                                                       : NULL;
        if (slot) {
            if (i + 1 >= argc || !argv[i + 1][0])
                return cw_cli_usage_error("dashboard", "%s needs a value", a);
            *slot = argv[++i];
        } else if (strncmp(a, "--host=", 7) == 0 && a[7])
            host = a + 7;
        else if (strncmp(a, "--port=", 7) == 0 && a[7])
            port = a + 7;
        else
            return cw_cli_usage_error("dashboard", "unknown option '%s'", a);
    }
    long port_number = 0;
    if (port && !cw_cli_parse_int(port, 1, 65535, &port_number))
        return cw_cli_usage_error("dashboard", "--port must be a number from 1 to 65535, not '%s'",
                                  port);
    /* the configuration is checked here, so that its errors read as the other commands' */
    int rc = 0;
    cw_config_t *config = cw_cli_load(cli, 0, &rc);
    if (!config)
        return rc;
    char bin_dir[PATH_MAX];
    if (cw_cli_bin_dir(bin_dir, sizeof(bin_dir)) != 0) {
        fprintf(stderr, "codeworm: cannot find the directory of the service programs "
                        "(set CW_BIN_DIR)\n");
        cw_config_destroy(&config);
        return 2;
    }
    char program[PATH_MAX + 32];
    snprintf(program, sizeof(program), "%s/codeworm-dashboard", bin_dir);
    const char *shown_host = host ? host : config->dashboard.host;
    bool any = strcmp(shown_host, "0.0.0.0") == 0 || strcmp(shown_host, "::") == 0;
    printf("CodeWorm dashboard: http://%s%s%s:%ld/%s (Ctrl-C stops it)\n",
           strchr(shown_host, ':') ? "[" : "", any ? "<this host>" : shown_host,
           strchr(shown_host, ':') ? "]" : "", port ? port_number : (long)config->dashboard.port,
           any ? " on every interface" : "");
    fflush(stdout);
    cw_config_destroy(&config);
    char *args[10];
    int n = 0;
    args[n++] = program;
    args[n++] = "--config";
    args[n++] = (char *)(cli->config_dir ? cli->config_dir : "config");
    if (cli->debug)
        args[n++] = "--debug";
    if (host) {
        args[n++] = "--host";
        args[n++] = (char *)host;
    }
    if (port) {
        args[n++] = "--port";
        args[n++] = (char *)port;
    }
    args[n] = NULL;
    execv(program, args);
    fprintf(stderr, "codeworm: cannot start %s: %s (build it, or set CW_BIN_DIR)\n", program,
            strerror(errno));
    return 2;
}

const cw_cli_command_t cw_cmd_dashboard = {
    "dashboard",
    "dashboard [--host HOST] [--port PORT]",
    "serve the web dashboard",
    "Serve the read-only web dashboard (codeworm-dashboard): what the stack is doing now,\n"
    "recent documents, statistics, a 30-day activity chart, service health and a live\n"
    "event feed, with the JSON API under /api/. It reads the ledger (<data_dir>/codeworm.db)\n"
    "and listens to the bus; without a running stack it still shows what was documented.\n"
    "Default address: dashboard.host:dashboard.port (127.0.0.1:8420). `codeworm run`\n"
    "starts it with the stack when dashboard.enabled is true.\n"
    "Exit 1 when it cannot listen (address in use), 2 on a configuration error.",
    "  --host HOST           address to listen on (dashboard.host; 0.0.0.0 = every\n"
    "                        interface: anyone who reaches it can read your DevLog)\n"
    "  --port PORT           port (dashboard.port)\n",
    s_cmd_dashboard};
