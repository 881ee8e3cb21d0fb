/*  cw_lang_js — JavaScript, TypeScript and TSX: naming functions (declarations, methods,
    function expressions and arrow functions named by the declarator, pair, field or
    assignment that holds them), classes, parameters and the async flag. */
#include <string.h>

#include "cw_extract.h"

cw_lang_name_fn cw_lang_js_name;
cw_lang_class_name_fn cw_lang_js_class_name;
cw_lang_details_fn cw_lang_js_details;

static bool s_is(TSNode n, const char *type)
{
    return !ts_node_is_null(n) && strcmp(ts_node_type(n), type) == 0;
}

/* A property key as a name: quotes of a string key dropped. */
static cw_span_t s_key_span(TSNode key, const char *src, size_t len)
{
    cw_span_t sp = cw_x_span(key);
    if (s_is(key, "string") && sp.end >= sp.start + 2 && sp.end <= len &&
        (src[sp.start] == '"' || src[sp.start] == '\'')) {
        sp.start++;
        sp.end--;
    }
    return sp;
}

/* The name a holder (declarator, pair, field, assignment) gives to the value `v`. */
static cw_span_t s_holder_name(TSNode holder, TSNode v, const char *src, size_t len)
{
    cw_span_t none = {0, 0};
    if (ts_node_is_null(holder))
        return none;
    const char *t = ts_node_type(holder);
    if (strcmp(t, "variable_declarator") == 0) {
        if (!ts_node_eq(cw_x_field(holder, "value"), v))
            return none;
        TSNode n = cw_x_field(holder, "name");
        return s_is(n, "identifier") ? cw_x_span(n) : none;
    }
    if (strcmp(t, "assignment_expression") == 0) {
        if (!ts_node_eq(cw_x_field(holder, "right"), v))
            return none;
        TSNode l = cw_x_field(holder, "left");
        if (s_is(l, "identifier"))
            return cw_x_span(l);
        if (s_is(l, "member_expression"))
            return cw_x_span(cw_x_field(l, "property")); /* `exports.f = ...` -> f */
        return none;
    }
    if (strcmp(t, "pair") == 0) {
        if (!ts_node_eq(cw_x_field(holder, "value"), v))
            return none;
        TSNode k = cw_x_field(holder, "key");
        if (s_is(k, "property_identifier") || s_is(k, "string") || s_is(k, "identifier"))
            return s_key_span(k, src, len);
        return none;
    }
    if (strcmp(t, "public_field_definition") == 0 || strcmp(t, "field_definition") == 0) {
        TSNode n = cw_x_field(holder, "name");
        if (ts_node_is_null(n))
            n = cw_x_field(holder, "property");
        if (s_is(n, "property_identifier") || s_is(n, "private_property_identifier") ||
            s_is(n, "string"))
            return s_key_span(n, src, len);
        return none;
    }
    return none;
}

bool cw_lang_js_name(const cw_lang_t *lang, TSNode fn, TSNode parent, const char *src, size_t len,
                     cw_span_t *name, cw_span_t *cls)
{
    (void)lang;
    (void)cls;
    TSNode n = cw_x_field(fn, "name");
    if (!ts_node_is_null(n)) {
        *name = s_key_span(n, src, len);
        return true;
    }
    /* function expressions and arrow functions: named by what holds them */
    *name = s_holder_name(parent, fn, src, len);
    return true;
}

bool cw_lang_js_class_name(const cw_lang_t *lang, TSNode node, TSNode parent, const char *src,
                           size_t len, cw_span_t *name)
{
    (void)lang;
    TSNode n = cw_x_field(node, "name");
    if (!ts_node_is_null(n)) {
        *name = cw_x_span(n);
        return true;
    }
    *name = s_holder_name(parent, node, src, len); /* `const Foo = class { ... }` */
    return name->end > name->start;
}

static void s_param(TSNode p, const char *src, size_t len, cw_function_t *out, int guard)
{
    const char *t = ts_node_type(p);
    if (strcmp(t, "comment") == 0 || guard > 4)
        return;
    TSNode n = p;
    if (strcmp(t, "assignment_pattern") == 0)
        n = cw_x_field(p, "left");
    else if (strcmp(t, "required_parameter") == 0 || strcmp(t, "optional_parameter") == 0) {
        TSNode pat = cw_x_field(p, "pattern");
        if (!ts_node_is_null(pat)) {
            s_param(pat, src, len, out, guard + 1);
            return;
        }
    }
    if (ts_node_is_null(n))
        n = p;
    cw_x_list_push(&out->parameters, cw_x_text(n, src, len, CW_EXTRACT_MAX_ITEM),
                   CW_EXTRACT_MAX_PARAMS, false);
}

void cw_lang_js_details(const cw_lang_t *lang, TSNode fn, TSNode outer, const char *src,
                        struct cw_function *out)
{
    (void)lang;
    size_t len = ts_node_end_byte(fn) > ts_node_end_byte(outer) ? ts_node_end_byte(fn)
                                                                : ts_node_end_byte(outer);
    out->is_async = cw_x_has_token(fn, "async");
    TSNode params = cw_x_field(fn, "parameters");
    if (!ts_node_is_null(params)) {
        uint32_t n = ts_node_named_child_count(params);
        for (uint32_t i = 0; i < n; i++)
            s_param(ts_node_named_child(params, i), src, len, out, 0);
    } else {
        TSNode one = cw_x_field(fn, "parameter"); /* `x => ...` */
        if (!ts_node_is_null(one))
            s_param(one, src, len, out, 0);
    }
}
