/*  cw_analyzer — scan, extract, score and rank documentation targets. */
#include "cw_analyzer.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cw_extract.h"
#include "cw_gitstats.h"
#include "cw_log.h"
#include "cw_proto.h"
#include "cw_scan.h"
#include "cw_score.h"
#include "cw_sha256.h"

#define DEFAULT_LIMIT 20
#define MAX_LIMIT 1000
#define MAX_SOURCE (1024 * 1024)
#define MAX_NAME 512
#define MAX_FILE 4096

typedef struct {
    char *name;
    char *path;
    int weight;
} s_repo_t;

struct _cw_analyzer_t {
    s_repo_t *repos;
    size_t repo_count;
    int min_complexity;
    int min_lines;
    int max_lines;
    cw_patterns_t *include;
    cw_patterns_t *exclude;
    TSParser *parser;
    cw_gitstats_t *git;
    time_t now;
    uint64_t rng;
    size_t files_scanned;
};

/* ------------------------------------------------------------------ candidates */

typedef struct {
    char *file;
    const cw_lang_t *lang;
    cw_function_t fn; /* moved out of the extraction list */
    char *source;
    double score;
} s_cand_t;

typedef struct {
    s_cand_t *items;
    size_t count;
    size_t cap;
    size_t keep; /* best `keep` are kept */
} s_cands_t;

static void s_cand_free(s_cand_t *c)
{
    free(c->file);
    free(c->source);
    cw_function_clear(&c->fn);
    memset(c, 0, sizeof *c);
}

static int s_cand_cmp(const void *a_, const void *b_)
{
    const s_cand_t *a = a_, *b = b_;
    if (a->score > b->score)
        return -1;
    if (a->score < b->score)
        return 1;
    int c = strcmp(a->file, b->file);
    if (c)
        return c;
    if (a->fn.start_line != b->fn.start_line)
        return a->fn.start_line < b->fn.start_line ? -1 : 1;
    return strcmp(a->fn.name, b->fn.name);
}

static void s_cands_trim(s_cands_t *set)
{
    if (set->count > 1)
        qsort(set->items, set->count, sizeof *set->items, s_cand_cmp);
    while (set->count > set->keep)
        s_cand_free(&set->items[--set->count]);
}

/* takes ownership of c's contents */
static int s_cands_push(s_cands_t *set, s_cand_t *c)
{
    if (set->count == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 64;
        s_cand_t *items = realloc(set->items, cap * sizeof *items);
        if (!items) {
            s_cand_free(c);
            return -1;
        }
        set->items = items;
        set->cap = cap;
    }
    set->items[set->count++] = *c;
    memset(c, 0, sizeof *c);
    if (set->count >= 2 * set->keep + 64)
        s_cands_trim(set);
    return 0;
}

static void s_cands_free(s_cands_t *set)
{
    for (size_t i = 0; i < set->count; i++)
        s_cand_free(&set->items[i]);
    free(set->items);
    memset(set, 0, sizeof *set);
}

/* ------------------------------------------------------------------ kinds */

typedef struct {
    const char *name; /* display name */
    const char *path;
} s_repo_ref_t;

typedef int(s_producer_fn)(cw_analyzer_t *self, const s_repo_ref_t *repo, s_cands_t *out);

static s_producer_fn s_produce_functions;

/* What each doc type is made from; NULL = not produced yet (an empty answer). Indexed by
   cw_doc_type_t. */
static s_producer_fn *const s_producers[CW_DOC_TYPE_COUNT] = {
    [CW_DOC_FUNCTION] = s_produce_functions,
    [CW_DOC_SECURITY] = s_produce_functions,
    [CW_DOC_PERFORMANCE] = s_produce_functions,
    [CW_DOC_TIL] = s_produce_functions,
};

static time_t s_now(const cw_analyzer_t *self)
{
    return self->now ? self->now : time(NULL);
}

static int s_produce_functions(cw_analyzer_t *self, const s_repo_ref_t *repo, s_cands_t *out)
{
    cw_scan_list_t files = {0};
    if (cw_scan_repo(repo->path, self->include, self->exclude, &files) != 0)
        return -1;
    time_t now = s_now(self);
    const cw_repo_history_t *history = cw_gitstats_repo(self->git, repo->path, now);
    for (size_t i = 0; i < files.count; i++) {
        const cw_scan_file_t *sf = &files.files[i];
        if (!sf->lang->function_types || strlen(sf->rel) > MAX_FILE)
            continue;
        char abs[PATH_MAX];
        if (snprintf(abs, sizeof abs, "%s/%s", repo->path, sf->rel) >= (int)sizeof abs)
            continue;
        size_t len = 0;
        cw_read_status_t status;
        char *src = cw_scan_read(abs, &len, &status);
        if (!src) {
            cw_debug("file_skipped", CW_LS("file", sf->rel),
                     CW_LS("reason", cw_read_status_name(status)), CW_LEND);
            continue;
        }
        self->files_scanned++;
        TSTree *tree = cw_extract_parse(self->parser, sf->lang, src, len);
        if (!tree) {
            cw_debug("file_unparsed", CW_LS("file", sf->rel), CW_LEND);
            free(src);
            continue;
        }
        cw_function_list_t fns = {0};
        if (cw_extract_functions(sf->lang, tree, src, len, &fns) != 0)
            cw_warn("extract_incomplete", CW_LS("file", sf->rel), CW_LEND);
        cw_file_stats_t stats;
        cw_gitstats_file(history, sf->rel, now, &stats);
        for (size_t k = 0; k < fns.count; k++) {
            cw_function_t *f = &fns.items[k];
            int lines = f->end_line - f->start_line + 1;
            if (cw_score_skip_name(f->name) || strlen(f->name) > MAX_NAME ||
                lines < self->min_lines || lines > self->max_lines)
                continue;
            size_t slen = f->end_byte - f->start_byte;
            if (f->end_byte > len || slen == 0 || slen > MAX_SOURCE)
                continue;
            char *source = cw_strndup_utf8(src + f->start_byte, slen, MAX_SOURCE);
            if (!source)
                continue;
            cw_score_input_t in = {.complexity = f->metrics.ccn,
                                   .nloc = f->metrics.nloc,
                                   .nesting = f->metrics.nesting,
                                   .params = f->metrics.params,
                                   .commits_30d = stats.commits_30d,
                                   .days_since_modified = stats.days_since_modified,
                                   .decorators = (const char *const *)f->decorators.items,
                                   .decorator_count = f->decorators.count,
                                   .is_async = f->is_async,
                                   .source = source};
            double score = cw_score_function(&in) * cw_score_name_factor(f->name);
            if (!cw_score_worth(score, lines, f->metrics.ccn, self->min_complexity)) {
                free(source);
                continue;
            }
            s_cand_t c = {.file = strdup(sf->rel),
                          .lang = sf->lang,
                          .fn = *f,
                          .source = source,
                          .score = score};
            memset(f, 0, sizeof *f); /* moved */
            if (!c.file) {
                s_cand_free(&c);
                continue;
            }
            s_cands_push(out, &c);
        }
        cw_function_list_free(&fns);
        ts_tree_delete(tree);
        free(src);
    }
    cw_scan_list_free(&files);
    return 0;
}

/* ------------------------------------------------------------------ targets */

static cw_value_t *s_strlist(const cw_strlist_t *list)
{
    cw_value_t *arr = cw_value_new_array();
    for (size_t i = 0; arr && i < list->count; i++)
        cw_array_push_str(arr, list->items[i]);
    return arr;
}

static cw_value_t *s_target(const s_cand_t *c, const char *doc_type, const char *repo)
{
    cw_value_t *t = cw_value_new_map();
    if (!t)
        return NULL;
    const cw_function_t *f = &c->fn;
    char hash[65];
    cw_sha256_hex(c->source, strlen(c->source), hash);
    int rc = 0;
    rc |= cw_map_set_str(t, "doc_type", doc_type);
    rc |= cw_map_set_str(t, "repo", repo);
    rc |= cw_map_set_str(t, "file", c->file);
    rc |= cw_map_set_str(t, "language", c->lang->name);
    rc |= cw_map_set_str(t, "name", f->name);
    if (f->class_name)
        rc |= cw_map_set_str(t, "class", f->class_name);
    rc |= cw_map_set_int(t, "start_line", f->start_line);
    rc |= cw_map_set_int(t, "end_line", f->end_line);
    rc |= cw_map_set_float(t, "complexity", (double)f->metrics.ccn);
    rc |= cw_map_set_int(t, "nloc", f->metrics.nloc);
    rc |= cw_map_set_int(t, "tokens", f->metrics.tokens);
    rc |= cw_map_set_int(t, "params", f->metrics.params);
    rc |= cw_map_set_int(t, "nesting", f->metrics.nesting);
    rc |= cw_map_set_float(t, "score", c->score);
    rc |= cw_map_set_str(t, "source", c->source);
    rc |= cw_map_set_str(t, "code_hash", hash);
    if (f->docstring)
        rc |= cw_map_set_str(t, "docstring", f->docstring);
    if (f->signature)
        rc |= cw_map_set_str(t, "signature", f->signature);
    rc |= cw_map_set(t, "parameters", s_strlist(&f->parameters));
    rc |= cw_map_set(t, "calls", s_strlist(&f->calls));
    rc |= cw_map_set(t, "decorators", s_strlist(&f->decorators));
    rc |= cw_map_set_bool(t, "is_async", f->is_async);
    if (rc != 0)
        cw_value_destroy(&t);
    return t;
}

/* ------------------------------------------------------------------ lifecycle */

static cw_patterns_t *s_patterns(char **list, size_t count)
{
    cw_patterns_t *p = cw_patterns_new("");
    for (size_t i = 0; p && i < count; i++)
        if (list[i])
            cw_patterns_add(p, list[i]);
    return p;
}

static uint64_t s_next(cw_analyzer_t *self)
{
    /* xorshift64* */
    uint64_t x = self->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    self->rng = x;
    return x * 2685821657736338717ULL;
}

cw_analyzer_t *cw_analyzer_new(const cw_config_t *config)
{
    if (!config)
        return NULL;
    cw_analyzer_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->min_complexity = config->analyzer.min_complexity;
    self->min_lines = config->analyzer.min_lines;
    self->max_lines = config->analyzer.max_lines;
    self->include = s_patterns(config->analyzer.include_patterns, config->analyzer.include_count);
    self->exclude = s_patterns(config->analyzer.exclude_patterns, config->analyzer.exclude_count);
    self->parser = ts_parser_new();
    self->git = cw_gitstats_new();
    cw_analyzer_set_seed(self, (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32));
    if (config->repo_count > 0)
        self->repos = calloc(config->repo_count, sizeof *self->repos);
    if (!self->include || !self->exclude || !self->parser || !self->git ||
        (config->repo_count > 0 && !self->repos)) {
        cw_analyzer_destroy(&self);
        return NULL;
    }
    for (size_t i = 0; i < config->repo_count; i++) {
        const cw_repo_t *r = &config->repos[i];
        if (!r->enabled || !r->path)
            continue;
        s_repo_t *dst = &self->repos[self->repo_count];
        dst->name = strdup(r->name ? r->name : r->path);
        dst->path = strdup(r->path);
        dst->weight = r->weight < 1 ? 1 : r->weight > 10 ? 10 : r->weight;
        self->repo_count++;
        if (!dst->name || !dst->path) {
            cw_analyzer_destroy(&self);
            return NULL;
        }
    }
    return self;
}

void cw_analyzer_destroy(cw_analyzer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cw_analyzer_t *self = *self_p;
    for (size_t i = 0; i < self->repo_count; i++) {
        free(self->repos[i].name);
        free(self->repos[i].path);
    }
    free(self->repos);
    cw_patterns_destroy(&self->include);
    cw_patterns_destroy(&self->exclude);
    if (self->parser)
        ts_parser_delete(self->parser);
    cw_gitstats_destroy(&self->git);
    free(self);
    *self_p = NULL;
}

size_t cw_analyzer_files_scanned(const cw_analyzer_t *self)
{
    return self ? self->files_scanned : 0;
}

void cw_analyzer_set_now(cw_analyzer_t *self, time_t now)
{
    if (self)
        self->now = now;
}

void cw_analyzer_set_seed(cw_analyzer_t *self, uint64_t seed)
{
    if (self)
        self->rng = seed ? seed : 0x9E3779B97F4A7C15ULL;
}

/* ------------------------------------------------------------------ requests */

typedef enum { S_OK = 0, S_BAD_REQUEST, S_INTERNAL } s_status_t;

static s_status_t s_fail(char *err, size_t errlen, s_status_t status, const char *fmt,
                         const char *arg)
{
    if (err && errlen)
        snprintf(err, errlen, fmt, arg);
    return status;
}

/* Resolve `repo` (NULL = all configured, in weighted random order). Fills refs (path and
   name strings point into self or into `buf`). */
static s_status_t s_resolve_repos(cw_analyzer_t *self, const char *repo, s_repo_ref_t *refs,
                                  size_t *count, char *buf, size_t buflen, char *err, size_t errlen)
{
    *count = 0;
    if (!repo) {
        if (self->repo_count == 0)
            return s_fail(err, errlen, S_BAD_REQUEST, "%s", "No repositories configured");
        /* weighted draw without replacement */
        bool *taken = calloc(self->repo_count, sizeof *taken);
        if (!taken)
            return s_fail(err, errlen, S_INTERNAL, "%s", "out of memory");
        for (size_t n = 0; n < self->repo_count; n++) {
            uint64_t total = 0;
            for (size_t i = 0; i < self->repo_count; i++)
                if (!taken[i])
                    total += (uint64_t)self->repos[i].weight;
            uint64_t pick = self->repo_count - n > 1 ? s_next(self) % total : 0;
            for (size_t i = 0; i < self->repo_count; i++) {
                if (taken[i])
                    continue;
                if (pick < (uint64_t)self->repos[i].weight) {
                    taken[i] = true;
                    refs[(*count)++] = (s_repo_ref_t){self->repos[i].name, self->repos[i].path};
                    break;
                }
                pick -= (uint64_t)self->repos[i].weight;
            }
        }
        free(taken);
        return S_OK;
    }
    for (size_t i = 0; i < self->repo_count; i++)
        if (strcmp(self->repos[i].name, repo) == 0) {
            refs[0] = (s_repo_ref_t){self->repos[i].name, self->repos[i].path};
            *count = 1;
            return S_OK;
        }
    char real[PATH_MAX];
    struct stat st;
    if (!realpath(repo, real) || stat(real, &st) != 0 || !S_ISDIR(st.st_mode))
        return s_fail(err, errlen, S_BAD_REQUEST, "unknown repository: %.200s", repo);
    /* a configured repository given by path keeps its name */
    for (size_t i = 0; i < self->repo_count; i++) {
        char other[PATH_MAX];
        if (realpath(self->repos[i].path, other) && strcmp(other, real) == 0) {
            refs[0] = (s_repo_ref_t){self->repos[i].name, self->repos[i].path};
            *count = 1;
            return S_OK;
        }
    }
    if (strlen(real) >= buflen)
        return s_fail(err, errlen, S_BAD_REQUEST, "%s", "repository path too long");
    strcpy(buf, real);
    const char *base = strrchr(buf, '/');
    base = base && base[1] ? base + 1 : buf;
    refs[0] = (s_repo_ref_t){base, buf};
    *count = 1;
    return S_OK;
}

static cw_value_t *s_candidates(cw_analyzer_t *self, const char *doc_type, const char *repo,
                                size_t limit, char *err, size_t errlen, s_status_t *status)
{
    *status = S_OK;
    self->files_scanned = 0;
    if (!doc_type || !*doc_type)
        doc_type = cw_doc_type_name(CW_DOC_FUNCTION);
    if (repo && !*repo)
        repo = NULL;
    int type = cw_doc_type_from_name(doc_type);
    if (type < 0 || type >= CW_DOC_TYPE_COUNT) {
        *status = s_fail(err, errlen, S_BAD_REQUEST, "unknown doc_type: %.64s", doc_type);
        return NULL;
    }
    doc_type = cw_doc_type_name(type);
    if (limit == 0)
        limit = DEFAULT_LIMIT;
    if (limit > MAX_LIMIT)
        limit = MAX_LIMIT;
    size_t nrefs = self->repo_count > 0 ? self->repo_count : 1;
    s_repo_ref_t *refs = calloc(nrefs, sizeof *refs);
    char *pathbuf = malloc(PATH_MAX);
    if (!refs || !pathbuf) {
        free(refs);
        free(pathbuf);
        *status = s_fail(err, errlen, S_INTERNAL, "%s", "out of memory");
        return NULL;
    }
    size_t count = 0;
    *status = s_resolve_repos(self, repo, refs, &count, pathbuf, PATH_MAX, err, errlen);
    cw_value_t *result = *status == S_OK ? cw_value_new_array() : NULL;
    if (*status == S_OK && !result)
        *status = s_fail(err, errlen, S_INTERNAL, "%s", "out of memory");
    s_producer_fn *produce = s_producers[type];
    for (size_t r = 0; result && produce && r < count && cw_value_size(result) < limit; r++) {
        s_cands_t set = {.keep = limit - cw_value_size(result)};
        if (produce(self, &refs[r], &set) != 0) {
            cw_warn("repo_unreadable", CW_LS("repo", refs[r].name), CW_LS("path", refs[r].path),
                    CW_LEND);
            s_cands_free(&set);
            continue;
        }
        s_cands_trim(&set);
        for (size_t i = 0; i < set.count; i++) {
            cw_value_t *t = s_target(&set.items[i], doc_type, refs[r].name);
            if (t)
                cw_array_push(result, t);
        }
        s_cands_free(&set);
    }
    free(refs);
    free(pathbuf);
    return result;
}

cw_value_t *cw_analyzer_candidates(cw_analyzer_t *self, const char *doc_type, const char *repo,
                                   size_t limit, char *err, size_t errlen)
{
    if (!self) {
        s_fail(err, errlen, S_INTERNAL, "%s", "no analyzer");
        return NULL;
    }
    s_status_t status;
    return s_candidates(self, doc_type, repo, limit, err, errlen, &status);
}

static int64_t s_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

cw_value_t *cw_analyzer_handle(cw_analyzer_t *self, const cw_value_t *request)
{
    char job_id[65] = "";
    const char *jid = cw_map_str(request, "job_id", "");
    snprintf(job_id, sizeof job_id, "%s", jid);
    const char *type = cw_proto_type(request);
    if (!self || !type || strcmp(type, CW_MSG_ANALYZE_REQUEST) != 0)
        return cw_proto_new_error(job_id, CW_ERR_BAD_REQUEST, "expected an analyze_request", false);
    const char *doc_type = cw_map_str(request, "doc_type", NULL);
    const char *repo = cw_map_str(request, "repo", NULL);
    int64_t limit = DEFAULT_LIMIT;
    const cw_value_t *lv = cw_map_get(request, "limit");
    if (lv && cw_value_kind(lv) != CW_VAL_NIL) {
        if (cw_value_kind(lv) != CW_VAL_INT || cw_value_int(lv) < 1 || cw_value_int(lv) > MAX_LIMIT)
            return cw_proto_new_error(job_id, CW_ERR_BAD_REQUEST,
                                      "limit must be an integer from 1 to 1000", false);
        limit = cw_value_int(lv);
    }
    int64_t start = s_mono_ms();
    char err[512] = "";
    s_status_t status;
    cw_value_t *targets =
        s_candidates(self, doc_type, repo, (size_t)limit, err, sizeof err, &status);
    if (!targets) {
        cw_warn("analyze_failed", CW_LS("job_id", job_id), CW_LS("error", err), CW_LEND);
        bool bad = status == S_BAD_REQUEST;
        return cw_proto_new_error(job_id, bad ? CW_ERR_BAD_REQUEST : CW_ERR_INTERNAL, err, !bad);
    }
    int64_t elapsed = s_mono_ms() - start;
    cw_value_t *reply = cw_proto_new(CW_MSG_ANALYZE_REPLY);
    if (!reply) {
        cw_value_destroy(&targets);
        return NULL;
    }
    size_t n = cw_value_size(targets);
    cw_map_set_str(reply, "job_id", job_id);
    cw_map_set(reply, "targets", targets);
    cw_map_set_int(reply, "files_scanned", (int64_t)self->files_scanned);
    cw_map_set_int(reply, "elapsed_ms", elapsed);
    cw_info("analyzed", CW_LS("job_id", job_id), CW_LS("doc_type", doc_type ? doc_type : ""),
            CW_LS("repo", repo ? repo : ""), CW_LI("targets", n),
            CW_LI("files_scanned", self->files_scanned), CW_LI("elapsed_ms", elapsed), CW_LEND);
    return reply;
}
