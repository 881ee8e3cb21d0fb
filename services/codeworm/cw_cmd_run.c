/*  `codeworm run`: start and supervise the whole stack. */
#include <czmq.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cw_cli_int.h"
#include "cw_json.h"
#include "cw_log.h"
#include "cw_preflight.h"
#include "cw_supervisor.h"

typedef struct {
    cw_cli_t *cli;
    const cw_config_t *config; /* as `run` started; a reload is checked against it */
    bool next_cycle_shown;
} s_run_t;

/* The scheduler's first next_cycle log line completes the start-up summary. */
static void s_on_line(const char *child, const char *line, void *arg)
{
    s_run_t *run = arg;
    if (run->next_cycle_shown || strcmp(child, "scheduler") != 0 || !strstr(line, "next_cycle"))
        return;
    char err[64];
    cw_value_t *root = cw_json_parse(line, strlen(line), err, sizeof(err));
    if (strcmp(cw_map_str(root, "event", ""), "next_cycle") == 0) {
        long seconds = (long)cw_map_float(root, "seconds", 0);
        char in[64];
        if (seconds >= 3600)
            snprintf(in, sizeof(in), "%ld h %ld min", seconds / 3600, (seconds % 3600) / 60);
        else if (seconds >= 60)
            snprintf(in, sizeof(in), "%ld min %ld s", seconds / 60, seconds % 60);
        else
            snprintf(in, sizeof(in), "%ld s", seconds);
        printf("  Next cycle:    %s (in %s)\n", cw_map_str(root, "at", "?"), in);
        fflush(stdout);
        run->next_cycle_shown = true;
    }
    cw_value_destroy(&root);
}

/* SIGHUP: check the new configuration once here; only a good one is passed on. */
static bool s_on_hangup(void *arg)
{
    s_run_t *run = arg;
    char err[1100] = "";
    int rc = 0;
    cw_config_t *fresh = cw_cli_load_quiet(run->cli, 1, &rc, err, sizeof(err));
    if (!fresh) {
        cw_error("config_reload_refused", CW_LS("error", err),
                 CW_LS("hint", "not passed on: every service keeps its current configuration; "
                               "fix the file and send SIGHUP again"),
                 CW_LEND);
        return false;
    }
    if (cw_stack_generator_count(fresh) != cw_stack_generator_count(run->config))
        cw_warn("config_reload_needs_restart", CW_LS("keys", "generator.instances"),
                CW_LS("hint", "the number of generators changes when `run` restarts"), CW_LEND);
    cw_info("config_reload", CW_LS("config_dir", fresh->config_dir),
            CW_LI("repos", (long long)fresh->repo_count), CW_LS("llm_backend", fresh->llm.backend),
            CW_LS("hint", "passed on to every service; each applies it between two jobs"), CW_LEND);
    cw_config_destroy(&fresh);
    return true;
}

static int s_cmd_run(cw_cli_t *cli, int argc, char **argv)
{
    int rc = 0;
    cw_stack_t stack;
    cw_config_t *config = cw_stack_begin(cli, "run", argc, argv, &stack, &rc);
    if (!config)
        return rc;
    if (cli->plan) {
        cw_stack_print_plan(cli, config, &stack, true);
        cw_stack_cleanup(&stack);
        cw_config_destroy(&config);
        return 0;
    }
    if (cw_preflight_run(config, CW_PREFLIGHT_ALL, stderr) > 0) {
        cw_stack_cleanup(&stack);
        cw_config_destroy(&config);
        return CW_EXIT_ERROR;
    }
    /* No ZeroMQ in this process: fork/exec only. */
    cw_supervisor_install_signals();
    cw_supervisor_t *sup = cw_stack_supervisor(cli, config, &stack, true);
    if (!sup) {
        cw_stack_cleanup(&stack);
        cw_config_destroy(&config);
        return CW_EXIT_ERROR;
    }
    s_run_t run = {cli, config, false};
    cw_stack_print_summary(cli, config, stdout);
    cw_supervisor_set_line_hook(sup, s_on_line, &run);
    cw_supervisor_set_hup_hook(sup, s_on_hangup, &run);
    char state[PATH_MAX];
    if (cw_cli_supervisor_state_path(config, true, state, sizeof(state)) == 0)
        cw_supervisor_set_state_file(sup, state);
    cw_info("stack_starting", CW_LS("config", stack.config_dir), CW_LS("bin_dir", stack.bin_dir),
            CW_LI("children", cw_supervisor_count(sup)), CW_LB("dry_run", cli->dry_run), CW_LEND);
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
    "run [--devlog PATH] [--repo NAME PATH]... [--dry-run] [--plan]",
    "run the whole stack, supervised (the daemon)",
    "Run the whole stack (broker, analyzer, generator x generator.instances, committer,\n"
    "scheduler, notifier) as supervised child processes, after checking that it can start\n"
    "(DevLog and data_dir writable, devlog.remote known, bus ports free; an LLM that does\n"
    "not answer is a warning). Prints a summary (DevLog, repositories, LLM, schedule, next\n"
    "cycle); the services' log lines follow on stderr. A child that exits is restarted\n"
    "after a growing delay (1 s doubling to 60 s); one that keeps failing at start is\n"
    "reported with its last error (also by `codeworm status`). A repository whose path is\n"
    "missing is skipped with a warning. SIGHUP reloads the configuration (checked here,\n"
    "then passed on; an invalid one is refused and the old one stays). SIGINT/SIGTERM\n"
    "stops everything.\n"
    "exit status: 0 stopped by a signal, 1 no repositories, 2 error (configuration,\n"
    "preflight)",
    "  --devlog PATH         DevLog repository (exported as CODEWORM_DEVLOG__REPO_PATH)\n"
    "  --repo NAME PATH      document this repository instead of those in repos.yaml\n"
    "                        (repeatable; weight 5)\n"
    "  --dry-run             generate documents but never commit them (they are logged)\n"
    "  --plan                print the processes it would start, and exit\n",
    s_cmd_run};
