/*  cw_dash_devlog — DevLog documents, read-only. See cw_dash_devlog.h. */
#include "cw_dash_devlog.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cw_json.h"

bool cw_dash_devlog_path_ok(const char *rel)
{
    if (!rel || !*rel || rel[0] == '/' || strlen(rel) > 1024)
        return false;
    size_t n = strlen(rel);
    if (n < 4 || strcmp(rel + n - 3, ".md") != 0)
        return false;
    const char *component = rel;
    for (const unsigned char *p = (const unsigned char *)rel;; p++) {
        if (*p == '/' || *p == '\0') {
            size_t clen = (size_t)((const char *)p - component);
            if (clen == 0 || component[0] == '.') /* empty, ".", "..", hidden (.git) */
                return false;
            if (*p == '\0')
                break;
            component = (const char *)p + 1;
            continue;
        }
        if (*p < 0x20 || *p == 0x7f || *p == '\\')
            return false;
    }
    return true;
}

int cw_dash_devlog_read(const char *root, const char *rel, char **data, size_t *len, char *err,
                        size_t errlen)
{
    *data = NULL;
    *len = 0;
    if (!cw_dash_devlog_path_ok(rel)) {
        snprintf(err, errlen, "not a DevLog document path");
        return 403;
    }
    char real_root[PATH_MAX];
    if (!root || !*root || !realpath(root, real_root)) {
        snprintf(err, errlen, "no DevLog here");
        return 404;
    }
    char joined[PATH_MAX * 2];
    snprintf(joined, sizeof(joined), "%s/%s", real_root, rel);
    char real_file[PATH_MAX];
    if (!realpath(joined, real_file)) {
        snprintf(err, errlen, "no such document");
        return 404;
    }
    size_t rlen = strlen(real_root);
    if (strncmp(real_file, real_root, rlen) != 0 || real_file[rlen] != '/') {
        snprintf(err, errlen, "the document is outside the DevLog");
        return 403;
    }
    int fd = open(real_file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open the document: %s", strerror(errno));
        return errno == ENOENT ? 404 : 403;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        snprintf(err, errlen, "not a regular file");
        return 403;
    }
    if (st.st_size > CW_DASH_DOC_MAX) {
        close(fd);
        snprintf(err, errlen, "the document is larger than %d bytes", CW_DASH_DOC_MAX);
        return 413;
    }
    size_t size = (size_t)st.st_size;
    char *buf = (char *)malloc(size + 1);
    if (!buf) {
        close(fd);
        snprintf(err, errlen, "out of memory");
        return 500;
    }
    size_t got = 0;
    while (got < size) {
        ssize_t r = read(fd, buf + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    buf[got] = '\0';
    *data = buf;
    *len = got;
    return 200;
}

/* What one byte becomes in HTML text, or NULL to copy it. */
static const char *s_html_entity(char c)
{
    switch (c) {
    case '&':
        return "&amp;";
    case '<':
        return "&lt;";
    case '>':
        return "&gt;";
    case '"':
        return "&quot;";
    case '\'':
        return "&#39;";
    case '\0':
        return "\xEF\xBF\xBD"; /* U+FFFD */
    default:
        return NULL;
    }
}

char *cw_dash_html_escape(const char *text, size_t len)
{
    size_t out_len = 0;
    for (size_t i = 0; i < len; i++) {
        const char *e = s_html_entity(text[i]);
        out_len += e ? strlen(e) : 1;
    }
    char *out = (char *)malloc(out_len + 1);
    if (!out)
        return NULL;
    char *w = out;
    for (size_t i = 0; i < len; i++) {
        const char *e = s_html_entity(text[i]);
        if (e) {
            size_t n = strlen(e);
            memcpy(w, e, n);
            w += n;
        } else
            *w++ = text[i];
    }
    *w = '\0';
    return out;
}

char *cw_dash_devlog_page(const char *rel, const char *text, size_t len)
{
    char *title = cw_dash_html_escape(rel, strlen(rel));
    char *body = cw_dash_html_escape(text, len);
    cw_buf_t b;
    cw_buf_init(&b, 0);
    if (title && body) {
        cw_buf_puts(&b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                        "<title>");
        cw_buf_puts(&b, title);
        cw_buf_puts(&b, " · CodeWorm DevLog</title><style>"
                        "body{margin:0;background:#0f1419;color:#d6dde6;"
                        "font:15px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif}"
                        "header{padding:14px 24px;border-bottom:1px solid #263040;"
                        "display:flex;gap:16px;align-items:baseline}"
                        "a{color:#7cc4ff}h1{font-size:16px;margin:0;word-break:break-all}"
                        "pre{margin:0;padding:20px 24px;white-space:pre-wrap;"
                        "word-wrap:break-word;font:13px/1.55 ui-monospace,'DejaVu Sans Mono',"
                        "monospace}</style></head><body><header><a href=\"/\">&larr; dashboard"
                        "</a><h1>");
        cw_buf_puts(&b, title);
        cw_buf_puts(&b, "</h1><a href=\"?raw=1\">raw</a></header><pre>");
        cw_buf_puts(&b, body);
        cw_buf_puts(&b, "</pre></body></html>\n");
    } else
        b.failed = true;
    free(title);
    free(body);
    return cw_buf_take(&b, NULL);
}
