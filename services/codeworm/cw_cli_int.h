/*  cw_cli_int — what the `codeworm` commands share. Each command lives in its own file
    (cw_cmd_<name>.c) and exports one cw_cli_command_t; cw_cli.c holds the table, the
    global options and the help. cw_stack.c starts the processes that `run`, `run-once`
    and `backfill` need. Internal to services/codeworm/. */
#ifndef CW_CLI_INT_H
#define CW_CLI_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cw_cli.h"
#include "cw_config.h"
#include "cw_supervisor.h"
#include "cw_value.h"

#define CW_CLI_MAX_REPOS 64
#define CW_CLI_MAX_GENERATORS 64
#define CW_CLI_STACK_TIMEOUT_MS 20000
#define CW_CLI_STATUS_TIMEOUT_MS 1000

/* ------------------------------------------------------------------ exit codes
   One meaning each, for every command that runs documentation cycles (run-once,
   backfill) and documented in their --help and the README. */
#define CW_EXIT_OK 0       /* committed (run-once --dry-run: generated) */
#define CW_EXIT_NOTHING 1  /* nothing to document; also "No repositories configured" */
#define CW_EXIT_ERROR 2    /* an error: config, options, a failed step, a stack that won't start */
#define CW_EXIT_LLM_DOWN 3 /* the LLM is unavailable: nothing generated, try again later */
/* The lines --help shows for them. */
#define CW_EXIT_CODES_HELP                                                                         \
    "exit status: 0 committed, 1 nothing to document, 2 error, 3 LLM unavailable\n"

/* ------------------------------------------------------------------ context */
typedef struct {
    const char *config_dir; /* as given (default "config") */
    bool debug;
    /* run / run-once / init / stats / analyze options */
    const char *devlog;
    const char *repo_names[CW_CLI_MAX_REPOS];
    const char *repo_paths[CW_CLI_MAX_REPOS];
    int repo_count;
    bool dry_run; /* generate, never commit (the reference's --dry-run) */
    bool plan;    /* print the processes that would start, start nothing */
} cw_cli_t;

typedef int(cw_cli_cmd_fn)(cw_cli_t *cli, int argc, char **argv);

/* One command: its name, help texts and entry point. `options` lines end in '\n'. */
typedef struct {
    const char *name;
    const char *usage;
    const char *brief; /* one line for the command list */
    const char *summary;
    const char *options;
    cw_cli_cmd_fn *fn;
} cw_cli_command_t;

/* the commands (one file each) */
extern const cw_cli_command_t cw_cmd_run;
extern const cw_cli_command_t cw_cmd_run_once;
extern const cw_cli_command_t cw_cmd_backfill;
extern const cw_cli_command_t cw_cmd_analyze;
extern const cw_cli_command_t cw_cmd_stats;
extern const cw_cli_command_t cw_cmd_schedule_preview;
extern const cw_cli_command_t cw_cmd_init;
extern const cw_cli_command_t cw_cmd_events;
extern const cw_cli_command_t cw_cmd_status;
extern const cw_cli_command_t cw_cmd_version;
extern const cw_cli_command_t cw_cmd_dashboard;

/* ------------------------------------------------------------------ helpers (cw_cli.c) */
/* "codeworm COMMAND: <fmt with arg>" + a hint on stderr; returns 2. */
int cw_cli_usage_error(const char *command, const char *fmt, const char *arg);
/* A decimal integer in [lo, hi]; false when s is not one. */
bool cw_cli_parse_int(const char *s, long lo, long hi, long *out);
/* Shared by run / run-once / init / stats: --devlog, --repo, --dry-run, --plan. Returns 1
   if the option at argv[*i] was consumed, 0 if not one of them, -1 (exit code 2) on
   error. */
int cw_cli_parse_stack_option(cw_cli_t *cli, const char *command, int argc, char **argv, int *i,
                              bool allow_repo, bool allow_dry);
/* Every argument must be a stack option (--devlog, --repo, --dry-run, --plan). 0 or 2. */
int cw_cli_parse_run_options(cw_cli_t *cli, const char *command, int argc, char **argv);
/* Load the config and apply the command-line overrides. Returns NULL with *rc set
   (2 config error, 1 "No repositories configured"). need: 0 nothing checked, 1 repos +
   devlog (cw_config_check), 2 devlog only. */
cw_config_t *cw_cli_load(cw_cli_t *cli, int need, int *rc);
/* cw_cli_load that prints nothing: the reason goes to err. */
cw_config_t *cw_cli_load_quiet(cw_cli_t *cli, int need, int *rc, char *err, size_t errlen);
/* "<data_dir>/supervisor.json": the state `codeworm run` keeps of its children, which
   `status` reads. `create`: make data_dir if missing. 0 or -1. */
int cw_cli_supervisor_state_path(const cw_config_t *config, bool create, char *out, size_t outlen);
/* Expected services of a stack: broker, analyzer, generator, committer, scheduler,
   notifier, and dashboard when dashboard.enabled. Returns how many (at most 8). */
int cw_cli_expected_services(const cw_config_t *config, const char *out[8]);
/* ------------------------------------------------------------------ bus helpers (cw_stack.c) */
/* Workers registered for `service` in a broker status_reply (0 if none / no status). */
int64_t cw_cli_service_workers(const cw_value_t *status, const char *service);
/* SIGINT/SIGTERM seen (by czmq's handler or the supervisor's). */
bool cw_cli_interrupted(void);
/* Split "tcp://host:port" into host (the brackets of "[::1]" removed, "*" kept) and port.
   false when it is not a tcp:// endpoint with a port, or does not fit. */
bool cw_cli_tcp_endpoint(const char *endpoint, char *host, size_t hostlen, char *port,
                         size_t portlen);
/* Wait until something listens on a tcp:// endpoint (or an ipc:// socket file exists),
   without ZeroMQ, up to timeout_ms. true when it does. */
bool cw_cli_wait_endpoint(const char *endpoint, int timeout_ms);

/* ------------------------------------------------------------------ stack (cw_stack.c) */
typedef struct {
    char bin_dir[PATH_MAX];
    char config_dir[PATH_MAX]; /* what the children get */
    char tmp_dir[PATH_MAX];    /* private config dir to remove, or "" */
} cw_stack_t;

/* Work out binaries, the config dir for the children and their environment. 0 or 2
   (message printed). */
int cw_stack_prepare(cw_cli_t *cli, const cw_config_t *config, cw_stack_t *stack);
/* Remove the private config directory, if any. */
void cw_stack_cleanup(cw_stack_t *stack);
/* The start of `run` and `run-once`: their options, the configuration (repositories
   needed) and cw_stack_prepare. The configuration, or NULL with the exit code in *rc
   (message printed). */
cw_config_t *cw_stack_begin(cw_cli_t *cli, const char *command, int argc, char **argv,
                            cw_stack_t *stack, int *rc);
/* generator.instances, at least 1, at most CW_CLI_MAX_GENERATORS. */
int cw_stack_generator_count(const cw_config_t *config);
/* Print what `run` is about to do: DevLog, repositories (and the missing ones), LLM,
   schedule, bus, services. */
void cw_stack_print_summary(cw_cli_t *cli, const cw_config_t *config, FILE *out);
/* Print the processes the stack would start (full: also scheduler and notifier). */
void cw_stack_print_plan(cw_cli_t *cli, const cw_config_t *config, cw_stack_t *stack, bool full);
/* The supervisor for the stack; NULL (message printed) on error. */
cw_supervisor_t *cw_stack_supervisor(cw_cli_t *cli, const cw_config_t *config, cw_stack_t *stack,
                                     bool full);
/* Broker first, a short wait until it listens (at most 1 s), then the rest. 0 or -1. */
int cw_stack_start(cw_supervisor_t *sup, const cw_config_t *config);
/* Missing work services (analyzer, generator, committer) as "a, b" into `missing`; true
   when every one has a worker in `status`. */
bool cw_stack_ready(const cw_value_t *status, char *missing, size_t len);
/* Poll the broker until every needed service has a worker. 0 ready, -1 timeout/interrupt
   (message printed). `sup` (may be NULL) is polled meanwhile; with it, a missing service
   is reported with its child's last error, and the wait ends early when one keeps
   failing at start. */
int cw_stack_wait_workers(const cw_config_t *config, cw_supervisor_t *sup, int timeout_ms);
/* For run-once and backfill: use the stack on bus.broker if it has analyzer, generator
   and committer workers (waiting a while when its broker answers but workers are
   missing), else start a private broker, analyzer, generator(s) and committer (their
   logs to <data_dir>/<log_name> unless --debug). *sup_out = the private stack (stop and
   destroy it when done) or NULL; *generators_out (may be NULL) = generator workers. 0, or
   2 (message printed). */
int cw_stack_ensure(cw_cli_t *cli, const cw_config_t *config, cw_stack_t *stack,
                    const char *log_name, cw_supervisor_t **sup_out, int64_t *generators_out);

#endif
