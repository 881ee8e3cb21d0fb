/*  Logging: one valid JSON object per line with the contract fields, escaping, levels. */
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
#include "cw_log.h"

static char s_last[8192];
static int s_count;

static void capture(cw_log_level_t level, const char *line, void *arg)
{
    snprintf(s_last, sizeof(s_last), "%s", line);
    s_count++;
}

static int setup(void **state)
{
    cw_log_init("unittest");
    cw_log_set_format(1);
    cw_log_set_level(CW_LOG_INFO);
    cw_log_set_hook(capture, NULL);
    s_count = 0;
    s_last[0] = '\0';
    return 0;
}

static void test_fields_and_types(void **state)
{
    cw_info("cycle_done", CW_LS("repo", "web"), CW_LI("commits", 3), CW_LF("ratio", 0.5),
            CW_LB("pushed", 1), CW_LS("none", NULL), CW_LEND);
    assert_int_equal(s_count, 1);
    assert_non_null(strstr(s_last, "\"level\":\"info\""));
    assert_non_null(strstr(s_last, "\"service\":\"unittest\""));
    assert_non_null(strstr(s_last, "\"event\":\"cycle_done\""));
    assert_non_null(strstr(s_last, "\"repo\":\"web\""));
    assert_non_null(strstr(s_last, "\"commits\":3"));
    assert_non_null(strstr(s_last, "\"ratio\":0.5"));
    assert_non_null(strstr(s_last, "\"pushed\":true"));
    assert_non_null(strstr(s_last, "\"none\":null"));
    assert_int_equal(strncmp(s_last, "{\"timestamp\":\"", 14), 0);
    assert_int_equal(s_last[strlen(s_last) - 1], '}');
}

static void test_escaping(void **state)
{
    cw_warn("odd", CW_LS("text", "quote\" back\\ nl\n tab\t ctl\x01"), CW_LEND);
    assert_non_null(strstr(s_last, "quote\\\" back\\\\ nl\\n tab\\t ctl\\u0001"));
    assert_null(strchr(s_last, '\n'));
}

static void test_level_filter(void **state)
{
    cw_debug("hidden", CW_LEND);
    assert_int_equal(s_count, 0);
    cw_log_set_level(CW_LOG_DEBUG);
    cw_debug("shown", CW_LEND);
    assert_int_equal(s_count, 1);
    cw_log_set_level(CW_LOG_ERROR);
    cw_warn("hidden too", CW_LEND);
    assert_int_equal(s_count, 1);
}

static void test_long_field_stays_valid_json(void **state)
{
    char *big = malloc(20000);
    memset(big, 'x', 19999);
    big[19999] = '\0';
    cw_error("big", CW_LS("blob", big), CW_LEND);
    free(big);
    size_t n = strlen(s_last);
    assert_true(n < 8192);
    assert_int_equal(s_last[n - 1], '}');
    /* the cut string is still closed before the brace */
    assert_int_equal(s_last[n - 2], '"');
}

/* A string cut to fit the line never ends inside an escape or a character, and the line
   reads back as JSON. */
static void test_cut_keeps_escapes_whole(void **state)
{
    size_t n = 12000;
    char *big = malloc(n + 1);
    for (size_t i = 0; i < n; i += 3) /* "\"é" repeated: escapes and 2-byte characters */
        memcpy(big + i, "\"\xc3\xa9", 3);
    big[n] = '\0';
    cw_error("big", CW_LS("blob", big), CW_LI("after", 1), CW_LEND);
    size_t len = strlen(s_last);
    assert_true(len <= 8192);
    char err[128];
    cw_value_t *v = cw_json_parse(s_last, len, err, sizeof err);
    assert_non_null(v);
    const char *blob = cw_map_str(v, "blob", NULL);
    assert_non_null(blob);
    size_t kept = strlen(blob);
    assert_true(kept > 4000 && kept < n);
    assert_memory_equal(blob, big, kept); /* a prefix: no escape or character was split */
    assert_int_not_equal(kept % 3, 2);    /* never half of the é */
    free(big);
    cw_value_destroy(&v);
}

/* One rule for what JSON cannot say: NaN and infinities are null, bytes that are not UTF-8
   are U+FFFD; the contract fields come first, in their order. */
static void test_nonfinite_and_bad_utf8(void **state)
{
    cw_warn("odd", CW_LF("nan", NAN), CW_LF("inf", INFINITY), CW_LF("ninf", -INFINITY),
            CW_LS("bytes", "a\xff\xc3(b\xed\xa0\x80"), CW_LF("ok", 1.0 / 3), CW_LEND);
    assert_non_null(strstr(s_last, "\"nan\":null,\"inf\":null,\"ninf\":null"));
    assert_non_null(strstr(s_last, "\"bytes\":\"a\xef\xbf\xbd\xef\xbf\xbd(b"
                                   "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""));
    assert_non_null(strstr(s_last, "\"ok\":0.333333}"));
    const char *ts = strstr(s_last, "\"timestamp\""), *lv = strstr(s_last, "\"level\""),
               *sv = strstr(s_last, "\"service\""), *ev = strstr(s_last, "\"event\"");
    assert_true(ts && lv && sv && ev && ts < lv && lv < sv && sv < ev);
    cw_value_t *v = cw_json_parse(s_last, strlen(s_last), NULL, 0);
    assert_non_null(v);
    assert_int_equal(cw_value_kind(cw_map_get(v, "nan")), CW_VAL_NIL);
    cw_value_destroy(&v);
}

/* A line read back (the supervisor reads its children's stderr) gives the same readable
   form cw_log prints on a terminal. */
static void test_parse_and_humanize(void **state)
{
    (void)state;
    cw_error("ledger_open_failed", CW_LS("path", "/a b"), CW_LI("code", 14), CW_LF("ratio", 0.25),
             CW_LB("retry", 0), CW_LS("none", NULL), CW_LEND);
    cw_log_line_t line;
    assert_true(cw_log_parse_line(s_last, strlen(s_last), &line));
    assert_int_equal(line.level, CW_LOG_ERROR);
    assert_string_equal(line.service, "unittest");
    assert_string_equal(
        line.text, "ledger_open_failed path=\"/a b\" code=14 ratio=0.25 retry=false none=null");
    char human[2048];
    cw_log_format_human(&line, human, sizeof(human));
    assert_int_equal(strncmp(human, line.timestamp, 19), 0);
    assert_non_null(strstr(human, " error   unittest   ledger_open_failed path=\"/a b\" code=14"));
    /* anything else is not a log line */
    const char *others[] = {"plain text", "{\"level\":\"error\"}", "{not json", "[1,2]", ""};
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
        assert_false(cw_log_parse_line(others[i], strlen(others[i]), &line));
}

/* ---------------------------------------------------------------- rate-limited lines */

static int64_t s_fake_now;
static int64_t s_fake_clock(void)
{
    return s_fake_now;
}

static char s_lines[64][1024];
static int s_nlines, s_nsummaries;

static void capture_all(cw_log_level_t level, const char *line, void *arg)
{
    if (strstr(line, "\"event\":\"log_suppressed\""))
        s_nsummaries++;
    if (s_nlines < 64)
        snprintf(s_lines[s_nlines], sizeof s_lines[0], "%s", line);
    s_nlines++;
}

static int setup_limited(void **state)
{
    setup(state);
    cw_log_set_hook(capture_all, NULL);
    s_nlines = 0;
    s_nsummaries = 0;
    s_fake_now = 1000;
    cw_log_limit_reset();
    cw_log_limit_configure(3, 1.0, s_fake_clock); /* 3 at once, then 1 a second */
    return 0;
}

static int teardown_limited(void **state)
{
    cw_log_limit_configure(0, -1, NULL);
    cw_log_limit_reset();
    return 0;
}

static int s_count_event(const char *event)
{
    char want[128];
    snprintf(want, sizeof want, "\"event\":\"%s\"", event);
    int n = 0;
    for (int i = 0; i < s_nlines && i < 64; i++)
        if (strstr(s_lines[i], want))
            n++;
    return n;
}

/* A loop that warns 100 times writes the burst, then counts; the count is said once the
   event may write again, before the next line. */
static void test_limited_burst_and_summary(void **state)
{
    for (int i = 0; i < 100; i++)
        cw_warn_limited("file_unreadable", CW_LI("i", i), CW_LEND);
    assert_int_equal(s_nlines, 3);
    assert_non_null(strstr(s_lines[2], "\"i\":2"));
    /* other events have buckets of their own */
    cw_warn_limited("frame_malformed", CW_LEND);
    assert_int_equal(s_count_event("frame_malformed"), 1);
    /* no time passed: the count is not summed up yet, and nothing more is written */
    cw_info("unrelated", CW_LEND);
    assert_int_equal(s_count_event("log_suppressed"), 0);
    /* a second later: the summary comes before the next line of any event */
    s_fake_now += 1000;
    cw_info("unrelated", CW_LEND);
    assert_int_equal(s_count_event("log_suppressed"), 1);
    const char *sum = s_lines[s_nlines - 2];
    assert_non_null(strstr(sum, "\"level\":\"warning\""));
    assert_non_null(strstr(sum, "\"suppressed_event\":\"file_unreadable\""));
    assert_non_null(strstr(sum, "\"suppressed\":97"));
    /* ... and only once */
    cw_info("unrelated", CW_LEND);
    assert_int_equal(s_count_event("log_suppressed"), 1);
    /* the refilled token lets one more line through, then it counts again */
    cw_warn_limited("file_unreadable", CW_LI("i", 100), CW_LEND);
    cw_warn_limited("file_unreadable", CW_LI("i", 101), CW_LEND);
    assert_int_equal(s_count_event("file_unreadable"), 4);
    /* after a long quiet spell the whole burst is back, no more */
    s_fake_now += 3600 * 1000;
    int before = s_nlines;
    for (int i = 0; i < 10; i++)
        cw_warn_limited("file_unreadable", CW_LEND);
    /* the summary of the one left out before, then 3 lines */
    assert_int_equal(s_nlines - before, 1 + 3);
    assert_non_null(strstr(s_lines[before], "\"suppressed\":1"));
}

/* Lines below the level neither write nor use tokens; the limited line has the event's
   own fields, as cw_warn would write them. */
static void test_limited_level_and_fields(void **state)
{
    cw_log_set_level(CW_LOG_ERROR);
    for (int i = 0; i < 10; i++)
        cw_warn_limited("hidden", CW_LEND);
    assert_int_equal(s_nlines, 0);
    cw_log_set_level(CW_LOG_DEBUG);
    cw_warn_limited("hidden", CW_LS("file", "a.c"), CW_LI("n", 1), CW_LEND);
    assert_int_equal(s_nlines, 1);
    assert_non_null(strstr(s_lines[0], "\"event\":\"hidden\",\"file\":\"a.c\",\"n\":1}"));
    assert_non_null(strstr(s_lines[0], "\"level\":\"warning\""));
}

/* More names than the table holds: the oldest is forgotten, its count summed up first. */
static void test_limited_many_events(void **state)
{
    cw_log_limit_configure(1, 0, s_fake_clock); /* one line each, never refilled */
    cw_warn_limited("first", CW_LEND);
    cw_warn_limited("first", CW_LEND); /* counted */
    for (int i = 0; i < CW_LOG_LIMIT_EVENTS; i++) {
        char name[32];
        snprintf(name, sizeof name, "event_%d", i);
        s_fake_now++;
        cw_warn_limited(name, CW_LEND);
    }
    /* "first" was the least recently used when the table was full */
    assert_int_equal(s_nsummaries, 1);
    assert_int_equal(s_nlines, 1 + CW_LOG_LIMIT_EVENTS + 1);
    int before = s_nlines;
    cw_warn_limited("first", CW_LEND); /* a new bucket: written again */
    assert_int_equal(s_nlines, before + 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_fields_and_types, setup),
        cmocka_unit_test_setup(test_escaping, setup),
        cmocka_unit_test_setup(test_level_filter, setup),
        cmocka_unit_test_setup(test_long_field_stays_valid_json, setup),
        cmocka_unit_test_setup(test_cut_keeps_escapes_whole, setup),
        cmocka_unit_test_setup(test_nonfinite_and_bad_utf8, setup),
        cmocka_unit_test_setup(test_parse_and_humanize, setup),
        cmocka_unit_test_setup_teardown(test_limited_burst_and_summary, setup_limited,
                                        teardown_limited),
        cmocka_unit_test_setup_teardown(test_limited_level_and_fields, setup_limited,
                                        teardown_limited),
        cmocka_unit_test_setup_teardown(test_limited_many_events, setup_limited, teardown_limited),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
