/*  Extraction in the eight languages: functions (name, class, lines, parameters, and the
    metrics as lizard 1.24 counts them), classes and import counts, on the fixture files in
    tests/fixtures/analyzer/langs/<lang>/. The expected figures are hand-counted by lizard's
    rules (ANALYSIS.md): CCN = 1 + condition tokens of the function itself (nested functions
    are their own; C++ lambdas and Rust closures are part of their function), NLOC = lines
    with code (C/C++ from the name's line, preprocessor lines excluded). Plus robustness:
    broken, deep, huge and non-UTF-8 input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cw_extract.h"
#include "cw_log.h"

typedef struct {
    const char *name;
    const char *cls; /* NULL: not a method */
    int start, end;
    int params, ccn, nloc, nesting;
    bool is_async;
} exp_fn_t;

typedef struct {
    const char *name;
    const char *kind;
    int start, end;
    int methods;
    bool has_doc;
    int decorators;
} exp_class_t;

typedef struct {
    char *src;
    size_t len;
    const cw_lang_t *lang;
    TSParser *parser;
    TSTree *tree;
    cw_function_list_t fns;
    cw_class_list_t classes;
} parsed_t;

static char *s_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return s;
}

static void s_parse_src(parsed_t *p, const char *lang_name, char *src, size_t len, bool fixture)
{
    memset(p, 0, sizeof *p);
    p->src = src;
    p->len = len;
    p->lang = cw_lang_by_name(lang_name);
    assert_non_null(p->lang);
    p->parser = ts_parser_new();
    if (fixture) {
        p->tree = cw_extract_parse(p->parser, p->lang, p->src, p->len);
    } else {
        /* no parse timeout here: these inputs are slow under valgrind, and what they
           test is extraction */
        assert_true(ts_parser_set_language(p->parser, p->lang->grammar()));
        p->tree = ts_parser_parse_string(p->parser, NULL, p->src, (uint32_t)p->len);
    }
    assert_non_null(p->tree);
    assert_int_equal(cw_extract_functions(p->lang, p->tree, p->src, p->len, &p->fns), 0);
    assert_int_equal(cw_extract_classes(p->lang, p->tree, p->src, p->len, &p->classes), 0);
}

static void s_parse(parsed_t *p, const char *rel)
{
    char path[1024];
    const char *root = getenv("CW_SOURCE_DIR");
    snprintf(path, sizeof path, "%s/tests/fixtures/analyzer/langs/%s", root ? root : "../..", rel);
    size_t len;
    char *src = s_read(path, &len);
    const cw_lang_t *lang = cw_lang_for_path(path);
    assert_non_null(lang);
    s_parse_src(p, lang->name, src, len, true);
}

static void s_done(parsed_t *p)
{
    cw_function_list_free(&p->fns);
    cw_class_list_free(&p->classes);
    ts_tree_delete(p->tree);
    ts_parser_delete(p->parser);
    free(p->src);
}

static void s_check_fns(const parsed_t *p, const exp_fn_t *exp, size_t n)
{
    if (p->fns.count != n) {
        for (size_t i = 0; i < p->fns.count; i++)
            fprintf(stderr, "got %s\n", p->fns.items[i].name);
    }
    assert_int_equal(p->fns.count, n);
    for (size_t i = 0; i < n; i++) {
        const cw_function_t *f = &p->fns.items[i];
        const exp_fn_t *e = &exp[i];
        fprintf(stderr, "  %s.%s\n", e->cls ? e->cls : "", e->name);
        assert_string_equal(f->name, e->name);
        if (e->cls)
            assert_string_equal(f->class_name ? f->class_name : "(none)", e->cls);
        else
            assert_null(f->class_name);
        assert_int_equal(f->start_line, e->start);
        assert_int_equal(f->end_line, e->end);
        assert_int_equal(f->metrics.params, e->params);
        assert_int_equal(f->parameters.count, (size_t)e->params);
        assert_int_equal(f->metrics.ccn, e->ccn);
        assert_int_equal(f->metrics.nloc, e->nloc);
        assert_int_equal(f->metrics.nesting, e->nesting);
        assert_int_equal(f->is_async, e->is_async);
        assert_true(f->metrics.tokens > 0);
        assert_non_null(f->signature);
    }
}

static void s_check_classes(const parsed_t *p, const exp_class_t *exp, size_t n)
{
    assert_int_equal(p->classes.count, n);
    for (size_t i = 0; i < n; i++) {
        const cw_class_t *c = &p->classes.items[i];
        const exp_class_t *e = &exp[i];
        assert_string_equal(c->name, e->name);
        assert_string_equal(c->kind, e->kind);
        assert_int_equal(c->start_line, e->start);
        assert_int_equal(c->end_line, e->end);
        assert_int_equal(c->method_count, e->methods);
        assert_int_equal(c->docstring != NULL, e->has_doc);
        assert_int_equal(c->decorators.count, (size_t)e->decorators);
    }
}

static const cw_function_t *s_fn(const parsed_t *p, const char *name)
{
    for (size_t i = 0; i < p->fns.count; i++)
        if (strcmp(p->fns.items[i].name, name) == 0)
            return &p->fns.items[i];
    fail_msg("no function %s", name);
    return NULL;
}

static int s_imports(const parsed_t *p)
{
    return cw_extract_import_count(p->lang, p->tree, p->src, p->len);
}

/* ------------------------------------------------------------------ languages */

static void test_python(void **state)
{
    (void)state;
    parsed_t p;
    s_parse(&p, "python/accounts.py");
    const exp_fn_t fns[] = {
        {"deposit", "Account", 12, 15, 2, 2, 4, 1, false},
        {"rich", "Account", 17, 19, 1, 2, 2, 0, false}, /* `and`; decorator line not code */
        {"squares", NULL, 25, 26, 3, 4, 2, 0, false},   /* comprehension for+if, ternary */
    };
    s_check_fns(&p, fns, 3);
    assert_string_equal(s_fn(&p, "rich")->decorators.items[0], "@property");
    const exp_class_t cls[] = {
        {"Account", "class", 6, 22, 2, true, 1},
        {"Meta", "class", 21, 22, 0, false, 0},
    };
    s_check_classes(&p, cls, 2);
    assert_string_equal(p.classes.items[0].docstring, "A bank account.");
    assert_int_equal(s_imports(&p), 3);
    s_done(&p);
}

static void test_javascript(void **state)
{
    (void)state;
    parsed_t p;
    s_parse(&p, "javascript/cart.js");
    const exp_fn_t fns[] = {
        {"total", NULL, 9, 17, 2, 5, 9, 2, false},     /* for if && ?: */
        {"fetchAll", NULL, 19, 29, 1, 3, 11, 2, true}, /* arrow in a const; for catch */
        {"constructor", "Cart", 32, 35, 1, 1, 4, 0, false},
        {"add", "Cart", 37, 48, 2, 3, 12, 1,
         false}, /* 2 cases, default not; inner arrow's ?: is its own */
        {"ids", "Cart", 50, 52, 0, 2, 3, 1, false},    /* generator method */
        {"describe", NULL, 55, 57, 1, 2, 3, 0, false}, /* `exports.describe = function` */
        {"hidden", NULL, 60, 62, 3, 2, 3, 0, false},   /* inside an anonymous IIFE */
    };
    s_check_fns(&p, fns, 7);
    const cw_function_t *t = s_fn(&p, "total");
    assert_string_equal(t->docstring, "Sum the prices of the items in a cart.");
    assert_string_equal(t->signature, "function total(items, discount = 0)");
    assert_string_equal(t->parameters.items[1], "discount");
    assert_null(s_fn(&p, "fetchAll")->docstring);
    const exp_class_t cls[] = {{"Cart", "class", 31, 53, 3, false, 0}};
    s_check_classes(&p, cls, 1);
    assert_int_equal(s_imports(&p), 3); /* one import, two require() */
    s_done(&p);
}

static void test_typescript(void **state)
{
    (void)state;
    parsed_t p;
    s_parse(&p, "typescript/users.ts");
    const exp_fn_t fns[] = {
        {"constructor", "UserService", 20, 20, 1, 1, 1, 0, false},
        /* if && if; the `?` of `force?` is no condition (lizard reads `force?` as one
           token); the decorator line starts the function but is not its code */
        {"find", "UserService", 22, 32, 2, 4, 10, 1, true},
        {"save", "UserService", 34, 36, 1, 1, 3, 0, false},
        {"score", "UserService", 38, 38, 1, 2, 1, 0, false}, /* arrow in a class field */
        /* the forEach arrow is its own, and so is `});` (lizard: a line is the function's
           of its first token) */
        {"pick", NULL, 41, 47, 2, 1, 5, 0, false},
    };
    s_check_fns(&p, fns, 5);
    const cw_function_t *f = s_fn(&p, "find");
    assert_int_equal(f->decorators.count, 1);
    assert_string_equal(f->decorators.items[0], "@logged");
    assert_string_equal(s_fn(&p, "pick")->parameters.items[1], "...keys");
    const exp_class_t cls[] = {
        {"Repo", "interface", 4, 8, 2, false, 0}, /* `Plain` has no methods: not listed */
        {"UserService", "class", 15, 39, 4, true, 1},
    };
    s_check_classes(&p, cls, 2);
    assert_string_equal(p.classes.items[1].docstring, "Caches users in memory.");
    assert_string_equal(p.classes.items[1].decorators.items[0], "@Injectable()");
    assert_int_equal(s_imports(&p), 2);
    s_done(&p);
}

static void test_tsx(void **state)
{
    (void)state;
    parsed_t p;
    s_parse(&p, "tsx/list.tsx");
    const exp_fn_t fns[] = {
        /* JSX `&&` counts; the arrows inside are their own functions, and the lines
           that start with their code (`))}` too) are theirs */
        {"List", NULL, 6, 19, 1, 2, 10, 0, false},
        {"Badge", NULL, 21, 21, 1, 2, 1, 0, false},
        {"render", "Panel", 24, 26, 0, 2, 3, 0, false},
    };
    s_check_fns(&p, fns, 3);
    assert_string_equal(s_fn(&p, "List")->docstring, "A filterable list.");
    const exp_class_t cls[] = {{"Panel", "class", 23, 27, 1, false, 0}};
    s_check_classes(&p, cls, 1);
    assert_int_equal(s_imports(&p), 1);
    s_done(&p);
}

static void test_go(void **state)
{
    (void)state;
    parsed_t p;
    s_parse(&p, "go/store.go");
    const exp_fn_t fns[] = {
        {"Get", "Store", 20, 31, 1, 4, 12, 1, false}, /* pointer receiver stripped */
        {"Len", "Store", 33, 33, 0, 1, 1, 0, false},
        /* for, if, else-if (no deeper nesting); the func literal is its own function */
        {"Merge", NULL, 35, 53, 3, 4, 13, 2, false},
        {"Wait", NULL, 55, 64, 2, 3, 10, 1, false}, /* select cases, default not */
    };
    s_check_fns(&p, fns, 4);
    assert_string_equal(s_fn(&p, "Get")->docstring,
                        "Get returns the item for key.\nIt fails when the key is empty.");
    assert_string_equal(s_fn(&p, "Merge")->parameters.items[1], "b");
    const exp_class_t cls[] = {{"Store", "struct", 11, 14, 2, true, 0}};
    s_check_classes(&p, cls, 1);
    assert_int_equal(s_imports(&p), 3);
    s_done(&p);
}

static void test_rust(void **state)
{
    (void)state;
    parsed_t p;
    s_parse(&p, "rust/shapes.rs");
    const exp_fn_t fns[] = {
        {"describe", "Shape", 7, 9, 1, 1, 3, 0, false}, /* trait default method */
        {"area", "Circle", 18, 20, 1, 1, 3, 0, false},  /* impl Shape for Circle */
        {"parse", "Circle", 25, 33, 1, 5, 8, 1, false}, /* ? ? if || ; attribute line first */
        {"total", "Circle", 35, 47, 2, 5, 13, 2, true}, /* where for match (once) guard-if */
        {"histogram", NULL, 50, 58, 1, 4, 9, 1, false}, /* closures are part of it */
    };
    s_check_fns(&p, fns, 5);
    const cw_function_t *f = s_fn(&p, "parse");
    assert_string_equal(f->docstring, "Parses \"r=<number>\".");
    assert_int_equal(f->decorators.count, 1);
    assert_string_equal(f->decorators.items[0], "#[inline]");
    assert_string_equal(s_fn(&p, "describe")->parameters.items[0], "self");
    const exp_class_t cls[] = {
        {"Shape", "trait", 5, 10, 2, true, 0},
        {"Circle", "impl", 17, 21, 1, false, 0},
        {"Circle", "impl", 23, 48, 2, false, 0},
    };
    s_check_classes(&p, cls, 3);
    assert_int_equal(s_imports(&p), 2);
    s_done(&p);
}

static void test_c(void **state)
{
    (void)state;
    parsed_t p;
    s_parse(&p, "c/buf.c");
    const exp_fn_t fns[] = {
        /* counted from the name's line (20), as lizard does */
        {"buf_reserve", NULL, 19, 35, 2, 7, 16, 1, false},
        {"buf_append", NULL, 38, 45, 3, 2, 8, 1, false},
        /* case case #ifdef case; the two directive lines are not code */
        {"kind_name", NULL, 47, 60, 1, 5, 12, 1, false},
        {"point_dist", NULL, 62, 66, 2, 2, 5, 0, false},
        {"buf_free", NULL, 68, 75, 0, 4, 8, 2, false}, /* (void): no parameter */
        {"log_all", NULL, 77, 77, 2, 1, 1, 0, false},  /* `...` counts */
    };
    s_check_fns(&p, fns, 6);
    assert_string_equal(s_fn(&p, "buf_reserve")->docstring, "Make room for n more bytes.");
    assert_string_equal(s_fn(&p, "buf_append")->docstring, "Append bytes.");
    assert_null(s_fn(&p, "kind_name")->docstring);
    const exp_class_t cls[] = {
        {"buf_s", "struct", 8, 12, 2, true, 0}, /* buf_t * and struct buf_s * receivers */
        {"point", "struct", 14, 16, 1, false, 0},
    };
    s_check_classes(&p, cls, 2);
    assert_int_equal(s_imports(&p), 3);
    s_done(&p);
}

/* A separator comment ("----- section" between comment markers) above a definition is not
   its doc; next to a real doc comment it is dropped from it. */
static void test_divider_comments(void **state)
{
    (void)state;
    static const char text[] =
        "/* ---------------------------------------------------------- substitution */\n"
        "typedef struct {\n    char *d;\n    size_t len;\n} sbuf_t;\n\n"
        "/* ====================================================================== */\n"
        "/* Grow the buffer by n bytes. */\n"
        "static int grow(sbuf_t *b, size_t n)\n{\n    return b && n ? 0 : -1;\n}\n\n"
        "// ---- helpers\n"
        "static int helper(int x)\n{\n    return x;\n}\n";
    char *src = strdup(text);
    parsed_t p;
    s_parse_src(&p, "c", src, strlen(src), true);
    assert_int_equal(p.classes.count, 1);
    assert_null(p.classes.items[0].docstring);
    assert_string_equal(s_fn(&p, "grow")->docstring, "Grow the buffer by n bytes.");
    assert_null(s_fn(&p, "helper")->docstring);
    s_done(&p);
}

static void test_cpp(void **state)
{
    (void)state;
    parsed_t p;
    s_parse(&p, "cpp/graph.cpp");
    const exp_fn_t fns[] = {
        {"Graph", "Graph", 11, 11, 1, 1, 1, 0, false}, /* `= delete` is not a function */
        {"has", "Graph", 14, 19, 2, 3, 6, 2, false},
        {"operator<", "Edge", 28, 28, 1, 3, 1, 0, false},
        {"add", "Graph", 31, 37, 3, 3, 6, 1, false},            /* out-of-line Graph<W>::add */
        {"count_if_positive", NULL, 39, 41, 1, 2, 3, 0, false}, /* the lambda's ?: counts */
        {"safe_read", NULL, 43, 54, 1, 4, 12, 2, false}, /* if catch catch; "?" is a string */
    };
    s_check_fns(&p, fns, 6);
    const exp_class_t cls[] = {
        {"Graph", "class", 8, 24, 5, true, 0},
        {"Edge", "struct", 26, 29, 1, false, 0},
    };
    s_check_classes(&p, cls, 2);
    assert_int_equal(s_imports(&p), 3);
    s_done(&p);
}

/* ------------------------------------------------------------------ robustness */

static void s_each_lang(char *src, size_t len)
{
    static const char *const langs[] = {"python", "javascript", "typescript", "tsx",
                                        "go",     "rust",       "c",          "cpp"};
    for (size_t i = 0; i < 8; i++) {
        char *copy = malloc(len + 1);
        assert_non_null(copy);
        memcpy(copy, src, len);
        copy[len] = '\0';
        parsed_t p;
        s_parse_src(&p, langs[i], copy, len, false);
        (void)cw_extract_import_count(p.lang, p.tree, p.src, p.len);
        for (size_t k = 0; k < p.fns.count; k++) {
            assert_true(p.fns.items[k].metrics.ccn >= 1);
            assert_true(p.fns.items[k].end_line >= p.fns.items[k].start_line);
        }
        s_done(&p);
    }
}

static void test_broken_and_binary(void **state)
{
    (void)state;
    const char broken[] = "def f(:\n  if x &&& {\n} fn g( -> { match } \xff\xfe\xc3(\n"
                          "int h(void { for (;;\nfunction k() { return a ? : ; \n\x80\x80";
    s_each_lang((char *)broken, sizeof broken - 1);
    const char empty[] = "";
    s_each_lang((char *)empty, 0);
}

static void test_deep_nesting(void **state)
{
    (void)state;
    /* 3000 nested blocks/parentheses inside one function, for every language */
    size_t depth = 3000;
    size_t cap = depth * 8 + 256;
    char *src = malloc(cap);
    assert_non_null(src);
    size_t n = (size_t)snprintf(src, cap, "int f(int a) { return ");
    for (size_t i = 0; i < depth; i++)
        src[n++] = '(';
    src[n++] = 'a';
    for (size_t i = 0; i < depth; i++) {
        memcpy(src + n, "&&a)", 4);
        n += 4;
    }
    n += (size_t)snprintf(src + n, cap - n, "; }\n");
    s_each_lang(src, n);
    /* the C function is found, its metrics bounded (deeper syntax not descended) */
    char *copy = malloc(n + 1);
    assert_non_null(copy);
    memcpy(copy, src, n);
    parsed_t p;
    s_parse_src(&p, "c", copy, n, false);
    assert_int_equal(p.fns.count, 1);
    assert_string_equal(p.fns.items[0].name, "f");
    assert_true(p.fns.items[0].metrics.ccn >= 2);
    s_done(&p);
    free(src);
}

static void test_huge_file(void **state)
{
    (void)state;
    /* ~1 MiB of small JavaScript functions */
    size_t cap = 1024 * 1024;
    char *src = malloc(cap);
    assert_non_null(src);
    size_t n = 0;
    int count = 0;
    while (n + 128 < cap) {
        n += (size_t)snprintf(src + n, cap - n,
                              "function f%d(a, b) {\n  if (a && b) { return a; }\n  return b;\n}\n",
                              count);
        count++;
    }
    parsed_t p;
    s_parse_src(&p, "javascript", src, n, false);
    assert_int_equal(p.fns.count, (size_t)count);
    assert_int_equal(p.fns.items[count - 1].metrics.ccn, 3);
    assert_int_equal(p.fns.items[count - 1].metrics.nloc, 4);
    assert_int_equal(p.fns.items[count - 1].start_line, 4 * (count - 1) + 1);
    s_done(&p);
}

static void test_api_edges(void **state)
{
    (void)state;
    cw_function_list_t fl = {0};
    cw_class_list_t cl = {0};
    assert_int_equal(cw_extract_functions(NULL, NULL, NULL, 0, &fl), -1);
    assert_int_equal(cw_extract_classes(NULL, NULL, NULL, 0, &cl), -1);
    assert_int_equal(cw_extract_import_count(NULL, NULL, NULL, 0), 0);
    cw_class_list_free(&cl);
    cw_class_list_free(NULL);
    cw_function_list_free(&fl);
    /* every language has a grammar, extensions and a flags table */
    for (int i = 0; i < CW_LANG_COUNT; i++) {
        const cw_lang_t *l = cw_lang_get((cw_lang_id_t)i);
        assert_non_null(l);
        assert_non_null(l->function_types);
        uint32_t count = 0;
        assert_non_null(cw_lang_symbol_flags(l, &count));
        assert_true(count > 10);
    }
    assert_ptr_equal(cw_lang_for_path("a/b.hh"), cw_lang_get(CW_LANG_CPP));
    assert_ptr_equal(cw_lang_for_path("x.jsx"), cw_lang_get(CW_LANG_JAVASCRIPT));
    /* comment text cleaning */
    const char *doc = "/**\n * Line one.\n *\n * Line two.\n */";
    char *t = cw_x_comment_text(doc, 0, strlen(doc));
    assert_string_equal(t, "Line one.\n\nLine two.");
    free(t);
}

int main(void)
{
    cw_log_set_level(CW_LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_python),
        cmocka_unit_test(test_javascript),
        cmocka_unit_test(test_typescript),
        cmocka_unit_test(test_tsx),
        cmocka_unit_test(test_go),
        cmocka_unit_test(test_rust),
        cmocka_unit_test(test_c),
        cmocka_unit_test(test_cpp),
        cmocka_unit_test(test_broken_and_binary),
        cmocka_unit_test(test_divider_comments),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_huge_file),
        cmocka_unit_test(test_api_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
