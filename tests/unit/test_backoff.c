/*  Backoff figures: exponential growth, the cap, jitter bounds, reset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cw_backoff.h"

static void test_paranoid_pirate_reconnect(void **state)
{
    cw_backoff_t b;
    cw_backoff_init(&b, 1000, 32000, 2.0, 0.0);
    int64_t expected[] = {1000, 2000, 4000, 8000, 16000, 32000, 32000, 32000};
    for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
        assert_int_equal(cw_backoff_fail(&b), expected[i]);
    assert_int_equal(b.failures, 8);
    cw_backoff_reset(&b);
    assert_int_equal(b.failures, 0);
    assert_int_equal(cw_backoff_fail(&b), 1000);
}

static void test_llm_wait_figures(void **state)
{
    /* reference: 10 s, then 10 * 2^(n-1) s, at most 300 s */
    cw_backoff_t b;
    cw_backoff_init(&b, 10000, 300000, 2.0, 0.0);
    assert_int_equal(cw_backoff_delay_ms(&b, 1), 10000);
    assert_int_equal(cw_backoff_delay_ms(&b, 2), 20000);
    assert_int_equal(cw_backoff_delay_ms(&b, 3), 40000);
    assert_int_equal(cw_backoff_delay_ms(&b, 5), 160000);
    assert_int_equal(cw_backoff_delay_ms(&b, 6), 300000);
    assert_int_equal(cw_backoff_delay_ms(&b, 60), 300000);
    assert_int_equal(cw_backoff_delay_ms(&b, 0), 0);
}

static void test_jitter_stays_in_bounds(void **state)
{
    cw_backoff_t b;
    cw_backoff_init(&b, 1000, 1000, 2.0, 0.25);
    int64_t lo = INT64_MAX, hi = 0;
    for (int i = 0; i < 2000; i++) {
        int64_t d = cw_backoff_fail(&b);
        assert_true(d >= 750 && d <= 1250);
        if (d < lo)
            lo = d;
        if (d > hi)
            hi = d;
    }
    /* jitter actually spreads the delays */
    assert_true(hi - lo > 250);
}

static void test_bad_parameters_are_clamped(void **state)
{
    cw_backoff_t b;
    cw_backoff_init(&b, 0, -5, 0.5, 7.0);
    assert_true(b.initial_ms >= 1);
    assert_true(b.max_ms >= b.initial_ms);
    assert_true(b.factor >= 1.0);
    assert_true(b.jitter <= 1.0);
    assert_true(cw_backoff_fail(&b) >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paranoid_pirate_reconnect),
        cmocka_unit_test(test_llm_wait_figures),
        cmocka_unit_test(test_jitter_stays_in_bounds),
        cmocka_unit_test(test_bad_parameters_are_clamped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
