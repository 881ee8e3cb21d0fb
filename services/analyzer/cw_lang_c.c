/*  cw_lang_c — C and C++: function definitions named by their declarator (pointer,
    reference and parenthesized declarators unwrapped), out-of-line `Foo::bar` definitions
    (class Foo: the innermost scope, so a namespace-qualified free function `ns::f` gets
    class `ns`), methods defined in class/struct bodies (the walk's enclosing class), and
    parameters. Lambdas are part of the function that holds them (lizard does not start
    functions inside a body).
    Parameter count: `(void)` counts 0 (it declares no parameter); `...` counts 1 (lizard
    counts the comma-separated items). */
#include <string.h>

#include "cw_extract.h"

cw_lang_name_fn cw_lang_c_name;
cw_lang_class_name_fn cw_lang_c_class_name;
cw_lang_details_fn cw_lang_c_details;

static bool s_is(TSNode n, const char *type)
{
    return !ts_node_is_null(n) && strcmp(ts_node_type(n), type) == 0;
}

/* The function_declarator inside a definition's declarator chain. */
static TSNode s_fdecl(TSNode fn)
{
    TSNode d = cw_x_field(fn, "declarator");
    for (int guard = 0; guard < 16 && !ts_node_is_null(d); guard++) {
        if (s_is(d, "function_declarator"))
            return d;
        TSNode next = cw_x_field(d, "declarator");
        if (ts_node_is_null(next))
            next = ts_node_named_child(d, 0);
        d = next;
    }
    TSNode none = {0};
    return none;
}

/* The declared name inside a (parameter) declarator chain, or a null node. */
static TSNode s_decl_name(TSNode d)
{
    for (int guard = 0; guard < 16 && !ts_node_is_null(d); guard++) {
        const char *t = ts_node_type(d);
        if (strcmp(t, "identifier") == 0 || strcmp(t, "field_identifier") == 0)
            return d;
        TSNode next = cw_x_field(d, "declarator");
        if (ts_node_is_null(next))
            next = ts_node_named_child(d, 0);
        d = next;
    }
    TSNode none = {0};
    return none;
}

bool cw_lang_c_name(const cw_lang_t *lang, TSNode fn, TSNode parent, const char *src, size_t len,
                    cw_span_t *name, cw_span_t *cls)
{
    (void)lang;
    (void)parent;
    (void)src;
    (void)len;
    if (!s_is(cw_x_field(fn, "body"), "compound_statement"))
        return false; /* `= default`, `= delete`, or broken */
    TSNode fd = s_fdecl(fn);
    if (ts_node_is_null(fd))
        return false;
    TSNode d = cw_x_field(fd, "declarator");
    TSNode scope = {0};
    for (int guard = 0; guard < 16 && s_is(d, "qualified_identifier"); guard++) {
        scope = cw_x_field(d, "scope");
        d = cw_x_field(d, "name");
    }
    if (ts_node_is_null(d))
        return false;
    if (s_is(d, "template_function")) {
        TSNode n = cw_x_field(d, "name");
        if (!ts_node_is_null(n))
            d = n;
    }
    *name = cw_x_span(d);
    if (!ts_node_is_null(scope))
        *cls = cw_x_span(cw_x_type_base(scope));
    return true;
}

bool cw_lang_c_class_name(const cw_lang_t *lang, TSNode node, TSNode parent, const char *src,
                          size_t len, cw_span_t *name)
{
    (void)lang;
    (void)parent;
    (void)src;
    (void)len;
    if (ts_node_is_null(cw_x_field(node, "body")))
        return false;
    *name = cw_x_span(cw_x_type_base(cw_x_field(node, "name")));
    return name->end > name->start;
}

void cw_lang_c_details(const cw_lang_t *lang, TSNode fn, TSNode outer, const char *src,
                       struct cw_function *out)
{
    (void)lang;
    (void)outer;
    size_t len = ts_node_end_byte(fn);
    TSNode fd = s_fdecl(fn);
    if (ts_node_is_null(fd))
        return;
    TSNode params = cw_x_field(fd, "parameters");
    if (ts_node_is_null(params))
        return;
    uint32_t n = ts_node_child_count(params);
    uint32_t named = ts_node_named_child_count(params);
    for (uint32_t i = 0; i < n; i++) {
        TSNode p = ts_node_child(params, i);
        const char *t = ts_node_type(p);
        if (!ts_node_is_named(p)) {
            if (strcmp(t, "...") == 0) /* C++ variadic */
                cw_x_list_push(&out->parameters, cw_strndup_utf8("...", 3, 3),
                               CW_EXTRACT_MAX_PARAMS, false);
            continue;
        }
        if (strcmp(t, "variadic_parameter") == 0) {
            cw_x_list_push(&out->parameters, cw_strndup_utf8("...", 3, 3), CW_EXTRACT_MAX_PARAMS,
                           false);
            continue;
        }
        if (strcmp(t, "parameter_declaration") != 0 &&
            strcmp(t, "optional_parameter_declaration") != 0 &&
            strcmp(t, "variadic_parameter_declaration") != 0)
            continue; /* comments, preprocessor noise */
        TSNode decl = cw_x_field(p, "declarator");
        TSNode nm = s_decl_name(decl);
        if (ts_node_is_null(decl) && named == 1 && s_is(cw_x_field(p, "type"), "primitive_type") &&
            ts_node_end_byte(cw_x_field(p, "type")) - ts_node_start_byte(cw_x_field(p, "type")) ==
                4 &&
            memcmp(src + ts_node_start_byte(cw_x_field(p, "type")), "void", 4) == 0)
            return; /* `(void)`: no parameters */
        cw_x_list_push(&out->parameters,
                       cw_x_text(ts_node_is_null(nm) ? p : nm, src, len, CW_EXTRACT_MAX_ITEM),
                       CW_EXTRACT_MAX_PARAMS, false);
    }
}
