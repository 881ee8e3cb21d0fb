/*  cw_service — what every service's main.c does before its loop: parse the common
    options, load the config, set up logging and signals; the worker loop; and the
    configuration reload on SIGHUP.

        codeworm-<name> [--config DIR] [--debug] [--help] [--version] [service flags]

    --help prints the summary and options and exits 0; --version prints the version and
    exits 0; an unknown option or a bad config prints a clear message and exits 2.       */
#ifndef CW_SERVICE_H
#define CW_SERVICE_H

#include <stdint.h>

#include "cw_bus.h"
#include "cw_config.h"

/* A service's own on/off option (e.g. the scheduler's --dry-run). */
typedef struct {
    const char *option; /* "--dry-run" */
    const char *help;   /* one line for --help */
    bool *value;        /* set to true when given */
} cw_service_flag_t;

typedef struct {
    const char *name;    /* "analyzer" -> binary codeworm-analyzer, log service name */
    const char *summary; /* one paragraph for --help */
    bool need_repos;     /* cw_config_check(need_repos) must pass before starting */
    bool need_devlog;    /* devlog.repo_path must be set (implied by need_repos) */
} cw_service_info_t;

/* umask 077: files this process creates are the user's alone (cw_service_start and the
   codeworm command call it first). */
void cw_service_private_files(void);

/* Parse argv, load and check the config, init logging (level from config.debug or
   --debug, service name), make SIGINT/SIGTERM set zsys_interrupted and SIGHUP ask for a
   configuration reload. Exits on --help, --version or error. Returns the config (caller
   destroys). */
cw_config_t *cw_service_start(const cw_service_info_t *info, int argc, char **argv);
/* cw_service_start that also accepts the service's own flags (ended by {NULL}). */
cw_config_t *cw_service_start_flags(const cw_service_info_t *info, const cw_service_flag_t *flags,
                                    int argc, char **argv);

/* ------------------------------------------------------------------ worker services */

/* Publish a life-cycle event: CW_EV_SERVICE_STARTED (pid, version) or
   CW_EV_SERVICE_STOPPING (pid, reason; `reason` NULL = "signal"). NULL pub = no-op. */
void cw_service_announce(cw_publisher_t *pub, const char *event, const char *reason);

/* A worker's request handler: returns the reply (caller owns it), NULL on failure. */
typedef cw_value_t *(cw_service_handler_fn)(void *self, const cw_value_t *request);
/* Optional periodic work: returns the ms until it wants to run again, or -1 (no wish). */
typedef int64_t(cw_service_tick_fn)(void *self);

/* The worker loop: until zsys_interrupted, call tick (if any), wait for a request at
   most min(tick's wish, 1000 ms), answer it with handle(self, request); a NULL reply
   becomes an "internal" error (retryable) for the request's job_id. Returns 0. */
int cw_service_serve(cw_worker_t *worker, cw_service_handler_fn *handle, cw_service_tick_fn *tick,
                     void *self);

/* ------------------------------------------------------------------ reload (SIGHUP) */
/* SIGHUP only sets a flag; each service reloads at its next safe point (between two
   requests, between two cycles), so work in progress finishes with the settings it began
   with. What a reload cannot change live (the bus endpoints and CURVE keys: the sockets
   are connected) is named in a warning and takes effect at the next restart. */

/* What SIGHUP does (async-signal-safe); tests call it directly. */
void cw_service_request_reload(void);
bool cw_service_reload_pending(void);

/* Hand a loaded and checked configuration to the service's objects: update or rebuild
   them from it. 0 = taken: the objects may keep pointers into new_config, which the
   caller keeps alive from now on; -1 = refused (log why): the service keeps its old
   objects and configuration. */
typedef int(cw_service_reload_fn)(void *self, const cw_config_t *new_config);

/* The reload step, for a service's loop. When a reload is pending: clear it, load the
   configuration again from (*config_p)->config_dir, check it as cw_service_start did
   (same need_repos / need_devlog, same --debug), and hand it to reload(self, new).
   Accepted: *config_p becomes the new configuration and the old one is destroyed
   (config_reloaded is logged). A configuration that does not load or check is refused
   with its "file:line: ..." error (config_reload_refused, level error) and the old one
   stays, as it does when reload returns -1. Returns 1 reloaded, 0 nothing pending,
   -1 refused. */
int cw_service_reload_step(cw_config_t **config_p, cw_service_reload_fn *reload, void *self);

/* cw_service_serve with the reload step between requests. */
int cw_service_serve_reload(cw_worker_t *worker, cw_service_handler_fn *handle,
                            cw_service_tick_fn *tick, cw_service_reload_fn *reload, void *self,
                            cw_config_t **config_p);

#endif
