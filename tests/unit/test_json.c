/*  test_json — common/cw_json: the bounded JSON reader and the small writer (moved here
    from test_generator_offline.c with the code), plus the shapes the notifier reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

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
    cw_json_t *j = cw_json_parse(text, strlen(text), err, sizeof(err));
    assert_non_null(j);
    assert_int_equal(cw_json_kind(j), CW_JSON_OBJECT);
    const cw_json_t *a = cw_json_get(j, "a");
    assert_int_equal(cw_json_size(a), 5);
    assert_true(cw_json_num(cw_json_at(a, 0)) == 1);
    assert_true(cw_json_num(cw_json_at(a, 1)) == -250);
    assert_true(cw_json_bool(cw_json_at(a, 2)));
    assert_int_equal(cw_json_kind(cw_json_at(a, 4)), CW_JSON_NULL);
    assert_null(cw_json_at(a, 5));
    /* \u escapes to UTF-8, surrogate pair to one 4-byte character, NUL and a lone
       surrogate to U+FFFD */
    assert_string_equal(cw_json_get_str(j, "s", ""),
                        "x\n\"y\xC3\xA9\xF0\x9F\x98\x80\xEF\xBF\xBD\xEF\xBF\xBD");
    assert_int_equal(cw_json_size(cw_json_get(cw_json_get(j, "o"), "k")), 0);
    assert_string_equal(cw_json_get_str(j, "missing", "dflt"), "dflt");
    assert_true(cw_json_get_num(j, "s", 42) == 42);
    cw_json_destroy(&j);
    assert_null(j);
}

static void test_json_rejects(void **state)
{
    const char *bad[] = {"",         "{",           "[1,]",    "{\"a\" 1}", "\"abc", "tru",
                         "01x",      "{\"a\":1} x", "\"\\q\"", "\"\\u12\"", "[1 2]", "{1:2}",
                         "\"a\nb\"", "-",           "1.",      "1e"};
    char err[128];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cw_json_t *j = cw_json_parse(bad[i], strlen(bad[i]), err, sizeof(err));
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
    cw_json_t *j = cw_json_parse(ok, 120, err, sizeof(err));
    assert_non_null(j);
    cw_json_destroy(&j);
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
    cw_json_t *j = cw_json_parse(s, strlen(s), err, sizeof(err));
    assert_string_equal(cw_json_get_str(j, "s", ""), "a\"b\\c\n\x01{}");
    cw_json_destroy(&j);
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
    assert_string_equal(cw_json_str(j), big);
    cw_json_destroy(&j);
    free(s);
    free(big);
}

/* A Telegram Bot API error answer, read the way cw_telegram does. */
static void test_json_telegram_answer(void **state)
{
    const char *text = "{\"ok\":false,\"error_code\":429,\"description\":\"Too Many Requests: "
                       "retry after 7\",\"parameters\":{\"retry_after\":7}}";
    char err[128];
    cw_json_t *j = cw_json_parse(text, strlen(text), err, sizeof(err));
    assert_non_null(j);
    assert_false(cw_json_get_bool(j, "ok", true));
    assert_true(cw_json_get_num(j, "error_code", 0) == 429);
    assert_string_equal(cw_json_get_str(j, "description", ""), "Too Many Requests: retry after 7");
    assert_true(cw_json_get_num(cw_json_get(j, "parameters"), "retry_after", -1) == 7);
    /* lookups through missing members and NULL nodes fall back to the default */
    assert_null(cw_json_get(cw_json_get(j, "result"), "message_id"));
    assert_true(cw_json_get_num(cw_json_get(j, "result"), "message_id", -1) == -1);
    assert_false(cw_json_get_bool(NULL, "ok", false));
    assert_null(cw_json_str(cw_json_get(j, "ok")));
    assert_int_equal(cw_json_size(j), 4);
    assert_string_equal(cw_json_key_at(j, 0), "ok");
    cw_json_destroy(&j);
    /* a truncated answer is rejected, not half-read */
    assert_null(cw_json_parse(text, strlen(text) - 3, err, sizeof(err)));
    assert_true(strlen(err) > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_parse),
        cmocka_unit_test(test_json_rejects),
        cmocka_unit_test(test_json_leak_free_depth_ok),
        cmocka_unit_test(test_json_writer),
        cmocka_unit_test(test_json_telegram_answer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
