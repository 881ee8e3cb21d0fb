/*  `codeworm init`: create the DevLog repository and its layout. */
#include <czmq.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cw_cli_int.h"
#include "../committer/cw_devlog.h"

static int s_cmd_init(cw_cli_t *cli, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        int r = cw_cli_parse_stack_option(cli, "init", argc, argv, &i, false, false);
        if (r < 0)
            return 2;
        if (r == 0)
            return cw_cli_usage_error("init", "unknown option '%s'", argv[i]);
    }
    int rc = 0;
    cw_config_t *config = cw_cli_load(cli, 2, &rc);
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

const cw_cli_command_t cw_cmd_init = {
    "init",
    "init [--devlog PATH]",
    "create the DevLog layout",
    "Create the DevLog repository (git init) and its folder layout. Idempotent.",
    "  --devlog PATH         where (default devlog.repo_path)\n",
    s_cmd_init};
