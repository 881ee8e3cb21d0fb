/*  cw_targets_facts — facts from a file's syntax tree (see cw_targets_facts.h).

    One pass per part, each bounded: the top-level nodes (definitions, doc comment), each
    class's body (members), each function's parameter list and body (counts), and one
    walk for imports that does not enter function bodies (JS/TS: it does when the text has
    `require`), as cw_extract_import_count counts them. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem, strcasestr */
#endif
#include "cw_targets_facts.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cw_text.h"

#define MAX_WALK_DEPTH 512
#define MAX_CONTAINERS 16 /* nesting of namespaces/conditionals looked into for definitions */

/* ------------------------------------------------------------------ text */

static bool s_is(TSNode n, const char *type)
{
    return !ts_node_is_null(n) && strcmp(ts_node_type(n), type) == 0;
}

/* tree-sitter's accessors do not take a null node: these do (malformed code has holes) */
static TSNode s_field(TSNode n, const char *field)
{
    return ts_node_is_null(n) ? n : ts_node_child_by_field_name(n, field, (uint32_t)strlen(field));
}

static uint32_t s_count(TSNode n)
{
    return ts_node_is_null(n) ? 0 : ts_node_named_child_count(n);
}

static TSNode s_child(TSNode n, uint32_t i)
{
    return ts_node_is_null(n) ? n : ts_node_named_child(n, i);
}

/* The named children of n, with one cursor (ts_node_named_child(n, i) walks from the first
   child each time: over a long class body or a whole file that adds up). malloc'd; *count
   set; NULL when none. */
static TSNode *s_kids(TSNode n, uint32_t *count)
{
    *count = 0;
    uint32_t k = s_count(n);
    TSNode *out = k ? malloc(k * sizeof *out) : NULL;
    if (!out)
        return NULL;
    TSTreeCursor c = ts_tree_cursor_new(n);
    for (bool ok = ts_tree_cursor_goto_first_child(&c); ok && *count < k;
         ok = ts_tree_cursor_goto_next_sibling(&c)) {
        TSNode m = ts_tree_cursor_current_node(&c);
        if (ts_node_is_named(m))
            out[(*count)++] = m;
    }
    ts_tree_cursor_delete(&c);
    return out;
}

static bool s_in(TSNode n, const char *const *types)
{
    return !ts_node_is_null(n) && cw_lang_in(types, ts_node_type(n));
}

static bool s_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* src[a, b) with whitespace runs as one space, trimmed, at most `max` bytes (cut on a
   UTF-8 boundary, "..." added). NULL when empty or out of memory. */
static char *s_clean(const char *src, size_t len, size_t a, size_t b, size_t max)
{
    if (b > len)
        b = len;
    while (a < b && s_space(src[a]))
        a++;
    while (b > a && s_space(src[b - 1]))
        b--;
    if (a >= b)
        return NULL;
    char *out = malloc(max + 4);
    if (!out)
        return NULL;
    size_t o = 0;
    bool space = false, cut = false;
    for (size_t i = a; i < b; i++) {
        char c = src[i];
        if (s_space(c)) {
            space = true;
            continue;
        }
        size_t need = space ? 2 : 1;
        if (o + need > max) {
            cut = true;
            break;
        }
        if (space)
            out[o++] = ' ';
        space = false;
        out[o++] = (unsigned char)c < 0x20 ? ' ' : c;
    }
    o = cw_utf8_complete(out, o);
    if (cut) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}

/* The text [a, b) as one clean line of at most `max` bytes: its first line, with " ..."
   when it goes on. A multi-line text (a YAML or SQL string, an object type) flattened into
   one line would lose the line structure that the secret redaction reads, and it is no
   signature anyway. */
static char *s_line_text(const char *src, size_t len, uint32_t a, uint32_t b, size_t max)
{
    if (b > len)
        b = (uint32_t)len;
    const char *nl = b > a ? memchr(src + a, '\n', b - a) : NULL;
    if (!nl)
        return s_clean(src, len, a, b, max);
    uint32_t e = (uint32_t)(nl - src);
    while (e > a && s_space(src[e - 1]))
        e--;
    char *head = s_clean(src, len, a, e, max);
    if (!head)
        return NULL;
    size_t hl = strlen(head);
    if (hl >= 3 && strcmp(head + hl - 3, "...") == 0)
        return head; /* already cut */
    char *out = realloc(head, hl + 5);
    if (!out) {
        free(head);
        return NULL;
    }
    memcpy(out + hl, " ...", 5);
    return out;
}

static char *s_node_text(TSNode n, const char *src, size_t len, size_t max)
{
    if (ts_node_is_null(n))
        return NULL;
    return s_line_text(src, len, ts_node_start_byte(n), ts_node_end_byte(n), max);
}

/* a statement's text without its `;` (one line, as s_line_text) */
static char *s_stmt_text(TSNode n, const char *src, size_t len)
{
    if (ts_node_is_null(n))
        return NULL;
    uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
    if (b > len)
        b = (uint32_t)len;
    while (b > a && (s_space(src[b - 1]) || src[b - 1] == ';'))
        b--;
    return s_line_text(src, len, a, b, CW_FACTS_TEXT);
}

/* A definition's header: its text from `from` to its body (field "body"; else the first
   `{` of its text), without a trailing `{`, `:`, `;` or `=`. */
static char *s_header(TSNode node, uint32_t from, const char *src, size_t len)
{
    if (ts_node_is_null(node))
        return NULL;
    uint32_t end = ts_node_end_byte(node);
    TSNode body = s_field(node, "body");
    if (!ts_node_is_null(body) && ts_node_start_byte(body) > from)
        end = ts_node_start_byte(body);
    else if (end <= len && end > from) {
        const char *brace = memchr(src + from, '{', end - from);
        if (brace)
            end = (uint32_t)(brace - src);
    }
    if (end > len)
        end = (uint32_t)len;
    for (;;) {
        while (end > from && (s_space(src[end - 1]) || src[end - 1] == '{' || src[end - 1] == ':' ||
                              src[end - 1] == ';'))
            end--;
        if (end - from >= 2 && src[end - 2] == '=' && src[end - 1] == '>')
            end -= 2; /* an arrow function's `=>` */
        else
            break;
    }
    return s_clean(src, len, from, end, CW_FACTS_TEXT);
}

static bool s_licence(const char *text)
{
    static const char *const words[] = {"copyright", "spdx-license",        "license",
                                        "licence",   "all rights reserved", NULL};
    for (const char *const *w = words; *w; w++)
        if (strcasestr(text, *w))
            return true;
    return false;
}

/* ------------------------------------------------------------------ value helpers */

typedef struct {
    const cw_lang_t *lang;
    const char *src;
    size_t len;
    TSNode root;
    int err; /* out of memory */
} s_ctx_t;

static void s_set_str(s_ctx_t *x, cw_value_t *map, const char *key, char *s)
{
    if (!s)
        return;
    if (cw_map_set_str(map, key, s) != 0)
        x->err = -1;
    free(s);
}

static void s_push(s_ctx_t *x, cw_value_t *arr, cw_value_t *v)
{
    if (!v || cw_array_push(arr, v) != 0)
        x->err = -1;
}

/* {name, kind, line, signature?} appended to arr (bounded by `max`); name is taken over. */
static void s_member(s_ctx_t *x, cw_value_t *arr, size_t max, char *name, const char *kind,
                     TSNode at, char *signature)
{
    if (!name || !*name || cw_value_size(arr) >= max) {
        free(name);
        free(signature);
        return;
    }
    cw_value_t *m = cw_value_new_map();
    if (!m) {
        free(name);
        free(signature);
        x->err = -1;
        return;
    }
    s_set_str(x, m, "name", name);
    if (cw_map_set_str(m, "kind", kind) != 0 ||
        cw_map_set_int(m, "line", (int64_t)ts_node_start_point(at).row + 1) != 0)
        x->err = -1;
    s_set_str(x, m, "signature", signature);
    s_push(x, arr, m);
}

/* ------------------------------------------------------------------ names */

/* The innermost name of a C/C++ declarator (through pointer, array, function, reference,
   parenthesized and init declarators), or a null node. */
static TSNode s_declarator_name(TSNode d)
{
    for (int guard = 0; guard < 16 && !ts_node_is_null(d); guard++) {
        const char *t = ts_node_type(d);
        if (strcmp(t, "identifier") == 0 || strcmp(t, "field_identifier") == 0 ||
            strcmp(t, "type_identifier") == 0 || strcmp(t, "destructor_name") == 0 ||
            strcmp(t, "operator_name") == 0 || strcmp(t, "qualified_identifier") == 0 ||
            strcmp(t, "template_function") == 0)
            return d;
        TSNode next = s_field(d, "declarator");
        d = ts_node_is_null(next) ? s_child(d, 0) : next;
    }
    return (TSNode){0};
}

/* Whether a C/C++ declarator declares a function (a function_declarator before the name). */
static TSNode s_function_declarator(TSNode d)
{
    for (int guard = 0; guard < 16 && !ts_node_is_null(d); guard++) {
        const char *t = ts_node_type(d);
        if (strcmp(t, "function_declarator") == 0)
            return d;
        if (strcmp(t, "pointer_declarator") != 0 && strcmp(t, "reference_declarator") != 0 &&
            strcmp(t, "attributed_declarator") != 0 && strcmp(t, "parenthesized_declarator") != 0)
            break;
        TSNode next = s_field(d, "declarator");
        d = ts_node_is_null(next) ? s_child(d, 0) : next;
    }
    return (TSNode){0};
}

/* Each child of `n` in field `field`, in order, into out (at most max). */
static size_t s_field_children(TSNode n, const char *field, TSNode *out, size_t max)
{
    size_t k = 0;
    if (ts_node_is_null(n))
        return 0;
    TSTreeCursor c = ts_tree_cursor_new(n);
    if (ts_tree_cursor_goto_first_child(&c)) {
        do {
            const char *f = ts_tree_cursor_current_field_name(&c);
            TSNode n = ts_tree_cursor_current_node(&c);
            /* (tree-sitter 0.20 also names the separators of a repeated field) */
            if (f && strcmp(f, field) == 0 && ts_node_is_named(n) && k < max)
                out[k++] = n;
        } while (ts_tree_cursor_goto_next_sibling(&c));
    }
    ts_tree_cursor_delete(&c);
    return k;
}

static bool s_is_js(const cw_lang_t *lang)
{
    return lang->id == CW_LANG_JAVASCRIPT || lang->id == CW_LANG_TYPESCRIPT ||
           lang->id == CW_LANG_TSX;
}

static bool s_is_c(const cw_lang_t *lang)
{
    return lang->id == CW_LANG_C || lang->id == CW_LANG_CPP;
}

static bool s_function_value(TSNode v)
{
    while (s_is(v, "parenthesized_expression"))
        v = s_child(v, 0);
    static const char *const fns[] = {"arrow_function", "function_expression", "function",
                                      "generator_function", NULL};
    return s_in(v, fns);
}

/* UPPER_CASE names (module-level constants by convention) */
static bool s_upper(const char *s)
{
    bool letter = false;
    for (; *s; s++) {
        if (isupper((unsigned char)*s))
            letter = true;
        else if (!isdigit((unsigned char)*s) && *s != '_')
            return false;
    }
    return letter;
}

/* ------------------------------------------------------------------ parameters */

/* src[a, b) with the span of `name` left out ("const char *p" - "p" = "const char *") */
static char *s_without(uint32_t a, uint32_t b, TSNode name, const char *src, size_t len)
{
    if (ts_node_is_null(name))
        return s_clean(src, len, a, b, CW_FACTS_TEXT);
    uint32_t na = ts_node_start_byte(name), nb = ts_node_end_byte(name);
    if (na < a || nb > b || b > len)
        return NULL;
    size_t n1 = na - a, n2 = b - nb;
    char *buf = malloc(n1 + n2 + 2);
    if (!buf)
        return NULL;
    memcpy(buf, src + a, n1);
    buf[n1] = ' ';
    memcpy(buf + n1 + 1, src + nb, n2);
    char *out = s_clean(buf, n1 + n2 + 1, 0, n1 + n2 + 1, CW_FACTS_TEXT);
    free(buf);
    return out;
}

/* a type annotation without its leading `:` (TS) */
static char *s_type_text(TSNode t, const char *src, size_t len)
{
    if (ts_node_is_null(t))
        return NULL;
    uint32_t a = ts_node_start_byte(t), b = ts_node_end_byte(t);
    if (s_is(t, "type_annotation")) {
        while (a < b && a < len && (src[a] == ':' || s_space(src[a])))
            a++;
    }
    return s_clean(src, len, a, b, CW_FACTS_TEXT);
}

static void s_param(s_ctx_t *x, cw_value_t *arr, char *name, char *type, char *dflt)
{
    if (cw_value_size(arr) >= CW_FACTS_MAX_PARAMS) {
        free(name);
        free(type);
        free(dflt);
        return;
    }
    cw_value_t *p = cw_value_new_map();
    if (!p) {
        free(name);
        free(type);
        free(dflt);
        x->err = -1;
        return;
    }
    if (!name && !type)
        name = strdup("...");
    if (cw_map_set_str(p, "name", name ? name : "") != 0)
        x->err = -1;
    free(name);
    s_set_str(x, p, "type", type);
    s_set_str(x, p, "default", dflt);
    s_push(x, arr, p);
}

static void s_params_python(s_ctx_t *x, TSNode params, cw_value_t *arr)
{
    uint32_t n = s_count(params);
    for (uint32_t i = 0; i < n; i++) {
        TSNode p = s_child(params, i);
        const char *t = ts_node_type(p);
        TSNode name = p, type = {0}, value = {0};
        if (strcmp(t, "default_parameter") == 0 || strcmp(t, "typed_default_parameter") == 0) {
            name = s_field(p, "name");
            type = s_field(p, "type");
            value = s_field(p, "value");
        } else if (strcmp(t, "typed_parameter") == 0) {
            name = s_child(p, 0);
            type = s_field(p, "type");
        } else if (strcmp(t, "identifier") != 0 && strcmp(t, "list_splat_pattern") != 0 &&
                   strcmp(t, "dictionary_splat_pattern") != 0 && strcmp(t, "tuple_pattern") != 0)
            continue; /* `*` and `/` separators, comments */
        if (ts_node_is_null(name))
            continue;
        s_param(x, arr, s_node_text(name, x->src, x->len, CW_FACTS_TEXT),
                s_node_text(type, x->src, x->len, CW_FACTS_TEXT),
                s_node_text(value, x->src, x->len, CW_FACTS_TEXT));
    }
}

static void s_params_js(s_ctx_t *x, TSNode params, cw_value_t *arr)
{
    if (s_is(params, "identifier")) { /* `x => ...` */
        s_param(x, arr, s_node_text(params, x->src, x->len, CW_FACTS_TEXT), NULL, NULL);
        return;
    }
    uint32_t n = s_count(params);
    for (uint32_t i = 0; i < n; i++) {
        TSNode p = s_child(params, i);
        const char *t = ts_node_type(p);
        TSNode name = p, type = {0}, value = {0};
        bool optional = false;
        if (strcmp(t, "required_parameter") == 0 || strcmp(t, "optional_parameter") == 0) {
            name = s_field(p, "pattern");
            type = s_field(p, "type");
            value = s_field(p, "value");
            optional = t[0] == 'o';
        } else if (strcmp(t, "assignment_pattern") == 0) {
            name = s_field(p, "left");
            value = s_field(p, "right");
        } else if (strcmp(t, "comment") == 0 || strcmp(t, "decorator") == 0) {
            continue;
        }
        if (ts_node_is_null(name))
            continue;
        char *nm = s_node_text(name, x->src, x->len, CW_FACTS_TEXT);
        if (nm && optional) {
            size_t l = strlen(nm);
            char *q = realloc(nm, l + 2);
            if (q) {
                q[l] = '?';
                q[l + 1] = '\0';
                nm = q;
            }
        }
        s_param(x, arr, nm, s_type_text(type, x->src, x->len),
                s_node_text(value, x->src, x->len, CW_FACTS_TEXT));
    }
}

static void s_params_go(s_ctx_t *x, TSNode params, cw_value_t *arr)
{
    uint32_t n = s_count(params);
    for (uint32_t i = 0; i < n; i++) {
        TSNode p = s_child(params, i);
        bool variadic = s_is(p, "variadic_parameter_declaration");
        if (!variadic && !s_is(p, "parameter_declaration"))
            continue;
        TSNode type = s_field(p, "type");
        char *tt = s_node_text(type, x->src, x->len, CW_FACTS_TEXT);
        if (variadic && tt) {
            size_t l = strlen(tt);
            char *v = malloc(l + 4);
            if (v) {
                memcpy(v, "...", 3);
                memcpy(v + 3, tt, l + 1);
            }
            free(tt);
            tt = v;
        }
        TSNode names[CW_FACTS_MAX_PARAMS];
        size_t k = s_field_children(p, "name", names, CW_FACTS_MAX_PARAMS);
        if (k == 0) { /* unnamed: `func(int, string)` */
            s_param(x, arr, NULL, tt, NULL);
            continue;
        }
        for (size_t j = 0; j < k; j++)
            s_param(x, arr, s_node_text(names[j], x->src, x->len, CW_FACTS_TEXT),
                    j + 1 == k ? tt : (tt ? strdup(tt) : NULL), NULL);
    }
}

static void s_params_rust(s_ctx_t *x, TSNode params, cw_value_t *arr)
{
    uint32_t n = s_count(params);
    for (uint32_t i = 0; i < n; i++) {
        TSNode p = s_child(params, i);
        if (s_is(p, "self_parameter")) {
            s_param(x, arr, s_node_text(p, x->src, x->len, CW_FACTS_TEXT), NULL, NULL);
        } else if (s_is(p, "parameter")) {
            s_param(x, arr, s_node_text(s_field(p, "pattern"), x->src, x->len, CW_FACTS_TEXT),
                    s_node_text(s_field(p, "type"), x->src, x->len, CW_FACTS_TEXT), NULL);
        } else if (s_is(p, "variadic_parameter")) {
            s_param(x, arr, strdup("..."), NULL, NULL);
        }
    }
}

static void s_params_c(s_ctx_t *x, TSNode params, cw_value_t *arr)
{
    uint32_t n = ts_node_child_count(params);
    uint32_t named = s_count(params);
    for (uint32_t i = 0; i < n; i++) {
        TSNode p = ts_node_child(params, i);
        const char *t = ts_node_type(p);
        if (strcmp(t, "...") == 0 || strcmp(t, "variadic_parameter") == 0) {
            s_param(x, arr, strdup("..."), NULL, NULL);
            continue;
        }
        if (!ts_node_is_named(p) || (strcmp(t, "parameter_declaration") != 0 &&
                                     strcmp(t, "optional_parameter_declaration") != 0 &&
                                     strcmp(t, "variadic_parameter_declaration") != 0))
            continue;
        TSNode decl = s_field(p, "declarator");
        TSNode name = s_declarator_name(decl);
        TSNode value = s_field(p, "default_value");
        if (ts_node_is_null(decl) && named == 1) {
            TSNode type = s_field(p, "type");
            if (s_is(type, "primitive_type") &&
                ts_node_end_byte(type) - ts_node_start_byte(type) == 4 &&
                memcmp(x->src + ts_node_start_byte(type), "void", 4) == 0)
                return; /* `(void)`: no parameters */
        }
        /* the type: the declaration without its name (and without its default) */
        uint32_t a = ts_node_start_byte(p), b = ts_node_end_byte(p);
        if (!ts_node_is_null(value)) {
            b = ts_node_start_byte(value);
            while (b > a && (s_space(x->src[b - 1]) || x->src[b - 1] == '='))
                b--;
        }
        char *type = s_without(a, b, name, x->src, x->len);
        s_param(x, arr, s_node_text(name, x->src, x->len, CW_FACTS_TEXT), type,
                s_node_text(value, x->src, x->len, CW_FACTS_TEXT));
    }
}

/* C/C++: the return type: qualifiers and type of the definition, then a `*`/`&` for each
   pointer/reference declarator around the function declarator (or C++'s trailing return
   type). NULL for constructors and destructors. */
static char *s_returns_c(s_ctx_t *x, TSNode fn, TSNode fdecl)
{
    uint32_t cc = s_count(fdecl);
    for (uint32_t i = 0; i < cc; i++) {
        TSNode t = s_child(fdecl, i);
        if (s_is(t, "trailing_return_type")) {
            TSNode d = s_child(t, 0);
            return s_node_text(ts_node_is_null(d) ? t : d, x->src, x->len, CW_FACTS_TEXT);
        }
    }
    TSNode type = s_field(fn, "type");
    if (ts_node_is_null(type))
        return NULL;
    char buf[CW_FACTS_TEXT + 64];
    size_t o = 0;
    uint32_t n = s_count(fn);
    for (uint32_t i = 0; i < n; i++) {
        TSNode q = s_child(fn, i);
        if (s_is(q, "type_qualifier") && ts_node_start_byte(q) < ts_node_start_byte(type)) {
            char *t = s_node_text(q, x->src, x->len, 32);
            if (t && o + strlen(t) + 2 < sizeof buf)
                o += (size_t)snprintf(buf + o, sizeof buf - o, "%s ", t);
            free(t);
        }
    }
    char *t = s_node_text(type, x->src, x->len, CW_FACTS_TEXT);
    if (t && o + strlen(t) + 1 < sizeof buf)
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%s", t);
    free(t);
    bool space = true;
    TSNode d = s_field(fn, "declarator");
    for (int guard = 0; guard < 16 && !ts_node_is_null(d) && !ts_node_eq(d, fdecl); guard++) {
        const char *dt = ts_node_type(d);
        char mark = strcmp(dt, "pointer_declarator") == 0     ? '*'
                    : strcmp(dt, "reference_declarator") == 0 ? '&'
                                                              : 0;
        if (mark && o + 3 < sizeof buf) {
            if (space)
                buf[o++] = ' ';
            space = false;
            buf[o++] = mark;
        }
        TSNode next = s_field(d, "declarator");
        d = ts_node_is_null(next) ? s_child(d, 0) : next;
    }
    buf[o] = '\0';
    return o ? s_clean(buf, o, 0, o, CW_FACTS_TEXT) : NULL;
}

/* The parameters node and the return type of a function node. */
static TSNode s_signature_parts(s_ctx_t *x, TSNode fn, char **returns)
{
    *returns = NULL;
    const cw_lang_t *lang = x->lang;
    if (s_is_c(lang)) {
        TSNode fdecl = s_function_declarator(s_field(fn, "declarator"));
        if (ts_node_is_null(fdecl))
            return fdecl;
        *returns = s_returns_c(x, fn, fdecl);
        return s_field(fdecl, "parameters");
    }
    TSNode ret = s_field(fn, lang->id == CW_LANG_GO ? "result" : "return_type");
    *returns = s_type_text(ret, x->src, x->len);
    TSNode params = s_field(fn, "parameters");
    if (ts_node_is_null(params) && s_is_js(lang))
        params = s_field(fn, "parameter");
    return params;
}

/* ------------------------------------------------------------------ body counts

   Counted by keyword, not by visiting every node: the text is searched for the keywords
   that open the constructs counted (`for`, `while`, `return`, `raise`, `catch`, `yield`,
   `await`, `goto`, `unsafe`, Rust's `panic!` ...). Every occurrence at a word boundary is
   looked up in the tree by one forward cursor walk, which descends only into the nodes
   that hold it and never into comments or strings; it counts when it is that keyword's
   token in the construct's node. The depth of a loop is the loops among the nodes the walk
   went through to reach it. An occurrence belongs to the function whose range holds it. */

enum { B_NONE = 0, B_LOOP, B_RETURN, B_RAISE, B_CATCH, B_YIELD, B_AWAIT, B_GOTO, B_UNSAFE };
#define B_COUNT 9
#define B_MAX_HITS 200000 /* keyword occurrences looked up per file */
static const char *const s_body_keys[B_COUNT] = {NULL,     "loops",  "returns", "raises", "catches",
                                                 "yields", "awaits", "gotos",   "unsafe"};

typedef struct {
    const char *word;
    int kind;
    const char *const *nodes; /* the constructs the keyword's token opens */
    bool macro;               /* Rust: `word!(...)`, the token is the macro's identifier */
} s_kw_t;

#define L(...) ((const char *const[]){__VA_ARGS__, NULL})
static const char *const *const s_loops_python =
    L("for_statement", "while_statement", "for_in_clause");
static const char *const *const s_loops_js =
    L("for_statement", "for_in_statement", "while_statement", "do_statement");
static const char *const *const s_loops_go = L("for_statement");
static const char *const *const s_loops_rust =
    L("for_expression", "while_expression", "loop_expression");
static const char *const *const s_loops_c =
    L("for_statement", "for_range_loop", "while_statement", "do_statement");
static const s_kw_t s_kw_python[] = {
    {"for", B_LOOP, L("for_statement", "for_in_clause"), false},
    {"while", B_LOOP, L("while_statement"), false},
    {"return", B_RETURN, L("return_statement"), false},
    {"raise", B_RAISE, L("raise_statement"), false},
    {"except", B_CATCH, L("except_clause", "except_group_clause"), false},
    {"yield", B_YIELD, L("yield"), false},
    {"await", B_AWAIT, L("await"), false},
    {NULL, 0, NULL, false}};
static const s_kw_t s_kw_js[] = {{"for", B_LOOP, L("for_statement", "for_in_statement"), false},
                                 {"while", B_LOOP, L("while_statement"), false},
                                 {"do", B_LOOP, L("do_statement"), false},
                                 {"return", B_RETURN, L("return_statement"), false},
                                 {"throw", B_RAISE, L("throw_statement"), false},
                                 {"catch", B_CATCH, L("catch_clause"), false},
                                 {"yield", B_YIELD, L("yield_expression"), false},
                                 {"await", B_AWAIT, L("await_expression"), false},
                                 {NULL, 0, NULL, false}};
static const s_kw_t s_kw_go[] = {{"for", B_LOOP, L("for_statement"), false},
                                 {"return", B_RETURN, L("return_statement"), false},
                                 {"goto", B_GOTO, L("goto_statement"), false},
                                 {NULL, 0, NULL, false}};
static const s_kw_t s_kw_rust[] = {{"for", B_LOOP, L("for_expression"), false},
                                   {"while", B_LOOP, L("while_expression"), false},
                                   {"loop", B_LOOP, L("loop_expression"), false},
                                   {"return", B_RETURN, L("return_expression"), false},
                                   {"await", B_AWAIT, L("await_expression"), false},
                                   {"unsafe", B_UNSAFE, L("unsafe_block"), false},
                                   {"panic", B_RAISE, L("macro_invocation"), true},
                                   {"unreachable", B_RAISE, L("macro_invocation"), true},
                                   {"todo", B_RAISE, L("macro_invocation"), true},
                                   {"unimplemented", B_RAISE, L("macro_invocation"), true},
                                   {NULL, 0, NULL, false}};
static const s_kw_t s_kw_c[] = {{"for", B_LOOP, L("for_statement", "for_range_loop"), false},
                                {"while", B_LOOP, L("while_statement"), false},
                                {"do", B_LOOP, L("do_statement"), false},
                                {"return", B_RETURN, L("return_statement"), false},
                                {"goto", B_GOTO, L("goto_statement"), false},
                                {"throw", B_RAISE, L("throw_statement", "throw_expression"), false},
                                {"catch", B_CATCH, L("catch_clause"), false},
                                {"co_await", B_AWAIT, L("co_await_expression"), false},
                                {"co_yield", B_YIELD, L("co_yield_statement"), false},
                                {NULL, 0, NULL, false}};
#undef L

static bool s_word_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '$';
}

typedef struct {
    uint32_t at;
    uint16_t kw;
} s_hit_t;

static int s_hit_cmp(const void *a_, const void *b_)
{
    const s_hit_t *a = a_, *b = b_;
    return a->at < b->at ? -1 : a->at > b->at ? 1 : 0;
}

typedef struct {
    uint32_t start, end;
    size_t index; /* in the function list */
} s_span_t;

static int s_span_cmp(const void *a_, const void *b_)
{
    const s_span_t *a = a_, *b = b_;
    return a->start < b->start ? -1 : a->start > b->start ? 1 : 0;
}

/* The forward walk: moves the cursor to the leaf token spanning exactly [a, b) and returns
   its depth (its ancestors are stack[0 .. depth-1]), or -1 when there is none there (a
   comment, a string, a gap). Positions must come in non-decreasing order. */
typedef struct {
    TSTreeCursor cur;
    TSNode stack[MAX_WALK_DEPTH + 1];
    int depth;
    const uint16_t *flags;
    uint32_t nflags;
} s_tok_walk_t;

static int s_token_at(s_tok_walk_t *w, uint32_t a, uint32_t b)
{
    bool up = false;
    for (;;) {
        TSNode n = w->stack[w->depth];
        if (ts_node_end_byte(n) <= a) {
            if (ts_tree_cursor_goto_next_sibling(&w->cur)) {
                w->stack[w->depth] = ts_tree_cursor_current_node(&w->cur);
                up = false;
                continue;
            }
            if (w->depth > 0 && ts_tree_cursor_goto_parent(&w->cur)) {
                w->depth--;
                up = true;
                continue;
            }
            return -1; /* after the tree */
        }
        if (up || ts_node_start_byte(n) > a || ts_node_end_byte(n) < b)
            return -1; /* a gap between children, or across them */
        if (cw_lang_node_flags(w->flags, w->nflags, n) & (CW_SYM_COMMENT | CW_SYM_ATOMIC))
            return -1;
        if (w->depth >= MAX_WALK_DEPTH || !ts_tree_cursor_goto_first_child(&w->cur))
            return ts_node_start_byte(n) == a && ts_node_end_byte(n) == b ? w->depth : -1;
        w->stack[++w->depth] = ts_tree_cursor_current_node(&w->cur);
    }
}

/* counts[i * (B_COUNT + 1) + k] for function i: kind k, and [B_COUNT] its loop depth */
static long *s_body_counts(s_ctx_t *x, const cw_function_list_t *fns)
{
    if (!fns || fns->count == 0 || x->len > UINT32_MAX)
        return NULL;
    const cw_lang_t *lang = x->lang;
    const s_kw_t *kws = lang->id == CW_LANG_PYTHON ? s_kw_python
                        : lang->id == CW_LANG_GO   ? s_kw_go
                        : lang->id == CW_LANG_RUST ? s_kw_rust
                        : s_is_c(lang)             ? s_kw_c
                                                   : s_kw_js;
    const char *const *loops = lang->id == CW_LANG_PYTHON ? s_loops_python
                               : lang->id == CW_LANG_GO   ? s_loops_go
                               : lang->id == CW_LANG_RUST ? s_loops_rust
                               : s_is_c(lang)             ? s_loops_c
                                                          : s_loops_js;
    long *counts = calloc(fns->count * (B_COUNT + 1), sizeof *counts);
    s_span_t *spans = calloc(fns->count, sizeof *spans);
    size_t nhits = 0, cap = 256;
    s_hit_t *hits = malloc(cap * sizeof *hits);
    s_tok_walk_t *w = calloc(1, sizeof *w);
    if (!counts || !spans || !hits || !w) {
        free(counts);
        free(spans);
        free(hits);
        free(w);
        x->err = -1;
        return NULL;
    }
    for (size_t i = 0; i < fns->count; i++)
        spans[i] =
            (s_span_t){(uint32_t)fns->items[i].start_byte, (uint32_t)fns->items[i].end_byte, i};
    qsort(spans, fns->count, sizeof *spans, s_span_cmp);
    /* the keywords' occurrences at word boundaries, in text order */
    for (uint16_t k = 0; kws[k].word && nhits < B_MAX_HITS; k++) {
        size_t n = strlen(kws[k].word);
        for (const char *p = x->src;
             nhits < B_MAX_HITS &&
             (p = memmem(p, x->len - (size_t)(p - x->src), kws[k].word, n)) != NULL;
             p++) {
            size_t at = (size_t)(p - x->src);
            if ((at > 0 && s_word_char(p[-1])) || (at + n < x->len && s_word_char(p[n])) ||
                (kws[k].macro && (at + n >= x->len || p[n] != '!')))
                continue;
            if (nhits == cap) {
                s_hit_t *more = realloc(hits, 2 * cap * sizeof *hits);
                if (!more)
                    break;
                hits = more;
                cap *= 2;
            }
            hits[nhits++] = (s_hit_t){(uint32_t)at, k};
        }
    }
    qsort(hits, nhits, sizeof *hits, s_hit_cmp);
    w->cur = ts_tree_cursor_new(x->root);
    w->stack[0] = x->root;
    w->flags = cw_lang_symbol_flags(lang, &w->nflags);
    size_t f = 0; /* the first function that does not end before the hit */
    for (size_t h = 0; h < nhits; h++) {
        uint32_t a = hits[h].at;
        const s_kw_t *kw = &kws[hits[h].kw];
        while (f < fns->count && spans[f].end <= a)
            f++;
        if (f == fns->count)
            break;
        if (spans[f].start > a)
            continue; /* outside every function */
        int d = s_token_at(w, a, a + (uint32_t)strlen(kw->word));
        if (d < 1 || ts_node_is_named(w->stack[d]) != kw->macro ||
            !s_in(w->stack[d - 1], kw->nodes))
            continue;
        long *c = &counts[spans[f].index * (B_COUNT + 1)];
        c[kw->kind]++;
        if (kw->kind == B_LOOP) {
            long depth = 1; /* the loops around it, inside the function */
            for (int i = d - 2; i >= 0; i--) {
                if (ts_node_start_byte(w->stack[i]) < spans[f].start)
                    break;
                depth += s_in(w->stack[i], loops);
            }
            if (depth > c[B_COUNT])
                c[B_COUNT] = depth;
        }
    }
    ts_tree_cursor_delete(&w->cur);
    free(w);
    free(hits);
    free(spans);
    return counts;
}

/* the body map of function i (NULL when it holds nothing counted) */
static cw_value_t *s_body(s_ctx_t *x, const long *counts, size_t i)
{
    if (!counts)
        return NULL;
    const long *c = &counts[i * (B_COUNT + 1)];
    cw_value_t *body = cw_value_new_map();
    if (!body) {
        x->err = -1;
        return NULL;
    }
    for (int k = 1; k < B_COUNT; k++)
        if (c[k] > 0 && cw_map_set_int(body, s_body_keys[k], c[k]) != 0)
            x->err = -1;
    if (c[B_COUNT] > 0 && cw_map_set_int(body, "loop_depth", c[B_COUNT]) != 0)
        x->err = -1;
    return body;
}

/* ------------------------------------------------------------------ members */

static void s_members_python(s_ctx_t *x, TSNode cls, cw_value_t *arr)
{
    uint32_t n;
    TSNode *kids = s_kids(s_field(cls, "body"), &n);
    for (uint32_t i = 0; i < n; i++) {
        TSNode m = kids[i];
        TSNode def = s_is(m, "decorated_definition") ? s_field(m, "definition") : m;
        if (s_is(def, "function_definition") || s_is(def, "class_definition")) {
            s_member(x, arr, CW_FACTS_MAX_MEMBERS,
                     s_node_text(s_field(def, "name"), x->src, x->len, CW_FACTS_TEXT),
                     s_is(def, "class_definition") ? "class" : "method", m,
                     s_header(def, ts_node_start_byte(def), x->src, x->len));
        } else if (s_is(m, "expression_statement") && s_is(s_child(m, 0), "assignment")) {
            TSNode as = s_child(m, 0);
            TSNode left = s_field(as, "left");
            s_member(x, arr, CW_FACTS_MAX_MEMBERS, s_node_text(left, x->src, x->len, CW_FACTS_TEXT),
                     "attribute", m, s_node_text(as, x->src, x->len, CW_FACTS_TEXT));
        }
    }
    free(kids);
}

static void s_members_js(s_ctx_t *x, TSNode cls, cw_value_t *arr)
{
    uint32_t n;
    TSNode *kids = s_kids(s_field(cls, "body"), &n);
    for (uint32_t i = 0; i < n; i++) {
        TSNode m = kids[i];
        const char *t = ts_node_type(m);
        const char *kind = NULL;
        TSNode name = s_field(m, "name");
        char *sig = NULL;
        if (strcmp(t, "method_definition") == 0) {
            kind = "method";
            sig = s_header(m, ts_node_start_byte(m), x->src, x->len);
        } else if (strcmp(t, "abstract_method_signature") == 0 ||
                   strcmp(t, "method_signature") == 0) {
            kind = "method";
            sig = s_stmt_text(m, x->src, x->len);
        } else if (strcmp(t, "public_field_definition") == 0 ||
                   strcmp(t, "field_definition") == 0) {
            if (ts_node_is_null(name))
                name = s_field(m, "property");
            TSNode v = s_field(m, "value");
            kind = s_function_value(v) ? "method" : "field";
            sig = strcmp(kind, "method") == 0 ? s_header(v, ts_node_start_byte(m), x->src, x->len)
                                              : s_stmt_text(m, x->src, x->len);
        } else if (strcmp(t, "property_signature") == 0) {
            kind = "property";
            sig = s_stmt_text(m, x->src, x->len);
        }
        if (!kind) {
            free(sig);
            continue;
        }
        s_member(x, arr, CW_FACTS_MAX_MEMBERS, s_node_text(name, x->src, x->len, CW_FACTS_TEXT),
                 kind, m, sig);
    }
    free(kids);
}

static void s_members_go(s_ctx_t *x, TSNode spec, cw_value_t *arr)
{
    TSNode st = s_field(spec, "type");
    TSNode list = {0};
    uint32_t k = s_count(st);
    for (uint32_t i = 0; i < k && ts_node_is_null(list); i++)
        if (s_is(s_child(st, i), "field_declaration_list"))
            list = s_child(st, i);
    uint32_t n;
    TSNode *kids = s_kids(list, &n);
    for (uint32_t i = 0; i < n; i++) {
        TSNode f = kids[i];
        if (!s_is(f, "field_declaration"))
            continue;
        TSNode names[64];
        size_t c = s_field_children(f, "name", names, 64);
        if (c == 0) {
            s_member(x, arr, CW_FACTS_MAX_MEMBERS,
                     s_node_text(s_field(f, "type"), x->src, x->len, CW_FACTS_TEXT), "embedded", f,
                     NULL);
            continue;
        }
        for (size_t j = 0; j < c; j++)
            s_member(x, arr, CW_FACTS_MAX_MEMBERS,
                     s_node_text(names[j], x->src, x->len, CW_FACTS_TEXT), "field", f,
                     s_node_text(f, x->src, x->len, CW_FACTS_TEXT));
    }
    free(kids);
}

static void s_members_rust(s_ctx_t *x, TSNode item, cw_value_t *arr)
{
    uint32_t n;
    TSNode *kids = s_kids(s_field(item, "body"), &n);
    for (uint32_t i = 0; i < n; i++) {
        TSNode m = kids[i];
        const char *kind = s_is(m, "function_item") || s_is(m, "function_signature_item") ? "method"
                           : s_is(m, "const_item")                              ? "constant"
                           : s_is(m, "type_item") || s_is(m, "associated_type") ? "type"
                                                                                : NULL;
        if (!kind)
            continue;
        s_member(x, arr, CW_FACTS_MAX_MEMBERS,
                 s_node_text(s_field(m, "name"), x->src, x->len, CW_FACTS_TEXT), kind, m,
                 s_header(m, ts_node_start_byte(m), x->src, x->len));
    }
    free(kids);
}

/* C/C++ field declarations: each declarator a field (or the method it declares) */
static void s_c_field(s_ctx_t *x, TSNode f, cw_value_t *arr)
{
    TSNode decls[64];
    size_t c = s_field_children(f, "declarator", decls, 64);
    if (c == 1 && !ts_node_is_null(s_function_declarator(decls[0]))) {
        s_member(x, arr, CW_FACTS_MAX_MEMBERS,
                 s_node_text(s_declarator_name(decls[0]), x->src, x->len, CW_FACTS_TEXT), "method",
                 f, s_stmt_text(f, x->src, x->len));
        return;
    }
    if (c == 0) { /* a nested type without a member name */
        TSNode type = s_field(f, "type");
        const char *t = ts_node_is_null(type) ? "" : ts_node_type(type);
        const char *kind = strcmp(t, "class_specifier") == 0    ? "class"
                           : strcmp(t, "struct_specifier") == 0 ? "struct"
                           : strcmp(t, "union_specifier") == 0  ? "union"
                           : strcmp(t, "enum_specifier") == 0   ? "enum"
                                                                : NULL;
        TSNode name = s_field(type, "name");
        if (kind)
            s_member(x, arr, CW_FACTS_MAX_MEMBERS,
                     ts_node_is_null(name) ? strdup(kind)
                                           : s_node_text(name, x->src, x->len, CW_FACTS_TEXT),
                     kind, f, s_header(type, ts_node_start_byte(type), x->src, x->len));
        return;
    }
    char *sig = s_stmt_text(f, x->src, x->len);
    for (size_t j = 0; j < c; j++)
        s_member(x, arr, CW_FACTS_MAX_MEMBERS,
                 s_node_text(s_declarator_name(decls[j]), x->src, x->len, CW_FACTS_TEXT), "field",
                 f, sig ? strdup(sig) : NULL);
    free(sig);
}

static void s_members_c(s_ctx_t *x, TSNode cls, cw_value_t *arr)
{
    uint32_t n;
    TSNode *kids = s_kids(s_field(cls, "body"), &n);
    for (uint32_t i = 0; i < n; i++) {
        TSNode m = kids[i];
        TSNode at = m;
        if (s_is(m, "template_declaration")) {
            uint32_t k = s_count(m);
            for (uint32_t j = 0; j < k; j++) {
                TSNode t = s_child(m, j);
                if (!s_is(t, "template_parameter_list")) {
                    m = t;
                    break;
                }
            }
        }
        if (s_is(m, "function_definition")) {
            TSNode fd = s_function_declarator(s_field(m, "declarator"));
            s_member(x, arr, CW_FACTS_MAX_MEMBERS,
                     s_node_text(s_declarator_name(s_field(fd, "declarator")), x->src, x->len,
                                 CW_FACTS_TEXT),
                     "method", at, s_header(m, ts_node_start_byte(m), x->src, x->len));
        } else if (s_is(m, "field_declaration") || s_is(m, "declaration")) {
            s_c_field(x, m, arr);
        } else if (s_is(m, "alias_declaration") || s_is(m, "type_definition")) {
            TSNode name = s_field(m, "name");
            if (ts_node_is_null(name))
                name = s_declarator_name(s_field(m, "declarator"));
            s_member(x, arr, CW_FACTS_MAX_MEMBERS, s_node_text(name, x->src, x->len, CW_FACTS_TEXT),
                     "type", at, s_stmt_text(m, x->src, x->len));
        }
    }
    free(kids);
}

static const char *const s_class_nodes_py[] = {"class_definition", NULL};
static const char *const s_class_nodes_js[] = {
    "class_declaration", "class", "abstract_class_declaration", "interface_declaration", NULL};
static const char *const s_class_nodes_go[] = {"type_spec", NULL};
static const char *const s_class_nodes_rust[] = {"impl_item", "trait_item", NULL};
static const char *const s_class_nodes_c[] = {"struct_specifier", NULL};
static const char *const s_class_nodes_cpp[] = {"class_specifier", "struct_specifier",
                                                "union_specifier", NULL};

static const char *const *s_class_nodes(const cw_lang_t *lang)
{
    switch (lang->id) {
    case CW_LANG_PYTHON:
        return s_class_nodes_py;
    case CW_LANG_GO:
        return s_class_nodes_go;
    case CW_LANG_RUST:
        return s_class_nodes_rust;
    case CW_LANG_C:
        return s_class_nodes_c;
    case CW_LANG_CPP:
        return s_class_nodes_cpp;
    default:
        return s_class_nodes_js;
    }
}

/* The class node inside [a, b) (the first in pre-order: the outermost), or a null node. */
static TSNode s_find_class(s_ctx_t *x, uint32_t a, uint32_t b)
{
    const char *const *types = s_class_nodes(x->lang);
    bool need_body =
        !s_is_js(x->lang) && x->lang->id != CW_LANG_PYTHON && x->lang->id != CW_LANG_GO;
    TSNode found = {0};
    TSTreeCursor c = ts_tree_cursor_new(x->root);
    bool ok = ts_tree_cursor_goto_first_child(&c);
    for (int guard = 0; ok && guard < 100000; guard++) {
        TSNode n = ts_tree_cursor_current_node(&c);
        uint32_t s = ts_node_start_byte(n), e = ts_node_end_byte(n);
        if (s >= b)
            break;
        if (e > a && ts_node_is_named(n) && s >= a && e <= b && s_in(n, types) &&
            (x->lang->id != CW_LANG_GO || s_is(s_field(n, "type"), "struct_type")) &&
            (!need_body || !ts_node_is_null(s_field(n, "body")))) {
            found = n;
            break;
        }
        /* go on down the node that holds the range's end (the class node ends there; what
           is above it, attributes and comments, are siblings), else on to the next */
        if (s <= b - 1 && b - 1 < e)
            ok = ts_tree_cursor_goto_first_child(&c);
        else
            ok = ts_tree_cursor_goto_next_sibling(&c);
    }
    ts_tree_cursor_delete(&c);
    return found;
}

/* ------------------------------------------------------------------ definitions */

static void s_def(s_ctx_t *x, cw_value_t *defs, TSNode name, const char *kind, TSNode at,
                  char *signature)
{
    s_member(x, defs, CW_FACTS_MAX_DEFS, s_node_text(name, x->src, x->len, CW_FACTS_TEXT), kind, at,
             signature);
}

static void s_def_header(s_ctx_t *x, cw_value_t *defs, TSNode node, const char *kind, TSNode at)
{
    s_def(x, defs, s_field(node, "name"), kind, at,
          s_header(node, ts_node_start_byte(at), x->src, x->len));
}

static void s_defs_python(s_ctx_t *x, TSNode n, TSNode at, cw_value_t *defs)
{
    if (s_is(n, "decorated_definition"))
        n = s_field(n, "definition");
    if (s_is(n, "function_definition"))
        s_def(x, defs, s_field(n, "name"), "function", at,
              s_header(n, ts_node_start_byte(n), x->src, x->len));
    else if (s_is(n, "class_definition"))
        s_def(x, defs, s_field(n, "name"), "class", at,
              s_header(n, ts_node_start_byte(n), x->src, x->len));
    else if (s_is(n, "expression_statement") && s_is(s_child(n, 0), "assignment")) {
        TSNode as = s_child(n, 0);
        TSNode left = s_field(as, "left");
        char *name =
            s_is(left, "identifier") ? s_node_text(left, x->src, x->len, CW_FACTS_TEXT) : NULL;
        if (name && s_upper(name))
            s_member(x, defs, CW_FACTS_MAX_DEFS, name, "constant", at,
                     s_node_text(as, x->src, x->len, CW_FACTS_TEXT));
        else
            free(name);
    }
}

static void s_defs_js(s_ctx_t *x, TSNode n, TSNode at, cw_value_t *defs)
{
    const char *t = ts_node_type(n);
    if (strcmp(t, "export_statement") == 0 || strcmp(t, "ambient_declaration") == 0) {
        TSNode d = s_field(n, "declaration");
        if (ts_node_is_null(d) && t[0] == 'a')
            d = s_child(n, 0);
        if (!ts_node_is_null(d))
            s_defs_js(x, d, at, defs);
        return;
    }
    if (strcmp(t, "function_declaration") == 0 ||
        strcmp(t, "generator_function_declaration") == 0 || strcmp(t, "function_signature") == 0)
        s_def_header(x, defs, n, "function", at);
    else if (strcmp(t, "class_declaration") == 0 || strcmp(t, "abstract_class_declaration") == 0)
        s_def_header(x, defs, n, "class", at);
    else if (strcmp(t, "interface_declaration") == 0)
        s_def_header(x, defs, n, "interface", at);
    else if (strcmp(t, "enum_declaration") == 0)
        s_def_header(x, defs, n, "enum", at);
    else if (strcmp(t, "type_alias_declaration") == 0)
        s_def(x, defs, s_field(n, "name"), "type", at, s_stmt_text(n, x->src, x->len));
    else if (strcmp(t, "internal_module") == 0 || strcmp(t, "module") == 0)
        s_def_header(x, defs, n, "namespace", at);
    else if (strcmp(t, "lexical_declaration") == 0 || strcmp(t, "variable_declaration") == 0) {
        bool is_const =
            ts_node_child_count(n) > 0 && strcmp(ts_node_type(ts_node_child(n, 0)), "const") == 0;
        uint32_t k = s_count(n);
        for (uint32_t i = 0; i < k; i++) {
            TSNode d = s_child(n, i);
            if (!s_is(d, "variable_declarator"))
                continue;
            TSNode name = s_field(d, "name");
            TSNode v = s_field(d, "value");
            if (s_function_value(v))
                s_def(x, defs, name, "function", at,
                      s_header(v, ts_node_start_byte(at), x->src, x->len));
            else if (s_is(v, "class"))
                s_def(x, defs, name, "class", at,
                      s_header(v, ts_node_start_byte(at), x->src, x->len));
            else if (is_const && s_is(name, "identifier")) {
                char *nm = s_node_text(name, x->src, x->len, CW_FACTS_TEXT);
                if (nm && s_upper(nm))
                    s_member(x, defs, CW_FACTS_MAX_DEFS, nm, "constant", at,
                             s_node_text(d, x->src, x->len, CW_FACTS_TEXT));
                else
                    free(nm);
            }
        }
    }
}

static void s_defs_go(s_ctx_t *x, TSNode n, TSNode at, cw_value_t *defs)
{
    const char *t = ts_node_type(n);
    if (strcmp(t, "function_declaration") == 0)
        s_def_header(x, defs, n, "function", at);
    else if (strcmp(t, "method_declaration") == 0)
        s_def_header(x, defs, n, "method", at);
    else if (strcmp(t, "type_declaration") == 0) {
        uint32_t k = s_count(n);
        for (uint32_t i = 0; i < k; i++) {
            TSNode s = s_child(n, i);
            if (!s_is(s, "type_spec") && !s_is(s, "type_alias"))
                continue;
            TSNode type = s_field(s, "type");
            const char *kind = s_is(type, "struct_type")      ? "struct"
                               : s_is(type, "interface_type") ? "interface"
                                                              : "type";
            s_def(x, defs, s_field(s, "name"), kind, k == 1 ? at : s,
                  s_header(s, ts_node_start_byte(k == 1 ? at : s), x->src, x->len));
        }
    } else if (strcmp(t, "const_declaration") == 0 || strcmp(t, "var_declaration") == 0) {
        uint32_t k = s_count(n);
        for (uint32_t i = 0; i < k; i++) {
            TSNode s = s_child(n, i);
            if (!s_is(s, "const_spec") && !s_is(s, "var_spec"))
                continue;
            TSNode names[64];
            size_t c = s_field_children(s, "name", names, 64);
            for (size_t j = 0; j < c; j++)
                s_def(x, defs, names[j], t[0] == 'c' ? "constant" : "variable", s,
                      s_node_text(s, x->src, x->len, CW_FACTS_TEXT));
        }
    }
}

static void s_defs_rust(s_ctx_t *x, TSNode n, TSNode at, cw_value_t *defs)
{
    static const struct {
        const char *type;
        const char *kind;
    } items[] = {{"function_item", "function"},
                 {"struct_item", "struct"},
                 {"enum_item", "enum"},
                 {"union_item", "union"},
                 {"trait_item", "trait"},
                 {"mod_item", "module"},
                 {"type_item", "type"},
                 {"const_item", "constant"},
                 {"static_item", "static"},
                 {"macro_definition", "macro"},
                 {"function_signature_item", "function"}};
    const char *t = ts_node_type(n);
    if (strcmp(t, "impl_item") == 0) {
        TSNode type = s_field(n, "type");
        s_def(x, defs, cw_x_type_base(type), "impl", at,
              s_header(n, ts_node_start_byte(n), x->src, x->len));
        return;
    }
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++)
        if (strcmp(t, items[i].type) == 0) {
            /* a constant, static or type alias says it all in one line */
            const char *k = items[i].kind;
            bool whole =
                strcmp(k, "constant") == 0 || strcmp(k, "static") == 0 || strcmp(k, "type") == 0;
            s_def(x, defs, s_field(n, "name"), items[i].kind, at,
                  whole ? s_stmt_text(n, x->src, x->len)
                        : s_header(n, ts_node_start_byte(n), x->src, x->len));
            return;
        }
}

static const char *s_specifier_kind(TSNode type)
{
    if (ts_node_is_null(type) || ts_node_is_null(s_field(type, "body")))
        return NULL;
    const char *t = ts_node_type(type);
    return strcmp(t, "class_specifier") == 0    ? "class"
           : strcmp(t, "struct_specifier") == 0 ? "struct"
           : strcmp(t, "union_specifier") == 0  ? "union"
           : strcmp(t, "enum_specifier") == 0   ? "enum"
                                                : NULL;
}

static void s_defs_c(s_ctx_t *x, TSNode n, TSNode at, cw_value_t *defs)
{
    const char *t = ts_node_type(n);
    if (strcmp(t, "function_definition") == 0) {
        TSNode fd = s_function_declarator(s_field(n, "declarator"));
        TSNode name = s_declarator_name(s_field(fd, "declarator"));
        s_def(x, defs, name, s_is(name, "qualified_identifier") ? "method" : "function", at,
              s_header(n, ts_node_start_byte(n), x->src, x->len));
    } else if (strcmp(t, "declaration") == 0) {
        TSNode type = s_field(n, "type");
        const char *spec = s_specifier_kind(type);
        if (spec)
            s_def(x, defs, s_field(type, "name"), spec, at,
                  s_header(type, ts_node_start_byte(n), x->src, x->len));
        TSNode decls[64];
        size_t c = s_field_children(n, "declarator", decls, 64);
        for (size_t j = 0; j < c; j++) {
            bool fn = !ts_node_is_null(s_function_declarator(decls[j]));
            s_def(x, defs, s_declarator_name(decls[j]), fn ? "prototype" : "variable", at,
                  s_stmt_text(n, x->src, x->len));
        }
    } else if (strcmp(t, "type_definition") == 0) {
        TSNode type = s_field(n, "type");
        const char *spec = s_specifier_kind(type);
        TSNode decl = s_declarator_name(s_field(n, "declarator"));
        TSNode tag = s_field(type, "name");
        if (spec)
            s_def(x, defs, ts_node_is_null(tag) ? decl : tag, spec, at,
                  s_header(type, ts_node_start_byte(n), x->src, x->len));
        else {
            s_def(x, defs, decl, "typedef", at, s_stmt_text(n, x->src, x->len));
        }
    } else if (s_specifier_kind(n)) {
        s_def(x, defs, s_field(n, "name"), s_specifier_kind(n), at,
              s_header(n, ts_node_start_byte(n), x->src, x->len));
    } else if (strcmp(t, "preproc_function_def") == 0 ||
               (strcmp(t, "preproc_def") == 0 && !ts_node_is_null(s_field(n, "value")))) {
        s_def(x, defs, s_field(n, "name"), "macro", at,
              s_node_text(n, x->src, x->len, CW_FACTS_TEXT));
    } else if (strcmp(t, "alias_declaration") == 0) {
        s_def(x, defs, s_field(n, "name"), "type", at, s_stmt_text(n, x->src, x->len));
    }
}

/* containers whose children are top-level definitions too */
static bool s_container(s_ctx_t *x, TSNode n, TSNode *inner)
{
    const char *t = ts_node_type(n);
    if (s_is_c(x->lang)) {
        if (strncmp(t, "preproc_if", 10) == 0 || strcmp(t, "preproc_else") == 0 ||
            strncmp(t, "preproc_elif", 12) == 0) {
            *inner = n;
            return true;
        }
        if (strcmp(t, "linkage_specification") == 0 || strcmp(t, "namespace_definition") == 0) {
            *inner = s_field(n, "body");
            return !ts_node_is_null(*inner);
        }
    }
    return false;
}

/* ------------------------------------------------------------------ per language */

typedef struct {
    void (*params)(s_ctx_t *x, TSNode params, cw_value_t *arr);
    void (*members)(s_ctx_t *x, TSNode cls, cw_value_t *arr);
    void (*defs)(s_ctx_t *x, TSNode n, TSNode at, cw_value_t *defs);
} s_lang_facts_t;

static const s_lang_facts_t *s_lang_facts(const cw_lang_t *lang)
{
    static const s_lang_facts_t python = {s_params_python, s_members_python, s_defs_python},
                                js = {s_params_js, s_members_js, s_defs_js},
                                go = {s_params_go, s_members_go, s_defs_go},
                                rust = {s_params_rust, s_members_rust, s_defs_rust},
                                c = {s_params_c, s_members_c, s_defs_c};
    switch (lang->id) {
    case CW_LANG_PYTHON:
        return &python;
    case CW_LANG_GO:
        return &go;
    case CW_LANG_RUST:
        return &rust;
    case CW_LANG_C:
    case CW_LANG_CPP:
        return &c;
    default:
        return &js;
    }
}

/* a new array filled by one of the language's readers (NULL on out-of-memory) */
static cw_value_t *s_params(s_ctx_t *x, TSNode params)
{
    cw_value_t *arr = cw_value_new_array();
    if (!arr)
        x->err = -1;
    else if (!ts_node_is_null(params))
        s_lang_facts(x->lang)->params(x, params, arr);
    return arr;
}

static cw_value_t *s_members(s_ctx_t *x, TSNode cls)
{
    cw_value_t *arr = cw_value_new_array();
    if (!arr)
        x->err = -1;
    else
        s_lang_facts(x->lang)->members(x, cls, arr);
    return arr;
}

static void s_definitions(s_ctx_t *x, cw_value_t *defs)
{
    /* one cursor per container level (ts_node_named_child(n, i) is linear in i) */
    TSTreeCursor stack[MAX_CONTAINERS];
    bool ok[MAX_CONTAINERS];
    int sp = 0;
    stack[0] = ts_tree_cursor_new(x->root);
    ok[0] = ts_tree_cursor_goto_first_child(&stack[0]);
    while (sp >= 0) {
        if (!ok[sp] || x->err) {
            ts_tree_cursor_delete(&stack[sp--]);
            continue;
        }
        TSNode n = ts_tree_cursor_current_node(&stack[sp]);
        ok[sp] = ts_tree_cursor_goto_next_sibling(&stack[sp]);
        if (!ts_node_is_named(n))
            continue;
        TSNode at = n, inner;
        if (s_container(x, n, &inner)) {
            if (sp + 1 < MAX_CONTAINERS) {
                sp++;
                stack[sp] = ts_tree_cursor_new(inner);
                ok[sp] = ts_tree_cursor_goto_first_child(&stack[sp]);
            }
            continue;
        }
        if (s_is(n, "template_declaration")) {
            uint32_t k = s_count(n);
            for (uint32_t j = 0; j < k; j++)
                if (!s_is(s_child(n, j), "template_parameter_list")) {
                    n = s_child(n, j);
                    break;
                }
        }
        s_lang_facts(x->lang)->defs(x, n, at, defs);
    }
}

/* ------------------------------------------------------------------ imports */

/* the text inside a string literal's quotes */
static char *s_unquote(s_ctx_t *x, TSNode s)
{
    if (ts_node_is_null(s))
        return NULL;
    uint32_t a = ts_node_start_byte(s), b = ts_node_end_byte(s);
    if (b > x->len || b - a < 2)
        return s_node_text(s, x->src, x->len, CW_FACTS_TEXT);
    char q = x->src[a];
    if ((q == '"' || q == '\'' || q == '`') && x->src[b - 1] == q)
        return s_clean(x->src, x->len, a + 1, b - 1, CW_FACTS_TEXT);
    return s_node_text(s, x->src, x->len, CW_FACTS_TEXT);
}

static void s_import(s_ctx_t *x, cw_value_t *arr, char *name)
{
    if (!name || !*name || cw_value_size(arr) >= CW_FACTS_MAX_IMPORTS) {
        free(name);
        return;
    }
    for (size_t i = 0; i < cw_value_size(arr); i++)
        if (strcmp(cw_value_str(cw_array_at(arr, i)), name) == 0) {
            free(name);
            return;
        }
    if (cw_array_push_str(arr, name) != 0)
        x->err = -1;
    free(name);
}

static void s_import_node(s_ctx_t *x, TSNode n, cw_value_t *arr)
{
    const char *t = ts_node_type(n);
    switch (x->lang->id) {
    case CW_LANG_PYTHON:
        if (strcmp(t, "future_import_statement") == 0) {
            s_import(x, arr, strdup("__future__"));
        } else if (strcmp(t, "import_from_statement") == 0) {
            s_import(x, arr, s_node_text(s_field(n, "module_name"), x->src, x->len, CW_FACTS_TEXT));
        } else {
            TSNode names[64];
            size_t c = s_field_children(n, "name", names, 64);
            for (size_t i = 0; i < c; i++) {
                TSNode nm = names[i];
                if (s_is(nm, "aliased_import"))
                    nm = s_field(nm, "name");
                s_import(x, arr, s_node_text(nm, x->src, x->len, CW_FACTS_TEXT));
            }
        }
        break;
    case CW_LANG_GO:
        s_import(x, arr, s_unquote(x, s_field(n, "path")));
        break;
    case CW_LANG_RUST:
        s_import(x, arr, s_node_text(s_field(n, "argument"), x->src, x->len, CW_FACTS_TEXT));
        break;
    case CW_LANG_C:
    case CW_LANG_CPP:
        s_import(x, arr, s_node_text(s_field(n, "path"), x->src, x->len, CW_FACTS_TEXT));
        break;
    default:
        s_import(x, arr, s_unquote(x, s_field(n, "source")));
        break;
    }
}

/* JS/TS `require("x")`, wherever it is: found by its occurrences in the text */
static void s_requires(s_ctx_t *x, cw_value_t *arr)
{
    for (const char *p = x->src;
         (p = memmem(p, x->len - (size_t)(p - x->src), "require", 7)) != NULL; p++) {
        size_t at = (size_t)(p - x->src);
        if ((at > 0 && s_word_char(p[-1])) || (at + 7 < x->len && s_word_char(p[7])))
            continue;
        TSNode id = ts_node_descendant_for_byte_range(x->root, (uint32_t)at, (uint32_t)at + 7);
        if (!s_is(id, "identifier"))
            continue;
        TSNode call = ts_node_parent(id);
        TSNode first = s_child(s_field(call, "arguments"), 0);
        if (s_is(call, "call_expression") && ts_node_eq(s_field(call, "function"), id) &&
            s_is(first, "string"))
            s_import(x, arr, s_unquote(x, first));
    }
}

/* The imports: a walk that does not enter function bodies, as the import count's; then
   JS/TS requires anywhere. */
static void s_imports(s_ctx_t *x, cw_value_t *arr)
{
    uint32_t nflags = 0;
    const uint16_t *flags = cw_lang_symbol_flags(x->lang, &nflags);
    if (!flags)
        return;
    TSTreeCursor cur = ts_tree_cursor_new(x->root);
    int depth = 0;
    for (;;) {
        TSNode n = ts_tree_cursor_current_node(&cur);
        uint16_t fl = cw_lang_node_flags(flags, nflags, n);
        bool descend = ts_node_named_child_count(n) > 0 &&
                       !(fl & (CW_SYM_ATOMIC | CW_SYM_COMMENT | CW_SYM_FUNCTION));
        if (fl & CW_SYM_IMPORT) {
            s_import_node(x, n, arr);
            descend = false;
        } else if (s_is_js(x->lang) && s_is(n, "export_statement") &&
                   !ts_node_is_null(s_field(n, "source"))) {
            s_import(x, arr, s_unquote(x, s_field(n, "source")));
        }
        if (descend && depth < MAX_WALK_DEPTH && ts_tree_cursor_goto_first_child(&cur)) {
            depth++;
            continue;
        }
        bool done = false;
        while (!ts_tree_cursor_goto_next_sibling(&cur)) {
            if (depth == 0 || !ts_tree_cursor_goto_parent(&cur)) {
                done = true;
                break;
            }
            depth--;
        }
        if (done)
            break;
    }
    ts_tree_cursor_delete(&cur);
    if (s_is_js(x->lang) && memmem(x->src, x->len, "require", 7))
        s_requires(x, arr);
}

/* ------------------------------------------------------------------ the file's doc */

/* a Python comment block: `#` and one space stripped per line */
static char *s_hash_comment(const char *src, size_t a, size_t b)
{
    char *out = malloc(b - a + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = a; i < b;) {
        size_t e = i;
        while (e < b && src[e] != '\n')
            e++;
        size_t s = i;
        while (s < e && s_space(src[s]))
            s++;
        while (s < e && src[s] == '#')
            s++;
        if (s < e && src[s] == ' ')
            s++;
        if (o > 0)
            out[o++] = '\n';
        memcpy(out + o, src + s, e - s);
        o += e - s;
        i = e + 1;
    }
    while (o > 0 && s_space(out[o - 1]))
        o--;
    out[o] = '\0';
    if (!o) {
        free(out);
        return NULL;
    }
    return out;
}

static bool s_directive(const char *src, size_t a, size_t b)
{
    static const char *const starts[] = {"#!",        "# -*-",
                                         "# vim:",    "#!/",
                                         "//go:",     "// +build",
                                         "// @ts-",   "/* eslint",
                                         "// eslint", "// Code generated",
                                         NULL};
    for (const char *const *p = starts; *p; p++) {
        size_t l = strlen(*p);
        if (b - a >= l && memcmp(src + a, *p, l) == 0)
            return true;
    }
    return false;
}

/* the text of a comment block [a, b) without markers (NULL: empty) */
static char *s_comment_block(s_ctx_t *x, size_t a, size_t b)
{
    if (x->lang->id == CW_LANG_PYTHON)
        return s_hash_comment(x->src, a, b);
    return cw_x_comment_text(x->src, a, b);
}

static char *s_file_doc(s_ctx_t *x)
{
    TSNode root = x->root;
    uint32_t n = s_count(root);
    /* Python: the module docstring */
    if (x->lang->id == CW_LANG_PYTHON) {
        for (uint32_t i = 0; i < n; i++) {
            TSNode c = s_child(root, i);
            if (s_is(c, "comment"))
                continue;
            TSNode s = s_child(c, 0);
            if (s_is(c, "expression_statement") && s_is(s, "string")) {
                uint32_t a = ts_node_start_byte(s), b = ts_node_end_byte(s);
                while (a < b && isalpha((unsigned char)x->src[a]))
                    a++; /* r"", u"", b"" */
                while (a < b && (x->src[a] == '"' || x->src[a] == '\''))
                    a++;
                while (b > a && (x->src[b - 1] == '"' || x->src[b - 1] == '\''))
                    b--;
                size_t m = b - a < CW_FACTS_DOC ? b - a : CW_FACTS_DOC;
                m = cw_utf8_prefix(x->src + a, b - a, m);
                char *doc = malloc(m + 1);
                if (doc) {
                    memcpy(doc, x->src + a, m);
                    doc[m] = '\0';
                }
                return doc;
            }
            break;
        }
    }
    /* the first comment block at the top that is not a licence or a directive; C/C++
       headers: also the one inside the include guard */
    TSNode parent = root;
    uint32_t count = n, i = 0;
    for (int rounds = 0; rounds < 2; rounds++) {
        size_t a = 0, b = 0;
        uint32_t last_row = 0;
        for (; i <= count; i++) {
            TSNode c = i < count ? s_child(parent, i) : (TSNode){0};
            bool comment = !ts_node_is_null(c) && (s_is(c, "comment") || s_is(c, "line_comment") ||
                                                   s_is(c, "block_comment"));
            if (comment && b > a && ts_node_start_point(c).row <= last_row + 1) {
                b = ts_node_end_byte(c); /* the block goes on */
                last_row = ts_node_end_point(c).row;
                continue;
            }
            if (b > a) { /* a block ended */
                if (!s_directive(x->src, a, b)) {
                    char *text = s_comment_block(x, a, b);
                    if (text && !s_licence(text)) {
                        if (strlen(text) > CW_FACTS_DOC)
                            text[cw_utf8_prefix(text, strlen(text), CW_FACTS_DOC)] = '\0';
                        return text;
                    }
                    free(text);
                }
                a = b = 0;
            }
            if (comment) {
                a = ts_node_start_byte(c);
                b = ts_node_end_byte(c);
                last_row = ts_node_end_point(c).row;
                continue;
            }
            if (ts_node_is_null(c))
                break;
            /* things allowed before a doc comment */
            if (s_is(c, "hash_bang_line") || s_is(c, "preproc_def") ||
                (s_is(c, "expression_statement") && s_is(s_child(c, 0), "string")))
                continue;
            if (s_is(c, "identifier") && parent.id != root.id)
                continue; /* the guard's name */
            break;
        }
        /* descend once into a leading include guard */
        if (i < count && s_is_c(x->lang) && rounds == 0 &&
            s_is(s_child(parent, i), "preproc_ifdef")) {
            parent = s_child(parent, i);
            count = s_count(parent);
            i = 0;
            continue;
        }
        break;
    }
    return NULL;
}

/* ------------------------------------------------------------------ the blob

   An index of the entries, then each entry encoded on its own, so that a target decodes
   only what it needs (a function's entry is a few hundred bytes; a whole file's facts can
   be tens of kilobytes). Little-endian u32s:
     "CWF1", nf, nc, file_off, file_len
     nf x (at, off, len)   the functions' entries, by `at`
     nc x (at, off, len)   the classes' entries, by `at`
     then the msgpack maps: the file's {doc, imports, defs}, each function's {params,
     returns, body}, each class's {members}. */

typedef struct {
    uint32_t at;
    char *data;
    size_t size;
} s_piece_t;

static int s_piece_cmp(const void *a_, const void *b_)
{
    const s_piece_t *a = a_, *b = b_;
    return a->at < b->at ? -1 : a->at > b->at ? 1 : 0;
}

/* encode v (taken) as a piece; false on out-of-memory */
static bool s_piece(s_piece_t *p, uint32_t at, cw_value_t *v)
{
    p->at = at;
    p->data = NULL;
    p->size = 0;
    bool ok = v && cw_value_encode(v, &p->data, &p->size) == 0;
    cw_value_destroy(&v);
    return ok;
}

static void s_put32(unsigned char *out, size_t *o, uint32_t v)
{
    out[(*o)++] = (unsigned char)v;
    out[(*o)++] = (unsigned char)(v >> 8);
    out[(*o)++] = (unsigned char)(v >> 16);
    out[(*o)++] = (unsigned char)(v >> 24);
}

static uint32_t s_get32(const unsigned char *in)
{
    return (uint32_t)in[0] | (uint32_t)in[1] << 8 | (uint32_t)in[2] << 16 | (uint32_t)in[3] << 24;
}

static char *s_blob(s_piece_t *file, s_piece_t *fp, size_t nf, s_piece_t *cp, size_t nc,
                    size_t *size)
{
    if (nf > 1)
        qsort(fp, nf, sizeof *fp, s_piece_cmp);
    if (nc > 1)
        qsort(cp, nc, sizeof *cp, s_piece_cmp);
    size_t head = 20 + 12 * (nf + nc), total = head + file->size;
    for (size_t i = 0; i < nf; i++)
        total += fp[i].size;
    for (size_t i = 0; i < nc; i++)
        total += cp[i].size;
    if (total > CW_FACTS_MAX_BLOB)
        return NULL;
    unsigned char *out = malloc(total);
    if (!out)
        return NULL;
    size_t o = 0, at = head + file->size;
    memcpy(out, "CWF1", 4);
    o = 4;
    s_put32(out, &o, (uint32_t)nf);
    s_put32(out, &o, (uint32_t)nc);
    s_put32(out, &o, (uint32_t)head);
    s_put32(out, &o, (uint32_t)file->size);
    s_piece_t *lists[2] = {fp, cp};
    size_t counts[2] = {nf, nc};
    for (int l = 0; l < 2; l++)
        for (size_t i = 0; i < counts[l]; i++) {
            s_put32(out, &o, lists[l][i].at);
            s_put32(out, &o, (uint32_t)at);
            s_put32(out, &o, (uint32_t)lists[l][i].size);
            at += lists[l][i].size;
        }
    memcpy(out + o, file->data, file->size);
    o += file->size;
    for (int l = 0; l < 2; l++)
        for (size_t i = 0; i < counts[l]; i++) {
            memcpy(out + o, lists[l][i].data, lists[l][i].size);
            o += lists[l][i].size;
        }
    *size = o;
    return (char *)out;
}

/* ------------------------------------------------------------------ public */

static cw_value_t *s_function_entry(s_ctx_t *x, const cw_function_t *f, const long *counts,
                                    size_t i)
{
    cw_value_t *e = cw_value_new_map();
    if (!e) {
        x->err = -1;
        return NULL;
    }
    char *returns = NULL;
    TSNode params = s_signature_parts(x, f->node, &returns);
    cw_value_t *p = s_params(x, params);
    if (p && cw_value_size(p) > 0) {
        if (cw_map_set(e, "params", p) != 0)
            x->err = -1;
    } else
        cw_value_destroy(&p);
    s_set_str(x, e, "returns", returns);
    cw_value_t *body = s_body(x, counts, i);
    if (body && cw_value_size(body) > 0) {
        if (cw_map_set(e, "body", body) != 0)
            x->err = -1;
    } else
        cw_value_destroy(&body);
    return e;
}

static cw_value_t *s_file_entry(s_ctx_t *x)
{
    cw_value_t *facts = cw_value_new_map(), *imports = cw_value_new_array(),
               *defs = cw_value_new_array();
    if (!facts || !imports || !defs) {
        cw_value_destroy(&facts);
        cw_value_destroy(&imports);
        cw_value_destroy(&defs);
        x->err = -1;
        return NULL;
    }
    s_set_str(x, facts, "doc", s_file_doc(x));
    s_imports(x, imports);
    if (cw_map_set(facts, "imports", imports) != 0)
        x->err = -1;
    s_definitions(x, defs);
    if (cw_map_set(facts, "defs", defs) != 0)
        x->err = -1;
    return facts;
}

char *cw_facts_extract(const cw_lang_t *lang, TSTree *tree, const char *src, size_t len,
                       const cw_function_list_t *fns, const cw_class_list_t *classes, size_t *size)
{
    if (size)
        *size = 0;
    if (!lang || !tree || !src || !size)
        return NULL;
    s_ctx_t x = {.lang = lang, .src = src, .len = len, .root = ts_tree_root_node(tree)};
    size_t nf = fns ? fns->count : 0, nc = classes ? classes->count : 0, kf = 0, kc = 0;
    s_piece_t file = {0};
    s_piece_t *fp = nf ? calloc(nf, sizeof *fp) : NULL;
    s_piece_t *cp = nc ? calloc(nc, sizeof *cp) : NULL;
    char *blob = NULL;
    if ((nf && !fp) || (nc && !cp) || !s_piece(&file, 0, s_file_entry(&x)))
        goto done;
    long *counts = s_body_counts(&x, fns);
    for (size_t i = 0; i < nf && !x.err; i++) {
        const cw_function_t *f = &fns->items[i];
        if (ts_node_is_null(f->node))
            continue;
        if (!s_piece(&fp[kf++], (uint32_t)f->start_byte, s_function_entry(&x, f, counts, i)))
            x.err = -1;
    }
    free(counts);
    for (size_t i = 0; i < nc && !x.err; i++) {
        const cw_class_t *c = &classes->items[i];
        if (c->end_byte > len || c->end_byte <= c->start_byte)
            continue;
        TSNode node = s_find_class(&x, (uint32_t)c->start_byte, (uint32_t)c->end_byte);
        cw_value_t *e = cw_value_new_map();
        cw_value_t *m = ts_node_is_null(node) ? NULL : s_members(&x, node);
        if (e && m && cw_map_set(e, "members", m) != 0)
            x.err = -1;
        if (!s_piece(&cp[kc++], (uint32_t)c->start_byte, e))
            x.err = -1;
    }
    if (!x.err)
        blob = s_blob(&file, fp, kf, cp, kc, size);
done:
    free(file.data);
    for (size_t i = 0; i < kf; i++)
        free(fp[i].data);
    for (size_t i = 0; i < kc; i++)
        free(cp[i].data);
    free(fp);
    free(cp);
    if (!blob)
        *size = 0;
    return blob;
}

char *cw_facts_clean(const char *s, size_t n, size_t max)
{
    return s ? s_clean(s, n, 0, n, max) : NULL;
}

/* the entry [off, off + len) of a checked blob, decoded as a map (NULL: malformed) */
static cw_value_t *s_decode_at(const char *blob, size_t size, uint32_t off, uint32_t len)
{
    if (len == 0 || off > size || len > size - off)
        return NULL;
    cw_value_t *v = cw_value_decode(blob + off, len, NULL, 0);
    if (v && cw_value_kind(v) != CW_VAL_MAP)
        cw_value_destroy(&v);
    return v;
}

/* the header of a blob: false when it is not one */
static bool s_header_ok(const char *blob, size_t size, uint32_t *nf, uint32_t *nc)
{
    if (!blob || size < 20 || size > CW_FACTS_MAX_BLOB || memcmp(blob, "CWF1", 4) != 0)
        return false;
    const unsigned char *u = (const unsigned char *)blob;
    *nf = s_get32(u + 4);
    *nc = s_get32(u + 8);
    return (uint64_t)20 + 12 * ((uint64_t)*nf + *nc) <= size;
}

cw_value_t *cw_facts_file(const char *blob, size_t size)
{
    uint32_t nf, nc;
    if (!s_header_ok(blob, size, &nf, &nc))
        return NULL;
    const unsigned char *u = (const unsigned char *)blob;
    return s_decode_at(blob, size, s_get32(u + 12), s_get32(u + 16));
}

/* binary search of table `which` (0: functions, 1: classes) for `at` */
static cw_value_t *s_find_entry(const char *blob, size_t size, int which, uint32_t at)
{
    uint32_t nf, nc;
    if (!s_header_ok(blob, size, &nf, &nc))
        return NULL;
    const unsigned char *table = (const unsigned char *)blob + 20 + (which ? 12 * (size_t)nf : 0);
    size_t lo = 0, hi = which ? nc : nf;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint32_t m = s_get32(table + 12 * mid);
        if (m == at)
            return s_decode_at(blob, size, s_get32(table + 12 * mid + 4),
                               s_get32(table + 12 * mid + 8));
        if (m < at)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

cw_value_t *cw_facts_function(const char *blob, size_t size, uint32_t at)
{
    return s_find_entry(blob, size, 0, at);
}

cw_value_t *cw_facts_class(const char *blob, size_t size, uint32_t at)
{
    return s_find_entry(blob, size, 1, at);
}
