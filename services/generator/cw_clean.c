/*  cw_clean — cleaning of LLM output (documentation and commit messages). */
#include "cw_text.h"
#include "cw_clean.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---------------------------------------------------------------- UTF-8 */
char *cw_clean_utf8(const char *s, size_t n)
{
    if (!s)
        n = 0;
    /* worst case: every byte becomes 3 bytes of U+FFFD */
    if (n > (SIZE_MAX - 1) / 3)
        return NULL;
    char *out = malloc(n * 3 + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        size_t k = cw_utf8_seq_len(p + i, n - i);
        if (k == 0) {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        } else {
            memcpy(out + o, p + i, k);
            o += k;
            i += k;
        }
    }
    out[o] = '\0';
    return out;
}

char *cw_clean_take_utf8(cw_buf_t *b)
{
    size_t len = 0;
    char *text = cw_buf_take(b, &len);
    char *clean = text ? cw_clean_utf8(text, len) : NULL;
    free(text);
    return clean;
}

size_t cw_utf8_chars(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++)
        if ((*p & 0xC0) != 0x80)
            n++;
    return n;
}

/* ---------------------------------------------------------------- lines */
typedef struct {
    const char *s;
    size_t n;
    bool drop;
} line_t;

typedef struct {
    line_t *lines;
    size_t count;
    size_t first; /* kept range [first, last) */
    size_t last;
    bool add_closing_fence;
} doc_t;

static bool s_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static void s_trim_view(const char **s, size_t *n)
{
    while (*n && s_is_space(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n && s_is_space((*s)[*n - 1]))
        (*n)--;
}

static bool s_blank(const line_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        if (!s_is_space(l->s[i]))
            return false;
    return true;
}

/* 0 = not a fence line, 1 = bare fence (only backticks), 2 = fence with an info string.
   `info` (optional) receives the info string view. */
static int s_fence(const line_t *l, const char **info, size_t *info_n)
{
    const char *s = l->s;
    size_t n = l->n;
    s_trim_view(&s, &n);
    if (n < 3 || strncmp(s, "```", 3) != 0)
        return 0;
    size_t i = 0;
    while (i < n && s[i] == '`')
        i++;
    const char *rest = s + i;
    size_t rn = n - i;
    s_trim_view(&rest, &rn);
    if (info) {
        *info = rest;
        *info_n = rn;
    }
    if (rn == 0)
        return 1;
    if (memchr(rest, '`', rn))
        return 0; /* inline code such as ```x``` is not a fence */
    return 2;
}

static bool s_ieq(const char *s, size_t n, const char *word)
{
    return strlen(word) == n && strncasecmp(s, word, n) == 0;
}

/* A lower-cased, trimmed copy of a line with emphasis / quote markers stripped from the
   start and end, for phrase matching. Written into buf (cap bytes). */
static void s_plain(const char *s, size_t n, char *buf, size_t cap)
{
    s_trim_view(&s, &n);
    while (n && (*s == '*' || *s == '_' || *s == '>' || *s == ' ' || *s == '#')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == '*' || s[n - 1] == '_' || s[n - 1] == ' '))
        n--;
    size_t k = n < cap - 1 ? n : cap - 1;
    for (size_t i = 0; i < k; i++) {
        char c = s[i];
        if (c == '\n' || c == '\t' || c == '\r')
            c = ' ';
        buf[i] = (char)tolower((unsigned char)c);
    }
    buf[k] = '\0';
}

static bool s_starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool s_starts_any(const char *s, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (s_starts(s, list[i]))
            return true;
    return false;
}

/* ---------------------------------------------------------------- preamble */
static bool s_is_preamble(const line_t *l)
{
    const char *s = l->s;
    size_t n = l->n;
    s_trim_view(&s, &n);
    if (n == 0 || n > 300 || *s == '#' || *s == '`' || *s == '-' || *s == '|')
        return false;
    char buf[320];
    s_plain(s, n, buf, sizeof(buf));
    size_t bl = strlen(buf);
    if (bl == 0)
        return false;
    static const char *const leads[] = {
        "here is",        "here's",   "here are",  "heres ",       "the following",
        "this is",        "below is", "below are", "below you",    "sure",
        "certainly",      "okay",     "ok,",       "ok!",          "absolutely",
        "of course",      "alright",  "great",     "as requested", "i've written",
        "i have written", "i'll",     NULL};
    if (buf[bl - 1] == ':' && s_starts_any(buf, leads))
        return true;
    /* clearly conversational openers, whatever the punctuation */
    static const char *const chatty[] = {
        "sure!",      "sure,",      "sure.",      "certainly!",     "certainly,",  "certainly.",
        "of course!", "of course,", "of course.", "absolutely!",    "absolutely,", "absolutely.",
        "okay,",      "okay!",      "alright,",   "great question", NULL};
    if (s_starts_any(buf, chatty))
        return true;
    static const char *const here[] = {"here is",  "here's",    "here are",
                                       "below is", "below are", NULL};
    static const char *const about[] = {"documentation", "overview",    "review",    "analysis",
                                        "summary",       "explanation", "breakdown", NULL};
    if (s_starts_any(buf, here) && (buf[bl - 1] == '.' || buf[bl - 1] == '!'))
        for (size_t i = 0; about[i]; i++)
            if (strstr(buf, about[i]))
                return true;
    return false;
}

/* ---------------------------------------------------------------- closing chatter */
static bool s_is_chatter_text(const char *buf)
{
    static const char *const leads[] = {"this documentation",
                                        "this overview",
                                        "this document ",
                                        "this document,",
                                        "this document.",
                                        "this explanation",
                                        "this breakdown",
                                        "this write-up",
                                        "this writeup",
                                        "the above documentation",
                                        "the documentation above",
                                        "the above overview",
                                        "the overview above",
                                        "the above explanation",
                                        "i hope this",
                                        "hope this helps",
                                        "i hope you",
                                        "let me know",
                                        "feel free to",
                                        "if you have any",
                                        "if you need any",
                                        "if you need further",
                                        "if you need more",
                                        "if you'd like",
                                        "if you would like",
                                        "would you like me",
                                        "happy coding",
                                        "note: this documentation",
                                        NULL};
    if (s_starts_any(buf, leads))
        return true;
    static const char *const summary[] = {"in summary,",   "overall,",  "in conclusion,",
                                          "to summarize,", "in short,", NULL};
    if (s_starts_any(buf, summary) &&
        (strstr(buf, "this documentation") || strstr(buf, "this overview") ||
         strstr(buf, "this document ") || strstr(buf, "this explanation")))
        return true;
    return false;
}

/* Index range [*ps, last) of the trailing paragraph: the run of non-blank, non-fence
   lines before `last`. Returns false if there is none. */
static bool s_last_paragraph(const doc_t *d, size_t *ps)
{
    size_t i = d->last;
    while (i > d->first) {
        const line_t *l = &d->lines[i - 1];
        if (l->drop || s_blank(l) || s_fence(l, NULL, NULL))
            break;
        i--;
    }
    if (i == d->last)
        return false;
    *ps = i;
    return true;
}

static bool s_drop_chatter(doc_t *d)
{
    size_t ps;
    if (!s_last_paragraph(d, &ps))
        return false;
    if (ps == d->first)
        return false; /* never drop the whole answer */
    /* join the paragraph (bounded) */
    char joined[1024];
    size_t jn = 0;
    for (size_t i = ps; i < d->last; i++) {
        const line_t *l = &d->lines[i];
        if (l->s[0] == '#' || l->n > 800)
            return false; /* a heading or a long line is content */
        for (size_t k = 0; k < l->n && jn < sizeof(joined) - 2; k++)
            joined[jn++] = l->s[k];
        if (jn < sizeof(joined) - 2)
            joined[jn++] = ' ';
        if (jn >= sizeof(joined) - 2)
            return false; /* too long to be a closing remark */
    }
    joined[jn] = '\0';
    char buf[1024];
    s_plain(joined, jn, buf, sizeof(buf));
    if (!s_is_chatter_text(buf))
        return false;
    d->last = ps;
    return true;
}

/* ---------------------------------------------------------------- document passes */
static bool s_trim_blank_edges(doc_t *d)
{
    bool changed = false;
    while (d->first < d->last && s_blank(&d->lines[d->first])) {
        d->first++;
        changed = true;
    }
    while (d->last > d->first && s_blank(&d->lines[d->last - 1])) {
        d->last--;
        changed = true;
    }
    return changed;
}

static bool s_is_rule(const line_t *l)
{
    const char *s = l->s;
    size_t n = l->n;
    s_trim_view(&s, &n);
    if (n < 3)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] != s[0] || (s[0] != '-' && s[0] != '*' && s[0] != '_'))
            return false;
    return true;
}

static bool s_unwrap_fence(doc_t *d)
{
    if (d->last - d->first < 1)
        return false;
    const char *info;
    size_t info_n;
    int open = s_fence(&d->lines[d->first], &info, &info_n);
    if (!open)
        return false;
    bool markdownish = open == 1 || s_ieq(info, info_n, "markdown") || s_ieq(info, info_n, "md") ||
                       s_ieq(info, info_n, "text") || s_ieq(info, info_n, "txt");
    if (!markdownish)
        return false;
    if (d->last - d->first >= 2 && s_fence(&d->lines[d->last - 1], NULL, NULL) == 1) {
        d->first++;
        d->last--;
        return true;
    }
    if (open == 2) {
        /* ```markdown without its closing fence (a cut answer): the label is never code */
        d->first++;
        return true;
    }
    return false;
}

/* true when it dropped a line (the caller runs it again) */
static bool s_balance_fences(doc_t *d)
{
    bool inside = false;
    size_t open_idx = 0;
    for (size_t i = d->first; i < d->last; i++) {
        line_t *l = &d->lines[i];
        if (l->drop)
            continue;
        int f = s_fence(l, NULL, NULL);
        if (!f)
            continue;
        if (!inside) {
            inside = true;
            open_idx = i;
        } else if (f == 1)
            inside = false;
    }
    if (!inside)
        return false;
    if (s_fence(&d->lines[open_idx], NULL, NULL) == 1) {
        d->lines[open_idx].drop = true; /* a stray closing fence */
        return true;
    }
    d->add_closing_fence = true; /* a code block cut off by the length limit */
    return false;
}

char *cw_clean_documentation(const char *raw)
{
    if (!raw)
        raw = "";
    char *text = cw_clean_utf8(raw, strlen(raw));
    if (!text)
        return NULL;
    /* CRLF / CR -> LF */
    size_t w = 0;
    for (size_t r = 0; text[r]; r++) {
        if (text[r] == '\r') {
            if (text[r + 1] != '\n')
                text[w++] = '\n';
            continue;
        }
        text[w++] = text[r];
    }
    text[w] = '\0';

    size_t nlines = 1;
    for (size_t i = 0; i < w; i++)
        if (text[i] == '\n')
            nlines++;
    doc_t d = {0};
    d.lines = calloc(nlines, sizeof(line_t));
    if (!d.lines) {
        free(text);
        return NULL;
    }
    const char *p = text;
    for (;;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        d.lines[d.count].s = p;
        d.lines[d.count].n = n;
        d.count++;
        if (!nl)
            break;
        p = nl + 1;
    }
    d.first = 0;
    d.last = d.count;

    for (int round = 0; round < 8; round++) {
        bool changed = s_trim_blank_edges(&d);
        if (d.first < d.last && s_is_preamble(&d.lines[d.first])) {
            d.first++;
            changed = true;
        }
        s_trim_blank_edges(&d);
        while (d.last > d.first && s_is_rule(&d.lines[d.last - 1])) {
            d.last--;
            changed = true;
            s_trim_blank_edges(&d);
        }
        if (s_drop_chatter(&d))
            changed = true;
        s_trim_blank_edges(&d);
        if (s_unwrap_fence(&d))
            changed = true;
        if (!changed)
            break;
    }
    s_trim_blank_edges(&d);
    while (s_balance_fences(&d))
        ;

    /* join, collapsing runs of blank lines to one */
    size_t cap = w + 8;
    char *out = malloc(cap);
    if (!out) {
        free(d.lines);
        free(text);
        return NULL;
    }
    size_t o = 0;
    bool prev_blank = false;
    for (size_t i = d.first; i < d.last; i++) {
        const line_t *l = &d.lines[i];
        if (l->drop)
            continue;
        bool blank = s_blank(l);
        if (blank && prev_blank)
            continue;
        prev_blank = blank;
        if (o)
            out[o++] = '\n';
        if (!blank) {
            memcpy(out + o, l->s, l->n);
            o += l->n;
        }
    }
    /* trailing blanks left by a dropped line */
    while (o && s_is_space(out[o - 1]))
        o--;
    if (d.add_closing_fence) {
        memcpy(out + o, "\n```", 4);
        o += 4;
    }
    out[o] = '\0';
    /* leading blanks left by a dropped line */
    size_t lead = 0;
    while (out[lead] && s_is_space(out[lead]))
        lead++;
    if (lead)
        memmove(out, out + lead, o - lead + 1);
    free(d.lines);
    free(text);
    return out;
}

/* ---------------------------------------------------------------- commit message */
static bool s_is_quote(char c)
{
    return c == '"' || c == '\'' || c == '`';
}

/* strip whitespace and quote characters from both ends, in place (returns new start) */
static char *s_strip_quotes(char *s)
{
    size_t n = strlen(s);
    while (n && (s_is_space(s[n - 1]) || s_is_quote(s[n - 1])))
        s[--n] = '\0';
    while (*s && (s_is_space(*s) || s_is_quote(*s)))
        s++;
    return s;
}

static char *s_drop_prefix(char *s)
{
    static const char *const prefixes[] = {"commit message:", "message:"};
    char *t = s;
    while (*t == '*' || *t == '_')
        t++;
    for (size_t i = 0; i < 2; i++) {
        size_t n = strlen(prefixes[i]);
        if (strncasecmp(t, prefixes[i], n) == 0) {
            t += n;
            while (*t == '*' || *t == '_')
                t++;
            return t;
        }
    }
    return s;
}

char *cw_clean_commit_message(const char *raw, const char *name)
{
    if (!raw)
        raw = "";
    size_t rn = strlen(raw);
    if (rn > 64 * 1024)
        rn = 64 * 1024; /* a commit message is one line: never look further */
    char *buf = cw_clean_utf8(raw, rn);
    if (!buf)
        return NULL;
    /* control characters other than newline become spaces */
    for (char *c = buf; *c; c++)
        if ((unsigned char)*c < 0x20 && *c != '\n')
            *c = ' ';
    char *s = s_strip_quotes(buf);
    /* first non-empty line (a fence line is not a message) */
    char *line = NULL;
    for (char *p = s; p && *p;) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        char *t = p;
        while (*t && s_is_space(*t))
            t++;
        if (*t && strncmp(t, "```", 3) != 0) {
            line = t;
            break;
        }
        p = nl ? nl + 1 : NULL;
    }
    char *msg = line ? s_strip_quotes(s_drop_prefix(s_strip_quotes(line))) : "";
    char fallback[600];
    if (!*msg) {
        snprintf(fallback, sizeof(fallback), "Document %.500s", name && *name ? name : "code");
        for (char *c = fallback; *c; c++)
            if ((unsigned char)*c < 0x20)
                *c = ' ';
        msg = fallback;
    }
    size_t chars = cw_utf8_chars(msg);
    char *out;
    if (chars > CW_COMMIT_MAX_CHARS) {
        size_t keep = CW_COMMIT_MAX_CHARS - 3, seen = 0, i = 0;
        for (; msg[i]; i++) {
            if (((unsigned char)msg[i] & 0xC0) != 0x80) {
                if (seen == keep)
                    break;
                seen++;
            }
        }
        out = malloc(i + 4);
        if (out) {
            memcpy(out, msg, i);
            memcpy(out + i, "...", 4);
        }
    } else
        out = strdup(msg);
    free(buf);
    return out;
}
