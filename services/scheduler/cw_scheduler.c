/*  cw_scheduler — see cw_scheduler.h. */
#include "cw_scheduler.h"

#include <czmq.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cw_bus.h"
#include "cw_cycle.h"
#include "cw_cyclelog.h"
#include "cw_log.h"
#include "cw_proto.h"
#include "cw_schedule.h"

#ifndef CW_VERSION
#define CW_VERSION "0.0.0"
#endif

#define S_SLICE_MS 200

struct _cw_scheduler_t {
    const cw_config_t *config;
    cw_schedule_t *schedule;
    cw_cycle_runner_t *runner;
    cw_scheduler_clock_fn *clock;
    void *clock_arg;
    int max_cycles;
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

static time_t s_wall_clock(void *arg)
{
    (void)arg;
    return time(NULL);
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
    self->schedule = cw_schedule_new(&params, cw_rng_os_seed());
    self->runner = cw_cycle_runner_new(config, "scheduler");
    if (!self->schedule || !self->runner) {
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
    if (fresh) {
        cw_schedule_destroy(&self->schedule);
        self->schedule = fresh;
    }
    cw_cycle_runner_set_seed(self->runner, seed);
}

void cw_scheduler_set_max_cycles(cw_scheduler_t *self, int max_cycles)
{
    if (self)
        self->max_cycles = max_cycles > 0 ? max_cycles : 0;
}

void cw_scheduler_set_timeouts(cw_scheduler_t *self, int step_timeout_ms, int step_retries,
                               int generate_timeout_ms, int generate_retries)
{
    if (self)
        cw_cycle_runner_set_timeouts(self->runner, step_timeout_ms, step_retries,
                                     generate_timeout_ms, generate_retries);
}

static time_t s_now(cw_scheduler_t *self)
{
    return self->clock(self->clock_arg);
}

/* Sleep until the clock reaches `until`, in small slices; false if interrupted. */
static bool s_sleep_until(cw_scheduler_t *self, time_t until)
{
    while (!zsys_interrupted) {
        time_t now = s_now(self);
        if (now >= until)
            return true;
        int64_t ms = (int64_t)(until - now) * 1000;
        zclock_sleep((int)(ms < S_SLICE_MS ? ms : S_SLICE_MS));
    }
    return false;
}

/* issue 10: the failure backoff. A failure the environment caused (disk full, ledger
   locked, broker away) is probed every S_PROBE_EVERY_S; as soon as the failed step's
   service answers again (a commit left open is delivered) the wait ends, so work resumes
   within seconds of the fault's end instead of after up to 300 s. */
#define S_PROBE_EVERY_S 5
#define S_PENDING_PROBE_S 300 /* a commit left open is probed for at least this long */

static void s_backoff(cw_scheduler_t *self, const cw_cycle_outcome_t *outcome, time_t until)
{
    if (!outcome->environmental) {
        s_sleep_until(self, until);
        return;
    }
    while (!zsys_interrupted && s_now(self) < until) {
        time_t next = s_now(self) + S_PROBE_EVERY_S;
        if (!s_sleep_until(self, next < until ? next : until))
            return;
        if (cw_cycle_probe(self->runner, outcome)) {
            cw_info("environment_recovered", CW_LS("step", outcome->step),
                    CW_LI("backoff_left_s", (int64_t)(until - s_now(self))), CW_LEND);
            return;
        }
    }
}

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

static void s_announce(cw_scheduler_t *self, time_t at, time_t now)
{
    char iso[32];
    cw_schedule_iso8601(at, iso, sizeof iso);
    cw_value_t *ev = cw_value_new_map();
    cw_map_set_str(ev, "at", iso);
    cw_map_set_int(ev, "seconds", (int64_t)(at - now));
    s_publish(self, CW_EV_NEXT_CYCLE, ev);
    cw_info("next_cycle", CW_LS("at", iso), CW_LI("seconds", (int64_t)(at - now)),
            CW_LS("timezone", cw_schedule_timezone(self->schedule)), CW_LEND);
}

int cw_scheduler_run(cw_scheduler_t *self)
{
    if (!self)
        return 1;
    cw_value_t *ev = cw_value_new_map();
    cw_map_set_int(ev, "pid", (int64_t)getpid());
    cw_map_set_str(ev, "version", CW_VERSION);
    s_publish(self, CW_EV_SERVICE_STARTED, ev);

    if (!self->config->schedule.enabled) {
        cw_info("schedule_disabled", CW_LS("hint", "schedule.enabled is false: no cycles will run"),
                CW_LEND);
        while (!zsys_interrupted)
            zclock_sleep(S_SLICE_MS);
    } else {
        if (self->config->schedule.max_in_flight > 1)
            cw_warn("max_in_flight_unsupported",
                    CW_LI("max_in_flight", self->config->schedule.max_in_flight),
                    CW_LS("hint", "cycles run one at a time in this version"), CW_LEND);
        cw_info("scheduler_started",
                CW_LS("mode", cw_schedule_is_interval(self->schedule) ? "interval" : "human"),
                CW_LI("interval_seconds", self->config->schedule.interval_seconds),
                CW_LS("timezone", cw_schedule_timezone(self->schedule)), CW_LEND);
        cw_cycle_recover(self->runner);

        time_t last = s_now(self);
        time_t announced = (time_t)-1;
        int cycles = 0;
        int64_t llm_failures = 0;
        while (!zsys_interrupted && (self->max_cycles == 0 || cycles < self->max_cycles)) {
            time_t now = s_now(self);
            int coalesced = 0;
            time_t due = cw_schedule_due(self->schedule, last, now, &coalesced);
            if (due == (time_t)-1) {
                cw_warn("no_run_time", CW_LS("hint", "every hour is avoided"), CW_LEND);
                s_sleep_until(self, now + 60);
                continue;
            }
            if (due > now) {
                if (due != announced) {
                    s_announce(self, due, now);
                    announced = due;
                }
                s_sleep_until(self, due);
                continue;
            }
            if (coalesced > 1)
                cw_info("missed_runs_coalesced", CW_LI("missed", coalesced), CW_LEND);
            last = now;

            cw_cycle_outcome_t outcome;
            cw_cycle_result_t result = cw_cycle_run(self->runner, &outcome);
            while (result == CW_CYCLE_LLM_DOWN && !zsys_interrupted) {
                llm_failures++;
                int64_t wait = cw_scheduler_llm_wait_seconds(llm_failures);
                cw_warn("llm_unavailable_wait", CW_LI("consecutive", llm_failures),
                        CW_LI("retry_seconds", wait), CW_LS("reason", outcome.reason), CW_LEND);
                if (!s_sleep_until(self, s_now(self) + wait))
                    break;
                result = cw_cycle_run(self->runner, &outcome);
            }
            if (result != CW_CYCLE_LLM_DOWN && llm_failures > 0) {
                cw_info("llm_available_again", CW_LI("after_failures", llm_failures), CW_LEND);
                llm_failures = 0;
            }
            cycles++;
            s_publish_stats(self);

            if (result == CW_CYCLE_FAILED && !zsys_interrupted) {
                cw_cycle_stats_t st;
                if (cw_cyclelog_stats(cw_cycle_runner_log(self->runner), &st) == 0) {
                    int64_t wait = cw_scheduler_backoff_seconds(st.consecutive_failures);
                    /* a document waiting for its commit is probed for even after a first
                       failure, whatever the schedule (issue 10) */
                    if (outcome.environmental && strcmp(outcome.step, "commit") == 0 &&
                        wait < S_PENDING_PROBE_S)
                        wait = S_PENDING_PROBE_S;
                    if (wait > 0 && (self->max_cycles == 0 || cycles < self->max_cycles)) {
                        cw_warn("cycle_backoff", CW_LI("consecutive", st.consecutive_failures),
                                CW_LI("seconds", wait), CW_LB("probing", outcome.environmental),
                                CW_LEND);
                        s_backoff(self, &outcome, s_now(self) + wait);
                    }
                }
            }
        }
    }
    ev = cw_value_new_map();
    cw_map_set_int(ev, "pid", (int64_t)getpid());
    cw_map_set_str(ev, "reason", zsys_interrupted ? "signal" : "done");
    s_publish(self, CW_EV_SERVICE_STOPPING, ev);
    cw_info("scheduler_stopping", CW_LEND);
    return 0;
}
