/*  cw_scan — patterns, repository walk, source file reading. */
#include "cw_scan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cw_log.h"

/* ------------------------------------------------------------------ wildmatch */

#define WM_BUDGET 200000 /* bounded backtracking */

/* [...] class at p (p points after '['); sets *end past ']'. -1 malformed. */
static int s_class_match(const char *p, char c, const char **end)
{
    bool negate = false;
    if (*p == '!' || *p == '^') {
        negate = true;
        p++;
    }
    bool matched = false;
    bool first = true;
    while (*p && (first || *p != ']')) {
        first = false;
        char lo = *p;
        if (lo == '\\' && p[1])
            lo = *++p;
        p++;
        char hi = lo;
        if (*p == '-' && p[1] && p[1] != ']') {
            p++;
            hi = *p;
            if (hi == '\\' && p[1])
                hi = *++p;
            p++;
        }
        if (c >= lo && c <= hi)
            matched = true;
    }
    if (*p != ']')
        return -1;
    *end = p + 1;
    return matched != negate;
}

static bool s_wm(const char *p, const char *t, const char *pstart, int *budget)
{
    while (*p) {
        if (--*budget <= 0)
            return false;
        if (*p == '*') {
            bool globstar =
                p[1] == '*' && (p == pstart || p[-1] == '/') && (p[2] == '/' || p[2] == '\0');
            if (globstar) {
                if (p[2] == '\0')
                    return true; /* trailing "**": everything below */
                /* "**" + "/": zero or more directories */
                const char *rest = p + 3;
                if (s_wm(rest, t, pstart, budget))
                    return true;
                for (const char *s = t; *s; s++)
                    if (*s == '/' && s_wm(rest, s + 1, pstart, budget))
                        return true;
                return false;
            }
            while (*p == '*')
                p++;
            if (*p == '\0')
                return strchr(t, '/') == NULL;
            for (const char *s = t;; s++) {
                if (s_wm(p, s, pstart, budget))
                    return true;
                if (*s == '\0' || *s == '/')
                    return false;
            }
        }
        if (*t == '\0')
            return false;
        if (*p == '?') {
            if (*t == '/')
                return false;
            p++;
            t++;
            continue;
        }
        if (*p == '[') {
            const char *end = NULL;
            if (*t == '/')
                return false;
            int m = s_class_match(p + 1, *t, &end);
            if (m < 0) { /* malformed class: literal '[' */
                if (*t != '[')
                    return false;
                p++;
                t++;
                continue;
            }
            if (!m)
                return false;
            p = end;
            t++;
            continue;
        }
        if (*p == '\\' && p[1])
            p++;
        if (*p != *t)
            return false;
        p++;
        t++;
    }
    return *t == '\0';
}

bool cw_wildmatch(const char *pattern, const char *text)
{
    if (!pattern || !text)
        return false;
    int budget = WM_BUDGET;
    return s_wm(pattern, text, pattern, &budget);
}

/* ------------------------------------------------------------------ patterns */

typedef struct {
    char *body;
    bool negate;
    bool dir_only;
    bool anchored;
} s_pattern_t;

struct _cw_patterns_t {
    char *base;
    size_t base_len;
    s_pattern_t *items;
    size_t count;
    size_t cap;
};

#define MAX_PATTERNS 10000
#define MAX_PATTERN_LEN 1024

cw_patterns_t *cw_patterns_new(const char *base)
{
    cw_patterns_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->base = strdup(base ? base : "");
    if (!self->base) {
        free(self);
        return NULL;
    }
    self->base_len = strlen(self->base);
    return self;
}

void cw_patterns_destroy(cw_patterns_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cw_patterns_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++)
        free(self->items[i].body);
    free(self->items);
    free(self->base);
    free(self);
    *self_p = NULL;
}

size_t cw_patterns_count(const cw_patterns_t *self)
{
    return self ? self->count : 0;
}

int cw_patterns_add(cw_patterns_t *self, const char *line)
{
    if (!self || !line)
        return 1;
    size_t len = strnlen(line, MAX_PATTERN_LEN + 1);
    if (len > MAX_PATTERN_LEN || self->count >= MAX_PATTERNS)
        return 1;
    char buf[MAX_PATTERN_LEN + 1];
    memcpy(buf, line, len);
    buf[len] = '\0';
    /* trailing CR/LF and unescaped spaces */
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        buf[--len] = '\0';
    while (len > 0 && (buf[len - 1] == ' ' || buf[len - 1] == '\t') &&
           !(len > 1 && buf[len - 2] == '\\'))
        buf[--len] = '\0';
    char *p = buf;
    if (*p == '\0' || *p == '#')
        return 1;
    s_pattern_t pat = {0};
    if (*p == '!') {
        pat.negate = true;
        p++;
    } else if (*p == '\\' && (p[1] == '!' || p[1] == '#')) {
        p++;
    }
    len = strlen(p);
    if (len > 0 && p[len - 1] == '/') {
        pat.dir_only = true;
        p[--len] = '\0';
    }
    if (len == 0)
        return 1;
    if (strchr(p, '/')) {
        pat.anchored = true;
        while (*p == '/')
            p++;
        if (*p == '\0')
            return 1;
    }
    if (self->count == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 16;
        s_pattern_t *items = realloc(self->items, cap * sizeof *items);
        if (!items)
            return 1;
        self->items = items;
        self->cap = cap;
    }
    pat.body = strdup(p);
    if (!pat.body)
        return 1;
    self->items[self->count++] = pat;
    return 0;
}

int cw_patterns_load(cw_patterns_t *self, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[MAX_PATTERN_LEN + 2];
    int added = 0;
    size_t total = 0;
    while (fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        total += n;
        if (total > CW_SCAN_MAX_FILE_BYTES)
            break;
        if (n > 0 && line[n - 1] != '\n' && !feof(f)) {
            /* overlong line: drop the rest of it */
            int c;
            while ((c = fgetc(f)) != EOF && c != '\n')
                total++;
            continue;
        }
        if (cw_patterns_add(self, line) == 0)
            added++;
    }
    fclose(f);
    return added;
}

static bool s_pattern_match(const s_pattern_t *pat, const char *path, bool is_dir)
{
    char buf[PATH_MAX];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof buf)
        return false;
    if (pat->anchored) {
        /* the path or one of its parent directories */
        for (size_t k = 1; k <= len; k++) {
            if (k < len && path[k] != '/')
                continue;
            bool dir = k < len || is_dir;
            if (pat->dir_only && !dir)
                continue;
            memcpy(buf, path, k);
            buf[k] = '\0';
            if (cw_wildmatch(pat->body, buf))
                return true;
        }
        return false;
    }
    /* any single component */
    size_t s = 0;
    while (s < len) {
        size_t e = s;
        while (e < len && path[e] != '/')
            e++;
        bool dir = e < len || is_dir;
        if (!(pat->dir_only && !dir) && e > s) {
            memcpy(buf, path + s, e - s);
            buf[e - s] = '\0';
            if (cw_wildmatch(pat->body, buf))
                return true;
        }
        s = e + 1;
    }
    return false;
}

int cw_patterns_match(const cw_patterns_t *self, const char *path, bool is_dir)
{
    if (!self || !path)
        return 0;
    const char *rel = path;
    if (self->base_len > 0) {
        if (strncmp(path, self->base, self->base_len) != 0 || path[self->base_len] != '/')
            return 0;
        rel = path + self->base_len + 1;
    }
    int result = 0;
    for (size_t i = 0; i < self->count; i++)
        if (s_pattern_match(&self->items[i], rel, is_dir))
            result = self->items[i].negate ? -1 : 1;
    return result;
}

/* ------------------------------------------------------------------ walk */

static const char *const s_builtin_ignores[] = {".git/",         "__pycache__/", "*.pyc",
                                                "node_modules/", ".venv/",       "venv/",
                                                ".env",          "*.egg-info/",  NULL};

typedef struct {
    const char *root;
    char root_real[PATH_MAX];
    const cw_patterns_t *include;
    const cw_patterns_t *exclude;
    cw_patterns_t *builtin;
    cw_patterns_t **ignores; /* stack: root .gitignore first */
    size_t ignore_count;
    size_t ignore_cap;
    cw_scan_list_t *out;
    size_t visited;
} s_walk_t;

static bool s_ignored(s_walk_t *w, const char *rel, bool is_dir)
{
    if (cw_patterns_match(w->builtin, rel, is_dir) > 0)
        return true;
    int result = 0;
    for (size_t i = 0; i < w->ignore_count; i++) {
        int r = cw_patterns_match(w->ignores[i], rel, is_dir);
        if (r != 0)
            result = r;
    }
    if (result > 0)
        return true;
    if (w->exclude && cw_patterns_match(w->exclude, rel, is_dir) > 0)
        return true;
    return false;
}

static int s_push_file(cw_scan_list_t *out, const char *rel, const cw_lang_t *lang,
                       const struct stat *st)
{
    if (out->count == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 64;
        cw_scan_file_t *files = realloc(out->files, cap * sizeof *files);
        if (!files)
            return -1;
        out->files = files;
        out->cap = cap;
    }
    char *copy = strdup(rel);
    if (!copy)
        return -1;
    out->files[out->count].rel = copy;
    out->files[out->count].lang = lang;
    out->files[out->count].mtime_ns =
        (int64_t)st->st_mtim.tv_sec * 1000000000LL + (int64_t)st->st_mtim.tv_nsec;
    out->files[out->count].size = (int64_t)st->st_size;
    out->count++;
    return 0;
}

static int s_name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void s_walk_dir(s_walk_t *w, const char *rel, int depth)
{
    if (depth > CW_SCAN_MAX_DEPTH) {
        cw_debug("scan_too_deep", CW_LS("dir", rel), CW_LEND);
        return;
    }
    char dirpath[PATH_MAX];
    if (snprintf(dirpath, sizeof dirpath, "%s%s%s", w->root, *rel ? "/" : "", rel) >=
        (int)sizeof dirpath)
        return;
    DIR *dir = opendir(dirpath);
    if (!dir) {
        cw_debug("scan_dir_unreadable", CW_LS("dir", dirpath), CW_LS("error", strerror(errno)),
                 CW_LEND);
        return;
    }
    /* collect and sort names: a deterministic order */
    char **names = NULL;
    size_t count = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(dir)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (count == cap) {
            size_t ncap = cap ? cap * 2 : 32;
            char **nn = realloc(names, ncap * sizeof *nn);
            if (!nn)
                break;
            names = nn;
            cap = ncap;
        }
        names[count] = strdup(de->d_name);
        if (names[count])
            count++;
    }
    closedir(dir);
    if (count > 1)
        qsort(names, count, sizeof *names, s_name_cmp);

    /* nested .gitignore (the root one is loaded by cw_scan_repo) */
    bool pushed = false;
    if (*rel) {
        char gi[PATH_MAX];
        if (snprintf(gi, sizeof gi, "%s/.gitignore", dirpath) < (int)sizeof gi &&
            access(gi, R_OK) == 0) {
            cw_patterns_t *p = cw_patterns_new(rel);
            if (p && cw_patterns_load(p, gi) > 0) {
                if (w->ignore_count == w->ignore_cap) {
                    size_t ncap = w->ignore_cap ? w->ignore_cap * 2 : 8;
                    cw_patterns_t **ni = realloc(w->ignores, ncap * sizeof *ni);
                    if (ni) {
                        w->ignores = ni;
                        w->ignore_cap = ncap;
                    }
                }
                if (w->ignore_count < w->ignore_cap) {
                    w->ignores[w->ignore_count++] = p;
                    p = NULL;
                    pushed = true;
                }
            }
            cw_patterns_destroy(&p);
        }
    }

    for (size_t i = 0; i < count; i++) {
        const char *name = names[i];
        if (w->out->count >= CW_SCAN_MAX_FILES || ++w->visited > 4 * CW_SCAN_MAX_FILES)
            break;
        char child_rel[PATH_MAX];
        char child_abs[PATH_MAX];
        if (snprintf(child_rel, sizeof child_rel, "%s%s%s", rel, *rel ? "/" : "", name) >=
                (int)sizeof child_rel ||
            snprintf(child_abs, sizeof child_abs, "%s/%s", dirpath, name) >= (int)sizeof child_abs)
            continue;
        struct stat st;
        if (lstat(child_abs, &st) != 0) {
            cw_debug("scan_vanished", CW_LS("path", child_abs), CW_LEND);
            continue;
        }
        if (S_ISLNK(st.st_mode)) {
            /* file symlinks only, and only inside the repo */
            char real[PATH_MAX];
            if (!realpath(child_abs, real) || stat(real, &st) != 0 || !S_ISREG(st.st_mode)) {
                cw_debug("scan_symlink_skipped", CW_LS("path", child_rel), CW_LEND);
                continue;
            }
            size_t rl = strlen(w->root_real);
            if (strncmp(real, w->root_real, rl) != 0 || real[rl] != '/') {
                cw_debug("scan_symlink_outside", CW_LS("path", child_rel), CW_LEND);
                continue;
            }
        }
        if (S_ISDIR(st.st_mode)) {
            if (name[0] == '.' || s_ignored(w, child_rel, true))
                continue;
            s_walk_dir(w, child_rel, depth + 1);
        } else if (S_ISREG(st.st_mode)) {
            const cw_lang_t *lang = cw_lang_for_path(name);
            if (!lang || s_ignored(w, child_rel, false))
                continue;
            if (w->include && cw_patterns_count(w->include) > 0 &&
                cw_patterns_match(w->include, child_rel, false) <= 0)
                continue;
            if (s_push_file(w->out, child_rel, lang, &st) != 0)
                break;
        }
    }
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
    if (pushed) {
        w->ignore_count--;
        cw_patterns_destroy(&w->ignores[w->ignore_count]);
    }
}

static int s_file_cmp(const void *a, const void *b)
{
    return strcmp(((const cw_scan_file_t *)a)->rel, ((const cw_scan_file_t *)b)->rel);
}

int cw_scan_repo(const char *root, const cw_patterns_t *include, const cw_patterns_t *exclude,
                 cw_scan_list_t *out)
{
    if (!root || !out)
        return -1;
    s_walk_t w = {.root = root, .include = include, .exclude = exclude, .out = out};
    if (!realpath(root, w.root_real)) {
        cw_warn("scan_root_unreadable", CW_LS("path", root), CW_LS("error", strerror(errno)),
                CW_LEND);
        return -1;
    }
    struct stat st;
    if (stat(w.root_real, &st) != 0 || !S_ISDIR(st.st_mode))
        return -1;
    w.root = w.root_real;
    w.builtin = cw_patterns_new("");
    if (!w.builtin)
        return -1;
    for (const char *const *p = s_builtin_ignores; *p; p++)
        cw_patterns_add(w.builtin, *p);
    char gi[PATH_MAX];
    cw_patterns_t *root_ignore = cw_patterns_new("");
    if (root_ignore && snprintf(gi, sizeof gi, "%s/.gitignore", w.root_real) < (int)sizeof gi)
        cw_patterns_load(root_ignore, gi);
    if (root_ignore) {
        w.ignores = malloc(8 * sizeof *w.ignores);
        if (w.ignores) {
            w.ignores[0] = root_ignore;
            w.ignore_count = 1;
            w.ignore_cap = 8;
        } else {
            cw_patterns_destroy(&root_ignore);
        }
    }
    s_walk_dir(&w, "", 0);
    for (size_t i = 0; i < w.ignore_count; i++)
        cw_patterns_destroy(&w.ignores[i]);
    free(w.ignores);
    cw_patterns_destroy(&w.builtin);
    if (out->count > 1)
        qsort(out->files, out->count, sizeof *out->files, s_file_cmp);
    return 0;
}

void cw_scan_list_free(cw_scan_list_t *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++)
        free(list->files[i].rel);
    free(list->files);
    list->files = NULL;
    list->count = list->cap = 0;
}

/* ------------------------------------------------------------------ reading */

static bool s_valid_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        uint32_t cp;
        if ((c & 0xE0) == 0xC0) {
            need = 1;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            need = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            need = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + need >= n)
            return false;
        for (size_t k = 1; k <= need; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((need == 1 && cp < 0x80) || (need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += need + 1;
    }
    return true;
}

const char *cw_read_status_name(cw_read_status_t status)
{
    switch (status) {
    case CW_READ_OK:
        return "ok";
    case CW_READ_UNREADABLE:
        return "unreadable";
    case CW_READ_EMPTY:
        return "empty";
    case CW_READ_TOO_LARGE:
        return "too_large";
    case CW_READ_BINARY:
        return "binary";
    case CW_READ_NOT_UTF8:
        return "not_utf8";
    }
    return "unknown";
}

char *cw_scan_read(const char *path, size_t *len, cw_read_status_t *status)
{
    cw_read_status_t dummy;
    if (!status)
        status = &dummy;
    *status = CW_READ_UNREADABLE;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return NULL;
    }
    if (st.st_size == 0) {
        *status = CW_READ_EMPTY;
        close(fd);
        return NULL;
    }
    if (st.st_size > CW_SCAN_MAX_FILE_BYTES) {
        *status = CW_READ_TOO_LARGE;
        close(fd);
        return NULL;
    }
    /* read at most the limit + 1 (the file may grow while we read) */
    size_t cap = (size_t)st.st_size + 1;
    if (cap > CW_SCAN_MAX_FILE_BYTES + 1)
        cap = CW_SCAN_MAX_FILE_BYTES + 1;
    char *buf = malloc(cap + 1);
    if (!buf) {
        close(fd);
        return NULL;
    }
    size_t n = 0;
    while (n < cap) {
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            free(buf);
            close(fd);
            return NULL;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    if (n == 0) {
        *status = CW_READ_EMPTY;
        free(buf);
        return NULL;
    }
    if (n > CW_SCAN_MAX_FILE_BYTES) {
        *status = CW_READ_TOO_LARGE;
        free(buf);
        return NULL;
    }
    size_t probe = n < CW_SCAN_BINARY_PROBE ? n : CW_SCAN_BINARY_PROBE;
    size_t printable = 0;
    for (size_t i = 0; i < probe; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c == 0) {
            *status = CW_READ_BINARY;
            free(buf);
            return NULL;
        }
        if ((c >= 32 && c != 127) || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == '\b')
            printable++;
    }
    if (printable * 10 < probe * 7) {
        *status = CW_READ_BINARY;
        free(buf);
        return NULL;
    }
    if (memchr(buf, '\0', n) != NULL || !s_valid_utf8((const unsigned char *)buf, n)) {
        *status = CW_READ_NOT_UTF8;
        free(buf);
        return NULL;
    }
    *status = CW_READ_OK;
    if (len)
        *len = n;
    return buf;
}
