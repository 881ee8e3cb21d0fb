/*  test_prompts — built-in prompts, prompts.yaml overrides and safe substitution
    (services/generator/cw_prompts). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "cw_config.h"
#include "cw_prompts.h"

#include <stdio.h>

static void test_substitute_basic(void **state)
{
    cw_prompt_kv_t kv[] = {{"name", "foo"}, {"language", "python"}, {"empty", NULL}};
    char *out = cw_prompts_substitute("Doc {name} in {language}{empty}.", kv, 3);
    assert_string_equal(out, "Doc foo in python.");
    free(out);
    /* unknown placeholders, lone and doubled braces stay as they are */
    out = cw_prompts_substitute("{unknown} { name } {name {{name}} }{ {", kv, 3);
    assert_string_equal(out, "{unknown} { name } {name {foo} }{ {");
    free(out);
    out = cw_prompts_substitute("", kv, 3);
    assert_string_equal(out, "");
    free(out);
    out = cw_prompts_substitute(NULL, kv, 3);
    assert_string_equal(out, "");
    free(out);
}

static void test_substitute_braces_in_source(void **state)
{
    /* the source is inserted literally and never re-scanned */
    const char *src = "int f(void) { return x{1}; } /* {name} {language} */ {{ }}";
    cw_prompt_kv_t kv[] = {{"source", src}, {"name", "NAME"}, {"language", "c"}};
    char *out = cw_prompts_substitute("[{language}] {name}: {source} end", kv, 3);
    char want[256];
    snprintf(want, sizeof(want), "[c] NAME: %s end", src);
    assert_string_equal(out, want);
    free(out);
}

static cw_prompt_vars_t s_vars(void)
{
    cw_prompt_vars_t v = {
        .language = "python",
        .source = "def parse(x):\n    return {k: v for k, v in x.items()}  # {name}",
        .name = "Parser.parse",
        .file_path = "pkg/parser.py",
        .repo = "demo",
        .complexity = 7,
        .line_count = 12,
        .target = NULL,
    };
    return v;
}

static void test_every_doc_type(void **state)
{
    cw_prompts_t *p = cw_prompts_new(NULL);
    assert_non_null(p);
    cw_prompt_vars_t v = s_vars();
    for (int t = 0; t < CW_DOC_TYPE_COUNT; t++) {
        char *user = cw_prompts_document(p, t, &v);
        assert_non_null(user);
        /* the source is there, verbatim, with its braces */
        assert_non_null(strstr(user, v.source));
        /* every known placeholder was replaced */
        const char *ph[] = {"{language}",   "{name}",    "{file_path}", "{repo}", "{complexity}",
                            "{line_count}", "{context}", "{source}",    "{facts}"};
        /* (the source itself contains "{name}", so look outside it) */
        char *copy = strdup(user);
        char *at = strstr(copy, v.source);
        memset(at, '#', strlen(v.source));
        for (size_t i = 0; i < sizeof(ph) / sizeof(ph[0]); i++)
            assert_null(strstr(copy, ph[i]));
        free(copy);
        /* rules every prompt carries: only the given code, a word limit */
        assert_non_null(strstr(user, "invent nothing"));
        assert_non_null(strstr(user, "words"));
        assert_non_null(strstr(user, "demo"));
        free(user);
    }
    /* a function prompt names the function, the file and the figures */
    char *user = cw_prompts_document(p, CW_DOC_FUNCTION, &v);
    assert_non_null(strstr(user, "`Parser.parse`"));
    assert_non_null(strstr(user, "pkg/parser.py"));
    assert_non_null(strstr(user, "7.0"));
    assert_non_null(strstr(user, "12 lines"));
    free(user);
    /* facts: "(none)" without a target, what the target says when given */
    user = cw_prompts_document(p, CW_DOC_FILE, &v);
    assert_non_null(strstr(user, "(none)"));
    free(user);
    const char *imports[] = {"os", "sys"};
    cw_gen_target_t t = {
        .doc_type = CW_DOC_MODULE, .kind = "module", .imports = imports, .import_count = 2};
    v.target = &t;
    user = cw_prompts_document(p, CW_DOC_MODULE, &v);
    assert_non_null(strstr(user, "- imports: os, sys"));
    assert_null(strstr(user, "(none)"));
    free(user);
    v.target = NULL;
    /* out of range doc type -> function_doc */
    user = cw_prompts_document(p, 99, &v);
    char *fn = cw_prompts_document(p, CW_DOC_FUNCTION, &v);
    assert_string_equal(user, fn);
    free(user);
    free(fn);
    cw_prompts_destroy(&p);
    assert_null(p);
    cw_prompts_destroy(&p);
}

static void test_function_extras(void **state)
{
    cw_prompts_t *p = cw_prompts_new(NULL);
    cw_prompt_vars_t v = s_vars();
    const char *decos[] = {"@staticmethod", "@cache"};
    cw_gen_target_t t = {
        .doc_type = CW_DOC_FUNCTION, .decorators = decos, .decorator_count = 2, .is_async = true};
    v.target = &t;
    char *user = cw_prompts_document(p, CW_DOC_FUNCTION, &v);
    assert_non_null(strstr(user, "- decorators: @staticmethod, @cache"));
    assert_non_null(strstr(user, "- async: yes"));
    free(user);
    cw_prompts_destroy(&p);
}

static void test_system_prompt(void **state)
{
    cw_prompts_t *p = cw_prompts_new(NULL);
    char *sys = cw_prompts_system(p, "go");
    assert_true(strncmp(sys, cw_prompts_builtin_system(), strlen(cw_prompts_builtin_system())) ==
                0);
    assert_non_null(strstr(sys, "Language-specific guidance: "));
    assert_non_null(strstr(sys, "goroutines"));
    free(sys);
    sys = cw_prompts_system(p, "cobol");
    assert_string_equal(sys, cw_prompts_builtin_system());
    free(sys);
    cw_prompts_destroy(&p);
}

static void test_overrides(void **state)
{
    cw_config_t *c = cw_config_new_defaults();
    assert_non_null(c);
    c->prompts.system_prompt = strdup("CUSTOM SYSTEM");
    c->prompts.style = strdup("casual");
    c->prompts.documentation_template = strdup("Explain {name} ({language}): {source} {nope}");
    c->prompts.commit_message_template = strdup("Msg for {name} in {repo}: {documentation}");
    c->prompts.language_hints = calloc(2, sizeof(cw_lang_hint_t));
    c->prompts.language_hints[0].language = strdup("python");
    c->prompts.language_hints[0].hint = strdup("Mind the GIL.");
    c->prompts.language_hints[1].language = strdup("rust");
    c->prompts.language_hints[1].hint = strdup("Mind the borrows.");
    c->prompts.language_hint_count = 2;
    cw_prompts_t *p = cw_prompts_new(c);
    cw_config_destroy(&c); /* the prompts keep their own copies */
    assert_non_null(p);

    char *sys = cw_prompts_system(p, "python");
    assert_string_equal(sys, "CUSTOM SYSTEM\n\nWriting style: casual.\n\n"
                             "Language-specific guidance: Mind the GIL.");
    free(sys);
    /* a language without a configured hint falls back to the built-in hint */
    sys = cw_prompts_system(p, "go");
    assert_non_null(strstr(sys, "goroutines"));
    free(sys);

    cw_prompt_vars_t v = s_vars();
    char *user = cw_prompts_document(p, CW_DOC_FUNCTION, &v);
    char want[512];
    snprintf(want, sizeof(want), "Explain Parser.parse (python): %s {nope}", v.source);
    assert_string_equal(user, want);
    free(user);
    /* other doc types keep their built-in template */
    user = cw_prompts_document(p, CW_DOC_SECURITY, &v);
    assert_null(strstr(user, "Explain Parser.parse"));
    assert_non_null(strstr(user, "severity"));
    free(user);

    /* a template without {facts} or {context} gets the facts after it */
    cw_gen_target_t t = {.doc_type = CW_DOC_FUNCTION, .return_type = "dict"};
    v.target = &t;
    user = cw_prompts_document(p, CW_DOC_FUNCTION, &v);
    snprintf(want, sizeof(want),
             "Explain Parser.parse (python): %s {nope}\n\nFacts the analyzer read from the "
             "code:\n- returns: dict",
             v.source);
    assert_string_equal(user, want);
    free(user);
    v.target = NULL;

    char *msg = cw_prompts_commit(p, "Some {documentation} text", &v);
    assert_string_equal(msg, "Msg for Parser.parse in demo: Some {documentation} text");
    free(msg);
    cw_prompts_destroy(&p);
}

static void test_commit_prompt(void **state)
{
    cw_prompts_t *p = cw_prompts_new(NULL);
    cw_prompt_vars_t v = s_vars();
    /* 400 x "é" = 800 bytes: cut to at most 500 bytes on a character boundary */
    char doc[1024] = "";
    for (int i = 0; i < 400; i++)
        strcat(doc, "\xC3\xA9");
    strcat(doc, "TAIL");
    char *msg = cw_prompts_commit(p, doc, &v);
    assert_non_null(strstr(msg, "commit message"));
    assert_non_null(strstr(msg, "Parser.parse"));
    assert_non_null(strstr(msg, "72"));
    assert_null(strstr(msg, "TAIL"));
    char *start = strstr(msg, "\xC3\xA9");
    assert_non_null(start);
    size_t run = 0;
    while (start[run] == '\xC3' && start[run + 1] == '\xA9')
        run += 2;
    assert_int_equal(run, 500);
    assert_true(((unsigned char)start[run] & 0xC0) != 0x80);
    free(msg);
    char *sys = cw_prompts_commit_system(p);
    assert_non_null(strstr(sys, "commit"));
    free(sys);
    cw_prompts_destroy(&p);
}

/* The facts block: every fact a target carries, compact, one per line. */
static cw_value_t *s_member(const char *name, const char *kind, int line, const char *sig)
{
    cw_value_t *m = cw_value_new_map();
    cw_map_set_str(m, "name", name);
    cw_map_set_str(m, "kind", kind);
    cw_map_set_int(m, "line", line);
    if (sig)
        cw_map_set_str(m, "signature", sig);
    return m;
}

static void test_facts_block(void **state)
{
    (void)state;
    cw_value_t *tv = cw_value_new_map();
    cw_map_set_str(tv, "doc_type", "function_doc");
    cw_map_set_str(tv, "repo", "demo");
    cw_map_set_str(tv, "file", "pkg/parser.py");
    cw_map_set_str(tv, "language", "python");
    cw_map_set_str(tv, "name", "parse");
    cw_map_set_str(tv, "class", "Parser");
    cw_map_set_str(tv, "source", "def parse(self, text): ...");
    cw_map_set_int(tv, "start_line", 10);
    cw_map_set_int(tv, "end_line", 30);
    cw_map_set_int(tv, "nloc", 18);
    cw_map_set_int(tv, "nesting", 2);
    cw_map_set_str(tv, "kind", "method");
    cw_map_set_str(tv, "docstring", "Parse the text\n   into tokens.");
    cw_map_set_str(tv, "signature", "def parse(self, text: str, limit: int = 10) -> dict:");
    cw_value_t *params = cw_value_new_array();
    const char *pn[] = {"self", "text", "limit"}, *pt[] = {NULL, "str", "int"},
               *pd[] = {NULL, NULL, "10"};
    for (int i = 0; i < 3; i++) {
        cw_value_t *p = cw_value_new_map();
        cw_map_set_str(p, "name", pn[i]);
        if (pt[i])
            cw_map_set_str(p, "type", pt[i]);
        if (pd[i])
            cw_map_set_str(p, "default", pd[i]);
        cw_array_push(params, p);
    }
    cw_map_set(tv, "parameters", params);
    cw_map_set_str(tv, "return_type", "dict");
    cw_value_t *calls = cw_value_new_array();
    cw_array_push_str(calls, "tokenize");
    cw_array_push_str(calls, "re.split");
    cw_map_set(tv, "calls", calls);
    cw_value_t *body = cw_value_new_map();
    cw_map_set_int(body, "loops", 2);
    cw_map_set_int(body, "loop_depth", 2);
    cw_map_set_int(body, "raises", 1);
    cw_map_set(tv, "body", body);
    cw_value_t *members = cw_value_new_array();
    cw_array_push(members, s_member("tokens", "attribute", 12, "tokens: list = []"));
    cw_map_set(tv, "members", members);
    cw_value_t *defs = cw_value_new_array();
    cw_array_push(defs, s_member("Parser", "class", 3, "class Parser"));
    cw_map_set(tv, "definitions", defs);
    cw_value_t *imports = cw_value_new_array();
    cw_array_push_str(imports, "re");
    cw_map_set(tv, "imports", imports);
    cw_value_t *commit = cw_value_new_map();
    cw_map_set_str(commit, "hash", "abc1234def5678");
    cw_map_set_str(commit, "author", "Ada");
    cw_map_set_str(commit, "date", "2024-01-02T03:04:05Z");
    cw_map_set_str(commit, "subject", "Parse faster");
    cw_map_set_int(commit, "file_count", 1);
    cw_map_set(tv, "commit", commit);
    cw_value_t *patterns = cw_value_new_array(), *pat = cw_value_new_map(),
               *ind = cw_value_new_array();
    cw_array_push_str(ind, "subscribe");
    cw_array_push_str(ind, "notify");
    cw_map_set_str(pat, "name", "observer");
    cw_map_set(pat, "indicators", ind);
    cw_array_push(patterns, pat);
    cw_map_set(tv, "patterns", patterns);
    cw_map_set_str(tv, "context", "prose nobody reads");

    cw_gen_target_t t;
    char err[128];
    assert_int_equal(cw_gen_target_from_value(tv, &t, err, sizeof err), 0);
    char *facts = cw_prompts_facts(&t);
    const char *want =
        "- kind: method of Parser\n"
        "- lines: 10-30 (18 of code), nesting depth 2\n"
        "- docstring: \"Parse the text into tokens.\"\n"
        "- signature: def parse(self, text: str, limit: int = 10) -> dict:\n"
        "- parameters: self; text: str; limit: int = 10\n"
        "- returns: dict\n"
        "- calls: tokenize, re.split\n"
        "- body: 2 loops (nested 2 deep), 1 raise/throw/panic\n"
        "- members: 1\n"
        "  - tokens (attribute, line 12): tokens: list = []\n"
        "- top-level definitions: 1\n"
        "  - Parser (class, line 3): class Parser\n"
        "- imports: re\n"
        "- commit: abc1234 by Ada on 2024-01-02T03:04:05Z: Parse faster (1 files changed)\n"
        "- pattern: observer (indicators found in code: subscribe, notify)";
    assert_string_equal(facts, want);
    assert_null(strstr(facts, "prose nobody reads"));
    /* every template gets them */
    cw_prompts_t *p = cw_prompts_new(NULL);
    cw_prompt_vars_t v = s_vars();
    v.target = &t;
    for (int d = 0; d < CW_DOC_TYPE_COUNT; d++) {
        char *user = cw_prompts_document(p, d, &v);
        if (!strstr(user, facts))
            fail_msg("doc type %d: the prompt lacks the facts", d);
        free(user);
    }
    cw_prompts_destroy(&p);
    free(facts);
    cw_gen_target_free(&t);
    cw_value_destroy(&tv);
    /* no target, no facts */
    facts = cw_prompts_facts(NULL);
    assert_string_equal(facts, "(none)");
    free(facts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_substitute_basic), cmocka_unit_test(test_substitute_braces_in_source),
        cmocka_unit_test(test_every_doc_type),   cmocka_unit_test(test_function_extras),
        cmocka_unit_test(test_system_prompt),    cmocka_unit_test(test_overrides),
        cmocka_unit_test(test_commit_prompt),    cmocka_unit_test(test_facts_block),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
