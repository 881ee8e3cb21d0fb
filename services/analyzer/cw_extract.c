/*  cw_extract — functions and their metrics from tree-sitter syntax trees. */
#include "cw_extract.h"

#include <stdlib.h>
#include <string.h>

#include "cw_log.h"

#define PARSE_TIMEOUT_US (10ULL * 1000 * 1000)

char *cw_strndup_utf8(const char *s, size_t n, size_t max)
{
    if (!s)
        return NULL;
    if (n > max) {
        n = max;
        /* back off continuation bytes so the cut lands on a character boundary */
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    memcpy(out, s, n);
    out[n] = '\0';
    return out;
}

void cw_walk_start(cw_walk_t *w, TSNode start, int max_depth)
{
    w->cur = ts_tree_cursor_new(start);
    w->depth = 0;
    w->max_depth = max_depth;
}

bool cw_walk_next(cw_walk_t *w, bool descend, cw_walk_leave_fn *leave, void *arg)
{
    if (descend && w->depth < w->max_depth && ts_tree_cursor_goto_first_child(&w->cur)) {
        w->depth++;
        return true;
    }
    if (leave)
        leave(arg, w->depth);
    while (!ts_tree_cursor_goto_next_sibling(&w->cur)) {
        if (w->depth == 0 || !ts_tree_cursor_goto_parent(&w->cur))
            return false;
        w->depth--;
        if (leave)
            leave(arg, w->depth);
    }
    return true;
}

void cw_walk_end(cw_walk_t *w)
{
    ts_tree_cursor_delete(&w->cur);
}

TSNode cw_x_field(TSNode node, const char *field)
{
    return ts_node_child_by_field_name(node, field, (uint32_t)strlen(field));
}

cw_span_t cw_x_span(TSNode node)
{
    cw_span_t sp = {0, 0};
    if (!ts_node_is_null(node)) {
        sp.start = ts_node_start_byte(node);
        sp.end = ts_node_end_byte(node);
    }
    return sp;
}

char *cw_x_span_text(cw_span_t span, const char *src, size_t len, size_t max)
{
    if (span.start > span.end || span.end > len)
        return NULL;
    return cw_strndup_utf8(src + span.start, span.end - span.start, max);
}

char *cw_x_text(TSNode node, const char *src, size_t len, size_t max)
{
    if (ts_node_is_null(node))
        return NULL;
    return cw_x_span_text(cw_x_span(node), src, len, max);
}

static char *s_text(TSNode node, const char *src, size_t len, size_t max)
{
    return cw_x_text(node, src, len, max);
}

static TSNode s_field(TSNode node, const char *field)
{
    return cw_x_field(node, field);
}

static bool s_list_has(const cw_strlist_t *list, const char *s)
{
    for (size_t i = 0; i < list->count; i++)
        if (strcmp(list->items[i], s) == 0)
            return true;
    return false;
}

void cw_x_list_push(cw_strlist_t *list, char *s, size_t max, bool dedup)
{
    if (!s)
        return;
    if (list->count >= max || (dedup && s_list_has(list, s))) {
        free(s);
        return;
    }
    char **items = realloc(list->items, (list->count + 1) * sizeof *items);
    if (!items) {
        free(s);
        return;
    }
    list->items = items;
    list->items[list->count++] = s;
}

static void s_list_push(cw_strlist_t *list, char *s, size_t max, bool dedup)
{
    cw_x_list_push(list, s, max, dedup);
}

void cw_x_list_free(cw_strlist_t *list)
{
    for (size_t i = 0; i < list->count; i++)
        free(list->items[i]);
    free(list->items);
    list->items = NULL;
    list->count = 0;
}

static void s_list_free(cw_strlist_t *list)
{
    cw_x_list_free(list);
}

bool cw_x_has_token(TSNode node, const char *token)
{
    uint32_t n = ts_node_child_count(node);
    for (uint32_t i = 0; i < n; i++) {
        TSNode c = ts_node_child(node, i);
        if (!ts_node_is_named(c) && strcmp(ts_node_type(c), token) == 0)
            return true;
    }
    return false;
}

TSNode cw_x_type_base(TSNode t)
{
    for (int guard = 0; guard < 32 && !ts_node_is_null(t); guard++) {
        const char *ty = ts_node_type(t);
        TSNode next = {0};
        if (strcmp(ty, "pointer_type") == 0 || strcmp(ty, "parenthesized_type") == 0)
            next = ts_node_named_child(t, 0); /* Go `*T`, `(T)` */
        else if (strcmp(ty, "generic_type") == 0 || strcmp(ty, "reference_type") == 0)
            next = s_field(t, "type"); /* Rust/Go `T<..>`/`T[..]`, Rust `&T` */
        else if (strcmp(ty, "scoped_type_identifier") == 0 || strcmp(ty, "template_type") == 0 ||
                 strcmp(ty, "qualified_identifier") == 0)
            next = s_field(t, "name");
        else
            return t;
        if (ts_node_is_null(next))
            return t;
        t = next;
    }
    return t;
}

static bool s_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* A separator line: it starts with a run of at least four of one of - = * # ~ _ / (a
   section divider, perhaps with a title: "------ substitution"). */
static bool s_divider(const char *s, size_t n)
{
    if (n < 4 || !strchr("-=*#~_/", s[0]))
        return false;
    size_t run = 1;
    while (run < n && s[run] == s[0])
        run++;
    return run >= 4;
}

char *cw_x_comment_text(const char *src, size_t a, size_t b)
{
    if (!src || b <= a)
        return NULL;
    size_t cap = b - a;
    if (cap > CW_EXTRACT_MAX_DOCSTRING)
        cap = CW_EXTRACT_MAX_DOCSTRING;
    char *out = malloc(cap + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    size_t i = a;
    while (i < b && o < cap) {
        size_t e = i;
        while (e < b && src[e] != '\n')
            e++;
        size_t x = i, y = e;
        while (x < y && s_blank(src[x]))
            x++;
        while (y > x && s_blank(src[y - 1]))
            y--;
        /* openers */
        if (y - x >= 3 && (memcmp(src + x, "///", 3) == 0 || memcmp(src + x, "//!", 3) == 0 ||
                           memcmp(src + x, "/**", 3) == 0 || memcmp(src + x, "/*!", 3) == 0))
            x += 3;
        else if (y - x >= 2 && (memcmp(src + x, "//", 2) == 0 || memcmp(src + x, "/*", 2) == 0))
            x += 2;
        else if (y - x >= 1 && src[x] == '*' && !(y - x >= 2 && src[x + 1] == '/'))
            x += 1;
        /* closer */
        if (y - x >= 2 && src[y - 2] == '*' && src[y - 1] == '/')
            y -= 2;
        while (x < y && s_blank(src[x]))
            x++;
        while (y > x && (s_blank(src[y - 1]) || src[y - 1] == '*'))
            y--;
        if (s_divider(src + x, y - x)) {
            i = e + 1; /* "----- section" / "=====": a separator, not documentation */
            continue;
        }
        if (y > x || o > 0) {
            size_t n = y - x;
            if (o + n + 1 > cap)
                n = cap > o + 1 ? cap - o - 1 : 0;
            if (o > 0)
                out[o++] = '\n';
            memcpy(out + o, src + x, n);
            o += n;
        }
        i = e + 1;
    }
    while (o > 0 && s_blank(out[o - 1]))
        o--;
    /* never cut a UTF-8 sequence */
    size_t k = o;
    while (k > 0 && ((unsigned char)out[k - 1] & 0xC0) == 0x80)
        k--;
    if (k > 0 && ((unsigned char)out[k - 1] & 0x80)) {
        unsigned char lead = (unsigned char)out[k - 1];
        size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
        if (o - (k - 1) < need)
            o = k - 1;
    }
    out[o] = '\0';
    if (o == 0) {
        free(out);
        return NULL;
    }
    return out;
}

/* ------------------------------------------------------------------ python details */

char *cw_x_strip_quotes(char *s)
{
    if (!s)
        return NULL;
    /* the reference strips quote characters from both ends */
    size_t n = strlen(s);
    size_t a = 0;
    while (a < n && (s[a] == '"' || s[a] == '\''))
        a++;
    while (n > a && (s[n - 1] == '"' || s[n - 1] == '\''))
        n--;
    memmove(s, s + a, n - a);
    s[n - a] = '\0';
    return s;
}

void cw_extract_python_details(const cw_lang_t *lang, TSNode fn, TSNode outer, const char *src,
                               struct cw_function *out);
void cw_extract_python_details(const cw_lang_t *lang, TSNode fn, TSNode outer, const char *src,
                               struct cw_function *out)
{
    size_t len = ts_node_end_byte(outer); /* everything we read lies inside outer */
    /* async */
    uint32_t cc = ts_node_child_count(fn);
    for (uint32_t i = 0; i < cc; i++)
        if (strcmp(ts_node_type(ts_node_child(fn, i)), "async") == 0)
            out->is_async = true;
    /* parameters */
    TSNode params = s_field(fn, "parameters");
    if (!ts_node_is_null(params)) {
        uint32_t n = ts_node_named_child_count(params);
        for (uint32_t i = 0; i < n; i++) {
            TSNode p = ts_node_named_child(params, i);
            const char *t = ts_node_type(p);
            TSNode name = p;
            if (strcmp(t, "default_parameter") == 0 || strcmp(t, "typed_default_parameter") == 0)
                name = s_field(p, "name");
            else if (strcmp(t, "typed_parameter") == 0)
                name = ts_node_named_child(p, 0);
            else if (strcmp(t, "identifier") != 0 && strcmp(t, "list_splat_pattern") != 0 &&
                     strcmp(t, "dictionary_splat_pattern") != 0 && strcmp(t, "tuple_pattern") != 0)
                continue; /* `*` and `/` separators, comments */
            if (ts_node_is_null(name))
                continue;
            s_list_push(&out->parameters, s_text(name, src, len, CW_EXTRACT_MAX_ITEM),
                        CW_EXTRACT_MAX_PARAMS, false);
        }
    }
    /* signature: from `def`/`async` through the ':' before the body */
    TSNode body = s_field(fn, "body");
    uint32_t sig_end = ts_node_end_byte(fn);
    if (!ts_node_is_null(body)) {
        sig_end = ts_node_start_byte(body);
        for (uint32_t i = 0; i < cc; i++) {
            TSNode c = ts_node_child(fn, i);
            if (ts_node_start_byte(c) >= ts_node_start_byte(body))
                break;
            if (strcmp(ts_node_type(c), ":") == 0)
                sig_end = ts_node_end_byte(c);
        }
    }
    uint32_t sig_start = ts_node_start_byte(fn);
    while (sig_end > sig_start && (src[sig_end - 1] == ' ' || src[sig_end - 1] == '\n' ||
                                   src[sig_end - 1] == '\r' || src[sig_end - 1] == '\t'))
        sig_end--;
    if (sig_end > sig_start)
        out->signature =
            cw_strndup_utf8(src + sig_start, sig_end - sig_start, CW_EXTRACT_MAX_SIGNATURE);
    /* docstring: the body's first statement, when it is a string */
    if (!ts_node_is_null(body) && ts_node_child_count(body) > 0) {
        TSNode first = ts_node_child(body, 0);
        if (strcmp(ts_node_type(first), "expression_statement") == 0 &&
            ts_node_child_count(first) > 0) {
            TSNode expr = ts_node_child(first, 0);
            if (strcmp(ts_node_type(expr), "string") == 0)
                out->docstring =
                    cw_x_strip_quotes(s_text(expr, src, len, CW_EXTRACT_MAX_DOCSTRING));
        }
    }
    /* decorators, as written */
    if (!ts_node_eq(fn, outer)) {
        uint32_t n = ts_node_named_child_count(outer);
        for (uint32_t i = 0; i < n; i++) {
            TSNode d = ts_node_named_child(outer, i);
            if (strcmp(ts_node_type(d), "decorator") == 0)
                s_list_push(&out->decorators, s_text(d, src, len, CW_EXTRACT_MAX_ITEM),
                            CW_EXTRACT_MAX_LIST, false);
        }
    }
}

/* ------------------------------------------------------------------ metrics */

/* A function node inside a wrapper (decorated_definition, template_declaration), or null. */
static TSNode s_wrapped_function(const uint16_t *flags, uint32_t nflags, TSNode wrapper)
{
    uint32_t n = ts_node_named_child_count(wrapper);
    for (uint32_t i = 0; i < n; i++) {
        TSNode c = ts_node_named_child(wrapper, i);
        if (cw_lang_node_flags(flags, nflags, c) & CW_SYM_FUNCTION)
            return c;
    }
    TSNode none = {0};
    return none;
}

typedef struct {
    const cw_lang_t *lang;
    const uint16_t *flags;
    uint32_t nflags;
    const char *src;
    size_t len;
    unsigned char *rows; /* reusable per file */
    size_t rows_cap;
} s_mctx_t;

static void s_callee(const char *src, size_t len, TSNode call, cw_strlist_t *calls)
{
    TSNode fn = s_field(call, "function");
    if (ts_node_is_null(fn))
        return;
    const char *t = ts_node_type(fn);
    if (strcmp(t, "identifier") != 0 && strcmp(t, "attribute") != 0 &&
        strcmp(t, "member_expression") != 0 && strcmp(t, "selector_expression") != 0 &&
        strcmp(t, "field_expression") != 0 && strcmp(t, "scoped_identifier") != 0 &&
        strcmp(t, "qualified_identifier") != 0)
        return;
    uint32_t a = ts_node_start_byte(fn), b = ts_node_end_byte(fn);
    if (b <= a || b > len || b - a > CW_EXTRACT_MAX_ITEM)
        return;
    if (memchr(src + a, '\n', b - a))
        return;
    s_list_push(calls, cw_strndup_utf8(src + a, b - a, CW_EXTRACT_MAX_ITEM), CW_EXTRACT_MAX_CALLS,
                true);
}

/* The node where lizard starts counting a function: C/C++ start at the declarator's name
   (return type and storage class are not the function's tokens). */
static TSNode s_metrics_start(const cw_lang_t *lang, TSNode fn)
{
    if (!lang->metrics_from_name)
        return fn;
    TSNode d = s_field(fn, "declarator");
    for (int guard = 0; guard < 16 && !ts_node_is_null(d); guard++) {
        if (strcmp(ts_node_type(d), "function_declarator") == 0) {
            TSNode name = s_field(d, "declarator");
            return ts_node_is_null(name) ? d : name;
        }
        TSNode next = s_field(d, "declarator");
        if (ts_node_is_null(next))
            next = ts_node_named_child(d, 0);
        d = next;
    }
    return fn;
}

/* The token where lizard starts a function: the first token it counts as the function's
   own (a function starts with 1 token and 1 line for it). The tokens before it belong to
   the code around it: C/C++ the return type (start at the name), Python decorators and
   `def` (start at the name), JavaScript `function` and a method's name (start at the
   parameters' `(`), an arrow's parameters and `=>` (start at its body), Rust `pub` and
   `async` (start at `fn`). Go starts at `func`. `fn` may be a wrapper (decorators). */
static TSNode s_lizard_start(const s_mctx_t *m, TSNode fn)
{
    const cw_lang_t *lang = m->lang;
    if (cw_lang_node_flags(m->flags, m->nflags, fn) & CW_SYM_WRAPPER) {
        TSNode inner = s_wrapped_function(m->flags, m->nflags, fn);
        if (ts_node_is_null(inner))
            return fn;
        fn = inner;
    }
    TSNode s = {0};
    switch (lang->id) {
    case CW_LANG_C:
    case CW_LANG_CPP:
        return s_metrics_start(lang, fn);
    case CW_LANG_PYTHON:
        s = s_field(fn, "name");
        break;
    case CW_LANG_JAVASCRIPT:
    case CW_LANG_TYPESCRIPT:
    case CW_LANG_TSX:
        if (strcmp(ts_node_type(fn), "arrow_function") != 0) {
            s = s_field(fn, "parameters");
        } else {
            /* an arrow given a name (`f = (x) =>`, `key: (x) =>`, a class field) starts
               at its parameters' `(`; an anonymous one at its body */
            TSNode parent = ts_node_parent(fn);
            const char *pt = ts_node_is_null(parent) ? "" : ts_node_type(parent);
            bool named = strcmp(pt, "variable_declarator") == 0 ||
                         strcmp(pt, "assignment_expression") == 0 || strcmp(pt, "pair") == 0 ||
                         strcmp(pt, "public_field_definition") == 0 ||
                         strcmp(pt, "field_definition") == 0;
            TSNode params = s_field(fn, "parameters");
            s = named && !ts_node_is_null(params) ? params : s_field(fn, "body");
        }
        break;
    case CW_LANG_RUST: {
        uint32_t n = ts_node_child_count(fn);
        for (uint32_t i = 0; i < n; i++) {
            TSNode c = ts_node_child(fn, i);
            if (!ts_node_is_named(c) && strcmp(ts_node_type(c), "fn") == 0) {
                s = c;
                break;
            }
        }
        break;
    }
    default:
        break;
    }
    return ts_node_is_null(s) ? fn : s;
}

/* A Python string statement written with triple quotes (a docstring, or a string used as
   a comment): lizard takes its lines off NLOC. */
static bool s_py_comment_string(const s_mctx_t *m, TSNode str)
{
    if (m->lang->id != CW_LANG_PYTHON || strcmp(ts_node_type(str), "string") != 0)
        return false;
    TSNode parent = ts_node_parent(str);
    if (ts_node_is_null(parent) || strcmp(ts_node_type(parent), "expression_statement") != 0 ||
        ts_node_named_child_count(parent) != 1)
        return false;
    uint32_t a = ts_node_start_byte(str), b = ts_node_end_byte(str);
    while (a < b && a < m->len &&
           ((m->src[a] >= 'a' && m->src[a] <= 'z') || (m->src[a] >= 'A' && m->src[a] <= 'Z')))
        a++; /* r, b, u, f prefixes */
    if (b > m->len || b < a + 6)
        return false;
    return memcmp(m->src + a, "\"\"\"", 3) == 0 || memcmp(m->src + a, "'''", 3) == 0;
}

/* The rows a C/C++ directive takes: the whole directive for #define, #include and other
   lines (continuation lines included), the directive's own line for #if/#ifdef/#endif. */
static void s_directive_rows(TSNode tok, uint32_t *r0, uint32_t *r1)
{
    *r0 = ts_node_start_point(tok).row;
    *r1 = ts_node_end_point(tok).row;
    TSNode parent = ts_node_parent(tok);
    if (ts_node_is_null(parent))
        return;
    const char *t = ts_node_type(parent);
    if (strcmp(t, "preproc_def") == 0 || strcmp(t, "preproc_function_def") == 0 ||
        strcmp(t, "preproc_call") == 0 || strcmp(t, "preproc_include") == 0) {
        TSPoint end = ts_node_end_point(parent);
        uint32_t e = end.row;
        if (e > *r0 && end.column == 0)
            e--; /* the node ends after the newline that closes the directive */
        if (e > *r1)
            *r1 = e;
    }
}

/* An arrow function that is the body of an arrow function (`a => b => {...}`): lizard
   starts one function at the first `=>` and the second one does not start another, so
   both are one function. */
static bool s_curried_arrow(const s_mctx_t *m, TSNode n, uint16_t parent_flags)
{
    if (m->lang->id != CW_LANG_JAVASCRIPT && m->lang->id != CW_LANG_TYPESCRIPT &&
        m->lang->id != CW_LANG_TSX)
        return false;
    if (!(parent_flags & CW_SYM_FUNCTION) || strcmp(ts_node_type(n), "arrow_function") != 0)
        return false;
    TSNode parent = ts_node_parent(n);
    return !ts_node_is_null(parent) && strcmp(ts_node_type(parent), "arrow_function") == 0 &&
           ts_node_eq(s_field(parent, "body"), n);
}

static bool s_is_js(const cw_lang_t *lang)
{
    return lang->id == CW_LANG_JAVASCRIPT || lang->id == CW_LANG_TYPESCRIPT ||
           lang->id == CW_LANG_TSX;
}

static bool s_word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* lizard's C/C++ reader takes back an `&&` that a bare `=` follows before any of `;{})`
   (it reads `T&& x = ...` as an rvalue reference): `if (s && !(s->p = f()))` has one
   condition less for lizard. src[at..] is what follows the `&&`. */
static bool s_c_rvalue_ref(const char *src, size_t len, size_t at)
{
    for (size_t i = at, end = at + 4096 < len ? at + 4096 : len; i < end; i++) {
        char c = src[i];
        if (c == '"' || c == '\'') {
            for (i++; i < end && src[i] != c && src[i] != '\n'; i++)
                if (src[i] == '\\')
                    i++;
        } else if (c == '/' && i + 1 < end && src[i + 1] == '/') {
            while (i < end && src[i] != '\n')
                i++;
        } else if (c == '/' && i + 1 < end && src[i + 1] == '*') {
            for (i += 2; i + 1 < end && !(src[i] == '*' && src[i + 1] == '/'); i++)
                ;
            i++;
        } else if (c == '=') {
            char p = src[i - 1];
            bool joined = i > at && strchr("=<>!+-*/&|^", p) != NULL;
            if (!joined && !(i + 1 < end && src[i + 1] == '='))
                return true;
            if (!joined)
                i++; /* `==` */
        } else if (c == ';' || c == '{' || c == '}' || c == ')') {
            return false;
        }
    }
    return false;
}

/* The conditions a JS/TS question-mark token (`?`, `?.`, `??`, `??=`) at src[a..b) adds, as
   lizard's tokenizer reads them: every `?` that stands alone is a condition token, so
   `a ?? b` adds 2, `f()?.x` 1. The TypeScript and JavaScript readers also read a word
   followed by `?` as one token (`a?` in `a?.b`, `x?: T`, `c?x:y`), which takes that `?` away;
   `#p?.` and `$p?.` keep theirs (`#p` and `$p` are tokens first). The TSX reader has no such
   token: each `?` counts. */
static int s_qmarks(const cw_lang_t *lang, const char *src, uint32_t a, uint32_t b)
{
    int n = 0;
    for (uint32_t i = a; i < b && src[i] == '?'; i++)
        n++;
    if (n == 0 || lang->id == CW_LANG_TSX || a == 0 || !s_word_char(src[a - 1]))
        return n;
    uint32_t w = a;
    while (w > 0 && s_word_char(src[w - 1]))
        w--;
    if (w > 0 && (src[w - 1] == '#' || src[w - 1] == '$'))
        return n;
    return n - 1;
}

/* A JS/TS identifier spelled like a condition keyword (`promise.catch(...)`, `{ if: 1 }`):
   lizard counts the word wherever it stands. */
static bool s_keyword_word(const char *src, uint32_t a, uint32_t b)
{
    static const char *const words[] = {"if", "for", "while", "catch", "case"};
    size_t n = b - a;
    if (n < 2 || n > 5)
        return false;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strlen(words[i]) == n && memcmp(src + a, words[i], n) == 0)
            return true;
    return false;
}

/* lizard ends a JS/TS arrow function whose body is an expression (and a TS function
   declaration with a return type) at the first token after it that starts a line (or at `;`, or at
   the `)`/`}` that closes what holds it), after that token's line was counted for the arrow:
   `queryFn: () => load(),` followed by a line has 2 lines of code for lizard. 1 when that is so,
   else 0. */
static int s_arrow_tail_line(const cw_lang_t *lang, TSNode fn, const char *src, size_t len)
{
    if (!s_is_js(lang))
        return 0;
    const char *t = ts_node_type(fn);
    if (strcmp(t, "arrow_function") == 0) {
        TSNode body = cw_x_field(fn, "body");
        if (ts_node_is_null(body) || strcmp(ts_node_type(body), "statement_block") == 0)
            return 0;
    } else if (!((strcmp(t, "function_declaration") == 0 ||
                  strcmp(t, "generator_function_declaration") == 0) &&
                 !ts_node_is_null(cw_x_field(fn, "return_type")))) {
        /* only a TS function declaration with a return type is read on that way by lizard
           (its closing `}` does not end it); methods and other functions end at `}` */
        return 0;
    }
    size_t i = ts_node_end_byte(fn);
    bool line_start = false;
    for (int steps = 0; steps < 256 && i < len; steps++) {
        char c = src[i];
        if (c == '\n') {
            line_start = true;
            i++;
        } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            i++;
        } else if (c == '/' && i + 1 < len && src[i + 1] == '/') {
            while (i < len && src[i] != '\n')
                i++;
        } else if (c == '/' && i + 1 < len && src[i + 1] == '*') {
            i += 2;
            while (i + 1 < len && !(src[i] == '*' && src[i + 1] == '/')) {
                i++;
            }
            i += 2;
        } else if (line_start) {
            return 1;
        } else if (c == ';' || c == ')' || c == '}') {
            return 0;
        } else if (s_word_char(c)) {
            while (i < len && s_word_char(src[i]))
                i++;
        } else {
            i++;
        }
    }
    return 0;
}

/* An arrow function that lizard ends at its body's first token: an expression body that
   starts a line (`const f = (x) =>` then `  x.a || x.b` below). lizard ends the function at
   the first token of a line, so it holds its parameters and that token's line; the rest
   of the body is the enclosing code's. Bodies starting with `(`, `new`, `async` or
   `function` are read on (lizard's reader handles those tokens before the line check). */
static bool s_cut_arrow(const s_mctx_t *m, TSNode fn)
{
    if (!s_is_js(m->lang) || strcmp(ts_node_type(fn), "arrow_function") != 0)
        return false;
    TSNode body = cw_x_field(fn, "body");
    if (ts_node_is_null(body) || strcmp(ts_node_type(body), "statement_block") == 0)
        return false;
    uint32_t a = ts_node_start_byte(body);
    if (a >= m->len || m->src[a] == '(')
        return false;
    uint32_t i = a;
    while (i > 0 && (m->src[i - 1] == ' ' || m->src[i - 1] == '\t' || m->src[i - 1] == '\r'))
        i--;
    if (i > 0 && m->src[i - 1] != '\n')
        return false; /* not the first token of its line */
    static const char *const words[] = {"new", "async", "function"};
    for (size_t k = 0; k < sizeof words / sizeof words[0]; k++) {
        size_t n = strlen(words[k]);
        if (a + n <= m->len && memcmp(m->src + a, words[k], n) == 0 &&
            (a + n == m->len || !s_word_char(m->src[a + n])))
            return false;
    }
    return true;
}

/* Row states while counting NLOC the way lizard does: a line belongs to the function that
   is current when the line's first token is read. */
enum { ROW_FREE = 0, ROW_OURS, ROW_NOT_CODE, ROW_OTHER, ROW_DIRECTIVE };

/* One cursor pass over the function's subtree: tokens, conditions, lines, nesting, calls,
   counted as lizard counts them: from the function's start token (s_lizard_start); a
   nested function is a function of its own, but the tokens of its header up to its own
   start token are still the outer function's; a line counts when its first token is the
   function's own (the line that closes a nested callback, `})`, is the callback's);
   comments, C preprocessor lines and Python triple-quoted string statements are not code. */
/* Which depths of the metrics walk opened a nested function, and how many are open. */
typedef struct {
    bool opened[CW_EXTRACT_MAX_DEPTH + 2];
    int inner;
} s_mleave_t;

static void s_metrics_leave(void *arg, int depth)
{
    s_mleave_t *st = arg;
    if (st->opened[depth])
        st->inner--;
}

static void s_metrics(s_mctx_t *m, TSNode fn, cw_metrics_t *out, cw_strlist_t *calls)
{
    memset(out, 0, sizeof *out);
    if (s_cut_arrow(m, fn)) {
        /* its lines: from the parameters' `(` to the body's first line; no condition */
        TSNode params = cw_x_field(fn, "parameters");
        TSNode body = cw_x_field(fn, "body");
        uint32_t r1 = ts_node_start_point(body).row;
        uint32_t r0 = ts_node_is_null(params) ? r1 : ts_node_start_point(params).row;
        out->ccn = 1;
        out->nloc = (int)(r1 - r0) + 1;
        out->tokens = 1 + (int)ts_node_named_child_count(fn);
        return;
    }
    TSNode start = s_lizard_start(m, fn);
    uint32_t min_byte = ts_node_start_byte(start);
    uint32_t row0 = ts_node_start_point(start).row;
    uint32_t row1 = ts_node_end_point(fn).row;
    size_t nrows = row1 >= row0 ? (size_t)(row1 - row0) + 1 : 1;
    if (nrows > m->rows_cap) {
        unsigned char *r = realloc(m->rows, nrows);
        if (r) {
            m->rows = r;
            m->rows_cap = nrows;
        }
    }
    if (nrows > m->rows_cap)
        nrows = m->rows_cap;
    if (nrows) {
        memset(m->rows, ROW_FREE, nrows);
        m->rows[0] = ROW_OURS; /* the start token's line */
    }

    uint16_t pflags[CW_EXTRACT_MAX_DEPTH + 2];
    int nest[CW_EXTRACT_MAX_DEPTH + 2];
    int ccn = 0, tokens = 0, maxnest = 0;
    bool js = s_is_js(m->lang);
    s_mleave_t st = {.inner = 0}; /* nested functions the walk is in */
    uint32_t inner_start = 0;     /* start byte of the outermost one's start token */
    pflags[0] = 0;
    nest[0] = 0;
    cw_walk_t w;
    cw_walk_start(&w, fn, CW_EXTRACT_MAX_DEPTH);
    for (;;) {
        int depth = w.depth;
        TSNode n = cw_walk_node(&w);
        uint16_t fl = cw_lang_node_flags(m->flags, m->nflags, n);
        bool descend = false;
        int nn = nest[depth];
        st.opened[depth] = false;
        if (depth > 0 &&
            ((fl & CW_SYM_FUNCTION) ||
             ((fl & CW_SYM_WRAPPER) &&
              !ts_node_is_null(s_wrapped_function(m->flags, m->nflags, n)))) &&
            !s_curried_arrow(m, n, pflags[depth]) && !s_cut_arrow(m, n)) {
            /* a nested function: its own metrics, but its header is ours */
            if (st.inner == 0)
                inner_start = ts_node_start_byte(s_lizard_start(m, n));
            st.inner++;
            st.opened[depth] = true;
        }
        bool own = st.inner == 0;
        if (fl & CW_SYM_COMMENT) {
            /* not code */
        } else if (ts_node_child_count(n) == 0 || (fl & CW_SYM_ATOMIC)) {
            uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
            if (b > a && a >= min_byte) {
                if (st.inner == 1 && a <= inner_start)
                    own = true; /* the nested function's header, up to its start */
                uint32_t r0 = ts_node_start_point(n).row, r1 = ts_node_end_point(n).row;
                /* C/C++ preprocessor lines: lizard drops them before counting (#if,
                   #ifdef and #elif still add their condition) */
                bool directive =
                    m->lang->metrics_from_name && !ts_node_is_named(n) && m->src[a] == '#';
                bool in_directive = !directive && r0 >= row0 && r0 - row0 < nrows &&
                                    m->rows[r0 - row0] == ROW_DIRECTIVE;
                if (own && !in_directive) {
                    if ((fl & CW_SYM_CONDITION) &&
                        (!(fl & CW_SYM_LOGIC) || (pflags[depth] & CW_SYM_LOGIC_PARENT)) &&
                        !(m->lang->metrics_from_name && b - a == 2 && m->src[a] == '&' &&
                          s_c_rvalue_ref(m->src, m->len, b)))
                        ccn++;
                    else if (fl & CW_SYM_QMARK)
                        ccn += s_qmarks(m->lang, m->src, a, b);
                    else if (js && ts_node_is_named(n) && s_keyword_word(m->src, a, b) &&
                             !(fl & CW_SYM_ATOMIC) && strcmp(ts_node_type(n), "jsx_text") != 0)
                        ccn++;
                    if (!directive)
                        tokens++;
                }
                unsigned char mark = directive ? ROW_DIRECTIVE : own ? ROW_OURS : ROW_OTHER;
                if (directive)
                    s_directive_rows(n, &r0, &r1);
                bool not_code = own && !directive && s_py_comment_string(m, n);
                for (uint32_t r = r0 < row0 ? row0 : r0; r <= r1 && r - row0 < nrows; r++) {
                    if (not_code)
                        m->rows[r - row0] = ROW_NOT_CODE;
                    else if (m->rows[r - row0] == ROW_FREE)
                        m->rows[r - row0] = mark;
                }
            }
        } else {
            if (own && (fl & CW_SYM_NESTING) &&
                !((fl & CW_SYM_IF) && (pflags[depth] & (CW_SYM_IF | CW_SYM_ELSE)))) {
                nn++; /* `else if` continues its chain, it does not nest deeper */
                if (nn > maxnest)
                    maxnest = nn;
            }
            if (own && calls && (fl & CW_SYM_CALL))
                s_callee(m->src, m->len, n, calls);
            descend = true;
        }
        if (!cw_walk_next(&w, descend, s_metrics_leave, &st))
            break;
        if (w.depth > depth) {
            pflags[w.depth] = fl;
            nest[w.depth] = nn;
        }
    }
    cw_walk_end(&w);
    out->ccn = 1 + ccn;
    out->tokens = tokens;
    out->nesting = maxnest;
    for (size_t i = 0; i < nrows; i++)
        out->nloc += m->rows[i] == ROW_OURS;
    out->nloc += s_arrow_tail_line(m->lang, fn, m->src, m->len);
}

void cw_metrics_compute(const cw_lang_t *lang, TSNode fn, const char *src, size_t len,
                        cw_metrics_t *out)
{
    s_mctx_t m = {.lang = lang, .src = src, .len = len};
    m.flags = cw_lang_symbol_flags(lang, &m.nflags);
    s_metrics(&m, fn, out, NULL);
    free(m.rows);
}

/* ------------------------------------------------------------------ extraction */

#define S_DECO_MAX 16

/* What the walk knows about the node at one depth, and about the siblings before it. */
typedef struct {
    TSNode node;
    uint16_t flags;
    cw_span_t cls; /* the class of functions below this node */
    /* the run of doc comments / decorators right before the current node */
    bool run;
    uint32_t run_end_row;
    bool has_doc;
    uint32_t doc_start, doc_end;
    TSNode decos[S_DECO_MAX];
    int ndeco;
    bool has_last;
    uint32_t last_end_row;
} s_frame_t;

typedef struct {
    const cw_lang_t *lang;
    const char *src;
    size_t len;
    s_mctx_t m;
    cw_function_list_t *out;
    s_frame_t *fr;
    int err;
} s_ewalk_t;

/* After the walk leaves the node at depth d: extend or reset that depth's doc run. */
static void s_run_update(s_frame_t *f, TSNode n, uint16_t fl)
{
    uint32_t r0 = ts_node_start_point(n).row, r1 = ts_node_end_point(n).row;
    if (fl & (CW_SYM_COMMENT | CW_SYM_DECORATOR)) {
        bool trailing = f->has_last && !f->run && r0 == f->last_end_row;
        if (trailing) {
            f->run = false; /* `code; // note` is not the next function's doc */
        } else {
            if (!f->run || r0 > f->run_end_row + 1) {
                f->run = true;
                f->has_doc = false;
                f->ndeco = 0;
            }
            if (fl & CW_SYM_COMMENT) {
                if (!f->has_doc || f->ndeco > 0) {
                    /* a comment after decorators starts the doc anew */
                    f->doc_start = ts_node_start_byte(n);
                    f->has_doc = true;
                }
                f->doc_end = ts_node_end_byte(n);
            } else if (f->ndeco < S_DECO_MAX) {
                f->decos[f->ndeco++] = n;
            }
            f->run_end_row = r1;
        }
    } else {
        f->run = false;
    }
    f->has_last = true;
    f->last_end_row = r1;
}

static void s_frame_enter(s_frame_t *f, TSNode n, uint16_t fl)
{
    f->node = n;
    f->flags = fl;
}

/* Leaving the node at `depth`: extend or reset that depth's doc run. */
static void s_frame_leave(void *arg, int depth)
{
    s_frame_t *fr = arg;
    s_run_update(&fr[depth], fr[depth].node, fr[depth].flags);
}

static void s_frame_reset_run(s_frame_t *f)
{
    f->run = false;
    f->has_doc = false;
    f->ndeco = 0;
    f->has_last = false;
}

static bool s_doc_prefix_ok(const char *prefixes, const char *s, size_t n)
{
    if (!prefixes)
        return false;
    const char *p = prefixes;
    while (*p) {
        const char *e = strchr(p, '|');
        size_t k = e ? (size_t)(e - p) : strlen(p);
        if (k <= n && memcmp(s, p, k) == 0) {
            /* a slash-star-star opener must not be an empty comment; three slashes must not be four
             * (Rust) */
            if (!(k == 3 && memcmp(p, "///", 3) == 0 && n > 3 && s[3] == '/'))
                return true;
        }
        if (!e)
            break;
        p = e + 1;
    }
    return false;
}

/* The doc comment and decorators in the run before the node at depth `a` (if adjacent). */
static void s_run_fill(s_ewalk_t *x, int a, TSNode anchor, cw_function_t *f, uint32_t *first)
{
    s_frame_t *fr = &x->fr[a];
    *first = ts_node_start_byte(anchor);
    if (!fr->run || ts_node_start_point(anchor).row > fr->run_end_row + 1)
        return;
    if (fr->has_doc && !f->docstring && fr->doc_end <= x->len && fr->doc_start < fr->doc_end &&
        s_doc_prefix_ok(x->lang->doc_prefixes, x->src + fr->doc_start, fr->doc_end - fr->doc_start))
        f->docstring = cw_x_comment_text(x->src, fr->doc_start, fr->doc_end);
    for (int i = 0; i < fr->ndeco; i++) {
        cw_x_list_push(&f->decorators, s_text(fr->decos[i], x->src, x->len, CW_EXTRACT_MAX_ITEM),
                       CW_EXTRACT_MAX_LIST, false);
        uint32_t b = ts_node_start_byte(fr->decos[i]);
        if (b < *first)
            *first = b;
    }
}

/* Signature: the text from `from` up to the function's body, trimmed (no `{`). */
static char *s_signature(const char *src, size_t len, uint32_t from, TSNode fn)
{
    TSNode body = s_field(fn, "body");
    uint32_t end = ts_node_is_null(body) ? ts_node_end_byte(fn) : ts_node_start_byte(body);
    if (end > len || from >= end)
        return NULL;
    while (end > from && s_blank(src[end - 1]))
        end--;
    if (end <= from)
        return NULL;
    return cw_strndup_utf8(src + from, end - from, CW_EXTRACT_MAX_SIGNATURE);
}

static bool s_name_default(TSNode fn, cw_span_t *name)
{
    TSNode n = s_field(fn, "name");
    if (ts_node_is_null(n))
        return false;
    *name = cw_x_span(n);
    return true;
}

/* Emit the function `fn` found at depth `d` (outer == the wrapper at depth `d` when wrapped,
   and fn is then its child). false: not a candidate (anonymous): the walk descends. */
static bool s_emit(s_ewalk_t *x, int d, TSNode fn, TSNode outer, TSNode parent)
{
    const cw_lang_t *lang = x->lang;
    cw_span_t name = {0, 0}, cls = {0, 0};
    if (lang->name_fn) {
        if (!lang->name_fn(lang, fn, parent, x->src, x->len, &name, &cls))
            return false;
    } else if (!s_name_default(fn, &name)) {
        return false;
    }
    if (name.end <= name.start)
        return false; /* anonymous: not a candidate of its own */
    if (x->out->count >= CW_EXTRACT_MAX_FUNCTIONS)
        return true;
    if (x->out->count == x->out->cap) {
        size_t cap = x->out->cap ? x->out->cap * 2 : 16;
        cw_function_t *items = realloc(x->out->items, cap * sizeof *items);
        if (!items) {
            x->err = -1;
            return true;
        }
        x->out->items = items;
        x->out->cap = cap;
    }
    /* the anchor: the wrapper, or the statement that hands the function its name */
    int a = d;
    TSNode anchor = outer;
    bool named_by_carrier = ts_node_is_null(s_field(fn, "name")) && lang->carrier_types;
    while (a > 0 && (x->fr[a - 1].flags & CW_SYM_CARRIER)) {
        a--;
        anchor = x->fr[a].node;
    }
    cw_span_t c = cls.end > cls.start ? cls : x->fr[d > 0 ? d - 1 : 0].cls;
    if (d == 0)
        c.start = c.end = 0;

    cw_function_t *f = &x->out->items[x->out->count];
    memset(f, 0, sizeof *f);
    f->name = cw_x_span_text(name, x->src, x->len, 4096);
    f->class_name = c.end > c.start ? cw_x_span_text(c, x->src, x->len, 512) : NULL;
    if (!f->name || (c.end > c.start && !f->class_name)) {
        free(f->name);
        free(f->class_name);
        x->err = -1;
        return true;
    }
    TSNode range = named_by_carrier ? anchor : outer;
    f->node = fn;
    f->outer = range;
    uint32_t first = ts_node_start_byte(range);
    if (lang->carrier_types || lang->decorator_types || lang->doc_prefixes) {
        uint32_t runfirst;
        s_run_fill(x, a, anchor, f, &runfirst);
        if (runfirst < first)
            first = runfirst;
    }
    f->start_byte = first;
    f->end_byte = ts_node_end_byte(range);
    f->end_line = (int)ts_node_end_point(range).row + 1;
    f->start_line = (int)ts_node_start_point(range).row + 1;
    if (first < ts_node_start_byte(range)) {
        /* decorators/attributes above: count the lines back */
        int back = 0;
        for (uint32_t i = first; i < ts_node_start_byte(range) && i < x->len; i++)
            back += x->src[i] == '\n';
        f->start_line -= back;
    }
    if (lang->details)
        lang->details(lang, fn, outer, x->src, f);
    if (!f->signature && lang->id != CW_LANG_PYTHON)
        f->signature =
            s_signature(x->src, x->len,
                        named_by_carrier ? ts_node_start_byte(ts_node_is_null(parent) ? fn : parent)
                                         : ts_node_start_byte(outer),
                        fn);
    s_metrics(&x->m, fn, &f->metrics, &f->calls);
    f->metrics.params = (int)f->parameters.count;
    x->out->count++;
    return true;
}

static cw_span_t s_class_span(const cw_lang_t *lang, TSNode node, TSNode parent, const char *src,
                              size_t len)
{
    cw_span_t sp = {0, 0};
    if (lang->class_name_fn) {
        if (!lang->class_name_fn(lang, node, parent, src, len, &sp))
            sp.start = sp.end = 0;
    } else {
        sp = cw_x_span(s_field(node, "name"));
    }
    return sp;
}

int cw_extract_functions(const cw_lang_t *lang, TSTree *tree, const char *src, size_t len,
                         cw_function_list_t *out)
{
    if (!lang || !tree || !src || !out)
        return -1;
    if (!lang->function_types)
        return 0;
    s_ewalk_t x = {.lang = lang, .src = src, .len = len, .out = out};
    x.m.lang = lang;
    x.m.src = src;
    x.m.len = len;
    x.m.flags = cw_lang_symbol_flags(lang, &x.m.nflags);
    if (!x.m.flags)
        return -1;
    x.fr = calloc(CW_EXTRACT_MAX_DEPTH + 2, sizeof *x.fr);
    if (!x.fr)
        return -1;
    cw_walk_t w;
    cw_walk_start(&w, ts_tree_root_node(tree), CW_EXTRACT_MAX_DEPTH);
    s_frame_reset_run(&x.fr[0]);
    for (;;) {
        int depth = w.depth;
        TSNode n = cw_walk_node(&w);
        uint16_t fl = cw_lang_node_flags(x.m.flags, x.m.nflags, n);
        s_frame_t *f = &x.fr[depth];
        s_frame_enter(f, n, fl);
        TSNode parent = depth > 0 ? x.fr[depth - 1].node : (TSNode){0};
        f->cls = depth > 0 ? x.fr[depth - 1].cls : (cw_span_t){0, 0};
        bool descend = ts_node_child_count(n) > 0 && !(fl & CW_SYM_COMMENT);
        if (fl & CW_SYM_FUNCTION) {
            if (s_emit(&x, depth, n, n, parent))
                descend = false; /* nested functions stay part of this one */
        } else if (fl & CW_SYM_WRAPPER) {
            TSNode fn = s_wrapped_function(x.m.flags, x.m.nflags, n);
            if (!ts_node_is_null(fn) && s_emit(&x, depth, fn, n, n))
                descend = false;
        } else if (fl & CW_SYM_CLASS) {
            cw_span_t sp = s_class_span(lang, n, parent, src, len);
            if (sp.end > sp.start)
                f->cls = sp;
        }
        if (x.err || !cw_walk_next(&w, descend, s_frame_leave, x.fr))
            break;
        if (w.depth > depth)
            s_frame_reset_run(&x.fr[w.depth]);
    }
    cw_walk_end(&w);
    free(x.fr);
    free(x.m.rows);
    return x.err;
}

void cw_function_clear(cw_function_t *f)
{
    if (!f)
        return;
    free(f->name);
    free(f->class_name);
    free(f->docstring);
    free(f->signature);
    s_list_free(&f->parameters);
    s_list_free(&f->decorators);
    s_list_free(&f->calls);
    memset(f, 0, sizeof *f);
}

void cw_function_list_free(cw_function_list_t *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++)
        cw_function_clear(&list->items[i]);
    free(list->items);
    list->items = NULL;
    list->count = list->cap = 0;
}

TSTree *cw_extract_parse(TSParser *parser, const cw_lang_t *lang, const char *src, size_t len)
{
    if (!parser || !lang || !src || len > UINT32_MAX)
        return NULL;
    if (!ts_parser_set_language(parser, lang->grammar())) {
        cw_warn("grammar_incompatible", CW_LS("language", lang->name), CW_LEND);
        return NULL;
    }
    ts_parser_set_timeout_micros(parser, PARSE_TIMEOUT_US);
    TSTree *tree = ts_parser_parse_string(parser, NULL, src, (uint32_t)len);
    if (!tree)
        ts_parser_reset(parser);
    return tree;
}
