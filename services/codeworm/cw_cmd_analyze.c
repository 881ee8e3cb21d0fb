/*  `codeworm analyze`: preview the best documentation candidates, in-process. */
#include <czmq.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cw_cli_int.h"
#include "cw_json.h"
#include "cw_value.h"
#include "../analyzer/cw_analyzer.h"

static void s_copy_field(cw_value_t *out, const cw_value_t *target, const char *key)
{
    const cw_value_t *v = cw_map_get(target, key);
    cw_map_set(out, key, v ? cw_value_clone(v) : cw_value_new_nil());
}

/* The notes of the last analyzer call (why a folder has no history...), on stderr. */
static void s_print_notes(const cw_analyzer_t *analyzer)
{
    const char *notes = cw_analyzer_notes(analyzer);
    for (const char *p = notes; *p;) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        fprintf(stderr, "note: %.*s\n", (int)n, p);
        p += n + (e ? 1 : 0);
    }
}

/* "Class.name" (or the name alone) of a target or function map. */
static void s_display_name(const cw_value_t *m, char *out, size_t cap)
{
    const char *cls = cw_map_str(m, "class", NULL);
    const char *name = cw_map_str(m, "name", "?");
    if (cls && *cls && strcmp(cls, name) != 0)
        snprintf(out, cap, "%s.%s", cls, name);
    else
        snprintf(out, cap, "%s", name);
}

typedef struct {
    bool json;
    long count;
} s_all_t;

static void s_print_function(const cw_value_t *fn, bool json)
{
    if (json) {
        char *text = cw_json_encode(fn);
        if (text)
            printf("%s\n", text);
        free(text);
        return;
    }
    char display[600];
    s_display_name(fn, display, sizeof display);
    printf("%6lld %6lld %7lld %6lld %7.2f  %-40s %s/%s:%lld\n",
           (long long)cw_map_int(fn, "complexity", 0), (long long)cw_map_int(fn, "nloc", 0),
           (long long)cw_map_int(fn, "tokens", 0), (long long)cw_map_int(fn, "params", 0),
           cw_map_float(fn, "score", 0), display, cw_map_str(fn, "repo", "?"),
           cw_map_str(fn, "file", "?"), (long long)cw_map_int(fn, "start_line", 0));
}

static int s_all_cb(const cw_value_t *fn, void *arg)
{
    s_all_t *all = arg;
    if (!all->json && all->count == 0)
        printf("%6s %6s %7s %6s %7s  %-40s %s\n", "CCN", "NLOC", "TOKENS", "PARAMS", "SCORE",
               "NAME", "FILE");
    s_print_function(fn, all->json);
    all->count++;
    return 0;
}

/* `analyze --all`: every function with its metrics, no filter, no limit. */
static int s_analyze_all(cw_analyzer_t *analyzer, const char *repo, bool json)
{
    s_all_t all = {.json = json};
    char err[1024] = "";
    long n = cw_analyzer_functions(analyzer, repo, s_all_cb, &all, err, sizeof(err));
    s_print_notes(analyzer);
    if (n < 0) {
        fprintf(stderr, "codeworm analyze: %s\n", err[0] ? err : "failed");
        return 2;
    }
    if (!json && n == 0)
        printf("No functions found.\n");
    return 0;
}

static int s_cmd_analyze(cw_cli_t *cli, int argc, char **argv)
{
    const char *repo = NULL, *type = NULL;
    long limit = 20;
    bool json = false, all = false, limited = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--repo") == 0 && i + 1 < argc)
            repo = argv[++i];
        else if (strcmp(a, "--limit") == 0 && i + 1 < argc) {
            if (!cw_cli_parse_int(argv[++i], 0, INT_MAX, &limit))
                return cw_cli_usage_error("analyze",
                                          "--limit must be a whole number, 0 for no limit, not "
                                          "'%s'",
                                          argv[i]);
            limited = true;
        } else if (strcmp(a, "--type") == 0 && i + 1 < argc)
            type = argv[++i];
        else if (strcmp(a, "--json") == 0)
            json = true;
        else if (strcmp(a, "--all") == 0)
            all = true;
        else
            return cw_cli_usage_error("analyze", "unknown option or missing value: '%s'", a);
    }
    if (all && (type || limited))
        return cw_cli_usage_error("analyze", "%s",
                                  "--all lists every function: it takes no --type or --limit");
    if (type && cw_doc_type_from_name(type) < 0) {
        fprintf(stderr, "codeworm analyze: unknown doc type '%s'; one of:", type);
        for (int t = 0; t < CW_DOC_TYPE_COUNT; t++)
            fprintf(stderr, " %s", cw_doc_type_name(t));
        fprintf(stderr, "\n");
        return 2;
    }
    int rc = 0;
    cw_config_t *config = cw_cli_load(cli, 0, &rc);
    if (!config)
        return rc;
    if (!repo && config->repo_count == 0) {
        fprintf(stderr, "codeworm: No repositories configured\n");
        cw_config_destroy(&config);
        return 1;
    }
    cw_analyzer_t *analyzer = cw_analyzer_new(config);
    if (!analyzer) {
        fprintf(stderr, "codeworm analyze: cannot start the analyzer\n");
        cw_config_destroy(&config);
        return 2;
    }
    if (all) {
        rc = s_analyze_all(analyzer, repo, json);
        cw_analyzer_destroy(&analyzer);
        cw_config_destroy(&config);
        return rc;
    }
    char err[1024] = "";
    cw_value_t *targets =
        cw_analyzer_candidates(analyzer, type, repo, (size_t)limit, err, sizeof(err));
    s_print_notes(analyzer);
    if (!targets) {
        fprintf(stderr, "codeworm analyze: %s\n", err[0] ? err : "failed");
        cw_analyzer_destroy(&analyzer);
        cw_config_destroy(&config);
        return 2;
    }
    size_t n = cw_value_size(targets);
    if (!json) {
        if (n == 0)
            printf("No candidates found.\n");
        else
            printf("%7s %6s %6s  %-40s %s\n", "SCORE", "CPLX", "LINES", "NAME", "FILE");
    }
    static const char *fields[] = {"repo",     "file",       "name",     "class",      "language",
                                   "doc_type", "start_line", "end_line", "complexity", "nloc",
                                   "tokens",   "params",     "nesting",  "score"};
    for (size_t i = 0; i < n; i++) {
        const cw_value_t *t = cw_array_at(targets, i);
        if (json) {
            cw_value_t *row = cw_value_new_map();
            for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++)
                s_copy_field(row, t, fields[f]);
            char *text = cw_json_encode(row);
            if (text)
                printf("%s\n", text);
            free(text);
            cw_value_destroy(&row);
            continue;
        }
        char display[600];
        s_display_name(t, display, sizeof display);
        int64_t lines = cw_map_int(t, "end_line", 0) - cw_map_int(t, "start_line", 0) + 1;
        printf("%7.2f %6.1f %6lld  %-40s %s/%s:%lld\n", cw_map_float(t, "score", 0),
               cw_map_float(t, "complexity", 0), (long long)(lines > 0 ? lines : 0), display,
               cw_map_str(t, "repo", "?"), cw_map_str(t, "file", "?"),
               (long long)cw_map_int(t, "start_line", 0));
    }
    cw_value_destroy(&targets);
    cw_analyzer_destroy(&analyzer);
    cw_config_destroy(&config);
    return 0;
}

const cw_cli_command_t cw_cmd_analyze = {
    "analyze",
    "analyze [--repo PATH] [--limit N] [--type DOC_TYPE] [--all] [--json]",
    "preview the best documentation candidates",
    "Preview the best documentation candidates (in-process, no stack needed). A folder that\n"
    "is not a git repository is analyzed without history statistics; a repository another\n"
    "user owns is read read-only. Notes about either go to stderr.",
    "  --repo PATH           analyze this directory (or configured repo name) only\n"
    "  --limit N             how many (default 20; 0 = no limit)\n"
    "  --type DOC_TYPE       function_doc (default), class_doc, file_doc, ...\n"
    "  --all                 every function with its metrics (complexity, nloc, tokens,\n"
    "                        params, nesting, score): no candidate filter, no limit\n"
    "  --json                one JSON object per line\n",
    s_cmd_analyze};
