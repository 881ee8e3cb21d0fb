/*  cw_analyzer — scan, extract, score and rank documentation targets. */
#include "cw_analyzer.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cw_buf.h"
#include "cw_gitstats.h"
#include "cw_index.h"
#include "cw_log.h"
#include "cw_proto.h"
#include "cw_redact.h"
#include "cw_scan.h"
#include "cw_score.h"
#include "cw_targets.h"

#define DEFAULT_LIMIT 20
#define MAX_LIMIT 1000          /* per bus request */
#define NO_LIMIT (SIZE_MAX / 4) /* limit 0 (the bound keeps cw_cands_t's sums from wrapping) */
#define INDEX_FILE "analyzer-index.db"
#define GIT_CACHE_DIR "analyzer-git"

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
    cw_index_t *index;
    cw_gitstats_t *git;
    time_t now;
    uint64_t rng;
    size_t files_scanned;
    size_t files_parsed;
    cw_buf_t notes;      /* cw_analyzer_notes, one per line (at most 64 KiB) */
    cw_redact_t *redact; /* secrets never leave the analyzer */
};

/* ------------------------------------------------------------------ kinds */

typedef struct {
    const char *name; /* display name */
    const char *path;
} s_repo_ref_t;

typedef int(s_producer_fn)(const cw_target_ctx_t *ctx, cw_cands_t *out);

typedef struct {
    s_producer_fn *produce; /* NULL = not produced by the analyzer (an empty answer) */
    bool index;             /* needs the scanned and indexed files */
    bool history;           /* needs the per-file git statistics */
} s_kind_t;

/* How the analyzer makes the targets of each source of doc types (cw_doctype: what a doc
   type is made from). Indexed by cw_doc_source_t. The summaries are made from the ledger,
   not from the code: the analyzer answers them with nothing. */
static const s_kind_t s_producers[CW_DOC_SOURCE_COUNT] = {
    [CW_DOC_FROM_FUNCTIONS] = {cw_targets_functions, true, true},
    [CW_DOC_FROM_CLASSES] = {cw_targets_classes, true, false},
    [CW_DOC_FROM_FILES] = {cw_targets_files, true, false},
    [CW_DOC_FROM_MODULES] = {cw_targets_modules, true, false},
    [CW_DOC_FROM_PATTERNS] = {cw_targets_patterns, true, false},
    [CW_DOC_FROM_COMMITS] = {cw_targets_evolution, false, false},
    [CW_DOC_FROM_LEDGER] = {NULL, false, false},
};

static time_t s_now(const cw_analyzer_t *self)
{
    return self->now ? self->now : time(NULL);
}

/* Add a line to the notes of this call (once). */
static void s_note(cw_analyzer_t *self, const char *note)
{
    if (!note || !*note || strstr(cw_buf_str(&self->notes), note))
        return;
    size_t add = strlen(note);
    if (cw_buf_room(&self->notes) <= add)
        return; /* the notes are full: the rest is left out */
    cw_buf_append(&self->notes, note, add);
    cw_buf_putc(&self->notes, '\n');
}

/* The git history of the repository around `root` (NULL: none; the reason noted). */
static const cw_repo_history_t *s_history(cw_analyzer_t *self, const char *root, time_t now)
{
    const cw_repo_history_t *h = cw_gitstats_repo(self->git, root, now);
    s_note(self, cw_gitstats_note(self->git));
    return h;
}

/* Scan `root` and bring its index records up to date (counting the files scanned and
   parsed). 0, or -1 (files and view left empty). */
static int s_index_repo(cw_analyzer_t *self, const char *root, cw_scan_list_t *files,
                        cw_index_view_t *view)
{
    if (cw_scan_repo(root, self->include, self->exclude, files) != 0)
        return -1;
    if (cw_index_refresh(self->index, root, files, view) != 0) {
        cw_scan_list_free(files);
        return -1;
    }
    self->files_parsed += cw_index_files_parsed(self->index);
    for (size_t i = 0; i < view->count; i++)
        if (view->files[i]->status == CW_READ_OK)
            self->files_scanned++;
    return 0;
}

/* What a request asks beyond doc type, repo and limit (issue 6: paging for backfill). */
typedef struct {
    size_t skip;  /* best candidates still to pass over (analyze_request.offset) */
    bool sources; /* false: targets carry source "" and no context */
    size_t total; /* candidates seen in all */
} s_page_t;

/* Candidates of one repository for one kind, the best page->skip + `keep` kept, the first
   page->skip of them passed over, the rest as target maps appended to `result`. -1 when
   the repository cannot be read. */
static int s_produce(cw_analyzer_t *self, const s_kind_t *kind, const s_repo_ref_t *repo,
                     const char *doc_type, size_t keep, s_page_t *page, cw_value_t *result)
{
    char root[PATH_MAX];
    if (!realpath(repo->path, root))
        return -1;
    cw_scan_list_t files = {0};
    cw_index_view_t view = {0};
    if (kind->index && s_index_repo(self, root, &files, &view) != 0)
        return -1;
    time_t now = s_now(self);
    cw_target_ctx_t ctx = {.root = root,
                           .view = &view,
                           .history = kind->history ? s_history(self, root, now) : NULL,
                           .git = self->git,
                           .now = now,
                           .min_complexity = self->min_complexity,
                           .min_lines = self->min_lines,
                           .max_lines = self->max_lines,
                           .include = self->include,
                           .exclude = self->exclude};
    cw_cands_t set = {.keep = page->skip + keep};
    if (!kind->index && !kind->history) {
        /* code_evolution reads the recent commits: say why there are none */
        size_t nchanges = 0;
        cw_gitstats_changes(self->git, root, &nchanges);
        s_note(self, cw_gitstats_note(self->git));
    }
    if (kind->produce(&ctx, &set) != 0)
        cw_warn("analyze_incomplete", CW_LS("repo", repo->name), CW_LS("reason", "out of memory"),
                CW_LEND);
    cw_cands_trim(&set);
    page->total += set.seen;
    for (size_t i = 0; i < set.count; i++) {
        if (page->skip > 0) {
            page->skip--;
            continue;
        }
        bool stale = false;
        cw_value_t *t = cw_cand_target(&set.items[i], root, doc_type, repo->name, &stale);
        if (t && !page->sources) {
            cw_map_set_str(t, "source", "");
            if (cw_map_get(t, "context"))
                cw_map_set_str(t, "context", "");
        }
        if (t) {
            char err[256];
            if (cw_proto_validate_target(t, err, sizeof err) == 0)
                cw_array_push(result, t);
            else {
                cw_warn_limited("target_invalid", CW_LS("file", set.items[i].file),
                                CW_LS("error", err), CW_LEND);
                cw_value_destroy(&t);
            }
        } else if (stale && set.items[i].record) {
            /* changed since it was indexed: read again next time */
            cw_index_invalidate(self->index, (cw_index_file_t *)set.items[i].record);
        }
    }
    cw_cands_free(&set);
    free(view.files);
    cw_scan_list_free(&files);
    return 0;
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
    cw_buf_init(&self->notes, 64 * 1024);
    self->min_complexity = config->analyzer.min_complexity;
    self->min_lines = config->analyzer.min_lines;
    self->max_lines = config->analyzer.max_lines;
    self->include = s_patterns(config->analyzer.include_patterns, config->analyzer.include_count);
    self->exclude = s_patterns(config->analyzer.exclude_patterns, config->analyzer.exclude_count);
    self->git = cw_gitstats_new();
    /* the index and the git cache live under data_dir (derived data, safe to delete) */
    char path[PATH_MAX];
    const char *threads_env = getenv("CW_ANALYZER_THREADS");
    int threads = threads_env ? atoi(threads_env) : 0;
    bool have_dir = config->data_dir && *config->data_dir;
    if (have_dir && cw_config_data_path(config, INDEX_FILE, path, sizeof path) == 0)
        self->index = cw_index_new(path, threads);
    else {
        if (have_dir)
            cw_warn("analyzer_index_memory_only", CW_LS("data_dir", config->data_dir), CW_LEND);
        self->index = cw_index_new(NULL, threads);
    }
    if (self->git && have_dir && cw_config_data_path(config, GIT_CACHE_DIR, path, sizeof path) == 0)
        cw_gitstats_set_cache_dir(self->git, path);
    cw_analyzer_set_seed(self, (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32));
    if (config->repo_count > 0)
        self->repos = calloc(config->repo_count, sizeof *self->repos);
    self->redact = cw_redact_new_for_config(config, NULL, 0);
    if (!self->include || !self->exclude || !self->index || !self->git || !self->redact ||
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
    cw_index_destroy(&self->index);
    cw_gitstats_destroy(&self->git);
    cw_buf_free(&self->notes);
    cw_redact_destroy(&self->redact);
    free(self);
    *self_p = NULL;
}

size_t cw_analyzer_files_scanned(const cw_analyzer_t *self)
{
    return self ? self->files_scanned : 0;
}

size_t cw_analyzer_files_parsed(const cw_analyzer_t *self)
{
    return self ? self->files_parsed : 0;
}

size_t cw_analyzer_git_walks(const cw_analyzer_t *self)
{
    return self ? cw_gitstats_walks(self->git) : 0;
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
                                size_t limit, s_page_t *page, char *err, size_t errlen,
                                s_status_t *status)
{
    *status = S_OK;
    self->files_scanned = 0;
    self->files_parsed = 0;
    cw_buf_clear(&self->notes);
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
        limit = NO_LIMIT;
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
    const s_kind_t *kind = &s_producers[cw_doctype(type)->source];
    for (size_t r = 0; result && kind->produce && r < count && cw_value_size(result) < limit; r++) {
        if (s_produce(self, kind, &refs[r], doc_type, limit - cw_value_size(result), page,
                      result) != 0)
            cw_warn("repo_unreadable", CW_LS("repo", refs[r].name), CW_LS("path", refs[r].path),
                    CW_LEND);
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
    s_page_t page = {.sources = true};
    return s_candidates(self, doc_type, repo, limit, &page, err, errlen, &status);
}

static int64_t s_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Secrets out of every text field of every target (any depth), before the reply leaves;
   each target carries its own count. Returns the total, -1 on OOM. */
static long s_redact_targets(cw_analyzer_t *self, cw_value_t **targets, const char *job_id)
{
    cw_value_t *out = cw_value_new_array();
    long total = 0;
    for (size_t i = 0; out && i < cw_value_size(*targets); i++) {
        cw_value_t *t = cw_value_clone(cw_array_at(*targets, i));
        long n = t ? cw_redact_value(self->redact, &t) : -1;
        if (n > 0)
            cw_map_set_int(t, "redactions", n);
        if (n < 0 || cw_array_push(out, t) != 0) {
            if (n < 0)
                cw_value_destroy(&t);
            cw_value_destroy(&out);
        }
        total += n;
    }
    if (!out)
        return -1;
    cw_value_destroy(targets);
    *targets = out;
    if (total > 0)
        cw_info("analyze_redacted", CW_LS("job_id", job_id), CW_LI("redactions", total), CW_LEND);
    return total;
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
    s_page_t page = {.sources = cw_map_bool(request, "sources", true)};
    const cw_value_t *ov = cw_map_get(request, "offset");
    if (ov && cw_value_kind(ov) != CW_VAL_NIL) {
        if (cw_value_kind(ov) != CW_VAL_INT || cw_value_int(ov) < 0 || cw_value_int(ov) > 10000000)
            return cw_proto_new_error(job_id, CW_ERR_BAD_REQUEST,
                                      "offset must be an integer from 0 to 10000000", false);
        page.skip = (size_t)cw_value_int(ov);
    }
    int64_t start = s_mono_ms();
    char err[512] = "";
    s_status_t status;
    cw_value_t *targets =
        s_candidates(self, doc_type, repo, (size_t)limit, &page, err, sizeof err, &status);
    if (!targets) {
        cw_warn("analyze_failed", CW_LS("job_id", job_id), CW_LS("error", err), CW_LEND);
        bool bad = status == S_BAD_REQUEST;
        return cw_proto_new_error(job_id, bad ? CW_ERR_BAD_REQUEST : CW_ERR_INTERNAL, err, !bad);
    }
    long redactions = s_redact_targets(self, &targets, job_id);
    if (redactions < 0) {
        cw_value_destroy(&targets);
        return cw_proto_new_error(job_id, CW_ERR_INTERNAL, "out of memory redacting", true);
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
    cw_map_set_int(reply, "files_parsed", (int64_t)self->files_parsed);
    cw_map_set_int(reply, "elapsed_ms", elapsed);
    cw_map_set_int(reply, "total", (int64_t)page.total);
    cw_map_set_int(reply, "redactions", redactions);
    cw_info("analyzed", CW_LS("job_id", job_id), CW_LS("doc_type", doc_type ? doc_type : ""),
            CW_LS("repo", repo ? repo : ""), CW_LI("targets", n),
            CW_LI("files_scanned", self->files_scanned), CW_LI("elapsed_ms", elapsed), CW_LEND);
    return reply;
}

/* ------------------------------------------------------------------ every function */

const char *cw_analyzer_notes(const cw_analyzer_t *self)
{
    return self ? cw_buf_str(&self->notes) : "";
}

/* The functions of one repository, in path then line order (the index keeps each file's
   functions in source order). -1 when the repository cannot be read, -2 when cb stopped. */
static long s_list_functions(cw_analyzer_t *self, const s_repo_ref_t *repo, cw_analyzer_fn_cb *cb,
                             void *arg)
{
    char root[PATH_MAX];
    if (!realpath(repo->path, root))
        return -1;
    cw_scan_list_t files = {0};
    cw_index_view_t view = {0};
    if (s_index_repo(self, root, &files, &view) != 0)
        return -1;
    time_t now = s_now(self);
    const cw_repo_history_t *history = s_history(self, root, now);
    long listed = 0;
    for (size_t i = 0; i < view.count && listed >= 0; i++) {
        const cw_index_file_t *f = view.files[i];
        if (f->status != CW_READ_OK || !f->lang)
            continue;
        cw_file_stats_t stats;
        cw_gitstats_file(history, f->rel, now, &stats);
        for (size_t k = 0; k < f->fn_count; k++) {
            const cw_index_fn_t *fn = &f->fns[k];
            double score = cw_index_fn_score(fn, stats.commits_30d, stats.days_since_modified);
            cw_value_t *m = cw_value_new_map();
            if (!m) {
                listed = -1;
                break;
            }
            cw_map_set_str(m, "repo", repo->name);
            cw_map_set_str(m, "file", f->rel);
            cw_map_set_str(m, "name", fn->name);
            cw_map_set_str(m, "class", fn->class_name);
            cw_map_set_str(m, "language", f->lang->name);
            cw_map_set_int(m, "start_line", fn->start_line);
            cw_map_set_int(m, "end_line", fn->end_line);
            cw_map_set_int(m, "complexity", fn->metrics.ccn);
            cw_map_set_int(m, "nloc", fn->metrics.nloc);
            cw_map_set_int(m, "tokens", fn->metrics.tokens);
            cw_map_set_int(m, "params", fn->metrics.params);
            cw_map_set_int(m, "nesting", fn->metrics.nesting);
            cw_map_set_float(m, "score", score);
            int stop = cb(m, arg);
            cw_value_destroy(&m);
            if (stop) {
                listed = -2;
                break;
            }
            listed++;
        }
    }
    free(view.files);
    cw_scan_list_free(&files);
    return listed;
}

long cw_analyzer_functions(cw_analyzer_t *self, const char *repo, cw_analyzer_fn_cb *cb, void *arg,
                           char *err, size_t errlen)
{
    if (!self || !cb) {
        s_fail(err, errlen, S_INTERNAL, "%s", "no analyzer");
        return -1;
    }
    self->files_scanned = 0;
    self->files_parsed = 0;
    cw_buf_clear(&self->notes);
    if (repo && !*repo)
        repo = NULL;
    size_t nrefs = self->repo_count > 0 ? self->repo_count : 1;
    s_repo_ref_t *refs = calloc(nrefs, sizeof *refs);
    char *pathbuf = malloc(PATH_MAX);
    if (!refs || !pathbuf) {
        free(refs);
        free(pathbuf);
        s_fail(err, errlen, S_INTERNAL, "%s", "out of memory");
        return -1;
    }
    size_t count = 0;
    s_status_t status = S_OK;
    if (!repo) {
        /* every configured repository, in config order */
        if (self->repo_count == 0)
            status = s_fail(err, errlen, S_BAD_REQUEST, "%s", "No repositories configured");
        for (size_t i = 0; i < self->repo_count; i++)
            refs[count++] = (s_repo_ref_t){self->repos[i].name, self->repos[i].path};
    } else {
        status = s_resolve_repos(self, repo, refs, &count, pathbuf, PATH_MAX, err, errlen);
    }
    long total = status == S_OK ? 0 : -1;
    for (size_t r = 0; total >= 0 && r < count; r++) {
        long n = s_list_functions(self, &refs[r], cb, arg);
        if (n == -1) {
            cw_warn("repo_unreadable", CW_LS("repo", refs[r].name), CW_LS("path", refs[r].path),
                    CW_LEND);
            char line[PATH_MAX + 64];
            snprintf(line, sizeof line, "%s cannot be read", refs[r].path);
            s_note(self, line);
            continue;
        }
        if (n == -2)
            break;
        total += n;
    }
    free(refs);
    free(pathbuf);
    return total;
}
