/*  `codeworm events`: print bus events as they happen. */
#include <czmq.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cw_cli_int.h"
#include "cw_bus.h"
#include "cw_json.h"
#include "cw_value.h"

static void s_print_event(const cw_value_t *ev)
{
    const char *ts = cw_map_str(ev, "timestamp", "");
    const char *time_part = strchr(ts, 'T');
    char hhmmss[16] = "";
    if (time_part)
        snprintf(hhmmss, sizeof(hhmmss), "%.8s", time_part + 1);
    printf("%-8s %-24s %-10s", hhmmss, cw_map_str(ev, "type", "?"), cw_map_str(ev, "service", "?"));
    size_t n = cw_value_size(ev);
    for (size_t i = 0; i < n; i++) {
        const char *key = cw_map_key_at(ev, i);
        if (!strcmp(key, "v") || !strcmp(key, "type") || !strcmp(key, "service") ||
            !strcmp(key, "timestamp"))
            continue;
        const cw_value_t *v = cw_map_value_at(ev, i);
        if (cw_value_kind(v) == CW_VAL_STR) {
            const char *s = cw_value_str(v);
            int len = (int)strcspn(s, "\r\n");
            if (len > 160)
                len = 160;
            printf(" %s=%.*s%s", key, len, s, s[len] ? "..." : "");
        } else {
            char *json = cw_json_encode(v);
            printf(" %s=%.200s", key, json ? json : "?");
            free(json);
        }
    }
    printf("\n");
}

#define S_RECHECK_MS 5000

static bool s_broker_answers(cw_client_t *client)
{
    cw_value_t *status = client ? cw_client_broker_status(client, CW_CLI_STATUS_TIMEOUT_MS) : NULL;
    bool up = status != NULL;
    cw_value_destroy(&status);
    return up;
}

static int s_cmd_events(cw_cli_t *cli, int argc, char **argv)
{
    bool json = false;
    long count = 0;
    const char *filter = "";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0)
            json = true;
        else if (strcmp(a, "--count") == 0 && i + 1 < argc) {
            if (!cw_cli_parse_int(argv[++i], 1, LONG_MAX, &count))
                return cw_cli_usage_error("events", "--count must be a positive number, not '%s'",
                                          argv[i]);
        } else if (a[0] == '-')
            return cw_cli_usage_error("events", "unknown option or missing value: '%s'", a);
        else if (!*filter)
            filter = a;
        else
            return cw_cli_usage_error("events", "only one FILTER, got also '%s'", a);
    }
    int rc = 0;
    cw_config_t *config = cw_cli_load(cli, 0, &rc);
    if (!config)
        return rc;
    cw_subscriber_t *sub = cw_subscriber_new(config->bus.events_out, filter);
    if (!sub) {
        fprintf(stderr, "codeworm events: cannot subscribe to %s\n", config->bus.events_out);
        cw_config_destroy(&config);
        return 2;
    }
    /* A subscriber never learns that nobody publishes: ask the broker, and say so. */
    cw_client_t *client = cw_client_new(config->bus.broker);
    bool broker_up = s_broker_answers(client);
    if (!broker_up)
        fprintf(stderr,
                "codeworm events: no broker answers at %s: no events will arrive until the "
                "stack runs (`codeworm run`). Still listening on %s (Ctrl-C to stop).\n",
                config->bus.broker, config->bus.events_out);
    else if (isatty(STDERR_FILENO))
        fprintf(stderr, "Listening for %s%s events on %s (Ctrl-C to stop)\n",
                *filter ? filter : "all", *filter ? "*" : "", config->bus.events_out);
    long seen = 0;
    int64_t quiet_since = zclock_mono();
    while (!zsys_interrupted && (count == 0 || seen < count)) {
        cw_value_t *ev = cw_subscriber_recv(sub, 500);
        if (!ev) {
            /* after a quiet spell, look again: say when the broker goes or comes back */
            if (zclock_mono() - quiet_since >= S_RECHECK_MS) {
                quiet_since = zclock_mono();
                bool up = s_broker_answers(client);
                if (up != broker_up)
                    fprintf(stderr,
                            up ? "codeworm events: the broker at %s answers now\n"
                               : "codeworm events: the broker at %s stopped answering\n",
                            config->bus.broker);
                broker_up = up;
            }
            continue;
        }
        quiet_since = zclock_mono();
        if (json) {
            char *text = cw_json_encode(ev);
            if (text)
                printf("%s\n", text);
            free(text);
        } else
            s_print_event(ev);
        fflush(stdout);
        cw_value_destroy(&ev);
        seen++;
    }
    cw_client_destroy(&client);
    cw_subscriber_destroy(&sub);
    cw_config_destroy(&config);
    return (count > 0 && seen < count) ? 1 : 0;
}

const cw_cli_command_t cw_cmd_events = {
    "events",
    "events [--json] [--count N] [FILTER]",
    "print bus events as they happen",
    "Print bus events as they happen (until Ctrl-C or N events). FILTER is an event name\n"
    "prefix, e.g. cycle_ or documentation_committed. When no broker answers it says so\n"
    "on stderr and keeps listening; it tells again when the broker comes or goes.",
    "  --json                one JSON object per line\n"
    "  --count N             stop after N events (exit 1 if interrupted before)\n",
    s_cmd_events};
