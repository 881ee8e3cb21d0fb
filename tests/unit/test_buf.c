/*  cw_buf: appends, printf, the maximum, failure that sticks, take, binary content. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "cw_buf.h"

static void test_empty(void **state)
{
    cw_buf_t b;
    cw_buf_init(&b, 0);
    assert_string_equal(cw_buf_str(&b), "");
    assert_null(b.data); /* nothing allocated before the first append */
    size_t len = 99;
    char *s = cw_buf_take(&b, &len);
    assert_non_null(s);
    assert_string_equal(s, "");
    assert_int_equal(len, 0);
    free(s);
    cw_buf_free(&b); /* free after take: harmless */
    cw_buf_free(&b);

    cw_buf_t zero = {0}; /* zero-filled: the default maximum */
    assert_true(cw_buf_puts(&zero, "x"));
    assert_int_equal(cw_buf_room(&zero), CW_BUF_DEFAULT_MAX - 1);
    cw_buf_free(&zero);
}

static void test_appends(void **state)
{
    cw_buf_t b;
    cw_buf_init(&b, 0);
    assert_true(cw_buf_puts(&b, "hello"));
    assert_true(cw_buf_putc(&b, ','));
    assert_true(cw_buf_puts(&b, NULL));
    assert_true(cw_buf_append(&b, " world!!", 6));
    assert_true(cw_buf_printf(&b, " %d+%s=%.1f", 2, "two", 4.0));
    assert_string_equal(cw_buf_str(&b), "hello, world 2+two=4.0");
    assert_int_equal(b.len, strlen("hello, world 2+two=4.0"));
    cw_buf_truncate(&b, 5);
    assert_string_equal(cw_buf_str(&b), "hello");
    cw_buf_truncate(&b, 50); /* not longer: nothing */
    assert_string_equal(cw_buf_str(&b), "hello");
    cw_buf_clear(&b);
    assert_string_equal(cw_buf_str(&b), "");
    assert_true(cw_buf_puts(&b, "again"));
    size_t len = 0;
    char *s = cw_buf_take(&b, &len);
    assert_string_equal(s, "again");
    assert_int_equal(len, 5);
    free(s);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
}

/* Many appends of every size: the content is exactly what was appended. */
static void test_growth(void **state)
{
    cw_buf_t b;
    cw_buf_init(&b, 0);
    char expect[70000];
    size_t n = 0;
    for (int i = 0; n < 60000; i++) {
        char piece[300];
        size_t k = (size_t)(i * 37 % 250) + 1;
        for (size_t j = 0; j < k; j++)
            piece[j] = (char)('a' + (i + (int)j) % 26);
        assert_true(cw_buf_append(&b, piece, k));
        memcpy(expect + n, piece, k);
        n += k;
        /* printf beyond the room there is, too */
        assert_true(cw_buf_printf(&b, "%.*s", (int)k, piece));
        memcpy(expect + n, piece, k);
        n += k;
    }
    assert_int_equal(b.len, n);
    assert_memory_equal(b.data, expect, n);
    assert_int_equal(b.data[n], '\0');
    assert_true(b.cap >= n + 1);
    cw_buf_free(&b);
}

static void test_binary(void **state)
{
    cw_buf_t b;
    cw_buf_init(&b, 0);
    const unsigned char bytes[] = {0, 1, 0xff, 0, 7};
    assert_true(cw_buf_append(&b, bytes, sizeof bytes));
    assert_true(cw_buf_append(&b, bytes, 0));
    assert_false(cw_buf_append(&b, NULL, 3)); /* no data for 3 bytes */
    assert_false(b.failed);                   /* a caller's mistake, not a failure of the buffer */
    size_t len = 0;
    char *s = cw_buf_take(&b, &len);
    assert_int_equal(len, sizeof bytes);
    assert_memory_equal(s, bytes, sizeof bytes);
    free(s);
}

/* The maximum: an append that does not fit is refused whole, and the buffer stays failed. */
static void test_maximum(void **state)
{
    cw_buf_t b;
    cw_buf_init(&b, 10);
    assert_true(cw_buf_puts(&b, "0123456789")); /* exactly the maximum */
    assert_int_equal(cw_buf_room(&b), 0);
    assert_true(b.cap <= 11); /* never allocated beyond max + NUL */
    assert_false(cw_buf_putc(&b, 'x'));
    assert_true(b.failed);
    assert_true(b.over);
    assert_string_equal(cw_buf_str(&b), "0123456789"); /* nothing half-appended */
    assert_false(cw_buf_puts(&b, ""));                 /* failure sticks */
    assert_null(cw_buf_take(&b, NULL));
    assert_false(b.failed); /* take resets */

    cw_buf_init(&b, 8);
    assert_true(cw_buf_puts(&b, "abc"));
    assert_false(cw_buf_printf(&b, "%s", "123456")); /* 9 > 8 */
    assert_string_equal(cw_buf_str(&b), "abc");
    cw_buf_clear(&b); /* forgets the failure */
    assert_true(cw_buf_printf(&b, "%s", "12345678"));
    assert_int_equal(cw_buf_room(&b), 0);
    cw_buf_free(&b);

    /* a short printf into room already allocated still respects the maximum */
    cw_buf_init(&b, 4);
    assert_true(cw_buf_reserve(&b, 4));
    assert_true(cw_buf_printf(&b, "%d", 12));
    assert_false(cw_buf_printf(&b, "%d", 345));
    assert_string_equal(cw_buf_str(&b), "12");
    cw_buf_free(&b);

    /* a huge request is refused before anything is allocated */
    cw_buf_init(&b, 0);
    assert_false(cw_buf_reserve(&b, SIZE_MAX - 2));
    assert_true(b.over);
    assert_null(b.data);
    cw_buf_free(&b);
}

/* What untrusted input cannot do: grow a bounded buffer past its maximum, however it
   arrives (many small appends). */
static void test_bounded_stream(void **state)
{
    cw_buf_t b;
    cw_buf_init(&b, 4096);
    size_t accepted = 0;
    for (int i = 0; i < 100000; i++)
        if (cw_buf_append(&b, "0123456789abcdef", 16))
            accepted++;
    assert_int_equal(accepted, 4096 / 16);
    assert_int_equal(b.len, 4096);
    assert_true(b.cap <= 4097);
    assert_true(b.failed && b.over);
    cw_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),   cmocka_unit_test(test_appends),
        cmocka_unit_test(test_growth),  cmocka_unit_test(test_binary),
        cmocka_unit_test(test_maximum), cmocka_unit_test(test_bounded_stream),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
