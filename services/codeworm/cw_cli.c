/*  cw_cli — the `codeworm` command line: option parsing and every subcommand. */
#include "cw_cli.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <netdb.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cw_bus.h"
#include "cw_log.h"
#include "cw_proto.h"
#include "cw_schedule.h"
#include "cw_supervisor.h"
#include "cw_value.h"

/* libraries of other services (the codeworm binary links them all) */
#include "../analyzer/cw_analyzer.h"
#include "../committer/cw_devlog.h"
#include "../scheduler/cw_cycle.h"

#define CW_CLI_MAX_REPOS 64
#define CW_CLI_STACK_TIMEOUT_MS 20000
#define CW_CLI_STATUS_TIMEOUT_MS 1000

/* ------------------------------------------------------------------ context */
typedef struct {
    const char *config_dir; /* as given (default "config") */
    bool debug;
    /* run / run-once / init / stats / analyze options */
    const char *devlog;
    const char *repo_names[CW_CLI_MAX_REPOS];
    const char *repo_paths[CW_CLI_MAX_REPOS];
    int repo_count;
    bool dry_run;
} cw_cli_t;

typedef int(cw_cli_cmd_fn)(cw_cli_t *cli, int argc, char **argv);

typedef struct {
    const char *name;
    const char *usage;
    const char *brief; /* one line for the command list */
    const char *summary;
    const char *options;
    cw_cli_cmd_fn *fn;
} cw_cli_command_t;

static const cw_cli_command_t *s_find_command(const char *name);

/* ------------------------------------------------------------------ help */
static const char *s_global_usage =
    "usage: codeworm [--config DIR] [--debug] COMMAND [options]\n"
    "\n"
    "CodeWorm documents your code: it picks functions, classes and files worth writing\n"
    "about, has a local LLM document them and commits the markdown into a DevLog repository\n"
    "at human-like times.\n"
    "\n"
    "global options (before the command):\n"
    "  --config DIR   configuration directory (config.yaml, repos.yaml, prompts.yaml);\n"
    "                 default: config\n"
    "  --debug        debug logging (also passed to the services `run` starts)\n"
    "  -h, --help     this help\n"
    "\n"
    "commands:\n";

static void s_print_usage(FILE *out);

static void s_print_command_help(const cw_cli_command_t *cmd)
{
    printf("usage: codeworm [--config DIR] [--debug] %s\n\n%s\n", cmd->usage, cmd->summary);
    if (cmd->options && *cmd->options)
        printf("\noptions:\n%s", cmd->options);
    printf("  -h, --help            this help\n");
}

static bool s_is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

static int s_usage_error(const char *command, const char *fmt, const char *arg)
{
    fprintf(stderr, "codeworm %s: ", command);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'codeworm %s --help'.\n", command);
    return 2;
}

/* ------------------------------------------------------------------ helpers */
static bool s_parse_int(const char *s, long lo, long hi, long *out)
{
    if (!s || !*s)
        return false;
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* Shared by run / run-once / init / stats: --devlog, --repo, --dry-run. Returns 1 if the
   option at argv[*i] was consumed, 0 if not one of them, -1 (exit code 2) on error. */
static int s_parse_stack_option(cw_cli_t *cli, const char *command, int argc, char **argv, int *i,
                                bool allow_repo, bool allow_dry)
{
    const char *arg = argv[*i];
    if (strcmp(arg, "--devlog") == 0) {
        if (*i + 1 >= argc) {
            s_usage_error(command, "%s needs a PATH", arg);
            return -1;
        }
        cli->devlog = argv[++*i];
        return 1;
    }
    if (strncmp(arg, "--devlog=", 9) == 0) {
        cli->devlog = arg + 9;
        return 1;
    }
    if (allow_repo && strcmp(arg, "--repo") == 0) {
        if (*i + 2 >= argc) {
            s_usage_error(command, "%s needs a NAME and a PATH", arg);
            return -1;
        }
        if (cli->repo_count >= CW_CLI_MAX_REPOS) {
            s_usage_error(command, "too many %s options", arg);
            return -1;
        }
        cli->repo_names[cli->repo_count] = argv[*i + 1];
        cli->repo_paths[cli->repo_count] = argv[*i + 2];
        cli->repo_count++;
        *i += 2;
        return 1;
    }
    if (allow_dry && strcmp(arg, "--dry-run") == 0) {
        cli->dry_run = true;
        return 1;
    }
    return 0;
}

/* Load the config and apply the command-line overrides. Returns NULL with *rc set
   (2 config error, 1 "No repositories configured"). need: 0 nothing checked, 1 repos +
   devlog (cw_config_check), 2 devlog only. */
static cw_config_t *s_load(cw_cli_t *cli, int need, int *rc)
{
    char err[1024] = "";
    cw_config_t *config = cw_config_load(cli->config_dir, err, sizeof(err));
    if (!config) {
        fprintf(stderr, "codeworm: configuration error: %s\n", err);
        *rc = 2;
        return NULL;
    }
    if (cli->debug) {
        config->debug = true;
        cw_log_set_level(CW_LOG_DEBUG);
    } else if (config->debug)
        cw_log_set_level(CW_LOG_DEBUG);
    if (cli->devlog &&
        cw_config_set(config, "devlog.repo_path", cli->devlog, err, sizeof(err)) != 0) {
        fprintf(stderr, "codeworm: --devlog: %s\n", err);
        cw_config_destroy(&config);
        *rc = 2;
        return NULL;
    }
    for (int i = 0; i < cli->repo_count; i++) {
        if (cw_config_add_repo(config, cli->repo_names[i], cli->repo_paths[i], err, sizeof(err)) !=
            0) {
            fprintf(stderr, "codeworm: --repo: %s\n", err);
            cw_config_destroy(&config);
            *rc = 2;
            return NULL;
        }
    }
    int check = 0;
    if (need == 1)
        check = cw_config_check(config, true, err, sizeof(err));
    else if (need == 2)
        check = cw_config_check_devlog(config, err, sizeof(err));
    if (check == 0) /* CURVE on the bus: every socket from now on is a CURVE client */
        check = cw_bus_curve_from_config(config, err, sizeof(err));
    if (check != 0) {
        bool no_repos = strstr(err, "No repositories configured") != NULL;
        fprintf(stderr, "codeworm: %s\n", err);
        cw_config_destroy(&config);
        *rc = no_repos ? 1 : 2;
        return NULL;
    }
    return config;
}

int cw_cli_bin_dir(char *out, size_t outlen)
{
    const char *env = getenv("CW_BIN_DIR");
    if (env && *env) {
        if (strlen(env) >= outlen)
            return -1;
        strcpy(out, env);
        return 0;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return -1;
    exe[n] = '\0';
    char *dir = dirname(exe);
    if (strlen(dir) >= outlen)
        return -1;
    strcpy(out, dir);
    return 0;
}

/* YAML double-quoted scalar (control characters dropped). */
static void s_yaml_quoted(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\') {
            fputc('\\', f);
            fputc(*p, f);
        } else if (*p >= 0x20 && *p != 0x7f)
            fputc(*p, f);
    }
    fputc('"', f);
}

int cw_cli_write_repos_yaml(const cw_config_t *config, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "# written by `codeworm` for the services it starts\nrepositories:\n");
    for (size_t i = 0; i < config->repo_count; i++) {
        const cw_repo_t *r = &config->repos[i];
        fprintf(f, "  - name: ");
        s_yaml_quoted(f, r->name);
        fprintf(f, "\n    path: ");
        s_yaml_quoted(f, r->path);
        fprintf(f, "\n    weight: %d\n    enabled: %s\n", r->weight > 0 ? r->weight : 5,
                r->enabled ? "true" : "false");
    }
    int rc = ferror(f) ? -1 : 0;
    if (fclose(f) != 0)
        rc = -1;
    return rc;
}

/* ------------------------------------------------------------------ stack plumbing */
typedef struct {
    char bin_dir[PATH_MAX];
    char config_dir[PATH_MAX]; /* what the children get */
    char tmp_dir[PATH_MAX];    /* private config dir to remove, or "" */
} cw_stack_t;

static void s_stack_cleanup(cw_stack_t *stack)
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
static int s_stack_prepare(cw_cli_t *cli, const cw_config_t *config, cw_stack_t *stack)
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
                s_stack_cleanup(stack);
                return 2;
            }
        }
        char repos[PATH_MAX + 32];
        snprintf(repos, sizeof(repos), "%s/repos.yaml", stack->tmp_dir);
        if (cw_cli_write_repos_yaml(config, repos) != 0) {
            fprintf(stderr, "codeworm: cannot write %s\n", repos);
            s_stack_cleanup(stack);
            return 2;
        }
        snprintf(stack->config_dir, sizeof(stack->config_dir), "%s", stack->tmp_dir);
    }
    if (cli->devlog)
        setenv("CODEWORM_DEVLOG__REPO_PATH", config->devlog.repo_path, 1);
    return 0;
}

/* Add codeworm-<service> to the supervisor. Returns the index or -1 (message printed). */
static int s_stack_add(cw_supervisor_t *sup, cw_cli_t *cli, const cw_stack_t *stack,
                       const char *service, const char *child_name, bool print_only)
{
    char program[PATH_MAX + 32];
    snprintf(program, sizeof(program), "%s/codeworm-%s", stack->bin_dir, service);
    char *argv[] = {program, "--config", (char *)stack->config_dir, cli->debug ? "--debug" : NULL,
                    NULL};
    if (print_only) {
        printf("  %-12s %s --config %s%s\n", child_name, program, stack->config_dir,
               cli->debug ? " --debug" : "");
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

/* Wait until something listens on a tcp:// endpoint (or an ipc:// socket file exists),
   without ZeroMQ, up to timeout_ms. true when it does. */
static bool s_wait_endpoint(const char *endpoint, int timeout_ms)
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
    char host[256];
    snprintf(host, sizeof(host), "%s", endpoint + 6);
    char *colon = strrchr(host, ':');
    if (!colon)
        return false;
    *colon = '\0';
    const char *port = colon + 1;
    const char *h = host;
    if (strcmp(h, "*") == 0 || strcmp(h, "0.0.0.0") == 0)
        h = "127.0.0.1";
    if (h[0] == '[') { /* [::1] */
        h++;
        char *close = strchr(host, ']');
        if (close)
            *close = '\0';
    }
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

static int64_t s_service_workers(const cw_value_t *status, const char *service)
{
    const cw_value_t *services = cw_map_get(status, "services");
    const cw_value_t *entry = services ? cw_map_get(services, service) : NULL;
    return entry ? cw_map_int(entry, "workers", 0) : 0;
}

static bool s_interrupted(void)
{
    return zsys_interrupted || cw_supervisor_signalled();
}

/* ------------------------------------------------------------------ version */
static int s_cmd_version(cw_cli_t *cli, int argc, char **argv)
{
    (void)cli;
    for (int i = 1; i < argc; i++)
        return s_usage_error("version", "unexpected argument '%s'", argv[i]);
    printf("codeworm %s\n", CW_VERSION);
    return 0;
}

/* ------------------------------------------------------------------ init */
static int s_cmd_init(cw_cli_t *cli, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        int r = s_parse_stack_option(cli, "init", argc, argv, &i, false, false);
        if (r < 0)
            return 2;
        if (r == 0)
            return s_usage_error("init", "unknown option '%s'", argv[i]);
    }
    int rc = 0;
    cw_config_t *config = s_load(cli, 2, &rc);
    if (!config)
        return rc;
    const char *path = config->devlog.repo_path;
    const char *branch =
        config->devlog.branch && *config->devlog.branch ? config->devlog.branch : "main";
    char git_dir[PATH_MAX + 8];
    snprintf(git_dir, sizeof(git_dir), "%s/.git", path);
    bool existed = access(git_dir, F_OK) == 0;
    char err[1024] = "";
    if (cw_devlog_init(path, branch, err, sizeof(err)) != 0) {
        fprintf(stderr, "codeworm init: %s\n", err[0] ? err : "failed");
        cw_config_destroy(&config);
        return 2;
    }
    if (existed)
        printf("DevLog repository at %s already existed; layout checked (branch %s).\n", path,
               branch);
    else
        printf("Created the DevLog repository at %s (branch %s) with its layout.\n", path, branch);
    char db[PATH_MAX];
    if (cw_config_data_path(config, "codeworm.db", db, sizeof(db)) == 0)
        printf("Ledger: %s%s\n", db,
               access(db, F_OK) == 0 ? "" : " (created by the committer on first use)");
    cw_config_destroy(&config);
    return 0;
}

/* ------------------------------------------------------------------ run */
#define CW_CLI_MAX_GENERATORS 64

static int s_generator_count(const cw_config_t *config)
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
static void s_print_plan(cw_cli_t *cli, const cw_config_t *config, cw_stack_t *stack, bool full)
{
    printf("Plan (dry run: nothing is started):\n");
    printf("  bus broker   %s\n", config->bus.broker);
    s_stack_add(NULL, cli, stack, "broker", "broker", true);
    s_stack_add(NULL, cli, stack, "analyzer", "analyzer", true);
    int n = s_generator_count(config);
    for (int g = 1; g <= n; g++) {
        char name[32];
        snprintf(name, sizeof(name), n > 1 ? "generator-%d" : "generator", g);
        s_stack_add(NULL, cli, stack, "generator", name, true);
    }
    s_stack_add(NULL, cli, stack, "committer", "committer", true);
    if (full) {
        s_stack_add(NULL, cli, stack, "scheduler", "scheduler", true);
        s_stack_add(NULL, cli, stack, "notifier", "notifier", true);
    }
    if (cli->devlog)
        printf("  environment  CODEWORM_DEVLOG__REPO_PATH=%s\n", config->devlog.repo_path);
    printf("  devlog       %s\n", config->devlog.repo_path);
    for (size_t i = 0; i < config->repo_count; i++)
        printf("  repository   %s  %s  (weight %d)\n", config->repos[i].name, config->repos[i].path,
               config->repos[i].weight);
}

/* Build the supervisor for the stack; NULL (message printed) on error. */
static cw_supervisor_t *s_stack_supervisor(cw_cli_t *cli, const cw_config_t *config,
                                           cw_stack_t *stack, bool full)
{
    cw_supervisor_t *sup = cw_supervisor_new();
    if (!sup)
        return NULL;
    bool ok = s_stack_add(sup, cli, stack, "broker", "broker", false) >= 0 &&
              s_stack_add(sup, cli, stack, "analyzer", "analyzer", false) >= 0;
    int n = s_generator_count(config);
    for (int g = 1; ok && g <= n; g++) {
        char name[32];
        snprintf(name, sizeof(name), n > 1 ? "generator-%d" : "generator", g);
        ok = s_stack_add(sup, cli, stack, "generator", name, false) >= 0;
    }
    ok = ok && s_stack_add(sup, cli, stack, "committer", "committer", false) >= 0;
    if (full)
        ok = ok && s_stack_add(sup, cli, stack, "scheduler", "scheduler", false) >= 0 &&
             s_stack_add(sup, cli, stack, "notifier", "notifier", false) >= 0;
    if (!ok)
        cw_supervisor_destroy(&sup);
    return sup;
}

/* Broker first, a short wait until it listens (at most 1 s), then the rest. */
static int s_stack_start(cw_supervisor_t *sup, const cw_config_t *config)
{
    if (cw_supervisor_start_child(sup, 0) != 0)
        return -1;
    if (!s_wait_endpoint(config->bus.broker, 1000))
        cw_info("broker_not_listening_yet", CW_LS("endpoint", config->bus.broker), CW_LEND);
    return cw_supervisor_start(sup);
}

static int s_parse_run_options(cw_cli_t *cli, const char *command, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        int r = s_parse_stack_option(cli, command, argc, argv, &i, true, true);
        if (r < 0)
            return 2;
        if (r == 0)
            return s_usage_error(command, "unknown option '%s'", argv[i]);
    }
    return 0;
}

static int s_cmd_run(cw_cli_t *cli, int argc, char **argv)
{
    int rc = s_parse_run_options(cli, "run", argc, argv);
    if (rc)
        return rc;
    cw_config_t *config = s_load(cli, 1, &rc);
    if (!config)
        return rc;
    cw_stack_t stack;
    rc = s_stack_prepare(cli, config, &stack);
    if (rc) {
        cw_config_destroy(&config);
        return rc;
    }
    if (cli->dry_run) {
        s_print_plan(cli, config, &stack, true);
        s_stack_cleanup(&stack);
        cw_config_destroy(&config);
        return 0;
    }
    /* No ZeroMQ in this process: fork/exec only. */
    cw_supervisor_install_signals();
    cw_supervisor_t *sup = s_stack_supervisor(cli, config, &stack, true);
    if (!sup) {
        s_stack_cleanup(&stack);
        cw_config_destroy(&config);
        return 2;
    }
    cw_info("stack_starting", CW_LS("config", stack.config_dir), CW_LS("bin_dir", stack.bin_dir),
            CW_LI("children", cw_supervisor_count(sup)), CW_LEND);
    if (s_stack_start(sup, config) != 0)
        cw_warn("stack_start_incomplete", CW_LS("reason", "a fork failed; retrying"), CW_LEND);
    cw_supervisor_run(sup, -1);
    cw_info("stack_stopping", CW_LS("reason", "signal"), CW_LEND);
    cw_supervisor_stop(sup, CW_SUPERVISOR_GRACE_MS);
    cw_supervisor_destroy(&sup);
    s_stack_cleanup(&stack);
    cw_config_destroy(&config);
    return 0;
}

/* ------------------------------------------------------------------ run-once */
static const char *s_needed[] = {CW_SERVICE_ANALYZER, CW_SERVICE_GENERATOR, CW_SERVICE_COMMITTER};

/* Missing services as "a, b" into out; true when every one has a worker. */
static bool s_stack_ready(const cw_value_t *status, char *missing, size_t len)
{
    missing[0] = '\0';
    for (size_t i = 0; i < 3; i++) {
        if (status && s_service_workers(status, s_needed[i]) > 0)
            continue;
        size_t used = strlen(missing);
        snprintf(missing + used, len - used, "%s%s", used ? ", " : "", s_needed[i]);
    }
    return missing[0] == '\0';
}

/* Poll the broker until every needed service has a worker. 0 ready, -1 timeout/interrupt
   (message printed). */
static int s_wait_workers(const cw_config_t *config, cw_supervisor_t *sup, int timeout_ms)
{
    cw_client_t *client = cw_client_new(config->bus.broker);
    if (!client) {
        fprintf(stderr, "codeworm: cannot connect to the broker at %s\n", config->bus.broker);
        return -1;
    }
    int64_t deadline = zclock_mono() + timeout_ms;
    char missing[128] = "analyzer, generator, committer";
    bool broker_seen = false;
    int rc = -1;
    while (!s_interrupted() && zclock_mono() < deadline) {
        if (sup)
            cw_supervisor_poll(sup);
        cw_value_t *status = cw_client_broker_status(client, CW_CLI_STATUS_TIMEOUT_MS);
        if (status)
            broker_seen = true;
        bool ready = s_stack_ready(status, missing, sizeof(missing));
        cw_value_destroy(&status);
        if (ready) {
            rc = 0;
            break;
        }
        zclock_sleep(250);
    }
    cw_client_destroy(&client);
    if (rc != 0) {
        if (s_interrupted())
            fprintf(stderr, "codeworm: interrupted while waiting for the stack\n");
        else if (!broker_seen)
            fprintf(stderr, "codeworm: the broker did not come up at %s within %d s\n",
                    config->bus.broker, timeout_ms / 1000);
        else
            fprintf(stderr,
                    "codeworm: timed out after %d s waiting for workers of: %s "
                    "(no worker registered with the broker at %s)\n",
                    timeout_ms / 1000, missing, config->bus.broker);
    }
    return rc;
}

static int s_report_outcome(const cw_cycle_outcome_t *o)
{
    switch (o->result) {
    case CW_CYCLE_COMMITTED:
        printf("Committed %s\n  path:   %s\n  target: %s (%s, %s)\n", o->commit, o->path, o->target,
               o->doc_type, o->repo);
        return 0;
    case CW_CYCLE_SKIPPED:
        printf("Nothing to document: %s\n", o->reason[0] ? o->reason : "no candidates left");
        return 1;
    case CW_CYCLE_LLM_DOWN:
        printf("LLM unavailable: %s\n", o->reason[0] ? o->reason : "the generator cannot reach it");
        return 1;
    case CW_CYCLE_FAILED:
    default:
        fprintf(stderr, "codeworm run-once: cycle failed%s%s: %s\n", o->step[0] ? " at " : "",
                o->step, o->reason[0] ? o->reason : "unknown error");
        return 2;
    }
}

static int s_cmd_run_once(cw_cli_t *cli, int argc, char **argv)
{
    int rc = s_parse_run_options(cli, "run-once", argc, argv);
    if (rc)
        return rc;
    cw_config_t *config = s_load(cli, 1, &rc);
    if (!config)
        return rc;
    cw_stack_t stack;
    rc = s_stack_prepare(cli, config, &stack);
    if (rc) {
        cw_config_destroy(&config);
        return rc;
    }
    if (cli->dry_run) {
        printf("run-once: uses the stack on %s if one answers with analyzer, generator and "
               "committer workers; otherwise starts this private one:\n",
               config->bus.broker);
        s_print_plan(cli, config, &stack, false);
        s_stack_cleanup(&stack);
        cw_config_destroy(&config);
        return 0;
    }
    /* Is a stack already running on this bus? (The ZeroMQ context created here does not
       hurt the children below: they exec right after fork.) */
    bool use_existing = false, broker_up = false;
    char missing[128] = "";
    cw_client_t *client = cw_client_new(config->bus.broker);
    if (client) {
        cw_value_t *status = cw_client_broker_status(client, CW_CLI_STATUS_TIMEOUT_MS);
        broker_up = status != NULL;
        use_existing = status && s_stack_ready(status, missing, sizeof(missing));
        cw_value_destroy(&status);
        cw_client_destroy(&client);
    }
    cw_supervisor_t *sup = NULL;
    if (use_existing)
        cw_info("run_once_stack", CW_LS("mode", "existing"), CW_LS("broker", config->bus.broker),
                CW_LEND);
    else if (broker_up) {
        /* a broker answers but some services have no worker yet: maybe starting up */
        cw_info("run_once_waiting", CW_LS("missing", missing), CW_LEND);
        if (s_wait_workers(config, NULL, CW_CLI_STACK_TIMEOUT_MS) != 0)
            rc = 2;
    } else {
        sup = s_stack_supervisor(cli, config, &stack, false);
        if (!sup)
            rc = 2;
        else {
            char log_path[PATH_MAX];
            if (!cli->debug &&
                cw_config_data_path(config, "run-once.log", log_path, sizeof(log_path)) == 0) {
                cw_supervisor_set_output(sup, log_path);
                fprintf(stderr, "codeworm: starting a private stack (service logs: %s)\n",
                        log_path);
            }
            if (s_stack_start(sup, config) != 0 ||
                s_wait_workers(config, sup, CW_CLI_STACK_TIMEOUT_MS) != 0)
                rc = 2;
        }
    }
    if (rc == 0) {
        cw_cycle_runner_t *runner = cw_cycle_runner_new(config, "codeworm");
        if (!runner) {
            fprintf(stderr, "codeworm run-once: cannot create the cycle runner\n");
            rc = 2;
        } else {
            cw_cycle_outcome_t outcome;
            memset(&outcome, 0, sizeof(outcome));
            cw_cycle_run(runner, &outcome);
            rc = s_report_outcome(&outcome);
            cw_cycle_runner_destroy(&runner);
        }
    }
    if (sup) {
        cw_supervisor_stop(sup, CW_SUPERVISOR_GRACE_MS);
        cw_supervisor_destroy(&sup);
    }
    s_stack_cleanup(&stack);
    cw_config_destroy(&config);
    return rc;
}

/* ------------------------------------------------------------------ analyze */
static void s_copy_field(cw_value_t *out, const cw_value_t *target, const char *key)
{
    const cw_value_t *v = cw_map_get(target, key);
    cw_map_set(out, key, v ? cw_value_clone(v) : cw_value_new_nil());
}

static int s_cmd_analyze(cw_cli_t *cli, int argc, char **argv)
{
    const char *repo = NULL, *type = NULL;
    long limit = 20;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--repo") == 0 && i + 1 < argc)
            repo = argv[++i];
        else if (strcmp(a, "--limit") == 0 && i + 1 < argc) {
            if (!s_parse_int(argv[++i], 1, 1000, &limit))
                return s_usage_error("analyze",
                                     "--limit must be a number from 1 to 1000, not "
                                     "'%s'",
                                     argv[i]);
        } else if (strcmp(a, "--type") == 0 && i + 1 < argc)
            type = argv[++i];
        else if (strcmp(a, "--json") == 0)
            json = true;
        else
            return s_usage_error("analyze", "unknown option or missing value: '%s'", a);
    }
    if (type && cw_doc_type_from_name(type) < 0) {
        fprintf(stderr, "codeworm analyze: unknown doc type '%s'; one of:", type);
        for (int t = 0; t < CW_DOC_TYPE_COUNT; t++)
            fprintf(stderr, " %s", cw_doc_type_name(t));
        fprintf(stderr, "\n");
        return 2;
    }
    int rc = 0;
    cw_config_t *config = s_load(cli, 0, &rc);
    if (!config)
        return rc;
    if (!repo && config->repo_count == 0) {
        fprintf(stderr, "codeworm: No repositories configured\n");
        cw_config_destroy(&config);
        return 1;
    }
    cw_analyzer_t *analyzer = cw_analyzer_new(config);
    if (!analyzer) {
        fprintf(stderr, "codeworm analyze: cannot start the analyzer\n");
        cw_config_destroy(&config);
        return 2;
    }
    char err[1024] = "";
    cw_value_t *targets =
        cw_analyzer_candidates(analyzer, type, repo, (size_t)limit, err, sizeof(err));
    if (!targets) {
        fprintf(stderr, "codeworm analyze: %s\n", err[0] ? err : "failed");
        cw_analyzer_destroy(&analyzer);
        cw_config_destroy(&config);
        return 2;
    }
    size_t n = cw_value_size(targets);
    if (!json) {
        if (n == 0)
            printf("No candidates found.\n");
        else
            printf("%7s %6s %6s  %-40s %s\n", "SCORE", "CPLX", "LINES", "NAME", "FILE");
    }
    static const char *fields[] = {"repo",     "file",       "name",     "class",      "language",
                                   "doc_type", "start_line", "end_line", "complexity", "nloc",
                                   "tokens",   "params",     "nesting",  "score"};
    for (size_t i = 0; i < n; i++) {
        const cw_value_t *t = cw_array_at(targets, i);
        if (json) {
            cw_value_t *row = cw_value_new_map();
            for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++)
                s_copy_field(row, t, fields[f]);
            char *text = cw_value_to_json(row);
            if (text)
                printf("%s\n", text);
            free(text);
            cw_value_destroy(&row);
            continue;
        }
        const char *cls = cw_map_str(t, "class", NULL);
        const char *name = cw_map_str(t, "name", "?");
        char display[600];
        if (cls && *cls && strcmp(cls, name) != 0)
            snprintf(display, sizeof(display), "%s.%s", cls, name);
        else
            snprintf(display, sizeof(display), "%s", name);
        int64_t lines = cw_map_int(t, "end_line", 0) - cw_map_int(t, "start_line", 0) + 1;
        printf("%7.2f %6.1f %6lld  %-40s %s/%s:%lld\n", cw_map_float(t, "score", 0),
               cw_map_float(t, "complexity", 0), (long long)(lines > 0 ? lines : 0), display,
               cw_map_str(t, "repo", "?"), cw_map_str(t, "file", "?"),
               (long long)cw_map_int(t, "start_line", 0));
    }
    cw_value_destroy(&targets);
    cw_analyzer_destroy(&analyzer);
    cw_config_destroy(&config);
    return 0;
}

/* ------------------------------------------------------------------ stats */
static cw_value_t *s_stats_from_bus(const cw_config_t *config)
{
    cw_client_t *client = cw_client_new(config->bus.broker);
    if (!client)
        return NULL;
    cw_value_t *result = NULL;
    cw_value_t *status = cw_client_broker_status(client, CW_CLI_STATUS_TIMEOUT_MS);
    if (status && s_service_workers(status, CW_SERVICE_COMMITTER) > 0) {
        cw_value_t *req = cw_proto_new(CW_MSG_STATS_REQUEST);
        char job[33];
        cw_bus_new_job_id(job);
        cw_map_set_str(req, "job_id", job);
        char err[256] = "";
        cw_value_t *reply =
            cw_client_request(client, CW_SERVICE_COMMITTER, &req, 3000, 1, err, sizeof(err));
        cw_value_destroy(&req);
        if (reply && cw_proto_type(reply) && strcmp(cw_proto_type(reply), CW_MSG_STATS_REPLY) == 0)
            result = reply;
        else {
            cw_warn("stats_over_bus_failed",
                    CW_LS("reason", reply ? cw_map_str(reply, "message", "error") : err), CW_LEND);
            cw_value_destroy(&reply);
        }
    }
    cw_value_destroy(&status);
    cw_client_destroy(&client);
    return result;
}

static int s_sql_groups(sqlite3 *db, const char *sql, cw_value_t *out)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    int rows = 0;
    while (sqlite3_step(st) == SQLITE_ROW && rows < 10000) {
        const char *key = (const char *)sqlite3_column_text(st, 0);
        cw_map_set_int(out, key ? key : "(none)", sqlite3_column_int64(st, 1));
        rows++;
    }
    sqlite3_finalize(st);
    return 0;
}

static int64_t s_sql_count(sqlite3 *db, const char *sql, const char *arg, bool *ok)
{
    sqlite3_stmt *st = NULL;
    int64_t n = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        *ok = false;
        return 0;
    }
    if (arg)
        sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    else
        *ok = false;
    sqlite3_finalize(st);
    return n;
}

/* Read <data_dir>/codeworm.db read-only. NULL + message if it cannot be read. */
static cw_value_t *s_stats_from_db(const cw_config_t *config, char *where, size_t wherelen)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/codeworm.db", config->data_dir ? config->data_dir : "data");
    snprintf(where, wherelen, "%s", path);
    cw_value_t *out = cw_value_new_map();
    cw_value_t *by_repo = cw_value_new_map();
    cw_value_t *by_type = cw_value_new_map();
    if (access(path, F_OK) != 0) {
        cw_map_set_int(out, "total", 0);
        cw_map_set_int(out, "last_7_days", 0);
        cw_map_set(out, "by_repo", by_repo);
        cw_map_set(out, "by_doc_type", by_type);
        return out;
    }
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "codeworm stats: cannot open %s: %s\n", path,
                db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        cw_value_destroy(&out);
        cw_value_destroy(&by_repo);
        cw_value_destroy(&by_type);
        return NULL;
    }
    sqlite3_busy_timeout(db, 2000);
    /* documented_at is local time, Python isoformat */
    char cutoff[32];
    time_t week_ago = time(NULL) - 7 * 86400;
    struct tm tm;
    localtime_r(&week_ago, &tm);
    strftime(cutoff, sizeof(cutoff), "%Y-%m-%dT%H:%M:%S", &tm);
    bool ok = true;
    int64_t total = s_sql_count(db, "SELECT COUNT(*) FROM documented_snippets", NULL, &ok);
    int64_t recent = s_sql_count(db,
                                 "SELECT COUNT(*) FROM documented_snippets WHERE "
                                 "julianday(documented_at) >= julianday(?1)",
                                 cutoff, &ok);
    if (ok)
        ok = s_sql_groups(db,
                          "SELECT source_repo, COUNT(*) FROM documented_snippets GROUP BY "
                          "source_repo ORDER BY COUNT(*) DESC, source_repo",
                          by_repo) == 0 &&
             s_sql_groups(db,
                          "SELECT doc_type, COUNT(*) FROM documented_snippets GROUP BY doc_type "
                          "ORDER BY COUNT(*) DESC, doc_type",
                          by_type) == 0;
    if (!ok)
        fprintf(stderr, "codeworm stats: %s is not a CodeWorm ledger (%s)\n", path,
                sqlite3_errmsg(db));
    sqlite3_close(db);
    if (!ok) {
        cw_value_destroy(&out);
        cw_value_destroy(&by_repo);
        cw_value_destroy(&by_type);
        return NULL;
    }
    cw_map_set_int(out, "total", total);
    cw_map_set_int(out, "last_7_days", recent);
    cw_map_set(out, "by_repo", by_repo);
    cw_map_set(out, "by_doc_type", by_type);
    return out;
}

static void s_print_group(const char *title, const cw_value_t *map)
{
    printf("%s:\n", title);
    size_t n = map ? cw_value_size(map) : 0;
    if (n == 0)
        printf("  (none)\n");
    for (size_t i = 0; i < n; i++)
        printf("  %-32s %lld\n", cw_map_key_at(map, i),
               (long long)cw_value_int(cw_map_value_at(map, i)));
}

static int s_cmd_stats(cw_cli_t *cli, int argc, char **argv)
{
    bool json = false;
    for (int i = 1; i < argc; i++) {
        int r = s_parse_stack_option(cli, "stats", argc, argv, &i, false, false);
        if (r < 0)
            return 2;
        if (r == 1)
            continue;
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else
            return s_usage_error("stats", "unknown option '%s'", argv[i]);
    }
    int rc = 0;
    cw_config_t *config = s_load(cli, 0, &rc);
    if (!config)
        return rc;
    char source[PATH_MAX + 32] = "";
    cw_value_t *stats = s_stats_from_bus(config);
    if (stats)
        snprintf(source, sizeof(source), "committer via %s", config->bus.broker);
    else {
        char where[PATH_MAX];
        stats = s_stats_from_db(config, where, sizeof(where));
        snprintf(source, sizeof(source), "%s", where);
    }
    if (!stats) {
        cw_config_destroy(&config);
        return 2;
    }
    if (json) {
        cw_value_t *copy = cw_value_clone(stats);
        cw_map_set_str(copy, "source", source);
        if (!cw_map_get(copy, "devlog_path") && config->devlog.repo_path)
            cw_map_set_str(copy, "devlog_path", config->devlog.repo_path);
        char *text = cw_value_to_json(copy);
        printf("%s\n", text ? text : "{}");
        free(text);
        cw_value_destroy(&copy);
    } else {
        const char *devlog = cw_map_str(stats, "devlog_path", config->devlog.repo_path);
        printf("CodeWorm statistics (%s)\n", source);
        if (devlog && *devlog)
            printf("DevLog:            %s\n", devlog);
        printf("Total documented:  %lld\n", (long long)cw_map_int(stats, "total", 0));
        printf("Last 7 days:       %lld\n", (long long)cw_map_int(stats, "last_7_days", 0));
        s_print_group("By repository", cw_map_get(stats, "by_repo"));
        s_print_group("By doc type", cw_map_get(stats, "by_doc_type"));
    }
    cw_value_destroy(&stats);
    cw_config_destroy(&config);
    return 0;
}

/* ------------------------------------------------------------------ schedule-preview */
static int s_cmd_schedule_preview(cw_cli_t *cli, int argc, char **argv)
{
    long days = 1, seed = -1;
    const char *tz = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--days") == 0 && i + 1 < argc) {
            if (!s_parse_int(argv[++i], 1, 31, &days))
                return s_usage_error("schedule-preview",
                                     "--days must be a number from 1 to 31, not '%s'", argv[i]);
        } else if (strcmp(a, "--timezone") == 0 && i + 1 < argc)
            tz = argv[++i];
        else if (strcmp(a, "--seed") == 0 && i + 1 < argc) {
            if (!s_parse_int(argv[++i], 0, LONG_MAX, &seed))
                return s_usage_error("schedule-preview", "--seed must be a number, not '%s'",
                                     argv[i]);
        } else
            return s_usage_error("schedule-preview", "unknown option or missing value: '%s'", a);
    }
    int rc = 0;
    cw_config_t *config = s_load(cli, 0, &rc);
    if (!config)
        return rc;
    cw_schedule_params_t params;
    cw_schedule_params_init(&params, config);
    if (tz) {
        if (strlen(tz) >= sizeof(params.timezone) || strstr(tz, "..")) {
            fprintf(stderr, "codeworm schedule-preview: invalid time zone '%s'\n", tz);
            cw_config_destroy(&config);
            return 2;
        }
        snprintf(params.timezone, sizeof(params.timezone), "%s", tz);
    }
    cw_schedule_t *schedule =
        cw_schedule_new(&params, seed >= 0 ? (uint64_t)seed : cw_rng_os_seed());
    if (!schedule) {
        fprintf(stderr, "codeworm schedule-preview: cannot build the schedule\n");
        cw_config_destroy(&config);
        return 2;
    }
    time_t now = time(NULL);
    const char *zone = cw_schedule_timezone(schedule);
    if (cw_schedule_is_interval(schedule)) {
        printf("Fixed interval: a cycle every %d s (schedule.interval_seconds); time zone %s\n",
               params.interval_seconds, zone);
        time_t t = now, end = now + days * 86400;
        int shown = 0;
        while ((t = cw_schedule_next(schedule, t)) != (time_t)-1 && t < end && shown < 50) {
            struct tm tm;
            cw_schedule_localtime(schedule, t, &tm);
            char buf[64];
            strftime(buf, sizeof(buf), "%a %Y-%m-%d %H:%M:%S", &tm);
            printf("  %s\n", buf);
            shown++;
        }
        if (shown == 50)
            printf("  ...\n");
    } else {
        struct tm today;
        cw_schedule_localtime(schedule, now, &today);
        int64_t base =
            cw_schedule_days_from_civil(today.tm_year + 1900, today.tm_mon + 1, today.tm_mday);
        printf("Human-like schedule, time zone %s (%d-%d commits a day, weekends x%.2f, "
               "at least %d min apart)\n",
               zone, params.min_per_day, params.max_per_day, params.weekend_reduction,
               params.min_gap_minutes);
        static const char *wd[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                   "Thursday", "Friday", "Saturday"};
        for (long d = 0; d < days; d++) {
            int y, m, dd;
            cw_schedule_civil_from_days(base + d, &y, &m, &dd);
            time_t times[CW_SCHEDULE_MAX_PER_DAY];
            int n = cw_schedule_day(schedule, y, m, dd, times, CW_SCHEDULE_MAX_PER_DAY);
            printf("\n%s %04d-%02d-%02d: %d commits\n", wd[cw_schedule_weekday(y, m, dd)], y, m, dd,
                   n);
            for (int k = 0; k < n; k++) {
                struct tm tm;
                cw_schedule_localtime(schedule, times[k], &tm);
                printf("  %02d:%02d:%02d%s\n", tm.tm_hour, tm.tm_min, tm.tm_sec,
                       times[k] <= now ? "  (past)" : "");
            }
        }
    }
    cw_schedule_destroy(&schedule);
    cw_config_destroy(&config);
    return 0;
}

/* ------------------------------------------------------------------ events */
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
            char *json = cw_value_to_json(v);
            printf(" %s=%.200s", key, json ? json : "?");
            free(json);
        }
    }
    printf("\n");
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
            if (!s_parse_int(argv[++i], 1, LONG_MAX, &count))
                return s_usage_error("events", "--count must be a positive number, not '%s'",
                                     argv[i]);
        } else if (a[0] == '-')
            return s_usage_error("events", "unknown option or missing value: '%s'", a);
        else if (!*filter)
            filter = a;
        else
            return s_usage_error("events", "only one FILTER, got also '%s'", a);
    }
    int rc = 0;
    cw_config_t *config = s_load(cli, 0, &rc);
    if (!config)
        return rc;
    cw_subscriber_t *sub = cw_subscriber_new(config->bus.events_out, filter);
    if (!sub) {
        fprintf(stderr, "codeworm events: cannot subscribe to %s\n", config->bus.events_out);
        cw_config_destroy(&config);
        return 2;
    }
    if (isatty(STDERR_FILENO))
        fprintf(stderr, "Listening for %s%s events on %s (Ctrl-C to stop)\n",
                *filter ? filter : "all", *filter ? "*" : "", config->bus.events_out);
    long seen = 0;
    while (!zsys_interrupted && (count == 0 || seen < count)) {
        cw_value_t *ev = cw_subscriber_recv(sub, 500);
        if (!ev)
            continue;
        if (json) {
            char *text = cw_value_to_json(ev);
            if (text)
                printf("%s\n", text);
            free(text);
        } else
            s_print_event(ev);
        fflush(stdout);
        cw_value_destroy(&ev);
        seen++;
    }
    cw_subscriber_destroy(&sub);
    cw_config_destroy(&config);
    return (count > 0 && seen < count) ? 1 : 0;
}

/* ------------------------------------------------------------------ status */
static int s_cmd_status(cw_cli_t *cli, int argc, char **argv)
{
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else
            return s_usage_error("status", "unknown option '%s'", argv[i]);
    }
    int rc = 0;
    cw_config_t *config = s_load(cli, 0, &rc);
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

/* ------------------------------------------------------------------ table + main */
static const cw_cli_command_t s_commands[] = {
    {"run", "run [--devlog PATH] [--repo NAME PATH]... [--dry-run]",
     "run the whole stack, supervised (the daemon)",
     "Run the whole stack (broker, analyzer, generator x generator.instances, committer,\n"
     "scheduler, notifier) as supervised child processes; a child that exits is restarted\n"
     "after a growing delay (1 s doubling to 60 s). SIGINT/SIGTERM stops everything.",
     "  --devlog PATH         DevLog repository (exported as CODEWORM_DEVLOG__REPO_PATH)\n"
     "  --repo NAME PATH      add a repository (repeatable; the services get a private\n"
     "                        config directory with it added to repos.yaml)\n"
     "  --dry-run             print the plan and exit without starting anything\n",
     s_cmd_run},
    {"run-once", "run-once [--devlog PATH] [--repo NAME PATH]... [--dry-run]",
     "one documentation cycle, then exit",
     "Run one documentation cycle and exit: on the running stack if its broker answers\n"
     "with analyzer, generator and committer workers, else on a private stack started\n"
     "for it. Exit 0 committed, 1 nothing to document or LLM down, 2 error.",
     "  --devlog PATH         DevLog repository\n"
     "  --repo NAME PATH      add a repository (repeatable)\n"
     "  --dry-run             print the plan and exit without starting anything\n",
     s_cmd_run_once},
    {"analyze", "analyze [--repo PATH] [--limit N] [--type DOC_TYPE] [--json]",
     "preview the best documentation candidates",
     "Preview the best documentation candidates (in-process, no stack needed).",
     "  --repo PATH           analyze this directory (or configured repo name) only\n"
     "  --limit N             how many (default 20)\n"
     "  --type DOC_TYPE       function_doc (default), class_doc, file_doc, ...\n"
     "  --json                one JSON object per line\n",
     s_cmd_analyze},
    {"stats", "stats [--devlog PATH] [--json]", "documentation statistics",
     "Documentation statistics: from the committer if a stack runs, else read from\n"
     "<data_dir>/codeworm.db (read-only).",
     "  --devlog PATH         DevLog repository (shown)\n"
     "  --json                one JSON object\n",
     s_cmd_stats},
    {"schedule-preview", "schedule-preview [--days N] [--timezone TZ]",
     "the generated commit times",
     "Print the commit times the human-like schedule generates (an example draw), or the\n"
     "fixed interval times when schedule.interval_seconds is set.",
     "  --days N              days to show, starting today (default 1, at most 31)\n"
     "  --timezone TZ         IANA time zone instead of schedule.timezone\n"
     "  --seed N              fixed random seed (repeatable output)\n",
     s_cmd_schedule_preview},
    {"init", "init [--devlog PATH]", "create the DevLog layout",
     "Create the DevLog repository (git init) and its folder layout. Idempotent.",
     "  --devlog PATH         where (default devlog.repo_path)\n", s_cmd_init},
    {"events", "events [--json] [--count N] [FILTER]", "print bus events as they happen",
     "Print bus events as they happen (until Ctrl-C or N events). FILTER is an event name\n"
     "prefix, e.g. cycle_ or documentation_committed.",
     "  --json                one JSON object per line\n"
     "  --count N             stop after N events (exit 1 if interrupted before)\n",
     s_cmd_events},
    {"status", "status [--json]", "broker status: services, workers, queued requests",
     "Ask the broker which services have workers and how many requests are queued.\n"
     "Exit 1 with \"no broker at <endpoint>\" when none answers.",
     "  --json                the broker's status reply as JSON\n", s_cmd_status},
    {"version", "version", "print the version", "Print the version.", "", s_cmd_version},
};

static const cw_cli_command_t *s_find_command(const char *name)
{
    for (size_t i = 0; i < sizeof(s_commands) / sizeof(s_commands[0]); i++)
        if (strcmp(s_commands[i].name, name) == 0)
            return &s_commands[i];
    return NULL;
}

static void s_print_usage(FILE *out)
{
    fputs(s_global_usage, out);
    for (size_t i = 0; i < sizeof(s_commands) / sizeof(s_commands[0]); i++) {
        fprintf(out, "  %-18s %s\n", s_commands[i].name, s_commands[i].brief);
    }
    fputs("\n`codeworm COMMAND --help` describes each command.\n", out);
}

int cw_cli_main(int argc, char **argv)
{
    cw_cli_t cli;
    memset(&cli, 0, sizeof(cli));
    cli.config_dir = "config";
    cw_log_init("codeworm");
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--config") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "codeworm: --config needs a DIR\n");
                return 2;
            }
            cli.config_dir = argv[++i];
        } else if (strncmp(a, "--config=", 9) == 0)
            cli.config_dir = a + 9;
        else if (strcmp(a, "--debug") == 0)
            cli.debug = true;
        else if (s_is_help(a)) {
            s_print_usage(stdout);
            return 0;
        } else if (strcmp(a, "--version") == 0) {
            printf("codeworm %s\n", CW_VERSION);
            return 0;
        } else if (a[0] == '-') {
            fprintf(stderr, "codeworm: unknown option '%s'\n\n", a);
            s_print_usage(stderr);
            return 2;
        } else
            break;
    }
    if (i >= argc) {
        s_print_usage(stderr);
        return 2;
    }
    const cw_cli_command_t *cmd = s_find_command(argv[i]);
    if (!cmd) {
        fprintf(stderr, "codeworm: unknown command '%s'\n\n", argv[i]);
        s_print_usage(stderr);
        return 2;
    }
    int sub_argc = argc - i;
    char **sub_argv = argv + i;
    for (int k = 1; k < sub_argc; k++) {
        if (s_is_help(sub_argv[k])) {
            s_print_command_help(cmd);
            return 0;
        }
        if (strcmp(sub_argv[k], "--config") == 0 || strcmp(sub_argv[k], "--debug") == 0) {
            fprintf(stderr,
                    "codeworm %s: %s is a global option: put it before the command "
                    "(codeworm %s ... %s)\n",
                    cmd->name, sub_argv[k], sub_argv[k], cmd->name);
            return 2;
        }
    }
    if (cli.debug)
        cw_log_set_level(CW_LOG_DEBUG);
    return cmd->fn(&cli, sub_argc, sub_argv);
}
