/*  cw_lang — the languages the analyzer knows, as one table: extensions, tree-sitter
    grammar, and the node/token types that drive extraction and metrics. Adding a language
    = adding a row (and, if its functions need special handling, a details hook). */
#ifndef CW_LANG_H
#define CW_LANG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
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

/* A byte range of the source ([start, end); empty when start == end). */
typedef struct {
    uint32_t start;
    uint32_t end;
} cw_span_t;

/* Names a function node. `parent` is its parent (null node at the root). Sets *name (empty:
   an anonymous function, not a candidate of its own) and, when the function itself names
   its class (Go receivers, C++ `Foo::bar`), *cls. false: the node is not a function after
   all (no body: C++ `= default`, declarations). */
typedef bool(cw_lang_name_fn)(const cw_lang_t *lang, TSNode fn, TSNode parent, const char *src,
                              size_t len, cw_span_t *name, cw_span_t *cls);
/* Names a class-like node; false (or an empty span) when it has no usable name. */
typedef bool(cw_lang_class_name_fn)(const cw_lang_t *lang, TSNode node, TSNode parent,
                                    const char *src, size_t len, cw_span_t *name);

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
    /* --- added for the eight languages (all optional: NULL = the Python-style default) */
    cw_lang_name_fn *name_fn;             /* names a function node (default: its "name" field) */
    cw_lang_class_name_fn *class_name_fn; /* names a class node (default: its "name" field) */
    const char *const *carrier_types;     /* nodes that hand a name/doc comment to the function
                                             they hold (JS `const f = () => {}`, `export ...`) */
    const char *const *decorator_types;   /* sibling nodes before a function/class that decorate
                                             it (TS decorators in class bodies, Rust attributes) */
    const char *const *if_types;          /* if nodes: an `else if` does not nest deeper */
    const char *const *else_types;        /* else clauses */
    const char *const *import_types;      /* import/use/include statements (one each) */
    const char *const *logic_parents;     /* `&&`/`||` count only under these (NULL: anywhere);
                                             with "ternary_expression" listed, `?` too */
    const char
        *doc_prefixes;      /* comment openers accepted as a doc comment above a
                               function, '|'-separated, e.g. "//|/ *" without the space; NULL: none */
    bool metrics_from_name; /* C/C++: lizard starts the function at its name, so
                               return-type tokens and lines before it don't count */
};

/* Per-symbol flags (one lookup per node instead of string compares). */
enum {
    CW_SYM_FUNCTION = 1u << 0,
    CW_SYM_WRAPPER = 1u << 1,
    CW_SYM_CLASS = 1u << 2,
    CW_SYM_CALL = 1u << 3,
    CW_SYM_CONDITION = 1u << 4, /* anonymous leaf tokens only */
    CW_SYM_NESTING = 1u << 5,
    CW_SYM_COMMENT = 1u << 6,
    CW_SYM_ATOMIC = 1u << 7,
    CW_SYM_CARRIER = 1u << 8,
    CW_SYM_DECORATOR = 1u << 9,
    CW_SYM_IF = 1u << 10,
    CW_SYM_ELSE = 1u << 11,
    CW_SYM_IMPORT = 1u << 12,
    CW_SYM_LOGIC = 1u << 13,        /* the `&&` / `||` tokens */
    CW_SYM_LOGIC_PARENT = 1u << 14, /* binary_expression */
    CW_SYM_QMARK = 1u << 15,        /* JS/TS `?` `?.` `??` `??=`: counted as lizard reads them */
};

/* Flags of every symbol of the language's grammar (index = TSSymbol), built once
   (thread-safe); *count receives the table size. NULL on out-of-memory. */
const uint16_t *cw_lang_symbol_flags(const cw_lang_t *lang, uint32_t *count);
/* Flags of one node (0 for symbols outside the table, e.g. ERROR). */
static inline uint16_t cw_lang_node_flags(const uint16_t *flags, uint32_t count, TSNode n)
{
    TSSymbol s = ts_node_symbol(n);
    return (flags && s < count) ? flags[s] : 0;
}

/* The row for an id, or NULL. */
const cw_lang_t *cw_lang_get(cw_lang_id_t id);
/* By a file name's extension (".py"), or NULL when unsupported. */
const cw_lang_t *cw_lang_for_path(const char *path);
/* The language a file is read in: `by_ext` (cw_lang_for_path), except that a `.h` header
   whose text is C++ (a line starting with `class Name`, `namespace`, `template`, or an
   access label `public:`...) is read as C++. */
const cw_lang_t *cw_lang_for_source(const cw_lang_t *by_ext, const char *path, const char *src,
                                    size_t len);
/* By name ("python"), or NULL. */
const cw_lang_t *cw_lang_by_name(const char *name);
/* true if `type` is in the NULL-terminated list (NULL list = false). */
bool cw_lang_in(const char *const *list, const char *type);

#endif
