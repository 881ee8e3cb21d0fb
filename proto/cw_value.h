/*  cw_value — an owned tree of msgpack values (nil, bool, int, float, str, array, map
    with string keys), the in-memory form of every bus payload, and its bounded codec.

    Decoding never trusts declared sizes: container counts and string lengths are checked
    against the bytes left in the frame before anything is allocated, depth is limited,
    and map keys must be strings. Strings are copied and NUL-terminated; a string that
    contains a NUL byte is rejected (payload strings are text).                          */
#ifndef CW_VALUE_H
#define CW_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    CW_VAL_NIL = 0,
    CW_VAL_BOOL,
    CW_VAL_INT,
    CW_VAL_FLOAT,
    CW_VAL_STR,
    CW_VAL_ARRAY,
    CW_VAL_MAP
} cw_val_kind_t;

typedef struct _cw_value_t cw_value_t;

#define CW_VALUE_MAX_DEPTH 16

/* ---- construction (return NULL only on out-of-memory) */
cw_value_t *cw_value_new_nil(void);
cw_value_t *cw_value_new_bool(bool b);
cw_value_t *cw_value_new_int(int64_t i);
cw_value_t *cw_value_new_float(double d);
cw_value_t *cw_value_new_str(const char *s);            /* copies; NULL -> nil */
cw_value_t *cw_value_new_strn(const char *s, size_t n); /* copies n bytes */
cw_value_t *cw_value_new_array(void);
cw_value_t *cw_value_new_map(void);
cw_value_t *cw_value_clone(const cw_value_t *self);
void cw_value_destroy(cw_value_t **self_p); /* idempotent, nulls the pointer */

/* ---- inspection */
cw_val_kind_t cw_value_kind(const cw_value_t *self);
bool cw_value_bool(const cw_value_t *self);       /* false unless BOOL true */
int64_t cw_value_int(const cw_value_t *self);     /* INT, or FLOAT truncated; else 0 */
double cw_value_float(const cw_value_t *self);    /* FLOAT or INT; else 0 */
const char *cw_value_str(const cw_value_t *self); /* NULL unless STR */
size_t cw_value_strlen(const cw_value_t *self);
size_t cw_value_size(const cw_value_t *self); /* elements of ARRAY or MAP, else 0 */

/* ---- arrays */
const cw_value_t *cw_array_at(const cw_value_t *self, size_t index);
int cw_array_push(cw_value_t *self, cw_value_t *child); /* takes ownership; -1 on error */
int cw_array_push_str(cw_value_t *self, const char *s);

/* ---- maps (string keys, insertion order kept; setting an existing key replaces it) */
const cw_value_t *cw_map_get(const cw_value_t *self, const char *key);
const char *cw_map_key_at(const cw_value_t *self, size_t index);
const cw_value_t *cw_map_value_at(const cw_value_t *self, size_t index);
int cw_map_set(cw_value_t *self, const char *key, cw_value_t *child); /* takes ownership */
int cw_map_set_str(cw_value_t *self, const char *key, const char *s); /* NULL s -> nil */
int cw_map_set_int(cw_value_t *self, const char *key, int64_t i);
int cw_map_set_float(cw_value_t *self, const char *key, double d);
int cw_map_set_bool(cw_value_t *self, const char *key, bool b);
/* Typed getters with defaults: the default is returned when the key is missing or has
   another type (ints are accepted where floats are asked for). */
const char *cw_map_str(const cw_value_t *self, const char *key, const char *dflt);
int64_t cw_map_int(const cw_value_t *self, const char *key, int64_t dflt);
double cw_map_float(const cw_value_t *self, const char *key, double dflt);
bool cw_map_bool(const cw_value_t *self, const char *key, bool dflt);

/* ---- codec */
/* Encode to msgpack. *data is malloc'd (caller frees). Returns 0, or -1 on OOM. */
int cw_value_encode(const cw_value_t *self, char **data, size_t *size);
/* Decoding is bounded per byte of frame: the tree of a frame of N bytes may take at most
   CW_VALUE_DECODE_MEM_PER_BYTE * N + CW_VALUE_DECODE_MEM_BASE bytes of memory (counted
   in allocator chunks, checked before each allocation), at most CW_VALUE_MAX_DEPTH
   levels and 2^20 values; map keys are hashed with a per-process random key, so time is
   linear in N whatever the keys. */
#define CW_VALUE_DECODE_MEM_PER_BYTE 3
#define CW_VALUE_DECODE_MEM_BASE (8u * 1024 * 1024)
/* Decode one msgpack value that must fill exactly `size` bytes. Returns NULL and writes a
   readable reason into err (if non-NULL) on any malformed, oversized or trailing input. */
cw_value_t *cw_value_decode(const void *data, size_t size, char *err, size_t errlen);

/* What one decode cost, for tests and benchmarks. */
typedef struct {
    size_t nodes;  /* values created */
    size_t memory; /* bytes allocated for the tree, allocator overhead included */
    size_t budget; /* the most memory this frame was allowed (0 = no limit) */
    size_t probes; /* map index slots looked at (duplicate checks and inserts) */
} cw_value_decode_stats_t;
/* cw_value_decode that also fills *stats (may be NULL), whether or not it succeeds. */
cw_value_t *cw_value_decode_stats(const void *data, size_t size, char *err, size_t errlen,
                                  cw_value_decode_stats_t *stats);

#endif
