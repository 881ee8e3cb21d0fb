/*  cw_doctype — the one table of documentation types (see cw_doctype.h). */
#include "cw_doctype.h"

#include <stddef.h>
#include <string.h>

/* Indexed by cw_doc_type_t. Names, labels and folders: shared/reference/OUTPUT.md;
   weights: shared/reference/CONFIG.md. */
static const cw_doctype_t s_types[CW_DOC_TYPE_COUNT] = {
    {CW_DOC_FUNCTION, "function_doc", "Documentation", NULL, 35, CW_DOC_FROM_FUNCTIONS,
     "documentation_template", NULL},
    {CW_DOC_CLASS, "class_doc", "Class Documentation", "classes", 12, CW_DOC_FROM_CLASSES, NULL,
     NULL},
    {CW_DOC_FILE, "file_doc", "File Overview", "files", 12, CW_DOC_FROM_FILES, NULL, NULL},
    {CW_DOC_SECURITY, "security_review", "Security Review", "reviews/security", 10,
     CW_DOC_FROM_FUNCTIONS, NULL, NULL},
    {CW_DOC_PERFORMANCE, "performance_analysis", "Performance Analysis", "reviews/performance", 8,
     CW_DOC_FROM_FUNCTIONS, NULL, NULL},
    {CW_DOC_TIL, "til", "Today I Learned", "til", 10, CW_DOC_FROM_FUNCTIONS, NULL, NULL},
    {CW_DOC_EVOLUTION, "code_evolution", "Code Evolution", "evolution", 5, CW_DOC_FROM_COMMITS,
     NULL, NULL},
    {CW_DOC_MODULE, "module_doc", "Module Overview", "modules", 3, CW_DOC_FROM_MODULES, NULL, NULL},
    {CW_DOC_PATTERN, "pattern_analysis", "Pattern Analysis", "patterns", 3, CW_DOC_FROM_PATTERNS,
     NULL, NULL},
    {CW_DOC_WEEKLY, "weekly_summary", "Weekly Summary", "analysis/weekly", 1, CW_DOC_FROM_LEDGER,
     NULL, "weekly"},
    {CW_DOC_MONTHLY, "monthly_summary", "Monthly Summary", "analysis/monthly", 1,
     CW_DOC_FROM_LEDGER, NULL, "monthly"},
};

const cw_doctype_t *cw_doctype(int type)
{
    return type >= 0 && type < CW_DOC_TYPE_COUNT ? &s_types[type] : NULL;
}

const cw_doctype_t *cw_doctype_by_name(const char *name)
{
    if (!name)
        return NULL;
    for (int i = 0; i < CW_DOC_TYPE_COUNT; i++)
        if (strcmp(name, s_types[i].name) == 0)
            return &s_types[i];
    return NULL;
}

const cw_doctype_t *cw_doctype_by_period(const char *period)
{
    if (!period)
        return NULL;
    for (int i = 0; i < CW_DOC_TYPE_COUNT; i++)
        if (s_types[i].period && strcmp(period, s_types[i].period) == 0)
            return &s_types[i];
    return NULL;
}

const char *cw_doc_type_name(int doc_type)
{
    const cw_doctype_t *t = cw_doctype(doc_type);
    return t ? t->name : NULL;
}

int cw_doc_type_from_name(const char *name)
{
    const cw_doctype_t *t = cw_doctype_by_name(name);
    return t ? (int)t->type : -1;
}

bool cw_doc_type_is_summary(const char *name)
{
    const cw_doctype_t *t = cw_doctype_by_name(name);
    return t && t->source == CW_DOC_FROM_LEDGER;
}
