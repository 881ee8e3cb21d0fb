/*  test_analyzer_facts — the facts the analyzer reads from a syntax tree
    (services/analyzer/cw_targets_facts.c), in each of the eight languages, on the fixture
    code of tests/fixtures/analyzer/kinds: the file's doc comment, its imports, its top-level
    definitions, each function's parameters (name, type, default), return type and body
    counts, each class's members; and their bounds on hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cw_test_analyzer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cw_analyzer.h"
#include "cw_extract.h"
#include "cw_lang.h"
#include "cw_log.h"
#include "cw_proto.h"
#include "cw_targets_facts.h"

typedef struct {
    char *text;
    size_t len;
    cw_function_list_t fns;
    cw_class_list_t classes;
    char *blob; /* what the index keeps */
    size_t size;
    cw_value_t *facts; /* the file's part */
    cw_value_t *entry; /* the last function's or class's asked for */
} s_file_t;

static void s_load_text(s_file_t *f, const char *path, char *text, size_t len)
{
    memset(f, 0, sizeof *f);
    f->text = text;
    f->len = len;
    const cw_lang_t *lang = cw_lang_for_path(path);
    assert_non_null(lang);
    TSParser *parser = ts_parser_new();
    TSTree *tree = cw_extract_parse(parser, lang, text, len);
    assert_non_null(tree);
    assert_int_equal(cw_extract_functions(lang, tree, text, len, &f->fns), 0);
    assert_int_equal(cw_extract_classes(lang, tree, text, len, &f->classes), 0);
    f->blob = cw_facts_extract(lang, tree, text, len, &f->fns, &f->classes, &f->size);
    assert_non_null(f->blob);
    assert_true(f->size > 0 && f->size <= CW_FACTS_MAX_BLOB);
    f->facts = cw_facts_file(f->blob, f->size);
    assert_non_null(f->facts);
    ts_tree_delete(tree);
    ts_parser_delete(parser);
}

static void s_load(s_file_t *f, const char *rel)
{
    const char *src = getenv("CW_SOURCE_DIR");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/tests/fixtures/analyzer/kinds", src ? src : "../..");
    size_t len;
    char *text = test_read(dir, rel, &len);
    s_load_text(f, rel, text, len);
}

static void s_free(s_file_t *f)
{
    cw_function_list_free(&f->fns);
    cw_class_list_free(&f->classes);
    cw_value_destroy(&f->facts);
    cw_value_destroy(&f->entry);
    free(f->blob);
    free(f->text);
}

/* the facts of the function named `name` (valid until the next s_fn / s_class) */
static const cw_value_t *s_fn(s_file_t *f, const char *name)
{
    cw_value_destroy(&f->entry);
    for (size_t i = 0; i < f->fns.count; i++)
        if (strcmp(f->fns.items[i].name, name) == 0) {
            f->entry = cw_facts_function(f->blob, f->size, (uint32_t)f->fns.items[i].start_byte);
            assert_non_null(f->entry);
            return f->entry;
        }
    fail_msg("no function %s", name);
    return NULL;
}

static const cw_value_t *s_class(s_file_t *f, const char *name)
{
    cw_value_destroy(&f->entry);
    for (size_t i = 0; i < f->classes.count; i++)
        if (strcmp(f->classes.items[i].name, name) == 0) {
            f->entry = cw_facts_class(f->blob, f->size, (uint32_t)f->classes.items[i].start_byte);
            assert_non_null(f->entry);
            return f->entry;
        }
    fail_msg("no class %s", name);
    return NULL;
}

/* "name: type = default; ..." of a function's parameters */
static void s_expect_params(const cw_value_t *fn, const char *want)
{
    char got[1024] = "";
    const cw_value_t *ps = cw_map_get(fn, "params");
    for (size_t i = 0; i < cw_value_size(ps); i++) {
        const cw_value_t *p = cw_array_at(ps, i);
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", i ? "; " : "",
                 cw_map_str(p, "name", ""));
        if (cw_map_get(p, "type"))
            snprintf(got + strlen(got), sizeof got - strlen(got), ": %s",
                     cw_map_str(p, "type", ""));
        if (cw_map_get(p, "default"))
            snprintf(got + strlen(got), sizeof got - strlen(got), " = %s",
                     cw_map_str(p, "default", ""));
    }
    if (strcmp(got, want) != 0)
        fail_msg("parameters \"%s\", expected \"%s\"", got, want);
}

/* "a, b, c" of a string list */
static void s_expect_strings(const cw_value_t *list, const char *want)
{
    char got[2048] = "";
    for (size_t i = 0; i < cw_value_size(list); i++)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", i ? ", " : "",
                 cw_value_str(cw_array_at(list, i)));
    if (strcmp(got, want) != 0)
        fail_msg("\"%s\", expected \"%s\"", got, want);
}

/* "name kind line, ..." of a member/definition list */
static void s_expect_members(const cw_value_t *list, const char *want)
{
    char got[4096] = "";
    for (size_t i = 0; i < cw_value_size(list); i++) {
        const cw_value_t *m = cw_array_at(list, i);
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s %s %d", i ? ", " : "",
                 cw_map_str(m, "name", ""), cw_map_str(m, "kind", ""),
                 (int)cw_map_int(m, "line", 0));
    }
    if (strcmp(got, want) != 0)
        fail_msg("\"%s\",\nexpected \"%s\"", got, want);
}

static void s_expect_body(const cw_value_t *fn, const char *key, int64_t n)
{
    int64_t got = cw_map_int(cw_map_get(fn, "body"), key, 0);
    if (got != n)
        fail_msg("body.%s %lld, expected %lld", key, (long long)got, (long long)n);
}

static void test_python(void **state)
{
    (void)state;
    s_file_t f;
    s_load(&f, "python/inventory.py");
    assert_true(
        strncmp(cw_map_str(f.facts, "doc", ""), "Stock keeping for a small warehouse", 35) == 0);
    s_expect_strings(cw_map_get(f.facts, "imports"), "csv, logging, dataclasses, datetime, typing");
    s_expect_members(cw_map_get(f.facts, "defs"), "Item class 11, Inventory class 25, "
                                                  "reorder_report function 70, load_counts "
                                                  "function 97");
    const cw_value_t *fn = s_fn(&f, "reserve");
    s_expect_params(fn, "self; sku: str; quantity: int; allow_partial: bool = False");
    assert_string_equal(cw_map_str(fn, "returns", ""), "int");
    s_expect_body(fn, "returns", 2);
    s_expect_body(fn, "raises", 2);
    s_expect_body(fn, "loops", 0);
    fn = s_fn(&f, "load_counts");
    s_expect_body(fn, "loops", 2);
    s_expect_body(fn, "catches", 1);
    s_expect_members(cw_map_get(s_class(&f, "Inventory"), "members"),
                     "__init__ method 28, add method 32, reserve method 37, release method 56, "
                     "receive method 61, items method 66");
    s_expect_members(cw_map_get(s_class(&f, "Item"), "members"),
                     "sku attribute 13, name attribute 14, on_hand attribute 15, reserved "
                     "attribute 16, reorder_level attribute 17, lead_days attribute 18, available "
                     "method 20");
    s_free(&f);
}

static void test_javascript(void **state)
{
    (void)state;
    s_file_t f;
    s_load(&f, "javascript/orders.js");
    assert_null(cw_map_get(f.facts, "doc"));
    s_expect_strings(cw_map_get(f.facts, "imports"), "node:fs/promises, node:path, ./money.js");
    s_expect_members(cw_map_get(f.facts, "defs"), "TAX_RATES constant 5, OrderBook class 10, "
                                                  "summarizeOrders function 46, importOrders "
                                                  "function 67");
    const cw_value_t *fn = s_fn(&f, "importOrders");
    s_expect_params(fn, "file; book");
    s_expect_body(fn, "awaits", 1);
    s_expect_body(fn, "catches", 1);
    s_expect_params(s_fn(&f, "summarizeOrders"),
                    "book; { country = 'DE', minimum = 0, limit = 10 } = {}");
    s_free(&f);
}

static void test_typescript(void **state)
{
    (void)state;
    s_file_t f;
    s_load(&f, "typescript/cache.ts");
    s_expect_strings(cw_map_get(f.facts, "imports"), "node:events, ./clock");
    const cw_value_t *fn = s_fn(&f, "set");
    s_expect_params(fn, "key: K; value: V; ttlMs?: number");
    assert_string_equal(cw_map_str(fn, "returns", ""), "void");
    s_expect_params(s_fn(&f, "evictExpired"), "entries: Map<K, Entry<V>>; now: number; max = 100");
    assert_string_equal(cw_map_str(s_fn(&f, "evictExpired"), "returns", ""), "K[]");
    /* an interface: its method signatures are its methods */
    s_expect_members(cw_map_get(s_class(&f, "Cache"), "members"),
                     "get method 7, set method 9, remove method 11, has method 13, stats method "
                     "15, clear method 17, capacity property 18");
    s_free(&f);
}

static void test_tsx(void **state)
{
    (void)state;
    s_file_t f;
    s_load(&f, "tsx/TodoList.tsx");
    s_expect_strings(cw_map_get(f.facts, "imports"), "react, date-fns, ./types");
    s_expect_params(s_fn(&f, "groupByDay"), "todos: Todo[]; now: Date");
    assert_string_equal(cw_map_str(s_fn(&f, "groupByDay"), "returns", ""), "Map<string, Todo[]>");
    /* the arrow-function field is a method, as extraction counts it */
    s_expect_members(cw_map_get(s_class(&f, "TodoList"), "members"),
                     "state field 18, visible method 20, setFilter method 34, render method 36");
    s_free(&f);
}

static void test_go(void **state)
{
    (void)state;
    s_file_t f;
    s_load(&f, "go/ledger.go");
    s_expect_strings(cw_map_get(f.facts, "imports"), "errors, fmt, sort, sync, time");
    s_expect_members(cw_map_get(f.facts, "defs"),
                     "ErrInsufficient variable 12, Ledger struct 15, Posting struct 33, New "
                     "function 41, Post method 46, Balance method 66, Statement method 74, "
                     "Reconcile function 98");
    const cw_value_t *fn = s_fn(&f, "Statement");
    s_expect_params(fn, "account: string; from: time.Time; to: time.Time; limit: int");
    assert_string_equal(cw_map_str(fn, "returns", ""), "[]string");
    s_expect_body(fn, "loops", 1);
    assert_string_equal(cw_map_str(s_fn(&f, "Post"), "returns", ""), "error");
    /* a struct's members are its fields (its methods come from the index) */
    const cw_value_t *m = cw_map_get(s_class(&f, "Ledger"), "members");
    assert_int_equal(cw_value_size(m), 6);
    assert_string_equal(cw_map_str(cw_array_at(m, 0), "kind", ""), "field");
    s_free(&f);
}

static void test_rust(void **state)
{
    (void)state;
    s_file_t f;
    s_load(&f, "rust/account.rs");
    s_expect_strings(cw_map_get(f.facts, "imports"),
                     "std::collections::BTreeMap, std::fmt, std::time::{Duration, SystemTime}");
    const cw_value_t *fn = s_fn(&f, "transfer");
    s_expect_params(fn, "&mut self; from: &str; to: &str; amount: u64");
    assert_string_equal(cw_map_str(fn, "returns", ""), "Result<u64, TransferError>");
    s_expect_body(fn, "returns", 5);
    s_expect_params(s_fn(&f, "accrue_interest"), "balance: u64; rate_bp: u32; days: u32");
    const cw_value_t *defs = cw_map_get(f.facts, "defs");
    assert_string_equal(cw_map_str(cw_array_at(defs, 0), "kind", ""), "enum");
    s_free(&f);
}

static void test_c(void **state)
{
    (void)state;
    s_file_t f;
    s_load(&f, "c/ringbuf.c");
    assert_true(strncmp(cw_map_str(f.facts, "doc", ""), "ringbuf.c - a fixed-size byte ring", 34) ==
                0);
    s_expect_strings(cw_map_get(f.facts, "imports"),
                     "<errno.h>, <stdbool.h>, <stdint.h>, <stdlib.h>, <string.h>, \"ringbuf.h\"");
    const cw_value_t *fn = s_fn(&f, "parse_line_settings");
    s_expect_params(fn,
                    "text: const char *; baud: long *; bits: int *; parity: char *; stop: int *");
    assert_string_equal(cw_map_str(fn, "returns", ""), "int");
    s_expect_body(fn, "returns", 6);
    assert_string_equal(cw_map_str(s_fn(&f, "ringbuf_new"), "returns", ""), "ringbuf_t *");
    s_expect_params(s_fn(&f, "ringbuf_destroy"), "rb_p: ringbuf_t **");
    s_expect_members(cw_map_get(s_class(&f, "ringbuf"), "members"),
                     "data field 14, size field 15, head field 18, tail field 19, dropped field "
                     "22, high_water field 24, overwrite field 26");
    s_free(&f);
}

static void test_cpp(void **state)
{
    (void)state;
    s_file_t f;
    s_load(&f, "cpp/scheduler.cpp");
    const cw_value_t *fn = s_fn(&f, "add");
    s_expect_params(fn, "name: std::string; run: std::function<bool()>; period: Clock::duration; "
                        "priority: int = 0");
    assert_string_equal(cw_map_str(fn, "returns", ""), "bool");
    s_expect_body(s_fn(&f, "tick"), "loop_depth", 2);
    s_expect_params(s_fn(&f, "overruns"), "name: const std::string &");
    /* five methods (as extraction counts them) and two fields */
    s_expect_members(cw_map_get(s_class(&f, "TaskScheduler"), "members"),
                     "TaskScheduler method 25, add method 27, tick method 38, size method 61, "
                     "overruns method 62, tasks_ field 65, max_tasks_ field 66");
    s_expect_members(
        cw_map_get(f.facts, "defs"),
        "Clock type 11, Task struct 13, TaskScheduler class 23, TaskScheduler::overruns "
        "method 69, idle_budget function 77");
    s_free(&f);
}

/* Bounds: many definitions, a huge doc comment, a huge signature, many parameters. */
static void test_bounds(void **state)
{
    (void)state;
    size_t cap = 4 * 1024 * 1024, o = 0;
    char *text = malloc(cap);
    o += (size_t)snprintf(text + o, cap - o, "\"\"\"");
    for (int i = 0; i < 40000; i++)
        text[o++] = "Module doc. "[i % 12];
    o += (size_t)snprintf(text + o, cap - o, "\"\"\"\n");
    o += (size_t)snprintf(text + o, cap - o, "def wide(");
    for (int i = 0; i < 400; i++)
        o += (size_t)snprintf(text + o, cap - o, "a%d: int = %d, ", i, i);
    o += (size_t)snprintf(text + o, cap - o, "):\n    pass\n");
    for (int i = 0; i < 2000; i++)
        o += (size_t)snprintf(text + o, cap - o, "def f%d():\n    pass\n", i);
    s_file_t f;
    s_load_text(&f, "x.py", text, o);
    assert_true(strlen(cw_map_str(f.facts, "doc", "")) <= CW_FACTS_DOC);
    const cw_value_t *defs = cw_map_get(f.facts, "defs");
    assert_int_equal(cw_value_size(defs), CW_FACTS_MAX_DEFS);
    const char *sig = cw_map_str(cw_array_at(defs, 0), "signature", "");
    assert_true(strlen(sig) <= CW_FACTS_TEXT + 3);
    assert_string_equal(sig + strlen(sig) - 3, "...");
    assert_int_equal(cw_value_size(cw_map_get(s_fn(&f, "wide"), "params")), CW_FACTS_MAX_PARAMS);
    s_free(&f);
    /* malformed code leaves holes in the tree (null nodes where a field is expected): no
       crash, facts all the same. The first is what glibc's aio.h looks like to the C
       grammar: a "function definition" without a function declarator. */
    static const struct {
        const char *path, *src;
    } broken[] = {
        {"x.h", "__BEGIN_DECLS\n\n/* Asynchronous I/O control block.  */\nstruct aiocb\n{\n"
                "  int aio_fildes;\n};\n"},
        {"x.c", "int (*f)(int) { return 0; }\nstatic x y z( {\nstruct { int; } ;\n"},
        {"x.cpp", "template <typename T> class { ;\nint A::() const {}\nnamespace { int f( }\n"},
        {"x.py", "def (:\n  pass\nclass :\n  x =\n@\ndef f(*, /, a=):\n"},
        {"x.js", "export default function () {}\nclass { m( }\nconst = () =>;\n"},
        {"x.ts", "function f(: number): { }\ninterface { ; }\nexport const x: = 1;\n"},
        {"x.tsx", "const A = () => <div>{</div>;\nclass B extends { render() { return <; } }\n"},
        {"x.go", "package p\nfunc (x) {\ntype struct {\nfunc f(a, b) (,) {}\n"},
        {"x.rs", "impl { fn (&self) }\nfn f(: u8) -> {}\nstruct { x: }\ntrait {\n"},
    };
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
        s_file_t b;
        s_load_text(&b, broken[i].path, strdup(broken[i].src), strlen(broken[i].src));
        s_free(&b);
    }
    /* a malformed blob is no facts: the index entries are checked against its size */
    assert_null(cw_facts_file("\x81\xa1x", 3));
    assert_null(cw_facts_file(NULL, 0));
    char bad[64] = "CWF1";
    bad[4] = 1;                 /* one function */
    bad[12] = 32;               /* the file's part at 32 ... */
    bad[16] = 100;              /* ... of 100 bytes: beyond the blob */
    bad[20] = 7;                /* the function at byte 7 ... */
    bad[24] = 60, bad[28] = 10; /* ... at 60, 10 bytes: beyond the blob */
    assert_null(cw_facts_file(bad, sizeof bad));
    assert_null(cw_facts_function(bad, sizeof bad, 7));
    assert_null(cw_facts_function(bad, sizeof bad, 8));
    bad[4] = 100; /* more entries than the blob holds */
    assert_null(cw_facts_class(bad, sizeof bad, 7));
}

/* code_evolution: a diff longer than the analyzer keeps is cut at a line boundary, and the
   target says so; the commit's facts list every file with its line counts. */
static void test_evolution_cut(void **state)
{
    (void)state;
    char dir[] = "/tmp/cw_facts_evo_XXXXXX";
    assert_non_null(mkdtemp(dir));
    int rc = test_sh(
        "set -e; cd '%s' && git init -q . && git config user.email a@example.com && git config "
        "user.name 'Ada Author' && printf 'def f():\n    return 1\n' > small.py && git add -A "
        "&& git commit -q -m 'Start' && for i in $(seq 1 400); do echo \"VALUE_$i = $i  # a "
        "line long enough to add up\"; done >> small.py && printf 'x = 1\n' > other.py && "
        "git add -A && git commit -q -m 'Grow a lot'",
        dir);
    assert_int_equal(rc, 0);
    cw_config_t *cfg = cw_config_new_defaults();
    char data[512];
    snprintf(data, sizeof data, "%s/.data", dir);
    free(cfg->data_dir);
    cfg->data_dir = strdup(data);
    cw_analyzer_t *a = cw_analyzer_new(cfg);
    char err[256];
    cw_value_t *arr = cw_analyzer_candidates(a, "code_evolution", dir, 10, err, sizeof err);
    assert_non_null(arr);
    const cw_value_t *t = test_find_target(arr, "small.py", NULL);
    assert_non_null(t);
    assert_int_equal(cw_proto_validate_target(t, err, sizeof err), 0);
    const char *src = cw_map_str(t, "source", "");
    size_t n = strlen(src);
    assert_true(n > 4000 && n <= 5000);
    assert_int_equal(src[n - 1], '\n'); /* whole lines only */
    assert_true(cw_map_bool(t, "source_cut", false));
    const cw_value_t *commit = cw_map_get(t, "commit"), *change = cw_map_get(t, "change");
    assert_string_equal(cw_map_str(commit, "subject", ""), "Grow a lot");
    assert_int_equal(cw_map_int(commit, "file_count", 0), 2);
    const cw_value_t *files = cw_map_get(commit, "files");
    assert_int_equal(cw_value_size(files), 2);
    assert_string_equal(cw_map_str(cw_array_at(files, 0), "path", ""), "small.py");
    assert_string_equal(cw_map_str(cw_array_at(files, 1), "path", ""), "other.py");
    assert_string_equal(cw_map_str(cw_array_at(files, 0), "status", ""), "modified");
    assert_int_equal(cw_map_int(cw_array_at(files, 0), "added", 0), 400);
    assert_string_equal(cw_map_str(cw_array_at(files, 1), "status", ""), "added");
    assert_int_equal(cw_map_int(change, "added", 0), 400);
    assert_int_equal(cw_map_int(change, "deleted", -1), 0);
    const cw_value_t *hunk = cw_array_at(cw_map_get(change, "hunks"), 0);
    assert_int_equal(cw_map_int(hunk, "new_start", 0), 1);
    assert_int_equal(cw_map_int(hunk, "new_lines", 0), 402);
    cw_value_destroy(&arr);
    cw_analyzer_destroy(&a);
    cw_config_destroy(&cfg);
    test_sh("rm -rf '%s'", dir);
}

int main(void)
{
    cw_log_set_level(CW_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_python),     cmocka_unit_test(test_javascript),
        cmocka_unit_test(test_typescript), cmocka_unit_test(test_tsx),
        cmocka_unit_test(test_go),         cmocka_unit_test(test_rust),
        cmocka_unit_test(test_c),          cmocka_unit_test(test_cpp),
        cmocka_unit_test(test_bounds),     cmocka_unit_test(test_evolution_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
