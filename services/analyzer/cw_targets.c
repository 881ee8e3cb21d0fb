/*  cw_targets — candidates, the per-file kinds (functions, classes, files, patterns) and
    the target maps. */
#include "cw_targets.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cw_log.h"
#include "cw_score.h"
#include "cw_sha256.h"

#define MAX_NAME 512

/* ------------------------------------------------------------------ candidates */

void cw_cand_free(cw_cand_t *c)
{
    if (!c)
        return;
    free(c->file);
    free(c->name);
    free(c->class_name);
    free(c->source);
    free(c->context);
    memset(c, 0, sizeof *c);
}

static int s_cand_cmp(const void *a_, const void *b_)
{
    const cw_cand_t *a = a_, *b = b_;
    if (a->score > b->score)
        return -1;
    if (a->score < b->score)
        return 1;
    int c = strcmp(a->file, b->file);
    if (c)
        return c;
    if (a->start_line != b->start_line)
        return a->start_line < b->start_line ? -1 : 1;
    return strcmp(a->name, b->name);
}

void cw_cands_trim(cw_cands_t *set)
{
    if (set->count > 1)
        qsort(set->items, set->count, sizeof *set->items, s_cand_cmp);
    while (set->count > set->keep)
        cw_cand_free(&set->items[--set->count]);
}

int cw_cands_push(cw_cands_t *set, cw_cand_t *c)
{
    if (!c->file || !c->name) {
        cw_cand_free(c);
        return -1;
    }
    if (set->count == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 64;
        cw_cand_t *items = realloc(set->items, cap * sizeof *items);
        if (!items) {
            cw_cand_free(c);
            return -1;
        }
        set->items = items;
        set->cap = cap;
    }
    set->items[set->count++] = *c;
    set->seen++;
    memset(c, 0, sizeof *c);
    if (set->count >= 2 * set->keep + 64)
        cw_cands_trim(set);
    return 0;
}

void cw_cands_free(cw_cands_t *set)
{
    for (size_t i = 0; i < set->count; i++)
        cw_cand_free(&set->items[i]);
    free(set->items);
    memset(set, 0, sizeof *set);
}

/* ------------------------------------------------------------------ helpers */

/* The file's stem ("pkg/core.py" -> "core"), like Python's Path.stem. */
static char *s_stem(const char *rel)
{
    const char *base = strrchr(rel, '/');
    base = base ? base + 1 : rel;
    size_t len = strlen(base);
    const char *dot = strrchr(base, '.');
    if (dot && dot != base && (size_t)(dot - base) < len - 1)
        len = (size_t)(dot - base);
    return strndup(base, len);
}

static char *s_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *s_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *out = NULL;
    if (vasprintf(&out, fmt, ap) < 0)
        out = NULL;
    va_end(ap);
    return out;
}

static bool s_usable(const cw_index_file_t *f)
{
    return f && f->status == CW_READ_OK && f->lang && strlen(f->rel) <= 4096;
}

/* ------------------------------------------------------------------ functions */

int cw_targets_functions(const cw_target_ctx_t *ctx, cw_cands_t *out)
{
    for (size_t i = 0; i < ctx->view->count; i++) {
        const cw_index_file_t *f = ctx->view->files[i];
        if (!s_usable(f) || f->fn_count == 0)
            continue;
        cw_file_stats_t stats;
        cw_gitstats_file(ctx->history, f->rel, ctx->now, &stats);
        for (size_t k = 0; k < f->fn_count; k++) {
            const cw_index_fn_t *fn = &f->fns[k];
            int lines = fn->end_line - fn->start_line + 1;
            uint32_t slen = fn->end_byte - fn->start_byte;
            if (cw_score_skip_name(fn->name) || !*fn->name || strlen(fn->name) > MAX_NAME ||
                lines < ctx->min_lines || lines > ctx->max_lines || slen == 0 ||
                slen > CW_TARGET_MAX_SOURCE || (int64_t)fn->end_byte > f->size)
                continue;
            double score = cw_index_fn_score(fn, stats.commits_30d, stats.days_since_modified);
            if (!cw_score_worth(score, lines, fn->metrics.ccn, ctx->min_complexity))
                continue;
            cw_cand_t c = {.score = score,
                           .file = strdup(f->rel),
                           .name = strdup(fn->name),
                           .class_name = fn->class_name ? strdup(fn->class_name) : NULL,
                           .lang = f->lang,
                           .start_line = fn->start_line,
                           .end_line = fn->end_line,
                           .complexity = fn->metrics.ccn,
                           .fn = fn,
                           .record = f,
                           .src_start = fn->start_byte,
                           .src_end = fn->end_byte,
                           .src_max = CW_TARGET_MAX_SOURCE};
            if (fn->class_name && !c.class_name) {
                cw_cand_free(&c);
                return -1;
            }
            if (cw_cands_push(out, &c) != 0)
                return -1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ classes */

/* A class_doc target is the class's text followed by its methods written outside it (Go
   receiver methods, C functions taking a pointer to the struct, C++ `Foo::bar`; same file),
   each after a blank line, in file order, at most CW_TARGET_CLASS_SOURCE bytes. Its size
   for the 15-line floor and the score is its own lines plus those methods' lines; its
   complexity the cyclomatic complexity of all its methods summed (WMC); start and end
   lines are the class's own. */
int cw_targets_classes(const cw_target_ctx_t *ctx, cw_cands_t *out)
{
    for (size_t i = 0; i < ctx->view->count; i++) {
        const cw_index_file_t *f = ctx->view->files[i];
        if (!s_usable(f))
            continue;
        for (size_t k = 0; k < f->class_count; k++) {
            const cw_index_class_t *cl = &f->classes[k];
            if (!*cl->name || strlen(cl->name) > MAX_NAME || (int64_t)cl->end_byte > f->size ||
                cl->end_byte <= cl->start_byte)
                continue;
            int own_lines = cl->end_line - cl->start_line + 1;
            int wmc = 0, methods = 0, outside_lines = 0, outside = 0;
            uint64_t bytes = cl->end_byte - cl->start_byte;
            for (size_t m = 0; m < f->fn_count; m++) {
                const cw_index_fn_t *fn = &f->fns[m];
                if (fn->start_byte >= cl->start_byte && fn->end_byte <= cl->end_byte) {
                    wmc += fn->metrics.ccn;
                    methods++;
                }
            }
            char names[512] = "";
            for (size_t o = 0; o < cl->outside_count + cl->foreign_count; o++) {
                /* the same file's, then other files' (Go package, C++ source of a header) */
                const cw_index_file_t *of = f;
                const cw_index_fn_t *fn = cw_index_class_method(f, cl, o, &of);
                if (!fn || (int64_t)fn->end_byte > of->size || fn->end_byte <= fn->start_byte)
                    continue;
                wmc += fn->metrics.ccn;
                outside++;
                outside_lines += fn->end_line - fn->start_line + 1;
                bytes += 2 + (fn->end_byte - fn->start_byte);
                size_t used = strlen(names);
                if (used + strlen(fn->name) + strlen(of->rel) + 16 < sizeof names)
                    snprintf(names + used, sizeof names - used, of == f ? "%s%s" : "%s%s (%s)",
                             used ? ", " : "", fn->name, of->rel);
            }
            int lines = own_lines + outside_lines;
            if (lines < CW_TARGET_CLASS_MIN_LINES)
                continue;
            int method_count = cl->method_count > 0 ? cl->method_count : methods + outside;
            double score = cw_score_class(method_count, lines, cl->docstring != NULL,
                                          (int)cl->decorators.count);
            const char *kind = cl->kind && *cl->kind ? cl->kind : "class";
            char decos[512] = "";
            for (size_t d = 0; d < cl->decorators.count && d < 8; d++) {
                size_t used = strlen(decos);
                snprintf(decos + used, sizeof decos - used, "%s%s", d ? ", " : "",
                         cl->decorators.items[d]);
            }
            char shown[160] = "";
            if (outside > 0)
                snprintf(shown, sizeof shown,
                         "; its methods (defined outside it, %d lines, shown after it): ",
                         outside_lines);
            char cut[96] = "";
            if (bytes > CW_TARGET_CLASS_SOURCE)
                snprintf(cut, sizeof cut, " The source shown is its first %d bytes.",
                         (int)CW_TARGET_CLASS_SOURCE);
            cw_cand_t c = {.score = score,
                           .file = strdup(f->rel),
                           .name = strdup(cl->name),
                           .lang = f->lang,
                           .start_line = cl->start_line,
                           .end_line = cl->end_line,
                           .complexity = wmc,
                           .record = f,
                           .src_start = cl->start_byte,
                           .src_end = cl->end_byte,
                           .src_max = CW_TARGET_CLASS_SOURCE,
                           .cls = outside > 0 ? cl : NULL,
                           /* "A <kind> ..." always: the generator reads the kind from there */
                           .context =
                               s_printf("A %s `%s` of %d lines with %d methods%s%s%s%s%s (file %s, "
                                        "%d lines).%s",
                                        kind, cl->name, lines, method_count,
                                        *decos ? "; decorated with " : "", decos,
                                        cl->docstring ? "; it has a docstring" : "", shown,
                                        outside > 0 ? names : "", f->rel, f->lines, cut)};
            if (!c.context) {
                cw_cand_free(&c);
                return -1;
            }
            if (cw_cands_push(out, &c) != 0)
                return -1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ files */

int cw_targets_files(const cw_target_ctx_t *ctx, cw_cands_t *out)
{
    for (size_t i = 0; i < ctx->view->count; i++) {
        const cw_index_file_t *f = ctx->view->files[i];
        if (!s_usable(f) || f->lines < CW_TARGET_FILE_MIN_LINES)
            continue;
        double score = cw_score_file(f->lines, f->function_count, f->size, f->imports);
        if (score < CW_TARGET_FILE_MIN_SCORE)
            continue;
        cw_cand_t c = {.score = score,
                       .file = strdup(f->rel),
                       .name = s_stem(f->rel),
                       .lang = f->lang,
                       .start_line = 1,
                       .end_line = f->lines,
                       .record = f,
                       .src_start = 0,
                       .src_end = (uint32_t)f->size,
                       .src_max = CW_TARGET_FILE_SOURCE,
                       .context = s_printf("%s: %d lines, %lld bytes, %d functions, %d classes, %d "
                                           "imports.%s",
                                           f->rel, f->lines, (long long)f->size, f->function_count,
                                           (int)f->class_count, f->imports,
                                           f->size > CW_TARGET_FILE_SOURCE
                                               ? " The source shown is the beginning of the file."
                                               : "")};
        if (!c.context) {
            cw_cand_free(&c);
            return -1;
        }
        if (cw_cands_push(out, &c) != 0)
            return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ patterns */

int cw_targets_patterns(const cw_target_ctx_t *ctx, cw_cands_t *out)
{
    for (size_t i = 0; i < ctx->view->count; i++) {
        const cw_index_file_t *f = ctx->view->files[i];
        if (!s_usable(f))
            continue;
        int best = -1, best_matches = 0;
        for (int p = 0; p < CW_PATTERN_COUNT; p++) {
            int m = __builtin_popcount(f->patterns[p]);
            if (m > best_matches) {
                best = p;
                best_matches = m;
            }
        }
        if (best < 0 || best_matches < CW_TARGET_PATTERN_MIN)
            continue;
        /* context: the pattern and its indicators, then the other patterns seen */
        char ctxt[1024];
        size_t used = 0;
        for (int pass = 0; pass < 2; pass++) {
            for (int p = 0; p < CW_PATTERN_COUNT; p++) {
                int m = __builtin_popcount(f->patterns[p]);
                if ((pass == 0) != (p == best) || m < CW_TARGET_PATTERN_MIN)
                    continue;
                used += (size_t)snprintf(ctxt + used, sizeof ctxt - used,
                                         "%s%s pattern: ", pass == 0 ? "Likely " : "\nAlso ",
                                         cw_pattern_name(p));
                const char *const *ind = cw_pattern_indicators(p);
                int shown = 0;
                for (int k = 0; ind[k] && used < sizeof ctxt; k++)
                    if (f->patterns[p] & (1u << k))
                        used += (size_t)snprintf(ctxt + used, sizeof ctxt - used, "%s`%s`",
                                                 shown++ ? ", " : "", ind[k]);
                if (used >= sizeof ctxt)
                    used = sizeof ctxt - 1;
            }
        }
        cw_cand_t c = {.score = cw_score_pattern(best_matches),
                       .file = strdup(f->rel),
                       .name = s_stem(f->rel),
                       .lang = f->lang,
                       .start_line = 1,
                       .end_line = f->lines,
                       .record = f,
                       .src_start = 0,
                       .src_end = (uint32_t)f->size,
                       .src_max = CW_TARGET_FILE_SOURCE,
                       .context = strdup(ctxt)};
        if (!c.context) {
            cw_cand_free(&c);
            return -1;
        }
        if (cw_cands_push(out, &c) != 0)
            return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ target maps */

/* within the bounds of the target declaration: items <= 256 bytes, at most `max` */
static cw_value_t *s_strlist(const cw_strlist_t *list, size_t max)
{
    cw_value_t *arr = cw_value_new_array();
    for (size_t i = 0; arr && i < list->count && cw_value_size(arr) < max; i++)
        if (list->items[i] && strlen(list->items[i]) <= 256)
            cw_array_push_str(arr, list->items[i]);
    return arr;
}

/* A class's text and its methods written outside it (c->cls: same file, then other files),
   each after a blank line, at most c->src_max bytes (cut back to a UTF-8 boundary).
   src/len: the verified file. A method whose file changed since it was indexed is left
   out. */
static char *s_with_methods(const cw_cand_t *c, const char *root, const char *src, size_t len)
{
    const cw_index_file_t *f = c->record;
    size_t cap = c->src_max;
    char *buf = malloc(cap + 1);
    if (!buf)
        return NULL;
    size_t used = 0;
    const char *piece = src + c->src_start;
    size_t n = c->src_end - c->src_start;
    for (size_t o = 0;; o++) {
        size_t take = n < cap - used ? n : cap - used;
        memcpy(buf + used, piece, take);
        used += take;
        /* the next method in range (the index record matches this very text) */
        const cw_index_fn_t *fn = NULL;
        while (o < c->cls->outside_count && !fn) {
            uint32_t at = c->cls->outside[o];
            fn = at < f->fn_count ? &f->fns[at] : NULL;
            if (fn && (fn->end_byte > len || fn->end_byte <= fn->start_byte))
                fn = NULL;
            if (!fn)
                o++;
        }
        if (!fn || used >= cap)
            break;
        take = cap - used < 2 ? cap - used : 2;
        memcpy(buf + used, "\n\n", take);
        used += take;
        piece = src + fn->start_byte;
        n = fn->end_byte - fn->start_byte;
    }
    for (size_t o = 0; o < c->cls->foreign_count && used + 2 < cap; o++) {
        const cw_index_file_t *of = c->cls->foreign[o].file;
        if (!of || c->cls->foreign[o].fn >= of->fn_count)
            continue;
        const cw_index_fn_t *fn = &of->fns[c->cls->foreign[o].fn];
        bool stale = false;
        char *text =
            cw_index_read_span(root, of, fn->start_byte, fn->end_byte, cap - used - 2, &stale);
        if (!text)
            continue;
        memcpy(buf + used, "\n\n", 2);
        used += 2;
        size_t tn = strlen(text);
        memcpy(buf + used, text, tn);
        used += tn;
        free(text);
    }
    char *out = cw_strndup_utf8(buf, used, cap);
    free(buf);
    return out;
}

/* The lazily read part of a candidate's source, or NULL (*stale when the file changed). */
static char *s_read_range(const cw_cand_t *c, const char *root, bool *stale)
{
    const cw_index_file_t *f = c->record;
    size_t len = 0;
    char *src = cw_index_read_verified(root, f, &len, stale);
    if (!src || c->src_end > len || c->src_start > c->src_end) {
        cw_debug("target_source_changed", CW_LS("file", f->rel), CW_LEND);
        *stale = true;
        free(src);
        return NULL;
    }
    char *out = c->cls ? s_with_methods(c, root, src, len)
                       : cw_strndup_utf8(src + c->src_start, c->src_end - c->src_start, c->src_max);
    free(src);
    return out;
}

cw_value_t *cw_cand_target(const cw_cand_t *c, const char *root, const char *doc_type,
                           const char *repo, bool *stale)
{
    bool dummy = false;
    if (!stale)
        stale = &dummy;
    *stale = false;
    char *source = NULL;
    if (c->record) {
        char *part = s_read_range(c, root, stale);
        if (!part)
            return NULL;
        if (c->source) {
            source = s_printf("%s%s", c->source, part);
            free(part);
        } else {
            source = part;
        }
    } else {
        source = strdup(c->source ? c->source : "");
    }
    if (!source)
        return NULL;
    cw_value_t *t = cw_value_new_map();
    if (!t) {
        free(source);
        return NULL;
    }
    char hash[65];
    cw_sha256_hex(source, strlen(source), hash);
    int rc = 0;
    rc |= cw_map_set_str(t, "doc_type", doc_type);
    rc |= cw_map_set_str(t, "repo", repo);
    rc |= cw_map_set_str(t, "file", c->file);
    rc |= cw_map_set_str(t, "language", c->lang ? c->lang->name : "text");
    rc |= cw_map_set_str(t, "name", c->name);
    if (c->class_name)
        rc |= cw_map_set_str(t, "class", c->class_name);
    rc |= cw_map_set_int(t, "start_line", c->start_line < 0 ? 0 : c->start_line);
    rc |= cw_map_set_int(t, "end_line", c->end_line < 0 ? 0 : c->end_line);
    rc |= cw_map_set_float(t, "complexity", c->complexity);
    const cw_index_fn_t *f = c->fn;
    if (f) {
        rc |= cw_map_set_int(t, "nloc", f->metrics.nloc);
        rc |= cw_map_set_int(t, "tokens", f->metrics.tokens);
        rc |= cw_map_set_int(t, "params", f->metrics.params);
        rc |= cw_map_set_int(t, "nesting", f->metrics.nesting);
    }
    rc |= cw_map_set_float(t, "score", c->score);
    rc |= cw_map_set_str(t, "source", source);
    rc |= cw_map_set_str(t, "code_hash", hash);
    if (f) {
        if (f->docstring && strlen(f->docstring) <= 64 * 1024)
            rc |= cw_map_set_str(t, "docstring", f->docstring);
        if (f->signature && strlen(f->signature) <= 4096)
            rc |= cw_map_set_str(t, "signature", f->signature);
        rc |= cw_map_set(t, "parameters", s_strlist(&f->parameters, 256));
        rc |= cw_map_set(t, "calls", s_strlist(&f->calls, 512));
        rc |= cw_map_set(t, "decorators", s_strlist(&f->decorators, 64));
        rc |= cw_map_set_bool(t, "is_async", f->is_async);
    }
    if (c->context)
        rc |= cw_map_set_str(t, "context", c->context);
    free(source);
    if (rc != 0)
        cw_value_destroy(&t);
    return t;
}
