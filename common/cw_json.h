/*  cw_json — a compact, bounded JSON reader (for HTTP answers: LLM backends, Telegram)
    and a small JSON writer (for request bodies). Shared by every service (cw_common).

    The reader parses one complete JSON text into an owned tree: objects, arrays,
    strings (\uXXXX escapes, surrogate pairs -> UTF-8; \u0000 and lone surrogates become
    U+FFFD so that decoded strings never contain NUL), numbers (as double), true, false,
    null. Nesting is limited to CW_JSON_MAX_DEPTH; allocations are bounded by the input
    length. Trailing non-space input is an error.

    The writer appends JSON tokens to a cw_buf_t; strings are escaped with cw_json_escape
    (common/cw_log.h).  */
#ifndef CW_JSON_H
#define CW_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cw_buf.h"

#define CW_JSON_MAX_DEPTH 64

typedef enum {
    CW_JSON_NULL = 0,
    CW_JSON_BOOL,
    CW_JSON_NUMBER,
    CW_JSON_STRING,
    CW_JSON_ARRAY,
    CW_JSON_OBJECT
} cw_json_kind_t;

typedef struct _cw_json_t cw_json_t;

/* Parse `len` bytes. NULL with a reason ("offset 12: expected ':'") on any error. */
cw_json_t *cw_json_parse(const char *text, size_t len, char *err, size_t errlen);
void cw_json_destroy(cw_json_t **self_p);

cw_json_kind_t cw_json_kind(const cw_json_t *self); /* NULL -> CW_JSON_NULL */
const char *cw_json_str(const cw_json_t *self);     /* NULL unless a string */
size_t cw_json_strlen(const cw_json_t *self);
double cw_json_num(const cw_json_t *self);  /* 0 unless a number */
bool cw_json_bool(const cw_json_t *self);   /* false unless true */
size_t cw_json_size(const cw_json_t *self); /* members of an array or object */
const cw_json_t *cw_json_at(const cw_json_t *self, size_t index);     /* array element */
const cw_json_t *cw_json_get(const cw_json_t *self, const char *key); /* object member */
const char *cw_json_key_at(const cw_json_t *self, size_t index);

/* Typed member getters with defaults (default when missing or of another kind). */
const char *cw_json_get_str(const cw_json_t *self, const char *key, const char *dflt);
double cw_json_get_num(const cw_json_t *self, const char *key, double dflt);
bool cw_json_get_bool(const cw_json_t *self, const char *key, bool dflt);

/* ---------------------------------------------------------------- writer */
/* JSON tokens appended to a cw_buf_t (common/cw_buf.h). */
/* A quoted, escaped JSON string (NULL -> null). */
void cw_json_put_str(cw_buf_t *self, const char *s);
void cw_json_put_int(cw_buf_t *self, long long v);
void cw_json_put_num(cw_buf_t *self, double v);
/* `"key":` preceded by a comma unless the previous character is '{' or '['. */
void cw_json_put_key(cw_buf_t *self, const char *key);

#endif
