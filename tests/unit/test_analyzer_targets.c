/*  Analyzer target kinds on real fixtures (tests/fixtures/analyzer/targets): class_doc
    (Python classes; Go and C structs with their methods, which follow the struct in the
    source; JS/TS function-valued fields as methods), file_doc, module_doc (python, go,
    rust, c, cpp, typescript, tsx, javascript), pattern_analysis, code_evolution on a
    temporary git repository, and the three function perspectives. Every target must
    validate as a proto `target`, with code_hash = sha256(source). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cw_test_analyzer.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cw_analyzer.h"
#include "cw_json.h"
#include "cw_extract.h"
#include "cw_index.h"
#include "cw_log.h"
#include "cw_proto.h"
#include "cw_scan.h"
#include "cw_score.h"
#include "cw_sha256.h"

#define T0 1700000000LL
#define DAY 86400LL

static char s_fixture[1024]; /* tests/fixtures/analyzer/targets */
static char s_tmp[512];

static int s_setup(void **state)
{
    (void)state;
    cw_log_set_level(CW_LOG_ERROR);
    const char *src = getenv("CW_SOURCE_DIR");
    snprintf(s_fixture, sizeof s_fixture, "%s/tests/fixtures/analyzer/targets",
             src ? src : "../..");
    snprintf(s_tmp, sizeof s_tmp, "/tmp/cw_targets_XXXXXX");
    if (!mkdtemp(s_tmp))
        return -1;
    /* a plain copy (no git history around it) */
    return test_sh("cp -r '%s' '%s/fx'", s_fixture, s_tmp) == 0 ? 0 : -1;
}

static int s_teardown(void **state)
{
    (void)state;
    if (strncmp(s_tmp, "/tmp/cw_targets_", 16) == 0)
        test_sh("rm -rf '%s'", s_tmp);
    return 0;
}

static cw_config_t *s_config(void)
{
    cw_config_t *cfg = cw_config_new_defaults();
    assert_non_null(cfg);
    char data[PATH_MAX];
    snprintf(data, sizeof data, "%s/data", s_tmp);
    free(cfg->data_dir);
    cfg->data_dir = strdup(data);
    /* the reference's patterns plus C and C++ */
    static const char *const inc[] = {"**/*.py",  "**/*.ts",  "**/*.tsx", "**/*.js",
                                      "**/*.go",  "**/*.rs",  "**/*.c",   "**/*.h",
                                      "**/*.cpp", "**/*.hpp", NULL};
    test_set_list(&cfg->analyzer.include_patterns, &cfg->analyzer.include_count, inc);
    return cfg;
}

/* candidates of one kind for a directory; every target validated */
static cw_value_t *s_run(const char *doc_type, const char *dir, size_t limit)
{
    cw_config_t *cfg = s_config();
    cw_analyzer_t *a = cw_analyzer_new(cfg);
    assert_non_null(a);
    cw_analyzer_set_now(a, (time_t)(T0 + 10 * DAY));
    char err[256] = "";
    cw_value_t *arr = cw_analyzer_candidates(a, doc_type, dir, limit, err, sizeof err);
    assert_non_null(arr);
    double prev = 1e9;
    for (size_t i = 0; i < cw_value_size(arr); i++) {
        const cw_value_t *t = cw_array_at(arr, i);
        char verr[256] = "";
        if (cw_proto_validate_target(t, verr, sizeof verr) != 0)
            fail_msg("target %zu does not validate: %s", i, verr);
        assert_string_equal(cw_map_str(t, "doc_type", ""), doc_type);
        const char *source = cw_map_str(t, "source", NULL);
        assert_non_null(source);
        char hex[65];
        cw_sha256_hex(source, strlen(source), hex);
        assert_string_equal(cw_map_str(t, "code_hash", ""), hex);
        double score = cw_map_float(t, "score", -1);
        assert_true(score >= 0 && score <= 100);
        assert_true(score <= prev); /* best first */
        prev = score;
    }
    cw_analyzer_destroy(&a);
    cw_config_destroy(&cfg);
    return arr;
}

/* ------------------------------------------------------------------ class_doc */

static void test_class_doc_python(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/fx/python", s_tmp);
    cw_value_t *arr = s_run("class_doc", dir, 50);
    const cw_value_t *shape = test_find_target(arr, "shapes/base.py", "Shape");
    assert_non_null(shape);
    assert_null(cw_map_get(shape, "class")); /* display name = the class name */
    assert_string_equal(cw_map_str(shape, "language", ""), "python");
    int lines = (int)(cw_map_int(shape, "end_line", 0) - cw_map_int(shape, "start_line", 0) + 1);
    assert_int_equal(cw_map_int(shape, "start_line", 0), 6);
    assert_true(lines >= 30);
    /* 7 methods (>= 6: full marks), a docstring, no decorators */
    double expect = 35 + fmin(lines / 100.0, 1) * 25 + 10 + 0 + 15;
    assert_true(fabs(cw_map_float(shape, "score", 0) - expect) < 1e-9);
    assert_true(fabs(cw_score_class(7, lines, true, 0) - expect) < 1e-9);
    const char *src = cw_map_str(shape, "source", "");
    assert_true(strncmp(src, "class Shape(ABC):", 17) == 0);
    assert_non_null(strstr(src, "def _scale(self, factor):"));
    assert_null(strstr(src, "class Circle")); /* the class text only */
    /* the facts: the docstring, 7 methods among its members */
    assert_non_null(cw_map_get(shape, "docstring"));
    assert_string_equal(cw_map_str(shape, "kind", ""), "class");
    const cw_value_t *members = cw_map_get(shape, "members");
    int methods = 0;
    for (size_t i = 0; i < cw_value_size(members); i++)
        methods += strcmp(cw_map_str(cw_array_at(members, i), "kind", ""), "method") == 0;
    assert_int_equal(methods, 7);
    /* complexity: the methods' cyclomatic complexity summed */
    assert_true(cw_map_float(shape, "complexity", 0) >= 7);
    /* ShapeRegistry qualifies too; Circle and Rectangle are under 15 lines */
    assert_non_null(test_find_target(arr, "shapes/registry.py", "ShapeRegistry"));
    assert_null(test_find_target(arr, "shapes/base.py", "Circle"));
    assert_null(test_find_target(arr, "shapes/base.py", "Rectangle"));
    cw_value_destroy(&arr);
}

/* The text of lines [a, b] of a file (1-based, without the last newline). */
static char *s_line_text(const char *text, size_t len, int a, int b)
{
    size_t i = 0;
    for (int l = 1; l < a && i < len; i++)
        l += text[i] == '\n';
    size_t e = i;
    for (int l = a; e < len && !(text[e] == '\n' && l == b); e++)
        l += text[e] == '\n';
    return strndup(text + i, e - i);
}

/* A struct with methods: the struct's text, then each method's (line ranges, file order)
   after a blank line. */
static void s_check_struct(const cw_value_t *t, const char *dir, const char *file,
                           const int ranges[][2], size_t n, int methods, double wmc,
                           const char *const *names)
{
    assert_non_null(t);
    size_t len;
    char *text = test_read(dir, file, &len);
    char expect[8192] = "";
    int lines = 0;
    for (size_t i = 0; i < n; i++) {
        char *part = s_line_text(text, len, ranges[i][0], ranges[i][1]);
        snprintf(expect + strlen(expect), sizeof expect - strlen(expect), "%s%s", i ? "\n\n" : "",
                 part);
        free(part);
        lines += ranges[i][1] - ranges[i][0] + 1;
    }
    free(text);
    assert_string_equal(cw_map_str(t, "source", ""), expect);
    /* start and end: the struct's own */
    assert_int_equal(cw_map_int(t, "start_line", 0), ranges[0][0]);
    assert_int_equal(cw_map_int(t, "end_line", 0), ranges[0][1]);
    /* size (struct and methods), methods, complexity summed */
    assert_true(fabs(cw_map_float(t, "score", 0) - cw_score_class(methods, lines, true, 0)) < 1e-9);
    assert_true(fabs(cw_map_float(t, "complexity", 0) - wmc) < 1e-9);
    /* the facts: a struct with a docstring; its methods are members, after its fields, in
       file order, each at its own line */
    assert_string_equal(cw_map_str(t, "kind", ""), "struct");
    assert_non_null(cw_map_get(t, "docstring"));
    const cw_value_t *members = cw_map_get(t, "members");
    int k = 0;
    for (size_t i = 0; i < cw_value_size(members); i++) {
        const cw_value_t *m = cw_array_at(members, i);
        if (strcmp(cw_map_str(m, "kind", ""), "method") != 0)
            continue;
        assert_true(k < methods);
        assert_string_equal(cw_map_str(m, "name", ""), names[k]);
        assert_int_equal(cw_map_int(m, "line", 0), ranges[k + 1][0]);
        k++;
    }
    assert_int_equal(k, methods);
    assert_false(cw_map_bool(t, "source_cut", true));
}

static void test_class_doc_struct_methods(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/fx/structs", s_tmp);
    cw_value_t *arr = s_run("class_doc", dir, 50);
    assert_int_equal(cw_value_size(arr), 2);
    /* Go: Queue's receiver methods, Len written before the struct; Drain takes a *Queue
       but is no method. 5 + 5 + 12 + 10 lines; ccn 1 + 4 + 2 */
    static const int queue[][2] = {{19, 23}, {12, 16}, {26, 37}, {52, 61}};
    static const char *const qnames[] = {"Len", "Push", "Pop"};
    s_check_struct(test_find_target(arr, "queue.go", "Queue"), dir, "queue.go", queue, 4, 3, 7,
                   qnames);
    /* C: functions whose first parameter points to the struct, by tag (push) or typedef
       name (pop, positive); not intstack_new nor count_positive (an int *). 5 + 7 + 7 + 4
       lines; ccn 2 + 2 + 1 */
    static const int stack[][2] = {{6, 10}, {24, 30}, {40, 46}, {48, 51}};
    static const char *const snames[] = {"intstack_push", "intstack_pop", "intstack_positive"};
    s_check_struct(test_find_target(arr, "intstack.c", "intstack"), dir, "intstack.c", stack, 4, 3,
                   5, snames);
    /* the same from the index kept in the database (a new analyzer reads it back) */
    cw_value_t *again = s_run("class_doc", dir, 50);
    assert_int_equal(cw_value_size(again), 2);
    for (size_t i = 0; i < 2; i++) {
        const cw_value_t *a = cw_array_at(arr, i), *b = cw_array_at(again, i);
        assert_string_equal(cw_map_str(a, "source", ""), cw_map_str(b, "source", "x"));
        char *ma = cw_json_encode(cw_map_get(a, "members"));
        char *mb = cw_json_encode(cw_map_get(b, "members"));
        assert_string_equal(ma, mb);
        free(ma);
        free(mb);
        assert_true(cw_map_float(a, "score", 0) == cw_map_float(b, "score", 1));
    }
    cw_value_destroy(&again);
    cw_value_destroy(&arr);
}

/* The index keeps each class's outside methods, in memory and through its database. */
static void test_class_methods_indexed(void **state)
{
    (void)state;
    char dir[PATH_MAX], db[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/fx/structs", s_tmp);
    snprintf(db, sizeof db, "%s/structs-index.db", s_tmp);
    for (int round = 0; round < 2; round++) {
        cw_index_t *index = cw_index_new(db, 1);
        assert_non_null(index);
        assert_true(cw_index_persistent(index));
        cw_scan_list_t scan = {0};
        assert_int_equal(cw_scan_repo(dir, NULL, NULL, &scan), 0);
        cw_index_view_t view = {0};
        assert_int_equal(cw_index_refresh(index, dir, &scan, &view), 0);
        /* the second round reads everything back from the database */
        assert_int_equal(cw_index_files_parsed(index), round == 0 ? 2 : 0);
        assert_int_equal(view.count, 2);
        for (size_t i = 0; i < view.count; i++) {
            const cw_index_file_t *f = view.files[i];
            assert_int_equal(f->class_count, 1);
            const cw_index_class_t *c = &f->classes[0];
            static const char *const go[] = {"Len", "Push", "Pop"};
            static const char *const cc[] = {"intstack_push", "intstack_pop", "intstack_positive"};
            const char *const *want = strcmp(f->rel, "queue.go") == 0 ? go : cc;
            assert_int_equal(c->outside_count, 3);
            assert_int_equal(c->method_count, 3);
            for (size_t k = 0; k < 3; k++) {
                assert_true(c->outside[k] < f->fn_count);
                assert_string_equal(f->fns[c->outside[k]].name, want[k]);
            }
        }
        free(view.files);
        cw_scan_list_free(&scan);
        cw_index_destroy(&index);
    }
}

/* A struct whose methods make more than the source limit: cut, with a note. */
static void test_class_doc_struct_cut(void **state)
{
    (void)state;
    char dir[PATH_MAX], path[PATH_MAX + 16];
    snprintf(dir, sizeof dir, "%s/big", s_tmp);
    assert_int_equal(test_sh("mkdir -p '%s'", dir), 0);
    snprintf(path, sizeof path, "%s/big.go", dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fprintf(fp, "package big\n\n// Big has many methods.\ntype Big struct {\n\tn int\n}\n");
    for (int i = 0; i < 40; i++) {
        fprintf(fp, "\n// Step%d moves n along.\nfunc (b *Big) Step%d(k int) int {\n", i, i);
        for (int j = 0; j < 20; j++)
            fprintf(fp, "\tif k > %d {\n\t\tb.n += k * %d // a line to make the method long\n\t}\n",
                    j, j);
        fprintf(fp, "\treturn b.n\n}\n");
    }
    fclose(fp);
    cw_value_t *arr = s_run("class_doc", dir, 10);
    assert_int_equal(cw_value_size(arr), 1);
    const cw_value_t *t = cw_array_at(arr, 0);
    const char *src = cw_map_str(t, "source", "");
    assert_int_equal(strlen(src), 16384);
    assert_true(
        strncmp(src, "type Big struct {\n\tn int\n}\n\nfunc (b *Big) Step0(k int) int {", 60) == 0);
    /* 3 + 40 * 63 lines, 40 methods of ccn 21 */
    assert_true(fabs(cw_map_float(t, "complexity", 0) - 40 * 21) < 1e-9);
    /* the facts: 40 methods and its field, and the note that the source is cut */
    assert_true(cw_map_bool(t, "source_cut", false));
    assert_int_equal(cw_value_size(cw_map_get(t, "members")), 41);
    assert_int_equal(cw_map_int(t, "start_line", 0), 4);
    assert_int_equal(cw_map_int(t, "end_line", 0), 6);
    cw_value_destroy(&arr);
}

/* JS/TS class fields holding functions count as methods. */
static void test_class_function_fields(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        const char *src;
        int methods;
    } cases[] = {
        {"x.js",
         "class Form {\n  count = 0;\n  submit() {}\n  handle = () => { this.count++; };\n"
         "  reset = function () { this.count = 0; };\n  static make = (n) => new Form(n);\n}\n",
         4},
        {"x.ts",
         "export class Panel {\n  private title: string = '';\n  open(): void {}\n"
         "  private onClick = (e: Event): void => { e.preventDefault(); };\n"
         "  readonly size = 3;\n}\n",
         2},
        {"x.tsx",
         "class Menu extends React.Component {\n  state = { open: false };\n"
         "  toggle = () => this.setState({ open: !this.state.open });\n"
         "  render() { return <ul onClick={this.toggle} />; }\n}\n",
         2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const cw_lang_t *lang = cw_lang_for_path(cases[i].path);
        assert_non_null(lang);
        size_t len = strlen(cases[i].src);
        TSParser *parser = ts_parser_new();
        TSTree *tree = cw_extract_parse(parser, lang, cases[i].src, len);
        assert_non_null(tree);
        cw_class_list_t classes = {0};
        assert_int_equal(cw_extract_classes(lang, tree, cases[i].src, len, &classes), 0);
        assert_int_equal(classes.count, 1);
        if (classes.items[0].method_count != cases[i].methods)
            fail_msg("%s: %d methods, expected %d", cases[i].path, classes.items[0].method_count,
                     cases[i].methods);
        cw_class_list_free(&classes);
        ts_tree_delete(tree);
        ts_parser_delete(parser);
    }
}

/* ------------------------------------------------------------------ file_doc */

static void test_file_doc_python(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/fx/python", s_tmp);
    cw_value_t *arr = s_run("file_doc", dir, 50);
    const cw_value_t *base = test_find_target(arr, "shapes/base.py", NULL);
    assert_non_null(base);
    size_t len;
    char *text = test_read(dir, "shapes/base.py", &len);
    int lines = test_lines(text, len);
    assert_string_equal(cw_map_str(base, "name", ""), "base");
    assert_int_equal(cw_map_int(base, "start_line", 0), 1);
    assert_int_equal(cw_map_int(base, "end_line", 0), lines);
    assert_true(len < 6000);
    assert_string_equal(cw_map_str(base, "source", ""), text); /* the first 6000 chars */
    /* the reference formula over what extraction finds */
    const cw_lang_t *py = cw_lang_for_path("x.py");
    TSParser *parser = ts_parser_new();
    TSTree *tree = cw_extract_parse(parser, py, text, len);
    assert_non_null(tree);
    cw_function_list_t fns = {0};
    assert_int_equal(cw_extract_functions(py, tree, text, len, &fns), 0);
    int imports = cw_extract_import_count(py, tree, text, len);
    double expect = cw_score_file(lines, (int)fns.count, (long long)len, imports);
    assert_true(fabs(cw_map_float(base, "score", 0) - expect) < 1e-9);
    assert_true(fabs(expect - (fmin(lines / 200.0, 1) * 30 + fmin(fns.count / 8.0, 1) * 30 +
                               fmin(len / 5000.0, 1) * 20 + fmin(imports / 10.0, 1) * 20)) < 1e-9);
    cw_function_list_free(&fns);
    ts_tree_delete(tree);
    ts_parser_delete(parser);
    free(text);
    /* under 20 lines (__init__.py), or a score under 20 (settings.py: 22 lines of
       constants): left out */
    assert_null(test_find_target(arr, "shapes/__init__.py", NULL));
    assert_null(test_find_target(arr, "scripts/settings.py", NULL));
    assert_non_null(test_find_target(arr, "shapes/registry.py", NULL));
    cw_value_destroy(&arr);
}

/* ------------------------------------------------------------------ module_doc */

static void s_check_module(const cw_value_t *arr, const char *dir, const char *file,
                           const char *name, const char *language, int files, const char *index)
{
    const cw_value_t *m = test_find_target(arr, file, name);
    if (!m)
        fail_msg("no module_doc for %s", file);
    assert_string_equal(cw_map_str(m, "language", ""), language);
    char rel[PATH_MAX];
    snprintf(rel, sizeof rel, "%s/%s", file, index);
    size_t len;
    char *text = test_read(dir, rel, &len);
    double expect = cw_score_module(files, (long long)len);
    assert_true(fabs(expect - (fmin(files / 8.0, 1) * 40 + fmin(len / 500.0, 1) * 30 + 30)) < 1e-9);
    if (fabs(cw_map_float(m, "score", 0) - expect) > 1e-9)
        fail_msg("%s: score %f, expected %f", file, cw_map_float(m, "score", 0), expect);
    /* source: the listing, then the index file's first 2000 characters */
    const char *src = cw_map_str(m, "source", "");
    char head[PATH_MAX];
    snprintf(head, sizeof head, "Module `%s` (", file);
    assert_true(strncmp(src, head, strlen(head)) == 0);
    char want[64];
    snprintf(want, sizeof want, "%d files", files);
    assert_non_null(strstr(src, want));
    snprintf(want, sizeof want, "- %s (", index);
    assert_non_null(strstr(src, want));
    text[len > 2000 ? 2000 : len] = '\0';
    assert_non_null(strstr(src, text));
    /* the facts: the module's kind, its index file and its files */
    const cw_value_t *mod = cw_map_get(m, "module");
    assert_string_equal(cw_map_str(mod, "index_file", ""), rel);
    assert_int_equal(cw_map_int(mod, "file_count", 0), files);
    assert_int_equal(cw_value_size(cw_map_get(mod, "files")), files);
    assert_string_equal(cw_map_str(m, "kind", ""), "module");
    free(text);
}

static void test_module_doc_languages(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/fx", s_tmp);
    cw_value_t *arr = s_run("module_doc", dir, 50);
    s_check_module(arr, dir, "python/shapes", "shapes", "python", 3, "__init__.py");
    s_check_module(arr, dir, "go/geom", "geom", "go", 3, "doc.go"); /* _test.go excluded */
    s_check_module(arr, dir, "rust/src/net", "net", "rust", 3, "mod.rs");
    s_check_module(arr, dir, "c/buf", "buf", "c", 3, "buf.h");
    s_check_module(arr, dir, "ts/ui", "ui", "typescript", 3, "index.ts");
    s_check_module(arr, dir, "js/lib", "lib", "javascript", 3, "index.js");
    /* index.tsx and two components: a tsx module */
    s_check_module(arr, dir, "tsx/widgets", "widgets", "tsx", 3, "index.tsx");
    /* two .cpp sources and their header: a C++ directory, the header named after it is
       the index */
    s_check_module(arr, dir, "cpp/geo", "geo", "cpp", 3, "geo.hpp");
    const cw_value_t *geo = test_find_target(arr, "cpp/geo", "geo");
    assert_non_null(strstr(cw_map_str(geo, "source", ""), "(c/c++ directory, 3 files)"));
    assert_non_null(strstr(cw_map_str(geo, "source", ""), "- polygon.cpp ("));
    assert_non_null(strstr(cw_map_str(geo, "source", ""), "- distance.cpp ("));
    assert_non_null(
        strstr(cw_map_str(test_find_target(arr, "tsx/widgets", "widgets"), "source", ""),
               "(typescript module, 3 files)"));
    /* two .py files without __init__.py are not a package; one .go and one .c file
       (structs/) are no module either */
    assert_null(test_find_target(arr, "python/scripts", NULL));
    assert_null(test_find_target(arr, "structs", NULL));
    assert_int_equal(cw_value_size(arr), 8);
    cw_value_destroy(&arr);
}

/* ------------------------------------------------------------------ pattern_analysis */

static void test_pattern_analysis(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/fx/python", s_tmp);
    cw_value_t *arr = s_run("pattern_analysis", dir, 50);
    /* registry.py: factory (create_, make_, factory) and observer (subscribe, notify,
       listener), 3 indicators each: the first in the table wins, 15*3+30 */
    const cw_value_t *reg = test_find_target(arr, "shapes/registry.py", "registry");
    assert_non_null(reg);
    assert_true(fabs(cw_map_float(reg, "score", 0) - 75) < 1e-9);
    /* the facts: the patterns, the chosen one first, with the indicators found in code */
    const cw_value_t *pats = cw_map_get(reg, "patterns");
    assert_int_equal(cw_value_size(pats), 2);
    static const char *const want[2][4] = {{"factory", "create_", "make_", "factory"},
                                           {"observer", "subscribe", "notify", "listener"}};
    for (size_t p = 0; p < 2; p++) {
        const cw_value_t *pat = cw_array_at(pats, p);
        assert_string_equal(cw_map_str(pat, "name", ""), want[p][0]);
        const cw_value_t *ind = cw_map_get(pat, "indicators");
        assert_int_equal(cw_value_size(ind), 3);
        for (size_t i = 0; i < 3; i++)
            assert_string_equal(cw_value_str(cw_array_at(ind, i)), want[p][i + 1]);
    }
    size_t len;
    char *text = test_read(dir, "shapes/registry.py", &len);
    assert_string_equal(cw_map_str(reg, "source", ""), text);
    free(text);
    /* base.py shows one observer-ish word at most: no pattern */
    assert_null(test_find_target(arr, "shapes/base.py", NULL));
    assert_true(fabs(cw_score_pattern(2) - 60) < 1e-9);
    assert_true(fabs(cw_score_pattern(6) - 100) < 1e-9); /* capped */
    cw_value_destroy(&arr);
}

/* ------------------------------------------------------------------ code_evolution */

static void test_code_evolution(void **state)
{
    (void)state;
    char repo[PATH_MAX];
    snprintf(repo, sizeof repo, "%s/evo", s_tmp);
    /* 1: base.py + registry.py + notes.md; 2: registry.py grows; 3: point.go added;
       4: notes.md only; 5: base.py deleted */
    int rc = test_sh(
        "mkdir -p '%s' && cd '%s' && git init -q . && git config user.email a@example.com && "
        "git config user.name 'Ada Author' && cp '%s/python/shapes/base.py' "
        "'%s/python/shapes/registry.py' . && echo notes > notes.md && git add -A && "
        "GIT_AUTHOR_DATE='@%lld +0000' GIT_COMMITTER_DATE='@%lld +0000' git commit -q -m "
        "'Add the shapes' && printf '\\n\\ndef unregister(registry, name):\\n    "
        "registry._factories.pop(name, None)\\n    registry.notify(\"unregistered\", "
        "name)\\n' >> registry.py && git add -A && GIT_AUTHOR_DATE='@%lld +0000' "
        "GIT_COMMITTER_DATE='@%lld +0000' git -c user.name='Bob Builder' commit -q -m "
        "'Let shapes be unregistered' && cp '%s/go/geom/point.go' . && git add -A && "
        "GIT_AUTHOR_DATE='@%lld +0000' GIT_COMMITTER_DATE='@%lld +0000' git commit -q -m "
        "'Port points to Go' && echo more >> notes.md && git add -A && "
        "GIT_AUTHOR_DATE='@%lld +0000' GIT_COMMITTER_DATE='@%lld +0000' git commit -q -m "
        "'Notes' && git rm -q base.py && GIT_AUTHOR_DATE='@%lld +0000' "
        "GIT_COMMITTER_DATE='@%lld +0000' git commit -q -m 'Drop base'",
        repo, repo, s_fixture, s_fixture, T0, T0, T0 + DAY, T0 + DAY, s_fixture, T0 + 2 * DAY,
        T0 + 2 * DAY, T0 + 3 * DAY, T0 + 3 * DAY, T0 + 4 * DAY, T0 + 4 * DAY);
    assert_int_equal(rc, 0);
    char hash2[16] = "", hash3[16] = "";
    FILE *p;
    char cmd[PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "git -C '%s' rev-parse --short=7 HEAD~3", repo);
    p = popen(cmd, "r");
    assert_non_null(fgets(hash2, sizeof hash2, p));
    pclose(p);
    snprintf(cmd, sizeof cmd, "git -C '%s' rev-parse --short=7 HEAD~2", repo);
    p = popen(cmd, "r");
    assert_non_null(fgets(hash3, sizeof hash3, p));
    pclose(p);
    hash2[7] = hash3[7] = '\0';

    cw_value_t *arr = s_run("code_evolution", repo, 50);
    /* registry.py (its newest change, commit 2) and point.go (new, commit 3); notes.md is not
       source; base.py was deleted, so its older change is not news */
    assert_int_equal(cw_value_size(arr), 2);
    char name[64];
    snprintf(name, sizeof name, "registry@%s", hash2);
    const cw_value_t *reg = test_find_target(arr, "registry.py", name);
    assert_non_null(reg);
    assert_null(test_find_target(arr, "base.py", NULL));
    const char *diff = cw_map_str(reg, "source", "");
    assert_true(strncmp(diff, "diff --git a/registry.py b/registry.py", 38) == 0);
    assert_non_null(strstr(diff, "+def unregister(registry, name):"));
    int added = 0;
    for (const char *l = diff; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (l[0] == '+' && strncmp(l, "+++", 3) != 0)
            added++;
    assert_int_equal(added, 5);
    double expect = cw_score_evolution((long long)strlen(diff), false, added);
    assert_true(fabs(cw_map_float(reg, "score", 0) - expect) < 1e-9);
    assert_true(fabs(expect - (fmin(strlen(diff) / 1000.0, 1) * 40 + 30 + 5 / 20.0 * 20)) < 1e-9);
    const cw_value_t *commit = cw_map_get(reg, "commit"), *change = cw_map_get(reg, "change");
    assert_true(strncmp(cw_map_str(commit, "hash", ""), hash2, 7) == 0);
    assert_string_equal(cw_map_str(commit, "author", ""), "Bob Builder");
    assert_string_equal(cw_map_str(commit, "subject", ""), "Let shapes be unregistered");
    assert_string_equal(cw_map_str(change, "status", ""), "modified");
    assert_int_equal(cw_map_int(change, "added", -1), 5);
    assert_int_equal(cw_map_int(change, "deleted", -1), 0);
    const cw_value_t *hunk = cw_array_at(cw_map_get(change, "hunks"), 0);
    assert_non_null(hunk);
    assert_int_equal(cw_map_int(hunk, "new_lines", 0) - cw_map_int(hunk, "old_lines", 0), 5);
    assert_string_equal(cw_map_str(reg, "language", ""), "python");

    snprintf(name, sizeof name, "point@%s", hash3);
    const cw_value_t *pt = test_find_target(arr, "point.go", name);
    assert_non_null(pt);
    assert_string_equal(cw_map_str(pt, "language", ""), "go");
    assert_string_equal(cw_map_str(cw_map_get(pt, "change"), "status", ""), "added");
    assert_int_equal(cw_map_int(cw_map_get(pt, "change"), "added", -1), 13);
    diff = cw_map_str(pt, "source", "");
    expect = cw_score_evolution((long long)strlen(diff), true, 13);
    assert_true(fabs(cw_map_float(pt, "score", 0) - expect) < 1e-9);
    assert_int_equal(cw_map_int(pt, "start_line", 0), 1);
    assert_int_equal(cw_map_int(pt, "end_line", 0), 13);
    cw_value_destroy(&arr);

    /* a directory without history has no evolution */
    char plain[PATH_MAX];
    snprintf(plain, sizeof plain, "%s/fx/python", s_tmp);
    arr = s_run("code_evolution", plain, 50);
    assert_int_equal(cw_value_size(arr), 0);
    cw_value_destroy(&arr);
}

/* ------------------------------------------------------------------ perspectives */

static void test_perspectives(void **state)
{
    (void)state;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/sample", s_tmp);
    const char *src = getenv("CW_SOURCE_DIR");
    assert_int_equal(
        test_sh("cp -r '%s/tests/fixtures/analyzer/sample' '%s'", src ? src : "../..", dir), 0);
    cw_value_t *fn = s_run("function_doc", dir, 20);
    assert_true(cw_value_size(fn) >= 2);
    static const char *const others[] = {"security_review", "performance_analysis", "til"};
    for (size_t k = 0; k < 3; k++) {
        cw_value_t *arr = s_run(others[k], dir, 20);
        assert_int_equal(cw_value_size(arr), cw_value_size(fn));
        for (size_t i = 0; i < cw_value_size(fn); i++) {
            const cw_value_t *a = cw_array_at(fn, i), *b = cw_array_at(arr, i);
            assert_string_equal(cw_map_str(a, "name", ""), cw_map_str(b, "name", "x"));
            assert_string_equal(cw_map_str(a, "code_hash", ""), cw_map_str(b, "code_hash", "x"));
            assert_true(cw_map_float(a, "score", 0) == cw_map_float(b, "score", 1));
        }
        cw_value_destroy(&arr);
    }
    cw_value_destroy(&fn);
    /* summaries come from the ledger, not the code */
    cw_value_t *weekly = s_run("weekly_summary", dir, 20);
    assert_int_equal(cw_value_size(weekly), 0);
    cw_value_destroy(&weekly);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_class_doc_python),
        cmocka_unit_test(test_class_doc_struct_methods),
        cmocka_unit_test(test_class_methods_indexed),
        cmocka_unit_test(test_class_doc_struct_cut),
        cmocka_unit_test(test_class_function_fields),
        cmocka_unit_test(test_file_doc_python),
        cmocka_unit_test(test_module_doc_languages),
        cmocka_unit_test(test_pattern_analysis),
        cmocka_unit_test(test_code_evolution),
        cmocka_unit_test(test_perspectives),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
