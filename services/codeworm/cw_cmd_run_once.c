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
#include "../committer/cw_devlog.h"
#include "../scheduler/cw_cycle.h"

/* The push of the commit, in plain words. */
static void s_report_push(const cw_cycle_outcome_t *o)
{
    if (o->pushed)
        printf("  push:   pushed to devlog.remote\n");
    else if (strcmp(o->push_state, "not_configured") == 0)
        printf("  push:   none (devlog.remote is empty: the commit stays local)\n");
    else if (strcmp(o->push_state, "retrying") == 0)
        printf("  push:   not yet: %s\n          (the commit stays in the DevLog; the next push "
               "that gets through carries it)\n",
               o->push_error);
    else if (o->push_state[0] || o->push_error[0])
        printf("  push:   FAILED (%s): %s\n", o->push_state[0] ? o->push_state : "failed",
               o->push_error[0] ? o->push_error : "no reason given");
    else
        printf("  push:   unknown (the committer did not say)\n");
}

static int s_report_outcome(const cw_cycle_outcome_t *o)
{
    switch (o->result) {
    case CW_CYCLE_COMMITTED:
        printf("Committed %s\n  path:   %s\n  target: %s (%s, %s)\n", o->commit, o->path, o->target,
               o->doc_type, o->repo);
        s_report_push(o);
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
    char remote_err[1400];
    if (cw_devlog_check_remote(config->devlog.repo_path, config->devlog.remote, remote_err,
                               sizeof remote_err) != 0) {
        cw_devlog_scrub(remote_err, sizeof remote_err, config->devlog.token);
        fprintf(stderr, "codeworm run-once: warning: the commit cannot be pushed: %s\n",
                remote_err);
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
    /* Is a stack already running on this bus? (The ZeroMQ context created here does not
       hurt the children below: they exec right after fork.) */
    bool use_existing = false, broker_up = false;
    char missing[128] = "";
    cw_client_t *client = cw_client_new(config->bus.broker);
    if (client) {
        cw_value_t *status = cw_client_broker_status(client, CW_CLI_STATUS_TIMEOUT_MS);
        broker_up = status != NULL;
        use_existing = status && cw_stack_ready(status, missing, sizeof(missing));
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
        if (cw_stack_wait_workers(config, NULL, CW_CLI_STACK_TIMEOUT_MS) != 0)
            rc = 2;
    } else {
        sup = cw_stack_supervisor(cli, config, &stack, false);
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
            if (cw_stack_start(sup, config) != 0 ||
                cw_stack_wait_workers(config, sup, CW_CLI_STACK_TIMEOUT_MS) != 0)
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
