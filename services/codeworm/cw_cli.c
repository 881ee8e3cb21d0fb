/*  cw_cli — the `codeworm` command line: global options, the command table, help, and the
    helpers the commands share (cw_cli_int.h). Each command is in cw_cmd_<name>.c. */
#include "cw_cli.h"

#include <czmq.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cw_bus.h"
#include "cw_cli_int.h"
#include "cw_log.h"

static const cw_cli_command_t *s_find_command(const char *name);

/* ------------------------------------------------------------------ help */
static const char *s_global_usage =
    "usage: codeworm [--config DIR] [--debug] COMMAND [options]\n"
    "\n"
    "CodeWorm documents your code: it picks functions, classes and files worth writing\n"
    "about, has a local LLM document them and commits the markdown into a DevLog repository\n"
    "at human-like times.\n"
    "\n"
    "global options (before the command):\n"
    "  --config DIR   configuration directory (config.yaml, repos.yaml, prompts.yaml);\n"
    "                 default: config\n"
    "  --debug        debug logging (also passed to the services `run` starts)\n"
    "  -h, --help     this help\n"
    "\n"
    "commands:\n";

static void s_print_usage(FILE *out);

static void s_print_command_help(const cw_cli_command_t *cmd)
{
    printf("usage: codeworm [--config DIR] [--debug] %s\n\n%s\n", cmd->usage, cmd->summary);
    if (cmd->options && *cmd->options)
        printf("\noptions:\n%s", cmd->options);
    printf("  -h, --help            this help\n");
}

static bool s_is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

int cw_cli_usage_error(const char *command, const char *fmt, const char *arg)
{
    fprintf(stderr, "codeworm %s: ", command);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'codeworm %s --help'.\n", command);
    return 2;
}

/* ------------------------------------------------------------------ helpers */
bool cw_cli_parse_int(const char *s, long lo, long hi, long *out)
{
    if (!s || !*s)
        return false;
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* Shared by run / run-once / init / stats: --devlog, --repo, --dry-run. Returns 1 if the
   option at argv[*i] was consumed, 0 if not one of them, -1 (exit code 2) on error. */
int cw_cli_parse_stack_option(cw_cli_t *cli, const char *command, int argc, char **argv, int *i,
                              bool allow_repo, bool allow_dry)
{
    const char *arg = argv[*i];
    if (strcmp(arg, "--devlog") == 0) {
        if (*i + 1 >= argc) {
            cw_cli_usage_error(command, "%s needs a PATH", arg);
            return -1;
        }
        cli->devlog = argv[++*i];
        return 1;
    }
    if (strncmp(arg, "--devlog=", 9) == 0) {
        cli->devlog = arg + 9;
        return 1;
    }
    if (allow_repo && strcmp(arg, "--repo") == 0) {
        if (*i + 2 >= argc) {
            cw_cli_usage_error(command, "%s needs a NAME and a PATH", arg);
            return -1;
        }
        if (cli->repo_count >= CW_CLI_MAX_REPOS) {
            cw_cli_usage_error(command, "too many %s options", arg);
            return -1;
        }
        cli->repo_names[cli->repo_count] = argv[*i + 1];
        cli->repo_paths[cli->repo_count] = argv[*i + 2];
        cli->repo_count++;
        *i += 2;
        return 1;
    }
    if (allow_dry && strcmp(arg, "--dry-run") == 0) {
        cli->dry_run = true;
        return 1;
    }
    if (allow_dry && strcmp(arg, "--plan") == 0) {
        cli->plan = true;
        return 1;
    }
    return 0;
}

int cw_cli_parse_run_options(cw_cli_t *cli, const char *command, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        int r = cw_cli_parse_stack_option(cli, command, argc, argv, &i, true, true);
        if (r < 0)
            return 2;
        if (r == 0)
            return cw_cli_usage_error(command, "unknown option '%s'", argv[i]);
    }
    return 0;
}

/* Load the config and apply the command-line overrides. Returns NULL with *rc set
   (2 config error, 1 "No repositories configured"). need: 0 nothing checked, 1 repos +
   devlog (cw_config_check), 2 devlog only. */
cw_config_t *cw_cli_load_quiet(cw_cli_t *cli, int need, int *rc, char *err, size_t errlen)
{
    char why[1024] = "";
    cw_config_t *config = cw_config_load(cli->config_dir, why, sizeof(why));
    if (!config) {
        snprintf(err, errlen, "configuration error: %s", why);
        *rc = CW_EXIT_ERROR;
        return NULL;
    }
    if (cli->debug) {
        config->debug = true;
        cw_log_set_level(CW_LOG_DEBUG);
    } else if (config->debug)
        cw_log_set_level(CW_LOG_DEBUG);
    if (cli->devlog &&
        cw_config_set(config, "devlog.repo_path", cli->devlog, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "--devlog: %s", why);
        cw_config_destroy(&config);
        *rc = CW_EXIT_ERROR;
        return NULL;
    }
    /* --repo NAME PATH replaces the configured repositories (the reference's meaning) */
    if (cli->repo_count > 0)
        cw_config_clear_repos(config);
    for (int i = 0; i < cli->repo_count; i++) {
        if (cw_config_add_repo(config, cli->repo_names[i], cli->repo_paths[i], why, sizeof(why)) !=
            0) {
            snprintf(err, errlen, "--repo: %s", why);
            cw_config_destroy(&config);
            *rc = CW_EXIT_ERROR;
            return NULL;
        }
    }
    int check = 0;
    if (need == 1)
        check = cw_config_check(config, true, why, sizeof(why));
    else if (need == 2)
        check = cw_config_check_devlog(config, why, sizeof(why));
    if (check == 0) /* CURVE on the bus: every socket from now on is a CURVE client */
        check = cw_bus_curve_from_config(config, why, sizeof(why));
    if (check != 0) {
        bool no_repos = strstr(why, "No repositories configured") != NULL;
        snprintf(err, errlen, "%s", why);
        cw_config_destroy(&config);
        *rc = no_repos ? CW_EXIT_NOTHING : CW_EXIT_ERROR;
        return NULL;
    }
    return config;
}

cw_config_t *cw_cli_load(cw_cli_t *cli, int need, int *rc)
{
    char err[1100] = "";
    cw_config_t *config = cw_cli_load_quiet(cli, need, rc, err, sizeof(err));
    if (!config)
        fprintf(stderr, "codeworm: %s\n", err);
    return config;
}

int cw_cli_supervisor_state_path(const cw_config_t *config, bool create, char *out, size_t outlen)
{
    if (create)
        return cw_config_data_path(config, "supervisor.json", out, outlen);
    const char *dir = config->data_dir && *config->data_dir ? config->data_dir : "data";
    int n = snprintf(out, outlen, "%s/supervisor.json", dir);
    return n > 0 && (size_t)n < outlen ? 0 : -1;
}

int cw_cli_expected_services(const cw_config_t *config, const char *out[8])
{
    static const char *base[] = {"broker",    "analyzer",  "generator",
                                 "committer", "scheduler", "notifier"};
    int n = 0;
    for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++)
        out[n++] = base[i];
    if (config && config->dashboard.enabled)
        out[n++] = "dashboard";
    return n;
}

int cw_cli_bin_dir(char *out, size_t outlen)
{
    const char *env = getenv("CW_BIN_DIR");
    if (env && *env) {
        if (strlen(env) >= outlen)
            return -1;
        strcpy(out, env);
        return 0;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return -1;
    exe[n] = '\0';
    char *dir = dirname(exe);
    if (strlen(dir) >= outlen)
        return -1;
    strcpy(out, dir);
    return 0;
}

/* YAML double-quoted scalar (control characters dropped). */
static void s_yaml_quoted(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\') {
            fputc('\\', f);
            fputc(*p, f);
        } else if (*p >= 0x20 && *p != 0x7f)
            fputc(*p, f);
    }
    fputc('"', f);
}

int cw_cli_write_repos_yaml(const cw_config_t *config, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "# written by `codeworm` for the services it starts\nrepositories:\n");
    for (size_t i = 0; i < config->repo_count; i++) {
        const cw_repo_t *r = &config->repos[i];
        fprintf(f, "  - name: ");
        s_yaml_quoted(f, r->name);
        fprintf(f, "\n    path: ");
        s_yaml_quoted(f, r->path);
        fprintf(f, "\n    weight: %d\n    enabled: %s\n", r->weight > 0 ? r->weight : 5,
                r->enabled ? "true" : "false");
    }
    int rc = ferror(f) ? -1 : 0;
    if (fclose(f) != 0)
        rc = -1;
    return rc;
}
/* ------------------------------------------------------------------ table + main */
static const cw_cli_command_t *s_commands[] = {
    &cw_cmd_run,  &cw_cmd_run_once, &cw_cmd_analyze, &cw_cmd_stats,   &cw_cmd_schedule_preview,
    &cw_cmd_init, &cw_cmd_events,   &cw_cmd_status,  &cw_cmd_version, &cw_cmd_dashboard,
    &cw_cmd_backfill,
};

static const cw_cli_command_t *s_find_command(const char *name)
{
    for (size_t i = 0; i < sizeof(s_commands) / sizeof(s_commands[0]); i++)
        if (strcmp(s_commands[i]->name, name) == 0)
            return s_commands[i];
    return NULL;
}

static void s_print_usage(FILE *out)
{
    fputs(s_global_usage, out);
    for (size_t i = 0; i < sizeof(s_commands) / sizeof(s_commands[0]); i++) {
        fprintf(out, "  %-18s %s\n", s_commands[i]->name, s_commands[i]->brief);
    }
    fputs("\nrun-once and backfill: " CW_EXIT_CODES_HELP, out);
    fputs("\n`codeworm COMMAND --help` describes each command.\n", out);
}

int cw_cli_main(int argc, char **argv)
{
    cw_cli_t cli;
    memset(&cli, 0, sizeof(cli));
    cli.config_dir = "config";
    cw_log_init("codeworm");
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--config") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "codeworm: --config needs a DIR\n");
                return 2;
            }
            cli.config_dir = argv[++i];
        } else if (strncmp(a, "--config=", 9) == 0)
            cli.config_dir = a + 9;
        else if (strcmp(a, "--debug") == 0)
            cli.debug = true;
        else if (s_is_help(a)) {
            s_print_usage(stdout);
            return 0;
        } else if (strcmp(a, "--version") == 0) {
            printf("codeworm %s\n", CW_VERSION);
            return 0;
        } else if (a[0] == '-') {
            fprintf(stderr, "codeworm: unknown option '%s'\n\n", a);
            s_print_usage(stderr);
            return 2;
        } else
            break;
    }
    if (i >= argc) {
        s_print_usage(stderr);
        return 2;
    }
    const cw_cli_command_t *cmd = s_find_command(argv[i]);
    if (!cmd) {
        fprintf(stderr, "codeworm: unknown command '%s'\n\n", argv[i]);
        s_print_usage(stderr);
        return 2;
    }
    int sub_argc = argc - i;
    char **sub_argv = argv + i;
    for (int k = 1; k < sub_argc; k++) {
        if (s_is_help(sub_argv[k])) {
            s_print_command_help(cmd);
            return 0;
        }
        if (strcmp(sub_argv[k], "--config") == 0 || strcmp(sub_argv[k], "--debug") == 0) {
            fprintf(stderr,
                    "codeworm %s: %s is a global option: put it before the command "
                    "(codeworm %s ... %s)\n",
                    cmd->name, sub_argv[k], sub_argv[k], cmd->name);
            return 2;
        }
    }
    if (cli.debug)
        cw_log_set_level(CW_LOG_DEBUG);
    return cmd->fn(&cli, sub_argc, sub_argv);
}
