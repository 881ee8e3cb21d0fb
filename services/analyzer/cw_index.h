/*  cw_index — the analyzer's incremental index: per source file (mtime, size, content hash)
    -> what extraction found (functions with their metrics, classes, import count, line
    count, design-pattern indicators). Kept in memory and in SQLite under data_dir
    (<data_dir>/analyzer-index.db); only files whose (mtime, size) changed are read again,
    and only files whose content hash changed are parsed again, in worker threads (one
    tree-sitter parser each). The database is derived data: deleting it only costs time; a
    corrupt one is discarded with a warning. */
#ifndef CW_INDEX_H
#define CW_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cw_extract.h"
#include "cw_scan.h"

/* Bump when the index layout changes (extraction changes bump CW_EXTRACT_VERSION). */
/* 2: pattern indicators counted in code only; 3: classes keep their methods written outside
   their text (cw_index_class_t.outside), JS/TS function-valued fields count as methods;
   4: a file's Go package and C/C++ quoted includes (cross-file methods);
   5: each file keeps its facts (cw_targets_facts.h) */
#define CW_INDEX_FORMAT 5
#define CW_INDEX_MAX_THREADS 8
#define CW_PATTERN_COUNT 7 /* design patterns looked for (pattern_analysis) */

typedef struct {
    char *name;
    char *class_name; /* NULL when not a method */
    char *docstring;  /* NULL if none */
    char *signature;  /* NULL if none */
    cw_strlist_t parameters;
    cw_strlist_t decorators;
    cw_strlist_t calls;
    int start_line;
    int end_line;
    uint32_t start_byte;
    uint32_t end_byte;
    bool is_async;
    unsigned source_flags; /* CW_SCORE_SRC_* */
    cw_metrics_t metrics;
} cw_index_fn_t;

struct cw_index_file;

/* A function of another file: file->fns[fn]. */
typedef struct {
    const struct cw_index_file *file;
    uint32_t fn;
} cw_index_fn_ref_t;

typedef struct {
    char *name;
    char *kind;
    char *docstring; /* NULL if none */
    cw_strlist_t decorators;
    int start_line;
    int end_line;
    uint32_t start_byte;
    uint32_t end_byte;
    int method_count;
    /* its methods written outside its text (Go receiver methods, C functions whose first
       parameter points to it, C++ out-of-line `Foo::bar` definitions) in the same file:
       indices into the file's fns, in file order */
    uint32_t *outside;
    size_t outside_count;
    /* its methods in other files, set by each refresh for the files of its view (valid as
       long as the view): Go methods whose receiver is this type in the other files of its
       package (same directory, same package clause); C++ `Foo::bar` defined in a source
       file of the same directory, or one that includes this class's header. In path
       order, then line order. */
    cw_index_fn_ref_t *foreign;
    size_t foreign_count;
} cw_index_class_t;

typedef struct cw_index_file {
    char *rel; /* relative to the repository root */
    const cw_lang_t *lang;
    int64_t mtime_ns;
    int64_t size;
    uint8_t hash[32]; /* sha256 of the content */
    int status;       /* cw_read_status_t: CW_READ_OK, or why the file was skipped */
    int lines;
    int imports;
    int function_count;                  /* every function extraction found */
    uint16_t patterns[CW_PATTERN_COUNT]; /* bit i = indicator i of that pattern present */
    cw_index_fn_t *fns;
    size_t fn_count;
    cw_index_class_t *classes;
    size_t class_count;
    char *package;         /* Go: the package clause's name; NULL otherwise */
    cw_strlist_t includes; /* C/C++: the quoted includes (`#include "a/b.h"` -> a/b.h) */
    /* what cw_facts_extract found (cw_targets_facts.h): a msgpack blob, NULL = none */
    char *facts;
    uint32_t facts_len;
} cw_index_file_t;

/* The files of one repository after a refresh, in the scan list's order (sorted by rel).
   Valid until the next refresh of the same root or the index's destruction. */
typedef struct {
    cw_index_file_t **files;
    size_t count;
} cw_index_view_t;

typedef struct _cw_index_t cw_index_t;

/* db_path NULL = memory only. threads 0 = the number of online CPUs (at most
   CW_INDEX_MAX_THREADS). An unusable or corrupt database is discarded (warning) and
   recreated; when even that fails the index works in memory only. */
cw_index_t *cw_index_new(const char *db_path, int threads);
void cw_index_destroy(cw_index_t **self_p);

/* Bring the records of `root`'s files (the scan list of root) up to date and fill `view`
   (caller frees view->files with free()). 0, or -1 on out-of-memory. */
int cw_index_refresh(cw_index_t *self, const char *root, const cw_scan_list_t *scan,
                     cw_index_view_t *view);
/* Counters of the last refresh: files parsed (new or changed content), and files read
   (changed mtime/size, hash compared). */
size_t cw_index_files_parsed(const cw_index_t *self);
size_t cw_index_files_read(const cw_index_t *self);
/* Forget a file's (mtime, size) so that the next refresh reads it again (the analyzer calls
   it when a file no longer matches its record). */
void cw_index_invalidate(cw_index_t *self, cw_index_file_t *file);
/* The function_doc interest score of an indexed function (cw_score_function with its
   metrics, decorators, async flag and source flags, times cw_score_name_factor), given its
   file's git statistics. */
double cw_index_fn_score(const cw_index_fn_t *fn, int commits_30d, int days_since_modified);
/* The methods of class `cl` (of file f) written outside its text: i from 0 to
   outside_count + foreign_count - 1, the same file's first, then the other files'. NULL
   for an index out of range or a reference that does not hold; *in = the method's file. */
const cw_index_fn_t *cw_index_class_method(const cw_index_file_t *f, const cw_index_class_t *cl,
                                           size_t i, const cw_index_file_t **in);
/* root/f->rel read again, when it still matches f's record (size and content hash); NULL
   and *stale = true otherwise (NULL alone: unreadable path). *len = its length. */
char *cw_index_read_verified(const char *root, const cw_index_file_t *f, size_t *len, bool *stale);
/* The text of f's bytes [a, b) read again from root/f->rel, or NULL when the file no longer
   matches its record (size or content hash; *stale = true) or cannot be read. At most
   `max` bytes (cut back to a UTF-8 boundary). */
char *cw_index_read_span(const char *root, const cw_index_file_t *f, uint32_t a, uint32_t b,
                         size_t max, bool *stale);
/* true when the database is in use (false: memory only). */
bool cw_index_persistent(const cw_index_t *self);

/* ---- design-pattern indicators (pattern_analysis, per reference/ANALYSIS.md) */
const char *cw_pattern_name(int pattern);
/* The indicators of a pattern, NULL-terminated. */
const char *const *cw_pattern_indicators(int pattern);
/* Sets masks[p] bit i when indicator i of pattern p occurs in src (case-sensitive). */
void cw_pattern_scan(const char *src, size_t len, uint16_t masks[CW_PATTERN_COUNT]);
/* The same, counting only occurrences in code: one inside a comment, a string or character
   literal (the language's atomic types: a template string or f-string as a whole) or JSX
   text of `tree` (parsed from src/len in `lang`) does not count. What the index records.
   Cheap: only the indicators' occurrences are looked up in the tree, by one forward cursor
   walk per indicator that descends only into the nodes holding them. lang or tree NULL =
   cw_pattern_scan. */
void cw_pattern_scan_code(const cw_lang_t *lang, TSTree *tree, const char *src, size_t len,
                          uint16_t masks[CW_PATTERN_COUNT]);

#endif
