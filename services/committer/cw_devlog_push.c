/*  cw_devlog_push — pushing the DevLog: which remote, which credentials, what a failure
    means, and integrating a remote that moved on. See cw_devlog.h ("push"). */
#include "cw_devlog.h"

#include <errno.h>
#include <git2.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cw_devlog_int.h"
#include "cw_log.h"
#include "cw_proto.h"
#include "cw_text.h"

#define PUSH_MSG_MAX 2048
#define URL_MAX 4096
#define UPSTREAM_REF "refs/codeworm/upstream/"

/* ------------------------------------------------------------------ scrubbing */

void cw_devlog_scrub(char *text, size_t cap, const char *secret)
{
    if (!text || !cap)
        return;
    text[cap - 1] = '\0';
    /* URL credentials: the userinfo before "@" in "scheme:" "//user:pass@host" -> "***" */
    for (char *p = strstr(text, "://"); p; p = strstr(p, "://")) {
        char *start = p + 3;
        size_t span = strcspn(start, "/ \t\r\n'\"");
        char *at = NULL;
        for (size_t i = 0; i < span; i++)
            if (start[i] == '@')
                at = start + i;
        if (at && !(at - start == 3 && strncmp(start, "***", 3) == 0)) {
            memmove(start + 3, at, strlen(at) + 1);
            memcpy(start, "***", 3);
        }
        p = start;
    }
    if (!secret || !*secret)
        return;
    size_t sl = strlen(secret);
    for (char *p = strstr(text, secret); p; p = strstr(p, secret)) {
        /* "***" is never longer than a secret of 3+ bytes; shorter secrets are masked too */
        size_t rest = strlen(p + sl);
        if (sl >= 3) {
            memcpy(p, "***", 3);
            memmove(p + 3, p + sl, rest + 1);
            p += 3;
        } else {
            memset(p, '*', sl);
            p += sl;
        }
    }
}

const char *cw_push_result_name(cw_push_result_t r)
{
    switch (r) {
    case CW_PUSH_OK:
        return "pushed";
    case CW_PUSH_SKIPPED:
        return "not_configured";
    case CW_PUSH_FAILED:
        return "failed";
    case CW_PUSH_REFUSED:
        return "refused";
    case CW_PUSH_BLOCKED:
        return "blocked";
    }
    return "unknown";
}

/* ------------------------------------------------------------------ where to push */

typedef enum { SPEC_URL, SPEC_PATH, SPEC_NAME } s_spec_kind_t;

static s_spec_kind_t s_spec_kind(const char *spec)
{
    if (strstr(spec, "://"))
        return SPEC_URL;
    if (spec[0] == '/' || spec[0] == '.' || spec[0] == '~')
        return SPEC_PATH;
    /* scp-like "user@host:path" / "host:path": a colon before any slash */
    const char *colon = strchr(spec, ':');
    const char *slash = strchr(spec, '/');
    if (colon && colon > spec + 1 && (!slash || colon < slash))
        return SPEC_URL;
    return SPEC_NAME;
}

static bool s_is_loopback_http(const char *url)
{
    if (strncasecmp(url, "http://", 7) != 0)
        return false;
    const char *h = url + 7;
    const char *at = strchr(h, '@');
    const char *slash = strchr(h, '/');
    if (at && (!slash || at < slash))
        h = at + 1;
    return strncmp(h, "127.0.0.1", 9) == 0 || strncasecmp(h, "localhost", 9) == 0 ||
           strncmp(h, "[::1]", 5) == 0;
}

/* The URL to push to, in url. 0 ok, -1 REFUSED (reason in err), -2 transient. */
static int s_resolve(git_repository *repo, const char *repo_path, const char *spec, char *url,
                     size_t cap, char *err, size_t errlen)
{
    s_spec_kind_t kind = s_spec_kind(spec);
    if (kind == SPEC_NAME) {
        git_config *cfg = NULL;
        bool found = false;
        if (repo && git_repository_config_snapshot(&cfg, repo) == 0) {
            static const char *keys[] = {"pushurl", "url"};
            for (int k = 0; k < 2 && !found; k++) {
                char key[512];
                const char *val = NULL;
                snprintf(key, sizeof key, "remote.%.400s.%s", spec, keys[k]);
                if (git_config_get_string(&val, cfg, key) == 0 && val && *val) {
                    snprintf(url, cap, "%s", val);
                    found = true;
                }
            }
            git_config_free(cfg);
        }
        if (!found) {
            snprintf(err, errlen,
                     "devlog.remote is \"%.200s\", but the DevLog repository %.1000s has no remote "
                     "named \"%.200s\": add it (git -C %.1000s remote add %.200s <url>) or set "
                     "devlog.remote to the URL itself",
                     spec, repo_path, spec, repo_path, spec);
            return -1;
        }
        kind = s_spec_kind(url);
    } else
        snprintf(url, cap, "%s", spec);
    /* local paths (and file:// URLs) must exist: a missing mount may come back */
    const char *path = NULL;
    char expanded[PATH_MAX];
    if (kind == SPEC_PATH)
        path = url;
    else if (strncasecmp(url, "file://", 7) == 0)
        path = url + 7;
    if (path) {
        if (path[0] == '~' && (path[1] == '/' || path[1] == '\0') && getenv("HOME")) {
            snprintf(expanded, sizeof expanded, "%s%s", getenv("HOME"), path + 1);
            path = expanded;
            if (kind == SPEC_PATH)
                snprintf(url, cap, "%s", expanded);
        }
        struct stat st;
        if (stat(path, &st) != 0) {
            snprintf(err, errlen, "the remote path %.1000s does not exist", path);
            return -2;
        }
    }
    return 0;
}

int cw_devlog_check_remote(const char *devlog_path, const char *remote, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!remote || !*remote)
        return 0;
    git_libgit2_init();
    git_repository *repo = NULL;
    if (devlog_path && *devlog_path)
        git_repository_open_ext(&repo, devlog_path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
    char url[URL_MAX];
    int rc = s_resolve(repo, devlog_path ? devlog_path : "", remote, url, sizeof url, err, errlen);
    if (rc == -1 && !repo)
        snprintf(err, errlen,
                 "devlog.remote is \"%.200s\", a remote name, but the DevLog repository %.1000s "
                 "does not exist yet, so it has no such remote: set devlog.remote to a URL, or "
                 "add the remote after the DevLog is created",
                 remote, devlog_path ? devlog_path : "");
    git_repository_free(repo);
    git_libgit2_shutdown();
    return rc == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------ credentials */

typedef struct {
    const char *token;
    const char *ssh_key;
    bool token_ok;      /* the token may be sent to this URL */
    int userpass_calls; /* times git asked for a user and password */
    int ssh_calls;      /* times git asked for an ssh key */
    bool agent_tried;
    bool rejected; /* git asked again after we answered: the remote refused them */
    bool none;     /* git asked and we had nothing to give */
    char remote_msg[PUSH_MSG_MAX];
    size_t msg_len;
    char ref_status[512];
} s_ctx_t;

static const char *s_ssh_key_file(const s_ctx_t *ctx, int nth)
{
    static char path[PATH_MAX];
    if (ctx->ssh_key && *ctx->ssh_key)
        return nth == 0 ? ctx->ssh_key : NULL;
    static const char *names[] = {"id_ed25519", "id_ecdsa", "id_rsa"};
    const char *home = getenv("HOME");
    int found = 0;
    for (size_t i = 0; home && i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/.ssh/%s", home, names[i]);
        struct stat st;
        if (stat(path, &st) == 0 && found++ == nth)
            return path;
    }
    return NULL;
}

static int s_cb_credentials(git_credential **out, const char *url, const char *user_from_url,
                            unsigned int allowed, void *payload)
{
    s_ctx_t *ctx = payload;
    (void)url;
    const char *user = user_from_url && *user_from_url ? user_from_url : NULL;
    if (allowed & GIT_CREDENTIAL_USERNAME)
        return git_credential_username_new(out, user ? user : "git");
    if (allowed & GIT_CREDENTIAL_SSH_KEY) {
        int call = ctx->ssh_calls++;
        if (call == 0 && getenv("SSH_AUTH_SOCK") && !(ctx->ssh_key && *ctx->ssh_key)) {
            ctx->agent_tried = true;
            return git_credential_ssh_key_from_agent(out, user ? user : "git");
        }
        const char *key = s_ssh_key_file(ctx, call - (ctx->agent_tried ? 1 : 0));
        if (key) {
            char pub[PATH_MAX + 8];
            struct stat st;
            snprintf(pub, sizeof pub, "%s.pub", key);
            return git_credential_ssh_key_new(out, user ? user : "git",
                                              stat(pub, &st) == 0 ? pub : NULL, key, NULL);
        }
        if (call == 0)
            ctx->none = true;
        else
            ctx->rejected = true;
        return GIT_EUSER;
    }
    if (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) {
        if (!ctx->token_ok) {
            ctx->none = true;
            return GIT_EUSER;
        }
        if (ctx->userpass_calls++ > 0) {
            ctx->rejected = true;
            return GIT_EUSER;
        }
        return git_credential_userpass_plaintext_new(out, user ? user : "x-access-token",
                                                     ctx->token);
    }
    ctx->none = true;
    return GIT_EUSER;
}

static int s_cb_sideband(const char *str, int len, void *payload)
{
    s_ctx_t *ctx = payload;
    if (len <= 0)
        return 0;
    size_t room = sizeof ctx->remote_msg - 1 - ctx->msg_len;
    size_t n = (size_t)len < room ? (size_t)len : room;
    memcpy(ctx->remote_msg + ctx->msg_len, str, n);
    ctx->msg_len += n;
    ctx->remote_msg[ctx->msg_len] = '\0';
    return 0;
}

static int s_cb_update_ref(const char *refname, const char *status, void *payload)
{
    s_ctx_t *ctx = payload;
    if (status && !ctx->ref_status[0])
        snprintf(ctx->ref_status, sizeof ctx->ref_status, "%s rejected: %s", refname, status);
    return 0;
}

static void s_callbacks(git_remote_callbacks *cb, s_ctx_t *ctx)
{
    cb->credentials = s_cb_credentials;
    cb->sideband_progress = s_cb_sideband;
    cb->push_update_reference = s_cb_update_ref;
    cb->payload = ctx;
}

/* ------------------------------------------------------------------ one attempt */

typedef enum { A_OK, A_TRANSIENT, A_REFUSED, A_BLOCKED, A_MOVED_ON } s_attempt_t;

static git_remote *s_remote(cw_devlog_t *self, const char *url, char *msg, size_t msglen)
{
    /* The remote is created without the url.*.insteadOf rewrite, whose config scan leaks
       pcre2 match data in libgit2 1.5 (git_remote_lookup and git_remote_create_anonymous
       both do it). */
    git_remote_create_options co;
    git_remote_create_options_init(&co, GIT_REMOTE_CREATE_OPTIONS_VERSION);
    co.repository = self->repo;
    co.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
    git_remote *remote = NULL;
    if (git_remote_create_with_opts(&remote, url, &co) != 0) {
        snprintf(msg, msglen, "invalid remote: %s", cw_devlog_git_error());
        return NULL;
    }
    return remote;
}

static s_attempt_t s_classify(int rc, const s_ctx_t *ctx, const char *detail)
{
    /* secret scanning: GitHub's GH013, or the remote's own words (not the URL's) */
    if (cw_text_contains_ci(detail, "GH013") || cw_text_contains_ci(ctx->remote_msg, "secret") ||
        cw_text_contains_ci(ctx->ref_status, "secret"))
        return A_BLOCKED;
    if (ctx->rejected || ctx->none || rc == GIT_EAUTH || rc == GIT_ECERTIFICATE)
        return A_REFUSED;
    if (rc == GIT_ENONFASTFORWARD || cw_text_contains_ci(detail, "non-fast-forward") ||
        cw_text_contains_ci(detail, "fetch first") ||
        cw_text_contains_ci(detail, "not present locally"))
        return A_MOVED_ON;
    if (ctx->ref_status[0])
        return A_BLOCKED; /* a hook or a branch rule declined the update */
    if (cw_text_contains_ci(detail, "status code: 401") ||
        cw_text_contains_ci(detail, "status code: 403") ||
        cw_text_contains_ci(detail, "status code: 404") ||
        cw_text_contains_ci(detail, "unsupported URL protocol") ||
        cw_text_contains_ci(detail, "invalid remote") ||
        cw_text_contains_ci(detail, "not a git repository") ||
        cw_text_contains_ci(detail, "could not find repository") ||
        cw_text_contains_ci(detail, "repository not found"))
        return A_REFUSED;
    return A_TRANSIENT;
}

static s_attempt_t s_push_once(cw_devlog_t *self, const char *url, s_ctx_t *ctx, char *msg,
                               size_t msglen)
{
    git_remote *remote = s_remote(self, url, msg, msglen);
    if (!remote)
        return A_REFUSED;
    char refspec[PATH_MAX];
    snprintf(refspec, sizeof refspec, "%s:%s", self->branch_ref, self->branch_ref);
    char *specs[1] = {refspec};
    git_strarray refspecs = {specs, 1};
    git_push_options opts;
    git_push_options_init(&opts, GIT_PUSH_OPTIONS_VERSION);
    s_callbacks(&opts.callbacks, ctx);
    int rc = git_remote_push(remote, &refspecs, &opts);
    s_attempt_t result = A_OK;
    if (rc != 0) {
        snprintf(msg, msglen, "%s%s%s", cw_devlog_git_error(), ctx->msg_len ? " | remote: " : "",
                 ctx->remote_msg);
        result = s_classify(rc, ctx, msg);
    } else if (ctx->ref_status[0]) {
        snprintf(msg, msglen, "%s%s%s", ctx->ref_status, ctx->msg_len ? " | remote: " : "",
                 ctx->remote_msg);
        result = s_classify(-1, ctx, msg);
    }
    git_remote_free(remote);
    return result;
}

/* ------------------------------------------------------------------ a remote that moved on */

/* Move the branch (and the working tree) to `target`, whose tree contains the current
   one's files. 0 or -1. */
static int s_move_branch(cw_devlog_t *self, const git_oid *target)
{
    git_commit *c = NULL;
    git_reference *ref = NULL;
    if (git_commit_lookup(&c, self->repo, target) != 0)
        return -1;
    git_checkout_options co;
    git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
    co.checkout_strategy = GIT_CHECKOUT_SAFE;
    int rc = git_checkout_tree(self->repo, (const git_object *)c, &co);
    if (rc == 0)
        rc = git_reference_create(&ref, self->repo, self->branch_ref, target, 1,
                                  "codeworm: integrate the remote's commits");
    git_reference_free(ref);
    git_commit_free(c);
    return rc == 0 ? 0 : -1;
}

/* Fetch the remote's branch and merge it. 0 integrated (or nothing to do), -1 transient
   (fetch failed), -2 cannot be merged cleanly (msg says why). */
static int s_integrate(cw_devlog_t *self, const char *url, s_ctx_t *ctx, char *msg, size_t msglen)
{
    git_remote *remote = s_remote(self, url, msg, msglen);
    if (!remote)
        return -1;
    char refspec[2 * PATH_MAX + 4], upstream[PATH_MAX];
    snprintf(upstream, sizeof upstream, UPSTREAM_REF "%.1000s", self->branch);
    snprintf(refspec, sizeof refspec, "+%.1000s:%s", self->branch_ref, upstream);
    char *specs[1] = {refspec};
    git_strarray refspecs = {specs, 1};
    git_fetch_options fo;
    git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
    s_callbacks(&fo.callbacks, ctx);
    fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
    int rc = git_remote_fetch(remote, &refspecs, &fo, "codeworm: fetch the remote's new commits");
    git_remote_free(remote);
    if (rc != 0) {
        snprintf(msg, msglen, "fetching the remote's new commits failed: %s",
                 cw_devlog_git_error());
        return -1;
    }
    git_oid ours, theirs;
    if (git_reference_name_to_id(&theirs, self->repo, upstream) != 0) {
        snprintf(msg, msglen, "the remote has no branch %s", self->branch);
        return -1;
    }
    if (git_reference_name_to_id(&ours, self->repo, self->branch_ref) != 0) {
        snprintf(msg, msglen, "the DevLog has no branch %s", self->branch);
        return -1;
    }
    if (git_oid_equal(&ours, &theirs) || git_graph_descendant_of(self->repo, &ours, &theirs) == 1)
        return 0; /* nothing new over there */
    if (git_graph_descendant_of(self->repo, &theirs, &ours) == 1) {
        if (s_move_branch(self, &theirs) != 0) {
            snprintf(msg, msglen, "cannot fast-forward to the remote's commits: %s",
                     cw_devlog_git_error());
            return -2;
        }
        cw_info("devlog_fast_forwarded", CW_LS("branch", self->branch), CW_LEND);
        return 0;
    }
    git_commit *our_c = NULL, *their_c = NULL;
    git_index *index = NULL;
    git_tree *tree = NULL;
    git_signature *sig = NULL;
    int result = -2;
    git_merge_options mo;
    git_merge_options_init(&mo, GIT_MERGE_OPTIONS_VERSION);
    if (git_commit_lookup(&our_c, self->repo, &ours) != 0 ||
        git_commit_lookup(&their_c, self->repo, &theirs) != 0 ||
        git_merge_commits(&index, self->repo, our_c, their_c, &mo) != 0) {
        snprintf(msg, msglen, "cannot merge the remote's commits: %s", cw_devlog_git_error());
        goto done;
    }
    if (git_index_has_conflicts(index)) {
        const git_index_entry *anc = NULL, *o = NULL, *t = NULL;
        git_index_conflict_iterator *it = NULL;
        const char *path = "?";
        if (git_index_conflict_iterator_new(&it, index) == 0 &&
            git_index_conflict_next(&anc, &o, &t, it) == 0)
            path = o ? o->path : t ? t->path : anc ? anc->path : "?";
        snprintf(msg, msglen,
                 "the remote's branch %s has commits that change %s, which the DevLog changed too: "
                 "merge them by hand (git -C %s pull), then CodeWorm pushes again",
                 self->branch, path, self->path);
        git_index_conflict_iterator_free(it);
        goto done;
    }
    git_oid tree_oid, merge_oid;
    char message[256];
    snprintf(message, sizeof message, "Merge the remote's changes into %s\n", self->branch);
    const git_commit *parents[2] = {our_c, their_c};
    if (git_index_write_tree_to(&tree_oid, index, self->repo) != 0 ||
        git_tree_lookup(&tree, self->repo, &tree_oid) != 0 ||
        git_signature_now(&sig, self->author_name, self->author_email) != 0 ||
        git_commit_create(&merge_oid, self->repo, NULL, sig, sig, NULL, message, tree, 2,
                          parents) != 0 ||
        s_move_branch(self, &merge_oid) != 0) {
        snprintf(msg, msglen, "cannot record the merge of the remote's commits: %s",
                 cw_devlog_git_error());
        goto done;
    }
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof hex, &merge_oid);
    cw_info("devlog_merged_remote", CW_LS("branch", self->branch), CW_LS("commit", hex), CW_LEND);
    result = 0;
done:
    git_signature_free(sig);
    git_tree_free(tree);
    git_index_free(index);
    git_commit_free(our_c);
    git_commit_free(their_c);
    return result;
}

/* ------------------------------------------------------------------ push */

static void s_publish(cw_publisher_t *publisher, const char *event, const char *error,
                      int consecutive)
{
    if (!publisher)
        return;
    cw_value_t *f = cw_value_new_map();
    if (!f)
        return;
    cw_map_set_str(f, "error", error);
    if (consecutive >= 0)
        cw_map_set_int(f, "consecutive", consecutive);
    cw_publisher_send(publisher, event, &f);
    cw_value_destroy(&f);
}

cw_push_result_t cw_devlog_push_with(cw_devlog_t *self, const cw_push_opts_t *opts,
                                     cw_publisher_t *publisher, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!self || !opts || !opts->remote || !*opts->remote)
        return CW_PUSH_SKIPPED;
    const char *token = opts->token && *opts->token ? opts->token : NULL;
    char url[URL_MAX], detail[3000] = "", msg[4096];
    char shown[1100];
    snprintf(shown, sizeof shown, "%.1000s", opts->remote);
    cw_devlog_scrub(shown, sizeof shown, token);

    s_attempt_t a;
    int rc =
        s_resolve(self->repo, self->path, opts->remote, url, sizeof url, detail, sizeof detail);
    if (rc != 0)
        a = rc == -1 ? A_REFUSED : A_TRANSIENT;
    else {
        s_ctx_t ctx;
        memset(&ctx, 0, sizeof ctx);
        ctx.token = token;
        ctx.ssh_key = opts->ssh_key;
        ctx.token_ok = token && (strncasecmp(url, "https://", 8) == 0 || s_is_loopback_http(url));
        a = s_push_once(self, url, &ctx, detail, sizeof detail);
        if (a == A_MOVED_ON) {
            /* the remote has commits the DevLog lacks: fetch, merge, push again */
            cw_info("devlog_remote_moved_on", CW_LS("remote", shown), CW_LEND);
            s_ctx_t fctx = ctx;
            fctx.userpass_calls = fctx.ssh_calls = 0;
            fctx.msg_len = 0;
            fctx.remote_msg[0] = fctx.ref_status[0] = '\0';
            int ir = s_integrate(self, url, &fctx, detail, sizeof detail);
            if (ir == -2)
                a = A_BLOCKED;
            else if (ir == -1)
                a = s_classify(-1, &fctx, detail) == A_REFUSED ? A_REFUSED : A_TRANSIENT;
            else {
                memset(&ctx, 0, sizeof ctx);
                ctx.token = token;
                ctx.ssh_key = opts->ssh_key;
                ctx.token_ok = fctx.token_ok;
                a = s_push_once(self, url, &ctx, detail, sizeof detail);
                if (a == A_MOVED_ON)
                    a = A_TRANSIENT; /* it moved again meanwhile: next time */
            }
        }
        if (a == A_REFUSED && (ctx.rejected || ctx.none)) {
            char why[3000];
            snprintf(why, sizeof why, "%s",
                     ctx.none ? (ctx.ssh_calls ? "the remote wants an ssh key and none was found "
                                                 "(ssh-agent, devlog.ssh_key, ~/.ssh/id_*)"
                                 : token ? "the remote asks for credentials, and devlog.token "
                                           "is only sent over https (or http to this machine)"
                                         : "the remote asks for credentials and devlog.token "
                                           "is not set")
                     : ctx.ssh_calls ? "the remote refused the ssh key"
                                     : "the remote refused the credentials (devlog.token): check "
                                       "the token and its write access");
            snprintf(detail, sizeof detail, "authentication failed: %.2900s", why);
        }
    }
    if (a == A_OK) {
        if (self->push_failures > 0)
            cw_info("push_recovered", CW_LI("after_failures", self->push_failures), CW_LEND);
        self->push_failures = 0;
        cw_info("devlog_pushed", CW_LS("branch", self->branch), CW_LS("remote", shown), CW_LEND);
        return CW_PUSH_OK;
    }
    snprintf(msg, sizeof msg, "push to %.1000s failed: %.2900s", shown, detail);
    cw_devlog_scrub(msg, sizeof msg, token);
    for (size_t n = strlen(msg); n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r' ||
                                           msg[n - 1] == ' ' || msg[n - 1] == '|');)
        msg[--n] = '\0';
    if (err && errlen)
        snprintf(err, errlen, "%s", msg);
    self->push_failures++;
    if (a == A_BLOCKED) {
        cw_error("push_blocked", CW_LS("error", msg), CW_LEND);
        s_publish(publisher, CW_EV_PUSH_BLOCKED, msg, -1);
        return CW_PUSH_BLOCKED;
    }
    cw_error("push_failed", CW_LS("error", msg), CW_LI("consecutive", self->push_failures),
             CW_LB("retryable", a == A_TRANSIENT), CW_LEND);
    s_publish(publisher, CW_EV_PUSH_FAILED, msg, self->push_failures);
    return a == A_TRANSIENT ? CW_PUSH_FAILED : CW_PUSH_REFUSED;
}

cw_push_result_t cw_devlog_push(cw_devlog_t *self, const char *remote, const char *token,
                                cw_publisher_t *publisher, char *err, size_t errlen)
{
    cw_push_opts_t opts = {remote, token, NULL};
    return cw_devlog_push_with(self, &opts, publisher, err, errlen);
}
