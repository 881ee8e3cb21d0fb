/*  test_generator_facts — the offline documents of the test repositories agree with the
    facts (issue 7, "Done when").

    For every language (python, javascript, typescript, tsx, go, rust, c, cpp) a git
    repository is made of tests/fixtures/analyzer/kinds/<lang> (commit 1: every file but the
    main one; commit 2: the main file; commit 3: a comment appended to it), and the analyzer
    is asked for every doc type it produces (function_doc, class_doc, file_doc,
    security_review, performance_analysis, til, code_evolution, pattern_analysis;
    module_doc from tests/fixtures/analyzer/targets, where each language has a package).
    Each target is rendered by the offline backend and written as the committer writes it
    (cw_devlog_render), and the document is checked against its header and its facts:
      - the line range it states is the header's `Lines:`; a complexity it states is the
        header's `Complexity:`;
      - docstring presence: with a docstring, Purpose is its first words and nothing says
        there is none; without, Purpose says so;
      - the counts it states are the lists it shows (methods among the members, top-level
        definitions, imports, module files, commit files, hunks, lines added and deleted);
      - every code span names something the target carries (its facts or its source),
        apart from a few language keywords;
      - the analyzer's `context` does not matter: replaced by nonsense, or removed, the
        document and the LLM prompt stay byte-identical;
      - it ends with the note that no LLM wrote it.
    cw-test-libs: cw_analyzer cw_committer */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cw_test_analyzer.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cw_analyzer.h"
#include "cw_devlog.h"
#include "cw_generator.h"
#include "cw_json.h"
#include "cw_log.h"
#include "cw_prompts.h"
#include "cw_proto.h"

#define T0 1700000000LL
#define DAY 86400LL

static char s_src[1024];
static char s_tmp[512];

typedef struct {
    const char *lang;
    const char *main;   /* the file commits 2 and 3 add and change */
    const char *module; /* its package in tests/fixtures/analyzer/targets */
    const char *comment;
} s_lang_t;

static const s_lang_t s_langs[] = {
    {"python", "inventory.py", "python/shapes", "# reviewed"},
    {"javascript", "orders.js", "js/lib", "// reviewed"},
    {"typescript", "cache.ts", "ts/ui", "// reviewed"},
    {"tsx", "TodoList.tsx", "tsx/widgets", "// reviewed"},
    {"go", "ledger.go", "go/geom", "// reviewed"},
    {"rust", "account.rs", "rust/src/net", "// reviewed"},
    {"c", "ringbuf.c", "c/buf", "/* reviewed */"},
    {"cpp", "scheduler.cpp", "cpp/geo", "// reviewed"},
};

static const char *const s_types[] = {
    "function_doc", "class_doc",      "file_doc",         "security_review", "performance_analysis",
    "til",          "code_evolution", "pattern_analysis", "module_doc"};

static int s_setup(void **state)
{
    (void)state;
    cw_log_set_level(CW_LOG_ERROR);
    const char *src = getenv("CW_SOURCE_DIR");
    snprintf(s_src, sizeof s_src, "%s", src ? src : "../..");
    snprintf(s_tmp, sizeof s_tmp, "/tmp/cw_facts_XXXXXX");
    if (!mkdtemp(s_tmp))
        return -1;
    return test_sh("cp -r '%s/tests/fixtures/analyzer/targets' '%s/targets'", s_src, s_tmp) == 0
               ? 0
               : -1;
}

static int s_teardown(void **state)
{
    (void)state;
    if (strncmp(s_tmp, "/tmp/cw_facts_", 14) == 0)
        test_sh("rm -rf '%s'", s_tmp);
    return 0;
}

static void s_make_repo(const s_lang_t *l, char *repo, size_t cap)
{
    snprintf(repo, cap, "%s/%s", s_tmp, l->lang);
    const char *env = "GIT_AUTHOR_DATE='@%lld +0000' GIT_COMMITTER_DATE='@%lld +0000'";
    char e1[128], e2[128], e3[128];
    snprintf(e1, sizeof e1, env, T0, T0);
    snprintf(e2, sizeof e2, env, T0 + DAY, T0 + DAY);
    snprintf(e3, sizeof e3, env, T0 + 2 * DAY, T0 + 2 * DAY);
    int rc = test_sh(
        "set -e; mkdir -p '%s' && cd '%s' && git init -q . && git config user.email a@example.com "
        "&& git config user.name 'Ada Author' && git config commit.gpgsign false && cp "
        "'%s/tests/fixtures/analyzer/kinds/%s'/* . && mv '%s' ../main.tmp && git add -A && %s "
        "git commit -q -m 'Import the %s code' && mv ../main.tmp '%s' && git add -A && %s git -c "
        "user.name='Bob Builder' commit -q -m 'Add %s' && printf '\\n%s\\n' >> '%s' && git add -A "
        "&& %s git commit -q -m 'Review %s'",
        repo, repo, s_src, l->lang, l->main, e1, l->lang, l->main, e2, l->main, l->comment, l->main,
        e3, l->main);
    assert_int_equal(rc, 0);
}

/* ------------------------------------------------------------------ checks */

/* every string of a value, one per line (what a code span may name) */
static void s_strings(const cw_value_t *v, cw_buf_t *b)
{
    switch (cw_value_kind(v)) {
    case CW_VAL_STR:
        cw_buf_puts(b, cw_value_str(v));
        cw_buf_puts(b, "\n");
        break;
    case CW_VAL_ARRAY:
        for (size_t i = 0; i < cw_value_size(v); i++)
            s_strings(cw_array_at(v, i), b);
        break;
    case CW_VAL_MAP:
        for (size_t i = 0; i < cw_value_size(v); i++)
            s_strings(cw_map_value_at(v, i), b);
        break;
    default:
        break;
    }
}

/* the text of the body's code spans outside fenced code, each checked by `fn` */
static void s_code_spans(const char *doc, const char *known, const char *what)
{
    /* words of the renderer's own sentences, set in code */
    static const char *const ours[] = {"return", "yield", "await", "goto",
                                       "unsafe", "async", "impl",  NULL};
    bool fenced = false;
    for (const char *l = doc; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (strncmp(l, "```", 3) == 0) {
            fenced = !fenced;
            continue;
        }
        if (fenced)
            continue;
        const char *e = strchr(l, '\n');
        size_t n = e ? (size_t)(e - l) : strlen(l);
        for (size_t i = 0; i < n; i++) {
            if (l[i] != '`')
                continue;
            const char *close = memchr(l + i + 1, '`', n - i - 1);
            if (!close)
                fail_msg("%s: an unclosed code span in \"%.*s\"", what, (int)n, l);
            size_t k = (size_t)(close - (l + i + 1));
            char span[512];
            snprintf(span, sizeof span, "%.*s", (int)(k < sizeof span ? k : sizeof span - 1),
                     l + i + 1);
            size_t sl = strlen(span);
            if (sl > 3 && strcmp(span + sl - 3, "...") == 0)
                span[sl - 3] = '\0'; /* cut: its beginning must be known */
            bool ok = strstr(known, span) != NULL;
            for (const char *const *o = ours; *o && !ok; o++)
                ok = strcmp(span, *o) == 0;
            if (!ok)
                fail_msg("%s: the code span `%s` names nothing the target carries", what, span);
            i += k + 1;
        }
    }
}

/* the number written right after `prefix` in doc (-1 when the prefix is not there) */
static long s_number_after(const char *doc, const char *prefix)
{
    const char *p = strstr(doc, prefix);
    return p ? strtol(p + strlen(prefix), NULL, 10) : -1;
}

/* list items ("- ") of the section `title` (up to the next heading or the note) */
static int s_items(const char *doc, const char *title, int *more)
{
    *more = 0;
    const char *s = strstr(doc, title);
    if (!s)
        return -1;
    s += strlen(title);
    const char *end = strstr(s, "\n###");
    const char *note = strstr(s, "\n\n_Written");
    if (!end || (note && note < end))
        end = note;
    int n = 0;
    for (const char *l = s; l && l < end; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (strncmp(l, "- ... and ", 10) == 0)
            *more = atoi(l + 10);
        else if (strncmp(l, "- ", 2) == 0)
            n++;
    }
    return n;
}

static size_t s_count_kind(const cw_value_t *list, const char *kind)
{
    size_t n = 0;
    for (size_t i = 0; i < cw_value_size(list); i++)
        n += strcmp(cw_map_str(cw_array_at(list, i), "kind", ""), kind) == 0;
    return n;
}

static char *s_render(const cw_value_t *tv, char **prompt)
{
    cw_gen_target_t t;
    char err[256];
    assert_int_equal(cw_gen_target_from_value(tv, &t, err, sizeof err), 0);
    char *doc = cw_offline_document(&t);
    assert_non_null(doc);
    if (prompt) {
        cw_prompts_t *p = cw_prompts_new(NULL);
        char name[600];
        cw_gen_display_name(&t, name, sizeof name);
        cw_prompt_vars_t v = {.language = t.language,
                              .source = t.source,
                              .name = name,
                              .file_path = t.file,
                              .repo = t.repo,
                              .complexity = t.complexity,
                              .line_count = t.end_line - t.start_line + 1,
                              .target = &t};
        *prompt = cw_prompts_document(p, t.doc_type, &v);
        cw_prompts_destroy(&p);
    }
    cw_gen_target_free(&t);
    return doc;
}

static void s_check(const cw_value_t *t, const char *what)
{
    char *prompt = NULL;
    char *body = s_render(t, &prompt);
    assert_non_null(prompt);
    char *page = cw_devlog_render(t, body, (time_t)T0);
    assert_non_null(page);
    if (getenv("FACTS_DUMP"))
        fprintf(stderr, "==== %s\n%s\n", what, page);
    const char *doc_type = cw_map_str(t, "doc_type", "");

    /* the header's figures */
    long start = -1, end = -1;
    const char *lines = strstr(page, "**Lines:** ");
    assert_non_null(lines);
    assert_int_equal(sscanf(lines, "**Lines:** %ld-%ld", &start, &end), 2);
    const char *cx = strstr(page, "**Complexity:** ");
    assert_non_null(cx);
    char complexity[32];
    assert_int_equal(sscanf(cx, "**Complexity:** %31s", complexity), 1);
    const char *doc = strstr(page, "### ");
    assert_non_null(doc);

    /* the line range it states is the header's */
    char want[128];
    if (start == end)
        snprintf(want, sizeof want, "(line %ld)", start);
    else
        snprintf(want, sizeof want, "(lines %ld-%ld)", start, end);
    if (strcmp(doc_type, "code_evolution") == 0)
        snprintf(want, sizeof want, "within lines %ld-%ld of the new version", start, end);
    else if (strcmp(doc_type, "file_doc") == 0 || strcmp(doc_type, "pattern_analysis") == 0)
        snprintf(want, sizeof want, "%ld lines", end - start + 1);
    if (start > 0 && !strstr(doc, want))
        fail_msg("%s: the document does not state the header's range \"%s\"", what, want);
    for (const char *p = strstr(doc, "(lines "); p; p = strstr(p + 1, "(lines ")) {
        long a, b;
        if (sscanf(p, "(lines %ld-%ld)", &a, &b) == 2 && (a != start || b != end))
            fail_msg("%s: states (lines %ld-%ld), the header %ld-%ld", what, a, b, start, end);
    }
    /* a complexity it states is the header's */
    static const char *const cx_phrases[] = {"cyclomatic complexity is ", "adds up to ", NULL};
    for (const char *const *ph = cx_phrases; *ph; ph++) {
        const char *p = strstr(doc, *ph);
        if (p && strncmp(p + strlen(*ph), complexity, strlen(complexity)) != 0)
            fail_msg("%s: states \"%.40s\", the header's complexity is %s", what, p, complexity);
    }
    /* docstring presence */
    const char *docstring = cw_map_str(t, "docstring", NULL);
    const char *purpose = strstr(doc, "### Purpose\n\n");
    if (purpose) {
        purpose += 13;
        const char *nl = strchr(purpose, '\n'), *none = strstr(purpose, " has no ");
        bool says_none = none && (!nl || none < nl);
        if (docstring && *docstring) {
            /* its first word is where Purpose starts */
            const char *w = docstring;
            while (*w && (isspace((unsigned char)*w) || *w == '*' || *w == '#'))
                w++;
            size_t k = strcspn(w, " \n\t.,:;");
            if (k > 0 && strncmp(purpose, w, k) != 0 && !(purpose[0] == '\\'))
                fail_msg("%s: Purpose starts \"%.30s\", the docstring \"%.30s\"", what, purpose, w);
            if (says_none)
                fail_msg("%s: has a docstring but Purpose says it has none", what);
            assert_null(strstr(doc, "has no docstring"));
            assert_null(strstr(doc, "has no doc comment"));
        } else if (strcmp(doc_type, "module_doc") != 0) {
            if (!says_none)
                fail_msg("%s: has no docstring but Purpose does not say so", what);
        }
    }

    /* counts against lists */
    int more = 0;
    if (strcmp(doc_type, "class_doc") == 0) {
        const cw_value_t *members = cw_map_get(t, "members");
        size_t methods = s_count_kind(members, "method");
        snprintf(want, sizeof want, ". It has %zu method%s", methods, methods == 1 ? "" : "s");
        if (!strstr(doc, want))
            fail_msg("%s: does not say \"%s\"", what, want);
        int items = s_items(doc, "### Members\n", &more);
        if (cw_value_size(members) > 0 && (size_t)(items + more) != cw_value_size(members))
            fail_msg("%s: %d members listed (+%d), the target has %zu", what, items, more,
                     cw_value_size(members));
    }
    if (strcmp(doc_type, "file_doc") == 0) {
        const cw_value_t *defs = cw_map_get(t, "definitions");
        int items = s_items(doc, "### Definitions\n", &more);
        if ((size_t)(items + more) != cw_value_size(defs))
            fail_msg("%s: %d definitions listed (+%d), the target has %zu", what, items, more,
                     cw_value_size(defs));
        /* "defines 3 functions, 2 structs and ..." adds up to them */
        const char *p = strstr(doc, "it defines ");
        long sum = 0;
        for (const char *q = p; q && *q && *q != '.' && *q != '\n'; q++)
            if (isdigit((unsigned char)*q) && !isdigit((unsigned char)q[-1])) {
                const char *after = q;
                while (isdigit((unsigned char)*after))
                    after++;
                if (strncmp(after, " imports", 8) != 0 && strncmp(after, " headers", 8) != 0 &&
                    strncmp(after, " modules", 8) != 0 && strncmp(after, " header", 7) != 0 &&
                    strncmp(after, " module", 7) != 0)
                    sum += strtol(q, NULL, 10);
            }
        if (p && sum != (long)cw_value_size(defs))
            fail_msg("%s: the kinds it counts add up to %ld, not %zu", what, sum,
                     cw_value_size(defs));
        size_t imports = cw_value_size(cw_map_get(t, "imports"));
        if (imports > 0) {
            long said = s_number_after(doc, "and it imports ");
            if (said < 0)
                said = s_number_after(doc, "and it includes ");
            assert_int_equal(said, (long)imports);
        }
    }
    if (strcmp(doc_type, "module_doc") == 0) {
        const cw_value_t *mod = cw_map_get(t, "module");
        snprintf(want, sizeof want, " with %ld file", (long)cw_map_int(mod, "file_count", 0));
        assert_non_null(strstr(doc, want));
        int items = s_items(doc, "### Files\n", &more);
        assert_int_equal(items + more, cw_map_int(mod, "file_count", 0));
    }
    if (strcmp(doc_type, "code_evolution") == 0) {
        const cw_value_t *change = cw_map_get(t, "change");
        snprintf(want, sizeof want, ": +%ld -%ld lines", (long)cw_map_int(change, "added", -1),
                 (long)cw_map_int(change, "deleted", -1));
        assert_non_null(strstr(doc, want));
        size_t hunks = cw_value_size(cw_map_get(change, "hunks"));
        snprintf(want, sizeof want, " in %zu hunk", hunks);
        assert_non_null(strstr(doc, want));
        int items = s_items(doc, "### Where\n", &more);
        assert_int_equal(items + more, (int)hunks);
        long files = cw_map_int(cw_map_get(t, "commit"), "file_count", 0);
        if (files > 1) {
            snprintf(want, sizeof want, "The commit changed %ld files in all", files);
            assert_non_null(strstr(doc, want));
        }
    }
    if (strcmp(doc_type, "pattern_analysis") == 0) {
        const cw_value_t *p = cw_array_at(cw_map_get(t, "patterns"), 0);
        snprintf(want, sizeof want, "shows signs of the %s pattern", cw_map_str(p, "name", ""));
        assert_non_null(strstr(doc, want));
    }

    /* every code span names something the target carries */
    cw_buf_t known;
    cw_buf_init(&known, 0);
    s_strings(t, &known);
    cw_buf_puts(&known, "\n");
    char name[600];
    cw_gen_target_t gt;
    char err[256];
    assert_int_equal(cw_gen_target_from_value(t, &gt, err, sizeof err), 0);
    cw_gen_display_name(&gt, name, sizeof name);
    cw_gen_target_free(&gt);
    cw_buf_puts(&known, name);
    char *k = cw_buf_take(&known, NULL);
    s_code_spans(doc, k, what);
    free(k);

    /* the context does not matter */
    cw_value_t *other = cw_value_clone(t);
    cw_map_set_str(other, "context",
                   "Nothing here is true. A class `Nope` of 1 lines with 99 "
                   "methods; it has a docstring.\nLikely singleton pattern: "
                   "`_instance`.");
    char *prompt2 = NULL;
    char *body2 = s_render(other, &prompt2);
    if (strcmp(body, body2) != 0)
        fail_msg("%s: the document changes with the context", what);
    assert_string_equal(prompt, prompt2);
    free(body2);
    free(prompt2);
    cw_map_set(other, "context", cw_value_new_nil());
    body2 = s_render(other, NULL);
    assert_string_equal(body, body2);
    free(body2);
    cw_value_destroy(&other);

    assert_non_null(strstr(doc, "_Written without an LLM (offline backend)"));
    free(page);
    free(body);
    free(prompt);
}

static cw_value_t *s_candidates(const char *doc_type, const char *dir)
{
    cw_config_t *cfg = cw_config_new_defaults();
    assert_non_null(cfg);
    char data[PATH_MAX];
    snprintf(data, sizeof data, "%s/data", s_tmp);
    free(cfg->data_dir);
    cfg->data_dir = strdup(data);
    static const char *const inc[] = {"**/*.py",  "**/*.ts", "**/*.tsx", "**/*.js",
                                      "**/*.go",  "**/*.rs", "**/*.c",   "**/*.h",
                                      "**/*.cpp", "**/*.cc", "**/*.hpp", NULL};
    test_set_list(&cfg->analyzer.include_patterns, &cfg->analyzer.include_count, inc);
    cw_analyzer_t *a = cw_analyzer_new(cfg);
    assert_non_null(a);
    cw_analyzer_set_now(a, (time_t)(T0 + 10 * DAY));
    char err[256] = "";
    cw_value_t *arr = cw_analyzer_candidates(a, doc_type, dir, 50, err, sizeof err);
    if (!arr)
        fail_msg("%s on %s: %s", doc_type, dir, err);
    cw_analyzer_destroy(&a);
    cw_config_destroy(&cfg);
    return arr;
}

static void s_check_language(const s_lang_t *l)
{
    char repo[PATH_MAX];
    s_make_repo(l, repo, sizeof repo);
    for (size_t k = 0; k < sizeof s_types / sizeof s_types[0]; k++) {
        char dir[PATH_MAX];
        if (strcmp(s_types[k], "module_doc") == 0)
            snprintf(dir, sizeof dir, "%s/targets/%s", s_tmp, l->module);
        else
            snprintf(dir, sizeof dir, "%s", repo);
        cw_value_t *arr = s_candidates(s_types[k], dir);
        size_t checked = 0;
        for (size_t i = 0; i < cw_value_size(arr); i++) {
            const cw_value_t *t = cw_array_at(arr, i);
            char verr[256];
            if (cw_proto_validate_target(t, verr, sizeof verr) != 0)
                fail_msg("%s %s: %s", l->lang, s_types[k], verr);
            if (strcmp(cw_map_str(t, "language", ""), l->lang) != 0)
                continue; /* (a module of C sources and C++ headers, ...) */
            char what[256];
            snprintf(what, sizeof what, "%s %s %s:%s", l->lang, s_types[k],
                     cw_map_str(t, "file", ""), cw_map_str(t, "name", ""));
            s_check(t, what);
            checked++;
        }
        if (checked == 0)
            fail_msg("%s: no %s target", l->lang, s_types[k]);
        cw_value_destroy(&arr);
    }
}

#define LANG_TEST(NAME, I)                                                                         \
    static void test_##NAME(void **state)                                                          \
    {                                                                                              \
        (void)state;                                                                               \
        s_check_language(&s_langs[I]);                                                             \
    }
LANG_TEST(python, 0)
LANG_TEST(javascript, 1)
LANG_TEST(typescript, 2)
LANG_TEST(tsx, 3)
LANG_TEST(go, 4)
LANG_TEST(rust, 5)
LANG_TEST(c, 6)
LANG_TEST(cpp, 7)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_python),     cmocka_unit_test(test_javascript),
        cmocka_unit_test(test_typescript), cmocka_unit_test(test_tsx),
        cmocka_unit_test(test_go),         cmocka_unit_test(test_rust),
        cmocka_unit_test(test_c),          cmocka_unit_test(test_cpp),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
