/*  cw_summary — weekly and monthly summaries. See cw_summary.h. */
#include "cw_summary.h"
#include "cw_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cw_cycle.h"
#include "cw_log.h"
#include "cw_proto.h"
#include "cw_schedule.h"

#define RETRY_SECONDS 600
#define RETRY_SECONDS_FAST 5
#define SOURCE_DOCS 100 /* documents listed in the generator's material */
#define REPO_FIELD_MAX 255

struct _cw_summary_t {
    const cw_config_t *config;
    cw_publisher_t *publisher;
    cw_client_t *client;
    cw_schedule_t *zone; /* only for the time zone */
    char timezone[128];
    cw_cycle_timeouts_t timeouts;
    char handled[2][16]; /* last period handled per kind: [0] weekly, [1] monthly */
    time_t retry_at[2];
    int retry_seconds;
};

cw_summary_t *cw_summary_new(const cw_config_t *config, cw_publisher_t *publisher)
{
    if (!config || !config->bus.broker)
        return NULL;
    cw_summary_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->config = config;
    self->publisher = publisher;
    cw_schedule_params_t params;
    cw_schedule_params_init(&params, config);
    self->zone = cw_schedule_new(&params, 1);
    self->client = cw_client_new(config->bus.broker);
    snprintf(self->timezone, sizeof self->timezone, "%s",
             config->schedule.timezone ? config->schedule.timezone : "");
    self->timeouts = CW_CYCLE_TIMEOUTS_DEFAULT;
    const char *fast = getenv("CW_TEST_FAST");
    self->retry_seconds = fast && strcmp(fast, "1") == 0 ? RETRY_SECONDS_FAST : RETRY_SECONDS;
    if (!self->zone || !self->client) {
        cw_summary_destroy(&self);
        return NULL;
    }
    return self;
}

void cw_summary_destroy(cw_summary_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cw_summary_t *self = *self_p;
    cw_client_destroy(&self->client);
    cw_schedule_destroy(&self->zone);
    free(self);
    *self_p = NULL;
}

void cw_summary_set_timeouts(cw_summary_t *self, int step_timeout_ms, int step_retries,
                             int generate_timeout_ms, int generate_retries)
{
    if (self)
        self->timeouts =
            cw_cycle_timeouts(step_timeout_ms, step_retries, generate_timeout_ms, generate_retries);
}

/* ------------------------------------------------------------------ periods */

static void s_date(int64_t days, char out[11])
{
    int y, m, d;
    cw_schedule_civil_from_days(days, &y, &m, &d);
    char buf[40];
    snprintf(buf, sizeof buf, "%04d-%02d-%02d", y % 10000, m % 100, d % 100);
    memcpy(out, buf, 10);
    out[10] = '\0';
}

static time_t s_midnight(cw_summary_t *self, int64_t days)
{
    int y, m, d;
    cw_schedule_civil_from_days(days, &y, &m, &d);
    return cw_schedule_mktime(self->zone, y, m, d, 0, 0, 0);
}

static int64_t s_local_days(cw_summary_t *self, time_t now)
{
    struct tm tm;
    cw_schedule_localtime(self->zone, now, &tm);
    return cw_schedule_days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

void cw_summary_last_week(cw_summary_t *self, time_t now, cw_summary_period_t *out)
{
    memset(out, 0, sizeof *out);
    int64_t today = s_local_days(self, now);
    int y, m, d;
    cw_schedule_civil_from_days(today, &y, &m, &d);
    int iso_wd = (cw_schedule_weekday(y, m, d) + 6) % 7; /* Monday 0 .. Sunday 6 */
    int64_t monday = today - iso_wd - 7;
    /* the ISO year and week are those of the week's Thursday */
    int ty, tm_, td;
    cw_schedule_civil_from_days(monday + 3, &ty, &tm_, &td);
    int64_t week = (monday + 3 - cw_schedule_days_from_civil(ty, 1, 1)) / 7 + 1;
    snprintf(out->kind, sizeof out->kind, "weekly");
    snprintf(out->doc_type, sizeof out->doc_type, "weekly_summary");
    snprintf(out->period, sizeof out->period, "%04d-W%02d", ty % 10000, (int)(week % 100));
    s_date(monday, out->first_day);
    s_date(monday + 6, out->last_day);
    out->start = s_midnight(self, monday);
    out->end = s_midnight(self, monday + 7);
}

void cw_summary_last_month(cw_summary_t *self, time_t now, cw_summary_period_t *out)
{
    memset(out, 0, sizeof *out);
    int y, m, d;
    cw_schedule_civil_from_days(s_local_days(self, now), &y, &m, &d);
    int py = m == 1 ? y - 1 : y, pm = m == 1 ? 12 : m - 1;
    int64_t first = cw_schedule_days_from_civil(py, pm, 1);
    int64_t next = cw_schedule_days_from_civil(y, m, 1);
    snprintf(out->kind, sizeof out->kind, "monthly");
    snprintf(out->doc_type, sizeof out->doc_type, "monthly_summary");
    snprintf(out->period, sizeof out->period, "%04d-%02d", py % 10000, pm % 100);
    s_date(first, out->first_day);
    s_date(next - 1, out->last_day);
    out->start = s_midnight(self, first);
    out->end = s_midnight(self, next);
}

/* ------------------------------------------------------------------ the material */

static void s_add_counts(cw_buf_t *t, const char *title, const cw_value_t *map)
{
    if (cw_value_size(map) == 0)
        return;
    cw_buf_printf(t, "%s:", title);
    for (size_t i = 0; i < cw_value_size(map); i++)
        cw_buf_printf(t, "%s %.200s (%lld)", i ? "," : "", cw_map_key_at(map, i),
                      (long long)cw_value_int(cw_map_value_at(map, i)));
    cw_buf_printf(t, "\n");
}

/* Each document map gets "display" (Class.method, function, class or file stem). */
static void s_add_display(cw_value_t *facts, const char *list)
{
    const cw_value_t *arr = cw_map_get(facts, list);
    if (!arr)
        return;
    cw_value_t *copy = cw_value_new_array();
    for (size_t i = 0; copy && i < cw_value_size(arr); i++) {
        cw_value_t *d = cw_value_clone(cw_array_at(arr, i));
        char display[512];
        cw_cycle_display_name(d, display, sizeof display);
        cw_map_set_str(d, "display", display);
        cw_array_push(copy, d);
    }
    if (copy)
        cw_map_set(facts, list, copy);
}

static void s_add_document(cw_buf_t *t, const cw_value_t *d)
{
    cw_buf_printf(t, "- %.10s %.200s in %.200s (%.300s): %.32s", cw_map_str(d, "documented_at", ""),
                  cw_map_str(d, "display", ""), cw_map_str(d, "repo", ""),
                  cw_map_str(d, "file", ""), cw_map_str(d, "doc_type", ""));
    if (cw_map_get(d, "language"))
        cw_buf_printf(t, ", %.32s", cw_map_str(d, "language", ""));
    if (cw_map_get(d, "complexity"))
        cw_buf_printf(t, ", complexity %.1f", cw_map_float(d, "complexity", 0));
    cw_buf_printf(t, "\n");
}

/* The summary target: facts in `summary`, a plain listing of them as `source`. */
static cw_value_t *s_target(const cw_summary_t *self, const cw_summary_period_t *p,
                            const cw_value_t *facts_in)
{
    cw_value_t *facts = cw_value_clone(facts_in);
    if (!facts)
        return NULL;
    s_add_display(facts, "documents");
    s_add_display(facts, "most_complex");
    cw_map_set_str(facts, "kind", p->kind);
    cw_map_set_str(facts, "period", p->period);
    cw_map_set_str(facts, "first_day", p->first_day);
    cw_map_set_str(facts, "last_day", p->last_day);
    cw_map_set_str(facts, "timezone", self->timezone);

    bool weekly = strcmp(p->kind, "weekly") == 0;
    long long total = (long long)cw_map_int(facts, "total", 0);
    const cw_value_t *repos = cw_map_get(facts, "repos");
    cw_buf_t src;
    cw_buf_init(&src, 0);
    cw_buf_printf(
        &src, "Documents CodeWorm recorded in %s %s (%s to %s, %s): %lld in %zu repositor%s.\n\n",
        weekly ? "week" : "month", p->period, p->first_day, p->last_day, self->timezone, total,
        cw_value_size(repos), cw_value_size(repos) == 1 ? "y" : "ies");
    s_add_counts(&src, "Repositories", repos);
    s_add_counts(&src, "Kinds", cw_map_get(facts, "doc_types"));
    s_add_counts(&src, "Languages", cw_map_get(facts, "languages"));
    const cw_value_t *most = cw_map_get(facts, "most_complex");
    if (cw_value_size(most)) {
        cw_buf_printf(&src, "\nMost complex:\n");
        for (size_t i = 0; i < cw_value_size(most); i++)
            s_add_document(&src, cw_array_at(most, i));
    }
    const cw_value_t *docs = cw_map_get(facts, "documents");
    cw_buf_printf(&src, "\nDocuments:\n");
    for (size_t i = 0; i < cw_value_size(docs) && i < SOURCE_DOCS; i++)
        s_add_document(&src, cw_array_at(docs, i));
    if ((long long)cw_value_size(docs) > SOURCE_DOCS || (long long)cw_value_size(docs) < total)
        cw_buf_printf(&src, "- ... and %lld more\n",
                      total - (long long)(cw_value_size(docs) < SOURCE_DOCS ? cw_value_size(docs)
                                                                            : SOURCE_DOCS));
    /* the repositories, as the prompt names them ("in the {repo} repository") */
    char repo[REPO_FIELD_MAX + 1] = "";
    for (size_t i = 0; i < cw_value_size(repos); i++) {
        const char *name = cw_map_key_at(repos, i);
        if (strlen(repo) + strlen(name) + 3 > REPO_FIELD_MAX) {
            snprintf(repo, sizeof repo, "%zu repositories", cw_value_size(repos));
            break;
        }
        if (i)
            strcat(repo, ", ");
        strcat(repo, name);
    }
    char context[512], file[64], hash[64];
    snprintf(context, sizeof context,
             "The %s %s runs from %s%s to %s%s (%s). Summarize what was documented; the "
             "material lists everything the ledger recorded.",
             weekly ? "ISO week" : "month", p->period, weekly ? "Monday " : "", p->first_day,
             weekly ? "Sunday " : "", p->last_day, self->timezone);
    snprintf(file, sizeof file, "analysis/%s/%s.md", p->kind, p->period);
    snprintf(hash, sizeof hash, "summary:%s:%s", p->kind, p->period);
    cw_value_t *t = cw_value_new_map();
    if (!t || src.failed) {
        cw_buf_free(&src);
        cw_value_destroy(&facts);
        cw_value_destroy(&t);
        return NULL;
    }
    cw_map_set_str(t, "doc_type", p->doc_type);
    cw_map_set_str(t, "repo", repo[0] ? repo : "all repositories");
    cw_map_set_str(t, "file", file);
    cw_map_set_str(t, "language", "markdown");
    cw_map_set_str(t, "name", p->period);
    cw_map_set_int(t, "start_line", 0);
    cw_map_set_int(t, "end_line", 0);
    cw_map_set_float(t, "complexity", 0);
    cw_map_set_float(t, "score", 0);
    cw_map_set_str(t, "source", cw_buf_str(&src));
    cw_map_set_str(t, "code_hash", hash);
    cw_map_set_str(t, "context", context);
    cw_map_set(t, "summary", facts);
    cw_buf_free(&src);
    return t;
}

/* ------------------------------------------------------------------ running one */

/* A reply of the expected type, else false with the reason. */
static bool s_ok(const cw_value_t *reply, const char *type, const char *who, const char *err,
                 char *reason, size_t reasonlen)
{
    const char *t = cw_proto_type(reply);
    if (!reply)
        snprintf(reason, reasonlen, "%s: no reply (%s)", who, err && *err ? err : "timeout");
    else if (t && strcmp(t, CW_MSG_ERROR) == 0)
        snprintf(reason, reasonlen, "%s: %s: %s", who, cw_map_str(reply, "code", ""),
                 cw_map_str(reply, "message", ""));
    else if (!t || strcmp(t, type) != 0)
        snprintf(reason, reasonlen, "%s: unexpected reply %s", who, t ? t : "(none)");
    else
        return true;
    return false;
}

int cw_summary_run(cw_summary_t *self, const cw_summary_period_t *p)
{
    return self ? cw_summary_run_with(self, self->client, self->publisher, p) : -1;
}

/* Workers of `service` registered with the broker (0 when it does not answer). */
static int64_t s_workers(cw_client_t *client, const char *service)
{
    cw_value_t *status = cw_client_broker_status(client, 2000);
    int64_t n = cw_map_int(cw_map_get(cw_map_get(status, "services"), service), "workers", 0);
    cw_value_destroy(&status);
    return n;
}

int cw_summary_run_with(cw_summary_t *self, cw_client_t *client, cw_publisher_t *publisher,
                        const cw_summary_period_t *p)
{
    if (!self || !client || !p)
        return -1;
    if (s_workers(client, CW_SERVICE_COMMITTER) <= 0 ||
        s_workers(client, CW_SERVICE_GENERATOR) <= 0) {
        cw_warn("summary_deferred", CW_LS("period", p->period),
                CW_LS("reason", "no committer or no generator on the bus"), CW_LEND);
        return -1;
    }
    char job_id[33], err[512] = "", reason[1200];
    cw_bus_new_job_id(job_id);
    cw_value_t *req = cw_proto_new(CW_MSG_SUMMARY_REQUEST);
    cw_map_set_str(req, "job_id", job_id);
    cw_map_set_str(req, "kind", p->kind);
    cw_map_set_str(req, "period", p->period);
    cw_map_set_int(req, "start", (int64_t)p->start);
    cw_map_set_int(req, "end", (int64_t)p->end);
    cw_map_set_str(req, "timezone", self->timezone);
    cw_value_t *facts_reply =
        cw_client_request(client, CW_SERVICE_COMMITTER, &req, self->timeouts.step_timeout_ms,
                          self->timeouts.step_retries, err, sizeof err);
    if (!s_ok(facts_reply, CW_MSG_SUMMARY_REPLY, "committer", err, reason, sizeof reason)) {
        cw_warn("summary_failed", CW_LS("period", p->period), CW_LS("step", "facts"),
                CW_LS("reason", reason), CW_LEND);
        cw_value_destroy(&facts_reply);
        return -1;
    }
    const cw_value_t *facts = cw_map_get(facts_reply, "facts");
    if (cw_map_bool(facts_reply, "exists", false) || cw_map_int(facts, "total", 0) <= 0) {
        cw_info(cw_map_bool(facts_reply, "exists", false) ? "summary_exists" : "summary_empty",
                CW_LS("kind", p->kind), CW_LS("period", p->period),
                CW_LS("path", cw_map_str(facts_reply, "path", "")), CW_LEND);
        cw_value_destroy(&facts_reply);
        return 0;
    }
    cw_value_t *target = s_target(self, p, facts);
    cw_value_destroy(&facts_reply);
    if (!target)
        return -1;
    cw_info("summary_generating", CW_LS("kind", p->kind), CW_LS("period", p->period), CW_LEND);
    cw_bus_new_job_id(job_id);
    req = cw_proto_new(CW_MSG_GENERATE_REQUEST);
    cw_map_set_str(req, "job_id", job_id);
    cw_map_set(req, "target", cw_value_clone(target));
    err[0] = '\0';
    cw_value_t *gen =
        cw_client_request(client, CW_SERVICE_GENERATOR, &req, self->timeouts.generate_timeout_ms,
                          self->timeouts.generate_retries, err, sizeof err);
    if (!s_ok(gen, CW_MSG_GENERATE_REPLY, "generator", err, reason, sizeof reason)) {
        cw_warn("summary_failed", CW_LS("period", p->period), CW_LS("step", "generate"),
                CW_LS("reason", reason), CW_LEND);
        cw_value_destroy(&gen);
        cw_value_destroy(&target);
        return -1;
    }
    /* the same job id for the same period: a repeat is answered with the first commit */
    char commit_job[64];
    snprintf(commit_job, sizeof commit_job, "summary-%s-%s", p->kind, p->period);
    req = cw_proto_new(CW_MSG_COMMIT_REQUEST);
    cw_map_set_str(req, "job_id", commit_job);
    cw_map_set(req, "target", target);
    cw_map_set_str(req, "documentation", cw_map_str(gen, "documentation", ""));
    cw_map_set_str(req, "commit_message", cw_map_str(gen, "commit_message", ""));
    cw_value_destroy(&gen);
    err[0] = '\0';
    cw_value_t *done = cw_client_request(client, CW_SERVICE_COMMITTER, &req, self->timeouts.step_timeout_ms,
                                         self->timeouts.step_retries, err, sizeof err);
    if (!s_ok(done, CW_MSG_COMMIT_REPLY, "committer", err, reason, sizeof reason)) {
        cw_warn("summary_failed", CW_LS("period", p->period), CW_LS("step", "commit"),
                CW_LS("reason", reason), CW_LEND);
        cw_value_destroy(&done);
        return -1;
    }
    bool dup = cw_map_bool(done, "duplicate", false);
    cw_info("summary_committed", CW_LS("kind", p->kind), CW_LS("period", p->period),
            CW_LS("commit", cw_map_str(done, "commit", "")),
            CW_LS("path", cw_map_str(done, "path", "")), CW_LB("duplicate", dup), CW_LEND);
    char text[256];
    snprintf(text, sizeof text, "%s summary %s committed: %.100s",
             strcmp(p->kind, "weekly") == 0 ? "Weekly" : "Monthly", p->period,
             cw_map_str(done, "path", ""));
    cw_publisher_log(publisher, "info", text);
    cw_value_destroy(&done);
    return dup ? 0 : 1;
}

bool cw_summary_due(cw_summary_t *self, time_t now, cw_summary_period_t *out)
{
    if (!self || !out)
        return false;
    for (int k = 0; k < 2; k++) {
        if (k == 0)
            cw_summary_last_week(self, now, out);
        else
            cw_summary_last_month(self, now, out);
        if (strcmp(self->handled[k], out->period) != 0 && now >= self->retry_at[k])
            return true;
    }
    return false;
}

void cw_summary_done(cw_summary_t *self, const cw_summary_period_t *p, int rc, time_t now)
{
    if (!self || !p)
        return;
    int k = strcmp(p->kind, "weekly") == 0 ? 0 : 1;
    if (rc < 0) {
        self->retry_at[k] = now + self->retry_seconds;
        return;
    }
    snprintf(self->handled[k], sizeof self->handled[k], "%s", p->period);
    self->retry_at[k] = 0;
}

int cw_summary_tick(cw_summary_t *self, time_t now)
{
    int written = 0;
    cw_summary_period_t p;
    for (int k = 0; k < 2 && cw_summary_due(self, now, &p); k++) {
        int rc = cw_summary_run(self, &p);
        cw_summary_done(self, &p, rc, now);
        written += rc > 0;
    }
    return written;
}
