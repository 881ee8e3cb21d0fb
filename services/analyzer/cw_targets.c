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
#include "cw_text.h"
#include "cw_targets_facts.h"

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
    cw_value_destroy(&c->facts);
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
    const char *stem;
    size_t len = cw_path_stem(rel, &stem);
    return strndup(stem, len);
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
            cw_cand_t c = {.what = CW_CAND_FUNCTION,
                           .score = score,
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
            for (size_t m = 0; m < f->fn_count; m++) {
                const cw_index_fn_t *fn = &f->fns[m];
                if (fn->start_byte >= cl->start_byte && fn->end_byte <= cl->end_byte) {
                    wmc += fn->metrics.ccn;
                    methods++;
                }
            }
            for (size_t o = 0; o < cl->outside_count + cl->foreign_count; o++) {
                /* the same file's, then other files' (Go package, C++ source of a header) */
                const cw_index_file_t *of = f;
                const cw_index_fn_t *fn = cw_index_class_method(f, cl, o, &of);
                if (!fn || (int64_t)fn->end_byte > of->size || fn->end_byte <= fn->start_byte)
                    continue;
                wmc += fn->metrics.ccn;
                outside++;
                outside_lines += fn->end_line - fn->start_line + 1;
            }
            int lines = own_lines + outside_lines;
            if (lines < CW_TARGET_CLASS_MIN_LINES)
                continue;
            int method_count = cl->method_count > 0 ? cl->method_count : methods + outside;
            double score = cw_score_class(method_count, lines, cl->docstring != NULL,
                                          (int)cl->decorators.count);
            const char *kind = cl->kind && *cl->kind ? cl->kind : "class";
            cw_cand_t c = {.what = CW_CAND_CLASS,
                           .score = score,
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
                           .klass = cl,
                           .context = s_printf("The %s %s of %s, %d lines with its methods.", kind,
                                               cl->name, f->rel, lines)};
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
        cw_cand_t c = {.what = CW_CAND_FILE,
                       .score = score,
                       .file = strdup(f->rel),
                       .name = s_stem(f->rel),
                       .lang = f->lang,
                       .start_line = 1,
                       .end_line = f->lines,
                       .record = f,
                       .src_start = 0,
                       .src_end = (uint32_t)f->size,
                       .src_max = CW_TARGET_FILE_SOURCE,
                       .context = s_printf("The file %s, %d lines.", f->rel, f->lines)};
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
        /* the pattern and the indicators of it found in code, then the other patterns
           seen (at least CW_TARGET_PATTERN_MIN indicators each), in table order */
        cw_value_t *facts = cw_value_new_map(), *list = cw_value_new_array();
        int rc = facts && list ? 0 : -1;
        for (int pass = 0; rc == 0 && pass < 2; pass++) {
            for (int p = 0; rc == 0 && p < CW_PATTERN_COUNT; p++) {
                int m = __builtin_popcount(f->patterns[p]);
                if ((pass == 0) != (p == best) || m < CW_TARGET_PATTERN_MIN)
                    continue;
                cw_value_t *pat = cw_value_new_map(), *ind = cw_value_new_array();
                const char *const *names = cw_pattern_indicators(p);
                for (int k = 0; ind && names[k] && k < 16; k++)
                    if (f->patterns[p] & (1u << k))
                        rc |= cw_array_push_str(ind, names[k]);
                if (!pat || !ind || cw_map_set_str(pat, "name", cw_pattern_name(p)) != 0) {
                    cw_value_destroy(&pat);
                    cw_value_destroy(&ind);
                    rc = -1;
                    break;
                }
                rc |= cw_map_set(pat, "indicators", ind);
                rc |= cw_array_push(list, pat);
            }
        }
        if (rc == 0 && facts && list) {
            rc = cw_map_set(facts, "patterns", list);
            list = NULL;
        }
        cw_value_destroy(&list);
        cw_cand_t c = {.what = CW_CAND_PATTERN,
                       .score = cw_score_pattern(best_matches),
                       .file = strdup(f->rel),
                       .name = s_stem(f->rel),
                       .lang = f->lang,
                       .start_line = 1,
                       .end_line = f->lines,
                       .record = f,
                       .src_start = 0,
                       .src_end = (uint32_t)f->size,
                       .src_max = CW_TARGET_FILE_SOURCE,
                       .facts = facts,
                       .context = s_printf("Indicators of the %s pattern in %s.",
                                           cw_pattern_name(best), f->rel)};
        if (rc != 0 || !c.context) {
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
   each after a blank line, at most c->src_max bytes (cut back to a UTF-8 boundary; *cut
   then). src/len: the verified file. A method whose file changed since it was indexed is
   left out. */
static char *s_with_methods(const cw_cand_t *c, const char *root, const char *src, size_t len,
                            bool *cut)
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
        if (take < n)
            *cut = true;
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
        if (!fn)
            break;
        if (used >= cap) {
            *cut = true;
            break;
        }
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

/* The lazily read part of a candidate's source, or NULL (*stale when the file changed);
 *cut when it is not all of the range asked for. */
static char *s_read_range(const cw_cand_t *c, const char *root, bool *stale, bool *cut)
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
    char *out = NULL;
    if (c->cls) {
        out = s_with_methods(c, root, src, len, cut);
    } else {
        out = cw_strndup_utf8(src + c->src_start, c->src_end - c->src_start, c->src_max);
        if (out && strlen(out) < c->src_end - c->src_start)
            *cut = true;
    }
    free(src);
    return out;
}

/* ------------------------------------------------------------------ facts */

/* a copy of facts[key] (NULL when none) */
static cw_value_t *s_copy(const cw_value_t *facts, const char *key)
{
    const cw_value_t *v = cw_map_get(facts, key);
    return v ? cw_value_clone(v) : NULL;
}

static int s_set(cw_value_t *t, const char *key, cw_value_t *v)
{
    return v ? cw_map_set(t, key, v) : 0;
}

/* a member {name, kind, line, signature?} */
static cw_value_t *s_member(const char *name, const char *kind, int line, const char *signature)
{
    cw_value_t *m = cw_value_new_map();
    if (!m)
        return NULL;
    int rc = cw_map_set_str(m, "name", name);
    rc |= cw_map_set_str(m, "kind", kind);
    rc |= cw_map_set_int(m, "line", line < 0 ? 0 : line);
    char *sig = signature ? cw_facts_clean(signature, strlen(signature), CW_FACTS_TEXT) : NULL;
    if (sig)
        rc |= cw_map_set_str(m, "signature", sig);
    free(sig);
    if (rc != 0)
        cw_value_destroy(&m);
    return m;
}

#define MAX_MEMBERS 400 /* members in a class_doc target (its own and those outside) */

/* Whether `own` (members from the class's text) declares a method `name`. */
static bool s_member_declared(const cw_value_t *own, const char *name)
{
    for (size_t i = 0; own && i < cw_value_size(own); i++) {
        const cw_value_t *m = cw_array_at(own, i);
        if (strcmp(cw_map_str(m, "kind", ""), "method") == 0 &&
            strcmp(cw_map_str(m, "name", ""), name) == 0)
            return true;
    }
    return false;
}

/* class_doc: the members written in the class's text (from the facts), then its methods
   written outside it (from the index) that its text does not declare already: those of the
   same file, then those of other files (Go package, C++ source), which carry "file". */
static cw_value_t *s_class_members(const cw_cand_t *c)
{
    const cw_index_class_t *cl = c->klass;
    const cw_index_file_t *f = c->record;
    cw_value_t *entry = cw_facts_class(f->facts, f->facts_len, cl->start_byte);
    const cw_value_t *own = cw_map_get(entry, "members");
    cw_value_t *arr = own ? cw_value_clone(own) : cw_value_new_array();
    for (size_t o = 0; arr && o < cl->outside_count; o++) {
        if (cl->outside[o] >= f->fn_count || cw_value_size(arr) >= MAX_MEMBERS)
            break;
        const cw_index_fn_t *fn = &f->fns[cl->outside[o]];
        if (s_member_declared(own, fn->name) || strlen(fn->name) > 256)
            continue;
        if (cw_array_push(arr, s_member(fn->name, "method", fn->start_line, fn->signature)) != 0)
            cw_value_destroy(&arr);
    }
    for (size_t o = 0; arr && o < cl->foreign_count; o++) {
        const cw_index_file_t *of = cl->foreign[o].file;
        if (!of || cl->foreign[o].fn >= of->fn_count || cw_value_size(arr) >= MAX_MEMBERS)
            continue;
        const cw_index_fn_t *fn = &of->fns[cl->foreign[o].fn];
        if (s_member_declared(own, fn->name) || strlen(fn->name) > 256 || strlen(of->rel) > 4096)
            continue;
        cw_value_t *m = s_member(fn->name, "method", fn->start_line, fn->signature);
        if (!m || cw_map_set_str(m, "file", of->rel) != 0 || cw_array_push(arr, m) != 0) {
            cw_value_destroy(&m);
            cw_value_destroy(&arr);
        }
    }
    cw_value_destroy(&entry);
    return arr;
}

/* function kinds: parameters (with type and default from the facts, else the names the
   index keeps), return type and body counts */
static int s_function_facts(cw_value_t *t, const cw_cand_t *c)
{
    const cw_index_fn_t *f = c->fn;
    cw_value_t *entry = cw_facts_function(c->record->facts, c->record->facts_len, f->start_byte);
    int rc = 0;
    cw_value_t *params = s_copy(entry, "params");
    if (!params) {
        params = cw_value_new_array();
        for (size_t i = 0; params && i < f->parameters.count && i < 256; i++) {
            const char *p = f->parameters.items[i];
            cw_value_t *m = p && strlen(p) <= 256 ? cw_value_new_map() : NULL;
            if (m && cw_map_set_str(m, "name", p) == 0)
                rc |= cw_array_push(params, m);
            else
                cw_value_destroy(&m);
        }
    }
    rc |= s_set(t, "parameters", params);
    rc |= s_set(t, "return_type", s_copy(entry, "returns"));
    rc |= s_set(t, "body", s_copy(entry, "body"));
    cw_value_destroy(&entry);
    if (f->docstring && strlen(f->docstring) <= 64 * 1024)
        rc |= cw_map_set_str(t, "docstring", f->docstring);
    if (f->signature && strlen(f->signature) <= 4096)
        rc |= cw_map_set_str(t, "signature", f->signature);
    rc |= cw_map_set(t, "calls", s_strlist(&f->calls, 512));
    rc |= cw_map_set(t, "decorators", s_strlist(&f->decorators, 64));
    rc |= cw_map_set_bool(t, "is_async", f->is_async);
    return rc;
}

/* file kinds: the file's doc comment, imports and top-level definitions (of `f`) */
static int s_file_facts(cw_value_t *t, const cw_index_file_t *f, bool with_size)
{
    if (!f)
        return 0;
    cw_value_t *facts = cw_facts_file(f->facts, f->facts_len);
    int rc = 0;
    const char *doc = cw_map_str(facts, "doc", NULL);
    if (doc && *doc)
        rc |= cw_map_set_str(t, "docstring", doc);
    rc |= s_set(t, "imports", s_copy(facts, "imports"));
    rc |= s_set(t, "definitions", s_copy(facts, "defs"));
    if (with_size)
        rc |= cw_map_set_int(t, "bytes", f->size < 0 ? 0 : f->size);
    cw_value_destroy(&facts);
    return rc;
}

static int s_facts(cw_value_t *t, const cw_cand_t *c, const char *source)
{
    int rc = 0;
    /* made with the candidate: copied as they are */
    for (size_t i = 0; c->facts && i < cw_value_size(c->facts); i++)
        rc |=
            cw_map_set(t, cw_map_key_at(c->facts, i), cw_value_clone(cw_map_value_at(c->facts, i)));
    switch (c->what) {
    case CW_CAND_FUNCTION:
        rc |= cw_map_set_str(t, "kind", c->class_name ? "method" : "function");
        if (c->fn && c->record)
            rc |= s_function_facts(t, c);
        break;
    case CW_CAND_CLASS: {
        const cw_index_class_t *cl = c->klass;
        rc |= cw_map_set_str(t, "kind", cl && cl->kind && *cl->kind ? cl->kind : "class");
        if (!cl || !c->record)
            break;
        rc |= s_set(t, "members", s_class_members(c));
        if (cl->docstring && strlen(cl->docstring) <= 64 * 1024)
            rc |= cw_map_set_str(t, "docstring", cl->docstring);
        rc |= cw_map_set(t, "decorators", s_strlist(&cl->decorators, 64));
        break;
    }
    case CW_CAND_FILE:
    case CW_CAND_PATTERN:
        rc |= cw_map_set_str(t, "kind", "file");
        rc |= s_file_facts(t, c->record, true);
        break;
    case CW_CAND_MODULE:
        rc |= cw_map_set_str(t, "kind", "module");
        rc |= s_file_facts(t, c->index, false);
        break;
    case CW_CAND_CHANGE: {
        rc |= cw_map_set_str(t, "kind", "change");
        /* made now, for the chosen ones only: the commit and this file's change */
        cw_value_t *facts = c->change ? cw_targets_change_facts(c->change, source) : NULL;
        for (size_t i = 0; facts && i < cw_value_size(facts); i++)
            rc |= cw_map_set(t, cw_map_key_at(facts, i), cw_value_clone(cw_map_value_at(facts, i)));
        if (c->change && !facts)
            rc = -1;
        cw_value_destroy(&facts);
        break;
    }
    }
    return rc;
}

/* ------------------------------------------------------------------ target maps */

cw_value_t *cw_cand_target(const cw_cand_t *c, const char *root, const char *doc_type,
                           const char *repo, bool *stale)
{
    bool dummy = false;
    if (!stale)
        stale = &dummy;
    *stale = false;
    char *source = NULL;
    bool cut = c->source_cut;
    if (c->record) {
        char *part = s_read_range(c, root, stale, &cut);
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
    rc |= cw_map_set_bool(t, "source_cut", cut);
    rc |= s_facts(t, c, source);
    if (c->context)
        rc |= cw_map_set_str(t, "context", c->context);
    free(source);
    if (rc != 0)
        cw_value_destroy(&t);
    return t;
}
