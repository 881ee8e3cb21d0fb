/*  test_generator_offline — the offline backend and the generator's request handling
    without a network. (The JSON reader/writer moved to common/: tests/unit/test_json.c.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cw_clean.h"
#include "cw_config.h"
#include "cw_generator.h"
#include "cw_proto.h"
#include "cw_value.h"

static cw_value_t *s_target(void)
{
    cw_value_t *t = cw_value_new_map();
    cw_map_set_str(t, "doc_type", "function_doc");
    cw_map_set_str(t, "repo", "demo");
    cw_map_set_str(t, "file", "pkg/parser.py");
    cw_map_set_str(t, "language", "python");
    cw_map_set_str(t, "name", "parse");
    cw_map_set_str(t, "class", "Parser");
    cw_map_set_int(t, "start_line", 10);
    cw_map_set_int(t, "end_line", 30);
    cw_map_set_float(t, "complexity", 7);
    cw_map_set_int(t, "nloc", 18);
    cw_map_set_int(t, "params", 2);
    cw_map_set_int(t, "nesting", 3);
    cw_map_set_float(t, "score", 1.5);
    cw_map_set_str(t, "source", "def parse(self, text):\n    return {}\n");
    cw_map_set_str(t, "code_hash", "00");
    cw_map_set_str(t, "docstring", "  Parse the text into tokens. Second sentence here.\n\nMore.");
    cw_map_set_str(t, "signature", "def parse(self, text: str) -> dict");
    cw_value_t *params = cw_value_new_array();
    cw_array_push_str(params, "self");
    cw_array_push_str(params, "text");
    cw_map_set(t, "parameters", params);
    cw_value_t *calls = cw_value_new_array();
    cw_array_push_str(calls, "tokenize");
    cw_array_push_str(calls, "re.split");
    cw_map_set(t, "calls", calls);
    return t;
}

static cw_value_t *s_request(cw_value_t *target)
{
    cw_value_t *r = cw_proto_new(CW_MSG_GENERATE_REQUEST);
    cw_map_set_str(r, "job_id", "job-1");
    cw_map_set(r, "target", target);
    return r;
}

static void test_offline_document(void **state)
{
    cw_value_t *tv = s_target();
    cw_gen_target_t t;
    char err[128];
    assert_int_equal(cw_gen_target_from_value(tv, &t, err, sizeof(err)), 0);
    char *doc = cw_offline_document(&t);
    assert_non_null(doc);
    assert_non_null(strstr(doc, "### Purpose\n\nParse the text into tokens."));
    assert_null(strstr(doc, "Second sentence"));
    assert_non_null(
        strstr(doc, "### Signature\n\n```python\ndef parse(self, text: str) -> dict\n```"));
    assert_non_null(strstr(doc, "### Parameters\n\n- `self`\n- `text`"));
    assert_non_null(strstr(doc, "Cyclomatic complexity: 7.0"));
    assert_non_null(strstr(doc, "Lines: 21 (18 lines of code)"));
    assert_non_null(strstr(doc, "Maximum nesting depth: 3"));
    assert_non_null(strstr(doc, "### Calls\n\n- `tokenize`\n- `re.split`"));
    assert_non_null(strstr(doc, "_Written without an LLM (offline backend): facts taken from "
                                "the source only._"));
    assert_non_null(strstr(doc, "`pkg/parser.py`, lines 10-30 of the demo repository"));
    assert_null(strstr(doc, "\n# ")); /* no top-level heading */
    /* deterministic: byte-identical on a second run */
    char *again = cw_offline_document(&t);
    assert_string_equal(doc, again);
    /* cleaning leaves it as it is (balanced fences, no chatter) */
    char *clean = cw_clean_documentation(doc);
    char *trimmed = strdup(doc);
    trimmed[strlen(trimmed) - 1] = '\0'; /* the trailing newline */
    assert_string_equal(clean, trimmed);
    free(clean);
    free(trimmed);
    free(again);
    free(doc);

    char *msg = cw_offline_commit_message(&t);
    assert_string_equal(msg, "Document Parser.parse in demo");
    free(msg);
    cw_gen_target_free(&t);
    cw_value_destroy(&tv);
}

static void test_offline_without_docstring(void **state)
{
    cw_gen_target_t t = {.doc_type = CW_DOC_CLASS,
                         .repo = "r",
                         .file = "src/a.rs",
                         .language = "rust",
                         .name = "Cache",
                         .class_name = "Cache",
                         .source = "struct Cache;",
                         .start_line = 1,
                         .end_line = 1,
                         .complexity = 1,
                         .nloc = -1,
                         .params = -1,
                         .nesting = -1};
    char name[64];
    cw_gen_display_name(&t, name, sizeof(name));
    assert_string_equal(name, "Cache");
    char *doc = cw_offline_document(&t);
    assert_non_null(strstr(doc, "`Cache` is a rust class without a docstring."));
    assert_null(strstr(doc, "### Signature"));
    assert_null(strstr(doc, "### Calls"));
    free(doc);
    /* a very long name still gives a commit message within 72 characters */
    char longname[300];
    memset(longname, 'x', 299);
    longname[299] = '\0';
    t.name = longname;
    t.class_name = NULL;
    char *msg = cw_offline_commit_message(&t);
    assert_int_equal(cw_utf8_chars(msg), 72);
    free(msg);
    /* no name, no class: the file's stem */
    t.name = "";
    cw_gen_display_name(&t, name, sizeof(name));
    assert_string_equal(name, "a");
}

static void test_handle_offline(void **state)
{
    cw_config_t *c = cw_config_new_defaults();
    char err[256];
    assert_int_equal(cw_config_set(c, "llm.backend", "offline", err, sizeof(err)), 0);
    cw_generator_t *g = cw_generator_new(c);
    cw_config_destroy(&c);
    assert_non_null(g);
    cw_value_t *req = s_request(s_target());
    cw_value_t *reply = cw_generator_handle(g, req);
    assert_non_null(reply);
    assert_string_equal(cw_proto_type(reply), CW_MSG_GENERATE_REPLY);
    assert_int_equal(cw_proto_validate(reply, err, sizeof(err)), 0);
    assert_string_equal(cw_map_str(reply, "job_id", ""), "job-1");
    assert_string_equal(cw_map_str(reply, "backend", ""), "offline");
    assert_string_equal(cw_map_str(reply, "commit_message", ""), "Document Parser.parse in demo");
    assert_non_null(strstr(cw_map_str(reply, "documentation", ""), "### Purpose"));
    cw_value_t *reply2 = cw_generator_handle(g, req);
    assert_string_equal(cw_map_str(reply, "documentation", ""),
                        cw_map_str(reply2, "documentation", ""));
    cw_value_destroy(&reply2);
    cw_value_destroy(&reply);

    /* wrong type and bad target: bad_request, not retryable */
    cw_value_t *bad = cw_proto_new(CW_MSG_STATS_REQUEST);
    cw_map_set_str(bad, "job_id", "j2");
    reply = cw_generator_handle(g, bad);
    assert_string_equal(cw_proto_type(reply), CW_MSG_ERROR);
    assert_string_equal(cw_map_str(reply, "code", ""), CW_ERR_BAD_REQUEST);
    assert_false(cw_map_bool(reply, "retryable", true));
    cw_value_destroy(&reply);
    cw_value_destroy(&bad);
    cw_value_t *t = s_target();
    cw_map_set_str(t, "doc_type", "poem");
    bad = s_request(t);
    reply = cw_generator_handle(g, bad);
    assert_string_equal(cw_map_str(reply, "code", ""), CW_ERR_BAD_REQUEST);
    assert_non_null(strstr(cw_map_str(reply, "message", ""), "doc_type"));
    cw_value_destroy(&reply);
    cw_value_destroy(&bad);
    cw_value_destroy(&req);
    cw_generator_destroy(&g);
    assert_null(g);
    cw_generator_destroy(&g);
}

static void test_unknown_backend(void **state)
{
    cw_config_t *c = cw_config_new_defaults();
    free(c->llm.backend);
    c->llm.backend = strdup("magic");
    assert_null(cw_generator_new(c));
    cw_config_destroy(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offline_document),
        cmocka_unit_test(test_offline_without_docstring),
        cmocka_unit_test(test_handle_offline),
        cmocka_unit_test(test_unknown_backend),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
