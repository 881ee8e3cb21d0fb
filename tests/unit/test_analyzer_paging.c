/*  Unit tests: analyze_request paging (issue 6) - offset skips the best candidates, total
    counts them all, sources:false leaves the source out but keeps the code hash. On a copy
    of tests/fixtures/pipeline_repo made a git repository. */
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
#include "cw_log.h"
#include "cw_proto.h"
#include "cw_test_analyzer.h"

static char s_tmp[64];

static int s_setup(void **state)
{
    (void)state;
    snprintf(s_tmp, sizeof s_tmp, "/tmp/cw-test-paging-XXXXXX");
    assert_non_null(mkdtemp(s_tmp));
    const char *src = getenv("CW_SOURCE_DIR");
    assert_int_equal(test_sh("cp -r '%s/tests/fixtures/pipeline_repo' '%s/repo' && cd '%s/repo' "
                             "&& git init -q -b main && git add -A && git -c user.name=t -c "
                             "user.email=t@e commit -qm init",
                             src ? src : ".", s_tmp, s_tmp),
                     0);
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    return test_sh("rm -rf '%s'", s_tmp);
}

static cw_value_t *s_ask(cw_analyzer_t *a, const char *doc_type, int limit, int offset, int sources)
{
    cw_value_t *req = cw_proto_new(CW_MSG_ANALYZE_REQUEST);
    cw_map_set_str(req, "job_id", "page-1");
    cw_map_set_str(req, "doc_type", doc_type);
    cw_map_set_str(req, "repo", "inventory");
    cw_map_set_int(req, "limit", limit);
    if (offset >= 0)
        cw_map_set_int(req, "offset", offset);
    if (sources >= 0)
        cw_map_set_bool(req, "sources", sources != 0);
    char err[256] = "";
    assert_int_equal(cw_proto_validate(req, err, sizeof err), 0);
    cw_value_t *reply = cw_analyzer_handle(a, req);
    cw_value_destroy(&req);
    assert_non_null(reply);
    if (cw_proto_validate(reply, err, sizeof err) != 0)
        fail_msg("reply invalid: %s", err);
    return reply;
}

static void test_offset_total_sources(void **state)
{
    (void)state;
    char err[256], repo[PATH_MAX], data[PATH_MAX];
    snprintf(repo, sizeof repo, "%s/repo", s_tmp);
    snprintf(data, sizeof data, "%s/data", s_tmp);
    cw_config_t *cfg = cw_config_new_defaults();
    assert_non_null(cfg);
    assert_int_equal(cw_config_add_repo(cfg, "inventory", repo, err, sizeof err), 0);
    assert_int_equal(cw_config_set(cfg, "data_dir", data, err, sizeof err), 0);
    assert_int_equal(cw_config_set(cfg, "analyzer.min_lines", "3", err, sizeof err), 0);
    assert_int_equal(cw_config_set(cfg, "analyzer.min_complexity", "1", err, sizeof err), 0);
    cw_analyzer_t *a = cw_analyzer_new(cfg);
    assert_non_null(a);

    cw_value_t *all = s_ask(a, "function_doc", 100, -1, -1);
    const cw_value_t *list = cw_map_get(all, "targets");
    size_t n = cw_value_size(list);
    assert_true(n >= 4);
    assert_int_equal(cw_map_int(all, "total", -1), (int64_t)n);

    /* a page in the middle is that slice of the whole ranking */
    cw_value_t *page = s_ask(a, "function_doc", 2, 1, -1);
    const cw_value_t *pl = cw_map_get(page, "targets");
    assert_int_equal(cw_value_size(pl), 2);
    assert_int_equal(cw_map_int(page, "total", -1), (int64_t)n);
    for (size_t i = 0; i < 2; i++)
        assert_string_equal(cw_map_str(cw_array_at(pl, i), "code_hash", "a"),
                            cw_map_str(cw_array_at(list, i + 1), "code_hash", "b"));
    cw_value_destroy(&page);

    /* past the end: empty, total still known */
    page = s_ask(a, "function_doc", 20, (int)n, -1);
    assert_int_equal(cw_value_size(cw_map_get(page, "targets")), 0);
    assert_int_equal(cw_map_int(page, "total", -1), (int64_t)n);
    cw_value_destroy(&page);

    /* without sources: same targets and hashes, no source text */
    page = s_ask(a, "function_doc", 100, 0, 0);
    pl = cw_map_get(page, "targets");
    assert_int_equal(cw_value_size(pl), n);
    for (size_t i = 0; i < n; i++) {
        const cw_value_t *t = cw_array_at(pl, i);
        assert_string_equal(cw_map_str(t, "source", "x"), "");
        assert_string_equal(cw_map_str(t, "code_hash", "a"),
                            cw_map_str(cw_array_at(list, i), "code_hash", "b"));
        assert_true(strlen(cw_map_str(cw_array_at(list, i), "source", "")) > 0);
    }
    cw_value_destroy(&page);
    cw_value_destroy(&all);

    /* a negative offset is refused */
    cw_value_t *req = cw_proto_new(CW_MSG_ANALYZE_REQUEST);
    cw_map_set_str(req, "job_id", "page-2");
    cw_map_set_int(req, "offset", -1);
    cw_value_t *reply = cw_analyzer_handle(a, req);
    assert_string_equal(cw_map_str(reply, "code", ""), CW_ERR_BAD_REQUEST);
    cw_value_destroy(&reply);
    cw_value_destroy(&req);
    cw_analyzer_destroy(&a);
    cw_config_destroy(&cfg);
}

int main(void)
{
    cw_log_set_level(CW_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_offset_total_sources, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
