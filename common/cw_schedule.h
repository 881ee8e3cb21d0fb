/*  cw_schedule — when to document: the reference's human-like daily schedule (or a fixed
    interval), shared by codeworm-scheduler and `codeworm schedule-preview`.

    Each local day (in schedule.timezone) gets a count uniform in [min, max] commits; on
    Saturday and Sunday it is multiplied by weekend_reduction (rounded down, at least 3).
    Times: an hour drawn by weight (the reference table, prefer_hours x1.5, avoid_hours 0),
    minute and second uniform; a time is kept if it is at least min_gap_minutes from every
    time kept already; stop at count kept or 10*count attempts; sorted.

    Determinism: every day's draws come from a PRNG seeded with (seed, local date), so a day's
    schedule is the same however often or in whatever order it is asked for, and tests give
    a fixed seed. The scheduler seeds from a random source at start.

    Time zones: local <-> UTC conversion uses the C library (mktime / localtime_r) with TZ
    set to schedule.timezone for the duration of one conversion, under a process-wide
    mutex, then restored. This module is the only code in CodeWorm that changes TZ; all
    other timestamps are UTC (gmtime_r), which TZ does not affect. An unknown zone name
    (no file under $TZDIR or /usr/share/zoneinfo) falls back to UTC with a warning.   */
#ifndef CW_SCHEDULE_H
#define CW_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "cw_config.h"

/* ------------------------------------------------------------------ PRNG (splitmix64) */
typedef struct {
    uint64_t state;
} cw_rng_t;

void cw_rng_seed(cw_rng_t *self, uint64_t seed);
uint64_t cw_rng_next(cw_rng_t *self);
/* uniform in [0, 1) */
double cw_rng_double(cw_rng_t *self);
/* uniform integer in [lo, hi] (inclusive; lo > hi are swapped) */
int64_t cw_rng_range(cw_rng_t *self, int64_t lo, int64_t hi);
/* A seed from the OS random source (falls back to time and pid). */
uint64_t cw_rng_os_seed(void);

/* ------------------------------------------------------------------ schedule */
#define CW_SCHEDULE_MISFIRE_GRACE 3600 /* seconds: a run missed by less still runs (once) */
#define CW_SCHEDULE_MAX_PER_DAY 1000

typedef struct {
    int min_per_day;    /* >= 1 */
    int max_per_day;    /* >= min */
    char timezone[128]; /* IANA name, "" = UTC */
    int prefer_hours[24];
    int prefer_count;
    int avoid_hours[24];
    int avoid_count;
    double weekend_reduction; /* 0..1 */
    int min_gap_minutes;
    double interval_seconds; /* > 0: fixed interval mode (seconds, fractions honoured) */
    int misfire_grace;       /* seconds; CW_SCHEDULE_MISFIRE_GRACE */
} cw_schedule_params_t;

/* The reference's weight of hour 0..23 (before prefer/avoid). */
double cw_schedule_base_weight(int hour);
/* Defaults (the reference's schedule section), then config->schedule if config != NULL. */
void cw_schedule_params_init(cw_schedule_params_t *params, const cw_config_t *config);

typedef struct _cw_schedule_t cw_schedule_t;

cw_schedule_t *cw_schedule_new(const cw_schedule_params_t *params, uint64_t seed);
void cw_schedule_destroy(cw_schedule_t **self_p);

/* true when schedule.interval_seconds > 0 */
bool cw_schedule_is_interval(const cw_schedule_t *self);
/* The fixed interval in seconds (0 in human-like mode). */
double cw_schedule_interval(const cw_schedule_t *self);
/* Effective weight of an hour after prefer/avoid. */
double cw_schedule_hour_weight(const cw_schedule_t *self, int hour);
/* The time zone actually used ("UTC" after a fallback). */
const char *cw_schedule_timezone(const cw_schedule_t *self);

/* The commit count drawn for a local date (after the weekend reduction). */
int cw_schedule_day_count(cw_schedule_t *self, int year, int month, int day);
/* The run times of a local date, sorted ascending, at most `max` written to `out`.
   Returns how many (may be fewer than the count when gaps could not be met). */
int cw_schedule_day(cw_schedule_t *self, int year, int month, int day, time_t *out, int max);

/* Human-like mode: the first run time strictly after `now` (today's remaining times, then
   the following days'). Interval mode: now + interval, rounded up to whole seconds (at
   least 1). (time_t)-1 if there is none (every hour avoided). */
time_t cw_schedule_next(cw_schedule_t *self, time_t now);

/* What to do at `now`, given the planned runs up to `last` are done (last = the time the
   previous run was due, or the start time).
   Human-like: if some planned time in (last, now] was missed by less than the misfire
   grace, return the latest such time (<= now: run now, once; *coalesced = how many
   planned times in that window the run stands for); else the next time after now.
   Interval: last + interval (<= now means run now; missed intervals coalesce).
   Times are Unix seconds with fractions (interval mode honours fractional intervals;
   human-like times are whole seconds). -1 if there is none. */
double cw_schedule_due(cw_schedule_t *self, double last, double now, int *coalesced);

/* Local calendar date and time of `t` in the schedule's zone. */
void cw_schedule_localtime(cw_schedule_t *self, time_t t, struct tm *out);
/* UTC time of a local wall-clock time in the schedule's zone (DST gaps normalised). */
time_t cw_schedule_mktime(cw_schedule_t *self, int year, int month, int day, int hour, int minute,
                          int second);

/* 0 = Sunday .. 6 = Saturday, proleptic Gregorian. */
int cw_schedule_weekday(int year, int month, int day);
/* Days since 1970-01-01 of a civil date, and back. */
int64_t cw_schedule_days_from_civil(int year, int month, int day);
void cw_schedule_civil_from_days(int64_t days, int *year, int *month, int *day);

/* ISO 8601 UTC "2024-01-15T18:04:05Z" into out (>= 21 bytes). */
void cw_schedule_iso8601(time_t t, char *out, size_t outlen);

#endif
