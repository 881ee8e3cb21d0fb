/*  cw_json — the one JSON reader and writer. JSON goes into and out of cw_value_t
    (proto/cw_value.h), the tree every bus payload already is; tokens are written into a
    cw_buf_t (common/cw_buf.h). The log, the LLM clients, Telegram and the webhook, the
    dashboard and the command line's --json outputs all go through here.

    Reading (cw_json_parse) takes one complete JSON text:
      object -> MAP (a repeated key: the last one wins), array -> ARRAY, string -> STR,
      true/false -> BOOL, null -> NIL; a number written without fraction or exponent that
      fits in 64 bits -> INT, any other -> FLOAT; a number too large for a double (1e999)
      -> NIL, as the writer writes a non-finite number.
      Strings: escapes decoded, surrogate pairs joined; \u0000, a lone surrogate and every
      byte that is not valid UTF-8 become U+FFFD, so a decoded string is valid UTF-8 and
      has no NUL. Raw control characters in a string are an error.
      Bounds: CW_JSON_MAX_INPUT bytes, CW_JSON_MAX_DEPTH levels, CW_JSON_MAX_NODES values;
      trailing non-space input is an error. Errors say where: "offset 12: expected ':'".

    Writing follows one rule everywhere:
      strings: `"` `\` and control characters escaped (\b \f \n \r \t, others and DEL as
      \u00XX); bytes that are not valid UTF-8 are written as U+FFFD, never raw;
      numbers: NaN and infinities are null; a finite double is the shortest of %.15g,
      %.16g, %.17g that reads back to the same value (a decimal comma of a foreign locale
      written as a point); a FLOAT value with no fraction gets ".0" so that it reads back
      as a FLOAT;
      containers nest at most CW_JSON_MAX_DEPTH levels (deeper: the buffer fails).       */
#ifndef CW_JSON_H
#define CW_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cw_buf.h"
#include "cw_value.h"

#define CW_JSON_MAX_DEPTH 64
#define CW_JSON_MAX_INPUT ((size_t)64 * 1024 * 1024)
#define CW_JSON_MAX_NODES ((size_t)1 << 20)

/* ---------------------------------------------------------------- reader */
/* Parse `len` bytes. NULL with a reason in err (may be NULL) on any error. */
cw_value_t *cw_json_parse(const char *text, size_t len, char *err, size_t errlen);

/* ---------------------------------------------------------------- writer */
/* A whole value as compact JSON: malloc'd, caller frees; NULL when memory ran out or the
   value nests deeper than CW_JSON_MAX_DEPTH. NULL value -> "null". */
char *cw_json_encode(const cw_value_t *value);

/* Tokens appended to a cw_buf_t. Each returns false once the buffer has failed. */
bool cw_json_put_value(cw_buf_t *b, const cw_value_t *value);
/* A quoted, escaped string (NULL -> null). */
bool cw_json_put_str(cw_buf_t *b, const char *s);
bool cw_json_put_strn(cw_buf_t *b, const char *s, size_t len);
/* A quoted string whose escaped content takes at most `max` bytes: cut before the first
   character (or escape) that would not fit, never inside one. NULL -> null. */
bool cw_json_put_str_cut(cw_buf_t *b, const char *s, size_t max);
bool cw_json_put_int(cw_buf_t *b, long long v);
/* A double by the rule above (NaN, inf -> null). */
bool cw_json_put_num(cw_buf_t *b, double v);
/* A double with `digits` significant digits (%.*g; the log writes 6); NaN, inf -> null. */
bool cw_json_put_num_digits(cw_buf_t *b, double v, int digits);
bool cw_json_put_bool(cw_buf_t *b, bool v);
bool cw_json_put_null(cw_buf_t *b);
/* `"key":`, preceded by a comma unless the previous character is '{' or '['. */
bool cw_json_put_key(cw_buf_t *b, const char *key);

#endif
