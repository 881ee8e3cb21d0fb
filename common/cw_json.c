/*  cw_json — the one JSON reader and writer, into and out of cw_value_t (see cw_json.h). */
#include "cw_json.h"
#include "cw_text.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ================================================================ reader */

typedef struct {
    const char *p;
    const char *start;
    const char *end;
    char *err;
    size_t errlen;
    size_t nodes;
    bool failed;
} parser_t;

static void s_fail(parser_t *ps, const char *what)
{
    if (ps->failed)
        return;
    ps->failed = true;
    if (ps->err && ps->errlen)
        snprintf(ps->err, ps->errlen, "offset %zu: %s", (size_t)(ps->p - ps->start), what);
}

/* One more value; false (and failed) beyond CW_JSON_MAX_NODES. */
static bool s_count(parser_t *ps)
{
    if (++ps->nodes <= CW_JSON_MAX_NODES)
        return true;
    s_fail(ps, "too many values");
    return false;
}

static void s_skip_ws(parser_t *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static void s_put_utf8(cw_buf_t *b, uint32_t cp)
{
    char out[4];
    size_t n;
    if (cp < 0x80) {
        out[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        out[0] = (char)(0xF0 | (cp >> 18));
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    cw_buf_append(b, out, n);
}

static int s_hex4(const char *p, const char *end, uint32_t *out)
{
    if (end - p < 4)
        return -1;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (uint32_t)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* A string at ps->p (which points at '"') decoded into `out` (empty on entry). A decoded
   string is at most three times its raw length (one stray byte -> U+FFFD): `out` is
   bounded by that. */
static bool s_parse_string(parser_t *ps, cw_buf_t *out)
{
    ps->p++; /* opening quote */
    const char *q = ps->p;
    while (q < ps->end && *q != '"') {
        if (*q == '\\' && q + 1 < ps->end)
            q++;
        q++;
    }
    if (q >= ps->end) {
        s_fail(ps, "unterminated string");
        return false;
    }
    cw_buf_init(out, 3 * (size_t)(q - ps->p) + 1);
    if (!cw_buf_reserve(out, (size_t)(q - ps->p))) {
        s_fail(ps, "out of memory");
        return false;
    }
    while (ps->p < q) {
        const unsigned char *u = (const unsigned char *)ps->p;
        if (*u < 0x20) {
            s_fail(ps, "control character in string");
            return false;
        }
        if (*u >= 0x80) { /* UTF-8 as it is; a byte that is not: U+FFFD */
            size_t k = cw_utf8_seq_len(u, (size_t)(q - ps->p));
            if (k)
                cw_buf_append(out, ps->p, k);
            else
                s_put_utf8(out, 0xFFFD);
            ps->p += k ? k : 1;
            continue;
        }
        if (*u != '\\') {
            const char *run = ps->p;
            while (ps->p < q && *ps->p != '\\' && (unsigned char)*ps->p >= 0x20 &&
                   (unsigned char)*ps->p < 0x80)
                ps->p++;
            cw_buf_append(out, run, (size_t)(ps->p - run));
            continue;
        }
        ps->p++;
        char e = *ps->p++;
        switch (e) {
        case '"':
        case '\\':
        case '/':
            cw_buf_putc(out, e);
            break;
        case 'b':
            cw_buf_putc(out, '\b');
            break;
        case 'f':
            cw_buf_putc(out, '\f');
            break;
        case 'n':
            cw_buf_putc(out, '\n');
            break;
        case 'r':
            cw_buf_putc(out, '\r');
            break;
        case 't':
            cw_buf_putc(out, '\t');
            break;
        case 'u': {
            uint32_t cp;
            if (s_hex4(ps->p, q, &cp) != 0) {
                s_fail(ps, "bad \\u escape");
                return false;
            }
            ps->p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                uint32_t lo;
                if (q - ps->p >= 6 && ps->p[0] == '\\' && ps->p[1] == 'u' &&
                    s_hex4(ps->p + 2, q, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    ps->p += 6;
                } else
                    cp = 0xFFFD; /* lone high surrogate */
            } else if (cp >= 0xDC00 && cp <= 0xDFFF)
                cp = 0xFFFD; /* lone low surrogate */
            else if (cp == 0)
                cp = 0xFFFD; /* never a NUL inside a C string */
            s_put_utf8(out, cp);
            break;
        }
        default:
            s_fail(ps, "bad escape");
            return false;
        }
    }
    ps->p = q + 1;
    if (out->failed) {
        s_fail(ps, "out of memory");
        return false;
    }
    return true;
}

static cw_value_t *s_parse_value(parser_t *ps, int depth);

static cw_value_t *s_parse_container(parser_t *ps, int depth, bool object)
{
    if (depth >= CW_JSON_MAX_DEPTH) {
        s_fail(ps, "nesting too deep");
        return NULL;
    }
    char close = object ? '}' : ']';
    cw_value_t *self = object ? cw_value_new_map() : cw_value_new_array();
    if (!self) {
        s_fail(ps, "out of memory");
        return NULL;
    }
    ps->p++;
    s_skip_ws(ps);
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        return self;
    }
    for (;;) {
        cw_buf_t key;
        cw_buf_init(&key, 1);
        s_skip_ws(ps);
        if (object) {
            if (ps->p >= ps->end || *ps->p != '"') {
                s_fail(ps, "expected a string key");
                break;
            }
            if (!s_parse_string(ps, &key)) {
                cw_buf_free(&key);
                break;
            }
            s_skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':') {
                cw_buf_free(&key);
                s_fail(ps, "expected ':'");
                break;
            }
            ps->p++;
        }
        cw_value_t *item = s_parse_value(ps, depth + 1);
        if (!item) {
            cw_buf_free(&key);
            break;
        }
        /* both take the item, also when they fail */
        int rc = object ? cw_map_set(self, cw_buf_str(&key), item) : cw_array_push(self, item);
        cw_buf_free(&key);
        if (rc != 0) {
            s_fail(ps, "out of memory");
            break;
        }
        s_skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == close) {
            ps->p++;
            return self;
        }
        s_fail(ps, object ? "expected ',' or '}'" : "expected ',' or ']'");
        break;
    }
    cw_value_destroy(&self);
    return NULL;
}

static bool s_match(parser_t *ps, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
        return false;
    ps->p += n;
    return true;
}

static size_t s_digits(parser_t *ps)
{
    size_t n = 0;
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
        ps->p++;
        n++;
    }
    return n;
}

static cw_value_t *s_parse_number(parser_t *ps)
{
    const char *s = ps->p;
    bool integral = true;
    if (ps->p < ps->end && *ps->p == '-')
        ps->p++;
    if (!s_digits(ps)) {
        s_fail(ps, "bad number");
        return NULL;
    }
    if (ps->p < ps->end && *ps->p == '.') {
        ps->p++;
        integral = false;
        if (!s_digits(ps)) {
            s_fail(ps, "bad number");
            return NULL;
        }
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        ps->p++;
        integral = false;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
            ps->p++;
        if (!s_digits(ps)) {
            s_fail(ps, "bad number");
            return NULL;
        }
    }
    size_t n = (size_t)(ps->p - s);
    if (n > 64) {
        s_fail(ps, "number too long");
        return NULL;
    }
    char buf[72];
    memcpy(buf, s, n);
    buf[n] = '\0';
    cw_value_t *self = NULL;
    if (integral) {
        errno = 0;
        long long i = strtoll(buf, NULL, 10);
        if (errno != ERANGE)
            self = cw_value_new_int((int64_t)i);
        else
            integral = false; /* too large for 64 bits: a double */
    }
    if (!integral) {
        double d = strtod(buf, NULL);
        self = isfinite(d) ? cw_value_new_float(d) : cw_value_new_nil();
    }
    if (!self)
        s_fail(ps, "out of memory");
    return self;
}

static cw_value_t *s_parse_value(parser_t *ps, int depth)
{
    s_skip_ws(ps);
    if (ps->p >= ps->end) {
        s_fail(ps, "unexpected end of input");
        return NULL;
    }
    if (!s_count(ps))
        return NULL;
    char c = *ps->p;
    if (c == '{' || c == '[')
        return s_parse_container(ps, depth, c == '{');
    cw_value_t *self = NULL;
    if (c == '"') {
        cw_buf_t s;
        cw_buf_init(&s, 1);
        if (s_parse_string(ps, &s))
            self = cw_value_new_strn(cw_buf_str(&s), s.len);
        else {
            cw_buf_free(&s);
            return NULL;
        }
        cw_buf_free(&s);
    } else if (c == '-' || (c >= '0' && c <= '9'))
        return s_parse_number(ps);
    else if (s_match(ps, "true"))
        self = cw_value_new_bool(true);
    else if (s_match(ps, "false"))
        self = cw_value_new_bool(false);
    else if (s_match(ps, "null"))
        self = cw_value_new_nil();
    else {
        s_fail(ps, "unexpected character");
        return NULL;
    }
    if (!self)
        s_fail(ps, "out of memory");
    return self;
}

cw_value_t *cw_json_parse(const char *text, size_t len, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!text) {
        if (err && errlen)
            snprintf(err, errlen, "no input");
        return NULL;
    }
    if (len > CW_JSON_MAX_INPUT) {
        if (err && errlen)
            snprintf(err, errlen, "input of %zu bytes is larger than %zu", len, CW_JSON_MAX_INPUT);
        return NULL;
    }
    parser_t ps = {text, text, text + len, err, errlen, 0, false};
    cw_value_t *root = s_parse_value(&ps, 0);
    if (!root)
        return NULL;
    s_skip_ws(&ps);
    if (ps.p != ps.end) {
        s_fail(&ps, "trailing characters");
        cw_value_destroy(&root);
    }
    return root;
}

/* ================================================================ writer */

/* The escaped content of s[0..n) (no quotes), at most `max` bytes of it. */
static bool s_escaped(cw_buf_t *b, const char *s, size_t n, size_t max)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t used = 0, i = 0, run = 0; /* s[run..i) is waiting to be copied as it is */
    while (i < n) {
        unsigned char c = p[i];
        size_t seq = 1;
        const char *piece = NULL;
        char esc[8];
        if (c < 0x80) {
            switch (c) {
            case '"':
                piece = "\\\"";
                break;
            case '\\':
                piece = "\\\\";
                break;
            case '\b':
                piece = "\\b";
                break;
            case '\f':
                piece = "\\f";
                break;
            case '\n':
                piece = "\\n";
                break;
            case '\r':
                piece = "\\r";
                break;
            case '\t':
                piece = "\\t";
                break;
            default:
                if (c < 0x20 || c == 0x7F) {
                    snprintf(esc, sizeof esc, "\\u%04x", c);
                    piece = esc;
                }
            }
        } else {
            seq = cw_utf8_seq_len(p + i, n - i);
            if (!seq) {
                piece = "\xEF\xBF\xBD"; /* U+FFFD for a byte that is not UTF-8 */
                seq = 1;
            }
        }
        size_t cost = piece ? strlen(piece) : seq;
        if (cost > max - used)
            break;
        if (piece) {
            cw_buf_append(b, s + run, i - run);
            cw_buf_append(b, piece, cost);
            run = i + seq;
        }
        used += cost;
        i += seq;
    }
    return cw_buf_append(b, s + run, i - run);
}

bool cw_json_put_strn(cw_buf_t *b, const char *s, size_t len)
{
    if (!s)
        return cw_json_put_null(b);
    cw_buf_putc(b, '"');
    s_escaped(b, s, len, SIZE_MAX);
    return cw_buf_putc(b, '"');
}

bool cw_json_put_str(cw_buf_t *b, const char *s)
{
    return cw_json_put_strn(b, s, s ? strlen(s) : 0);
}

bool cw_json_put_str_cut(cw_buf_t *b, const char *s, size_t max)
{
    if (!s)
        return cw_json_put_null(b);
    cw_buf_putc(b, '"');
    s_escaped(b, s, strlen(s), max);
    return cw_buf_putc(b, '"');
}

bool cw_json_put_int(cw_buf_t *b, long long v)
{
    return cw_buf_printf(b, "%lld", v);
}

/* A decimal comma of a foreign locale written as a point. */
static void s_point(char *s)
{
    for (; *s; s++)
        if (*s == ',')
            *s = '.';
}

bool cw_json_put_num_digits(cw_buf_t *b, double v, int digits)
{
    if (!isfinite(v))
        return cw_json_put_null(b);
    char buf[40];
    snprintf(buf, sizeof buf, "%.*g", digits < 1 ? 1 : digits > 17 ? 17 : digits, v);
    s_point(buf);
    return cw_buf_puts(b, buf);
}

/* The shortest of %.15g..%.17g that reads back as v; *plain when it has no fraction or
   exponent (1, 100000). false for a non-finite v. */
static bool s_format(double v, char buf[40], bool *plain)
{
    if (!isfinite(v))
        return false;
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, 40, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    s_point(buf);
    *plain = !strpbrk(buf, ".eE");
    return true;
}

bool cw_json_put_num(cw_buf_t *b, double v)
{
    char buf[40];
    bool plain;
    return s_format(v, buf, &plain) ? cw_buf_puts(b, buf) : cw_json_put_null(b);
}

bool cw_json_put_bool(cw_buf_t *b, bool v)
{
    return cw_buf_puts(b, v ? "true" : "false");
}

bool cw_json_put_null(cw_buf_t *b)
{
    return cw_buf_puts(b, "null");
}

bool cw_json_put_key(cw_buf_t *b, const char *key)
{
    if (b->len > 0 && b->data[b->len - 1] != '{' && b->data[b->len - 1] != '[')
        cw_buf_putc(b, ',');
    cw_json_put_str(b, key);
    return cw_buf_putc(b, ':');
}

static bool s_value(cw_buf_t *b, const cw_value_t *v, int depth)
{
    if (depth > CW_JSON_MAX_DEPTH) {
        b->failed = true; /* deeper than any JSON this module reads back */
        return false;
    }
    switch (cw_value_kind(v)) {
    case CW_VAL_NIL:
        return cw_json_put_null(b);
    case CW_VAL_BOOL:
        return cw_json_put_bool(b, cw_value_bool(v));
    case CW_VAL_INT:
        return cw_json_put_int(b, (long long)cw_value_int(v));
    case CW_VAL_FLOAT: {
        char buf[40];
        bool plain;
        if (!s_format(cw_value_float(v), buf, &plain))
            return cw_json_put_null(b);
        cw_buf_puts(b, buf);
        return plain ? cw_buf_puts(b, ".0") : !b->failed; /* reads back as a FLOAT */
    }
    case CW_VAL_STR:
        return cw_json_put_strn(b, cw_value_str(v), cw_value_strlen(v));
    case CW_VAL_ARRAY:
        cw_buf_putc(b, '[');
        for (size_t i = 0; i < cw_value_size(v) && !b->failed; i++) {
            if (i)
                cw_buf_putc(b, ',');
            s_value(b, cw_array_at(v, i), depth + 1);
        }
        return cw_buf_putc(b, ']');
    case CW_VAL_MAP:
        cw_buf_putc(b, '{');
        for (size_t i = 0; i < cw_value_size(v) && !b->failed; i++) {
            if (i)
                cw_buf_putc(b, ',');
            cw_json_put_str(b, cw_map_key_at(v, i));
            cw_buf_putc(b, ':');
            s_value(b, cw_map_value_at(v, i), depth + 1);
        }
        return cw_buf_putc(b, '}');
    }
    return cw_json_put_null(b);
}

bool cw_json_put_value(cw_buf_t *b, const cw_value_t *value)
{
    return s_value(b, value, 0);
}

char *cw_json_encode(const cw_value_t *value)
{
    cw_buf_t b;
    cw_buf_init(&b, 0);
    s_value(&b, value, 0);
    return cw_buf_take(&b, NULL);
}
