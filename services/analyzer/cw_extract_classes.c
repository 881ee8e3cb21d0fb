/*  cw_extract_classes — classes and class-like containers (class_doc targets), and import
    counts (file_doc scoring), in one cursor pass each.

    Per language:
    - python: class_definition (decorators from its decorated_definition; docstring = the
      body's first string; methods = functions defined directly in the body).
    - javascript/typescript/tsx: class declarations/expressions ("class"; methods = method
      definitions in the body); TS interfaces that carry behaviour ("interface"; only those
      with at least one method signature, which are the methods counted).
    - go: `type X struct {...}` ("struct"); methods = method declarations in the same file
      whose receiver is X or *X.
    - rust: impl blocks ("impl", named after the type, also for `impl Trait for Type`;
      methods = its fns) and traits ("trait"; methods = fns and fn signatures).
    - c: struct definitions with a body ("struct", named by the tag, else by the typedef);
      methods = functions in the file whose FIRST parameter is a pointer to that struct
      (`buf_t *self`, `const struct buf *b`) — the usual C idiom of a struct with methods.
    - cpp: class/struct/union definitions with a body; methods = function definitions and
      function declarations in the body.
    JS/TS class fields holding a function (`handle = () => {...}`) are methods too.
    cw_extract_class_methods tells which of the file's functions
    are methods written outside their class's text: Go receiver methods, the C functions
    above, C++ out-of-line definitions (`Foo::bar`).
    Docstring: Python's docstring, else the comment block right above (the same openers as
    for functions); decorators: Python/TS decorators, Rust attributes. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cw_extract.h"
#include "cw_index.h"

typedef struct {
    const cw_lang_t *lang;
    const uint16_t *flags;
    uint32_t nflags;
    const char *src;
    size_t len;
    cw_class_list_t *out;
    /* C: structs' typedef names; Go/C: receivers/first-parameter types of the functions */
    cw_span_t *alias; /* per class: typedef name (C) */
    cw_span_t *owners;
    size_t nowners, owners_cap;
    int err;
} s_cx_t;

static bool s_is_js(const cw_lang_t *lang)
{
    return lang->id == CW_LANG_JAVASCRIPT || lang->id == CW_LANG_TYPESCRIPT ||
           lang->id == CW_LANG_TSX;
}

static bool s_is(TSNode n, const char *type)
{
    return !ts_node_is_null(n) && strcmp(ts_node_type(n), type) == 0;
}

static bool s_span_eq(const char *src, cw_span_t a, cw_span_t b)
{
    return a.end > a.start && a.end - a.start == b.end - b.start &&
           memcmp(src + a.start, src + b.start, a.end - a.start) == 0;
}

static void s_owner(s_cx_t *x, cw_span_t sp)
{
    if (sp.end <= sp.start)
        return;
    if (x->nowners == x->owners_cap) {
        size_t cap = x->owners_cap ? x->owners_cap * 2 : 32;
        cw_span_t *o = realloc(x->owners, cap * sizeof *o);
        if (!o) {
            x->err = -1;
            return;
        }
        x->owners = o;
        x->owners_cap = cap;
    }
    x->owners[x->nowners++] = sp;
}

static bool s_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The comment block and attributes right above `at` (text scan backwards, line by line):
   fills docstring (when its opener is accepted) and decorators (Rust `#[...]`); returns
   the first attribute's start byte (or `at`). */
static size_t s_above(s_cx_t *x, size_t at, cw_class_t *c)
{
    const char *src = x->src;
    size_t first = at;
    size_t doc_a = 0, doc_b = 0;
    size_t pos = at; /* start of the current line region */
    while (pos > 0 && src[pos - 1] != '\n')
        pos--; /* `at` must begin its line */
    for (int step = 0; step < 4096 && pos > 0; step++) {
        size_t le = pos - 1; /* the '\n' ending the previous line */
        size_t ls = le;
        while (ls > 0 && src[ls - 1] != '\n')
            ls--;
        size_t a = ls, b = le;
        while (a < b && s_blank(src[a]))
            a++;
        while (b > a && s_blank(src[b - 1]))
            b--;
        if (a == b)
            break; /* blank line */
        if (b - a >= 2 && src[a] == '#' && src[a + 1] == '[' && x->lang->id == CW_LANG_RUST &&
            doc_b == 0) {
            cw_x_list_push(&c->decorators, cw_strndup_utf8(src + a, b - a, CW_EXTRACT_MAX_ITEM),
                           CW_EXTRACT_MAX_LIST, false);
            first = a;
            pos = ls;
            continue;
        }
        if (b - a >= 2 && src[a] == '/' && src[a + 1] == '/') {
            doc_a = a;
            if (!doc_b)
                doc_b = b;
            pos = ls;
            continue;
        }
        if (b - a >= 2 && src[b - 2] == '*' && src[b - 1] == '/') {
            /* a block comment ending here: find its opener */
            size_t k = b - 2;
            bool found = false;
            while (k > 0) {
                k--;
                if (src[k] == '/' && src[k + 1] == '*') {
                    found = true;
                    break;
                }
            }
            if (!found)
                break;
            size_t ks = k;
            while (ks > 0 && src[ks - 1] != '\n')
                ks--;
            bool own_line = true;
            for (size_t i = ks; i < k; i++)
                if (!s_blank(src[i]))
                    own_line = false;
            if (!own_line)
                break;
            doc_a = k;
            if (!doc_b)
                doc_b = b;
            pos = ks;
            continue;
        }
        break;
    }
    if (doc_b > doc_a && x->lang->doc_prefixes) {
        /* the opener must be one the language accepts */
        const char *p = x->lang->doc_prefixes;
        bool ok = false;
        while (*p && !ok) {
            const char *e = strchr(p, '|');
            size_t k = e ? (size_t)(e - p) : strlen(p);
            if (k <= doc_b - doc_a && memcmp(src + doc_a, p, k) == 0)
                ok = true;
            if (!e)
                break;
            p = e + 1;
        }
        if (ok && !c->docstring)
            c->docstring = cw_x_comment_text(src, doc_a, doc_b);
    }
    /* attributes were collected bottom-up: restore source order */
    for (size_t i = 0, j = c->decorators.count; i + 1 < j; i++, j--) {
        char *t = c->decorators.items[i];
        c->decorators.items[i] = c->decorators.items[j - 1];
        c->decorators.items[j - 1] = t;
    }
    return first;
}

static cw_class_t *s_push(s_cx_t *x, const char *kind, cw_span_t name, TSNode range)
{
    if (name.end <= name.start || x->out->count >= CW_EXTRACT_MAX_FUNCTIONS)
        return NULL;
    if (x->out->count == x->out->cap) {
        size_t cap = x->out->cap ? x->out->cap * 2 : 8;
        cw_class_t *items = realloc(x->out->items, cap * sizeof *items);
        cw_span_t *alias = realloc(x->alias, cap * sizeof *alias);
        if (alias)
            x->alias = alias;
        if (!items || !alias) {
            if (items)
                x->out->items = items;
            x->err = -1;
            return NULL;
        }
        x->out->items = items;
        x->out->cap = cap;
    }
    cw_class_t *c = &x->out->items[x->out->count];
    memset(c, 0, sizeof *c);
    x->alias[x->out->count] = (cw_span_t){0, 0};
    c->name = cw_x_span_text(name, x->src, x->len, 512);
    c->kind = strdup(kind);
    if (!c->name || !c->kind) {
        free(c->name);
        free(c->kind);
        x->err = -1;
        return NULL;
    }
    c->start_byte = ts_node_start_byte(range);
    c->end_byte = ts_node_end_byte(range);
    c->start_line = (int)ts_node_start_point(range).row + 1;
    c->end_line = (int)ts_node_end_point(range).row + 1;
    x->out->count++;
    return c;
}

/* Move the class's start up to `first` (attributes above it). */
static void s_start_at(s_cx_t *x, cw_class_t *c, size_t first)
{
    if (first >= c->start_byte)
        return;
    for (size_t i = first; i < c->start_byte && i < x->len; i++)
        c->start_line -= x->src[i] == '\n';
    c->start_byte = first;
}

static int s_count_children(TSNode body, const char *const *types)
{
    int n = 0;
    uint32_t cc = ts_node_named_child_count(body);
    for (uint32_t i = 0; i < cc; i++)
        if (cw_lang_in(types, ts_node_type(ts_node_named_child(body, i))))
            n++;
    return n;
}

/* C/C++: a declaration in a class body that declares a function. */
static bool s_declares_function(TSNode d)
{
    TSNode decl = cw_x_field(d, "declarator");
    for (int guard = 0; guard < 8 && !ts_node_is_null(decl); guard++) {
        if (s_is(decl, "function_declarator"))
            return true;
        const char *t = ts_node_type(decl);
        if (strcmp(t, "pointer_declarator") != 0 && strcmp(t, "reference_declarator") != 0 &&
            strcmp(t, "attributed_declarator") != 0)
            return false;
        TSNode next = cw_x_field(decl, "declarator");
        decl = ts_node_is_null(next) ? ts_node_named_child(decl, 0) : next;
    }
    return false;
}

static int s_cpp_methods(TSNode body)
{
    int n = 0;
    uint32_t cc = ts_node_named_child_count(body);
    for (uint32_t i = 0; i < cc; i++) {
        TSNode m = ts_node_named_child(body, i);
        if (s_is(m, "template_declaration")) {
            uint32_t k = ts_node_named_child_count(m);
            for (uint32_t j = 0; j < k; j++) {
                TSNode t = ts_node_named_child(m, j);
                if (!s_is(t, "template_parameter_list")) {
                    m = t;
                    break;
                }
            }
        }
        if (s_is(m, "function_definition") ||
            ((s_is(m, "field_declaration") || s_is(m, "declaration")) && s_declares_function(m)))
            n++;
    }
    return n;
}

/* C: the struct type a function's first parameter points to (tag or typedef name), or an
   empty span. */
static cw_span_t s_c_first_param_type(TSNode fn)
{
    cw_span_t none = {0, 0};
    TSNode d = cw_x_field(fn, "declarator");
    for (int guard = 0; guard < 8 && !ts_node_is_null(d) && !s_is(d, "function_declarator");
         guard++) {
        TSNode next = cw_x_field(d, "declarator");
        d = ts_node_is_null(next) ? ts_node_named_child(d, 0) : next;
    }
    if (!s_is(d, "function_declarator"))
        return none;
    TSNode params = cw_x_field(d, "parameters");
    TSNode p = ts_node_is_null(params) ? params : ts_node_named_child(params, 0);
    if (!s_is(p, "parameter_declaration") ||
        !s_is(cw_x_field(p, "declarator"), "pointer_declarator"))
        return none;
    TSNode t = cw_x_field(p, "type");
    if (s_is(t, "struct_specifier"))
        t = cw_x_field(t, "name");
    return s_is(t, "type_identifier") ? cw_x_span(t) : none;
}

static void s_c_first_param_owner(s_cx_t *x, TSNode fn)
{
    s_owner(x, s_c_first_param_type(fn));
}

/* JS/TS: class fields holding a function (`handle = () => {...}`, `f = function () {}`). */
static int s_js_function_fields(TSNode body)
{
    int n = 0;
    uint32_t cc = ts_node_named_child_count(body);
    for (uint32_t i = 0; i < cc; i++) {
        TSNode m = ts_node_named_child(body, i);
        if (!s_is(m, "public_field_definition") && !s_is(m, "field_definition"))
            continue;
        TSNode v = cw_x_field(m, "value");
        while (s_is(v, "parenthesized_expression"))
            v = ts_node_named_child(v, 0);
        if (s_is(v, "arrow_function") || s_is(v, "function_expression") || s_is(v, "function"))
            n++;
    }
    return n;
}

static void s_visit(s_cx_t *x, TSNode n, TSNode parent, TSNode grand)
{
    const cw_lang_t *lang = x->lang;
    const char *t = ts_node_type(n);
    cw_class_t *c = NULL;
    switch (lang->id) {
    case CW_LANG_PYTHON:
        if (strcmp(t, "class_definition") == 0) {
            bool wrapped = s_is(parent, "decorated_definition");
            c = s_push(x, "class", cw_x_span(cw_x_field(n, "name")), wrapped ? parent : n);
            if (!c)
                break;
            if (wrapped) {
                uint32_t k = ts_node_named_child_count(parent);
                for (uint32_t i = 0; i < k; i++) {
                    TSNode d = ts_node_named_child(parent, i);
                    if (s_is(d, "decorator"))
                        cw_x_list_push(&c->decorators,
                                       cw_x_text(d, x->src, x->len, CW_EXTRACT_MAX_ITEM),
                                       CW_EXTRACT_MAX_LIST, false);
                }
            }
            TSNode body = cw_x_field(n, "body");
            if (ts_node_is_null(body))
                break;
            uint32_t k = ts_node_named_child_count(body);
            for (uint32_t i = 0; i < k; i++) {
                TSNode m = ts_node_named_child(body, i);
                if (s_is(m, "function_definition") ||
                    (s_is(m, "decorated_definition") &&
                     s_is(cw_x_field(m, "definition"), "function_definition")))
                    c->method_count++;
                if (i == 0 && s_is(m, "expression_statement") &&
                    s_is(ts_node_named_child(m, 0), "string")) {
                    c->docstring = cw_x_strip_quotes(cw_x_text(ts_node_named_child(m, 0), x->src,
                                                               x->len, CW_EXTRACT_MAX_DOCSTRING));
                }
            }
        }
        break;
    case CW_LANG_JAVASCRIPT:
    case CW_LANG_TYPESCRIPT:
    case CW_LANG_TSX: {
        bool is_class = strcmp(t, "class_declaration") == 0 || strcmp(t, "class") == 0 ||
                        strcmp(t, "abstract_class_declaration") == 0;
        bool is_iface = strcmp(t, "interface_declaration") == 0;
        if (!is_class && !is_iface)
            break;
        TSNode body = cw_x_field(n, "body");
        int methods = 0;
        if (is_iface) {
            methods = s_count_children(body, (const char *const[]){"method_signature", NULL});
            if (methods == 0)
                break; /* data-only interfaces carry no behaviour */
        } else {
            methods =
                s_count_children(body, (const char *const[]){"method_definition",
                                                             "abstract_method_signature", NULL}) +
                s_js_function_fields(body);
        }
        cw_span_t name = {0, 0};
        if (!lang->class_name_fn || !lang->class_name_fn(lang, n, parent, x->src, x->len, &name))
            break;
        TSNode range = n;
        if (s_is(parent, "export_statement"))
            range = parent;
        else if (s_is(parent, "variable_declarator") && s_is(grand, "lexical_declaration"))
            range = grand;
        c = s_push(x, is_iface ? "interface" : "class", name, range);
        if (!c)
            break;
        c->method_count = methods;
        TSNode holders[2] = {range, n};
        for (int h = 0; h < 2; h++) {
            if (h == 1 && ts_node_eq(range, n))
                break;
            uint32_t k = ts_node_named_child_count(holders[h]);
            for (uint32_t i = 0; i < k; i++) {
                TSNode d = ts_node_named_child(holders[h], i);
                if (s_is(d, "decorator"))
                    cw_x_list_push(&c->decorators,
                                   cw_x_text(d, x->src, x->len, CW_EXTRACT_MAX_ITEM),
                                   CW_EXTRACT_MAX_LIST, false);
            }
        }
        s_above(x, c->start_byte, c);
        break;
    }
    case CW_LANG_GO:
        if (strcmp(t, "type_spec") == 0 && s_is(cw_x_field(n, "type"), "struct_type")) {
            TSNode range = n;
            if (s_is(parent, "type_declaration") && ts_node_named_child_count(parent) == 1)
                range = parent;
            c = s_push(x, "struct", cw_x_span(cw_x_field(n, "name")), range);
            if (c)
                s_above(x, c->start_byte, c);
        } else if (strcmp(t, "method_declaration") == 0) {
            TSNode recv = cw_x_field(n, "receiver");
            TSNode p = ts_node_is_null(recv) ? recv : ts_node_named_child(recv, 0);
            if (s_is(p, "parameter_declaration"))
                s_owner(x, cw_x_span(cw_x_type_base(cw_x_field(p, "type"))));
        }
        break;
    case CW_LANG_RUST:
        if (strcmp(t, "impl_item") == 0 || strcmp(t, "trait_item") == 0) {
            bool impl = t[0] == 'i';
            cw_span_t name = {0, 0};
            if (!lang->class_name_fn(lang, n, parent, x->src, x->len, &name))
                break;
            c = s_push(x, impl ? "impl" : "trait", name, n);
            if (!c)
                break;
            c->method_count = s_count_children(
                cw_x_field(n, "body"),
                impl ? (const char *const[]){"function_item", NULL}
                     : (const char *const[]){"function_item", "function_signature_item", NULL});
            s_start_at(x, c, s_above(x, c->start_byte, c));
        }
        break;
    case CW_LANG_C:
        if (strcmp(t, "struct_specifier") == 0 && !ts_node_is_null(cw_x_field(n, "body"))) {
            cw_span_t tag = cw_x_span(cw_x_field(n, "name"));
            cw_span_t alias = {0, 0};
            TSNode range = n;
            if (s_is(parent, "type_definition")) {
                range = parent;
                TSNode d = cw_x_field(parent, "declarator");
                if (s_is(d, "type_identifier"))
                    alias = cw_x_span(d);
            }
            c = s_push(x, "struct", tag.end > tag.start ? tag : alias, range);
            if (!c)
                break;
            x->alias[x->out->count - 1] = alias;
            s_above(x, c->start_byte, c);
        } else if (strcmp(t, "function_definition") == 0) {
            s_c_first_param_owner(x, n);
        }
        break;
    case CW_LANG_CPP:
        if ((strcmp(t, "class_specifier") == 0 || strcmp(t, "struct_specifier") == 0 ||
             strcmp(t, "union_specifier") == 0) &&
            !ts_node_is_null(cw_x_field(n, "body"))) {
            cw_span_t name = {0, 0};
            if (!lang->class_name_fn(lang, n, parent, x->src, x->len, &name))
                break;
            TSNode range = n;
            if (s_is(parent, "template_declaration"))
                range = parent;
            else if (s_is(parent, "type_definition") || s_is(parent, "declaration"))
                range = parent;
            c = s_push(x, t[0] == 'c' ? "class" : t[0] == 's' ? "struct" : "union", name, range);
            if (!c)
                break;
            c->method_count = s_cpp_methods(cw_x_field(n, "body"));
            s_above(x, c->start_byte, c);
        }
        break;
    default:
        break;
    }
}

int cw_extract_classes(const cw_lang_t *lang, TSTree *tree, const char *src, size_t len,
                       cw_class_list_t *out)
{
    if (!out)
        return -1;
    memset(out, 0, sizeof(*out));
    if (!lang || !tree || !src)
        return -1;
    /* no class keyword anywhere: nothing to find (a cheap scan saves the tree walk) */
    static const char *const keyword[CW_LANG_COUNT] = {
        [CW_LANG_PYTHON] = "class",  [CW_LANG_JAVASCRIPT] = "class",
        [CW_LANG_TYPESCRIPT] = NULL, [CW_LANG_TSX] = NULL,
        [CW_LANG_GO] = "struct",     [CW_LANG_RUST] = NULL,
        [CW_LANG_C] = "struct",      [CW_LANG_CPP] = NULL};
    const char *kw = ((int)lang->id >= 0 && lang->id < CW_LANG_COUNT) ? keyword[lang->id] : NULL;
    if (kw && !memmem(src, len, kw, strlen(kw)))
        return 0;
    s_cx_t x = {.lang = lang, .src = src, .len = len, .out = out};
    x.flags = cw_lang_symbol_flags(lang, &x.nflags);
    TSNode *stack = calloc(CW_EXTRACT_MAX_DEPTH + 2, sizeof *stack);
    if (!stack)
        return -1;
    cw_walk_t w;
    cw_walk_start(&w, ts_tree_root_node(tree), CW_EXTRACT_MAX_DEPTH);
    for (;;) {
        int depth = w.depth;
        TSNode n = cw_walk_node(&w);
        stack[depth] = n;
        uint16_t fl = cw_lang_node_flags(x.flags, x.nflags, n);
        if (ts_node_is_named(n) && !(fl & CW_SYM_COMMENT))
            s_visit(&x, n, depth > 0 ? stack[depth - 1] : (TSNode){0},
                    depth > 1 ? stack[depth - 2] : (TSNode){0});
        if (x.err)
            break;
        /* leaves and tokens have nothing below; classes local to a function body are not
           documentation targets (most of a file's nodes are in function bodies, so this
           also keeps the pass cheap) — except in JS/TS anonymous functions, where whole
           modules live (callbacks, IIFEs) */
        bool descend = ts_node_named_child_count(n) > 0 && !(fl & CW_SYM_ATOMIC) &&
                       !(fl & CW_SYM_COMMENT) &&
                       !((fl & CW_SYM_FUNCTION) &&
                         (!s_is_js(lang) || !ts_node_is_null(cw_x_field(n, "name"))));
        if (!cw_walk_next(&w, descend, NULL, NULL))
            break;
    }
    cw_walk_end(&w);
    free(stack);
    /* Go and C: methods are the file's functions that belong to the struct */
    if (!x.err && (lang->id == CW_LANG_GO || lang->id == CW_LANG_C)) {
        for (size_t i = 0; i < out->count; i++) {
            cw_class_t *c = &out->items[i];
            cw_span_t tag = {0, 0};
            /* the class's own name span is not kept; compare by text */
            for (size_t k = 0; k < x.nowners; k++) {
                cw_span_t o = x.owners[k];
                size_t n = o.end - o.start;
                bool match = strlen(c->name) == n && memcmp(c->name, src + o.start, n) == 0;
                if (!match && lang->id == CW_LANG_C)
                    match = s_span_eq(src, x.alias[i], o);
                if (match)
                    c->method_count++;
            }
            (void)tag;
        }
    }
    free(x.owners);
    free(x.alias);
    if (x.err) {
        cw_class_list_free(out);
        return -1;
    }
    return 0;
}

static bool s_text_is(const char *src, cw_span_t sp, const char *name)
{
    size_t n = sp.end - sp.start;
    return sp.end > sp.start && name && strlen(name) == n && memcmp(src + sp.start, name, n) == 0;
}

int cw_extract_class_methods(const cw_lang_t *lang, TSTree *tree, const char *src, size_t len,
                             const cw_class_list_t *classes, const cw_function_list_t *fns,
                             int *owner)
{
    if (!fns || !owner)
        return -1;
    for (size_t i = 0; i < fns->count; i++)
        owner[i] = -1;
    if (!lang || !tree || !src || !classes)
        return -1;
    if (classes->count == 0 || classes->count > INT32_MAX)
        return 0;
    switch (lang->id) {
    case CW_LANG_GO:
    case CW_LANG_CPP:
        /* by the function's class: Go's receiver type, C++'s `Foo::` scope; a C++ method
           written in its class's body is part of the class's text already */
        for (size_t i = 0; i < fns->count; i++) {
            const cw_function_t *f = &fns->items[i];
            if (!f->class_name)
                continue;
            int first = -1;
            bool inside = false;
            for (size_t k = 0; k < classes->count && !inside; k++) {
                const cw_class_t *c = &classes->items[k];
                if (!c->name || strcmp(c->name, f->class_name) != 0)
                    continue;
                inside = f->start_byte >= c->start_byte && f->end_byte <= c->end_byte;
                if (first < 0)
                    first = (int)k;
            }
            owner[i] = inside ? -1 : first;
        }
        return 0;
    case CW_LANG_C: {
        /* the struct the first parameter points to, by its tag or its typedef name */
        cw_span_t *alias = calloc(classes->count, sizeof *alias);
        if (!alias)
            return -1;
        TSNode root = ts_tree_root_node(tree);
        for (size_t k = 0; k < classes->count; k++) {
            const cw_class_t *c = &classes->items[k];
            if (c->end_byte > len || c->end_byte <= c->start_byte)
                continue;
            TSNode n = ts_node_descendant_for_byte_range(root, (uint32_t)c->start_byte,
                                                         (uint32_t)c->end_byte);
            if (s_is(n, "type_definition") && s_is(cw_x_field(n, "declarator"), "type_identifier"))
                alias[k] = cw_x_span(cw_x_field(n, "declarator"));
        }
        for (size_t i = 0; i < fns->count; i++) {
            const cw_function_t *f = &fns->items[i];
            if (ts_node_is_null(f->node) || !s_is(f->node, "function_definition"))
                continue;
            cw_span_t t = s_c_first_param_type(f->node);
            if (t.end <= t.start || t.end > len)
                continue;
            for (size_t k = 0; k < classes->count && owner[i] < 0; k++)
                if (s_text_is(src, t, classes->items[k].name) || s_span_eq(src, alias[k], t))
                    owner[i] = (int)k;
        }
        free(alias);
        return 0;
    }
    default:
        return 0;
    }
}

void cw_class_list_free(cw_class_list_t *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++) {
        cw_class_t *c = &list->items[i];
        free(c->name);
        free(c->kind);
        free(c->docstring);
        for (size_t j = 0; j < c->decorators.count; j++)
            free(c->decorators.items[j]);
        free(c->decorators.items);
    }
    free(list->items);
    memset(list, 0, sizeof(*list));
}

int cw_extract_import_count(const cw_lang_t *lang, TSTree *tree, const char *src, size_t len)
{
    if (!lang || !tree || !src)
        return 0;
    uint32_t nflags = 0;
    const uint16_t *flags = cw_lang_symbol_flags(lang, &nflags);
    if (!flags)
        return 0;
    /* JS/TS: require() calls anywhere, but only worth the deep walk when the text has one */
    bool js = s_is_js(lang) && memmem(src, len, "require", 7) != NULL;
    int count = 0;
    cw_walk_t w;
    cw_walk_start(&w, ts_tree_root_node(tree), CW_EXTRACT_MAX_DEPTH);
    for (;;) {
        TSNode n = cw_walk_node(&w);
        uint16_t fl = cw_lang_node_flags(flags, nflags, n);
        /* imports/includes/uses at any level but inside function bodies, except in JS/TS
           where require() calls sit anywhere */
        bool descend = ts_node_named_child_count(n) > 0 &&
                       !(fl & (CW_SYM_ATOMIC | CW_SYM_COMMENT)) && !((fl & CW_SYM_FUNCTION) && !js);
        if (fl & CW_SYM_IMPORT) {
            count++;
            descend = false;
        } else if (js && (fl & CW_SYM_CALL)) {
            /* require("x") */
            TSNode f = cw_x_field(n, "function");
            if (s_is(f, "identifier") && ts_node_end_byte(f) - ts_node_start_byte(f) == 7 &&
                ts_node_end_byte(f) <= len &&
                memcmp(src + ts_node_start_byte(f), "require", 7) == 0)
                count++;
        }
        if (!cw_walk_next(&w, descend, NULL, NULL))
            break;
    }
    cw_walk_end(&w);
    return count;
}
