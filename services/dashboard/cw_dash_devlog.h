/*  cw_dash_devlog — DevLog documents for the dashboard, read-only: GET /devlog/<relative
    path> shows one markdown file of the DevLog repository.

    Only what the committer writes is served: a relative path of plain components (no
    empty, "." or ".." component, none starting with '.', so never .git), no backslash or
    control character, ending in ".md", that resolves (symbolic links followed) to a
    regular file inside the DevLog, of at most CW_DASH_DOC_MAX bytes. Everything else is
    refused before any file is opened (403) or not found (404).                        */
#ifndef CW_DASH_DEVLOG_H
#define CW_DASH_DEVLOG_H

#include <stdbool.h>
#include <stddef.h>

#define CW_DASH_DOC_MAX (2 * 1024 * 1024)

/* true when `rel` is a path the dashboard may serve (the rules above, without touching
   the file system). */
bool cw_dash_devlog_path_ok(const char *rel);

/* Read DevLog file `rel` under `root`. Returns 200 (*data malloc'd, NUL-terminated, *len
   its length), 403 (refused), 404 (not there), 413 (too large) or 500; err says why. */
int cw_dash_devlog_read(const char *root, const char *rel, char **data, size_t *len, char *err,
                        size_t errlen);

/* `len` bytes of text as HTML: & < > " ' escaped; malloc'd (NULL on out-of-memory). */
char *cw_dash_html_escape(const char *text, size_t len);

/* A whole HTML page showing document `rel` (escaped) with a link back to the dashboard. */
char *cw_dash_devlog_page(const char *rel, const char *text, size_t len);

#endif
