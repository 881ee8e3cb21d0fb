/*  cw_offline_md — the offline backend's bounded markdown writer (cw_offline_int.h). */
#include "cw_offline_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cw_text.h"

static bool s_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

void cw_md_code(cw_buf_t *b, const char *s, size_t max)
{
    const char *src = s ? s : "";
    size_t len = strnlen(src, max + 1);
    size_t n = cw_utf8_prefix(src, len, max);
    cw_buf_puts(b, "`");
    for (size_t i = 0; i < n; i++) {
        char c = src[i];
        if ((unsigned char)c < 0x20 || c == 0x7F)
            c = ' ';
        else if (c == '`')
            c = '\'';
        cw_buf_putc(b, c);
    }
    cw_buf_puts(b, n < len ? "...`" : "`");
}

void cw_md_text(cw_buf_t *b, const char *s, size_t max, bool line_start)
{
    const char *src = s ? s : "";
    size_t len = strnlen(src, max + 1);
    size_t n = cw_utf8_prefix(src, len, max);
    size_t ticks = 0;
    bool doubled = false;
    for (size_t i = 0; i < n; i++)
        if (src[i] == '`') {
            ticks++;
            if (i + 1 < n && src[i + 1] == '`')
                doubled = true;
        }
    bool keep_ticks = ticks % 2 == 0 && !doubled;
    bool space = false, first = true;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)src[i];
        if (s_space((char)c)) {
            space = true;
            continue;
        }
        if (c < 0x20 || c == 0x7F)
            continue;
        if (space && !first)
            cw_buf_putc(b, ' ');
        space = false;
        if (first && line_start && (strchr("#>-+=|*_~:", (int)c) || isdigit(c)))
            cw_buf_putc(b, '\\');
        first = false;
        if (c == '<') {
            cw_buf_puts(b, "&lt;");
        } else if (c == '`' && !keep_ticks) {
            cw_buf_putc(b, '\'');
        } else {
            cw_buf_putc(b, (char)c);
        }
    }
    if (n < len)
        cw_buf_puts(b, "...");
}

/* a line that starts the parameter/return part of a docstring */
static bool s_doc_section(const char *l, size_t n)
{
    static const char *const heads[] = {
        "@",        ":param",  ":return",    ":raise",  ":type",   "Args:", "Arguments:",
        "Returns:", "Raises:", "Parameters", "Yields:", "Example", NULL};
    for (const char *const *h = heads; *h; h++) {
        size_t k = strlen(*h);
        if (n >= k && strncmp(l, *h, k) == 0)
            return true;
    }
    return false;
}

bool cw_md_paragraph(cw_buf_t *b, const char *doc, size_t max)
{
    if (!doc)
        return false;
    /* the first paragraph: up to a blank line or a parameter section, whitespace collapsed,
       at most max bytes (the docstring may be long: nothing beyond is looked at) */
    char *buf = malloc(max + 1);
    if (!buf)
        return false;
    buf[0] = '\0';
    size_t o = 0;
    bool space = false, cut = false;
    const char *p = doc;
    size_t scanned = 0;
    while (*p && scanned < 64 * 1024) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        size_t a = 0;
        while (a < n && s_space(p[a]))
            a++;
        if (a == n) {
            if (o > 0)
                break; /* a blank line ends the paragraph */
        } else if (o > 0 && s_doc_section(p + a, n - a)) {
            break;
        } else {
            for (size_t i = a; i < n && !cut; i++) {
                char c = p[i];
                if (s_space(c)) {
                    space = true;
                    continue;
                }
                if ((unsigned char)c < 0x20)
                    continue;
                if (o + (space && o ? 2 : 1) > max) {
                    cut = true;
                    break;
                }
                if (space && o)
                    buf[o++] = ' ';
                space = false;
                buf[o++] = c;
            }
            space = true;
        }
        if (cut || !nl)
            break;
        scanned += n + 1;
        p = nl + 1;
    }
    o = cw_utf8_complete(buf, o);
    if (cut) {
        /* end at the last sentence end, else at a word */
        size_t end = 0;
        for (size_t i = 0; i + 1 < o; i++)
            if ((buf[i] == '.' || buf[i] == '!' || buf[i] == '?') && buf[i + 1] == ' ')
                end = i + 1;
        if (end > o / 3) {
            o = end;
            cut = false;
        } else {
            while (o > 0 && buf[o - 1] != ' ')
                o--;
            while (o > 0 && buf[o - 1] == ' ')
                o--;
        }
    }
    buf[o] = '\0';
    bool any = false;
    for (size_t i = 0; i < o && !any; i++)
        any = isalnum((unsigned char)buf[i]) || ((unsigned char)buf[i] & 0x80);
    if (any) {
        cw_md_text(b, buf, o, true);
        if (cut)
            cw_buf_puts(b, " ...");
    }
    free(buf);
    return any;
}

void cw_md_fence(cw_buf_t *b, const char *language, const char *code, size_t max)
{
    const char *src = code ? code : "";
    size_t len = strnlen(src, max + 1);
    size_t n = cw_utf8_prefix(src, len, max);
    size_t run = 0, longest = 0;
    for (size_t i = 0; i < n; i++) {
        run = src[i] == '`' ? run + 1 : 0;
        if (run > longest)
            longest = run;
    }
    size_t ticks = longest >= 3 ? longest + 1 : 3;
    if (ticks > 16)
        ticks = 16;
    char fence[17];
    memset(fence, '`', ticks);
    fence[ticks] = '\0';
    cw_buf_puts(b, fence);
    /* the info string: a language name only (letters, digits, + and -, at most 16) */
    bool name = language && *language && strlen(language) <= 16;
    for (const char *l = language; name && *l; l++)
        name = isalnum((unsigned char)*l) || *l == '+' || *l == '-';
    if (name)
        cw_buf_puts(b, language);
    cw_buf_puts(b, "\n");
    size_t start = 0;
    while (start < n && (src[start] == '\n' || src[start] == '\r'))
        start++;
    size_t end = n;
    while (end > start && s_space(src[end - 1]))
        end--;
    for (size_t i = start; i < end; i++) {
        char c = src[i];
        if (c == '\r' || ((unsigned char)c < 0x20 && c != '\n' && c != '\t') || c == 0x7F)
            continue;
        if (c == '`' && longest > 15)
            c = '\''; /* a run the longest fence could not hold */
        cw_buf_putc(b, c);
    }
    if (n < len)
        cw_buf_puts(b, " ...");
    cw_buf_puts(b, "\n");
    cw_buf_puts(b, fence);
}

void cw_md_count(cw_buf_t *b, long n, const char *one, const char *many)
{
    cw_buf_printf(b, "%ld %s", n, n == 1 ? one : many);
}

void cw_md_code_list(cw_buf_t *b, const char *const *items, size_t n, size_t shown)
{
    size_t k = n < shown ? n : shown;
    for (size_t i = 0; i < k; i++) {
        if (i > 0)
            cw_buf_puts(b, i + 1 == k && k == n ? " and " : ", ");
        cw_md_code(b, items[i], CW_MD_ITEM);
    }
    if (n > k)
        cw_buf_printf(b, " and %zu more", n - k);
}

const char *cw_md_language(const char *language)
{
    static const struct {
        const char *name, *shown;
    } names[] = {{"python", "Python"},
                 {"javascript", "JavaScript"},
                 {"typescript", "TypeScript"},
                 {"tsx", "TSX"},
                 {"go", "Go"},
                 {"rust", "Rust"},
                 {"c", "C"},
                 {"cpp", "C++"}};
    for (size_t i = 0; language && i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(language, names[i].name) == 0)
            return names[i].shown;
    return language && *language ? language : "source";
}

const char *cw_md_base(const char *path)
{
    const char *slash = path ? strrchr(path, '/') : NULL;
    return slash ? slash + 1 : (path ? path : "");
}
