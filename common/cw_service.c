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

/* ------------------------------------------------------------------ reload state */
static volatile sig_atomic_t s_reload = 0;
/* what cw_service_start was told, for the reload step to check the same way */
static bool s_need_repos = false;
static bool s_need_devlog = false;
static bool s_debug = false;

static void s_on_hangup(int sig)
{
    (void)sig;
    s_reload = 1;
}

void cw_service_request_reload(void)
{
    s_reload = 1;
}

bool cw_service_reload_pending(void)
{
    return s_reload != 0;
}

static void s_usage(const cw_service_info_t *info, const cw_service_flag_t *flags, FILE *out)
{
    fprintf(out,
            "Usage: codeworm-%s [--config DIR] [--debug] [--help] [--version]\n\n"
            "%s\n\n"
            "Options:\n"
            "  --config DIR  configuration directory with config.yaml, repos.yaml and\n"
            "                prompts.yaml (default: ./config; CODEWORM_CONFIG_DIR)\n"
            "  --debug       log at debug level\n"
            "  -h, --help    show this help and exit\n"
            "  --version     show the version and exit\n",
            info->name, info->summary ? info->summary : "");
    for (const cw_service_flag_t *f = flags; f && f->option; f++)
        fprintf(out, "  %-13s %s\n", f->option, f->help ? f->help : "");
    fprintf(out,
            "\nSettings can be overridden with CODEWORM_<SECTION>__<KEY> environment variables\n"
            "(also read from a .env file in the config directory or the working directory).\n"
            "SIGHUP reloads the configuration (a running job finishes with the old one;\n"
            "an invalid new configuration is refused and the old one stays).\n");
}

/* A service flag (--dry-run ...) of info, or NULL. */
static const cw_service_flag_t *s_find_flag(const cw_service_flag_t *flags, const char *arg)
{
    for (const cw_service_flag_t *f = flags; f && f->option; f++)
        if (strcmp(f->option, arg) == 0)
            return f;
    return NULL;
}

cw_config_t *cw_service_start(const cw_service_info_t *info, int argc, char **argv)
{
    return cw_service_start_flags(info, NULL, argc, argv);
}

cw_config_t *cw_service_start_flags(const cw_service_info_t *info, const cw_service_flag_t *flags,
                                    int argc, char **argv)
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
            s_usage(info, flags, stdout);
            exit(0);
        } else if (strcmp(a, "--version") == 0) {
            printf("codeworm-%s %s\n", name, CW_VERSION);
            exit(0);
        } else if (s_find_flag(flags, a)) {
            const cw_service_flag_t *f = s_find_flag(flags, a);
            if (f->value)
                *f->value = true;
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
    /* SIGHUP: reload the configuration at the next safe point (never stop) */
    s_need_repos = info->need_repos;
    s_need_devlog = info->need_devlog;
    s_debug = debug;
    struct sigaction hup;
    memset(&hup, 0, sizeof(hup));
    hup.sa_handler = s_on_hangup;
    hup.sa_flags = SA_RESTART;
    sigemptyset(&hup.sa_mask);
    sigaction(SIGHUP, &hup, NULL);

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

/* ------------------------------------------------------------------ reload */
static bool s_str_differs(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") != 0;
}

/* Settings a running process cannot take over (its sockets are connected), as
   "bus.broker, bus.curve" into out; "" when none changed. */
static void s_fixed_changes(const cw_config_t *old, const cw_config_t *new, char *out, size_t len)
{
    out[0] = '\0';
    struct {
        const char *key;
        bool changed;
    } keys[] = {
        {"bus.broker", s_str_differs(old->bus.broker, new->bus.broker)},
        {"bus.events_in", s_str_differs(old->bus.events_in, new->bus.events_in)},
        {"bus.events_out", s_str_differs(old->bus.events_out, new->bus.events_out)},
        {"bus.curve",
         old->bus.curve.enabled != new->bus.curve.enabled ||
             s_str_differs(old->bus.curve.server_public_key, new->bus.curve.server_public_key) ||
             s_str_differs(old->bus.curve.client_public_key, new->bus.curve.client_public_key)},
    };
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (!keys[i].changed)
            continue;
        size_t used = strlen(out);
        snprintf(out + used, len - used, "%s%s", used ? ", " : "", keys[i].key);
    }
}

int cw_service_reload_step(cw_config_t **config_p, cw_service_reload_fn *reload, void *self)
{
    if (!s_reload)
        return 0;
    s_reload = 0;
    if (!config_p || !*config_p || !reload)
        return -1;
    cw_config_t *old = *config_p;
    cw_info("config_reload_requested", CW_LS("config_dir", old->config_dir), CW_LEND);
    char err[1024] = "";
    cw_config_t *fresh = cw_config_load(old->config_dir, err, sizeof(err));
    if (fresh) {
        if (s_debug)
            fresh->debug = true;
        int rc = cw_config_check(fresh, s_need_repos, err, sizeof(err));
        if (rc == 0 && s_need_devlog && !s_need_repos)
            rc = cw_config_check_devlog(fresh, err, sizeof(err));
        if (rc != 0)
            cw_config_destroy(&fresh);
    }
    if (!fresh) {
        cw_error("config_reload_refused", CW_LS("error", err), CW_LS("config_dir", old->config_dir),
                 CW_LS("hint", "the previous configuration stays in use; fix the file and send "
                               "SIGHUP again"),
                 CW_LEND);
        return -1;
    }
    if (reload(self, fresh) != 0) {
        cw_error("config_reload_refused", CW_LS("error", "the service could not apply it"),
                 CW_LS("config_dir", old->config_dir),
                 CW_LS("hint", "the previous configuration stays in use (see the error above)"),
                 CW_LEND);
        cw_config_destroy(&fresh);
        return -1;
    }
    char fixed[128];
    s_fixed_changes(old, fresh, fixed, sizeof(fixed));
    if (fixed[0])
        cw_warn("config_reload_needs_restart", CW_LS("keys", fixed),
                CW_LS("hint", "connected sockets keep their settings until the service restarts"),
                CW_LEND);
    cw_log_set_level(fresh->debug ? CW_LOG_DEBUG : CW_LOG_INFO);
    cw_info("config_reloaded", CW_LS("config_dir", fresh->config_dir),
            CW_LI("repos", (long long)fresh->repo_count), CW_LS("llm_backend", fresh->llm.backend),
            CW_LEND);
    cw_config_destroy(config_p);
    *config_p = fresh;
    return 1;
}

int cw_service_serve(cw_worker_t *worker, cw_service_handler_fn *handle, cw_service_tick_fn *tick,
                     void *self)
{
    return cw_service_serve_reload(worker, handle, tick, NULL, self, NULL);
}

int cw_service_serve_reload(cw_worker_t *worker, cw_service_handler_fn *handle,
                            cw_service_tick_fn *tick, cw_service_reload_fn *reload, void *self,
                            cw_config_t **config_p)
{
    if (!worker || !handle)
        return -1;
    while (!zsys_interrupted) {
        if (reload && config_p)
            cw_service_reload_step(config_p, reload, self);
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
