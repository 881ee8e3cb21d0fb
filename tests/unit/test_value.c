/*  test_value — cw_value tree, msgpack codec (round trips, hostile input, fuzz), JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cw_json.h"
#include "cw_value.h"

/* ------------------------------------------------------------------ helpers */

static bool s_equal(const cw_value_t *a, const cw_value_t *b)
{
    if (cw_value_kind(a) != cw_value_kind(b))
        return false;
    switch (cw_value_kind(a)) {
    case CW_VAL_NIL:
        return true;
    case CW_VAL_BOOL:
        return cw_value_bool(a) == cw_value_bool(b);
    case CW_VAL_INT:
        return cw_value_int(a) == cw_value_int(b);
    case CW_VAL_FLOAT: {
        double x = cw_value_float(a), y = cw_value_float(b);
        return (isnan(x) && isnan(y)) || memcmp(&x, &y, sizeof(x)) == 0;
    }
    case CW_VAL_STR:
        return cw_value_strlen(a) == cw_value_strlen(b) &&
               memcmp(cw_value_str(a), cw_value_str(b), cw_value_strlen(a)) == 0;
    case CW_VAL_ARRAY:
        if (cw_value_size(a) != cw_value_size(b))
            return false;
        for (size_t i = 0; i < cw_value_size(a); i++)
            if (!s_equal(cw_array_at(a, i), cw_array_at(b, i)))
                return false;
        return true;
    case CW_VAL_MAP:
        if (cw_value_size(a) != cw_value_size(b))
            return false;
        for (size_t i = 0; i < cw_value_size(a); i++)
            if (strcmp(cw_map_key_at(a, i), cw_map_key_at(b, i)) != 0 ||
                !s_equal(cw_map_value_at(a, i), cw_map_value_at(b, i)))
                return false;
        return true;
    }
    return false;
}

/* encode, decode, compare; returns the encoded size */
static size_t s_roundtrip(const cw_value_t *v)
{
    char *data = NULL;
    size_t size = 0;
    assert_int_equal(cw_value_encode(v, &data, &size), 0);
    assert_non_null(data);
    char err[256];
    cw_value_t *back = cw_value_decode(data, size, err, sizeof(err));
    if (!back)
        fail_msg("decode failed: %s", err);
    assert_true(s_equal(v, back));
    cw_value_t *copy = cw_value_clone(v);
    assert_true(s_equal(v, copy));
    cw_value_destroy(&copy);
    cw_value_destroy(&back);
    assert_null(back);
    free(data);
    return size;
}

static void s_roundtrip_owned(cw_value_t *v)
{
    assert_non_null(v);
    s_roundtrip(v);
    cw_value_destroy(&v);
}

/* decode must fail and the reason must contain `needle` */
static void s_reject(const void *data, size_t size, const char *needle)
{
    char err[256] = "";
    cw_value_t *v = cw_value_decode(data, size, err, sizeof(err));
    if (v) {
        cw_value_destroy(&v);
        fail_msg("decode accepted input that should fail with \"%s\"", needle);
    }
    if (needle && !strstr(err, needle))
        fail_msg("error \"%s\" does not contain \"%s\"", err, needle);
}

/* A representative message with every kind inside. */
static cw_value_t *s_sample(void)
{
    cw_value_t *m = cw_value_new_map();
    cw_map_set_int(m, "v", 1);
    cw_map_set_str(m, "type", "generate_request");
    cw_map_set_str(m, "job_id", "0123456789abcdef");
    cw_map_set_float(m, "score", 0.75);
    cw_map_set_bool(m, "ok", true);
    cw_map_set(m, "none", cw_value_new_nil());
    cw_map_set_int(m, "neg", -40000);
    cw_map_set_int(m, "big", INT64_MAX);
    cw_value_t *arr = cw_value_new_array();
    cw_array_push_str(arr, "héllo");
    cw_array_push(arr, cw_value_new_int(300));
    cw_value_t *inner = cw_value_new_map();
    cw_map_set_str(inner, "k", "v");
    cw_array_push(arr, inner);
    cw_map_set(m, "list", arr);
    return m;
}

/* ------------------------------------------------------------------ tree */

static void test_scalars_and_getters(void **state)
{
    (void)state;
    cw_value_t *v = cw_value_new_int(42);
    assert_int_equal(cw_value_kind(v), CW_VAL_INT);
    assert_int_equal(cw_value_int(v), 42);
    assert_true(cw_value_float(v) == 42.0);
    assert_null(cw_value_str(v));
    assert_false(cw_value_bool(v));
    cw_value_destroy(&v);
    cw_value_destroy(&v); /* idempotent */
    assert_null(v);

    v = cw_value_new_float(-3.9);
    assert_int_equal(cw_value_int(v), -3);
    cw_value_destroy(&v);
    v = cw_value_new_float(NAN);
    assert_int_equal(cw_value_int(v), 0);
    cw_value_destroy(&v);
    v = cw_value_new_float(1e300);
    assert_true(cw_value_int(v) == INT64_MAX);
    cw_value_destroy(&v);

    v = cw_value_new_str(NULL);
    assert_int_equal(cw_value_kind(v), CW_VAL_NIL);
    cw_value_destroy(&v);
    v = cw_value_new_strn("abcdef", 3);
    assert_string_equal(cw_value_str(v), "abc");
    assert_int_equal(cw_value_strlen(v), 3);
    assert_int_equal(cw_value_size(v), 0);
    cw_value_destroy(&v);

    assert_int_equal(cw_value_kind(NULL), CW_VAL_NIL);
    assert_null(cw_array_at(NULL, 0));
    assert_null(cw_map_get(NULL, "x"));
}

static void test_map_set_get_replace(void **state)
{
    (void)state;
    cw_value_t *m = cw_value_new_map();
    assert_int_equal(cw_map_set_str(m, "a", "1"), 0);
    assert_int_equal(cw_map_set_int(m, "b", 2), 0);
    assert_int_equal(cw_map_set_float(m, "c", 2.5), 0);
    assert_int_equal(cw_map_set_bool(m, "d", true), 0);
    assert_int_equal(cw_map_set_str(m, "e", NULL), 0);
    assert_int_equal(cw_value_size(m), 5);
    assert_string_equal(cw_map_str(m, "a", "x"), "1");
    assert_string_equal(cw_map_str(m, "b", "x"), "x"); /* wrong type -> default */
    assert_string_equal(cw_map_str(m, "zz", "x"), "x");
    assert_int_equal(cw_map_int(m, "b", -1), 2);
    assert_int_equal(cw_map_int(m, "c", -1), -1);
    assert_true(cw_map_float(m, "b", 0) == 2.0); /* int accepted as float */
    assert_true(cw_map_float(m, "c", 0) == 2.5);
    assert_true(cw_map_float(m, "a", 9.5) == 9.5);
    assert_true(cw_map_bool(m, "d", false));
    assert_true(cw_map_bool(m, "a", true));
    assert_int_equal(cw_value_kind(cw_map_get(m, "e")), CW_VAL_NIL);

    /* replacing keeps the position and the size */
    assert_int_equal(cw_map_set_int(m, "a", 7), 0);
    assert_int_equal(cw_value_size(m), 5);
    assert_string_equal(cw_map_key_at(m, 0), "a");
    assert_int_equal(cw_value_int(cw_map_value_at(m, 0)), 7);
    assert_null(cw_map_key_at(m, 5));
    assert_null(cw_map_value_at(m, 5));

    /* errors take ownership (no leak under ASan/valgrind) */
    assert_int_equal(cw_map_set(m, NULL, cw_value_new_int(1)), -1);
    assert_int_equal(cw_map_set(m, "x", NULL), -1);
    cw_value_t *arr = cw_value_new_array();
    assert_int_equal(cw_map_set_int(arr, "x", 1), -1);
    assert_int_equal(cw_array_push(m, cw_value_new_int(1)), -1);
    assert_int_equal(cw_array_push_str(arr, "s"), 0);
    assert_int_equal(cw_value_size(arr), 1);
    assert_null(cw_array_at(arr, 1));
    cw_value_destroy(&arr);
    cw_value_destroy(&m);
}

static void test_map_many_keys(void **state)
{
    (void)state;
    cw_value_t *m = cw_value_new_map();
    char key[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "key-%d", i);
        assert_int_equal(cw_map_set_int(m, key, i), 0);
    }
    /* replace every other key: size and order unchanged */
    for (int i = 0; i < 5000; i += 2) {
        snprintf(key, sizeof(key), "key-%d", i);
        assert_int_equal(cw_map_set_int(m, key, -i), 0);
    }
    assert_int_equal(cw_value_size(m), 5000);
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "key-%d", i);
        assert_string_equal(cw_map_key_at(m, (size_t)i), key);
        assert_int_equal(cw_map_int(m, key, 99999), i % 2 ? i : -i);
    }
    assert_null(cw_map_get(m, "key-5000"));
    s_roundtrip(m);
    cw_value_destroy(&m);
}

/* ------------------------------------------------------------------ round trips */

static void test_roundtrip_ints(void **state)
{
    (void)state;
    const int64_t ints[] = {0,
                            1,
                            127,
                            128,
                            255,
                            256,
                            65535,
                            65536,
                            4294967295LL,
                            4294967296LL,
                            INT64_MAX,
                            -1,
                            -31,
                            -32,
                            -33,
                            -128,
                            -129,
                            -32768,
                            -32769,
                            INT32_MIN,
                            (int64_t)INT32_MIN - 1,
                            INT64_MIN};
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
        s_roundtrip_owned(cw_value_new_int(ints[i]));
    /* compact encodings */
    cw_value_t *v = cw_value_new_int(5);
    assert_int_equal(s_roundtrip(v), 1);
    cw_value_destroy(&v);
    v = cw_value_new_int(-5);
    assert_int_equal(s_roundtrip(v), 1);
    cw_value_destroy(&v);
}

static void test_roundtrip_scalars(void **state)
{
    (void)state;
    s_roundtrip_owned(cw_value_new_nil());
    s_roundtrip_owned(cw_value_new_bool(true));
    s_roundtrip_owned(cw_value_new_bool(false));
    const double floats[] = {0.0, -0.0, 0.5, 7.0, -1e300, 1e-300, 3.141592653589793, NAN, INFINITY};
    for (size_t i = 0; i < sizeof(floats) / sizeof(floats[0]); i++)
        s_roundtrip_owned(cw_value_new_float(floats[i]));

    const size_t lens[] = {0, 1, 31, 32, 255, 256, 65535, 65536, 200000};
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        char *s = malloc(lens[i] + 1);
        for (size_t k = 0; k < lens[i]; k++)
            s[k] = (char)('a' + k % 26);
        s[lens[i]] = '\0';
        s_roundtrip_owned(cw_value_new_str(s));
        free(s);
    }
    s_roundtrip_owned(cw_value_new_str("UTF-8: h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x90\x9b"));
}

static void test_float32_decodes(void **state)
{
    (void)state;
    const unsigned char f32[] = {0xca, 0x3f, 0xc0, 0x00, 0x00}; /* 1.5f */
    cw_value_t *v = cw_value_decode(f32, sizeof(f32), NULL, 0);
    assert_non_null(v);
    assert_int_equal(cw_value_kind(v), CW_VAL_FLOAT);
    assert_true(cw_value_float(v) == 1.5);
    cw_value_destroy(&v);
    const unsigned char i16[] = {0xd1, 0xff, 0x00}; /* int16 -256 */
    v = cw_value_decode(i16, sizeof(i16), NULL, 0);
    assert_non_null(v);
    assert_int_equal(cw_value_int(v), -256);
    cw_value_destroy(&v);
    const unsigned char u64max[] = {0xcf, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    v = cw_value_decode(u64max, sizeof(u64max), NULL, 0);
    assert_non_null(v);
    assert_true(cw_value_int(v) == INT64_MAX);
    cw_value_destroy(&v);
}

static void test_roundtrip_containers(void **state)
{
    (void)state;
    s_roundtrip_owned(cw_value_new_array());
    s_roundtrip_owned(cw_value_new_map());
    const size_t sizes[] = {15, 16, 65535, 65536};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        cw_value_t *arr = cw_value_new_array();
        for (size_t k = 0; k < sizes[i]; k++)
            assert_int_equal(cw_array_push(arr, cw_value_new_int((int64_t)k)), 0);
        assert_int_equal(cw_value_size(arr), sizes[i]);
        s_roundtrip_owned(arr);
    }
    s_roundtrip_owned(s_sample());

    /* nesting exactly at the limit is accepted */
    cw_value_t *top = cw_value_new_array();
    cw_value_t *cur = top;
    for (int d = 1; d < CW_VALUE_MAX_DEPTH; d++) {
        cw_value_t *child = d % 2 ? cw_value_new_map() : cw_value_new_array();
        if (cw_value_kind(cur) == CW_VAL_MAP)
            cw_map_set(cur, "k", child);
        else
            cw_array_push(cur, child);
        cur = child;
    }
    s_roundtrip_owned(top);
}

/* ------------------------------------------------------------------ JSON */

static void test_to_json(void **state)
{
    (void)state;
    cw_value_t *m = cw_value_new_map();
    cw_map_set_int(m, "a", -12);
    cw_map_set_float(m, "f", 7.0);
    cw_map_set_float(m, "g", 0.1);
    cw_map_set_float(m, "h", NAN);
    cw_map_set_float(m, "i", -INFINITY);
    cw_map_set_float(m, "j", 1e300);
    cw_map_set_str(m, "s", "q\"b\\n\n\t\x01/\xc3\xa9");
    cw_value_t *arr = cw_value_new_array();
    cw_array_push(arr, cw_value_new_bool(true));
    cw_array_push(arr, cw_value_new_bool(false));
    cw_array_push(arr, cw_value_new_nil());
    cw_array_push(arr, cw_value_new_map());
    cw_array_push(arr, cw_value_new_array());
    cw_map_set(m, "arr", arr);
    cw_map_set_str(m, "quote\"key", "");
    char *json = cw_json_encode(m);
    assert_non_null(json);
    assert_string_equal(json, "{\"a\":-12,\"f\":7.0,\"g\":0.1,\"h\":null,\"i\":null,\"j\":1e+300,"
                              "\"s\":\"q\\\"b\\\\n\\n\\t\\u0001/\xc3\xa9\","
                              "\"arr\":[true,false,null,{},[]],\"quote\\\"key\":\"\"}");
    free(json);
    cw_value_destroy(&m);

    cw_value_t *f = cw_value_new_float(0.30000000000000004);
    json = cw_json_encode(f);
    assert_string_equal(json, "0.30000000000000004");
    free(json);
    cw_value_destroy(&f);
    json = cw_json_encode(NULL);
    assert_string_equal(json, "null");
    free(json);
}

/* ------------------------------------------------------------------ hostile input */

static void test_reject_truncated_prefixes(void **state)
{
    (void)state;
    cw_value_t *m = s_sample();
    char *data = NULL;
    size_t size = 0;
    assert_int_equal(cw_value_encode(m, &data, &size), 0);
    for (size_t n = 0; n < size; n++)
        s_reject(data, n, NULL);
    /* and every prefix decodes to an error text */
    char err[256];
    assert_null(cw_value_decode(data, size - 1, err, sizeof(err)));
    assert_true(strlen(err) > 0);
    free(data);
    cw_value_destroy(&m);
}

static void test_reject_huge_declared_sizes(void **state)
{
    (void)state;
    unsigned char arr32[] = {0xdd, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    s_reject(arr32, sizeof(arr32), "array declares 4294967295 elements but only 12 bytes remain");
    unsigned char arr16[] = {0xdc, 0x00, 0x05, 1, 2, 3};
    s_reject(arr16, sizeof(arr16), "array declares 5 elements but only 3 bytes remain");
    unsigned char map32[] = {0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, 'a', 1};
    s_reject(map32, sizeof(map32), "map declares 4294967295 entries but only 3 bytes remain");
    unsigned char map16[] = {0xde, 0x01, 0x00, 0xa1, 'a', 1};
    s_reject(map16, sizeof(map16), "map declares 256 entries");
    unsigned char fixmap[] = {0x82, 0xa1, 'a', 1};
    s_reject(fixmap, sizeof(fixmap), "map declares 2 entries but only 3 bytes remain");
    unsigned char str32[] = {0xdb, 0xff, 0xff, 0xff, 0xf0, 'a', 'b'};
    s_reject(str32, sizeof(str32), "string declares 4294967280 bytes but only 2 bytes remain");
    unsigned char str8[] = {0xd9, 10, 'a'};
    s_reject(str8, sizeof(str8), "string declares 10 bytes");
    unsigned char key32[] = {0x81, 0xdb, 0x7f, 0xff, 0xff, 0xff, 'k', 1};
    s_reject(key32, sizeof(key32), "map key declares 2147483647 bytes");
    /* nested: an inner huge array inside a valid outer array */
    unsigned char nested[] = {0x91, 0xdd, 0x10, 0x00, 0x00, 0x00, 0xc0};
    s_reject(nested, sizeof(nested), "array declares 268435456 elements but only 1 bytes remain");
}

static void test_reject_depth(void **state)
{
    (void)state;
    unsigned char buf[64];
    /* CW_VALUE_MAX_DEPTH nested arrays around a nil: accepted */
    memset(buf, 0x91, CW_VALUE_MAX_DEPTH);
    buf[CW_VALUE_MAX_DEPTH] = 0xc0;
    cw_value_t *v = cw_value_decode(buf, CW_VALUE_MAX_DEPTH + 1, NULL, 0);
    assert_non_null(v);
    cw_value_destroy(&v);
    /* one more level: rejected */
    memset(buf, 0x91, CW_VALUE_MAX_DEPTH + 1);
    buf[CW_VALUE_MAX_DEPTH + 1] = 0xc0;
    s_reject(buf, CW_VALUE_MAX_DEPTH + 2, "nesting deeper than 16 levels");
    /* maps count too */
    size_t n = 0;
    for (int d = 0; d <= CW_VALUE_MAX_DEPTH; d++) {
        buf[n++] = 0x81;
        buf[n++] = 0xa1;
        buf[n++] = 'k';
    }
    buf[n++] = 0xc0;
    s_reject(buf, n, "nesting deeper");
    /* an empty container at the limit + 1 is still too deep */
    memset(buf, 0x91, CW_VALUE_MAX_DEPTH);
    buf[CW_VALUE_MAX_DEPTH] = 0x90;
    s_reject(buf, CW_VALUE_MAX_DEPTH + 1, "nesting deeper");
    /* deeply nested garbage does not overflow the stack */
    unsigned char deep[100000];
    memset(deep, 0x91, sizeof(deep));
    s_reject(deep, sizeof(deep), "nesting deeper");
}

static void test_reject_bad_keys(void **state)
{
    (void)state;
    unsigned char intkey[] = {0x81, 0x01, 0x02};
    s_reject(intkey, sizeof(intkey), "map key is not a string (type byte 0x01)");
    unsigned char nilkey[] = {0x81, 0xc0, 0x02};
    s_reject(nilkey, sizeof(nilkey), "map key is not a string");
    unsigned char arrkey[] = {0x81, 0x90, 0x02};
    s_reject(arrkey, sizeof(arrkey), "map key is not a string");
    unsigned char dup[] = {0x83, 0xa1, 'a', 1, 0xa1, 'b', 2, 0xa1, 'a', 3};
    s_reject(dup, sizeof(dup), "duplicate map key \"a\"");
    unsigned char nulkey[] = {0x81, 0xa2, 'a', 0, 1};
    s_reject(nulkey, sizeof(nulkey), "map key contains NUL byte");

    /* a large map (hash index path) with a duplicate at the end */
    cw_value_t *m = cw_value_new_map();
    char key[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        cw_map_set_int(m, key, i);
    }
    char *data = NULL;
    size_t size = 0;
    assert_int_equal(cw_value_encode(m, &data, &size), 0);
    /* map16 header 0xde 0x03 0xe8 -> declare 1001 entries, append "k500": 1 */
    unsigned char *bad = malloc(size + 6);
    memcpy(bad, data, size);
    assert_int_equal((unsigned char)bad[0], 0xde);
    bad[1] = 0x03;
    bad[2] = 0xe9;
    memcpy(bad + size, "\xa4k500\x01", 6);
    s_reject(bad, size + 6, "duplicate map key \"k500\"");
    /* the same with a fresh key is accepted */
    memcpy(bad + size, "\xa4zzzz\x01", 6);
    cw_value_t *ok = cw_value_decode(bad, size + 6, NULL, 0);
    assert_non_null(ok);
    assert_int_equal(cw_value_size(ok), 1001);
    assert_int_equal(cw_map_int(ok, "k999", -1), 999);
    assert_int_equal(cw_map_int(ok, "zzzz", -1), 1);
    cw_value_destroy(&ok);
    free(bad);
    free(data);
    cw_value_destroy(&m);
}

static void test_reject_trailing_and_empty(void **state)
{
    (void)state;
    unsigned char two[] = {0x01, 0x02};
    s_reject(two, sizeof(two), "1 trailing bytes after the value");
    unsigned char map_then_junk[] = {0x80, 0xc0, 0xc0, 0xc0};
    s_reject(map_then_junk, sizeof(map_then_junk), "3 trailing bytes");
    s_reject("", 0, "empty payload");
    s_reject(NULL, 0, "empty payload");
}

static void test_reject_strings(void **state)
{
    (void)state;
    unsigned char nul[] = {0xa3, 'a', 0, 'b'};
    s_reject(nul, sizeof(nul), "string contains NUL byte at byte 1");
    const char *bad_utf8[] = {
        "\x80",             /* lone continuation */
        "\xc0\x80",         /* overlong NUL */
        "\xc1\xbf",         /* overlong */
        "\xe0\x80\xaf",     /* overlong 3-byte */
        "\xed\xa0\x80",     /* surrogate */
        "\xf4\x90\x80\x80", /* > U+10FFFF */
        "\xf5\x80\x80\x80", /* invalid lead */
        "\xe2\x82",         /* truncated sequence */
        "a\xff",            /* invalid byte */
        "\xf0\x9f\x90",     /* truncated 4-byte */
    };
    for (size_t i = 0; i < sizeof(bad_utf8) / sizeof(bad_utf8[0]); i++) {
        unsigned char buf[16];
        size_t n = strlen(bad_utf8[i]);
        buf[0] = (unsigned char)(0xa0 | n);
        memcpy(buf + 1, bad_utf8[i], n);
        s_reject(buf, n + 1, "string contains invalid UTF-8");
    }
    /* in keys too */
    unsigned char badkey[] = {0x81, 0xa1, 0xff, 0x01};
    s_reject(badkey, sizeof(badkey), "map key contains invalid UTF-8");
}

static void test_reject_types(void **state)
{
    (void)state;
    unsigned char u64[] = {0xcf, 0x80, 0, 0, 0, 0, 0, 0, 0};
    s_reject(u64, sizeof(u64), "unsigned integer 9223372036854775808 exceeds the int64 range");
    unsigned char u64max[] = {0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    s_reject(u64max, sizeof(u64max), "exceeds the int64 range");
    unsigned char bin8[] = {0xc4, 0x01, 0x00};
    s_reject(bin8, sizeof(bin8), "binary values are not accepted");
    unsigned char bin32[] = {0xc6, 0xff, 0xff, 0xff, 0xff};
    s_reject(bin32, sizeof(bin32), "binary values are not accepted");
    unsigned char fixext1[] = {0xd4, 0x01, 0x00};
    s_reject(fixext1, sizeof(fixext1), "extension values are not accepted");
    unsigned char ext8[] = {0xc7, 0x01, 0x05, 0x00};
    s_reject(ext8, sizeof(ext8), "extension values are not accepted");
    unsigned char ext32[] = {0xc9, 0xff, 0xff, 0xff, 0xff, 0x05};
    s_reject(ext32, sizeof(ext32), "extension values are not accepted");
    unsigned char never[] = {0xc1};
    s_reject(never, sizeof(never), "invalid msgpack type byte 0xc1");
    unsigned char in_arr[] = {0x92, 0x01, 0xd4, 0x01, 0x00};
    s_reject(in_arr, sizeof(in_arr), "extension values are not accepted");
    unsigned char trunc_f64[] = {0xcb, 0x00, 0x00};
    s_reject(trunc_f64, sizeof(trunc_f64), "truncated float64");
}

static void test_reject_too_many_values(void **state)
{
    (void)state;
    /* 2M nils in one array: within the byte bound, beyond the value budget */
    size_t count = 2u << 20;
    size_t size = 5 + count;
    unsigned char *buf = malloc(size);
    buf[0] = 0xdd;
    buf[1] = (unsigned char)(count >> 24);
    buf[2] = (unsigned char)(count >> 16);
    buf[3] = (unsigned char)(count >> 8);
    buf[4] = (unsigned char)count;
    memset(buf + 5, 0xc0, count);
    s_reject(buf, size, "payload holds more than");
    free(buf);
}

/* ------------------------------------------------------------------ fuzz */

static uint64_t s_rng = 0x9E3779B97F4A7C15ULL;
static uint32_t s_rand(void)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return (uint32_t)(s_rng >> 16);
}

/* Decodes one buffer; if accepted, re-encoding and decoding must give the same tree. */
static int s_fuzz_one(const unsigned char *buf, size_t n)
{
    char err[256];
    cw_value_t *v = cw_value_decode(buf, n, err, sizeof(err));
    if (!v) {
        assert_true(strlen(err) > 0);
        return 0;
    }
    char *data = NULL;
    size_t size = 0;
    assert_int_equal(cw_value_encode(v, &data, &size), 0);
    cw_value_t *again = cw_value_decode(data, size, err, sizeof(err));
    assert_non_null(again);
    assert_true(s_equal(v, again));
    char *json = cw_json_encode(v);
    assert_non_null(json);
    free(json);
    free(data);
    cw_value_destroy(&again);
    cw_value_destroy(&v);
    return 1;
}

static void test_fuzz(void **state)
{
    (void)state;
    cw_value_t *m = s_sample();
    char *seed = NULL;
    size_t seed_size = 0;
    assert_int_equal(cw_value_encode(m, &seed, &seed_size), 0);
    cw_value_destroy(&m);

    unsigned char buf[512];
    int accepted = 0;
    for (int iter = 0; iter < 20000; iter++) {
        size_t n;
        uint32_t mode = s_rand() % 4;
        if (mode == 0) {
            /* random bytes */
            n = s_rand() % 64;
            for (size_t i = 0; i < n; i++)
                buf[i] = (unsigned char)s_rand();
        } else {
            /* mutate the sample: flip / overwrite / truncate / insert */
            memcpy(buf, seed, seed_size);
            n = seed_size;
            int edits = 1 + (int)(s_rand() % 4);
            for (int e = 0; e < edits; e++) {
                size_t at = s_rand() % n;
                switch (s_rand() % 4) {
                case 0:
                    buf[at] ^= (unsigned char)(1u << (s_rand() % 8));
                    break;
                case 1:
                    buf[at] = (unsigned char)s_rand();
                    break;
                case 2:
                    n = at + 1;
                    break;
                default:
                    if (n < sizeof(buf)) {
                        memmove(buf + at + 1, buf + at, n - at);
                        buf[at] = (unsigned char)s_rand();
                        n++;
                    }
                }
            }
        }
        accepted += s_fuzz_one(buf, n);
    }
    /* the mutator must exercise both outcomes */
    assert_true(accepted > 100);
    assert_true(accepted < 19000);
    free(seed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars_and_getters),
        cmocka_unit_test(test_map_set_get_replace),
        cmocka_unit_test(test_map_many_keys),
        cmocka_unit_test(test_roundtrip_ints),
        cmocka_unit_test(test_roundtrip_scalars),
        cmocka_unit_test(test_float32_decodes),
        cmocka_unit_test(test_roundtrip_containers),
        cmocka_unit_test(test_to_json),
        cmocka_unit_test(test_reject_truncated_prefixes),
        cmocka_unit_test(test_reject_huge_declared_sizes),
        cmocka_unit_test(test_reject_depth),
        cmocka_unit_test(test_reject_bad_keys),
        cmocka_unit_test(test_reject_trailing_and_empty),
        cmocka_unit_test(test_reject_strings),
        cmocka_unit_test(test_reject_types),
        cmocka_unit_test(test_reject_too_many_values),
        cmocka_unit_test(test_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
