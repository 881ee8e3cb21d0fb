/*  cw_offline — documentation written without an LLM: a renderer of the facts the analyzer
    read from the code (cw_gen_target.h; proto/README.md, "The target map").

    It never looks at the source, the diff or the `context` prose: every statement comes
    from a typed fact (name, lines, docstring, signature, parameters, return type, calls,
    body counts, members, definitions, imports, module files, commit, change, patterns),
    so the document agrees with its header (line range, complexity) and with itself (the
    counts it states are the lists it shows). Same input, byte-identical output.

    Per doc type: Purpose (the docstring's first paragraph, or that there is none), then
    what the code is and how it is used, then what to watch for; the function
    perspectives add a security, performance or "today I learned" section
    (cw_offline_angles.c). Every document ends with the note that no LLM wrote it. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strcasestr */
#endif
#include "cw_clean.h"
#include "cw_config.h"
#include "cw_generator.h"
#include "cw_offline_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OFFLINE_NOTE                                                                               \
    "\n\n_Written without an LLM (offline backend): facts the analyzer read from the code, "       \
    "nothing more._\n"

/* ================================================================ facts */

static bool s_is(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static bool s_self(const char *name)
{
    return s_is(name, "self") || s_is(name, "this") || s_is(name, "cls") || s_is(name, "&self") ||
           s_is(name, "&mut self") || s_is(name, "mut self");
}

size_t cw_offline_real_params(const cw_gen_target_t *t)
{
    size_t n = 0;
    for (size_t i = 0; i < t->parameter_count; i++)
        n += !(i == 0 && s_self(t->parameters[i].name));
    return n;
}

bool cw_offline_recursive(const cw_gen_target_t *t)
{
    const char *name = t->name;
    if (!name || !*name || t->doc_type == CW_DOC_CLASS)
        return false;
    for (size_t i = 0; i < t->call_count; i++) {
        const char *c = t->calls[i];
        if (strcmp(c, name) == 0)
            return true;
        const char *dot = strrchr(c, '.');
        if (dot && strcmp(dot + 1, name) == 0 && (size_t)(dot - c) == 4 &&
            (strncmp(c, "self", 4) == 0 || strncmp(c, "this", 4) == 0))
            return true;
    }
    return false;
}

static long s_lines(const cw_gen_target_t *t)
{
    return t->end_line >= t->start_line && t->start_line > 0 ? t->end_line - t->start_line + 1 : 0;
}

static size_t s_members_of(const cw_gen_member_t *m, size_t n, const char *kind)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += s_is(m[i].kind, kind);
    return k;
}

/* " (lines 10-30)" / " (line 10)", as the header's Lines */
static void s_span(cw_buf_t *b, const cw_gen_target_t *t)
{
    if (t->start_line <= 0 || t->end_line < t->start_line)
        return;
    if (t->end_line == t->start_line)
        cw_buf_printf(b, " (line %ld)", t->start_line);
    else
        cw_buf_printf(b, " (lines %ld-%ld)", t->start_line, t->end_line);
}

/* " of the X repository" (after a file), " in the X repository" (after anything else) */
static void s_repo_at(cw_buf_t *b, const cw_gen_target_t *t, const char *prep)
{
    if (t->repo && *t->repo) {
        cw_buf_puts(b, prep);
        cw_buf_puts(b, " the ");
        cw_md_text(b, t->repo, CW_MD_ITEM, false);
        cw_buf_puts(b, " repository");
    }
}

static void s_repo(cw_buf_t *b, const cw_gen_target_t *t)
{
    s_repo_at(b, t, " of");
}

static void s_heading(cw_buf_t *b, const char *title)
{
    if (b->len > 0)
        cw_buf_puts(b, "\n\n");
    cw_buf_puts(b, "### ");
    cw_buf_puts(b, title);
    cw_buf_puts(b, "\n\n");
}

/* "### Purpose": the docstring's first paragraph, or that there is none */
static void s_purpose(cw_buf_t *b, const cw_gen_target_t *t, const char *what, const char *name,
                      const char *fallback)
{
    s_heading(b, "Purpose");
    if (cw_md_paragraph(b, t->docstring, CW_MD_PARA))
        return;
    cw_md_code(b, name, CW_MD_ITEM);
    cw_buf_puts(b, " has no ");
    cw_buf_puts(b, what);
    cw_buf_puts(b, ", so ");
    cw_buf_puts(b, fallback);
}

/* a list of members or definitions: "- `name` (kind, line N): `signature`" */
static void s_member_list(cw_buf_t *b, const cw_gen_member_t *m, size_t n, size_t shown)
{
    size_t k = n < shown ? n : shown;
    for (size_t i = 0; i < k; i++) {
        cw_buf_puts(b, i ? "\n- " : "- ");
        cw_md_code(b, m[i].name, CW_MD_ITEM);
        cw_buf_puts(b, " (");
        cw_md_text(b, m[i].kind, 32, false);
        if (m[i].line > 0)
            cw_buf_printf(b, ", line %ld", m[i].line);
        cw_buf_puts(b, ")");
        if (m[i].signature && strcmp(m[i].signature, m[i].name) != 0) {
            cw_buf_puts(b, ": ");
            cw_md_code(b, m[i].signature, CW_MD_SIG);
        }
    }
    if (n > k)
        cw_buf_printf(b, "\n- ... and %zu more", n - k);
}

/* a kind as a noun, singular or plural: "class" -> "classes", "property" -> "properties" */
static void s_noun(cw_buf_t *b, const char *kind, size_t n)
{
    static const struct {
        const char *kind, *one, *many;
    } nouns[] = {{"embedded", "embedded field", "embedded fields"},
                 {"static", "static item", "static items"},
                 {"impl", "impl block", "impl blocks"}};
    for (size_t i = 0; i < sizeof nouns / sizeof nouns[0]; i++)
        if (s_is(kind, nouns[i].kind)) {
            cw_buf_puts(b, n == 1 ? nouns[i].one : nouns[i].many);
            return;
        }
    char word[40];
    snprintf(word, sizeof word, "%.32s", kind ? kind : "definition");
    size_t l = strlen(word);
    if (n != 1 && l > 0) {
        if (word[l - 1] == 's' || word[l - 1] == 'x')
            snprintf(word + l, sizeof word - l, "es");
        else if (l > 1 && word[l - 1] == 'y' && !strchr("aeiou", word[l - 2]))
            snprintf(word + l - 1, sizeof word - l + 1, "ies");
        else
            snprintf(word + l, sizeof word - l, "s");
    }
    cw_md_text(b, word, sizeof word, false);
}

/* "3 functions, 2 classes and 1 constant" over the kinds of a list (members of kind `skip`
   left out), in order of first appearance; returns the number of kinds */
static size_t s_kind_counts(cw_buf_t *b, const cw_gen_member_t *m, size_t n, const char *skip)
{
    const char *kinds[24];
    size_t counts[24], k = 0, other = 0;
    for (size_t i = 0; i < n; i++) {
        if (skip && s_is(m[i].kind, skip))
            continue;
        size_t j = 0;
        while (j < k && !s_is(kinds[j], m[i].kind))
            j++;
        if (j == k) {
            if (k == 24) {
                other++;
                continue;
            }
            kinds[k] = m[i].kind;
            counts[k++] = 0;
        }
        counts[j]++;
    }
    size_t parts = k + (other > 0);
    for (size_t j = 0; j < parts; j++) {
        if (j > 0)
            cw_buf_puts(b, j + 1 == parts ? " and " : ", ");
        if (j == k) {
            cw_buf_printf(b, "%zu other definitions", other);
            break;
        }
        cw_buf_printf(b, "%zu ", counts[j]);
        s_noun(b, kinds[j], counts[j]);
    }
    return parts;
}

/* ================================================================ functions */

static bool s_dynamic(const char *language)
{
    return s_is(language, "python") || s_is(language, "javascript") ||
           s_is(language, "typescript") || s_is(language, "tsx");
}

static void s_parameters(cw_buf_t *b, const cw_gen_target_t *t)
{
    size_t real = cw_offline_real_params(t);
    bool has_self = t->parameter_count > real;
    if (real == 0) {
        cw_buf_puts(b, has_self ? "It takes no arguments besides " : "It takes no arguments.");
        if (has_self) {
            cw_md_code(b, t->parameters[0].name, 32);
            cw_buf_puts(b, ".");
        }
        return;
    }
    cw_buf_puts(b, "It takes ");
    cw_md_count(b, (long)real, "argument", "arguments");
    if (has_self) {
        cw_buf_puts(b, " besides ");
        cw_md_code(b, t->parameters[0].name, 32);
    }
    cw_buf_puts(b, ":\n");
    size_t shown = 0;
    for (size_t i = has_self ? 1 : 0; i < t->parameter_count && shown < CW_MD_SHOWN; i++) {
        const cw_gen_param_t *p = &t->parameters[i];
        cw_buf_puts(b, "\n- ");
        cw_md_code(b, *p->name ? p->name : "(unnamed)", CW_MD_ITEM);
        if (p->type) {
            cw_buf_puts(b, ": ");
            cw_md_code(b, p->type, CW_MD_SIG);
        }
        if (p->dflt) {
            cw_buf_puts(b, ", default ");
            cw_md_code(b, p->dflt, CW_MD_SIG);
        }
        shown++;
    }
    if (real > shown)
        cw_buf_printf(b, "\n- ... and %zu more", real - shown);
}

static void s_returns(cw_buf_t *b, const cw_gen_target_t *t)
{
    if (t->return_type) {
        cw_buf_puts(b, "It returns ");
        cw_md_code(b, t->return_type, CW_MD_SIG);
        cw_buf_puts(b, ".");
    } else if (s_dynamic(t->language)) {
        cw_buf_puts(b, "Its return type is not annotated");
        if (t->body.present && t->body.returns == 0)
            cw_buf_puts(b, ", and it has no `return` statement: callers get nothing back");
        cw_buf_puts(b, ".");
    } else if (s_is(t->language, "go") || s_is(t->language, "rust")) {
        cw_buf_puts(b, "It returns nothing.");
    }
}

/* what the body holds, as one sentence (nothing when the analyzer did not count) */
static void s_body_sentence(cw_buf_t *b, const cw_gen_target_t *t)
{
    const cw_gen_body_t *y = &t->body;
    if (!y->present)
        return;
    cw_buf_puts(b, " Its body has ");
    if (y->loops == 0)
        cw_buf_puts(b, "no loops");
    else {
        cw_md_count(b, y->loops, "loop", "loops");
        if (y->loop_depth > 1)
            cw_buf_printf(b, " (nested %ld deep)", y->loop_depth);
    }
    struct {
        long n;
        const char *one, *many;
    } parts[] = {{y->returns, "`return`", "`return`s"},
                 {y->raises, "place that raises an error", "places that raise errors"},
                 {y->catches, "error handler", "error handlers"},
                 {y->yields, "`yield`", "`yield`s"},
                 {y->awaits, "`await`", "`await`s"},
                 {y->gotos, "`goto`", "`goto`s"},
                 {y->unsafe, "`unsafe` block", "`unsafe` blocks"}};
    size_t n = sizeof parts / sizeof parts[0], last = 0, any = 0;
    for (size_t i = 0; i < n; i++)
        if (parts[i].n > 0) {
            last = i;
            any++;
        }
    for (size_t i = 0; i < n; i++) {
        if (parts[i].n <= 0)
            continue;
        cw_buf_puts(b, i == last ? (any > 1 ? " and " : " and ") : ", ");
        cw_md_count(b, parts[i].n, parts[i].one, parts[i].many);
    }
    cw_buf_puts(b, ".");
}

static void s_metrics_sentence(cw_buf_t *b, const cw_gen_target_t *t)
{
    cw_buf_printf(b, " Its cyclomatic complexity is %.1f", t->complexity);
    if (t->nloc >= 0)
        cw_buf_printf(b, " over %ld lines of code", t->nloc);
    if (t->nesting > 0)
        cw_buf_printf(b, ", with blocks nested %ld deep", t->nesting);
    cw_buf_puts(b, ".");
}

/* "### What to watch for": the points that stand out, or that none does */
typedef struct {
    cw_buf_t *b;
    int count;
} s_watch_t;

static void s_watch(s_watch_t *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void s_watch(s_watch_t *w, const char *fmt, ...)
{
    cw_buf_puts(w->b, w->count++ ? "\n- " : "- ");
    va_list ap;
    va_start(ap, fmt);
    cw_buf_vprintf(w->b, fmt, ap);
    va_end(ap);
}

/* what the language calls the text that documents a definition */
static const char *s_doc_word(const cw_gen_target_t *t)
{
    return s_is(t->language, "python") ? "docstring" : "doc comment";
}

static void s_function_watch(cw_buf_t *b, const cw_gen_target_t *t)
{
    s_heading(b, "What to watch for");
    s_watch_t w = {b, 0};
    const cw_gen_body_t *y = &t->body;
    if (t->complexity >= 20)
        s_watch(&w,
                "A cyclomatic complexity of %.1f is high: there are at least that many paths "
                "through it, each worth a test, and splitting it would make it easier to "
                "change.",
                t->complexity);
    else if (t->complexity >= 10)
        s_watch(&w,
                "A cyclomatic complexity of %.1f means many paths through the code: each "
                "branch needs its own test case.",
                t->complexity);
    if (t->nesting >= 4)
        s_watch(&w, "Blocks nested %ld deep make the innermost branches hard to follow.",
                t->nesting);
    size_t real = cw_offline_real_params(t);
    if (real >= 5)
        s_watch(&w,
                "With %zu arguments, callers must get their order right; grouping related "
                "ones would make calls clearer.",
                real);
    if (cw_offline_recursive(t))
        s_watch(&w, "It calls itself: deep or cyclic input can exhaust the stack.");
    if (y->loop_depth >= 2)
        s_watch(&w, "Loops nested %ld deep: the work grows with the product of their sizes.",
                y->loop_depth);
    if (y->raises > 0)
        s_watch(&w, "It can raise an error in %ld %s: callers have to be ready for it.", y->raises,
                y->raises == 1 ? "place" : "places");
    if (y->catches > 0)
        s_watch(&w, "It handles errors itself (%ld %s): check that none is silently swallowed.",
                y->catches, y->catches == 1 ? "handler" : "handlers");
    if (y->gotos > 0)
        s_watch(&w, "It jumps with `goto` (%ld): follow each jump before changing the flow.",
                y->gotos);
    if (y->unsafe > 0)
        s_watch(&w, "It has %ld `unsafe` %s, where the compiler does not check memory safety.",
                y->unsafe, y->unsafe == 1 ? "block" : "blocks");
    if (y->yields > 0)
        s_watch(&w, "It is a generator: nothing in it runs until the caller iterates over it.");
    if (t->is_async || y->awaits > 0)
        s_watch(&w, "It is asynchronous: other tasks can run at each `await`, so shared state "
                    "may change in between.");
    if (!t->docstring)
        s_watch(&w, "It has no %s: what it expects and returns is written nowhere but in the code.",
                s_doc_word(t));
    if (w.count == 0)
        cw_buf_printf(b,
                      "Nothing stands out: its complexity and nesting are moderate, it uses no "
                      "risky construct, and it has a %s.",
                      s_doc_word(t));
}

static void s_function_doc(cw_buf_t *b, const cw_gen_target_t *t, const char *name)
{
    const char *lang = cw_md_language(t->language);
    s_purpose(b, t, s_doc_word(t), name,
              "its name, its signature and the calls it makes are the best guide to what it "
              "does.");

    s_heading(b, "How to use it");
    cw_md_code(b, name, CW_MD_ITEM);
    cw_buf_puts(b, " is ");
    bool method = t->class_name || s_is(t->kind, "method");
    const char *what = method ? "method" : "function";
    cw_buf_puts(b, t->is_async ? "an async " : "a ");
    cw_md_text(b, lang, 32, false);
    cw_buf_puts(b, " ");
    cw_buf_puts(b, what);
    if (t->class_name) {
        cw_buf_puts(b, " of ");
        cw_md_code(b, t->class_name, CW_MD_ITEM);
    }
    cw_buf_puts(b, " in ");
    cw_md_code(b, t->file, CW_MD_ITEM);
    s_span(b, t);
    s_repo(b, t);
    cw_buf_puts(b, ".");
    if (t->decorator_count > 0) {
        cw_buf_puts(b, " It is decorated with ");
        cw_md_code_list(b, t->decorators, t->decorator_count, 8);
        cw_buf_puts(b, ".");
    }
    if (t->signature) {
        cw_buf_puts(b, "\n\n");
        cw_md_fence(b, t->language, t->signature, 2000);
    }
    if (t->has_parameters) {
        cw_buf_puts(b, "\n\n");
        s_parameters(b, t);
    }
    cw_buf_puts(b, "\n\n");
    s_returns(b, t);
    if (t->is_async)
        cw_buf_puts(b, " It is declared `async`: callers await its result.");

    s_heading(b, "How it works");
    if (t->call_count == 0) {
        cw_buf_puts(b, "It calls no other function.");
    } else {
        cw_buf_puts(b, "It calls ");
        cw_md_code_list(b, t->calls, t->call_count, 12);
        cw_buf_puts(b, ".");
    }
    s_body_sentence(b, t);
    s_metrics_sentence(b, t);
    if (cw_offline_recursive(t))
        cw_buf_puts(b, " It is recursive: it calls itself.");

    switch (t->doc_type) {
    case CW_DOC_SECURITY:
        cw_offline_security(b, t, name);
        break;
    case CW_DOC_PERFORMANCE:
        cw_offline_performance(b, t, name);
        break;
    case CW_DOC_TIL:
        cw_offline_til(b, t, name);
        break;
    default:
        break;
    }
    s_function_watch(b, t);
}

/* ================================================================ classes */

static bool s_public(const char *language, const cw_gen_member_t *m)
{
    const char *n = m->name;
    if (s_is(language, "go"))
        return isupper((unsigned char)n[0]);
    if (s_is(language, "python"))
        return n[0] != '_' ||
               (n[1] == '_' && strlen(n) > 4 && strcmp(n + strlen(n) - 2, "__") == 0);
    if (s_is(language, "rust"))
        return m->signature && strncmp(m->signature, "pub", 3) == 0;
    if (s_dynamic(language))
        return n[0] != '#' && n[0] != '_' &&
               !(m->signature && (strncmp(m->signature, "private ", 8) == 0 ||
                                  strncmp(m->signature, "protected ", 10) == 0));
    return true;
}

static const char *s_kind_word(const cw_gen_target_t *t)
{
    return t->kind ? t->kind : "class";
}

static void s_class_doc(cw_buf_t *b, const cw_gen_target_t *t, const char *name)
{
    const char *kind = s_kind_word(t);
    const char *lang = cw_md_language(t->language);
    s_purpose(b, t, "doc comment", name, "its members are the best guide to what it is for.");

    size_t methods = s_members_of(t->members, t->member_count, "method");
    size_t outside = 0;
    for (size_t i = 0; i < t->member_count; i++)
        outside += s_is(t->members[i].kind, "method") && t->members[i].line > t->end_line;
    size_t others = t->member_count - methods;

    s_heading(b, "Overview");
    cw_md_code(b, name, CW_MD_ITEM);
    cw_buf_puts(b, " is a ");
    cw_md_text(b, lang, 32, false);
    cw_buf_puts(b, " ");
    cw_md_text(b, kind, 32, false);
    cw_buf_puts(b, " in ");
    cw_md_code(b, t->file, CW_MD_ITEM);
    s_span(b, t);
    s_repo(b, t);
    cw_buf_puts(b, ". It has ");
    cw_md_count(b, (long)methods, "method", "methods");
    if (others > 0) {
        cw_buf_puts(b, " and ");
        s_kind_counts(b, t->members, t->member_count, "method");
    }
    cw_buf_puts(b, ".");
    if (outside > 0) {
        cw_buf_puts(b, " ");
        if (outside == methods)
            cw_buf_puts(b, methods == 1 ? "Its method is" : "All its methods are");
        else
            cw_buf_printf(b, "%zu of its methods are", outside);
        cw_buf_puts(b, " written after the ");
        cw_md_text(b, kind, 32, false);
        cw_buf_puts(b, s_is(t->language, "go")  ? " (Go receiver methods)"
                       : s_is(t->language, "c") ? " (functions whose first parameter points to it)"
                       : s_is(t->language, "cpp") ? " (definitions outside the class body)"
                                                  : "");
        cw_buf_puts(b, "; the source above shows them after it.");
    }
    if (t->decorator_count > 0) {
        cw_buf_puts(b, " It is decorated with ");
        cw_md_code_list(b, t->decorators, t->decorator_count, 8);
        cw_buf_puts(b, ".");
    }
    if (t->source_cut)
        cw_buf_puts(b, " The source above is cut: it shows only the beginning.");
    if (s_is(kind, "interface") || s_is(kind, "trait"))
        cw_buf_puts(b, " As an interface it declares what implementations must provide; the "
                       "implementations live elsewhere.");
    else if (s_is(kind, "impl"))
        cw_buf_puts(b, " An `impl` block: these are the methods written for the type.");

    if (t->member_count > 0) {
        s_heading(b, "Members");
        s_member_list(b, t->members, t->member_count, 40);
    }

    s_heading(b, "How to use it");
    const char *pub[CW_MD_SHOWN];
    size_t npub = 0, total_pub = 0;
    const char *ctor = NULL;
    for (size_t i = 0; i < t->member_count; i++) {
        const cw_gen_member_t *m = &t->members[i];
        if (!s_is(m->kind, "method"))
            continue;
        if (s_is(m->name, "__init__") || s_is(m->name, "constructor") || s_is(m->name, "new") ||
            s_is(m->name, t->name)) {
            if (!ctor)
                ctor = m->name;
            continue;
        }
        if (!s_public(t->language, m))
            continue;
        total_pub++;
        if (npub < CW_MD_SHOWN)
            pub[npub++] = m->name;
    }
    if (ctor) {
        cw_buf_puts(b, "Instances are made through ");
        cw_md_code(b, ctor, CW_MD_ITEM);
        cw_buf_puts(b, ". ");
    }
    if (total_pub > 0) {
        cw_buf_puts(b, "Callers use it through ");
        cw_buf_puts(b, total_pub == 1 ? "its method " : "its methods ");
        cw_md_code_list(b, pub, total_pub < npub ? total_pub : npub, CW_MD_SHOWN);
        if (total_pub > npub)
            cw_buf_printf(b, " and %zu more", total_pub - npub);
        cw_buf_puts(b, ".");
    } else if (methods > 0) {
        cw_buf_puts(b, "None of its methods is public by the language's conventions: it is used "
                       "from inside its own code.");
    } else {
        cw_buf_puts(b, "It has no methods: it is data that other code reads and writes.");
    }
    if (s_is(t->language, "c") && methods > 0)
        cw_buf_puts(b, " In C its methods are plain functions that take a pointer to it first.");

    s_heading(b, "What to watch for");
    s_watch_t w = {b, 0};
    cw_buf_printf(b, "- Its methods' cyclomatic complexity adds up to %.1f", t->complexity);
    w.count++;
    if (t->complexity >= 50)
        cw_buf_puts(b, ": a lot of logic for one type, worth splitting by responsibility.");
    else
        cw_buf_puts(b, ".");
    if (methods >= 20)
        s_watch(&w, "With %zu methods its interface is large; callers depend on much of it.",
                methods);
    if (others >= 15)
        s_watch(&w,
                "It holds %zu fields or attributes: every method can touch all of that "
                "state.",
                others);
    if (!t->docstring)
        s_watch(&w, "It has no doc comment: its purpose is written nowhere but in the code.");
    if (w.count == 1 && t->complexity < 50)
        cw_buf_puts(b, "\n- Nothing else stands out.");
}

/* ================================================================ files */

/* whether an import names something of the project itself */
static bool s_local_import(const char *language, const char *imp)
{
    if (s_is(language, "c") || s_is(language, "cpp"))
        return imp[0] == '"';
    if (s_is(language, "python"))
        return imp[0] == '.';
    if (s_is(language, "rust"))
        return strncmp(imp, "crate", 5) == 0 || strncmp(imp, "super", 5) == 0 ||
               strncmp(imp, "self", 4) == 0;
    if (s_is(language, "go"))
        return false; /* module paths say nothing about locality without go.mod */
    return imp[0] == '.' || imp[0] == '/';
}

static void s_imports(cw_buf_t *b, const cw_gen_target_t *t, const char *whose)
{
    s_heading(b, "Dependencies");
    if (t->import_count == 0) {
        cw_buf_puts(b, whose);
        cw_buf_puts(b, " imports nothing.");
        return;
    }
    bool c = s_is(t->language, "c") || s_is(t->language, "cpp");
    cw_buf_puts(b, whose);
    cw_buf_puts(b, c ? " includes " : " imports ");
    cw_md_code_list(b, t->imports, t->import_count, 20);
    cw_buf_puts(b, ".");
    size_t local = 0;
    for (size_t i = 0; i < t->import_count; i++)
        local += s_local_import(t->language, t->imports[i]);
    if (!s_is(t->language, "go")) {
        if (local == t->import_count)
            cw_buf_puts(b, " All of them belong to the project itself.");
        else if (local > 0)
            cw_buf_printf(b,
                          " %zu of them belong to the project itself; the others come from "
                          "the standard library or outside packages.",
                          local);
        else
            cw_buf_puts(b, " None of them is a local module: they come from the standard "
                           "library or outside packages.");
    }
}

static void s_file_overview(cw_buf_t *b, const cw_gen_target_t *t)
{
    const char *lang = cw_md_language(t->language);
    cw_md_code(b, t->file, CW_MD_ITEM);
    s_repo_at(b, t, ", in");
    if (t->repo && *t->repo)
        cw_buf_puts(b, ",");
    cw_buf_puts(b, " is a ");
    cw_md_text(b, lang, 32, false);
    cw_buf_puts(b, " file of ");
    cw_md_count(b, s_lines(t), "line", "lines");
    if (t->bytes >= 0)
        cw_buf_printf(b, " (%ld bytes)", t->bytes);
    cw_buf_puts(b, ". ");
    if (t->definition_count == 0) {
        cw_buf_puts(b, "It has no top-level definitions");
    } else {
        cw_buf_puts(b, "At its top level it defines ");
        s_kind_counts(b, t->definitions, t->definition_count, NULL);
    }
    bool c = s_is(t->language, "c") || s_is(t->language, "cpp");
    if (t->import_count > 0) {
        cw_buf_puts(b, c ? ", and it includes " : ", and it imports ");
        cw_md_count(b, (long)t->import_count, c ? "header" : "module", c ? "headers" : "modules");
    }
    cw_buf_puts(b, ".");
    if (t->source_cut)
        cw_buf_puts(b, " The source above shows only the beginning of the file.");
}

static void s_file_doc(cw_buf_t *b, const cw_gen_target_t *t)
{
    const char *base = cw_md_base(t->file);
    s_purpose(b, t, "leading doc comment", base,
              "its definitions and dependencies below are the best guide to what it is for.");
    s_heading(b, "Overview");
    s_file_overview(b, t);
    if (t->definition_count > 0) {
        s_heading(b, "Definitions");
        s_member_list(b, t->definitions, t->definition_count, 40);
    }
    s_imports(b, t, "The file");

    s_heading(b, "What to watch for");
    s_watch_t w = {b, 0};
    long lines = s_lines(t);
    if (lines >= 1000)
        s_watch(&w,
                "At %ld lines it is long: finding one's way in it takes time, and it may "
                "hold more than one responsibility.",
                lines);
    else if (lines >= 500)
        s_watch(&w, "At %ld lines it is on the long side.", lines);
    if (t->definition_count >= 30)
        s_watch(&w, "It defines %zu things at its top level: a reader needs an index.",
                t->definition_count);
    if (t->import_count >= 15)
        s_watch(&w, "It depends on %zu modules: a change in any of them can reach it.",
                t->import_count);
    if (!t->docstring)
        s_watch(&w, "It has no leading doc comment: what it is for is not written down.");
    if (w.count == 0)
        cw_buf_puts(b, "Nothing stands out: it is of moderate size and says what it is for.");
}

/* ================================================================ modules */

static void s_module_doc(cw_buf_t *b, const cw_gen_target_t *t, const char *name)
{
    const char *lang = cw_md_language(t->language);
    const char *index = t->module.index_file;
    const char *mkind = t->module.kind ? t->module.kind : "module";
    s_heading(b, "Purpose");
    if (!cw_md_paragraph(b, t->docstring, CW_MD_PARA)) {
        if (index) {
            cw_buf_puts(b, "Its index file ");
            cw_md_code(b, cw_md_base(index), CW_MD_ITEM);
            cw_buf_puts(b, " has no doc comment, so the files and what the index defines are "
                           "the best guide to what the ");
            cw_md_text(b, mkind, 32, false);
            cw_buf_puts(b, " is for.");
        } else {
            cw_buf_puts(b, "It has no doc comment.");
        }
    }

    s_heading(b, "Overview");
    cw_md_code(b, name, CW_MD_ITEM);
    cw_buf_puts(b, " is a ");
    cw_md_text(b, lang, 32, false);
    cw_buf_puts(b, " ");
    cw_md_text(b, mkind, 32, false);
    if (s_is(t->file, ".") || !*t->file) {
        cw_buf_puts(b, " at the top");
        s_repo(b, t);
    } else {
        cw_buf_puts(b, " in ");
        cw_md_code(b, t->file, CW_MD_ITEM);
        s_repo(b, t);
    }
    cw_buf_puts(b, " with ");
    cw_md_count(b, t->module.file_count, "file", "files");
    long lines = 0, fns = 0, classes = 0;
    for (size_t i = 0; i < t->module.count; i++) {
        lines += t->module.files[i].lines;
        fns += t->module.files[i].functions;
        classes += t->module.files[i].classes;
    }
    cw_buf_puts(b, ".");
    if (t->module.count > 0) {
        cw_buf_puts(b, (long)t->module.count == t->module.file_count ? " Together they have "
                                                                     : " The files listed have ");
        cw_md_count(b, lines, "line", "lines");
        cw_buf_puts(b, ", ");
        cw_md_count(b, fns, "function", "functions");
        cw_buf_puts(b, " and ");
        cw_md_count(b, classes, "class or type", "classes and types");
        cw_buf_puts(b, ".");
    }
    if (index) {
        cw_buf_puts(b, " Its index file is ");
        cw_md_code(b, index, CW_MD_ITEM);
        if (s_lines(t) > 0) {
            cw_buf_puts(b, ", ");
            cw_md_count(b, s_lines(t), "line", "lines");
            s_span(b, t);
        }
        cw_buf_puts(b, ".");
    }
    if (t->module.count > 0) {
        s_heading(b, "Files");
        size_t k = t->module.count < CW_MD_SHOWN ? t->module.count : CW_MD_SHOWN;
        for (size_t i = 0; i < k; i++) {
            const cw_gen_module_file_t *f = &t->module.files[i];
            cw_buf_puts(b, i ? "\n- " : "- ");
            cw_md_code(b, cw_md_base(f->path), CW_MD_ITEM);
            cw_buf_puts(b, ": ");
            cw_md_count(b, f->lines, "line", "lines");
            cw_buf_puts(b, ", ");
            cw_md_count(b, f->functions, "function", "functions");
            cw_buf_puts(b, ", ");
            cw_md_count(b, f->classes, "class or type", "classes and types");
        }
        if ((long)k < t->module.file_count)
            cw_buf_printf(b, "\n- ... and %ld more", t->module.file_count - (long)k);
    }
    if (index && (t->definition_count > 0 || t->import_count > 0)) {
        s_heading(b, "Public interface");
        cw_buf_puts(b, "What the index file ");
        cw_md_code(b, cw_md_base(index), CW_MD_ITEM);
        if (t->definition_count > 0) {
            cw_buf_puts(b, " defines:\n\n");
            s_member_list(b, t->definitions, t->definition_count, 25);
        } else {
            cw_buf_puts(b, " brings in: ");
            cw_md_code_list(b, t->imports, t->import_count, 20);
            cw_buf_puts(b, ".");
        }
    }
    s_heading(b, "What to watch for");
    s_watch_t w = {b, 0};
    if (t->module.file_count >= 15)
        s_watch(&w, "With %ld files it is large: a map of which file does what would help.",
                t->module.file_count);
    long biggest = 0;
    const char *big = NULL;
    for (size_t i = 0; i < t->module.count; i++)
        if (t->module.files[i].lines > biggest) {
            biggest = t->module.files[i].lines;
            big = t->module.files[i].path;
        }
    if (big && lines > 0 && t->module.count > 1 && biggest * 2 > lines) {
        cw_buf_puts(b, w.count++ ? "\n- " : "- ");
        cw_md_code(b, cw_md_base(big), CW_MD_ITEM);
        cw_buf_printf(b, " holds %ld of its %ld lines: most of the code is there.", biggest, lines);
    }
    if (!t->docstring)
        s_watch(&w, "Its purpose is not written down in a doc comment.");
    if (w.count == 0)
        cw_buf_puts(b, "Nothing stands out.");
}

/* ================================================================ changes */

static void s_evolution_doc(cw_buf_t *b, const cw_gen_target_t *t)
{
    s_heading(b, "Change");
    if (t->commit.subject)
        cw_md_text(b, t->commit.subject, CW_MD_TEXT, true);
    else
        cw_buf_puts(b, "The commit has no message.");
    cw_buf_puts(b, "\n\n");
    const char *status = t->change.present ? t->change.status : "modified";
    if (t->commit.hash) {
        char short_hash[8];
        snprintf(short_hash, sizeof short_hash, "%s", t->commit.hash);
        cw_buf_puts(b, "Commit ");
        cw_md_code(b, short_hash, sizeof short_hash);
    } else {
        cw_buf_puts(b, "A commit");
    }
    if (t->commit.author) {
        cw_buf_puts(b, " by ");
        cw_md_text(b, t->commit.author, 200, false);
    }
    if (t->commit.date && strlen(t->commit.date) >= 10) {
        char day[11];
        snprintf(day, sizeof day, "%s", t->commit.date);
        cw_buf_puts(b, " on ");
        cw_md_text(b, day, sizeof day, false);
    }
    cw_buf_puts(b, s_is(status, "added") ? " added " : " changed ");
    cw_md_code(b, t->file, CW_MD_ITEM);
    s_repo_at(b, t, " in");
    if (t->change.present)
        cw_buf_printf(b, ": +%ld -%ld lines", t->change.added, t->change.deleted);
    if (t->change.hunk_count > 0) {
        cw_buf_puts(b, " in ");
        cw_md_count(b, (long)t->change.hunk_count, "hunk", "hunks");
        if (t->source_cut)
            cw_buf_puts(b, " shown");
    }
    if (t->start_line > 0 && t->end_line >= t->start_line)
        cw_buf_printf(b, ", within lines %ld-%ld of the new version", t->start_line, t->end_line);
    cw_buf_puts(b, ".");
    if (t->source_cut)
        cw_buf_puts(b, " The diff above is cut at a line boundary: it shows the beginning of "
                       "the change only.");

    if (t->change.hunk_count > 0) {
        s_heading(b, "Where");
        size_t k = t->change.hunk_count < 20 ? t->change.hunk_count : 20;
        for (size_t i = 0; i < k; i++) {
            const cw_gen_hunk_t *h = &t->change.hunks[i];
            cw_buf_puts(b, i ? "\n- " : "- ");
            if (h->new_lines == 0)
                cw_buf_printf(b, "removed lines %ld-%ld of the old version", h->old_start,
                              h->old_start + (h->old_lines > 0 ? h->old_lines - 1 : 0));
            else if (h->old_lines == 0)
                cw_buf_printf(b, "new lines %ld-%ld", h->new_start,
                              h->new_start + h->new_lines - 1);
            else
                cw_buf_printf(b, "lines %ld-%ld (were %ld-%ld)", h->new_start,
                              h->new_start + h->new_lines - 1, h->old_start,
                              h->old_start + h->old_lines - 1);
            if (h->section) {
                cw_buf_puts(b, ", in ");
                cw_md_code(b, h->section, CW_MD_SIG);
            }
        }
        if (t->change.hunk_count > k)
            cw_buf_printf(b, "\n- ... and %zu more", t->change.hunk_count - k);
    }
    size_t others = 0;
    for (size_t i = 0; i < t->commit.count; i++)
        others += !s_is(t->commit.files[i].path, t->file);
    if (t->commit.file_count > 1) {
        s_heading(b, "The rest of the commit");
        cw_buf_printf(b, "The commit changed %ld files in all", t->commit.file_count);
        if (others > 0)
            cw_buf_puts(b, ":\n");
        else
            cw_buf_puts(b, ".");
        size_t shown = 0;
        for (size_t i = 0; i < t->commit.count && shown < 15; i++) {
            const cw_gen_file_change_t *f = &t->commit.files[i];
            if (s_is(f->path, t->file))
                continue;
            cw_buf_puts(b, "\n- ");
            cw_md_code(b, f->path, CW_MD_ITEM);
            cw_buf_puts(b, " (");
            cw_md_text(b, f->status, 16, false);
            cw_buf_printf(b, ", +%ld -%ld)", f->added, f->deleted);
            shown++;
        }
        if ((long)shown + 1 < t->commit.file_count && others > 0)
            cw_buf_printf(b, "\n- ... and %ld more", t->commit.file_count - 1 - (long)shown);
    }

    s_heading(b, "What to watch for");
    s_watch_t w = {b, 0};
    long added = t->change.added, deleted = t->change.deleted;
    if (s_is(status, "added"))
        s_watch(&w, "It is a new file: nothing in the history shows how it behaves yet.");
    if (added + deleted >= 200)
        s_watch(&w, "With %ld lines touched it is a large change: review it in parts.",
                added + deleted);
    if (deleted > added && deleted > 0)
        s_watch(&w,
                "It removes more than it adds (%ld against %ld lines): check that nothing "
                "still depends on what went away.",
                deleted, added);
    if (t->commit.file_count >= 10)
        s_watch(&w,
                "It is part of a commit that touches %ld files: read it together with the "
                "rest.",
                t->commit.file_count);
    if (w.count == 0)
        cw_buf_puts(b, "Nothing stands out: a small, contained change.");
}

/* ================================================================ patterns */

static const struct {
    const char *name;
    const char *what;
    const char *watch;
} s_pattern_notes[] = {
    {"singleton", "one shared instance, made once and handed to every caller",
     "a singleton is global state: tests have to reset it, and concurrent first use needs care"},
    {"factory", "objects made by a function or class that hides which concrete type is built",
     "a factory that grows a branch per type becomes a switch everyone has to edit"},
    {"observer", "listeners that subscribe to events and are notified when they happen",
     "listeners that never unsubscribe keep their owners alive, and the order of notification "
     "is easy to depend on by accident"},
    {"decorator", "wrappers that add behaviour around a function without changing it",
     "a wrapper that does not copy the wrapped function's name and doc hides them from "
     "tools"},
    {"strategy", "interchangeable algorithms behind one interface, chosen at run time",
     "every strategy must honour the same contract; a new one is easy to add and easy to get "
     "subtly different"},
    {"middleware", "a chain of handlers, each doing its part and passing on to the next",
     "the order of the chain matters, and a handler that forgets to pass on stops everything "
     "after it"},
    {"repository", "data access behind methods such as find, save and delete",
     "persistence details (queries, transactions) tend to leak through a repository's "
     "methods"},
};

static void s_pattern_doc(cw_buf_t *b, const cw_gen_target_t *t)
{
    const char *base = cw_md_base(t->file);
    s_purpose(b, t, "leading doc comment", base,
              "its definitions below are the best guide to what it is for.");
    s_heading(b, "Pattern");
    const cw_gen_pattern_t *p = t->pattern_count > 0 ? &t->patterns[0] : NULL;
    const char *what = NULL, *watch = NULL;
    for (size_t i = 0; p && i < sizeof s_pattern_notes / sizeof s_pattern_notes[0]; i++)
        if (s_is(p->name, s_pattern_notes[i].name)) {
            what = s_pattern_notes[i].what;
            watch = s_pattern_notes[i].watch;
        }
    if (p) {
        cw_md_code(b, t->file, CW_MD_ITEM);
        if (s_lines(t) > 0) {
            cw_buf_puts(b, " (");
            cw_md_count(b, s_lines(t), "line", "lines");
            cw_buf_puts(b, ")");
        }
        s_repo_at(b, t, " in");
        cw_buf_puts(b, " shows signs of the ");
        cw_md_text(b, p->name, 32, false);
        cw_buf_puts(b, " pattern");
        if (what) {
            cw_buf_puts(b, " (");
            cw_buf_puts(b, what);
            cw_buf_puts(b, ")");
        }
        cw_buf_puts(b, ": its code contains ");
        cw_md_code_list(b, p->indicators, p->indicator_count, 16);
        cw_buf_puts(b, ". Comments and strings were not counted.");
    } else {
        cw_buf_puts(b, "The analyzer named no pattern for this file.");
    }
    if (t->pattern_count > 1) {
        cw_buf_puts(b, "\n\nIt also shows signs of:\n");
        for (size_t i = 1; i < t->pattern_count && i < 16; i++) {
            cw_buf_puts(b, "\n- ");
            cw_md_text(b, t->patterns[i].name, 32, false);
            cw_buf_puts(b, ": ");
            cw_md_code_list(b, t->patterns[i].indicators, t->patterns[i].indicator_count, 16);
        }
    }
    /* the definitions named after an indicator: where to look first */
    if (p) {
        const cw_gen_member_t *hits[8];
        size_t k = 0;
        for (size_t i = 0; i < t->definition_count && k < 8; i++) {
            const char *n = t->definitions[i].name;
            for (size_t j = 0; j < p->indicator_count; j++) {
                char ind[64];
                snprintf(ind, sizeof ind, "%s", p->indicators[j]);
                char *paren = strchr(ind, '(');
                if (paren)
                    *paren = '\0';
                /* `create_` and `_instance`: the name part of the indicator */
                size_t a = 0, e = strlen(ind);
                while (a < e && ind[a] == '_')
                    a++;
                while (e > a && ind[e - 1] == '_')
                    e--;
                ind[e] = '\0';
                if (e - a >= 3 && strcasestr(n, ind + a)) {
                    hits[k++] = &t->definitions[i];
                    break;
                }
            }
        }
        cw_buf_puts(b, "\n\n");
        if (k > 0) {
            cw_buf_puts(b, "Where to look first: ");
            for (size_t i = 0; i < k; i++) {
                if (i)
                    cw_buf_puts(b, i + 1 == k ? " and " : ", ");
                cw_md_code(b, hits[i]->name, CW_MD_ITEM);
                cw_buf_puts(b, " (");
                cw_md_text(b, hits[i]->kind, 32, false);
                cw_buf_printf(b, ", line %ld)", hits[i]->line);
            }
            cw_buf_puts(b, ".");
        } else {
            cw_buf_puts(b, "No top-level definition is named after an indicator: they occur "
                           "inside the code.");
        }
        cw_buf_puts(b, " Indicators are keywords, not proof: read the code before relying on "
                       "the pattern.");
    }
    if (t->definition_count > 0) {
        s_heading(b, "Definitions");
        s_member_list(b, t->definitions, t->definition_count, 25);
    }
    s_heading(b, "What to watch for");
    if (watch) {
        cw_buf_puts(b, "- In general, ");
        cw_buf_puts(b, watch);
        cw_buf_puts(b, ".");
    } else {
        cw_buf_puts(b, "- Check that the code really follows the pattern its keywords suggest.");
    }
    if (!t->docstring)
        cw_buf_puts(b, "\n- The file has no leading doc comment saying which pattern it follows.");
}

/* ================================================================ summaries */

static void s_summary_doc(cw_buf_t *b, const cw_gen_target_t *t)
{
    s_heading(b, "Summary");
    cw_buf_puts(b, t->doc_type == CW_DOC_MONTHLY ? "The month's" : "The week's");
    cw_buf_puts(b, " documentation");
    s_repo(b, t);
    cw_buf_puts(b, " is listed in the material above; without an LLM no summary of it is "
                   "written.");
}

/* ================================================================ entry points */

char *cw_offline_document(const cw_gen_target_t *t)
{
    char name[600];
    cw_gen_display_name(t, name, sizeof(name));
    cw_buf_t b;
    cw_buf_init(&b, 0);
    /* the section follows what the target is made from (cw_doctype) */
    const cw_doctype_t *type = cw_doctype(t->doc_type);
    switch (type ? type->source : CW_DOC_FROM_FUNCTIONS) {
    case CW_DOC_FROM_CLASSES:
        s_class_doc(&b, t, name);
        break;
    case CW_DOC_FROM_FILES:
        s_file_doc(&b, t);
        break;
    case CW_DOC_FROM_MODULES:
        s_module_doc(&b, t, name);
        break;
    case CW_DOC_FROM_COMMITS:
        s_evolution_doc(&b, t);
        break;
    case CW_DOC_FROM_PATTERNS:
        s_pattern_doc(&b, t);
        break;
    case CW_DOC_FROM_LEDGER:
        s_summary_doc(&b, t);
        break;
    case CW_DOC_FROM_FUNCTIONS: /* function_doc and its perspectives */
        s_function_doc(&b, t, name);
        break;
    }
    cw_buf_puts(&b, OFFLINE_NOTE);
    /* the same sanitising as LLM output (invalid UTF-8 from the request) */
    return cw_clean_take_utf8(&b);
}
