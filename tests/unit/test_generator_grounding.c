/*  Offline documents are grounded: for every doc type the analyzer produces from the
    eight-language fixtures (and the pipeline repository), the offline generator's document
    passes documentation.min_grounding (each reply carries its ratio), and a generator
    whose threshold is 1.0 still accepts them. The generator also redacts a target that
    reaches it with a secret, before anything is built from it.
    cw-test-libs: cw_analyzer */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cw_analyzer.h"
#include "cw_config.h"
#include "cw_json.h"
#include "cw_generator.h"
#include "cw_grounding.h"
#include "cw_log.h"
#include "cw_proto.h"
#include "cw_value.h"

static char s_tmp[PATH_MAX];

static int s_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int s_sh(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return system(cmd);
}

static int s_setup(void **state)
{
    cw_log_set_level(CW_LOG_ERROR);
    snprintf(s_tmp, sizeof s_tmp, "/tmp/cw_grounding_XXXXXX");
    if (!mkdtemp(s_tmp))
        return -1;
    const char *src = getenv("CW_SOURCE_DIR");
    /* one repository: every language's fixtures, committed twice (for code_evolution) */
    return s_sh(
               "set -e; cd '%s' && mkdir repo && cd repo && git init -q . && "
               "git config user.email a@example.com && git config user.name Ada && "
               "git config commit.gpgsign false && cp -r '%s/tests/fixtures/analyzer/kinds'/* . && "
               "cp -r '%s/tests/fixtures/pipeline_repo'/* . && git add -A && "
               "git commit -q -m 'Import' && for f in $(git ls-files | head -n 12); do "
               "printf '\\n' >> \"$f\"; done && git commit -qam 'Touch files'",
               s_tmp, src ? src : "../..", src ? src : "../..") == 0
               ? 0
               : -1;
}

static int s_teardown(void **state)
{
    if (strncmp(s_tmp, "/tmp/cw_grounding_", 18) == 0)
        s_sh("rm -rf '%s'", s_tmp);
    return 0;
}

static cw_config_t *s_config(double min_grounding)
{
    cw_config_t *cfg = cw_config_new_defaults();
    assert_non_null(cfg);
    char data[PATH_MAX + 8];
    snprintf(data, sizeof data, "%s/data", s_tmp);
    free(cfg->data_dir);
    cfg->data_dir = strdup(data);
    free(cfg->llm.backend);
    cfg->llm.backend = strdup("offline");
    cfg->documentation.min_grounding = min_grounding;
    static const char *const inc[] = {"**/*.py",  "**/*.ts",  "**/*.tsx", "**/*.js",
                                      "**/*.go",  "**/*.rs",  "**/*.c",   "**/*.h",
                                      "**/*.cpp", "**/*.hpp", NULL};
    for (size_t i = 0; i < cfg->analyzer.include_count; i++)
        free(cfg->analyzer.include_patterns[i]);
    free(cfg->analyzer.include_patterns);
    size_t n = 0;
    while (inc[n])
        n++;
    cfg->analyzer.include_patterns = calloc(n, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        cfg->analyzer.include_patterns[i] = strdup(inc[i]);
    cfg->analyzer.include_count = n;
    cfg->analyzer.min_lines = 3;
    cfg->analyzer.min_complexity = 1;
    return cfg;
}

static void test_offline_documents_are_grounded(void **state)
{
    cw_config_t *cfg = s_config(1.0); /* every identifier must be found */
    cw_analyzer_t *a = cw_analyzer_new(cfg);
    cw_generator_t *g = cw_generator_new(cfg);
    assert_non_null(a);
    assert_non_null(g);
    char repo[PATH_MAX + 8];
    snprintf(repo, sizeof repo, "%s/repo", s_tmp);
    int types_seen = 0, docs = 0;
    size_t checked = 0;
    double worst = 1.0;
    for (int type = 0; type < CW_DOC_TYPE_COUNT; type++) {
        if (type == CW_DOC_WEEKLY || type == CW_DOC_MONTHLY)
            continue; /* made from the ledger: test_scheduler_summary */
        char err[256] = "";
        cw_value_t *targets =
            cw_analyzer_candidates(a, cw_doc_type_name(type), repo, 40, err, sizeof err);
        if (!targets)
            fail_msg("%s: %s", cw_doc_type_name(type), err);
        types_seen += cw_value_size(targets) > 0;
        for (size_t i = 0; i < cw_value_size(targets); i++) {
            cw_value_t *req = cw_proto_new(CW_MSG_GENERATE_REQUEST);
            cw_map_set_str(req, "job_id", "g1");
            cw_map_set(req, "target", cw_value_clone(cw_array_at(targets, i)));
            cw_value_t *reply = cw_generator_handle(g, req);
            if (strcmp(cw_proto_type(reply), CW_MSG_GENERATE_REPLY) != 0)
                fail_msg("%s %s: %s", cw_doc_type_name(type),
                         cw_map_str(cw_array_at(targets, i), "name", "?"),
                         cw_map_str(reply, "message", "?"));
            double ratio = cw_map_float(reply, "grounding", -1);
            assert_true(ratio >= 0.0 && ratio <= 1.0);
            if (ratio < worst)
                worst = ratio;
            /* the committer's measure agrees with the generator's */
            cw_grounding_t gr;
            assert_int_equal(cw_grounding_check(cw_map_get(req, "target"),
                                                cw_map_str(reply, "documentation", ""), &gr),
                             0);
            assert_true(gr.ratio == ratio);
            checked += gr.checked;
            docs++;
            cw_value_destroy(&reply);
            cw_value_destroy(&req);
        }
        cw_value_destroy(&targets);
    }
    print_message("offline documents: %d over %d doc types, %zu identifiers checked, worst "
                  "grounding %.2f\n",
                  docs, types_seen, checked, worst);
    assert_true(checked >= (size_t)docs); /* the check has something to look at */
    assert_true(types_seen >= 8);
    assert_true(docs >= 40);
    assert_true(worst == 1.0);
    cw_generator_destroy(&g);
    cw_analyzer_destroy(&a);
    cw_config_destroy(&cfg);
}

static void test_secrets_never_reach_the_document(void **state)
{
    cw_config_t *cfg = s_config(0.8);
    cw_generator_t *g = cw_generator_new(cfg);
    cw_value_t *t = cw_value_new_map();
    cw_map_set_str(t, "doc_type", "function_doc");
    cw_map_set_str(t, "repo", "demo");
    cw_map_set_str(t, "file", "app/db.py");
    cw_map_set_str(t, "language", "python");
    cw_map_set_str(t, "name", "connect");
    cw_map_set_int(t, "start_line", 1);
    cw_map_set_int(t, "end_line", 3);
    cw_map_set_float(t, "complexity", 1);
    cw_map_set_float(t, "score", 1);
    cw_map_set_str(t, "source",
                   "def connect():\n    password = \"hunter2-Xy9\"\n"
                   "    return db.open(\"postgres://app:pw-Zq8@db/app\")\n");
    cw_map_set_str(t, "docstring", "Connect with password=hunter2-Xy9.");
    cw_map_set_str(t, "code_hash", "00");
    cw_value_t *req = cw_proto_new(CW_MSG_GENERATE_REQUEST);
    cw_map_set_str(req, "job_id", "g2");
    cw_map_set(req, "target", t);
    cw_value_t *reply = cw_generator_handle(g, req);
    assert_string_equal(cw_proto_type(reply), CW_MSG_GENERATE_REPLY);
    char *json = cw_json_encode(reply);
    assert_null(strstr(json, "hunter2-Xy9"));
    assert_null(strstr(json, "pw-Zq8"));
    assert_true(cw_map_int(reply, "redactions", 0) >= 3);
    free(json);
    /* the request itself is left as it was */
    assert_non_null(strstr(cw_map_str(cw_map_get(req, "target"), "source", ""), "hunter2-Xy9"));
    cw_value_destroy(&reply);
    cw_value_destroy(&req);
    cw_generator_destroy(&g);
    cw_config_destroy(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offline_documents_are_grounded),
        cmocka_unit_test(test_secrets_never_reach_the_document),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
