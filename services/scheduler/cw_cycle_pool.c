/*  cw_cycle_pool — see cw_cycle_pool.h. One mutex guards every slot's state; each slot's
    thread waits on its own condition variable for work, the caller waits on `done`. */
#include "cw_cycle_pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cw_log.h"

typedef enum { S_IDLE = 0, S_ASSIGNED, S_RUNNING, S_DONE } s_state_t;

typedef struct {
    struct _cw_cycle_pool_t *pool;
    int index;
    pthread_t thread;
    bool started;
    pthread_cond_t work;
    s_state_t state;
    cw_cycle_runner_t *runner;
    /* the plan, with its strings copied */
    cw_cycle_plan_t plan;
    char doc_type[40];
    char repo[264];
    char trigger[40];
    cw_cycle_job_fn *job; /* set: run this instead of a cycle */
    void *job_arg;
    cw_cycle_outcome_t outcome;
} s_slot_t;

struct _cw_cycle_pool_t {
    pthread_mutex_t lock;
    pthread_cond_t done;
    bool stop;
    int size;
    s_slot_t *slots;
    int *queue; /* finished slots, oldest first (a ring of `size`) */
    int q_head, q_len;
};

static void *s_thread(void *arg)
{
    s_slot_t *slot = arg;
    cw_cycle_pool_t *pool = slot->pool;
    pthread_mutex_lock(&pool->lock);
    while (true) {
        while (slot->state != S_ASSIGNED && !pool->stop)
            pthread_cond_wait(&slot->work, &pool->lock);
        if (slot->state != S_ASSIGNED)
            break; /* stopping */
        slot->state = S_RUNNING;
        pthread_mutex_unlock(&pool->lock);
        if (slot->job)
            slot->job(slot->runner, slot->job_arg, &slot->outcome);
        else
            cw_cycle_run_plan(slot->runner, &slot->plan, &slot->outcome);
        pthread_mutex_lock(&pool->lock);
        slot->state = S_DONE;
        pool->queue[(pool->q_head + pool->q_len) % pool->size] = slot->index;
        pool->q_len++;
        pthread_cond_broadcast(&pool->done);
    }
    pthread_mutex_unlock(&pool->lock);
    return NULL;
}

cw_cycle_pool_t *cw_cycle_pool_new(const cw_config_t *config, const char *service, int size)
{
    if (!config || size < 1 || size > CW_CYCLE_POOL_MAX)
        return NULL;
    cw_cycle_pool_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    pthread_mutex_init(&self->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&self->done, &attr);
    self->size = size;
    self->slots = calloc((size_t)size, sizeof *self->slots);
    self->queue = calloc((size_t)size, sizeof *self->queue);
    if (!self->slots || !self->queue) {
        pthread_condattr_destroy(&attr);
        cw_cycle_pool_destroy(&self);
        return NULL;
    }
    bool ok = true;
    for (int i = 0; i < size; i++) {
        s_slot_t *slot = &self->slots[i];
        slot->pool = self;
        slot->index = i;
        pthread_cond_init(&slot->work, &attr);
        if (ok && !(slot->runner = cw_cycle_runner_new(config, service)))
            ok = false;
    }
    pthread_condattr_destroy(&attr);
    for (int i = 0; ok && i < size; i++) {
        s_slot_t *slot = &self->slots[i];
        if (pthread_create(&slot->thread, NULL, s_thread, slot) != 0) {
            cw_error("cycle_pool_thread_failed", CW_LI("slot", i), CW_LS("error", strerror(errno)),
                     CW_LEND);
            ok = false;
        } else
            slot->started = true;
    }
    if (!ok) {
        cw_cycle_pool_destroy(&self);
        return NULL;
    }
    return self;
}

void cw_cycle_pool_destroy(cw_cycle_pool_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cw_cycle_pool_t *self = *self_p;
    if (self->slots) {
        pthread_mutex_lock(&self->lock);
        self->stop = true;
        for (int i = 0; i < self->size; i++)
            pthread_cond_signal(&self->slots[i].work);
        pthread_mutex_unlock(&self->lock);
        /* a thread running a cycle finishes it first */
        for (int i = 0; i < self->size; i++) {
            s_slot_t *slot = &self->slots[i];
            if (slot->started)
                pthread_join(slot->thread, NULL);
            cw_cycle_runner_destroy(&slot->runner);
            pthread_cond_destroy(&slot->work);
        }
    }
    free(self->slots);
    free(self->queue);
    pthread_cond_destroy(&self->done);
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}

int cw_cycle_pool_size(cw_cycle_pool_t *self)
{
    return self ? self->size : 0;
}

int cw_cycle_pool_idle(cw_cycle_pool_t *self)
{
    if (!self)
        return 0;
    pthread_mutex_lock(&self->lock);
    int n = 0;
    for (int i = 0; i < self->size; i++)
        n += self->slots[i].state == S_IDLE;
    pthread_mutex_unlock(&self->lock);
    return n;
}

int cw_cycle_pool_busy(cw_cycle_pool_t *self)
{
    return self ? self->size - cw_cycle_pool_idle(self) : 0;
}

int cw_cycle_pool_start(cw_cycle_pool_t *self, const cw_cycle_plan_t *plan)
{
    if (!self)
        return -1;
    pthread_mutex_lock(&self->lock);
    s_slot_t *slot = NULL;
    for (int i = 0; i < self->size && !slot; i++)
        if (self->slots[i].state == S_IDLE)
            slot = &self->slots[i];
    if (!slot || self->stop) {
        pthread_mutex_unlock(&self->lock);
        return -1;
    }
    memset(&slot->plan, 0, sizeof slot->plan);
    memset(&slot->outcome, 0, sizeof slot->outcome);
    slot->job = NULL;
    slot->job_arg = NULL;
    if (plan) {
        slot->plan.pager = plan->pager;
        slot->plan.tag = plan->tag;
        if (plan->doc_type) {
            snprintf(slot->doc_type, sizeof slot->doc_type, "%s", plan->doc_type);
            slot->plan.doc_type = slot->doc_type;
        }
        if (plan->repo) {
            snprintf(slot->repo, sizeof slot->repo, "%s", plan->repo);
            slot->plan.repo = slot->repo;
        }
        if (plan->trigger) {
            snprintf(slot->trigger, sizeof slot->trigger, "%s", plan->trigger);
            slot->plan.trigger = slot->trigger;
        }
    }
    slot->state = S_ASSIGNED;
    pthread_cond_signal(&slot->work);
    pthread_mutex_unlock(&self->lock);
    return 0;
}

int cw_cycle_pool_start_job(cw_cycle_pool_t *self, cw_cycle_job_fn *fn, void *arg)
{
    if (!self || !fn)
        return -1;
    pthread_mutex_lock(&self->lock);
    s_slot_t *slot = NULL;
    for (int i = 0; i < self->size && !slot; i++)
        if (self->slots[i].state == S_IDLE)
            slot = &self->slots[i];
    if (!slot || self->stop) {
        pthread_mutex_unlock(&self->lock);
        return -1;
    }
    memset(&slot->plan, 0, sizeof slot->plan);
    memset(&slot->outcome, 0, sizeof slot->outcome);
    slot->job = fn;
    slot->job_arg = arg;
    slot->state = S_ASSIGNED;
    pthread_cond_signal(&slot->work);
    pthread_mutex_unlock(&self->lock);
    return 0;
}

int cw_cycle_pool_wait(cw_cycle_pool_t *self, int timeout_ms, cw_cycle_outcome_t *out)
{
    if (!self)
        return 0;
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    if (timeout_ms > 0) {
        until.tv_sec += timeout_ms / 1000;
        until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
    }
    pthread_mutex_lock(&self->lock);
    while (self->q_len == 0 && timeout_ms > 0) {
        if (pthread_cond_timedwait(&self->done, &self->lock, &until) == ETIMEDOUT)
            break;
    }
    int got = 0;
    if (self->q_len > 0) {
        s_slot_t *slot = &self->slots[self->queue[self->q_head]];
        self->q_head = (self->q_head + 1) % self->size;
        self->q_len--;
        if (out)
            *out = slot->outcome;
        slot->state = S_IDLE;
        got = 1;
    }
    pthread_mutex_unlock(&self->lock);
    return got;
}

void cw_cycle_pool_set_timeouts(cw_cycle_pool_t *self, int step_timeout_ms, int step_retries,
                                int generate_timeout_ms, int generate_retries)
{
    if (!self)
        return;
    for (int i = 0; i < self->size; i++)
        cw_cycle_runner_set_timeouts(self->slots[i].runner, step_timeout_ms, step_retries,
                                     generate_timeout_ms, generate_retries);
}

void cw_cycle_pool_set_seed(cw_cycle_pool_t *self, uint64_t seed)
{
    if (!self)
        return;
    for (int i = 0; i < self->size; i++)
        cw_cycle_runner_set_seed(self->slots[i].runner, seed + (uint64_t)i);
}

void cw_cycle_pool_set_config(cw_cycle_pool_t *self, const cw_config_t *config)
{
    if (!self || !config)
        return;
    pthread_mutex_lock(&self->lock);
    for (int i = 0; i < self->size; i++)
        cw_cycle_runner_set_config(self->slots[i].runner, config);
    pthread_mutex_unlock(&self->lock);
}

void cw_cycle_pool_set_dry_run(cw_cycle_pool_t *self, cw_cycle_dry_run_fn *fn, void *arg)
{
    if (!self)
        return;
    for (int i = 0; i < self->size; i++)
        cw_cycle_runner_set_dry_run(self->slots[i].runner, fn, arg);
}
