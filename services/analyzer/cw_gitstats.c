/*  cw_gitstats — one libgit2 history walk per repository, per-file statistics. */
#include "cw_gitstats.h"
#include "cw_buf.h"

#include <czmq.h>
#include <git2.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cw_extract.h"
#include "cw_lang.h"
#include "cw_log.h"

#define MAX_AUTHORS 64
#define MAX_CACHED_REPOS 64
#define MAX_CACHED_CHANGES 16
#define MAX_CACHE_FILE (256 * 1024 * 1024)
#define MAX_MESSAGE 1000
#define MAX_PATCH (8 * 1024 * 1024) /* larger patches are left out */
#define DAY 86400
static const char s_magic[8] = {'C', 'W', 'G', 'S', '0', '0', '0', '1'};

typedef struct {
    int64_t times[CW_GITSTATS_PER_FILE]; /* newest first */
    int count;
    uint64_t authors[MAX_AUTHORS];
    int author_count;
} s_file_t;

struct _cw_repo_history_t {
    char *dir;    /* realpath of the directory asked about */
    char *prefix; /* that directory relative to the work tree, "" or "sub/dir/" */
    git_oid head;
    zhashx_t *files; /* repo-relative path -> s_file_t */
    int walked;
    int64_t cutoff; /* commits older than this were not looked at... */
    bool complete;  /* ...unless the walk reached the first commit */
};

typedef struct {
    char *dir;
    git_oid head;
    cw_change_t *items;
    size_t count;
} s_changes_t;

struct _cw_gitstats_t {
    cw_repo_history_t *repos[MAX_CACHED_REPOS];
    size_t count;
    s_changes_t changes[MAX_CACHED_CHANGES];
    size_t change_count;
    char *cache_dir;
    size_t walks;
    bool git_ready;
    char note[PATH_MAX + 256]; /* about the last directory opened ("" = history read) */
};

static void s_file_destroy(void **item)
{
    free(*item);
    *item = NULL;
}

static void s_history_destroy(cw_repo_history_t **h_p)
{
    if (!h_p || !*h_p)
        return;
    cw_repo_history_t *h = *h_p;
    free(h->dir);
    free(h->prefix);
    zhashx_destroy(&h->files);
    free(h);
    *h_p = NULL;
}

cw_gitstats_t *cw_gitstats_new(void)
{
    cw_gitstats_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->git_ready = git_libgit2_init() > 0;
    return self;
}

static void s_change_files_free(cw_change_file_t *files, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(files[i].path);
    free(files);
}

static void s_changes_clear(s_changes_t *c)
{
    for (size_t i = 0; i < c->count; i++) {
        free(c->items[i].file);
        free(c->items[i].message);
        free(c->items[i].author);
        free(c->items[i].diff);
        s_change_files_free(c->items[i].files, c->items[i].file_count);
    }
    free(c->items);
    free(c->dir);
    memset(c, 0, sizeof *c);
}

void cw_gitstats_destroy(cw_gitstats_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cw_gitstats_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++)
        s_history_destroy(&self->repos[i]);
    for (size_t i = 0; i < self->change_count; i++)
        s_changes_clear(&self->changes[i]);
    free(self->cache_dir);
    if (self->git_ready)
        git_libgit2_shutdown();
    free(self);
    *self_p = NULL;
}

static uint64_t s_fnv(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; s && *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

static void s_record(cw_repo_history_t *h, const char *path, int64_t when, uint64_t author)
{
    if (!path || strlen(path) >= PATH_MAX)
        return;
    s_file_t *f = zhashx_lookup(h->files, path);
    if (!f) {
        f = calloc(1, sizeof *f);
        if (!f)
            return;
        if (zhashx_insert(h->files, path, f) != 0) {
            free(f);
            return;
        }
    }
    if (f->count < CW_GITSTATS_PER_FILE)
        f->times[f->count++] = when;
    else
        return; /* the reference looks at the last 100 commits of a file */
    for (int i = 0; i < f->author_count; i++)
        if (f->authors[i] == author)
            return;
    if (f->author_count < MAX_AUTHORS)
        f->authors[f->author_count++] = author;
}

static int s_walk(cw_repo_history_t *h, git_repository *repo, time_t now)
{
    git_revwalk *walk = NULL;
    if (git_revwalk_new(&walk, repo) != 0)
        return -1;
    git_revwalk_sorting(walk, GIT_SORT_TIME);
    if (git_revwalk_push(walk, &h->head) != 0) {
        git_revwalk_free(walk);
        return -1;
    }
    int64_t cutoff = (int64_t)now - (int64_t)CW_GITSTATS_WINDOW_DAYS * DAY;
    h->cutoff = cutoff;
    h->complete = true;
    git_oid oid;
    git_diff_options opts;
    git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
    opts.flags |= GIT_DIFF_SKIP_BINARY_CHECK;
    while (git_revwalk_next(&oid, walk) == 0) {
        if (h->walked >= CW_GITSTATS_MAX_COMMITS)
            break; /* the same first commits for any clock: as good as complete */
        git_commit *commit = NULL;
        if (git_commit_lookup(&commit, repo, &oid) != 0)
            continue;
        int64_t when = (int64_t)git_commit_time(commit);
        if (when < cutoff) {
            h->complete = false;
            git_commit_free(commit);
            break;
        }
        h->walked++;
        const git_signature *author = git_commit_author(commit);
        uint64_t who = s_fnv(author ? author->email : "");
        git_tree *tree = NULL, *ptree = NULL;
        git_commit *parent = NULL;
        git_diff *diff = NULL;
        if (git_commit_tree(&tree, commit) == 0) {
            if (git_commit_parentcount(commit) > 0 && git_commit_parent(&parent, commit, 0) == 0)
                git_commit_tree(&ptree, parent);
            if (git_diff_tree_to_tree(&diff, repo, ptree, tree, &opts) == 0) {
                size_t n = git_diff_num_deltas(diff);
                for (size_t i = 0; i < n; i++) {
                    const git_diff_delta *d = git_diff_get_delta(diff, i);
                    if (d)
                        s_record(h, d->new_file.path ? d->new_file.path : d->old_file.path, when,
                                 who);
                }
            }
        }
        git_diff_free(diff);
        git_tree_free(ptree);
        git_tree_free(tree);
        git_commit_free(parent);
        git_commit_free(commit);
    }
    git_revwalk_free(walk);
    return 0;
}

/* ------------------------------------------------------------------ disk cache */

int cw_gitstats_set_cache_dir(cw_gitstats_t *self, const char *dir)
{
    if (!self)
        return -1;
    free(self->cache_dir);
    self->cache_dir = NULL;
    if (!dir || !*dir)
        return 0;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        cw_warn("git_cache_dir_unusable", CW_LS("dir", dir), CW_LS("error", strerror(errno)),
                CW_LEND);
        return -1;
    }
    self->cache_dir = strdup(dir);
    return self->cache_dir ? 0 : -1;
}

size_t cw_gitstats_walks(const cw_gitstats_t *self)
{
    return self ? self->walks : 0;
}

static int s_cache_path(const cw_gitstats_t *self, const char *real, char *out, size_t outlen)
{
    if (!self->cache_dir)
        return -1;
    int n = snprintf(out, outlen, "%s/git-%016llx.bin", self->cache_dir,
                     (unsigned long long)s_fnv(real));
    return n > 0 && (size_t)n < outlen ? 0 : -1;
}

typedef struct {
    const unsigned char *p;
    size_t left;
    bool bad;
} s_rd_t;

static bool s_get(s_rd_t *r, void *out, size_t n)
{
    if (r->bad || r->left < n) {
        r->bad = true;
        return false;
    }
    memcpy(out, r->p, n);
    r->p += n;
    r->left -= n;
    return true;
}

static void s_cache_save(cw_gitstats_t *self, const cw_repo_history_t *h)
{
    char path[PATH_MAX], tmp[PATH_MAX + 16];
    if (s_cache_path(self, h->dir, path, sizeof path) != 0)
        return;
    cw_buf_t b;
    cw_buf_init(&b, MAX_CACHE_FILE);
    uint32_t dl = (uint32_t)strlen(h->dir);
    uint8_t complete = h->complete;
    int32_t walked = h->walked;
    uint32_t nfiles = (uint32_t)zhashx_size(h->files);
    cw_buf_append(&b, s_magic, sizeof s_magic);
    cw_buf_append(&b, &dl, sizeof dl);
    cw_buf_append(&b, h->dir, dl);
    cw_buf_append(&b, h->head.id, GIT_OID_RAWSZ);
    cw_buf_append(&b, &h->cutoff, sizeof h->cutoff);
    cw_buf_append(&b, &complete, 1);
    cw_buf_append(&b, &walked, sizeof walked);
    cw_buf_append(&b, &nfiles, sizeof nfiles);
    for (s_file_t *f = zhashx_first(h->files); f; f = zhashx_next(h->files)) {
        const char *key = zhashx_cursor(h->files);
        uint16_t kl = (uint16_t)strlen(key), count = (uint16_t)f->count,
                 authors = (uint16_t)f->author_count;
        cw_buf_append(&b, &kl, sizeof kl);
        cw_buf_append(&b, key, kl);
        cw_buf_append(&b, &count, sizeof count);
        cw_buf_append(&b, f->times, sizeof f->times[0] * count);
        cw_buf_append(&b, &authors, sizeof authors);
        cw_buf_append(&b, f->authors, sizeof f->authors[0] * authors);
    }
    uint64_t sum = s_fnv(""); /* checksum of everything above */
    for (size_t i = 0; !b.failed && i < b.len; i++) {
        sum ^= (unsigned char)b.data[i];
        sum *= 1099511628211ULL;
    }
    cw_buf_append(&b, &sum, sizeof sum);
    snprintf(tmp, sizeof tmp, "%s.%d.tmp", path, (int)getpid());
    FILE *f = b.failed ? NULL : fopen(tmp, "wb");
    bool ok = f && fwrite(b.data, 1, b.len, f) == b.len;
    if (f && fclose(f) != 0)
        ok = false;
    if (ok && rename(tmp, path) != 0)
        ok = false;
    if (!ok) {
        unlink(tmp);
        cw_debug("git_cache_not_written", CW_LS("path", path), CW_LEND);
    }
    cw_buf_free(&b);
}

/* The history cached on disk for `real` at `head`, or NULL (missing, stale or corrupt). */
static cw_repo_history_t *s_cache_load(cw_gitstats_t *self, const char *real, const git_oid *head,
                                       int64_t cutoff)
{
    char path[PATH_MAX];
    if (s_cache_path(self, real, path, sizeof path) != 0)
        return NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    struct stat st;
    char *data = NULL;
    size_t len = 0;
    if (fstat(fileno(fp), &st) == 0 && st.st_size > 0 && st.st_size <= MAX_CACHE_FILE) {
        len = (size_t)st.st_size;
        data = malloc(len);
        if (data && fread(data, 1, len, fp) != len) {
            free(data);
            data = NULL;
        }
    }
    fclose(fp);
    if (!data) {
        cw_warn("git_cache_discarded", CW_LS("path", path), CW_LS("reason", "unreadable"), CW_LEND);
        unlink(path);
        return NULL;
    }
    cw_repo_history_t *h = NULL;
    const char *reason = NULL;
    uint64_t sum = s_fnv(""), stored = 0;
    for (size_t i = 0; len >= 8 && i < len - 8; i++) {
        sum ^= (unsigned char)data[i];
        sum *= 1099511628211ULL;
    }
    if (len >= 8)
        memcpy(&stored, data + len - 8, 8);
    s_rd_t r = {(const unsigned char *)data, len >= 8 ? len - 8 : 0, false};
    char magic[8];
    uint32_t dl = 0;
    if (len < 8 || stored != sum || !s_get(&r, magic, 8) || memcmp(magic, s_magic, 8) != 0 ||
        !s_get(&r, &dl, sizeof dl) || dl != strlen(real) || r.left < dl) {
        reason = "corrupt";
        goto done;
    }
    if (memcmp(r.p, real, dl) != 0) {
        reason = "other repository"; /* a hash collision: walk again */
        goto done;
    }
    r.p += dl;
    r.left -= dl;
    unsigned char oid[GIT_OID_RAWSZ];
    int64_t ccutoff = 0;
    uint8_t complete = 0;
    int32_t walked = 0;
    uint32_t nfiles = 0;
    if (!s_get(&r, oid, sizeof oid) || !s_get(&r, &ccutoff, sizeof ccutoff) ||
        !s_get(&r, &complete, 1) || !s_get(&r, &walked, sizeof walked) ||
        !s_get(&r, &nfiles, sizeof nfiles) || walked < 0 || nfiles > r.left / 6) {
        reason = "corrupt";
        goto done;
    }
    if (memcmp(oid, head->id, GIT_OID_RAWSZ) != 0 || (!complete && ccutoff > cutoff))
        goto done; /* stale: HEAD moved, or a window that does not reach back far enough */
    h = calloc(1, sizeof *h);
    if (!h || !(h->dir = strdup(real)) || !(h->files = zhashx_new())) {
        s_history_destroy(&h);
        goto done;
    }
    zhashx_set_destructor(h->files, s_file_destroy);
    git_oid_cpy(&h->head, head);
    h->cutoff = ccutoff;
    h->complete = complete != 0;
    h->walked = walked;
    for (uint32_t i = 0; i < nfiles; i++) {
        uint16_t kl = 0, count = 0, authors = 0;
        char key[PATH_MAX];
        if (!s_get(&r, &kl, sizeof kl) || kl == 0 || kl >= sizeof key || !s_get(&r, key, kl))
            break;
        key[kl] = '\0';
        s_file_t *f = calloc(1, sizeof *f);
        if (!f || !s_get(&r, &count, sizeof count) || count > CW_GITSTATS_PER_FILE ||
            !s_get(&r, f->times, sizeof f->times[0] * count) ||
            !s_get(&r, &authors, sizeof authors) || authors > MAX_AUTHORS ||
            !s_get(&r, f->authors, sizeof f->authors[0] * authors) || memchr(key, 0, kl)) {
            free(f);
            r.bad = true;
            break;
        }
        f->count = count;
        f->author_count = authors;
        if (zhashx_insert(h->files, key, f) != 0) {
            free(f);
            r.bad = true;
            break;
        }
    }
    if (r.bad || r.left != 0) {
        s_history_destroy(&h);
        reason = "corrupt";
    }
done:
    free(data);
    if (reason) {
        cw_warn("git_cache_discarded", CW_LS("path", path), CW_LS("reason", reason), CW_LEND);
        unlink(path);
    }
    return h;
}

/* ------------------------------------------------------------------ history */

/* Open the repository around `real` without libgit2's ownership check (git's
   safe.directory): for a repository another user owns (containers, shared servers). The
   analyzer only reads objects and refs, never writes into the repository nor runs anything
   its configuration names, which is what the check guards against. The option is global to
   libgit2: it is restored at once. */
static int s_open_other_owner(git_repository **repo, const char *real)
{
    int was = 1;
    git_libgit2_opts(GIT_OPT_GET_OWNER_VALIDATION, &was);
    git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
    int rc = git_repository_open_ext(repo, real, 0, NULL);
    git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, was);
    return rc;
}

/* Open the repository around `real` and read HEAD; self->note says why not, or that the
   repository belongs to another user. */
static git_repository *s_open(cw_gitstats_t *self, const char *real, git_oid *head)
{
    git_repository *repo = NULL;
    self->note[0] = '\0';
    int rc = git_repository_open_ext(&repo, real, 0, NULL);
    if (rc != 0) {
        /* libgit2 refuses a repository another user owns ("repository path ... is not owned
           by current user"; 1.5 even reports it as "config value 'safe.directory' was not
           found", GIT_ENOTFOUND): when opening without the check works, that was the cause */
        const git_error *e = git_error_last();
        char why[256];
        snprintf(why, sizeof why, "%s", e && e->message ? e->message : "");
        int first = rc;
        if (s_open_other_owner(&repo, real) == 0) {
            rc = 0;
            const char *wd = git_repository_workdir(repo);
            struct stat st;
            long owner = wd && stat(wd, &st) == 0 ? (long)st.st_uid : -1;
            snprintf(self->note, sizeof self->note,
                     "%s: its git repository belongs to another user (uid %ld); its history is "
                     "read read-only (nothing is written into it)",
                     real, owner);
            cw_debug("git_repository_other_owner", CW_LS("dir", real), CW_LI("owner_uid", owner),
                     CW_LS("libgit2", why), CW_LEND);
        } else {
            rc = first;
        }
    }
    if (rc != 0) {
        const git_error *e = git_error_last();
        bool none = rc == GIT_ENOTFOUND;
        snprintf(self->note, sizeof self->note,
                 none ? "%s is not in a git repository: analyzed without history statistics "
                        "(churn, novelty) and without code_evolution"
                      : "%s: its git repository cannot be read (%s): analyzed without history",
                 real, e && e->message ? e->message : "unknown error");
        if (none)
            cw_debug("git_not_a_repository", CW_LS("dir", real), CW_LEND);
        else
            cw_warn("git_repository_unreadable", CW_LS("dir", real),
                    CW_LS("error", e && e->message ? e->message : ""), CW_LEND);
        return NULL;
    }
    if (git_repository_is_bare(repo) || git_reference_name_to_id(head, repo, "HEAD") != 0) {
        snprintf(self->note, sizeof self->note,
                 "%s: the git repository has no commits yet: analyzed without history", real);
        cw_debug("git_no_history", CW_LS("dir", real), CW_LEND);
        git_repository_free(repo);
        return NULL;
    }
    return repo;
}

const char *cw_gitstats_note(const cw_gitstats_t *self)
{
    return self ? self->note : "";
}

/* `real` relative to the work tree, "" or "sub/dir/" (malloc'd). */
static char *s_prefix(git_repository *repo, const char *real)
{
    const char *wd = git_repository_workdir(repo);
    char wd_real[PATH_MAX];
    const char *prefix = "";
    if (wd && realpath(wd, wd_real)) {
        size_t wl = strlen(wd_real);
        if (strncmp(real, wd_real, wl) == 0 && real[wl] == '/')
            prefix = real + wl + 1;
    }
    size_t pl = strlen(prefix);
    char *out = malloc(pl + 2);
    if (!out)
        return NULL;
    memcpy(out, prefix, pl);
    if (pl > 0)
        out[pl++] = '/';
    out[pl] = '\0';
    return out;
}

static void s_remember(cw_gitstats_t *self, cw_repo_history_t *h)
{
    if (self->count == MAX_CACHED_REPOS) {
        s_history_destroy(&self->repos[0]);
        memmove(&self->repos[0], &self->repos[1], (MAX_CACHED_REPOS - 1) * sizeof self->repos[0]);
        self->count--;
    }
    self->repos[self->count++] = h;
}

const cw_repo_history_t *cw_gitstats_repo(cw_gitstats_t *self, const char *dir, time_t now)
{
    if (!self || !dir)
        return NULL;
    char real[PATH_MAX];
    if (!realpath(dir, real))
        return NULL;
    git_oid head;
    git_repository *repo = s_open(self, real, &head);
    if (!repo)
        return NULL;
    int64_t cutoff = (int64_t)now - (int64_t)CW_GITSTATS_WINDOW_DAYS * DAY;
    for (size_t i = 0; i < self->count; i++) {
        cw_repo_history_t *h = self->repos[i];
        if (strcmp(h->dir, real) == 0) {
            if (git_oid_equal(&h->head, &head) && (h->complete || h->cutoff <= cutoff)) {
                git_repository_free(repo);
                return h;
            }
            s_history_destroy(&self->repos[i]);
            self->repos[i] = self->repos[--self->count];
            break;
        }
    }
    cw_repo_history_t *h = s_cache_load(self, real, &head, cutoff);
    if (h) {
        h->prefix = s_prefix(repo, real);
        git_repository_free(repo);
        if (!h->prefix) {
            s_history_destroy(&h);
            return NULL;
        }
        cw_debug("git_history_cached", CW_LS("dir", real), CW_LI("commits", h->walked), CW_LEND);
        s_remember(self, h);
        return h;
    }
    h = calloc(1, sizeof *h);
    if (!h) {
        git_repository_free(repo);
        return NULL;
    }
    h->head = head;
    h->dir = strdup(real);
    h->files = zhashx_new();
    h->prefix = s_prefix(repo, real);
    if (!h->dir || !h->files || !h->prefix) {
        s_history_destroy(&h);
        git_repository_free(repo);
        return NULL;
    }
    zhashx_set_destructor(h->files, s_file_destroy);
    s_walk(h, repo, now);
    self->walks++;
    git_repository_free(repo);
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof hex, &head);
    cw_debug("git_history_walked", CW_LS("dir", real), CW_LS("head", hex),
             CW_LI("commits", h->walked), CW_LI("files", zhashx_size(h->files)), CW_LEND);
    s_cache_save(self, h);
    s_remember(self, h);
    return h;
}

void cw_gitstats_file(const cw_repo_history_t *history, const char *rel, time_t now,
                      cw_file_stats_t *out)
{
    memset(out, 0, sizeof *out);
    out->days_since_modified = CW_GITSTATS_NO_HISTORY_DAYS;
    if (!history || !rel)
        return;
    char key[PATH_MAX];
    if (snprintf(key, sizeof key, "%s%s", history->prefix, rel) >= (int)sizeof key)
        return;
    const s_file_t *f = zhashx_lookup(history->files, key);
    if (!f || f->count == 0)
        return;
    int64_t last = 0;
    for (int i = 0; i < f->count; i++) {
        int64_t t = f->times[i];
        if (t > last)
            last = t;
        if (t >= (int64_t)now - 30 * DAY)
            out->commits_30d++;
        if (t >= (int64_t)now - 90 * DAY)
            out->commits_90d++;
    }
    out->last_modified = last;
    int64_t age = (int64_t)now - last;
    out->days_since_modified = age > 0 ? (int)(age / DAY) : 0;
    out->authors = f->author_count;
    out->is_new = out->commits_90d <= 2 && out->days_since_modified <= 14;
}

int cw_gitstats_commits_walked(const cw_repo_history_t *history)
{
    return history ? history->walked : 0;
}

/* ------------------------------------------------------------------ recent changes */

typedef struct {
    cw_change_t *items;
    size_t count;
    size_t cap;
} s_change_list_t;

/* The files of one commit (code_evolution facts), computed once per commit. */
typedef struct {
    cw_change_file_t items[CW_GITSTATS_COMMIT_FILES];
    size_t count;
    int total;
    bool done;
} s_commit_files_t;

static void s_commit_files(git_diff *diff, const char *prefix, s_commit_files_t *cf)
{
    cf->done = true;
    size_t pl = strlen(prefix);
    size_t deltas = git_diff_num_deltas(diff);
    for (size_t i = 0; i < deltas; i++) {
        const git_diff_delta *d = git_diff_get_delta(diff, i);
        if (!d)
            continue;
        const char *path = d->status == GIT_DELTA_DELETED ? d->old_file.path : d->new_file.path;
        if (!path || strncmp(path, prefix, pl) != 0 || !path[pl])
            continue;
        cf->total++;
        if (cf->count == CW_GITSTATS_COMMIT_FILES || strlen(path + pl) >= PATH_MAX)
            continue;
        cw_change_file_t *f = &cf->items[cf->count];
        memset(f, 0, sizeof *f);
        f->status = d->status == GIT_DELTA_ADDED     ? 'A'
                    : d->status == GIT_DELTA_DELETED ? 'D'
                    : d->status == GIT_DELTA_RENAMED ? 'R'
                                                     : 'M';
        if (!(f->path = strdup(path + pl)))
            continue;
        git_patch *patch = NULL;
        if (d->new_file.size <= MAX_PATCH && d->old_file.size <= MAX_PATCH &&
            git_patch_from_diff(&patch, diff, i) == 0 && patch &&
            !(git_patch_get_delta(patch)->flags & GIT_DIFF_FLAG_BINARY)) {
            size_t adds = 0, dels = 0;
            git_patch_line_stats(NULL, &adds, &dels, patch);
            f->added = adds > INT32_MAX ? INT32_MAX : (int)adds;
            f->deleted = dels > INT32_MAX ? INT32_MAX : (int)dels;
        }
        git_patch_free(patch);
        cf->count++;
    }
}

/* A copy of the commit's files for the change of `rel`, that file first. */
static void s_copy_files(cw_change_t *c, const s_commit_files_t *cf, const char *rel)
{
    c->file_total = cf->total;
    if (cf->count == 0 || !(c->files = calloc(cf->count + 1, sizeof *c->files)))
        return;
    int own = -1;
    for (size_t i = 0; i < cf->count && own < 0; i++)
        if (strcmp(cf->items[i].path, rel) == 0)
            own = (int)i;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < cf->count; i++) {
            if ((pass == 0) != ((int)i == own))
                continue;
            cw_change_file_t *f = &c->files[c->file_count];
            *f = cf->items[i];
            if ((f->path = strdup(cf->items[i].path)) != NULL)
                c->file_count++;
        }
}

static void s_add_patch(s_change_list_t *list, git_patch *patch, const git_diff_delta *d,
                        const char *rel, git_commit *commit, const s_commit_files_t *cf)
{
    git_buf buf = {0};
    if (git_patch_to_buf(&buf, patch) != 0 || !buf.ptr) {
        git_buf_dispose(&buf);
        return;
    }
    if (list->count == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 32;
        cw_change_t *items = realloc(list->items, cap * sizeof *items);
        if (!items) {
            git_buf_dispose(&buf);
            return;
        }
        list->items = items;
        list->cap = cap;
    }
    cw_change_t *c = &list->items[list->count];
    memset(c, 0, sizeof *c);
    git_oid_tostr(c->short_hash, sizeof c->short_hash, git_commit_id(commit));
    git_oid_tostr(c->hash, sizeof c->hash, git_commit_id(commit));
    const char *summary = git_commit_summary(commit);
    const git_signature *author = git_commit_author(commit);
    c->file = strdup(rel);
    c->message =
        cw_strndup_utf8(summary ? summary : "", summary ? strlen(summary) : 0, MAX_MESSAGE);
    c->author = cw_strndup_utf8(author && author->name ? author->name : "",
                                author && author->name ? strlen(author->name) : 0, 256);
    c->when = (int64_t)git_commit_time(commit);
    c->is_new = d->status == GIT_DELTA_ADDED;
    size_t adds = 0, dels = 0;
    git_patch_line_stats(NULL, &adds, &dels, patch);
    c->added = adds > INT32_MAX ? INT32_MAX : (int)adds;
    c->deleted = dels > INT32_MAX ? INT32_MAX : (int)dels;
    c->diff_len = buf.size;
    c->diff = cw_strndup_utf8(buf.ptr, buf.size, CW_GITSTATS_DIFF_MAX);
    size_t hunks = git_patch_num_hunks(patch);
    for (size_t k = 0; k < hunks; k++) {
        const git_diff_hunk *hunk = NULL;
        if (git_patch_get_hunk(&hunk, NULL, patch, k) != 0 || !hunk)
            continue;
        int start = hunk->new_start, end = hunk->new_start + hunk->new_lines - 1;
        if (end < start)
            end = start;
        if (c->start_line == 0 || start < c->start_line)
            c->start_line = start;
        if (end > c->end_line)
            c->end_line = end;
    }
    git_buf_dispose(&buf);
    if (!c->file || !c->message || !c->author || !c->diff) {
        free(c->file);
        free(c->message);
        free(c->author);
        free(c->diff);
        return;
    }
    s_copy_files(c, cf, rel);
    list->count++;
}

static void s_collect_changes(git_repository *repo, const git_oid *head, const char *prefix,
                              s_change_list_t *list)
{
    git_revwalk *walk = NULL;
    if (git_revwalk_new(&walk, repo) != 0)
        return;
    git_revwalk_sorting(walk, GIT_SORT_TIME);
    if (git_revwalk_push(walk, head) != 0) {
        git_revwalk_free(walk);
        return;
    }
    size_t pl = strlen(prefix);
    zhashx_t *seen = zhashx_new(); /* files whose newest change was looked at */
    if (!seen) {
        git_revwalk_free(walk);
        return;
    }
    git_oid oid;
    for (int n = 0; n < CW_GITSTATS_CHANGE_COMMITS && git_revwalk_next(&oid, walk) == 0; n++) {
        git_commit *commit = NULL, *parent = NULL;
        git_tree *tree = NULL, *ptree = NULL;
        git_diff *diff = NULL;
        s_commit_files_t files = {.done = false};
        if (git_commit_lookup(&commit, repo, &oid) != 0)
            continue;
        if (git_commit_tree(&tree, commit) == 0) {
            if (git_commit_parentcount(commit) > 0 && git_commit_parent(&parent, commit, 0) == 0)
                git_commit_tree(&ptree, parent);
            if (git_diff_tree_to_tree(&diff, repo, ptree, tree, NULL) == 0) {
                size_t deltas = git_diff_num_deltas(diff);
                for (size_t i = 0; i < deltas; i++) {
                    const git_diff_delta *d = git_diff_get_delta(diff, i);
                    if (!d || !d->new_file.path)
                        continue;
                    const char *path = d->new_file.path;
                    if (strncmp(path, prefix, pl) != 0 || !path[pl])
                        continue;
                    const char *rel = path + pl;
                    if (strlen(rel) >= PATH_MAX || !cw_lang_for_path(rel) ||
                        zhashx_lookup(seen, rel))
                        continue;
                    /* a deleted file's older changes are not news any more */
                    zhashx_insert(seen, rel, (void *)1);
                    if (d->status == GIT_DELTA_DELETED || d->new_file.size > MAX_PATCH ||
                        d->old_file.size > MAX_PATCH)
                        continue;
                    git_patch *patch = NULL;
                    if (git_patch_from_diff(&patch, diff, i) != 0 || !patch)
                        continue;
                    const git_diff_delta *pd = git_patch_get_delta(patch);
                    if (!(pd->flags & GIT_DIFF_FLAG_BINARY)) {
                        if (!files.done)
                            s_commit_files(diff, prefix, &files);
                        s_add_patch(list, patch, d, rel, commit, &files);
                    }
                    git_patch_free(patch);
                }
            }
        }
        for (size_t k = 0; k < files.count; k++)
            free(files.items[k].path);
        git_diff_free(diff);
        git_tree_free(ptree);
        git_tree_free(tree);
        git_commit_free(parent);
        git_commit_free(commit);
    }
    zhashx_destroy(&seen);
    git_revwalk_free(walk);
}

const cw_change_t *cw_gitstats_changes(cw_gitstats_t *self, const char *dir, size_t *count)
{
    if (count)
        *count = 0;
    if (!self || !dir || !count)
        return NULL;
    char real[PATH_MAX];
    if (!realpath(dir, real))
        return NULL;
    git_oid head;
    git_repository *repo = s_open(self, real, &head);
    if (!repo)
        return NULL;
    for (size_t i = 0; i < self->change_count; i++) {
        s_changes_t *c = &self->changes[i];
        if (strcmp(c->dir, real) != 0)
            continue;
        if (git_oid_equal(&c->head, &head)) {
            git_repository_free(repo);
            *count = c->count;
            return c->items;
        }
        s_changes_clear(c);
        self->changes[i] = self->changes[--self->change_count];
        break;
    }
    if (self->change_count == MAX_CACHED_CHANGES) {
        s_changes_clear(&self->changes[0]);
        memmove(&self->changes[0], &self->changes[1],
                (MAX_CACHED_CHANGES - 1) * sizeof self->changes[0]);
        self->change_count--;
    }
    char *prefix = s_prefix(repo, real);
    s_changes_t *slot = &self->changes[self->change_count];
    memset(slot, 0, sizeof *slot);
    slot->dir = strdup(real);
    if (!prefix || !slot->dir) {
        free(prefix);
        free(slot->dir);
        slot->dir = NULL;
        git_repository_free(repo);
        return NULL;
    }
    s_change_list_t list = {0};
    s_collect_changes(repo, &head, prefix, &list);
    free(prefix);
    git_repository_free(repo);
    slot->head = head;
    slot->items = list.items;
    slot->count = list.count;
    self->change_count++;
    cw_debug("git_changes_collected", CW_LS("dir", real), CW_LI("files", list.count), CW_LEND);
    *count = slot->count;
    return slot->items;
}
