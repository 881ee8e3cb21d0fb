/*  cw_value — owned msgpack value tree, msgpack encoder (msgpack-c packer) and a
    bounded recursive-descent decoder that never trusts declared sizes.             */
#include "cw_text.h"
#include "cw_value.h"

#include <errno.h>
#include <math.h>
#include <msgpack.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* Most values one decode may create (a legitimate payload of 1000 targets needs a few
   10 000); memory is bounded separately, per byte of frame (cw_value.h). */
#define CW_VALUE_MAX_NODES (1u << 20)
/* Maps at least this large get a hash index so lookups and duplicate checks stay O(1). */
#define CW_MAP_INDEX_MIN 16

typedef struct {
    char *key; /* NUL-terminated copy */
    size_t keylen;
    cw_value_t *val;
} s_entry_t;

struct _cw_value_t {
    cw_val_kind_t kind;
    union {
        bool b;
        int64_t i;
        double d;
        struct {
            char *s; /* the bytes follow the node in the same allocation */
            size_t len;
        } str;
        struct {
            cw_value_t **items;
            size_t n, cap;
        } arr;
        struct {
            s_entry_t *entries;
            uint32_t *index; /* open addressing, slot = entry + 1, 0 = empty; NULL if small */
            size_t n, cap;
            uint32_t index_cap;
        } map;
    } u;
};

/* ------------------------------------------------------------------ construction */

static cw_value_t *s_new(cw_val_kind_t kind)
{
    cw_value_t *self = (cw_value_t *)calloc(1, sizeof(cw_value_t));
    if (self)
        self->kind = kind;
    return self;
}

cw_value_t *cw_value_new_nil(void)
{
    return s_new(CW_VAL_NIL);
}

cw_value_t *cw_value_new_bool(bool b)
{
    cw_value_t *self = s_new(CW_VAL_BOOL);
    if (self)
        self->u.b = b;
    return self;
}

cw_value_t *cw_value_new_int(int64_t i)
{
    cw_value_t *self = s_new(CW_VAL_INT);
    if (self)
        self->u.i = i;
    return self;
}

cw_value_t *cw_value_new_float(double d)
{
    cw_value_t *self = s_new(CW_VAL_FLOAT);
    if (self)
        self->u.d = d;
    return self;
}

cw_value_t *cw_value_new_strn(const char *s, size_t n)
{
    if (!s && n > 0)
        return NULL;
    if (n > SIZE_MAX - sizeof(cw_value_t) - 1)
        return NULL;
    cw_value_t *self = (cw_value_t *)malloc(sizeof(cw_value_t) + n + 1);
    if (!self)
        return NULL;
    memset(self, 0, sizeof(*self));
    self->kind = CW_VAL_STR;
    self->u.str.s = (char *)(self + 1);
    if (n)
        memcpy(self->u.str.s, s, n);
    self->u.str.s[n] = '\0';
    self->u.str.len = n;
    return self;
}

cw_value_t *cw_value_new_str(const char *s)
{
    if (!s)
        return cw_value_new_nil();
    return cw_value_new_strn(s, strlen(s));
}

cw_value_t *cw_value_new_array(void)
{
    return s_new(CW_VAL_ARRAY);
}

cw_value_t *cw_value_new_map(void)
{
    return s_new(CW_VAL_MAP);
}

void cw_value_destroy(cw_value_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cw_value_t *self = *self_p;
    switch (self->kind) {
    case CW_VAL_ARRAY:
        for (size_t i = 0; i < self->u.arr.n; i++)
            cw_value_destroy(&self->u.arr.items[i]);
        free(self->u.arr.items);
        break;
    case CW_VAL_MAP:
        for (size_t i = 0; i < self->u.map.n; i++) {
            free(self->u.map.entries[i].key);
            cw_value_destroy(&self->u.map.entries[i].val);
        }
        free(self->u.map.entries);
        free(self->u.map.index);
        break;
    default:
        break;
    }
    free(self);
    *self_p = NULL;
}

/* ------------------------------------------------------------------ inspection */

cw_val_kind_t cw_value_kind(const cw_value_t *self)
{
    return self ? self->kind : CW_VAL_NIL;
}

bool cw_value_bool(const cw_value_t *self)
{
    return self && self->kind == CW_VAL_BOOL && self->u.b;
}

int64_t cw_value_int(const cw_value_t *self)
{
    if (!self)
        return 0;
    if (self->kind == CW_VAL_INT)
        return self->u.i;
    if (self->kind == CW_VAL_FLOAT) {
        double d = self->u.d;
        if (isnan(d))
            return 0;
        if (d >= 9223372036854775807.0)
            return INT64_MAX;
        if (d <= -9223372036854775808.0)
            return INT64_MIN;
        return (int64_t)d;
    }
    return 0;
}

double cw_value_float(const cw_value_t *self)
{
    if (!self)
        return 0;
    if (self->kind == CW_VAL_FLOAT)
        return self->u.d;
    if (self->kind == CW_VAL_INT)
        return (double)self->u.i;
    return 0;
}

const char *cw_value_str(const cw_value_t *self)
{
    return self && self->kind == CW_VAL_STR ? self->u.str.s : NULL;
}

size_t cw_value_strlen(const cw_value_t *self)
{
    return self && self->kind == CW_VAL_STR ? self->u.str.len : 0;
}

size_t cw_value_size(const cw_value_t *self)
{
    if (!self)
        return 0;
    if (self->kind == CW_VAL_ARRAY)
        return self->u.arr.n;
    if (self->kind == CW_VAL_MAP)
        return self->u.map.n;
    return 0;
}

/* ------------------------------------------------------------------ arrays */

const cw_value_t *cw_array_at(const cw_value_t *self, size_t index)
{
    if (!self || self->kind != CW_VAL_ARRAY || index >= self->u.arr.n)
        return NULL;
    return self->u.arr.items[index];
}

static int s_array_reserve(cw_value_t *self, size_t want)
{
    if (want <= self->u.arr.cap)
        return 0;
    size_t cap = self->u.arr.cap ? self->u.arr.cap : 4;
    while (cap < want)
        cap *= 2;
    cw_value_t **items = (cw_value_t **)realloc(self->u.arr.items, cap * sizeof(*items));
    if (!items)
        return -1;
    self->u.arr.items = items;
    self->u.arr.cap = cap;
    return 0;
}

/* On any error the child is destroyed: ownership is always taken. */
int cw_array_push(cw_value_t *self, cw_value_t *child)
{
    if (!child)
        return -1;
    if (!self || self->kind != CW_VAL_ARRAY || self == child ||
        s_array_reserve(self, self->u.arr.n + 1) != 0) {
        cw_value_destroy(&child);
        return -1;
    }
    self->u.arr.items[self->u.arr.n++] = child;
    return 0;
}

int cw_array_push_str(cw_value_t *self, const char *s)
{
    return cw_array_push(self, cw_value_new_str(s));
}

/* ------------------------------------------------------------------ maps */

/*  The map index hashes keys with SipHash-1-3 under a key drawn from the OS once per
    process, so nobody outside the process can choose keys that collide (hash flooding:
    with an unseeded hash, a frame of colliding keys made decoding quadratic).          */
static uint64_t s_sip_k0, s_sip_k1;
static pthread_once_t s_sip_once = PTHREAD_ONCE_INIT;

static void s_sip_init(void)
{
    unsigned char raw[16];
    size_t got = 0;
    while (got < sizeof(raw)) {
        ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (got < sizeof(raw)) { /* no kernel entropy: still unpredictable from outside */
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t mix = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^
                       ((uint64_t)getpid() << 16) ^ (uint64_t)(uintptr_t)&got;
        for (size_t i = got; i < sizeof(raw); i++) {
            mix = mix * 6364136223846793005ULL + 1442695040888963407ULL;
            raw[i] = (unsigned char)(mix >> 56);
        }
    }
    memcpy(&s_sip_k0, raw, 8);
    memcpy(&s_sip_k1, raw + 8, 8);
}

#define S_ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define S_SIPROUND                                                                                 \
    do {                                                                                           \
        v0 += v1;                                                                                  \
        v1 = S_ROTL(v1, 13);                                                                       \
        v1 ^= v0;                                                                                  \
        v0 = S_ROTL(v0, 32);                                                                       \
        v2 += v3;                                                                                  \
        v3 = S_ROTL(v3, 16);                                                                       \
        v3 ^= v2;                                                                                  \
        v0 += v3;                                                                                  \
        v3 = S_ROTL(v3, 21);                                                                       \
        v3 ^= v0;                                                                                  \
        v2 += v1;                                                                                  \
        v1 = S_ROTL(v1, 17);                                                                       \
        v1 ^= v2;                                                                                  \
        v2 = S_ROTL(v2, 32);                                                                       \
    } while (0)

/* SipHash-1-3 (one compression round per 8 bytes, three finalisation rounds). */
static uint64_t s_hash(const char *key, size_t len)
{
    pthread_once(&s_sip_once, s_sip_init);
    uint64_t v0 = 0x736f6d6570736575ULL ^ s_sip_k0;
    uint64_t v1 = 0x646f72616e646f6dULL ^ s_sip_k1;
    uint64_t v2 = 0x6c7967656e657261ULL ^ s_sip_k0;
    uint64_t v3 = 0x7465646279746573ULL ^ s_sip_k1;
    const unsigned char *p = (const unsigned char *)key;
    size_t blocks = len / 8;
    for (size_t i = 0; i < blocks; i++, p += 8) {
        uint64_t m = 0;
        for (int k = 7; k >= 0; k--)
            m = (m << 8) | p[k]; /* little-endian */
        v3 ^= m;
        S_SIPROUND;
        v0 ^= m;
    }
    uint64_t last = (uint64_t)len << 56;
    for (size_t k = 0; k < (len & 7); k++)
        last |= (uint64_t)p[k] << (8 * k);
    v3 ^= last;
    S_SIPROUND;
    v0 ^= last;
    v2 ^= 0xff;
    S_SIPROUND;
    S_SIPROUND;
    S_SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

static _Thread_local size_t s_probes; /* for cw_value_decode_stats */

static void s_index_insert(cw_value_t *self, size_t entry)
{
    size_t mask = (size_t)self->u.map.index_cap - 1;
    const s_entry_t *e = &self->u.map.entries[entry];
    size_t slot = (size_t)s_hash(e->key, e->keylen) & mask;
    while (self->u.map.index[slot]) {
        s_probes++;
        slot = (slot + 1) & mask;
    }
    self->u.map.index[slot] = (uint32_t)(entry + 1);
}

/* Index slots for `want` entries (at most half full), 0 when none is needed. */
static size_t s_index_cap(size_t want)
{
    if (want < CW_MAP_INDEX_MIN)
        return 0;
    size_t cap = 64;
    while (cap < want * 2)
        cap *= 2;
    return cap;
}

/* (Re)build the hash index so that it holds at most half-full for `want` entries. */
static int s_index_reserve(cw_value_t *self, size_t want)
{
    size_t cap = s_index_cap(want);
    if (cap == 0 || (self->u.map.index && want * 2 <= self->u.map.index_cap))
        return 0;
    if (cap > UINT32_MAX)
        return -1;
    uint32_t *index = (uint32_t *)calloc(cap, sizeof(uint32_t));
    if (!index)
        return -1;
    free(self->u.map.index);
    self->u.map.index = index;
    self->u.map.index_cap = (uint32_t)cap;
    for (size_t i = 0; i < self->u.map.n; i++)
        s_index_insert(self, i);
    return 0;
}

/* Entry index of key, or (size_t)-1. */
static size_t s_map_find(const cw_value_t *self, const char *key, size_t len)
{
    const s_entry_t *entries = self->u.map.entries;
    if (self->u.map.index) {
        size_t mask = (size_t)self->u.map.index_cap - 1;
        size_t slot = (size_t)s_hash(key, len) & mask;
        while (self->u.map.index[slot]) {
            s_probes++;
            size_t e = self->u.map.index[slot] - 1;
            if (entries[e].keylen == len && memcmp(entries[e].key, key, len) == 0)
                return e;
            slot = (slot + 1) & mask;
        }
        return (size_t)-1;
    }
    for (size_t i = 0; i < self->u.map.n; i++)
        if (entries[i].keylen == len && memcmp(entries[i].key, key, len) == 0)
            return i;
    return (size_t)-1;
}

/* Room for `want` entries: exactly `want` when `exact` (the decoder knows the count),
   else doubling. */
static int s_map_reserve(cw_value_t *self, size_t want, bool exact)
{
    if (want > self->u.map.cap) {
        size_t cap = want;
        if (!exact) {
            cap = self->u.map.cap ? self->u.map.cap : 8;
            while (cap < want)
                cap *= 2;
        }
        if (cap > SIZE_MAX / sizeof(s_entry_t))
            return -1;
        s_entry_t *entries =
            (s_entry_t *)realloc(self->u.map.entries, (cap ? cap : 1) * sizeof(s_entry_t));
        if (!entries)
            return -1;
        self->u.map.entries = entries;
        self->u.map.cap = cap;
    }
    return s_index_reserve(self, want);
}

/* Append a new entry (key must not exist; key is adopted). */
static int s_map_append(cw_value_t *self, char *key, size_t len, cw_value_t *child)
{
    if (s_map_reserve(self, self->u.map.n + 1, false) != 0)
        return -1;
    size_t e = self->u.map.n++;
    self->u.map.entries[e].key = key;
    self->u.map.entries[e].keylen = len;
    self->u.map.entries[e].val = child;
    if (self->u.map.index)
        s_index_insert(self, e);
    return 0;
}

const cw_value_t *cw_map_get(const cw_value_t *self, const char *key)
{
    if (!self || self->kind != CW_VAL_MAP || !key)
        return NULL;
    size_t e = s_map_find(self, key, strlen(key));
    return e == (size_t)-1 ? NULL : self->u.map.entries[e].val;
}

const char *cw_map_key_at(const cw_value_t *self, size_t index)
{
    if (!self || self->kind != CW_VAL_MAP || index >= self->u.map.n)
        return NULL;
    return self->u.map.entries[index].key;
}

const cw_value_t *cw_map_value_at(const cw_value_t *self, size_t index)
{
    if (!self || self->kind != CW_VAL_MAP || index >= self->u.map.n)
        return NULL;
    return self->u.map.entries[index].val;
}

/* On any error the child is destroyed: ownership is always taken. */
int cw_map_set(cw_value_t *self, const char *key, cw_value_t *child)
{
    if (!child)
        return -1;
    if (!self || self->kind != CW_VAL_MAP || !key || self == child) {
        cw_value_destroy(&child);
        return -1;
    }
    size_t len = strlen(key);
    size_t e = s_map_find(self, key, len);
    if (e != (size_t)-1) {
        cw_value_destroy(&self->u.map.entries[e].val);
        self->u.map.entries[e].val = child;
        return 0;
    }
    char *copy = (char *)malloc(len + 1);
    if (!copy) {
        cw_value_destroy(&child);
        return -1;
    }
    memcpy(copy, key, len + 1);
    if (s_map_append(self, copy, len, child) != 0) {
        free(copy);
        cw_value_destroy(&child);
        return -1;
    }
    return 0;
}

int cw_map_set_str(cw_value_t *self, const char *key, const char *s)
{
    return cw_map_set(self, key, cw_value_new_str(s));
}

int cw_map_set_int(cw_value_t *self, const char *key, int64_t i)
{
    return cw_map_set(self, key, cw_value_new_int(i));
}

int cw_map_set_float(cw_value_t *self, const char *key, double d)
{
    return cw_map_set(self, key, cw_value_new_float(d));
}

int cw_map_set_bool(cw_value_t *self, const char *key, bool b)
{
    return cw_map_set(self, key, cw_value_new_bool(b));
}

const char *cw_map_str(const cw_value_t *self, const char *key, const char *dflt)
{
    const cw_value_t *v = cw_map_get(self, key);
    return v && v->kind == CW_VAL_STR ? v->u.str.s : dflt;
}

int64_t cw_map_int(const cw_value_t *self, const char *key, int64_t dflt)
{
    const cw_value_t *v = cw_map_get(self, key);
    return v && v->kind == CW_VAL_INT ? v->u.i : dflt;
}

double cw_map_float(const cw_value_t *self, const char *key, double dflt)
{
    const cw_value_t *v = cw_map_get(self, key);
    if (v && v->kind == CW_VAL_FLOAT)
        return v->u.d;
    if (v && v->kind == CW_VAL_INT)
        return (double)v->u.i;
    return dflt;
}

bool cw_map_bool(const cw_value_t *self, const char *key, bool dflt)
{
    const cw_value_t *v = cw_map_get(self, key);
    return v && v->kind == CW_VAL_BOOL ? v->u.b : dflt;
}

/* ------------------------------------------------------------------ clone */

cw_value_t *cw_value_clone(const cw_value_t *self)
{
    if (!self)
        return NULL;
    switch (self->kind) {
    case CW_VAL_NIL:
        return cw_value_new_nil();
    case CW_VAL_BOOL:
        return cw_value_new_bool(self->u.b);
    case CW_VAL_INT:
        return cw_value_new_int(self->u.i);
    case CW_VAL_FLOAT:
        return cw_value_new_float(self->u.d);
    case CW_VAL_STR:
        return cw_value_new_strn(self->u.str.s, self->u.str.len);
    case CW_VAL_ARRAY: {
        cw_value_t *copy = cw_value_new_array();
        if (!copy || s_array_reserve(copy, self->u.arr.n) != 0)
            goto arr_fail;
        for (size_t i = 0; i < self->u.arr.n; i++)
            if (cw_array_push(copy, cw_value_clone(self->u.arr.items[i])) != 0)
                goto arr_fail;
        return copy;
    arr_fail:
        cw_value_destroy(&copy);
        return NULL;
    }
    case CW_VAL_MAP: {
        cw_value_t *copy = cw_value_new_map();
        if (!copy || s_map_reserve(copy, self->u.map.n, true) != 0)
            goto map_fail;
        for (size_t i = 0; i < self->u.map.n; i++) {
            const s_entry_t *e = &self->u.map.entries[i];
            cw_value_t *child = cw_value_clone(e->val);
            char *key = child ? (char *)malloc(e->keylen + 1) : NULL;
            if (!key) {
                cw_value_destroy(&child);
                goto map_fail;
            }
            memcpy(key, e->key, e->keylen + 1);
            if (s_map_append(copy, key, e->keylen, child) != 0) {
                free(key);
                cw_value_destroy(&child);
                goto map_fail;
            }
        }
        return copy;
    map_fail:
        cw_value_destroy(&copy);
        return NULL;
    }
    }
    return NULL;
}

/* ------------------------------------------------------------------ encoder */

static int s_pack(msgpack_packer *pk, const cw_value_t *v)
{
    if (!v)
        return msgpack_pack_nil(pk);
    switch (v->kind) {
    case CW_VAL_NIL:
        return msgpack_pack_nil(pk);
    case CW_VAL_BOOL:
        return v->u.b ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
    case CW_VAL_INT:
        return msgpack_pack_int64(pk, v->u.i);
    case CW_VAL_FLOAT:
        return msgpack_pack_double(pk, v->u.d);
    case CW_VAL_STR:
        if (v->u.str.len > UINT32_MAX)
            return -1;
        if (msgpack_pack_str(pk, v->u.str.len) != 0)
            return -1;
        return msgpack_pack_str_body(pk, v->u.str.s, v->u.str.len);
    case CW_VAL_ARRAY:
        if (v->u.arr.n > UINT32_MAX || msgpack_pack_array(pk, v->u.arr.n) != 0)
            return -1;
        for (size_t i = 0; i < v->u.arr.n; i++)
            if (s_pack(pk, v->u.arr.items[i]) != 0)
                return -1;
        return 0;
    case CW_VAL_MAP:
        if (v->u.map.n > UINT32_MAX || msgpack_pack_map(pk, v->u.map.n) != 0)
            return -1;
        for (size_t i = 0; i < v->u.map.n; i++) {
            const s_entry_t *e = &v->u.map.entries[i];
            if (msgpack_pack_str(pk, e->keylen) != 0 ||
                msgpack_pack_str_body(pk, e->key, e->keylen) != 0 || s_pack(pk, e->val) != 0)
                return -1;
        }
        return 0;
    }
    return -1;
}

int cw_value_encode(const cw_value_t *self, char **data, size_t *size)
{
    if (!data || !size)
        return -1;
    *data = NULL;
    *size = 0;
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init(&sbuf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
    if (s_pack(&pk, self) != 0) {
        msgpack_sbuffer_destroy(&sbuf);
        return -1;
    }
    *size = sbuf.size;
    *data = msgpack_sbuffer_release(&sbuf);
    return *data ? 0 : -1;
}

/* ------------------------------------------------------------------ decoder */

typedef struct {
    const unsigned char *p;
    const unsigned char *end;
    size_t nodes;
    char *err;
    size_t errlen;
    size_t frame;  /* bytes of the whole frame */
    size_t used;   /* memory charged so far (allocator chunks) */
    size_t budget; /* CW_VALUE_DECODE_MEM_PER_BYTE * frame + CW_VALUE_DECODE_MEM_BASE */
} s_reader_t;

static cw_value_t *s_fail(s_reader_t *r, const char *fmt, ...)
{
    if (r->err && r->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->err, r->errlen, fmt, ap);
        va_end(ap);
    }
    return NULL;
}

static size_t s_left(const s_reader_t *r)
{
    return (size_t)(r->end - r->p);
}

static int s_need(s_reader_t *r, size_t n, const char *what)
{
    if (s_left(r) < n) {
        s_fail(r, "truncated %s: needs %zu bytes but only %zu remain", what, n, s_left(r));
        return -1;
    }
    return 0;
}

static uint64_t s_be(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

/* Reads an n-byte big-endian unsigned length/int. */
static int s_read_uint(s_reader_t *r, int n, uint64_t *out, const char *what)
{
    if (s_need(r, (size_t)n, what) != 0)
        return -1;
    *out = s_be(r->p, n);
    r->p += n;
    return 0;
}

/* Strict UTF-8 check: no overlong forms, no surrogates, nothing above U+10FFFF. */
static const char *s_utf8_error(const unsigned char *s, size_t n, size_t *at)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        *at = i;
        if (c == 0)
            return "NUL byte";
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len = cw_utf8_seq_len(s + i, n - i);
        if (len == 0)
            return "invalid UTF-8";
        i += len;
    }
    return NULL;
}

static int s_check_text(s_reader_t *r, const unsigned char *s, size_t n, const char *what)
{
    size_t at = 0;
    const char *why = s_utf8_error(s, n, &at);
    if (why) {
        s_fail(r, "%s contains %s at byte %zu", what, why, at);
        return -1;
    }
    return 0;
}

static cw_value_t *s_read(s_reader_t *r, int depth);

static int s_count_node(s_reader_t *r)
{
    if (++r->nodes > CW_VALUE_MAX_NODES) {
        s_fail(r, "payload holds more than %u values", (unsigned)CW_VALUE_MAX_NODES);
        return -1;
    }
    return 0;
}

/* What malloc(n) really takes (glibc: 16-byte chunks with an 8-byte header, 32 at least). */
static size_t s_chunk(size_t n)
{
    if (n > SIZE_MAX / 2)
        return SIZE_MAX / 2;
    size_t c = (n + 8 + 15) & ~(size_t)15;
    return c < 32 ? 32 : c;
}

/* Charge an allocation of n bytes against the frame's memory budget before making it:
   -1 (with the reason) when it would go over. */
static int s_charge(s_reader_t *r, size_t n)
{
    size_t c = s_chunk(n);
    if (c > r->budget - r->used) {
        s_fail(r,
               "payload holds more than the decoder allows for a %zu-byte frame: %zu bytes of "
               "values (limit %d x frame + %u MiB)",
               r->frame, r->used + c, CW_VALUE_DECODE_MEM_PER_BYTE,
               (unsigned)(CW_VALUE_DECODE_MEM_BASE >> 20));
        return -1;
    }
    r->used += c;
    return 0;
}

/* Reads a string body of len bytes after its header. */
static cw_value_t *s_read_str_body(s_reader_t *r, uint64_t len)
{
    if (len > s_left(r))
        return s_fail(r, "string declares %llu bytes but only %zu bytes remain",
                      (unsigned long long)len, s_left(r));
    if (s_check_text(r, r->p, (size_t)len, "string") != 0)
        return NULL;
    if (s_charge(r, sizeof(cw_value_t) + (size_t)len + 1) != 0)
        return NULL;
    cw_value_t *v = cw_value_new_strn((const char *)r->p, (size_t)len);
    if (!v)
        return s_fail(r, "out of memory");
    r->p += len;
    return v;
}

static cw_value_t *s_read_array(s_reader_t *r, uint64_t count, int depth)
{
    if (depth > CW_VALUE_MAX_DEPTH)
        return s_fail(r, "nesting deeper than %d levels", CW_VALUE_MAX_DEPTH);
    if (count > s_left(r))
        return s_fail(r, "array declares %llu elements but only %zu bytes remain",
                      (unsigned long long)count, s_left(r));
    if (s_charge(r, sizeof(cw_value_t)) != 0 ||
        (count && s_charge(r, (size_t)count * sizeof(cw_value_t *)) != 0))
        return NULL;
    cw_value_t *arr = cw_value_new_array();
    if (arr && count) {
        arr->u.arr.items = (cw_value_t **)malloc((size_t)count * sizeof(cw_value_t *));
        arr->u.arr.cap = arr->u.arr.items ? (size_t)count : 0;
    }
    if (!arr || (count && !arr->u.arr.items)) {
        cw_value_destroy(&arr);
        return s_fail(r, "out of memory");
    }
    for (uint64_t i = 0; i < count; i++) {
        cw_value_t *child = s_read(r, depth);
        if (!child) {
            cw_value_destroy(&arr);
            return NULL;
        }
        arr->u.arr.items[arr->u.arr.n++] = child;
    }
    return arr;
}

/* Reads a map key: must be a str. Returns malloc'd NUL-terminated copy. */
static char *s_read_key(s_reader_t *r, size_t *len_out)
{
    if (s_need(r, 1, "map key") != 0)
        return NULL;
    unsigned char c = *r->p;
    uint64_t len;
    if ((c & 0xE0) == 0xA0) {
        r->p++;
        len = c & 0x1F;
    } else if (c == 0xD9 || c == 0xDA || c == 0xDB) {
        r->p++;
        if (s_read_uint(r, c == 0xD9 ? 1 : c == 0xDA ? 2 : 4, &len, "map key length") != 0)
            return NULL;
    } else {
        s_fail(r, "map key is not a string (type byte 0x%02x)", c);
        return NULL;
    }
    if (len > s_left(r)) {
        s_fail(r, "map key declares %llu bytes but only %zu bytes remain", (unsigned long long)len,
               s_left(r));
        return NULL;
    }
    if (s_check_text(r, r->p, (size_t)len, "map key") != 0 || s_charge(r, (size_t)len + 1) != 0)
        return NULL;
    char *key = (char *)malloc((size_t)len + 1);
    if (!key) {
        s_fail(r, "out of memory");
        return NULL;
    }
    memcpy(key, r->p, (size_t)len);
    key[len] = '\0';
    r->p += len;
    *len_out = (size_t)len;
    return key;
}

static cw_value_t *s_read_map(s_reader_t *r, uint64_t count, int depth)
{
    if (depth > CW_VALUE_MAX_DEPTH)
        return s_fail(r, "nesting deeper than %d levels", CW_VALUE_MAX_DEPTH);
    /* each entry needs at least a key byte and a value byte */
    if (count > s_left(r) / 2)
        return s_fail(r, "map declares %llu entries but only %zu bytes remain",
                      (unsigned long long)count, s_left(r));
    size_t icap = s_index_cap((size_t)count);
    if (s_charge(r, sizeof(cw_value_t)) != 0 ||
        (count && s_charge(r, (size_t)count * sizeof(s_entry_t)) != 0) ||
        (icap && s_charge(r, icap * sizeof(uint32_t)) != 0))
        return NULL;
    cw_value_t *map = cw_value_new_map();
    if (!map || (count && s_map_reserve(map, (size_t)count, true) != 0)) {
        cw_value_destroy(&map);
        return s_fail(r, "out of memory");
    }
    for (uint64_t i = 0; i < count; i++) {
        size_t len = 0;
        char *key = s_read_key(r, &len);
        if (!key) {
            cw_value_destroy(&map);
            return NULL;
        }
        if (s_map_find(map, key, len) != (size_t)-1) {
            s_fail(r, "duplicate map key \"%.64s\"", key);
            free(key);
            cw_value_destroy(&map);
            return NULL;
        }
        cw_value_t *child = s_read(r, depth);
        if (!child) {
            free(key);
            cw_value_destroy(&map);
            return NULL;
        }
        if (s_map_append(map, key, len, child) != 0) {
            free(key);
            cw_value_destroy(&child);
            cw_value_destroy(&map);
            return s_fail(r, "out of memory");
        }
    }
    return map;
}

static cw_value_t *s_new_or_oom(s_reader_t *r, cw_value_t *v)
{
    return v ? v : s_fail(r, "out of memory");
}

/* Scalars (nil, bool, int, float) take one node each. */
static bool s_is_scalar(unsigned char c)
{
    return c <= 0x7F || c >= 0xE0 || c == 0xC0 || c == 0xC2 || c == 0xC3 ||
           (c >= 0xCA && c <= 0xD3);
}

static cw_value_t *s_read(s_reader_t *r, int depth)
{
    if (s_count_node(r) != 0)
        return NULL;
    if (s_need(r, 1, "value") != 0)
        return NULL;
    if (s_is_scalar(*r->p) && s_charge(r, sizeof(cw_value_t)) != 0)
        return NULL;
    unsigned char c = *r->p++;
    uint64_t u = 0;

    if (c <= 0x7F)
        return s_new_or_oom(r, cw_value_new_int(c));
    if (c >= 0xE0)
        return s_new_or_oom(r, cw_value_new_int((int8_t)c));
    if ((c & 0xF0) == 0x80)
        return s_read_map(r, c & 0x0F, depth + 1);
    if ((c & 0xF0) == 0x90)
        return s_read_array(r, c & 0x0F, depth + 1);
    if ((c & 0xE0) == 0xA0)
        return s_read_str_body(r, c & 0x1F);

    switch (c) {
    case 0xC0:
        return s_new_or_oom(r, cw_value_new_nil());
    case 0xC2:
        return s_new_or_oom(r, cw_value_new_bool(false));
    case 0xC3:
        return s_new_or_oom(r, cw_value_new_bool(true));
    case 0xCC:
    case 0xCD:
    case 0xCE:
    case 0xCF: {
        int n = 1 << (c - 0xCC);
        if (s_read_uint(r, n, &u, "unsigned integer") != 0)
            return NULL;
        if (u > (uint64_t)INT64_MAX)
            return s_fail(r, "unsigned integer %llu exceeds the int64 range",
                          (unsigned long long)u);
        return s_new_or_oom(r, cw_value_new_int((int64_t)u));
    }
    case 0xD0:
    case 0xD1:
    case 0xD2:
    case 0xD3: {
        int n = 1 << (c - 0xD0);
        if (s_read_uint(r, n, &u, "signed integer") != 0)
            return NULL;
        int64_t i;
        if (n == 8)
            memcpy(&i, &u, sizeof(i)); /* two's complement reinterpretation */
        else {
            uint64_t sign = 1ULL << (n * 8 - 1);
            i = (int64_t)(u ^ sign) - (int64_t)sign;
        }
        return s_new_or_oom(r, cw_value_new_int(i));
    }
    case 0xCA: {
        if (s_read_uint(r, 4, &u, "float32") != 0)
            return NULL;
        uint32_t bits = (uint32_t)u;
        float f;
        memcpy(&f, &bits, sizeof(f));
        return s_new_or_oom(r, cw_value_new_float((double)f));
    }
    case 0xCB: {
        if (s_read_uint(r, 8, &u, "float64") != 0)
            return NULL;
        double d;
        memcpy(&d, &u, sizeof(d));
        return s_new_or_oom(r, cw_value_new_float(d));
    }
    case 0xD9:
    case 0xDA:
    case 0xDB:
        if (s_read_uint(r, c == 0xD9 ? 1 : c == 0xDA ? 2 : 4, &u, "string length") != 0)
            return NULL;
        return s_read_str_body(r, u);
    case 0xDC:
    case 0xDD:
        if (s_read_uint(r, c == 0xDC ? 2 : 4, &u, "array length") != 0)
            return NULL;
        return s_read_array(r, u, depth + 1);
    case 0xDE:
    case 0xDF:
        if (s_read_uint(r, c == 0xDE ? 2 : 4, &u, "map length") != 0)
            return NULL;
        return s_read_map(r, u, depth + 1);
    case 0xC4:
    case 0xC5:
    case 0xC6:
        return s_fail(r, "binary values are not accepted (type byte 0x%02x)", c);
    case 0xC7:
    case 0xC8:
    case 0xC9:
    case 0xD4:
    case 0xD5:
    case 0xD6:
    case 0xD7:
    case 0xD8:
        return s_fail(r, "extension values are not accepted (type byte 0x%02x)", c);
    default:
        return s_fail(r, "invalid msgpack type byte 0x%02x", c);
    }
}

cw_value_t *cw_value_decode_stats(const void *data, size_t size, char *err, size_t errlen,
                                  cw_value_decode_stats_t *stats)
{
    s_reader_t r = {
        (const unsigned char *)data, (const unsigned char *)data, 0, err, errlen, size, 0, 0};
    if (size > (SIZE_MAX - CW_VALUE_DECODE_MEM_BASE) / CW_VALUE_DECODE_MEM_PER_BYTE)
        size = (SIZE_MAX - CW_VALUE_DECODE_MEM_BASE) / CW_VALUE_DECODE_MEM_PER_BYTE;
    r.budget = CW_VALUE_DECODE_MEM_PER_BYTE * size + CW_VALUE_DECODE_MEM_BASE;
    s_probes = 0;
    if (err && errlen)
        err[0] = '\0';
    cw_value_t *v = NULL;
    if (!data || r.frame == 0)
        s_fail(&r, "empty payload");
    else {
        r.end = r.p + r.frame;
        v = s_read(&r, 0);
        if (v && r.p != r.end) {
            size_t trailing = s_left(&r);
            cw_value_destroy(&v);
            s_fail(&r, "%zu trailing bytes after the value", trailing);
        }
    }
    if (stats) {
        stats->nodes = r.nodes;
        stats->memory = r.used;
        stats->budget = r.budget;
        stats->probes = s_probes;
    }
    return v;
}

cw_value_t *cw_value_decode(const void *data, size_t size, char *err, size_t errlen)
{
    return cw_value_decode_stats(data, size, err, errlen, NULL);
}

