/*  cw_config — the three YAML files of a config directory (config.yaml, repos.yaml,
    prompts.yaml) read as the reference reads them: same keys, same defaults, missing
    files mean defaults, empty strings mean "not set", `~` and `$VAR` expanded in paths,
    and overrides from the environment (CODEWORM_<SECTION>__<KEY>, also read from a
    `.env` file in the config directory and in the working directory), highest first:
    command line (cw_config_set), environment, YAML, defaults.

    Errors name the file and line: "config.yaml:12: schedule.min_commits_per_day must be
    an integer between 1 and 500". Secrets (telegram.bot_token, devlog.token,
    openai.api_key, webhook.headers) are never written by cw_config_dump.             */
#ifndef CW_CONFIG_H
#define CW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cw_doctype.h" /* doc types: cw_doc_type_t, names, default weights */

typedef struct {
    char *name; /* display name */
    char *path; /* expanded absolute or relative path; must be a directory */
    int weight; /* 1..10 */
    bool enabled;
} cw_repo_t;

typedef struct {
    char *name;
    char *value; /* may be a secret: never logged */
} cw_header_t;

typedef struct {
    char *language;
    char *hint;
} cw_lang_hint_t;

typedef struct {
    /* where it was loaded from */
    char *config_dir;

    bool debug;
    char *data_dir; /* default "data"; relative paths are relative to the working dir */

    struct {
        char *repo_path;    /* required */
        char *remote;       /* "" = never push */
        char *branch;       /* main */
        char *token;        /* secret, for https push */
        char *author_name;  /* default "CodeWorm" */
        char *author_email; /* default "codeworm@localhost" */
        char *ssh_key;      /* "" = ssh-agent, then ~/.ssh/id_ed25519, id_ecdsa, id_rsa */
    } devlog;

    struct {
        char *host;         /* localhost */
        int port;           /* 11434 */
        char *model;        /* qwen2.5:7b */
        double temperature; /* 0.3 */
        int num_ctx;        /* 16384 */
        int num_predict;    /* 4096 */
        char *keep_alive;   /* "-1" (string or number in YAML) */
        int stall_seconds;  /* 60: no bytes from the LLM for this long ends the attempt */
    } ollama;

    struct {
        char *backend; /* ollama | openai | offline */
    } llm;

    struct {
        char *base_url;     /* http://localhost:8080/v1 */
        char *model;        /* "" */
        char *api_key;      /* secret */
        double temperature; /* 0.3 */
        int max_tokens;     /* 4096 */
    } openai;

    struct {
        bool enabled;            /* true */
        int min_commits_per_day; /* 12 */
        int max_commits_per_day; /* 18 */
        char *timezone;          /* America/Los_Angeles */
        int prefer_hours[24];
        int prefer_hours_count; /* default 9,10,11,14,15,16,20,21,22 */
        int avoid_hours[24];
        int avoid_hours_count;    /* default 3,4,5,6,7 */
        double weekend_reduction; /* 0.7 */
        int min_gap_minutes;      /* 30 */
        double interval_seconds;  /* 0 = human-like schedule; else >= 0.01 s (decimals) */
        int max_in_flight;        /* 1 */
    } schedule;

    struct {
        int min_complexity; /* 3 */
        int max_lines;      /* 150 */
        int min_lines;      /* 15 */
        char **include_patterns;
        size_t include_count;
        char **exclude_patterns;
        size_t exclude_count;
    } analyzer;

    struct {
        int redocument_after_days;              /* 90 */
        double type_weights[CW_DOC_TYPE_COUNT]; /* indexed by cw_doc_type_t */
        double min_grounding; /* 0.8: least share of backticked identifiers found in the facts */
    } documentation;

    struct {
        char **patterns; /* extra secret patterns (POSIX extended regular expressions) */
        size_t pattern_count;
        char **allow; /* values (or patterns) never redacted: false positives */
        size_t allow_count;
    } redaction;

    struct {
        bool enabled;
        char *host;
        int port;
    } dashboard;

    struct {
        bool enabled;
        char *bot_token; /* secret */
        char *chat_id;
        int alert_after_failures;   /* 5 */
        bool alert_on_push_failure; /* true */
        bool alert_on_git_wedge;    /* true */
        char *api_base;             /* https://api.telegram.org */
    } telegram;

    struct {
        char *url;            /* "" = disabled */
        cw_header_t *headers; /* values are secrets */
        size_t header_count;
        char *format; /* json (default) | slack | discord */
    } webhook;

    struct {
        char *broker;        /* ipc://<data_dir>/run/broker.sock (the user's only) */
        char *events_in;     /* ipc://<data_dir>/run/events.sock */
        char *events_out;    /* tcp://127.0.0.1:5557 (read-only events, for anyone) */
        bool allow_insecure; /* false: a non-loopback bind without CURVE is refused */
        struct {
            bool enabled;
            char *server_public_key;
            char *server_secret_key; /* secret */
            char *client_public_key;
            char *client_secret_key; /* secret */
            char **allowed_clients;  /* public keys */
            size_t allowed_count;
        } curve;
    } bus;

    struct {
        int instances; /* 1 */
    } generator;

    /* repos.yaml (disabled entries dropped at load time) */
    cw_repo_t *repos;
    size_t repo_count;

    /* prompts.yaml: NULL = use the built-in default */
    struct {
        char *style;
        char *system_prompt;
        char *documentation_template;
        char *commit_message_template;
        cw_lang_hint_t *language_hints;
        size_t language_hint_count;
    } prompts;
} cw_config_t;

/* Load a config directory (NULL or "" = "config" in the working directory). On error returns
   NULL and writes "file:line: what is wrong" into err. Does not require repositories or
   devlog.repo_path: callers that need them call cw_config_check. */
cw_config_t *cw_config_load(const char *dir, char *err, size_t errlen);
/* Defaults only (no files, no environment). */
cw_config_t *cw_config_new_defaults(void);
void cw_config_destroy(cw_config_t **self_p);
/* Override one dotted key from the command line ("devlog.repo_path", "/x"). 0 or -1+err. */
int cw_config_set(cw_config_t *self, const char *key, const char *value, char *err, size_t errlen);
/* Add a repository from the command line (--repo NAME PATH). */
int cw_config_add_repo(cw_config_t *self, const char *name, const char *path, char *err,
                       size_t errlen);
/* Forget every repository (the command line's --repo NAME PATH replaces the configured
   ones, as the reference's does). */
void cw_config_clear_repos(cw_config_t *self);
/* true when the repository's path is an existing directory. */
bool cw_config_repo_exists(const cw_repo_t *repo);
/* Where repository `index` was configured: "repos.yaml:3" or "command line". */
const char *cw_config_repo_origin(const cw_config_t *self, size_t index);
/* What a running daemon needs: at least one repo ("No repositories configured"),
   devlog.repo_path set. A repository whose path is not an existing directory is skipped
   with a warning (repository_missing, naming it and its file:line); when none exists the
   error starts "No repositories configured that exist:" and names the first. 0 or
   -1 + err. */
int cw_config_check(const cw_config_t *self, bool need_repos, char *err, size_t errlen);
/* devlog.repo_path set (cw_config_check does this when need_repos; services that need the
   DevLog without repositories, like the committer, call it themselves). 0 or -1 + err. */
int cw_config_check_devlog(const cw_config_t *self, char *err, size_t errlen);
/* "<data_dir>/<name>" into out (created directory data_dir if missing). */
int cw_config_data_path(const cw_config_t *self, const char *name, char *out, size_t outlen);
/* ---- who may use the bus (issue 10)
   Unless set, bus.broker and bus.events_in are ipc:// sockets in <data_dir>/run (made
   0700), so only the user running the stack sends work or publishes events; when that
   path is too long for a Unix socket, /tmp/codeworm-<uid>/<hash of data_dir>/ instead. */
/* true for ipc://, inproc:// and loopback tcp:// (127.x, ::1, localhost) endpoints. */
bool cw_config_endpoint_is_private(const char *endpoint);
/* For the broker: 0 when every bus endpoint is private, CURVE is on, or
   bus.allow_insecure is true; -1 + err (naming the key, the risk and the fixes) when a
   bind would accept plain connections from other machines. */
int cw_config_check_bus_exposure(const cw_config_t *self, char *err, size_t errlen);
/* Before binding an ipc:// endpoint: its folder exists, is this user's and 0700, and no
   other broker listens on the socket. 0 (also for other transports) or -1 + err. */
int cw_config_prepare_ipc(const char *endpoint, char *err, size_t errlen);
/* data_dir (if it exists) and its top-level entries made private: folder 0700, files
   0600 (a warning says what was tightened). 0, or -1 + err. */
int cw_config_secure_data_dir(const cw_config_t *self, char *err, size_t errlen);
/* Expand a leading ~ and $VAR / ${VAR}; malloc'd result. */
char *cw_config_expand_path(const char *path);
/* Write the effective configuration as YAML-ish text with secrets shown as "***". */
void cw_config_dump(const cw_config_t *self, FILE *out);

#endif
