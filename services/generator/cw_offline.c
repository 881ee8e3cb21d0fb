/*  cw_offline — documentation written from the target alone, without an LLM.
    Same input, byte-identical output (no clock, no randomness). */
#include "cw_clean.h"
#include "cw_generator.h"
#include "cw_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OFFLINE_MAX_ITEMS 50
#define OFFLINE_MAX_ITEM 200
#define OFFLINE_MAX_SENTENCE 400
#define OFFLINE_MAX_SIGNATURE 2000

/* Append s (at most max bytes, cut on a UTF-8 boundary) with newlines/backticks made
   harmless for an inline code span or a list item. */
static void s_put_inline(cw_jbuf_t *b, const char *s, size_t max)
{
    char buf[OFFLINE_MAX_SENTENCE * 2 + 8];
    if (max > sizeof(buf) - 4)
        max = sizeof(buf) - 4;
    const char *src = s ? s : "";
    size_t len = strlen(src);
    size_t n = len < max ? len : max;
    while (n > 0 && n < len && ((unsigned char)src[n] & 0xC0) == 0x80)
        n--; /* do not split a UTF-8 sequence */
    for (size_t i = 0; i < n; i++) {
        char c = src[i];
        if (c == '\n' || c == '\r' || c == '\t')
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

/* The docstring's first sentence, whitespace collapsed, into out. */
static void s_first_sentence(const char *doc, char *out, size_t outlen)
{
    size_t o = 0;
    bool space = false;
    const char *p = doc;
    while (*p && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r' || *p == '"' || *p == '\'' ||
                  *p == '*' || *p == '/'))
        p++;
    for (; *p && o + 1 < outlen; p++) {
        char c = *p;
        if (c == '\n' && (p[1] == '\n' || (p[1] == '\r' && p[2] == '\n')))
            break; /* paragraph end */
        if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
            space = true;
            continue;
        }
        if (space && o > 0 && o + 2 < outlen)
            out[o++] = ' ';
        space = false;
        out[o++] = c;
        if ((c == '.' || c == '!' || c == '?') &&
            (p[1] == '\0' || p[1] == ' ' || p[1] == '\n' || p[1] == '\r' || p[1] == '\t'))
            break;
    }
    /* strip trailing quote marks of a one-line docstring */
    while (o > 0 && (out[o - 1] == '"' || out[o - 1] == '\'' || out[o - 1] == ' '))
        o--;
    /* never end inside a UTF-8 sequence */
    while (o > 0 && ((unsigned char)out[o - 1] & 0x80)) {
        size_t k = o - 1;
        while (k > 0 && ((unsigned char)out[k] & 0xC0) == 0x80)
            k--;
        unsigned char lead = (unsigned char)out[k];
        size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
        if (o - k >= need)
            break;
        o = k;
    }
    out[o] = '\0';
}

static const char *s_kind(int doc_type)
{
    switch (doc_type) {
    case CW_DOC_CLASS:
        return "class";
    case CW_DOC_FILE:
        return "file";
    case CW_DOC_MODULE:
        return "module";
    default:
        return "function";
    }
}

static void s_list(cw_jbuf_t *b, const char *title, const char **items, size_t count)
{
    cw_jbuf_raw(b, "\n\n### ");
    cw_jbuf_raw(b, title);
    cw_jbuf_raw(b, "\n");
    size_t shown = count < OFFLINE_MAX_ITEMS ? count : OFFLINE_MAX_ITEMS;
    for (size_t i = 0; i < shown; i++) {
        cw_jbuf_raw(b, "\n- `");
        s_put_inline(b, items[i], OFFLINE_MAX_ITEM);
        cw_jbuf_raw(b, "`");
    }
    if (count > shown) {
        char more[64];
        snprintf(more, sizeof(more), "\n- ... and %zu more", count - shown);
        cw_jbuf_raw(b, more);
    }
}

char *cw_offline_document(const cw_gen_target_t *t)
{
    char name[600];
    cw_gen_display_name(t, name, sizeof(name));
    cw_jbuf_t b;
    cw_jbuf_init(&b);
    char num[128];

    cw_jbuf_raw(&b, "### Purpose\n\n");
    char sentence[OFFLINE_MAX_SENTENCE + 1] = "";
    if (t->docstring && *t->docstring)
        s_first_sentence(t->docstring, sentence, sizeof(sentence));
    if (*sentence) {
        s_put_inline(&b, sentence, OFFLINE_MAX_SENTENCE);
    } else {
        cw_jbuf_raw(&b, "`");
        s_put_inline(&b, name, OFFLINE_MAX_ITEM);
        cw_jbuf_raw(&b, "` is a ");
        if (t->language && *t->language) {
            s_put_inline(&b, t->language, 32);
            cw_jbuf_raw(&b, " ");
        }
        cw_jbuf_raw(&b, s_kind(t->doc_type));
        cw_jbuf_raw(&b, " without a docstring.");
    }
    cw_jbuf_raw(&b, "\n\nDefined in `");
    s_put_inline(&b, t->file, OFFLINE_MAX_ITEM);
    snprintf(num, sizeof(num), "`, lines %ld-%ld", t->start_line, t->end_line);
    cw_jbuf_raw(&b, num);
    if (t->repo && *t->repo) {
        cw_jbuf_raw(&b, " of the ");
        s_put_inline(&b, t->repo, OFFLINE_MAX_ITEM);
        cw_jbuf_raw(&b, " repository");
    }
    cw_jbuf_raw(&b, ".");

    if (t->signature && *t->signature) {
        cw_jbuf_raw(&b, "\n\n### Signature\n\n```");
        s_put_inline(&b, t->language, 32);
        cw_jbuf_raw(&b, "\n");
        /* the signature may span lines; keep them but never let it close the fence */
        size_t n = strlen(t->signature);
        if (n > OFFLINE_MAX_SIGNATURE)
            n = OFFLINE_MAX_SIGNATURE;
        while (n > 0 && n < strlen(t->signature) && ((unsigned char)t->signature[n] & 0xC0) == 0x80)
            n--;
        char *sig = strndup(t->signature, n);
        if (sig) {
            for (char *p = sig; *p; p++)
                if (*p == '`')
                    *p = '\'';
            cw_jbuf_raw(&b, sig);
            free(sig);
        }
        cw_jbuf_raw(&b, "\n```");
    }
    if (t->is_async)
        cw_jbuf_raw(&b, "\n\nIt is declared `async`.");

    if (t->parameter_count)
        s_list(&b, "Parameters", t->parameters, t->parameter_count);
    else if (t->parameters || t->params == 0)
        cw_jbuf_raw(&b, "\n\n### Parameters\n\nNone.");

    cw_jbuf_raw(&b, "\n\n### Complexity\n");
    snprintf(num, sizeof(num), "\n- Cyclomatic complexity: %.1f", t->complexity);
    cw_jbuf_raw(&b, num);
    long span = t->end_line >= t->start_line ? t->end_line - t->start_line + 1 : 0;
    snprintf(num, sizeof(num), "\n- Lines: %ld", span);
    cw_jbuf_raw(&b, num);
    if (t->nloc >= 0) {
        snprintf(num, sizeof(num), " (%ld lines of code)", t->nloc);
        cw_jbuf_raw(&b, num);
    }
    if (t->nesting >= 0) {
        snprintf(num, sizeof(num), "\n- Maximum nesting depth: %ld", t->nesting);
        cw_jbuf_raw(&b, num);
    }
    if (t->params >= 0) {
        snprintf(num, sizeof(num), "\n- Parameter count: %ld", t->params);
        cw_jbuf_raw(&b, num);
    }

    if (t->call_count)
        s_list(&b, "Calls", t->calls, t->call_count);
    if (t->decorator_count)
        s_list(&b, "Decorators", t->decorators, t->decorator_count);

    cw_jbuf_raw(&b, "\n\n_Written without an LLM (offline backend): facts taken from the "
                    "source only._\n");
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
