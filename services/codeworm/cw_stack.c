/*  cw_stack — the processes that `run`, `run-once` and `backfill` start: binaries, the
    children's config directory, the supervisor, and waiting until the workers are there. */
#include <czmq.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cw_bus.h"
#include "cw_cli_int.h"
#include "cw_preflight.h"
#include "cw_log.h"
#include "cw_proto.h"
/* ------------------------------------------------------------------ stack plumbing */
void cw_stack_cleanup(cw_stack_t *stack)
{
    if (!stack->tmp_dir[0])
        return;
    const char *names[] = {"config.yaml", "prompts.yaml", ".env", "repos.yaml"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char p[PATH_MAX + 32];
        snprintf(p, sizeof(p), "%s/%s", stack->tmp_dir, names[i]);
        unlink(p);
    }
    rmdir(stack->tmp_dir);
    stack->tmp_dir[0] = '\0';
}

/* Work out binaries, the config dir for the children and their environment. 0 or 2. */
int cw_stack_prepare(cw_cli_t *cli, const cw_config_t *config, cw_stack_t *stack)
{
    memset(stack, 0, sizeof(*stack));
    if (cw_cli_bin_dir(stack->bin_dir, sizeof(stack->bin_dir)) != 0) {
        fprintf(stderr, "codeworm: cannot find the directory of the service programs "
                        "(set CW_BIN_DIR)\n");
        return 2;
    }
    const char *dir = cli->config_dir ? cli->config_dir : "config";
    char real[PATH_MAX];
    if (!realpath(dir, real))
        snprintf(real, sizeof(real), "%s", dir); /* missing dir = defaults; keep as given */
    snprintf(stack->config_dir, sizeof(stack->config_dir), "%s", real);
    if (cli->repo_count > 0) {
        const char *tmp = getenv("TMPDIR");
        snprintf(stack->tmp_dir, sizeof(stack->tmp_dir), "%s/codeworm-config-XXXXXX",
                 tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(stack->tmp_dir)) {
            fprintf(stderr, "codeworm: cannot create a temporary config directory: %s\n",
                    strerror(errno));
            stack->tmp_dir[0] = '\0';
            return 2;
        }
        const char *links[] = {"config.yaml", "prompts.yaml", ".env"};
        for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
            char src[PATH_MAX + 32], dst[PATH_MAX + 32];
            snprintf(src, sizeof(src), "%s/%s", real, links[i]);
            snprintf(dst, sizeof(dst), "%s/%s", stack->tmp_dir, links[i]);
            if (access(src, F_OK) == 0 && symlink(src, dst) != 0) {
                fprintf(stderr, "codeworm: cannot link %s: %s\n", src, strerror(errno));
                cw_stack_cleanup(stack);
                return 2;
            }
        }
        char repos[PATH_MAX + 32];
        snprintf(repos, sizeof(repos), "%s/repos.yaml", stack->tmp_dir);
        if (cw_cli_write_repos_yaml(config, repos) != 0) {
            fprintf(stderr, "codeworm: cannot write %s\n", repos);
            cw_stack_cleanup(stack);
            return 2;
        }
        snprintf(stack->config_dir, sizeof(stack->config_dir), "%s", stack->tmp_dir);
    }
    if (cli->devlog)
        setenv("CODEWORM_DEVLOG__REPO_PATH", config->devlog.repo_path, 1);
    return 0;
}

cw_config_t *cw_stack_begin(cw_cli_t *cli, const char *command, int argc, char **argv,
                            cw_stack_t *stack, int *rc)
{
    *rc = cw_cli_parse_run_options(cli, command, argc, argv);
    if (*rc)
        return NULL;
    cw_config_t *config = cw_cli_load(cli, 1, rc);
    if (!config)
        return NULL;
    *rc = cw_stack_prepare(cli, config, stack);
    if (*rc)
        cw_config_destroy(&config);
    return config;
}

/* Add codeworm-<service> to the supervisor. Returns the index or -1 (message printed).
   The scheduler of a dry run gets --dry-run. */
static int s_stack_add(cw_supervisor_t *sup, cw_cli_t *cli, const cw_stack_t *stack,
                       const char *service, const char *child_name, bool print_only)
{
    char program[PATH_MAX + 32];
    snprintf(program, sizeof(program), "%s/codeworm-%s", stack->bin_dir, service);
    const char *dry = cli->dry_run && strcmp(service, "scheduler") == 0 ? "--dry-run" : NULL;
    char *argv[6] = {program, "--config", (char *)stack->config_dir, NULL, NULL, NULL};
    int n = 3;
    if (cli->debug)
        argv[n++] = "--debug";
    if (dry)
        argv[n++] = (char *)dry;
    if (print_only) {
        printf("  %-12s %s --config %s%s%s\n", child_name, program, stack->config_dir,
               cli->debug ? " --debug" : "", dry ? " --dry-run" : "");
        return 0;
    }
    if (access(program, X_OK) != 0) {
        fprintf(stderr,
                "codeworm: %s is missing or not executable (build it, or set "
                "CW_BIN_DIR)\n",
                program);
        return -1;
    }
    return cw_supervisor_add(sup, child_name, argv);
}

bool cw_cli_tcp_endpoint(const char *endpoint, char *host, size_t hostlen, char *port,
                         size_t portlen)
{
    if (!endpoint || strncmp(endpoint, "tcp://", 6) != 0)
        return false;
    const char *rest = endpoint + 6;
    const char *colon = strrchr(rest, ':');
    if (!colon || !colon[1] || (size_t)(colon - rest) >= hostlen || strlen(colon + 1) >= portlen)
        return false;
    const char *h = rest;
    size_t n = (size_t)(colon - rest);
    if (n >= 2 && h[0] == '[' && h[n - 1] == ']') { /* [::1] */
        h++;
        n -= 2;
    }
    memcpy(host, h, n);
    host[n] = '\0';
    snprintf(port, portlen, "%s", colon + 1);
    return true;
}

/* Wait until something listens on a tcp:// endpoint (or an ipc:// socket file exists),
   without ZeroMQ, up to timeout_ms. true when it does. */
bool cw_cli_wait_endpoint(const char *endpoint, int timeout_ms)
{
    struct timespec nap = {0, 50 * 1000000L};
    int waited = 0;
    if (strncmp(endpoint, "ipc://", 6) == 0) {
        for (; waited < timeout_ms; waited += 50) {
            if (access(endpoint + 6, F_OK) == 0)
                return true;
            nanosleep(&nap, NULL);
        }
        return false;
    }
    if (strncmp(endpoint, "tcp://", 6) != 0) {
        nanosleep(&(struct timespec){0, 300 * 1000000L}, NULL);
        return false;
    }
    char host[256], port[16];
    if (!cw_cli_tcp_endpoint(endpoint, host, sizeof(host), port, sizeof(port)))
        return false;
    const char *h = host;
    if (strcmp(h, "*") == 0 || strcmp(h, "0.0.0.0") == 0)
        h = "127.0.0.1";
    for (; waited < timeout_ms; waited += 50) {
        struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
        if (getaddrinfo(h, port, &hints, &res) == 0 && res) {
            int fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, 0);
            bool up = fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) == 0;
            if (fd >= 0)
                close(fd);
            freeaddrinfo(res);
            if (up)
                return true;
        }
        nanosleep(&nap, NULL);
    }
    return false;
}

int64_t cw_cli_service_workers(const cw_value_t *status, const char *service)
{
    const cw_value_t *services = cw_map_get(status, "services");
    const cw_value_t *entry = services ? cw_map_get(services, service) : NULL;
    return entry ? cw_map_int(entry, "workers", 0) : 0;
}

bool cw_cli_interrupted(void)
{
    return zsys_interrupted || cw_supervisor_signalled();
}
/* ------------------------------------------------------------------ run */
int cw_stack_generator_count(const cw_config_t *config)
{
    int n = config->generator.instances;
    if (n < 1)
        n = 1;
    if (n > CW_CLI_MAX_GENERATORS) {
        cw_warn("generator_instances_capped", CW_LI("configured", n),
                CW_LI("started", CW_CLI_MAX_GENERATORS), CW_LEND);
        n = CW_CLI_MAX_GENERATORS;
    }
    return n;
}
void cw_stack_print_plan(cw_cli_t *cli, const cw_config_t *config, cw_stack_t *stack, bool full)
{
    printf("Plan (nothing is started):\n");
    printf("  bus broker   %s\n", config->bus.broker);
    s_stack_add(NULL, cli, stack, "broker", "broker", true);
    s_stack_add(NULL, cli, stack, "analyzer", "analyzer", true);
    int n = cw_stack_generator_count(config);
    for (int g = 1; g <= n; g++) {
        char name[32];
        snprintf(name, sizeof(name), n > 1 ? "generator-%d" : "generator", g);
        s_stack_add(NULL, cli, stack, "generator", name, true);
    }
    s_stack_add(NULL, cli, stack, "committer", "committer", true);
    if (full) {
        s_stack_add(NULL, cli, stack, "scheduler", "scheduler", true);
        s_stack_add(NULL, cli, stack, "notifier", "notifier", true);
        if (config->dashboard.enabled)
            s_stack_add(NULL, cli, stack, "dashboard", "dashboard", true);
    }
    if (cli->devlog)
        printf("  environment  CODEWORM_DEVLOG__REPO_PATH=%s\n", config->devlog.repo_path);
    printf("  devlog       %s\n", config->devlog.repo_path);
    for (size_t i = 0; i < config->repo_count; i++)
        printf("  repository   %s  %s  (weight %d)\n", config->repos[i].name, config->repos[i].path,
               config->repos[i].weight);
}

void cw_stack_print_summary(cw_cli_t *cli, const cw_config_t *config, FILE *out)
{
    fprintf(out, "Starting CodeWorm %s%s\n", CW_VERSION,
            cli->dry_run ? " [DRY RUN: documents are generated and logged, never committed]" : "");
    const char *remote = config->devlog.remote;
    fprintf(out, "  DevLog:        %s (%s%s%s)\n", config->devlog.repo_path,
            remote && *remote ? "pushes to " : "never pushed: devlog.remote is empty",
            remote && *remote ? remote : "", "");
    size_t present = 0;
    for (size_t i = 0; i < config->repo_count; i++)
        present += cw_config_repo_exists(&config->repos[i]);
    fprintf(out, "  Repositories:  %zu", present);
    const char *sep = " - ";
    for (size_t i = 0; i < config->repo_count; i++) {
        const cw_repo_t *r = &config->repos[i];
        if (!cw_config_repo_exists(r))
            continue;
        fprintf(out, "%s%s (%s, weight %d)", sep, r->name, r->path, r->weight);
        sep = ", ";
    }
    fprintf(out, "\n");
    for (size_t i = 0; i < config->repo_count; i++)
        if (!cw_config_repo_exists(&config->repos[i]))
            fprintf(out, "                 skipped, missing: %s (%s, %s)\n", config->repos[i].name,
                    config->repos[i].path, cw_config_repo_origin(config, i));
    const char *backend =
        config->llm.backend && *config->llm.backend ? config->llm.backend : "ollama";
    if (strcmp(backend, "offline") == 0)
        fprintf(out,
                "  LLM:           offline (no LLM: documents are written from the analysis)\n");
    else if (strcmp(backend, "openai") == 0)
        fprintf(out, "  LLM:           openai, model %s at %s\n",
                config->openai.model && *config->openai.model ? config->openai.model : "(unset)",
                config->openai.base_url);
    else
        fprintf(out, "  LLM:           ollama, model %s at http://%s:%d\n", config->ollama.model,
                config->ollama.host, config->ollama.port);
    if (!config->schedule.enabled)
        fprintf(out, "  Schedule:      disabled (schedule.enabled: false): no cycles run\n");
    else if (config->schedule.interval_seconds > 0)
        fprintf(out, "  Schedule:      a cycle every %g s (schedule.interval_seconds)\n",
                config->schedule.interval_seconds);
    else
        fprintf(out,
                "  Schedule:      human-like, %d-%d commits a day in %s (weekends x%.2f, at "
                "least %d min apart)\n",
                config->schedule.min_commits_per_day, config->schedule.max_commits_per_day,
                config->schedule.timezone, config->schedule.weekend_reduction,
                config->schedule.min_gap_minutes);
    fprintf(out, "  Bus:           %s (events in %s, out %s)\n", config->bus.broker,
            config->bus.events_in, config->bus.events_out);
    int n = cw_stack_generator_count(config);
    fprintf(out,
            "  Services:      broker, analyzer, generator%s%.0d, committer, scheduler, notifier\n",
            n > 1 ? " x" : "", n > 1 ? n : 0);
    fprintf(out, "  Data:          %s (`codeworm status` shows the services)\n", config->data_dir);
    fflush(out);
}

/* Build the supervisor for the stack; NULL (message printed) on error. */
cw_supervisor_t *cw_stack_supervisor(cw_cli_t *cli, const cw_config_t *config, cw_stack_t *stack,
                                     bool full)
{
    cw_supervisor_t *sup = cw_supervisor_new();
    if (!sup)
        return NULL;
    bool ok = s_stack_add(sup, cli, stack, "broker", "broker", false) >= 0 &&
              s_stack_add(sup, cli, stack, "analyzer", "analyzer", false) >= 0;
    int n = cw_stack_generator_count(config);
    for (int g = 1; ok && g <= n; g++) {
        char name[32];
        snprintf(name, sizeof(name), n > 1 ? "generator-%d" : "generator", g);
        ok = s_stack_add(sup, cli, stack, "generator", name, false) >= 0;
    }
    ok = ok && s_stack_add(sup, cli, stack, "committer", "committer", false) >= 0;
    if (full)
        ok = ok && s_stack_add(sup, cli, stack, "scheduler", "scheduler", false) >= 0 &&
             s_stack_add(sup, cli, stack, "notifier", "notifier", false) >= 0;
    /* the web dashboard (dashboard.enabled), supervised like the others */
    if (full && config->dashboard.enabled)
        ok = ok && s_stack_add(sup, cli, stack, "dashboard", "dashboard", false) >= 0;
    if (!ok)
        cw_supervisor_destroy(&sup);
    return sup;
}

/* Broker first, a short wait until it listens (at most 1 s), then the rest. */
int cw_stack_start(cw_supervisor_t *sup, const cw_config_t *config)
{
    if (cw_supervisor_start_child(sup, 0) != 0)
        return -1;
    if (!cw_cli_wait_endpoint(config->bus.broker, 1000))
        cw_info("broker_not_listening_yet", CW_LS("endpoint", config->bus.broker), CW_LEND);
    return cw_supervisor_start(sup);
}

/* ------------------------------------------------------------------ run-once */
static const char *s_needed[] = {CW_SERVICE_ANALYZER, CW_SERVICE_GENERATOR, CW_SERVICE_COMMITTER};

/* Missing services as "a, b" into out; true when every one has a worker. */
bool cw_stack_ready(const cw_value_t *status, char *missing, size_t len)
{
    missing[0] = '\0';
    for (size_t i = 0; i < 3; i++) {
        if (status && cw_cli_service_workers(status, s_needed[i]) > 0)
            continue;
        size_t used = strlen(missing);
        snprintf(missing + used, len - used, "%s%s", used ? ", " : "", s_needed[i]);
    }
    return missing[0] == '\0';
}

/* The supervisor's child for a service (the first generator for "generator"), or -1. */
static int s_child_of(cw_supervisor_t *sup, const char *service)
{
    int i = cw_supervisor_find(sup, service);
    if (i < 0 && strcmp(service, "generator") == 0)
        i = cw_supervisor_find(sup, "generator-1");
    return i;
}

/* "the committer did not start: exit code 1 (3 attempts); last error: ..." */
static void s_report_child(cw_supervisor_t *sup, const char *service, const char *fallback)
{
    int i = sup ? s_child_of(sup, service) : -1;
    char last_error[CW_SUPERVISOR_ERROR_MAX] = "", last_exit[64] = "";
    if (i >= 0) {
        cw_supervisor_last_error(sup, i, last_error, sizeof(last_error));
        cw_supervisor_last_exit(sup, i, last_exit, sizeof(last_exit));
    }
    if (i < 0 || (!last_error[0] && !last_exit[0])) {
        fprintf(stderr, "codeworm: %s\n", fallback);
        return;
    }
    int starts = cw_supervisor_starts(sup, i);
    fprintf(stderr, "codeworm: the %s did not start", service);
    if (last_exit[0])
        fprintf(stderr, " (%s; started %d time%s)", last_exit, starts, starts == 1 ? "" : "s");
    else
        fprintf(stderr, " (it is running but never registered)");
    fprintf(stderr, ": %s\n", last_error[0] ? last_error : "it wrote no error line");
}

/* A needed child (broker or a worker service) that failed at start again and again. */
static bool s_keeps_failing(cw_supervisor_t *sup)
{
    const char *needed[] = {"broker", "analyzer", "generator", "committer"};
    for (size_t k = 0; sup && k < 4; k++) {
        int i = s_child_of(sup, needed[k]);
        if (i >= 0 && cw_supervisor_failures(sup, i) >= CW_SUPERVISOR_REPORT_AFTER)
            return true;
    }
    return false;
}

int cw_stack_wait_workers(const cw_config_t *config, cw_supervisor_t *sup, int timeout_ms)
{
    cw_client_t *client = cw_client_new(config->bus.broker);
    if (!client) {
        fprintf(stderr, "codeworm: cannot connect to the broker at %s\n", config->bus.broker);
        return -1;
    }
    int64_t deadline = zclock_mono() + timeout_ms;
    char missing[128] = "analyzer, generator, committer";
    bool broker_seen = false, gave_up = false;
    int rc = -1;
    while (!cw_cli_interrupted() && zclock_mono() < deadline) {
        if (sup)
            cw_supervisor_poll(sup);
        cw_value_t *status = cw_client_broker_status(client, CW_CLI_STATUS_TIMEOUT_MS);
        if (status)
            broker_seen = true;
        bool ready = cw_stack_ready(status, missing, sizeof(missing));
        cw_value_destroy(&status);
        if (ready) {
            rc = 0;
            break;
        }
        if (s_keeps_failing(sup)) {
            gave_up = true;
            break;
        }
        zclock_sleep(250);
    }
    cw_client_destroy(&client);
    if (rc == 0)
        return 0;
    if (sup)
        cw_supervisor_flush(sup);
    if (cw_cli_interrupted()) {
        fprintf(stderr, "codeworm: interrupted while waiting for the stack\n");
        return -1;
    }
    char fallback[512];
    if (!broker_seen) {
        snprintf(fallback, sizeof(fallback), "the broker did not come up at %s within %d s",
                 config->bus.broker, timeout_ms / 1000);
        s_report_child(sup, "broker", fallback);
        return -1;
    }
    if (!gave_up)
        fprintf(stderr,
                "codeworm: timed out after %d s waiting for workers of: %s (no worker "
                "registered with the broker at %s)%s\n",
                timeout_ms / 1000, missing, config->bus.broker,
                sup ? "" : "; `codeworm status` says why when `codeworm run` supervises them");
    for (size_t k = 0; sup && k < 3; k++) {
        if (!strstr(missing, s_needed[k]))
            continue;
        snprintf(fallback, sizeof(fallback), "no %s worker registered with the broker at %s",
                 s_needed[k], config->bus.broker);
        s_report_child(sup, s_needed[k], fallback);
    }
    return -1;
}

/* ------------------------------------------------------------------ run-once, backfill */
int cw_stack_ensure(cw_cli_t *cli, const cw_config_t *config, cw_stack_t *stack,
                    const char *log_name, cw_supervisor_t **sup_out, int64_t *generators_out)
{
    *sup_out = NULL;
    if (generators_out)
        *generators_out = 0;
    /* Is a stack already running on this bus? (The ZeroMQ context created here does not
       hurt the children below: they exec right after fork.) */
    bool use_existing = false, broker_up = false;
    char missing[128] = "";
    cw_client_t *client = cw_client_new(config->bus.broker);
    if (client) {
        cw_value_t *status = cw_client_broker_status(client, CW_CLI_STATUS_TIMEOUT_MS);
        broker_up = status != NULL;
        use_existing = status && cw_stack_ready(status, missing, sizeof(missing));
        if (use_existing && generators_out)
            *generators_out = cw_cli_service_workers(status, CW_SERVICE_GENERATOR);
        cw_value_destroy(&status);
        cw_client_destroy(&client);
    }
    if (use_existing) {
        cw_info("stack", CW_LS("mode", "existing"), CW_LS("broker", config->bus.broker), CW_LEND);
        return 0;
    }
    if (broker_up) {
        /* a broker answers but some services have no worker yet: maybe starting up */
        cw_info("stack_waiting", CW_LS("missing", missing), CW_LEND);
        if (cw_stack_wait_workers(config, NULL, CW_CLI_STACK_TIMEOUT_MS) != 0)
            return 2;
        if (generators_out)
            *generators_out = 1;
        return 0;
    }
    /* a private stack: what would stop it is said before anything starts */
    if (cw_preflight_run(config, CW_PREFLIGHT_ALL, stderr) > 0)
        return CW_EXIT_ERROR;
    cw_supervisor_t *sup = cw_stack_supervisor(cli, config, stack, false);
    if (!sup)
        return 2;
    char log_path[PATH_MAX];
    if (!cli->debug && cw_config_data_path(config, log_name, log_path, sizeof(log_path)) == 0) {
        cw_supervisor_set_output(sup, log_path);
        fprintf(stderr, "codeworm: starting a private stack (service logs: %s)\n", log_path);
    }
    if (cw_stack_start(sup, config) != 0 ||
        cw_stack_wait_workers(config, sup, CW_CLI_STACK_TIMEOUT_MS) != 0) {
        cw_supervisor_stop(sup, CW_SUPERVISOR_GRACE_MS);
        cw_supervisor_destroy(&sup);
        return 2;
    }
    if (generators_out)
        *generators_out = cw_stack_generator_count(config);
    *sup_out = sup;
    return 0;
}
