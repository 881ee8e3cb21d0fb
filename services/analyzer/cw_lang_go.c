/*  cw_lang_go — Go: functions and methods (the receiver's type, pointer and type arguments
    stripped, is the class), parameters (each name of `a, b int` counts, as lizard counts
    the commas). Function literals are functions of their own for the metrics (lizard starts
    a function at every `func`) but not candidates. */
#include <string.h>

#include "cw_extract.h"

cw_lang_name_fn cw_lang_go_name;
cw_lang_details_fn cw_lang_go_details;

bool cw_lang_go_name(const cw_lang_t *lang, TSNode fn, TSNode parent, const char *src, size_t len,
                     cw_span_t *name, cw_span_t *cls)
{
    (void)lang;
    (void)parent;
    (void)src;
    (void)len;
    *name = cw_x_span(cw_x_field(fn, "name")); /* func_literal: none */
    TSNode recv = cw_x_field(fn, "receiver");
    if (!ts_node_is_null(recv)) {
        uint32_t n = ts_node_named_child_count(recv);
        for (uint32_t i = 0; i < n; i++) {
            TSNode p = ts_node_named_child(recv, i);
            if (strcmp(ts_node_type(p), "parameter_declaration") != 0)
                continue;
            TSNode t = cw_x_type_base(cw_x_field(p, "type"));
            if (!ts_node_is_null(t))
                *cls = cw_x_span(t);
            break;
        }
    }
    return true;
}

void cw_lang_go_details(const cw_lang_t *lang, TSNode fn, TSNode outer, const char *src,
                        struct cw_function *out)
{
    (void)lang;
    (void)outer;
    size_t len = ts_node_end_byte(fn);
    TSNode params = cw_x_field(fn, "parameters");
    if (ts_node_is_null(params))
        return;
    uint32_t n = ts_node_named_child_count(params);
    for (uint32_t i = 0; i < n; i++) {
        TSNode p = ts_node_named_child(params, i);
        const char *t = ts_node_type(p);
        if (strcmp(t, "parameter_declaration") != 0 &&
            strcmp(t, "variadic_parameter_declaration") != 0)
            continue;
        size_t before = out->parameters.count;
        uint32_t m = ts_node_named_child_count(p);
        for (uint32_t j = 0; j < m; j++) {
            TSNode c = ts_node_named_child(p, j);
            if (strcmp(ts_node_type(c), "identifier") == 0)
                cw_x_list_push(&out->parameters, cw_x_text(c, src, len, CW_EXTRACT_MAX_ITEM),
                               CW_EXTRACT_MAX_PARAMS, false);
        }
        if (out->parameters.count == before) /* unnamed: `func(int, string)` */
            cw_x_list_push(&out->parameters,
                           cw_x_text(cw_x_field(p, "type"), src, len, CW_EXTRACT_MAX_ITEM),
                           CW_EXTRACT_MAX_PARAMS, false);
    }
}
