/*  cw_dash_state — the dashboard's view of the bus. See cw_dash_state.h. */
#include "cw_dash_state.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cw_json.h"
#include "cw_proto.h"

#define S_SHORT 80  /* event names, activity, timestamps, ids */
#define S_TEXT 600  /* targets (<= 512 on the bus), reasons (cut) */
#define S_PATH 1024 /* repositories, DevLog paths (cut) */
#define S_STATUS_MAX 64

typedef struct {
    uint64_t seq;
    char *json;
} kept_t;

typedef struct {
    char name[S_SHORT];
    char last_event[S_SHORT];
    char last_event_at[S_SHORT];
    bool stopping;
} seen_t;

typedef struct {
    char name[S_SHORT];
    int64_t workers, busy, queued;
} worker_status_t;

struct _cw_dash_state_t {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    bool stopping;
    size_t readers;
    /* the ring: kept[(first + i) % capacity], i < count */
    kept_t *kept;
    size_t capacity, first, count;
    uint64_t last_seq;
    /* now */
    char activity[S_SHORT];
    char since[S_SHORT];
    char cycle_id[S_SHORT];
    char target[S_TEXT];
    char repo[S_PATH];
    char doc_type[S_SHORT];
    char next_cycle_at[S_SHORT];
    char last_event_at[S_SHORT];
    bool has_commit;
    char commit_target[S_TEXT], commit_doc_type[S_SHORT], commit_repo[S_PATH];
    char commit_oid[S_SHORT], commit_path[S_PATH], commit_at[S_SHORT];
    bool has_failure;
    char failure_event[S_SHORT], failure_reason[S_TEXT], failure_at[S_SHORT];
    /* services */
    seen_t seen[CW_DASH_MAX_SERVICES];
    size_t seen_count;
    /* the broker */
    char broker[S_PATH];
    bool status_known;     /* a status request was made */
    bool broker_reachable; /* ... and answered */
    time_t status_at;
    worker_status_t workers[S_STATUS_MAX];
    size_t worker_count;
};

static const char *s_needed[] = {CW_SERVICE_ANALYZER, CW_SERVICE_GENERATOR, CW_SERVICE_COMMITTER};
#define S_NEEDED (sizeof(s_needed) / sizeof(s_needed[0]))

static void s_copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

cw_dash_state_t *cw_dash_state_new(size_t capacity)
{
    cw_dash_state_t *self = (cw_dash_state_t *)calloc(1, sizeof(cw_dash_state_t));
    if (!self)
        return NULL;
    self->capacity = capacity ? capacity : CW_DASH_FEED_EVENTS;
    self->kept = (kept_t *)calloc(self->capacity, sizeof(kept_t));
    if (!self->kept) {
        free(self);
        return NULL;
    }
    pthread_mutex_init(&self->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&self->changed, &attr);
    pthread_condattr_destroy(&attr);
    s_copy(self->activity, sizeof(self->activity), "idle");
    return self;
}

void cw_dash_state_destroy(cw_dash_state_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cw_dash_state_t *self = *self_p;
    for (size_t i = 0; i < self->capacity; i++)
        free(self->kept[i].json);
    free(self->kept);
    pthread_cond_destroy(&self->changed);
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}

void cw_dash_state_set_broker(cw_dash_state_t *self, const char *endpoint)
{
    if (!self)
        return;
    pthread_mutex_lock(&self->lock);
    s_copy(self->broker, sizeof(self->broker), endpoint);
    pthread_mutex_unlock(&self->lock);
}

/* ------------------------------------------------------------------ events */

/* The event as JSON, or a stub when it is larger than CW_DASH_EVENT_MAX. */
static char *s_event_json(const cw_value_t *event)
{
    char *json = cw_json_encode(event);
    if (json && strlen(json) <= CW_DASH_EVENT_MAX)
        return json;
    free(json);
    cw_buf_t b;
    cw_buf_init(&b, 0);
    cw_buf_puts(&b, "{");
    const char *keys[] = {"v", "type", "service", "timestamp"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const cw_value_t *v = cw_map_get(event, keys[i]);
        if (!v)
            continue;
        cw_json_put_key(&b, keys[i]);
        if (cw_value_kind(v) == CW_VAL_INT)
            cw_json_put_int(&b, (long long)cw_value_int(v));
        else
            cw_json_put_str(&b, cw_value_str(v)); /* bounded by the protocol */
    }
    cw_json_put_key(&b, "truncated");
    cw_buf_puts(&b, "true}");
    return cw_buf_take(&b, NULL);
}

static seen_t *s_seen(cw_dash_state_t *self, const char *service)
{
    for (size_t i = 0; i < self->seen_count; i++)
        if (strcmp(self->seen[i].name, service) == 0)
            return &self->seen[i];
    if (self->seen_count >= CW_DASH_MAX_SERVICES)
        return NULL;
    seen_t *s = &self->seen[self->seen_count++];
    memset(s, 0, sizeof(*s));
    s_copy(s->name, sizeof(s->name), service);
    return s;
}

static void s_set_activity(cw_dash_state_t *self, const char *activity, const char *at)
{
    s_copy(self->activity, sizeof(self->activity), activity);
    s_copy(self->since, sizeof(self->since), at);
}

/* Follow the cycle: what the stack does now. Caller holds the lock. */
static void s_track(cw_dash_state_t *self, const char *type, const cw_value_t *ev, const char *at)
{
    if (strcmp(type, CW_EV_CYCLE_STARTING) == 0) {
        s_set_activity(self, "starting", at);
        s_copy(self->cycle_id, sizeof(self->cycle_id), cw_map_str(ev, "cycle_id", ""));
        self->target[0] = self->repo[0] = self->doc_type[0] = '\0';
    } else if (strcmp(type, CW_EV_ANALYZING) == 0) {
        s_set_activity(self, "analyzing", at);
        s_copy(self->cycle_id, sizeof(self->cycle_id), cw_map_str(ev, "cycle_id", ""));
        s_copy(self->doc_type, sizeof(self->doc_type), cw_map_str(ev, "doc_type", ""));
    } else if (strcmp(type, CW_EV_GENERATING) == 0) {
        s_set_activity(self, "generating", at);
        s_copy(self->cycle_id, sizeof(self->cycle_id), cw_map_str(ev, "cycle_id", ""));
        s_copy(self->target, sizeof(self->target), cw_map_str(ev, "target", ""));
        s_copy(self->repo, sizeof(self->repo), cw_map_str(ev, "repo", ""));
        s_copy(self->doc_type, sizeof(self->doc_type), cw_map_str(ev, "doc_type", ""));
    } else if (strcmp(type, CW_EV_DOCUMENTATION_COMMITTED) == 0) {
        s_set_activity(self, "idle", at);
        self->target[0] = self->repo[0] = self->doc_type[0] = self->cycle_id[0] = '\0';
        self->has_commit = true;
        s_copy(self->commit_target, sizeof(self->commit_target), cw_map_str(ev, "target", ""));
        s_copy(self->commit_doc_type, sizeof(self->commit_doc_type),
               cw_map_str(ev, "doc_type", ""));
        s_copy(self->commit_repo, sizeof(self->commit_repo), cw_map_str(ev, "repo", ""));
        s_copy(self->commit_oid, sizeof(self->commit_oid), cw_map_str(ev, "commit", ""));
        s_copy(self->commit_path, sizeof(self->commit_path), cw_map_str(ev, "path", ""));
        s_copy(self->commit_at, sizeof(self->commit_at), at);
    } else if (strcmp(type, CW_EV_CYCLE_FAILED) == 0 || strcmp(type, CW_EV_CYCLE_SKIPPED) == 0) {
        s_set_activity(self, "idle", at);
        self->target[0] = self->repo[0] = self->doc_type[0] = self->cycle_id[0] = '\0';
        self->has_failure = true;
        s_copy(self->failure_event, sizeof(self->failure_event), type);
        s_copy(self->failure_reason, sizeof(self->failure_reason), cw_map_str(ev, "reason", ""));
        s_copy(self->failure_at, sizeof(self->failure_at), at);
    } else if (strcmp(type, CW_EV_NEXT_CYCLE) == 0) {
        s_copy(self->next_cycle_at, sizeof(self->next_cycle_at), cw_map_str(ev, "at", ""));
    } else if (strcmp(type, CW_EV_LLM_UNAVAILABLE) == 0) {
        s_set_activity(self, "waiting_for_llm", at);
    } else if (strcmp(type, CW_EV_LLM_RECOVERED) == 0) {
        if (strcmp(self->activity, "waiting_for_llm") == 0)
            s_set_activity(self, self->target[0] ? "generating" : "idle", at);
    } else if (strcmp(type, CW_EV_SERVICE_STOPPING) == 0 &&
               strcmp(cw_map_str(ev, "service", ""), "scheduler") == 0) {
        s_set_activity(self, "idle", at);
        self->target[0] = self->repo[0] = self->doc_type[0] = self->cycle_id[0] = '\0';
    }
}

uint64_t cw_dash_state_push(cw_dash_state_t *self, const cw_value_t *event)
{
    if (!self || !event || cw_value_kind(event) != CW_VAL_MAP)
        return 0;
    const char *type = cw_map_str(event, "type", NULL);
    if (!type)
        return 0;
    const char *service = cw_map_str(event, "service", "");
    const char *at = cw_map_str(event, "timestamp", "");
    char *json = s_event_json(event);
    if (!json)
        return 0;
    pthread_mutex_lock(&self->lock);
    size_t slot;
    if (self->count < self->capacity)
        slot = (self->first + self->count++) % self->capacity;
    else {
        slot = self->first;
        self->first = (self->first + 1) % self->capacity;
    }
    free(self->kept[slot].json);
    self->kept[slot].json = json;
    self->kept[slot].seq = ++self->last_seq;
    uint64_t seq = self->last_seq;
    s_copy(self->last_event_at, sizeof(self->last_event_at), at);
    seen_t *s = *service ? s_seen(self, service) : NULL;
    if (s) {
        s_copy(s->last_event, sizeof(s->last_event), type);
        s_copy(s->last_event_at, sizeof(s->last_event_at), at);
        if (strcmp(type, CW_EV_SERVICE_STOPPING) == 0)
            s->stopping = true;
        else if (strcmp(type, CW_EV_SERVICE_STARTED) == 0)
            s->stopping = false;
    }
    s_track(self, type, event, at);
    pthread_cond_broadcast(&self->changed);
    pthread_mutex_unlock(&self->lock);
    return seq;
}

void cw_dash_state_set_status(cw_dash_state_t *self, const cw_value_t *status, time_t now)
{
    if (!self)
        return;
    pthread_mutex_lock(&self->lock);
    self->status_known = true;
    self->status_at = now;
    self->broker_reachable = status != NULL;
    self->worker_count = 0;
    const cw_value_t *services = status ? cw_map_get(status, "services") : NULL;
    size_t n = services ? cw_value_size(services) : 0;
    for (size_t i = 0; i < n && self->worker_count < S_STATUS_MAX; i++) {
        const cw_value_t *s = cw_map_value_at(services, i);
        worker_status_t *w = &self->workers[self->worker_count++];
        s_copy(w->name, sizeof(w->name), cw_map_key_at(services, i));
        w->workers = cw_map_int(s, "workers", 0);
        w->busy = cw_map_int(s, "busy", 0);
        w->queued = cw_map_int(s, "queued", 0);
    }
    pthread_mutex_unlock(&self->lock);
}

/* ------------------------------------------------------------------ readers */

uint64_t cw_dash_state_next(cw_dash_state_t *self, uint64_t after, char *out, size_t outlen,
                            int timeout_ms)
{
    if (!self || !out || outlen < CW_DASH_EVENT_MAX + 1)
        return 0;
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    if (timeout_ms > 0) {
        deadline.tv_sec += timeout_ms / 1000;
        deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (deadline.tv_nsec >= 1000000000L) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000L;
        }
    }
    uint64_t seq = 0;
    pthread_mutex_lock(&self->lock);
    while (!self->stopping) {
        if (self->last_seq > after && self->count > 0) {
            uint64_t oldest = self->kept[self->first].seq;
            uint64_t want = after + 1 < oldest ? oldest : after + 1;
            const kept_t *k = &self->kept[(self->first + (size_t)(want - oldest)) % self->capacity];
            snprintf(out, outlen, "%s", k->json);
            seq = k->seq;
            break;
        }
        if (timeout_ms <= 0 || pthread_cond_timedwait(&self->changed, &self->lock, &deadline) != 0)
            break;
    }
    pthread_mutex_unlock(&self->lock);
    return seq;
}

uint64_t cw_dash_state_last_seq(cw_dash_state_t *self)
{
    if (!self)
        return 0;
    pthread_mutex_lock(&self->lock);
    uint64_t seq = self->last_seq;
    pthread_mutex_unlock(&self->lock);
    return seq;
}

void cw_dash_state_stop(cw_dash_state_t *self)
{
    if (!self)
        return;
    pthread_mutex_lock(&self->lock);
    self->stopping = true;
    pthread_cond_broadcast(&self->changed);
    pthread_mutex_unlock(&self->lock);
}

bool cw_dash_state_stopping(cw_dash_state_t *self)
{
    if (!self)
        return true;
    pthread_mutex_lock(&self->lock);
    bool stopping = self->stopping;
    pthread_mutex_unlock(&self->lock);
    return stopping;
}

bool cw_dash_state_reader_enter(cw_dash_state_t *self, size_t max)
{
    if (!self)
        return false;
    pthread_mutex_lock(&self->lock);
    bool ok = !self->stopping && self->readers < max;
    if (ok)
        self->readers++;
    pthread_mutex_unlock(&self->lock);
    return ok;
}

void cw_dash_state_reader_leave(cw_dash_state_t *self)
{
    if (!self)
        return;
    pthread_mutex_lock(&self->lock);
    if (self->readers > 0)
        self->readers--;
    pthread_mutex_unlock(&self->lock);
}

size_t cw_dash_state_readers(cw_dash_state_t *self)
{
    if (!self)
        return 0;
    pthread_mutex_lock(&self->lock);
    size_t n = self->readers;
    pthread_mutex_unlock(&self->lock);
    return n;
}

/* ------------------------------------------------------------------ JSON answers */

/* "key": "value", or null when value is empty */
static void s_key_str(cw_buf_t *b, const char *key, const char *value)
{
    cw_json_put_key(b, key);
    cw_json_put_str(b, value && *value ? value : NULL);
}

static void s_utc(time_t t, char *out, size_t len)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The broker answered recently enough. Caller holds the lock. */
static bool s_broker_up(const cw_dash_state_t *self, time_t now)
{
    return self->status_known && self->broker_reachable &&
           now - self->status_at <= CW_DASH_BROKER_STALE_S;
}

char *cw_dash_state_status_json(cw_dash_state_t *self, time_t now)
{
    if (!self)
        return NULL;
    cw_buf_t b;
    cw_buf_init(&b, 0);
    pthread_mutex_lock(&self->lock);
    cw_buf_puts(&b, "{");
    cw_json_put_key(&b, "running");
    cw_buf_puts(&b, s_broker_up(self, now) ? "true" : "false");
    s_key_str(&b, "current_activity", self->activity);
    s_key_str(&b, "current_target", self->target);
    s_key_str(&b, "current_repo", self->repo);
    s_key_str(&b, "current_doc_type", self->doc_type);
    s_key_str(&b, "cycle_id", self->cycle_id);
    s_key_str(&b, "since", self->since);
    s_key_str(&b, "next_cycle_at", self->next_cycle_at);
    s_key_str(&b, "last_event_at", self->last_event_at);
    cw_json_put_key(&b, "last_commit");
    if (self->has_commit) {
        cw_buf_puts(&b, "{");
        s_key_str(&b, "target", self->commit_target);
        s_key_str(&b, "doc_type", self->commit_doc_type);
        s_key_str(&b, "repo", self->commit_repo);
        s_key_str(&b, "commit", self->commit_oid);
        s_key_str(&b, "path", self->commit_path);
        s_key_str(&b, "at", self->commit_at);
        cw_buf_puts(&b, "}");
    } else
        cw_buf_puts(&b, "null");
    cw_json_put_key(&b, "last_failure");
    if (self->has_failure) {
        cw_buf_puts(&b, "{");
        s_key_str(&b, "event", self->failure_event);
        s_key_str(&b, "reason", self->failure_reason);
        s_key_str(&b, "at", self->failure_at);
        cw_buf_puts(&b, "}");
    } else
        cw_buf_puts(&b, "null");
    cw_buf_puts(&b, "}");
    pthread_mutex_unlock(&self->lock);
    return cw_buf_take(&b, NULL);
}

static const worker_status_t *s_worker(const cw_dash_state_t *self, const char *name)
{
    for (size_t i = 0; i < self->worker_count; i++)
        if (strcmp(self->workers[i].name, name) == 0)
            return &self->workers[i];
    return NULL;
}

static const seen_t *s_seen_find(const cw_dash_state_t *self, const char *name)
{
    for (size_t i = 0; i < self->seen_count; i++)
        if (strcmp(self->seen[i].name, name) == 0)
            return &self->seen[i];
    return NULL;
}

/* One entry of "services". Caller holds the lock. */
static void s_service_json(cw_buf_t *b, const cw_dash_state_t *self, const char *name, bool up)
{
    const worker_status_t *w = up ? s_worker(self, name) : NULL;
    const seen_t *s = s_seen_find(self, name);
    if (b->len && b->data[b->len - 1] != '[')
        cw_buf_puts(b, ",");
    cw_buf_puts(b, "{");
    s_key_str(b, "name", name);
    const char *counts[] = {"workers", "busy", "queued"};
    int64_t values[] = {w ? w->workers : 0, w ? w->busy : 0, w ? w->queued : 0};
    for (size_t i = 0; i < 3; i++) {
        cw_json_put_key(b, counts[i]);
        if (w)
            cw_json_put_int(b, (long long)values[i]);
        else
            cw_buf_puts(b, "null");
    }
    s_key_str(b, "last_event", s ? s->last_event : NULL);
    s_key_str(b, "last_event_at", s ? s->last_event_at : NULL);
    const char *state = "unknown";
    bool needed = false;
    for (size_t i = 0; i < S_NEEDED; i++)
        needed = needed || strcmp(name, s_needed[i]) == 0;
    if (strcmp(name, "broker") == 0)
        state = up ? "up" : "down";
    else if (w && w->workers > 0)
        state = "up";
    else if (s && s->stopping)
        state = "stopped";
    else if (needed)
        state = up ? "no_workers" : "unknown";
    else if (s)
        state = "seen";
    s_key_str(b, "state", state);
    cw_buf_puts(b, "}");
}

static bool s_listed(const char **names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return false;
}

char *cw_dash_state_health_json(cw_dash_state_t *self, time_t now)
{
    if (!self)
        return NULL;
    cw_buf_t b;
    cw_buf_init(&b, 0);
    pthread_mutex_lock(&self->lock);
    bool up = s_broker_up(self, now);
    const char *missing[S_NEEDED];
    size_t missing_count = 0;
    for (size_t i = 0; i < S_NEEDED; i++) {
        const worker_status_t *w = s_worker(self, s_needed[i]);
        if (!up || !w || w->workers <= 0)
            missing[missing_count++] = s_needed[i];
    }
    cw_buf_puts(&b, "{");
    s_key_str(&b, "status", !up ? "down" : missing_count ? "degraded" : "healthy");
    cw_json_put_key(&b, "broker");
    cw_buf_puts(&b, "{");
    s_key_str(&b, "endpoint", self->broker);
    cw_json_put_key(&b, "reachable");
    cw_buf_puts(&b, up ? "true" : "false");
    char at[32] = "";
    if (self->status_known)
        s_utc(self->status_at, at, sizeof(at));
    s_key_str(&b, "checked_at", at);
    cw_buf_puts(&b, "}");
    /* the broker, the needed workers, every other service the broker or the bus knows */
    const char *names[1 + S_NEEDED + S_STATUS_MAX + CW_DASH_MAX_SERVICES];
    size_t n = 0;
    names[n++] = "broker";
    for (size_t i = 0; i < S_NEEDED; i++)
        names[n++] = s_needed[i];
    for (size_t i = 0; up && i < self->worker_count; i++)
        if (!s_listed(names, n, self->workers[i].name) &&
            strcmp(self->workers[i].name, "broker") != 0)
            names[n++] = self->workers[i].name;
    for (size_t i = 0; i < self->seen_count; i++)
        if (!s_listed(names, n, self->seen[i].name))
            names[n++] = self->seen[i].name;
    cw_json_put_key(&b, "services");
    cw_buf_puts(&b, "[");
    for (size_t i = 0; i < n; i++)
        s_service_json(&b, self, names[i], up);
    cw_buf_puts(&b, "]");
    cw_json_put_key(&b, "missing");
    cw_buf_puts(&b, "[");
    for (size_t i = 0; i < missing_count; i++) {
        if (i)
            cw_buf_puts(&b, ",");
        cw_json_put_str(&b, missing[i]);
    }
    cw_buf_puts(&b, "]}");
    pthread_mutex_unlock(&self->lock);
    return cw_buf_take(&b, NULL);
}

char *cw_dash_state_events_json(cw_dash_state_t *self, size_t limit)
{
    if (!self)
        return NULL;
    cw_buf_t b;
    cw_buf_init(&b, 0);
    cw_buf_puts(&b, "[");
    pthread_mutex_lock(&self->lock);
    size_t skip = self->count > limit ? self->count - limit : 0;
    for (size_t i = skip; i < self->count; i++) {
        if (i > skip)
            cw_buf_puts(&b, ",");
        cw_buf_puts(&b, self->kept[(self->first + i) % self->capacity].json);
    }
    pthread_mutex_unlock(&self->lock);
    cw_buf_puts(&b, "]");
    return cw_buf_take(&b, NULL);
}
