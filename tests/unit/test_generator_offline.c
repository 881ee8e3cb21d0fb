/*  test_generator_offline — the offline backend (a renderer of the target's facts) and the
    generator's request handling without a network.

    Every document goes through s_doc(), which checks what every offline document must be:
    deterministic; independent of the target's `context` (the analyzer's prose) and of its
    source (both replaced by nonsense: the same bytes come out, and the same LLM prompt);
    balanced code fences; unchanged by the documentation cleaner; no top-level heading; the
    offline note last. */
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
#include "cw_prompts.h"
#include "cw_proto.h"
#include "cw_value.h"

#define NOTE                                                                                       \
    "\n\n_Written without an LLM (offline backend): facts the analyzer read from the code, "       \
    "nothing more._\n"

/* ------------------------------------------------------------------ builders */

static cw_value_t *s_strs(const char *const *items)
{
    cw_value_t *a = cw_value_new_array();
    for (size_t i = 0; items[i]; i++)
        cw_array_push_str(a, items[i]);
    return a;
}

static cw_value_t *s_param(const char *name, const char *type, const char *dflt)
{
    cw_value_t *p = cw_value_new_map();
    cw_map_set_str(p, "name", name);
    if (type)
        cw_map_set_str(p, "type", type);
    if (dflt)
        cw_map_set_str(p, "default", dflt);
    return p;
}

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

static cw_value_t *s_kind_target(const char *doc_type, const char *file, const char *language,
                                 const char *name, long start, long end)
{
    cw_value_t *t = cw_value_new_map();
    cw_map_set_str(t, "doc_type", doc_type);
    cw_map_set_str(t, "repo", "demo");
    cw_map_set_str(t, "file", file);
    cw_map_set_str(t, "language", language);
    cw_map_set_str(t, "name", name);
    cw_map_set_int(t, "start_line", start);
    cw_map_set_int(t, "end_line", end);
    cw_map_set_float(t, "complexity", 0);
    cw_map_set_float(t, "score", 50);
    cw_map_set_str(t, "source", "(the source: the offline backend never reads it)\n");
    cw_map_set_str(t, "code_hash", "00");
    return t;
}

/* A method with every function fact. */
static cw_value_t *s_function(const char *doc_type)
{
    cw_value_t *t = s_kind_target(doc_type, "pkg/parser.py", "python", "parse", 10, 30);
    cw_map_set_str(t, "class", "Parser");
    cw_map_set_str(t, "kind", "method");
    cw_map_set_float(t, "complexity", 7);
    cw_map_set_int(t, "nloc", 18);
    cw_map_set_int(t, "params", 3);
    cw_map_set_int(t, "nesting", 3);
    cw_map_set_str(t, "docstring",
                   "  Parse the text into tokens. Second sentence here.\n\nArgs:\n  text: input");
    cw_map_set_str(t, "signature", "def parse(self, text: str, limit: int = 10) -> dict:");
    cw_value_t *params = cw_value_new_array();
    cw_array_push(params, s_param("self", NULL, NULL));
    cw_array_push(params, s_param("text", "str", NULL));
    cw_array_push(params, s_param("limit", "int", "10"));
    cw_map_set(t, "parameters", params);
    cw_map_set_str(t, "return_type", "dict");
    const char *calls[] = {"tokenize", "re.split", NULL};
    cw_map_set(t, "calls", s_strs(calls));
    cw_value_t *body = cw_value_new_map();
    cw_map_set_int(body, "loops", 2);
    cw_map_set_int(body, "loop_depth", 2);
    cw_map_set_int(body, "returns", 1);
    cw_map_set_int(body, "raises", 1);
    cw_map_set(t, "body", body);
    return t;
}

/* Whether a line of the document outside fenced code starts with `prefix`. */
static bool s_line_starts(const char *doc, const char *prefix)
{
    char fence[32] = "";
    for (const char *l = doc; l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        size_t ticks = strspn(l, "`");
        if (ticks >= 3 && ticks < sizeof fence) {
            if (!*fence) {
                memcpy(fence, l, ticks);
                fence[ticks] = '\0';
            } else if (ticks == strlen(fence)) {
                fence[0] = '\0';
            }
            continue;
        }
        if (!*fence && strncmp(l, prefix, strlen(prefix)) == 0)
            return true;
    }
    return false;
}

/* The fence lines (an opening run of 3+ backticks and the same run closing it); -1 when a
   fence is left open. */
static int s_fences(const char *doc)
{
    char fence[32] = "";
    int fences = 0;
    for (const char *l = doc; l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        size_t ticks = strspn(l, "`");
        if (ticks < 3 || ticks >= sizeof fence)
            continue;
        if (!*fence) {
            memcpy(fence, l, ticks);
            fence[ticks] = '\0';
            fences++;
        } else if (ticks == strlen(fence) && (l[ticks] == '\n' || !l[ticks])) {
            fence[0] = '\0';
            fences++;
        }
    }
    return *fence ? -1 : fences;
}

static char *s_render(const cw_value_t *tv, char **prompt)
{
    cw_gen_target_t t;
    char err[128];
    assert_int_equal(cw_gen_target_from_value(tv, &t, err, sizeof(err)), 0);
    char *doc = cw_offline_document(&t);
    assert_non_null(doc);
    if (prompt) {
        cw_prompts_t *p = cw_prompts_new(NULL);
        char name[600];
        cw_gen_display_name(&t, name, sizeof name);
        cw_prompt_vars_t v = {.language = t.language,
                              .source = "SOURCE",
                              .name = name,
                              .file_path = t.file,
                              .repo = t.repo,
                              .complexity = t.complexity,
                              .line_count = t.end_line - t.start_line + 1,
                              .target = &t};
        *prompt = cw_prompts_document(p, t.doc_type, &v);
        assert_non_null(*prompt);
        cw_prompts_destroy(&p);
    }
    cw_gen_target_free(&t);
    return doc;
}

/* The document for a target map, with the checks every document passes (see the top). */
static char *s_doc(cw_value_t *tv)
{
    char *prompt = NULL;
    char *doc = s_render(tv, &prompt);
    if (getenv("OFFLINE_DUMP"))
        fprintf(stderr, "----\n%s", doc);
    /* deterministic */
    char *again = s_render(tv, NULL);
    assert_string_equal(doc, again);
    free(again);
    /* no program reads the context, nor (offline) the source: change every sentence */
    cw_value_t *other = cw_value_clone(tv);
    cw_map_set_str(other, "context",
                   "Nonsense. A struct `Zzz` of 695 lines with 99 methods; it has a docstring. "
                   "Likely singleton pattern: `_instance`.\nCommit deadbee by Nobody: Nothing\n"
                   "File: x.c (new file, +1 -1 lines)");
    cw_map_set_str(other, "source",
                   "\"\"\"A docstring that only the source has.\"\"\"\n"
                   "import secret_module\nclass Hidden:\n    pass\n");
    char *prompt2 = NULL;
    char *changed = s_render(other, &prompt2);
    assert_string_equal(doc, changed);
    char *want = strstr(prompt, "SOURCE");
    assert_non_null(want);
    assert_string_equal(prompt, prompt2);
    free(changed);
    free(prompt2);
    cw_map_set(other, "context", cw_value_new_nil());
    changed = s_render(other, NULL);
    assert_string_equal(doc, changed);
    free(changed);
    cw_value_destroy(&other);
    free(prompt);
    /* the shape of every document */
    assert_true(s_fences(doc) >= 0 && s_fences(doc) % 2 == 0);
    size_t dl = strlen(doc), nl = strlen(NOTE);
    assert_true(dl > nl);
    assert_string_equal(doc + dl - nl, NOTE);
    assert_false(s_line_starts(doc, "# ")); /* no top-level heading */
    assert_true(strncmp(doc, "### ", 4) == 0);
    char *clean = cw_clean_documentation(doc);
    char *trimmed = strdup(doc);
    trimmed[dl - 1] = '\0';
    assert_string_equal(clean, trimmed);
    free(clean);
    free(trimmed);
    return doc;
}

static bool s_has(const char *doc, const char *want)
{
    if (strstr(doc, want))
        return true;
    fprintf(stderr, "missing: \"%s\"\nin:\n%s\n", want, doc);
    return false;
}

/* ------------------------------------------------------------------ functions */

static void test_offline_function_doc(void **state)
{
    (void)state;
    cw_value_t *tv = s_function("function_doc");
    char *doc = s_doc(tv);
    /* the docstring's first paragraph, not its parameter section */
    assert_true(s_has(doc, "### Purpose\n\nParse the text into tokens. Second sentence here.\n"));
    assert_null(strstr(doc, "Args:"));
    /* where, with the header's line range */
    assert_true(s_has(doc, "`Parser.parse` is a Python method of `Parser` in `pkg/parser.py` "
                           "(lines 10-30) of the demo repository."));
    assert_true(s_has(doc, "```python\ndef parse(self, text: str, limit: int = 10) -> dict:\n```"));
    assert_true(s_has(doc, "It takes 2 arguments besides `self`:\n\n- `text`: `str`\n- `limit`: "
                           "`int`, default `10`"));
    assert_true(s_has(doc, "It returns `dict`."));
    assert_true(s_has(doc, "It calls `tokenize` and `re.split`."));
    assert_true(s_has(doc, "Its body has 2 loops (nested 2 deep), 1 `return` and 1 place that "
                           "raises an error."));
    assert_true(s_has(doc, "Its cyclomatic complexity is 7.0 over 18 lines of code, with blocks "
                           "nested 3 deep."));
    assert_true(s_has(doc, "- Loops nested 2 deep"));
    assert_true(s_has(doc, "- It can raise an error in 1 place"));
    /* it has a docstring: nothing says otherwise */
    assert_null(strstr(doc, "no docstring"));
    free(doc);

    cw_gen_target_t t;
    char err[128];
    assert_int_equal(cw_gen_target_from_value(tv, &t, err, sizeof(err)), 0);
    char *msg = cw_offline_commit_message(&t);
    assert_non_null(strstr(msg, "Parser.parse"));
    assert_true(cw_utf8_chars(msg) <= 72);
    free(msg);
    cw_gen_target_free(&t);
    cw_value_destroy(&tv);
}

static void test_offline_without_docstring(void **state)
{
    (void)state;
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
                         .nesting = -1,
                         .bytes = -1};
    char name[64];
    cw_gen_display_name(&t, name, sizeof(name));
    assert_string_equal(name, "Cache");
    char *doc = cw_offline_document(&t);
    assert_true(s_has(doc, "### Purpose\n\n`Cache` has no doc comment, so its members"));
    assert_true(s_has(doc, "`Cache` is a Rust class in `src/a.rs` (line 1) of the r repository. "
                           "It has 0 methods."));
    assert_true(s_has(doc, "It has no methods: it is data"));
    assert_null(strstr(doc, "```"));
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

/* ------------------------------------------------------------------ every kind */

static void test_offline_file_doc(void **state)
{
    (void)state;
    cw_value_t *tv = s_kind_target("file_doc", "src/ring.c", "c", "ring", 1, 340);
    cw_map_set_str(tv, "kind", "file");
    cw_map_set_int(tv, "bytes", 9000);
    cw_map_set_bool(tv, "source_cut", true);
    cw_map_set_str(tv, "docstring",
                   "ring — a fixed-size ring buffer of bytes. Not thread-safe.\n"
                   "Second line of the header.\n\nAnother paragraph.");
    const char *imports[] = {"\"ring.h\"", "<stdio.h>", "<string.h>", NULL};
    cw_map_set(tv, "imports", s_strs(imports));
    cw_value_t *defs = cw_value_new_array();
    cw_array_push(defs, s_member("ring_s", "struct", 11, "typedef struct ring_s"));
    cw_array_push(defs, s_member("point", "struct", 16, "struct point"));
    cw_array_push(defs,
                  s_member("s_grow", "function", 23, "static int s_grow(ring_t *r, size_t n)"));
    cw_array_push(defs, s_member("ring_push", "function", 31, "int ring_push(ring_t *r, char c)"));
    cw_array_push(defs, s_member("s_prototype", "prototype", 20, "static int s_prototype(int a)"));
    cw_array_push(defs, s_member("property", "property", 40, NULL));
    cw_array_push(defs, s_member("other", "property", 41, NULL));
    cw_map_set(tv, "definitions", defs);
    char *doc = s_doc(tv);
    assert_true(s_has(doc, "### Purpose\n\nring — a fixed-size ring buffer of bytes. Not "
                           "thread-safe. Second line of the header.\n"));
    assert_null(strstr(doc, "Another paragraph"));
    assert_true(s_has(doc, "`src/ring.c`, in the demo repository, is a C file of 340 lines (9000 "
                           "bytes). At its top level it defines 2 structs, 2 functions, 1 "
                           "prototype and 2 properties, and it includes 3 headers. The source "
                           "above shows only the beginning of the file."));
    assert_true(s_has(doc, "### Definitions\n\n- `ring_s` (struct, line 11): `typedef struct "
                           "ring_s`\n- `point` (struct, line 16): `struct point`\n"));
    assert_true(s_has(doc, "- `property` (property, line 40)\n"));
    assert_true(s_has(doc, "The file includes `\"ring.h\"`, `<stdio.h>` and `<string.h>`. 1 of "
                           "them belong"));
    assert_null(strstr(doc, "Cyclomatic"));
    assert_null(strstr(doc, "no leading doc comment"));
    free(doc);
    cw_value_destroy(&tv);

    /* no doc comment, nothing defined, nothing imported: said so, nothing invented */
    tv = s_kind_target("file_doc", "pkg/empty.py", "python", "empty", 1, 2);
    doc = s_doc(tv);
    assert_true(s_has(doc, "`empty.py` has no leading doc comment"));
    assert_true(s_has(doc, "It has no top-level definitions."));
    assert_true(s_has(doc, "The file imports nothing."));
    assert_true(s_has(doc, "- It has no leading doc comment"));
    free(doc);
    cw_value_destroy(&tv);
}

static void test_offline_class_doc(void **state)
{
    (void)state;
    cw_value_t *tv = s_kind_target("class_doc", "ledger.go", "go", "Ledger", 15, 30);
    cw_map_set_str(tv, "kind", "struct");
    cw_map_set_float(tv, "complexity", 14);
    cw_map_set_str(tv, "docstring", "Ledger keeps balances in cents.");
    cw_value_t *members = cw_value_new_array();
    cw_array_push(members, s_member("mu", "field", 16, "mu sync.Mutex"));
    cw_array_push(members, s_member("balances", "field", 19, "balances map[string]int64"));
    cw_array_push(members, s_member("Post", "method", 46, "func (l *Ledger) Post(a string) error"));
    cw_array_push(members, s_member("balance", "method", 66, "func (l *Ledger) balance() int64"));
    cw_map_set(tv, "members", members);
    char *doc = s_doc(tv);
    assert_true(s_has(doc, "### Purpose\n\nLedger keeps balances in cents.\n"));
    /* the counts are the members listed */
    assert_true(s_has(doc, "`Ledger` is a Go struct in `ledger.go` (lines 15-30) of the demo "
                           "repository. It has 2 methods and 2 fields. All its methods are "
                           "written after the struct (Go receiver methods)"));
    assert_true(s_has(doc, "- `Post` (method, line 46): `func (l *Ledger) Post(a string) error`"));
    /* exported (capitalised) methods are its interface */
    assert_true(s_has(doc, "Callers use it through its method `Post`."));
    assert_true(s_has(doc, "- Its methods' cyclomatic complexity adds up to 14.0."));
    assert_null(strstr(doc, "no doc comment"));
    free(doc);
    cw_value_destroy(&tv);

    /* the source was cut: said so */
    tv = s_kind_target("class_doc", "big.go", "go", "Big", 4, 6);
    cw_map_set_bool(tv, "source_cut", true);
    doc = s_doc(tv);
    assert_true(s_has(doc, "The source above is cut"));
    assert_true(s_has(doc, "- It has no doc comment"));
    free(doc);
    cw_value_destroy(&tv);
}

static void test_offline_module_doc(void **state)
{
    (void)state;
    cw_value_t *tv = s_kind_target("module_doc", "pkg/shapes", "python", "shapes", 1, 12);
    cw_map_set_str(tv, "kind", "module");
    cw_map_set_str(tv, "docstring", "Shapes and their registry.");
    cw_value_t *module = cw_value_new_map(), *files = cw_value_new_array();
    const char *paths[] = {"pkg/shapes/__init__.py", "pkg/shapes/base.py", "pkg/shapes/reg.py"};
    long lines[] = {12, 80, 20};
    for (int i = 0; i < 3; i++) {
        cw_value_t *f = cw_value_new_map();
        cw_map_set_str(f, "path", paths[i]);
        cw_map_set_int(f, "lines", lines[i]);
        cw_map_set_int(f, "functions", i);
        cw_map_set_int(f, "classes", 1);
        cw_array_push(files, f);
    }
    cw_map_set_str(module, "kind", "package");
    cw_map_set_str(module, "index_file", "pkg/shapes/__init__.py");
    cw_map_set_int(module, "file_count", 3);
    cw_map_set(module, "files", files);
    cw_map_set(tv, "module", module);
    const char *imports[] = {".base", ".reg", NULL};
    cw_map_set(tv, "imports", s_strs(imports));
    char *doc = s_doc(tv);
    assert_true(s_has(doc, "### Purpose\n\nShapes and their registry.\n"));
    assert_true(s_has(doc, "`shapes` is a Python package in `pkg/shapes` of the demo repository "
                           "with 3 files. Together they have 112 lines, 3 functions and 3 "
                           "classes and types. Its index file is `pkg/shapes/__init__.py`, 12 "
                           "lines (lines 1-12)."));
    assert_true(s_has(doc, "- `base.py`: 80 lines, 1 function, 1 class or type"));
    assert_true(s_has(doc, "What the index file `__init__.py` brings in: `.base` and `.reg`."));
    assert_true(s_has(doc, "- `base.py` holds 80 of its 112 lines"));
    free(doc);
    cw_value_destroy(&tv);
}

static void test_offline_code_evolution(void **state)
{
    (void)state;
    cw_value_t *tv = s_kind_target("code_evolution", "src/p.c", "c", "p@abc1234", 1, 28);
    cw_map_set_str(tv, "kind", "change");
    cw_map_set_bool(tv, "source_cut", true);
    cw_value_t *commit = cw_value_new_map(), *files = cw_value_new_array();
    const char *paths[] = {"src/p.c", "src/q.c"};
    for (int i = 0; i < 2; i++) {
        cw_value_t *f = cw_value_new_map();
        cw_map_set_str(f, "path", paths[i]);
        cw_map_set_str(f, "status", "modified");
        cw_map_set_int(f, "added", 5 - 2 * i);
        cw_map_set_int(f, "deleted", 2);
        cw_array_push(files, f);
    }
    cw_map_set_str(commit, "hash", "abc1234def5678abc1234def5678abc1234def56");
    cw_map_set_str(commit, "author", "Jane Doe");
    cw_map_set_str(commit, "date", "2024-03-05T10:11:12Z");
    cw_map_set_str(commit, "subject", "Parse lines one at a time");
    cw_map_set_int(commit, "file_count", 2);
    cw_map_set(commit, "files", files);
    cw_map_set(tv, "commit", commit);
    cw_value_t *change = cw_value_new_map(), *hunks = cw_value_new_array();
    long h[2][4] = {{1, 3, 1, 4}, {20, 2, 21, 8}};
    for (int i = 0; i < 2; i++) {
        cw_value_t *x = cw_value_new_map();
        cw_map_set_int(x, "old_start", h[i][0]);
        cw_map_set_int(x, "old_lines", h[i][1]);
        cw_map_set_int(x, "new_start", h[i][2]);
        cw_map_set_int(x, "new_lines", h[i][3]);
        if (i)
            cw_map_set_str(x, "section", "int main(void)");
        cw_array_push(hunks, x);
    }
    cw_map_set_str(change, "status", "modified");
    cw_map_set_int(change, "added", 5);
    cw_map_set_int(change, "deleted", 2);
    cw_map_set(change, "hunks", hunks);
    cw_map_set(tv, "change", change);
    char *doc = s_doc(tv);
    assert_true(s_has(doc,
                      "### Change\n\nParse lines one at a time\n\nCommit `abc1234` by Jane Doe "
                      "on 2024-03-05 changed `src/p.c` in the demo repository: +5 -2 lines in "
                      "2 hunks shown, within lines 1-28 of the new version. The diff above is "
                      "cut at a line boundary"));
    assert_true(s_has(doc, "### Where\n\n- lines 1-4 (were 1-3)\n- lines 21-28 (were 20-21), in "
                           "`int main(void)`"));
    assert_true(s_has(doc, "The commit changed 2 files in all:\n\n- `src/q.c` (modified, +3 -2)"));
    assert_true(s_has(doc, "Nothing stands out: a small, contained change."));
    assert_null(strstr(doc, "Cyclomatic"));
    free(doc);

    cw_gen_target_t t;
    char err[128];
    assert_int_equal(cw_gen_target_from_value(tv, &t, err, sizeof(err)), 0);
    char *msg = cw_offline_commit_message(&t);
    assert_non_null(strstr(msg, "abc1234"));
    assert_non_null(strstr(msg, "p.c"));
    free(msg);
    cw_gen_target_free(&t);
    cw_value_destroy(&tv);
}

static void test_offline_pattern_analysis(void **state)
{
    (void)state;
    cw_value_t *tv = s_kind_target("pattern_analysis", "ui/events.py", "python", "events", 1, 9);
    cw_map_set_str(tv, "docstring", "Events for widgets.");
    cw_value_t *patterns = cw_value_new_array(), *p = cw_value_new_map();
    const char *obs[] = {"subscribe", "notify", NULL};
    cw_map_set_str(p, "name", "observer");
    cw_map_set(p, "indicators", s_strs(obs));
    cw_array_push(patterns, p);
    p = cw_value_new_map();
    const char *fac[] = {"create_", "factory", NULL};
    cw_map_set_str(p, "name", "factory");
    cw_map_set(p, "indicators", s_strs(fac));
    cw_array_push(patterns, p);
    cw_map_set(tv, "patterns", patterns);
    cw_value_t *defs = cw_value_new_array();
    cw_array_push(defs, s_member("Bus", "class", 3, "class Bus"));
    cw_array_push(defs, s_member("subscribe_all", "function", 8, "def subscribe_all(bus)"));
    cw_map_set(tv, "definitions", defs);
    char *doc = s_doc(tv);
    assert_true(s_has(doc, "### Purpose\n\nEvents for widgets.\n"));
    assert_true(s_has(doc, "`ui/events.py` (9 lines) in the demo repository shows signs of the "
                           "observer "
                           "pattern (listeners that subscribe to events and are notified when "
                           "they happen): its code contains `subscribe` and `notify`. Comments "
                           "and strings were not counted."));
    assert_true(s_has(doc, "It also shows signs of:\n\n- factory: `create_` and `factory`"));
    assert_true(s_has(doc, "Where to look first: `subscribe_all` (function, line 8)."));
    assert_true(s_has(doc, "not proof"));
    free(doc);

    cw_gen_target_t t;
    char err[128];
    assert_int_equal(cw_gen_target_from_value(tv, &t, err, sizeof(err)), 0);
    char *msg = cw_offline_commit_message(&t);
    assert_non_null(strstr(msg, "observer"));
    free(msg);
    cw_gen_target_free(&t);
    cw_value_destroy(&tv);
}

static cw_value_t *s_c_function(const char *doc_type, const char *const *calls)
{
    cw_value_t *t = s_kind_target(doc_type, "src/f.c", "c", "save", 100, 120);
    cw_map_set_str(t, "kind", "function");
    cw_map_set_float(t, "complexity", 4);
    cw_map_set_int(t, "nloc", 18);
    cw_map_set_int(t, "nesting", 2);
    cw_value_t *params = cw_value_new_array();
    cw_array_push(params, s_param("path", "const char *", NULL));
    cw_array_push(params, s_param("name", "const char *", NULL));
    cw_map_set(t, "parameters", params);
    cw_map_set_str(t, "return_type", "int");
    cw_map_set(t, "calls", s_strs(calls));
    return t;
}

static void test_offline_security_review(void **state)
{
    (void)state;
    const char *calls[] = {"strcpy", "fopen", "system", "x.system", NULL};
    cw_value_t *tv = s_c_function("security_review", calls);
    char *doc = s_doc(tv);
    /* the function facts stay */
    assert_true(s_has(doc, "It takes 2 arguments:\n\n- `path`: `const char *`"));
    assert_true(s_has(doc, "### Security review\n\n`save` makes calls that commonly need a "
                           "second look:\n\n- `strcpy` copies without a bound"));
    assert_true(s_has(doc, "- `system` runs a shell command"));
    assert_true(s_has(doc, "Its input comes through 2 arguments (`path` and `name`)"));
    assert_true(s_has(doc, "not a full review"));
    /* `system` is matched as a whole name only */
    assert_null(strstr(strstr(doc, "### Security review"), "- `x.system`"));
    free(doc);
    cw_value_destroy(&tv);

    /* nothing sensitive: said so */
    const char *calls2[] = {"strlen", NULL};
    tv = s_c_function("security_review", calls2);
    doc = s_doc(tv);
    assert_true(s_has(doc, "`save` makes 1 call, none of them on the usual list"));
    free(doc);
    cw_value_destroy(&tv);

    /* python: deserialisation, a process, SQL, matched at the end of dotted names */
    cw_value_t *py = s_function("security_review");
    const char *pcalls[] = {"pickle.loads", "subprocess.run", "self.db.execute", "executor", NULL};
    cw_map_set(py, "calls", s_strs(pcalls));
    doc = s_doc(py);
    assert_true(s_has(doc, "- `pickle.loads` turns bytes into live objects"));
    assert_true(s_has(doc, "- `subprocess.run` starts another program"));
    assert_true(s_has(doc, "- `self.db.execute` runs SQL"));
    assert_null(strstr(strstr(doc, "### Security review"), "- `executor`"));
    free(doc);
    cw_value_destroy(&py);
}

static void test_offline_performance_and_til(void **state)
{
    (void)state;
    const char *calls[] = {"malloc", "walk", "free", "qsort", NULL};
    cw_value_t *tv = s_c_function("performance_analysis", calls);
    cw_map_set_str(tv, "name", "walk");
    cw_value_t *body = cw_value_new_map();
    cw_map_set_int(body, "loops", 3);
    cw_map_set_int(body, "loop_depth", 2);
    cw_map_set(tv, "body", body);
    char *doc = s_doc(tv);
    assert_true(s_has(doc, "### Performance\n\n`walk` has 3 loops, nested up to 2 deep"));
    assert_true(s_has(doc, "- Allocation and growth: `malloc`"));
    assert_true(s_has(doc, "- Sorting: `qsort`"));
    assert_true(s_has(doc, "- It calls itself"));
    assert_true(s_has(doc, "not measurements"));
    free(doc);
    cw_value_destroy(&tv);

    tv = s_c_function("til", calls);
    cw_map_set_str(tv, "name", "walk");
    doc = s_doc(tv);
    assert_true(s_has(doc, "### Today I learned\n\nReading `walk`, I noticed it calls itself"));
    assert_null(strstr(doc, "### Performance"));
    assert_null(strstr(doc, "### Security review"));
    free(doc);
    cw_gen_target_t t;
    char err[128];
    assert_int_equal(cw_gen_target_from_value(tv, &t, err, sizeof(err)), 0);
    char *msg = cw_offline_commit_message(&t);
    assert_non_null(strstr(msg, "recursion"));
    free(msg);
    cw_gen_target_free(&t);
    cw_value_destroy(&tv);

    /* no recursion: the decorator is the notable fact */
    const char *none[] = {NULL};
    tv = s_c_function("til", none);
    cw_map_set_str(tv, "language", "python");
    const char *decos[] = {"@app.route('/x')", "@login_required", NULL};
    cw_map_set(tv, "decorators", s_strs(decos));
    doc = s_doc(tv);
    assert_true(s_has(doc, "I noticed the decorator `@app.route('/x')`"));
    assert_true(s_has(doc, "It is decorated with `@app.route('/x')` and `@login_required`."));
    free(doc);
    cw_value_destroy(&tv);

    /* no loops, nothing costly */
    tv = s_c_function("performance_analysis", none);
    body = cw_value_new_map();
    cw_map_set(tv, "body", body);
    doc = s_doc(tv);
    assert_true(s_has(doc, "`save` has no loops"));
    assert_true(s_has(doc, "None of the calls it makes allocates"));
    assert_null(strstr(doc, "recursion"));
    free(doc);
    cw_value_destroy(&tv);
}

/* Offline commit messages: a verb first, the thing documented, at most 72 characters, and
   worded by doc type and target (issue 8). */
static void test_offline_commit_messages(void **state)
{
    (void)state;
    static const char *const types[] = {"function_doc",
                                        "class_doc",
                                        "file_doc",
                                        "module_doc",
                                        "security_review",
                                        "performance_analysis",
                                        "til",
                                        "code_evolution",
                                        "pattern_analysis",
                                        "weekly_summary",
                                        "monthly_summary",
                                        NULL};
    static const char *const verbs[] = {"Document",  "Describe", "Explain", "Add",    "Write",
                                        "Summarize", "Map",      "Review",  "Check",  "Analyze",
                                        "Look",      "Note",     "Share",   "Record", NULL};
    char seen[64][128];
    size_t distinct = 0;
    for (size_t k = 0; types[k]; k++) {
        for (int i = 0; i < 6; i++) {
            char name[32], file[64];
            snprintf(name, sizeof name, "thing_%d", i);
            snprintf(file, sizeof file, "src/module_%d.py", i);
            cw_value_t *tv = s_kind_target(types[k], file, "python", name, 1, 20);
            cw_gen_target_t t;
            char err[128];
            assert_int_equal(cw_gen_target_from_value(tv, &t, err, sizeof(err)), 0);
            char *msg = cw_offline_commit_message(&t);
            assert_non_null(msg);
            assert_true(cw_utf8_chars(msg) <= 72);
            assert_null(strchr(msg, '\n'));
            bool verb = false;
            for (size_t v = 0; verbs[v] && !verb; v++)
                verb =
                    strncmp(msg, verbs[v], strlen(verbs[v])) == 0 && msg[strlen(verbs[v])] == ' ';
            if (!verb)
                fail_msg("\"%s\" does not start with a verb", msg);
            /* deterministic */
            char *again = cw_offline_commit_message(&t);
            assert_string_equal(msg, again);
            free(again);
            bool dup = false;
            for (size_t d = 0; d < distinct && !dup; d++)
                dup = strcmp(seen[d], msg) == 0;
            if (!dup && distinct < 64)
                snprintf(seen[distinct++], sizeof seen[0], "%s", msg);
            free(msg);
            cw_gen_target_free(&t);
            cw_value_destroy(&tv);
        }
    }
    /* not one template: many different messages */
    assert_true(distinct >= 40);
}

/* Hostile facts: backticks, fences, control characters, markdown markers, huge texts and
   lists. The markdown stays balanced, no fact opens a block, the output stays bounded. */
static void test_offline_hostile(void **state)
{
    (void)state;
    size_t big = 2 * 1024 * 1024;
    char *huge = malloc(big + 1);
    for (size_t i = 0; i < big; i++)
        huge[i] = "`\n/*\"x(){};#<>"[i % 14];
    huge[big] = '\0';
    const char *kinds[] = {"function_doc",
                           "class_doc",
                           "file_doc",
                           "module_doc",
                           "code_evolution",
                           "pattern_analysis",
                           "security_review",
                           "performance_analysis",
                           "til",
                           "weekly_summary",
                           NULL};
    const char *evil = "```evil\n# Heading\n> quote\n- item\n\x01\x7f``` `x`";
    for (size_t k = 0; kinds[k]; k++) {
        for (int round = 0; round < 2; round++) {
            const char *s = round ? huge : evil;
            cw_value_t *tv = s_kind_target(kinds[k], s, s, s, 1, 100000);
            cw_map_set_str(tv, "repo", s);
            cw_map_set_str(tv, "class", s);
            cw_map_set_str(tv, "kind", round ? "k" : evil);
            cw_map_set_str(tv, "docstring", s);
            cw_map_set_str(tv, "signature", s);
            cw_map_set_str(tv, "return_type", s);
            cw_value_t *params = cw_value_new_array();
            cw_value_t *members = cw_value_new_array();
            cw_value_t *strs = cw_value_new_array();
            /* long lists of short hostile items, short lists of huge ones */
            int items = round ? 3 : 300;
            for (int i = 0; i < items; i++) {
                cw_array_push(params, s_param(s, s, s));
                cw_array_push(members, s_member(s, round ? "method" : evil, i, s));
                cw_array_push_str(strs, s);
            }
            cw_map_set(tv, "parameters", params);
            cw_map_set(tv, "members", members);
            cw_map_set(tv, "definitions", cw_value_clone(members));
            cw_map_set(tv, "calls", strs);
            cw_map_set(tv, "imports", cw_value_clone(strs));
            cw_map_set(tv, "decorators", cw_value_clone(strs));
            cw_value_t *commit = cw_value_new_map(), *patterns = cw_value_new_array(),
                       *p = cw_value_new_map();
            cw_map_set_str(commit, "hash", s);
            cw_map_set_str(commit, "author", s);
            cw_map_set_str(commit, "date", s);
            cw_map_set_str(commit, "subject", s);
            cw_map_set(tv, "commit", commit);
            cw_map_set_str(p, "name", s);
            cw_map_set(p, "indicators", cw_value_clone(strs));
            cw_array_push(patterns, p);
            cw_map_set(tv, "patterns", patterns);
            char *doc = s_doc(tv);
            assert_true(strlen(doc) < 128 * 1024);
            /* the only fence lines are the signature's pair, and no line of ours starts a
               heading, quote or list from a fact */
            int fences = s_fences(doc);
            assert_true(fences == 0 || fences == 2);
            assert_false(s_line_starts(doc, "# "));
            assert_false(s_line_starts(doc, "> "));
            assert_false(s_line_starts(doc, "- item"));
            assert_null(strchr(doc, '\x01'));
            cw_gen_target_t t;
            char err[128];
            assert_int_equal(cw_gen_target_from_value(tv, &t, err, sizeof(err)), 0);
            char *msg = cw_offline_commit_message(&t);
            assert_true(cw_utf8_chars(msg) <= 72);
            assert_null(strchr(msg, '\n'));
            free(msg);
            char *facts = cw_prompts_facts(&t);
            assert_true(strlen(facts) <= CW_PROMPT_FACTS_MAX);
            /* every fact stays on its own line: a fact's text never starts a line */
            for (const char *l = facts; l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
                if (strncmp(l, "- ", 2) != 0 && strncmp(l, "  - ", 4) != 0)
                    fail_msg("%s: a facts line starts \"%.40s\"", kinds[k], l);
            free(facts);
            cw_gen_target_free(&t);
            free(doc);
            cw_value_destroy(&tv);
        }
    }
    free(huge);
}

/* Issue 10: a Python module docstring longer than 2000 bytes (Python's own
   email/_header_value_parser.py has one) overflowed a stack buffer while the old renderer
   scanned the source for it. Now the docstring is a fact: its first paragraph is shown,
   bounded, whatever its length (run under ASan: make asan). */
static void test_offline_long_module_docstring(void **state)
{
    (void)state;
    size_t n = 6000;
    char *doc_text = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        doc_text[i] = (i % 71 == 70) ? '\n' : "Header value parser. "[i % 21];
    doc_text[n] = '\0';
    char *source = malloc(n + 64);
    snprintf(source, n + 64, "\"\"\"%s\"\"\"\nimport re\n", doc_text);
    static const char *const kinds[] = {"file_doc", "module_doc", "pattern_analysis", NULL};
    for (size_t k = 0; kinds[k]; k++) {
        cw_value_t *tv = s_kind_target(kinds[k], "email/_header_value_parser.py", "python",
                                       "_header_value_parser", 1, 3000);
        cw_map_set_str(tv, "source", source);
        cw_map_set_str(tv, "docstring", doc_text);
        char *doc = s_doc(tv);
        const char *purpose = strstr(doc, "### Purpose\n\n");
        assert_non_null(purpose);
        assert_true(strncmp(purpose + 13, "Header value parser.", 20) == 0);
        const char *end = strstr(purpose + 13, "\n\n");
        assert_non_null(end);
        assert_true((size_t)(end - purpose) < 900); /* the first paragraph, bounded */
        free(doc);
        cw_value_destroy(&tv);
    }
    free(source);
    free(doc_text);
}

/* ------------------------------------------------------------------ request handling */

static cw_value_t *s_request(cw_value_t *target)
{
    cw_value_t *r = cw_proto_new(CW_MSG_GENERATE_REQUEST);
    cw_map_set_str(r, "job_id", "job-1");
    cw_map_set(r, "target", target);
    return r;
}

static void test_handle_offline(void **state)
{
    (void)state;
    cw_config_t *c = cw_config_new_defaults();
    char err[256];
    assert_int_equal(cw_config_set(c, "llm.backend", "offline", err, sizeof(err)), 0);
    cw_generator_t *g = cw_generator_new(c);
    cw_config_destroy(&c);
    assert_non_null(g);
    cw_value_t *req = s_request(s_function("function_doc"));
    assert_int_equal(cw_proto_validate(req, err, sizeof err), 0);
    cw_value_t *reply = cw_generator_handle(g, req);
    assert_non_null(reply);
    assert_string_equal(cw_proto_type(reply), CW_MSG_GENERATE_REPLY);
    assert_int_equal(cw_proto_validate(reply, err, sizeof(err)), 0);
    assert_string_equal(cw_map_str(reply, "job_id", ""), "job-1");
    assert_string_equal(cw_map_str(reply, "backend", ""), "offline");
    const char *msg = cw_map_str(reply, "commit_message", "");
    assert_non_null(strstr(msg, "Parser.parse"));
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
    cw_value_t *t = s_function("function_doc");
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
    (void)state;
    cw_config_t *c = cw_config_new_defaults();
    free(c->llm.backend);
    c->llm.backend = strdup("magic");
    assert_null(cw_generator_new(c));
    cw_config_destroy(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offline_function_doc),
        cmocka_unit_test(test_offline_without_docstring),
        cmocka_unit_test(test_offline_file_doc),
        cmocka_unit_test(test_offline_class_doc),
        cmocka_unit_test(test_offline_module_doc),
        cmocka_unit_test(test_offline_code_evolution),
        cmocka_unit_test(test_offline_pattern_analysis),
        cmocka_unit_test(test_offline_security_review),
        cmocka_unit_test(test_offline_performance_and_til),
        cmocka_unit_test(test_offline_commit_messages),
        cmocka_unit_test(test_offline_hostile),
        cmocka_unit_test(test_offline_long_module_docstring),
        cmocka_unit_test(test_handle_offline),
        cmocka_unit_test(test_unknown_backend),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
