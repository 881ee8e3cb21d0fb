/*  `codeworm status`: the broker's view of services, workers and queues, and every
    expected service that is absent, with why when `codeworm run` supervises the stack
    (it keeps its children's state in <data_dir>/supervisor.json). */
#include <czmq.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cw_bus.h"
#include "cw_cli_int.h"
#include "cw_json.h"
#include "cw_log.h"
#include "cw_value.h"

#define S_STATE_MAX (256 * 1024)

/* The supervisor's state file, if a live `codeworm run` wrote it. raw_out: the text. */
static cw_value_t *s_read_state(const cw_config_t *config, char **raw_out)
{
    *raw_out = NULL;
    char path[PATH_MAX];
    if (cw_cli_supervisor_state_path(config, false, path, sizeof(path)) != 0)
        return NULL;
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *text = malloc(S_STATE_MAX + 1);
    size_t n = text ? fread(text, 1, S_STATE_MAX, f) : 0;
    fclose(f);
    if (!text)
        return NULL;
    text[n] = '\0';
    char err[64];
    cw_value_t *state = cw_json_parse(text, n, err, sizeof(err));
    double pid = cw_map_float(state, "pid", 0);
    /* a state left by a supervisor that is gone says nothing about now */
    bool alive = pid > 1 && pid < 1e9 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
    if (!state || cw_value_kind(state) != CW_VAL_MAP || !alive) {
        cw_value_destroy(&state);
        free(text);
        return NULL;
    }
    *raw_out = text;
    return state;
}

/* Does the supervisor run a child of `service` ("generator" also "generator-2")? The
   first matching child, running ones first. */
static const cw_value_t *s_child(const cw_value_t *state, const char *service)
{
    const cw_value_t *children = cw_map_get(state, "children");
    const cw_value_t *found = NULL;
    size_t len = strlen(service);
    for (size_t i = 0; i < cw_value_size(children); i++) {
        const cw_value_t *c = cw_array_at(children, i);
        const char *name = cw_map_str(c, "name", "");
        bool match =
            strcmp(name, service) == 0 || (strncmp(name, service, len) == 0 && name[len] == '-');
        if (!match)
            continue;
        if (!found || (cw_map_bool(c, "running", false) && !cw_map_bool(found, "running", false)))
            found = c;
    }
    return found;
}

/* Why `service` is absent, from the supervisor's view of its child. */
static void s_reason(const cw_value_t *child, bool worker, char *out, size_t len)
{
    const char *last_error = cw_map_str(child, "last_error", "");
    const char *last_exit = cw_map_str(child, "last_exit", "");
    long failures = (long)cw_map_float(child, "consecutive_failures", 0);
    const char *restart_at = cw_map_str(child, "restart_at", "");
    if (cw_map_bool(child, "running", false))
        snprintf(out, len, "running (pid %ld) but %s%s%s", (long)cw_map_float(child, "pid", 0),
                 worker ? "not registered with the broker" : "not answering",
                 last_error[0] ? "; last error: " : "", last_error);
    else
        snprintf(out, len, "not running: %s%s%ld failure%s in a row%s%s%s%s",
                 last_exit[0] ? last_exit : "never started", last_exit[0] ? ", " : "", failures,
                 failures == 1 ? "" : "s", restart_at[0] ? ", next try at " : "", restart_at,
                 last_error[0] ? "; last error: " : "; it wrote no error line", last_error);
}

typedef struct {
    const char *service;
    char reason[1200];
    const cw_value_t *child; /* may be NULL */
    bool unknown;            /* not a bus worker and no supervisor to tell */
} s_absent_t;

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
    char *raw = NULL;
    cw_value_t *state = s_read_state(config, &raw);

    /* which expected services are absent, and why */
    const char *expected[8];
    int nexpected = cw_cli_expected_services(config, expected);
    s_absent_t absent[8];
    int nabsent = 0;
    for (int i = 0; i < nexpected; i++) {
        const char *svc = expected[i];
        bool is_broker = strcmp(svc, "broker") == 0;
        bool worker =
            !strcmp(svc, "analyzer") || !strcmp(svc, "generator") || !strcmp(svc, "committer");
        const cw_value_t *child = state ? s_child(state, svc) : NULL;
        bool present;
        if (is_broker)
            present = status != NULL;
        else if (worker)
            present = status && cw_cli_service_workers(status, svc) > 0;
        else
            present = child && cw_map_bool(child, "running", false);
        if (present)
            continue;
        s_absent_t *a = &absent[nabsent++];
        memset(a, 0, sizeof(*a));
        a->service = svc;
        a->child = child;
        if (child)
            s_reason(child, worker, a->reason, sizeof(a->reason));
        else if (state)
            snprintf(a->reason, sizeof(a->reason), "`codeworm run` does not start it here");
        else if (is_broker)
            snprintf(a->reason, sizeof(a->reason), "no broker answers at %s", config->bus.broker);
        else if (worker)
            snprintf(a->reason, sizeof(a->reason),
                     "no worker registered with the broker (no `codeworm run` here to say why: "
                     "see the service's own log)");
        else {
            a->unknown = true;
            snprintf(a->reason, sizeof(a->reason),
                     "not a bus worker: the broker cannot see it, and no `codeworm run` here "
                     "keeps its state");
        }
    }

    if (json) {
        cw_buf_t b;
        cw_buf_init(&b, 0);
        char *body = status ? cw_json_encode(status) : NULL;
        if (body && body[0] == '{' && strlen(body) > 2) {
            body[strlen(body) - 1] = '\0'; /* the reply's own fields first */
            cw_buf_puts(&b, body);
        } else
            cw_buf_puts(&b, "{");
        free(body);
        cw_json_put_key(&b, "broker");
        cw_json_put_str(&b, config->bus.broker);
        cw_json_put_key(&b, "reachable");
        cw_buf_puts(&b, status ? "true" : "false");
        cw_json_put_key(&b, "expected");
        cw_buf_puts(&b, "[");
        for (int i = 0; i < nexpected; i++) {
            if (i)
                cw_buf_puts(&b, ",");
            cw_json_put_str(&b, expected[i]);
        }
        cw_buf_puts(&b, "]");
        cw_json_put_key(&b, "absent");
        cw_buf_puts(&b, "[");
        for (int i = 0; i < nabsent; i++) {
            cw_buf_puts(&b, i ? ",{" : "{");
            cw_json_put_key(&b, "service");
            cw_json_put_str(&b, absent[i].service);
            cw_json_put_key(&b, "reason");
            cw_json_put_str(&b, absent[i].reason);
            cw_json_put_key(&b, "known");
            cw_buf_puts(&b, absent[i].unknown ? "false" : "true");
            cw_json_put_key(&b, "last_error");
            cw_json_put_str(&b, cw_map_str(absent[i].child, "last_error", ""));
            cw_json_put_key(&b, "last_exit");
            cw_json_put_str(&b, cw_map_str(absent[i].child, "last_exit", ""));
            cw_buf_puts(&b, "}");
        }
        cw_buf_puts(&b, "]");
        cw_json_put_key(&b, "supervisor");
        /* the state file as written (it parsed as JSON above) */
        size_t raw_len = raw ? strlen(raw) : 0;
        while (raw_len > 0 && (raw[raw_len - 1] == '\n' || raw[raw_len - 1] == ' '))
            raw[--raw_len] = '\0';
        cw_buf_puts(&b, raw ? raw : "null");
        cw_buf_puts(&b, "}");
        char *text = cw_buf_take(&b, NULL);
        printf("%s\n", text ? text : "{}");
        free(text);
    } else {
        if (status) {
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
        } else
            printf("no broker at %s\n", config->bus.broker);
        if (state)
            printf("\nsupervised by `codeworm run` (pid %.0f, since %s)\n",
                   cw_map_float(state, "pid", 0), cw_map_str(state, "started_at", "?"));
        bool header = false;
        for (int i = 0; i < nabsent; i++) {
            if (absent[i].unknown)
                continue;
            if (!header)
                printf("\nabsent:\n");
            header = true;
            printf("  %-11s %s\n", absent[i].service, absent[i].reason);
        }
        header = false;
        for (int i = 0; i < nabsent; i++) {
            if (!absent[i].unknown)
                continue;
            if (!header)
                printf("\nnot visible here (they are not bus workers and no `codeworm run` "
                       "keeps their state):\n ");
            header = true;
            printf(" %s", absent[i].service);
        }
        if (header)
            printf("\n");
    }
    cw_value_destroy(&state);
    free(raw);
    bool up = status != NULL;
    cw_value_destroy(&status);
    cw_config_destroy(&config);
    return up ? 0 : 1;
}

const cw_cli_command_t cw_cmd_status = {
    "status",
    "status [--json]",
    "services, workers, queued requests, and what is missing and why",
    "Ask the broker which services have workers and how many requests are queued, and\n"
    "list every expected service that is absent (broker, analyzer, generator, committer,\n"
    "scheduler, notifier, and dashboard when dashboard.enabled). When `codeworm run`\n"
    "supervises the stack it keeps its children's state in <data_dir>/supervisor.json,\n"
    "and status says why a service is absent: not running (its last exit and error) or\n"
    "running but not registered.\n"
    "exit status: 0 the broker answers, 1 no broker answers (\"no broker at <endpoint>\")",
    "  --json                one JSON object: the broker's status reply plus broker,\n"
    "                        reachable, expected, absent [{service, reason, last_error,\n"
    "                        last_exit}] and supervisor (its state file, or null)\n",
    s_cmd_status};
