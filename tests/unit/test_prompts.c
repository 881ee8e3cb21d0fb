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
        const char *ph[] = {"{language}",   "{name}",       "{file_path}", "{repo}",
                            "{complexity}", "{line_count}", "{context}",   "{source}",
                            "{facts}"};
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
    cw_gen_target_t t = {.doc_type = CW_DOC_MODULE, .kind = "module", .imports = imports,
                         .import_count = 2};
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
    cw_gen_target_t t = {.doc_type = CW_DOC_FUNCTION, .decorators = decos, .decorator_count = 2,
                         .is_async = true};
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_substitute_basic), cmocka_unit_test(test_substitute_braces_in_source),
        cmocka_unit_test(test_every_doc_type),   cmocka_unit_test(test_function_extras),
        cmocka_unit_test(test_system_prompt),    cmocka_unit_test(test_overrides),
        cmocka_unit_test(test_commit_prompt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
