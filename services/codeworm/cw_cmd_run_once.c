/*  `codeworm run-once`: one documentation cycle, on the running stack or a private one. */
#include <czmq.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cw_cli_int.h"
#include "cw_bus.h"
#include "cw_log.h"
#include "cw_preflight.h"
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
        return CW_EXIT_OK;
    case CW_CYCLE_GENERATED:
        printf("Dry run: documented %s (%s, %s); nothing was committed\n", o->target, o->doc_type,
               o->repo);
        return CW_EXIT_OK;
    case CW_CYCLE_SKIPPED:
        printf("Nothing to document: %s\n", o->reason[0] ? o->reason : "no candidates left");
        return CW_EXIT_NOTHING;
    case CW_CYCLE_LLM_DOWN:
        printf("LLM unavailable: %s\n", o->reason[0] ? o->reason : "the generator cannot reach it");
        return CW_EXIT_LLM_DOWN;
    case CW_CYCLE_FAILED:
    default:
        fprintf(stderr, "codeworm run-once: cycle failed%s%s: %s\n", o->step[0] ? " at " : "",
                o->step, o->reason[0] ? o->reason : "unknown error");
        return CW_EXIT_ERROR;
    }
}

/* --dry-run: the document as it would be committed, and its commit message. */
static void s_print_document(void *arg, const cw_value_t *target, const cw_value_t *reply)
{
    (void)arg;
    char *doc = cw_devlog_render(target, cw_map_str(reply, "documentation", ""), time(NULL));
    char *folder =
        cw_devlog_folder(cw_map_str(target, "doc_type", ""), cw_map_str(target, "language", ""));
    char *name = cw_devlog_display_name(target);
    char *slug = cw_devlog_slug(name ? name : "");
    char *message =
        cw_devlog_clean_commit_message(cw_map_str(reply, "commit_message", ""), name ? name : "");
    printf("--- would write %s/<date>_%s.md ---\n%s", folder ? folder : "?", slug ? slug : "?",
           doc ? doc : cw_map_str(reply, "documentation", ""));
    printf("--- would commit: %s\n", message ? message : "");
    fflush(stdout);
    free(doc);
    free(folder);
    free(name);
    free(slug);
    free(message);
}

static int s_cmd_run_once(cw_cli_t *cli, int argc, char **argv)
{
    int rc = 0;
    cw_stack_t stack;
    cw_config_t *config = cw_stack_begin(cli, "run-once", argc, argv, &stack, &rc);
    if (!config)
        return rc;
    char remote_err[1400];
    if (cw_devlog_check_remote(config->devlog.repo_path, config->devlog.remote, remote_err,
                               sizeof remote_err) != 0) {
        cw_devlog_scrub(remote_err, sizeof remote_err, config->devlog.token);
        fprintf(stderr, "codeworm run-once: warning: the commit cannot be pushed: %s\n",
                remote_err);
    }
    if (cli->plan) {
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
            if (cli->dry_run)
                cw_cycle_runner_set_dry_run(runner, s_print_document, NULL);
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
    "run-once [--devlog PATH] [--repo NAME PATH]... [--dry-run] [--plan]",
    "one documentation cycle, then exit",
    "Run one documentation cycle and exit: on the running stack if its broker answers\n"
    "with analyzer, generator and committer workers, else on a private stack started\n"
    "for it, after the same checks as `run` (its service logs go to\n"
    "<data_dir>/run-once.log; a service that does not start is reported with its last\n"
    "error).\n" CW_EXIT_CODES_HELP,
    "  --devlog PATH         DevLog repository\n"
    "  --repo NAME PATH      document this repository instead of those in repos.yaml\n"
    "                        (repeatable; weight 5)\n"
    "  --dry-run             analyze and generate, print the document, commit nothing\n"
    "  --plan                print the processes it would start, and exit\n",
    s_cmd_run_once};
