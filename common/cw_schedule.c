/*  cw_schedule — see cw_schedule.h. */
#include "cw_schedule.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cw_log.h"

/* ------------------------------------------------------------------ PRNG */
void cw_rng_seed(cw_rng_t *self, uint64_t seed)
{
    self->state = seed;
}

uint64_t cw_rng_next(cw_rng_t *self)
{
    uint64_t z = (self->state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

double cw_rng_double(cw_rng_t *self)
{
    return (double)(cw_rng_next(self) >> 11) * (1.0 / 9007199254740992.0);
}

int64_t cw_rng_range(cw_rng_t *self, int64_t lo, int64_t hi)
{
    if (lo > hi) {
        int64_t t = lo;
        lo = hi;
        hi = t;
    }
    uint64_t span = (uint64_t)(hi - lo) + 1;
    if (span == 0) /* the full 64-bit range */
        return (int64_t)cw_rng_next(self);
    /* rejection sampling: no modulo bias */
    uint64_t limit = UINT64_MAX - (UINT64_MAX % span);
    uint64_t r;
    do {
        r = cw_rng_next(self);
    } while (r >= limit);
    return lo + (int64_t)(r % span);
}

uint64_t cw_rng_os_seed(void)
{
    uint64_t seed = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, &seed, sizeof seed);
        close(fd);
        if (n == (ssize_t)sizeof seed)
            return seed;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 40);
}

/* ------------------------------------------------------------------ calendar */
int64_t cw_schedule_days_from_civil(int y, int m, int d)
{
    /* Howard Hinnant's algorithm */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void cw_schedule_civil_from_days(int64_t z, int *year, int *month, int *day)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp + (mp < 10 ? 3 : -9);
    *year = (int)(y + (m <= 2));
    *month = (int)m;
    *day = (int)d;
}

int cw_schedule_weekday(int year, int month, int day)
{
    int64_t z = cw_schedule_days_from_civil(year, month, day);
    /* 1970-01-01 was a Thursday (4) */
    int64_t w = (z + 4) % 7;
    if (w < 0)
        w += 7;
    return (int)w;
}

void cw_schedule_iso8601(time_t t, char *out, size_t outlen)
{
    struct tm tm;
    if (!out || outlen == 0)
        return;
    if (!gmtime_r(&t, &tm)) {
        snprintf(out, outlen, "1970-01-01T00:00:00Z");
        return;
    }
    strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ------------------------------------------------------------------ schedule */
static const double s_base_weights[24] = {0.02, 0.01, 0.005, 0.0,  0.0,  0.0,  0.01, 0.03,
                                          0.08, 0.12, 0.15,  0.14, 0.08, 0.10, 0.14, 0.15,
                                          0.14, 0.10, 0.06,  0.05, 0.10, 0.12, 0.10, 0.05};

struct _cw_schedule_t {
    cw_schedule_params_t params;
    uint64_t seed;
    double weights[24];
    double total_weight;
    char tz[128]; /* "" = UTC */
};

/* Process-wide: TZ is a process attribute. */
static pthread_mutex_t s_tz_mutex = PTHREAD_MUTEX_INITIALIZER;

double cw_schedule_base_weight(int hour)
{
    if (hour < 0 || hour > 23)
        return 0.0;
    return s_base_weights[hour];
}

void cw_schedule_params_init(cw_schedule_params_t *p, const cw_config_t *config)
{
    static const int prefer[] = {9, 10, 11, 14, 15, 16, 20, 21, 22};
    static const int avoid[] = {3, 4, 5, 6, 7};
    memset(p, 0, sizeof *p);
    p->min_per_day = 12;
    p->max_per_day = 18;
    snprintf(p->timezone, sizeof p->timezone, "America/Los_Angeles");
    p->prefer_count = (int)(sizeof prefer / sizeof prefer[0]);
    memcpy(p->prefer_hours, prefer, sizeof prefer);
    p->avoid_count = (int)(sizeof avoid / sizeof avoid[0]);
    memcpy(p->avoid_hours, avoid, sizeof avoid);
    p->weekend_reduction = 0.7;
    p->min_gap_minutes = 30;
    p->interval_seconds = 0.0;
    p->misfire_grace = CW_SCHEDULE_MISFIRE_GRACE;
    if (!config)
        return;
    p->min_per_day = config->schedule.min_commits_per_day;
    p->max_per_day = config->schedule.max_commits_per_day;
    snprintf(p->timezone, sizeof p->timezone, "%s",
             config->schedule.timezone ? config->schedule.timezone : "");
    p->prefer_count = config->schedule.prefer_hours_count;
    if (p->prefer_count < 0 || p->prefer_count > 24)
        p->prefer_count = 0;
    memcpy(p->prefer_hours, config->schedule.prefer_hours, sizeof p->prefer_hours);
    p->avoid_count = config->schedule.avoid_hours_count;
    if (p->avoid_count < 0 || p->avoid_count > 24)
        p->avoid_count = 0;
    memcpy(p->avoid_hours, config->schedule.avoid_hours, sizeof p->avoid_hours);
    p->weekend_reduction = config->schedule.weekend_reduction;
    p->min_gap_minutes = config->schedule.min_gap_minutes;
    p->interval_seconds = config->schedule.interval_seconds;
}

static bool s_tz_known(const char *tz)
{
    if (!tz || !*tz)
        return false;
    if (strcmp(tz, "UTC") == 0 || strcmp(tz, "GMT") == 0)
        return true;
    if (tz[0] == '/' || strstr(tz, "..") || strlen(tz) > 100)
        return false;
    for (const char *c = tz; *c; c++) {
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
              *c == '/' || *c == '_' || *c == '-' || *c == '+'))
            return false;
    }
    const char *dir = getenv("TZDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/%s", (dir && *dir) ? dir : "/usr/share/zoneinfo", tz);
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

cw_schedule_t *cw_schedule_new(const cw_schedule_params_t *params, uint64_t seed)
{
    if (!params)
        return NULL;
    cw_schedule_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->params = *params;
    self->seed = seed;
    cw_schedule_params_t *p = &self->params;
    if (p->min_per_day < 1)
        p->min_per_day = 1;
    if (p->max_per_day < 1)
        p->max_per_day = 1;
    if (p->min_per_day > CW_SCHEDULE_MAX_PER_DAY)
        p->min_per_day = CW_SCHEDULE_MAX_PER_DAY;
    if (p->max_per_day > CW_SCHEDULE_MAX_PER_DAY)
        p->max_per_day = CW_SCHEDULE_MAX_PER_DAY;
    if (p->min_per_day > p->max_per_day) {
        int t = p->min_per_day;
        p->min_per_day = p->max_per_day;
        p->max_per_day = t;
    }
    if (!(p->weekend_reduction >= 0.0)) /* also NaN */
        p->weekend_reduction = 0.0;
    if (p->weekend_reduction > 1.0)
        p->weekend_reduction = 1.0;
    if (p->min_gap_minutes < 0)
        p->min_gap_minutes = 0;
    if (p->min_gap_minutes > 24 * 60)
        p->min_gap_minutes = 24 * 60;
    if (!(p->interval_seconds > 0.0)) /* also NaN */
        p->interval_seconds = 0.0;
    else if (p->interval_seconds < 0.01)
        p->interval_seconds = 0.01;
    if (p->misfire_grace < 0)
        p->misfire_grace = 0;
    if (p->prefer_count < 0 || p->prefer_count > 24)
        p->prefer_count = 0;
    if (p->avoid_count < 0 || p->avoid_count > 24)
        p->avoid_count = 0;

    for (int h = 0; h < 24; h++)
        self->weights[h] = s_base_weights[h];
    for (int i = 0; i < p->prefer_count; i++) {
        int h = p->prefer_hours[i];
        if (h >= 0 && h < 24)
            self->weights[h] *= 1.5;
    }
    for (int i = 0; i < p->avoid_count; i++) {
        int h = p->avoid_hours[i];
        if (h >= 0 && h < 24)
            self->weights[h] = 0.0;
    }
    self->total_weight = 0.0;
    for (int h = 0; h < 24; h++)
        self->total_weight += self->weights[h];

    p->timezone[sizeof p->timezone - 1] = '\0';
    if (p->timezone[0] == '\0' || strcmp(p->timezone, "UTC") == 0) {
        self->tz[0] = '\0';
    } else if (s_tz_known(p->timezone)) {
        snprintf(self->tz, sizeof self->tz, "%s", p->timezone);
    } else {
        cw_warn("schedule_timezone_unknown", CW_LS("timezone", p->timezone), CW_LS("using", "UTC"),
                CW_LEND);
        self->tz[0] = '\0';
    }
    if (self->total_weight <= 0.0 && !(p->interval_seconds > 0.0))
        cw_warn("schedule_all_hours_avoided", CW_LS("hint", "no run time can be drawn"), CW_LEND);
    return self;
}

void cw_schedule_destroy(cw_schedule_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free(*self_p);
    *self_p = NULL;
}

bool cw_schedule_is_interval(const cw_schedule_t *self)
{
    return self && self->params.interval_seconds > 0.0;
}

double cw_schedule_interval(const cw_schedule_t *self)
{
    return self ? self->params.interval_seconds : 0.0;
}

double cw_schedule_hour_weight(const cw_schedule_t *self, int hour)
{
    if (!self || hour < 0 || hour > 23)
        return 0.0;
    return self->weights[hour];
}

const char *cw_schedule_timezone(const cw_schedule_t *self)
{
    return (self && self->tz[0]) ? self->tz : "UTC";
}

/* ---- TZ switching under the mutex */
typedef struct {
    char *saved;
    bool had;
} s_tz_state_t;

static void s_tz_enter(const cw_schedule_t *self, s_tz_state_t *st)
{
    pthread_mutex_lock(&s_tz_mutex);
    const char *old = getenv("TZ");
    st->had = old != NULL;
    st->saved = old ? strdup(old) : NULL;
    setenv("TZ", self->tz[0] ? self->tz : "UTC0", 1);
    tzset();
}

static void s_tz_leave(s_tz_state_t *st)
{
    if (st->had && st->saved)
        setenv("TZ", st->saved, 1);
    else
        unsetenv("TZ");
    tzset();
    free(st->saved);
    st->saved = NULL;
    pthread_mutex_unlock(&s_tz_mutex);
}

void cw_schedule_localtime(cw_schedule_t *self, time_t t, struct tm *out)
{
    memset(out, 0, sizeof *out);
    if (!self || !self->tz[0]) {
        gmtime_r(&t, out);
        return;
    }
    s_tz_state_t st;
    s_tz_enter(self, &st);
    localtime_r(&t, out);
    s_tz_leave(&st);
}

time_t cw_schedule_mktime(cw_schedule_t *self, int year, int month, int day, int hour, int minute,
                          int second)
{
    if (!self || !self->tz[0]) {
        int64_t days = cw_schedule_days_from_civil(year, month, day);
        return (time_t)(days * 86400 + hour * 3600 + minute * 60 + second);
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    tm.tm_isdst = -1;
    s_tz_state_t st;
    s_tz_enter(self, &st);
    time_t t = mktime(&tm);
    s_tz_leave(&st);
    return t;
}

/* ---- one day's draws */
static void s_day_rng(const cw_schedule_t *self, int y, int m, int d, cw_rng_t *rng)
{
    int64_t days = cw_schedule_days_from_civil(y, m, d);
    cw_rng_t mix;
    cw_rng_seed(&mix, self->seed ^ ((uint64_t)days * 0xD1B54A32D192ED03ULL));
    cw_rng_seed(rng, cw_rng_next(&mix));
}

static int s_draw_count(const cw_schedule_t *self, int y, int m, int d, cw_rng_t *rng)
{
    int count = (int)cw_rng_range(rng, self->params.min_per_day, self->params.max_per_day);
    int wd = cw_schedule_weekday(y, m, d);
    if (wd == 0 || wd == 6) {
        count = (int)floor((double)count * self->params.weekend_reduction);
        if (count < 3)
            count = 3;
    }
    return count;
}

int cw_schedule_day_count(cw_schedule_t *self, int year, int month, int day)
{
    if (!self)
        return 0;
    cw_rng_t rng;
    s_day_rng(self, year, month, day, &rng);
    return s_draw_count(self, year, month, day, &rng);
}

static int s_draw_hour(const cw_schedule_t *self, cw_rng_t *rng)
{
    double r = cw_rng_double(rng) * self->total_weight;
    double cum = 0.0;
    int last = -1;
    for (int h = 0; h < 24; h++) {
        if (self->weights[h] <= 0.0)
            continue;
        cum += self->weights[h];
        last = h;
        if (r < cum)
            return h;
    }
    return last; /* rounding at the top end */
}

static int s_cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int s_cmp_time(const void *a, const void *b)
{
    time_t x = *(const time_t *)a, y = *(const time_t *)b;
    return (x > y) - (x < y);
}

/* seconds of the local day, sorted; returns how many */
static int s_day_seconds(const cw_schedule_t *self, int y, int m, int d, int *secs)
{
    if (self->total_weight <= 0.0)
        return 0;
    cw_rng_t rng;
    s_day_rng(self, y, m, d, &rng);
    int count = s_draw_count(self, y, m, d, &rng);
    if (count > CW_SCHEDULE_MAX_PER_DAY)
        count = CW_SCHEDULE_MAX_PER_DAY;
    int gap = self->params.min_gap_minutes * 60;
    int n = 0;
    for (int attempt = 0; attempt < 10 * count && n < count; attempt++) {
        int hour = s_draw_hour(self, &rng);
        if (hour < 0)
            break;
        int minute = (int)cw_rng_range(&rng, 0, 59);
        int second = (int)cw_rng_range(&rng, 0, 59);
        int s = hour * 3600 + minute * 60 + second;
        bool ok = true;
        for (int i = 0; i < n && ok; i++) {
            int diff = s > secs[i] ? s - secs[i] : secs[i] - s;
            if (diff < gap)
                ok = false;
        }
        if (ok)
            secs[n++] = s;
    }
    qsort(secs, (size_t)n, sizeof secs[0], s_cmp_int);
    return n;
}

int cw_schedule_day(cw_schedule_t *self, int year, int month, int day, time_t *out, int max)
{
    if (!self || !out || max <= 0)
        return 0;
    int secs[CW_SCHEDULE_MAX_PER_DAY];
    int n = s_day_seconds(self, year, month, day, secs);
    if (n > max)
        n = max;
    for (int i = 0; i < n; i++)
        out[i] = cw_schedule_mktime(self, year, month, day, secs[i] / 3600, (secs[i] / 60) % 60,
                                    secs[i] % 60);
    /* a DST change can reorder two normalised times */
    qsort(out, (size_t)n, sizeof out[0], s_cmp_time);
    return n;
}

static void s_local_date(cw_schedule_t *self, time_t t, int *y, int *m, int *d)
{
    struct tm tm;
    cw_schedule_localtime(self, t, &tm);
    *y = tm.tm_year + 1900;
    *m = tm.tm_mon + 1;
    *d = tm.tm_mday;
}

time_t cw_schedule_next(cw_schedule_t *self, time_t now)
{
    if (!self)
        return (time_t)-1;
    if (self->params.interval_seconds > 0.0) {
        time_t step = (time_t)ceil(self->params.interval_seconds);
        return now + (step < 1 ? 1 : step);
    }
    int y, m, d;
    s_local_date(self, now, &y, &m, &d);
    int64_t day0 = cw_schedule_days_from_civil(y, m, d);
    time_t times[CW_SCHEDULE_MAX_PER_DAY];
    /* start one day back: a DST shift can move early times of a day across midnight */
    for (int64_t k = -1; k <= 8; k++) {
        int yy, mm, dd;
        cw_schedule_civil_from_days(day0 + k, &yy, &mm, &dd);
        int n = cw_schedule_day(self, yy, mm, dd, times, CW_SCHEDULE_MAX_PER_DAY);
        for (int i = 0; i < n; i++)
            if (times[i] > now)
                return times[i];
    }
    return (time_t)-1;
}

double cw_schedule_due(cw_schedule_t *self, double last_d, double now_d, int *coalesced)
{
    if (coalesced)
        *coalesced = 0;
    if (!self)
        return -1.0;
    double interval = self->params.interval_seconds;
    if (interval > 0.0) {
        double due = last_d + interval;
        if (due <= now_d && coalesced) {
            double n = floor((now_d - last_d) / interval);
            *coalesced = n < 1.0 ? 1 : (n > 1e9 ? 1000000000 : (int)n);
        }
        return due;
    }
    time_t last = (time_t)floor(last_d), now = (time_t)floor(now_d);
    time_t grace = self->params.misfire_grace;
    time_t from = last;
    if (now - grace > from)
        from = now - grace; /* older times are beyond the grace anyway */
    time_t latest = (time_t)-1;
    int count = 0;
    if (from < now) {
        int y, m, d;
        s_local_date(self, from, &y, &m, &d);
        int64_t day0 = cw_schedule_days_from_civil(y, m, d);
        int ny, nm, nd;
        s_local_date(self, now, &ny, &nm, &nd);
        int64_t day1 = cw_schedule_days_from_civil(ny, nm, nd);
        time_t times[CW_SCHEDULE_MAX_PER_DAY];
        for (int64_t k = day0 - 1; k <= day1 && k <= day0 + 3; k++) {
            int yy, mm, dd;
            cw_schedule_civil_from_days(k, &yy, &mm, &dd);
            int n = cw_schedule_day(self, yy, mm, dd, times, CW_SCHEDULE_MAX_PER_DAY);
            for (int i = 0; i < n; i++) {
                if (times[i] > from && times[i] <= now) {
                    count++;
                    if (times[i] > latest)
                        latest = times[i];
                }
            }
        }
    }
    if (latest != (time_t)-1 && now - latest < grace) {
        if (coalesced)
            *coalesced = count;
        return (double)latest;
    }
    time_t next = cw_schedule_next(self, now);
    return next == (time_t)-1 ? -1.0 : (double)next;
}
