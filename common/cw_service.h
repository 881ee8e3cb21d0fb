/*  cw_service — what every service's main.c does before its loop: parse the common
    options, load the config, set up logging and signals.

        codeworm-<name> [--config DIR] [--debug] [--help] [--version]

    --help prints the summary and options and exits 0; --version prints the version and
    exits 0; an unknown option or a bad config prints a clear message and exits 2.       */
#ifndef CW_SERVICE_H
#define CW_SERVICE_H

#include "cw_config.h"

typedef struct {
    const char *name;    /* "analyzer" -> binary codeworm-analyzer, log service name */
    const char *summary; /* one paragraph for --help */
    bool need_repos;     /* cw_config_check(need_repos) must pass before starting */
    bool need_devlog;    /* devlog.repo_path must be set (implied by need_repos) */
} cw_service_info_t;

/* Parse argv, load and check the config, init logging (level from config.debug or
   --debug, service name), make SIGINT/SIGTERM set zsys_interrupted. Exits on --help,
   --version or error. Returns the config (caller destroys). */
cw_config_t *cw_service_start(const cw_service_info_t *info, int argc, char **argv);

#endif
