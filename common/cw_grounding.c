/*  cw_grounding — backticked identifiers of a document against the target. See
    cw_grounding.h. */
#include "cw_grounding.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPAN_MAX 200  /* longest inline code span looked at */
#define IDENT_MAX 128 /* longest identifier part */
#define PARTS_MAX 16  /* parts of a dotted path */

/* ------------------------------------------------------------------ a set of words */

typedef struct {
    const char *p;
    uint32_t len;
    uint32_t hash;
} s_slot_t;

typedef struct {
    s_slot_t *slots;
    size_t cap, n;
    bool oom;
} s_set_t;

static uint32_t s_hash(const char *p, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)p[i];
        h *= 16777619u;
    }
    return h ? h : 1;
}

static bool s_grow(s_set_t *s)
{
    size_t cap = s->cap ? s->cap * 2 : 1024;
    s_slot_t *slots = calloc(cap, sizeof *slots);
    if (!slots) {
        s->oom = true;
        return false;
    }
    for (size_t i = 0; i < s->cap; i++) {
        if (!s->slots[i].hash)
            continue;
        size_t j = s->slots[i].hash & (cap - 1);
        while (slots[j].hash)
            j = (j + 1) & (cap - 1);
        slots[j] = s->slots[i];
    }
    free(s->slots);
    s->slots = slots;
    s->cap = cap;
    return true;
}

/* the slot holding (p, len), or the empty slot where it would go */
static size_t s_slot(const s_set_t *s, const char *p, size_t len, uint32_t h)
{
    size_t j = h & (s->cap - 1);
    while (s->slots[j].hash &&
           !(s->slots[j].hash == h && s->slots[j].len == len && memcmp(s->slots[j].p, p, len) == 0))
        j = (j + 1) & (s->cap - 1);
    return j;
}

/* true if it was there already */
static bool s_put(s_set_t *s, const char *p, size_t len)
{
    if (s->oom)
        return false;
    if ((s->n + 1) * 2 > s->cap && !s_grow(s))
        return false;
    uint32_t h = s_hash(p, len);
    size_t j = s_slot(s, p, len, h);
    if (s->slots[j].hash)
        return true;
    s->slots[j].p = p;
    s->slots[j].len = (uint32_t)len;
    s->slots[j].hash = h;
    s->n++;
    return false;
}

static bool s_has(const s_set_t *s, const char *p, size_t len)
{
    return s->cap && s->slots[s_slot(s, p, len, s_hash(p, len))].hash != 0;
}

/* ------------------------------------------------------------------ the target's words */

static bool s_start(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$';
}
static bool s_part(int c)
{
    return s_start(c) || (c >= '0' && c <= '9');
}

static void s_words_of(s_set_t *set, const char *s)
{
    for (size_t i = 0; s[i];) {
        if (!s_start((unsigned char)s[i]) || (i > 0 && s_part((unsigned char)s[i - 1]))) {
            i++;
            continue;
        }
        size_t j = i;
        while (s[j] && s_part((unsigned char)s[j]))
            j++;
        if (j - i <= IDENT_MAX)
            s_put(set, s + i, j - i);
        i = j;
    }
}

static void s_collect(s_set_t *set, const cw_value_t *v, int depth)
{
    if (!v || depth > CW_VALUE_MAX_DEPTH || set->oom)
        return;
    switch (cw_value_kind(v)) {
    case CW_VAL_STR:
        s_words_of(set, cw_value_str(v));
        break;
    case CW_VAL_ARRAY:
        for (size_t i = 0; i < cw_value_size(v); i++)
            s_collect(set, cw_array_at(v, i), depth + 1);
        break;
    case CW_VAL_MAP:
        for (size_t i = 0; i < cw_value_size(v); i++)
            s_collect(set, cw_map_value_at(v, i), depth + 1);
        break;
    default:
        break;
    }
}

/* ------------------------------------------------------------------ words never counted */

static const char *const s_common[] = {
    /* literals and receivers */
    "None", "True", "False", "null", "nil", "true", "false", "undefined", "NULL", "nullptr", "self",
    "Self", "this", "super", "cls", "NaN", "Infinity",
    /* primitive and standard types */
    "void", "int", "long", "short", "char", "float", "double", "bool", "boolean", "str", "string",
    "String", "bytes", "byte", "list", "dict", "tuple", "set", "map", "Map", "Set", "Array",
    "Object", "object", "any", "Any", "unknown", "never", "number", "Number", "Promise", "Optional",
    "Vec", "Option", "Result", "Some", "Ok", "Err", "Box", "Rc", "Arc", "HashMap", "u8", "u16",
    "u32", "u64", "i8", "i16", "i32", "i64", "usize", "isize", "f32", "f64", "size_t", "ssize_t",
    "int8_t", "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t", "uint64_t",
    "error", "Exception", "interface",
    /* keywords */
    "async", "await", "return", "yield", "def", "fn", "func", "function", "class", "struct", "enum",
    "trait", "impl", "type", "const", "let", "var", "static", "pub", "mut", "ref", "new", "delete",
    "if", "else", "elif", "for", "while", "do", "switch", "case", "match", "break", "continue",
    "try", "catch", "except", "finally", "raise", "throw", "throws", "import", "from", "package",
    "use", "mod", "in", "is", "not", "and", "or", "lambda", "with", "as", "extern", "typedef",
    "sizeof", "goto", "default", "go", "defer", "chan", "select", "range", "unsafe", "where",
    "loop", "move", "dyn", "crate", "export", "require", "module", "namespace", "template",
    "typename", "virtual", "override", "private", "public", "protected", "final", "inline",
    "volatile", "register", "union", "global", "nonlocal", "pass", "assert", "del", "print", "len",
    "O"};

static bool s_is_common(const char *p, size_t len)
{
    for (size_t i = 0; i < sizeof s_common / sizeof s_common[0]; i++)
        if (strlen(s_common[i]) == len && memcmp(s_common[i], p, len) == 0)
            return true;
    return false;
}

/* ------------------------------------------------------------------ identifiers of a span */

typedef struct {
    const char *p[PARTS_MAX];
    size_t len[PARTS_MAX];
    size_t n;
    const char *whole;
    size_t whole_len;
} s_ident_t;

/* Parse a code span's content as an identifier path; false if it is not one. */
static bool s_parse_ident(const char *s, size_t n, s_ident_t *id)
{
    while (n > 0 && (s[0] == ' ' || s[0] == '@' || s[0] == '&' || s[0] == '*' || s[0] == '#'))
        s++, n--;
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == ';' || s[n - 1] == ','))
        n--;
    /* f(x), f(), v[], println!, f? */
    if (n > 0 && s[n - 1] == ')') {
        const char *open = memchr(s, '(', n);
        if (!open)
            return false;
        n = (size_t)(open - s);
    }
    if (n >= 2 && s[n - 2] == '[' && s[n - 1] == ']')
        n -= 2;
    while (n > 0 && (s[n - 1] == '!' || s[n - 1] == '?'))
        n--;
    if (n == 0 || !s_start((unsigned char)s[0]))
        return false;
    id->n = 0;
    id->whole = s;
    id->whole_len = n;
    size_t i = 0;
    while (i < n) {
        if (!s_start((unsigned char)s[i]))
            return false;
        size_t j = i;
        while (j < n && s_part((unsigned char)s[j]))
            j++;
        if (j - i > IDENT_MAX || id->n == PARTS_MAX)
            return false;
        id->p[id->n] = s + i;
        id->len[id->n] = j - i;
        id->n++;
        if (j == n)
            return true;
        if (s[j] == '.')
            i = j + 1;
        else if (j + 1 < n &&
                 ((s[j] == ':' && s[j + 1] == ':') || (s[j] == '-' && s[j + 1] == '>')))
            i = j + 2;
        else
            return false;
        if (i >= n)
            return false;
    }
    return id->n > 0;
}

static void s_add_missing(cw_grounding_t *out, const char *p, size_t len)
{
    size_t used = strlen(out->missing);
    if (used >= 3 && strcmp(out->missing + used - 3, "...") == 0)
        return; /* full */
    char item[80];
    snprintf(item, sizeof item, "%s`%.*s`", used ? ", " : "", (int)(len > 60 ? 60 : len), p);
    if (used + strlen(item) + 6 < sizeof out->missing)
        memcpy(out->missing + used, item, strlen(item) + 1);
    else
        snprintf(out->missing + used, sizeof out->missing - used, "%s...", used ? ", " : "");
}

int cw_grounding_check(const cw_value_t *target, const char *document, cw_grounding_t *out)
{
    if (!out)
        return -1;
    memset(out, 0, sizeof *out);
    out->ratio = 1.0;
    if (!document)
        return 0;
    s_set_t words = {0}, seen = {0};
    s_collect(&words, target, 0);
    bool fence = false;
    const char *line = document;
    while (*line && !words.oom && !seen.oom) {
        const char *eol = strchr(line, '\n');
        size_t ll = eol ? (size_t)(eol - line) : strlen(line);
        size_t k = 0;
        while (k < ll && (line[k] == ' ' || line[k] == '\t'))
            k++;
        if (ll - k >= 3 && (strncmp(line + k, "```", 3) == 0 || strncmp(line + k, "~~~", 3) == 0)) {
            fence = !fence;
        } else if (!fence) {
            for (size_t i = 0; i < ll;) {
                if (line[i] != '`') {
                    i++;
                    continue;
                }
                size_t ticks = 0;
                while (i + ticks < ll && line[i + ticks] == '`')
                    ticks++;
                size_t cs = i + ticks, j = cs;
                bool closed = false;
                while (j < ll && j - cs <= SPAN_MAX) {
                    if (line[j] == '`') {
                        size_t t = 0;
                        while (j + t < ll && line[j + t] == '`')
                            t++;
                        if (t == ticks) {
                            closed = true;
                            break;
                        }
                        j += t;
                    } else
                        j++;
                }
                if (!closed) {
                    i = cs;
                    continue;
                }
                s_ident_t id;
                if (s_parse_ident(line + cs, j - cs, &id) &&
                    !(id.n == 1 && s_is_common(id.p[0], id.len[0])) &&
                    !s_put(&seen, id.whole, id.whole_len)) {
                    bool found = true;
                    size_t counted = 0;
                    for (size_t q = 0; q < id.n; q++) {
                        if (s_is_common(id.p[q], id.len[q]))
                            continue;
                        counted++;
                        if (!s_has(&words, id.p[q], id.len[q]))
                            found = false;
                    }
                    if (counted > 0) {
                        out->checked++;
                        if (found)
                            out->grounded++;
                        else
                            s_add_missing(out, id.whole, id.whole_len);
                    }
                }
                i = j + ticks;
            }
        }
        line = eol ? eol + 1 : line + ll;
    }
    bool oom = words.oom || seen.oom;
    free(words.slots);
    free(seen.slots);
    if (oom) {
        out->ratio = 0.0;
        return -1;
    }
    out->ratio = out->checked ? (double)out->grounded / (double)out->checked : 1.0;
    return 0;
}
