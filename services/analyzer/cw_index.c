/*  cw_index — incremental per-file extraction results, in memory and in SQLite. */
#include "cw_index.h"
#include "cw_buf.h"

#include <czmq.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cw_log.h"
#include "cw_score.h"
#include "cw_sha256.h"
#include "cw_targets_facts.h"

#define MAX_ROOTS 64
#define MAX_BLOB (64 * 1024 * 1024)
#define MAX_STR (1024 * 1024)
#define MAX_LIST 100000
#define INLINE_JOBS 4 /* fewer changed files than this are parsed on the calling thread */
#define NONE_STR 0xFFFFFFFFu

#define S_STR(x) #x
#define S_XSTR(x) S_STR(x)
#ifndef CW_VERSION
#define CW_VERSION "0"
#endif
static const char s_format[] =
    "cw-index-" S_XSTR(CW_INDEX_FORMAT) "-x" S_XSTR(CW_EXTRACT_VERSION) "-" CW_VERSION;

/* ------------------------------------------------------------------ patterns */

static const char *const s_singleton[] = {"_instance", "__new__", "getInstance", NULL};
static const char *const s_factory[] = {"create_", "make_", "build_", "factory", NULL};
static const char *const s_observer[] = {"subscribe", "notify",           "on_event", "emit",
                                         "listener",  "addEventListener", NULL};
static const char *const s_decorator[] = {"wrapper", "wraps", "functools.wraps", "@wraps", NULL};
static const char *const s_strategy[] = {"Strategy", "execute", "set_strategy", "algorithm", NULL};
static const char *const s_middleware[] = {"middleware", "next()", "dispatch", "use(", NULL};
static const char *const s_repository[] = {"Repository", "get_by_id", "find_all",
                                           "save(",      "delete(",   NULL};

static const struct {
    const char *name;
    const char *const *indicators;
} s_patterns[CW_PATTERN_COUNT] = {
    {"singleton", s_singleton},   {"factory", s_factory},   {"observer", s_observer},
    {"decorator", s_decorator},   {"strategy", s_strategy}, {"middleware", s_middleware},
    {"repository", s_repository},
};

const char *cw_pattern_name(int pattern)
{
    return pattern >= 0 && pattern < CW_PATTERN_COUNT ? s_patterns[pattern].name : NULL;
}

const char *const *cw_pattern_indicators(int pattern)
{
    return pattern >= 0 && pattern < CW_PATTERN_COUNT ? s_patterns[pattern].indicators : NULL;
}

void cw_pattern_scan(const char *src, size_t len, uint16_t masks[CW_PATTERN_COUNT])
{
    for (int p = 0; p < CW_PATTERN_COUNT; p++) {
        masks[p] = 0;
        for (int i = 0; src && s_patterns[p].indicators[i]; i++) {
            const char *ind = s_patterns[p].indicators[i];
            if (memmem(src, len, ind, strlen(ind)))
                masks[p] |= (uint16_t)(1u << i);
        }
    }
}

/* Answers "is src[a, b) code?" for positions in non-decreasing order with one forward
   walk of a tree cursor: the cursor moves over siblings that end before `a` and descends
   only into the nodes that contain the occurrence, stopping at a comment or string. Its
   ancestors are always code (nothing below a comment or string is entered), so a position
   in no child of a code node, or across several children, is code. */
typedef struct {
    TSTreeCursor cur;
    const uint16_t *flags;
    uint32_t nflags;
    TSSymbol jsx_text; /* 0 = the grammar has none */
} s_code_walk_t;

static bool s_code_at(s_code_walk_t *w, uint32_t a, uint32_t b)
{
    bool up = false;
    for (;;) {
        TSNode n = ts_tree_cursor_current_node(&w->cur);
        if (ts_node_end_byte(n) <= a) {
            if (ts_tree_cursor_goto_next_sibling(&w->cur)) {
                up = false;
                continue;
            }
            if (ts_tree_cursor_goto_parent(&w->cur)) {
                up = true;
                continue;
            }
            return true; /* after the tree */
        }
        if (up || ts_node_start_byte(n) > a || ts_node_end_byte(n) < b)
            return true; /* the node's own text, a gap between children, or across them */
        uint16_t fl = cw_lang_node_flags(w->flags, w->nflags, n);
        if ((fl & (CW_SYM_COMMENT | CW_SYM_ATOMIC)) ||
            (w->jsx_text && ts_node_symbol(n) == w->jsx_text))
            return false;
        if (!ts_tree_cursor_goto_first_child(&w->cur))
            return true; /* a code token */
    }
}

/* A second opinion for files with syntax errors (macros tree-sitter cannot parse leave
   their text in ERROR nodes, strings unrecognised): whether src[a] is in a string or a
   comment opened earlier on its own line. */
static bool s_line_says_text(const cw_lang_t *lang, const char *src, uint32_t a)
{
    uint32_t i = a;
    while (i > 0 && src[i - 1] != '\n')
        i--;
    bool py = lang->id == CW_LANG_PYTHON;
    bool js =
        lang->id == CW_LANG_JAVASCRIPT || lang->id == CW_LANG_TYPESCRIPT || lang->id == CW_LANG_TSX;
    bool squote = lang->id != CW_LANG_RUST; /* Rust: 'a is a lifetime */
    char quote = 0;
    bool block = false;
    for (; i < a; i++) {
        char ch = src[i];
        if (block) {
            if (ch == '*' && src[i + 1] == '/') {
                block = false;
                i++;
            }
        } else if (quote) {
            if (ch == '\\')
                i++;
            else if (ch == quote)
                quote = 0;
        } else if (ch == '"' || (ch == '\'' && squote) || (ch == '`' && js)) {
            quote = ch;
        } else if (py ? ch == '#' : (ch == '/' && src[i + 1] == '/')) {
            return true;
        } else if (!py && ch == '/' && src[i + 1] == '*') {
            block = true;
            i++;
        }
    }
    return quote || block;
}

void cw_pattern_scan_code(const cw_lang_t *lang, TSTree *tree, const char *src, size_t len,
                          uint16_t masks[CW_PATTERN_COUNT])
{
    uint32_t nflags = 0;
    const uint16_t *flags = lang && tree ? cw_lang_symbol_flags(lang, &nflags) : NULL;
    if (!flags || !src || len > UINT32_MAX) {
        cw_pattern_scan(src, len, masks);
        return;
    }
    TSNode root = ts_tree_root_node(tree);
    bool broken = ts_node_has_error(root);
    s_code_walk_t w = {.cur = ts_tree_cursor_new(root), .flags = flags, .nflags = nflags};
    w.jsx_text = ts_language_symbol_for_name(ts_tree_language(tree), "jsx_text", 8, true);
    for (int p = 0; p < CW_PATTERN_COUNT; p++) {
        masks[p] = 0;
        for (int i = 0; s_patterns[p].indicators[i]; i++) {
            const char *ind = s_patterns[p].indicators[i];
            size_t n = strlen(ind);
            ts_tree_cursor_reset(&w.cur, root);
            for (const char *at = src, *hit;
                 (hit = memmem(at, len - (size_t)(at - src), ind, n)) != NULL; at = hit + 1) {
                uint32_t a = (uint32_t)(hit - src);
                if (s_code_at(&w, a, a + (uint32_t)n) &&
                    !(broken && s_line_says_text(lang, src, a))) {
                    masks[p] |= (uint16_t)(1u << i);
                    break;
                }
            }
        }
    }
    ts_tree_cursor_delete(&w.cur);
}

/* ------------------------------------------------------------------ records */

typedef struct {
    cw_index_file_t file; /* first: the view hands out &entry->file */
    uint64_t gen;         /* refresh generation that last saw it */
    bool dirty;           /* to be written */
} s_entry_t;

typedef struct {
    char *root;
    zhashx_t *entries; /* rel -> s_entry_t */
    uint64_t gen;
    bool write_all; /* the database lost its rows: write every entry again */
} s_root_t;

struct _cw_index_t {
    char *db_path;
    sqlite3 *db;
    s_root_t roots[MAX_ROOTS];
    size_t root_count;
    int threads;
    TSParser *parsers[CW_INDEX_MAX_THREADS];
    size_t parsed;
    size_t read;
};

static void s_strlist_free(cw_strlist_t *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->count = 0;
}

static void s_file_clear(cw_index_file_t *f)
{
    free(f->rel);
    for (size_t i = 0; i < f->fn_count; i++) {
        cw_index_fn_t *fn = &f->fns[i];
        free(fn->name);
        free(fn->class_name);
        free(fn->docstring);
        free(fn->signature);
        s_strlist_free(&fn->parameters);
        s_strlist_free(&fn->decorators);
        s_strlist_free(&fn->calls);
    }
    free(f->fns);
    for (size_t i = 0; i < f->class_count; i++) {
        cw_index_class_t *c = &f->classes[i];
        free(c->name);
        free(c->kind);
        free(c->docstring);
        s_strlist_free(&c->decorators);
        free(c->outside);
        free(c->foreign);
    }
    free(f->classes);
    free(f->package);
    s_strlist_free(&f->includes);
    free(f->facts);
    memset(f, 0, sizeof *f);
}

static void s_entry_destroy(void **item)
{
    s_entry_t *e = *item;
    if (e) {
        s_file_clear(&e->file);
        free(e);
    }
    *item = NULL;
}

/* ------------------------------------------------------------------ serialization */

static void s_put_u32(cw_buf_t *b, uint32_t v)
{
    cw_buf_append(b, &v, sizeof v);
}

static void s_put_i32(cw_buf_t *b, int v)
{
    int32_t x = (int32_t)v;
    cw_buf_append(b, &x, sizeof x);
}

static void s_put_str(cw_buf_t *b, const char *s)
{
    if (!s) {
        s_put_u32(b, NONE_STR);
        return;
    }
    size_t n = strlen(s);
    s_put_u32(b, (uint32_t)n);
    cw_buf_append(b, s, n);
}

static void s_put_list(cw_buf_t *b, const cw_strlist_t *l)
{
    s_put_u32(b, (uint32_t)l->count);
    for (size_t i = 0; i < l->count; i++)
        s_put_str(b, l->items[i]);
}

static void s_encode(cw_buf_t *b, const cw_index_file_t *f)
{
    s_put_i32(b, f->lang ? (int)f->lang->id : -1);
    s_put_i32(b, f->status);
    s_put_i32(b, f->lines);
    s_put_i32(b, f->imports);
    s_put_i32(b, f->function_count);
    cw_buf_append(b, f->patterns, sizeof f->patterns);
    s_put_u32(b, (uint32_t)f->fn_count);
    for (size_t i = 0; i < f->fn_count; i++) {
        const cw_index_fn_t *fn = &f->fns[i];
        s_put_str(b, fn->name);
        s_put_str(b, fn->class_name);
        s_put_str(b, fn->docstring);
        s_put_str(b, fn->signature);
        s_put_list(b, &fn->parameters);
        s_put_list(b, &fn->decorators);
        s_put_list(b, &fn->calls);
        s_put_i32(b, fn->start_line);
        s_put_i32(b, fn->end_line);
        s_put_u32(b, fn->start_byte);
        s_put_u32(b, fn->end_byte);
        s_put_u32(b, fn->is_async ? 1 : 0);
        s_put_u32(b, fn->source_flags);
        s_put_i32(b, fn->metrics.ccn);
        s_put_i32(b, fn->metrics.nloc);
        s_put_i32(b, fn->metrics.tokens);
        s_put_i32(b, fn->metrics.params);
        s_put_i32(b, fn->metrics.nesting);
    }
    s_put_u32(b, (uint32_t)f->class_count);
    for (size_t i = 0; i < f->class_count; i++) {
        const cw_index_class_t *c = &f->classes[i];
        s_put_str(b, c->name);
        s_put_str(b, c->kind);
        s_put_str(b, c->docstring);
        s_put_list(b, &c->decorators);
        s_put_i32(b, c->start_line);
        s_put_i32(b, c->end_line);
        s_put_u32(b, c->start_byte);
        s_put_u32(b, c->end_byte);
        s_put_i32(b, c->method_count);
        s_put_u32(b, (uint32_t)c->outside_count);
        for (size_t k = 0; k < c->outside_count; k++)
            s_put_u32(b, c->outside[k]);
    }
    s_put_str(b, f->package);
    s_put_list(b, &f->includes);
    s_put_u32(b, f->facts_len); /* the facts (cw_targets_facts.h) */
    cw_buf_append(b, f->facts, f->facts_len);
}

typedef struct {
    const unsigned char *p;
    size_t left;
    bool bad;
} s_rbuf_t;

static void s_get(s_rbuf_t *r, void *out, size_t n)
{
    if (r->bad || r->left < n) {
        r->bad = true;
        memset(out, 0, n);
        return;
    }
    memcpy(out, r->p, n);
    r->p += n;
    r->left -= n;
}

static uint32_t s_get_u32(s_rbuf_t *r)
{
    uint32_t v;
    s_get(r, &v, sizeof v);
    return v;
}

static int s_get_i32(s_rbuf_t *r)
{
    int32_t v;
    s_get(r, &v, sizeof v);
    return (int)v;
}

/* NULL for a missing string (and for errors: r->bad tells) */
static char *s_get_str(s_rbuf_t *r)
{
    uint32_t n = s_get_u32(r);
    if (r->bad || n == NONE_STR)
        return NULL;
    if (n > MAX_STR || n > r->left || memchr(r->p, 0, n)) {
        r->bad = true;
        return NULL;
    }
    char *s = malloc((size_t)n + 1);
    if (!s) {
        r->bad = true;
        return NULL;
    }
    memcpy(s, r->p, n);
    s[n] = '\0';
    r->p += n;
    r->left -= n;
    return s;
}

static void s_get_list(s_rbuf_t *r, cw_strlist_t *l)
{
    uint32_t n = s_get_u32(r);
    if (r->bad || n == 0)
        return;
    if (n > MAX_LIST || n > r->left / 4) {
        r->bad = true;
        return;
    }
    l->items = calloc(n, sizeof *l->items);
    if (!l->items) {
        r->bad = true;
        return;
    }
    for (uint32_t i = 0; i < n && !r->bad; i++) {
        l->items[i] = s_get_str(r);
        l->count++;
        if (!l->items[i])
            r->bad = true; /* list items are never NULL */
    }
}

/* 0 ok, -1 malformed */
static int s_decode(const void *data, size_t len, cw_index_file_t *f)
{
    s_rbuf_t r = {data, len, false};
    int lang = s_get_i32(&r);
    f->lang = lang >= 0 ? cw_lang_get((cw_lang_id_t)lang) : NULL;
    f->status = s_get_i32(&r);
    f->lines = s_get_i32(&r);
    f->imports = s_get_i32(&r);
    f->function_count = s_get_i32(&r);
    s_get(&r, f->patterns, sizeof f->patterns);
    uint32_t nf = s_get_u32(&r);
    if (!r.bad && (nf > CW_EXTRACT_MAX_FUNCTIONS || nf > r.left / 64))
        r.bad = true;
    if (!r.bad && nf > 0 && !(f->fns = calloc(nf, sizeof *f->fns)))
        r.bad = true;
    for (uint32_t i = 0; i < nf && !r.bad; i++) {
        cw_index_fn_t *fn = &f->fns[i];
        f->fn_count++;
        fn->name = s_get_str(&r);
        fn->class_name = s_get_str(&r);
        fn->docstring = s_get_str(&r);
        fn->signature = s_get_str(&r);
        s_get_list(&r, &fn->parameters);
        s_get_list(&r, &fn->decorators);
        s_get_list(&r, &fn->calls);
        fn->start_line = s_get_i32(&r);
        fn->end_line = s_get_i32(&r);
        fn->start_byte = s_get_u32(&r);
        fn->end_byte = s_get_u32(&r);
        fn->is_async = s_get_u32(&r) != 0;
        fn->source_flags = s_get_u32(&r);
        fn->metrics.ccn = s_get_i32(&r);
        fn->metrics.nloc = s_get_i32(&r);
        fn->metrics.tokens = s_get_i32(&r);
        fn->metrics.params = s_get_i32(&r);
        fn->metrics.nesting = s_get_i32(&r);
        if (!fn->name || fn->end_byte < fn->start_byte || fn->end_line < fn->start_line)
            r.bad = true;
    }
    uint32_t nc = r.bad ? 0 : s_get_u32(&r);
    if (!r.bad && (nc > CW_EXTRACT_MAX_FUNCTIONS || nc > r.left / 32))
        r.bad = true;
    if (!r.bad && nc > 0 && !(f->classes = calloc(nc, sizeof *f->classes)))
        r.bad = true;
    for (uint32_t i = 0; i < nc && !r.bad; i++) {
        cw_index_class_t *c = &f->classes[i];
        f->class_count++;
        c->name = s_get_str(&r);
        c->kind = s_get_str(&r);
        c->docstring = s_get_str(&r);
        s_get_list(&r, &c->decorators);
        c->start_line = s_get_i32(&r);
        c->end_line = s_get_i32(&r);
        c->start_byte = s_get_u32(&r);
        c->end_byte = s_get_u32(&r);
        c->method_count = s_get_i32(&r);
        uint32_t no = s_get_u32(&r);
        if (!r.bad && (no > f->fn_count || no > r.left / 4))
            r.bad = true;
        if (!r.bad && no > 0 && !(c->outside = calloc(no, sizeof *c->outside)))
            r.bad = true;
        for (uint32_t k = 0; k < no && !r.bad; k++) {
            c->outside[k] = s_get_u32(&r);
            c->outside_count++;
            /* indices of the file's functions, in file order */
            if (c->outside[k] >= f->fn_count || (k > 0 && c->outside[k] <= c->outside[k - 1]))
                r.bad = true;
        }
        if (!c->name || c->end_byte < c->start_byte || c->end_line < c->start_line)
            r.bad = true;
    }
    if (!r.bad) {
        f->package = s_get_str(&r);
        s_get_list(&r, &f->includes);
    }
    uint32_t nfacts = r.bad ? 0 : s_get_u32(&r); /* the facts (cw_targets_facts.h) */
    if (!r.bad && (nfacts > CW_FACTS_MAX_BLOB || nfacts > r.left))
        r.bad = true;
    if (!r.bad && nfacts > 0) {
        if (!(f->facts = malloc(nfacts)))
            r.bad = true;
        else {
            s_get(&r, f->facts, nfacts);
            f->facts_len = nfacts;
        }
    }
    if (r.bad || r.left != 0 || (lang >= 0 && !f->lang) || f->status < 0 ||
        f->status > CW_READ_NOT_UTF8)
        return -1;
    return 0;
}

/* ------------------------------------------------------------------ database */

static void s_unlink_db(const char *path)
{
    char side[PATH_MAX + 8];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-journal", path);
    unlink(side);
}

static int s_db_setup(sqlite3 *db)
{
    static const char schema[] =
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=NORMAL;"
        "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE IF NOT EXISTS files(root TEXT NOT NULL, rel TEXT NOT NULL,"
        " mtime INTEGER NOT NULL, size INTEGER NOT NULL, hash BLOB NOT NULL,"
        " data BLOB NOT NULL, PRIMARY KEY(root, rel)) WITHOUT ROWID;";
    if (sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK)
        return -1;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key='format'", -1, &st, NULL) !=
        SQLITE_OK)
        return -1;
    int rc = sqlite3_step(st);
    bool same = rc == SQLITE_ROW && sqlite3_column_text(st, 0) &&
                strcmp((const char *)sqlite3_column_text(st, 0), s_format) == 0;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return -1;
    if (same)
        return 0;
    /* another format (older extraction): start over */
    char sql[256];
    snprintf(sql, sizeof sql,
             "BEGIN IMMEDIATE; DELETE FROM files;"
             " INSERT OR REPLACE INTO meta(key, value) VALUES('format', '%s'); COMMIT;",
             s_format);
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

static sqlite3 *s_db_try(const char *path, char *why, size_t whylen)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        snprintf(why, whylen, "%s", db ? sqlite3_errmsg(db) : "cannot open");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 3000);
    if (s_db_setup(db) != 0) {
        snprintf(why, whylen, "%s", sqlite3_errmsg(db));
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

/* Open (or create) the database; a broken one is discarded once. */
static void s_db_open(cw_index_t *self)
{
    char why[256] = "";
    self->db = s_db_try(self->db_path, why, sizeof why);
    if (self->db)
        return;
    cw_warn("analyzer_index_discarded", CW_LS("path", self->db_path), CW_LS("reason", why),
            CW_LEND);
    s_unlink_db(self->db_path);
    self->db = s_db_try(self->db_path, why, sizeof why);
    if (!self->db)
        cw_warn("analyzer_index_memory_only", CW_LS("path", self->db_path), CW_LS("reason", why),
                CW_LEND);
}

/* The database failed in a way that says it is broken: start a new one, and have every
   root write all its entries again. */
static void s_db_reset(cw_index_t *self, const char *why_)
{
    if (!self->db_path)
        return;
    char why[256];
    snprintf(why, sizeof why, "%s", why_ ? why_ : "");
    cw_warn("analyzer_index_discarded", CW_LS("path", self->db_path), CW_LS("reason", why),
            CW_LEND);
    if (self->db)
        sqlite3_close(self->db);
    self->db = NULL;
    s_unlink_db(self->db_path);
    char w[256];
    self->db = s_db_try(self->db_path, w, sizeof w);
    for (size_t i = 0; i < self->root_count; i++)
        self->roots[i].write_all = true;
}

static bool s_is_corrupt(int rc)
{
    rc &= 0xff;
    return rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB || rc == SQLITE_FORMAT;
}

static void s_root_load(cw_index_t *self, s_root_t *root)
{
    if (!self->db)
        return;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(
        self->db, "SELECT rel, mtime, size, hash, data FROM files WHERE root=?", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(st, 1, root->root, -1, SQLITE_STATIC);
    size_t loaded = 0, dropped = 0;
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *rel = (const char *)sqlite3_column_text(st, 0);
        const void *hash = sqlite3_column_blob(st, 3);
        int hash_len = sqlite3_column_bytes(st, 3);
        const void *data = sqlite3_column_blob(st, 4);
        int data_len = sqlite3_column_bytes(st, 4);
        rc = SQLITE_OK;
        if (!rel || !*rel || strlen(rel) >= PATH_MAX || hash_len != 32 || data_len < 0 ||
            data_len > MAX_BLOB || zhashx_lookup(root->entries, rel)) {
            dropped++;
            continue;
        }
        s_entry_t *e = calloc(1, sizeof *e);
        if (!e)
            break;
        if (s_decode(data, (size_t)data_len, &e->file) != 0 || !(e->file.rel = strdup(rel))) {
            s_file_clear(&e->file);
            free(e);
            dropped++;
            continue;
        }
        e->file.mtime_ns = sqlite3_column_int64(st, 1);
        e->file.size = sqlite3_column_int64(st, 2);
        memcpy(e->file.hash, hash, 32);
        if (zhashx_insert(root->entries, rel, e) != 0) {
            s_file_clear(&e->file);
            free(e);
            break;
        }
        loaded++;
    }
    sqlite3_finalize(st);
    if (dropped > 0)
        cw_warn("analyzer_index_entries_dropped", CW_LS("root", root->root),
                CW_LI("entries", dropped), CW_LEND);
    if (rc != SQLITE_DONE && rc != SQLITE_OK && rc != SQLITE_ROW) {
        /* whatever was read is still validated entry by entry; the database goes */
        zhashx_purge(root->entries);
        s_db_reset(self, sqlite3_errstr(rc));
        return;
    }
    cw_debug("analyzer_index_loaded", CW_LS("root", root->root), CW_LI("entries", loaded), CW_LEND);
}

static s_root_t *s_root_get(cw_index_t *self, const char *root)
{
    for (size_t i = 0; i < self->root_count; i++)
        if (strcmp(self->roots[i].root, root) == 0)
            return &self->roots[i];
    if (self->root_count == MAX_ROOTS) {
        /* forget the oldest root (memory only; its rows stay in the database) */
        free(self->roots[0].root);
        zhashx_destroy(&self->roots[0].entries);
        memmove(&self->roots[0], &self->roots[1], (MAX_ROOTS - 1) * sizeof self->roots[0]);
        self->root_count--;
    }
    s_root_t *r = &self->roots[self->root_count];
    memset(r, 0, sizeof *r);
    r->root = strdup(root);
    r->entries = zhashx_new();
    if (!r->root || !r->entries) {
        free(r->root);
        zhashx_destroy(&r->entries);
        return NULL;
    }
    zhashx_set_destructor(r->entries, s_entry_destroy);
    self->root_count++;
    s_root_load(self, r);
    return r;
}

/* ------------------------------------------------------------------ lifecycle */

cw_index_t *cw_index_new(const char *db_path, int threads)
{
    cw_index_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    if (threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (int)n : 1;
    }
    self->threads = threads > CW_INDEX_MAX_THREADS ? CW_INDEX_MAX_THREADS : threads;
    for (int i = 0; i < self->threads; i++)
        if (!(self->parsers[i] = ts_parser_new())) {
            cw_index_destroy(&self);
            return NULL;
        }
    if (db_path && *db_path) {
        self->db_path = strdup(db_path);
        if (!self->db_path) {
            cw_index_destroy(&self);
            return NULL;
        }
        s_db_open(self);
    }
    return self;
}

void cw_index_destroy(cw_index_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cw_index_t *self = *self_p;
    for (size_t i = 0; i < self->root_count; i++) {
        free(self->roots[i].root);
        zhashx_destroy(&self->roots[i].entries);
    }
    for (int i = 0; i < CW_INDEX_MAX_THREADS; i++)
        if (self->parsers[i])
            ts_parser_delete(self->parsers[i]);
    if (self->db)
        sqlite3_close(self->db);
    free(self->db_path);
    free(self);
    *self_p = NULL;
}

size_t cw_index_files_parsed(const cw_index_t *self)
{
    return self ? self->parsed : 0;
}

size_t cw_index_files_read(const cw_index_t *self)
{
    return self ? self->read : 0;
}

bool cw_index_persistent(const cw_index_t *self)
{
    return self && self->db;
}

void cw_index_invalidate(cw_index_t *self, cw_index_file_t *file)
{
    (void)self;
    if (!file)
        return;
    file->mtime_ns = -1;
    file->size = -1;
    ((s_entry_t *)file)->dirty = true;
}

/* ------------------------------------------------------------------ extraction */

typedef struct {
    const cw_scan_file_t *sf;
    const s_entry_t *old;
    s_entry_t *result; /* a new entry, or NULL when the content did not change / no memory */
    bool same;         /* content unchanged: only (mtime, size) move */
    bool parsed;
} s_job_t;

typedef struct {
    cw_index_t *self;
    const char *root;
    s_job_t *jobs;
    size_t count;
    size_t next;
    pthread_mutex_t lock;
} s_work_t;

static void s_move_list(cw_strlist_t *dst, cw_strlist_t *src)
{
    *dst = *src;
    src->items = NULL;
    src->count = 0;
}

static int s_count_lines(const char *src, size_t len)
{
    if (len == 0)
        return 0;
    size_t n = 0;
    for (const char *p = src; (p = memchr(p, '\n', len - (size_t)(p - src))) != NULL; p++)
        n++;
    if (src[len - 1] != '\n')
        n++;
    return n > INT32_MAX ? INT32_MAX : (int)n;
}

/* The methods class `k` has outside its text (owner/fn_at per extracted function, see
   s_extract), as indices into the file's fns. Out of memory: none. */
static void s_outside(cw_index_class_t *dst, int k, const int *owner, const int *fn_at, size_t n)
{
    if (!owner)
        return;
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += owner[i] == k && fn_at[i] >= 0;
    if (count == 0 || !(dst->outside = calloc(count, sizeof *dst->outside)))
        return;
    for (size_t i = 0; i < n; i++)
        if (owner[i] == k && fn_at[i] >= 0)
            dst->outside[dst->outside_count++] = (uint32_t)fn_at[i];
}

/* Go: the package clause's name; C/C++: the quoted includes (top level, and inside
   top-level #if/#ifdef blocks). */
static void s_package_and_includes(const cw_lang_t *lang, TSTree *tree, const char *src, size_t len,
                                   cw_index_file_t *f)
{
    TSNode root = ts_tree_root_node(tree);
    uint32_t n = ts_node_named_child_count(root);
    for (uint32_t i = 0; i < n; i++) {
        TSNode c = ts_node_named_child(root, i);
        const char *t = ts_node_type(c);
        if (lang->id == CW_LANG_GO && strcmp(t, "package_clause") == 0 && !f->package) {
            TSNode id = ts_node_named_child(c, 0);
            f->package = cw_x_text(id, src, len, 256);
            return;
        }
        if (lang->id != CW_LANG_C && lang->id != CW_LANG_CPP)
            continue;
        if (strcmp(t, "preproc_include") == 0) {
            TSNode path = cw_x_field(c, "path");
            if (!ts_node_is_null(path) && strcmp(ts_node_type(path), "string_literal") == 0) {
                uint32_t a = ts_node_start_byte(path), b = ts_node_end_byte(path);
                if (b >= a + 2 && b <= len && f->includes.count < 256)
                    cw_x_list_push(&f->includes, cw_strndup_utf8(src + a + 1, b - a - 2, 1024), 256,
                                   true);
            }
        } else if (strncmp(t, "preproc_if", 10) == 0) {
            /* include guards: look one level in */
            uint32_t m = ts_node_named_child_count(c);
            for (uint32_t k = 0; k < m; k++) {
                TSNode d = ts_node_named_child(c, k);
                if (strcmp(ts_node_type(d), "preproc_include") != 0)
                    continue;
                TSNode path = cw_x_field(d, "path");
                if (ts_node_is_null(path) || strcmp(ts_node_type(path), "string_literal") != 0)
                    continue;
                uint32_t a = ts_node_start_byte(path), b = ts_node_end_byte(path);
                if (b >= a + 2 && b <= len)
                    cw_x_list_push(&f->includes, cw_strndup_utf8(src + a + 1, b - a - 2, 1024), 256,
                                   true);
            }
        }
    }
}

static void s_extract(TSParser *parser, const cw_lang_t *lang, const char *src, size_t len,
                      cw_index_file_t *f)
{
    f->lines = s_count_lines(src, len);
    TSTree *tree = cw_extract_parse(parser, lang, src, len);
    if (!tree) {
        cw_debug("file_unparsed", CW_LS("file", f->rel), CW_LEND);
        cw_pattern_scan(src, len, f->patterns); /* no tree: the text as it is */
        return;
    }
    cw_pattern_scan_code(lang, tree, src, len, f->patterns);
    cw_function_list_t fns = {0};
    if (cw_extract_functions(lang, tree, src, len, &fns) != 0)
        cw_warn_limited("extract_incomplete", CW_LS("file", f->rel), CW_LEND);
    cw_class_list_t classes = {0};
    if (cw_extract_classes(lang, tree, src, len, &classes) != 0)
        cw_warn_limited("extract_classes_incomplete", CW_LS("file", f->rel), CW_LEND);
    /* owner[i]: the class function i is a method of from outside its text (-1: none);
       fn_at[i]: where function i lands in f->fns (-1: left out) */
    int *owner = fns.count > 0 ? calloc(fns.count, 2 * sizeof *owner) : NULL;
    int *fn_at = owner ? owner + fns.count : NULL;
    if (owner && cw_extract_class_methods(lang, tree, src, len, &classes, &fns, owner) != 0) {
        free(owner);
        owner = fn_at = NULL;
    }
    if (fns.count > 0 && !owner)
        cw_warn_limited("extract_methods_incomplete", CW_LS("file", f->rel), CW_LEND);
    f->function_count = (int)fns.count;
    if (fns.count > 0 && (f->fns = calloc(fns.count, sizeof *f->fns))) {
        for (size_t i = 0; i < fns.count; i++) {
            cw_function_t *src_fn = &fns.items[i];
            if (fn_at)
                fn_at[i] = -1;
            if (!src_fn->name || src_fn->end_byte > len || src_fn->end_byte < src_fn->start_byte)
                continue;
            if (fn_at)
                fn_at[i] = (int)f->fn_count;
            cw_index_fn_t *fn = &f->fns[f->fn_count++];
            fn->name = src_fn->name;
            fn->class_name = src_fn->class_name;
            fn->docstring = src_fn->docstring;
            fn->signature = src_fn->signature;
            src_fn->name = src_fn->class_name = src_fn->docstring = src_fn->signature = NULL;
            s_move_list(&fn->parameters, &src_fn->parameters);
            s_move_list(&fn->decorators, &src_fn->decorators);
            s_move_list(&fn->calls, &src_fn->calls);
            fn->start_line = src_fn->start_line;
            fn->end_line = src_fn->end_line;
            fn->start_byte = (uint32_t)src_fn->start_byte;
            fn->end_byte = (uint32_t)src_fn->end_byte;
            fn->is_async = src_fn->is_async;
            fn->metrics = src_fn->metrics;
            fn->source_flags =
                cw_score_source_flags(src + fn->start_byte, fn->end_byte - fn->start_byte);
        }
    }
    if (classes.count > 0 && (f->classes = calloc(classes.count, sizeof *f->classes))) {
        for (size_t i = 0; i < classes.count; i++) {
            cw_class_t *c = &classes.items[i];
            if (!c->name || c->end_byte > len || c->end_byte < c->start_byte)
                continue;
            cw_index_class_t *dst = &f->classes[f->class_count++];
            if (f->fns)
                s_outside(dst, (int)i, owner, fn_at, fns.count);
            dst->name = c->name;
            dst->kind = c->kind;
            dst->docstring = c->docstring;
            c->name = c->kind = c->docstring = NULL;
            s_move_list(&dst->decorators, &c->decorators);
            dst->start_line = c->start_line;
            dst->end_line = c->end_line;
            dst->start_byte = (uint32_t)c->start_byte;
            dst->end_byte = (uint32_t)c->end_byte;
            dst->method_count = c->method_count;
        }
    }
    /* the facts targets carry (cw_targets_facts.h), while the tree and the lists live */
    size_t facts_len = 0;
    f->facts = cw_facts_extract(lang, tree, src, len, &fns, &classes, &facts_len);
    f->facts_len = f->facts ? (uint32_t)facts_len : 0;
    cw_class_list_free(&classes);
    cw_function_list_free(&fns);
    free(owner);
    f->imports = cw_extract_import_count(lang, tree, src, len);
    s_package_and_includes(lang, tree, src, len, f);
    ts_tree_delete(tree);
}

static void s_run_job(TSParser *parser, const char *root, s_job_t *job)
{
    const cw_scan_file_t *sf = job->sf;
    char abs[PATH_MAX];
    if (snprintf(abs, sizeof abs, "%s/%s", root, sf->rel) >= (int)sizeof abs)
        return;
    size_t len = 0;
    cw_read_status_t status = CW_READ_UNREADABLE;
    char *src = cw_scan_read(abs, &len, &status);
    uint8_t hash[32] = {0};
    const cw_lang_t *lang = src ? cw_lang_for_source(sf->lang, sf->rel, src, len) : sf->lang;
    if (src) {
        cw_sha256_t ctx;
        cw_sha256_init(&ctx);
        cw_sha256_update(&ctx, src, len);
        cw_sha256_final(&ctx, hash);
        if (job->old && job->old->file.status == CW_READ_OK && job->old->file.lang == lang &&
            memcmp(job->old->file.hash, hash, 32) == 0) {
            job->same = true;
            free(src);
            return;
        }
    } else {
        cw_debug("file_skipped", CW_LS("file", sf->rel),
                 CW_LS("reason", cw_read_status_name(status)), CW_LEND);
    }
    s_entry_t *e = calloc(1, sizeof *e);
    if (!e || !(e->file.rel = strdup(sf->rel))) {
        free(e);
        free(src);
        return;
    }
    e->file.lang = lang;
    e->file.mtime_ns = sf->mtime_ns;
    e->file.size = sf->size;
    e->file.status = (int)status;
    memcpy(e->file.hash, hash, 32);
    e->dirty = true;
    if (src) {
        e->file.status = CW_READ_OK;
        s_extract(parser, lang, src, len, &e->file);
        job->parsed = true;
    }
    free(src);
    job->result = e;
}

static void *s_worker(void *arg_)
{
    void **arg = arg_;
    s_work_t *w = arg[0];
    TSParser *parser = arg[1];
    for (;;) {
        pthread_mutex_lock(&w->lock);
        size_t i = w->next++;
        pthread_mutex_unlock(&w->lock);
        if (i >= w->count)
            break;
        s_run_job(parser, w->root, &w->jobs[i]);
    }
    return NULL;
}

static void s_run_jobs(cw_index_t *self, const char *root, s_job_t *jobs, size_t count)
{
    int nthreads = self->threads;
    if ((size_t)nthreads > count)
        nthreads = (int)count;
    if (count < INLINE_JOBS || nthreads <= 1) {
        for (size_t i = 0; i < count; i++)
            s_run_job(self->parsers[0], root, &jobs[i]);
        return;
    }
    s_work_t w = {.self = self, .root = root, .jobs = jobs, .count = count};
    pthread_mutex_init(&w.lock, NULL);
    pthread_t tids[CW_INDEX_MAX_THREADS];
    void *args[CW_INDEX_MAX_THREADS][2];
    int started = 0;
    /* the calling thread is worker 0 */
    for (int t = 1; t < nthreads; t++) {
        args[t][0] = &w;
        args[t][1] = self->parsers[t];
        if (pthread_create(&tids[t], NULL, s_worker, args[t]) != 0)
            break;
        started = t;
    }
    args[0][0] = &w;
    args[0][1] = self->parsers[0];
    s_worker(args[0]);
    for (int t = 1; t <= started; t++)
        pthread_join(tids[t], NULL);
    pthread_mutex_destroy(&w.lock);
}

/* ------------------------------------------------------------------ refresh */

static void s_write(cw_index_t *self, s_root_t *root, char **removed, size_t removed_count)
{
    if (!self->db)
        return;
    size_t dirty = 0;
    for (s_entry_t *e = zhashx_first(root->entries); e; e = zhashx_next(root->entries))
        if (e->dirty || root->write_all)
            dirty++;
    if (dirty == 0 && removed_count == 0)
        return;
    sqlite3_stmt *ins = NULL, *del = NULL;
    int rc = sqlite3_exec(self->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(self->db,
                                "INSERT OR REPLACE INTO files(root, rel, mtime, size, hash, data)"
                                " VALUES(?, ?, ?, ?, ?, ?)",
                                -1, &ins, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(self->db, "DELETE FROM files WHERE root=? AND rel=?", -1, &del,
                                NULL);
    cw_buf_t b;
    cw_buf_init(&b, MAX_BLOB);
    for (s_entry_t *e = zhashx_first(root->entries); rc == SQLITE_OK && e;
         e = zhashx_next(root->entries)) {
        if (!e->dirty && !root->write_all)
            continue;
        cw_buf_clear(&b);
        s_encode(&b, &e->file);
        if (b.failed)
            continue; /* too large to keep: parsed again next time */
        sqlite3_reset(ins);
        sqlite3_bind_text(ins, 1, root->root, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 2, e->file.rel, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 3, e->file.mtime_ns);
        sqlite3_bind_int64(ins, 4, e->file.size);
        sqlite3_bind_blob(ins, 5, e->file.hash, 32, SQLITE_STATIC);
        sqlite3_bind_blob(ins, 6, b.data ? (const void *)b.data : "", (int)b.len, SQLITE_STATIC);
        rc = sqlite3_step(ins);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    for (size_t i = 0; rc == SQLITE_OK && i < removed_count; i++) {
        sqlite3_reset(del);
        sqlite3_bind_text(del, 1, root->root, -1, SQLITE_STATIC);
        sqlite3_bind_text(del, 2, removed[i], -1, SQLITE_STATIC);
        rc = sqlite3_step(del);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    cw_buf_free(&b);
    sqlite3_finalize(ins);
    sqlite3_finalize(del);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(self->db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        char why[256];
        snprintf(why, sizeof why, "%s", sqlite3_errmsg(self->db));
        sqlite3_exec(self->db, "ROLLBACK", NULL, NULL, NULL);
        if (s_is_corrupt(rc))
            s_db_reset(self, why);
        else
            cw_warn("analyzer_index_not_saved", CW_LS("path", self->db_path), CW_LS("reason", why),
                    CW_LEND);
        return; /* entries stay dirty: written next time */
    }
    for (s_entry_t *e = zhashx_first(root->entries); e; e = zhashx_next(root->entries))
        e->dirty = false;
    root->write_all = false;
}

/* A record made for the scan's file: the same language, or C++ for a C header read as C++
   (cw_lang_for_source). */
static bool s_same_lang(const cw_lang_t *have, const cw_scan_file_t *sf)
{
    if (have == sf->lang)
        return true;
    size_t n = strlen(sf->rel);
    return have && sf->lang && have->id == CW_LANG_CPP && sf->lang->id == CW_LANG_C && n > 2 &&
           strcmp(sf->rel + n - 2, ".h") == 0;
}

/* ------------------------------------------------------------------ methods across files */

/* Length of rel's directory part ("a/b.go" -> 1, "b.go" -> 0). */
static size_t s_dir_len(const char *rel)
{
    const char *slash = strrchr(rel, '/');
    return slash ? (size_t)(slash - rel) : 0;
}

/* Whether fns[k] is a method of one of f's own classes (inside one, or written outside it
   in the same file). */
static bool s_owned_here(const cw_index_file_t *f, size_t k)
{
    const cw_index_fn_t *fn = &f->fns[k];
    for (size_t c = 0; c < f->class_count; c++) {
        const cw_index_class_t *cl = &f->classes[c];
        if (fn->start_byte >= cl->start_byte && fn->end_byte <= cl->end_byte)
            return true;
        for (size_t o = 0; o < cl->outside_count; o++)
            if (cl->outside[o] == k)
                return true;
    }
    return false;
}

static void s_foreign_push(cw_index_class_t *cl, const cw_index_file_t *f, size_t k)
{
    if (cl->foreign_count >= CW_EXTRACT_MAX_FUNCTIONS)
        return;
    cw_index_fn_ref_t *refs = realloc(cl->foreign, (cl->foreign_count + 1) * sizeof *refs);
    if (!refs)
        return;
    cl->foreign = refs;
    cl->foreign[cl->foreign_count++] = (cw_index_fn_ref_t){f, (uint32_t)k};
}

/* Key of a class for the lookups below; NULL when too long. */
static char *s_link_key(char kind, const char *a, size_t alen, const char *b, const char *name)
{
    char *key = NULL;
    if (asprintf(&key, "%c|%.*s|%s|%s", kind, (int)alen, a, b ? b : "", name) < 0)
        return NULL;
    return key;
}

/* Whether header path `rel` is what `#include "inc"` in a file of directory dir names:
   dir/inc, inc from the root, or a path ending in /inc. */
static bool s_include_names(const char *rel, const char *dir, size_t dlen, const char *inc)
{
    size_t rl = strlen(rel), il = strlen(inc);
    if (dlen > 0 && rl == dlen + 1 + il && memcmp(rel, dir, dlen) == 0 && rel[dlen] == '/' &&
        strcmp(rel + dlen + 1, inc) == 0)
        return true;
    if (strcmp(rel, inc) == 0)
        return true;
    return rl > il && rel[rl - il - 1] == '/' && strcmp(rel + rl - il, inc) == 0;
}

/* Link each class of the view to its methods written in other files (cw_index_class_t
   foreign): Go methods to the struct of the same package and directory, C++ `Foo::bar`
   to class Foo in a header of the same directory or one the source file includes. */
static void s_link_foreign(const cw_index_view_t *view)
{
    for (size_t i = 0; i < view->count; i++) {
        cw_index_file_t *f = view->files[i];
        for (size_t c = 0; c < f->class_count; c++) {
            free(f->classes[c].foreign);
            f->classes[c].foreign = NULL;
            f->classes[c].foreign_count = 0;
        }
    }
    zhashx_t *classes = zhashx_new(); /* key -> (file index << 16 | class index) + 1 */
    if (!classes)
        return;
    for (size_t i = 0; i < view->count && i < (1u << 20); i++) {
        const cw_index_file_t *f = view->files[i];
        if (!f->lang || (f->lang->id != CW_LANG_GO && f->lang->id != CW_LANG_CPP))
            continue;
        for (size_t c = 0; c < f->class_count && c < 0xFFFF; c++) {
            uintptr_t v = ((uintptr_t)i << 16 | c) + 1;
            const char *base = strrchr(f->rel, '/');
            base = base ? base + 1 : f->rel;
            char *k1 = f->lang->id == CW_LANG_GO
                           ? (f->package ? s_link_key('g', f->rel, s_dir_len(f->rel), f->package,
                                                      f->classes[c].name)
                                         : NULL)
                           : s_link_key('d', f->rel, s_dir_len(f->rel), NULL, f->classes[c].name);
            char *k2 = f->lang->id == CW_LANG_CPP
                           ? s_link_key('b', base, strlen(base), NULL, f->classes[c].name)
                           : NULL;
            if (k1)
                zhashx_insert(classes, k1, (void *)v);
            if (k2)
                zhashx_insert(classes, k2, (void *)v);
            free(k1);
            free(k2);
        }
    }
    for (size_t i = 0; i < view->count; i++) {
        const cw_index_file_t *f = view->files[i];
        if (!f->lang || (f->lang->id != CW_LANG_GO && f->lang->id != CW_LANG_CPP))
            continue;
        size_t dlen = s_dir_len(f->rel);
        for (size_t k = 0; k < f->fn_count; k++) {
            const cw_index_fn_t *fn = &f->fns[k];
            if (!fn->class_name || s_owned_here(f, k))
                continue;
            uintptr_t v = 0;
            if (f->lang->id == CW_LANG_GO) {
                char *key =
                    f->package ? s_link_key('g', f->rel, dlen, f->package, fn->class_name) : NULL;
                v = key ? (uintptr_t)zhashx_lookup(classes, key) : 0;
                free(key);
            } else {
                /* a header the file includes, else one in its directory */
                for (size_t n = 0; n < f->includes.count && !v; n++) {
                    const char *inc = f->includes.items[n];
                    const char *base = strrchr(inc, '/');
                    base = base ? base + 1 : inc;
                    char *key = s_link_key('b', base, strlen(base), NULL, fn->class_name);
                    uintptr_t w = key ? (uintptr_t)zhashx_lookup(classes, key) : 0;
                    free(key);
                    if (w && s_include_names(view->files[(w - 1) >> 16]->rel, f->rel, dlen, inc))
                        v = w;
                }
                if (!v) {
                    char *key = s_link_key('d', f->rel, dlen, NULL, fn->class_name);
                    v = key ? (uintptr_t)zhashx_lookup(classes, key) : 0;
                    free(key);
                }
            }
            if (!v || ((v - 1) >> 16) == i)
                continue;
            cw_index_file_t *g = view->files[(v - 1) >> 16];
            s_foreign_push(&g->classes[(v - 1) & 0xFFFF], f, k);
        }
    }
    zhashx_destroy(&classes);
}

double cw_index_fn_score(const cw_index_fn_t *fn, int commits_30d, int days_since_modified)
{
    cw_score_input_t in = {.complexity = fn->metrics.ccn,
                           .nloc = fn->metrics.nloc,
                           .nesting = fn->metrics.nesting,
                           .params = fn->metrics.params,
                           .commits_30d = commits_30d,
                           .days_since_modified = days_since_modified,
                           .decorators = (const char *const *)fn->decorators.items,
                           .decorator_count = fn->decorators.count,
                           .is_async = fn->is_async,
                           .source = NULL,
                           .source_flags = fn->source_flags};
    return cw_score_function(&in) * cw_score_name_factor(fn->name);
}

const cw_index_fn_t *cw_index_class_method(const cw_index_file_t *f, const cw_index_class_t *cl,
                                           size_t i, const cw_index_file_t **in)
{
    const cw_index_file_t *g = f;
    uint32_t k;
    if (!f || !cl)
        return NULL;
    if (i < cl->outside_count) {
        k = cl->outside[i];
    } else if (i - cl->outside_count < cl->foreign_count) {
        g = cl->foreign[i - cl->outside_count].file;
        k = cl->foreign[i - cl->outside_count].fn;
    } else {
        return NULL;
    }
    if (!g || k >= g->fn_count)
        return NULL;
    if (in)
        *in = g;
    return &g->fns[k];
}

char *cw_index_read_verified(const char *root, const cw_index_file_t *f, size_t *len, bool *stale)
{
    bool dummy;
    if (!stale)
        stale = &dummy;
    *stale = false;
    *len = 0;
    if (!root || !f || !f->rel)
        return NULL;
    char abs[PATH_MAX];
    if (snprintf(abs, sizeof abs, "%s/%s", root, f->rel) >= (int)sizeof abs)
        return NULL;
    cw_read_status_t status;
    char *src = cw_scan_read(abs, len, &status);
    uint8_t hash[32];
    if (src) {
        cw_sha256_t ctx;
        cw_sha256_init(&ctx);
        cw_sha256_update(&ctx, src, *len);
        cw_sha256_final(&ctx, hash);
    }
    if (!src || (int64_t)*len != f->size || memcmp(hash, f->hash, 32) != 0) {
        cw_debug("source_changed", CW_LS("file", f->rel), CW_LEND);
        *stale = true;
        free(src);
        return NULL;
    }
    return src;
}

char *cw_index_read_span(const char *root, const cw_index_file_t *f, uint32_t a, uint32_t b,
                         size_t max, bool *stale)
{
    size_t len = 0;
    char *src = b >= a ? cw_index_read_verified(root, f, &len, stale) : NULL;
    if (!src)
        return NULL;
    char *out = b <= len ? cw_strndup_utf8(src + a, b - a, max) : NULL;
    if (b > len && stale)
        *stale = true;
    free(src);
    return out;
}

int cw_index_refresh(cw_index_t *self, const char *root_path, const cw_scan_list_t *scan,
                     cw_index_view_t *view)
{
    memset(view, 0, sizeof *view);
    if (!self || !root_path || !scan)
        return -1;
    self->parsed = self->read = 0;
    s_root_t *root = s_root_get(self, root_path);
    if (!root)
        return -1;
    uint64_t gen = ++root->gen;
    view->files = calloc(scan->count ? scan->count : 1, sizeof *view->files);
    s_job_t *jobs = calloc(scan->count ? scan->count : 1, sizeof *jobs);
    size_t *slots = calloc(scan->count ? scan->count : 1, sizeof *slots);
    if (!view->files || !jobs || !slots) {
        free(view->files);
        view->files = NULL;
        free(jobs);
        free(slots);
        return -1;
    }
    size_t njobs = 0;
    for (size_t i = 0; i < scan->count; i++) {
        const cw_scan_file_t *sf = &scan->files[i];
        s_entry_t *e = zhashx_lookup(root->entries, sf->rel);
        if (e) {
            e->gen = gen;
            if (e->file.mtime_ns == sf->mtime_ns && e->file.size == sf->size &&
                s_same_lang(e->file.lang, sf)) {
                view->files[i] = &e->file;
                continue;
            }
        }
        jobs[njobs] = (s_job_t){.sf = sf, .old = e};
        slots[njobs++] = i;
    }
    self->read = njobs;
    if (njobs > 0)
        s_run_jobs(self, root->root, jobs, njobs);
    for (size_t j = 0; j < njobs; j++) {
        s_job_t *job = &jobs[j];
        s_entry_t *old = zhashx_lookup(root->entries, job->sf->rel);
        if (job->same && old) {
            old->file.mtime_ns = job->sf->mtime_ns;
            old->file.size = job->sf->size;
            old->dirty = true;
            view->files[slots[j]] = &old->file;
            continue;
        }
        if (!job->result)
            continue; /* out of memory or an unusable path: left out this time */
        if (job->parsed)
            self->parsed++;
        job->result->gen = gen;
        zhashx_update(root->entries, job->sf->rel, job->result); /* destroys the old one */
        view->files[slots[j]] = &job->result->file;
    }
    /* compact the view (files left out) */
    size_t n = 0;
    for (size_t i = 0; i < scan->count; i++)
        if (view->files[i])
            view->files[n++] = view->files[i];
    view->count = n;
    /* entries of files that are gone */
    char **removed = NULL;
    size_t removed_count = 0;
    if (zhashx_size(root->entries) > n) {
        zlistx_t *keys = zhashx_keys(root->entries);
        removed = calloc(zhashx_size(root->entries), sizeof *removed);
        for (const char *k = keys ? zlistx_first(keys) : NULL; k && removed;
             k = zlistx_next(keys)) {
            s_entry_t *e = zhashx_lookup(root->entries, k);
            if (e && e->gen != gen && (removed[removed_count] = strdup(k)))
                removed_count++;
        }
        zlistx_destroy(&keys);
    }
    for (size_t i = 0; i < removed_count; i++)
        zhashx_delete(root->entries, removed[i]);
    s_link_foreign(view);
    s_write(self, root, removed, removed_count);
    for (size_t i = 0; i < removed_count; i++)
        free(removed[i]);
    free(removed);
    free(jobs);
    free(slots);
    if (njobs > 0)
        cw_debug("analyzer_index_refreshed", CW_LS("root", root->root), CW_LI("files", n),
                 CW_LI("read", self->read), CW_LI("parsed", self->parsed), CW_LEND);
    return 0;
}
