/*  cw_offline_summary — factual weekly/monthly summaries without an LLM. See
    cw_offline_summary.h. */
#include "cw_offline_summary.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cw_clean.h"
#include "cw_doctype.h"
#include "cw_json.h"

#define ITEM_MAX 200 /* bytes of one name shown */

/* s on one line, without backticks, at most ITEM_MAX bytes */
static void s_plain(cw_buf_t *b, const char *s)
{
    char buf[ITEM_MAX + 4];
    size_t n = 0;
    for (const char *p = s ? s : ""; *p && n < ITEM_MAX; p++)
        buf[n++] = (*p == '`' || (unsigned char)*p < 0x20) ? ' ' : *p;
    buf[n] = '\0';
    cw_buf_puts(b, buf);
}

static void s_code(cw_buf_t *b, const char *s)
{
    cw_buf_puts(b, "`");
    s_plain(b, s);
    cw_buf_puts(b, "`");
}

/* "- `name`: n" for each entry of a count map, largest first */
static void s_counts(cw_buf_t *b, const char *title, const cw_value_t *map)
{
    size_t n = cw_value_size(map);
    if (n == 0)
        return;
    size_t *order = calloc(n, sizeof *order);
    if (!order)
        return;
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    for (size_t i = 1; i < n; i++) { /* insertion sort: count descending, stable */
        size_t v = order[i], j = i;
        while (j > 0 && cw_value_int(cw_map_value_at(map, order[j - 1])) <
                            cw_value_int(cw_map_value_at(map, v))) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = v;
    }
    cw_buf_printf(b, "\n\n### %s\n", title);
    for (size_t i = 0; i < n; i++) {
        cw_buf_puts(b, "\n- ");
        s_code(b, cw_map_key_at(map, order[i]));
        cw_buf_printf(b, ": %lld", (long long)cw_value_int(cw_map_value_at(map, order[i])));
    }
    free(order);
}

static void s_document_line(cw_buf_t *b, const cw_value_t *d, bool complexity_first)
{
    s_code(b, cw_map_str(d, "display", "?"));
    cw_buf_puts(b, " (");
    s_code(b, cw_map_str(d, "repo", ""));
    const char *file = cw_map_str(d, "file", "");
    if (*file) {
        cw_buf_puts(b, ", ");
        s_plain(b, file);
    }
    cw_buf_puts(b, ")");
    const cw_value_t *c = cw_map_get(d, "complexity");
    if (complexity_first && c)
        cw_buf_printf(b, ": complexity %.1f, %s", cw_value_float(c), cw_map_str(d, "doc_type", ""));
    else
        cw_buf_printf(b, ", %s", cw_map_str(d, "doc_type", ""));
}

char *cw_offline_summary_document(const cw_value_t *target)
{
    const cw_value_t *f = cw_map_get(target, "summary");
    bool weekly = cw_doc_type_from_name(cw_map_str(target, "doc_type", "")) == CW_DOC_WEEKLY;
    long long total = (long long)cw_map_int(f, "total", 0);
    size_t repos = cw_value_size(cw_map_get(f, "repos"));
    cw_buf_t b;
    cw_buf_init(&b, 0);
    cw_buf_puts(&b, "### Overview\n\n");
    cw_buf_printf(&b, "%s %s", weekly ? "Week" : "Month", cw_map_str(target, "name", ""));
    const char *first = cw_map_str(f, "first_day", ""), *last = cw_map_str(f, "last_day", "");
    if (*first && *last) {
        cw_buf_printf(&b, " (%s%s to %s%s", weekly ? "Monday " : "", first, weekly ? "Sunday " : "",
                      last);
        const char *tz = cw_map_str(f, "timezone", "");
        if (*tz) {
            cw_buf_puts(&b, ", ");
            s_plain(&b, tz);
        }
        cw_buf_puts(&b, ")");
    }
    cw_buf_printf(&b, ": CodeWorm documented %lld piece%s of code in %zu repositor%s.", total,
                  total == 1 ? "" : "s", repos, repos == 1 ? "y" : "ies");
    s_counts(&b, "Repositories", cw_map_get(f, "repos"));
    s_counts(&b, "Kinds of documentation", cw_map_get(f, "doc_types"));
    s_counts(&b, "Languages", cw_map_get(f, "languages"));
    const cw_value_t *most = cw_map_get(f, "most_complex");
    if (cw_value_size(most) > 0) {
        cw_buf_puts(&b, "\n\n### Most complex targets\n");
        for (size_t i = 0; i < cw_value_size(most); i++) {
            cw_buf_printf(&b, "\n%zu. ", i + 1);
            s_document_line(&b, cw_array_at(most, i), true);
        }
    }
    const cw_value_t *docs = cw_map_get(f, "documents");
    size_t n = cw_value_size(docs);
    if (n > 0) {
        cw_buf_puts(&b, "\n\n### Documented\n");
        for (size_t i = 0; i < n && i < CW_OFFLINE_SUMMARY_DOCS; i++) {
            const cw_value_t *d = cw_array_at(docs, i);
            char day[11];
            snprintf(day, sizeof day, "%.10s", cw_map_str(d, "documented_at", ""));
            cw_buf_puts(&b, "\n- ");
            s_plain(&b, day);
            cw_buf_puts(&b, " ");
            s_document_line(&b, d, false);
        }
        if ((long long)n < total || n > CW_OFFLINE_SUMMARY_DOCS) {
            long long listed = n < CW_OFFLINE_SUMMARY_DOCS ? (long long)n : CW_OFFLINE_SUMMARY_DOCS;
            cw_buf_printf(&b, "\n- ... and %lld more", total - listed);
        }
    }
    cw_buf_puts(&b, "\n\n_Written without an LLM (offline backend): facts taken from the ledger "
                    "only._\n");
    return cw_clean_take_utf8(&b);
}

char *cw_offline_summary_commit_message(const cw_value_t *target)
{
    const cw_value_t *f = cw_map_get(target, "summary");
    bool weekly = cw_doc_type_from_name(cw_map_str(target, "doc_type", "")) == CW_DOC_WEEKLY;
    long long total = (long long)cw_map_int(f, "total", 0);
    size_t repos = cw_value_size(cw_map_get(f, "repos"));
    char msg[256];
    snprintf(msg, sizeof msg, "Summarize %s %.20s: %lld document%s in %zu repositor%s",
             weekly ? "week" : "month", cw_map_str(target, "name", ""), total,
             total == 1 ? "" : "s", repos, repos == 1 ? "y" : "ies");
    return cw_clean_commit_message(msg, cw_map_str(target, "name", "summary"));
}
