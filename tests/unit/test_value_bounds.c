/*  test_value_bounds — the msgpack decoder against hostile frames (issue 10): keys built
    to collide in an unseeded FNV-1a index, and frames of tiny containers that cost far
    more memory than their size. Decoding must stay linear in time (counted in index
    probes, not in seconds) and bounded in memory per byte of frame.                  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cw_value.h"

/* ------------------------------------------------------------------ helpers */

typedef struct {
    unsigned char *data;
    size_t len, cap;
} buf_t;

static void s_put(buf_t *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        b->data = realloc(b->data, cap);
        assert_non_null(b->data);
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void s_byte(buf_t *b, unsigned char c)
{
    s_put(b, &c, 1);
}

static void s_be32(buf_t *b, unsigned char type, uint32_t n)
{
    unsigned char h[5] = {type, (unsigned char)(n >> 24), (unsigned char)(n >> 16),
                          (unsigned char)(n >> 8), (unsigned char)n};
    s_put(b, h, 5);
}

static void s_fixstr(buf_t *b, const char *s, size_t n)
{
    assert_true(n < 32);
    s_byte(b, (unsigned char)(0xA0 | n));
    s_put(b, s, n);
}

/* The unseeded 64-bit FNV-1a the decoder's map index used: the attacker's model. */
static uint64_t s_fnv1a(const unsigned char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static uint64_t s_rng = 0x2545F4914F6CDD1DULL;
static uint32_t s_rand(void)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return (uint32_t)(s_rng >> 16);
}

/* Key i (8 printable bytes, unique by its first four) whose FNV-1a hash has its low 16
   bits zero. The low bits of FNV-1a depend only on the low bits of the state, and the
   last step is (h ^ byte) * odd prime: when the state before the last byte has low 16
   bits equal to a printable byte, that byte zeroes them. Bytes 4-6 are drawn until so. */
static void s_colliding_key(uint32_t i, unsigned char key[8])
{
    for (int d = 0; d < 4; d++, i /= 26)
        key[d] = (unsigned char)('a' + i % 26);
    while (true) {
        for (int d = 4; d < 7; d++)
            key[d] = (unsigned char)('a' + s_rand() % 26);
        unsigned low = (unsigned)(s_fnv1a(key, 7) & 0xFFFF);
        if (low >= 0x21 && low <= 0x7E) {
            key[7] = (unsigned char)low;
            assert_int_equal(s_fnv1a(key, 8) & 0xFFFF, 0);
            return;
        }
    }
}

static size_t s_heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

/* ------------------------------------------------------------------ time */

static void test_colliding_keys_stay_linear(void **state)
{
    (void)state;
    /* 20 000 distinct keys that all land in slot 0 of a 65 536-slot FNV-1a index */
    const uint32_t n = 20000;
    buf_t b = {0};
    s_byte(&b, 0xDE); /* map 16 */
    s_byte(&b, (unsigned char)(n >> 8));
    s_byte(&b, (unsigned char)n);
    for (uint32_t i = 0; i < n; i++) {
        unsigned char key[8];
        s_colliding_key(i, key);
        s_fixstr(&b, (const char *)key, 8);
        s_byte(&b, 0xC0);
    }
    char err[256] = "";
    cw_value_decode_stats_t st;
    cw_value_t *v = cw_value_decode_stats(b.data, b.len, err, sizeof(err), &st);
    assert_non_null(v);
    assert_int_equal(cw_value_size(v), n);
    printf("# %u colliding keys: %zu index probes\n", n, st.probes);
    /* a keyed hash spreads them: a few probes per key on average, not n/2 */
    assert_true(st.probes <= (size_t)n * 8);
    cw_value_destroy(&v);
    free(b.data);
}

/* ------------------------------------------------------------------ memory */

/* The memory the decoder may use for a frame: documented in proto/README.md. */
static size_t s_allowed(size_t frame)
{
    return 3 * frame + 8u * 1024 * 1024;
}

static void test_tiny_maps_bounded_memory(void **state)
{
    (void)state;
    /* [{"": {}}, {"": {}}, ...]: 3 bytes each, ~430 bytes each as separate allocations */
    const uint32_t n = 450000;
    buf_t b = {0};
    s_be32(&b, 0xDD, n);
    for (uint32_t i = 0; i < n; i++) {
        static const unsigned char tiny[3] = {0x81, 0xA0, 0x80};
        s_put(&b, tiny, 3);
    }
    size_t before = s_heap_in_use();
    char err[256] = "";
    cw_value_decode_stats_t st;
    cw_value_t *v = cw_value_decode_stats(b.data, b.len, err, sizeof(err), &st);
    size_t held = s_heap_in_use() - before;
    printf("# %zu-byte frame of tiny maps: %s, %zu bytes held, %zu counted, budget %zu (%s)\n",
           b.len, v ? "decoded" : "rejected", held, st.memory, st.budget, err);
    /* either refused, or decoded within the bound */
    if (v) {
        size_t limit = s_allowed(b.len);
        /* mallinfo2 is 0 under sanitizers and valgrind: then only the count is checked */
        assert_true(held <= limit);
    } else
        assert_non_null(strstr(err, "payload holds more than"));
    assert_true(st.memory <= s_allowed(b.len));
    cw_value_destroy(&v);
    free(b.data);
}

/* A large legitimate payload still decodes: 1000 slim targets (a dedup_request). */
static void test_legitimate_payload_fits(void **state)
{
    (void)state;
    cw_value_t *req = cw_value_new_map();
    cw_map_set_int(req, "v", 1);
    cw_map_set_str(req, "type", "dedup_request");
    cw_map_set_str(req, "job_id", "0123456789abcdef0123456789abcdef");
    cw_value_t *targets = cw_value_new_array();
    for (int i = 0; i < 1000; i++) {
        cw_value_t *t = cw_value_new_map();
        char name[64];
        snprintf(name, sizeof(name), "function_%d", i);
        cw_map_set_str(t, "doc_type", "function_doc");
        cw_map_set_str(t, "repo", "inventory");
        cw_map_set_str(t, "file", "src/inventory/stock/levels.py");
        cw_map_set_str(t, "language", "python");
        cw_map_set_str(t, "name", name);
        cw_map_set_str(t, "class", "Stock");
        cw_map_set_int(t, "start_line", i);
        cw_map_set_int(t, "end_line", i + 20);
        cw_map_set_float(t, "complexity", 4.0);
        cw_map_set_int(t, "nloc", 18);
        cw_map_set_int(t, "tokens", 120);
        cw_map_set_int(t, "params", 2);
        cw_map_set_int(t, "nesting", 2);
        cw_map_set_float(t, "score", 41.5);
        cw_map_set_str(t, "source", "");
        cw_map_set_str(t, "code_hash",
                       "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
        cw_map_set_str(t, "signature", "def levels(self, warehouse, sku):");
        cw_value_t *params = cw_value_new_array();
        cw_array_push_str(params, "self");
        cw_array_push_str(params, "warehouse");
        cw_array_push_str(params, "sku");
        cw_map_set(t, "parameters", params);
        cw_value_t *calls = cw_value_new_array();
        for (int c = 0; c < 8; c++) {
            char call[16];
            snprintf(call, sizeof(call), "call_%d", c);
            cw_array_push_str(calls, call);
        }
        cw_map_set(t, "calls", calls);
        cw_map_set(t, "is_async", cw_value_new_bool(false));
        cw_array_push(targets, t);
    }
    cw_map_set(req, "targets", targets);
    char *data = NULL;
    size_t size = 0;
    assert_int_equal(cw_value_encode(req, &data, &size), 0);
    char err[256] = "";
    cw_value_decode_stats_t st;
    cw_value_t *v = cw_value_decode_stats(data, size, err, sizeof(err), &st);
    printf("# dedup_request of 1000 targets: %zu bytes, %zu counted (%s)\n", size, st.memory, err);
    assert_non_null(v);
    assert_int_equal(cw_value_size(cw_map_get(v, "targets")), 1000);
    cw_value_destroy(&v);
    cw_value_destroy(&req);
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_colliding_keys_stay_linear),
        cmocka_unit_test(test_tiny_maps_bounded_memory),
        cmocka_unit_test(test_legitimate_payload_fits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
