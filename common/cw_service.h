/*  cw_service — what every service's main.c does before its loop: parse the common
    options, load the config, set up logging and signals.

        codeworm-<name> [--config DIR] [--debug] [--help] [--version]

    --help prints the summary and options and exits 0; --version prints the version and
    exits 0; an unknown option or a bad config prints a clear message and exits 2.       */
#ifndef CW_SERVICE_H
#define CW_SERVICE_H

#include <stdint.h>

#include "cw_bus.h"
#include "cw_config.h"

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
   --debug, service name), make SIGINT/SIGTERM set zsys_interrupted. Exits on --help,
   --version or error. Returns the config (caller destroys). */
cw_config_t *cw_service_start(const cw_service_info_t *info, int argc, char **argv);

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

#endif
