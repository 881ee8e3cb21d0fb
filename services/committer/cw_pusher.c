/*  cw_pusher — push scheduling and retries. See cw_pusher.h. */
#include "cw_pusher.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cw_backoff.h"
#include "cw_log.h"
#include "cw_proto.h"

#define RETRY_INITIAL_MS 5000
#define RETRY_MAX_MS 300000

struct _cw_pusher_t {
    cw_devlog_t *devlog;
    cw_publisher_t *publisher;
    cw_push_opts_t opts;
    char problem[1024];
    cw_backoff_t backoff;
    bool pending;    /* a retry waits */
    int64_t next_ms; /* when it is due (monotonic) */
    bool blocked;    /* paused until restart */
    char last_error[1024];
};

static int64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

cw_pusher_t *cw_pusher_new(cw_devlog_t *devlog, const cw_config_t *config,
                           cw_publisher_t *publisher)
{
    if (!devlog || !config)
        return NULL;
    cw_pusher_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->devlog = devlog;
    self->publisher = publisher;
    self->opts.remote = config->devlog.remote;
    self->opts.token = config->devlog.token;
    self->opts.ssh_key = config->devlog.ssh_key;
    const char *fast = getenv("CW_TEST_FAST");
    if (fast && strcmp(fast, "1") == 0)
        cw_backoff_init(&self->backoff, 200, 2000, 2.0, 0.0);
    else
        cw_backoff_init(&self->backoff, RETRY_INITIAL_MS, RETRY_MAX_MS, 2.0, 0.1);
    if (self->opts.remote && *self->opts.remote &&
        cw_devlog_check_remote(cw_devlog_path(devlog), self->opts.remote, self->problem,
                               sizeof self->problem) != 0) {
        char shown[sizeof self->problem];
        snprintf(shown, sizeof shown, "%s", self->problem);
        cw_devlog_scrub(shown, sizeof shown, self->opts.token);
        snprintf(self->problem, sizeof self->problem, "%s", shown);
        cw_error("devlog_remote_problem", CW_LS("reason", self->problem),
                 CW_LS("hint", "commits stay in the local DevLog until this is fixed"), CW_LEND);
        char text[1200];
        snprintf(text, sizeof text, "DevLog pushes cannot work: %s", self->problem);
        cw_publisher_log(publisher, "error", text);
    }
    return self;
}

void cw_pusher_destroy(cw_pusher_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free(*self_p);
    *self_p = NULL;
}

const char *cw_pusher_problem(const cw_pusher_t *self)
{
    return self && self->problem[0] ? self->problem : NULL;
}

bool cw_pusher_pending(const cw_pusher_t *self)
{
    return self && self->pending;
}

void cw_pusher_set_delays(cw_pusher_t *self, int64_t initial_ms, int64_t max_ms)
{
    if (self)
        cw_backoff_init(&self->backoff, initial_ms, max_ms, 2.0, 0.0);
}

/* One attempt; updates the schedule; fills the report. */
static void s_attempt(cw_pusher_t *self, cw_push_report_t *r)
{
    int failures_before = self->backoff.failures;
    r->result =
        cw_devlog_push_with(self->devlog, &self->opts, self->publisher, r->error, sizeof r->error);
    switch (r->result) {
    case CW_PUSH_OK:
        r->state = "pushed";
        if (self->pending) {
            char text[200];
            snprintf(text, sizeof text,
                     "DevLog pushed: the remote is back, after %d failed attempts",
                     failures_before);
            cw_info("push_retry_succeeded", CW_LI("failed_attempts", failures_before), CW_LEND);
            cw_publisher_log(self->publisher, "info", text);
        }
        self->pending = false;
        cw_backoff_reset(&self->backoff);
        break;
    case CW_PUSH_FAILED: {
        int64_t wait = cw_backoff_fail(&self->backoff);
        self->pending = true;
        self->next_ms = s_now_ms() + wait;
        snprintf(self->last_error, sizeof self->last_error, "%s", r->error);
        size_t used = strlen(r->error);
        if (used + 64 < sizeof r->error)
            snprintf(r->error + used, sizeof r->error - used, "; retrying in %lld s",
                     (long long)((wait + 999) / 1000));
        r->state = "retrying";
        cw_info("push_retry_scheduled", CW_LI("in_ms", wait),
                CW_LI("attempt", self->backoff.failures), CW_LEND);
        break;
    }
    case CW_PUSH_REFUSED:
        self->pending = false;
        cw_backoff_reset(&self->backoff);
        r->state = "refused";
        break;
    case CW_PUSH_BLOCKED:
        self->pending = false;
        self->blocked = true;
        snprintf(self->last_error, sizeof self->last_error, "%s", r->error);
        r->state = "blocked";
        break;
    case CW_PUSH_SKIPPED:
        r->state = "not_configured";
        break;
    }
}

void cw_pusher_push(cw_pusher_t *self, cw_push_report_t *r)
{
    memset(r, 0, sizeof *r);
    r->result = CW_PUSH_SKIPPED;
    r->state = "not_configured";
    if (!self || !self->opts.remote || !*self->opts.remote)
        return;
    if (self->blocked) {
        r->result = CW_PUSH_BLOCKED;
        r->state = "blocked";
        snprintf(r->error, sizeof r->error,
                 "pushes are paused until the committer restarts, after: %.900s", self->last_error);
        return;
    }
    if (self->pending) {
        int64_t left = self->next_ms - s_now_ms();
        r->result = CW_PUSH_FAILED;
        r->state = "retrying";
        snprintf(r->error, sizeof r->error, "%.900s; the remote is away, next attempt in %lld s",
                 self->last_error, (long long)(left > 0 ? (left + 999) / 1000 : 0));
        return;
    }
    s_attempt(self, r);
}

int64_t cw_pusher_tick(cw_pusher_t *self)
{
    if (!self || !self->pending || self->blocked)
        return -1;
    int64_t now = s_now_ms();
    if (now < self->next_ms)
        return self->next_ms - now;
    cw_push_report_t r;
    s_attempt(self, &r);
    if (!self->pending)
        return -1;
    now = s_now_ms();
    return self->next_ms > now ? self->next_ms - now : 0;
}
