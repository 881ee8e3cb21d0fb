/*  Unit tests: cw_schedule (human-like times, time zones, next run, misfire, interval). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cw_log.h"
#include "cw_schedule.h"

#define MAXT 64

static cw_schedule_t *s_make(const char *tz, int min, int max, int gap, uint64_t seed)
{
    cw_schedule_params_t p;
    cw_schedule_params_init(&p, NULL);
    snprintf(p.timezone, sizeof p.timezone, "%s", tz);
    p.min_per_day = min;
    p.max_per_day = max;
    p.min_gap_minutes = gap;
    return cw_schedule_new(&p, seed);
}

static void test_calendar(void **state)
{
    (void)state;
    assert_int_equal(cw_schedule_weekday(1970, 1, 1), 4);  /* Thursday */
    assert_int_equal(cw_schedule_weekday(2024, 1, 13), 6); /* Saturday */
    assert_int_equal(cw_schedule_weekday(2024, 1, 14), 0); /* Sunday */
    assert_int_equal(cw_schedule_weekday(2024, 1, 15), 1); /* Monday */
    assert_int_equal(cw_schedule_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(cw_schedule_days_from_civil(2000, 3, 1), 11017);
    int y, m, d;
    cw_schedule_civil_from_days(cw_schedule_days_from_civil(2024, 2, 29) + 1, &y, &m, &d);
    assert_int_equal(y, 2024);
    assert_int_equal(m, 3);
    assert_int_equal(d, 1);
    char iso[32];
    cw_schedule_iso8601(86400 + 3661, iso, sizeof iso);
    assert_string_equal(iso, "1970-01-02T01:01:01Z");
}

static void test_rng_deterministic(void **state)
{
    (void)state;
    cw_rng_t a, b;
    cw_rng_seed(&a, 42);
    cw_rng_seed(&b, 42);
    for (int i = 0; i < 100; i++)
        assert_true(cw_rng_next(&a) == cw_rng_next(&b));
    for (int i = 0; i < 1000; i++) {
        int64_t v = cw_rng_range(&a, 3, 7);
        assert_true(v >= 3 && v <= 7);
        double x = cw_rng_double(&a);
        assert_true(x >= 0.0 && x < 1.0);
    }
}

static void test_weights(void **state)
{
    (void)state;
    cw_schedule_t *s = s_make("UTC", 12, 18, 30, 1);
    assert_non_null(s);
    /* defaults: prefer 9,10,11,14,15,16,20,21,22 x1.5; avoid 3..7 */
    assert_true(fabs(cw_schedule_hour_weight(s, 9) - 0.18) < 1e-9);
    assert_true(fabs(cw_schedule_hour_weight(s, 8) - 0.08) < 1e-9);
    assert_true(fabs(cw_schedule_hour_weight(s, 0) - 0.02) < 1e-9);
    assert_true(cw_schedule_hour_weight(s, 6) == 0.0); /* base .01 but avoided */
    assert_true(cw_schedule_hour_weight(s, 7) == 0.0);
    assert_true(fabs(cw_schedule_base_weight(2) - 0.005) < 1e-12);
    assert_true(fabs(cw_schedule_base_weight(15) - 0.15) < 1e-12);
    cw_schedule_destroy(&s);
    assert_null(s);
    cw_schedule_destroy(&s);
}

static void test_deterministic_with_seed(void **state)
{
    (void)state;
    cw_schedule_t *a = s_make("America/Los_Angeles", 12, 18, 30, 1234);
    cw_schedule_t *b = s_make("America/Los_Angeles", 12, 18, 30, 1234);
    cw_schedule_t *c = s_make("America/Los_Angeles", 12, 18, 30, 99);
    time_t ta[MAXT], tb[MAXT], tc[MAXT];
    int differ = 0;
    for (int d = 1; d <= 10; d++) {
        int na = cw_schedule_day(a, 2024, 3, d, ta, MAXT);
        /* asking twice (or another day first) gives the same day */
        cw_schedule_day(b, 2024, 4, d, tb, MAXT);
        int nb = cw_schedule_day(b, 2024, 3, d, tb, MAXT);
        assert_int_equal(na, nb);
        assert_memory_equal(ta, tb, sizeof(time_t) * (size_t)na);
        int nc = cw_schedule_day(c, 2024, 3, d, tc, MAXT);
        if (nc != na || memcmp(ta, tc, sizeof(time_t) * (size_t)na) != 0)
            differ++;
    }
    assert_true(differ > 0);
    cw_schedule_destroy(&a);
    cw_schedule_destroy(&b);
    cw_schedule_destroy(&c);
}

static void test_counts_and_weekend(void **state)
{
    (void)state;
    cw_schedule_t *s = s_make("UTC", 12, 18, 30, 7);
    int64_t day0 = cw_schedule_days_from_civil(2024, 1, 1);
    int seen_min = 100, seen_max = 0;
    for (int k = 0; k < 400; k++) {
        int y, m, d;
        cw_schedule_civil_from_days(day0 + k, &y, &m, &d);
        int wd = cw_schedule_weekday(y, m, d);
        int count = cw_schedule_day_count(s, y, m, d);
        if (wd == 0 || wd == 6) {
            /* floor(12*0.7)=8 .. floor(18*0.7)=12 */
            assert_true(count >= 8 && count <= 12);
        } else {
            assert_true(count >= 12 && count <= 18);
            if (count < seen_min)
                seen_min = count;
            if (count > seen_max)
                seen_max = count;
        }
        time_t t[MAXT];
        int n = cw_schedule_day(s, y, m, d, t, MAXT);
        assert_true(n <= count);
        assert_true(n >= 1);
    }
    assert_int_equal(seen_min, 12); /* uniform over the whole range */
    assert_int_equal(seen_max, 18);
    cw_schedule_destroy(&s);

    /* weekend reduction rounds down but keeps at least 3 */
    cw_schedule_params_t p;
    cw_schedule_params_init(&p, NULL);
    snprintf(p.timezone, sizeof p.timezone, "UTC");
    p.min_per_day = 2;
    p.max_per_day = 2;
    p.weekend_reduction = 0.5;
    p.min_gap_minutes = 0;
    s = cw_schedule_new(&p, 3);
    assert_int_equal(cw_schedule_day_count(s, 2024, 1, 13), 3); /* Saturday */
    assert_int_equal(cw_schedule_day_count(s, 2024, 1, 14), 3); /* Sunday */
    assert_int_equal(cw_schedule_day_count(s, 2024, 1, 15), 2); /* Monday */
    cw_schedule_destroy(&s);
    p.min_per_day = 10;
    p.max_per_day = 10;
    p.weekend_reduction = 0.75;
    s = cw_schedule_new(&p, 3);
    assert_int_equal(cw_schedule_day_count(s, 2024, 1, 13), 7); /* floor(7.5) */
    cw_schedule_destroy(&s);
}

static void test_avoid_gap_sorted(void **state)
{
    (void)state;
    const char *zones[] = {"UTC", "America/Los_Angeles", "Europe/Berlin"};
    for (size_t z = 0; z < 3; z++) {
        cw_schedule_t *s = s_make(zones[z], 12, 18, 30, 11 + z);
        int64_t day0 = cw_schedule_days_from_civil(2024, 1, 1);
        for (int k = 0; k < 366; k++) {
            int y, m, d;
            cw_schedule_civil_from_days(day0 + k, &y, &m, &d);
            time_t t[MAXT];
            int n = cw_schedule_day(s, y, m, d, t, MAXT);
            /* offset at the start and end of the day: differs on a DST change day, where a
               nonexistent 02:xx is normalised to 03:xx */
            time_t off0 = cw_schedule_mktime(s, y, m, d, 0, 30, 0) -
                          cw_schedule_mktime(NULL, y, m, d, 0, 30, 0);
            time_t off1 = cw_schedule_mktime(s, y, m, d, 23, 30, 0) -
                          cw_schedule_mktime(NULL, y, m, d, 23, 30, 0);
            bool spring = off1 < off0;
            for (int i = 0; i < n; i++) {
                struct tm tm;
                cw_schedule_localtime(s, t[i], &tm);
                assert_int_equal(tm.tm_mday, d);
                if (i > 0)
                    assert_true(t[i] >= t[i - 1]);
                if (spring)
                    continue;
                assert_true(tm.tm_hour < 3 || tm.tm_hour > 7);
                if (i > 0) /* a fall-back hour can only widen a gap */
                    assert_true(t[i] - t[i - 1] >= 30 * 60);
            }
        }
        cw_schedule_destroy(&s);
    }
    /* UTC has no DST: the gap is exact */
    cw_schedule_t *s = s_make("UTC", 18, 18, 45, 5);
    time_t t[MAXT];
    for (int d = 1; d <= 28; d++) {
        int n = cw_schedule_day(s, 2023, 2, d, t, MAXT);
        for (int i = 1; i < n; i++)
            assert_true(t[i] - t[i - 1] >= 45 * 60);
    }
    cw_schedule_destroy(&s);
}

static void test_prefer_hours_more_frequent(void **state)
{
    (void)state;
    cw_schedule_params_t p;
    cw_schedule_params_init(&p, NULL);
    snprintf(p.timezone, sizeof p.timezone, "UTC");
    p.min_gap_minutes = 0;
    p.prefer_count = 0;
    cw_schedule_t *plain = cw_schedule_new(&p, 77);
    p.prefer_count = 1;
    p.prefer_hours[0] = 13;
    cw_schedule_t *pref = cw_schedule_new(&p, 77);
    int64_t day0 = cw_schedule_days_from_civil(2024, 1, 1);
    long plain13 = 0, plainall = 0, pref13 = 0, prefall = 0;
    for (int k = 0; k < 600; k++) {
        int y, m, d;
        cw_schedule_civil_from_days(day0 + k, &y, &m, &d);
        time_t t[MAXT];
        int n = cw_schedule_day(plain, y, m, d, t, MAXT);
        for (int i = 0; i < n; i++, plainall++)
            plain13 += ((t[i] % 86400) / 3600) == 13;
        n = cw_schedule_day(pref, y, m, d, t, MAXT);
        for (int i = 0; i < n; i++, prefall++)
            pref13 += ((t[i] % 86400) / 3600) == 13;
    }
    double fp = (double)plain13 / (double)plainall, fq = (double)pref13 / (double)prefall;
    /* expected .10/1.575 = 6.3% vs .15/1.625 = 9.2% */
    assert_true(fq > fp * 1.25);
    assert_true(fp > 0.05 && fp < 0.08);
    cw_schedule_destroy(&plain);
    cw_schedule_destroy(&pref);
}

static void test_timezones(void **state)
{
    (void)state;
    cw_schedule_t *la = s_make("America/Los_Angeles", 12, 18, 30, 2024);
    cw_schedule_t *utc = s_make("UTC", 12, 18, 30, 2024);
    assert_string_equal(cw_schedule_timezone(la), "America/Los_Angeles");
    time_t a[MAXT], b[MAXT];
    /* same seed and date: same local wall times, shifted by the zone's offset */
    int na = cw_schedule_day(la, 2024, 1, 17, a, MAXT);
    int nb = cw_schedule_day(utc, 2024, 1, 17, b, MAXT);
    assert_int_equal(na, nb);
    for (int i = 0; i < na; i++)
        assert_true(a[i] - b[i] == 8 * 3600); /* PST */
    na = cw_schedule_day(la, 2024, 7, 17, a, MAXT);
    nb = cw_schedule_day(utc, 2024, 7, 17, b, MAXT);
    assert_int_equal(na, nb);
    for (int i = 0; i < na; i++)
        assert_true(a[i] - b[i] == 7 * 3600); /* PDT */

    /* TZ is restored after a conversion */
    setenv("TZ", "Asia/Tokyo", 1);
    struct tm tm;
    cw_schedule_localtime(la, 0, &tm);
    assert_int_equal(tm.tm_hour, 16); /* 1969-12-31 16:00 PST */
    assert_string_equal(getenv("TZ"), "Asia/Tokyo");
    unsetenv("TZ");
    assert_true(cw_schedule_mktime(la, 1970, 1, 1, 0, 0, 0) == 8 * 3600);

    /* unknown zones fall back to UTC */
    cw_schedule_t *bad = s_make("Mars/Olympus_Mons", 12, 18, 30, 1);
    assert_string_equal(cw_schedule_timezone(bad), "UTC");
    cw_schedule_destroy(&bad);
    bad = s_make("../../etc/passwd", 12, 18, 30, 1);
    assert_string_equal(cw_schedule_timezone(bad), "UTC");
    cw_schedule_destroy(&bad);
    cw_schedule_destroy(&la);
    cw_schedule_destroy(&utc);
}

static void test_next_across_days(void **state)
{
    (void)state;
    cw_schedule_t *s = s_make("UTC", 12, 18, 30, 5);
    time_t t[MAXT], u[MAXT];
    int n = cw_schedule_day(s, 2024, 1, 15, t, MAXT);
    int m = cw_schedule_day(s, 2024, 1, 16, u, MAXT);
    assert_true(n >= 2 && m >= 1);
    assert_true(cw_schedule_next(s, t[0] - 1) == t[0]);
    assert_true(cw_schedule_next(s, t[0]) == t[1]);
    assert_true(cw_schedule_next(s, t[n - 1]) == u[0]);
    assert_true(cw_schedule_next(s, cw_schedule_mktime(s, 2024, 1, 15, 23, 59, 59)) == u[0]);
    cw_schedule_destroy(&s);

    /* Los Angeles: 23:59:59 local on the 15th is already the 16th in UTC, but the next run
       is the first of LA's 16th, not of UTC's 17th */
    s = s_make("America/Los_Angeles", 12, 18, 30, 5);
    n = cw_schedule_day(s, 2024, 1, 15, t, MAXT);
    m = cw_schedule_day(s, 2024, 1, 16, u, MAXT);
    time_t late = cw_schedule_mktime(s, 2024, 1, 15, 23, 59, 59);
    assert_true(late == cw_schedule_mktime(NULL, 2024, 1, 16, 7, 59, 59));
    assert_true(cw_schedule_next(s, late) == u[0]);
    assert_true(cw_schedule_next(s, t[n - 1]) == u[0]);
    struct tm tm;
    cw_schedule_localtime(s, cw_schedule_next(s, late), &tm);
    assert_int_equal(tm.tm_mday, 16);
    cw_schedule_destroy(&s);

    /* every hour avoided: no run time */
    cw_schedule_params_t p;
    cw_schedule_params_init(&p, NULL);
    p.avoid_count = 24;
    for (int h = 0; h < 24; h++)
        p.avoid_hours[h] = h;
    s = cw_schedule_new(&p, 1);
    assert_true(cw_schedule_next(s, 1700000000) == (time_t)-1);
    assert_int_equal(cw_schedule_day(s, 2024, 1, 15, t, MAXT), 0);
    cw_schedule_destroy(&s);
}

static void test_misfire_grace(void **state)
{
    (void)state;
    cw_schedule_t *s = s_make("UTC", 12, 18, 30, 9);
    time_t t[MAXT];
    int n = cw_schedule_day(s, 2024, 1, 15, t, MAXT);
    assert_true(n >= 4);
    int coalesced = -1;
    /* nothing missed: the next planned time */
    assert_true(cw_schedule_due(s, t[0] - 100, t[0] - 50, &coalesced) == t[0]);
    assert_int_equal(coalesced, 0);
    /* exactly due */
    assert_true(cw_schedule_due(s, t[0] - 100, t[0], &coalesced) == t[0]);
    assert_int_equal(coalesced, 1);
    /* missed by less than an hour: runs now (returns the missed time) */
    time_t now = t[0] + 1800 < t[1] ? t[0] + 1800 : t[1] - 1;
    assert_true(cw_schedule_due(s, t[0] - 100, now, &coalesced) == t[0]);
    assert_int_equal(coalesced, 1);
    /* already done: not again */
    assert_true(cw_schedule_due(s, t[0], now, &coalesced) == t[1]);
    /* several missed within the hour coalesce into one run of the latest */
    now = t[2] + 1;
    int expect = 0;
    for (int i = 0; i < n; i++)
        expect += t[i] > now - 3600 && t[i] <= now;
    assert_true(cw_schedule_due(s, t[0] - 100, now, &coalesced) == t[2]);
    assert_int_equal(coalesced, expect);
    /* missed by more than an hour (and nothing newer): skipped, next planned time */
    time_t last_day[MAXT];
    int nl = cw_schedule_day(s, 2024, 1, 14, last_day, MAXT);
    time_t late = last_day[nl - 1] + 3600 + 10;
    if (late < t[0]) {
        assert_true(cw_schedule_due(s, last_day[nl - 1] - 1, late, &coalesced) == t[0]);
        assert_int_equal(coalesced, 0);
    }
    /* a process asleep for days: the next planned time after now */
    now = t[n - 1] + 5 * 86400 + 7200;
    time_t due = cw_schedule_due(s, t[0], now, &coalesced);
    assert_true(due > now || now - due < 3600);
    cw_schedule_destroy(&s);
}

static void test_interval_mode(void **state)
{
    (void)state;
    cw_schedule_params_t p;
    cw_schedule_params_init(&p, NULL);
    p.interval_seconds = 600;
    cw_schedule_t *s = cw_schedule_new(&p, 1);
    assert_true(cw_schedule_is_interval(s));
    int coalesced = -1;
    assert_true(cw_schedule_next(s, 1000) == 1600);
    assert_true(cw_schedule_due(s, 1000, 1500, &coalesced) == 1600);
    assert_int_equal(coalesced, 0);
    assert_true(cw_schedule_due(s, 1000, 1600, &coalesced) == 1600);
    assert_int_equal(coalesced, 1);
    assert_true(cw_schedule_due(s, 1000, 2300, &coalesced) == 1600); /* run now, once */
    assert_int_equal(coalesced, 2);
    cw_schedule_destroy(&s);
    p.interval_seconds = 0;
    s = cw_schedule_new(&p, 1);
    assert_false(cw_schedule_is_interval(s));
    cw_schedule_destroy(&s);
}

/* schedule.interval_seconds with a fraction: due times keep the fraction */
static void test_interval_fraction(void **state)
{
    (void)state;
    cw_schedule_params_t p;
    cw_schedule_params_init(&p, NULL);
    p.interval_seconds = 0.05;
    cw_schedule_t *s = cw_schedule_new(&p, 1);
    assert_true(cw_schedule_is_interval(s));
    assert_true(cw_schedule_interval(s) == 0.05);
    int coalesced = -1;
    double due = cw_schedule_due(s, 1000.0, 1000.01, &coalesced);
    assert_true(due > 1000.049 && due < 1000.051);
    assert_int_equal(coalesced, 0);
    due = cw_schedule_due(s, 1000.0, 1000.26, &coalesced); /* 5 intervals missed: run once */
    assert_true(due > 1000.049 && due < 1000.051);
    assert_int_equal(coalesced, 5);
    /* the whole-second API rounds up to one second */
    assert_true(cw_schedule_next(s, 1000) == 1001);
    cw_schedule_destroy(&s);
    p.interval_seconds = 2.5;
    s = cw_schedule_new(&p, 1);
    assert_true(cw_schedule_due(s, 10.25, 11.0, &coalesced) == 12.75);
    assert_true(cw_schedule_next(s, 10) == 13);
    cw_schedule_destroy(&s);
    p.interval_seconds = 0.001; /* below the floor: clamped to 0.01 */
    s = cw_schedule_new(&p, 1);
    assert_true(cw_schedule_interval(s) == 0.01);
    cw_schedule_destroy(&s);
}

static void test_params_from_config(void **state)
{
    (void)state;
    cw_config_t *config = cw_config_new_defaults();
    assert_non_null(config);
    cw_schedule_params_t p;
    cw_schedule_params_init(&p, config);
    assert_int_equal(p.min_per_day, 12);
    assert_int_equal(p.max_per_day, 18);
    assert_string_equal(p.timezone, "America/Los_Angeles");
    assert_int_equal(p.avoid_count, 5);
    assert_int_equal(p.prefer_count, 9);
    assert_int_equal(p.min_gap_minutes, 30);
    assert_int_equal(p.misfire_grace, 3600);
    cw_config_destroy(&config);
}

int main(void)
{
    cw_log_set_level(CW_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calendar),
        cmocka_unit_test(test_rng_deterministic),
        cmocka_unit_test(test_weights),
        cmocka_unit_test(test_deterministic_with_seed),
        cmocka_unit_test(test_counts_and_weekend),
        cmocka_unit_test(test_avoid_gap_sorted),
        cmocka_unit_test(test_prefer_hours_more_frequent),
        cmocka_unit_test(test_timezones),
        cmocka_unit_test(test_next_across_days),
        cmocka_unit_test(test_misfire_grace),
        cmocka_unit_test(test_interval_mode),
        cmocka_unit_test(test_interval_fraction),
        cmocka_unit_test(test_params_from_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
