/*  cw_gitstats — one libgit2 history walk per repository, per-file statistics. */
#include "cw_gitstats.h"

#include <czmq.h>
#include <git2.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cw_log.h"

#define MAX_AUTHORS 64
#define MAX_CACHED_REPOS 64
#define DAY 86400

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
};

struct _cw_gitstats_t {
    cw_repo_history_t *repos[MAX_CACHED_REPOS];
    size_t count;
    bool git_ready;
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

void cw_gitstats_destroy(cw_gitstats_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cw_gitstats_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++)
        s_history_destroy(&self->repos[i]);
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
    git_oid oid;
    git_diff_options opts;
    git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
    opts.flags |= GIT_DIFF_SKIP_BINARY_CHECK;
    while (h->walked < CW_GITSTATS_MAX_COMMITS && git_revwalk_next(&oid, walk) == 0) {
        git_commit *commit = NULL;
        if (git_commit_lookup(&commit, repo, &oid) != 0)
            continue;
        int64_t when = (int64_t)git_commit_time(commit);
        if (when < cutoff) {
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

const cw_repo_history_t *cw_gitstats_repo(cw_gitstats_t *self, const char *dir, time_t now)
{
    if (!self || !dir)
        return NULL;
    char real[PATH_MAX];
    if (!realpath(dir, real))
        return NULL;
    git_repository *repo = NULL;
    if (git_repository_open_ext(&repo, real, 0, NULL) != 0) {
        cw_debug("git_not_a_repository", CW_LS("dir", real), CW_LEND);
        return NULL;
    }
    git_oid head;
    if (git_repository_is_bare(repo) || git_reference_name_to_id(&head, repo, "HEAD") != 0) {
        cw_debug("git_no_history", CW_LS("dir", real), CW_LEND);
        git_repository_free(repo);
        return NULL;
    }
    for (size_t i = 0; i < self->count; i++) {
        cw_repo_history_t *h = self->repos[i];
        if (strcmp(h->dir, real) == 0) {
            if (git_oid_equal(&h->head, &head)) {
                git_repository_free(repo);
                return h;
            }
            s_history_destroy(&self->repos[i]);
            self->repos[i] = self->repos[--self->count];
            break;
        }
    }
    cw_repo_history_t *h = calloc(1, sizeof *h);
    if (!h) {
        git_repository_free(repo);
        return NULL;
    }
    h->head = head;
    h->dir = strdup(real);
    h->files = zhashx_new();
    /* the directory's place in the work tree */
    const char *wd = git_repository_workdir(repo);
    char wd_real[PATH_MAX];
    const char *prefix = "";
    if (wd && realpath(wd, wd_real)) {
        size_t wl = strlen(wd_real);
        if (strncmp(real, wd_real, wl) == 0 && real[wl] == '/')
            prefix = real + wl + 1;
    }
    size_t pl = strlen(prefix);
    h->prefix = malloc(pl + 2);
    if (!h->dir || !h->files || !h->prefix) {
        s_history_destroy(&h);
        git_repository_free(repo);
        return NULL;
    }
    memcpy(h->prefix, prefix, pl);
    if (pl > 0)
        h->prefix[pl++] = '/';
    h->prefix[pl] = '\0';
    zhashx_set_destructor(h->files, s_file_destroy);
    s_walk(h, repo, now);
    git_repository_free(repo);
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof hex, &head);
    cw_debug("git_history_walked", CW_LS("dir", real), CW_LS("head", hex),
             CW_LI("commits", h->walked), CW_LI("files", zhashx_size(h->files)), CW_LEND);
    if (self->count == MAX_CACHED_REPOS) {
        s_history_destroy(&self->repos[0]);
        memmove(&self->repos[0], &self->repos[1], (MAX_CACHED_REPOS - 1) * sizeof self->repos[0]);
        self->count--;
    }
    self->repos[self->count++] = h;
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
