/*  cw_targets — the documentation target kinds, made from the index (cw_index.h) and the
    git history (cw_gitstats.h): functions (function_doc and the three perspectives), classes,
    files, modules, recent changes (code_evolution) and design patterns. Each producer adds
    scored candidates to a bounded set; the best are turned into `target` maps (cw_proto.h),
    reading their source from disk only then. */
#ifndef CW_TARGETS_H
#define CW_TARGETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cw_gitstats.h"
#include "cw_index.h"
#include "cw_scan.h"
#include "cw_value.h"

#define CW_TARGET_MAX_SOURCE (1024 * 1024) /* function source */
#define CW_TARGET_CLASS_SOURCE (16 * 1024) /* class text kept */
#define CW_TARGET_FILE_SOURCE 6000         /* file_doc / pattern_analysis: first characters */
#define CW_TARGET_MODULE_INDEX 2000        /* module_doc: first characters of the index file */
#define CW_TARGET_CLASS_MIN_LINES 15
#define CW_TARGET_FILE_MIN_LINES 20
#define CW_TARGET_FILE_MIN_SCORE 20.0
#define CW_TARGET_DIFF_MIN 20
#define CW_TARGET_PATTERN_MIN 2

/* What a candidate is: which facts its target carries (cw_cand_target). */
typedef enum {
    CW_CAND_FUNCTION = 0, /* function_doc and its perspectives: `fn` */
    CW_CAND_CLASS,        /* class_doc: `klass` */
    CW_CAND_FILE,         /* file_doc: the facts of `record` */
    CW_CAND_PATTERN,      /* pattern_analysis: the facts of `record`, and `facts` */
    CW_CAND_MODULE,       /* module_doc: `facts`, and the facts of the index file `index` */
    CW_CAND_CHANGE        /* code_evolution: `facts` */
} cw_cand_kind_t;

typedef struct {
    cw_cand_kind_t what;
    double score;
    char *file;       /* repo-relative (owned) */
    char *name;       /* owned */
    char *class_name; /* owned, NULL = none */
    const cw_lang_t *lang;
    int start_line;
    int end_line;
    double complexity;
    const cw_index_fn_t *fn;       /* function kinds: metrics and details (borrowed) */
    const cw_index_file_t *record; /* source read lazily from this file (borrowed) */
    uint32_t src_start;            /* ...this byte range of it */
    uint32_t src_end;
    size_t src_max; /* ...at most this many bytes (what follows included) */
    /* class_doc: the class's methods written outside its text (cw_index_class_t.outside),
       read from the same file and appended to its text, each after a blank line, in file
       order (borrowed; NULL = none) */
    const cw_index_class_t *cls;
    const cw_index_class_t *klass; /* class_doc: the class (borrowed) */
    const cw_index_file_t *index;  /* module_doc: the index file (borrowed; NULL = none) */
    const cw_change_t *change;     /* code_evolution: the change (borrowed from the git
                                      statistics, valid while they are) */
    char *source;                  /* owned text: the whole source, or what comes before the
                                      lazily read range when `record` is set */
    bool source_cut;               /* `source` itself is cut (the diff of a large change) */
    cw_value_t *facts;             /* owned map of facts made with the candidate (module, commit,
                                      change, patterns), copied into the target; NULL = none */
    char *context;                 /* owned prose for people (no program reads it), NULL = none */
} cw_cand_t;

typedef struct {
    cw_cand_t *items;
    size_t count;
    size_t cap;
    size_t keep; /* the best `keep` are kept */
    size_t seen; /* candidates pushed in all (kept or not) */
} cw_cands_t;

/* Takes ownership of c's strings (c is zeroed). -1 on out-of-memory (c freed). */
int cw_cands_push(cw_cands_t *set, cw_cand_t *c);
/* Sort best first (score, then file, start line, name: deterministic) and keep `keep`. */
void cw_cands_trim(cw_cands_t *set);
void cw_cands_free(cw_cands_t *set);
void cw_cand_free(cw_cand_t *c);

typedef struct {
    const char *root;            /* the repository directory (real path) */
    const cw_index_view_t *view; /* its indexed files */
    const cw_repo_history_t *history;
    cw_gitstats_t *git;
    time_t now;
    int min_complexity;
    int min_lines;
    int max_lines;
    const cw_patterns_t *include; /* code_evolution filters changed files with these */
    const cw_patterns_t *exclude;
} cw_target_ctx_t;

/* Producers: 0, or -1 on out-of-memory. */
int cw_targets_functions(const cw_target_ctx_t *ctx, cw_cands_t *out);
int cw_targets_classes(const cw_target_ctx_t *ctx, cw_cands_t *out);
int cw_targets_files(const cw_target_ctx_t *ctx, cw_cands_t *out);
int cw_targets_modules(const cw_target_ctx_t *ctx, cw_cands_t *out);
int cw_targets_patterns(const cw_target_ctx_t *ctx, cw_cands_t *out);
int cw_targets_evolution(const cw_target_ctx_t *ctx, cw_cands_t *out);

/* code_evolution facts of a change whose diff was kept as `diff`: {commit {hash, author,
   date, subject, file_count, files}, change {status, added, deleted, hunks}}. NULL on
   out-of-memory. */
cw_value_t *cw_targets_change_facts(const cw_change_t *ch, const char *diff);

/* The target map of a candidate (reads its source if it is lazy), with its facts (proto/
   README.md, "The target map"): from the candidate's `facts`, and from the index records
   (cw_targets_facts.h). NULL when the file no longer matches its index record (*stale =
   true: invalidate and ask again) or out of memory. */
cw_value_t *cw_cand_target(const cw_cand_t *c, const char *root, const char *doc_type,
                           const char *repo, bool *stale);

#endif
