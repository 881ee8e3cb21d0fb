/*  cw_buf — the one growable byte buffer of the project (text or binary).

        cw_buf_t b;
        cw_buf_init (&b, 1 << 20);          // content never beyond 1 MiB
        cw_buf_puts (&b, "# ");
        cw_buf_printf (&b, "%s (%d lines)\n", name, lines);
        char *text = cw_buf_take (&b);      // caller frees; NULL if anything was refused

    A value type (on the stack or inside another struct) so that building a string costs
    no allocation until the first append; cw_buf_free releases it. The content is always
    NUL-terminated (data stays NULL until the first append; cw_buf_str gives "" then).

    Growth is bounded: `max` is the most content bytes the buffer will hold (0 takes
    CW_BUF_DEFAULT_MAX). An append that would go beyond it, or whose allocation fails, is
    refused whole and marks the buffer failed: every later append is refused too and
    cw_buf_take returns NULL, so a half-built text is never used by mistake. `over` tells
    a refusal for size from one for memory. A writer that wants to cut instead of fail
    asks cw_buf_room first.                                                               */
#ifndef CW_BUF_H
#define CW_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* The maximum of a buffer initialised with max 0 (or zero-filled): 64 MiB. */
#define CW_BUF_DEFAULT_MAX ((size_t)64 * 1024 * 1024)

typedef struct {
    char *data;  /* NUL-terminated content, NULL until the first append */
    size_t len;  /* content bytes (the NUL not counted) */
    size_t cap;  /* bytes allocated */
    size_t max;  /* most content bytes; 0 = CW_BUF_DEFAULT_MAX */
    bool failed; /* an append was refused (sticky until cw_buf_clear / cw_buf_free) */
    bool over;   /* ... because of `max` (false: out of memory) */
} cw_buf_t;

/* Start empty with a maximum of `max` content bytes (0 = CW_BUF_DEFAULT_MAX). */
void cw_buf_init(cw_buf_t *self, size_t max);
/* Release the memory; the buffer is empty and usable again with the same maximum. */
void cw_buf_free(cw_buf_t *self);
/* Empty the content and forget a failure; the memory is kept for reuse. */
void cw_buf_clear(cw_buf_t *self);

/* Make room for `extra` more content bytes. false (and failed) when it cannot. */
bool cw_buf_reserve(cw_buf_t *self, size_t extra);
/* Content bytes that may still be appended before `max`. 0 once failed. */
size_t cw_buf_room(const cw_buf_t *self);

/* Appends: all or nothing; false when refused (see above). */
bool cw_buf_append(cw_buf_t *self, const void *data, size_t len);
bool cw_buf_puts(cw_buf_t *self, const char *s); /* NULL appends nothing (true) */
bool cw_buf_putc(cw_buf_t *self, char c);
bool cw_buf_printf(cw_buf_t *self, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool cw_buf_vprintf(cw_buf_t *self, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Cut the content back to `len` bytes (no-op when it is not longer). */
void cw_buf_truncate(cw_buf_t *self, size_t len);
/* The content ("" when empty), valid until the next append or free. */
const char *cw_buf_str(const cw_buf_t *self);

/* Hand the content over: a malloc'd NUL-terminated string ("" when empty) that the caller
   frees, or NULL when an append was refused or memory ran out. `len` (may be NULL)
   receives its length. The buffer is empty afterwards, with the same maximum. */
char *cw_buf_take(cw_buf_t *self, size_t *len);

#endif
