/*  cw_doctype — the one table of documentation types. Everything the project knows about
    a doc type as such is a column here: its name on the bus and in the ledger, its label
    and folder in the DevLog (shared/reference/OUTPUT.md), its default weight
    (documentation.type_weights, shared/reference/CONFIG.md), what its targets are made
    from (which decides what the analyzer produces and which section the offline renderer
    writes), whether prompts.yaml's documentation_template replaces its built-in prompt,
    and whether it is a period summary. Services that need per-type behaviour (the
    analyzer's producers, the prompt texts, the offline renderer's sections) keep it in
    tables of their own indexed by cw_doc_type_t or cw_doc_source_t.                   */
#ifndef CW_DOCTYPE_H
#define CW_DOCTYPE_H

#include <stdbool.h>

#define CW_DOC_TYPE_COUNT 11
/* The doc types in the reference's order (documentation.type_weights). */
typedef enum {
    CW_DOC_FUNCTION = 0,
    CW_DOC_CLASS,
    CW_DOC_FILE,
    CW_DOC_SECURITY,
    CW_DOC_PERFORMANCE,
    CW_DOC_TIL,
    CW_DOC_EVOLUTION,
    CW_DOC_MODULE,
    CW_DOC_PATTERN,
    CW_DOC_WEEKLY,
    CW_DOC_MONTHLY
} cw_doc_type_t;

#define CW_DOC_SOURCE_COUNT 7
/* What the targets of a doc type are made from. */
typedef enum {
    CW_DOC_FROM_FUNCTIONS = 0, /* a function or method of the code */
    CW_DOC_FROM_CLASSES,       /* a class, struct or type with its members */
    CW_DOC_FROM_FILES,         /* a whole source file */
    CW_DOC_FROM_MODULES,       /* a directory of files (a package) */
    CW_DOC_FROM_PATTERNS,      /* a file that shows a design pattern */
    CW_DOC_FROM_COMMITS,       /* one commit's change of a file */
    CW_DOC_FROM_LEDGER         /* the ledger of a week or month (not the code) */
} cw_doc_source_t;

typedef struct {
    cw_doc_type_t type;
    const char *name;         /* "function_doc" */
    const char *label;        /* "Documentation": the header's Type and the section title */
    const char *folder;       /* DevLog folder; NULL = snippets/<language> */
    double default_weight;    /* documentation.type_weights when the YAML does not set it */
    cw_doc_source_t source;   /* what its targets are made from */
    const char *template_key; /* prompts.yaml key replacing its built-in template, or NULL */
    const char *period;       /* "weekly" / "monthly" for the summaries, else NULL */
} cw_doctype_t;

/* The row of a doc type; NULL out of range. */
const cw_doctype_t *cw_doctype(int type);
/* The row of a name ("class_doc"); NULL for an unknown name or NULL. */
const cw_doctype_t *cw_doctype_by_name(const char *name);
/* The summary of a period kind ("weekly", "monthly"); NULL for anything else. */
const cw_doctype_t *cw_doctype_by_period(const char *period);

/* "function_doc", "class_doc", ... ; NULL for out of range */
const char *cw_doc_type_name(int doc_type);
/* index for a name, or -1 */
int cw_doc_type_from_name(const char *name);
/* True for weekly_summary and monthly_summary (written from the ledger). */
bool cw_doc_type_is_summary(const char *name);

#endif
