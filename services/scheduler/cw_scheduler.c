/*  cw_scheduler — see cw_scheduler.h. */
#include "cw_scheduler.h"

#include <czmq.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "cw_bus.h"
#include "cw_cycle.h"
#include "cw_cycle_pool.h"
#include "cw_cyclelog.h"
#include "cw_log.h"
#include "cw_proto.h"
#include "cw_schedule.h"
#include "cw_service.h"
#include "cw_summary.h"

#ifndef CW_VERSION
#define CW_VERSION "0.0.0"
#endif

#define S_SLICE_MS 200
#define S_ANNOUNCE_MIN_S 1.0 /* next_cycle only for waits this long (not every 50 ms) */

struct _cw_scheduler_t {
    const cw_config_t *config;
    cw_schedule_t *schedule;
    cw_cycle_runner_t *runner; /* this thread's: recovery, events */
    cw_cycle_pool_t *pool;     /* the cycles in flight */
    cw_scheduler_clock_fn *clock;
    void *clock_arg;
    int max_cycles;
    uint64_t seed;                       /* of the schedule: kept across reloads */
    cw_scheduler_reload_hook_fn *reload; /* between cycles: the service's reload step */
    void *reload_arg;
    cw_summary_t *summary;              /* weekly and monthly summaries */
    cw_summary_period_t summary_period; /* the one being written on a pool slot */
    bool summary_running;
};

int64_t cw_scheduler_backoff_seconds(int64_t n)
{
    if (n <= 1)
        return 0;
    if (n > 20)
        return 300;
    int64_t s = 30LL << (n - 1);
    return s > 300 ? 300 : s;
}

int64_t cw_scheduler_llm_wait_seconds(int64_t n)
{
    if (n <= 1)
        return 10;
    if (n > 20)
        return 300;
    int64_t s = 10LL << (n - 1);
    return s > 300 ? 300 : s;
}

static double s_wall_clock(void *arg)
{
    (void)arg;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

cw_scheduler_t *cw_scheduler_new(const cw_config_t *config)
{
    if (!config)
        return NULL;
    cw_scheduler_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->config = config;
    self->clock = s_wall_clock;
    cw_schedule_params_t params;
    cw_schedule_params_init(&params, config);
    self->seed = cw_rng_os_seed();
    self->schedule = cw_schedule_new(&params, self->seed);
    self->runner = cw_cycle_runner_new(config, "scheduler");
    int in_flight = config->schedule.max_in_flight;
    if (in_flight < 1)
        in_flight = 1;
    if (in_flight > CW_CYCLE_POOL_MAX)
        in_flight = CW_CYCLE_POOL_MAX;
    self->pool = cw_cycle_pool_new(config, "scheduler", in_flight);
    self->summary = cw_summary_new(config, cw_cycle_runner_publisher(self->runner));
    if (!self->schedule || !self->runner || !self->pool || !self->summary) {
        cw_scheduler_destroy(&self);
        return NULL;
    }
    return self;
}

void cw_scheduler_destroy(cw_scheduler_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cw_scheduler_t *self = *self_p;
    cw_cycle_pool_destroy(&self->pool);
    cw_summary_destroy(&self->summary);
    cw_cycle_runner_destroy(&self->runner);
    cw_schedule_destroy(&self->schedule);
    free(self);
    *self_p = NULL;
}

void cw_scheduler_set_clock(cw_scheduler_t *self, cw_scheduler_clock_fn *fn, void *arg)
{
    if (!self)
        return;
    self->clock = fn ? fn : s_wall_clock;
    self->clock_arg = fn ? arg : NULL;
}

void cw_scheduler_set_seed(cw_scheduler_t *self, uint64_t seed)
{
    if (!self)
        return;
    cw_schedule_params_t params;
    cw_schedule_params_init(&params, self->config);
    cw_schedule_t *fresh = cw_schedule_new(&params, seed);
    self->seed = seed;
    if (fresh) {
        cw_schedule_destroy(&self->schedule);
        self->schedule = fresh;
    }
    cw_cycle_runner_set_seed(self->runner, seed);
    cw_cycle_pool_set_seed(self->pool, seed);
}

void cw_scheduler_set_max_cycles(cw_scheduler_t *self, int max_cycles)
{
    if (self)
        self->max_cycles = max_cycles > 0 ? max_cycles : 0;
}

void cw_scheduler_set_timeouts(cw_scheduler_t *self, int step_timeout_ms, int step_retries,
                               int generate_timeout_ms, int generate_retries)
{
    if (!self)
        return;
    cw_cycle_runner_set_timeouts(self->runner, step_timeout_ms, step_retries, generate_timeout_ms,
                                 generate_retries);
    cw_cycle_pool_set_timeouts(self->pool, step_timeout_ms, step_retries, generate_timeout_ms,
                               generate_retries);
    cw_summary_set_timeouts(self->summary, step_timeout_ms, step_retries, generate_timeout_ms,
                            generate_retries);
}

static double s_now(cw_scheduler_t *self)
{
    return self->clock(self->clock_arg);
}

/* ------------------------------------------------------------------ reload, dry run */
void cw_scheduler_set_reload_hook(cw_scheduler_t *self, cw_scheduler_reload_hook_fn *fn, void *arg)
{
    if (!self)
        return;
    self->reload = fn;
    self->reload_arg = arg;
}

int cw_scheduler_reload(cw_scheduler_t *self, const cw_config_t *config)
{
    if (!self || !config)
        return -1;
    cw_schedule_params_t params;
    cw_schedule_params_init(&params, config);
    cw_schedule_t *fresh = cw_schedule_new(&params, self->seed);
    if (!fresh)
        return -1;
    cw_schedule_destroy(&self->schedule);
    self->schedule = fresh;
    self->config = config;
    cw_cycle_runner_set_config(self->runner, config);
    cw_cycle_pool_set_config(self->pool, config); /* no cycle is in flight (s_reload_point) */
    cw_summary_t *summary = cw_summary_new(config, cw_cycle_runner_publisher(self->runner));
    if (summary) { /* the time zone may have changed; periods already written stay written */
        cw_summary_destroy(&self->summary);
        self->summary = summary;
    }
    if (config->schedule.max_in_flight != cw_cycle_pool_size(self->pool))
        cw_warn("reload_needs_restart", CW_LS("key", "schedule.max_in_flight"),
                CW_LI("running_with", cw_cycle_pool_size(self->pool)), CW_LEND);
    cw_info("scheduler_reloaded", CW_LB("enabled", config->schedule.enabled),
            CW_LS("mode", cw_schedule_is_interval(fresh) ? "interval" : "human"),
            CW_LF("interval_seconds", config->schedule.interval_seconds),
            CW_LS("timezone", cw_schedule_timezone(fresh)),
            CW_LI("repos", (long long)config->repo_count), CW_LEND);
    return 0;
}

static void s_dry_run_log(void *arg, const cw_value_t *target, const cw_value_t *reply)
{
    (void)arg;
    char display[512];
    cw_cycle_display_name(target, display, sizeof display);
    const char *doc = cw_map_str(reply, "documentation", "");
    cw_info("dry_run_complete", CW_LS("target", display),
            CW_LS("doc_type", cw_map_str(target, "doc_type", "")),
            CW_LS("repo", cw_map_str(target, "repo", "")),
            CW_LS("would_commit", cw_map_str(reply, "commit_message", "")),
            CW_LI("chars", (long long)strlen(doc)), CW_LEND);
}

void cw_scheduler_set_dry_run(cw_scheduler_t *self, bool dry_run)
{
    if (self) {
        cw_cycle_runner_set_dry_run(self->runner, dry_run ? s_dry_run_log : NULL, NULL);
        cw_cycle_pool_set_dry_run(self->pool, dry_run ? s_dry_run_log : NULL, NULL);
    }
}

/* The reload point: true when a new configuration was applied. A pending reload waits
   until no cycle is in flight (the runners read the configuration they started with, and
   the old one is freed by the reload); meanwhile no new cycle starts (*hold set). */
static bool s_reload_point(cw_scheduler_t *self, bool *hold)
{
    if (hold)
        *hold = false;
    if (!self->reload || !cw_service_reload_pending())
        return false;
    if (cw_cycle_pool_busy(self->pool) > 0) {
        if (hold)
            *hold = true;
        return false;
    }
    return self->reload(self, self->reload_arg) == 1;
}

/* issue 10: the failure backoff. A failure the environment caused (disk full, ledger
   locked, broker away) is probed every S_PROBE_EVERY_S during the wait (s_probe); as soon
   as the failed step's service answers again (a commit left open is delivered) the wait
   ends, so work resumes within seconds of the fault's end instead of after up to 300 s. */
#define S_PROBE_EVERY_S 5
#define S_PENDING_PROBE_S 300 /* a commit left open is probed for at least this long */

static void s_publish(cw_scheduler_t *self, const char *name, cw_value_t *fields)
{
    if (!fields)
        return;
    cw_publisher_send(cw_cycle_runner_publisher(self->runner), name, &fields);
    cw_value_destroy(&fields);
}

static void s_publish_stats(cw_scheduler_t *self)
{
    cw_cycle_stats_t st;
    if (cw_cyclelog_stats(cw_cycle_runner_log(self->runner), &st) != 0)
        return;
    cw_value_t *ev = cw_value_new_map();
    cw_map_set_int(ev, "total", st.total);
    cw_map_set_int(ev, "successful", st.successful);
    cw_map_set_int(ev, "failed", st.failed);
    cw_map_set_int(ev, "skipped", st.skipped);
    cw_map_set_int(ev, "consecutive_failures", st.consecutive_failures);
    cw_map_set_int(ev, "consecutive_skips", st.consecutive_skips);
    s_publish(self, CW_EV_STATS, ev);
    cw_info("cycle_stats", CW_LI("total", st.total), CW_LI("successful", st.successful),
            CW_LI("failed", st.failed), CW_LI("skipped", st.skipped),
            CW_LI("consecutive_failures", st.consecutive_failures), CW_LEND);
}

static void s_announce(cw_scheduler_t *self, double at, double now)
{
    char iso[32];
    cw_schedule_iso8601((time_t)at, iso, sizeof iso);
    int64_t seconds = (int64_t)ceil(at - now);
    cw_value_t *ev = cw_value_new_map();
    cw_map_set_str(ev, "at", iso);
    cw_map_set_int(ev, "seconds", seconds);
    s_publish(self, CW_EV_NEXT_CYCLE, ev);
    cw_info("next_cycle", CW_LS("at", iso), CW_LI("seconds", seconds),
            CW_LS("timezone", cw_schedule_timezone(self->schedule)), CW_LEND);
}

/* The loop's state between outcomes. */
typedef struct {
    int started;          /* scheduled cycles started (LLM retries not counted) */
    int completed;        /* outcomes other than "LLM unavailable" */
    int retries;          /* cycles to run again once the LLM wait is over */
    int64_t llm_failures; /* consecutive LLM-unavailable episodes */
    double paused_until;  /* no new cycle before this (LLM wait, failure backoff) */
    bool probing;         /* the backoff is for an environmental failure: probe it */
    double next_probe;
    cw_cycle_outcome_t failed; /* the environmental failure being probed */
} s_loop_t;

static bool s_summary_outcome(cw_scheduler_t *self, const cw_cycle_outcome_t *o, double now);

static void s_on_outcome(cw_scheduler_t *self, s_loop_t *l, const cw_cycle_outcome_t *o)
{
    double now = s_now(self);
    if (s_summary_outcome(self, o, now))
        return;
    if (o->result == CW_CYCLE_LLM_DOWN && !zsys_interrupted) {
        l->retries++;
        if (l->paused_until <= now) { /* one episode, however many cycles saw it */
            l->llm_failures++;
            int64_t wait = cw_scheduler_llm_wait_seconds(l->llm_failures);
            cw_warn("llm_unavailable_wait", CW_LI("consecutive", l->llm_failures),
                    CW_LI("retry_seconds", wait), CW_LS("reason", o->reason), CW_LEND);
            l->paused_until = now + (double)wait;
        }
        return;
    }
    if (o->result != CW_CYCLE_LLM_DOWN && l->llm_failures > 0) {
        cw_info("llm_available_again", CW_LI("after_failures", l->llm_failures), CW_LEND);
        l->llm_failures = 0;
    }
    l->completed++;
    s_publish_stats(self);
    if (o->result == CW_CYCLE_FAILED && !zsys_interrupted) {
        cw_cycle_stats_t st;
        if (cw_cyclelog_stats(cw_cycle_runner_log(self->runner), &st) == 0) {
            int64_t wait = cw_scheduler_backoff_seconds(st.consecutive_failures);
            /* a document waiting for its commit is probed for even after a first failure,
               whatever the schedule (issue 10) */
            if (o->environmental && strcmp(o->step, "commit") == 0 && wait < S_PENDING_PROBE_S)
                wait = S_PENDING_PROBE_S;
            bool more = self->max_cycles == 0 || l->completed < self->max_cycles;
            if (wait > 0 && more && now + (double)wait > l->paused_until) {
                cw_warn("cycle_backoff", CW_LI("consecutive", st.consecutive_failures),
                        CW_LI("seconds", wait), CW_LB("probing", o->environmental), CW_LEND);
                l->paused_until = now + (double)wait;
                l->probing = o->environmental;
                l->next_probe = now + S_PROBE_EVERY_S;
                l->failed = *o;
            }
        }
    }
}

/* Collect finished cycles, waiting up to wait_ms for the first. */
static void s_collect(cw_scheduler_t *self, s_loop_t *l, int wait_ms)
{
    cw_cycle_outcome_t o;
    while (cw_cycle_pool_wait(self->pool, wait_ms, &o) == 1) {
        s_on_outcome(self, l, &o);
        wait_ms = 0;
    }
}

static int s_wait_ms(double seconds)
{
    if (seconds <= 0)
        return 0;
    double ms = ceil(seconds * 1000.0);
    return ms > S_SLICE_MS ? S_SLICE_MS : (int)ms;
}

static void s_start(cw_scheduler_t *self)
{
    if (cw_cycle_pool_start(self->pool, NULL) != 0)
        cw_warn("cycle_not_started", CW_LS("reason", "no free slot"), CW_LEND);
}

/* ---- weekly and monthly summaries: written on a pool slot (minutes with a real LLM),
   one at a time, when the period has ended; the outcome comes back like a cycle's, tagged */
static char s_summary_tag;

static void s_summary_job(cw_cycle_runner_t *runner, void *arg, cw_cycle_outcome_t *o)
{
    cw_scheduler_t *self = arg;
    int rc = cw_summary_run_with(self->summary, cw_cycle_runner_client(runner),
                                 cw_cycle_runner_publisher(runner), &self->summary_period);
    o->tag = &s_summary_tag;
    o->result = rc > 0 ? CW_CYCLE_COMMITTED : rc == 0 ? CW_CYCLE_SKIPPED : CW_CYCLE_FAILED;
}

static void s_summary_start(cw_scheduler_t *self, double now)
{
    if (self->summary_running || cw_cycle_pool_idle(self->pool) == 0 ||
        !cw_summary_due(self->summary, (time_t)now, &self->summary_period))
        return;
    if (cw_cycle_pool_start_job(self->pool, s_summary_job, self) == 0)
        self->summary_running = true;
}

/* true when `o` was a summary's (then it is settled here, not counted as a cycle) */
static bool s_summary_outcome(cw_scheduler_t *self, const cw_cycle_outcome_t *o, double now)
{
    if (o->tag != &s_summary_tag)
        return false;
    int rc = o->result == CW_CYCLE_COMMITTED ? 1 : o->result == CW_CYCLE_SKIPPED ? 0 : -1;
    cw_summary_done(self->summary, &self->summary_period, rc, (time_t)now);
    self->summary_running = false;
    return true;
}

static void s_run_schedule(cw_scheduler_t *self)
{
    int in_flight = cw_cycle_pool_size(self->pool);
    cw_info("scheduler_started",
            CW_LS("mode", cw_schedule_is_interval(self->schedule) ? "interval" : "human"),
            CW_LF("interval_seconds", self->config->schedule.interval_seconds),
            CW_LI("max_in_flight", in_flight),
            CW_LS("timezone", cw_schedule_timezone(self->schedule)), CW_LEND);
    cw_cycle_recover(self->runner);

    s_loop_t l = {0};
    double last = s_now(self);
    double announced = -1.0;
    while (!zsys_interrupted) {
        bool hold = false;
        if (s_reload_point(self, &hold)) {
            announced = -1.0;
            if (!self->config->schedule.enabled)
                break; /* disabled: the cycles in flight are done (a reload waits for them) */
            continue;
        }
        if (hold) { /* a reload waits for the cycles in flight: start none */
            s_collect(self, &l, S_SLICE_MS);
            continue;
        }
        s_summary_start(self, s_now(self)); /* a week or a month just ended? */
        bool more = self->max_cycles == 0 || l.started < self->max_cycles;
        if (self->max_cycles > 0 && l.completed >= self->max_cycles)
            break;
        double now = s_now(self);
        /* LLM retries first, once the wait is over */
        if (l.retries > 0 && now >= l.paused_until && cw_cycle_pool_idle(self->pool) > 0) {
            l.retries--;
            s_start(self);
            continue;
        }
        if (l.probing && now < l.paused_until && now >= l.next_probe) {
            if (cw_cycle_probe(self->runner, &l.failed)) {
                cw_info("environment_recovered", CW_LS("step", l.failed.step),
                        CW_LI("backoff_left_s", (int64_t)(l.paused_until - s_now(self))), CW_LEND);
                l.paused_until = s_now(self);
                l.probing = false;
                continue;
            }
            l.next_probe = s_now(self) + S_PROBE_EVERY_S;
        }
        if (!more || l.retries > 0 || now < l.paused_until) {
            s_collect(self, &l,
                      l.paused_until > now ? s_wait_ms(l.paused_until - now) : S_SLICE_MS);
            continue;
        }
        int coalesced = 0;
        double due = cw_schedule_due(self->schedule, last, now, &coalesced);
        if (due < 0) {
            cw_warn("no_run_time", CW_LS("hint", "every hour is avoided"), CW_LEND);
            double until = now + 60.0;
            while (!zsys_interrupted && s_now(self) < until)
                s_collect(self, &l, s_wait_ms(until - s_now(self)));
            continue;
        }
        if (due > now) {
            if (due != announced && due - now >= S_ANNOUNCE_MIN_S) {
                s_announce(self, due, now);
                announced = due;
            }
            s_collect(self, &l, s_wait_ms(due - now));
            continue;
        }
        /* due: one cycle, as soon as a slot is free */
        if (cw_cycle_pool_idle(self->pool) == 0) {
            s_collect(self, &l, S_SLICE_MS);
            continue;
        }
        if (coalesced > 1)
            cw_info("missed_runs_coalesced", CW_LI("missed", coalesced), CW_LEND);
        last = now;
        l.started++;
        s_start(self);
        s_collect(self, &l, 0);
    }
    /* the cycles in flight end on their own (or at their next request when interrupted) */
    while (cw_cycle_pool_busy(self->pool) > 0)
        s_collect(self, &l, S_SLICE_MS);
}

int cw_scheduler_run(cw_scheduler_t *self)
{
    if (!self)
        return 1;
    cw_value_t *ev = cw_value_new_map();
    cw_map_set_int(ev, "pid", (int64_t)getpid());
    cw_map_set_str(ev, "version", CW_VERSION);
    s_publish(self, CW_EV_SERVICE_STARTED, ev);

    /* schedule.enabled false: idle (a reload may enable it) */
    if (!self->config->schedule.enabled)
        cw_info("schedule_disabled", CW_LS("hint", "schedule.enabled is false: no cycles will run"),
                CW_LEND);
    while (!zsys_interrupted) {
        if (!self->config->schedule.enabled) { /* idle until a reload enables it */
            zclock_sleep(S_SLICE_MS);
            s_reload_point(self, NULL);
            continue;
        }
        s_run_schedule(self); /* returns when interrupted, done, or disabled by a reload */
        if (self->max_cycles > 0)
            break;
    }
    ev = cw_value_new_map();
    cw_map_set_int(ev, "pid", (int64_t)getpid());
    cw_map_set_str(ev, "reason", zsys_interrupted ? "signal" : "done");
    s_publish(self, CW_EV_SERVICE_STOPPING, ev);
    cw_info("scheduler_stopping", CW_LEND);
    return 0;
}
