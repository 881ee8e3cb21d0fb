/*  cw_service — common start-up of every codeworm-<name> binary. */
#include "cw_service.h"
#include "cw_log.h"
#include "cw_proto.h"

#include <czmq.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void cw_service_private_files(void)
{
    /* everything CodeWorm creates (data_dir, ledger, cycle log, indexes, logs, keys, the
       bus's socket folder) is readable by the user alone: cycles.db holds whole documents */
    umask(077);
}

static void s_on_signal(int sig)
{
    (void)sig;
    zsys_interrupted = 1;
    zctx_interrupted = 1;
}

static void s_usage(const cw_service_info_t *info, FILE *out)
{
    fprintf(out,
            "Usage: codeworm-%s [--config DIR] [--debug] [--help] [--version]\n\n"
            "%s\n\n"
            "Options:\n"
            "  --config DIR  configuration directory with config.yaml, repos.yaml and\n"
            "                prompts.yaml (default: ./config; CODEWORM_CONFIG_DIR)\n"
            "  --debug       log at debug level\n"
            "  -h, --help    show this help and exit\n"
            "  --version     show the version and exit\n\n"
            "Settings can be overridden with CODEWORM_<SECTION>__<KEY> environment variables\n"
            "(also read from a .env file in the config directory or the working directory).\n",
            info->name, info->summary ? info->summary : "");
}

cw_config_t *cw_service_start(const cw_service_info_t *info, int argc, char **argv)
{
    const char *name = info && info->name ? info->name : "service";
    cw_service_info_t dflt = {name, "", false, false};
    if (!info)
        info = &dflt;
    const char *config_dir = NULL;
    bool debug = false;
    cw_service_private_files();

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--config") == 0) {
            if (i + 1 >= argc || !argv[i + 1][0]) {
                fprintf(stderr, "codeworm-%s: option '--config' needs a directory (see --help)\n",
                        name);
                exit(2);
            }
            config_dir = argv[++i];
        } else if (strncmp(a, "--config=", 9) == 0) {
            config_dir = a + 9;
            if (!*config_dir) {
                fprintf(stderr, "codeworm-%s: option '--config' needs a directory (see --help)\n",
                        name);
                exit(2);
            }
        } else if (strcmp(a, "--debug") == 0) {
            debug = true;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            s_usage(info, stdout);
            exit(0);
        } else if (strcmp(a, "--version") == 0) {
            printf("codeworm-%s %s\n", name, CW_VERSION);
            exit(0);
        } else if (a[0] == '-') {
            fprintf(stderr, "codeworm-%s: unknown option '%s' (see --help)\n", name, a);
            exit(2);
        } else {
            fprintf(stderr, "codeworm-%s: unexpected argument '%s' (see --help)\n", name, a);
            exit(2);
        }
    }
    if (!config_dir) {
        const char *env = getenv("CODEWORM_CONFIG_DIR");
        if (env && *env)
            config_dir = env;
    }

    /* logging first, so warnings from the config loader carry the service name */
    cw_log_init(name);
    if (debug)
        cw_log_set_level(CW_LOG_DEBUG);

    char err[1024] = "";
    cw_config_t *cfg = cw_config_load(config_dir, err, sizeof(err));
    if (!cfg) {
        fprintf(stderr, "codeworm-%s: %s\n", name, err);
        exit(2);
    }
    if (debug)
        cfg->debug = true;
    cw_log_set_level(cfg->debug ? CW_LOG_DEBUG : CW_LOG_INFO);

    int rc = cw_config_check(cfg, info->need_repos, err, sizeof(err));
    if (rc == 0 && info->need_devlog && !info->need_repos)
        rc = cw_config_check_devlog(cfg, err, sizeof(err));
    if (rc != 0) {
        fprintf(stderr, "codeworm-%s: %s\n", name, err);
        cw_config_destroy(&cfg);
        exit(2);
    }

    /* data_dir and what is already in it: the user's alone (issue 10) */
    if (cw_config_secure_data_dir(cfg, err, sizeof(err)) != 0)
        cw_warn("data_dir_not_private", CW_LS("error", err), CW_LEND);

    /* czmq: our own handler (sets zsys_interrupted, nothing else), no czmq log lines on
       stdout (they would mix with the JSON log); with --debug they go to stderr. */
    setenv("ZSYS_SIGHANDLER", "false", 0);
    zsys_init();
    zsys_handler_set(s_on_signal);
    zsys_set_logident(name);
    zsys_set_logstream(cfg->debug ? stderr : NULL);
    signal(SIGPIPE, SIG_IGN);

    /* CURVE on the bus: every socket this process creates from now on is a CURVE client */
    if (cw_bus_curve_from_config(cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "codeworm-%s: %s\n", name, err);
        cw_config_destroy(&cfg);
        exit(2);
    }

    cw_debug("service_config", CW_LS("config_dir", cfg->config_dir),
             CW_LS("broker", cfg->bus.broker), CW_LS("llm_backend", cfg->llm.backend),
             CW_LI("repos", (long long)cfg->repo_count), CW_LEND);
    return cfg;
}

void cw_service_announce(cw_publisher_t *pub, const char *event, const char *reason)
{
    if (!pub || !event)
        return;
    cw_value_t *fields = cw_value_new_map();
    if (!fields)
        return;
    cw_map_set_int(fields, "pid", (int64_t)getpid());
    if (strcmp(event, CW_EV_SERVICE_STOPPING) == 0)
        cw_map_set_str(fields, "reason", reason ? reason : "signal");
    else
        cw_map_set_str(fields, "version", CW_VERSION);
    cw_publisher_send(pub, event, &fields);
}

#define CW_SERVICE_MAX_WAIT_MS 1000

int cw_service_serve(cw_worker_t *worker, cw_service_handler_fn *handle, cw_service_tick_fn *tick,
                     void *self)
{
    if (!worker || !handle)
        return -1;
    while (!zsys_interrupted) {
        int timeout = CW_SERVICE_MAX_WAIT_MS;
        if (tick) {
            int64_t due = tick(self);
            if (due >= 0 && due < timeout)
                timeout = (int)due;
        }
        cw_value_t *request = cw_worker_recv(worker, timeout);
        if (!request)
            continue;
        cw_value_t *reply = handle(self, request);
        if (!reply) {
            const char *job_id = cw_map_str(request, "job_id", "unknown");
            cw_error("service_no_reply", CW_LS("job_id", job_id),
                     CW_LS("type", cw_proto_type(request)), CW_LEND);
            reply = cw_proto_new_error(job_id, CW_ERR_INTERNAL,
                                       "the service could not produce a reply", true);
        }
        cw_value_destroy(&request);
        if (reply && cw_worker_send(worker, &reply) != 0)
            cw_warn("service_reply_not_sent", CW_LEND);
        cw_value_destroy(&reply);
    }
    return 0;
}
