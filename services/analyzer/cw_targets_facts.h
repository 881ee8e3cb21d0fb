/*  cw_targets_facts — what a target carries besides its source: the facts the analyzer
    reads from a file's syntax tree while it indexes the file. cw_index.c keeps them with
    the file's record (a msgpack blob, also in its database), so building a target never
    parses again; cw_targets*.c copy the relevant part into the target map.

    The facts of one file (msgpack maps, indexed so that each part decodes on its own; every
    list bounded, every text cut on a UTF-8 boundary to CW_FACTS_TEXT bytes, whitespace runs
    as one space):
      doc      str   the file's docstring or leading doc comment (licence blocks, shebang
                     and build directives skipped)
      imports  [str] imported modules / included headers / used paths, in file order,
                     deduplicated (`os`, `./util`, `<stdio.h>`, `"ring.h"`, `std::io`)
      defs     [{name, kind, line, signature?}]  top-level definitions (through wrappers:
                     export, decorators, templates, namespaces, preprocessor conditionals)
      per extracted function, by its start byte: {params?, returns?, body?}: parameters
                     {name, type?, default?}, the declared return type, and what its body
                     contains (loops, loop_depth, returns, raises, catches, yields, awaits,
                     gotos, unsafe; zero counts left out)
      per extracted class, by its start byte: {members}: the members written in its text
                     {name, kind, line, signature?}; `method` members are exactly what
                     extraction counted as its methods (method_count)
    Member/definition kinds: function method prototype class struct union enum interface
    trait impl type typedef namespace module constant variable static macro field
    attribute property embedded. */
#ifndef CW_TARGETS_FACTS_H
#define CW_TARGETS_FACTS_H

#include <stddef.h>
#include <stdint.h>
#include <tree_sitter/api.h>

#include "cw_extract.h"
#include "cw_value.h"

#define CW_FACTS_MAX_DEFS 500    /* top-level definitions kept per file */
#define CW_FACTS_MAX_MEMBERS 300 /* members kept per class */
#define CW_FACTS_MAX_IMPORTS 300
#define CW_FACTS_MAX_PARAMS 64
#define CW_FACTS_TEXT 240                   /* bytes of a signature, type or default */
#define CW_FACTS_DOC (16 * 1024)            /* bytes of a file's doc comment */
#define CW_FACTS_MAX_BLOB (8 * 1024 * 1024) /* a file's facts, encoded */

/* The facts of one parsed file (fns and classes: what cw_extract_functions and
   cw_extract_classes found in the same tree and text), as a malloc'd msgpack blob of
   *size bytes. NULL on out-of-memory or when the blob would exceed CW_FACTS_MAX_BLOB. */
char *cw_facts_extract(const cw_lang_t *lang, TSTree *tree, const char *src, size_t len,
                       const cw_function_list_t *fns, const cw_class_list_t *classes, size_t *size);
/* s[0..n) with whitespace runs as one space, trimmed, at most max bytes (cut on a UTF-8
   boundary, "..." added); NULL when empty or out of memory. */
char *cw_facts_clean(const char *s, size_t n, size_t max);
/* From a blob: the file's facts {doc, imports, defs}; the entry of the function / class
   extraction found starting at byte `at` ({params, returns, body} / {members}). Each decodes
   only its own part. Owned by the caller; NULL when there is none or the blob is malformed. */
cw_value_t *cw_facts_file(const char *blob, size_t size);
cw_value_t *cw_facts_function(const char *blob, size_t size, uint32_t at);
cw_value_t *cw_facts_class(const char *blob, size_t size, uint32_t at);

#endif
