/*  cw_extract — functions out of a syntax tree, with their metrics as lizard 1.24 counts
    them (cyclomatic complexity, NLOC, tokens, parameters, nesting depth). Driven by the
    language table (cw_lang.h). */
#ifndef CW_EXTRACT_H
#define CW_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>
#include <tree_sitter/api.h>
#include "cw_lang.h"

/* Bump when what extraction finds or how metrics are counted changes: the analyzer index
   keys its entries by it, so older results are parsed again. */
#define CW_EXTRACT_VERSION 6 /* 5: one-line signatures in the facts; 6: divider lines are no doc */

#define CW_EXTRACT_MAX_FUNCTIONS 20000 /* per file */
#define CW_EXTRACT_MAX_DEPTH 512       /* deeper syntax is not descended into */
#define CW_EXTRACT_MAX_LIST 64         /* decorators kept */
#define CW_EXTRACT_MAX_PARAMS 256
#define CW_EXTRACT_MAX_CALLS 512
#define CW_EXTRACT_MAX_ITEM 256 /* bytes per name in those lists */
#define CW_EXTRACT_MAX_SIGNATURE 4096
#define CW_EXTRACT_MAX_DOCSTRING (64 * 1024)

typedef struct {
    int ccn;     /* 1 + condition tokens, nested functions excluded */
    int nloc;    /* lines with code (not blank, not only comment) */
    int tokens;  /* leaf tokens (a string counts as one) */
    int params;  /* parameter count, self included */
    int nesting; /* deepest nesting of if/for/while/try/with blocks */
} cw_metrics_t;

typedef struct {
    char **items;
    size_t count;
} cw_strlist_t;

typedef struct cw_function {
    char *name;
    char *class_name; /* NULL when not a method */
    int start_line;   /* 1-based, the wrapper's (decorators included) */
    int end_line;
    size_t start_byte; /* source range (wrapper included) */
    size_t end_byte;
    char *docstring; /* NULL if none */
    char *signature; /* the header (`def f(a, b) -> int:`) */
    cw_strlist_t parameters;
    cw_strlist_t decorators; /* as written, with '@' */
    cw_strlist_t calls;      /* callee names, deduped, first-seen order */
    bool is_async;
    cw_metrics_t metrics;
    /* the nodes, valid while the tree lives */
    TSNode node;
    TSNode outer;
} cw_function_t;

typedef struct {
    cw_function_t *items;
    size_t count;
    size_t cap;
} cw_function_list_t;

/* Extract the functions of `tree` (parsed from src/len in `lang`), in source order.
   Functions nested in other functions are not returned (they are part of their parent's
   source; the reference does the same); methods carry their innermost class. Metrics are
   filled in. 0, or -1 on out-of-memory. */
int cw_extract_functions(const cw_lang_t *lang, TSTree *tree, const char *src, size_t len,
                         cw_function_list_t *out);
void cw_function_list_free(cw_function_list_t *list);
/* Free one function's strings and zero it. */
void cw_function_clear(cw_function_t *f);

/* Metrics of one function node. */
void cw_metrics_compute(const cw_lang_t *lang, TSNode fn, const char *src, size_t len,
                        cw_metrics_t *out);

/* Parse a whole source with a language (helper for tests and the analyzer). Caller deletes
   the tree with ts_tree_delete. NULL on failure or timeout. */
TSTree *cw_extract_parse(TSParser *parser, const cw_lang_t *lang, const char *src, size_t len);

/* ---- classes and other type-like containers (class_doc targets) */
typedef struct {
    char *name;     /* class / struct / impl type / interface name */
    char *kind;     /* "class", "struct", "impl", "interface", "trait", "enum", "namespace" */
    int start_line; /* 1-based, decorators/attributes included */
    int end_line;
    size_t start_byte; /* source range */
    size_t end_byte;
    int method_count;        /* functions defined inside (for impl blocks: its fns; for Go and C:
                                functions/methods associated with the struct, see the language) */
    char *docstring;         /* NULL if none (Python docstring, or the comment block just above) */
    cw_strlist_t decorators; /* Python decorators / Rust attributes / Java-style annotations */
} cw_class_t;

typedef struct {
    cw_class_t *items;
    size_t count;
    size_t cap;
} cw_class_list_t;

/* Extract the classes (and class-like containers) of `tree`, in source order. 0 or -1. */
int cw_extract_classes(const cw_lang_t *lang, TSTree *tree, const char *src, size_t len,
                       cw_class_list_t *out);
void cw_class_list_free(cw_class_list_t *list);
/* Methods written outside their class. For each function of `fns` (cw_extract_functions)
   the index in `classes` (cw_extract_classes, same tree and text) of the class it is a
   method of from outside that class's text, or -1: go: receiver type = the struct; c: first
   parameter points to the struct (`buf_t *b`, `const struct buf *b`; tag or typedef name);
   cpp: `Foo::bar` defined outside Foo's body. Other languages: all -1 (their methods are in
   the class's text). owner has fns->count slots. 0, or -1 (bad arguments, out of memory). */
int cw_extract_class_methods(const cw_lang_t *lang, TSTree *tree, const char *src, size_t len,
                             const cw_class_list_t *classes, const cw_function_list_t *fns,
                             int *owner);
/* Number of import/include/use statements in the file (file_doc scoring). */
int cw_extract_import_count(const cw_lang_t *lang, TSTree *tree, const char *src, size_t len);

/* Copy at most `max` bytes of s[0..n), cut back to a UTF-8 boundary. */
char *cw_strndup_utf8(const char *s, size_t n, size_t max);

/* ---- one pre-order walk of a syntax tree (every extraction pass uses it) */
typedef struct {
    TSTreeCursor cur;
    int depth;     /* of the current node below the start node (0) */
    int max_depth; /* nodes deeper than this are not descended into */
} cw_walk_t;
/* Called for each node the walk leaves (its subtree done), with that node's depth. */
typedef void(cw_walk_leave_fn)(void *arg, int depth);

void cw_walk_start(cw_walk_t *w, TSNode start, int max_depth);
static inline TSNode cw_walk_node(const cw_walk_t *w)
{
    return ts_tree_cursor_current_node(&w->cur);
}
/* Move to the next node in pre-order: the current node's first child when `descend` (and it
   has one, above max_depth), else its next sibling or the next sibling of the nearest
   ancestor that has one, calling leave (may be NULL) for the current node and each
   ancestor left on the way. false when the walk is over (the start node left). */
bool cw_walk_next(cw_walk_t *w, bool descend, cw_walk_leave_fn *leave, void *arg);
void cw_walk_end(cw_walk_t *w);

/* ---- helpers shared by cw_extract*.c and the cw_lang_<name>.c hooks (internal) */
TSNode cw_x_field(TSNode node, const char *field);
/* Text of a node / a span (NULL when out of range). */
char *cw_x_text(TSNode node, const char *src, size_t len, size_t max);
char *cw_x_span_text(cw_span_t span, const char *src, size_t len, size_t max);
cw_span_t cw_x_span(TSNode node);
/* Push s (owned; freed when not kept) onto list, at most `max` items, optionally deduped. */
void cw_x_list_push(cw_strlist_t *list, char *s, size_t max, bool dedup);
void cw_x_list_free(cw_strlist_t *list);
/* A Python docstring without the quote characters at both ends (as the reference strips
   them), in place; NULL stays NULL. */
char *cw_x_strip_quotes(char *s);
/* A doc comment's text from the comment block src[a, b): comment markers (`//`, `///`,
   `/ **`, `*`, `* /`) and surrounding blank lines stripped. NULL when empty. */
char *cw_x_comment_text(const char *src, size_t a, size_t b);
/* The innermost type name of a type node (pointer, reference, generic and scoped types
   unwrapped): `*Srv[K]` -> `Srv`, `Foo<T>` -> `Foo`, `a::B` -> `B`. */
TSNode cw_x_type_base(TSNode type);
/* Whether the node has an anonymous child token of that type (`async`, `*`). */
bool cw_x_has_token(TSNode node, const char *token);

#endif
