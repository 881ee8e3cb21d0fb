/*  cw_targets_tree — the kinds made from more than one file: module_doc (a directory that
    forms a package or module) and code_evolution (recent commits).

    module_doc, per directory (the first rule that applies):
      python      __init__.py and >= 2 .py files (the package's index: __init__.py)
      typescript  index.ts / index.tsx and >= 2 .ts/.tsx files (index: that file)
      javascript  index.js and >= 2 .js files (index: index.js)
      go          >= 2 non-test .go files (index: doc.go, else <dir>.go, else the largest)
      rust        mod.rs or lib.rs and >= 2 .rs files (index: mod.rs, else lib.rs)
      c / cpp     >= 2 .c/.cc/.cpp/.cxx files; headers count as module files too (index:
                  <dir>.h/.hpp, else the largest header, else the largest source)
    The source is the file listing followed by the first 2000 characters of the index
    file; the score is the reference's min(files/8,1)*40 + min(len(index)/500,1)*30 + 30. */
#include <czmq.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cw_buf.h"
#include "cw_log.h"
#include "cw_score.h"
#include "cw_targets.h"
#include "cw_targets_facts.h"
#include "cw_text.h"

#define MAX_LISTED 200

typedef struct {
    const cw_index_file_t **files;
    size_t count;
    size_t cap;
} s_dir_t;

static void s_dir_destroy(void **item)
{
    s_dir_t *d = *item;
    if (d) {
        free(d->files);
        free(d);
    }
    *item = NULL;
}

static const char *s_base(const char *rel)
{
    const char *b = strrchr(rel, '/');
    return b ? b + 1 : rel;
}

static bool s_ends(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static bool s_present(const cw_index_file_t *f)
{
    return f->status == CW_READ_OK || f->status == CW_READ_EMPTY;
}

typedef enum { K_NONE, K_PY, K_TS, K_JS, K_GO, K_RUST, K_C } s_kind_t;

static const char *const s_kind_names[] = {
    "",           "python package", "typescript module", "javascript module",
    "go package", "rust module",    "c/c++ directory"};
/* what the target's module.kind says */
static const char *const s_kind_tokens[] = {"",        "package", "module",   "module",
                                            "package", "module",  "directory"};

static bool s_member(s_kind_t kind, const cw_index_file_t *f)
{
    const char *b = s_base(f->rel);
    switch (kind) {
    case K_PY:
        return s_ends(b, ".py");
    case K_TS:
        return s_ends(b, ".ts") || s_ends(b, ".tsx");
    case K_JS:
        return s_ends(b, ".js");
    case K_GO:
        return s_ends(b, ".go") && !s_ends(b, "_test.go");
    case K_RUST:
        return s_ends(b, ".rs");
    case K_C:
        return f->lang && (f->lang->id == CW_LANG_C || f->lang->id == CW_LANG_CPP);
    default:
        return false;
    }
}

static bool s_c_source(const cw_index_file_t *f)
{
    const char *b = s_base(f->rel);
    return s_ends(b, ".c") || s_ends(b, ".cc") || s_ends(b, ".cpp") || s_ends(b, ".cxx");
}

static const cw_index_file_t *s_named(const s_dir_t *d, const char *name)
{
    for (size_t i = 0; i < d->count; i++)
        if (strcmp(s_base(d->files[i]->rel), name) == 0)
            return d->files[i];
    return NULL;
}

/* the largest member (ties: the first in name order) matching `pick` */
static const cw_index_file_t *s_largest(const s_dir_t *d, s_kind_t kind,
                                        bool (*pick)(const cw_index_file_t *))
{
    const cw_index_file_t *best = NULL;
    for (size_t i = 0; i < d->count; i++) {
        const cw_index_file_t *f = d->files[i];
        if (s_member(kind, f) && (!pick || pick(f)) && (!best || f->size > best->size))
            best = f;
    }
    return best;
}

static bool s_header(const cw_index_file_t *f)
{
    return !s_c_source(f);
}

/* The module kind of a directory and its index file. */
static s_kind_t s_classify(const s_dir_t *d, const char *dirbase, const cw_index_file_t **index,
                           int *files)
{
    int n[K_C + 1] = {0};
    int c_sources = 0;
    for (size_t i = 0; i < d->count; i++)
        for (s_kind_t k = K_PY; k <= K_C; k++)
            if (s_member(k, d->files[i])) {
                n[k]++;
                if (k == K_C && s_c_source(d->files[i]))
                    c_sources++;
            }
    const cw_index_file_t *idx;
    if ((idx = s_named(d, "__init__.py")) && n[K_PY] >= 2) {
        *index = idx;
        *files = n[K_PY];
        return K_PY;
    }
    if (((idx = s_named(d, "index.ts")) || (idx = s_named(d, "index.tsx"))) && n[K_TS] >= 2) {
        *index = idx;
        *files = n[K_TS];
        return K_TS;
    }
    if ((idx = s_named(d, "index.js")) && n[K_JS] >= 2) {
        *index = idx;
        *files = n[K_JS];
        return K_JS;
    }
    if (n[K_GO] >= 2) {
        char own[300];
        snprintf(own, sizeof own, "%s.go", dirbase);
        idx = s_named(d, "doc.go");
        if (!idx)
            idx = s_named(d, own);
        if (!idx)
            idx = s_largest(d, K_GO, NULL);
        *index = idx;
        *files = n[K_GO];
        return K_GO;
    }
    if (((idx = s_named(d, "mod.rs")) || (idx = s_named(d, "lib.rs"))) && n[K_RUST] >= 2) {
        *index = idx;
        *files = n[K_RUST];
        return K_RUST;
    }
    if (c_sources >= 2) {
        char own[300];
        snprintf(own, sizeof own, "%s.h", dirbase);
        idx = s_named(d, own);
        if (!idx) {
            snprintf(own, sizeof own, "%s.hpp", dirbase);
            idx = s_named(d, own);
        }
        if (!idx)
            idx = s_largest(d, K_C, s_header);
        if (!idx)
            idx = s_largest(d, K_C, s_c_source);
        *index = idx;
        *files = n[K_C];
        return K_C;
    }
    return K_NONE;
}

static int s_module(const cw_target_ctx_t *ctx, const char *dir, const s_dir_t *d, cw_cands_t *out)
{
    const char *dirbase = *dir ? s_base(dir) : s_base(ctx->root);
    const cw_index_file_t *index = NULL;
    int files = 0;
    s_kind_t kind = s_classify(d, dirbase, &index, &files);
    if (kind == K_NONE || !index)
        return 0;
    /* the listing */
    cw_buf_t listing;
    cw_buf_init(&listing, 0);
    cw_buf_printf(&listing, "Module `%s` (%s, %d files):\n", *dir ? dir : ".", s_kind_names[kind],
                  files);
    const cw_lang_t *lang = index->lang;
    int listed = 0;
    /* the facts: module {kind, index_file, file_count, files [{path, lines, functions,
       classes}]} */
    cw_value_t *facts = cw_value_new_map(), *mod = cw_value_new_map(), *list = cw_value_new_array();
    int rc = facts && mod && list ? 0 : -1;
    for (size_t i = 0; i < d->count; i++) {
        const cw_index_file_t *f = d->files[i];
        if (!s_member(kind, f))
            continue;
        if (kind == K_C && f->lang && f->lang->id == CW_LANG_CPP)
            lang = f->lang;
        if (listed++ >= MAX_LISTED)
            continue;
        cw_value_t *entry = cw_value_new_map();
        if (!entry || rc != 0) {
            cw_value_destroy(&entry);
            rc = -1;
        } else {
            rc |= cw_map_set_str(entry, "path", f->rel);
            rc |= cw_map_set_int(entry, "lines", f->lines < 0 ? 0 : f->lines);
            rc |= cw_map_set_int(entry, "functions", f->function_count < 0 ? 0 : f->function_count);
            rc |= cw_map_set_int(entry, "classes", (int64_t)f->class_count);
            rc |= cw_array_push(list, entry);
        }
        cw_buf_printf(&listing, "- %s (%d lines, %d functions, %d classes)\n", s_base(f->rel),
                      f->lines, f->function_count, (int)f->class_count);
    }
    if (listed > MAX_LISTED)
        cw_buf_printf(&listing, "- ... and %d more\n", listed - MAX_LISTED);
    bool has_text = index->status == CW_READ_OK && index->size > 0;
    cw_buf_printf(&listing, "\n`%s`%s\n", s_base(index->rel),
                  has_text
                      ? (index->size > CW_TARGET_MODULE_INDEX ? ", first 2000 characters:" : ":")
                      : " is empty.");
    char *head = cw_buf_take(&listing, NULL);
    if (rc == 0) {
        rc |= cw_map_set_str(mod, "kind", s_kind_tokens[kind]);
        rc |= cw_map_set_str(mod, "index_file", index->rel);
        rc |= cw_map_set_int(mod, "file_count", files);
        rc |= cw_map_set(mod, "files", list);
        list = NULL;
        rc |= cw_map_set(facts, "module", mod);
        mod = NULL;
    }
    cw_value_destroy(&mod);
    cw_value_destroy(&list);
    if (!head || rc != 0) {
        free(head);
        cw_value_destroy(&facts);
        return -1;
    }
    char *context = NULL;
    if (asprintf(&context, "The %s %s, %d files.", s_kind_names[kind], *dir ? dir : ".", files) < 0)
        context = NULL;
    cw_cand_t c = {.what = CW_CAND_MODULE,
                   .score = cw_score_module(files, has_text ? index->size : 0),
                   .file = strdup(*dir ? dir : "."),
                   .name = strdup(dirbase),
                   .lang = lang,
                   .start_line = has_text ? 1 : 0,
                   .end_line = has_text ? index->lines : 0,
                   .record = has_text ? index : NULL,
                   .src_start = 0,
                   .src_end = has_text ? (uint32_t)index->size : 0,
                   .src_max = CW_TARGET_MODULE_INDEX,
                   .index = index,
                   .source = head,
                   .facts = facts,
                   .context = context};
    if (!context) {
        cw_cand_free(&c);
        return -1;
    }
    return cw_cands_push(out, &c);
}

int cw_targets_modules(const cw_target_ctx_t *ctx, cw_cands_t *out)
{
    zhashx_t *dirs = zhashx_new();
    if (!dirs)
        return -1;
    zhashx_set_destructor(dirs, s_dir_destroy);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < ctx->view->count; i++) {
        const cw_index_file_t *f = ctx->view->files[i];
        if (!s_present(f) || !f->lang)
            continue;
        const char *slash = strrchr(f->rel, '/');
        size_t dl = slash ? (size_t)(slash - f->rel) : 0;
        char dir[PATH_MAX];
        if (dl >= sizeof dir)
            continue;
        memcpy(dir, f->rel, dl);
        dir[dl] = '\0';
        s_dir_t *d = zhashx_lookup(dirs, dir);
        if (!d) {
            d = calloc(1, sizeof *d);
            if (!d || zhashx_insert(dirs, dir, d) != 0) {
                free(d);
                rc = -1;
                break;
            }
        }
        if (d->count == d->cap) {
            size_t cap = d->cap ? d->cap * 2 : 8;
            const cw_index_file_t **files = realloc(d->files, cap * sizeof *files);
            if (!files) {
                rc = -1;
                break;
            }
            d->files = files;
            d->cap = cap;
        }
        d->files[d->count++] = f;
    }
    for (s_dir_t *d = zhashx_first(dirs); rc == 0 && d; d = zhashx_next(dirs))
        rc = s_module(ctx, (const char *)zhashx_cursor(dirs), d, out);
    zhashx_destroy(&dirs);
    return rc;
}

/* ------------------------------------------------------------------ code_evolution */

static const char *s_status(char st)
{
    return st == 'A' ? "added" : st == 'D' ? "deleted" : st == 'R' ? "renamed" : "modified";
}

/* The hunks of a diff: "@@ -a,b +c,d @@ section" lines. */
static int s_hunks(const char *diff, cw_value_t *arr)
{
    int rc = 0;
    for (const char *l = diff; l && *l && cw_value_size(arr) < 256;) {
        const char *nl = strchr(l, '\n');
        long a = 0, b = 1, c = 0, d = 1;
        int used = 0;
        if (strncmp(l, "@@ -", 4) == 0 &&
            (sscanf(l, "@@ -%ld,%ld +%ld,%ld @@%n", &a, &b, &c, &d, &used) == 4 ||
             (b = 1, d = 1, sscanf(l, "@@ -%ld +%ld,%ld @@%n", &a, &c, &d, &used) == 3) ||
             (b = 1, d = 1, sscanf(l, "@@ -%ld,%ld +%ld @@%n", &a, &b, &c, &used) == 3) ||
             (b = 1, d = 1, sscanf(l, "@@ -%ld +%ld @@%n", &a, &c, &used) == 2)) &&
            used > 0 && a >= 0 && b >= 0 && c >= 0 && d >= 0) {
            cw_value_t *h = cw_value_new_map();
            if (!h)
                return -1;
            rc |= cw_map_set_int(h, "old_start", a);
            rc |= cw_map_set_int(h, "old_lines", b);
            rc |= cw_map_set_int(h, "new_start", c);
            rc |= cw_map_set_int(h, "new_lines", d);
            size_t end = nl ? (size_t)(nl - l) : strlen(l);
            char *section =
                (size_t)used < end ? cw_facts_clean(l + used, end - (size_t)used, 200) : NULL;
            if (section)
                rc |= cw_map_set_str(h, "section", section);
            free(section);
            rc |= cw_array_push(arr, h);
        }
        l = nl ? nl + 1 : NULL;
    }
    return rc;
}

/* The facts of a change (cw_targets.h): made for the targets chosen, not for every
   candidate. */
cw_value_t *cw_targets_change_facts(const cw_change_t *ch, const char *diff)
{
    cw_value_t *facts = cw_value_new_map(), *commit = cw_value_new_map(),
               *change = cw_value_new_map(), *files = cw_value_new_array(),
               *hunks = cw_value_new_array();
    int rc = facts && commit && change && files && hunks ? 0 : -1;
    if (rc == 0) {
        char date[32] = "";
        time_t when = (time_t)ch->when;
        struct tm tm;
        if (gmtime_r(&when, &tm))
            strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
        rc |= cw_map_set_str(commit, "hash", ch->hash);
        rc |= cw_map_set_str(commit, "author", ch->author);
        rc |= cw_map_set_str(commit, "date", date);
        rc |= cw_map_set_str(commit, "subject", ch->message);
        rc |= cw_map_set_int(commit, "file_count", ch->file_total > 0 ? ch->file_total : 1);
        for (size_t i = 0; i < ch->file_count && rc == 0; i++) {
            const cw_change_file_t *f = &ch->files[i];
            cw_value_t *e = cw_value_new_map();
            if (!e) {
                rc = -1;
                break;
            }
            rc |= cw_map_set_str(e, "path", f->path);
            rc |= cw_map_set_str(e, "status", s_status(f->status));
            rc |= cw_map_set_int(e, "added", f->added);
            rc |= cw_map_set_int(e, "deleted", f->deleted);
            rc |= cw_array_push(files, e);
        }
        rc |= cw_map_set(commit, "files", files);
        files = NULL;
        rc |= cw_map_set_str(change, "status", ch->is_new ? "added" : "modified");
        rc |= cw_map_set_int(change, "added", ch->added);
        rc |= cw_map_set_int(change, "deleted", ch->deleted);
        rc |= s_hunks(diff, hunks);
        rc |= cw_map_set(change, "hunks", hunks);
        hunks = NULL;
        rc |= cw_map_set(facts, "commit", commit);
        commit = NULL;
        rc |= cw_map_set(facts, "change", change);
        change = NULL;
    }
    cw_value_destroy(&commit);
    cw_value_destroy(&change);
    cw_value_destroy(&files);
    cw_value_destroy(&hunks);
    if (rc != 0)
        cw_value_destroy(&facts);
    return facts;
}

int cw_targets_evolution(const cw_target_ctx_t *ctx, cw_cands_t *out)
{
    size_t count = 0;
    const cw_change_t *changes = cw_gitstats_changes(ctx->git, ctx->root, &count);
    for (size_t i = 0; i < count; i++) {
        const cw_change_t *ch = &changes[i];
        if (ch->diff_len < CW_TARGET_DIFF_MIN)
            continue;
        if (ctx->exclude && cw_patterns_match(ctx->exclude, ch->file, false) > 0)
            continue;
        if (ctx->include && cw_patterns_count(ctx->include) > 0 &&
            cw_patterns_match(ctx->include, ch->file, false) <= 0)
            continue;
        const char *base;
        int stem = (int)cw_path_stem(ch->file, &base);
        /* the diff as kept, cut back to a line boundary when it was cut */
        size_t kept = strlen(ch->diff);
        bool cut = kept < ch->diff_len;
        if (cut) {
            while (kept > 0 && ch->diff[kept - 1] != '\n')
                kept--;
            if (kept == 0)
                kept = strlen(ch->diff);
        }
        cw_cand_t c = {.what = CW_CAND_CHANGE,
                       .score = cw_score_evolution((long long)ch->diff_len, ch->is_new, ch->added),
                       .file = strdup(ch->file),
                       .lang = cw_lang_for_path(ch->file),
                       .start_line = ch->start_line,
                       .end_line = ch->end_line,
                       .source = strndup(ch->diff, kept),
                       .source_cut = cut,
                       .change = ch};
        if (asprintf(&c.name, "%.*s@%s", stem, base, ch->short_hash) < 0)
            c.name = NULL;
        if (asprintf(&c.context, "Commit %s changed %s.", ch->short_hash, ch->file) < 0)
            c.context = NULL;
        if (!c.source || !c.context) {
            cw_cand_free(&c);
            return -1;
        }
        if (cw_cands_push(out, &c) != 0)
            return -1;
    }
    return 0;
}
