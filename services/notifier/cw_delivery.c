/*  cw_delivery — dedup, rate limit and retries around one alert POST. See cw_delivery.h. */
#include "cw_delivery.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cw_log.h"

/* ------------------------------------------------------------------ clock */
int64_t cw_clock_monotonic_ms(void *arg)
{
    (void)arg;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void cw_clock_sleep_ms(int64_t ms, void *arg)
{
    (void)arg;
    if (ms <= 0)
        return;
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------------ token bucket */
void cw_token_bucket_init(cw_token_bucket_t *self, int burst, double per_second, int64_t now_ms)
{
    if (burst < 1)
        burst = 1;
    if (per_second <= 0)
        per_second = 1;
    self->capacity = burst;
    self->tokens = burst;
    self->per_ms = per_second / 1000.0;
    self->last_ms = now_ms;
}

int64_t cw_token_bucket_take(cw_token_bucket_t *self, int64_t now_ms)
{
    if (now_ms > self->last_ms) {
        self->tokens += (double)(now_ms - self->last_ms) * self->per_ms;
        if (self->tokens > self->capacity)
            self->tokens = self->capacity;
        self->last_ms = now_ms;
    }
    if (self->tokens >= 1.0 - 1e-9) {
        self->tokens -= 1.0;
        if (self->tokens < 0)
            self->tokens = 0;
        return 0;
    }
    double missing = 1.0 - self->tokens;
    int64_t wait = (int64_t)ceil(missing / self->per_ms - 1e-6);
    return wait > 0 ? wait : 1;
}

/* ------------------------------------------------------------------ dedup */
static uint64_t s_fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    return h;
}

void cw_dedup_init(cw_dedup_t *self, int64_t window_ms)
{
    memset(self, 0, sizeof(*self));
    self->window_ms = window_ms;
}

bool cw_dedup_check(cw_dedup_t *self, const char *text, int64_t now_ms)
{
    uint64_t h = s_fnv1a(text ? text : "");
    int free_slot = -1, oldest = 0;
    for (int i = 0; i < CW_DEDUP_SLOTS; i++) {
        bool live = self->used[i] && now_ms - self->at[i] < self->window_ms;
        if (live && self->hash[i] == h)
            return true;
        if (!live && free_slot < 0)
            free_slot = i;
        if (self->at[i] < self->at[oldest])
            oldest = i;
    }
    int slot = free_slot >= 0 ? free_slot : oldest;
    self->used[slot] = true;
    self->hash[slot] = h;
    self->at[slot] = now_ms;
    return false;
}

/* ------------------------------------------------------------------ delivery */
struct _cw_delivery_t {
    char channel[32];
    char ev_sent[64], ev_failed[64], ev_duplicate[64];
    cw_clock_fn *clock;
    cw_sleep_fn *sleep;
    void *clock_arg;
    int64_t retry_base_ms;
    cw_token_bucket_t bucket;
    cw_dedup_t dedup;
};

static int64_t s_now(cw_delivery_t *self)
{
    return self->clock(self->clock_arg);
}

cw_delivery_t *cw_delivery_new(const char *channel)
{
    cw_delivery_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    snprintf(self->channel, sizeof(self->channel), "%s", channel && *channel ? channel : "alert");
    snprintf(self->ev_sent, sizeof(self->ev_sent), "%s_sent", self->channel);
    snprintf(self->ev_failed, sizeof(self->ev_failed), "%s_send_failed", self->channel);
    snprintf(self->ev_duplicate, sizeof(self->ev_duplicate), "%s_duplicate_suppressed",
             self->channel);
    self->clock = cw_clock_monotonic_ms;
    self->sleep = cw_clock_sleep_ms;
    self->retry_base_ms = CW_DELIVERY_RETRY_BASE_MS;
    cw_token_bucket_init(&self->bucket, CW_DELIVERY_BURST, CW_DELIVERY_RATE_PER_S, s_now(self));
    cw_dedup_init(&self->dedup, CW_DELIVERY_DEDUP_MS);
    return self;
}

void cw_delivery_destroy(cw_delivery_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free(*self_p);
    *self_p = NULL;
}

void cw_delivery_set_clock(cw_delivery_t *self, cw_clock_fn *clock, cw_sleep_fn *sleep, void *arg)
{
    if (!self)
        return;
    self->clock = clock ? clock : cw_clock_monotonic_ms;
    self->sleep = sleep ? sleep : cw_clock_sleep_ms;
    self->clock_arg = arg;
    cw_token_bucket_init(&self->bucket, CW_DELIVERY_BURST, CW_DELIVERY_RATE_PER_S, s_now(self));
}

void cw_delivery_set_retry_base(cw_delivery_t *self, int64_t ms)
{
    if (self && ms >= 0)
        self->retry_base_ms = ms;
}

void cw_delivery_carry(cw_delivery_t *self, const cw_delivery_t *from)
{
    if (!self || !from || self == from)
        return;
    self->dedup = from->dedup;
    self->bucket = from->bucket;
}

int cw_delivery_send(cw_delivery_t *self, const char *dedup_text, cw_delivery_post_fn *post,
                     void *arg)
{
    if (!self || !post)
        return -1;
    if (!dedup_text)
        dedup_text = "";
    if (cw_dedup_check(&self->dedup, dedup_text, s_now(self))) {
        cw_info(self->ev_duplicate, CW_LI("chars", (long long)strlen(dedup_text)), CW_LEND);
        return 1;
    }
    for (int attempt = 1; attempt <= CW_DELIVERY_ATTEMPTS; attempt++) {
        int64_t wait;
        while ((wait = cw_token_bucket_take(&self->bucket, s_now(self))) > 0)
            self->sleep(wait, self->clock_arg);
        cw_delivery_attempt_t a;
        memset(&a, 0, sizeof(a));
        a.retry_after_s = -1;
        post(arg, &a);
        if (a.delivered) {
            cw_info(self->ev_sent, CW_LI("attempt", attempt), CW_LI("status", a.status), CW_LEND);
            return 0;
        }
        int64_t delay = self->retry_base_ms << (attempt - 1); /* 1 s, 2 s between attempts */
        bool final = false;
        if (a.status == 429) {
            int retry_after = a.retry_after_s;
            if (retry_after > CW_DELIVERY_MAX_RETRY_AFTER_S)
                retry_after = CW_DELIVERY_MAX_RETRY_AFTER_S;
            if (retry_after >= 0)
                delay = (int64_t)retry_after * 1000;
        } else if (a.status >= 400 && a.status < 500) {
            final = true; /* bad address, credentials or request: retrying will not help */
        }
        bool retry = !final && attempt < CW_DELIVERY_ATTEMPTS;
        cw_warn(self->ev_failed, CW_LI("attempt", attempt), CW_LI("status", a.status),
                CW_LI("error_code", a.error_code), CW_LS("error", a.error),
                CW_LB("will_retry", retry), CW_LI("retry_in_ms", retry ? delay : 0), CW_LEND);
        if (!retry)
            break;
        self->sleep(delay, self->clock_arg);
    }
    return -1;
}
