/*  cw_cli — the `codeworm` command line (one file per command: cw_cmd_<name>.c).

        codeworm [--config DIR] [--debug] COMMAND [options]

    Commands: version, init, run, run-once, analyze, stats, schedule-preview, events,
    status (`codeworm COMMAND --help` describes each). Exit codes: 0 success; 1 nothing to
    do / not available ("No repositories configured", nothing documented, no broker);
    2 usage or configuration error, bus failure.

    Command-line overrides reach the services that `run` / `run-once` start as follows:
      --devlog PATH    exported as CODEWORM_DEVLOG__REPO_PATH
      --repo NAME PATH the children get `--config <tmp>`, a private directory that links
                       config.yaml, prompts.yaml and .env of the real config directory and
                       holds a repos.yaml with the configured repositories plus these
                       (removed when the command ends)
      --debug          passed on as --debug
      --dry-run        prints the plan (programs, arguments, environment) and exits 0
                       without starting anything.                                      */
#ifndef CW_CLI_H
#define CW_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "cw_config.h"

/* The whole command line; returns the process exit code. */
int cw_cli_main(int argc, char **argv);

/* Write a repos.yaml listing every repository of `config` (name, path, weight, enabled)
   into `path`. 0 or -1. */
int cw_cli_write_repos_yaml(const cw_config_t *config, const char *path);

/* Directory holding the service binaries: $CW_BIN_DIR, else the directory of
   /proc/self/exe. 0 or -1. */
int cw_cli_bin_dir(char *out, size_t outlen);

#endif
