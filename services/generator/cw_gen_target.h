/*  cw_gen_target — a generate_request's target in plain C: its identity, its source, and
    the facts the analyzer read from the code (proto/README.md, "The target map"). Every
    pointer borrows from the target map it was made from; the arrays are malloc'd
    (cw_gen_target_free). The prompts and the offline backend read facts only from here;
    nothing reads the target's `context` (prose for people). */
#ifndef CW_GEN_TARGET_H
#define CW_GEN_TARGET_H

#include <stdbool.h>
#include <stddef.h>

#include "cw_value.h"

typedef struct {
    const char *name; /* "" when unnamed (`func(int)`) */
    const char *type; /* NULL if not written */
    const char *dflt; /* default value, NULL if none */
} cw_gen_param_t;

/* a class member or a file's top-level definition */
typedef struct {
    const char *name;
    const char *kind;      /* method, field, function, class, struct, constant, ... */
    const char *signature; /* NULL if none */
    long line;
} cw_gen_member_t;

typedef struct {
    const char *path;
    const char *status; /* added, modified, deleted, renamed */
    long added;
    long deleted;
} cw_gen_file_change_t;

typedef struct {
    long old_start, old_lines, new_start, new_lines;
    const char *section; /* the hunk header's context, NULL if none */
} cw_gen_hunk_t;

typedef struct {
    const char *path;
    long lines, functions, classes;
} cw_gen_module_file_t;

typedef struct {
    const char *name;
    const char **indicators;
    size_t indicator_count;
} cw_gen_pattern_t;

typedef struct {
    bool present;
    long loops, loop_depth, returns, raises, catches, yields, awaits, gotos, unsafe;
} cw_gen_body_t;

typedef struct {
    int doc_type; /* cw_doc_type_t; -1 if unknown */
    const char *doc_type_name;
    const char *repo;
    const char *file;
    const char *language;
    const char *name;
    const char *class_name; /* NULL if none */
    const char *source;
    bool source_cut;     /* the source is the beginning of what the lines span */
    const char *context; /* prose for people: never read by the renderers */
    long start_line;
    long end_line;
    double complexity;
    long nloc;    /* -1 if not given */
    long params;  /* -1 if not given */
    long nesting; /* -1 if not given */
    long bytes;   /* file_doc: the file's size, -1 if not given */
    /* facts (NULL / 0 when not given) */
    const char *kind;
    const char *docstring;
    const char *signature;
    const char *return_type;
    bool is_async;
    cw_gen_param_t *parameters;
    size_t parameter_count;
    bool has_parameters; /* the target said what its parameters are (possibly none) */
    const char **calls;
    size_t call_count;
    const char **decorators;
    size_t decorator_count;
    cw_gen_body_t body;
    cw_gen_member_t *members;
    size_t member_count;
    cw_gen_member_t *definitions;
    size_t definition_count;
    const char **imports;
    size_t import_count;
    struct {
        bool present;
        const char *kind; /* package, module, directory */
        const char *index_file;
        long file_count;
        cw_gen_module_file_t *files;
        size_t count;
    } module;
    struct {
        bool present;
        const char *hash, *author, *date, *subject;
        long file_count;
        cw_gen_file_change_t *files;
        size_t count;
    } commit;
    struct {
        bool present;
        const char *status;
        long added, deleted;
        cw_gen_hunk_t *hunks;
        size_t hunk_count;
    } change;
    cw_gen_pattern_t *patterns;
    size_t pattern_count;
} cw_gen_target_t;

/* Fill `t` from a target map. -1 with a reason when a required field is missing or the
   doc type is unknown; facts of another shape than declared are left out. Release with
   cw_gen_target_free (also after a failure). */
int cw_gen_target_from_value(const cw_value_t *target, cw_gen_target_t *t, char *err,
                             size_t errlen);
void cw_gen_target_free(cw_gen_target_t *t);
/* "Class.function" when both exist (and differ), else the function, else the class, else
   the file's stem. */
void cw_gen_display_name(const cw_gen_target_t *t, char *out, size_t outlen);

#endif
