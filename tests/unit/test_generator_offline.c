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

/* ------------------------------------------------------------------ every kind */

static cw_value_t *s_kind_target(const char *doc_type, const char *file, const char *language,
                                 const char *name, long start, long end, const char *source,
                                 const char *context)
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
    cw_map_set_str(t, "source", source);
    cw_map_set_str(t, "code_hash", "00");
    if (context)
        cw_map_set_str(t, "context", context);
    return t;
}

static cw_value_t *s_strs(const char *const *items)
{
    cw_value_t *a = cw_value_new_array();
    for (size_t i = 0; items[i]; i++)
        cw_array_push_str(a, items[i]);
    return a;
}

/* Lines starting with a code fence come in pairs. */
static int s_fences(const char *doc)
{
    int fences = 0;
    for (const char *p = doc; p; p = strchr(p, '\n')) {
        if (*p == '\n')
            p++;
        if (strncmp(p, "```", 3) == 0)
            fences++;
    }
    return fences;
}

/* The document for a target map, with the checks every document passes: deterministic,
   balanced fences, unchanged by the documentation cleaner, the offline note last. */
static char *s_doc(cw_value_t *tv)
{
    cw_gen_target_t t;
    char err[128];
    assert_int_equal(cw_gen_target_from_value(tv, &t, err, sizeof(err)), 0);
    char *doc = cw_offline_document(&t);
    char *again = cw_offline_document(&t);
    assert_non_null(doc);
    assert_non_null(again);
    assert_string_equal(doc, again);
    free(again);
    if (getenv("OFFLINE_DUMP"))
        fprintf(stderr, "----\n%s", doc);
    assert_int_equal(s_fences(doc) % 2, 0);
    const char *note = "\n\n_Written without an LLM (offline backend): facts taken from the "
                       "source only._\n";
    size_t dl = strlen(doc), nl = strlen(note);
    assert_true(dl > nl);
    assert_string_equal(doc + dl - nl, note);
    assert_null(strstr(doc, "\n# ")); /* no top-level heading */
    char *clean = cw_clean_documentation(doc);
    char *trimmed = strdup(doc);
    trimmed[dl - 1] = '\0';
    assert_string_equal(clean, trimmed);
    free(clean);
    free(trimmed);
    cw_gen_target_free(&t);
    return doc;
}

static const char s_c_file[] = "/*  ring — a fixed-size ring buffer of bytes. Not thread-safe.\n"
                               "    Second line of the header. */\n"
                               "#include \"ring.h\"\n"
                               "\n"
                               "#include <stdio.h>\n"
                               "#  include <string.h>\n"
                               "\n"
                               "/* a comment that looks like code:\n"
                               "int hidden(void) {\n"
                               "*/\n"
                               "typedef struct ring_s {\n"
                               "    char *data;\n"
                               "    size_t len, cap;\n"
                               "} ring_t;\n"
                               "\n"
                               "struct point {\n"
                               "    int x;\n"
                               "};\n"
                               "\n"
                               "static int s_prototype(int a);\n"
                               "static const char *s_names[] = {\"a(\", \"b\"};\n"
                               "\n"
                               "static int\n"
                               "s_grow(ring_t *r, size_t n)\n"
                               "{\n"
                               "    if (n > r->cap)\n"
                               "        return -1;\n"
                               "    return 0;\n"
                               "}\n"
                               "\n"
                               "int ring_push(ring_t *r,\n"
                               "              char c) {\n"
                               "    return s_grow(r, 1);\n"
                               "}\n";

static void test_offline_file_doc_c(void **state)
{
    cw_value_t *tv =
        s_kind_target("file_doc", "src/ring.c", "c", "ring", 1, 34, s_c_file,
                      "src/ring.c: 34 lines, 700 bytes, 2 functions, 2 classes, 3 imports.");
    char *doc = s_doc(tv);
    assert_non_null(strstr(doc, "### Purpose\n\nring — a fixed-size ring buffer of bytes.\n"));
    assert_null(strstr(doc, "Not thread-safe")); /* first sentence only */
    assert_non_null(strstr(doc, "File `src/ring.c` of the demo repository, 34 lines of c."));
    assert_non_null(strstr(doc, "The analyzer's summary: src/ring.c: 34 lines, 700 bytes"));
    assert_non_null(strstr(doc, "### Includes\n\n- `\"ring.h\"`\n- `<stdio.h>`\n- `<string.h>`\n"));
    assert_non_null(strstr(doc, "- `ring_t` (struct, line 11)"));
    assert_non_null(strstr(doc, "- `point` (struct, line 16)"));
    assert_non_null(strstr(doc, "- `s_grow` (function, line 24)"));
    assert_non_null(strstr(doc, "- `ring_push` (function, line 31)"));
    assert_non_null(strstr(doc, "recognised by line patterns (4)"));
    assert_null(strstr(doc, "hidden"));      /* inside a comment */
    assert_null(strstr(doc, "s_prototype")); /* a declaration, not a definition */
    assert_null(strstr(doc, "s_names"));
    assert_null(strstr(doc, "Cyclomatic"));
    assert_null(strstr(doc, "0.0"));
    assert_null(strstr(doc, "without a docstring"));
    assert_null(strstr(doc, "passed on the first")); /* the whole file was passed on */
    free(doc);
    cw_value_destroy(&tv);
}

static void test_offline_file_doc_python(void **state)
{
    const char *src = "#!/usr/bin/env python3\n"
                      "# -*- coding: utf-8 -*-\n"
                      "# Copyright 2024 Someone. Licensed under MIT.\n"
                      "\n"
                      "\"\"\"Load and cache the settings.\n"
                      "\n"
                      "More text.\"\"\"\n"
                      "import os, sys as system\n"
                      "from pkg.sub import thing\n"
                      "\n"
                      "def load(path):\n"
                      "    import json\n"
                      "    def inner():\n"
                      "        pass\n"
                      "\n"
                      "class Cache:\n"
                      "    pass\n"
                      "\n"
                      "async def refresh():\n"
                      "    x = \"\"\"\n"
                      "def not_real():\n"
                      "\"\"\"\n";
    /* the file has 200 lines; the analyzer passed on the first 22 */
    cw_value_t *tv =
        s_kind_target("file_doc", "pkg/settings.py", "python", "settings", 1, 200, src, NULL);
    char *doc = s_doc(tv);
    assert_non_null(strstr(doc, "### Purpose\n\nLoad and cache the settings.\n"));
    assert_null(strstr(doc, "Copyright"));
    assert_non_null(strstr(doc, "passed on the first 22 of its 200 lines"));
    assert_non_null(strstr(doc, "### Imports\n\n- `os`\n- `sys`\n- `pkg.sub`\n\n"));
    assert_null(strstr(doc, "`json`")); /* indented: not top level */
    assert_non_null(strstr(doc, "- `load` (function, line 11)"));
    assert_non_null(strstr(doc, "- `Cache` (class, line 16)"));
    assert_non_null(strstr(doc, "- `refresh` (async function, line 19)"));
    assert_null(strstr(doc, "inner"));
    assert_null(strstr(doc, "not_real")); /* inside a string */
    assert_null(strstr(doc, "Cyclomatic"));
    free(doc);
    cw_value_destroy(&tv);

    /* no leading comment: said so, nothing invented */
    tv = s_kind_target("file_doc", "pkg/empty.py", "python", "empty", 1, 2, "x = 1\ny = 2\n", NULL);
    doc = s_doc(tv);
    assert_non_null(
        strstr(doc, "`empty.py` starts without a module docstring or leading comment."));
    assert_non_null(strstr(doc, "No top-level definition was recognised"));
    assert_null(strstr(doc, "### Imports"));
    free(doc);
    cw_value_destroy(&tv);
}

static void test_offline_class_doc(void **state)
{
    const char *src = "class Parser(Base):\n"
                      "    \"\"\"Turn tokens into a tree.  Details follow.\"\"\"\n"
                      "\n"
                      "    def __init__(self, tokens):\n"
                      "        def helper():\n"
                      "            pass\n"
                      "        self.tokens = tokens\n"
                      "\n"
                      "    async def parse(self):\n"
                      "        return None\n";
    cw_value_t *tv = s_kind_target(
        "class_doc", "pkg/parser.py", "python", "Parser", 40, 49, src,
        "A class `Parser` of 10 lines with 2 methods; it has a docstring (file pkg/parser.py, 80 "
        "lines).");
    cw_map_set_float(tv, "complexity", 5);
    char *doc = s_doc(tv);
    assert_non_null(strstr(doc, "### Purpose\n\nTurn tokens into a tree.\n"));
    assert_non_null(strstr(doc, "Defined in `pkg/parser.py`, lines 40-49 of the demo repository."));
    assert_non_null(
        strstr(doc, "The analyzer's summary: A class `Parser` of 10 lines with 2 methods"));
    assert_non_null(strstr(doc, "### Methods\n"));
    assert_non_null(
        strstr(doc, "- `__init__` (method, line 43)\n- `parse` (async method, line 48)"));
    assert_null(strstr(doc, "helper"));
    assert_non_null(strstr(doc, "- Lines: 10\n- Cyclomatic complexity summed over its methods: 5"));
    free(doc);
    cw_value_destroy(&tv);

    /* a C struct: its members; the docstring the analyzer saw is not in the source */
    const char *st = "typedef struct {\n"
                     "    char *text; /* the text */\n"
                     "    size_t text_len, text_cap;\n"
                     "    char reason[32];\n"
                     "    int (*on_done)(void *arg);\n"
                     "    unsigned flag : 1;\n"
                     "} stream_t;\n";
    tv = s_kind_target("class_doc", "src/s.c", "c", "stream_t", 10, 16, st,
                       "A struct `stream_t` of 7 lines with 0 methods; it has a docstring (file "
                       "src/s.c, 400 lines).");
    doc = s_doc(tv);
    assert_non_null(strstr(doc, "`stream_t` is a c struct; its docstring is not part of the "
                                "source passed on."));
    assert_non_null(strstr(doc, "### Members\n"));
    assert_non_null(strstr(doc, "- `text` (field, line 11)\n- `text_len` (field, line 12)\n"
                                "- `text_cap` (field, line 12)\n- `reason` (field, line 13)\n"
                                "- `on_done` (function pointer, line 14)\n"
                                "- `flag` (field, line 15)"));
    assert_null(strstr(doc, "Cyclomatic")); /* complexity 0: not shown */
    free(doc);
    cw_value_destroy(&tv);
}

static void test_offline_module_doc(void **state)
{
    const char *src = "Module `src/net` (c/c++ directory, 5 files):\n"
                      "- net.c (120 lines, 6 functions, 1 classes)\n"
                      "- net.h (40 lines, 0 functions, 1 classes)\n"
                      "- tcp.c (200 lines, 9 functions, 0 classes)\n"
                      "- ... and 2 more\n"
                      "\n"
                      "`net.h`:\n"
                      "/* net — sockets with timeouts. */\n"
                      "#ifndef NET_H\n";
    cw_value_t *tv =
        s_kind_target("module_doc", "src/net", "c", "net", 1, 40, src,
                      "A c/c++ directory of 5 files; its index file is src/net/net.h.");
    char *doc = s_doc(tv);
    assert_non_null(strstr(doc, "### Purpose\n\nnet — sockets with timeouts.\n"));
    assert_non_null(strstr(doc, "Directory `src/net` of the demo repository. A c/c++ directory "
                                "of 5 files; its index file is src/net/net.h."));
    assert_non_null(strstr(doc, "### Files\n\n- `net.c`: 120 lines, 6 functions, 1 classes\n"
                                "- `net.h`: 40 lines, 0 functions, 1 classes\n"
                                "- `tcp.c`: 200 lines, 9 functions, 0 classes\n"
                                "- ... and 2 more"));
    assert_non_null(strstr(doc, "Together the 3 files listed have 360 lines and 15 functions."));
    assert_null(strstr(doc, "Cyclomatic"));
    assert_null(strstr(doc, "0.0"));
    free(doc);
    cw_value_destroy(&tv);

    /* an empty index file */
    tv = s_kind_target("module_doc", "lib", "python", "lib", 0, 0,
                       "Module `lib` (python package, 2 files):\n- __init__.py (0 lines, 0 "
                       "functions, 0 classes)\n- a.py (10 lines, 1 functions, 0 classes)\n\n"
                       "`__init__.py` is empty.\n",
                       NULL);
    doc = s_doc(tv);
    assert_non_null(strstr(doc, "The index file `__init__.py` is empty."));
    assert_non_null(strstr(doc, "Together the 2 files listed have 10 lines and 1 functions."));
    free(doc);
    cw_value_destroy(&tv);
}

static void test_offline_code_evolution(void **state)
{
    const char *diff = "diff --git a/src/p.c b/src/p.c\n"
                       "index 1111111..2222222 100644\n"
                       "--- a/src/p.c\n"
                       "+++ b/src/p.c\n"
                       "@@ -1,3 +1,4 @@\n"
                       " #include <stdio.h>\n"
                       "+#include <string.h>\n"
                       " \n"
                       "-int old(void);\n"
                       "@@ -20,2 +21,8 @@ int main(void)\n"
                       "+int parse_line(const char *s)\n"
                       "+{\n"
                       "+    return s != 0;\n"
                       "+}\n"
                       "--- not a header inside a hunk\n";
    cw_value_t *tv = s_kind_target(
        "code_evolution", "src/p.c", "c", "p@abc1234", 1, 28, diff,
        "Commit abc1234 by Jane Doe: Parse lines one at a time\nFile: src/p.c (modified, +5 -2 "
        "lines)");
    char *doc = s_doc(tv);
    assert_non_null(strstr(doc, "### Change\n\nParse lines one at a time\n"));
    assert_non_null(strstr(doc, "- Commit: `abc1234`"));
    assert_non_null(strstr(doc, "- Author: Jane Doe"));
    assert_non_null(strstr(doc, "- File: `src/p.c`, modified, in the demo repository"));
    assert_non_null(strstr(doc, "- Whole change: +5 -2 lines"));
    assert_non_null(strstr(doc, "- Diff shown: +5 -2 lines in 2 hunks"));
    assert_non_null(strstr(doc, "### Hunks\n\n- `@@ -1,3 +1,4 @@`\n"
                                "- `@@ -20,2 +21,8 @@ int main(void)`"));
    assert_non_null(strstr(doc, "### Definitions on added lines"));
    assert_non_null(strstr(doc, "- `parse_line` (function)"));
    assert_null(strstr(doc, "old"));
    assert_null(strstr(doc, "Cyclomatic"));
    assert_null(strstr(doc, "### Purpose"));
    free(doc);
    cw_value_destroy(&tv);

    /* a new file, the diff cut by the analyzer */
    tv = s_kind_target("code_evolution", "a.py", "python", "a@ffff000", 1, 2,
                       "diff --git a/a.py b/a.py\nnew file mode 100644\n--- /dev/null\n+++ "
                       "b/a.py\n@@ -0,0 +1,2 @@\n+def f():\n+    pass\n",
                       "Commit ffff000 by Bot: Add a\nFile: a.py (new file, +2 -0 lines)\nThe "
                       "diff shown is the first 5000 characters of the change.");
    doc = s_doc(tv);
    assert_non_null(strstr(doc, "- File: `a.py`, a new file"));
    assert_non_null(strstr(doc, "(the beginning of the change only)"));
    assert_non_null(strstr(doc, "- `f` (function)"));
    free(doc);
    cw_value_destroy(&tv);
}

static void test_offline_pattern_analysis(void **state)
{
    const char *src = "\"\"\"Events for widgets.\"\"\"\n"
                      "\n"
                      "class Bus:\n"
                      "    def subscribe(self, fn):\n"
                      "        # notify later\n"
                      "        self.fns.append(fn)\n"
                      "\n"
                      "def create_bus():\n"
                      "    return Bus()\n";
    cw_value_t *tv = s_kind_target(
        "pattern_analysis", "ui/events.py", "python", "events", 1, 9, src,
        "Likely observer pattern: `subscribe`, `notify`\nAlso factory pattern: `create_`");
    char *doc = s_doc(tv);
    assert_non_null(strstr(doc, "### Purpose\n\nEvents for widgets.\n"));
    assert_non_null(strstr(doc, "The analyzer's keyword scan points to the `observer` pattern. "
                                "Indicators found in the file: `subscribe`, `notify`."));
    /* notify is only in a comment */
    assert_non_null(strstr(doc, "comments and strings left out) contains `subscribe`."));
    assert_non_null(strstr(doc, "- `factory`: `create_`"));
    assert_non_null(strstr(doc, "not a confirmed design"));
    assert_non_null(strstr(doc, "- `Bus` (class, line 3)\n- `create_bus` (function, line 8)"));
    assert_null(strstr(doc, "Cyclomatic"));
    free(doc);
    cw_value_destroy(&tv);
}

static cw_value_t *s_function(const char *doc_type, const char *language, const char *name,
                              const char *source, const char *const *params,
                              const char *const *calls)
{
    cw_value_t *t = s_kind_target(doc_type, "src/f.c", language, name, 100, 120, source, NULL);
    cw_map_set_float(t, "complexity", 4);
    cw_map_set_int(t, "nloc", 18);
    cw_map_set_int(t, "params", 2);
    cw_map_set_int(t, "nesting", 2);
    cw_map_set(t, "parameters", s_strs(params));
    cw_map_set(t, "calls", s_strs(calls));
    return t;
}

static void test_offline_security_review(void **state)
{
    const char *src = "int save(const char *path, const char *name)\n"
                      "{\n"
                      "    char buf[64];\n"
                      "    strcpy(buf, name); /* sprintf(x) in a comment */\n"
                      "    FILE *f = fopen(path, \"w\");\n"
                      "    system(\"sync\");\n"
                      "    return f != NULL;\n"
                      "}\n";
    const char *params[] = {"path", "name", NULL};
    const char *calls[] = {"strcpy", "fopen", "system", NULL};
    cw_value_t *tv = s_function("security_review", "c", "save", src, params, calls);
    char *doc = s_doc(tv);
    /* the function facts stay */
    assert_non_null(strstr(doc, "### Parameters\n\n- `path`\n- `name`"));
    assert_non_null(strstr(doc, "Cyclomatic complexity: 4.0"));
    assert_non_null(strstr(doc, "### Security angle\n\nA keyword scan, not a review"));
    assert_non_null(strstr(doc, "- `system` runs a shell command (line 105)"));
    assert_non_null(strstr(doc, "- `strcpy` copies a string without a bound on the destination "
                                "(line 103)"));
    assert_non_null(strstr(doc, "- `fopen` opens a path built from the parameter `path` (line "
                                "104)"));
    assert_null(strstr(doc, "`sprintf`")); /* only in a comment */
    assert_null(strstr(doc, "Nothing from the usual list"));
    free(doc);
    cw_value_destroy(&tv);

    /* nothing sensitive: said so */
    const char *calls2[] = {"strlen", NULL};
    tv =
        s_function("security_review", "c", "len",
                   "size_t len(const char *s) { /* strcpy( */ return strlen(s); }", params, calls2);
    doc = s_doc(tv);
    assert_non_null(strstr(doc, "Nothing from the usual list"));
    free(doc);
    cw_value_destroy(&tv);

    /* python: deserialisation, a process, SQL text in a string */
    const char *py = "def load(self, blob):\n"
                     "    data = pickle.loads(blob)\n"
                     "    subprocess.run(['ls'])\n"
                     "    self.db.execute(\"SELECT * FROM t WHERE id = %s\" % data)\n";
    const char *pparams[] = {"self", "blob", NULL};
    const char *pcalls[] = {"pickle.loads", "subprocess.run", "self.db.execute", NULL};
    tv = s_function("security_review", "python", "load", py, pparams, pcalls);
    doc = s_doc(tv);
    assert_non_null(strstr(doc, "- `pickle.loads` deserialises data into objects (line 101)"));
    assert_non_null(strstr(doc, "- `subprocess` starts processes (line 102)"));
    assert_non_null(strstr(doc, "- SQL text in a string literal (`SELECT `, line 103)"));
    assert_null(strstr(doc, "`exec`")); /* execute is not exec */
    free(doc);
    cw_value_destroy(&tv);
}

static void test_offline_performance_and_til(void **state)
{
    const char *src = "int walk(node_t *n, int depth)\n"
                      "{\n"
                      "    for (int i = 0; i < n->count; i++) {\n"
                      "        char *p = malloc(16); // while in a comment\n"
                      "        while (depth--)\n"
                      "            walk(n->kids[i], depth);\n"
                      "        free(p);\n"
                      "    }\n"
                      "    for (;;) break;\n"
                      "    return 0;\n"
                      "}\n";
    const char *params[] = {"n", "depth", NULL};
    const char *calls[] = {"malloc", "walk", "free", NULL};
    cw_value_t *tv = s_function("performance_analysis", "c", "walk", src, params, calls);
    char *doc = s_doc(tv);
    assert_non_null(strstr(doc, "### Performance angle\n\nCounted in the source"));
    assert_non_null(strstr(doc, "- Loop keywords: `for` 2, `while` 1\n"));
    assert_non_null(strstr(doc, "- Allocation and growth calls: `malloc` 1\n"));
    assert_non_null(strstr(doc, "- It calls itself (recursion)."));
    assert_non_null(strstr(doc, "Maximum nesting depth: 2"));
    free(doc);
    cw_value_destroy(&tv);

    tv = s_function("til", "c", "walk", src, params, calls);
    doc = s_doc(tv);
    assert_non_null(strstr(doc, "### Today I learned\n\n`walk` calls itself: it is recursive."));
    assert_null(strstr(doc, "### Performance angle"));
    assert_null(strstr(doc, "### Security angle"));
    free(doc);
    cw_value_destroy(&tv);

    /* no recursion: the decorator is the notable fact */
    const char *py = "def handler(req):\n    return req\n";
    const char *pparams[] = {"req", NULL};
    const char *pcalls[] = {NULL};
    tv = s_function("til", "python", "handler", py, pparams, pcalls);
    const char *decos[] = {"@app.route('/x')", "@login_required", NULL};
    cw_map_set(tv, "decorators", s_strs(decos));
    doc = s_doc(tv);
    assert_non_null(strstr(doc, "`handler` is decorated with `@app.route('/x')` and 1 more."));
    free(doc);
    cw_value_destroy(&tv);

    /* no loops, no allocation */
    tv = s_function("performance_analysis", "python", "handler", py, pparams, pcalls);
    doc = s_doc(tv);
    assert_non_null(strstr(doc, "- Loops: none"));
    assert_non_null(strstr(doc, "- Allocation and growth calls: none from the usual list"));
    assert_null(strstr(doc, "recursion"));
    free(doc);
    cw_value_destroy(&tv);
}

/* Hostile input: backticks, fences, control characters, huge fields. The markdown stays
   balanced and the output bounded. */
static void test_offline_hostile(void **state)
{
    size_t big = 2 * 1024 * 1024;
    char *huge = malloc(big + 1);
    char *parens = malloc(big + 1);
    for (size_t i = 0; i < big; i++) {
        huge[i] = "`\n/*\"x(){};#"[i % 12];
        parens[i] = "fopen(p,\n"[i % 9]; /* opened parentheses that never close */
    }
    huge[big] = parens[big] = '\0';
    const char *params[] = {"p", NULL};
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
    for (size_t k = 0; kinds[k]; k++) {
        cw_value_t *tv = s_kind_target(kinds[k], "a`b\n```x.c", "c", "n```\nm", 1, 3,
                                       "/* ```evil\n``` */\n```\nint f(void) {\n}\n",
                                       "Commit ``` by ```: ```\n```\nLikely ``` pattern: ```");
        cw_map_set_str(tv, "docstring", "```\nfence` in a docstring");
        cw_map_set_str(tv, "signature", "int f(```)\n```");
        cw_value_t *calls = cw_value_new_array();
        cw_array_push_str(calls, "a```b");
        cw_array_push_str(calls, "\n```");
        cw_map_set(tv, "calls", calls);
        char *doc = s_doc(tv);
        /* the only fence lines are the signature's pair */
        int fences = s_fences(doc);
        assert_true(fences == 0 || fences == 2);
        for (const char *p = strstr(doc, "``"); p; p = strstr(p + 3, "``")) {
            /* only the signature's fence lines */
            assert_true(p > doc && p[-1] == '\n');
            assert_true(strncmp(p, "```c\n", 5) == 0 || strncmp(p, "```\n", 4) == 0);
        }
        free(doc);
        cw_value_destroy(&tv);

        tv = s_kind_target(kinds[k], "f.c", "c", "f", 1, 100000, huge, huge);
        cw_map_set_str(tv, "docstring", huge);
        doc = s_doc(tv);
        assert_true(strlen(doc) < 64 * 1024);
        free(doc);
        cw_value_destroy(&tv);

        const char *langs[] = {"c", "python", "rust", "go", "javascript", "text", NULL};
        for (size_t l = 0; langs[l]; l++) {
            tv = s_kind_target(kinds[k], "f.c", langs[l], "f", 1, 100000, parens, parens);
            cw_map_set(tv, "parameters", s_strs(params));
            doc = s_doc(tv);
            assert_true(strlen(doc) < 64 * 1024);
            free(doc);
            cw_value_destroy(&tv);
        }
    }
    free(huge);
    free(parens);
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
        cmocka_unit_test(test_offline_file_doc_c),
        cmocka_unit_test(test_offline_file_doc_python),
        cmocka_unit_test(test_offline_class_doc),
        cmocka_unit_test(test_offline_module_doc),
        cmocka_unit_test(test_offline_code_evolution),
        cmocka_unit_test(test_offline_pattern_analysis),
        cmocka_unit_test(test_offline_security_review),
        cmocka_unit_test(test_offline_performance_and_til),
        cmocka_unit_test(test_offline_hostile),
        cmocka_unit_test(test_handle_offline),
        cmocka_unit_test(test_unknown_backend),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
