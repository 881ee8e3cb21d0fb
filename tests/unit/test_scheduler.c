/*  Unit tests: the scheduler's backoff figures (SCHEDULE.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cw_log.h"
#include "cw_scheduler.h"

static void test_failure_backoff(void **state)
{
    (void)state;
    assert_int_equal(cw_scheduler_backoff_seconds(0), 0);
    assert_int_equal(cw_scheduler_backoff_seconds(1), 0);
    assert_int_equal(cw_scheduler_backoff_seconds(2), 60);
    assert_int_equal(cw_scheduler_backoff_seconds(3), 120);
    assert_int_equal(cw_scheduler_backoff_seconds(4), 240);
    assert_int_equal(cw_scheduler_backoff_seconds(5), 300);
    assert_int_equal(cw_scheduler_backoff_seconds(6), 300);
    assert_int_equal(cw_scheduler_backoff_seconds(1000000), 300);
    assert_int_equal(cw_scheduler_backoff_seconds(-3), 0);
}

static void test_llm_wait(void **state)
{
    (void)state;
    assert_int_equal(cw_scheduler_llm_wait_seconds(0), 10);
    assert_int_equal(cw_scheduler_llm_wait_seconds(1), 10);
    assert_int_equal(cw_scheduler_llm_wait_seconds(2), 20);
    assert_int_equal(cw_scheduler_llm_wait_seconds(3), 40);
    assert_int_equal(cw_scheduler_llm_wait_seconds(4), 80);
    assert_int_equal(cw_scheduler_llm_wait_seconds(5), 160);
    assert_int_equal(cw_scheduler_llm_wait_seconds(6), 300);
    assert_int_equal(cw_scheduler_llm_wait_seconds(64), 300);
}

int main(void)
{
    cw_log_set_level(CW_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_failure_backoff),
        cmocka_unit_test(test_llm_wait),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
