/*  test_json — common/cw_json, the one JSON reader and writer (into and out of
    cw_value_t): parsing, rejects, the writer, round trips, NaN and infinities, invalid
    UTF-8, cuts, and the bounds on depth, input size and value count. */
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

/* ---------------------------------------------------------------- JSON */
static void test_json_parse(void **state)
{
    const char *text = "{\"a\": [1, -2.5e2, true, false, null], \"s\": \"x\\n\\\"y\\u00e9"
                       "\\ud83d\\ude00\\u0000\\ud800\", \"o\": {\"k\": {}}, \"e\": []}";
    char err[128];
    cw_value_t *j = cw_json_parse(text, strlen(text), err, sizeof(err));
    assert_non_null(j);
    assert_int_equal(cw_value_kind(j), CW_VAL_MAP);
    const cw_value_t *a = cw_map_get(j, "a");
    assert_int_equal(cw_value_size(a), 5);
    assert_true(cw_value_float(cw_array_at(a, 0)) == 1);
    assert_true(cw_value_float(cw_array_at(a, 1)) == -250);
    assert_true(cw_value_bool(cw_array_at(a, 2)));
    assert_int_equal(cw_value_kind(cw_array_at(a, 4)), CW_VAL_NIL);
    assert_null(cw_array_at(a, 5));
    /* \u escapes to UTF-8, surrogate pair to one 4-byte character, NUL and a lone
       surrogate to U+FFFD */
    assert_string_equal(cw_map_str(j, "s", ""),
                        "x\n\"y\xC3\xA9\xF0\x9F\x98\x80\xEF\xBF\xBD\xEF\xBF\xBD");
    assert_int_equal(cw_value_size(cw_map_get(cw_map_get(j, "o"), "k")), 0);
    assert_string_equal(cw_map_str(j, "missing", "dflt"), "dflt");
    assert_true(cw_map_float(j, "s", 42) == 42);
    cw_value_destroy(&j);
    assert_null(j);
}

static void test_json_rejects(void **state)
{
    const char *bad[] = {"",         "{",           "[1,]",    "{\"a\" 1}", "\"abc", "tru",
                         "01x",      "{\"a\":1} x", "\"\\q\"", "\"\\u12\"", "[1 2]", "{1:2}",
                         "\"a\nb\"", "-",           "1.",      "1e"};
    char err[128];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cw_value_t *j = cw_json_parse(bad[i], strlen(bad[i]), err, sizeof(err));
        if (j)
            fail_msg("accepted: %s", bad[i]);
        assert_true(strlen(err) > 0);
    }
    /* depth limit */
    char deep[200];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    assert_null(cw_json_parse(deep, 200, err, sizeof(err)));
    assert_non_null(strstr(err, "deep"));
}

static void test_json_leak_free_depth_ok(void **state)
{
    char err[64];
    char ok[120];
    memset(ok, '[', 60);
    memset(ok + 60, ']', 60);
    cw_value_t *j = cw_json_parse(ok, 120, err, sizeof(err));
    assert_non_null(j);
    cw_value_destroy(&j);
}

static void test_json_writer(void **state)
{
    cw_buf_t b;
    cw_buf_init(&b, 0);
    cw_buf_puts(&b, "{");
    cw_json_put_key(&b, "s");
    cw_json_put_str(&b, "a\"b\\c\n\x01{}");
    cw_json_put_key(&b, "t");
    cw_json_put_num(&b, 0.3);
    cw_json_put_key(&b, "n");
    cw_json_put_int(&b, -1);
    cw_json_put_key(&b, "z");
    cw_json_put_str(&b, NULL);
    cw_buf_puts(&b, "}");
    char *s = cw_buf_take(&b, NULL);
    assert_string_equal(s, "{\"s\":\"a\\\"b\\\\c\\n\\u0001{}\",\"t\":0.3,\"n\":-1,\"z\":null}");
    /* round trip, also for a string longer than the escaper's chunk */
    char err[64];
    cw_value_t *j = cw_json_parse(s, strlen(s), err, sizeof(err));
    assert_string_equal(cw_map_str(j, "s", ""), "a\"b\\c\n\x01{}");
    cw_value_destroy(&j);
    free(s);
    size_t n = 10000;
    char *big = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        big[i] = "ab\"\n\xC3\xA9"[i % 6];
    big[n] = '\0';
    cw_buf_init(&b, 0);
    cw_json_put_str(&b, big);
    s = cw_buf_take(&b, NULL);
    j = cw_json_parse(s, strlen(s), err, sizeof(err));
    assert_non_null(j);
    assert_string_equal(cw_value_str(j), big);
    cw_value_destroy(&j);
    free(s);
    free(big);
}

/* A Telegram Bot API error answer, read the way cw_telegram does. */
static void test_json_telegram_answer(void **state)
{
    const char *text = "{\"ok\":false,\"error_code\":429,\"description\":\"Too Many Requests: "
                       "retry after 7\",\"parameters\":{\"retry_after\":7}}";
    char err[128];
    cw_value_t *j = cw_json_parse(text, strlen(text), err, sizeof(err));
    assert_non_null(j);
    assert_false(cw_map_bool(j, "ok", true));
    assert_true(cw_map_float(j, "error_code", 0) == 429);
    assert_string_equal(cw_map_str(j, "description", ""), "Too Many Requests: retry after 7");
    assert_true(cw_map_float(cw_map_get(j, "parameters"), "retry_after", -1) == 7);
    /* lookups through missing members and NULL nodes fall back to the default */
    assert_null(cw_map_get(cw_map_get(j, "result"), "message_id"));
    assert_true(cw_map_float(cw_map_get(j, "result"), "message_id", -1) == -1);
    assert_false(cw_map_bool(NULL, "ok", false));
    assert_null(cw_value_str(cw_map_get(j, "ok")));
    assert_int_equal(cw_value_size(j), 4);
    assert_string_equal(cw_map_key_at(j, 0), "ok");
    cw_value_destroy(&j);
    /* a truncated answer is rejected, not half-read */
    assert_null(cw_json_parse(text, strlen(text) - 3, err, sizeof(err)));
    assert_true(strlen(err) > 0);
}

/* cw_value -> JSON -> cw_value -> JSON gives the same text and the same kinds. */
static void test_json_round_trip(void **state)
{
    cw_value_t *v = cw_value_new_map();
    cw_map_set_int(v, "int", -42);
    cw_map_set_int(v, "big", INT64_MAX);
    cw_map_set_float(v, "float", 0.1);
    cw_map_set_float(v, "whole", 3.0);
    cw_map_set_float(v, "tiny", 1e-300);
    cw_map_set_float(v, "huge", 1.5e300);
    cw_map_set_bool(v, "yes", true);
    cw_map_set(v, "nil", cw_value_new_nil());
    cw_map_set_str(v, "text", "tab\t nl\n quote\" back\\ ctl\x01 del\x7f \xc3\xa9\xf0\x9f\x90\x9b");
    cw_value_t *arr = cw_value_new_array();
    cw_array_push(arr, cw_value_new_map());
    cw_array_push(arr, cw_value_new_array());
    cw_array_push_str(arr, "");
    cw_map_set(v, "list", arr);
    char *a = cw_json_encode(v);
    assert_non_null(a);
    assert_non_null(strstr(a, "\"whole\":3.0,"));
    assert_non_null(strstr(a, "\"float\":0.1,"));
    assert_non_null(strstr(a, "\"big\":9223372036854775807,"));
    assert_non_null(strstr(a, "ctl\\u0001 del\\u007f \xc3\xa9\xf0\x9f\x90\x9b\""));
    char err[128];
    cw_value_t *w = cw_json_parse(a, strlen(a), err, sizeof err);
    assert_non_null(w);
    assert_int_equal(cw_value_kind(cw_map_get(w, "int")), CW_VAL_INT);
    assert_int_equal(cw_map_int(w, "big", 0), INT64_MAX);
    assert_int_equal(cw_value_kind(cw_map_get(w, "whole")), CW_VAL_FLOAT);
    assert_true(cw_map_float(w, "float", 0) == 0.1);
    assert_true(cw_map_float(w, "tiny", 0) == 1e-300);
    assert_true(cw_map_float(w, "huge", 0) == 1.5e300);
    assert_string_equal(cw_map_str(w, "text", ""), cw_map_str(v, "text", "?"));
    char *b = cw_json_encode(w);
    assert_string_equal(a, b);
    free(a);
    free(b);
    cw_value_destroy(&v);
    cw_value_destroy(&w);
    /* numbers as written: integers are INT, the rest FLOAT, beyond 64 bits a FLOAT */
    const char *text = "[0, -7, 2.0, 1e2, 12345678901234567890, -0.5E-1]";
    v = cw_json_parse(text, strlen(text), err, sizeof err);
    assert_int_equal(cw_value_kind(cw_array_at(v, 0)), CW_VAL_INT);
    assert_int_equal(cw_value_int(cw_array_at(v, 1)), -7);
    assert_int_equal(cw_value_kind(cw_array_at(v, 2)), CW_VAL_FLOAT);
    assert_int_equal(cw_value_kind(cw_array_at(v, 3)), CW_VAL_FLOAT);
    assert_int_equal(cw_value_kind(cw_array_at(v, 4)), CW_VAL_FLOAT);
    assert_true(cw_value_float(cw_array_at(v, 4)) == 12345678901234567890.0);
    assert_true(cw_value_float(cw_array_at(v, 5)) == -0.05);
    a = cw_json_encode(v);
    assert_string_equal(a, "[0,-7,2.0,100.0,1.2345678901234567e+19,-0.05]");
    free(a);
    cw_value_destroy(&v);
    assert_string_equal(b = cw_json_encode(NULL), "null");
    free(b);
}

/* NaN and infinities are null, wherever they are written; a number too large for a double
   reads back as null too. */
static void test_json_nonfinite(void **state)
{
    cw_value_t *v = cw_value_new_array();
    cw_array_push(v, cw_value_new_float(NAN));
    cw_array_push(v, cw_value_new_float(INFINITY));
    cw_array_push(v, cw_value_new_float(-INFINITY));
    char *s = cw_json_encode(v);
    assert_string_equal(s, "[null,null,null]");
    free(s);
    cw_value_destroy(&v);
    cw_buf_t b;
    cw_buf_init(&b, 0);
    cw_json_put_num(&b, NAN);
    cw_buf_putc(&b, ',');
    cw_json_put_num_digits(&b, -INFINITY, 6);
    cw_buf_putc(&b, ',');
    cw_json_put_num_digits(&b, 2.0 / 3, 6);
    cw_buf_putc(&b, ',');
    cw_json_put_num(&b, 100000);
    s = cw_buf_take(&b, NULL);
    assert_string_equal(s, "null,null,0.666667,100000");
    free(s);
    char err[128];
    v = cw_json_parse("[1e999, -1e999]", 15, err, sizeof err);
    assert_non_null(v);
    assert_int_equal(cw_value_kind(cw_array_at(v, 0)), CW_VAL_NIL);
    assert_int_equal(cw_value_kind(cw_array_at(v, 1)), CW_VAL_NIL);
    cw_value_destroy(&v);
}

/* Bytes that are not UTF-8 never leave the writer raw and never come out of the reader:
   each is U+FFFD. Valid sequences pass unchanged. */
static void test_json_invalid_utf8(void **state)
{
    /* what each writes: one U+FFFD (R) for each byte that starts no valid sequence */
#define R "\xef\xbf\xbd"
    static const char *const cases[][2] = {
        {"\xff", R},                        /* never UTF-8 */
        {"\xc3", R},                        /* truncated */
        {"\xc3(", R "("},                   /* bad continuation: the next byte stays */
        {"\xc0\xaf", R R},                  /* overlong '/' */
        {"\xe0\x80\xaf", R R R},            /* overlong */
        {"\xed\xa0\x80", R R R},            /* a surrogate */
        {"\xf4\x90\x80\x80", R R R R},      /* above U+10FFFF */
        {"\xf0\x9f\x90", R R R},            /* truncated 4-byte */
        {"\x80\x80", R R},                  /* lone continuations */
        {"ok\xc3\xa9\xff", "ok\xc3\xa9" R}, /* valid before, kept */
    };
#undef R
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cw_buf_t b;
        cw_buf_init(&b, 0);
        cw_json_put_str(&b, cases[i][0]);
        char *s = cw_buf_take(&b, NULL);
        char want[64];
        snprintf(want, sizeof want, "\"%s\"", cases[i][1]);
        assert_string_equal(s, want);
        free(s);
        /* the reader: the same bytes raw inside a JSON string */
        char text[32];
        snprintf(text, sizeof text, "\"%s\"", cases[i][0]);
        cw_value_t *v = cw_json_parse(text, strlen(text), NULL, 0);
        assert_non_null(v);
        assert_string_equal(cw_value_str(v), cases[i][1]);
        cw_value_destroy(&v);
    }
    /* valid text is kept as it is, whatever the script */
    const char *ok = "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x90\x9b\xe4\xb8\xad\"";
    cw_value_t *v = cw_json_parse(ok, strlen(ok), NULL, 0);
    char *s = cw_json_encode(v);
    assert_string_equal(s, ok);
    free(s);
    cw_value_destroy(&v);
}

/* A cut string keeps whole characters and whole escapes. */
static void test_json_cut(void **state)
{
    cw_buf_t b;
    cw_buf_init(&b, 0);
    cw_json_put_str_cut(&b, "ab\xc3\xa9\n", 3);
    cw_buf_putc(&b, ' ');
    cw_json_put_str_cut(&b, "ab\xc3\xa9\n", 4);
    cw_buf_putc(&b, ' ');
    cw_json_put_str_cut(&b, "ab\xc3\xa9\n", 5);
    cw_buf_putc(&b, ' ');
    cw_json_put_str_cut(&b, "ab\xc3\xa9\n", 6);
    cw_buf_putc(&b, ' ');
    cw_json_put_str_cut(&b, NULL, 6);
    char *s = cw_buf_take(&b, NULL);
    assert_string_equal(s, "\"ab\" \"ab\xc3\xa9\" \"ab\xc3\xa9\" \"ab\xc3\xa9\\n\" null");
    free(s);
}

/* Nesting is bounded both ways; input size and value count are bounded before memory is
   spent on them. */
static void test_json_bounds(void **state)
{
    char err[128];
    /* reading: CW_JSON_MAX_DEPTH levels, no more, for arrays and objects alike */
    size_t d = CW_JSON_MAX_DEPTH;
    char *text = malloc(8 * (d + 2));
    for (size_t depth = d; depth <= d + 1; depth++) {
        size_t o = 0;
        for (size_t i = 0; i < depth; i++)
            o += (size_t)sprintf(text + o, i % 2 ? "[" : "{\"k\":");
        o += (size_t)sprintf(text + o, "1");
        for (size_t i = depth; i-- > 0;)
            text[o++] = i % 2 ? ']' : '}';
        cw_value_t *v = cw_json_parse(text, o, err, sizeof err);
        if (depth == d) {
            assert_non_null(v);
            char *back = cw_json_encode(v); /* and written back */
            assert_non_null(back);
            assert_memory_equal(back, text, o);
            free(back);
        } else {
            assert_null(v);
            assert_non_null(strstr(err, "nesting too deep"));
        }
        cw_value_destroy(&v);
    }
    free(text);
    /* writing: a tree built deeper than any JSON read back is refused, not recursed into */
    cw_value_t *root = cw_value_new_array(), *at = root;
    for (size_t i = 0; i < 10 * d; i++) {
        cw_value_t *child = cw_value_new_array();
        cw_array_push(at, child);
        at = child;
    }
    assert_null(cw_json_encode(root));
    cw_value_destroy(&root);
    /* input larger than CW_JSON_MAX_INPUT: refused before a byte is read (the length is
       all that is looked at, so a short buffer stands for it) */
    assert_null(cw_json_parse("[]", CW_JSON_MAX_INPUT + 1, err, sizeof err));
    assert_non_null(strstr(err, "larger than"));
    /* more than CW_JSON_MAX_NODES values */
    size_t n = CW_JSON_MAX_NODES + 1;
    char *many = malloc(2 * n + 2);
    many[0] = '[';
    for (size_t i = 0; i < n; i++) {
        many[1 + 2 * i] = '0';
        many[2 + 2 * i] = ',';
    }
    many[2 * n] = ']';
    cw_value_t *v = cw_json_parse(many, 2 * n + 1, err, sizeof err);
    assert_null(v);
    assert_non_null(strstr(err, "too many values"));
    many[2 * n - 4] = ']'; /* the array and MAX - 1 elements: exactly the limit */
    v = cw_json_parse(many, 2 * n - 3, err, sizeof err);
    assert_non_null(v);
    assert_int_equal(cw_value_size(v), CW_JSON_MAX_NODES - 1);
    cw_value_destroy(&v);
    free(many);
    /* a long string costs its own length, once */
    size_t len = 4 * 1024 * 1024;
    char *big = malloc(len + 2);
    big[0] = '"';
    memset(big + 1, 'x', len);
    big[len + 1] = '"';
    v = cw_json_parse(big, len + 2, err, sizeof err);
    assert_int_equal(cw_value_strlen(v), len);
    cw_value_destroy(&v);
    free(big);
}

/* Whatever the reader accepts, the writer writes so that it reads back the same: parse ->
   encode -> parse -> encode gives the same text, on many generated texts (a fixed seed:
   the same texts every run). */
static uint32_t s_rng = 12345;
static uint32_t s_rand(void)
{
    s_rng = s_rng * 1103515245u + 12345u;
    return s_rng >> 8;
}

static void test_json_writer_reads_back(void **state)
{
    static const char *const pieces[] = {"{",
                                         "}",
                                         "[",
                                         "]",
                                         ",",
                                         ":",
                                         "\"k\"",
                                         "\"a\\u00e9\"",
                                         "0",
                                         "-1",
                                         "1.5",
                                         "1e308",
                                         "1e999",
                                         "-0.0",
                                         "true",
                                         "null",
                                         "\"\"",
                                         "\"\\ud83d\\ude00\"",
                                         "\"\\ud800\"",
                                         "\"\\u0000\"",
                                         "\"\xff\xfe\"",
                                         "\"\xc3\xa9\"",
                                         "12345678901234567890",
                                         "0.1",
                                         "\"\\n\\t\\\"\"",
                                         " "};
    size_t npieces = sizeof pieces / sizeof pieces[0];
    int parsed = 0;
    for (int round = 0; round < 20000; round++) {
        char text[512];
        size_t o = 0;
        int n = 1 + (int)(s_rand() % 12);
        for (int i = 0; i < n; i++) {
            const char *p = pieces[s_rand() % npieces];
            size_t k = strlen(p);
            if (o + k >= sizeof text)
                break;
            memcpy(text + o, p, k);
            o += k;
        }
        cw_value_t *v = cw_json_parse(text, o, NULL, 0);
        if (!v)
            continue;
        parsed++;
        char *a = cw_json_encode(v);
        assert_non_null(a);
        char err[128];
        cw_value_t *w = cw_json_parse(a, strlen(a), err, sizeof err);
        if (!w)
            fail_msg("written %s does not read back: %s", a, err);
        char *b = cw_json_encode(w);
        assert_string_equal(a, b);
        free(a);
        free(b);
        cw_value_destroy(&v);
        cw_value_destroy(&w);
    }
    assert_true(parsed > 1000); /* the generator does produce valid texts */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_parse),
        cmocka_unit_test(test_json_rejects),
        cmocka_unit_test(test_json_leak_free_depth_ok),
        cmocka_unit_test(test_json_writer),
        cmocka_unit_test(test_json_telegram_answer),
        cmocka_unit_test(test_json_round_trip),
        cmocka_unit_test(test_json_nonfinite),
        cmocka_unit_test(test_json_invalid_utf8),
        cmocka_unit_test(test_json_cut),
        cmocka_unit_test(test_json_bounds),
        cmocka_unit_test(test_json_writer_reads_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
