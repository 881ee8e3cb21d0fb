/*  cw_score — interest score exactly as the reference computes it. */
#include "cw_score.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static double s_frac(double v, double cap)
{
    double f = v / cap;
    if (f > 1.0)
        f = 1.0;
    if (f < 0.0)
        f = 0.0;
    return f;
}

/* case-insensitive substring over all decorators (the reference joins and lowercases) */
static bool s_decorators_mention(const cw_score_input_t *in, const char *word)
{
    size_t wl = strlen(word);
    for (size_t i = 0; i < in->decorator_count; i++) {
        const char *d = in->decorators[i];
        if (!d)
            continue;
        size_t dl = strlen(d);
        for (size_t k = 0; k + wl <= dl; k++) {
            size_t j = 0;
            while (j < wl && tolower((unsigned char)d[k + j]) == word[j])
                j++;
            if (j == wl)
                return true;
        }
    }
    return false;
}

unsigned cw_score_source_flags(const char *src, size_t len)
{
    unsigned flags = 0;
    if (!src)
        return 0;
    if (memmem(src, len, "yield", 5))
        flags |= CW_SCORE_SRC_YIELD;
    if (memmem(src, len, "__enter__", 9) || memmem(src, len, "__exit__", 8))
        flags |= CW_SCORE_SRC_CONTEXT;
    return flags;
}

double cw_score_pattern_bonus(const cw_score_input_t *in)
{
    double bonus = 0;
    if (in->is_async)
        bonus += 5;
    if (in->decorator_count > 0) {
        bonus += 5.0 * (double)in->decorator_count;
        if (s_decorators_mention(in, "property"))
            bonus += 3;
        if (s_decorators_mention(in, "classmethod") || s_decorators_mention(in, "staticmethod"))
            bonus += 3;
        if (s_decorators_mention(in, "abstractmethod"))
            bonus += 8;
        if (s_decorators_mention(in, "dataclass"))
            bonus += 7;
    }
    unsigned flags =
        in->source ? cw_score_source_flags(in->source, strlen(in->source)) : in->source_flags;
    if (flags & CW_SCORE_SRC_YIELD)
        bonus += 8;
    if (flags & CW_SCORE_SRC_CONTEXT)
        bonus += 10;
    return bonus;
}

double cw_score_function(const cw_score_input_t *in)
{
    if (!in)
        return 0;
    double complexity = s_frac(in->complexity, 20) * 100;
    double length = s_frac(in->nloc, 100) * 100;
    double nesting = s_frac(in->nesting, 5) * 100;
    double params = s_frac(in->params, 7) * 100;
    double churn = s_frac(in->commits_30d, 5) * 100;
    int days = in->days_since_modified < 0 ? 0 : in->days_since_modified;
    double novelty = (30.0 - days) / 30.0;
    if (novelty < 0)
        novelty = 0;
    novelty *= 100;
    double total = complexity * 0.35 + length * 0.15 + nesting * 0.15 + params * 0.10 +
                   churn * 0.15 + novelty * 0.10 + cw_score_pattern_bonus(in);
    return total > 100 ? 100 : total;
}

bool cw_score_worth(double score, int lines, double complexity, int min_complexity)
{
    return score >= CW_SCORE_WORTH_MIN && lines >= CW_SCORE_WORTH_LINES &&
           complexity >= (double)min_complexity;
}

double cw_score_name_factor(const char *name)
{
    if (name && name[0] == '_' && name[1] != '_')
        return CW_SCORE_PRIVATE_FACTOR;
    return 1.0;
}

bool cw_score_skip_name(const char *name)
{
    static const char *const skip[] = {"__init__", "__str__",  "__repr__", "main",
                                       "setUp",    "tearDown", NULL};
    if (!name)
        return true;
    for (const char *const *s = skip; *s; s++)
        if (strcmp(name, *s) == 0)
            return true;
    return false;
}

double cw_score_class(int methods, int lines, bool has_docstring, int decorators)
{
    double deco = 5.0 * (decorators < 0 ? 0 : decorators);
    if (deco > 15)
        deco = 15;
    return s_frac(methods, 6) * 35 + s_frac(lines, 100) * 25 + (has_docstring ? 10 : 0) + deco + 15;
}

double cw_score_file(int lines, int functions, long long bytes, int imports)
{
    return s_frac(lines, 200) * 30 + s_frac(functions, 8) * 30 + s_frac((double)bytes, 5000) * 20 +
           s_frac(imports, 10) * 20;
}

double cw_score_module(int files, long long index_len)
{
    return s_frac(files, 8) * 40 + s_frac((double)index_len, 500) * 30 + 30;
}

double cw_score_evolution(long long diff_len, bool is_new, int added_lines)
{
    return s_frac((double)diff_len, 1000) * 40 + 30 + (is_new ? 10 : 0) +
           s_frac(added_lines, 20) * 20;
}

double cw_score_pattern(int matches)
{
    double s = 15.0 * (matches < 0 ? 0 : matches) + 30;
    return s > 100 ? 100 : s;
}
