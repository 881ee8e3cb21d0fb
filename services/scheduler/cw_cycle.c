/*  cw_cycle — see cw_cycle.h. One cycle = a saga over the bus; every step is written to the
    cycle log (cw_cyclelog) before its request leaves. */
#include "cw_cycle.h"

#include <czmq.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "cw_bus.h"
#include "cw_json.h"
#include "cw_text.h"
#include "cw_cyclelog.h"
#include "cw_log.h"
#include "cw_proto.h"

#define S_ANALYZE_LIMIT 20
#define S_MAX_REPOS 64
#define S_MAX_OPEN 64
#define S_MAX_ACTIVE 256    /* cycles in flight in one process */
#define S_MAX_PAGES 100000  /* pages one cycle may look at (a bound, never reached) */
#define S_RELEASE_MS 5000   /* a release waits at most this long per attempt */
#define S_PAGE_TTL_MS 30000 /* cycles of a paged plan share a page this long */

struct _cw_cycle_runner_t {
    const cw_config_t *config;
    char service[64];
    cw_client_t *client;
    cw_publisher_t *pub;
    cw_cyclelog_t *log;
    cw_rng_t rng;
    int step_timeout_ms;
    int step_retries;
    int generate_timeout_ms;
    int generate_retries;
    cw_cycle_dry_run_fn *dry_run; /* set: generate, then hand over instead of committing */
    void *dry_run_arg;
};

/* ------------------------------------------------------------------ pure helpers */
int cw_cycle_doc_type_order(const double weights[CW_DOC_TYPE_COUNT], cw_rng_t *rng,
                            int order[CW_DOC_TYPE_COUNT])
{
    int cand[CW_DOC_TYPE_COUNT];
    int n = 0;
    double total = 0.0;
    for (int i = 0; i < CW_DOC_TYPE_COUNT; i++) {
        double w = weights[i];
        if (isfinite(w) && w > 0.0) {
            cand[n++] = i;
            total += w;
        }
    }
    if (n == 0)
        return 0;
    /* weight descending, reference order on ties (insertion sort: stable) */
    for (int i = 1; i < n; i++) {
        int v = cand[i], j = i - 1;
        while (j >= 0 && weights[cand[j]] < weights[v]) {
            cand[j + 1] = cand[j];
            j--;
        }
        cand[j + 1] = v;
    }
    double r = cw_rng_double(rng) * total, cum = 0.0;
    int chosen = cand[n - 1];
    /* walk in reference order so the draw does not depend on the sort */
    for (int i = 0; i < CW_DOC_TYPE_COUNT; i++) {
        double w = weights[i];
        if (!(isfinite(w) && w > 0.0))
            continue;
        cum += w;
        chosen = i;
        if (r < cum)
            break;
    }
    int k = 0;
    order[k++] = chosen;
    for (int i = 0; i < n; i++)
        if (cand[i] != chosen)
            order[k++] = cand[i];
    return k;
}

void cw_cycle_display_name(const cw_value_t *target, char *out, size_t outlen)
{
    if (!out || outlen == 0)
        return;
    out[0] = '\0';
    const char *name = cw_map_str(target, "name", "");
    const char *cls = cw_map_str(target, "class", "");
    const char *file = cw_map_str(target, "file", "");
    if (*cls && *name && strcmp(cls, name) != 0)
        snprintf(out, outlen, "%s.%s", cls, name);
    else if (*name)
        snprintf(out, outlen, "%s", name);
    else if (*cls)
        snprintf(out, outlen, "%s", cls);
    else {
        const char *stem;
        size_t len = cw_path_stem(file, &stem);
        snprintf(out, outlen, "%.*s", (int)len, stem);
    }
}

/* ------------------------------------------------------------------ in flight (process) */
/* The cycles running in this process, so that recovery (run by any runner) leaves them
   alone, and one recovery at a time. */
static pthread_mutex_t s_active_lock = PTHREAD_MUTEX_INITIALIZER;
static char s_active[S_MAX_ACTIVE][33];
static int s_active_n = 0;
static pthread_mutex_t s_recover_lock = PTHREAD_MUTEX_INITIALIZER;

static bool s_active_add(const char *cycle_id)
{
    pthread_mutex_lock(&s_active_lock);
    bool ok = s_active_n < S_MAX_ACTIVE;
    if (ok)
        snprintf(s_active[s_active_n++], 33, "%s", cycle_id);
    pthread_mutex_unlock(&s_active_lock);
    return ok;
}

static void s_active_remove(const char *cycle_id)
{
    pthread_mutex_lock(&s_active_lock);
    for (int i = 0; i < s_active_n; i++)
        if (strcmp(s_active[i], cycle_id) == 0) {
            memmove(s_active[i], s_active[s_active_n - 1], 33);
            s_active_n--;
            break;
        }
    pthread_mutex_unlock(&s_active_lock);
}

static bool s_active_has(const char *cycle_id)
{
    pthread_mutex_lock(&s_active_lock);
    bool found = false;
    for (int i = 0; i < s_active_n && !found; i++)
        found = strcmp(s_active[i], cycle_id) == 0;
    pthread_mutex_unlock(&s_active_lock);
    return found;
}

int cw_cycle_active_count(void)
{
    pthread_mutex_lock(&s_active_lock);
    int n = s_active_n;
    pthread_mutex_unlock(&s_active_lock);
    return n;
}

/* ------------------------------------------------------------------ pager */
struct _cw_cycle_pager_t {
    pthread_mutex_t lock;
    size_t cursor;
    zhashx_t *excluded; /* "<code_hash>/<doc_type>" -> (non-NULL) */
    /* the last page the analyzer sent: cycles that start on the same page share it */
    cw_value_t *page; /* array of targets, or NULL */
    size_t page_offset;
    int64_t page_at; /* zclock_mono() */
};

cw_cycle_pager_t *cw_cycle_pager_new(void)
{
    cw_cycle_pager_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    pthread_mutex_init(&self->lock, NULL);
    self->excluded = zhashx_new();
    if (!self->excluded) {
        cw_cycle_pager_destroy(&self);
        return NULL;
    }
    return self;
}

void cw_cycle_pager_destroy(cw_cycle_pager_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cw_cycle_pager_t *self = *self_p;
    zhashx_destroy(&self->excluded);
    cw_value_destroy(&self->page);
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}

size_t cw_cycle_pager_cursor(cw_cycle_pager_t *self)
{
    if (!self)
        return 0;
    pthread_mutex_lock(&self->lock);
    size_t c = self->cursor;
    pthread_mutex_unlock(&self->lock);
    return c;
}

/* A page [offset, offset + n) was looked at: found = a target was claimed on it. The
   cursor stays at or before the first page that may still hold something. */
static void s_pager_note(cw_cycle_pager_t *self, size_t offset, size_t n, bool found)
{
    pthread_mutex_lock(&self->lock);
    if (found) {
        if (offset < self->cursor)
            self->cursor = offset;
    } else if (offset <= self->cursor && self->cursor < offset + n)
        self->cursor = offset + n;
    pthread_mutex_unlock(&self->lock);
}

/* The whole ranking was looked at without a claim: start from the top next time. */
static void s_pager_rewind(cw_cycle_pager_t *self)
{
    pthread_mutex_lock(&self->lock);
    self->cursor = 0;
    pthread_mutex_unlock(&self->lock);
}

/* A copy of the page at `offset` if the analyzer sent it less than S_PAGE_TTL_MS ago. */
static cw_value_t *s_pager_page_get(cw_cycle_pager_t *self, size_t offset)
{
    cw_value_t *copy = NULL;
    pthread_mutex_lock(&self->lock);
    if (self->page && self->page_offset == offset && zclock_mono() - self->page_at < S_PAGE_TTL_MS)
        copy = cw_value_clone(self->page);
    pthread_mutex_unlock(&self->lock);
    return copy;
}

static void s_pager_page_put(cw_cycle_pager_t *self, size_t offset, const cw_value_t *targets)
{
    cw_value_t *copy = cw_value_clone(targets);
    pthread_mutex_lock(&self->lock);
    cw_value_destroy(&self->page);
    self->page = copy;
    self->page_offset = offset;
    self->page_at = zclock_mono();
    pthread_mutex_unlock(&self->lock);
}

void cw_cycle_pager_exclude(cw_cycle_pager_t *self, const char *code_hash, const char *doc_type)
{
    if (!self || !code_hash || !*code_hash)
        return;
    char key[128];
    snprintf(key, sizeof key, "%.64s/%.32s", code_hash, doc_type ? doc_type : "");
    pthread_mutex_lock(&self->lock);
    zhashx_update(self->excluded, key, (void *)1);
    pthread_mutex_unlock(&self->lock);
}

bool cw_cycle_pager_excluded(cw_cycle_pager_t *self, const char *code_hash, const char *doc_type)
{
    if (!self || !code_hash)
        return false;
    char key[128];
    snprintf(key, sizeof key, "%.64s/%.32s", code_hash, doc_type ? doc_type : "");
    pthread_mutex_lock(&self->lock);
    bool found = zhashx_lookup(self->excluded, key) != NULL;
    pthread_mutex_unlock(&self->lock);
    return found;
}

/* ------------------------------------------------------------------ runner */
cw_cycle_runner_t *cw_cycle_runner_new(const cw_config_t *config, const char *service)
{
    if (!config || !config->bus.broker || !config->bus.events_in)
        return NULL;
    cw_cycle_runner_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->config = config;
    snprintf(self->service, sizeof self->service, "%s", service ? service : "scheduler");
    cw_cycle_runner_set_timeouts(
        self, CW_CYCLE_TIMEOUTS_DEFAULT.step_timeout_ms, CW_CYCLE_TIMEOUTS_DEFAULT.step_retries,
        CW_CYCLE_TIMEOUTS_DEFAULT.generate_timeout_ms, CW_CYCLE_TIMEOUTS_DEFAULT.generate_retries);
    cw_rng_seed(&self->rng, cw_rng_os_seed());
    self->log = cw_cyclelog_new_for_config(config);
    self->client = cw_client_new(config->bus.broker);
    self->pub = cw_publisher_new(config->bus.events_in, self->service);
    if (!self->log || !self->client || !self->pub) {
        cw_error("cycle_runner_failed", CW_LS("broker", config->bus.broker),
                 CW_LS("events_in", config->bus.events_in), CW_LB("cycle_log", self->log != NULL),
                 CW_LEND);
        cw_cycle_runner_destroy(&self);
        return NULL;
    }
    return self;
}

void cw_cycle_runner_destroy(cw_cycle_runner_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cw_cycle_runner_t *self = *self_p;
    cw_client_destroy(&self->client);
    cw_publisher_destroy(&self->pub);
    cw_cyclelog_destroy(&self->log);
    free(self);
    *self_p = NULL;
}

void cw_cycle_runner_set_timeouts(cw_cycle_runner_t *self, int step_timeout_ms, int step_retries,
                                  int generate_timeout_ms, int generate_retries)
{
    if (!self)
        return;
    cw_cycle_timeouts_t t =
        cw_cycle_timeouts(step_timeout_ms, step_retries, generate_timeout_ms, generate_retries);
    self->step_timeout_ms = t.step_timeout_ms;
    self->step_retries = t.step_retries;
    self->generate_timeout_ms = t.generate_timeout_ms;
    self->generate_retries = t.generate_retries;
}

cw_cycle_timeouts_t cw_cycle_timeouts(int step_timeout_ms, int step_retries,
                                      int generate_timeout_ms, int generate_retries)
{
    cw_cycle_timeouts_t t = CW_CYCLE_TIMEOUTS_DEFAULT;
    if (step_timeout_ms > 0)
        t.step_timeout_ms = step_timeout_ms;
    t.step_retries = step_retries >= 0 ? step_retries : 0;
    if (generate_timeout_ms > 0)
        t.generate_timeout_ms = generate_timeout_ms;
    t.generate_retries = generate_retries >= 0 ? generate_retries : 0;
    return t;
}

void cw_cycle_runner_set_seed(cw_cycle_runner_t *self, uint64_t seed)
{
    if (self)
        cw_rng_seed(&self->rng, seed);
}

void cw_cycle_runner_set_config(cw_cycle_runner_t *self, const cw_config_t *config)
{
    if (self && config)
        self->config = config;
}

void cw_cycle_runner_set_dry_run(cw_cycle_runner_t *self, cw_cycle_dry_run_fn *fn, void *arg)
{
    if (!self)
        return;
    self->dry_run = fn;
    self->dry_run_arg = arg;
}

cw_cyclelog_t *cw_cycle_runner_log(cw_cycle_runner_t *self)
{
    return self ? self->log : NULL;
}

cw_client_t *cw_cycle_runner_client(cw_cycle_runner_t *self)
{
    return self ? self->client : NULL;
}

cw_publisher_t *cw_cycle_runner_publisher(cw_cycle_runner_t *self)
{
    return self ? self->pub : NULL;
}

int cw_cycle_runner_claim_seconds(const cw_cycle_runner_t *self)
{
    if (!self)
        return 1800;
    /* analyze and dedup (per page, usually one), generate, commit: each with retries */
    int64_t ms = (int64_t)self->generate_timeout_ms * (self->generate_retries + 1) +
                 (int64_t)self->step_timeout_ms * (self->step_retries + 1) * 3;
    int64_t s = ms / 1000 + 60;
    return s > 86400 ? 86400 : (int)s;
}

static void s_publish(cw_cycle_runner_t *self, const char *name, cw_value_t *fields)
{
    if (!fields)
        return;
    cw_publisher_send(self->pub, name, &fields);
    cw_value_destroy(&fields);
}

/* A reply of the expected type, or a reason. Returns true on success. An error reply's
   code goes to code_out. */
static bool s_check_reply(const cw_value_t *reply, const char *expected, const char *who,
                          const char *err, char *reason, size_t reasonlen, char *code_out,
                          size_t codelen)
{
    if (code_out && codelen)
        code_out[0] = '\0';
    if (!reply) {
        snprintf(reason, reasonlen, "%s: no reply (%s)", who, err && *err ? err : "timeout");
        return false;
    }
    const char *type = cw_proto_type(reply);
    if (type && strcmp(type, CW_MSG_ERROR) == 0) {
        const char *code = cw_map_str(reply, "code", "");
        if (code_out && codelen)
            snprintf(code_out, codelen, "%s", code);
        snprintf(reason, reasonlen, "%s: %s: %s", who, code, cw_map_str(reply, "message", ""));
        return false;
    }
    if (!type || strcmp(type, expected) != 0) {
        snprintf(reason, reasonlen, "%s: unexpected reply type %s", who, type ? type : "(none)");
        return false;
    }
    return true;
}

/* issue 10: may this failure clear by itself? No answer at all (broker or worker away,
   the cycle log not writable), or an error its sender calls retryable. */
static bool s_environmental(const cw_value_t *reply, const char *err)
{
    if (!reply)
        return !(err && (strncmp(err, "invalid request", 15) == 0 ||
                         strncmp(err, "cannot encode", 13) == 0));
    return cw_map_bool(reply, "retryable", false);
}

/* a copy of a target without its source text (for dedup and the log) */
static cw_value_t *s_target_slim(const cw_value_t *target)
{
    cw_value_t *copy = cw_value_new_map();
    if (!copy)
        return NULL;
    size_t n = cw_value_size(target);
    for (size_t i = 0; i < n; i++) {
        const char *key = cw_map_key_at(target, i);
        if (!key || strcmp(key, "context") == 0)
            continue;
        if (strcmp(key, "source") == 0) {
            cw_map_set_str(copy, "source", "");
            continue;
        }
        cw_map_set(copy, key, cw_value_clone(cw_map_value_at(target, i)));
    }
    if (!cw_map_get(copy, "source"))
        cw_map_set_str(copy, "source", "");
    return copy;
}

/* ---- claims */

/* Tell the committer this cycle's claim can go. true when it answered (the cycle log's
   flag is cleared then); false leaves the flag for a later recovery. */
static bool s_release(cw_cycle_runner_t *self, const char *cycle_id)
{
    char job_id[33], err[512] = "", reason[700], code[33];
    cw_bus_new_job_id(job_id);
    cw_value_t *req = cw_proto_new(CW_MSG_RELEASE_REQUEST);
    cw_map_set_str(req, "job_id", job_id);
    cw_map_set_str(req, "claim_id", cycle_id);
    int timeout = self->step_timeout_ms < S_RELEASE_MS ? self->step_timeout_ms : S_RELEASE_MS;
    cw_value_t *reply =
        cw_client_request(self->client, CW_SERVICE_COMMITTER, &req, timeout, 1, err, sizeof err);
    bool ok = s_check_reply(reply, CW_MSG_RELEASE_REPLY, "committer", err, reason, sizeof reason,
                            code, sizeof code);
    if (ok) {
        cw_cyclelog_set_release_pending(self->log, cycle_id, false);
        cw_debug("claim_released", CW_LS("cycle_id", cycle_id),
                 CW_LI("released", cw_map_int(reply, "released", 0)), CW_LEND);
    } else
        cw_warn("claim_release_pending", CW_LS("cycle_id", cycle_id), CW_LS("reason", reason),
                CW_LEND);
    cw_value_destroy(&reply);
    return ok;
}

/* ---- one cycle's working state */
typedef struct {
    cw_cycle_runner_t *runner;
    cw_cycle_outcome_t *o;
    const cw_cycle_plan_t *plan;
    char cycle_id[33];
    bool claim_sent;    /* a dedup with our claim id was sent (the flag is set in the log) */
    bool may_hold;      /* we may hold a claim (one was taken, or a reply was lost) */
    bool commit_unsure; /* a commit request got no answer: the claim must stay */
    int64_t held;       /* candidates refused only because other cycles hold them */
    int64_t started_ms;
} s_cycle_t;

/* ---- outcome helpers */
static void s_outcome_reason(cw_cycle_outcome_t *o, const char *step, const char *reason)
{
    snprintf(o->step, sizeof o->step, "%s", step ? step : "");
    snprintf(o->reason, sizeof o->reason, "%s", reason ? reason : "");
}

/* Before the cycle returns without a commit: release the claim it may hold (or mark the
   log so that a recovery does), unless a commit may have happened. */
static void s_settle_claim(s_cycle_t *c)
{
    if (!c->claim_sent || c->commit_unsure)
        return;
    if (!c->may_hold) {
        cw_cyclelog_set_release_pending(c->runner->log, c->cycle_id, false);
        return;
    }
    if (!zsys_interrupted)
        s_release(c->runner, c->cycle_id);
}

static cw_cycle_result_t s_fail(s_cycle_t *c, const char *step, const char *reason, bool keep_open)
{
    cw_cycle_runner_t *self = c->runner;
    cw_cycle_outcome_t *o = c->o;
    o->result = CW_CYCLE_FAILED;
    s_outcome_reason(o, step, reason);
    cw_cycle_stats_t stats;
    memset(&stats, 0, sizeof stats);
    if (keep_open)
        c->commit_unsure = true;
    if (zsys_interrupted) {
        /* not a documentation failure: leave it to recovery (or abandon it now) */
        if (!keep_open)
            cw_cyclelog_finish(self->log, o->cycle_id, CW_CYCLE_STATE_ABANDONED, "interrupted",
                               NULL, time(NULL), -1, NULL);
        cw_warn("cycle_interrupted", CW_LS("cycle_id", o->cycle_id), CW_LS("step", step), CW_LEND);
        return o->result;
    }
    /* a commit with no answer stays "committing": the next recovery re-sends it */
    cw_cyclelog_finish(self->log, o->cycle_id,
                       keep_open ? CW_CYCLE_STATE_COMMITTING : CW_CYCLE_STATE_FAILED, reason, NULL,
                       time(NULL), CW_CYCLE_FAILED, &stats);
    /* a paged run leaves a target that failed alone (before its claim goes, so that no
       other cycle of the run takes it meanwhile) */
    if (c->plan->pager && o->code_hash[0])
        cw_cycle_pager_exclude(c->plan->pager, o->code_hash, o->doc_type);
    s_settle_claim(c);
    cw_error("cycle_failed", CW_LS("cycle_id", o->cycle_id), CW_LS("step", step),
             CW_LS("reason", reason), CW_LI("consecutive", stats.consecutive_failures), CW_LEND);
    cw_value_t *ev = cw_value_new_map();
    cw_map_set_str(ev, "cycle_id", o->cycle_id);
    cw_map_set_str(ev, "step", step);
    cw_map_set_str(ev, "reason", reason);
    cw_map_set_int(ev, "consecutive", stats.consecutive_failures);
    s_publish(self, CW_EV_CYCLE_FAILED, ev);
    return o->result;
}

/* ---- one request, recorded first (rec: what else changes with the step; may be NULL) */
static cw_value_t *s_request(cw_cycle_runner_t *self, const char *cycle_id, const char *step,
                             const char *service, cw_value_t **request, const char *detail,
                             cw_cyclelog_rec_t *rec, bool store_payload, int timeout_ms,
                             int retries, char *err, size_t errlen)
{
    const char *job_id = cw_map_str(*request, "job_id", "");
    char *data = NULL;
    size_t size = 0;
    if (store_payload) {
        char perr[256] = "";
        if (cw_proto_encode(*request, &data, &size, perr, sizeof perr) != 0) {
            snprintf(err, errlen, "cannot encode %s request: %s", step, perr);
            cw_value_destroy(request);
            return NULL;
        }
    }
    cw_cyclelog_rec_t local = {.release_pending = -1};
    cw_cyclelog_rec_t *r = rec ? rec : &local;
    r->cycle_id = cycle_id;
    r->step = step;
    r->job_id = job_id;
    r->detail = detail;
    r->payload = data;
    r->payload_len = size;
    r->at = time(NULL);
    int rc = cw_cyclelog_record(self->log, r);
    free(data);
    if (rc != 0) {
        snprintf(err, errlen, "cannot record step %s in the cycle log", step);
        cw_value_destroy(request);
        return NULL;
    }
    cw_debug("cycle_step", CW_LS("cycle_id", cycle_id), CW_LS("step", step),
             CW_LS("job_id", job_id), CW_LS("service", service), CW_LEND);
    return cw_client_request(self->client, service, request, timeout_ms, retries, err, errlen);
}

static void s_add_repo(char repos[][257], int *n, const char *repo)
{
    if (!repo || !*repo)
        return;
    for (int i = 0; i < *n; i++)
        if (strcmp(repos[i], repo) == 0)
            return;
    if (*n < S_MAX_REPOS)
        snprintf(repos[(*n)++], 257, "%s", repo);
}

static cw_value_t *s_send_commit(cw_cycle_runner_t *self, cw_value_t **request, char *err,
                                 size_t errlen)
{
    return cw_client_request(self->client, CW_SERVICE_COMMITTER, request, self->step_timeout_ms,
                             self->step_retries, err, errlen);
}

/* ------------------------------------------------------------------ recovery */
static bool s_pid_alive_other(int64_t pid)
{
    if (pid <= 0 || pid == (int64_t)getpid())
        return false;
    if (kill((pid_t)pid, 0) == 0)
        return true;
    return errno == EPERM;
}

/* Close one open cycle of a process that is gone (or of this one, not in flight). */
static int s_recover_one(cw_cycle_runner_t *self, cw_cyclelog_cycle_t *c)
{
    char job_id[65] = "";
    void *payload = NULL;
    size_t plen = 0;
    bool has_commit = cw_cyclelog_find_step(self->log, c->cycle_id, "commit", job_id, sizeof job_id,
                                            &payload, &plen) == 0 &&
                      payload != NULL;
    cw_recover_action_t action = cw_cyclelog_recovery_action(c->state, has_commit);
    if (action == CW_RECOVER_ABANDON) {
        free(payload);
        cw_warn("cycle_abandoned", CW_LS("cycle_id", c->cycle_id), CW_LS("state", c->state),
                CW_LS("reason", "interrupted before the commit step"), CW_LEND);
        int closed = cw_cyclelog_finish(self->log, c->cycle_id, CW_CYCLE_STATE_ABANDONED,
                                        "interrupted before the commit step", NULL, time(NULL), -1,
                                        NULL) == 0;
        if (c->release_pending)
            s_release(self, c->cycle_id);
        return closed;
    }
    if (action != CW_RECOVER_RESUME) {
        free(payload);
        return 0;
    }
    char err[512] = "";
    cw_value_t *request = cw_proto_decode(payload, plen, err, sizeof err);
    free(payload);
    if (!request) {
        char reason[700];
        snprintf(reason, sizeof reason, "recorded commit request unreadable: %s", err);
        cw_error("cycle_resume_failed", CW_LS("cycle_id", c->cycle_id), CW_LS("reason", reason),
                 CW_LEND);
        int closed = cw_cyclelog_finish(self->log, c->cycle_id, CW_CYCLE_STATE_FAILED, reason, NULL,
                                        time(NULL), CW_CYCLE_FAILED, NULL) == 0;
        if (c->release_pending)
            s_release(self, c->cycle_id);
        return closed;
    }
    cw_info("cycle_resume", CW_LS("cycle_id", c->cycle_id), CW_LS("job_id", job_id), CW_LEND);
    cw_value_t *reply = s_send_commit(self, &request, err, sizeof err);
    char reason[1024], code[33];
    int closed = 0;
    if (s_check_reply(reply, CW_MSG_COMMIT_REPLY, "committer", err, reason, sizeof reason, code,
                      sizeof code)) {
        const char *oid = cw_map_str(reply, "commit", "");
        cw_info("cycle_resumed", CW_LS("cycle_id", c->cycle_id), CW_LS("commit", oid),
                CW_LB("duplicate", cw_map_bool(reply, "duplicate", false)), CW_LEND);
        closed = cw_cyclelog_finish(self->log, c->cycle_id, CW_CYCLE_STATE_COMMITTED, NULL, oid,
                                    time(NULL), CW_CYCLE_COMMITTED, NULL) == 0;
    } else if (reply) {
        bool documented = strcmp(code, CW_ERR_DOCUMENTED) == 0;
        cw_error("cycle_resume_failed", CW_LS("cycle_id", c->cycle_id), CW_LS("reason", reason),
                 CW_LEND);
        closed = cw_cyclelog_finish(self->log, c->cycle_id,
                                    documented ? CW_CYCLE_STATE_SKIPPED : CW_CYCLE_STATE_FAILED,
                                    reason, NULL, time(NULL),
                                    documented ? CW_CYCLE_SKIPPED : CW_CYCLE_FAILED, NULL) == 0;
        if (c->release_pending)
            s_release(self, c->cycle_id);
    } else {
        /* no committer yet: stays "committing", tried again before the next cycle */
        cw_warn("cycle_resume_pending", CW_LS("cycle_id", c->cycle_id), CW_LS("reason", reason),
                CW_LEND);
    }
    cw_value_destroy(&reply);
    return closed;
}

static int s_recover_locked(cw_cycle_runner_t *self)
{
    cw_cyclelog_cycle_t *open = calloc(S_MAX_OPEN, sizeof *open);
    if (!open)
        return -1;
    int n = cw_cyclelog_list_open(self->log, open, S_MAX_OPEN);
    if (n < 0) {
        free(open);
        return -1;
    }
    int closed = 0;
    for (int i = 0; i < n && !zsys_interrupted; i++) {
        cw_cyclelog_cycle_t *c = &open[i];
        if (s_active_has(c->cycle_id))
            continue; /* in flight in this process */
        if (s_pid_alive_other(c->pid)) {
            cw_debug("cycle_recover_skip", CW_LS("cycle_id", c->cycle_id),
                     CW_LI("owner_pid", c->pid), CW_LEND);
            continue;
        }
        closed += s_recover_one(self, c);
    }
    /* closed cycles whose claim was never released */
    n = zsys_interrupted ? 0 : cw_cyclelog_list_release_pending(self->log, open, S_MAX_OPEN);
    for (int i = 0; i < n && !zsys_interrupted; i++)
        if (!s_active_has(open[i].cycle_id))
            s_release(self, open[i].cycle_id);
    free(open);
    return closed;
}

int cw_cycle_recover(cw_cycle_runner_t *self)
{
    if (!self)
        return -1;
    pthread_mutex_lock(&s_recover_lock);
    int closed = s_recover_locked(self);
    pthread_mutex_unlock(&s_recover_lock);
    return closed;
}

/* ------------------------------------------------------------------ environment (issue 10) */

/* true (outcome filled: failed, environmental) when one of this process's cycles (or an
   orphan's) still has an undelivered commit after recovery. */
static bool s_commit_pending(cw_cycle_runner_t *self, cw_cycle_outcome_t *o)
{
    cw_cyclelog_cycle_t open[S_MAX_OPEN];
    int n = cw_cyclelog_list_open(self->log, open, S_MAX_OPEN);
    for (int i = 0; i < n; i++) {
        if (s_pid_alive_other(open[i].pid) || s_active_has(open[i].cycle_id) ||
            strcmp(open[i].state, CW_CYCLE_STATE_COMMITTING))
            continue; /* another process's, or in flight here: its own cycle delivers it */
        o->result = CW_CYCLE_FAILED;
        o->environmental = true;
        snprintf(o->cycle_id, sizeof o->cycle_id, "%.39s", open[i].cycle_id);
        char reason[256];
        snprintf(reason, sizeof reason,
                 "the commit of cycle %.40s is not delivered yet; no new cycle before it is",
                 open[i].cycle_id);
        s_outcome_reason(o, "commit", reason);
        cw_warn("cycle_deferred", CW_LS("pending_cycle", open[i].cycle_id), CW_LS("reason", reason),
                CW_LEND);
        return true;
    }
    return false;
}

#define S_PROBE_TIMEOUT_MS 5000

bool cw_cycle_probe(cw_cycle_runner_t *self, const cw_cycle_outcome_t *failed)
{
    if (!self || !failed || !failed->environmental)
        return false;
    /* a commit left open goes first, with short waits */
    int step_timeout = self->step_timeout_ms, step_retries = self->step_retries;
    self->step_timeout_ms = S_PROBE_TIMEOUT_MS;
    self->step_retries = 0;
    cw_cycle_recover(self);
    self->step_timeout_ms = step_timeout;
    self->step_retries = step_retries;
    cw_cycle_outcome_t pending;
    memset(&pending, 0, sizeof pending);
    if (s_commit_pending(self, &pending))
        return false;
    if (strcmp(failed->step, "commit") == 0)
        return true; /* delivered */

    char job_id[33], err[512] = "";
    cw_bus_new_job_id(job_id);
    const char *service = NULL, *expected = NULL;
    cw_value_t *req = NULL;
    if (strcmp(failed->step, "analyze") == 0) {
        service = CW_SERVICE_ANALYZER;
        expected = CW_MSG_ANALYZE_REPLY;
        req = cw_proto_new(CW_MSG_ANALYZE_REQUEST);
        cw_map_set_int(req, "limit", 1);
    } else if (strcmp(failed->step, "dedup") == 0) {
        service = CW_SERVICE_COMMITTER;
        expected = CW_MSG_DEDUP_REPLY;
        req = cw_proto_new(CW_MSG_DEDUP_REQUEST);
        cw_map_set(req, "targets", cw_value_new_array());
    } else if (strcmp(failed->step, "generate") == 0) {
        cw_value_t *status = cw_client_broker_status(self->client, S_PROBE_TIMEOUT_MS);
        const cw_value_t *gen = cw_map_get(cw_map_get(status, "services"), CW_SERVICE_GENERATOR);
        bool up = cw_map_int(gen, "workers", 0) > cw_map_int(gen, "busy", 0);
        cw_value_destroy(&status);
        return up;
    } else
        return false; /* the cycle log itself: the next cycle tells */
    cw_map_set_str(req, "job_id", job_id);
    cw_value_t *reply =
        cw_client_request(self->client, service, &req, S_PROBE_TIMEOUT_MS, 0, err, sizeof err);
    const char *type = cw_proto_type(reply);
    bool up = type && (strcmp(type, expected) == 0 ||
                       (strcmp(type, CW_MSG_ERROR) == 0 &&
                        strcmp(cw_map_str(reply, "code", ""), CW_ERR_NO_TARGET) == 0));
    cw_value_destroy(&reply);
    return up;
}

/* ------------------------------------------------------------------ one cycle */

/* One page of candidates: analyze (offset, limit), then dedup with our claim. Returns 1
   and *chosen when a target was claimed, 0 when the page had none (*ntargets = its size,
   0 = past the end), -1 on a failed step (the cycle has failed; *failed_result set). */
static int s_page(s_cycle_t *c, const char *doc_type, size_t offset, bool paged, char repos[][257],
                  int *nrepos, size_t *ntargets, cw_value_t **chosen,
                  cw_cycle_result_t *failed_result)
{
    cw_cycle_runner_t *self = c->runner;
    const cw_cycle_plan_t *plan = c->plan;
    char err[1024], reason[1024], code[33], detail[128];
    *ntargets = 0;
    char job_id[33];
    cw_bus_new_job_id(job_id);
    if (paged)
        snprintf(detail, sizeof detail, "%s @%zu", doc_type, offset);
    else
        snprintf(detail, sizeof detail, "%s", doc_type);
    /* a paged plan's cycles share the page another cycle just fetched */
    cw_value_t *owned = paged ? s_pager_page_get(plan->pager, offset) : NULL;
    cw_value_t *reply = NULL;
    if (owned) {
        strncat(detail, " (shared page)", sizeof detail - strlen(detail) - 1);
        cw_cyclelog_rec_t rec = {.cycle_id = c->cycle_id,
                                 .step = "analyze",
                                 .detail = detail,
                                 .at = time(NULL),
                                 .release_pending = -1};
        if (cw_cyclelog_record(self->log, &rec) != 0) {
            cw_value_destroy(&owned);
            *failed_result =
                s_fail(c, "analyze", "cannot record step analyze in the cycle log", false);
            return -1;
        }
    } else {
        cw_value_t *req = cw_proto_new(CW_MSG_ANALYZE_REQUEST);
        cw_map_set_str(req, "job_id", job_id);
        cw_map_set_str(req, "doc_type", doc_type);
        cw_map_set_int(req, "limit", S_ANALYZE_LIMIT);
        if (plan->repo && *plan->repo)
            cw_map_set_str(req, "repo", plan->repo);
        if (paged || offset > 0)
            cw_map_set_int(req, "offset", (int64_t)offset);
        err[0] = '\0';
        reply = s_request(self, c->cycle_id, "analyze", CW_SERVICE_ANALYZER, &req, detail, NULL,
                          false, self->step_timeout_ms, self->step_retries, err, sizeof err);
        if (!s_check_reply(reply, CW_MSG_ANALYZE_REPLY, "analyzer", err, reason, sizeof reason,
                           code, sizeof code)) {
            c->o->environmental = s_environmental(reply, err);
            cw_value_destroy(&reply);
            if (strcmp(code, CW_ERR_NO_TARGET) == 0)
                return 0;
            *failed_result = s_fail(c, "analyze", reason, false);
            return -1;
        }
        if (paged && cw_value_size(cw_map_get(reply, "targets")) > 0)
            s_pager_page_put(plan->pager, offset, cw_map_get(reply, "targets"));
    }
    const cw_value_t *targets = owned ? owned : cw_map_get(reply, "targets");
    size_t n = cw_value_size(targets);
    *ntargets = n;
    for (size_t i = 0; i < n; i++)
        s_add_repo(repos, nrepos, cw_map_str(cw_array_at(targets, i), "repo", ""));
    /* the targets to ask about: all, less those the pager says to leave alone */
    cw_value_t *list = cw_value_new_array();
    size_t index[S_ANALYZE_LIMIT + 1];
    size_t nask = 0;
    for (size_t i = 0; i < n && nask < S_ANALYZE_LIMIT; i++) {
        const cw_value_t *t = cw_array_at(targets, i);
        if (plan->pager && cw_cycle_pager_excluded(plan->pager, cw_map_str(t, "code_hash", ""),
                                                   cw_map_str(t, "doc_type", doc_type)))
            continue;
        cw_array_push(list, s_target_slim(t));
        index[nask++] = i;
    }
    if (nask == 0) {
        cw_debug("cycle_no_candidates", CW_LS("cycle_id", c->cycle_id), CW_LS("doc_type", doc_type),
                 CW_LI("offset", (int64_t)offset), CW_LEND);
        cw_value_destroy(&list);
        cw_value_destroy(&reply);
        cw_value_destroy(&owned);
        return 0;
    }
    /* dedup + claim: the targets as declared, source "" (the code hash is what counts) */
    cw_bus_new_job_id(job_id);
    cw_value_t *dreq = cw_proto_new(CW_MSG_DEDUP_REQUEST);
    cw_map_set_str(dreq, "job_id", job_id);
    cw_map_set(dreq, "targets", list);
    cw_map_set_str(dreq, "claim_id", c->cycle_id);
    cw_map_set_int(dreq, "claim_seconds", cw_cycle_runner_claim_seconds(self));
    snprintf(detail, sizeof detail, "%s: %zu candidates", doc_type, nask);
    cw_cyclelog_rec_t rec = {.new_state = CW_CYCLE_STATE_ANALYZED, .release_pending = 1};
    c->claim_sent = true;
    c->may_hold = true;
    err[0] = '\0';
    cw_value_t *dreply =
        s_request(self, c->cycle_id, "dedup", CW_SERVICE_COMMITTER, &dreq, detail, &rec, false,
                  self->step_timeout_ms, self->step_retries, err, sizeof err);
    if (!s_check_reply(dreply, CW_MSG_DEDUP_REPLY, "committer", err, reason, sizeof reason, code,
                       sizeof code)) {
        if (dreply) /* the committer answered: it claimed nothing */
            c->may_hold = false;
        c->o->environmental = s_environmental(dreply, err);
        cw_value_destroy(&dreply);
        cw_value_destroy(&reply);
        cw_value_destroy(&owned);
        *failed_result = s_fail(c, "dedup", reason, false);
        return -1;
    }
    int pick = -1;
    c->held += cw_map_int(dreply, "held", 0);
    const cw_value_t *claimed = cw_map_get(dreply, "claimed");
    if (claimed && cw_value_kind(claimed) == CW_VAL_INT) {
        int64_t k = cw_value_int(claimed);
        pick = k >= 0 && (size_t)k < nask ? (int)k : -1;
    } else { /* a committer without claims (it holds none): the first allowed target */
        c->may_hold = false;
        const cw_value_t *allowed = cw_map_get(dreply, "allowed");
        for (size_t i = 0; i < nask && i < cw_value_size(allowed) && pick < 0; i++) {
            const cw_value_t *a = cw_array_at(allowed, i);
            if (cw_value_kind(a) == CW_VAL_BOOL && cw_value_bool(a))
                pick = (int)i;
        }
    }
    if (pick >= 0)
        *chosen = cw_value_clone(cw_array_at(targets, index[pick]));
    else
        c->may_hold = false;
    cw_value_destroy(&dreply);
    cw_value_destroy(&reply);
    cw_value_destroy(&owned);
    return pick >= 0 ? 1 : 0;
}

cw_cycle_result_t cw_cycle_run(cw_cycle_runner_t *self, cw_cycle_outcome_t *outcome)
{
    return cw_cycle_run_plan(self, NULL, outcome);
}

static cw_cycle_result_t s_run(s_cycle_t *c);

cw_cycle_result_t cw_cycle_run_plan(cw_cycle_runner_t *self, const cw_cycle_plan_t *plan,
                                    cw_cycle_outcome_t *outcome)
{
    cw_cycle_outcome_t local;
    cw_cycle_outcome_t *o = outcome ? outcome : &local;
    memset(o, 0, sizeof *o);
    if (!self) {
        o->result = CW_CYCLE_FAILED;
        s_outcome_reason(o, "start", "no cycle runner");
        return o->result;
    }
    cw_cycle_plan_t defaults = {0};
    if (!plan)
        plan = &defaults;
    if (plan->pager && (!plan->doc_type || !plan->repo)) {
        o->result = CW_CYCLE_FAILED;
        s_outcome_reason(o, "start", "a paged cycle needs one doc type and one repository");
        return o->result;
    }
    /* one recovery at a time; a runner that finds another recovering goes on */
    if (pthread_mutex_trylock(&s_recover_lock) == 0) {
        s_recover_locked(self);
        pthread_mutex_unlock(&s_recover_lock);
    }
    /* a commit still waiting for the environment: no new document before it is delivered
       (another cycle would pick the same target again) */
    if (s_commit_pending(self, o))
        return o->result;
    o->tag = plan->tag;
    s_cycle_t c = {.runner = self, .o = o, .plan = plan, .started_ms = zclock_mono()};
    cw_bus_new_job_id(c.cycle_id);
    snprintf(o->cycle_id, sizeof o->cycle_id, "%s", c.cycle_id);
    if (!s_active_add(c.cycle_id)) {
        o->result = CW_CYCLE_FAILED;
        s_outcome_reason(o, "start", "too many cycles in flight in this process");
        return o->result;
    }
    cw_cycle_result_t result = s_run(&c);
    s_active_remove(c.cycle_id);
    o->elapsed_ms = zclock_mono() - c.started_ms;
    return result;
}

static cw_cycle_result_t s_run(s_cycle_t *c)
{
    cw_cycle_runner_t *self = c->runner;
    cw_cycle_outcome_t *o = c->o;
    const cw_cycle_plan_t *plan = c->plan;
    const char *cycle_id = c->cycle_id;
    if (cw_cyclelog_begin(self->log, cycle_id, time(NULL)) != 0) {
        o->result = CW_CYCLE_FAILED;
        o->environmental = true; /* disk full, read-only or locked data_dir */
        s_outcome_reason(o, "start", "cannot write the cycle log");
        /* nothing was started; still say so (the log cannot count it) */
        cw_cycle_stats_t stats;
        memset(&stats, 0, sizeof stats);
        cw_cyclelog_stats(self->log, &stats);
        cw_error("cycle_failed", CW_LS("cycle_id", cycle_id), CW_LS("step", "start"),
                 CW_LS("reason", o->reason), CW_LEND);
        cw_value_t *fev = cw_value_new_map();
        cw_map_set_str(fev, "cycle_id", cycle_id);
        cw_map_set_str(fev, "step", "start");
        cw_map_set_str(fev, "reason", o->reason);
        cw_map_set_int(fev, "consecutive", stats.consecutive_failures);
        s_publish(self, CW_EV_CYCLE_FAILED, fev);
        return o->result;
    }
    const char *trigger = plan->trigger && *plan->trigger
                              ? plan->trigger
                              : (strcmp(self->service, "scheduler") == 0 ? "schedule" : "manual");
    cw_info("cycle_starting", CW_LS("cycle_id", cycle_id), CW_LS("trigger", trigger), CW_LEND);
    cw_value_t *ev = cw_value_new_map();
    cw_map_set_str(ev, "cycle_id", cycle_id);
    cw_map_set_str(ev, "trigger", trigger);
    s_publish(self, CW_EV_CYCLE_STARTING, ev);

    int order[CW_DOC_TYPE_COUNT];
    int ntypes = 0;
    if (plan->doc_type) {
        int t = cw_doc_type_from_name(plan->doc_type);
        if (t < 0)
            return s_fail(c, "start", "unknown doc type", false);
        order[ntypes++] = t;
    } else
        ntypes =
            cw_cycle_doc_type_order(self->config->documentation.type_weights, &self->rng, order);
    char repos[S_MAX_REPOS][257];
    int nrepos = 0;
    char err[1024], reason[1024], code[33];
    cw_value_t *chosen = NULL;
    const char *chosen_type = NULL;
    cw_cycle_result_t failed_result = CW_CYCLE_FAILED;

    for (int t = 0; t < ntypes && !chosen; t++) {
        const char *doc_type = cw_doc_type_name(order[t]);
        if (!doc_type)
            continue;
        ev = cw_value_new_map();
        cw_map_set_str(ev, "cycle_id", cycle_id);
        cw_map_set_str(ev, "doc_type", doc_type);
        s_publish(self, CW_EV_ANALYZING, ev);
        bool paged = plan->pager != NULL;
        size_t start = paged ? cw_cycle_pager_cursor(plan->pager) : 0;
        size_t offset = start;
        bool wrapped = start == 0;
        for (int pages = 0; pages < S_MAX_PAGES && !chosen; pages++) {
            size_t n = 0;
            int rc =
                s_page(c, doc_type, offset, paged, repos, &nrepos, &n, &chosen, &failed_result);
            if (rc < 0)
                return failed_result;
            if (rc == 1) {
                if (paged)
                    s_pager_note(plan->pager, offset, n, true);
                chosen_type = doc_type;
                break;
            }
            if (!paged) { /* the next page, until the ranking ends */
                if (n < S_ANALYZE_LIMIT)
                    break;
                offset += n;
                continue;
            }
            if (n == 0) { /* past the end: from the top, once */
                if (wrapped) {
                    if (start == 0)
                        s_pager_rewind(plan->pager);
                    break;
                }
                wrapped = true;
                s_pager_rewind(plan->pager);
                offset = 0;
                continue;
            }
            s_pager_note(plan->pager, offset, n, false);
            offset += n;
            if (wrapped && start > 0 && offset >= start)
                break; /* full circle */
        }
        if (!chosen)
            cw_debug("cycle_all_documented", CW_LS("cycle_id", cycle_id),
                     CW_LS("doc_type", doc_type), CW_LEND);
    }

    if (!chosen) {
        if (nrepos == 0) {
            if (plan->repo)
                s_add_repo(repos, &nrepos, plan->repo);
            else
                for (size_t i = 0; i < self->config->repo_count; i++)
                    s_add_repo(repos, &nrepos, self->config->repos[i].name);
        }
        bool busy = c->held > 0; /* what is left is in flight in other cycles */
        if (ntypes == 0)
            snprintf(reason, sizeof reason, "every documentation type has weight 0");
        else if (busy)
            snprintf(reason, sizeof reason,
                     "every candidate left is being documented by another cycle (%lld)",
                     (long long)c->held);
        else if (plan->doc_type)
            snprintf(reason, sizeof reason, "no undocumented %s target%s%s", plan->doc_type,
                     plan->repo ? " in " : "", plan->repo ? plan->repo : "");
        else
            snprintf(reason, sizeof reason, "no undocumented target in any documentation type");
        o->result = CW_CYCLE_SKIPPED;
        s_outcome_reason(o, "analyze", reason);
        cw_cycle_stats_t stats;
        memset(&stats, 0, sizeof stats);
        /* nothing free because of work in flight is not "nothing to document": it is not
           counted in the stats (no consecutive-skip alert) and publishes no cycle_skipped */
        cw_cyclelog_finish(self->log, cycle_id, CW_CYCLE_STATE_SKIPPED, reason, NULL, time(NULL),
                           busy ? -1 : CW_CYCLE_SKIPPED, &stats);
        s_settle_claim(c);
        if (busy) {
            cw_info("cycle_nothing_free", CW_LS("cycle_id", cycle_id), CW_LS("reason", reason),
                    CW_LEND);
            return o->result;
        }
        cw_info("cycle_skipped", CW_LS("cycle_id", cycle_id), CW_LS("reason", reason),
                CW_LI("consecutive", stats.consecutive_skips), CW_LEND);
        ev = cw_value_new_map();
        cw_map_set_str(ev, "cycle_id", cycle_id);
        cw_map_set_str(ev, "reason", reason);
        cw_map_set_int(ev, "consecutive", stats.consecutive_skips);
        cw_value_t *rl = cw_value_new_array();
        for (int i = 0; i < nrepos; i++)
            cw_array_push_str(rl, repos[i]);
        cw_map_set(ev, "repos", rl);
        s_publish(self, CW_EV_CYCLE_SKIPPED, ev);
        return o->result;
    }

    /* ---- generate */
    char display[512];
    cw_cycle_display_name(chosen, display, sizeof display);
    const char *repo = cw_map_str(chosen, "repo", "");
    snprintf(o->target, sizeof o->target, "%s", display);
    snprintf(o->doc_type, sizeof o->doc_type, "%s", chosen_type);
    snprintf(o->repo, sizeof o->repo, "%s", repo);
    snprintf(o->code_hash, sizeof o->code_hash, "%s", cw_map_str(chosen, "code_hash", ""));
    cw_value_t *slim = s_target_slim(chosen);
    char *json = slim ? cw_json_encode(slim) : NULL;
    cw_value_destroy(&slim);

    cw_info("cycle_generating", CW_LS("cycle_id", cycle_id), CW_LS("target", display),
            CW_LS("doc_type", chosen_type), CW_LS("repo", repo), CW_LEND);
    ev = cw_value_new_map();
    cw_map_set_str(ev, "cycle_id", cycle_id);
    cw_map_set_str(ev, "target", display);
    cw_map_set_str(ev, "doc_type", chosen_type);
    cw_map_set_str(ev, "repo", repo);
    cw_map_set_int(ev, "redactions", cw_map_int(chosen, "redactions", 0)); /* by the analyzer */
    s_publish(self, CW_EV_GENERATING, ev);

    char job_id[33];
    cw_bus_new_job_id(job_id);
    cw_value_t *greq = cw_proto_new(CW_MSG_GENERATE_REQUEST);
    cw_map_set_str(greq, "job_id", job_id);
    cw_map_set(greq, "target", cw_value_clone(chosen));
    /* the generator abandons the job when nobody waits for it any more (issue 10) */
    cw_map_set_int(greq, "timeout_ms",
                   (int64_t)self->generate_timeout_ms * (self->generate_retries + 1));
    cw_cyclelog_rec_t grec = {.new_state = CW_CYCLE_STATE_GENERATING,
                              .doc_type = chosen_type,
                              .repo = repo,
                              .target_json = json,
                              .release_pending = -1};
    err[0] = '\0';
    cw_value_t *greply =
        s_request(self, cycle_id, "generate", CW_SERVICE_GENERATOR, &greq, display, &grec, false,
                  self->generate_timeout_ms, self->generate_retries, err, sizeof err);
    free(json);
    if (!s_check_reply(greply, CW_MSG_GENERATE_REPLY, "generator", err, reason, sizeof reason, code,
                       sizeof code)) {
        o->environmental = s_environmental(greply, err);
        cw_value_destroy(&greply);
        cw_value_destroy(&chosen);
        if (strcmp(code, CW_ERR_UNAVAILABLE) == 0) {
            o->result = CW_CYCLE_LLM_DOWN;
            s_outcome_reason(o, "generate", reason);
            cw_cyclelog_finish(self->log, cycle_id, CW_CYCLE_STATE_ABANDONED, reason, NULL,
                               time(NULL), CW_CYCLE_LLM_DOWN, NULL);
            s_settle_claim(c);
            cw_warn("cycle_llm_unavailable", CW_LS("cycle_id", cycle_id), CW_LS("reason", reason),
                    CW_LEND);
            return o->result;
        }
        return s_fail(c, "generate", reason, false);
    }
    if (self->dry_run) { /* dry run: the document goes to the hook, nothing is committed */
        self->dry_run(self->dry_run_arg, chosen, greply);
        cw_value_destroy(&greply);
        cw_value_destroy(&chosen);
        o->result = CW_CYCLE_GENERATED;
        s_outcome_reason(o, "generate", "dry run: generated, not committed");
        cw_cyclelog_finish(self->log, cycle_id, CW_CYCLE_STATE_ABANDONED, o->reason, NULL,
                           time(NULL), -1, NULL);
        s_settle_claim(c);
        cw_info("cycle_dry_run", CW_LS("cycle_id", cycle_id), CW_LS("target", display), CW_LEND);
        return o->result;
    }

    /* ---- commit: the full request is recorded so a restart can repeat it */
    cw_bus_new_job_id(job_id);
    cw_value_t *creq = cw_proto_new(CW_MSG_COMMIT_REQUEST);
    cw_map_set_str(creq, "job_id", job_id);
    cw_map_set(creq, "target", chosen); /* ownership passes */
    chosen = NULL;
    cw_map_set_str(creq, "documentation", cw_map_str(greply, "documentation", ""));
    cw_map_set_str(creq, "commit_message", cw_map_str(greply, "commit_message", ""));
    cw_map_set_str(creq, "cycle_id", cycle_id);
    cw_value_destroy(&greply);
    cw_cyclelog_rec_t crec = {.new_state = CW_CYCLE_STATE_COMMITTING, .release_pending = -1};
    err[0] = '\0';
    cw_value_t *creply =
        s_request(self, cycle_id, "commit", CW_SERVICE_COMMITTER, &creq, display, &crec, true,
                  self->step_timeout_ms, self->step_retries, err, sizeof err);
    if (!s_check_reply(creply, CW_MSG_COMMIT_REPLY, "committer", err, reason, sizeof reason, code,
                       sizeof code)) {
        bool no_answer = creply == NULL && strncmp(err, "cannot ", 7) != 0;
        /* a retryable refusal (disk full, read-only DevLog, ledger locked) keeps the cycle
           open too: the recorded request is sent again when the environment is back, so
           the generated document is not lost and not generated twice (issue 10) */
        bool retry_later = creply != NULL && cw_map_bool(creply, "retryable", false);
        o->environmental = s_environmental(creply, err);
        cw_value_destroy(&creply);
        if (strcmp(code, CW_ERR_DOCUMENTED) == 0) {
            /* another cycle documented it first (its claim had expired): nothing to do */
            o->result = CW_CYCLE_SKIPPED;
            s_outcome_reason(o, "commit", reason);
            cw_cycle_stats_t stats;
            memset(&stats, 0, sizeof stats);
            cw_cyclelog_finish(self->log, cycle_id, CW_CYCLE_STATE_SKIPPED, reason, NULL,
                               time(NULL), CW_CYCLE_SKIPPED, &stats);
            s_settle_claim(c);
            cw_warn("cycle_skipped", CW_LS("cycle_id", cycle_id), CW_LS("reason", reason), CW_LEND);
            ev = cw_value_new_map();
            cw_map_set_str(ev, "cycle_id", cycle_id);
            cw_map_set_str(ev, "reason", reason);
            cw_map_set_int(ev, "consecutive", stats.consecutive_skips);
            s_publish(self, CW_EV_CYCLE_SKIPPED, ev);
            return o->result;
        }
        return s_fail(c, "commit", reason, no_answer || retry_later);
    }
    o->result = CW_CYCLE_COMMITTED;
    snprintf(o->commit, sizeof o->commit, "%s", cw_map_str(creply, "commit", ""));
    snprintf(o->path, sizeof o->path, "%s", cw_map_str(creply, "path", ""));
    o->pushed = cw_map_bool(creply, "pushed", false);
    snprintf(o->push_state, sizeof o->push_state, "%s", cw_map_str(creply, "push_state", ""));
    snprintf(o->push_error, sizeof o->push_error, "%s", cw_map_str(creply, "push_error", ""));
    snprintf(o->step, sizeof o->step, "commit");
    cw_cyclelog_finish(self->log, cycle_id, CW_CYCLE_STATE_COMMITTED, NULL, o->commit, time(NULL),
                       CW_CYCLE_COMMITTED, NULL);
    cw_info("cycle_committed", CW_LS("cycle_id", cycle_id), CW_LS("target", display),
            CW_LS("commit", o->commit), CW_LS("path", o->path),
            CW_LB("duplicate", cw_map_bool(creply, "duplicate", false)), CW_LEND);
    cw_value_destroy(&creply);
    return o->result;
}
