/*  Every target kind in every language (issue 3): for python, javascript, typescript, tsx,
    go, rust, c and cpp, a temporary git repository is made of the fixture code in
    tests/fixtures/analyzer/kinds/<lang>/ (three commits: the files, a function added to
    the main file by another author, a README change), and cw_analyzer_candidates is asked
    for each kind:
      function_doc      the expected functions, with their metrics (lizard's rules)
      class_doc         the language's class-like target, with the reference formula
      file_doc          the main file, with the reference formula
      pattern_analysis  a pattern written in the language's idiom, 15 * matches + 30; a
                        file whose indicators are only in comments and strings has none
      code_evolution    one target per source file, each at its newest change
      security_review, performance_analysis, til: the same candidates as function_doc
    Every target validates as a proto `target`, with code_hash = sha256(source).
    Also: pattern indicators count in code only (cw_pattern_scan_code), per language. */
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
#include "cw_extract.h"
#include "cw_index.h"
#include "cw_log.h"
#include "cw_proto.h"
#include "cw_scan.h"
#include "cw_score.h"
#include "cw_sha256.h"

#define T0 1700000000LL
#define DAY 86400LL
#define MAX_FNS 6

static char s_fixtures[1024]; /* tests/fixtures/analyzer/kinds */
static char s_tmp[512];

/* ------------------------------------------------------------------ expectations */

typedef struct {
    const char *name;
    const char *cls;    /* NULL: not a method */
    const char *prefix; /* the target's source starts with this */
    int ccn;            /* lizard's cyclomatic complexity */
    int params;
    int nesting;
} s_fn_t;

typedef struct {
    const char *lang;  /* fixture directory and the targets' language */
    const char *main;  /* the file commit 2 extends */
    int main_v1_lines; /* its first lines, as commit 1 has it */
    int sources;       /* source files in the directory */
    /* function_doc: exactly these, best first not implied */
    s_fn_t fns[MAX_FNS];
    /* class_doc: this one with the formula checked, and `other` too when set */
    const char *cls;
    const char *cls_file;
    const char *cls_kind;
    int cls_methods;
    bool cls_doc;
    int cls_decorators;
    int cls_wmc; /* its methods' CCN summed (what have a body) */
    const char *cls_prefix;
    /* its methods written outside its text, in file order: the target's source is its text
       followed by theirs, each after a blank line, and its lines count theirs too */
    const char *cls_outside[MAX_FNS];
    const char *other_cls;
    size_t classes; /* class_doc targets in all */
    /* file_doc of the main file */
    int main_functions;
    int main_imports;
    /* pattern_analysis */
    const char *pat_file;
    const char *pat_context; /* its patterns[0] written as "Likely <name> pattern: `a`, ..." */
    int pat_matches;
    const char *quiet_file; /* indicators only in comments and strings: no target */
} s_case_t;

static const s_case_t s_python = {
    .lang = "python",
    .main = "inventory.py",
    .main_v1_lines = 95,
    .sources = 3,
    .fns = {{"reserve", "Inventory", "def reserve(self, sku: str", 7, 4, 2},
            {"reorder_report", NULL, "def reorder_report(", 5, 4, 2},
            {"load_counts", NULL, "def load_counts(", 9, 2, 3}},
    .cls = "Inventory",
    .cls_file = "inventory.py",
    .cls_kind = "class",
    .cls_methods = 6,
    .cls_doc = true,
    .cls_decorators = 0,
    .cls_wmc = 14,
    .cls_prefix = "class Inventory:",
    .classes = 2,
    .other_cls = "EventBus",
    .main_functions = 9,
    .main_imports = 5,
    .pat_file = "events.py",
    .pat_context = "Likely observer pattern: `subscribe`, `notify`, `listener`",
    .pat_matches = 3,
    .quiet_file = "newsletter.py",
};

static const s_case_t s_javascript = {
    .lang = "javascript",
    .main = "orders.js",
    .main_v1_lines = 65,
    .sources = 3,
    /* summarizeOrders(book, {country, minimum, limit} = {}): two parameters */
    .fns = {{"importOrders", NULL, "export async function importOrders(file, book)", 6, 2, 3},
            {"summarizeOrders", NULL, "export function summarizeOrders(book, {", 5, 2, 2}},
    .cls = "OrderBook",
    .cls_file = "orders.js",
    .cls_kind = "class",
    .cls_methods = 4,
    .cls_doc = true,
    .cls_wmc = 14, /* lizard 1.24: `TAX_RATES[country] ?? 0` reads as two `?` tokens (+2) */
    .cls_prefix = "export class OrderBook {",
    .other_cls = "Emitter",
    .classes = 2,
    .main_functions = 6,
    .main_imports = 3,
    .pat_file = "emitter.js",
    .pat_context = "Likely observer pattern: `subscribe`, `emit`, `listener`, `addEventListener`",
    .pat_matches = 4,
    .quiet_file = "messages.js",
};

static const s_case_t s_typescript = {
    .lang = "typescript",
    .main = "cache.ts",
    .main_v1_lines = 101,
    .sources = 2,
    .fns = {{"evictExpired", NULL, "export function evictExpired<K, V>(", 7, 3, 2},
            {"get", "LruCache", "get(key: K): V | undefined {", 5, 1, 2}},
    /* an interface that carries behaviour */
    .cls = "Cache",
    .cls_file = "cache.ts",
    .cls_kind = "interface",
    .cls_methods = 6,
    .cls_doc = true,
    .cls_wmc = 0,
    .cls_prefix = "export interface Cache<K, V> {",
    .other_cls = "LruCache",
    .classes = 3, /* and Pipeline */
    .main_functions = 9,
    .main_imports = 2,
    .pat_file = "pipeline.ts",
    .pat_context = "Likely middleware pattern: `middleware`, `next()`, `dispatch`, `use(`",
    .pat_matches = 4,
};

static const s_case_t s_tsx = {
    .lang = "tsx",
    .main = "TodoList.tsx",
    .main_v1_lines = 79,
    .sources = 2,
    /* FilterBar: `options.map((option) =>` with its body on the next line: lizard ends
       that arrow at `option`, so the ternary below is FilterBar's (3 -> 4) */
    .fns = {{"groupByDay", NULL, "export function groupByDay(", 6, 2, 2},
            {"FilterBar", NULL, "export function FilterBar(", 4, 1, 0}},
    .cls = "TodoList",
    .cls_file = "TodoList.tsx",
    .cls_kind = "class",
    .cls_methods = 3, /* visible, render and the arrow-function field setFilter */
    .cls_doc = true,
    .cls_wmc = 3,
    .cls_prefix = "export class TodoList extends React.Component<Props, State> {",
    .classes = 1,
    .main_functions = 5,
    .main_imports = 3,
    .pat_file = "SortMenu.tsx",
    .pat_context = "Likely strategy pattern: `Strategy`, `execute`, `algorithm`",
    .pat_matches = 3,
};

static const s_case_t s_go = {
    .lang = "go",
    .main = "ledger.go",
    .main_v1_lines = 94,
    .sources = 2,
    .fns = {{"Statement", "Ledger", "func (l *Ledger) Statement(", 7, 4, 2},
            {"Reconcile", NULL, "func Reconcile(", 7, 3, 2},
            {"Post", "Ledger", "func (l *Ledger) Post(", 6, 3, 1}},
    /* a struct with methods: the methods are outside its text, and follow it in the
       target's source */
    .cls = "Ledger",
    .cls_file = "ledger.go",
    .cls_kind = "struct",
    .cls_methods = 3,
    .cls_doc = true,
    .cls_wmc = 14,
    .cls_prefix = "type Ledger struct {",
    .cls_outside = {"Post", "Balance", "Statement"},
    /* Broker (broker.go): 4 lines of its own, 24 with its three methods */
    .other_cls = "Broker",
    .classes = 2,
    .main_functions = 5,
    .main_imports = 5,
    .pat_file = "broker.go",
    /* Go's exported names are capitalised; the indicators are found in `subscribers`,
       `listener` and the unexported `notify` */
    .pat_context = "Likely observer pattern: `subscribe`, `notify`, `listener`",
    .pat_matches = 3,
};

static const s_case_t s_rust = {
    .lang = "rust",
    .main = "account.rs",
    .main_v1_lines = 93,
    .sources = 2,
    .fns = {{"transfer", "Bank", "pub fn transfer(&mut self, from: &str", 8, 4, 1},
            {"accrue_interest", NULL, "pub fn accrue_interest(", 7, 3, 2}},
    .cls = "Bank",
    .cls_file = "account.rs",
    .cls_kind = "impl",
    .cls_methods = 4,
    .cls_doc = false,
    .cls_wmc = 12,
    .cls_prefix = "impl Bank {",
    .other_cls = "MemoryRepository", /* impl AccountRepository for MemoryRepository */
    .classes = 2,
    .main_functions = 6,
    .main_imports = 3,
    .pat_file = "store.rs",
    .pat_context = "Likely repository pattern: `Repository`, `get_by_id`, `find_all`, `save(`, "
                   "`delete(`",
    .pat_matches = 5, /* 15 * 5 + 30, capped at 100 */
};

static const s_case_t s_c = {
    .lang = "c",
    .main = "ringbuf.c",
    .main_v1_lines = 101,
    .sources = 3,
    .fns = {{"parse_line_settings", NULL, "int parse_line_settings(", 13, 5, 1},
            {"ringbuf_write", NULL, "size_t ringbuf_write(ringbuf_t *rb", 8, 3, 3},
            {"ringbuf_read", NULL, "size_t ringbuf_read(ringbuf_t *rb", 6, 3, 2},
            {"ringbuf_new", NULL, "ringbuf_t *ringbuf_new(", 5, 2, 1}},
    /* a struct with methods: functions whose first parameter points to it */
    .cls = "ringbuf",
    .cls_file = "ringbuf.c",
    .cls_kind = "struct",
    .cls_methods = 4,
    .cls_doc = true,
    .cls_wmc = 19, /* its four methods' */
    .cls_prefix = "typedef struct ringbuf {",
    .cls_outside = {"ringbuf_used", "ringbuf_write", "ringbuf_read", "ringbuf_destroy"},
    .classes = 1,
    .main_functions = 6,
    .main_imports = 6,
    .pat_file = "codec.c",
    .pat_context = "Likely factory pattern: `create_`, `make_`, `factory`",
    .pat_matches = 3,
    .quiet_file = "usage.c",
};

static const s_case_t s_cpp = {
    .lang = "cpp",
    .main = "scheduler.cpp",
    .main_v1_lines = 74,
    .sources = 2,
    .fns = {{"idle_budget", NULL, "Clock::duration idle_budget(", 6, 3, 2},
            {"tick", "TaskScheduler", "int tick(Clock::time_point now)", 6, 1, 2}},
    .cls = "TaskScheduler",
    .cls_file = "scheduler.cpp",
    .cls_kind = "class",
    .cls_methods = 5,
    .cls_doc = true,
    .cls_wmc = 14,
    .cls_prefix = "class TaskScheduler {",
    .cls_outside = {"overruns"}, /* TaskScheduler::overruns, after the class */
    .other_cls = "Settings",
    .classes = 2,
    .main_functions = 6,
    .main_imports = 6,
    .pat_file = "settings.cpp",
    .pat_context = "Likely singleton pattern: `_instance`, `getInstance`",
    .pat_matches = 2,
};

/* ------------------------------------------------------------------ helpers */

static int s_setup(void **state)
{
    (void)state;
    cw_log_set_level(CW_LOG_ERROR);
    const char *src = getenv("CW_SOURCE_DIR");
    snprintf(s_fixtures, sizeof s_fixtures, "%s/tests/fixtures/analyzer/kinds",
             src ? src : "../..");
    snprintf(s_tmp, sizeof s_tmp, "/tmp/cw_kinds_XXXXXX");
    return mkdtemp(s_tmp) ? 0 : -1;
}

static int s_teardown(void **state)
{
    (void)state;
    if (strncmp(s_tmp, "/tmp/cw_kinds_", 14) == 0)
        test_sh("rm -rf '%s'", s_tmp);
    return 0;
}

static cw_config_t *s_config(const char *data_dir)
{
    cw_config_t *cfg = cw_config_new_defaults();
    assert_non_null(cfg);
    free(cfg->data_dir);
    cfg->data_dir = strdup(data_dir);
    /* the defaults lack C and C++ */
    static const char *const inc[] = {"**/*.py",  "**/*.ts", "**/*.tsx", "**/*.js",
                                      "**/*.go",  "**/*.rs", "**/*.c",   "**/*.h",
                                      "**/*.cpp", "**/*.cc", "**/*.hpp", NULL};
    test_set_list(&cfg->analyzer.include_patterns, &cfg->analyzer.include_count, inc);
    return cfg;
}

static void s_dump(const char *doc_type, const cw_value_t *arr)
{
    if (!getenv("CW_KINDS_DUMP"))
        return;
    for (size_t i = 0; i < cw_value_size(arr); i++) {
        const cw_value_t *t = cw_array_at(arr, i);
        fprintf(stderr,
                "%-16s %-14s %-22s %-14s %4d-%-4d ccn %4.0f nloc %3d tok %4d par %d nest %d "
                "score %6.2f | %.120s\n",
                doc_type, cw_map_str(t, "file", ""), cw_map_str(t, "name", ""),
                cw_map_str(t, "class", "-"), (int)cw_map_int(t, "start_line", 0),
                (int)cw_map_int(t, "end_line", 0), cw_map_float(t, "complexity", 0),
                (int)cw_map_int(t, "nloc", -1), (int)cw_map_int(t, "tokens", -1),
                (int)cw_map_int(t, "params", -1), (int)cw_map_int(t, "nesting", -1),
                cw_map_float(t, "score", 0), cw_map_str(t, "context", ""));
    }
}

/* Candidates of one kind for a directory; every target validated. */
static cw_value_t *s_run(const char *doc_type, const char *dir, const char *language)
{
    char data[PATH_MAX];
    snprintf(data, sizeof data, "%s/data", s_tmp);
    cw_config_t *cfg = s_config(data);
    cw_analyzer_t *a = cw_analyzer_new(cfg);
    assert_non_null(a);
    cw_analyzer_set_now(a, (time_t)(T0 + 10 * DAY));
    char err[256] = "";
    cw_value_t *arr = cw_analyzer_candidates(a, doc_type, dir, 100, err, sizeof err);
    if (!arr)
        fail_msg("%s on %s: %s", doc_type, dir, err);
    s_dump(doc_type, arr);
    double prev = 1e9;
    for (size_t i = 0; i < cw_value_size(arr); i++) {
        const cw_value_t *t = cw_array_at(arr, i);
        char verr[256] = "";
        if (cw_proto_validate_target(t, verr, sizeof verr) != 0)
            fail_msg("%s target %zu does not validate: %s", doc_type, i, verr);
        assert_string_equal(cw_map_str(t, "doc_type", ""), doc_type);
        const char *source = cw_map_str(t, "source", NULL);
        assert_non_null(source);
        char hex[65];
        cw_sha256_hex(source, strlen(source), hex);
        assert_string_equal(cw_map_str(t, "code_hash", ""), hex);
        if (language)
            assert_string_equal(cw_map_str(t, "language", ""), language);
        double score = cw_map_float(t, "score", -1);
        assert_true(score >= 0 && score <= 100);
        assert_true(score <= prev); /* best first */
        prev = score;
    }
    cw_analyzer_destroy(&a);
    cw_config_destroy(&cfg);
    return arr;
}

/* 1-based line of byte offset `at` */
static int s_line_of(const char *s, size_t at)
{
    int line = 1;
    for (size_t i = 0; i < at; i++)
        line += s[i] == '\n';
    return line;
}

static void s_rev(const char *repo, const char *rev, char out[8])
{
    char cmd[PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "git -C '%s' rev-parse --short=7 %s", repo, rev);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char buf[64] = "";
    assert_non_null(fgets(buf, sizeof buf, p));
    pclose(p);
    memcpy(out, buf, 7);
    out[7] = '\0';
}

/* The repository of a case: commit 1 (T0, Ada) has every file, the main file cut to its
   first main_v1_lines lines, and a README; commit 2 (T0 + 1 day, Bob) the whole main file;
   commit 3 (T0 + 2 days) a README change only. */
static void s_make_repo(const s_case_t *c, char *repo, size_t cap)
{
    snprintf(repo, cap, "%s/%s", s_tmp, c->lang);
    int rc = test_sh(
        "set -e; mkdir -p '%s' && cd '%s' && git init -q . && git config user.email a@example.com "
        "&& git config user.name 'Ada Author' && git config commit.gpgsign false && cp '%s/%s'/* . "
        "&& head -n %d '%s/%s/%s' > '%s' && printf '# %s\\n' > README.md && git add -A && "
        "GIT_AUTHOR_DATE='@%lld +0000' GIT_COMMITTER_DATE='@%lld +0000' git commit -q -m "
        "'Import the %s code' && cp '%s/%s/%s' . && git add -A && GIT_AUTHOR_DATE='@%lld +0000' "
        "GIT_COMMITTER_DATE='@%lld +0000' git -c user.name='Bob Builder' commit -q -m 'Extend "
        "%s' && printf 'More notes.\\n' >> README.md && git add -A && "
        "GIT_AUTHOR_DATE='@%lld +0000' GIT_COMMITTER_DATE='@%lld +0000' git commit -q -m "
        "'Notes'",
        repo, repo, s_fixtures, c->lang, c->main_v1_lines, s_fixtures, c->lang, c->main, c->main,
        c->lang, T0, T0, c->lang, s_fixtures, c->lang, c->main, T0 + DAY, T0 + DAY, c->main,
        T0 + 2 * DAY, T0 + 2 * DAY);
    assert_int_equal(rc, 0);
}

/* ------------------------------------------------------------------ the kinds */

static void s_check_functions(const s_case_t *c, const char *repo)
{
    cw_value_t *arr = s_run("function_doc", repo, c->lang);
    size_t expected = 0;
    for (const s_fn_t *f = c->fns; f < c->fns + MAX_FNS && f->name; f++, expected++) {
        const cw_value_t *t = NULL;
        for (size_t i = 0; i < cw_value_size(arr) && !t; i++) {
            const cw_value_t *x = cw_array_at(arr, i);
            if (strcmp(cw_map_str(x, "name", ""), f->name) == 0)
                t = x;
        }
        if (!t)
            fail_msg("%s: no function_doc for %s", c->lang, f->name);
        if (f->cls)
            assert_string_equal(cw_map_str(t, "class", ""), f->cls);
        else
            assert_null(cw_map_get(t, "class"));
        const char *file = cw_map_str(t, "file", "");
        size_t len;
        char *text = test_read(repo, file, &len);
        const char *src = cw_map_str(t, "source", "");
        if (strncmp(src, f->prefix, strlen(f->prefix)) != 0)
            fail_msg("%s: %s starts with \"%.40s\"", c->lang, f->name, src);
        /* the source is the file's text from its start line to its end line */
        const char *at = strstr(text, src);
        assert_non_null(at);
        int start = (int)cw_map_int(t, "start_line", 0), end = (int)cw_map_int(t, "end_line", 0);
        assert_int_equal(s_line_of(text, (size_t)(at - text)), start);
        assert_int_equal(s_line_of(text, (size_t)(at - text) + strlen(src) - 1), end);
        int lines = end - start + 1;
        assert_true(lines >= 15 && lines <= 150); /* the default min_lines / max_lines */
        /* metrics */
        if ((int)cw_map_float(t, "complexity", 0) != f->ccn)
            fail_msg("%s: %s ccn %.0f, expected %d", c->lang, f->name,
                     cw_map_float(t, "complexity", 0), f->ccn);
        assert_int_equal(cw_map_int(t, "params", -1), f->params);
        if (cw_map_int(t, "nesting", -1) != f->nesting)
            fail_msg("%s: %s nesting %d, expected %d", c->lang, f->name,
                     (int)cw_map_int(t, "nesting", -1), f->nesting);
        int nloc = (int)cw_map_int(t, "nloc", 0), tokens = (int)cw_map_int(t, "tokens", 0);
        /* lizard counts one line more for a JS/TS function it ends at the next line's first
           token (a TS function declaration with a return type, an expression arrow) */
        assert_true(nloc >= lines * 2 / 3 && nloc <= lines + 1);
        assert_true(tokens >= 4 * nloc && tokens <= 20 * nloc);
        assert_true(cw_map_float(t, "score", 0) >= 25);
        free(text);
    }
    if (cw_value_size(arr) != expected)
        fail_msg("%s: %zu function_doc targets, expected %zu", c->lang, cw_value_size(arr),
                 expected);

    /* the perspectives see the same candidates */
    static const char *const others[] = {"security_review", "performance_analysis", "til"};
    for (size_t k = 0; k < 3; k++) {
        cw_value_t *o = s_run(others[k], repo, c->lang);
        assert_int_equal(cw_value_size(o), cw_value_size(arr));
        for (size_t i = 0; i < cw_value_size(arr); i++) {
            const cw_value_t *a = cw_array_at(arr, i), *b = cw_array_at(o, i);
            assert_string_equal(cw_map_str(a, "file", ""), cw_map_str(b, "file", "x"));
            assert_string_equal(cw_map_str(a, "name", ""), cw_map_str(b, "name", "x"));
            assert_string_equal(cw_map_str(a, "code_hash", ""), cw_map_str(b, "code_hash", "x"));
            assert_true(cw_map_float(a, "score", 0) == cw_map_float(b, "score", 1));
        }
        cw_value_destroy(&o);
    }
    cw_value_destroy(&arr);
}

static void s_check_classes(const s_case_t *c, const char *repo)
{
    cw_value_t *arr = s_run("class_doc", repo, c->lang);
    const cw_value_t *t = test_find_target(arr, c->cls_file, c->cls);
    if (!t)
        fail_msg("%s: no class_doc for %s", c->lang, c->cls);
    assert_null(cw_map_get(t, "class"));
    int start = (int)cw_map_int(t, "start_line", 0), end = (int)cw_map_int(t, "end_line", 0);
    const char *src = cw_map_str(t, "source", "");
    if (strncmp(src, c->cls_prefix, strlen(c->cls_prefix)) != 0)
        fail_msg("%s: class %s starts with \"%.40s\"", c->lang, c->cls, src);
    size_t len;
    char *text = test_read(repo, c->cls_file, &len);
    /* the source: the class's text (as extraction finds it, from its start line), then
       each method written outside it (likewise) after a blank line */
    const cw_lang_t *lang = cw_lang_for_path(c->cls_file);
    TSParser *parser = ts_parser_new();
    TSTree *tree = cw_extract_parse(parser, lang, text, len);
    assert_non_null(tree);
    cw_class_list_t classes = {0};
    assert_int_equal(cw_extract_classes(lang, tree, text, len, &classes), 0);
    const cw_class_t *cl = NULL;
    for (size_t i = 0; i < classes.count && !cl; i++)
        if (strcmp(classes.items[i].name, c->cls) == 0)
            cl = &classes.items[i];
    assert_non_null(cl);
    assert_int_equal(cl->start_line, start);
    assert_int_equal(cl->end_line, end);
    assert_int_equal(s_line_of(text, cl->start_byte), start);
    size_t cap = len * 2 + 64, used = 0;
    char *expect_src = malloc(cap);
    assert_non_null(expect_src);
    memcpy(expect_src, text + cl->start_byte, cl->end_byte - cl->start_byte);
    used = cl->end_byte - cl->start_byte;
    cw_class_list_free(&classes);
    int outside_lines = 0;
    cw_function_list_t fns = {0};
    assert_int_equal(cw_extract_functions(lang, tree, text, len, &fns), 0);
    for (const char *const *m = c->cls_outside; m < c->cls_outside + MAX_FNS && *m; m++) {
        const cw_function_t *fn = NULL;
        for (size_t i = 0; i < fns.count && !fn; i++)
            if (strcmp(fns.items[i].name, *m) == 0)
                fn = &fns.items[i];
        if (!fn)
            fail_msg("%s: no function %s", c->lang, *m);
        memcpy(expect_src + used, "\n\n", 2);
        memcpy(expect_src + used + 2, text + fn->start_byte, fn->end_byte - fn->start_byte);
        used += 2 + fn->end_byte - fn->start_byte;
        outside_lines += fn->end_line - fn->start_line + 1;
    }
    cw_function_list_free(&fns);
    ts_tree_delete(tree);
    ts_parser_delete(parser);
    expect_src[used] = '\0';
    if (strcmp(src, expect_src) != 0) {
        fprintf(stderr, "%s\n--- expected\n%s\n", src, expect_src);
        fail_msg("%s: class %s: another source", c->lang, c->cls);
    }
    free(expect_src);
    free(text);
    /* its size: its own lines and its outside methods' lines */
    int lines = end - start + 1 + outside_lines;
    assert_true(lines >= 15);
    /* the facts: its kind, its docstring, its members (the methods, outside ones last) */
    assert_string_equal(cw_map_str(t, "kind", ""), c->cls_kind);
    assert_true((cw_map_get(t, "docstring") != NULL) == c->cls_doc);
    const cw_value_t *members = cw_map_get(t, "members");
    int method_members = 0;
    for (size_t i = 0; i < cw_value_size(members); i++)
        method_members += strcmp(cw_map_str(cw_array_at(members, i), "kind", ""), "method") == 0;
    if (method_members != c->cls_methods)
        fail_msg("%s: %d method members, expected %d", c->lang, method_members, c->cls_methods);
    /* each method written outside it is a member (once: C++ declares it inside too) */
    for (const char *const *m = c->cls_outside; m < c->cls_outside + MAX_FNS && *m; m++) {
        int found = 0;
        for (size_t i = 0; i < cw_value_size(members); i++) {
            const cw_value_t *x = cw_array_at(members, i);
            found += strcmp(cw_map_str(x, "kind", ""), "method") == 0 &&
                     strcmp(cw_map_str(x, "name", ""), *m) == 0;
        }
        if (found != 1)
            fail_msg("%s: method %s is %d members", c->lang, *m, found);
    }
    assert_false(cw_map_bool(t, "source_cut", true)); /* not cut */

    /* the reference formula */
    double expect = fmin(c->cls_methods / 6.0, 1) * 35 + fmin(lines / 100.0, 1) * 25 +
                    (c->cls_doc ? 10 : 0) + fmin(5.0 * c->cls_decorators, 15) + 15;
    assert_true(
        fabs(cw_score_class(c->cls_methods, lines, c->cls_doc, c->cls_decorators) - expect) < 1e-9);
    if (fabs(cw_map_float(t, "score", 0) - expect) > 1e-9)
        fail_msg("%s: class score %f, expected %f", c->lang, cw_map_float(t, "score", 0), expect);
    if ((int)cw_map_float(t, "complexity", -1) != c->cls_wmc)
        fail_msg("%s: class complexity %.0f, expected %d", c->lang,
                 cw_map_float(t, "complexity", -1), c->cls_wmc);
    if (c->other_cls && !test_find_target(arr, NULL, c->other_cls))
        fail_msg("%s: no class_doc for %s", c->lang, c->other_cls);
    assert_int_equal(cw_value_size(arr), c->classes);
    cw_value_destroy(&arr);
}

static void s_check_file(const s_case_t *c, const char *repo)
{
    cw_value_t *arr = s_run("file_doc", repo, c->lang);
    const cw_value_t *t = test_find_target(arr, c->main, NULL);
    if (!t)
        fail_msg("%s: no file_doc for %s", c->lang, c->main);
    size_t len;
    char *text = test_read(repo, c->main, &len);
    int lines = test_lines(text, len);
    assert_int_equal(cw_map_int(t, "start_line", 0), 1);
    assert_int_equal(cw_map_int(t, "end_line", 0), lines);
    const char *src = cw_map_str(t, "source", "");
    assert_true(strlen(src) <= 6000);
    assert_true(strncmp(src, text, strlen(src)) == 0); /* the beginning of the file */
    if (len <= 6000)
        assert_string_equal(src, text);
    /* what extraction finds, and the reference formula over it */
    const cw_lang_t *lang = cw_lang_for_path(c->main);
    assert_non_null(lang);
    assert_string_equal(lang->name, c->lang);
    TSParser *parser = ts_parser_new();
    TSTree *tree = cw_extract_parse(parser, lang, text, len);
    assert_non_null(tree);
    cw_function_list_t fns = {0};
    assert_int_equal(cw_extract_functions(lang, tree, text, len, &fns), 0);
    int imports = cw_extract_import_count(lang, tree, text, len);
    if ((int)fns.count != c->main_functions || imports != c->main_imports)
        fail_msg("%s: %zu functions and %d imports, expected %d and %d", c->lang, fns.count,
                 imports, c->main_functions, c->main_imports);
    double expect = fmin(lines / 200.0, 1) * 30 + fmin(fns.count / 8.0, 1) * 30 +
                    fmin(len / 5000.0, 1) * 20 + fmin(imports / 10.0, 1) * 20;
    assert_true(fabs(cw_score_file(lines, (int)fns.count, (long long)len, imports) - expect) <
                1e-9);
    if (fabs(cw_map_float(t, "score", 0) - expect) > 1e-9)
        fail_msg("%s: file score %f, expected %f", c->lang, cw_map_float(t, "score", 0), expect);
    /* the facts: its size, its imports (modules named), its top-level definitions */
    assert_int_equal(cw_map_int(t, "bytes", -1), (int64_t)len);
    assert_string_equal(cw_map_str(t, "kind", ""), "file");
    if ((int)cw_value_size(cw_map_get(t, "imports")) != imports)
        fail_msg("%s: %zu imports named, %d import statements", c->lang,
                 cw_value_size(cw_map_get(t, "imports")), imports);
    assert_true(cw_value_size(cw_map_get(t, "definitions")) > 0);
    cw_function_list_free(&fns);
    ts_tree_delete(tree);
    ts_parser_delete(parser);
    free(text);
    /* every file_doc target is a whole file of the repo, scored >= 20 */
    for (size_t i = 0; i < cw_value_size(arr); i++)
        assert_true(cw_map_float(cw_array_at(arr, i), "score", 0) >= 20);
    cw_value_destroy(&arr);
}

static void s_check_patterns(const s_case_t *c, const char *repo)
{
    cw_value_t *arr = s_run("pattern_analysis", repo, c->lang);
    const cw_value_t *t = test_find_target(arr, c->pat_file, NULL);
    if (!t)
        fail_msg("%s: no pattern_analysis for %s", c->lang, c->pat_file);
    double expect = fmin(15.0 * c->pat_matches + 30, 100);
    assert_true(fabs(cw_score_pattern(c->pat_matches) - expect) < 1e-9);
    if (fabs(cw_map_float(t, "score", 0) - expect) > 1e-9)
        fail_msg("%s: pattern score %f, expected %f", c->lang, cw_map_float(t, "score", 0), expect);
    /* the facts: the pattern and its indicators found in code, written out */
    const cw_value_t *pat = cw_array_at(cw_map_get(t, "patterns"), 0);
    char got[512];
    snprintf(got, sizeof got, "Likely %s pattern: ", cw_map_str(pat, "name", ""));
    const cw_value_t *ind = cw_map_get(pat, "indicators");
    for (size_t i = 0; i < cw_value_size(ind); i++)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s`%s`", i ? ", " : "",
                 cw_value_str(cw_array_at(ind, i)));
    if (strcmp(got, c->pat_context) != 0)
        fail_msg("%s: pattern \"%s\", expected \"%s\"", c->lang, got, c->pat_context);
    size_t len;
    char *text = test_read(repo, c->pat_file, &len);
    assert_string_equal(cw_map_str(t, "source", ""), text);
    assert_int_equal(cw_map_int(t, "end_line", 0), test_lines(text, len));
    free(text);
    /* indicators only in comments and strings: no pattern */
    if (c->quiet_file)
        assert_null(test_find_target(arr, c->quiet_file, NULL));
    assert_int_equal(cw_value_size(arr), 1);
    cw_value_destroy(&arr);
}

static void s_check_evolution(const s_case_t *c, const char *repo)
{
    char h1[8], h2[8];
    s_rev(repo, "HEAD~2", h1);
    s_rev(repo, "HEAD~1", h2);
    cw_value_t *arr = s_run("code_evolution", repo, c->lang);
    /* one per source file (README.md is not source): the main file at commit 2, the
       others new at commit 1 */
    if ((int)cw_value_size(arr) != c->sources)
        fail_msg("%s: %zu code_evolution targets, expected %d", c->lang, cw_value_size(arr),
                 c->sources);
    size_t len;
    char *text = test_read(repo, c->main, &len);
    int lines = test_lines(text, len);
    free(text);
    for (size_t i = 0; i < cw_value_size(arr); i++) {
        const cw_value_t *t = cw_array_at(arr, i);
        const char *file = cw_map_str(t, "file", "");
        bool main = strcmp(file, c->main) == 0;
        const char *dot = strrchr(file, '.');
        char name[256];
        snprintf(name, sizeof name, "%.*s@%s", (int)(dot - file), file, main ? h2 : h1);
        assert_string_equal(cw_map_str(t, "name", ""), name);
        const char *diff = cw_map_str(t, "source", "");
        char head[512];
        snprintf(head, sizeof head, "diff --git a/%s b/%s", file, file);
        assert_true(strncmp(diff, head, strlen(head)) == 0);
        int added = 0, deleted = 0;
        for (const char *l = diff; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
            if (l[0] == '+' && strncmp(l, "+++", 3) != 0)
                added++;
            if (l[0] == '-' && strncmp(l, "---", 3) != 0)
                deleted++;
        }
        assert_int_equal(deleted, 0);
        /* the facts: the commit, and this file's change */
        const cw_value_t *commit = cw_map_get(t, "commit"), *change = cw_map_get(t, "change");
        char want[512];
        assert_true(strncmp(cw_map_str(commit, "hash", ""), main ? h2 : h1, 7) == 0);
        assert_int_equal(strlen(cw_map_str(commit, "hash", "")), 40);
        assert_string_equal(cw_map_str(commit, "author", ""), main ? "Bob Builder" : "Ada Author");
        if (main)
            snprintf(want, sizeof want, "Extend %s", c->main);
        else
            snprintf(want, sizeof want, "Import the %s code", c->lang);
        assert_string_equal(cw_map_str(commit, "subject", ""), want);
        assert_string_equal(cw_map_str(commit, "date", ""),
                            main ? "2023-11-15T22:13:20Z" : "2023-11-14T22:13:20Z");
        assert_string_equal(cw_map_str(change, "status", ""), main ? "modified" : "added");
        assert_int_equal(cw_map_int(change, "added", -1), added);
        assert_int_equal(cw_map_int(change, "deleted", -1), 0);
        /* the commit's files: this one first, with the same counts */
        const cw_value_t *files = cw_map_get(commit, "files");
        assert_string_equal(cw_map_str(cw_array_at(files, 0), "path", ""), file);
        assert_int_equal(cw_map_int(cw_array_at(files, 0), "added", -1), added);
        assert_int_equal(cw_map_int(commit, "file_count", 0),
                         main ? 1 : (int64_t)c->sources + 1); /* + README.md */
        if (main) {
            assert_int_equal(added, lines - c->main_v1_lines);
        } else {
            assert_int_equal(cw_map_int(t, "start_line", 0), 1);
            assert_int_equal(cw_map_int(t, "end_line", 0), added);
        }
        double expect =
            fmin(strlen(diff) / 1000.0, 1) * 40 + 30 + (main ? 0 : 10) + fmin(added / 20.0, 1) * 20;
        assert_true(strlen(diff) < 5000);
        assert_true(fabs(cw_score_evolution((long long)strlen(diff), !main, added) - expect) <
                    1e-9);
        if (fabs(cw_map_float(t, "score", 0) - expect) > 1e-9)
            fail_msg("%s: %s evolution score %f, expected %f", c->lang, file,
                     cw_map_float(t, "score", 0), expect);
    }
    assert_non_null(test_find_target(arr, c->main, NULL));
    cw_value_destroy(&arr);
}

static void s_check_case(const s_case_t *c)
{
    char repo[PATH_MAX];
    s_make_repo(c, repo, sizeof repo);
    if (getenv("CW_KINDS_DUMP")) {
        static const char *const kinds[] = {"function_doc",     "class_doc",      "file_doc",
                                            "pattern_analysis", "code_evolution", NULL};
        for (const char *const *k = kinds; *k; k++) {
            cw_value_t *arr = s_run(*k, repo, c->lang);
            cw_value_destroy(&arr);
        }
    }
    s_check_functions(c, repo);
    s_check_classes(c, repo);
    s_check_file(c, repo);
    s_check_patterns(c, repo);
    s_check_evolution(c, repo);
}

static void test_python(void **state)
{
    (void)state;
    s_check_case(&s_python);
}

static void test_javascript(void **state)
{
    (void)state;
    s_check_case(&s_javascript);
}

static void test_typescript(void **state)
{
    (void)state;
    s_check_case(&s_typescript);
}

static void test_tsx(void **state)
{
    (void)state;
    s_check_case(&s_tsx);
}

static void test_go(void **state)
{
    (void)state;
    s_check_case(&s_go);
}

static void test_rust(void **state)
{
    (void)state;
    s_check_case(&s_rust);
}

static void test_c(void **state)
{
    (void)state;
    s_check_case(&s_c);
}

static void test_cpp(void **state)
{
    (void)state;
    s_check_case(&s_cpp);
}

/* ------------------------------------------------------------------ indicators in code only */

typedef struct {
    const char *path;  /* a name with the language's extension */
    const char *quiet; /* observer indicators in comments and strings only */
    const char *loud;  /* ... and in code (after a comment that names one too) */
    uint16_t loud_mask;
} s_scan_case_t;

/* observer indicators: subscribe 1, notify 2, on_event 4, emit 8, listener 16 */
static const s_scan_case_t s_scan_cases[] = {
    {"x.py",
     "# subscribe() and notify() are described in the docs\n"
     "\"\"\"The listener gets an emit.\"\"\"\nMESSAGE = 'subscribe to notify'\n"
     "LABEL = f\"{MESSAGE} listener\"\n",
     "# notify first\ndef subscribe(listener):\n    listener.notify()\n", 1 | 2 | 16},
    {"x.js",
     "// subscribe and notify\n/* listener */\nconst s = 'subscribe notify listener';\n"
     "const t = `emit ${s}`;\nconst r = /notify|emit/;\n",
     "// notify\nbus.subscribe(listener);\nbus.notify();\n", 1 | 2 | 16},
    {"x.ts", "// subscribe\nconst a: string = \"notify listener\";\ntype T = 'emit';\n",
     "/** notify */\nfunction subscribe(listener: () => void): void {\n  notify(listener);\n}\n",
     1 | 2 | 16},
    {"x.tsx", "const el = <p title=\"notify\">subscribe and notify every listener</p>;\n// emit\n",
     "// listener\nconst el = <Button onClick={() => subscribe(listener)} />;\n", 1 | 16},
    {"x.go", "package p\n\n// subscribe\nvar s = \"notify\"\nvar r = `listener`\n/* emit */\n",
     "package p\n\n// notify\nfunc f() {\n\tsubscribe(listener)\n\tnotify()\n}\n", 1 | 2 | 16},
    {"x.rs",
     "// subscribe\n/// notify\n/* listener */\nconst S: &str = \"subscribe notify\";\n"
     "fn f() {\n    println!(\"listener {}\", r#\"emit\"#);\n}\n",
     "// notify\nfn f(listener: L) {\n    subscribe(listener);\n    notify();\n}\n", 1 | 2 | 16},
    {"x.c",
     "/* subscribe */\n// notify\n#include \"listener.h\"\nstatic const char *s = \"emit\";\n",
     "/* notify */\nvoid f(void)\n{\n    subscribe(listener);\n    notify();\n}\n", 1 | 2 | 16},
    {"x.cpp", "// subscribe\nauto s = R\"(notify listener)\";\nchar c = 'e';\n",
     "// notify\nvoid f()\n{\n    bus.subscribe(listener);\n    bus.notify();\n}\n", 1 | 2 | 16},
};

static void s_scan(const char *path, const char *src, size_t len, uint16_t raw[CW_PATTERN_COUNT],
                   uint16_t code[CW_PATTERN_COUNT])
{
    const cw_lang_t *lang = cw_lang_for_path(path);
    assert_non_null(lang);
    TSParser *parser = ts_parser_new();
    TSTree *tree = cw_extract_parse(parser, lang, src, len);
    assert_non_null(tree);
    cw_pattern_scan(src, len, raw);
    cw_pattern_scan_code(lang, tree, src, len, code);
    ts_tree_delete(tree);
    ts_parser_delete(parser);
}

static void test_indicators_in_code_only(void **state)
{
    (void)state;
    assert_string_equal(cw_pattern_name(2), "observer");
    for (size_t i = 0; i < sizeof s_scan_cases / sizeof s_scan_cases[0]; i++) {
        const s_scan_case_t *c = &s_scan_cases[i];
        uint16_t raw[CW_PATTERN_COUNT], code[CW_PATTERN_COUNT];
        s_scan(c->path, c->quiet, strlen(c->quiet), raw, code);
        /* the text has them, the code does not */
        if (__builtin_popcount(raw[2]) < 3 || code[2] != 0)
            fail_msg("%s quiet: observer raw %#x, in code %#x", c->path, raw[2], code[2]);
        s_scan(c->path, c->loud, strlen(c->loud), raw, code);
        if (code[2] != c->loud_mask)
            fail_msg("%s loud: observer in code %#x, expected %#x", c->path, code[2], c->loud_mask);
        /* without a tree: the text as it is */
        uint16_t plain[CW_PATTERN_COUNT];
        cw_pattern_scan_code(cw_lang_for_path(c->path), NULL, c->quiet, strlen(c->quiet), plain);
        s_scan(c->path, c->quiet, strlen(c->quiet), raw, code);
        assert_memory_equal(plain, raw, sizeof plain);
    }
    /* the fixtures' quiet files would be patterns if their text counted */
    static const char *const quiet[] = {"python/newsletter.py", "javascript/messages.js",
                                        "c/usage.c", NULL};
    for (const char *const *q = quiet; *q; q++) {
        size_t len;
        char *text = test_read(s_fixtures, *q, &len);
        uint16_t raw[CW_PATTERN_COUNT], code[CW_PATTERN_COUNT];
        s_scan(*q, text, len, raw, code);
        int raw_best = 0, code_best = 0;
        for (int p = 0; p < CW_PATTERN_COUNT; p++) {
            raw_best =
                __builtin_popcount(raw[p]) > raw_best ? __builtin_popcount(raw[p]) : raw_best;
            code_best =
                __builtin_popcount(code[p]) > code_best ? __builtin_popcount(code[p]) : code_best;
        }
        if (raw_best < 2 || code_best >= 2)
            fail_msg("%s: best pattern %d indicators in the text, %d in code", *q, raw_best,
                     code_best);
        free(text);
    }
    /* the analyzer's own indicator table is string literals, not an observer */
    const char *src = getenv("CW_SOURCE_DIR");
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/services/analyzer", src ? src : "../..");
    size_t len;
    char *text = test_read(dir, "cw_index.c", &len);
    uint16_t raw[CW_PATTERN_COUNT], code[CW_PATTERN_COUNT];
    s_scan("cw_index.c", text, len, raw, code);
    assert_true(__builtin_popcount(raw[2]) >= 2);
    for (int p = 0; p < CW_PATTERN_COUNT; p++)
        if (__builtin_popcount(code[p]) >= 2)
            fail_msg("cw_index.c: %s pattern in code (%#x)", cw_pattern_name(p), code[p]);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_python),
        cmocka_unit_test(test_javascript),
        cmocka_unit_test(test_typescript),
        cmocka_unit_test(test_tsx),
        cmocka_unit_test(test_go),
        cmocka_unit_test(test_rust),
        cmocka_unit_test(test_c),
        cmocka_unit_test(test_cpp),
        cmocka_unit_test(test_indicators_in_code_only),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
