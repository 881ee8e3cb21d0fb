/*  cw_lang — the languages the analyzer knows, as one table: extensions, tree-sitter
    grammar, and the node/token types that drive extraction and metrics. Adding a language
    = adding a row (and, if its functions need special handling, a details hook). */
#ifndef CW_LANG_H
#define CW_LANG_H

#include <stdbool.h>
#include <stddef.h>
#include <tree_sitter/api.h>

typedef enum {
    CW_LANG_PYTHON = 0,
    CW_LANG_JAVASCRIPT,
    CW_LANG_TYPESCRIPT,
    CW_LANG_TSX,
    CW_LANG_GO,
    CW_LANG_RUST,
    CW_LANG_C,
    CW_LANG_CPP,
    CW_LANG_COUNT
} cw_lang_id_t;

struct cw_function;
typedef struct cw_lang cw_lang_t;

/* Fills the language-specific parts of a function (parameters, docstring, decorators,
   signature, async flag) from its node; `outer` is the wrapper node (e.g. Python's
   decorated_definition) or the function node itself. */
typedef void(cw_lang_details_fn)(const cw_lang_t *lang, TSNode fn, TSNode outer, const char *src,
                                 struct cw_function *out);

struct cw_lang {
    cw_lang_id_t id;
    const char *name;              /* "python" (the target's language field) */
    const char *const *extensions; /* ".py", ... NULL-terminated */
    const TSLanguage *(*grammar)(void);
    /* --- extraction (functions == NULL: no function extraction yet for this language) */
    const char *const *function_types; /* nodes that are functions */
    const char *const *wrapper_types;  /* nodes wrapping a function (decorators): the
                                          function's start line is the wrapper's */
    const char *const *class_types;    /* nodes whose "name" field is the class of the
                                          functions inside */
    const char *const *call_types;     /* call nodes; "function" field names the callee */
    cw_lang_details_fn *details;
    /* --- metrics (lizard 1.24's view) */
    const char *const *condition_tokens; /* leaf token types, each +1 cyclomatic */
    const char *const *nesting_types;    /* blocks that nest (if/for/while/try/with) */
    const char *const *comment_types;    /* not code */
    const char *const *atomic_types;     /* counted as one token (strings) */
};

/* The row for an id, or NULL. */
const cw_lang_t *cw_lang_get(cw_lang_id_t id);
/* By a file name's extension (".py"), or NULL when unsupported. */
const cw_lang_t *cw_lang_for_path(const char *path);
/* By name ("python"), or NULL. */
const cw_lang_t *cw_lang_by_name(const char *name);
/* true if `type` is in the NULL-terminated list (NULL list = false). */
bool cw_lang_in(const char *const *list, const char *type);

#endif
