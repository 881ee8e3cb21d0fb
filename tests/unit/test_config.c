/*  test_config — cw_config: defaults, YAML files, environment, .env, expansion, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cw_config.h"
#include "cw_log.h"

static char s_base[256]; /* temp dir for the whole run */
static char s_cwd[4096]; /* original working directory */
static char s_fixtures[4096];
static int s_dirn = 0;

/* ------------------------------------------------------------------ helpers */

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* a fresh config directory under s_base */
static const char *new_dir(char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/cfg%d", s_base, ++s_dirn);
    assert_int_equal(mkdir(buf, 0755), 0);
    return buf;
}

/* load a config.yaml text; returns config or NULL with err */
static cw_config_t *load_text(const char *config_yaml, char *err, size_t errlen)
{
    char dir[512];
    new_dir(dir, sizeof(dir));
    write_file(dir, "config.yaml", config_yaml);
    return cw_config_load(dir, err, errlen);
}

static void expect_error(const char *config_yaml, const char *expected)
{
    char err[1024] = "";
    cw_config_t *c = load_text(config_yaml, err, sizeof(err));
    if (c) {
        cw_config_destroy(&c);
        fail_msg("expected error \"%s\" for:\n%s", expected, config_yaml);
    }
    if (strcmp(err, expected) != 0)
        fail_msg("error was\n  \"%s\"\nexpected\n  \"%s\"", err, expected);
}

static void clear_env(void)
{
    extern char **environ;
    char names[64][128];
    int n = 0;
    for (char **e = environ; *e && n < 64; e++)
        if (strncmp(*e, "CODEWORM_", 9) == 0) {
            const char *eq = strchr(*e, '=');
            size_t len = eq ? (size_t)(eq - *e) : strlen(*e);
            if (len < 128) {
                memcpy(names[n], *e, len);
                names[n++][len] = '\0';
            }
        }
    for (int i = 0; i < n; i++)
        unsetenv(names[i]);
}

static int setup(void **state)
{
    (void)state;
    clear_env();
    assert_int_equal(chdir(s_base), 0); /* no stray ./.env or ./config */
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    clear_env();
    assert_int_equal(chdir(s_base), 0);
    return 0;
}

/* log hook: keep the last warning */
static char s_last_log[2048];
static void log_hook(cw_log_level_t level, const char *line, void *arg)
{
    (void)arg;
    if (level >= CW_LOG_WARN)
        snprintf(s_last_log, sizeof(s_last_log), "%s", line);
}

/* ------------------------------------------------------------------ tests */

static void test_doc_type_names(void **state)
{
    (void)state;
    assert_string_equal(cw_doc_type_name(CW_DOC_FUNCTION), "function_doc");
    assert_string_equal(cw_doc_type_name(CW_DOC_SECURITY), "security_review");
    assert_string_equal(cw_doc_type_name(CW_DOC_PERFORMANCE), "performance_analysis");
    assert_string_equal(cw_doc_type_name(CW_DOC_EVOLUTION), "code_evolution");
    assert_string_equal(cw_doc_type_name(CW_DOC_MONTHLY), "monthly_summary");
    assert_null(cw_doc_type_name(-1));
    assert_null(cw_doc_type_name(CW_DOC_TYPE_COUNT));
    for (int i = 0; i < CW_DOC_TYPE_COUNT; i++)
        assert_int_equal(cw_doc_type_from_name(cw_doc_type_name(i)), i);
    assert_int_equal(cw_doc_type_from_name("nope"), -1);
    assert_int_equal(cw_doc_type_from_name(NULL), -1);
}

static void assert_defaults(const cw_config_t *c)
{
    assert_false(c->debug);
    assert_string_equal(c->data_dir, "data");
    assert_string_equal(c->devlog.repo_path, "");
    assert_string_equal(c->devlog.remote, "");
    assert_string_equal(c->devlog.branch, "main");
    assert_string_equal(c->devlog.token, "");
    assert_string_equal(c->devlog.author_name, "CodeWorm");
    assert_string_equal(c->devlog.author_email, "codeworm@localhost");
    assert_string_equal(c->ollama.host, "localhost");
    assert_int_equal(c->ollama.port, 11434);
    assert_string_equal(c->ollama.model, "qwen2.5:7b");
    assert_true(c->ollama.temperature == 0.3);
    assert_int_equal(c->ollama.num_ctx, 16384);
    assert_int_equal(c->ollama.num_predict, 4096);
    assert_string_equal(c->ollama.keep_alive, "-1");
    assert_string_equal(c->llm.backend, "ollama");
    assert_string_equal(c->openai.base_url, "http://localhost:8080/v1");
    assert_string_equal(c->openai.model, "");
    assert_string_equal(c->openai.api_key, "");
    assert_true(c->openai.temperature == 0.3);
    assert_int_equal(c->openai.max_tokens, 4096);
    assert_true(c->schedule.enabled);
    assert_int_equal(c->schedule.min_commits_per_day, 12);
    assert_int_equal(c->schedule.max_commits_per_day, 18);
    assert_string_equal(c->schedule.timezone, "America/Los_Angeles");
    int prefer[] = {9, 10, 11, 14, 15, 16, 20, 21, 22};
    assert_int_equal(c->schedule.prefer_hours_count, 9);
    assert_memory_equal(c->schedule.prefer_hours, prefer, sizeof(prefer));
    int avoid[] = {3, 4, 5, 6, 7};
    assert_int_equal(c->schedule.avoid_hours_count, 5);
    assert_memory_equal(c->schedule.avoid_hours, avoid, sizeof(avoid));
    assert_true(c->schedule.weekend_reduction == 0.7);
    assert_int_equal(c->schedule.min_gap_minutes, 30);
    assert_true(c->schedule.interval_seconds == 0.0);
    assert_int_equal(c->schedule.max_in_flight, 1);
    assert_int_equal(c->analyzer.min_complexity, 3);
    assert_int_equal(c->analyzer.max_lines, 150);
    assert_int_equal(c->analyzer.min_lines, 15);
    assert_int_equal(c->analyzer.include_count, 6);
    assert_string_equal(c->analyzer.include_patterns[0], "**/*.py");
    assert_string_equal(c->analyzer.include_patterns[5], "**/*.rs");
    assert_int_equal(c->analyzer.exclude_count, 14);
    assert_string_equal(c->analyzer.exclude_patterns[0], "**/test_*.py");
    assert_string_equal(c->analyzer.exclude_patterns[5], "**/node_modules/**");
    assert_string_equal(c->analyzer.exclude_patterns[13], "**/target/**");
    assert_int_equal(c->documentation.redocument_after_days, 90);
    double w[] = {35, 12, 12, 10, 8, 10, 5, 3, 3, 1, 1};
    for (int i = 0; i < CW_DOC_TYPE_COUNT; i++)
        assert_true(c->documentation.type_weights[i] == w[i]);
    assert_true(c->documentation.min_grounding == 0.8);
    assert_int_equal(c->redaction.pattern_count, 0);
    assert_int_equal(c->redaction.allow_count, 0);
    assert_int_equal(c->ollama.stall_seconds, 60);
    assert_false(c->bus.allow_insecure);
    assert_false(c->dashboard.enabled);
    /* the reference's default is 0.0.0.0; ours is loopback (docs/ARCHITECTURE.md) */
    assert_string_equal(c->dashboard.host, "127.0.0.1");
    assert_int_equal(c->dashboard.port, 8420);
    assert_false(c->telegram.enabled);
    assert_string_equal(c->telegram.bot_token, "");
    assert_string_equal(c->telegram.chat_id, "");
    assert_int_equal(c->telegram.alert_after_failures, 5);
    assert_true(c->telegram.alert_on_push_failure);
    assert_true(c->telegram.alert_on_git_wedge);
    assert_string_equal(c->telegram.api_base, "https://api.telegram.org");
    assert_string_equal(c->webhook.url, "");
    assert_int_equal(c->webhook.header_count, 0);
    assert_string_equal(c->webhook.format, "json");
    /* work and event input: Unix sockets in <data_dir>/run, the user's only (issue 10) */
    char cwd[4096], want[4200];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    snprintf(want, sizeof(want), "ipc://%s/data/run/broker.sock", cwd);
    assert_string_equal(c->bus.broker, want);
    snprintf(want, sizeof(want), "ipc://%s/data/run/events.sock", cwd);
    assert_string_equal(c->bus.events_in, want);
    assert_string_equal(c->bus.events_out, "tcp://127.0.0.1:5557");
    assert_false(c->bus.curve.enabled);
    assert_string_equal(c->bus.curve.server_public_key, "");
    assert_int_equal(c->bus.curve.allowed_count, 0);
    assert_int_equal(c->generator.instances, 1);
    assert_int_equal(c->repo_count, 0);
    assert_null(c->prompts.style);
    assert_null(c->prompts.system_prompt);
    assert_null(c->prompts.documentation_template);
    assert_null(c->prompts.commit_message_template);
    assert_int_equal(c->prompts.language_hint_count, 0);
}

static void test_defaults(void **state)
{
    (void)state;
    cw_config_t *c = cw_config_new_defaults();
    assert_non_null(c);
    assert_defaults(c);
    cw_config_destroy(&c);
    assert_null(c);
    cw_config_destroy(&c); /* idempotent */
    cw_config_destroy(NULL);
}

static void test_missing_files_mean_defaults(void **state)
{
    (void)state;
    char dir[512], err[512] = "";
    new_dir(dir, sizeof(dir));
    cw_config_t *c = cw_config_load(dir, err, sizeof(err));
    assert_non_null(c);
    assert_defaults(c);
    assert_string_equal(c->config_dir, dir);
    cw_config_destroy(&c);
    /* NULL = ./config, which does not exist here: defaults too */
    c = cw_config_load(NULL, err, sizeof(err));
    assert_non_null(c);
    assert_string_equal(c->config_dir, "config");
    assert_defaults(c);
    cw_config_destroy(&c);
    /* an explicit directory that does not exist is an error */
    c = cw_config_load("/nonexistent/cw-config", err, sizeof(err));
    assert_null(c);
    assert_string_equal(err, "config directory '/nonexistent/cw-config' does not exist");
    /* an empty file is fine */
    c = load_text("", err, sizeof(err));
    assert_non_null(c);
    assert_defaults(c);
    cw_config_destroy(&c);
    c = load_text("# only a comment\n", err, sizeof(err));
    assert_non_null(c);
    cw_config_destroy(&c);
}

static void test_full_fixture(void **state)
{
    (void)state;
    char home[512], path[600], dir[4200], err[1024] = "";
    snprintf(home, sizeof(home), "%s/home", s_base);
    mkdir(home, 0755);
    setenv("HOME", home, 1);
    setenv("CWTEST_BASE", s_base, 1);
    snprintf(dir, sizeof(dir), "%s/full", s_fixtures);
    cw_config_t *c = cw_config_load(dir, err, sizeof(err));
    if (!c)
        fail_msg("load failed: %s", err);
    assert_true(c->debug);
    snprintf(path, sizeof(path), "%s/data", s_base);
    assert_string_equal(c->data_dir, path);
    snprintf(path, sizeof(path), "%s/devlog", home);
    assert_string_equal(c->devlog.repo_path, path);
    assert_string_equal(c->devlog.remote, "origin");
    assert_string_equal(c->devlog.branch, "docs");
    assert_string_equal(c->devlog.token, "ghp_SECRETTOKEN123");
    assert_string_equal(c->devlog.author_name, "Worm Bot");
    assert_string_equal(c->devlog.author_email, "worm@example.com");
    assert_string_equal(c->ollama.host, "gpu-box");
    assert_int_equal(c->ollama.port, 11500);
    assert_string_equal(c->ollama.model, "llama3:8b");
    assert_true(c->ollama.temperature == 0.5);
    assert_int_equal(c->ollama.num_ctx, 8192);
    assert_int_equal(c->ollama.num_predict, 2048);
    assert_string_equal(c->ollama.keep_alive, "5m");
    assert_string_equal(c->llm.backend, "openai");
    assert_string_equal(c->openai.base_url, "https://llm.example.com/v1");
    assert_string_equal(c->openai.model, "gpt-x");
    assert_string_equal(c->openai.api_key, "sk-SECRETKEY456");
    assert_true(c->openai.temperature == 0.9);
    assert_int_equal(c->openai.max_tokens, 1000);
    assert_false(c->schedule.enabled);
    assert_int_equal(c->schedule.min_commits_per_day, 3);
    assert_int_equal(c->schedule.max_commits_per_day, 7);
    assert_string_equal(c->schedule.timezone, "Europe/Berlin");
    assert_int_equal(c->schedule.prefer_hours_count, 2);
    assert_int_equal(c->schedule.prefer_hours[0], 8);
    assert_int_equal(c->schedule.prefer_hours[1], 12);
    assert_int_equal(c->schedule.avoid_hours_count, 2);
    assert_int_equal(c->schedule.avoid_hours[0], 0);
    assert_int_equal(c->schedule.avoid_hours[1], 1);
    assert_true(c->schedule.weekend_reduction == 0.5);
    assert_int_equal(c->schedule.min_gap_minutes, 10);
    assert_true(c->schedule.interval_seconds == 60.0);
    assert_int_equal(c->schedule.max_in_flight, 2);
    assert_int_equal(c->analyzer.min_complexity, 5);
    assert_int_equal(c->analyzer.max_lines, 300);
    assert_int_equal(c->analyzer.min_lines, 10);
    assert_int_equal(c->analyzer.include_count, 2);
    assert_string_equal(c->analyzer.include_patterns[0], "**/*.c");
    assert_string_equal(c->analyzer.include_patterns[1], "**/*.h");
    assert_int_equal(c->analyzer.exclude_count, 1);
    assert_string_equal(c->analyzer.exclude_patterns[0], "**/third_party/**");
    assert_int_equal(c->documentation.redocument_after_days, 30);
    /* the mapping replaces the defaults, as in the reference */
    assert_true(c->documentation.type_weights[CW_DOC_FUNCTION] == 50);
    assert_true(c->documentation.type_weights[CW_DOC_TIL] == 0);
    assert_true(c->documentation.type_weights[CW_DOC_WEEKLY] == 2.5);
    assert_true(c->documentation.type_weights[CW_DOC_CLASS] == 0);
    assert_true(c->dashboard.enabled);
    assert_string_equal(c->dashboard.host, "0.0.0.0");
    assert_int_equal(c->dashboard.port, 9000);
    assert_true(c->telegram.enabled);
    assert_string_equal(c->telegram.bot_token, "123:SECRETBOT789");
    assert_string_equal(c->telegram.chat_id, "-100200");
    assert_int_equal(c->telegram.alert_after_failures, 3);
    assert_false(c->telegram.alert_on_push_failure);
    assert_false(c->telegram.alert_on_git_wedge);
    assert_string_equal(c->telegram.api_base, "http://127.0.0.1:8081");
    assert_string_equal(c->webhook.url, "https://hooks.example.com/x");
    assert_int_equal(c->webhook.header_count, 2);
    assert_string_equal(c->webhook.headers[0].name, "Authorization");
    assert_string_equal(c->webhook.headers[0].value, "Bearer SECRETHEADER000");
    assert_string_equal(c->webhook.headers[1].name, "X-Team");
    assert_string_equal(c->webhook.format, "slack");
    assert_string_equal(c->bus.broker, "tcp://10.0.0.1:6000");
    assert_string_equal(c->bus.events_in, "tcp://10.0.0.1:6001");
    assert_string_equal(c->bus.events_out, "ipc:///tmp/cw-events");
    assert_true(c->bus.curve.enabled);
    assert_string_equal(c->bus.curve.server_public_key, "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7");
    assert_string_equal(c->bus.curve.server_secret_key, "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6");
    assert_string_equal(c->bus.curve.client_public_key, "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID");
    assert_string_equal(c->bus.curve.client_secret_key, "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs");
    assert_int_equal(c->bus.curve.allowed_count, 1);
    assert_string_equal(c->bus.curve.allowed_clients[0],
                        "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID");
    assert_int_equal(c->generator.instances, 3);
    /* repos: the disabled one dropped, weight default 5, paths expanded */
    assert_int_equal(c->repo_count, 2);
    assert_string_equal(c->repos[0].name, "web");
    snprintf(path, sizeof(path), "%s/repo-web", s_base);
    assert_string_equal(c->repos[0].path, path);
    assert_int_equal(c->repos[0].weight, 8);
    assert_true(c->repos[0].enabled);
    assert_string_equal(c->repos[1].name, "api");
    snprintf(path, sizeof(path), "%s/repo-api", home);
    assert_string_equal(c->repos[1].path, path);
    assert_int_equal(c->repos[1].weight, 5);
    /* prompts */
    assert_string_equal(c->prompts.style, "casual");
    assert_string_equal(c->prompts.system_prompt,
                        "You are a careful technical writer.\nRefer only to the code given.\n");
    assert_string_equal(c->prompts.documentation_template,
                        "Document {name} in {language}:\n{source}");
    assert_string_equal(c->prompts.commit_message_template, "docs: {name}");
    assert_int_equal(c->prompts.language_hint_count, 2);
    assert_string_equal(c->prompts.language_hints[0].language, "python");
    assert_string_equal(c->prompts.language_hints[0].hint, "Mention type hints.");
    assert_string_equal(c->prompts.language_hints[1].language, "go");
    cw_config_destroy(&c);
}

static void test_dump_hides_secrets(void **state)
{
    (void)state;
    char dir[4200], err[1024] = "";
    setenv("CWTEST_BASE", s_base, 1);
    snprintf(dir, sizeof(dir), "%s/full", s_fixtures);
    cw_config_t *c = cw_config_load(dir, err, sizeof(err));
    assert_non_null(c);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cw_config_dump(c, f);
    fclose(f);
    assert_non_null(buf);
    assert_null(strstr(buf, "SECRETTOKEN"));
    assert_null(strstr(buf, "SECRETKEY"));
    assert_null(strstr(buf, "SECRETBOT"));
    assert_null(strstr(buf, "SECRETHEADER"));
    assert_null(strstr(buf, "JTKVSB")); /* curve secret keys */
    assert_null(strstr(buf, "D:)Q[IlAW"));
    assert_non_null(strstr(buf, "token: \"***\""));
    assert_non_null(strstr(buf, "api_key: \"***\""));
    assert_non_null(strstr(buf, "\"Authorization\": \"***\""));
    /* non-secrets are shown, nested */
    assert_non_null(strstr(buf, "ollama:\n"));
    assert_non_null(strstr(buf, "  model: \"llama3:8b\""));
    assert_non_null(strstr(buf, "  curve:\n    enabled: true"));
    assert_non_null(strstr(buf, "chat_id: \"-100200\""));
    assert_non_null(strstr(buf, "  - name: \"web\""));
    free(buf);
    cw_config_destroy(&c);
    /* unset secrets are shown as empty, not as *** */
    c = cw_config_new_defaults();
    buf = NULL;
    f = open_memstream(&buf, &len);
    cw_config_dump(c, f);
    fclose(f);
    assert_non_null(strstr(buf, "  token: \"\""));
    assert_non_null(strstr(buf, "repositories: []"));
    free(buf);
    cw_config_destroy(&c);
}

static void test_env_overrides_yaml(void **state)
{
    (void)state;
    char err[1024] = "";
    setenv("CODEWORM_OLLAMA__MODEL", "mistral:7b", 1);
    setenv("CODEWORM_SCHEDULE__INTERVAL_SECONDS", "120", 1);
    setenv("CODEWORM_DEVLOG__REPO_PATH", "/srv/devlog", 1);
    setenv("CODEWORM_LLM__BACKEND", "offline", 1);
    setenv("CODEWORM_BUS__BROKER", "tcp://broker:5555", 1);
    setenv("CODEWORM_DEBUG", "true", 1);
    setenv("CODEWORM_DATA_DIR", "/var/lib/codeworm", 1);
    setenv("CODEWORM_SCHEDULE__PREFER_HOURS", "1, 2,3", 1);
    setenv("CODEWORM_ANALYZER__INCLUDE_PATTERNS", "[\"**/*.c\", \"**/*.go\"]", 1);
    setenv("CODEWORM_WEBHOOK__HEADERS", "X-Key=abc, X-Other: def", 1);
    setenv("CODEWORM_BUS__CURVE__ENABLED", "false", 1);
    setenv("CODEWORM_OPENAI__MODEL", "", 1); /* empty = not set */
    cw_config_t *c = load_text("ollama:\n  model: from-yaml\nschedule:\n  interval_seconds: 5\n"
                               "openai:\n  model: yaml-model\ndebug: false\n",
                               err, sizeof(err));
    if (!c)
        fail_msg("%s", err);
    assert_string_equal(c->ollama.model, "mistral:7b");
    assert_true(c->schedule.interval_seconds == 120.0);
    assert_string_equal(c->devlog.repo_path, "/srv/devlog");
    assert_string_equal(c->llm.backend, "offline");
    assert_string_equal(c->bus.broker, "tcp://broker:5555");
    assert_true(c->debug);
    assert_string_equal(c->data_dir, "/var/lib/codeworm");
    assert_int_equal(c->schedule.prefer_hours_count, 3);
    assert_int_equal(c->schedule.prefer_hours[2], 3);
    assert_int_equal(c->analyzer.include_count, 2);
    assert_string_equal(c->analyzer.include_patterns[1], "**/*.go");
    assert_int_equal(c->webhook.header_count, 2);
    assert_string_equal(c->webhook.headers[0].name, "X-Key");
    assert_string_equal(c->webhook.headers[0].value, "abc");
    assert_string_equal(c->webhook.headers[1].value, "def");
    assert_string_equal(c->openai.model, "yaml-model");
    cw_config_destroy(&c);
}

static void test_env_bad_value_names_variable(void **state)
{
    (void)state;
    char err[1024] = "";
    setenv("CODEWORM_OLLAMA__PORT", "99999", 1);
    cw_config_t *c = load_text("", err, sizeof(err));
    assert_null(c);
    assert_string_equal(err, "CODEWORM_OLLAMA__PORT: ollama.port must be an integer between 1 "
                             "and 65535 (got \"99999\")");
    unsetenv("CODEWORM_OLLAMA__PORT");
    setenv("CODEWORM_LLM__BACKEND", "gpt", 1);
    c = load_text("", err, sizeof(err));
    assert_null(c);
    assert_string_equal(err, "CODEWORM_LLM__BACKEND: llm.backend must be one of "
                             "ollama,openai,offline (got \"gpt\")");
    unsetenv("CODEWORM_LLM__BACKEND");
    setenv("CODEWORM_SCHEDULE__AVOID_HOURS", "3,25", 1);
    c = load_text("", err, sizeof(err));
    assert_null(c);
    assert_string_equal(err, "CODEWORM_SCHEDULE__AVOID_HOURS: schedule.avoid_hours must be a "
                             "list of hours between 0 and 23 (got \"25\")");
}

static void test_dotenv_files(void **state)
{
    (void)state;
    char dir[512], err[1024] = "";
    new_dir(dir, sizeof(dir));
    write_file(dir, ".env",
               "# settings for the test\n"
               "\n"
               "CODEWORM_OLLAMA__MODEL=\"from-config-dotenv\"\n"
               "export CODEWORM_OLLAMA__HOST=dotenv-host   # trailing comment\n"
               "CODEWORM_TELEGRAM__CHAT_ID='12345'\n"
               "CODEWORM_OLLAMA__PORT=1234\n"
               "this line is not valid\n"
               "CWTEST_DOTENV_DIR=/from/dotenv\n");
    write_file(dir, "config.yaml",
               "ollama:\n  model: yaml\n  host: yaml-host\n"
               "data_dir: $CWTEST_DOTENV_DIR/data\n");
    /* the working directory's .env is read too, below the config dir's */
    char cwd[512];
    new_dir(cwd, sizeof(cwd));
    write_file(cwd, ".env",
               "CODEWORM_OLLAMA__MODEL=from-cwd-dotenv\nCODEWORM_GENERATOR__INSTANCES=4\n");
    assert_int_equal(chdir(cwd), 0);
    setenv("CODEWORM_OLLAMA__PORT", "4321", 1); /* real environment wins */
    cw_config_t *c = cw_config_load(dir, err, sizeof(err));
    if (!c)
        fail_msg("%s", err);
    assert_string_equal(c->ollama.model, "from-config-dotenv");
    assert_string_equal(c->ollama.host, "dotenv-host");
    assert_string_equal(c->telegram.chat_id, "12345");
    assert_int_equal(c->ollama.port, 4321);
    assert_int_equal(c->generator.instances, 4);
    assert_string_equal(c->data_dir, "/from/dotenv/data");
    assert_null(getenv("CODEWORM_OLLAMA__MODEL")); /* .env does not leak into environ */
    cw_config_destroy(&c);

    /* a bad value in .env names the file, line and variable */
    write_file(dir, ".env", "\nCODEWORM_SCHEDULE__WEEKEND_REDUCTION=2\n");
    c = cw_config_load(dir, err, sizeof(err));
    assert_null(c);
    char expected[1024];
    snprintf(expected, sizeof(expected),
             "%s/.env:2: CODEWORM_SCHEDULE__WEEKEND_REDUCTION: schedule.weekend_reduction must "
             "be a number between 0 and 1 (got \"2\")",
             dir);
    assert_string_equal(err, expected);
}

static void test_path_expansion(void **state)
{
    (void)state;
    char home[512], exp[1024];
    snprintf(home, sizeof(home), "%s/home2", s_base);
    setenv("HOME", home, 1);
    setenv("CWTEST_X", "/opt/x", 1);
    unsetenv("CWTEST_UNSET");
    char *p = cw_config_expand_path("~/a/b");
    snprintf(exp, sizeof(exp), "%s/a/b", home);
    assert_string_equal(p, exp);
    free(p);
    p = cw_config_expand_path("~");
    assert_string_equal(p, home);
    free(p);
    p = cw_config_expand_path("$CWTEST_X/y");
    assert_string_equal(p, "/opt/x/y");
    free(p);
    p = cw_config_expand_path("${CWTEST_X}y/$CWTEST_X");
    assert_string_equal(p, "/opt/xy//opt/x");
    free(p);
    p = cw_config_expand_path("$CWTEST_UNSET/z and ${CWTEST_UNSET} $ 5$");
    assert_string_equal(p, "$CWTEST_UNSET/z and ${CWTEST_UNSET} $ 5$");
    free(p);
    p = cw_config_expand_path("relative/dir");
    assert_string_equal(p, "relative/dir");
    free(p);
    p = cw_config_expand_path("a~b");
    assert_string_equal(p, "a~b");
    free(p);
    assert_null(cw_config_expand_path(NULL));

    char err[1024] = "";
    cw_config_t *c = load_text("data_dir: ~/cw-data\ndevlog:\n  repo_path: ${CWTEST_X}/devlog\n",
                               err, sizeof(err));
    assert_non_null(c);
    snprintf(exp, sizeof(exp), "%s/cw-data", home);
    assert_string_equal(c->data_dir, exp);
    assert_string_equal(c->devlog.repo_path, "/opt/x/devlog");
    cw_config_destroy(&c);
}

static void test_bad_values(void **state)
{
    (void)state;
    expect_error("debug: false\nschedule:\n  min_commits_per_day: abc\n",
                 "config.yaml:3: schedule.min_commits_per_day must be an integer between 1 and "
                 "500 (got \"abc\")");
    expect_error("schedule:\n  max_commits_per_day: 501\n",
                 "config.yaml:2: schedule.max_commits_per_day must be an integer between 1 and "
                 "500 (got \"501\")");
    expect_error("\n\nollama:\n  port: 0\n",
                 "config.yaml:4: ollama.port must be an integer between 1 and 65535 (got \"0\")");
    expect_error("dashboard:\n  port: 70000\n",
                 "config.yaml:2: dashboard.port must be an integer between 1 and 65535 (got "
                 "\"70000\")");
    expect_error("ollama:\n  temperature: 2.5\n",
                 "config.yaml:2: ollama.temperature must be a number between 0 and 2 (got "
                 "\"2.5\")");
    expect_error("openai:\n  temperature: hot\n",
                 "config.yaml:2: openai.temperature must be a number between 0 and 2 (got "
                 "\"hot\")");
    expect_error("schedule:\n  weekend_reduction: -0.1\n",
                 "config.yaml:2: schedule.weekend_reduction must be a number between 0 and 1 "
                 "(got \"-0.1\")");
    expect_error("schedule:\n  prefer_hours:\n    - 9\n    - 24\n",
                 "config.yaml:4: schedule.prefer_hours must be a list of hours between 0 and 23 "
                 "(got \"24\")");
    expect_error("schedule:\n  min_commits_per_day: 20\n  max_commits_per_day: 10\n",
                 "config.yaml:3: schedule.min_commits_per_day (20) must not be greater than "
                 "schedule.max_commits_per_day (10)");
    expect_error("schedule:\n  min_commits_per_day: 30\n",
                 "config.yaml:2: schedule.min_commits_per_day (30) must not be greater than "
                 "schedule.max_commits_per_day (18)");
    expect_error("llm:\n  backend: claude\n",
                 "config.yaml:2: llm.backend must be one of ollama,openai,offline (got "
                 "\"claude\")");
    expect_error("webhook:\n  format: xml\n",
                 "config.yaml:2: webhook.format must be one of json,slack,discord (got \"xml\")");
    expect_error("documentation:\n  type_weights:\n    function_doc: 3\n    recipes: 1\n",
                 "config.yaml:4: documentation.type_weights has an unknown doc type \"recipes\" "
                 "(known: function_doc, class_doc, file_doc, security_review, "
                 "performance_analysis, til, code_evolution, module_doc, pattern_analysis, "
                 "weekly_summary, monthly_summary)");
    expect_error("documentation:\n  type_weights:\n    til: -1\n",
                 "config.yaml:3: documentation.type_weights til must be a number >= 0 (got "
                 "\"-1\")");
    expect_error("documentation:\n  type_weights:\n    til: 0\n",
                 "config.yaml:3: documentation.type_weights must give at least one doc type a "
                 "weight above 0");
    if (access("/usr/share/zoneinfo/UTC", F_OK) == 0) /* needs a time zone database */
        expect_error("schedule:\n  timezone: Mars/Olympus_Mons\n",
                     "config.yaml:2: schedule.timezone must be an IANA time zone name such as "
                     "Europe/Berlin or UTC (got \"Mars/Olympus_Mons\")");
    expect_error("schedule:\n  timezone: ../../etc/passwd\n",
                 "config.yaml:2: schedule.timezone must be an IANA time zone name such as "
                 "Europe/Berlin or UTC (got \"../../etc/passwd\")");
    expect_error("telegram:\n  enabled: maybe\n",
                 "config.yaml:2: telegram.enabled must be true or false (got \"maybe\")");
    expect_error("openai:\n  base_url: localhost:8080\n",
                 "config.yaml:2: openai.base_url must be an http:// or https:// URL (got "
                 "\"localhost:8080\")");
    expect_error("ollama:\n  keep_alive: forever\n",
                 "config.yaml:2: ollama.keep_alive must be a number of seconds or a duration "
                 "such as \"5m\" or \"-1\" (got \"forever\")");
    expect_error("bus:\n  broker: 127.0.0.1:5555\n",
                 "config.yaml:2: bus.broker must be a ZeroMQ endpoint such as "
                 "tcp://127.0.0.1:5555 (got \"127.0.0.1:5555\")");
    /* a secret's value is never echoed */
    expect_error("bus:\n  curve:\n    server_secret_key: tooshort\n",
                 "config.yaml:3: bus.curve.server_secret_key must be a 40-character Z85 CURVE "
                 "key");
    expect_error("ollama: 5\n", "config.yaml:1: ollama must be a mapping of settings");
    expect_error("ollama:\n  port: [1, 2]\n",
                 "config.yaml:2: ollama.port must be a single value, not a list");
    expect_error("analyzer:\n  max_lines: 10\n",
                 "config.yaml:2: analyzer.min_lines (15) must not be greater than "
                 "analyzer.max_lines (10)");
    expect_error("devlog:\n  branch: \"bad branch\"\n",
                 "config.yaml:2: devlog.branch must be a valid git branch name (got \"bad "
                 "branch\")");
    expect_error("ollama:\n  host: http://gpu:11434\n",
                 "config.yaml:2: ollama.host must be a host name or address, without scheme, "
                 "path or port (got \"http://gpu:11434\")");
    expect_error("- just\n- a list\n", "config.yaml:1: expected a mapping of settings at the "
                                       "top level");
    expect_error("generator:\n  instances: 1.5\n",
                 "config.yaml:2: generator.instances must be an integer between 1 and 64 (got "
                 "\"1.5\")");
    expect_error("bus:\n  curve:\n    enabled: true\n",
                 "config.yaml:3: bus.curve.enabled needs bus.curve.server_public_key");
}

static void test_yaml_syntax_error(void **state)
{
    (void)state;
    char dir[4200], err[1024] = "";
    snprintf(dir, sizeof(dir), "%s/syntax_error", s_fixtures);
    cw_config_t *c = cw_config_load(dir, err, sizeof(err));
    assert_null(c);
    assert_true(strncmp(err, "config.yaml:8: YAML syntax error: ", 34) == 0);
    /* tabs are a classic */
    c = load_text("ollama:\n\tport: 1\n", err, sizeof(err));
    assert_null(c);
    assert_true(strncmp(err, "config.yaml:2: YAML syntax error: ", 34) == 0);
    /* a second document */
    c = load_text("debug: true\n---\ndebug: false\n", err, sizeof(err));
    assert_null(c);
    assert_string_equal(err, "config.yaml:3: only one YAML document is allowed");
    /* syntax errors in repos.yaml name that file */
    char d2[512];
    new_dir(d2, sizeof(d2));
    write_file(d2, "repos.yaml", "repositories:\n  - name: x\n   path: y\n");
    c = cw_config_load(d2, err, sizeof(err));
    assert_null(c);
    assert_true(strncmp(err, "repos.yaml:3: YAML syntax error: ", 33) == 0);
}

static void test_empty_and_null_keep_defaults(void **state)
{
    (void)state;
    char err[1024] = "";
    cw_config_t *c = load_text("ollama:\n  model: \"\"\n  host:\n  port: ~\ndevlog:\n"
                               "  branch: ''\nschedule:\ntelegram:\n  chat_id: null\n",
                               err, sizeof(err));
    if (!c)
        fail_msg("%s", err);
    assert_string_equal(c->ollama.model, "qwen2.5:7b");
    assert_string_equal(c->ollama.host, "localhost");
    assert_int_equal(c->ollama.port, 11434);
    assert_string_equal(c->devlog.branch, "main");
    assert_string_equal(c->telegram.chat_id, "");
    cw_config_destroy(&c);
}

static void test_keep_alive_int_and_string(void **state)
{
    (void)state;
    char err[1024] = "";
    const char *cases[][2] = {{"keep_alive: -1", "-1"},       {"keep_alive: \"-1\"", "-1"},
                              {"keep_alive: 300", "300"},     {"keep_alive: \"10m\"", "10m"},
                              {"keep_alive: 1h30m", "1h30m"}, {"keep_alive: 0", "0"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[128];
        snprintf(text, sizeof(text), "ollama:\n  %s\n", cases[i][0]);
        cw_config_t *c = load_text(text, err, sizeof(err));
        if (!c)
            fail_msg("%s: %s", cases[i][0], err);
        assert_string_equal(c->ollama.keep_alive, cases[i][1]);
        cw_config_destroy(&c);
    }
}

static void test_unknown_keys_warn(void **state)
{
    (void)state;
    char err[1024] = "";
    s_last_log[0] = '\0';
    cw_log_set_hook(log_hook, NULL);
    cw_config_t *c = load_text("debug: false\nollama:\n  modle: typo\n", err, sizeof(err));
    assert_non_null(c);
    assert_non_null(strstr(s_last_log, "config_unknown_key"));
    assert_non_null(strstr(s_last_log, "config.yaml:3"));
    assert_non_null(strstr(s_last_log, "ollama.modle"));
    cw_config_destroy(&c);
    /* dashboard.redis.* is accepted without a warning */
    s_last_log[0] = '\0';
    c = load_text("dashboard:\n  redis:\n    enabled: true\n    host: r\n", err, sizeof(err));
    assert_non_null(c);
    assert_string_equal(s_last_log, "");
    cw_config_destroy(&c);
    /* a top-level unknown section */
    c = load_text("\nredis:\n  url: x\n", err, sizeof(err));
    assert_non_null(c);
    assert_non_null(strstr(s_last_log, "config.yaml:2"));
    cw_config_destroy(&c);
    cw_log_set_hook(NULL, NULL);
}

static void test_repos(void **state)
{
    (void)state;
    char dir[512], err[1024] = "";
    new_dir(dir, sizeof(dir));
    char rw[600];
    snprintf(rw, sizeof(rw), "%s/web", dir);
    mkdir(rw, 0755);
    char text[2048];
    snprintf(text, sizeof(text),
             "repositories:\n"
             "  - name: web\n    path: %s\n    weight: 10\n"
             "  - name: off\n    path: /nowhere\n    enabled: false\n"
             "  - name: gone\n    path: /nonexistent/gone\n",
             rw);
    write_file(dir, "repos.yaml", text);
    cw_config_t *c = cw_config_load(dir, err, sizeof(err));
    assert_non_null(c);
    assert_int_equal(c->repo_count, 2);
    assert_string_equal(c->repos[0].name, "web");
    assert_int_equal(c->repos[0].weight, 10);
    assert_string_equal(c->repos[1].name, "gone");
    /* a missing repository is skipped with a warning naming it, its file and line; the
       check then only misses the DevLog */
    cw_log_set_hook(log_hook, NULL);
    s_last_log[0] = '\0';
    assert_int_equal(cw_config_check(c, true, err, sizeof(err)), -1);
    assert_non_null(strstr(s_last_log, "\"event\":\"repository_missing\""));
    assert_non_null(strstr(s_last_log, "\"repo\":\"gone\""));
    assert_non_null(strstr(s_last_log, "\"where\":\"repos.yaml:8\""));
    assert_non_null(strstr(err, "devlog.repo_path is not set"));
    assert_int_equal(cw_config_set(c, "devlog.repo_path", "/tmp/devlog", err, sizeof(err)), 0);
    assert_int_equal(cw_config_check(c, true, err, sizeof(err)), 0);
    assert_true(cw_config_repo_exists(&c->repos[0]));
    assert_false(cw_config_repo_exists(&c->repos[1]));
    assert_string_equal(cw_config_repo_origin(c, 1), "repos.yaml:8");
    /* without need_repos nothing about repositories is checked */
    s_last_log[0] = '\0';
    assert_int_equal(cw_config_check(c, false, err, sizeof(err)), 0);
    assert_string_equal(s_last_log, "");
    cw_log_set_hook(NULL, NULL);
    cw_config_destroy(&c);
    /* every repository missing: an error that names the first and says what to do */
    new_dir(dir, sizeof(dir));
    write_file(dir, "repos.yaml",
               "repositories:\n  - name: gone\n    path: /nonexistent/gone\n"
               "  - name: also\n    path: /nonexistent/also\n");
    c = cw_config_load(dir, err, sizeof(err));
    assert_non_null(c);
    assert_int_equal(cw_config_check(c, true, err, sizeof(err)), -1);
    assert_string_equal(err, "No repositories configured that exist: repository 'gone' "
                             "(repos.yaml:2): path /nonexistent/gone does not exist or is not "
                             "a directory (and every other one is missing too). Fix the path "
                             "in repos.yaml or use --repo NAME PATH");
    cw_config_clear_repos(c);
    assert_int_equal(c->repo_count, 0);
    assert_int_equal(cw_config_check(c, true, err, sizeof(err)), -1);
    assert_string_equal(err, "No repositories configured");
    cw_config_destroy(&c);

    /* bad entries */
    const char *bad[][2] = {
        {"repositories:\n  - name: a\n    path: /x\n    weight: 11\n",
         "repos.yaml:4: repositories[0].weight must be an integer between 1 and 10 (got \"11\")"},
        {"repositories:\n  - name: a\n    path: /x\n    weight: 0\n",
         "repos.yaml:4: repositories[0].weight must be an integer between 1 and 10 (got \"0\")"},
        {"repositories:\n  - name: a\n    path: /x\n  - name: b\n",
         "repos.yaml:4: repositories[1] needs a path"},
        {"repositories:\n  - path: /x\n", "repos.yaml:2: repositories[0] needs a name"},
        {"repositories:\n  - name: a\n    path: /x\n  - name: a\n    path: /y\n",
         "repos.yaml:4: repositories[1] repeats the repository name 'a'"},
        {"repositories: nope\n", "repos.yaml:1: repositories must be a list of repositories"},
        {"repositories:\n  - name: a\n    path: /x\n    enabled: sometimes\n",
         "repos.yaml:4: repositories[0].enabled must be true or false (got \"sometimes\")"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        new_dir(dir, sizeof(dir));
        write_file(dir, "repos.yaml", bad[i][0]);
        c = cw_config_load(dir, err, sizeof(err));
        if (c) {
            cw_config_destroy(&c);
            fail_msg("expected an error for %s", bad[i][0]);
        }
        assert_string_equal(err, bad[i][1]);
    }
}

static void test_check(void **state)
{
    (void)state;
    char err[1024] = "";
    cw_config_t *c = cw_config_new_defaults();
    assert_int_equal(cw_config_check(c, true, err, sizeof(err)), -1);
    assert_string_equal(err, "No repositories configured");
    assert_int_equal(cw_config_check(c, false, err, sizeof(err)), 0);
    assert_int_equal(cw_config_add_repo(c, "here", s_base, err, sizeof(err)), 0);
    assert_int_equal(cw_config_check(c, true, err, sizeof(err)), -1);
    assert_string_equal(err, "devlog.repo_path is not set (config.yaml, "
                             "CODEWORM_DEVLOG__REPO_PATH or --devlog)");
    assert_int_equal(cw_config_check_devlog(c, err, sizeof(err)), -1);
    assert_int_equal(cw_config_set(c, "devlog.repo_path", "/tmp/devlog", err, sizeof(err)), 0);
    assert_int_equal(cw_config_check(c, true, err, sizeof(err)), 0);
    assert_int_equal(cw_config_check_devlog(c, err, sizeof(err)), 0);
    /* a missing command-line repo next to an existing one: skipped, the check passes */
    assert_int_equal(cw_config_add_repo(c, "cli", "/nonexistent/cli", err, sizeof(err)), 0);
    assert_int_equal(cw_config_check(c, true, err, sizeof(err)), 0);
    assert_string_equal(cw_config_repo_origin(c, 1), "command line");
    /* adding the same name replaces the entry */
    assert_int_equal(cw_config_add_repo(c, "cli", s_base, err, sizeof(err)), 0);
    assert_int_equal(c->repo_count, 2);
    assert_int_equal(c->repos[1].weight, 5);
    assert_true(c->repos[1].enabled);
    assert_int_equal(cw_config_check(c, true, err, sizeof(err)), 0);
    assert_int_equal(cw_config_add_repo(c, "", "/x", err, sizeof(err)), -1);
    cw_config_destroy(&c);
}

static void test_set(void **state)
{
    (void)state;
    char err[1024] = "";
    cw_config_t *c = cw_config_new_defaults();
    setenv("CWTEST_X", "/opt/x", 1);
    assert_int_equal(cw_config_set(c, "devlog.repo_path", "$CWTEST_X/dl", err, sizeof(err)), 0);
    assert_string_equal(c->devlog.repo_path, "/opt/x/dl");
    assert_int_equal(cw_config_set(c, "schedule.timezone", "UTC", err, sizeof(err)), 0);
    assert_string_equal(c->schedule.timezone, "UTC");
    assert_int_equal(cw_config_set(c, "ollama.port", "8080", err, sizeof(err)), 0);
    assert_int_equal(c->ollama.port, 8080);
    assert_int_equal(cw_config_set(c, "schedule.avoid_hours", "1,2", err, sizeof(err)), 0);
    assert_int_equal(c->schedule.avoid_hours_count, 2);
    assert_int_equal(cw_config_set(c, "ollama.port", "x", err, sizeof(err)), -1);
    assert_string_equal(err, "command line: ollama.port must be an integer between 1 and 65535 "
                             "(got \"x\")");
    assert_int_equal(c->ollama.port, 8080); /* unchanged */
    assert_int_equal(cw_config_set(c, "nope.key", "1", err, sizeof(err)), -1);
    assert_string_equal(err, "unknown setting 'nope.key'");
    assert_int_equal(cw_config_set(c, "documentation.type_weights", "til=4", err, sizeof(err)), 0);
    assert_true(c->documentation.type_weights[CW_DOC_TIL] == 4);
    assert_true(c->documentation.type_weights[CW_DOC_FUNCTION] == 0);
    /* min > max found by the check */
    assert_int_equal(cw_config_set(c, "schedule.min_commits_per_day", "100", err, sizeof(err)), 0);
    assert_int_equal(cw_config_check(c, false, err, sizeof(err)), -1);
    assert_string_equal(err, "command line: schedule.min_commits_per_day (100) must not be "
                             "greater than schedule.max_commits_per_day (18)");
    cw_config_destroy(&c);
}

static void test_data_path(void **state)
{
    (void)state;
    char err[1024] = "", out[1024], dd[1024];
    cw_config_t *c = cw_config_new_defaults();
    snprintf(dd, sizeof(dd), "%s/deep/er/data", s_base);
    assert_int_equal(cw_config_set(c, "data_dir", dd, err, sizeof(err)), 0);
    assert_int_equal(cw_config_data_path(c, "codeworm.db", out, sizeof(out)), 0);
    char exp[1200];
    snprintf(exp, sizeof(exp), "%s/codeworm.db", dd);
    assert_string_equal(out, exp);
    struct stat st;
    assert_int_equal(stat(dd, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    char tiny[8];
    assert_int_equal(cw_config_data_path(c, "codeworm.db", tiny, sizeof(tiny)), -1);
    /* data_dir under a regular file cannot be created */
    char file[700];
    snprintf(file, sizeof(file), "%s/afile", s_base);
    write_file(s_base, "afile", "x");
    snprintf(dd, sizeof(dd), "%s/sub", file);
    assert_int_equal(cw_config_set(c, "data_dir", dd, err, sizeof(err)), 0);
    assert_int_equal(cw_config_data_path(c, "x", out, sizeof(out)), -1);
    cw_config_destroy(&c);
}

static void test_prompts_and_hints(void **state)
{
    (void)state;
    char dir[512], err[1024] = "";
    new_dir(dir, sizeof(dir));
    write_file(dir, "prompts.yaml",
               "style: \"\"\nsystem_prompt: Be brief.\nlanguage_hints:\n  rust: Ownership.\n"
               "unknown_prompt_key: 1\n");
    cw_config_t *c = cw_config_load(dir, err, sizeof(err));
    assert_non_null(c);
    assert_null(c->prompts.style); /* empty = built-in default */
    assert_string_equal(c->prompts.system_prompt, "Be brief.");
    assert_int_equal(c->prompts.language_hint_count, 1);
    assert_string_equal(c->prompts.language_hints[0].language, "rust");
    assert_string_equal(c->prompts.language_hints[0].hint, "Ownership.");
    cw_config_destroy(&c);
    write_file(dir, "prompts.yaml", "language_hints: [a, b]\n");
    c = cw_config_load(dir, err, sizeof(err));
    assert_null(c);
    assert_string_equal(err, "prompts.yaml:1: prompts.language_hints must be a mapping");
}

static void test_hours_dedup_and_bounds(void **state)
{
    (void)state;
    char err[1024] = "";
    cw_config_t *c = load_text("schedule:\n  prefer_hours: [1, 1, 2, 2, 3]\n  avoid_hours: []\n",
                               err, sizeof(err));
    assert_non_null(c);
    assert_int_equal(c->schedule.prefer_hours_count, 3);
    assert_int_equal(c->schedule.avoid_hours_count, 0);
    cw_config_destroy(&c);
    /* a NUL inside a quoted scalar is refused */
    c = load_text("ollama:\n  model: \"a\\0b\"\n", err, sizeof(err));
    assert_null(c);
    assert_string_equal(err, "config.yaml:2: ollama.model must not contain NUL characters");
    /* control characters in single-line strings are refused */
    c = load_text("devlog:\n  author_name: \"a\\nb\"\n", err, sizeof(err));
    assert_null(c);
    assert_string_equal(err, "config.yaml:2: devlog.author_name must be a single-line string "
                             "(got \"a?b\")");
}

static void test_hostile_input(void **state)
{
    (void)state;
    char err[1024] = "";
    /* aliases are shared nodes, never expanded */
    cw_config_t *c =
        load_text("x1: &a [1, 2, 3, 4, 5, 6, 7, 8]\nx2: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
                  "x3: [*b, *b, *b, *b, *b, *b, *b, *b]\n"
                  "ollama: &o {port: 1234}\ndashboard: *o\n",
                  err, sizeof(err));
    assert_non_null(c);
    assert_int_equal(c->dashboard.port, 1234);
    cw_config_destroy(&c);
    /* nested deeper than any section, mapping keys, binary junk */
    c = load_text("ollama:\n  port:\n    a: 1\n", err, sizeof(err));
    assert_null(c);
    assert_string_equal(err, "config.yaml:3: ollama.port must be a single value, not a mapping");
    c = load_text("? [a, b]\n: c\n", err, sizeof(err));
    assert_null(c);
    assert_string_equal(err, "config.yaml:1: key must be a plain name");
    c = load_text("\x01\x02\xff\xfe: \x80\n", err, sizeof(err));
    assert_null(c);
    assert_true(strncmp(err, "config.yaml:1: YAML syntax error: ", 34) == 0);
    /* a file over the size limit */
    char dir[512];
    new_dir(dir, sizeof(dir));
    char path[600];
    snprintf(path, sizeof(path), "%s/config.yaml", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < 70000; i++)
        fputs("# padding padding\n", f);
    fclose(f);
    c = cw_config_load(dir, err, sizeof(err));
    assert_null(c);
    assert_string_equal(err, "config.yaml: file is larger than 1048576 bytes");
    /* a very long key is warned about, not fatal */
    char text[5000];
    memset(text, 'k', 400);
    snprintf(text + 400, sizeof(text) - 400, ": 1\n");
    c = load_text(text, err, sizeof(err));
    assert_non_null(c);
    cw_config_destroy(&c);
}

/* keys this project added for redaction, grounding, stall timeout and insecure binds */
static void test_added_keys(void **state)
{
    (void)state;
    char err[512] = "";
    cw_config_t *c = load_text("ollama:\n  stall_seconds: 5\n"
                               "documentation:\n  min_grounding: 0.5\n"
                               "redaction:\n  patterns: [\"corp_[0-9a-f]{16}\"]\n"
                               "  allow: [AKIAIOSFODNN7EXAMPLE, example-token]\n"
                               "bus:\n  allow_insecure: true\n",
                               err, sizeof(err));
    assert_non_null(c);
    assert_int_equal(c->ollama.stall_seconds, 5);
    assert_true(c->documentation.min_grounding == 0.5);
    assert_int_equal(c->redaction.pattern_count, 1);
    assert_string_equal(c->redaction.patterns[0], "corp_[0-9a-f]{16}");
    assert_int_equal(c->redaction.allow_count, 2);
    assert_string_equal(c->redaction.allow[1], "example-token");
    assert_true(c->bus.allow_insecure);
    cw_config_destroy(&c);
    c = load_text("documentation:\n  min_grounding: 1.5\n", err, sizeof(err));
    assert_null(c);
    assert_non_null(strstr(err, "documentation.min_grounding"));
    c = load_text("ollama:\n  stall_seconds: 0\n", err, sizeof(err));
    assert_null(c);
    assert_non_null(strstr(err, "ollama.stall_seconds"));
}

/* issue 6: schedule.interval_seconds takes decimals (>= 0.01, or 0 = human-like) */
static void test_interval_decimal(void **state)
{
    (void)state;
    char err[1024] = "";
    cw_config_t *c = load_text("schedule:\n  interval_seconds: 0.05\n", err, sizeof(err));
    if (!c)
        fail_msg("%s", err);
    assert_true(c->schedule.interval_seconds == 0.05);
    assert_int_equal(cw_config_set(c, "schedule.interval_seconds", "2.5", err, sizeof(err)), 0);
    assert_true(c->schedule.interval_seconds == 2.5);
    assert_int_equal(cw_config_set(c, "schedule.interval_seconds", "0", err, sizeof(err)), 0);
    assert_true(c->schedule.interval_seconds == 0.0);
    assert_int_equal(cw_config_set(c, "schedule.interval_seconds", "0.001", err, sizeof(err)), -1);
    cw_config_destroy(&c);
    expect_error("schedule:\n  interval_seconds: 0.005\n",
                 "config.yaml:2: schedule.interval_seconds must be 0 or a number between 0.01 and "
                 "604800 (got \"0.005\")");
    expect_error("schedule:\n  interval_seconds: -1\n",
                 "config.yaml:2: schedule.interval_seconds must be 0 or a number between 0.01 and "
                 "604800 (got \"-1\")");
}

/* issue 6: with only bus.broker set, the event endpoints follow the broker's host */
static void test_event_endpoints_follow_broker(void **state)
{
    (void)state;
    char err[1024] = "";
    cw_config_t *c = load_text("bus:\n  broker: tcp://10.1.2.3:7000\n", err, sizeof(err));
    if (!c)
        fail_msg("%s", err);
    assert_string_equal(c->bus.events_in, "tcp://10.1.2.3:7001");
    assert_string_equal(c->bus.events_out, "tcp://10.1.2.3:7002");
    cw_config_destroy(&c);
    c = load_text("bus:\n  broker: tcp://gpu-box:7000\n  events_out: tcp://127.0.0.1:9\n", err,
                  sizeof(err));
    if (!c)
        fail_msg("%s", err);
    assert_string_equal(c->bus.events_in, "tcp://gpu-box:7001");
    assert_string_equal(c->bus.events_out, "tcp://127.0.0.1:9"); /* set: kept */
    cw_config_destroy(&c);
    c = load_text("debug: false\n", err, sizeof(err)); /* nothing set: the defaults */
    if (!c)
        fail_msg("%s", err);
    assert_true(strncmp(c->bus.events_in, "ipc://", 6) == 0); /* private, in data_dir/run */
    assert_non_null(strstr(c->bus.events_in, "/run/events.sock"));
    assert_string_equal(c->bus.events_out, "tcp://127.0.0.1:5557");
    cw_config_destroy(&c);
}

int main(void)
{
    if (!getcwd(s_cwd, sizeof(s_cwd)))
        return 1;
    const char *src = getenv("CW_SOURCE_DIR");
    if (src)
        snprintf(s_fixtures, sizeof(s_fixtures), "%s/tests/fixtures/config", src);
    else { /* run by hand: find the fixtures next to this file */
        snprintf(s_fixtures, sizeof(s_fixtures), "%s", __FILE__);
        char *unit = strstr(s_fixtures, "/unit/test_config.c");
        if (unit)
            snprintf(unit, sizeof(s_fixtures) - (size_t)(unit - s_fixtures), "/fixtures/config");
    }
    snprintf(s_base, sizeof(s_base), "/tmp/cw-test-config-XXXXXX");
    if (!mkdtemp(s_base))
        return 1;
    cw_log_set_format(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_doc_type_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_files_mean_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_fixture, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dump_hides_secrets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env_overrides_yaml, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env_bad_value_names_variable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dotenv_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_path_expansion, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_yaml_syntax_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_and_null_keep_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keep_alive_int_and_string, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_keys_warn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_repos, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prompts_and_hints, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hours_dedup_and_bounds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_added_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interval_decimal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_endpoints_follow_broker, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s_base);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", s_base);
    return rc;
}
