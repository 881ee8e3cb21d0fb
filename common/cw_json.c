/*  cw_json — compact bounded JSON reader and writer. */
#include "cw_json.h"
#include "cw_log.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _cw_json_t {
    cw_json_kind_t kind;
    bool b;
    double num;
    char *str; /* STRING value */
    size_t str_len;
    size_t count; /* ARRAY / OBJECT members */
    size_t cap;
    char **keys;       /* OBJECT keys */
    cw_json_t **items; /* ARRAY / OBJECT values */
};

typedef struct {
    const char *p;
    const char *start;
    const char *end;
    char *err;
    size_t errlen;
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

static void s_skip_ws(parser_t *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static cw_json_t *s_new(cw_json_kind_t kind)
{
    cw_json_t *self = calloc(1, sizeof(*self));
    if (self)
        self->kind = kind;
    return self;
}

void cw_json_destroy(cw_json_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cw_json_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++) {
        if (self->keys)
            free(self->keys[i]);
        cw_json_destroy(&self->items[i]);
    }
    free(self->keys);
    free(self->items);
    free(self->str);
    free(self);
    *self_p = NULL;
}

static int s_push(cw_json_t *self, char *key, cw_json_t *item)
{
    if (self->count == self->cap) {
        size_t ncap = self->cap ? self->cap * 2 : 4;
        cw_json_t **items = realloc(self->items, ncap * sizeof(*items));
        if (!items)
            return -1;
        self->items = items;
        if (self->kind == CW_JSON_OBJECT) {
            char **keys = realloc(self->keys, ncap * sizeof(*keys));
            if (!keys)
                return -1;
            self->keys = keys;
        }
        self->cap = ncap;
    }
    if (self->kind == CW_JSON_OBJECT)
        self->keys[self->count] = key;
    self->items[self->count++] = item;
    return 0;
}

static size_t s_put_utf8(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
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

/* Parse a string at ps->p (which points at '"'). The decoded form is never longer than
   the raw form, so one allocation of the raw length suffices. */
static char *s_parse_string(parser_t *ps, size_t *len_out)
{
    ps->p++; /* opening quote */
    const char *q = ps->p;
    /* find the closing quote to size the buffer */
    while (q < ps->end && *q != '"') {
        if (*q == '\\')
            q++;
        q++;
    }
    if (q >= ps->end) {
        s_fail(ps, "unterminated string");
        return NULL;
    }
    char *out = malloc((size_t)(q - ps->p) + 1);
    if (!out) {
        s_fail(ps, "out of memory");
        return NULL;
    }
    size_t n = 0;
    while (ps->p < q) {
        unsigned char c = (unsigned char)*ps->p;
        if (c < 0x20) {
            s_fail(ps, "control character in string");
            free(out);
            return NULL;
        }
        if (c != '\\') {
            out[n++] = (char)c;
            ps->p++;
            continue;
        }
        ps->p++;
        char e = *ps->p++;
        switch (e) {
        case '"':
            out[n++] = '"';
            break;
        case '\\':
            out[n++] = '\\';
            break;
        case '/':
            out[n++] = '/';
            break;
        case 'b':
            out[n++] = '\b';
            break;
        case 'f':
            out[n++] = '\f';
            break;
        case 'n':
            out[n++] = '\n';
            break;
        case 'r':
            out[n++] = '\r';
            break;
        case 't':
            out[n++] = '\t';
            break;
        case 'u': {
            uint32_t cp;
            if (s_hex4(ps->p, q, &cp) != 0) {
                s_fail(ps, "bad \\u escape");
                free(out);
                return NULL;
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
            n += s_put_utf8(out + n, cp);
            break;
        }
        default:
            s_fail(ps, "bad escape");
            free(out);
            return NULL;
        }
    }
    ps->p = q + 1;
    out[n] = '\0';
    if (len_out)
        *len_out = n;
    return out;
}

static cw_json_t *s_parse_value(parser_t *ps, int depth);

static cw_json_t *s_parse_container(parser_t *ps, int depth, bool object)
{
    if (depth >= CW_JSON_MAX_DEPTH) {
        s_fail(ps, "nesting too deep");
        return NULL;
    }
    char close = object ? '}' : ']';
    cw_json_t *self = s_new(object ? CW_JSON_OBJECT : CW_JSON_ARRAY);
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
        char *key = NULL;
        s_skip_ws(ps);
        if (object) {
            if (ps->p >= ps->end || *ps->p != '"') {
                s_fail(ps, "expected a string key");
                break;
            }
            key = s_parse_string(ps, NULL);
            if (!key)
                break;
            s_skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':') {
                free(key);
                s_fail(ps, "expected ':'");
                break;
            }
            ps->p++;
        }
        cw_json_t *item = s_parse_value(ps, depth + 1);
        if (!item) {
            free(key);
            break;
        }
        if (s_push(self, key, item) != 0) {
            free(key);
            cw_json_destroy(&item);
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
    cw_json_destroy(&self);
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

static cw_json_t *s_parse_number(parser_t *ps)
{
    const char *s = ps->p;
    if (ps->p < ps->end && *ps->p == '-')
        ps->p++;
    size_t digits = 0;
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
        ps->p++;
        digits++;
    }
    if (!digits) {
        s_fail(ps, "bad number");
        return NULL;
    }
    if (ps->p < ps->end && *ps->p == '.') {
        ps->p++;
        digits = 0;
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
            ps->p++;
            digits++;
        }
        if (!digits) {
            s_fail(ps, "bad number");
            return NULL;
        }
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        ps->p++;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
            ps->p++;
        digits = 0;
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
            ps->p++;
            digits++;
        }
        if (!digits) {
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
    cw_json_t *self = s_new(CW_JSON_NUMBER);
    if (!self) {
        s_fail(ps, "out of memory");
        return NULL;
    }
    self->num = strtod(buf, NULL);
    if (!isfinite(self->num))
        self->num = 0;
    return self;
}

static cw_json_t *s_parse_value(parser_t *ps, int depth)
{
    s_skip_ws(ps);
    if (ps->p >= ps->end) {
        s_fail(ps, "unexpected end of input");
        return NULL;
    }
    char c = *ps->p;
    if (c == '{' || c == '[')
        return s_parse_container(ps, depth, c == '{');
    if (c == '"') {
        size_t len = 0;
        char *s = s_parse_string(ps, &len);
        if (!s)
            return NULL;
        cw_json_t *self = s_new(CW_JSON_STRING);
        if (!self) {
            free(s);
            s_fail(ps, "out of memory");
            return NULL;
        }
        self->str = s;
        self->str_len = len;
        return self;
    }
    if (c == '-' || (c >= '0' && c <= '9'))
        return s_parse_number(ps);
    cw_json_t *self = NULL;
    if (s_match(ps, "true")) {
        self = s_new(CW_JSON_BOOL);
        if (self)
            self->b = true;
    } else if (s_match(ps, "false"))
        self = s_new(CW_JSON_BOOL);
    else if (s_match(ps, "null"))
        self = s_new(CW_JSON_NULL);
    else {
        s_fail(ps, "unexpected character");
        return NULL;
    }
    if (!self)
        s_fail(ps, "out of memory");
    return self;
}

cw_json_t *cw_json_parse(const char *text, size_t len, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!text) {
        if (err && errlen)
            snprintf(err, errlen, "no input");
        return NULL;
    }
    parser_t ps = {text, text, text + len, err, errlen, false};
    cw_json_t *root = s_parse_value(&ps, 0);
    if (!root)
        return NULL;
    s_skip_ws(&ps);
    if (ps.p != ps.end) {
        s_fail(&ps, "trailing characters");
        cw_json_destroy(&root);
    }
    return root;
}

cw_json_kind_t cw_json_kind(const cw_json_t *self)
{
    return self ? self->kind : CW_JSON_NULL;
}

const char *cw_json_str(const cw_json_t *self)
{
    return self && self->kind == CW_JSON_STRING ? self->str : NULL;
}

size_t cw_json_strlen(const cw_json_t *self)
{
    return self && self->kind == CW_JSON_STRING ? self->str_len : 0;
}

double cw_json_num(const cw_json_t *self)
{
    return self && self->kind == CW_JSON_NUMBER ? self->num : 0;
}

bool cw_json_bool(const cw_json_t *self)
{
    return self && self->kind == CW_JSON_BOOL && self->b;
}

size_t cw_json_size(const cw_json_t *self)
{
    return self && (self->kind == CW_JSON_ARRAY || self->kind == CW_JSON_OBJECT) ? self->count : 0;
}

const cw_json_t *cw_json_at(const cw_json_t *self, size_t index)
{
    if (!self || self->kind != CW_JSON_ARRAY || index >= self->count)
        return NULL;
    return self->items[index];
}

const char *cw_json_key_at(const cw_json_t *self, size_t index)
{
    if (!self || self->kind != CW_JSON_OBJECT || index >= self->count)
        return NULL;
    return self->keys[index];
}

const cw_json_t *cw_json_get(const cw_json_t *self, const char *key)
{
    if (!self || self->kind != CW_JSON_OBJECT || !key)
        return NULL;
    /* last one wins, like most parsers */
    for (size_t i = self->count; i-- > 0;)
        if (strcmp(self->keys[i], key) == 0)
            return self->items[i];
    return NULL;
}

const char *cw_json_get_str(const cw_json_t *self, const char *key, const char *dflt)
{
    const char *s = cw_json_str(cw_json_get(self, key));
    return s ? s : dflt;
}

double cw_json_get_num(const cw_json_t *self, const char *key, double dflt)
{
    const cw_json_t *v = cw_json_get(self, key);
    return v && v->kind == CW_JSON_NUMBER ? v->num : dflt;
}

bool cw_json_get_bool(const cw_json_t *self, const char *key, bool dflt)
{
    const cw_json_t *v = cw_json_get(self, key);
    return v && v->kind == CW_JSON_BOOL ? v->b : dflt;
}

/* ---------------------------------------------------------------- writer */
void cw_json_put_str(cw_buf_t *self, const char *s)
{
    if (!s) {
        cw_buf_puts(self, "null");
        return;
    }
    cw_buf_puts(self, "\"");
    /* escape in chunks so that a large source never needs a 6x temporary copy */
    enum { CHUNK = 2048 };
    char in[CHUNK + 1];
    char out[CHUNK * 6 + 1];
    size_t n = strlen(s);
    for (size_t off = 0; off < n; off += CHUNK) {
        size_t k = n - off < CHUNK ? n - off : CHUNK;
        memcpy(in, s + off, k);
        in[k] = '\0';
        out[0] = '\0';
        size_t w = cw_json_escape(out, sizeof(out), in);
        cw_buf_append(self, out, w);
    }
    cw_buf_puts(self, "\"");
}

void cw_json_put_int(cw_buf_t *self, long long v)
{
    cw_buf_printf(self, "%lld", v);
}

void cw_json_put_num(cw_buf_t *self, double v)
{
    char buf[64];
    if (!isfinite(v))
        v = 0;
    snprintf(buf, sizeof(buf), "%.17g", v);
    /* %.17g of 0.3 is 0.29999999999999999: use the shortest form that round-trips */
    for (int prec = 1; prec <= 17; prec++) {
        char tmp[64];
        snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
        if (strtod(tmp, NULL) == v) {
            memcpy(buf, tmp, sizeof(buf));
            break;
        }
    }
    cw_buf_puts(self, buf);
}

void cw_json_put_key(cw_buf_t *self, const char *key)
{
    if (self->len > 0 && self->data[self->len - 1] != '{' && self->data[self->len - 1] != '[')
        cw_buf_puts(self, ",");
    cw_json_put_str(self, key);
    cw_buf_puts(self, ":");
}
