/*  cw_score — the reference's interest score (0..100) and its "worth documenting" rule. */
#ifndef CW_SCORE_H
#define CW_SCORE_H

#include <stdbool.h>
#include <stddef.h>

#define CW_SCORE_NO_METRICS 20.0 /* a function without complexity data */
#define CW_SCORE_WORTH_MIN 25.0
#define CW_SCORE_WORTH_LINES 10
#define CW_SCORE_PRIVATE_FACTOR 0.5 /* names starting with exactly one underscore */

typedef struct {
    double complexity; /* cyclomatic */
    int nloc;
    int nesting;
    int params;
    int commits_30d;
    int days_since_modified;
    const char *const *decorators; /* as written ("@property") */
    size_t decorator_count;
    bool is_async;
    const char *source; /* looked at for `yield`, `__enter__`, `__exit__` */
    /* used instead of `source` when source is NULL (what cw_score_source_flags found) */
    unsigned source_flags;
} cw_score_input_t;

#define CW_SCORE_SRC_YIELD 1u   /* the source mentions `yield` */
#define CW_SCORE_SRC_CONTEXT 2u /* the source mentions `__enter__` or `__exit__` */

/* The CW_SCORE_SRC_* flags of src[0..len) (lets the index keep them without the source). */
unsigned cw_score_source_flags(const char *src, size_t len);

/* Weighted factors (complexity .35 @20, NLOC .15 @100, nesting .15 @5, params .10 @7,
   churn .15 @5 commits in 30 days, novelty .10 over 30 days) + pattern bonuses, capped
   at 100. */
double cw_score_function(const cw_score_input_t *in);
/* Only the pattern bonuses (async 5, each decorator 5, property 3, classmethod or
   staticmethod 3, abstractmethod 8, dataclass 7, generator 8, context manager 10). */
double cw_score_pattern_bonus(const cw_score_input_t *in);
/* score >= 25, lines >= 10, complexity >= min_complexity. */
bool cw_score_worth(double score, int lines, double complexity, int min_complexity);
/* Names starting with exactly one underscore: the reference drops 70% of them at random;
   this project keeps them all at half score. Returns the factor (1.0 or 0.5). */
double cw_score_name_factor(const char *name);
/* Names never documented: __init__ __str__ __repr__ main setUp tearDown. */
bool cw_score_skip_name(const char *name);

/* ---- the other target kinds (reference formulas, 0..100) */
/* class_doc: min(methods/6,1)*35 + min(lines/100,1)*25 + (docstring ? 10 : 0)
   + min(5*decorators,15) + 15 */
double cw_score_class(int methods, int lines, bool has_docstring, int decorators);
/* file_doc: min(lines/200,1)*30 + min(functions/8,1)*30 + min(bytes/5000,1)*20
   + min(imports/10,1)*20 (kept when >= 20) */
double cw_score_file(int lines, int functions, long long bytes, int imports);
/* module_doc: min(files/8,1)*40 + min(index_len/500,1)*30 + 30 */
double cw_score_module(int files, long long index_len);
/* code_evolution: min(diff_len/1000,1)*40 + 30 + (new ? 10 : 0) + min(added/20,1)*20 */
double cw_score_evolution(long long diff_len, bool is_new, int added_lines);
/* pattern_analysis: 15*matches + 30, capped at 100 */
double cw_score_pattern(int matches);

#endif
