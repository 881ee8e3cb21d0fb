/*  cw_text: strict UTF-8 sequences, cuts that never split a character, search. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "cw_text.h"

#define U(s) ((const unsigned char *)(s))

static void test_seq_len(void **state)
{
    assert_int_equal(cw_utf8_seq_len(U("a"), 1), 1);
    assert_int_equal(cw_utf8_seq_len(U("\xc3\xa9"), 2), 2);         /* é */
    assert_int_equal(cw_utf8_seq_len(U("\xe2\x82\xac"), 3), 3);     /* € */
    assert_int_equal(cw_utf8_seq_len(U("\xf0\x9f\x90\x9b"), 4), 4); /* 🐛 */
    assert_int_equal(cw_utf8_seq_len(U("\xe2\x82\xac"), 2), 0);     /* truncated */
    assert_int_equal(cw_utf8_seq_len(U("\xc0\xaf"), 2), 0);         /* overlong '/' */
    assert_int_equal(cw_utf8_seq_len(U("\xe0\x80\xaf"), 3), 0);     /* overlong */
    assert_int_equal(cw_utf8_seq_len(U("\xed\xa0\x80"), 3), 0);     /* surrogate */
    assert_int_equal(cw_utf8_seq_len(U("\xf4\x90\x80\x80"), 4), 0); /* > U+10FFFF */
    assert_int_equal(cw_utf8_seq_len(U("\x80"), 1), 0);             /* lone continuation */
    assert_int_equal(cw_utf8_seq_len(U("\xc3("), 2), 0);            /* bad continuation */
    assert_int_equal(cw_utf8_seq_len(U(""), 1), 0);                 /* NUL */
    assert_int_equal(cw_utf8_seq_len(NULL, 3), 0);
}

static void test_prefix_never_splits(void **state)
{
    const char *s = "ab\xe2\x82\xac"
                    "cd"; /* a b € c d : 7 bytes */
    size_t len = strlen(s);
    assert_int_equal(cw_utf8_prefix(s, len, 0), 0);
    assert_int_equal(cw_utf8_prefix(s, len, 2), 2);
    assert_int_equal(cw_utf8_prefix(s, len, 3), 2); /* inside € */
    assert_int_equal(cw_utf8_prefix(s, len, 4), 2); /* inside € */
    assert_int_equal(cw_utf8_prefix(s, len, 5), 5); /* right after € */
    assert_int_equal(cw_utf8_prefix(s, len, 99), len);
    assert_int_equal(cw_utf8_prefix(NULL, 0, 5), 0);
}

static void test_complete_drops_partial_tail(void **state)
{
    const char *s = "x\xe2\x82\xac";
    assert_int_equal(cw_utf8_complete(s, 4), 4);
    assert_int_equal(cw_utf8_complete(s, 3), 1);
    assert_int_equal(cw_utf8_complete(s, 2), 1);
    assert_int_equal(cw_utf8_complete(s, 1), 1);
    assert_int_equal(cw_utf8_complete("\xe2\x82", 2), 0);
    assert_int_equal(cw_utf8_complete("plain", 5), 5);
    assert_int_equal(cw_utf8_complete(NULL, 5), 0);
}

static void test_contains_ci(void **state)
{
    assert_true(cw_text_contains_ci("remote: error: GH013: Repository rule", "gh013"));
    assert_true(cw_text_contains_ci("Push cannot contain SECRETS", "secret"));
    assert_false(cw_text_contains_ci("all fine", "secret"));
    assert_true(cw_text_contains_ci("anything", ""));
    assert_false(cw_text_contains_ci(NULL, "x"));
    assert_false(cw_text_contains_ci("x", NULL));
}

/* Python's Path.stem, the one rule for a file's display name and evolution names. */
static void test_path_stem(void **state)
{
    static const char *const cases[][2] = {
        {"pkg/core.py", "core"},
        {"core.py", "core"},
        {"a.tar.gz", "a.tar"},
        {".bashrc", ".bashrc"},
        {"dir/.env", ".env"},
        {"Makefile", "Makefile"},
        {"a.", "a."},
        {"x/y/", ""},
        /* no last component (Python: "y") */ {"", ""},
        {"..", ".."},
        {"d.ir/file", "file"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *stem = NULL;
        size_t n = cw_path_stem(cases[i][0], &stem);
        assert_int_equal(n, strlen(cases[i][1]));
        assert_memory_equal(stem, cases[i][1], n);
    }
    const char *stem = NULL;
    assert_int_equal(cw_path_stem(NULL, &stem), 0);
    assert_non_null(stem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seq_len),
        cmocka_unit_test(test_prefix_never_splits),
        cmocka_unit_test(test_complete_drops_partial_tail),
        cmocka_unit_test(test_contains_ci),
        cmocka_unit_test(test_path_stem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
