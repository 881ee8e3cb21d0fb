/*  `codeworm run`: start and supervise the whole stack. */
#include <czmq.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cw_cli_int.h"
#include "cw_log.h"
#include "cw_supervisor.h"

static int s_cmd_run(cw_cli_t *cli, int argc, char **argv)
{
    int rc = cw_cli_parse_run_options(cli, "run", argc, argv);
    if (rc)
        return rc;
    cw_config_t *config = cw_cli_load(cli, 1, &rc);
    if (!config)
        return rc;
    cw_stack_t stack;
    rc = cw_stack_prepare(cli, config, &stack);
    if (rc) {
        cw_config_destroy(&config);
        return rc;
    }
    if (cli->dry_run) {
        cw_stack_print_plan(cli, config, &stack, true);
        cw_stack_cleanup(&stack);
        cw_config_destroy(&config);
        return 0;
    }
    /* No ZeroMQ in this process: fork/exec only. */
    cw_supervisor_install_signals();
    cw_supervisor_t *sup = cw_stack_supervisor(cli, config, &stack, true);
    if (!sup) {
        cw_stack_cleanup(&stack);
        cw_config_destroy(&config);
        return 2;
    }
    cw_info("stack_starting", CW_LS("config", stack.config_dir), CW_LS("bin_dir", stack.bin_dir),
            CW_LI("children", cw_supervisor_count(sup)), CW_LEND);
    if (cw_stack_start(sup, config) != 0)
        cw_warn("stack_start_incomplete", CW_LS("reason", "a fork failed; retrying"), CW_LEND);
    cw_supervisor_run(sup, -1);
    cw_info("stack_stopping", CW_LS("reason", "signal"), CW_LEND);
    cw_supervisor_stop(sup, CW_SUPERVISOR_GRACE_MS);
    cw_supervisor_destroy(&sup);
    cw_stack_cleanup(&stack);
    cw_config_destroy(&config);
    return 0;
}

const cw_cli_command_t cw_cmd_run = {
    "run",
    "run [--devlog PATH] [--repo NAME PATH]... [--dry-run]",
    "run the whole stack, supervised (the daemon)",
    "Run the whole stack (broker, analyzer, generator x generator.instances, committer,\n"
    "scheduler, notifier) as supervised child processes; a child that exits is restarted\n"
    "after a growing delay (1 s doubling to 60 s). SIGINT/SIGTERM stops everything.",
    "  --devlog PATH         DevLog repository (exported as CODEWORM_DEVLOG__REPO_PATH)\n"
    "  --repo NAME PATH      add a repository (repeatable; the services get a private\n"
    "                        config directory with it added to repos.yaml)\n"
    "  --dry-run             print the plan and exit without starting anything\n",
    s_cmd_run};
