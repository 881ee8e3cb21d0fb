/*  cw_offline — documentation written from the target alone, without an LLM.
    Same input, byte-identical output (no clock, no randomness).

    Every statement is a fact read from the target's fields (name, file, lines, docstring,
    signature, parameters, calls, decorators, metrics, context) or counted in its source with
    simple line and keyword patterns — and the text says when it is such a count. Per kind:
    - function_doc: purpose (docstring), signature, parameters, complexity, calls;
      security_review / performance_analysis / til add a short angle (a keyword scan);
    - class_doc: purpose, the analyzer's summary, methods or fields found in the source;
    - file_doc: purpose (leading comment), imports, top-level definitions, lines;
    - module_doc: purpose (the index file's leading comment), the files listed;
    - code_evolution: the commit, new or modified, +/- counts, hunk headers, definitions
      on added lines;
    - pattern_analysis: the pattern and its indicators, the file's definitions.
    Untrusted input: every scan is bounded (OFFLINE_SCAN_MAX bytes), every item and line is
    cut, backticks never reach a code span, and no line of ours starts a code fence except
    the signature's, which is closed. */
#include "cw_text.h"
#include "cw_clean.h"
#include "cw_generator.h"
#include "cw_json.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OFFLINE_MAX_ITEMS 50
#define OFFLINE_MAX_ITEM 200
#define OFFLINE_MAX_SENTENCE 400
#define OFFLINE_MAX_SIGNATURE 2000
#define OFFLINE_MAX_TEXT 600           /* one line of plain text (context, message) */
#define OFFLINE_LIST_CAP 64            /* items remembered per list */
#define OFFLINE_ITEM_LEN 120           /* bytes kept per remembered item */
#define OFFLINE_SHOWN 25               /* items shown per list of found things */
#define OFFLINE_COMMENT_MAX 2000       /* bytes of a leading comment looked at */
#define OFFLINE_SCAN_MAX (1024 * 1024) /* bytes of source looked at */
#define OFFLINE_PAREN_MAX 4096         /* bytes searched for a closing parenthesis */

#define OFFLINE_NOTE                                                                               \
    "\n\n_Written without an LLM (offline backend): facts taken from the source only._\n"

/* ================================================================ output helpers */

/* Append s (at most max bytes, cut on a UTF-8 boundary) with newlines/backticks made
   harmless for an inline code span or a list item. */
static void s_put_inline(cw_jbuf_t *b, const char *s, size_t max)
{
    char buf[OFFLINE_MAX_SENTENCE * 2 + 8];
    if (max > sizeof(buf) - 4)
        max = sizeof(buf) - 4;
    const char *src = s ? s : "";
    size_t len = strnlen(src, max + 1);
    size_t n = len < max ? len : max;
    n = cw_utf8_prefix(src, len, n); /* do not split a UTF-8 sequence */
    for (size_t i = 0; i < n; i++) {
        char c = src[i];
        if (c == '\n' || c == '\r' || c == '\t' || ((unsigned char)c < 0x20))
            c = ' ';
        else if (c == '`')
            c = '\'';
        buf[i] = c;
    }
    buf[n] = '\0';
    cw_jbuf_raw(b, buf);
    if (n < len)
        cw_jbuf_raw(b, "...");
}

static void s_code(cw_jbuf_t *b, const char *s, size_t max)
{
    cw_jbuf_raw(b, "`");
    s_put_inline(b, s, max);
    cw_jbuf_raw(b, "`");
}

/* Plain text on one line: whitespace runs collapsed, control characters dropped, `<` as
   &lt;, backticks kept only when they pair up (and never two in a row), cut at max bytes
   on a UTF-8 boundary. line_start: a leading markdown block marker is escaped. */
static void s_put_textn(cw_jbuf_t *b, const char *src, size_t len, size_t max, bool line_start)
{
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
    char chunk[256];
    size_t o = 0;
    bool space = false, first = true;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)src[i];
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
            space = true;
            continue;
        }
        if (c < 0x20 || c == 0x7F)
            continue;
        if (o + 8 >= sizeof(chunk)) {
            chunk[o] = '\0';
            cw_jbuf_raw(b, chunk);
            o = 0;
        }
        if (space && !first)
            chunk[o++] = ' ';
        space = false;
        if (first && line_start && strchr("#>-+=|*_~:", (int)c))
            chunk[o++] = '\\';
        first = false;
        if (c == '<') {
            memcpy(chunk + o, "&lt;", 4);
            o += 4;
        } else if (c == '`' && !keep_ticks) {
            chunk[o++] = '\'';
        } else {
            chunk[o++] = (char)c;
        }
    }
    chunk[o] = '\0';
    cw_jbuf_raw(b, chunk);
    if (n < len)
        cw_jbuf_raw(b, "...");
}

static void s_put_text(cw_jbuf_t *b, const char *s, size_t max, bool line_start)
{
    const char *src = s ? s : "";
    s_put_textn(b, src, strnlen(src, max + 1), max, line_start);
}

static void s_printf(cw_jbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void s_printf(cw_jbuf_t *b, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    cw_jbuf_raw(b, buf);
}

/* The docstring's first sentence, whitespace collapsed, into out ("..." when it had to be
   cut). */
static void s_first_sentence(const char *doc, char *out, size_t outlen)
{
    size_t o = 0;
    bool space = false, cut = false;
    if (outlen < 8) {
        if (outlen)
            out[0] = '\0';
        return;
    }
    const char *p = doc;
    while (*p && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r' || *p == '"' || *p == '\'' ||
                  *p == '*' || *p == '/'))
        p++;
    for (; *p; p++) {
        char c = *p;
        if (o + 5 >= outlen) {
            cut = true; /* room kept for "..." */
            break;
        }
        if (c == '\n' && (p[1] == '\n' || (p[1] == '\r' && p[2] == '\n')))
            break; /* paragraph end */
        if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
            space = true;
            continue;
        }
        if (space && o > 0)
            out[o++] = ' ';
        space = false;
        out[o++] = c;
        if ((c == '.' || c == '!' || c == '?') &&
            (p[1] == '\0' || p[1] == ' ' || p[1] == '\n' || p[1] == '\r' || p[1] == '\t'))
            break;
    }
    /* strip trailing quote marks of a one-line docstring */
    while (!cut && o > 0 && (out[o - 1] == '"' || out[o - 1] == '\'' || out[o - 1] == ' '))
        o--;
    /* never end inside a UTF-8 sequence */
    o = cw_utf8_complete(out, o);
    if (cut) {
        size_t sp = o; /* end on a word */
        while (sp > 0 && o - sp < 40 && out[sp - 1] != ' ')
            sp--;
        if (sp > 0 && o - sp < 40)
            o = sp - 1;
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

static bool s_has_alnum(const char *s)
{
    for (; *s; s++)
        if (isalnum((unsigned char)*s) || ((unsigned char)*s & 0x80))
            return true;
    return false;
}

/* ================================================================ lists of found things */

typedef struct {
    char items[OFFLINE_LIST_CAP][OFFLINE_ITEM_LEN];
    const char *kinds[OFFLINE_LIST_CAP];
    long lines[OFFLINE_LIST_CAP];
    size_t count; /* remembered */
    size_t total; /* found (duplicates of remembered items not counted) */
} s_list_t;

/* Remember s[0..n) (control characters as spaces, cut on a UTF-8 boundary). */
static void s_list_add(s_list_t *l, const char *s, size_t n, const char *kind, long line)
{
    while (n > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    if (n == 0)
        return;
    char item[OFFLINE_ITEM_LEN];
    size_t max = sizeof(item) - 4;
    size_t k = cw_utf8_prefix(s, n, max);
    for (size_t i = 0; i < k; i++)
        item[i] = (unsigned char)s[i] < 0x20 ? ' ' : s[i];
    if (k < n) {
        memcpy(item + k, "...", 3);
        k += 3;
    }
    item[k] = '\0';
    for (size_t i = 0; i < l->count; i++)
        if (strcmp(l->items[i], item) == 0 &&
            (l->kinds[i] == kind || (l->kinds[i] && kind && strcmp(l->kinds[i], kind) == 0)))
            return;
    if (l->count < OFFLINE_LIST_CAP) {
        memcpy(l->items[l->count], item, k + 1);
        l->kinds[l->count] = kind;
        l->lines[l->count] = line;
        l->count++;
    }
    l->total++;
}

/* "- `item` (kind, line N)" lines, at most `shown`, then "- ... and N more". */
static void s_list_emit(cw_jbuf_t *b, const s_list_t *l, size_t shown)
{
    size_t n = l->count < shown ? l->count : shown;
    for (size_t i = 0; i < n; i++) {
        cw_jbuf_raw(b, "\n- ");
        s_code(b, l->items[i], OFFLINE_ITEM_LEN);
        if (l->kinds[i] && l->lines[i] > 0)
            s_printf(b, " (%s, line %ld)", l->kinds[i], l->lines[i]);
        else if (l->kinds[i])
            s_printf(b, " (%s)", l->kinds[i]);
        else if (l->lines[i] > 0)
            s_printf(b, " (line %ld)", l->lines[i]);
    }
    if (l->total > n)
        s_printf(b, "\n- ... and %zu more", l->total - n);
}

static void s_list(cw_jbuf_t *b, const char *title, const char **items, size_t count)
{
    cw_jbuf_raw(b, "\n\n### ");
    cw_jbuf_raw(b, title);
    cw_jbuf_raw(b, "\n");
    size_t shown = count < OFFLINE_MAX_ITEMS ? count : OFFLINE_MAX_ITEMS;
    for (size_t i = 0; i < shown; i++) {
        cw_jbuf_raw(b, "\n- ");
        s_code(b, items[i], OFFLINE_MAX_ITEM);
    }
    if (count > shown)
        s_printf(b, "\n- ... and %zu more", count - shown);
}

/* ================================================================ source text */

enum { F_OTHER, F_C, F_PY, F_GO, F_RUST, F_JS };
#define FM(f) (1u << (f))
#define FM_ALL 0xFFu

static int s_family(const char *lang)
{
    static const struct {
        const char *name;
        int fam;
    } names[] = {{"c", F_C},    {"cpp", F_C},     {"c++", F_C},         {"python", F_PY},
                 {"go", F_GO},  {"rust", F_RUST}, {"javascript", F_JS}, {"typescript", F_JS},
                 {"tsx", F_JS}, {"jsx", F_JS}};
    for (size_t i = 0; lang && i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(lang, names[i].name) == 0)
            return names[i].fam;
    return F_OTHER;
}

static bool s_is_ident(char c)
{
    unsigned char u = (unsigned char)c;
    return isalnum(u) || c == '_' || c == '$' || u >= 0x80;
}

#define S_STRCHAR '\x1f' /* what string contents become in the mask */

typedef struct {
    const char *raw;
    char *mask; /* raw with comments blanked and string contents as S_STRCHAR; NULL = OOM */
    size_t len;
    int fam;
} s_text_t;

/* A copy of src where comments are spaces and string contents S_STRCHAR (quotes and
   newlines kept), so that keyword and line scans see code only. */
static char *s_mask(const char *src, size_t len, int fam)
{
    char *m = malloc(len + 1);
    if (!m)
        return NULL;
    memcpy(m, src, len);
    m[len] = '\0';
    if (fam == F_OTHER)
        return m;
    size_t i = 0;
    while (i < len) {
        char c = m[i];
        if ((fam == F_PY && c == '#') ||
            (fam != F_PY && c == '/' && i + 1 < len && m[i + 1] == '/')) {
            while (i < len && m[i] != '\n')
                m[i++] = ' ';
            continue;
        }
        if (fam != F_PY && c == '/' && i + 1 < len && m[i + 1] == '*') {
            m[i++] = ' ';
            m[i++] = ' ';
            while (i < len && !(m[i] == '*' && i + 1 < len && m[i + 1] == '/')) {
                if (m[i] != '\n')
                    m[i] = ' ';
                i++;
            }
            for (int k = 0; k < 2 && i < len; k++)
                m[i++] = ' ';
            continue;
        }
        if (fam == F_PY && (c == '"' || c == '\'') && i + 2 < len && m[i + 1] == c &&
            m[i + 2] == c) {
            i += 3;
            while (i < len && !(m[i] == c && i + 2 < len && m[i + 1] == c && m[i + 2] == c)) {
                if (m[i] == '\\' && i + 1 < len && m[i + 1] != '\n')
                    m[i++] = S_STRCHAR;
                if (m[i] != '\n')
                    m[i] = S_STRCHAR;
                i++;
            }
            i += 3;
            continue;
        }
        bool quote = c == '"' || (c == '`' && (fam == F_JS || fam == F_GO));
        if (c == '\'') {
            if (fam == F_RUST) /* a char literal, not a lifetime */
                quote = i + 1 < len && (m[i + 1] == '\\' || (i + 2 < len && m[i + 2] == '\''));
            else
                quote = true;
        }
        if (quote) {
            bool multiline = c == '`';
            i++;
            while (i < len && m[i] != c) {
                if (m[i] == '\n' && !multiline)
                    break; /* unterminated: stop at the line's end */
                if (m[i] == '\\' && c != '`' && i + 1 < len && m[i + 1] != '\n')
                    m[i++] = S_STRCHAR;
                if (m[i] != '\n')
                    m[i] = S_STRCHAR;
                i++;
            }
            if (i < len && m[i] == c)
                i++;
            continue;
        }
        i++;
    }
    return m;
}

static void s_text_init(s_text_t *t, const char *src, int fam)
{
    t->raw = src ? src : "";
    t->len = strnlen(t->raw, OFFLINE_SCAN_MAX);
    t->fam = fam;
    t->mask = s_mask(t->raw, t->len, fam);
}

static void s_text_free(s_text_t *t)
{
    free(t->mask);
    t->mask = NULL;
}

static size_t s_eol(const char *s, size_t pos, size_t len)
{
    const char *nl = memchr(s + pos, '\n', len - pos);
    return nl ? (size_t)(nl - s) : len;
}

static size_t s_count_lines(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] == '\n')
            n++;
    if (len > 0 && s[len - 1] != '\n')
        n++;
    return n;
}

static size_t s_skip_ws(const char *s, size_t i, size_t end)
{
    while (i < end && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
        i++;
    return i;
}

static size_t s_ident_len(const char *s, size_t i, size_t end)
{
    size_t k = i;
    while (k < end && s_is_ident(s[k]))
        k++;
    return k - i;
}

/* The keyword kw at *i (followed by a non-identifier character): advance past it and the
   blanks after it. */
static bool s_kw(const char *s, size_t *i, size_t end, const char *kw)
{
    size_t n = strlen(kw);
    if (*i + n > end || memcmp(s + *i, kw, n) != 0)
        return false;
    if (*i + n < end && s_is_ident(s[*i + n]))
        return false;
    *i = s_skip_ws(s, *i + n, end);
    return true;
}

/* tok at offset i of the mask, at identifier boundaries (call: followed by "("). */
static bool s_token_at(const char *m, size_t len, size_t i, const char *tok, size_t n, bool call)
{
    if (n == 0 || i + n > len || m[i] != tok[0] || memcmp(m + i, tok, n) != 0)
        return false;
    if (i > 0 && s_is_ident(m[i - 1]) && s_is_ident(tok[0]))
        return false;
    size_t j = i + n;
    if (s_is_ident(tok[n - 1]) && j < len && s_is_ident(m[j]))
        return false;
    if (call) {
        j = s_skip_ws(m, j, len);
        if (j >= len || m[j] != '(')
            return false;
    }
    return true;
}

/* Occurrences of tok in the mask; *first = the offset of the first. */
static size_t s_count_token(const char *m, size_t len, const char *tok, bool call, size_t *first)
{
    size_t n = strlen(tok), count = 0;
    if (!m || n == 0 || n > len)
        return 0;
    for (size_t i = 0; i + n <= len; i++) {
        if (!s_token_at(m, len, i, tok, n, call))
            continue;
        if (count == 0 && first)
            *first = i;
        count++;
    }
    return count;
}

static long s_line_of(const char *s, size_t pos)
{
    long line = 1;
    for (size_t i = 0; i < pos; i++)
        if (s[i] == '\n')
            line++;
    return line;
}

/* ================================================================ leading comment */

static bool s_is_licence(const char *text)
{
    char head[320];
    size_t n = strnlen(text, sizeof(head) - 1);
    for (size_t i = 0; i < n; i++)
        head[i] = (char)tolower((unsigned char)text[i]);
    head[n] = '\0';
    return strstr(head, "copyright") || strstr(head, "spdx-license") || strstr(head, "license") ||
           strstr(head, "licence");
}

/* Append one comment line to text, without its leading blanks and marker characters;
   lines of punctuation only (dividers) are dropped. */
static void s_comment_line(char *text, size_t *tl, size_t cap, const char *s, size_t n,
                           const char *markers)
{
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    while (i < n && strchr(markers, s[i]) && s[i])
        i++;
    bool alnum = false;
    for (size_t k = i; k < n; k++)
        if (isalnum((unsigned char)s[k]) || ((unsigned char)s[k] & 0x80))
            alnum = true;
    if (!alnum) {
        if (*tl > 0 && *tl + 1 < cap)
            text[(*tl)++] = '\n'; /* a paragraph break */
        text[*tl] = '\0';
        return;
    }
    for (; i < n && *tl + 2 < cap; i++)
        text[(*tl)++] = s[i] == '\r' ? ' ' : s[i];
    text[(*tl)++] = '\n';
    text[*tl] = '\0';
}

/* The first sentence of the source's leading comment block or module docstring (a
   shebang, an encoding line and licence blocks are skipped). "" if none. */
static void s_leading_comment(const char *src, size_t len, int fam, char *out, size_t outlen)
{
    out[0] = '\0';
    char text[OFFLINE_COMMENT_MAX + 1];
    size_t i = 0;
    if (len > OFFLINE_SCAN_MAX)
        len = OFFLINE_SCAN_MAX;
    for (int blocks = 0; blocks < 4;) {
        while (i < len && (src[i] == ' ' || src[i] == '\t' || src[i] == '\n' || src[i] == '\r'))
            i++;
        if (i >= len)
            return;
        size_t tl = 0;
        text[0] = '\0';
        size_t e = s_eol(src, i, len);
        if (src[i] == '#' && i + 1 < len && src[i + 1] == '!') {
            i = e;
            continue; /* shebang */
        }
        if (fam == F_PY && src[i] == '#' &&
            (memmem(src + i, e - i, "coding", 6) || memmem(src + i, e - i, "vim:", 4))) {
            i = e;
            continue;
        }
        if (fam != F_PY && src[i] == '/' && i + 1 < len && src[i + 1] == '*') {
            size_t j = i + 2;
            while (j < len && !(src[j] == '*' && j + 1 < len && src[j + 1] == '/'))
                j++;
            size_t stop = j;
            for (size_t p = i + 2; p < stop && tl + 2 < sizeof(text);) {
                size_t le = s_eol(src, p, stop);
                s_comment_line(text, &tl, sizeof(text), src + p, le - p, "*!");
                p = le + 1;
            }
            i = j + 2 < len ? j + 2 : len;
        } else if (fam != F_PY && src[i] == '/' && i + 1 < len && src[i + 1] == '/') {
            while (i < len) {
                size_t p = s_skip_ws(src, i, len);
                if (!(p + 1 < len && src[p] == '/' && src[p + 1] == '/'))
                    break;
                size_t le = s_eol(src, p, len);
                s_comment_line(text, &tl, sizeof(text), src + p, le - p, "/!");
                i = le < len ? le + 1 : len;
            }
        } else if ((fam == F_PY || fam == F_OTHER) && src[i] == '#') {
            while (i < len) {
                size_t p = s_skip_ws(src, i, len);
                if (!(p < len && src[p] == '#'))
                    break;
                size_t le = s_eol(src, p, len);
                s_comment_line(text, &tl, sizeof(text), src + p, le - p, "#");
                i = le < len ? le + 1 : len;
            }
        } else if (fam == F_PY) {
            size_t p = i;
            while (p < len && p < i + 2 && strchr("rRuUbB", src[p]) && src[p])
                p++;
            if (!(p + 2 < len && (src[p] == '"' || src[p] == '\'') && src[p + 1] == src[p] &&
                  src[p + 2] == src[p]))
                return; /* code */
            char q = src[p];
            size_t j = p + 3;
            while (j < len && !(src[j] == q && j + 2 < len && src[j + 1] == q && src[j + 2] == q))
                j++;
            for (size_t k = p + 3; k < j;) {
                size_t le = s_eol(src, k, j);
                s_comment_line(text, &tl, sizeof(text), src + k, le - k, "");
                k = le + 1;
            }
            i = j + 3 < len ? j + 3 : len;
        } else {
            return; /* code */
        }
        blocks++;
        if (tl == 0 || s_is_licence(text))
            continue;
        s_first_sentence(text, out, outlen);
        if (s_has_alnum(out))
            return;
        out[0] = '\0';
    }
}

/* A Python class's or function's own docstring inside its source. */
static void s_py_body_docstring(const char *src, size_t len, char *out, size_t outlen)
{
    out[0] = '\0';
    size_t pos = 0, next;
    int state = 0; /* 0: before the header, 1: in the header, 2: after it */
    for (int lines = 0; pos < len && lines < 60; pos = next, lines++) {
        size_t e = s_eol(src, pos, len);
        next = e + 1;
        size_t p = s_skip_ws(src, pos, e);
        if (p == e)
            continue;
        if (state == 0) {
            size_t k = p;
            if (s_kw(src, &k, e, "class") || s_kw(src, &k, e, "def") ||
                (s_kw(src, &k, e, "async") && s_kw(src, &k, e, "def")))
                state = 1;
            else
                continue;
        }
        if (state == 1) {
            size_t z = e;
            while (z > p && (src[z - 1] == ' ' || src[z - 1] == '\t' || src[z - 1] == '\r'))
                z--;
            if (z > p && src[z - 1] == ':')
                state = 2;
            continue;
        }
        /* the first statement of the body */
        size_t q = p;
        while (q < e && q < p + 2 && strchr("rRuU", src[q]) && src[q])
            q++;
        if (q >= e || (src[q] != '"' && src[q] != '\''))
            return;
        char c = src[q];
        bool triple = q + 2 < len && src[q + 1] == c && src[q + 2] == c;
        size_t start = q + (triple ? 3 : 1), j = start;
        while (j < len && j < start + OFFLINE_COMMENT_MAX) {
            if (triple ? (src[j] == c && j + 2 < len && src[j + 1] == c && src[j + 2] == c)
                       : (src[j] == c || src[j] == '\n'))
                break;
            j++;
        }
        char text[OFFLINE_COMMENT_MAX + 1];
        size_t n = j - start;
        memcpy(text, src + start, n);
        text[n] = '\0';
        s_first_sentence(text, out, outlen);
        if (!s_has_alnum(out))
            out[0] = '\0';
        return;
    }
}

/* ================================================================ definitions */

/* Offset of the parenthesis closing the one at `open` (searched within a bound), or 0.
   Searches that may cross lines take the bytes they read from *budget, so that a hostile
   source cannot make the scans quadratic. */
static size_t s_close_paren_b(const char *m, size_t open, size_t len, size_t *budget)
{
    int depth = 0;
    size_t stop = open + OFFLINE_PAREN_MAX < len ? open + OFFLINE_PAREN_MAX : len;
    if (budget) {
        if (*budget < stop - open)
            stop = open + *budget;
        *budget -= stop - open;
    }
    for (size_t i = open; i < stop; i++) {
        if (m[i] == '(')
            depth++;
        else if (m[i] == ')' && --depth == 0) {
            if (budget)
                *budget += stop - i - 1; /* the unread rest back */
            return i;
        }
    }
    return 0;
}

/* Within one line (the bound is the line's end). */
static size_t s_close_paren(const char *m, size_t open, size_t end)
{
    return s_close_paren_b(m, open, end, NULL);
}

static const char *const s_c_keywords[] = {"if",      "else",   "for",      "while",   "do",
                                           "switch",  "case",   "return",   "goto",    "sizeof",
                                           "defined", "typeof", "_Generic", "alignof", NULL};

static bool s_is_keyword(const char *s, size_t n)
{
    for (size_t k = 0; s_c_keywords[k]; k++)
        if (strlen(s_c_keywords[k]) == n && memcmp(s_c_keywords[k], s, n) == 0)
            return true;
    return false;
}

/* A C/C++ function definition starting on the column-0 line [pos, e) of the mask: its
   name's offset and length. */
static bool s_c_function(const char *m, size_t pos, size_t e, size_t len, size_t *budget,
                         size_t *name, size_t *name_len)
{
    const char *paren = memchr(m + pos, '(', e - pos);
    if (!paren)
        return false;
    size_t open = (size_t)(paren - m);
    if (memchr(m + pos, '=', open - pos))
        return false; /* an initialiser */
    size_t z = open;
    while (z > pos && (m[z - 1] == ' ' || m[z - 1] == '\t'))
        z--;
    size_t a = z;
    while (a > pos && (s_is_ident(m[a - 1]) || m[a - 1] == ':' || m[a - 1] == '~'))
        a--;
    if (a == z || !s_is_ident(m[a]) || isdigit((unsigned char)m[a]) || s_is_keyword(m + a, z - a))
        return false;
    size_t close = s_close_paren_b(m, open, len, budget);
    if (!close)
        return false;
    size_t i = close + 1;
    for (int words = 0; words < 8 && i < len; words++) {
        while (i < len && isspace((unsigned char)m[i]))
            i++;
        size_t n = s_ident_len(m, i, len);
        if (n == 0)
            break;
        i += n; /* const, noexcept, override, ... */
    }
    if (i >= len || m[i] != '{')
        return false;
    *name = a;
    *name_len = z - a;
    return true;
}

/* Top-level definitions recognised by per-language line patterns at column 0.
   base_line > 0: record line numbers (base_line = the source's first line). */
static void s_defs(const s_text_t *t, long base_line, s_list_t *out)
{
    const char *m = t->mask, *r = t->raw;
    if (!m)
        return;
    size_t len = t->len, pos = 0, next;
    long no = 0;
    const char *pending = NULL; /* C: an open typedef struct/enum/union */
    long pending_line = 0;
    size_t budget = 4 * (size_t)OFFLINE_SCAN_MAX;
    for (; pos < len; pos = next, no++) {
        size_t e = s_eol(m, pos, len);
        next = e + 1;
        long line = base_line > 0 ? base_line + no : 0;
        char c = m[pos];
        if (pos == e || c == ' ' || c == '\t' || c == '\r')
            continue;
        size_t i = pos, n = 0;
        switch (t->fam) {
        case F_PY: {
            const char *kind = NULL;
            if (s_kw(m, &i, e, "def"))
                kind = "function";
            else if (s_kw(m, &i, e, "async") && s_kw(m, &i, e, "def"))
                kind = "async function";
            else if ((i = pos, s_kw(m, &i, e, "class")))
                kind = "class";
            if (kind && (n = s_ident_len(m, i, e)) > 0)
                s_list_add(out, r + i, n, kind, line);
            break;
        }
        case F_GO: {
            if (s_kw(m, &i, e, "func")) {
                char recv[OFFLINE_ITEM_LEN] = "";
                if (i < e && m[i] == '(') {
                    size_t close = s_close_paren(m, i, e);
                    if (!close)
                        break;
                    size_t z = close; /* the receiver's type: its last identifier */
                    while (z > i && !s_is_ident(m[z - 1]))
                        z--;
                    size_t a = z;
                    while (a > i && s_is_ident(m[a - 1]))
                        a--;
                    if (z > a && z - a < sizeof(recv) - 2)
                        snprintf(recv, sizeof(recv), "%.*s.", (int)(z - a), r + a);
                    i = s_skip_ws(m, close + 1, e);
                }
                if ((n = s_ident_len(m, i, e)) > 0) {
                    char item[OFFLINE_ITEM_LEN * 2];
                    int k = snprintf(item, sizeof(item), "%s%.*s", recv,
                                     (int)(n < OFFLINE_ITEM_LEN ? n : OFFLINE_ITEM_LEN), r + i);
                    s_list_add(out, item, (size_t)k < sizeof(item) ? (size_t)k : sizeof(item) - 1,
                               *recv ? "method" : "function", line);
                }
            } else if (s_kw(m, &i, e, "type") && (n = s_ident_len(m, i, e)) > 0) {
                size_t k = s_skip_ws(m, i + n, e);
                const char *kind = "type";
                if (s_kw(m, &k, e, "struct"))
                    kind = "struct";
                else if (s_kw(m, &k, e, "interface"))
                    kind = "interface";
                s_list_add(out, r + i, n, kind, line);
            }
            break;
        }
        case F_RUST: {
            for (int guard = 0; guard < 6; guard++) {
                if (s_kw(m, &i, e, "pub")) {
                    if (i < e && m[i] == '(') {
                        size_t close = s_close_paren(m, i, e);
                        i = close ? s_skip_ws(m, close + 1, e) : e;
                    }
                } else if (s_kw(m, &i, e, "async") || s_kw(m, &i, e, "unsafe") ||
                           s_kw(m, &i, e, "default")) {
                } else if (s_kw(m, &i, e, "extern")) {
                    if (i < e && m[i] == '"') { /* extern "C" */
                        const char *q = memchr(m + i + 1, '"', e - i - 1);
                        i = q ? s_skip_ws(m, (size_t)(q - m) + 1, e) : e;
                    }
                } else {
                    size_t k = i; /* "const fn", not "const X: T" */
                    if (s_kw(m, &k, e, "const") && k + 2 <= e && memcmp(m + k, "fn", 2) == 0 &&
                        (k + 2 == e || !s_is_ident(m[k + 2]))) {
                        i = k;
                        continue;
                    }
                    break;
                }
            }
            static const struct {
                const char *kw, *kind;
            } kws[] = {{"fn", "function"}, {"struct", "struct"}, {"enum", "enum"},
                       {"trait", "trait"}, {"union", "union"},   {"type", "type"},
                       {"mod", "module"},  {"impl", "impl"},     {"macro_rules!", "macro"}};
            for (size_t k = 0; k < sizeof(kws) / sizeof(kws[0]); k++) {
                size_t j = i;
                size_t kl = strlen(kws[k].kw);
                if (kws[k].kw[kl - 1] == '!') {
                    if (j + kl > e || memcmp(m + j, kws[k].kw, kl) != 0)
                        continue;
                    j = s_skip_ws(m, j + kl, e);
                } else if (!s_kw(m, &j, e, kws[k].kw)) {
                    continue;
                }
                if (strcmp(kws[k].kw, "impl") == 0) {
                    size_t z = j; /* "impl<T> Trait for X": up to "{" or "where" */
                    while (
                        z < e && m[z] != '{' &&
                        !(z + 5 <= e && memcmp(m + z, "where", 5) == 0 && z > j && m[z - 1] == ' '))
                        z++;
                    if (z > j)
                        s_list_add(out, r + j, z - j, "impl", line);
                } else if ((n = s_ident_len(m, j, e)) > 0) {
                    s_list_add(out, r + j, n, kws[k].kind, line);
                }
                break;
            }
            break;
        }
        case F_JS: {
            for (int guard = 0; guard < 5; guard++)
                if (!(s_kw(m, &i, e, "export") || s_kw(m, &i, e, "default") ||
                      s_kw(m, &i, e, "declare") || s_kw(m, &i, e, "abstract")))
                    break;
            const char *kind = NULL;
            size_t k = i;
            if (s_kw(m, &k, e, "async"))
                i = k;
            if (s_kw(m, &i, e, "function")) {
                if (i < e && m[i] == '*')
                    i = s_skip_ws(m, i + 1, e);
                kind = "function";
            } else if (s_kw(m, &i, e, "class")) {
                kind = "class";
            } else if (s_kw(m, &i, e, "interface")) {
                kind = "interface";
            } else if (s_kw(m, &i, e, "enum")) {
                kind = "enum";
            } else if (s_kw(m, &i, e, "type")) {
                kind = "type";
            } else if (s_kw(m, &i, e, "const") || s_kw(m, &i, e, "let") || s_kw(m, &i, e, "var")) {
                n = s_ident_len(m, i, e);
                const char *eq = memchr(m + i, '=', e - i);
                if (n && eq &&
                    (memmem(eq, (size_t)(m + e - eq), "=>", 2) ||
                     memmem(eq, (size_t)(m + e - eq), "function", 8)))
                    kind = "function";
            }
            if (kind && (n = s_ident_len(m, i, e)) > 0)
                s_list_add(out, r + i, n, kind, line);
            break;
        }
        case F_C: {
            if (c == '}') {
                if (pending) {
                    i = s_skip_ws(m, pos + 1, e);
                    if ((n = s_ident_len(m, i, e)) > 0)
                        s_list_add(out, r + i, n, pending, pending_line);
                    pending = NULL;
                }
                break;
            }
            if (!s_is_ident(c) || isdigit((unsigned char)c))
                break;
            bool is_typedef = s_kw(m, &i, e, "typedef");
            const char *kind = NULL;
            if (s_kw(m, &i, e, "struct"))
                kind = "struct";
            else if (s_kw(m, &i, e, "enum"))
                kind = "enum";
            else if (s_kw(m, &i, e, "union"))
                kind = "union";
            else if (!is_typedef && s_kw(m, &i, e, "class"))
                kind = "class";
            if (kind) {
                n = s_ident_len(m, i, e);
                size_t after = s_skip_ws(m, i + n, e);
                bool opens = after < e && (m[after] == '{' || m[after] == ':');
                bool bare = after >= e; /* the brace on the next line */
                if (!memchr(m + pos, '(', e - pos) && (opens || bare) &&
                    !memchr(m + pos, ';', e - pos)) {
                    if (is_typedef) {
                        pending = kind;
                        pending_line = line;
                    } else if (n)
                        s_list_add(out, r + i, n, kind, line);
                    break;
                }
                if (is_typedef)
                    break;
            } else if (is_typedef) {
                break;
            }
            size_t name, name_len;
            if (s_c_function(m, pos, e, len, &budget, &name, &name_len))
                s_list_add(out, r + name, name_len, "function", line);
            break;
        }
        default:
            break;
        }
    }
}

/* ================================================================ imports */

/* The first quoted string in [i, e) of raw. */
static bool s_quoted(const char *r, size_t i, size_t e, size_t *a, size_t *n)
{
    for (; i < e; i++)
        if (r[i] == '"' || r[i] == '\'' || r[i] == '`') {
            const char *q = memchr(r + i + 1, r[i], e - i - 1);
            if (!q)
                return false;
            *a = i + 1;
            *n = (size_t)(q - r) - i - 1;
            return *n > 0;
        }
    return false;
}

static void s_imports(const s_text_t *t, s_list_t *out)
{
    const char *m = t->mask, *r = t->raw;
    if (!m)
        return;
    size_t len = t->len, pos = 0, next;
    bool go_block = false;
    for (; pos < len; pos = next) {
        size_t e = s_eol(r, pos, len);
        next = e + 1;
        size_t i = pos, a, n;
        if (go_block) {
            size_t p = s_skip_ws(m, pos, e);
            if (p < e && m[p] == ')')
                go_block = false;
            else if (p < e && m[p] != ' ' && s_quoted(r, p, e, &a, &n))
                s_list_add(out, r + a, n, NULL, 0);
            continue;
        }
        if (pos == e || m[pos] == ' ' || m[pos] == '\t')
            continue; /* indented, blank, or inside a comment */
        switch (t->fam) {
        case F_C:
            if (r[i] != '#')
                break;
            i = s_skip_ws(r, i + 1, e);
            if (s_kw(r, &i, e, "include") && i < e && (r[i] == '<' || r[i] == '"')) {
                char close = r[i] == '<' ? '>' : '"';
                const char *z = memchr(r + i + 1, close, e - i - 1);
                if (z)
                    s_list_add(out, r + i, (size_t)(z - r) - i + 1, NULL, 0);
            }
            break;
        case F_PY:
            if (s_kw(m, &i, e, "import")) {
                while (i < e) { /* import a, b as c */
                    n = 0;
                    while (i + n < e && (s_is_ident(m[i + n]) || m[i + n] == '.'))
                        n++;
                    if (n)
                        s_list_add(out, r + i, n, NULL, 0);
                    const char *comma = memchr(m + i, ',', e - i);
                    if (!comma)
                        break;
                    i = s_skip_ws(m, (size_t)(comma - m) + 1, e);
                }
            } else if (s_kw(m, &i, e, "from")) {
                n = 0;
                while (i + n < e && (s_is_ident(m[i + n]) || m[i + n] == '.'))
                    n++;
                if (n)
                    s_list_add(out, r + i, n, NULL, 0);
            }
            break;
        case F_GO:
            if (s_kw(m, &i, e, "import")) {
                if (i < e && m[i] == '(')
                    go_block = true;
                else if (s_quoted(r, i, e, &a, &n))
                    s_list_add(out, r + a, n, NULL, 0);
            }
            break;
        case F_RUST:
            if (s_kw(m, &i, e, "pub") && i < e && m[i] == '(') {
                size_t close = s_close_paren(m, i, e);
                i = close ? s_skip_ws(m, close + 1, e) : e;
            }
            if (s_kw(m, &i, e, "use") || (s_kw(m, &i, e, "extern") && s_kw(m, &i, e, "crate"))) {
                const char *semi = memchr(m + i, ';', e - i);
                size_t z = semi ? (size_t)(semi - m) : e;
                s_list_add(out, r + i, z - i, NULL, 0);
            }
            break;
        case F_JS: {
            const char *from = NULL;
            if (s_kw(m, &i, e, "import") || s_kw(m, &i, e, "export") || m[pos] == '}') {
                /* the last " from " on the line, else import "x" */
                for (size_t k = pos; k + 6 <= e; k++)
                    if (memcmp(m + k, "from", 4) == 0 && (k == pos || !s_is_ident(m[k - 1])) &&
                        !s_is_ident(m[k + 4]))
                        from = m + k + 4;
                if (from && s_quoted(r, (size_t)(from - m), e, &a, &n))
                    s_list_add(out, r + a, n, NULL, 0);
                else if (!from && i < e && (m[i] == '"' || m[i] == '\'') &&
                         s_quoted(r, i, e, &a, &n))
                    s_list_add(out, r + a, n, NULL, 0);
            } else {
                const char *req = memmem(m + pos, e - pos, "require(", 8);
                if (req && s_quoted(r, (size_t)(req - m) + 8, e, &a, &n))
                    s_list_add(out, r + a, n, NULL, 0);
            }
            break;
        }
        default:
            break;
        }
    }
}

/* ================================================================ members (class_doc) */

static bool s_js_member_keyword(const char *s, size_t n)
{
    static const char *const kw[] = {"if",     "for",   "while", "switch", "catch",  "function",
                                     "return", "super", "await", "new",    "typeof", NULL};
    for (size_t k = 0; kw[k]; k++)
        if (strlen(kw[k]) == n && memcmp(kw[k], s, n) == 0)
            return true;
    return false;
}

/* Methods (Python, JS/TS, Rust) at the class body's indentation, or (C/C++) the members
   declared at depth 1 of the braces: *kind_out names what was found. */
static void s_members(const s_text_t *t, long base_line, s_list_t *out, const char **what)
{
    const char *m = t->mask, *r = t->raw;
    *what = "Methods";
    if (!m)
        return;
    size_t len = t->len;
    if (t->fam == F_C) {
        *what = "Members";
        int depth = 0;
        bool opened = false; /* inside the type's own braces */
        size_t pos = 0, next;
        long no = 0;
        for (; pos < len; pos = next, no++) {
            size_t e = s_eol(m, pos, len);
            next = e + 1;
            int start_depth = depth;
            for (size_t k = pos; k < e; k++)
                depth += m[k] == '{' ? 1 : m[k] == '}' ? -1 : 0;
            if (depth > 0)
                opened = true;
            else if (opened)
                break; /* the type ends here; methods the analyzer appended follow */
            if (start_depth != 1 || depth != 1)
                continue;
            size_t p = s_skip_ws(m, pos, e), z = e;
            while (z > p && (m[z - 1] == ' ' || m[z - 1] == '\t' || m[z - 1] == '\r'))
                z--;
            if (z <= p || m[z - 1] != ';')
                continue;
            z--;
            long line = base_line > 0 ? base_line + no : 0;
            const char *fp = memmem(m + p, z - p, "(*", 2);
            const char *paren = memchr(m + p, '(', z - p);
            size_t a, n;
            if (fp) { /* a function pointer: int (*name)(...) */
                a = s_skip_ws(m, (size_t)(fp - m) + 2, z);
                if ((n = s_ident_len(m, a, z)) > 0)
                    s_list_add(out, r + a, n, "function pointer", line);
            } else if (paren) { /* C++: a method declaration */
                size_t q = (size_t)(paren - m);
                while (q > p && (m[q - 1] == ' '))
                    q--;
                a = q;
                while (a > p && (s_is_ident(m[a - 1]) || m[a - 1] == '~'))
                    a--;
                if (q > a && !s_is_keyword(m + a, q - a))
                    s_list_add(out, r + a, q - a, "method", line);
            } else { /* fields: "type a, *b, c[4] : 2" */
                size_t seg = p;
                while (seg < z) {
                    const char *comma = memchr(m + seg, ',', z - seg);
                    size_t se = comma ? (size_t)(comma - m) : z;
                    size_t cut = se;
                    for (size_t k = seg; k < se; k++)
                        if (m[k] == '[' || m[k] == ':' || m[k] == '=') {
                            cut = k;
                            break;
                        }
                    while (cut > seg && !s_is_ident(m[cut - 1]))
                        cut--;
                    a = cut;
                    while (a > seg && s_is_ident(m[a - 1]))
                        a--;
                    if (cut > a && !isdigit((unsigned char)m[a]))
                        s_list_add(out, r + a, cut - a, "field", line);
                    seg = se + 1;
                }
            }
        }
        return;
    }
    if (t->fam != F_PY && t->fam != F_JS && t->fam != F_RUST)
        return;
    size_t min_indent = (size_t)-1;
    for (int pass = 0; pass < 2; pass++) {
        size_t pos = 0, next;
        long no = 0;
        for (; pos < len; pos = next, no++) {
            size_t e = s_eol(m, pos, len);
            next = e + 1;
            size_t p = s_skip_ws(m, pos, e);
            size_t indent = p - pos;
            if (indent == 0 || p >= e || (pass == 1 && indent != min_indent))
                continue;
            size_t i = p, n = 0;
            const char *kind = NULL;
            if (t->fam == F_PY) {
                if (s_kw(m, &i, e, "def"))
                    kind = "method";
                else if (s_kw(m, &i, e, "async") && s_kw(m, &i, e, "def"))
                    kind = "async method";
            } else if (t->fam == F_RUST) {
                for (int guard = 0; guard < 5; guard++) {
                    if (s_kw(m, &i, e, "pub")) {
                        if (i < e && m[i] == '(') {
                            size_t close = s_close_paren(m, i, e);
                            i = close ? s_skip_ws(m, close + 1, e) : e;
                        }
                    } else if (!(s_kw(m, &i, e, "async") || s_kw(m, &i, e, "unsafe") ||
                                 s_kw(m, &i, e, "const"))) {
                        break;
                    }
                }
                if (s_kw(m, &i, e, "fn"))
                    kind = "method";
            } else { /* JS/TS: [modifiers] name(...) ... { */
                static const char *const mods[] = {"static",   "async",    "get",       "set",
                                                   "public",   "private",  "protected", "override",
                                                   "readonly", "abstract", NULL};
                for (int guard = 0; guard < 6; guard++) {
                    bool any = false;
                    for (size_t k = 0; mods[k] && !any; k++) {
                        size_t j = i;
                        if (s_kw(m, &j, e, mods[k]) && j < e && m[j] != '(') {
                            i = j;
                            any = true;
                        }
                    }
                    if (!any)
                        break;
                }
                if (i < e && (m[i] == '*' || m[i] == '#'))
                    i++;
                n = s_ident_len(m, i, e);
                size_t j = s_skip_ws(m, i + n, e);
                size_t z = e;
                while (z > j && (m[z - 1] == ' ' || m[z - 1] == '\t' || m[z - 1] == '\r'))
                    z--;
                size_t op = j;
                if (op < e && m[op] == '<') {
                    const char *pp = memchr(m + op, '(', e - op);
                    op = pp ? (size_t)(pp - m) : e;
                }
                size_t cl = op < e && m[op] == '(' ? s_close_paren(m, op, e) : 0;
                bool body = cl ? memchr(m + cl, '{', e - cl) != NULL
                               : (op < e && z > op && m[z - 1] == '('); /* params continue */
                if (n && body && !s_js_member_keyword(m + i, n))
                    kind = "method";
            }
            if (!kind || (n = s_ident_len(m, i, e)) == 0)
                continue;
            if (pass == 0) {
                if (indent < min_indent)
                    min_indent = indent;
            } else {
                s_list_add(out, r + i, n, kind, base_line > 0 ? base_line + no : 0);
            }
        }
        if (min_indent == (size_t)-1)
            return;
    }
}

/* ================================================================ context helpers */

/* The first line of s (bounded) as plain text. */
static void s_put_line(cw_jbuf_t *b, const char *s, size_t max, bool line_start)
{
    size_t n = strnlen(s, max + 1);
    const char *nl = memchr(s, '\n', n);
    if (nl)
        n = (size_t)(nl - s);
    s_put_textn(b, s, n, max, line_start);
}

static const char *s_base(const char *path)
{
    const char *slash = path ? strrchr(path, '/') : NULL;
    return slash ? slash + 1 : (path ? path : "");
}

/* ================================================================ sections */

static void s_purpose_sentence(cw_jbuf_t *b, const char *sentence)
{
    cw_jbuf_raw(b, "### Purpose\n\n");
    s_put_text(b, sentence, OFFLINE_MAX_SENTENCE, true);
}

static void s_location(cw_jbuf_t *b, const cw_gen_target_t *t)
{
    cw_jbuf_raw(b, "\n\nDefined in ");
    s_code(b, t->file, OFFLINE_MAX_ITEM);
    s_printf(b, ", lines %ld-%ld", t->start_line, t->end_line);
    if (t->repo && *t->repo) {
        cw_jbuf_raw(b, " of the ");
        s_put_inline(b, t->repo, OFFLINE_MAX_ITEM);
        cw_jbuf_raw(b, " repository");
    }
    cw_jbuf_raw(b, ".");
}

static bool s_calls_itself(const cw_gen_target_t *t, const s_text_t *src)
{
    const char *name = t->name;
    if (!name || !*name)
        return false;
    for (size_t i = 0; i < t->call_count; i++) {
        const char *c = t->calls[i];
        if (strcmp(c, name) == 0)
            return true;
        const char *dot = strrchr(c, '.');
        if (dot && strcmp(dot + 1, name) == 0 &&
            ((size_t)(dot - c) == 4 && (strncmp(c, "self", 4) == 0 || strncmp(c, "this", 4) == 0)))
            return true;
    }
    /* the definition itself is one occurrence */
    return t->call_count == 0 && s_count_token(src->mask, src->len, name, true, NULL) >= 2;
}

/* ---------------------------------------------------------------- security */

typedef struct {
    const char *tok;
    unsigned fams;
    bool call;
    const char *why;
} s_flag_t;

#define FM_C FM(F_C)
#define FM_PY FM(F_PY)
#define FM_JS FM(F_JS)
static const s_flag_t s_sensitive[] = {
    {"system", FM_C | FM(F_OTHER), true, "runs a shell command"},
    {"os.system", FM_PY, true, "runs a shell command"},
    {"popen", FM_C, true, "runs a shell command"},
    {"os.popen", FM_PY, true, "runs a shell command"},
    {"execl", FM_C | FM_PY, true, "replaces the process with another program"},
    {"execlp", FM_C | FM_PY, true, "replaces the process with another program"},
    {"execle", FM_C | FM_PY, true, "replaces the process with another program"},
    {"execv", FM_C | FM_PY, true, "replaces the process with another program"},
    {"execvp", FM_C | FM_PY, true, "replaces the process with another program"},
    {"execve", FM_C | FM_PY, true, "replaces the process with another program"},
    {"execvpe", FM_C | FM_PY, true, "replaces the process with another program"},
    {"posix_spawn", FM_C, true, "starts a program"},
    {"posix_spawnp", FM_C, true, "starts a program"},
    {"subprocess", FM_PY, false, "starts processes"},
    {"child_process", FM_JS, false, "starts processes"},
    {"execSync", FM_JS, true, "runs a shell command"},
    {"spawnSync", FM_JS, true, "starts a program"},
    {"exec.Command", FM(F_GO), true, "starts a program"},
    {"Command::new", FM(F_RUST), true, "starts a program"},
    {"eval", FM_PY | FM_JS, true, "evaluates code given as text"},
    {"exec", FM_PY, true, "executes code given as text"},
    {"strcpy", FM_C, true, "copies a string without a bound on the destination"},
    {"strcat", FM_C, true, "appends a string without a bound on the destination"},
    {"stpcpy", FM_C, true, "copies a string without a bound on the destination"},
    {"wcscpy", FM_C, true, "copies a string without a bound on the destination"},
    {"wcscat", FM_C, true, "appends a string without a bound on the destination"},
    {"sprintf", FM_C, true, "formats into a buffer without a bound"},
    {"vsprintf", FM_C, true, "formats into a buffer without a bound"},
    {"gets", FM_C, true, "reads a line without a bound"},
    {"alloca", FM_C, true, "allocates a run-time size on the stack"},
    {"mktemp", FM_C | FM_PY, true, "makes a predictable temporary file name"},
    {"tmpnam", FM_C, true, "makes a predictable temporary file name"},
    {"tempnam", FM_C, true, "makes a predictable temporary file name"},
    {"pickle.load", FM_PY, true, "deserialises data into objects"},
    {"pickle.loads", FM_PY, true, "deserialises data into objects"},
    {"marshal.loads", FM_PY, true, "deserialises data into objects"},
    {"shelve.open", FM_PY, true, "deserialises data into objects"},
    {"yaml.load", FM_PY, true, "deserialises data into objects (not safe_load)"},
    {"yaml.unsafe_load", FM_PY, true, "deserialises data into objects"},
    {"jsonpickle.decode", FM_PY, true, "deserialises data into objects"},
    {"innerHTML", FM_JS, false, "inserts HTML"},
    {"outerHTML", FM_JS, false, "inserts HTML"},
    {"dangerouslySetInnerHTML", FM_JS, false, "inserts HTML"},
    {"document.write", FM_JS, true, "inserts HTML"},
    {"unsafe", FM(F_RUST) | FM(F_GO), false, "bypasses the language's memory-safety checks"},
};

static const struct {
    const char *tok;
    unsigned fams;
} s_opens[] = {
    {"fopen", FM_C},
    {"freopen", FM_C},
    {"open", FM_C | FM_PY},
    {"openat", FM_C},
    {"creat", FM_C},
    {"os.Open", FM(F_GO)},
    {"os.OpenFile", FM(F_GO)},
    {"os.Create", FM(F_GO)},
    {"os.ReadFile", FM(F_GO)},
    {"File::open", FM(F_RUST)},
    {"File::create", FM(F_RUST)},
    {"readFile", FM_JS},
    {"readFileSync", FM_JS},
    {"writeFile", FM_JS},
    {"writeFileSync", FM_JS},
    {"createReadStream", FM_JS},
};

static void s_security(cw_jbuf_t *b, const cw_gen_target_t *t, const s_text_t *src)
{
    cw_jbuf_raw(b, "\n\n### Security angle\n\nA keyword scan, not a review: calls and "
                   "constructs that commonly deserve a second look, found in this code "
                   "(comments left out).\n");
    unsigned fam = FM(src->fam);
    size_t found = 0;
    const char *m = src->mask;
    for (size_t k = 0; k < sizeof(s_sensitive) / sizeof(s_sensitive[0]); k++) {
        const s_flag_t *f = &s_sensitive[k];
        if (!(f->fams & fam))
            continue;
        size_t first = 0;
        size_t n = s_count_token(m, src->len, f->tok, f->call, &first);
        bool in_calls = false;
        for (size_t i = 0; n == 0 && i < t->call_count; i++)
            if (strcmp(t->calls[i], f->tok) == 0)
                in_calls = true;
        if (n == 0 && !in_calls)
            continue;
        cw_jbuf_raw(b, "\n- ");
        s_code(b, f->tok, 64);
        cw_jbuf_raw(b, " ");
        cw_jbuf_raw(b, f->why);
        if (n > 0)
            s_printf(b, " (line %ld)", t->start_line + s_line_of(src->raw, first) - 1);
        found++;
    }
    /* opening a path that comes from a parameter */
    size_t budget = OFFLINE_SCAN_MAX;
    for (size_t k = 0; m && k < sizeof(s_opens) / sizeof(s_opens[0]); k++) {
        if (!(s_opens[k].fams & fam))
            continue;
        size_t tl = strlen(s_opens[k].tok);
        bool reported = false;
        for (size_t i = 0; i + tl <= src->len && !reported; i++) {
            if (!s_token_at(m, src->len, i, s_opens[k].tok, tl, true))
                continue;
            size_t open = s_skip_ws(m, i + tl, src->len);
            size_t close = s_close_paren_b(m, open, src->len, &budget);
            if (!close)
                continue;
            for (size_t p = 0; p < t->parameter_count && p < 16 && !reported; p++) {
                const char *pn = t->parameters[p];
                if (!*pn || strlen(pn) > 64 || strcmp(pn, "self") == 0 || strcmp(pn, "this") == 0 ||
                    strcmp(pn, "cls") == 0)
                    continue;
                if (s_count_token(m + open, close - open, pn, false, NULL) > 0) {
                    cw_jbuf_raw(b, "\n- ");
                    s_code(b, s_opens[k].tok, 64);
                    cw_jbuf_raw(b, " opens a path built from the parameter ");
                    s_code(b, pn, 64);
                    s_printf(b, " (line %ld)", t->start_line + s_line_of(src->raw, i) - 1);
                    reported = true;
                    found++;
                }
            }
        }
    }
    /* SQL text inside string literals */
    static const char *const sql[] = {"SELECT ",     "INSERT INTO", "UPDATE ",
                                      "DELETE FROM", "DROP TABLE",  NULL};
    bool sql_found = false;
    for (size_t k = 0; m && sql[k] && !sql_found; k++) {
        size_t n = strlen(sql[k]);
        for (const char *p = src->raw;
             (p = memmem(p, src->len - (size_t)(p - src->raw), sql[k], n)) != NULL; p++) {
            if (m[p - src->raw] == S_STRCHAR) {
                cw_jbuf_raw(b, "\n- SQL text in a string literal (");
                s_code(b, sql[k], 16);
                s_printf(b, ", line %ld): check how values reach the query",
                         t->start_line + s_line_of(src->raw, (size_t)(p - src->raw)) - 1);
                sql_found = true;
                found++;
                break;
            }
        }
    }
    if (found == 0)
        cw_jbuf_raw(b, "\nNothing from the usual list (shell and program execution, eval, "
                       "unbounded string copies, unsafe deserialisation, SQL text, opening a "
                       "path taken from a parameter) appears.");
}

/* ---------------------------------------------------------------- performance */

typedef struct {
    const char *tok;
    unsigned fams;
    bool call;
} s_tok_t;

static void s_count_list(cw_jbuf_t *b, const s_text_t *src, const s_tok_t *toks, size_t n,
                         const char *label, const char *none)
{
    unsigned fam = FM(src->fam);
    bool any = false;
    for (size_t k = 0; k < n; k++) {
        if (!(toks[k].fams & fam))
            continue;
        size_t c = s_count_token(src->mask, src->len, toks[k].tok, toks[k].call, NULL);
        if (!c)
            continue;
        cw_jbuf_raw(b, any ? ", " : "\n- ");
        if (!any) {
            cw_jbuf_raw(b, label);
            cw_jbuf_raw(b, ": ");
        }
        s_code(b, toks[k].tok, 64);
        s_printf(b, " %zu", c);
        any = true;
    }
    if (!any && none) {
        cw_jbuf_raw(b, "\n- ");
        cw_jbuf_raw(b, none);
    }
}

static void s_performance(cw_jbuf_t *b, const cw_gen_target_t *t, const s_text_t *src)
{
    cw_jbuf_raw(b, "\n\n### Performance angle\n\nCounted in the source with comments and "
                   "strings left out (a keyword count, not a measurement):\n");
    static const s_tok_t loops[] = {{"for", FM_ALL, false},
                                    {"while", FM_ALL & ~FM(F_GO), false},
                                    {"do", FM_C | FM_JS, false},
                                    {"loop", FM(F_RUST), false}};
    size_t total = 0;
    for (size_t k = 0; k < sizeof(loops) / sizeof(loops[0]); k++)
        if (loops[k].fams & FM(src->fam))
            total += s_count_token(src->mask, src->len, loops[k].tok, false, NULL);
    if (total == 0)
        cw_jbuf_raw(b, "\n- Loops: none (no loop keyword)");
    else
        s_count_list(b, src, loops, sizeof(loops) / sizeof(loops[0]), "Loop keywords", NULL);
    static const s_tok_t allocs[] = {
        {"malloc", FM_C, true},
        {"calloc", FM_C, true},
        {"realloc", FM_C, true},
        {"strdup", FM_C, true},
        {"strndup", FM_C, true},
        {"asprintf", FM_C, true},
        {"vasprintf", FM_C, true},
        {"aligned_alloc", FM_C, true},
        {"append", FM_PY | FM(F_GO), true},
        {"extend", FM_PY, true},
        {"insert", FM_PY, true},
        {"copy", FM_PY, true},
        {"deepcopy", FM_PY, true},
        {"make", FM(F_GO), true},
        {"new", FM(F_GO), true},
        {"Vec::new", FM(F_RUST), true},
        {"Vec::with_capacity", FM(F_RUST), true},
        {"vec!", FM(F_RUST), false},
        {"Box::new", FM(F_RUST), true},
        {"String::new", FM(F_RUST), true},
        {"String::from", FM(F_RUST), true},
        {"to_string", FM(F_RUST), true},
        {"to_owned", FM(F_RUST), true},
        {"clone", FM(F_RUST), true},
        {"collect", FM(F_RUST), true},
        {"format!", FM(F_RUST), false},
        {"push", FM(F_RUST) | FM_JS, true},
        {"new", FM_JS, false},
        {"concat", FM_JS, true},
    };
    s_count_list(b, src, allocs, sizeof(allocs) / sizeof(allocs[0]), "Allocation and growth calls",
                 "Allocation and growth calls: none from the usual list");
    static const s_tok_t sorts[] = {{"qsort", FM_C, true},
                                    {"sort", FM_PY | FM_JS | FM(F_RUST), true},
                                    {"sorted", FM_PY, true},
                                    {"sort_by", FM(F_RUST), true},
                                    {"sort.Slice", FM(F_GO), true}};
    s_count_list(b, src, sorts, sizeof(sorts) / sizeof(sorts[0]), "Sorting", NULL);
    static const s_tok_t io[] = {
        {"fopen", FM_C, true},          {"fread", FM_C, true},
        {"fwrite", FM_C, true},         {"fgets", FM_C, true},
        {"read", FM_C, true},           {"write", FM_C, true},
        {"recv", FM_C, true},           {"send", FM_C, true},
        {"open", FM_PY, true},          {"sleep", FM_C, true},
        {"usleep", FM_C, true},         {"nanosleep", FM_C, true},
        {"time.sleep", FM_PY, true},    {"thread::sleep", FM(F_RUST), true},
        {"time.Sleep", FM(F_GO), true},
    };
    s_count_list(b, src, io, sizeof(io) / sizeof(io[0]), "I/O and waits", NULL);
    if (s_calls_itself(t, src))
        cw_jbuf_raw(b, "\n- It calls itself (recursion).");
}

/* ---------------------------------------------------------------- til */

static void s_til(cw_jbuf_t *b, const cw_gen_target_t *t, const s_text_t *src, const char *name)
{
    cw_jbuf_raw(b, "\n\n### Today I learned\n\n");
    size_t yields = (src->fam == F_PY || src->fam == F_JS)
                        ? s_count_token(src->mask, src->len, "yield", false, NULL)
                        : 0;
    size_t gotos = src->fam == F_C ? s_count_token(src->mask, src->len, "goto", false, NULL) : 0;
    s_code(b, name, OFFLINE_MAX_ITEM);
    if (s_calls_itself(t, src)) {
        cw_jbuf_raw(b, " calls itself: it is recursive.");
    } else if (yields > 0) {
        s_printf(b, " contains `yield` (%zu times): it is a generator.", yields);
    } else if (t->decorator_count > 0) {
        cw_jbuf_raw(b, " is decorated with ");
        s_code(b, t->decorators[0], OFFLINE_MAX_ITEM);
        if (t->decorator_count > 1)
            s_printf(b, " and %zu more", t->decorator_count - 1);
        cw_jbuf_raw(b, ".");
    } else if (t->is_async) {
        cw_jbuf_raw(b, " is declared `async`.");
    } else if (gotos > 0) {
        if (gotos == 1)
            cw_jbuf_raw(b, " uses `goto` once.");
        else
            s_printf(b, " uses `goto` %zu times.", gotos);
    } else if (t->complexity >= 10 && t->nloc > 0) {
        double per = t->nloc / (t->complexity - 1);
        s_printf(b,
                 " has a cyclomatic complexity of %.0f in %ld lines of code: about one "
                 "decision point every %.1f lines.",
                 t->complexity, t->nloc, per);
    } else if (t->nesting >= 4) {
        s_printf(b, " nests blocks %ld levels deep.", t->nesting);
    } else if (t->params >= 5) {
        s_printf(b, " takes %ld parameters.", t->params);
    } else if (t->call_count > 0) {
        s_printf(b, " calls %zu other function%s; the first listed is ", t->call_count,
                 t->call_count == 1 ? "" : "s");
        s_code(b, t->calls[0], OFFLINE_MAX_ITEM);
        cw_jbuf_raw(b, ".");
    } else {
        long span = t->end_line >= t->start_line ? t->end_line - t->start_line + 1 : 0;
        s_printf(b, " makes no calls: all its work happens in its %ld lines.", span);
    }
}

/* ================================================================ per kind */

static void s_function_doc(cw_jbuf_t *b, const cw_gen_target_t *t, const char *name)
{
    int fam = s_family(t->language);
    s_text_t src;
    s_text_init(&src, t->source, fam);

    char sentence[OFFLINE_MAX_SENTENCE + 1] = "";
    if (t->docstring)
        s_first_sentence(t->docstring, sentence, sizeof(sentence));
    if (!*sentence)
        s_leading_comment(src.raw, src.len, fam, sentence, sizeof(sentence));
    if (*sentence) {
        s_purpose_sentence(b, sentence);
    } else {
        cw_jbuf_raw(b, "### Purpose\n\n");
        s_code(b, name, OFFLINE_MAX_ITEM);
        cw_jbuf_raw(b, " is a ");
        if (t->language && *t->language) {
            s_put_inline(b, t->language, 32);
            cw_jbuf_raw(b, " ");
        }
        cw_jbuf_raw(b, "function without a docstring.");
    }
    s_location(b, t);

    if (t->signature && *t->signature) {
        cw_jbuf_raw(b, "\n\n### Signature\n\n```");
        s_put_inline(b, t->language, 32);
        cw_jbuf_raw(b, "\n");
        /* the signature may span lines; keep them but never let it close the fence */
        size_t len = strnlen(t->signature, OFFLINE_MAX_SIGNATURE + 1);
        size_t n = cw_utf8_prefix(t->signature, len, OFFLINE_MAX_SIGNATURE);
        char *sig = strndup(t->signature, n);
        if (sig) {
            for (char *p = sig; *p; p++)
                if (*p == '`')
                    *p = '\'';
                else if (*p == '\r' || (*p != '\n' && (unsigned char)*p < 0x20))
                    *p = ' ';
            cw_jbuf_raw(b, sig);
            free(sig);
        }
        cw_jbuf_raw(b, "\n```");
    }
    if (t->is_async)
        cw_jbuf_raw(b, "\n\nIt is declared `async`.");

    if (t->parameter_count)
        s_list(b, "Parameters", t->parameters, t->parameter_count);
    else if (t->parameters || t->params == 0)
        cw_jbuf_raw(b, "\n\n### Parameters\n\nNone.");

    cw_jbuf_raw(b, "\n\n### Complexity\n");
    s_printf(b, "\n- Cyclomatic complexity: %.1f", t->complexity);
    long span = t->end_line >= t->start_line ? t->end_line - t->start_line + 1 : 0;
    s_printf(b, "\n- Lines: %ld", span);
    if (t->nloc >= 0)
        s_printf(b, " (%ld lines of code)", t->nloc);
    if (t->nesting >= 0)
        s_printf(b, "\n- Maximum nesting depth: %ld", t->nesting);
    if (t->params >= 0)
        s_printf(b, "\n- Parameter count: %ld", t->params);

    if (t->call_count)
        s_list(b, "Calls", t->calls, t->call_count);
    if (t->decorator_count)
        s_list(b, "Decorators", t->decorators, t->decorator_count);

    if (t->doc_type == CW_DOC_SECURITY)
        s_security(b, t, &src);
    else if (t->doc_type == CW_DOC_PERFORMANCE)
        s_performance(b, t, &src);
    else if (t->doc_type == CW_DOC_TIL)
        s_til(b, t, &src, name);
    s_text_free(&src);
}

/* The class kind from the analyzer's context ("A struct `x` of ..."), else "class". */
static void s_class_kind(const char *context, char *out, size_t outlen)
{
    snprintf(out, outlen, "class");
    if (!context || strncmp(context, "A ", 2) != 0)
        return;
    size_t n = 0;
    while (n < 20 && isalpha((unsigned char)context[2 + n]))
        n++;
    if (n > 0 && n < outlen && context[2 + n] == ' ')
        snprintf(out, outlen, "%.*s", (int)n, context + 2);
}

static void s_class_doc(cw_jbuf_t *b, const cw_gen_target_t *t, const char *name)
{
    int fam = s_family(t->language);
    s_text_t src;
    s_text_init(&src, t->source, fam);
    char kind[24];
    s_class_kind(t->context, kind, sizeof(kind));

    char sentence[OFFLINE_MAX_SENTENCE + 1] = "";
    if (t->docstring)
        s_first_sentence(t->docstring, sentence, sizeof(sentence));
    if (!*sentence && fam == F_PY)
        s_py_body_docstring(src.raw, src.len, sentence, sizeof(sentence));
    if (!*sentence)
        s_leading_comment(src.raw, src.len, fam, sentence, sizeof(sentence));
    if (*sentence) {
        s_purpose_sentence(b, sentence);
    } else {
        cw_jbuf_raw(b, "### Purpose\n\n");
        s_code(b, name, OFFLINE_MAX_ITEM);
        cw_jbuf_raw(b, " is a ");
        if (t->language && *t->language) {
            s_put_inline(b, t->language, 32);
            cw_jbuf_raw(b, " ");
        }
        cw_jbuf_raw(b, kind);
        if (t->context && strstr(t->context, "it has a docstring"))
            cw_jbuf_raw(b, "; its docstring is not part of the source passed on.");
        else
            cw_jbuf_raw(b, " without a docstring.");
    }
    s_location(b, t);
    if (t->context) {
        cw_jbuf_raw(b, "\n\nThe analyzer's summary: ");
        s_put_line(b, t->context, OFFLINE_MAX_TEXT, false);
    }

    s_list_t *members = calloc(1, sizeof(*members));
    if (members) {
        const char *what = "Methods";
        s_members(&src, t->start_line > 0 ? t->start_line : 1, members, &what);
        if (members->total > 0) {
            s_printf(b, "\n\n### %s\n\n%s found in the source by line patterns:\n", what, what);
            s_list_emit(b, members, OFFLINE_SHOWN);
        }
        free(members);
    }

    cw_jbuf_raw(b, "\n\n### Size\n");
    long span = t->end_line >= t->start_line ? t->end_line - t->start_line + 1 : 0;
    s_printf(b, "\n- Lines: %ld", span);
    if (t->complexity > 0)
        s_printf(b, "\n- Cyclomatic complexity summed over its methods: %.0f", t->complexity);
    if (t->decorator_count)
        s_list(b, "Decorators", t->decorators, t->decorator_count);
    s_text_free(&src);
}

/* Purpose from the source's leading comment, or what is missing. */
static void s_file_purpose(cw_jbuf_t *b, const s_text_t *src, const char *file)
{
    char sentence[OFFLINE_MAX_SENTENCE + 1] = "";
    s_leading_comment(src->raw, src->len, src->fam, sentence, sizeof(sentence));
    if (*sentence) {
        s_purpose_sentence(b, sentence);
        return;
    }
    cw_jbuf_raw(b, "### Purpose\n\n");
    s_code(b, s_base(file), OFFLINE_MAX_ITEM);
    cw_jbuf_raw(b, src->fam == F_PY ? " starts without a module docstring or leading comment."
                                    : " starts without a leading comment.");
}

/* "The scan covers ..." when the source passed on is shorter than the file. */
static void s_coverage(cw_jbuf_t *b, const cw_gen_target_t *t, const s_text_t *src)
{
    long span = t->end_line >= t->start_line ? t->end_line - t->start_line + 1 : 0;
    size_t shown = s_count_lines(src->raw, src->len);
    if ((long)shown < span)
        s_printf(b,
                 " The analyzer passed on the first %zu of its %ld lines; the lists below "
                 "cover those.",
                 shown, span);
}

static void s_defs_section(cw_jbuf_t *b, const s_text_t *src, long base_line, size_t shown)
{
    s_list_t *defs = calloc(1, sizeof(*defs));
    if (!defs)
        return;
    s_defs(src, base_line, defs);
    cw_jbuf_raw(b, "\n\n### Definitions\n\n");
    if (defs->total == 0) {
        cw_jbuf_raw(b, "No top-level definition was recognised by the line patterns.");
    } else {
        s_printf(b, "Top-level definitions recognised by line patterns (%zu):\n", defs->total);
        s_list_emit(b, defs, shown);
    }
    free(defs);
}

static void s_file_doc(cw_jbuf_t *b, const cw_gen_target_t *t)
{
    int fam = s_family(t->language);
    s_text_t src;
    s_text_init(&src, t->source, fam);
    s_file_purpose(b, &src, t->file);

    long span = t->end_line >= t->start_line ? t->end_line - t->start_line + 1 : 0;
    cw_jbuf_raw(b, "\n\nFile ");
    s_code(b, t->file, OFFLINE_MAX_ITEM);
    if (t->repo && *t->repo) {
        cw_jbuf_raw(b, " of the ");
        s_put_inline(b, t->repo, OFFLINE_MAX_ITEM);
        cw_jbuf_raw(b, " repository");
    }
    s_printf(b, ", %ld lines", span);
    if (t->language && *t->language) {
        cw_jbuf_raw(b, " of ");
        s_put_inline(b, t->language, 32);
    }
    cw_jbuf_raw(b, ".");
    s_coverage(b, t, &src);
    if (t->context) {
        cw_jbuf_raw(b, "\n\nThe analyzer's summary: ");
        s_put_line(b, t->context, OFFLINE_MAX_TEXT, false);
    }

    s_list_t *imports = calloc(1, sizeof(*imports));
    if (imports) {
        s_imports(&src, imports);
        if (imports->total > 0) {
            s_printf(b, "\n\n### %s\n", fam == F_C ? "Includes" : "Imports");
            s_list_emit(b, imports, OFFLINE_SHOWN);
        }
        free(imports);
    }
    s_defs_section(b, &src, t->start_line > 0 ? t->start_line : 1, OFFLINE_SHOWN);
    s_text_free(&src);
}

static void s_module_doc(cw_jbuf_t *b, const cw_gen_target_t *t)
{
    int fam = s_family(t->language);
    const char *source = t->source ? t->source : "";
    size_t len = strnlen(source, OFFLINE_SCAN_MAX);
    /* the listing, a blank line, then "`index`..." and the index file's head */
    const char *blank = memmem(source, len, "\n\n", 2);
    size_t list_end = blank ? (size_t)(blank - source) : len;
    const char *head = NULL;
    char index[OFFLINE_ITEM_LEN] = "";
    if (blank) {
        const char *p = blank + 2;
        size_t rest = len - (size_t)(p - source);
        const char *nl = memchr(p, '\n', rest);
        const char *tick = rest > 1 && *p == '`' ? memchr(p + 1, '`', rest - 1) : NULL;
        if (tick && (!nl || tick < nl) && (size_t)(tick - p - 1) < sizeof(index)) {
            snprintf(index, sizeof(index), "%.*s", (int)(tick - p - 1), p + 1);
            head = nl && strncmp(tick + 1, " is empty", 9) != 0 ? nl + 1 : NULL;
        }
    }

    char sentence[OFFLINE_MAX_SENTENCE + 1] = "";
    if (head)
        s_leading_comment(head, len - (size_t)(head - source), fam, sentence, sizeof(sentence));
    if (*sentence) {
        s_purpose_sentence(b, sentence);
    } else if (*index) {
        cw_jbuf_raw(b, "### Purpose\n\nThe index file ");
        s_code(b, index, OFFLINE_ITEM_LEN);
        cw_jbuf_raw(b, head ? " starts without a leading comment." : " is empty.");
    } else {
        cw_jbuf_raw(b, "### Purpose\n\nNo index file was passed on.");
    }
    cw_jbuf_raw(b, "\n\nDirectory ");
    s_code(b, t->file, OFFLINE_MAX_ITEM);
    if (t->repo && *t->repo) {
        cw_jbuf_raw(b, " of the ");
        s_put_inline(b, t->repo, OFFLINE_MAX_ITEM);
        cw_jbuf_raw(b, " repository");
    }
    cw_jbuf_raw(b, ".");
    if (t->context) {
        cw_jbuf_raw(b, " ");
        s_put_line(b, t->context, OFFLINE_MAX_TEXT, false);
    }

    /* the files: "- name (N lines, N functions, N classes)" */
    size_t listed = 0, shown = 0;
    long lines = 0, functions = 0, more = 0;
    bool sums = true;
    size_t pos = 0, next;
    for (; pos < list_end; pos = next) {
        size_t e = s_eol(source, pos, list_end);
        next = e + 1;
        if (e - pos < 3 || source[pos] != '-' || source[pos + 1] != ' ')
            continue;
        const char *item = source + pos + 2;
        size_t n = e - pos - 2;
        if (n > 8 && memcmp(item, "... and ", 8) == 0) {
            more = strtol(item + 8, NULL, 10);
            if (more < 0 || more > 1000000)
                more = 0;
            continue;
        }
        if (listed == 0)
            cw_jbuf_raw(b, "\n\n### Files\n");
        listed++;
        const char *open = NULL;
        for (size_t k = n; k > 1; k--)
            if (item[k - 2] == ' ' && item[k - 1] == '(') {
                open = item + k - 1;
                break;
            }
        char details[160] = "";
        size_t name_len = n;
        if (open && item[n - 1] == ')') {
            name_len = (size_t)(open - item) - 1;
            size_t dl = (size_t)(item + n - 1 - open - 1);
            if (dl < sizeof(details))
                snprintf(details, sizeof(details), "%.*s", (int)dl, open + 1);
        }
        long fl = 0, ff = 0;
        if (sscanf(details, "%ld lines, %ld functions", &fl, &ff) == 2) {
            lines += fl;
            functions += ff;
        } else {
            sums = false;
        }
        if (shown >= OFFLINE_SHOWN)
            continue;
        shown++;
        char nm[OFFLINE_ITEM_LEN];
        snprintf(nm, sizeof(nm), "%.*s", (int)(name_len < sizeof(nm) ? name_len : sizeof(nm) - 1),
                 item);
        cw_jbuf_raw(b, "\n- ");
        s_code(b, nm, OFFLINE_ITEM_LEN);
        if (*details) {
            cw_jbuf_raw(b, ": ");
            s_put_text(b, details, sizeof(details), false);
        }
    }
    if (listed > shown || more > 0)
        s_printf(b, "\n- ... and %ld more", (long)(listed - shown) + more);
    if (listed > 0 && sums)
        s_printf(b, "\n\nTogether the %zu files listed have %ld lines and %ld functions.", listed,
                 lines, functions);
    if (*index && t->end_line > 0)
        s_printf(b, "\n\nThe index file has %ld lines.",
                 t->end_line >= t->start_line ? t->end_line - t->start_line + 1 : 0);
}

static void s_evolution_doc(cw_jbuf_t *b, const cw_gen_target_t *t)
{
    const char *ctx = t->context ? t->context : "";
    /* "Commit <hash> by <author>: <message>\nFile: <file> (new file|modified, +A -D lines)" */
    char hash[48] = "", author[200] = "", message[OFFLINE_MAX_TEXT + 1] = "";
    const char *nl = strchr(ctx, '\n');
    size_t l1 = nl ? (size_t)(nl - ctx) : strlen(ctx);
    if (strncmp(ctx, "Commit ", 7) == 0) {
        const char *h = ctx + 7;
        size_t hn = 0;
        while (h + hn < ctx + l1 && isxdigit((unsigned char)h[hn]) && hn < sizeof(hash) - 1)
            hn++;
        if (hn > 0 && strncmp(h + hn, " by ", 4) == 0) {
            snprintf(hash, sizeof(hash), "%.*s", (int)hn, h);
            const char *a = h + hn + 4;
            const char *colon = memmem(a, (size_t)(ctx + l1 - a), ": ", 2);
            if (colon) {
                size_t an = (size_t)(colon - a);
                snprintf(author, sizeof(author), "%.*s",
                         (int)(an < sizeof(author) ? an : sizeof(author) - 1), a);
                size_t mn = (size_t)(ctx + l1 - colon - 2);
                snprintf(message, sizeof(message), "%.*s",
                         (int)(mn < sizeof(message) ? mn : sizeof(message) - 1), colon + 2);
            }
        }
    }
    const char *line2 = nl ? nl + 1 : "";
    const char *state = strstr(line2, "(new file,")   ? "a new file"
                        : strstr(line2, "(modified,") ? "modified"
                                                      : NULL;
    long added = -1, deleted = -1;
    const char *counts = strstr(line2, " lines)");
    if (counts) {
        const char *p = counts;
        while (p > line2 && p[-1] != '+' && counts - p < 40)
            p--;
        if (p > line2 && p[-1] == '+' && sscanf(p, "%ld -%ld", &added, &deleted) != 2)
            added = deleted = -1;
        if (added < 0 || deleted < 0)
            added = deleted = -1;
    }
    bool truncated = strstr(ctx, "The diff shown is the first") != NULL;

    /* the diff */
    const char *src = t->source ? t->source : "";
    size_t len = strnlen(src, OFFLINE_SCAN_MAX);
    size_t plus = 0, minus = 0, hunks = 0;
    bool in_hunk = false, diff_new = false;
    s_list_t *hl = calloc(1, sizeof(*hl));
    char *added_text = malloc(len + 1);
    size_t at = 0;
    size_t pos = 0, next;
    for (; pos < len; pos = next) {
        size_t e = s_eol(src, pos, len);
        next = e + 1;
        size_t n = e - pos;
        const char *l = src + pos;
        if (n >= 10 && memcmp(l, "diff --git", 10) == 0) {
            in_hunk = false;
        } else if (!in_hunk && n >= 13 && memcmp(l, "new file mode", 13) == 0) {
            diff_new = true;
        } else if (n >= 2 && l[0] == '@' && l[1] == '@') {
            in_hunk = true;
            hunks++;
            if (hl)
                s_list_add(hl, l, n, NULL, 0);
        } else if (in_hunk && n >= 1 && l[0] == '+') {
            plus++;
            if (added_text) {
                memcpy(added_text + at, l + 1, n - 1);
                at += n - 1;
                added_text[at++] = '\n';
            }
        } else if (in_hunk && n >= 1 && l[0] == '-') {
            minus++;
        }
    }
    if (!state && hunks > 0)
        state = diff_new ? "a new file" : "modified";

    cw_jbuf_raw(b, "### Change\n\n");
    if (*message)
        s_put_text(b, message, OFFLINE_MAX_TEXT, true);
    else if (*ctx)
        s_put_line(b, ctx, OFFLINE_MAX_TEXT, true);
    else
        cw_jbuf_raw(b, "No commit message was passed on.");
    cw_jbuf_raw(b, "\n");
    if (*hash) {
        cw_jbuf_raw(b, "\n- Commit: ");
        s_code(b, hash, sizeof(hash));
    }
    if (*author) {
        cw_jbuf_raw(b, "\n- Author: ");
        s_put_text(b, author, sizeof(author), false);
    }
    cw_jbuf_raw(b, "\n- File: ");
    s_code(b, t->file, OFFLINE_MAX_ITEM);
    if (state) {
        cw_jbuf_raw(b, ", ");
        cw_jbuf_raw(b, state);
    }
    if (t->repo && *t->repo) {
        cw_jbuf_raw(b, ", in the ");
        s_put_inline(b, t->repo, OFFLINE_MAX_ITEM);
        cw_jbuf_raw(b, " repository");
    }
    if (added >= 0)
        s_printf(b, "\n- Whole change: +%ld -%ld lines", added, deleted);
    s_printf(b, "\n- Diff shown: +%zu -%zu lines in %zu hunk%s", plus, minus, hunks,
             hunks == 1 ? "" : "s");
    if (truncated)
        cw_jbuf_raw(b, " (the beginning of the change only)");
    if (t->end_line > 0)
        s_printf(b, "\n- Lines %ld-%ld of the new version are covered by the hunks", t->start_line,
                 t->end_line);

    if (hl && hl->total > 0) {
        cw_jbuf_raw(b, "\n\n### Hunks\n");
        s_list_emit(b, hl, 12);
    }
    free(hl);
    if (added_text) {
        added_text[at] = '\0';
        s_text_t add;
        s_text_init(&add, added_text, s_family(t->language));
        s_list_t *defs = calloc(1, sizeof(*defs));
        if (defs) {
            s_defs(&add, 0, defs);
            if (defs->total > 0) {
                cw_jbuf_raw(b, "\n\n### Definitions on added lines\n\nRecognised by line "
                               "patterns:\n");
                s_list_emit(b, defs, 15);
            }
            free(defs);
        }
        s_text_free(&add);
        free(added_text);
    }
}

/* Which of the indicators (`a`, `b`, ...) appear in the code passed on, outside comments
   and strings. */
static void s_indicators_in_code(cw_jbuf_t *b, const s_text_t *src, const char *ind)
{
    if (!src->mask)
        return;
    size_t seen = 0, in_code = 0;
    for (const char *p = strchr(ind, '`'); p && seen < 32; seen++) {
        const char *q = strchr(p + 1, '`');
        if (!q)
            break;
        size_t n = (size_t)(q - p - 1);
        if (n > 0 && n <= 64 && memmem(src->mask, src->len, p + 1, n)) {
            char item[72];
            snprintf(item, sizeof(item), "%.*s", (int)n, p + 1);
            cw_jbuf_raw(b, in_code++ ? ", "
                                     : " Of these, the code passed on (comments and "
                                       "strings left out) contains ");
            s_code(b, item, sizeof(item));
        }
        p = strchr(q + 1, '`');
    }
    if (seen == 0)
        return;
    if (in_code)
        cw_jbuf_raw(b, ".");
    else
        cw_jbuf_raw(b, " None of them appears in the code passed on outside comments and "
                       "strings.");
}

static void s_pattern_doc(cw_jbuf_t *b, const cw_gen_target_t *t)
{
    int fam = s_family(t->language);
    s_text_t src;
    s_text_init(&src, t->source, fam);
    s_file_purpose(b, &src, t->file);
    long span = t->end_line >= t->start_line ? t->end_line - t->start_line + 1 : 0;
    cw_jbuf_raw(b, "\n\nFile ");
    s_code(b, t->file, OFFLINE_MAX_ITEM);
    if (t->repo && *t->repo) {
        cw_jbuf_raw(b, " of the ");
        s_put_inline(b, t->repo, OFFLINE_MAX_ITEM);
        cw_jbuf_raw(b, " repository");
    }
    s_printf(b, ", %ld lines.", span);

    /* "Likely <p> pattern: `a`, `b`" and "Also <p> pattern: ..." lines */
    const char *ctx = t->context ? t->context : "";
    size_t clen = strnlen(ctx, OFFLINE_SCAN_MAX);
    cw_jbuf_raw(b, "\n\n### Pattern\n\n");
    bool likely = false;
    size_t others = 0;
    size_t pos = 0, next;
    for (int lines = 0; pos < clen && lines < 20; pos = next, lines++) {
        size_t e = s_eol(ctx, pos, clen);
        next = e + 1;
        const char *l = ctx + pos;
        size_t n = e - pos;
        bool is_likely = n > 7 && memcmp(l, "Likely ", 7) == 0;
        bool is_also = n > 5 && memcmp(l, "Also ", 5) == 0;
        const char *mark = memmem(l, n, " pattern: ", 10);
        if ((!is_likely && !is_also) || !mark)
            continue;
        const char *pn = l + (is_likely ? 7 : 5);
        char pname[64];
        size_t pl = (size_t)(mark - pn);
        snprintf(pname, sizeof(pname), "%.*s", (int)(pl < sizeof(pname) ? pl : sizeof(pname) - 1),
                 pn);
        char ind[OFFLINE_MAX_TEXT + 1];
        size_t il = (size_t)(l + n - mark - 10);
        snprintf(ind, sizeof(ind), "%.*s", (int)(il < sizeof(ind) ? il : sizeof(ind) - 1),
                 mark + 10);
        if (is_likely && !likely) {
            cw_jbuf_raw(b, "The analyzer's keyword scan points to the ");
            s_code(b, pname, sizeof(pname));
            cw_jbuf_raw(b, " pattern. Indicators found in the file: ");
            s_put_text(b, ind, OFFLINE_MAX_TEXT, false);
            cw_jbuf_raw(b, ".");
            s_indicators_in_code(b, &src, ind);
            likely = true;
        } else if (is_also) {
            if (others++ == 0)
                cw_jbuf_raw(b, "\n\nOther patterns with indicators in the file:\n");
            cw_jbuf_raw(b, "\n- ");
            s_code(b, pname, sizeof(pname));
            cw_jbuf_raw(b, ": ");
            s_put_text(b, ind, OFFLINE_MAX_TEXT, false);
        }
    }
    if (!likely && others == 0) {
        if (*ctx) {
            cw_jbuf_raw(b, "The analyzer's note: ");
            s_put_line(b, ctx, OFFLINE_MAX_TEXT, false);
        } else {
            cw_jbuf_raw(b, "No pattern was named by the analyzer.");
        }
    }
    cw_jbuf_raw(b, "\n\nIndicators are keywords matched in the file's text, not a confirmed "
                   "design: check the code before relying on them.");
    s_defs_section(b, &src, t->start_line > 0 ? t->start_line : 1, 15);
    s_text_free(&src);
}

static void s_summary_doc(cw_jbuf_t *b, const cw_gen_target_t *t)
{
    cw_jbuf_raw(b, "### Summary\n\n");
    if (t->context)
        s_put_line(b, t->context, OFFLINE_MAX_TEXT, true);
    else
        cw_jbuf_raw(b, "No summary context was passed on.");
    const char *src = t->source ? t->source : "";
    s_printf(b, "\n\nThe material passed on has %zu lines",
             s_count_lines(src, strnlen(src, OFFLINE_SCAN_MAX)));
    if (t->repo && *t->repo) {
        cw_jbuf_raw(b, " for the ");
        s_put_inline(b, t->repo, OFFLINE_MAX_ITEM);
        cw_jbuf_raw(b, " repository");
    }
    cw_jbuf_raw(b, ".");
}

char *cw_offline_document(const cw_gen_target_t *t)
{
    char name[600];
    cw_gen_display_name(t, name, sizeof(name));
    cw_jbuf_t b;
    cw_jbuf_init(&b);
    switch (t->doc_type) {
    case CW_DOC_CLASS:
        s_class_doc(&b, t, name);
        break;
    case CW_DOC_FILE:
        s_file_doc(&b, t);
        break;
    case CW_DOC_MODULE:
        s_module_doc(&b, t);
        break;
    case CW_DOC_EVOLUTION:
        s_evolution_doc(&b, t);
        break;
    case CW_DOC_PATTERN:
        s_pattern_doc(&b, t);
        break;
    case CW_DOC_WEEKLY:
    case CW_DOC_MONTHLY:
        s_summary_doc(&b, t);
        break;
    default: /* function_doc and its perspectives */
        s_function_doc(&b, t, name);
        break;
    }
    cw_jbuf_raw(&b, OFFLINE_NOTE);
    char *out = cw_jbuf_take(&b);
    if (!out)
        return NULL;
    /* the same sanitising as LLM output (invalid UTF-8 from the request) */
    char *clean = cw_clean_utf8(out, strlen(out));
    free(out);
    return clean;
}

char *cw_offline_commit_message(const cw_gen_target_t *t)
{
    char name[600];
    cw_gen_display_name(t, name, sizeof(name));
    char msg[1400];
    if (t->repo && *t->repo)
        snprintf(msg, sizeof(msg), "Document %s in %s", name, t->repo);
    else
        snprintf(msg, sizeof(msg), "Document %s", name);
    return cw_clean_commit_message(msg, name);
}
