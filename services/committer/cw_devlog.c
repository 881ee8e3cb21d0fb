/*  cw_devlog — the DevLog git repository. See cw_devlog.h. */
#include "cw_buf.h"
#include "cw_doctype.h"
#include "cw_text.h"
#include "cw_devlog.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "cw_json.h"
#include "cw_log.h"
#include "cw_proto.h"

#include "cw_devlog_int.h"

#define DEVLOG_MAX_SUFFIX 1000

/* ------------------------------------------------------------------ small helpers */

static pthread_once_t s_git_once = PTHREAD_ONCE_INIT;
static void s_git_init(void)
{
    git_libgit2_init();
}

static void s_set_err(char *err, size_t errlen, const char *fmt, const char *a, const char *b)
{
    if (err && errlen)
        snprintf(err, errlen, fmt, a ? a : "", b ? b : "");
}

static const char *s_git_errmsg(void)
{
    return cw_devlog_git_error();
}

const char *cw_devlog_git_error(void)
{
    const git_error *e = git_error_last();
    return (e && e->message) ? e->message : "unknown libgit2 error";
}

static char *s_strdup_or(const char *s, const char *dflt)
{
    return strdup((s && *s) ? s : dflt);
}

/* mkdir -p; 0 or -1 */
static int s_mkdir_p(const char *path)
{
    char buf[PATH_MAX];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, path, len + 1);
    for (size_t i = 1; i < len; i++) {
        if (buf[i] == '/') {
            buf[i] = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return -1;
            buf[i] = '/';
        }
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return -1;
    struct stat st;
    return (stat(buf, &st) == 0 && S_ISDIR(st.st_mode)) ? 0 : -1;
}

/* ------------------------------------------------------------------ doc types */

static const char *s_snippet_languages[] = {"python", "typescript", "javascript", "go",
                                            "rust",   "c",          "cpp",        "tsx"};

const char *cw_devlog_label(const char *doc_type)
{
    const cw_doctype_t *k = cw_doctype_by_name(doc_type);
    return k ? k->label : NULL;
}

char *cw_devlog_folder(const char *doc_type, const char *language)
{
    const cw_doctype_t *k = cw_doctype_by_name(doc_type);
    if (!k)
        return NULL;
    if (k->folder)
        return strdup(k->folder);
    char *lang = cw_devlog_slug(language ? language : "");
    if (!lang)
        return NULL;
    if (strcmp(lang, "untitled") == 0) {
        free(lang);
        lang = strdup("unknown");
        if (!lang)
            return NULL;
    }
    size_t n = strlen("snippets/") + strlen(lang) + 1;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "snippets/%s", lang);
    free(lang);
    return out;
}

/* ------------------------------------------------------------------ names */

char *cw_devlog_display_name(const cw_value_t *target)
{
    const char *name = cw_map_str(target, "name", "");
    const char *cls = cw_map_str(target, "class", "");
    if (*name && *cls) {
        size_t n = strlen(cls) + 1 + strlen(name) + 1;
        char *out = malloc(n);
        if (out)
            snprintf(out, n, "%s.%s", cls, name);
        return out;
    }
    if (*name)
        return strdup(name);
    if (*cls)
        return strdup(cls);
    /* the file's stem, like Python's Path.stem */
    const char *stem;
    size_t len = cw_path_stem(cw_map_str(target, "file", ""), &stem);
    return strndup(stem, len);
}

char *cw_devlog_slug(const char *name)
{
    if (!name)
        name = "";
    size_t len = strlen(name);
    char *out = malloc(len + 2 <= 9 ? 9 : len + 2);
    if (!out)
        return NULL;
    size_t o = 0;
    bool in_run = false;
    const unsigned char *p = (const unsigned char *)name;
    for (size_t i = 0; i < len; i++) {
        char c = 0;
        unsigned char b = p[i];
        if (b >= 'A' && b <= 'Z')
            c = (char)(b - 'A' + 'a');
        else if ((b >= 'a' && b <= 'z') || (b >= '0' && b <= '9'))
            c = (char)b;
        else if (b == 0xE2 && i + 2 < len && p[i + 1] == 0x84 && p[i + 2] == 0xAA) {
            c = 'k'; /* KELVIN SIGN lower-cases to 'k' in Python */
            i += 2;
        } else if (b == 0xC4 && i + 1 < len && p[i + 1] == 0xB0) {
            /* LATIN CAPITAL I WITH DOT lower-cases to "i" + COMBINING DOT ABOVE */
            out[o++] = 'i';
            out[o++] = '-';
            in_run = true;
            i += 1;
            continue;
        }
        if (c) {
            out[o++] = c;
            in_run = false;
        } else if (!in_run) {
            out[o++] = '-';
            in_run = true;
        }
    }
    out[o] = '\0';
    /* strip '-' at both ends */
    size_t start = 0;
    while (out[start] == '-')
        start++;
    size_t end = o;
    while (end > start && out[end - 1] == '-')
        end--;
    memmove(out, out + start, end - start);
    out[end - start] = '\0';
    size_t slen = end - start;
    if (slen > CW_DEVLOG_SLUG_MAX) {
        /* slug[:40].rsplit('-', 1)[0] */
        out[CW_DEVLOG_SLUG_MAX] = '\0';
        char *dash = strrchr(out, '-');
        if (dash)
            *dash = '\0';
    }
    if (out[0] == '\0')
        strcpy(out, "untitled");
    return out;
}

void cw_devlog_format_float(double value, char *out, size_t outlen)
{
    if (!out || !outlen)
        return;
    if (isnan(value)) {
        snprintf(out, outlen, "nan");
        return;
    }
    if (isinf(value)) {
        snprintf(out, outlen, value > 0 ? "inf" : "-inf");
        return;
    }
    if (value == floor(value) && fabs(value) < 1e16) {
        snprintf(out, outlen, "%.1f", value);
        return;
    }
    /* shortest representation that round-trips, like Python's repr */
    char buf[64];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, value);
        if (strtod(buf, NULL) == value)
            break;
    }
    if (!strchr(buf, '.') && !strchr(buf, 'e') && !strchr(buf, 'n') && !strchr(buf, 'i'))
        strncat(buf, ".0", sizeof buf - strlen(buf) - 1);
    snprintf(out, outlen, "%s", buf);
}

/* ------------------------------------------------------------------ rendering */

/* byte length of the first `max_chars` code points of s (UTF-8; stray bytes count as
   characters, continuation bytes never start one) */
static size_t s_utf8_prefix(const char *s, size_t len, size_t max_chars)
{
    size_t chars = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char b = (unsigned char)s[i];
        if ((b & 0xC0) != 0x80) {
            if (chars == max_chars)
                return i;
            chars++;
        }
    }
    return len;
}

static void s_trim_bounds(const char *s, size_t *start, size_t *end)
{
    size_t a = 0, z = strlen(s);
    while (a < z && isspace((unsigned char)s[a]))
        a++;
    while (z > a && isspace((unsigned char)s[z - 1]))
        z--;
    *start = a;
    *end = z;
}

/* The documentation (trimmed) and the footer with the local time of `now`. */
static void s_text_and_footer(cw_buf_t *b, const char *documentation, time_t now)
{
    if (documentation) {
        size_t a, z;
        s_trim_bounds(documentation, &a, &z);
        cw_buf_append(b, documentation + a, z - a);
    }
    cw_buf_puts(b, "\n\n---\n\n*Generated by CodeWorm on ");
    struct tm tm;
    char when[32];
    localtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
    cw_buf_puts(b, when);
    cw_buf_puts(b, "*\n");
}

char *cw_devlog_render(const cw_value_t *target, const char *documentation, time_t now)
{
    if (!target || cw_value_kind(target) != CW_VAL_MAP)
        return NULL;
    const char *label = cw_devlog_label(cw_map_str(target, "doc_type", NULL));
    if (!label)
        return NULL;
    char *display = cw_devlog_display_name(target);
    if (!display)
        return NULL;
    const char *language = cw_map_str(target, "language", "");
    const char *source = cw_map_str(target, "source", "");
    char num[96];
    cw_buf_t b;
    cw_buf_init(&b, 0);

    cw_buf_puts(&b, "# ");
    cw_buf_puts(&b, display);
    cw_buf_puts(&b, "\n\n**Type:** ");
    cw_buf_puts(&b, label);
    cw_buf_puts(&b, "\n**Repository:** ");
    cw_buf_puts(&b, cw_map_str(target, "repo", ""));
    cw_buf_puts(&b, "\n**File:** ");
    cw_buf_puts(&b, cw_map_str(target, "file", ""));
    cw_buf_puts(&b, "\n**Language:** ");
    cw_buf_puts(&b, language);
    cw_buf_printf(&b, "\n**Lines:** %lld-%lld", (long long)cw_map_int(target, "start_line", 0),
                  (long long)cw_map_int(target, "end_line", 0));
    cw_buf_puts(&b, "\n**Complexity:** ");
    cw_devlog_format_float(cw_map_float(target, "complexity", 0.0), num, sizeof num);
    cw_buf_puts(&b, num);
    cw_buf_puts(&b, "\n\n---\n\n## Source Code\n\n```");
    cw_buf_puts(&b, language);
    cw_buf_puts(&b, "\n");
    cw_buf_append(&b, source, s_utf8_prefix(source, strlen(source), CW_DEVLOG_SOURCE_MAX_CHARS));
    cw_buf_puts(&b, "\n```\n\n---\n\n## ");
    cw_buf_puts(&b, label);
    cw_buf_puts(&b, "\n\n");
    s_text_and_footer(&b, documentation, now);
    free(display);
    return cw_buf_take(&b, NULL);
}

bool cw_devlog_is_summary(const char *doc_type)
{
    return cw_doc_type_is_summary(doc_type);
}

bool cw_devlog_valid_period(const char *doc_type, const char *period)
{
    if (!doc_type || !period)
        return false;
    const char *p = period;
    for (int i = 0; i < 4; i++)
        if (p[i] < '0' || p[i] > '9')
            return false;
    if (p[4] != '-')
        return false;
    if (cw_doc_type_from_name(doc_type) == CW_DOC_WEEKLY)
        return p[5] == 'W' && p[6] >= '0' && p[6] <= '5' && p[7] >= '0' && p[7] <= '9' &&
               p[8] == '\0' && !(p[6] == '0' && p[7] == '0') && !(p[6] == '5' && p[7] > '3');
    return p[5] >= '0' && p[5] <= '1' && p[6] >= '0' && p[6] <= '9' && p[7] == '\0' &&
           !(p[5] == '0' && p[6] == '0') && !(p[5] == '1' && p[6] > '2');
}

char *cw_devlog_render_summary(const cw_value_t *target, const char *documentation, time_t now)
{
    if (!target || cw_value_kind(target) != CW_VAL_MAP)
        return NULL;
    const char *label = cw_devlog_label(cw_map_str(target, "doc_type", NULL));
    if (!label)
        return NULL;
    const cw_value_t *facts = cw_map_get(target, "summary");
    cw_buf_t b;
    cw_buf_init(&b, 0);
    cw_buf_puts(&b, "# ");
    cw_buf_puts(&b, label);
    cw_buf_puts(&b, ": ");
    cw_buf_puts(&b, cw_map_str(target, "name", ""));
    cw_buf_puts(&b, "\n\n**Type:** ");
    cw_buf_puts(&b, label);
    const char *first = cw_map_str(facts, "first_day", ""),
               *last = cw_map_str(facts, "last_day", "");
    if (*first && *last) {
        cw_buf_puts(&b, "\n**Period:** ");
        cw_buf_puts(&b, first);
        cw_buf_puts(&b, " to ");
        cw_buf_puts(&b, last);
        const char *tz = cw_map_str(facts, "timezone", "");
        if (*tz) {
            cw_buf_puts(&b, " (");
            cw_buf_puts(&b, tz);
            cw_buf_puts(&b, ")");
        }
    }
    if (cw_map_get(facts, "total")) {
        long long total = (long long)cw_map_int(facts, "total", 0);
        size_t repos = cw_value_size(cw_map_get(facts, "repos"));
        cw_buf_printf(&b, "\n**Documented:** %lld document%s in %zu repositor%s", total,
                      total == 1 ? "" : "s", repos, repos == 1 ? "y" : "ies");
    }
    cw_buf_puts(&b, "\n\n---\n\n");
    s_text_and_footer(&b, documentation, now);
    return cw_buf_take(&b, NULL);
}

char *cw_devlog_clean_commit_message(const char *message, const char *fallback)
{
    const char *m = message ? message : "";
    size_t a, z;
    s_trim_bounds(m, &a, &z);
    char *s = strndup(m + a, z - a);
    if (!s)
        return NULL;
    /* surrounding quotes */
    size_t len = strlen(s);
    while (len > 0 && (s[0] == '"' || s[0] == '\'')) {
        memmove(s, s + 1, len);
        len--;
    }
    while (len > 0 && (s[len - 1] == '"' || s[len - 1] == '\''))
        s[--len] = '\0';
    /* first line */
    char *nl = strpbrk(s, "\r\n");
    if (nl)
        *nl = '\0';
    s_trim_bounds(s, &a, &z);
    memmove(s, s + a, z - a);
    s[z - a] = '\0';
    static const char *prefixes[] = {"commit message:", "message:"};
    for (size_t i = 0; i < 2; i++) {
        size_t pl = strlen(prefixes[i]);
        if (strncasecmp(s, prefixes[i], pl) == 0) {
            memmove(s, s + pl, strlen(s + pl) + 1);
            s_trim_bounds(s, &a, &z);
            memmove(s, s + a, z - a);
            s[z - a] = '\0';
            len = strlen(s);
            while (len > 0 && (s[0] == '"' || s[0] == '\'')) {
                memmove(s, s + 1, len);
                len--;
            }
            while (len > 0 && (s[len - 1] == '"' || s[len - 1] == '\''))
                s[--len] = '\0';
            break;
        }
    }
    len = strlen(s);
    if (len == 0) {
        free(s);
        const char *fb = (fallback && *fallback) ? fallback : "code";
        size_t n = strlen(fb) + 16;
        s = malloc(n);
        if (!s)
            return NULL;
        snprintf(s, n, "Document %s", fb);
        len = strlen(s);
    }
    size_t chars = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            chars++;
    if (chars > 72) {
        size_t cut = s_utf8_prefix(s, len, 69);
        char *t = malloc(cut + 4);
        if (!t) {
            free(s);
            return NULL;
        }
        memcpy(t, s, cut);
        memcpy(t + cut, "...", 4);
        free(s);
        s = t;
    }
    return s;
}

/* ------------------------------------------------------------------ repository */

static int s_ensure_branch(cw_devlog_t *self)
{
    int unborn = git_repository_head_unborn(self->repo);
    if (unborn == 1)
        return git_repository_set_head(self->repo, self->branch_ref);
    git_reference *head = NULL;
    if (git_repository_head(&head, self->repo) != 0)
        return -1;
    int rc = 0;
    if (git_reference_name(head) && strcmp(git_reference_name(head), self->branch_ref) != 0) {
        git_reference *br = NULL;
        if (git_reference_lookup(&br, self->repo, self->branch_ref) != 0) {
            /* create the branch where HEAD is: same tree, no checkout needed */
            git_commit *c = NULL;
            rc = git_commit_lookup(&c, self->repo, git_reference_target(head));
            if (rc == 0)
                rc = git_branch_create(&br, self->repo, self->branch, c, 0);
            git_commit_free(c);
            if (rc == 0)
                rc = git_repository_set_head(self->repo, self->branch_ref);
        } else {
            rc = git_repository_set_head(self->repo, self->branch_ref);
            if (rc == 0) {
                git_checkout_options co;
                git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
                co.checkout_strategy = GIT_CHECKOUT_SAFE;
                rc = git_checkout_head(self->repo, &co);
            }
        }
        git_reference_free(br);
        cw_warn("devlog_branch_switched", CW_LS("from", git_reference_name(head)),
                CW_LS("to", self->branch_ref), CW_LB("ok", rc == 0), CW_LEND);
    }
    git_reference_free(head);
    return rc;
}

cw_devlog_t *cw_devlog_new(const char *path, const char *branch, const char *author_name,
                           const char *author_email)
{
    if (!path || !*path) {
        cw_error("devlog_open_failed", CW_LS("reason", "devlog.repo_path is not set"), CW_LEND);
        return NULL;
    }
    pthread_once(&s_git_once, s_git_init);
    cw_devlog_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->path = strdup(path);
    self->branch = s_strdup_or(branch, "main");
    self->author_name = s_strdup_or(author_name, "CodeWorm");
    self->author_email = s_strdup_or(author_email, "codeworm@localhost");
    if (self->branch) {
        size_t n = strlen(self->branch) + 12;
        self->branch_ref = malloc(n);
        if (self->branch_ref)
            snprintf(self->branch_ref, n, "refs/heads/%s", self->branch);
    }
    if (!self->path || !self->branch || !self->author_name || !self->author_email ||
        !self->branch_ref || git_reference_is_valid_name(self->branch_ref) != 1) {
        cw_error("devlog_open_failed", CW_LS("path", path), CW_LS("reason", "invalid branch"),
                 CW_LEND);
        cw_devlog_destroy(&self);
        return NULL;
    }
    /* strip trailing slashes for tidy paths */
    size_t pl = strlen(self->path);
    while (pl > 1 && self->path[pl - 1] == '/')
        self->path[--pl] = '\0';

    int rc = git_repository_open_ext(&self->repo, self->path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
    if (rc == GIT_ENOTFOUND) {
        if (s_mkdir_p(self->path) != 0) {
            cw_error("devlog_open_failed", CW_LS("path", self->path),
                     CW_LS("reason", strerror(errno)), CW_LEND);
            cw_devlog_destroy(&self);
            return NULL;
        }
        git_repository_init_options opts;
        git_repository_init_options_init(&opts, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
        opts.flags = GIT_REPOSITORY_INIT_MKPATH;
        opts.initial_head = self->branch;
        rc = git_repository_init_ext(&self->repo, self->path, &opts);
        if (rc == 0) {
            self->created = true;
            cw_info("devlog_created", CW_LS("path", self->path), CW_LS("branch", self->branch),
                    CW_LEND);
        }
    }
    if (rc != 0) {
        cw_error("devlog_open_failed", CW_LS("path", self->path), CW_LS("reason", s_git_errmsg()),
                 CW_LEND);
        cw_devlog_destroy(&self);
        return NULL;
    }
    if (git_repository_is_bare(self->repo)) {
        cw_error("devlog_open_failed", CW_LS("path", self->path),
                 CW_LS("reason", "the DevLog must not be a bare repository"), CW_LEND);
        cw_devlog_destroy(&self);
        return NULL;
    }
    if (s_ensure_branch(self) != 0) {
        cw_error("devlog_open_failed", CW_LS("path", self->path), CW_LS("reason", s_git_errmsg()),
                 CW_LEND);
        cw_devlog_destroy(&self);
        return NULL;
    }
    return self;
}

void cw_devlog_destroy(cw_devlog_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cw_devlog_t *self = *self_p;
    git_repository_free(self->repo);
    free(self->path);
    free(self->branch);
    free(self->branch_ref);
    free(self->author_name);
    free(self->author_email);
    free(self);
    *self_p = NULL;
}

bool cw_devlog_created(const cw_devlog_t *self)
{
    return self && self->created;
}

const char *cw_devlog_path(const cw_devlog_t *self)
{
    return self ? self->path : NULL;
}

int cw_devlog_push_failures(const cw_devlog_t *self)
{
    return self ? self->push_failures : 0;
}

/* Commit the current index on HEAD (= the branch). When `skip_if_same` and the index tree
   equals HEAD's tree, nothing is committed and 1 is returned. 0 committed, -1 error. */
static int s_commit_index(cw_devlog_t *self, git_index *index, const char *message,
                          bool skip_if_same, git_oid *out)
{
    git_oid tree_oid, parent_oid;
    git_tree *tree = NULL;
    git_commit *parent = NULL;
    git_signature *sig = NULL;
    int rc = git_index_write_tree(&tree_oid, index);
    if (rc == 0)
        rc = git_tree_lookup(&tree, self->repo, &tree_oid);
    if (rc == 0) {
        int prc = git_reference_name_to_id(&parent_oid, self->repo, "HEAD");
        if (prc == 0)
            rc = git_commit_lookup(&parent, self->repo, &parent_oid);
        else if (prc != GIT_ENOTFOUND && prc != GIT_EUNBORNBRANCH)
            rc = prc;
    }
    if (rc == 0 && skip_if_same && parent && git_oid_equal(git_commit_tree_id(parent), &tree_oid)) {
        git_tree_free(tree);
        git_commit_free(parent);
        return 1;
    }
    if (rc == 0)
        rc = git_signature_now(&sig, self->author_name, self->author_email);
    if (rc == 0) {
        const git_commit *parents[1] = {parent};
        rc = git_commit_create(out, self->repo, "HEAD", sig, sig, NULL, message, tree,
                               parent ? 1 : 0, parents);
    }
    git_signature_free(sig);
    git_tree_free(tree);
    git_commit_free(parent);
    return rc == 0 ? 0 : -1;
}

int cw_devlog_init_layout(cw_devlog_t *self)
{
    if (!self)
        return -1;
    git_index *index = NULL;
    if (git_repository_index(&index, self->repo) != 0 || git_index_read(index, 0) != 0) {
        cw_error("devlog_layout_failed", CW_LS("reason", s_git_errmsg()), CW_LEND);
        git_index_free(index);
        return -1;
    }
    /* the folder of every doc type that has one of its own, stats/, and snippets/<language>
       for the languages the analyzer reads */
    size_t nlang = sizeof s_snippet_languages / sizeof s_snippet_languages[0];
    int rc = 0;
    for (size_t i = 0; i < CW_DOC_TYPE_COUNT + 1 + nlang && rc == 0; i++) {
        char rel[256], abs[PATH_MAX];
        if (i < CW_DOC_TYPE_COUNT) {
            if (!cw_doctype((int)i)->folder)
                continue; /* function_doc: snippets/<language> */
            snprintf(rel, sizeof rel, "%s", cw_doctype((int)i)->folder);
        } else if (i == CW_DOC_TYPE_COUNT)
            snprintf(rel, sizeof rel, "stats");
        else
            snprintf(rel, sizeof rel, "snippets/%s",
                     s_snippet_languages[i - CW_DOC_TYPE_COUNT - 1]);
        snprintf(abs, sizeof abs, "%s/%s", self->path, rel);
        if (s_mkdir_p(abs) != 0) {
            cw_error("devlog_layout_failed", CW_LS("folder", rel), CW_LS("reason", strerror(errno)),
                     CW_LEND);
            rc = -1;
            break;
        }
        strncat(abs, "/.gitkeep", sizeof abs - strlen(abs) - 1);
        int fd = open(abs, O_WRONLY | O_CREAT, 0644);
        if (fd < 0) {
            cw_error("devlog_layout_failed", CW_LS("file", rel), CW_LS("reason", strerror(errno)),
                     CW_LEND);
            rc = -1;
            break;
        }
        close(fd);
        strncat(rel, "/.gitkeep", sizeof rel - strlen(rel) - 1);
        if (git_index_add_bypath(index, rel) != 0) {
            cw_error("devlog_layout_failed", CW_LS("file", rel), CW_LS("reason", s_git_errmsg()),
                     CW_LEND);
            rc = -1;
        }
    }
    if (rc == 0 && git_index_write(index) != 0)
        rc = -1;
    if (rc == 0) {
        git_oid oid;
        int crc = s_commit_index(self, index, "Initialize DevLog\n", true, &oid);
        if (crc < 0) {
            cw_error("devlog_layout_failed", CW_LS("reason", s_git_errmsg()), CW_LEND);
            rc = -1;
        } else if (crc == 0) {
            char hex[GIT_OID_HEXSZ + 1];
            git_oid_tostr(hex, sizeof hex, &oid);
            cw_info("devlog_initialized", CW_LS("path", self->path), CW_LS("commit", hex), CW_LEND);
        }
    }
    git_index_free(index);
    return rc;
}

int cw_devlog_init(const char *path, const char *branch, char *err, size_t errlen)
{
    cw_devlog_t *devlog = cw_devlog_new(path, branch, NULL, NULL);
    if (!devlog) {
        s_set_err(err, errlen, "cannot open or create the DevLog repository at %s%s", path, "");
        return -1;
    }
    int rc = cw_devlog_init_layout(devlog);
    if (rc != 0)
        s_set_err(err, errlen, "cannot create the DevLog layout in %s: %s", path, s_git_errmsg());
    cw_devlog_destroy(&devlog);
    return rc;
}

/* ------------------------------------------------------------------ documents */

int cw_devlog_commit_document(cw_devlog_t *self, const cw_value_t *target,
                              const char *documentation, const char *commit_message,
                              const char *job_id, time_t now, char oid_hex[41], char *path_out,
                              size_t path_len, char *err, size_t errlen)
{
    if (!self || !target) {
        s_set_err(err, errlen, "no DevLog or target%s%s", NULL, NULL);
        return -1;
    }
    const char *doc_type = cw_map_str(target, "doc_type", NULL);
    char *folder = cw_devlog_folder(doc_type, cw_map_str(target, "language", ""));
    char *display = cw_devlog_display_name(target);
    char *slug = display ? cw_devlog_slug(display) : NULL;
    bool summary = cw_devlog_is_summary(doc_type);
    if (summary && !cw_devlog_valid_period(doc_type, display)) {
        s_set_err(err, errlen, "a %s needs a period as its name (got \"%.40s\")", doc_type,
                  display);
        free(folder);
        free(display);
        free(slug);
        return -1;
    }
    char *doc = summary ? cw_devlog_render_summary(target, documentation, now)
                        : cw_devlog_render(target, documentation, now);
    char *subject = cw_devlog_clean_commit_message(commit_message, display);
    char *message = NULL;
    git_index *index = NULL;
    char rel[PATH_MAX] = "", abs[PATH_MAX] = "";
    bool file_written = false;
    int rc = -1;

    if (!folder || !display || !slug || !doc || !subject) {
        s_set_err(err, errlen, "cannot render the document (doc_type %s)%s", doc_type, NULL);
        goto done;
    }
    char *trailers = job_id && *job_id ? cw_devlog_job_trailers(job_id, target) : NULL;
    size_t mlen = strlen(subject) + (trailers ? strlen(trailers) : 0) + 8;
    message = malloc(mlen);
    if (!message || (job_id && *job_id && !trailers)) {
        free(trailers);
        goto done;
    }
    if (trailers)
        snprintf(message, mlen, "%s\n\n%s", subject, trailers);
    else
        snprintf(message, mlen, "%s\n", subject);
    free(trailers);

    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/%s", self->path, folder);
    if (s_mkdir_p(dir) != 0) {
        s_set_err(err, errlen, "cannot create folder %s: %s", folder, strerror(errno));
        goto done;
    }
    struct tm tm;
    localtime_r(&now, &tm);
    char date[16];
    strftime(date, sizeof date, "%Y-%m-%d", &tm);
    int fd = -1;
    for (int n = 1; n <= DEVLOG_MAX_SUFFIX && fd < 0; n++) {
        if (summary) {
            /* analysis/weekly/2026-W09.md: one per period, never a second */
            snprintf(rel, sizeof rel, "%.64s/%.16s.md", folder, display);
            if (snprintf(abs, sizeof abs, "%s/%s", self->path, rel) >= (int)sizeof abs) {
                s_set_err(err, errlen, "path too long: %s%s", rel, NULL);
                goto done;
            }
            fd = open(abs, O_WRONLY | O_CREAT | O_EXCL, 0644);
            if (fd < 0) {
                s_set_err(err, errlen, "cannot create %s: %s", rel,
                          errno == EEXIST ? "the summary exists already" : strerror(errno));
                goto done;
            }
            break;
        }
        if (n == 1)
            snprintf(rel, sizeof rel, "%s/%s_%s.md", folder, date, slug);
        else
            snprintf(rel, sizeof rel, "%s/%s_%s-%d.md", folder, date, slug, n);
        if (snprintf(abs, sizeof abs, "%s/%s", self->path, rel) >= (int)sizeof abs) {
            s_set_err(err, errlen, "path too long: %s%s", rel, NULL);
            goto done;
        }
        fd = open(abs, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (fd < 0 && errno != EEXIST) {
            s_set_err(err, errlen, "cannot create %s: %s", rel, strerror(errno));
            goto done;
        }
    }
    if (fd < 0) {
        s_set_err(err, errlen, "too many documents named %s on %s", slug, date);
        goto done;
    }
    file_written = true;
    size_t dlen = strlen(doc), off = 0;
    while (off < dlen) {
        ssize_t w = write(fd, doc + off, dlen - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0 || off != dlen) {
        close(fd);
        s_set_err(err, errlen, "cannot write %s: %s", rel, strerror(errno));
        goto done;
    }
    close(fd);

    git_oid oid;
    if (git_repository_index(&index, self->repo) != 0 || git_index_read(index, 0) != 0 ||
        git_index_add_bypath(index, rel) != 0 || git_index_write(index) != 0 ||
        s_commit_index(self, index, message, false, &oid) != 0) {
        s_set_err(err, errlen, "git commit of %s failed: %s", rel, s_git_errmsg());
        if (index) {
            git_index_remove_bypath(index, rel);
            git_index_write(index);
        }
        goto done;
    }
    git_oid_tostr(oid_hex, GIT_OID_HEXSZ + 1, &oid);
    if (path_out && path_len)
        snprintf(path_out, path_len, "%s", rel);
    file_written = false; /* committed: keep it */
    rc = 0;
    cw_info("devlog_committed", CW_LS("commit", oid_hex), CW_LS("path", rel),
            CW_LS("job_id", job_id ? job_id : ""), CW_LEND);
done:
    if (rc != 0 && file_written)
        unlink(abs);
    if (rc != 0 && err && !*err)
        s_set_err(err, errlen, "out of memory%s%s", NULL, NULL);
    git_index_free(index);
    free(folder);
    free(display);
    free(slug);
    free(doc);
    free(subject);
    free(message);
    return rc;
}

static bool s_message_has_job(const char *msg, const char *job_id)
{
    size_t tl = strlen(CW_DEVLOG_JOB_TRAILER), jl = strlen(job_id);
    for (const char *p = msg; p && (p = strstr(p, CW_DEVLOG_JOB_TRAILER)) != NULL; p += tl) {
        if (p != msg && p[-1] != '\n')
            continue;
        const char *v = p + tl;
        if (strncmp(v, job_id, jl) == 0 && (v[jl] == '\0' || v[jl] == '\n' || v[jl] == '\r'))
            return true;
    }
    return false;
}

/* the .md document that `commit` added or changed relative to its first parent */
static void s_commit_document_path(git_repository *repo, git_commit *commit, char *out,
                                   size_t outlen)
{
    git_tree *tree = NULL, *ptree = NULL;
    git_commit *parent = NULL;
    git_diff *diff = NULL;
    if (git_commit_tree(&tree, commit) != 0)
        return;
    if (git_commit_parentcount(commit) > 0 && git_commit_parent(&parent, commit, 0) == 0)
        git_commit_tree(&ptree, parent);
    if (git_diff_tree_to_tree(&diff, repo, ptree, tree, NULL) == 0) {
        size_t n = git_diff_num_deltas(diff);
        for (size_t i = 0; i < n; i++) {
            const git_diff_delta *d = git_diff_get_delta(diff, i);
            const char *p = d->new_file.path;
            size_t pl = p ? strlen(p) : 0;
            if (d->status != GIT_DELTA_DELETED && pl > 3 && strcmp(p + pl - 3, ".md") == 0) {
                snprintf(out, outlen, "%s", p);
                break;
            }
        }
    }
    git_diff_free(diff);
    git_tree_free(ptree);
    git_tree_free(tree);
    git_commit_free(parent);
}

/* A walk of the history from HEAD into *walk: 1, or 0 when there is no commit yet, or -1. */
static int s_walk_head(cw_devlog_t *self, git_revwalk **walk)
{
    *walk = NULL;
    if (git_repository_head_unborn(self->repo) == 1)
        return 0;
    if (git_revwalk_new(walk, self->repo) != 0 || git_revwalk_push_head(*walk) != 0) {
        git_revwalk_free(*walk);
        *walk = NULL;
        return -1;
    }
    return 1;
}

int cw_devlog_find_job(cw_devlog_t *self, const char *job_id, char oid_hex[41], char *path_out,
                       size_t path_len)
{
    if (!self || !job_id || !*job_id)
        return -1;
    git_revwalk *walk = NULL;
    int rc = s_walk_head(self, &walk);
    if (rc <= 0)
        return rc;
    git_oid oid;
    int found = 0;
    for (int i = 0; i < CW_DEVLOG_JOB_SCAN && git_revwalk_next(&oid, walk) == 0; i++) {
        git_commit *c = NULL;
        if (git_commit_lookup(&c, self->repo, &oid) != 0)
            continue;
        const char *msg = git_commit_message(c);
        if (msg && s_message_has_job(msg, job_id)) {
            git_oid_tostr(oid_hex, GIT_OID_HEXSZ + 1, &oid);
            if (path_out && path_len) {
                path_out[0] = '\0';
                s_commit_document_path(self->repo, c, path_out, path_len);
            }
            found = 1;
        }
        git_commit_free(c);
        if (found)
            break;
    }
    git_revwalk_free(walk);
    return found;
}

int cw_devlog_commit_count(cw_devlog_t *self)
{
    if (!self)
        return -1;
    git_revwalk *walk = NULL;
    int rc = s_walk_head(self, &walk);
    if (rc <= 0)
        return rc;
    git_oid oid;
    int n = 0;
    while (git_revwalk_next(&oid, walk) == 0)
        n++;
    git_revwalk_free(walk);
    return n;
}

/* ------------------------------------------------------------------ reconciling */

static const char *const s_target_keys[] = {"repo",  "file",     "name",
                                            "class", "doc_type", "code_hash"};

char *cw_devlog_job_trailers(const char *job_id, const cw_value_t *target)
{
    if (!job_id || !*job_id)
        return NULL;
    cw_buf_t b;
    cw_buf_init(&b, 0);
    cw_buf_puts(&b, CW_DEVLOG_JOB_TRAILER);
    cw_buf_puts(&b, job_id);
    cw_buf_puts(&b, "\n");
    if (target) {
        cw_buf_puts(&b, CW_DEVLOG_TARGET_TRAILER "{");
        for (size_t i = 0; i < sizeof s_target_keys / sizeof s_target_keys[0]; i++) {
            const char *v = cw_map_str(target, s_target_keys[i], NULL);
            if (!v)
                continue;
            cw_json_put_key(&b, s_target_keys[i]); /* JSON escapes keep it on one line */
            cw_json_put_str(&b, v);
        }
        cw_buf_puts(&b, "}\n");
    }
    return cw_buf_take(&b, NULL);
}

int cw_devlog_head(cw_devlog_t *self, char oid_hex[41])
{
    oid_hex[0] = '\0';
    if (!self)
        return -1;
    if (git_repository_head_unborn(self->repo) == 1)
        return 0;
    git_oid oid;
    if (git_reference_name_to_id(&oid, self->repo, "HEAD") != 0)
        return -1;
    git_oid_tostr(oid_hex, GIT_OID_HEXSZ + 1, &oid);
    return 0;
}

/* The value of trailer `key` in msg (a line starting with it), copied into out. */
static bool s_trailer_value(const char *msg, const char *key, char *out, size_t outlen)
{
    size_t kl = strlen(key);
    for (const char *p = msg; p && (p = strstr(p, key)) != NULL; p += kl) {
        if (p != msg && p[-1] != '\n')
            continue;
        const char *v = p + kl;
        size_t n = strcspn(v, "\r\n");
        if (n >= outlen)
            return false;
        memcpy(out, v, n);
        out[n] = '\0';
        return true;
    }
    return false;
}

/* The target map of a CodeWorm-Target trailer, or NULL. */
static cw_value_t *s_trailer_target(const char *msg)
{
    const char *p = msg;
    size_t kl = strlen(CW_DEVLOG_TARGET_TRAILER);
    while ((p = strstr(p, CW_DEVLOG_TARGET_TRAILER)) != NULL && p != msg && p[-1] != '\n')
        p += kl;
    if (!p)
        return NULL;
    const char *json = p + kl;
    size_t n = strcspn(json, "\r\n");
    cw_value_t *obj = cw_json_parse(json, n, NULL, 0);
    cw_value_t *target = NULL;
    if (obj && cw_value_kind(obj) == CW_VAL_MAP) {
        target = cw_value_new_map();
        for (size_t i = 0; target && i < sizeof s_target_keys / sizeof s_target_keys[0]; i++) {
            const char *v = cw_map_str(obj, s_target_keys[i], NULL);
            if (v)
                cw_map_set_str(target, s_target_keys[i], v);
        }
        if (target && (!cw_map_str(target, "doc_type", NULL) ||
                       !cw_map_str(target, "code_hash", NULL))) /* not one of ours */
            cw_value_destroy(&target);
    }
    cw_value_destroy(&obj);
    return target;
}

int cw_devlog_walk_jobs(cw_devlog_t *self, const char *since, cw_devlog_job_fn *fn, void *arg,
                        char head_out[41])
{
    char head[41];
    if (head_out)
        head_out[0] = '\0';
    if (!self || !fn || cw_devlog_head(self, head) != 0)
        return -1;
    if (head_out)
        snprintf(head_out, 41, "%s", head);
    if (!*head)
        return 0;
    git_revwalk *walk = NULL;
    if (git_revwalk_new(&walk, self->repo) != 0 || git_revwalk_push_head(walk) != 0) {
        git_revwalk_free(walk);
        return -1;
    }
    git_oid stop;
    if (since && *since && git_oid_fromstr(&stop, since) == 0 &&
        git_revwalk_hide(walk, &stop) != 0) {
        /* not in this repository (history rewritten?): walk everything */
        git_revwalk_free(walk);
        walk = NULL;
        if (git_revwalk_new(&walk, self->repo) != 0 || git_revwalk_push_head(walk) != 0) {
            git_revwalk_free(walk);
            return -1;
        }
    }
    git_oid oid;
    int rc = 0, seen = 0;
    while (rc == 0 && git_revwalk_next(&oid, walk) == 0) {
        if (++seen > CW_DEVLOG_RECONCILE_MAX) {
            cw_warn("devlog_walk_cut", CW_LI("commits", CW_DEVLOG_RECONCILE_MAX), CW_LEND);
            break;
        }
        git_commit *c = NULL;
        if (git_commit_lookup(&c, self->repo, &oid) != 0)
            continue;
        const char *msg = git_commit_message(c);
        char job[128];
        if (msg && s_trailer_value(msg, CW_DEVLOG_JOB_TRAILER, job, sizeof job) && *job) {
            char hex[GIT_OID_HEXSZ + 1], path[PATH_MAX] = "";
            git_oid_tostr(hex, sizeof hex, &oid);
            s_commit_document_path(self->repo, c, path, sizeof path);
            cw_value_t *target = s_trailer_target(msg);
            if (fn(job, hex, path, target, arg) != 0)
                rc = 1;
            cw_value_destroy(&target);
        }
        git_commit_free(c);
    }
    git_revwalk_free(walk);
    return rc;
}
