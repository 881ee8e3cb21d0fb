/*  cw_extract_classes — classes, structs, impl blocks, interfaces; import counts.
    (Stub until the per-language extraction lands: returns no classes.) */
#include <stdlib.h>
#include <string.h>

#include "cw_extract.h"

int cw_extract_classes(const cw_lang_t *lang, TSTree *tree, const char *src, size_t len,
                       cw_class_list_t *out)
{
    (void)lang;
    (void)tree;
    (void)src;
    (void)len;
    memset(out, 0, sizeof(*out));
    return 0;
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
    (void)lang;
    (void)tree;
    (void)src;
    (void)len;
    return 0;
}
