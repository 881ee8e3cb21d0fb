/*  Unit tests: the cycle log (recording, stats, recovery decisions), the weighted doc type
    choice and the display name rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cw_cycle.h"
#include "cw_cyclelog.h"
#include "cw_log.h"
#include "cw_value.h"

static char s_dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(s_dir, sizeof s_dir, "/tmp/cw_test_cyclelog_XXXXXX");
    return mkdtemp(s_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static cw_cyclelog_t *s_open(void)
{
    char path[400];
    snprintf(path, sizeof path, "%s/cycles.db", s_dir);
    return cw_cyclelog_new(path);
}

static void test_recovery_action(void **state)
{
    (void)state;
    assert_int_equal(cw_cyclelog_recovery_action("committing", true), CW_RECOVER_RESUME);
    assert_int_equal(cw_cyclelog_recovery_action("generated", true), CW_RECOVER_RESUME);
    assert_int_equal(cw_cyclelog_recovery_action("started", false), CW_RECOVER_ABANDON);
    assert_int_equal(cw_cyclelog_recovery_action("analyzed", false), CW_RECOVER_ABANDON);
    assert_int_equal(cw_cyclelog_recovery_action("generating", false), CW_RECOVER_ABANDON);
    assert_int_equal(cw_cyclelog_recovery_action("committing", false), CW_RECOVER_ABANDON);
    assert_int_equal(cw_cyclelog_recovery_action("committed", true), CW_RECOVER_NONE);
    assert_int_equal(cw_cyclelog_recovery_action("failed", true), CW_RECOVER_NONE);
    assert_int_equal(cw_cyclelog_recovery_action("skipped", false), CW_RECOVER_NONE);
    assert_int_equal(cw_cyclelog_recovery_action("abandoned", false), CW_RECOVER_NONE);
    assert_true(cw_cyclelog_state_is_final("committed"));
    assert_false(cw_cyclelog_state_is_final("committing"));
}

static void test_record_steps(void **state)
{
    (void)state;
    cw_cyclelog_t *log = s_open();
    assert_non_null(log);
    assert_int_equal(cw_cyclelog_begin(log, "c1", 1000), 0);
    assert_int_not_equal(cw_cyclelog_begin(log, "c1", 1000), 0); /* unique */
    assert_int_equal(
        cw_cyclelog_step(log, "c1", "analyze", "j1", "function_doc", NULL, 0, NULL, 1001), 0);
    assert_int_equal(cw_cyclelog_step(log, "c1", "dedup", "j2", NULL, NULL, 0, NULL, 1002), 0);
    assert_int_equal(cw_cyclelog_set_state(log, "c1", CW_CYCLE_STATE_ANALYZED), 0);
    assert_int_equal(
        cw_cyclelog_set_target(log, "c1", "function_doc", "repo-a", "{\"name\":\"f\"}"), 0);
    assert_int_equal(cw_cyclelog_step(log, "c1", "generate", "j3", "f", NULL, 0,
                                      CW_CYCLE_STATE_GENERATING, 1003),
                     0);
    const char blob[] = "\x82\xa1v\x01\xa4type";
    assert_int_equal(cw_cyclelog_step(log, "c1", "commit", "j4", "f", blob, sizeof blob,
                                      CW_CYCLE_STATE_COMMITTING, 1004),
                     0);
    cw_cyclelog_cycle_t c;
    assert_int_equal(cw_cyclelog_get(log, "c1", &c), 0);
    assert_string_equal(c.state, "committing");
    assert_string_equal(c.doc_type, "function_doc");
    assert_string_equal(c.repo, "repo-a");
    assert_int_equal(c.pid, getpid());
    assert_int_equal(c.started_at, 1000);
    assert_int_equal(c.finished_at, 0);
    assert_false(c.counted);
    char names[8][32];
    assert_int_equal(cw_cyclelog_steps(log, "c1", names, 8), 4);
    assert_string_equal(names[0], "analyze");
    assert_string_equal(names[3], "commit");
    char job[65];
    void *payload = NULL;
    size_t plen = 0;
    assert_int_equal(cw_cyclelog_find_step(log, "c1", "commit", job, sizeof job, &payload, &plen),
                     0);
    assert_string_equal(job, "j4");
    assert_int_equal(plen, sizeof blob);
    assert_memory_equal(payload, blob, sizeof blob);
    free(payload);
    assert_int_equal(cw_cyclelog_find_step(log, "c1", "analyze", job, sizeof job, &payload, &plen),
                     0);
    assert_null(payload);
    assert_int_not_equal(cw_cyclelog_find_step(log, "c1", "nope", job, sizeof job, &payload, &plen),
                         0);

    cw_cyclelog_cycle_t open[4];
    assert_int_equal(cw_cyclelog_list_open(log, open, 4), 1);
    assert_string_equal(open[0].cycle_id, "c1");

    cw_cycle_stats_t st;
    assert_int_equal(cw_cyclelog_finish(log, "c1", CW_CYCLE_STATE_COMMITTED, NULL, "abc123", 1005,
                                        CW_CYCLE_COMMITTED, &st),
                     0);
    assert_int_equal(st.total, 1);
    assert_int_equal(st.successful, 1);
    assert_int_equal(cw_cyclelog_list_open(log, open, 4), 0);
    assert_int_equal(cw_cyclelog_get(log, "c1", &c), 0);
    assert_string_equal(c.commit_oid, "abc123");
    assert_true(c.counted);
    assert_int_equal(c.finished_at, 1005);
    /* a cycle is counted once */
    assert_int_equal(cw_cyclelog_finish(log, "c1", CW_CYCLE_STATE_COMMITTED, NULL, NULL, 1006,
                                        CW_CYCLE_COMMITTED, &st),
                     0);
    assert_int_equal(st.total, 1);
    cw_cyclelog_destroy(&log);
    assert_null(log);
}

static void s_cycle(cw_cyclelog_t *log, const char *id, int result, cw_cycle_stats_t *st)
{
    static const char *states[] = {"committed", "skipped", "failed", "abandoned"};
    assert_int_equal(cw_cyclelog_begin(log, id, 10), 0);
    assert_int_equal(cw_cyclelog_finish(log, id, states[result], "why", NULL, 11, result, st), 0);
}

static void test_stats_persist(void **state)
{
    (void)state;
    cw_cyclelog_t *log = s_open();
    cw_cycle_stats_t st;
    assert_int_equal(cw_cyclelog_stats(log, &st), 0);
    assert_int_equal(st.total, 0);
    s_cycle(log, "f1", CW_CYCLE_FAILED, &st);
    s_cycle(log, "f2", CW_CYCLE_FAILED, &st);
    assert_int_equal(st.consecutive_failures, 2);
    s_cycle(log, "s1", CW_CYCLE_SKIPPED, &st);
    assert_int_equal(st.consecutive_failures, 2); /* a skip is not a failure nor a success */
    assert_int_equal(st.consecutive_skips, 1);
    s_cycle(log, "l1", CW_CYCLE_LLM_DOWN, &st); /* not counted */
    s_cycle(log, "f3", CW_CYCLE_FAILED, &st);
    cw_cyclelog_destroy(&log);

    /* a restart keeps the backoff state */
    log = s_open();
    assert_int_equal(cw_cyclelog_stats(log, &st), 0);
    assert_int_equal(st.total, 4);
    assert_int_equal(st.failed, 3);
    assert_int_equal(st.skipped, 1);
    assert_int_equal(st.successful, 0);
    assert_int_equal(st.consecutive_failures, 3);
    assert_string_equal(st.last_failure_reason, "why");
    s_cycle(log, "ok", CW_CYCLE_COMMITTED, &st);
    assert_int_equal(st.consecutive_failures, 0);
    assert_int_equal(st.consecutive_skips, 0);
    assert_int_equal(st.successful, 1);
    assert_int_equal(st.total, 5);
    cw_cyclelog_destroy(&log);
}

static void test_doc_type_order(void **state)
{
    (void)state;
    cw_config_t *config = cw_config_new_defaults();
    assert_non_null(config);
    double w[CW_DOC_TYPE_COUNT];
    memcpy(w, config->documentation.type_weights, sizeof w);
    cw_config_destroy(&config);
    assert_true(w[CW_DOC_FUNCTION] == 35.0);

    cw_rng_t a, b;
    cw_rng_seed(&a, 5);
    cw_rng_seed(&b, 5);
    int oa[CW_DOC_TYPE_COUNT], ob[CW_DOC_TYPE_COUNT];
    int counts[CW_DOC_TYPE_COUNT] = {0};
    for (int i = 0; i < 10000; i++) {
        int na = cw_cycle_doc_type_order(w, &a, oa);
        int nb = cw_cycle_doc_type_order(w, &b, ob);
        assert_int_equal(na, CW_DOC_TYPE_COUNT);
        assert_int_equal(na, nb);
        assert_memory_equal(oa, ob, sizeof oa); /* deterministic with the seed */
        counts[oa[0]]++;
        /* the rest by weight, descending */
        for (int k = 2; k < na; k++)
            assert_true(w[oa[k - 1]] >= w[oa[k]]);
        /* every type once */
        int seen = 0;
        for (int k = 0; k < na; k++)
            seen |= 1 << oa[k];
        assert_int_equal(seen, (1 << CW_DOC_TYPE_COUNT) - 1);
    }
    /* function_doc 35/100, monthly 1/100 */
    assert_true(counts[CW_DOC_FUNCTION] > 3200 && counts[CW_DOC_FUNCTION] < 3800);
    assert_true(counts[CW_DOC_MONTHLY] > 40 && counts[CW_DOC_MONTHLY] < 200);

    /* zero weights are never tried */
    double z[CW_DOC_TYPE_COUNT] = {0};
    z[CW_DOC_CLASS] = 1.0;
    z[CW_DOC_FILE] = 3.0;
    int n = cw_cycle_doc_type_order(z, &a, oa);
    assert_int_equal(n, 2);
    assert_true((oa[0] == CW_DOC_CLASS && oa[1] == CW_DOC_FILE) ||
                (oa[0] == CW_DOC_FILE && oa[1] == CW_DOC_CLASS));
    double none[CW_DOC_TYPE_COUNT] = {0};
    assert_int_equal(cw_cycle_doc_type_order(none, &a, oa), 0);
}

static void test_display_name(void **state)
{
    (void)state;
    char out[128];
    cw_value_t *t = cw_value_new_map();
    cw_map_set_str(t, "file", "src/pkg/mod.py");
    cw_map_set_str(t, "name", "");
    cw_cycle_display_name(t, out, sizeof out);
    assert_string_equal(out, "mod");
    cw_map_set_str(t, "class", "Parser");
    cw_cycle_display_name(t, out, sizeof out);
    assert_string_equal(out, "Parser");
    cw_map_set_str(t, "name", "parse");
    cw_cycle_display_name(t, out, sizeof out);
    assert_string_equal(out, "Parser.parse");
    cw_map_set_str(t, "class", "");
    cw_cycle_display_name(t, out, sizeof out);
    assert_string_equal(out, "parse");
    cw_map_set_str(t, "class", "parse"); /* a class target names itself */
    cw_cycle_display_name(t, out, sizeof out);
    assert_string_equal(out, "parse");
    cw_value_destroy(&t);
    t = cw_value_new_map();
    cw_map_set_str(t, "file", "Makefile");
    cw_cycle_display_name(t, out, sizeof out);
    assert_string_equal(out, "Makefile");
    cw_value_destroy(&t);
}

int main(void)
{
    cw_log_set_level(CW_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recovery_action),
        cmocka_unit_test_setup_teardown(test_record_steps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stats_persist, setup, teardown),
        cmocka_unit_test(test_doc_type_order),
        cmocka_unit_test(test_display_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
