/*  cw_doctype: the one table of doc types holds the reference's facts (names, labels,
    folders: shared/reference/OUTPUT.md; weights: CONFIG.md), and the config, the DevLog
    and the prompts read it. cw-test-libs: cw_committer cw_generator */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "cw_config.h"
#include "cw_devlog.h"
#include "cw_doctype.h"
#include "cw_prompts.h"

/* The reference's table, written out here on purpose: a change of the table must be a
   change of this test too. */
static const struct {
    const char *name, *folder, *label;
    double weight;
} s_ref[CW_DOC_TYPE_COUNT] = {
    {"function_doc", NULL, "Documentation", 35},
    {"class_doc", "classes", "Class Documentation", 12},
    {"file_doc", "files", "File Overview", 12},
    {"security_review", "reviews/security", "Security Review", 10},
    {"performance_analysis", "reviews/performance", "Performance Analysis", 8},
    {"til", "til", "Today I Learned", 10},
    {"code_evolution", "evolution", "Code Evolution", 5},
    {"module_doc", "modules", "Module Overview", 3},
    {"pattern_analysis", "patterns", "Pattern Analysis", 3},
    {"weekly_summary", "analysis/weekly", "Weekly Summary", 1},
    {"monthly_summary", "analysis/monthly", "Monthly Summary", 1},
};

static void test_reference_facts(void **state)
{
    for (int i = 0; i < CW_DOC_TYPE_COUNT; i++) {
        const cw_doctype_t *t = cw_doctype(i);
        assert_non_null(t);
        assert_int_equal(t->type, i);
        assert_string_equal(t->name, s_ref[i].name);
        assert_string_equal(t->label, s_ref[i].label);
        if (s_ref[i].folder)
            assert_string_equal(t->folder, s_ref[i].folder);
        else
            assert_null(t->folder);
        assert_true(t->default_weight == s_ref[i].weight);
    }
    assert_null(cw_doctype(-1));
    assert_null(cw_doctype(CW_DOC_TYPE_COUNT));
}

static void test_names(void **state)
{
    for (int i = 0; i < CW_DOC_TYPE_COUNT; i++) {
        assert_string_equal(cw_doc_type_name(i), s_ref[i].name);
        assert_int_equal(cw_doc_type_from_name(s_ref[i].name), i);
        assert_ptr_equal(cw_doctype_by_name(s_ref[i].name), cw_doctype(i));
    }
    assert_null(cw_doc_type_name(CW_DOC_TYPE_COUNT));
    assert_int_equal(cw_doc_type_from_name("Function_doc"), -1);
    assert_int_equal(cw_doc_type_from_name(""), -1);
    assert_int_equal(cw_doc_type_from_name(NULL), -1);
    assert_null(cw_doctype_by_name("weekly"));
}

/* What targets are made from: the four function perspectives share functions, the
   summaries are the only ledger types and the only ones with a period. */
static void test_sources_and_summaries(void **state)
{
    int per_source[CW_DOC_SOURCE_COUNT] = {0};
    for (int i = 0; i < CW_DOC_TYPE_COUNT; i++) {
        const cw_doctype_t *t = cw_doctype(i);
        assert_true(t->source >= 0 && t->source < CW_DOC_SOURCE_COUNT);
        per_source[t->source]++;
        bool summary = i == CW_DOC_WEEKLY || i == CW_DOC_MONTHLY;
        assert_int_equal(cw_doc_type_is_summary(t->name), summary);
        assert_int_equal(t->source == CW_DOC_FROM_LEDGER, summary);
        assert_int_equal(t->period != NULL, summary);
    }
    for (int s = 0; s < CW_DOC_SOURCE_COUNT; s++)
        assert_true(per_source[s] > 0); /* no source without a doc type */
    assert_int_equal(per_source[CW_DOC_FROM_FUNCTIONS], 4);
    assert_int_equal(cw_doctype_by_period("weekly")->type, CW_DOC_WEEKLY);
    assert_int_equal(cw_doctype_by_period("monthly")->type, CW_DOC_MONTHLY);
    assert_null(cw_doctype_by_period("daily"));
    assert_null(cw_doctype_by_period(NULL));
    assert_false(cw_doc_type_is_summary("nope"));
    /* only function_doc takes prompts.yaml's documentation_template */
    for (int i = 0; i < CW_DOC_TYPE_COUNT; i++)
        assert_int_equal(cw_doctype(i)->template_key != NULL, i == CW_DOC_FUNCTION);
    assert_string_equal(cw_doctype(CW_DOC_FUNCTION)->template_key, "documentation_template");
}

/* The readers: the config's default weights, the DevLog's labels and folders, the built-in
   prompt templates. */
static void test_readers_agree(void **state)
{
    cw_config_t *c = cw_config_new_defaults();
    assert_non_null(c);
    for (int i = 0; i < CW_DOC_TYPE_COUNT; i++)
        assert_true(c->documentation.type_weights[i] == s_ref[i].weight);
    cw_config_destroy(&c);
    for (int i = 0; i < CW_DOC_TYPE_COUNT; i++) {
        assert_string_equal(cw_devlog_label(s_ref[i].name), s_ref[i].label);
        char *folder = cw_devlog_folder(s_ref[i].name, "Python");
        assert_non_null(folder);
        assert_string_equal(folder, s_ref[i].folder ? s_ref[i].folder : "snippets/python");
        free(folder);
        const char *tmpl = cw_prompts_builtin_template(i);
        assert_non_null(tmpl);
        for (int j = 0; j < i; j++) /* each type its own prompt */
            assert_ptr_not_equal(tmpl, cw_prompts_builtin_template(j));
    }
    assert_null(cw_devlog_label("nope"));
    assert_null(cw_devlog_folder("nope", "python"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_facts),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_sources_and_summaries),
        cmocka_unit_test(test_readers_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
