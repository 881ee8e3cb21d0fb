/*  cw_committer — the committer worker's logic. See cw_committer.h. */
#include "cw_committer.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cw_grounding.h"
#include "cw_log.h"
#include "cw_proto.h"
#include "cw_pusher.h"
#include "cw_redact.h"

#define JOB_ID_MAX 64

struct _cw_committer_t {
    const cw_config_t *config;
    cw_publisher_t *publisher;
    cw_devlog_t *devlog;
    cw_ledger_t *ledger;
    cw_redact_t *redact; /* defence in depth: nothing secret is written, whoever sent it */
    cw_pusher_t *pusher;
    int ledger_patience_ms;
    char reconciled[41]; /* DevLog HEAD up to which the ledger holds every job ("" = none) */
};

static int s_reconcile(cw_committer_t *self);
static int s_record(cw_committer_t *self, const cw_value_t *target, const char *path,
                    const char *commit, const char *job_id);
static cw_value_t *s_ledger_unavailable(const char *job_id, const char *commit);

cw_committer_t *cw_committer_new(const cw_config_t *config, cw_publisher_t *publisher)
{
    if (!config || !config->devlog.repo_path || !*config->devlog.repo_path) {
        cw_error("committer_start_failed", CW_LS("reason", "devlog.repo_path is not set"), CW_LEND);
        return NULL;
    }
    cw_committer_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->config = config;
    self->publisher = publisher;
    self->devlog = cw_devlog_new(config->devlog.repo_path, config->devlog.branch,
                                 config->devlog.author_name, config->devlog.author_email);
    if (!self->devlog || cw_devlog_init_layout(self->devlog) != 0)
        goto fail;
    char db[PATH_MAX];
    if (cw_config_data_path(config, "codeworm.db", db, sizeof db) != 0) {
        cw_error("committer_start_failed", CW_LS("reason", "cannot create data_dir"),
                 CW_LS("data_dir", config->data_dir ? config->data_dir : ""), CW_LEND);
        goto fail;
    }
    self->ledger = cw_ledger_new(db);
    if (!self->ledger)
        goto fail;
    char rerr[256] = "";
    self->redact = cw_redact_new_for_config(config, rerr, sizeof rerr);
    self->pusher = cw_pusher_new(self->devlog, config, publisher);
    if (!self->redact || !self->pusher) {
        cw_error("committer_start_failed", CW_LS("reason", rerr[0] ? rerr : "out of memory"),
                 CW_LEND);
        goto fail;
    }
    const char *fast = getenv("CW_TEST_FAST"); /* tests: a tenth of the wait */
    cw_committer_set_ledger_patience(self, fast && strcmp(fast, "1") == 0
                                               ? CW_COMMITTER_LEDGER_PATIENCE_MS / 10
                                               : CW_COMMITTER_LEDGER_PATIENCE_MS);
    if (s_reconcile(self) != 0) /* tried again before every dedup answer */
        cw_warn("ledger_reconcile_deferred", CW_LS("ledger", db), CW_LEND);
    cw_info("committer_ready", CW_LS("devlog", cw_devlog_path(self->devlog)), CW_LS("ledger", db),
            CW_LB("push", config->devlog.remote && *config->devlog.remote), CW_LEND);
    return self;
fail:
    cw_committer_destroy(&self);
    return NULL;
}

void cw_committer_destroy(cw_committer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cw_committer_t *self = *self_p;
    cw_pusher_destroy(&self->pusher);
    cw_redact_destroy(&self->redact);
    cw_devlog_destroy(&self->devlog);
    cw_ledger_destroy(&self->ledger);
    free(self);
    *self_p = NULL;
}

cw_devlog_t *cw_committer_devlog(cw_committer_t *self)
{
    return self ? self->devlog : NULL;
}

cw_ledger_t *cw_committer_ledger(cw_committer_t *self)
{
    return self ? self->ledger : NULL;
}

cw_pusher_t *cw_committer_pusher(cw_committer_t *self)
{
    return self ? self->pusher : NULL;
}

int64_t cw_committer_tick(cw_committer_t *self)
{
    return self ? cw_pusher_tick(self->pusher) : -1;
}

/* ------------------------------------------------------------------ helpers */

static cw_value_t *s_bad_request(const char *job_id, const char *message)
{
    cw_warn("bad_request", CW_LS("job_id", job_id ? job_id : ""), CW_LS("reason", message),
            CW_LEND);
    return cw_proto_new_error(job_id ? job_id : "", CW_ERR_BAD_REQUEST, message, false);
}

/* Checks what the committer relies on beyond the proto declaration. 0 or -1 + err. */
static int s_check_target(const cw_value_t *target, char *err, size_t errlen)
{
    if (!target || cw_value_kind(target) != CW_VAL_MAP) {
        snprintf(err, errlen, "target must be a map");
        return -1;
    }
    if (cw_proto_validate_target(target, err, errlen) != 0)
        return -1;
    const char *doc_type = cw_map_str(target, "doc_type", NULL);
    if (!cw_devlog_label(doc_type)) {
        snprintf(err, errlen, "unknown doc_type '%.32s'", doc_type ? doc_type : "");
        return -1;
    }
    const char *repo = cw_map_str(target, "repo", "");
    const char *file = cw_map_str(target, "file", "");
    if (!*repo || !*file) {
        snprintf(err, errlen, "target needs repo and file");
        return -1;
    }
    if (!cw_map_str(target, "code_hash", NULL)) {
        snprintf(err, errlen, "target needs code_hash");
        return -1;
    }
    return 0;
}

static cw_value_t *s_commit_reply(const char *job_id, const char *commit, const char *path,
                                  bool duplicate, const cw_push_report_t *push)
{
    cw_value_t *reply = cw_proto_new(CW_MSG_COMMIT_REPLY);
    if (!reply)
        return NULL;
    cw_map_set_str(reply, "job_id", job_id);
    cw_map_set_str(reply, "commit", commit);
    cw_map_set_str(reply, "path", path);
    cw_map_set_bool(reply, "duplicate", duplicate);
    cw_map_set_bool(reply, "pushed", push && push->result == CW_PUSH_OK);
    if (push && push->state && !duplicate)
        cw_map_set_str(reply, "push_state", push->state);
    if (push && push->error[0])
        cw_map_set_str(reply, "push_error", push->error);
    return reply;
}

/* ------------------------------------------------------------------ dedup */

static cw_value_t *s_handle_dedup(cw_committer_t *self, const char *job_id,
                                  const cw_value_t *request)
{
    const cw_value_t *targets = cw_map_get(request, "targets");
    if (!targets || cw_value_kind(targets) != CW_VAL_ARRAY)
        return s_bad_request(job_id, "dedup_request needs a targets array");
    size_t n = cw_value_size(targets);
    if (n > 1000)
        return s_bad_request(job_id, "too many targets (at most 1000)");
    /* the ledger must know every commit of the DevLog before it says what is documented */
    if (s_reconcile(self) != 0)
        return cw_proto_new_error(job_id, CW_ERR_UNAVAILABLE,
                                  "the ledger misses DevLog commits and cannot record them now "
                                  "(database locked or failing); ask again later",
                                  true);
    for (size_t i = 0; i < n; i++) {
        const cw_value_t *t = cw_array_at(targets, i);
        if (!t || cw_value_kind(t) != CW_VAL_MAP)
            return s_bad_request(job_id, "every target must be a map");
    }
    const char *claim_id = cw_map_str(request, "claim_id", NULL);
    int claim_seconds = (int)cw_map_int(request, "claim_seconds", 0);
    bool flags[1000];
    int claimed = -1, held = 0;
    if (cw_ledger_claim(self->ledger, targets, claim_id, claim_seconds,
                        self->config->documentation.redocument_after_days, time(NULL), flags,
                        sizeof flags / sizeof flags[0], &claimed, &held) != 0)
        return cw_proto_new_error(job_id, CW_ERR_UNAVAILABLE,
                                  "the ledger cannot take the claim now (database locked or "
                                  "failing); ask again later",
                                  true);
    cw_value_t *allowed = cw_value_new_array();
    cw_value_t *reply = cw_proto_new(CW_MSG_DEDUP_REPLY);
    if (!allowed || !reply) {
        cw_value_destroy(&allowed);
        cw_value_destroy(&reply);
        return NULL;
    }
    size_t n_allowed = 0;
    for (size_t i = 0; i < n; i++) {
        cw_array_push(allowed, cw_value_new_bool(flags[i]));
        n_allowed += flags[i];
    }
    cw_map_set_str(reply, "job_id", job_id);
    cw_map_set(reply, "allowed", allowed);
    if (claim_id && *claim_id)
        cw_map_set_int(reply, "claimed", claimed);
    cw_map_set_int(reply, "held", held);
    cw_debug("dedup_answered", CW_LS("job_id", job_id), CW_LI("targets", n),
             CW_LI("allowed", n_allowed), CW_LS("claim_id", claim_id ? claim_id : ""),
             CW_LI("claimed", claimed), CW_LEND);
    return reply;
}

static cw_value_t *s_handle_release(cw_committer_t *self, const char *job_id,
                                    const cw_value_t *request)
{
    const char *claim_id = cw_map_str(request, "claim_id", NULL);
    if (!claim_id || !*claim_id)
        return s_bad_request(job_id, "release_request needs a claim_id");
    int n = cw_ledger_release(self->ledger, claim_id);
    if (n < 0)
        return cw_proto_new_error(job_id, CW_ERR_INTERNAL, "ledger write failed", true);
    cw_value_t *reply = cw_proto_new(CW_MSG_RELEASE_REPLY);
    if (!reply)
        return NULL;
    cw_map_set_str(reply, "job_id", job_id);
    cw_map_set_int(reply, "released", n);
    cw_debug("claim_released", CW_LS("claim_id", claim_id), CW_LI("released", n), CW_LEND);
    return reply;
}

/* ------------------------------------------------------------------ commit */

static void s_publish_committed(cw_committer_t *self, const cw_value_t *target, const char *commit,
                                const char *path, const char *job_id, const char *cycle_id,
                                long redactions, double grounding)
{
    if (!self->publisher)
        return;
    cw_value_t *ev = cw_value_new_map();
    char *display = cw_devlog_display_name(target);
    if (ev && display) {
        cw_map_set_str(ev, "target", display);
        cw_map_set_str(ev, "doc_type", cw_map_str(target, "doc_type", ""));
        cw_map_set_str(ev, "commit", commit);
        cw_map_set_str(ev, "repo", cw_map_str(target, "repo", ""));
        cw_map_set_str(ev, "file", cw_map_str(target, "file", ""));
        cw_map_set_str(ev, "path", path);
        cw_map_set_str(ev, "job_id", job_id);
        if (cycle_id && *cycle_id)
            cw_map_set_str(ev, "cycle_id", cycle_id);
        cw_map_set_int(ev, "redactions", redactions);
        if (grounding >= 0)
            cw_map_set_float(ev, "grounding", grounding);
        cw_publisher_send(self->publisher, CW_EV_DOCUMENTATION_COMMITTED, &ev);
    }
    cw_value_destroy(&ev);
    free(display);
}

static cw_value_t *s_commit_clean(cw_committer_t *self, const char *job_id, const char *cycle_id,
                                  const cw_value_t *target, const char *documentation,
                                  const char *message, double grounding, long redactions);

static cw_value_t *s_handle_commit(cw_committer_t *self, const char *job_id,
                                   const cw_value_t *request)
{
    char err[512] = "";
    const cw_value_t *target = cw_map_get(request, "target");
    if (s_check_target(target, err, sizeof err) != 0)
        return s_bad_request(job_id, err);
    const char *documentation = cw_map_str(request, "documentation", NULL);
    const char *message = cw_map_str(request, "commit_message", NULL);
    if (!documentation || !message)
        return s_bad_request(job_id, "commit_request needs documentation and commit_message");
    if (documentation[strspn(documentation, " \t\r\n")] == '\0')
        return s_bad_request(job_id, "documentation is empty");
    const char *cycle_id = cw_map_str(request, "cycle_id", NULL);

    char commit[72] = "";
    char path[PATH_MAX] = "";

    /* 1. already recorded? */
    int found = cw_ledger_find_job(self->ledger, job_id, commit, sizeof commit, path, sizeof path);
    if (found < 0)
        return cw_proto_new_error(job_id, CW_ERR_INTERNAL, "ledger query failed", true);
    if (found == 1) {
        cw_info("commit_duplicate", CW_LS("job_id", job_id), CW_LS("commit", commit),
                CW_LS("source", "ledger"), CW_LEND);
        return s_commit_reply(job_id, commit, path, true, NULL);
    }
    /* 2. committed, but the ledger write never happened (crash in between)? */
    found = cw_devlog_find_job(self->devlog, job_id, commit, path, sizeof path);
    if (found == 1) {
        if (s_record(self, target, path, commit, job_id) != 0)
            return s_ledger_unavailable(job_id, commit);
        cw_warn("commit_recovered", CW_LS("job_id", job_id), CW_LS("commit", commit),
                CW_LS("path", path), CW_LEND);
        return s_commit_reply(job_id, commit, path, true, NULL);
    }
    /* 3. nothing secret is written: the target's text (the document shows its source), the
          documentation and the message are redacted once more. The analyzer and the
          generator did it already; this catches what came another way. */
    cw_value_t *clean = cw_value_clone(target);
    long n_target = clean ? cw_redact_value(self->redact, &clean) : -1;
    char *doc_red = NULL, *msg_red = NULL;
    size_t n_doc = 0, n_msg = 0;
    if (n_target < 0 || cw_redact_text(self->redact, documentation, &doc_red, &n_doc) != 0 ||
        cw_redact_text(self->redact, message, &msg_red, &n_msg) != 0) {
        cw_value_destroy(&clean);
        free(doc_red);
        free(msg_red);
        return cw_proto_new_error(job_id, CW_ERR_INTERNAL, "out of memory while redacting", true);
    }
    const char *doc = doc_red ? doc_red : documentation;
    const char *msg = msg_red ? msg_red : message;
    long here = n_target + (long)n_doc + (long)n_msg;
    long redactions = cw_map_int(target, "redactions", 0) + here;
    if (here > 0)
        cw_warn("commit_redacted", CW_LS("job_id", job_id), CW_LI("redactions", here),
                CW_LS("hint", "secrets reached the committer: redacted before writing"), CW_LEND);
    cw_grounding_t g;
    double grounding = cw_grounding_check(clean, doc, &g) == 0 ? g.ratio : -1.0;
    cw_value_t *reply =
        s_commit_clean(self, job_id, cycle_id, clean, doc, msg, grounding, redactions);
    cw_value_destroy(&clean);
    free(doc_red);
    free(msg_red);
    return reply;
}

/* Steps 3-4 of a commit, with the redacted target, documentation and message. */
static cw_value_t *s_commit_clean(cw_committer_t *self, const char *job_id, const char *cycle_id,
                                  const cw_value_t *target, const char *documentation,
                                  const char *message, double grounding, long redactions)
{
    char err[512] = "", commit[72] = "", path[PATH_MAX] = "";
    const char *doc_type = cw_map_str(target, "doc_type", "");
    const cw_doctype_t *type = cw_doctype_by_name(doc_type);
    bool summary = type && type->period;
    const char *kind = summary ? type->period : NULL;
    const char *period = cw_map_str(target, "name", "");
    if (summary) {
        /* one summary per period, whatever the job */
        int found = cw_ledger_find_summary(self->ledger, kind, period, commit, sizeof commit, path,
                                           sizeof path);
        if (found < 0)
            return cw_proto_new_error(job_id, CW_ERR_INTERNAL, "ledger query failed", true);
        if (found == 1) {
            cw_info("summary_exists", CW_LS("kind", kind), CW_LS("period", period),
                    CW_LS("commit", commit), CW_LEND);
            return s_commit_reply(job_id, commit, path, true, NULL);
        }
    }
    /* 3. documented meanwhile by another job (its claim expired, or none was taken)?
       Exactly once per (code, doc type): refuse, nothing is written. */
    time_t now = time(NULL);
    /* the ledger must hold every commit of the DevLog before it can say "not documented" */
    if (s_reconcile(self) != 0)
        return cw_proto_new_error(job_id, CW_ERR_UNAVAILABLE,
                                  "the ledger misses DevLog commits and cannot record them now "
                                  "(database locked or failing); send the job again later",
                                  true);
    int documented = cw_ledger_documented(self->ledger, target);
    if (documented < 0)
        return cw_proto_new_error(job_id, CW_ERR_INTERNAL, "ledger query failed", true);
    if (documented == 1) {
        cw_warn("commit_refused_documented", CW_LS("job_id", job_id),
                CW_LS("cycle_id", cycle_id ? cycle_id : ""),
                CW_LS("code_hash", cw_map_str(target, "code_hash", "")),
                CW_LS("doc_type", cw_map_str(target, "doc_type", "")), CW_LEND);
        return cw_proto_new_error(job_id, CW_ERR_DOCUMENTED,
                                  "this target was documented meanwhile by another job", false);
    }
    /* 4. commit */
    char parent[41] = "";
    cw_devlog_head(self->devlog, parent);
    if (cw_devlog_commit_document(self->devlog, target, documentation, message, job_id, now, commit,
                                  path, sizeof path, err, sizeof err) != 0) {
        cw_error("commit_failed", CW_LS("job_id", job_id), CW_LS("reason", err), CW_LEND);
        return cw_proto_new_error(job_id, summary ? CW_ERR_BAD_REQUEST : CW_ERR_INTERNAL, err,
                                  !summary);
    }
    /* acknowledged only once the ledger holds it too; otherwise the commit (which carries
       its job and target trailers) is recorded by the next dedup or a repeat of the job */
    if (s_record(self, target, path, commit, job_id) != 0)
        return s_ledger_unavailable(job_id, commit);
    if (strcmp(self->reconciled, parent) == 0 && strlen(commit) < sizeof self->reconciled)
        memcpy(self->reconciled, commit, strlen(commit) + 1);
    if (!summary && cw_ledger_record_facts(self->ledger, path, target, grounding, redactions) != 0)
        cw_warn("ledger_facts_failed", CW_LS("job_id", job_id), CW_LS("path", path), CW_LEND);

    /* 5. push: at once, or with the next retry if the remote is away */
    cw_push_report_t push;
    cw_pusher_push(self->pusher, &push);
    s_publish_committed(self, target, commit, path, job_id, cycle_id, redactions, grounding);
    cw_value_t *reply = s_commit_reply(job_id, commit, path, false, &push);
    if (reply) {
        if (grounding >= 0)
            cw_map_set_float(reply, "grounding", grounding);
        cw_map_set_int(reply, "redactions", redactions);
    }
    return reply;
}

/* ------------------------------------------------------------------ stats */

static cw_value_t *s_handle_stats(cw_committer_t *self, const char *job_id)
{
    cw_value_t *stats = cw_ledger_stats(self->ledger, time(NULL));
    if (!stats)
        return cw_proto_new_error(job_id, CW_ERR_INTERNAL, "ledger query failed", true);
    cw_value_t *reply = cw_proto_new(CW_MSG_STATS_REPLY);
    if (!reply) {
        cw_value_destroy(&stats);
        return NULL;
    }
    cw_map_set_str(reply, "job_id", job_id);
    for (size_t i = 0; i < cw_value_size(stats); i++)
        cw_map_set(reply, cw_map_key_at(stats, i), cw_value_clone(cw_map_value_at(stats, i)));
    cw_map_set_str(reply, "devlog_path", cw_devlog_path(self->devlog));
    cw_value_destroy(&stats);
    return reply;
}

/* ------------------------------------------------------------------ summaries */

static cw_value_t *s_handle_summary(cw_committer_t *self, const char *job_id,
                                    const cw_value_t *request)
{
    const char *kind = cw_map_str(request, "kind", "");
    const char *period = cw_map_str(request, "period", "");
    const cw_doctype_t *type = cw_doctype_by_period(kind);
    const char *doc_type = type ? type->name : NULL;
    if (!doc_type)
        return s_bad_request(job_id, "summary_request.kind must be weekly or monthly");
    if (!cw_devlog_valid_period(doc_type, period))
        return s_bad_request(job_id, "summary_request.period must look like 2026-W09 (weekly) "
                                     "or 2026-02 (monthly)");
    int64_t start = cw_map_int(request, "start", -1), end = cw_map_int(request, "end", -1);
    if (start < 0 || end <= start || end - start > 32 * 86400)
        return s_bad_request(job_id, "summary_request needs 0 <= start < end, at most 32 days");
    char commit[72] = "", path[PATH_MAX] = "";
    int found = cw_ledger_find_summary(self->ledger, kind, period, commit, sizeof commit, path,
                                       sizeof path);
    if (found < 0)
        return cw_proto_new_error(job_id, CW_ERR_INTERNAL, "ledger query failed", true);
    if (found == 0) {
        /* written, but the ledger row was lost: the file tells */
        char *folder = cw_devlog_folder(doc_type, "");
        char abs[PATH_MAX + 64];
        struct stat st;
        if (folder) {
            snprintf(path, sizeof path, "%s/%s.md", folder, period);
            snprintf(abs, sizeof abs, "%s/%s", cw_devlog_path(self->devlog), path);
            found = stat(abs, &st) == 0;
            if (!found)
                path[0] = '\0';
        }
        free(folder);
    }
    cw_value_t *facts = cw_ledger_period(self->ledger, (time_t)start, (time_t)end);
    if (!facts)
        return cw_proto_new_error(job_id, CW_ERR_INTERNAL, "ledger query failed", true);
    cw_value_t *reply = cw_proto_new(CW_MSG_SUMMARY_REPLY);
    if (!reply) {
        cw_value_destroy(&facts);
        return NULL;
    }
    cw_map_set_str(reply, "job_id", job_id);
    cw_map_set_str(reply, "kind", kind);
    cw_map_set_str(reply, "period", period);
    cw_map_set_bool(reply, "exists", found == 1);
    if (commit[0])
        cw_map_set_str(reply, "commit", commit);
    if (path[0])
        cw_map_set_str(reply, "path", path);
    cw_debug("summary_facts", CW_LS("kind", kind), CW_LS("period", period),
             CW_LB("exists", found == 1), CW_LI("total", cw_map_int(facts, "total", 0)), CW_LEND);
    cw_map_set(reply, "facts", facts);
    return reply;
}

cw_value_t *cw_committer_handle(cw_committer_t *self, const cw_value_t *request)
{
    if (!self || !request || cw_value_kind(request) != CW_VAL_MAP)
        return s_bad_request("", "request must be a map");
    const char *job_id = cw_map_str(request, "job_id", NULL);
    if (!job_id || !*job_id || strlen(job_id) > JOB_ID_MAX)
        return s_bad_request("", "request needs a job_id of 1..64 characters");
    const char *type = cw_proto_type(request);
    if (!type)
        return s_bad_request(job_id, "request has no type");
    if (strcmp(type, CW_MSG_DEDUP_REQUEST) == 0)
        return s_handle_dedup(self, job_id, request);
    if (strcmp(type, CW_MSG_COMMIT_REQUEST) == 0)
        return s_handle_commit(self, job_id, request);
    if (strcmp(type, CW_MSG_STATS_REQUEST) == 0)
        return s_handle_stats(self, job_id);
    if (strcmp(type, CW_MSG_RELEASE_REQUEST) == 0)
        return s_handle_release(self, job_id, request);
    if (strcmp(type, CW_MSG_SUMMARY_REQUEST) == 0)
        return s_handle_summary(self, job_id, request);
    char msg[128];
    snprintf(msg, sizeof msg, "the committer does not handle '%.64s'", type);
    return s_bad_request(job_id, msg);
}

/* ------------------------------------------------------------------ ledger reconciliation */

void cw_committer_set_ledger_patience(cw_committer_t *self, int ms)
{
    if (!self)
        return;
    self->ledger_patience_ms = ms > 0 ? ms : 0;
    /* one SQLite wait never outlasts the patience */
    int busy = self->ledger_patience_ms < 5000 ? self->ledger_patience_ms : 5000;
    cw_ledger_set_busy_timeout(self->ledger, busy > 0 ? busy : 1);
}

/* The ledger row of a commit: a summary's in the summaries table, a document's in
   documented_snippets (waiting out a locked database up to the patience). */
static int s_record(cw_committer_t *self, const cw_value_t *target, const char *path,
                    const char *commit, const char *job_id)
{
    const char *dt = cw_map_str(target, "doc_type", "");
    if (cw_devlog_is_summary(dt))
        return cw_ledger_record_summary(self->ledger,
                                        strcmp(dt, "weekly_summary") == 0 ? "weekly" : "monthly",
                                        cw_map_str(target, "name", ""), commit, path, job_id);
    return cw_ledger_record_patiently(self->ledger, target, path, commit, job_id, 0,
                                      self->ledger_patience_ms);
}

static cw_value_t *s_ledger_unavailable(const char *job_id, const char *commit)
{
    char msg[256];
    snprintf(msg, sizeof msg,
             "DevLog commit %.40s was made but the ledger cannot record it now (database locked "
             "or failing): not acknowledged, send the job again",
             commit);
    return cw_proto_new_error(job_id, CW_ERR_UNAVAILABLE, msg, true);
}

typedef struct {
    cw_committer_t *self;
    int recorded;
    int failed;
} reconcile_t;

static int s_reconcile_one(const char *job_id, const char *oid, const char *path,
                           const cw_value_t *target, void *arg)
{
    reconcile_t *r = arg;
    cw_committer_t *self = r->self;
    int found = cw_ledger_find_job(self->ledger, job_id, NULL, 0, NULL, 0);
    if (found == 1)
        return 0;
    int rc = -1;
    if (found == 0 && target)
        rc = s_record(self, target, path, oid, job_id);
    else if (found == 0) {
        /* a commit from before the CodeWorm-Target trailer: its result, not its target */
        cw_warn("ledger_reconcile_without_target", CW_LS("job_id", job_id), CW_LS("commit", oid),
                CW_LEND);
        rc = cw_ledger_record_job_patiently(self->ledger, job_id, oid, path,
                                            self->ledger_patience_ms);
    }
    if (rc != 0) {
        r->failed++;
        return 1;
    }
    r->recorded++;
    cw_warn("ledger_reconciled", CW_LS("job_id", job_id), CW_LS("commit", oid), CW_LS("path", path),
            CW_LEND);
    return 0;
}

/* Make the ledger hold every job the DevLog holds, walking from HEAD back to the commit
   reconciled last. 0 when it does (nothing to do, or all recorded), -1 when a row could not
   be written (then dedup answers must wait). */
static int s_reconcile(cw_committer_t *self)
{
    char head[41];
    if (cw_devlog_head(self->devlog, head) != 0)
        return -1;
    if (strcmp(head, self->reconciled) == 0)
        return 0;
    reconcile_t r = {self, 0, 0};
    int rc = cw_devlog_walk_jobs(self->devlog, self->reconciled, s_reconcile_one, &r, head);
    if (rc != 0 || r.failed)
        return -1;
    if (r.recorded)
        cw_info("ledger_reconcile_done", CW_LI("recorded", r.recorded), CW_LS("head", head),
                CW_LEND);
    snprintf(self->reconciled, sizeof self->reconciled, "%s", head);
    return 0;
}
