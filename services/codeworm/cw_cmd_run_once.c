/*  `codeworm run-once`: one documentation cycle, on the running stack or a private one. */
#include <czmq.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cw_cli_int.h"
#include "cw_bus.h"
#include "cw_log.h"
#include "cw_supervisor.h"
#include "../scheduler/cw_cycle.h"

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
    int rc = cw_cli_parse_run_options(cli, "run-once", argc, argv);
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
        printf("run-once: uses the stack on %s if one answers with analyzer, generator and "
               "committer workers; otherwise starts this private one:\n",
               config->bus.broker);
        cw_stack_print_plan(cli, config, &stack, false);
        cw_stack_cleanup(&stack);
        cw_config_destroy(&config);
        return 0;
    }
    cw_supervisor_t *sup = NULL;
    rc = cw_stack_ensure(cli, config, &stack, "run-once.log", &sup, NULL);
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
    cw_stack_cleanup(&stack);
    cw_config_destroy(&config);
    return rc;
}

const cw_cli_command_t cw_cmd_run_once = {
    "run-once",
    "run-once [--devlog PATH] [--repo NAME PATH]... [--dry-run]",
    "one documentation cycle, then exit",
    "Run one documentation cycle and exit: on the running stack if its broker answers\n"
    "with analyzer, generator and committer workers, else on a private stack started\n"
    "for it. Exit 0 committed, 1 nothing to document or LLM down, 2 error.",
    "  --devlog PATH         DevLog repository\n"
    "  --repo NAME PATH      add a repository (repeatable)\n"
    "  --dry-run             print the plan and exit without starting anything\n",
    s_cmd_run_once};
