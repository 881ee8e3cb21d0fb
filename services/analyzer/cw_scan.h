/*  cw_scan — walking a repository: gitwildmatch patterns (include/exclude, .gitignore,
    built-in ignores), language by extension, and reading a source file with the size,
    binary and encoding checks. */
#ifndef CW_SCAN_H
#define CW_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cw_lang.h"

#define CW_SCAN_MAX_FILE_BYTES (1024 * 1024) /* larger files are skipped */
#define CW_SCAN_BINARY_PROBE 8192
#define CW_SCAN_MAX_FILES 200000 /* per repo */
#define CW_SCAN_MAX_DEPTH 64

/* gitwildmatch on a whole string: `*` and `?` never match '/', `**` as a whole path
   component matches any number of directories, `[...]` classes (`!`/`^` negate, ranges),
   `\` escapes. */
bool cw_wildmatch(const char *pattern, const char *text);

/* An ordered list of gitignore-style patterns relative to a base directory. */
typedef struct _cw_patterns_t cw_patterns_t;

cw_patterns_t *cw_patterns_new(const char *base); /* base "" = the repo root, else "a/b" */
void cw_patterns_destroy(cw_patterns_t **self_p);
/* Add one line in .gitignore syntax (comments, blank lines ignored; `!` negates; trailing
   `/` = directories only; a `/` elsewhere anchors to the base). 0 added, 1 ignored line. */
int cw_patterns_add(cw_patterns_t *self, const char *line);
/* Read a .gitignore-like file (bounded to 1 MiB). Number of patterns, or -1 if unreadable. */
int cw_patterns_load(cw_patterns_t *self, const char *path);
size_t cw_patterns_count(const cw_patterns_t *self);
/* Last matching pattern decides: 1 = matched, -1 = matched a negated pattern, 0 = none.
   `path` is relative to the repo root; a pattern matches a path when it matches the path
   or one of its parent directories. */
int cw_patterns_match(const cw_patterns_t *self, const char *path, bool is_dir);

typedef struct {
    char *rel; /* relative to the repo root, '/' separated */
    const cw_lang_t *lang;
    int64_t mtime_ns; /* from the walk's stat (the target's for file symlinks) */
    int64_t size;
} cw_scan_file_t;

typedef struct {
    cw_scan_file_t *files; /* sorted by rel */
    size_t count;
    size_t cap;
} cw_scan_list_t;

/* Walk `root`: skip dot-directories, built-in ignores, the .gitignore files (root and
   nested), exclude matches, files no include pattern matches (include NULL or empty =
   every supported file) and unsupported extensions. Never follows directory symlinks;
   file symlinks only when they resolve inside root. 0, or -1 if root is unreadable. */
int cw_scan_repo(const char *root, const cw_patterns_t *include, const cw_patterns_t *exclude,
                 cw_scan_list_t *out);
void cw_scan_list_free(cw_scan_list_t *list);

typedef enum {
    CW_READ_OK = 0,
    CW_READ_UNREADABLE,
    CW_READ_EMPTY,
    CW_READ_TOO_LARGE,
    CW_READ_BINARY,
    CW_READ_NOT_UTF8
} cw_read_status_t;

/* Read a source file: regular, 1..1 MiB, text (no NUL and >= 70% printable in the first
   8192 bytes), valid UTF-8. Returns a NUL-terminated malloc'd buffer or NULL + status. */
char *cw_scan_read(const char *path, size_t *len, cw_read_status_t *status);
const char *cw_read_status_name(cw_read_status_t status);

#endif
