/*  cw_cycle — see cw_cycle.h. One cycle = a saga over the bus; every step is written to the
    cycle log (cw_cyclelog) before its request leaves. */
#include "cw_cycle.h"

#include <czmq.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "cw_bus.h"
#include "cw_cyclelog.h"
#include "cw_log.h"
#include "cw_proto.h"

#define S_ANALYZE_LIMIT 20
#define S_MAX_REPOS 64
#define S_MAX_OPEN 64

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
        const char *base = strrchr(file, '/');
        base = base ? base + 1 : file;
        const char *dot = strrchr(base, '.');
        size_t len = (dot && dot != base) ? (size_t)(dot - base) : strlen(base);
        snprintf(out, outlen, "%.*s", (int)len, base);
    }
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
    self->step_timeout_ms = 30000;
    self->step_retries = 2;
    self->generate_timeout_ms = 660000;
    self->generate_retries = 1;
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
    self->step_timeout_ms = step_timeout_ms > 0 ? step_timeout_ms : 30000;
    self->step_retries = step_retries >= 0 ? step_retries : 0;
    self->generate_timeout_ms = generate_timeout_ms > 0 ? generate_timeout_ms : 660000;
    self->generate_retries = generate_retries >= 0 ? generate_retries : 0;
}

void cw_cycle_runner_set_seed(cw_cycle_runner_t *self, uint64_t seed)
{
    if (self)
        cw_rng_seed(&self->rng, seed);
}

cw_cyclelog_t *cw_cycle_runner_log(cw_cycle_runner_t *self)
{
    return self ? self->log : NULL;
}

cw_publisher_t *cw_cycle_runner_publisher(cw_cycle_runner_t *self)
{
    return self ? self->pub : NULL;
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

/* ---- outcome helpers */
static void s_outcome_reason(cw_cycle_outcome_t *o, const char *step, const char *reason)
{
    snprintf(o->step, sizeof o->step, "%s", step ? step : "");
    snprintf(o->reason, sizeof o->reason, "%s", reason ? reason : "");
}

static cw_cycle_result_t s_fail(cw_cycle_runner_t *self, cw_cycle_outcome_t *o, const char *step,
                                const char *reason, bool keep_open)
{
    o->result = CW_CYCLE_FAILED;
    s_outcome_reason(o, step, reason);
    cw_cycle_stats_t stats;
    memset(&stats, 0, sizeof stats);
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

/* ---- one request, recorded first */
static cw_value_t *s_request(cw_cycle_runner_t *self, const char *cycle_id, const char *step,
                             const char *service, cw_value_t **request, const char *detail,
                             const char *new_state, bool store_payload, int timeout_ms, int retries,
                             char *err, size_t errlen)
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
    int rc = cw_cyclelog_step(self->log, cycle_id, step, job_id, detail, data, size, new_state,
                              time(NULL));
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

int cw_cycle_recover(cw_cycle_runner_t *self)
{
    if (!self)
        return -1;
    cw_cyclelog_cycle_t open[S_MAX_OPEN];
    int n = cw_cyclelog_list_open(self->log, open, S_MAX_OPEN);
    if (n < 0)
        return -1;
    int closed = 0;
    for (int i = 0; i < n && !zsys_interrupted; i++) {
        cw_cyclelog_cycle_t *c = &open[i];
        if (s_pid_alive_other(c->pid)) {
            cw_debug("cycle_recover_skip", CW_LS("cycle_id", c->cycle_id),
                     CW_LI("owner_pid", c->pid), CW_LEND);
            continue;
        }
        char job_id[65] = "";
        void *payload = NULL;
        size_t plen = 0;
        bool has_commit = cw_cyclelog_find_step(self->log, c->cycle_id, "commit", job_id,
                                                sizeof job_id, &payload, &plen) == 0 &&
                          payload != NULL;
        cw_recover_action_t action = cw_cyclelog_recovery_action(c->state, has_commit);
        if (action == CW_RECOVER_ABANDON) {
            free(payload);
            cw_warn("cycle_abandoned", CW_LS("cycle_id", c->cycle_id), CW_LS("state", c->state),
                    CW_LS("reason", "interrupted before the commit step"), CW_LEND);
            if (cw_cyclelog_finish(self->log, c->cycle_id, CW_CYCLE_STATE_ABANDONED,
                                   "interrupted before the commit step", NULL, time(NULL), -1,
                                   NULL) == 0)
                closed++;
            continue;
        }
        if (action != CW_RECOVER_RESUME) {
            free(payload);
            continue;
        }
        char err[512] = "";
        cw_value_t *request = cw_proto_decode(payload, plen, err, sizeof err);
        free(payload);
        if (!request) {
            char reason[700];
            snprintf(reason, sizeof reason, "recorded commit request unreadable: %s", err);
            cw_error("cycle_resume_failed", CW_LS("cycle_id", c->cycle_id), CW_LS("reason", reason),
                     CW_LEND);
            if (cw_cyclelog_finish(self->log, c->cycle_id, CW_CYCLE_STATE_FAILED, reason, NULL,
                                   time(NULL), CW_CYCLE_FAILED, NULL) == 0)
                closed++;
            continue;
        }
        cw_info("cycle_resume", CW_LS("cycle_id", c->cycle_id), CW_LS("job_id", job_id), CW_LEND);
        cw_value_t *reply = s_send_commit(self, &request, err, sizeof err);
        char reason[1024], code[33];
        if (s_check_reply(reply, CW_MSG_COMMIT_REPLY, "committer", err, reason, sizeof reason, code,
                          sizeof code)) {
            const char *oid = cw_map_str(reply, "commit", "");
            cw_info("cycle_resumed", CW_LS("cycle_id", c->cycle_id), CW_LS("commit", oid),
                    CW_LB("duplicate", cw_map_bool(reply, "duplicate", false)), CW_LEND);
            if (cw_cyclelog_finish(self->log, c->cycle_id, CW_CYCLE_STATE_COMMITTED, NULL, oid,
                                   time(NULL), CW_CYCLE_COMMITTED, NULL) == 0)
                closed++;
        } else if (reply) {
            cw_error("cycle_resume_failed", CW_LS("cycle_id", c->cycle_id), CW_LS("reason", reason),
                     CW_LEND);
            if (cw_cyclelog_finish(self->log, c->cycle_id, CW_CYCLE_STATE_FAILED, reason, NULL,
                                   time(NULL), CW_CYCLE_FAILED, NULL) == 0)
                closed++;
        } else {
            /* no committer yet: stays "committing", tried again before the next cycle */
            cw_warn("cycle_resume_pending", CW_LS("cycle_id", c->cycle_id), CW_LS("reason", reason),
                    CW_LEND);
        }
        cw_value_destroy(&reply);
    }
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
        if (s_pid_alive_other(open[i].pid) || strcmp(open[i].state, CW_CYCLE_STATE_COMMITTING))
            continue;
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
cw_cycle_result_t cw_cycle_run(cw_cycle_runner_t *self, cw_cycle_outcome_t *outcome)
{
    cw_cycle_outcome_t local;
    cw_cycle_outcome_t *o = outcome ? outcome : &local;
    memset(o, 0, sizeof *o);
    if (!self) {
        o->result = CW_CYCLE_FAILED;
        s_outcome_reason(o, "start", "no cycle runner");
        return o->result;
    }
    cw_cycle_recover(self);
    /* a commit still waiting for the environment: no new document before it is delivered
       (another cycle would pick the same target again) */
    if (s_commit_pending(self, o))
        return o->result;

    char cycle_id[33];
    cw_bus_new_job_id(cycle_id);
    snprintf(o->cycle_id, sizeof o->cycle_id, "%s", cycle_id);
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
    cw_info("cycle_starting", CW_LS("cycle_id", cycle_id), CW_LEND);
    cw_value_t *ev = cw_value_new_map();
    cw_map_set_str(ev, "cycle_id", cycle_id);
    cw_map_set_str(ev, "trigger", strcmp(self->service, "scheduler") == 0 ? "schedule" : "manual");
    s_publish(self, CW_EV_CYCLE_STARTING, ev);

    int order[CW_DOC_TYPE_COUNT];
    int ntypes =
        cw_cycle_doc_type_order(self->config->documentation.type_weights, &self->rng, order);
    char repos[S_MAX_REPOS][257];
    int nrepos = 0;
    char err[1024], reason[1024], code[33];
    cw_value_t *chosen = NULL;
    const char *chosen_type = NULL;

    for (int t = 0; t < ntypes && !chosen; t++) {
        const char *doc_type = cw_doc_type_name(order[t]);
        if (!doc_type)
            continue;
        ev = cw_value_new_map();
        cw_map_set_str(ev, "cycle_id", cycle_id);
        cw_map_set_str(ev, "doc_type", doc_type);
        s_publish(self, CW_EV_ANALYZING, ev);

        char job_id[33];
        cw_bus_new_job_id(job_id);
        cw_value_t *req = cw_proto_new(CW_MSG_ANALYZE_REQUEST);
        cw_map_set_str(req, "job_id", job_id);
        cw_map_set_str(req, "doc_type", doc_type);
        cw_map_set_int(req, "limit", S_ANALYZE_LIMIT);
        err[0] = '\0';
        cw_value_t *reply =
            s_request(self, cycle_id, "analyze", CW_SERVICE_ANALYZER, &req, doc_type, NULL, false,
                      self->step_timeout_ms, self->step_retries, err, sizeof err);
        if (!s_check_reply(reply, CW_MSG_ANALYZE_REPLY, "analyzer", err, reason, sizeof reason,
                           code, sizeof code)) {
            o->environmental = s_environmental(reply, err);
            cw_value_destroy(&reply);
            if (strcmp(code, CW_ERR_NO_TARGET) == 0)
                continue;
            return s_fail(self, o, "analyze", reason, false);
        }
        const cw_value_t *targets = cw_map_get(reply, "targets");
        size_t ntargets = cw_value_size(targets);
        for (size_t i = 0; i < ntargets; i++)
            s_add_repo(repos, &nrepos, cw_map_str(cw_array_at(targets, i), "repo", ""));
        if (ntargets == 0) {
            cw_debug("cycle_no_candidates", CW_LS("cycle_id", cycle_id),
                     CW_LS("doc_type", doc_type), CW_LEND);
            cw_value_destroy(&reply);
            continue;
        }
        cw_cyclelog_set_state(self->log, cycle_id, CW_CYCLE_STATE_ANALYZED);

        /* dedup: the targets as declared, source "" (the code hash is what counts) */
        cw_bus_new_job_id(job_id);
        cw_value_t *dreq = cw_proto_new(CW_MSG_DEDUP_REQUEST);
        cw_value_t *list = cw_value_new_array();
        for (size_t i = 0; i < ntargets; i++)
            cw_array_push(list, s_target_slim(cw_array_at(targets, i)));
        cw_map_set_str(dreq, "job_id", job_id);
        cw_map_set(dreq, "targets", list);
        char detail[64];
        snprintf(detail, sizeof detail, "%s: %zu candidates", doc_type, ntargets);
        err[0] = '\0';
        cw_value_t *dreply =
            s_request(self, cycle_id, "dedup", CW_SERVICE_COMMITTER, &dreq, detail, NULL, false,
                      self->step_timeout_ms, self->step_retries, err, sizeof err);
        if (!s_check_reply(dreply, CW_MSG_DEDUP_REPLY, "committer", err, reason, sizeof reason,
                           code, sizeof code)) {
            o->environmental = s_environmental(dreply, err);
            cw_value_destroy(&dreply);
            cw_value_destroy(&reply);
            return s_fail(self, o, "dedup", reason, false);
        }
        const cw_value_t *allowed = cw_map_get(dreply, "allowed");
        size_t nallowed = cw_value_size(allowed);
        for (size_t i = 0; i < ntargets && i < nallowed; i++) {
            const cw_value_t *a = cw_array_at(allowed, i);
            if (cw_value_kind(a) == CW_VAL_BOOL && cw_value_bool(a)) {
                chosen = cw_value_clone(cw_array_at(targets, i));
                chosen_type = doc_type;
                break;
            }
        }
        cw_value_destroy(&dreply);
        cw_value_destroy(&reply);
        if (!chosen)
            cw_debug("cycle_all_documented", CW_LS("cycle_id", cycle_id),
                     CW_LS("doc_type", doc_type), CW_LEND);
    }

    if (!chosen) {
        if (nrepos == 0)
            for (size_t i = 0; i < self->config->repo_count; i++)
                s_add_repo(repos, &nrepos, self->config->repos[i].name);
        snprintf(reason, sizeof reason, "%s",
                 ntypes == 0 ? "every documentation type has weight 0"
                             : "no undocumented target in any documentation type");
        o->result = CW_CYCLE_SKIPPED;
        s_outcome_reason(o, "analyze", reason);
        cw_cycle_stats_t stats;
        memset(&stats, 0, sizeof stats);
        cw_cyclelog_finish(self->log, cycle_id, CW_CYCLE_STATE_SKIPPED, reason, NULL, time(NULL),
                           CW_CYCLE_SKIPPED, &stats);
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
    cw_value_t *slim = s_target_slim(chosen);
    char *json = slim ? cw_value_to_json(slim) : NULL;
    cw_cyclelog_set_target(self->log, cycle_id, chosen_type, repo, json);
    free(json);
    cw_value_destroy(&slim);

    cw_info("cycle_generating", CW_LS("cycle_id", cycle_id), CW_LS("target", display),
            CW_LS("doc_type", chosen_type), CW_LS("repo", repo), CW_LEND);
    ev = cw_value_new_map();
    cw_map_set_str(ev, "cycle_id", cycle_id);
    cw_map_set_str(ev, "target", display);
    cw_map_set_str(ev, "doc_type", chosen_type);
    cw_map_set_str(ev, "repo", repo);
    s_publish(self, CW_EV_GENERATING, ev);

    char job_id[33];
    cw_bus_new_job_id(job_id);
    cw_value_t *greq = cw_proto_new(CW_MSG_GENERATE_REQUEST);
    cw_map_set_str(greq, "job_id", job_id);
    cw_map_set(greq, "target", cw_value_clone(chosen));
    /* the generator abandons the job when nobody waits for it any more (issue 10) */
    cw_map_set_int(greq, "timeout_ms",
                   (int64_t)self->generate_timeout_ms * (self->generate_retries + 1));
    err[0] = '\0';
    cw_value_t *greply = s_request(self, cycle_id, "generate", CW_SERVICE_GENERATOR, &greq, display,
                                   CW_CYCLE_STATE_GENERATING, false, self->generate_timeout_ms,
                                   self->generate_retries, err, sizeof err);
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
            cw_warn("cycle_llm_unavailable", CW_LS("cycle_id", cycle_id), CW_LS("reason", reason),
                    CW_LEND);
            return o->result;
        }
        return s_fail(self, o, "generate", reason, false);
    }
    cw_cyclelog_set_state(self->log, cycle_id, CW_CYCLE_STATE_GENERATED);

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
    err[0] = '\0';
    cw_value_t *creply = s_request(self, cycle_id, "commit", CW_SERVICE_COMMITTER, &creq, display,
                                   CW_CYCLE_STATE_COMMITTING, true, self->step_timeout_ms,
                                   self->step_retries, err, sizeof err);
    if (!s_check_reply(creply, CW_MSG_COMMIT_REPLY, "committer", err, reason, sizeof reason, code,
                       sizeof code)) {
        bool no_answer = creply == NULL && strncmp(err, "cannot ", 7) != 0;
        /* a retryable refusal (disk full, read-only DevLog, ledger locked) keeps the cycle
           open too: the recorded request is sent again when the environment is back, so
           the generated document is not lost and not generated twice (issue 10) */
        bool retry_later = creply != NULL && cw_map_bool(creply, "retryable", false);
        o->environmental = s_environmental(creply, err);
        cw_value_destroy(&creply);
        return s_fail(self, o, "commit", reason, no_answer || retry_later);
    }
    o->result = CW_CYCLE_COMMITTED;
    snprintf(o->commit, sizeof o->commit, "%s", cw_map_str(creply, "commit", ""));
    snprintf(o->path, sizeof o->path, "%s", cw_map_str(creply, "path", ""));
    snprintf(o->step, sizeof o->step, "commit");
    cw_cyclelog_finish(self->log, cycle_id, CW_CYCLE_STATE_COMMITTED, NULL, o->commit, time(NULL),
                       CW_CYCLE_COMMITTED, NULL);
    cw_info("cycle_committed", CW_LS("cycle_id", cycle_id), CW_LS("target", display),
            CW_LS("commit", o->commit), CW_LS("path", o->path),
            CW_LB("duplicate", cw_map_bool(creply, "duplicate", false)), CW_LEND);
    cw_value_destroy(&creply);
    return o->result;
}
