/*  cw_lang_rust — Rust: fns with the impl's type (also for `impl Trait for Type`) or the
    trait as class, the async flag, parameters (`self` included). Closures are part of the
    function that holds them (lizard starts functions only at `fn`). */
#include <string.h>

#include "cw_extract.h"

cw_lang_class_name_fn cw_lang_rust_class_name;
cw_lang_details_fn cw_lang_rust_details;

bool cw_lang_rust_class_name(const cw_lang_t *lang, TSNode node, TSNode parent, const char *src,
                             size_t len, cw_span_t *name)
{
    (void)lang;
    (void)parent;
    (void)src;
    (void)len;
    if (strcmp(ts_node_type(node), "impl_item") == 0)
        *name = cw_x_span(cw_x_type_base(cw_x_field(node, "type")));
    else
        *name = cw_x_span(cw_x_field(node, "name"));
    return name->end > name->start;
}

void cw_lang_rust_details(const cw_lang_t *lang, TSNode fn, TSNode outer, const char *src,
                          struct cw_function *out)
{
    (void)lang;
    (void)outer;
    size_t len = ts_node_end_byte(fn);
    uint32_t cc = ts_node_named_child_count(fn);
    for (uint32_t i = 0; i < cc; i++) {
        TSNode c = ts_node_named_child(fn, i);
        if (strcmp(ts_node_type(c), "function_modifiers") == 0 && cw_x_has_token(c, "async"))
            out->is_async = true;
    }
    TSNode params = cw_x_field(fn, "parameters");
    if (ts_node_is_null(params))
        return;
    uint32_t n = ts_node_named_child_count(params);
    for (uint32_t i = 0; i < n; i++) {
        TSNode p = ts_node_named_child(params, i);
        const char *t = ts_node_type(p);
        char *name = NULL;
        if (strcmp(t, "self_parameter") == 0)
            name = cw_strndup_utf8("self", 4, 4);
        else if (strcmp(t, "parameter") == 0)
            name = cw_x_text(cw_x_field(p, "pattern"), src, len, CW_EXTRACT_MAX_ITEM);
        else if (strcmp(t, "variadic_parameter") == 0)
            name = cw_strndup_utf8("...", 3, 3);
        else
            continue; /* attributes, comments */
        cw_x_list_push(&out->parameters, name, CW_EXTRACT_MAX_PARAMS, false);
    }
}
