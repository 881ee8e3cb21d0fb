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

static char *s_text(TSNode node, const char *src, size_t len, size_t max)
{
    uint32_t a = ts_node_start_byte(node), b = ts_node_end_byte(node);
    if (a > b || b > len)
        return NULL;
    return cw_strndup_utf8(src + a, b - a, max);
}

static TSNode s_field(TSNode node, const char *field)
{
    return ts_node_child_by_field_name(node, field, (uint32_t)strlen(field));
}

static bool s_list_has(const cw_strlist_t *list, const char *s)
{
    for (size_t i = 0; i < list->count; i++)
        if (strcmp(list->items[i], s) == 0)
            return true;
    return false;
}

/* Takes ownership of s (freed when not kept). */
static void s_list_push(cw_strlist_t *list, char *s, size_t max, bool dedup)
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

static void s_list_free(cw_strlist_t *list)
{
    for (size_t i = 0; i < list->count; i++)
        free(list->items[i]);
    free(list->items);
    list->items = NULL;
    list->count = 0;
}

/* A function node inside a wrapper (decorated_definition), or a null node. */
static TSNode s_wrapped_function(const cw_lang_t *lang, TSNode wrapper)
{
    uint32_t n = ts_node_named_child_count(wrapper);
    for (uint32_t i = 0; i < n; i++) {
        TSNode c = ts_node_named_child(wrapper, i);
        if (cw_lang_in(lang->function_types, ts_node_type(c)))
            return c;
    }
    TSNode none = {0};
    return none;
}

/* ------------------------------------------------------------------ metrics */

typedef struct {
    const cw_lang_t *lang;
    const char *src;
    size_t len;
    uint32_t row0;
    uint32_t nrows;
    unsigned char *rows;
    int ccn;
    int tokens;
    int nesting;
    cw_strlist_t *calls;
} s_mwalk_t;

static void s_callee(s_mwalk_t *m, TSNode call)
{
    TSNode fn = s_field(call, "function");
    if (ts_node_is_null(fn))
        return;
    const char *t = ts_node_type(fn);
    if (strcmp(t, "identifier") != 0 && strcmp(t, "attribute") != 0 &&
        strcmp(t, "member_expression") != 0 && strcmp(t, "selector_expression") != 0 &&
        strcmp(t, "field_expression") != 0 && strcmp(t, "scoped_identifier") != 0)
        return;
    uint32_t a = ts_node_start_byte(fn), b = ts_node_end_byte(fn);
    if (b <= a || b > m->len || b - a > CW_EXTRACT_MAX_ITEM)
        return;
    if (memchr(m->src + a, '\n', b - a))
        return;
    s_list_push(m->calls, cw_strndup_utf8(m->src + a, b - a, CW_EXTRACT_MAX_ITEM),
                CW_EXTRACT_MAX_CALLS, true);
}

static void s_mwalk(s_mwalk_t *m, TSNode node, int depth, int nest)
{
    if (depth > CW_EXTRACT_MAX_DEPTH)
        return;
    const cw_lang_t *lang = m->lang;
    const char *type = ts_node_type(node);
    if (depth > 0) {
        /* nested functions are functions of their own */
        if (cw_lang_in(lang->function_types, type))
            return;
        if (cw_lang_in(lang->wrapper_types, type) &&
            !ts_node_is_null(s_wrapped_function(lang, node)))
            return;
    }
    if (cw_lang_in(lang->comment_types, type))
        return;
    uint32_t cc = ts_node_child_count(node);
    if (cc == 0 || cw_lang_in(lang->atomic_types, type)) {
        uint32_t a = ts_node_start_byte(node), b = ts_node_end_byte(node);
        if (b <= a)
            return; /* zero-width (missing) token */
        m->tokens++;
        if (cw_lang_in(lang->condition_tokens, type))
            m->ccn++;
        uint32_t r0 = ts_node_start_point(node).row, r1 = ts_node_end_point(node).row;
        for (uint32_t r = r0; r <= r1; r++)
            if (r >= m->row0 && r - m->row0 < m->nrows)
                m->rows[r - m->row0] = 1;
        return;
    }
    if (cw_lang_in(lang->nesting_types, type)) {
        nest++;
        if (nest > m->nesting)
            m->nesting = nest;
    }
    if (m->calls && cw_lang_in(lang->call_types, type))
        s_callee(m, node);
    for (uint32_t i = 0; i < cc; i++)
        s_mwalk(m, ts_node_child(node, i), depth + 1, nest);
}

static void s_metrics(const cw_lang_t *lang, TSNode fn, const char *src, size_t len,
                      cw_metrics_t *out, cw_strlist_t *calls)
{
    memset(out, 0, sizeof *out);
    s_mwalk_t m = {.lang = lang, .src = src, .len = len, .calls = calls};
    m.row0 = ts_node_start_point(fn).row;
    uint32_t row1 = ts_node_end_point(fn).row;
    m.nrows = row1 >= m.row0 ? row1 - m.row0 + 1 : 1;
    m.rows = calloc(m.nrows, 1);
    if (!m.rows)
        m.nrows = 0;
    s_mwalk(&m, fn, 0, 0);
    out->ccn = 1 + m.ccn;
    out->tokens = m.tokens;
    out->nesting = m.nesting;
    for (uint32_t i = 0; i < m.nrows; i++)
        out->nloc += m.rows[i];
    free(m.rows);
}

void cw_metrics_compute(const cw_lang_t *lang, TSNode fn, const char *src, size_t len,
                        cw_metrics_t *out)
{
    s_metrics(lang, fn, src, len, out, NULL);
}

/* ------------------------------------------------------------------ python details */

static char *s_strip_quotes(char *s)
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
                out->docstring = s_strip_quotes(s_text(expr, src, len, CW_EXTRACT_MAX_DOCSTRING));
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

/* ------------------------------------------------------------------ extraction */

typedef struct {
    const cw_lang_t *lang;
    const char *src;
    size_t len;
    cw_function_list_t *out;
    int err;
} s_ewalk_t;

static void s_emit(s_ewalk_t *x, TSNode fn, TSNode outer, const char *class_name)
{
    if (x->out->count >= CW_EXTRACT_MAX_FUNCTIONS)
        return;
    TSNode name = s_field(fn, "name");
    if (ts_node_is_null(name))
        return;
    if (x->out->count == x->out->cap) {
        size_t cap = x->out->cap ? x->out->cap * 2 : 16;
        cw_function_t *items = realloc(x->out->items, cap * sizeof *items);
        if (!items) {
            x->err = -1;
            return;
        }
        x->out->items = items;
        x->out->cap = cap;
    }
    cw_function_t *f = &x->out->items[x->out->count];
    memset(f, 0, sizeof *f);
    f->name = s_text(name, x->src, x->len, 4096);
    f->class_name = class_name ? strdup(class_name) : NULL;
    if (!f->name || (class_name && !f->class_name)) {
        free(f->name);
        free(f->class_name);
        x->err = -1;
        return;
    }
    f->node = fn;
    f->outer = outer;
    f->start_line = (int)ts_node_start_point(outer).row + 1;
    f->end_line = (int)ts_node_end_point(outer).row + 1;
    f->start_byte = ts_node_start_byte(outer);
    f->end_byte = ts_node_end_byte(outer);
    if (x->lang->details)
        x->lang->details(x->lang, fn, outer, x->src, f);
    s_metrics(x->lang, fn, x->src, x->len, &f->metrics, &f->calls);
    f->metrics.params = (int)f->parameters.count;
    x->out->count++;
}

static void s_ewalk(s_ewalk_t *x, TSNode node, const char *class_name, int depth)
{
    if (depth > CW_EXTRACT_MAX_DEPTH || x->err)
        return;
    const cw_lang_t *lang = x->lang;
    const char *type = ts_node_type(node);
    if (cw_lang_in(lang->function_types, type)) {
        s_emit(x, node, node, class_name);
        return; /* nested functions stay part of this one */
    }
    if (cw_lang_in(lang->wrapper_types, type)) {
        TSNode fn = s_wrapped_function(lang, node);
        if (!ts_node_is_null(fn)) {
            s_emit(x, fn, node, class_name);
            return;
        }
    }
    char *owned = NULL;
    if (cw_lang_in(lang->class_types, type)) {
        TSNode name = s_field(node, "name");
        if (!ts_node_is_null(name)) {
            owned = s_text(name, x->src, x->len, 512);
            if (owned)
                class_name = owned;
        }
    }
    uint32_t n = ts_node_named_child_count(node);
    for (uint32_t i = 0; i < n && !x->err; i++)
        s_ewalk(x, ts_node_named_child(node, i), class_name, depth + 1);
    free(owned);
}

int cw_extract_functions(const cw_lang_t *lang, TSTree *tree, const char *src, size_t len,
                         cw_function_list_t *out)
{
    if (!lang || !tree || !src || !out)
        return -1;
    if (!lang->function_types)
        return 0; /* this language has no function extraction yet */
    s_ewalk_t x = {.lang = lang, .src = src, .len = len, .out = out};
    s_ewalk(&x, ts_tree_root_node(tree), NULL, 0);
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
