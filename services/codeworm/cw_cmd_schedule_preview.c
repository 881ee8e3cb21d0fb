/*  `codeworm schedule-preview`: the commit times the schedule generates. */
#include <czmq.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cw_cli_int.h"
#include <time.h>

#include "cw_json.h"
#include "cw_schedule.h"

/* One --json line, the reference's preview entry: {"time": ISO 8601 with the zone's
   offset, "hour": local hour, "is_weekend": Saturday or Sunday}. */
static void s_print_json(cw_schedule_t *schedule, time_t t)
{
    struct tm tm;
    cw_schedule_localtime(schedule, t, &tm);
    char stamp[40];
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    long off = tm.tm_gmtoff;
    char sign = off < 0 ? '-' : '+';
    if (off < 0)
        off = -off;
    char when[64];
    snprintf(when, sizeof(when), "%s%c%02ld:%02ld", stamp, sign, off / 3600, (off % 3600) / 60);
    cw_value_t *entry = cw_value_new_map();
    cw_map_set_str(entry, "time", when);
    cw_map_set_int(entry, "hour", tm.tm_hour);
    cw_map_set_bool(entry, "is_weekend", tm.tm_wday == 0 || tm.tm_wday == 6);
    char *line = cw_json_encode(entry);
    if (line)
        printf("%s\n", line);
    free(line);
    cw_value_destroy(&entry);
}

static int s_cmd_schedule_preview(cw_cli_t *cli, int argc, char **argv)
{
    long days = 1, seed = -1;
    const char *tz = NULL;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0)
            json = true;
        else if (strcmp(a, "--days") == 0 && i + 1 < argc) {
            if (!cw_cli_parse_int(argv[++i], 1, 31, &days))
                return cw_cli_usage_error(
                    "schedule-preview", "--days must be a number from 1 to 31, not '%s'", argv[i]);
        } else if (strcmp(a, "--timezone") == 0 && i + 1 < argc)
            tz = argv[++i];
        else if (strcmp(a, "--seed") == 0 && i + 1 < argc) {
            if (!cw_cli_parse_int(argv[++i], 0, LONG_MAX, &seed))
                return cw_cli_usage_error("schedule-preview", "--seed must be a number, not '%s'",
                                          argv[i]);
        } else
            return cw_cli_usage_error("schedule-preview", "unknown option or missing value: '%s'",
                                      a);
    }
    int rc = 0;
    cw_config_t *config = cw_cli_load(cli, 0, &rc);
    if (!config)
        return rc;
    cw_schedule_params_t params;
    cw_schedule_params_init(&params, config);
    if (tz) {
        if (strlen(tz) >= sizeof(params.timezone) || strstr(tz, "..")) {
            fprintf(stderr, "codeworm schedule-preview: invalid time zone '%s'\n", tz);
            cw_config_destroy(&config);
            return 2;
        }
        snprintf(params.timezone, sizeof(params.timezone), "%s", tz);
    }
    cw_schedule_t *schedule =
        cw_schedule_new(&params, seed >= 0 ? (uint64_t)seed : cw_rng_os_seed());
    if (!schedule) {
        fprintf(stderr, "codeworm schedule-preview: cannot build the schedule\n");
        cw_config_destroy(&config);
        return 2;
    }
    time_t now = time(NULL);
    const char *zone = cw_schedule_timezone(schedule);
    if (cw_schedule_is_interval(schedule)) {
        if (!json)
            printf("Fixed interval: a cycle every %g s (schedule.interval_seconds); time zone %s\n",
                   params.interval_seconds, zone);
        double interval = cw_schedule_interval(schedule);
        double t = (double)now, end = (double)now + days * 86400.0;
        int shown = 0;
        while ((t += interval) < end && shown < 50) {
            time_t whole = (time_t)t;
            if (json) {
                s_print_json(schedule, whole);
                shown++;
                continue;
            }
            struct tm tm;
            cw_schedule_localtime(schedule, whole, &tm);
            char buf[64];
            strftime(buf, sizeof(buf), "%a %Y-%m-%d %H:%M:%S", &tm);
            if (interval < 1.0)
                printf("  %s.%03d\n", buf, (int)((t - (double)whole) * 1000.0));
            else
                printf("  %s\n", buf);
            shown++;
        }
        if (shown == 50 && !json)
            printf("  ...\n");
    } else {
        struct tm today;
        cw_schedule_localtime(schedule, now, &today);
        int64_t base =
            cw_schedule_days_from_civil(today.tm_year + 1900, today.tm_mon + 1, today.tm_mday);
        if (!json)
            printf("Human-like schedule, time zone %s (%d-%d commits a day, weekends x%.2f, "
                   "at least %d min apart)\n",
                   zone, params.min_per_day, params.max_per_day, params.weekend_reduction,
                   params.min_gap_minutes);
        static const char *wd[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                   "Thursday", "Friday", "Saturday"};
        for (long d = 0; d < days; d++) {
            int y, m, dd;
            cw_schedule_civil_from_days(base + d, &y, &m, &dd);
            time_t times[CW_SCHEDULE_MAX_PER_DAY];
            int n = cw_schedule_day(schedule, y, m, dd, times, CW_SCHEDULE_MAX_PER_DAY);
            if (json) {
                for (int k = 0; k < n; k++)
                    s_print_json(schedule, times[k]);
                continue;
            }
            printf("\n%s %04d-%02d-%02d: %d commits\n", wd[cw_schedule_weekday(y, m, dd)], y, m, dd,
                   n);
            for (int k = 0; k < n; k++) {
                struct tm tm;
                cw_schedule_localtime(schedule, times[k], &tm);
                printf("  %02d:%02d:%02d%s\n", tm.tm_hour, tm.tm_min, tm.tm_sec,
                       times[k] <= now ? "  (past)" : "");
            }
        }
    }
    cw_schedule_destroy(&schedule);
    cw_config_destroy(&config);
    return 0;
}

const cw_cli_command_t cw_cmd_schedule_preview = {
    "schedule-preview",
    "schedule-preview [--days N] [--timezone TZ] [--seed N] [--json]",
    "the generated commit times",
    "Print the commit times the human-like schedule generates (an example draw), or the\n"
    "fixed interval times when schedule.interval_seconds is set.",
    "  --days N              days to show, starting today (default 1, at most 31)\n"
    "  --timezone TZ         IANA time zone instead of schedule.timezone\n"
    "  --seed N              fixed random seed (repeatable output)\n"
    "  --json                one JSON object a line, as the reference's preview: time\n"
    "                        (ISO 8601 with the zone's offset), hour, is_weekend\n",
    s_cmd_schedule_preview};
