/*  cw_generator — request handling, LLM health state, events. */
#include "cw_generator.h"
#include "cw_text.h"
#include "cw_backoff.h"
#include "cw_clean.h"
#include "cw_grounding.h"
#include "cw_log.h"
#include "cw_offline_summary.h"
#include "cw_prompts.h"
#include "cw_proto.h"
#include "cw_redact.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct _cw_generator_t {
    cw_llm_t *llm;
    cw_prompts_t *prompts;
    cw_generator_event_fn *on_event;
    void *event_arg;
    bool up;
    bool checked; /* at least one health check done */
    int consecutive;
    int64_t next_check_ms;
    char last_error[512];
    cw_backoff_t health;
    size_t max_source_bytes;
    cw_redact_t *redact;     /* secrets out of the prompt and the answer */
    double min_grounding;    /* documentation.min_grounding */
    double cool_temperature; /* the second attempt of an ungrounded document */
};

static int64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------------- object */
cw_generator_t *cw_generator_new(const cw_config_t *config)
{
    cw_generator_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    char err[256] = "";
    self->llm = cw_llm_new(config, err, sizeof(err));
    if (!self->llm) {
        cw_error("generator_config_invalid", CW_LS("error", err[0] ? err : "out of memory"),
                 CW_LEND);
        cw_generator_destroy(&self);
        return NULL;
    }
    self->prompts = cw_prompts_new(config);
    self->redact = cw_redact_new_for_config(config, err, sizeof(err));
    if (!self->prompts || !self->redact) {
        cw_generator_destroy(&self);
        return NULL;
    }
    self->min_grounding = config ? config->documentation.min_grounding : 0.8;
    double t = !config ? 0.3
               : (config->llm.backend && strcmp(config->llm.backend, "openai") == 0)
                   ? config->openai.temperature
                   : config->ollama.temperature;
    self->cool_temperature = t > 0.2 ? 0.1 : t / 2;
    cw_backoff_init(&self->health, CW_GEN_HEALTH_INITIAL_MS, CW_GEN_HEALTH_MAX_MS, 2.0, 0.0);
    /* keep the prompt inside the context window: about 3 bytes per token, leaving room
       for the answer and the instructions */
    int ctx = cw_llm_num_ctx(self->llm);
    int predict = config && config->ollama.num_predict > 0 ? config->ollama.num_predict : 4096;
    long room = (long)ctx - predict - 1024;
    size_t max_src = room > 0 ? (size_t)room * 3 : 0;
    if (max_src < 8 * 1024)
        max_src = 8 * 1024;
    if (max_src > 512 * 1024)
        max_src = 512 * 1024;
    self->max_source_bytes = max_src;
    return self;
}

void cw_generator_destroy(cw_generator_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cw_generator_t *self = *self_p;
    cw_llm_destroy(&self->llm);
    cw_prompts_destroy(&self->prompts);
    cw_redact_destroy(&self->redact);
    free(self);
    *self_p = NULL;
}

void cw_generator_set_event_hook(cw_generator_t *self, cw_generator_event_fn *fn, void *arg)
{
    self->on_event = fn;
    self->event_arg = arg;
}

cw_llm_t *cw_generator_llm(cw_generator_t *self)
{
    return self ? self->llm : NULL;
}

bool cw_generator_llm_up(const cw_generator_t *self)
{
    return self && self->up;
}

int cw_generator_consecutive_failures(const cw_generator_t *self)
{
    return self ? self->consecutive : 0;
}

static void s_emit(cw_generator_t *self, const char *event, cw_value_t *fields)
{
    if (!fields)
        return;
    if (self->on_event)
        self->on_event(event, &fields, self->event_arg);
    cw_value_destroy(&fields);
}

/* ---------------------------------------------------------------- health */
bool cw_generator_check_health(cw_generator_t *self)
{
    char err[400] = "";
    bool ok = cw_llm_health(self->llm, err, sizeof(err));
    const char *backend = cw_llm_backend_name(self->llm);
    self->checked = true;
    if (ok) {
        if (self->consecutive > 0) {
            cw_info("llm_recovered", CW_LS("backend", backend),
                    CW_LI("after_failures", self->consecutive), CW_LEND);
            cw_value_t *f = cw_value_new_map();
            if (f)
                cw_map_set_str(f, "backend", backend);
            s_emit(self, CW_EV_LLM_RECOVERED, f);
        }
        self->up = true;
        self->consecutive = 0;
        self->last_error[0] = '\0';
        cw_backoff_reset(&self->health);
        return true;
    }
    self->up = false;
    int64_t wait = cw_backoff_fail(&self->health);
    self->consecutive = self->health.failures;
    self->next_check_ms = s_now_ms() + wait;
    snprintf(self->last_error, sizeof(self->last_error), "%s", err);
    cw_warn("llm_unavailable", CW_LS("backend", backend), CW_LI("consecutive", self->consecutive),
            CW_LI("retry_seconds", wait / 1000), CW_LS("error", err), CW_LEND);
    cw_value_t *f = cw_value_new_map();
    if (f) {
        cw_map_set_str(f, "backend", backend);
        cw_map_set_int(f, "consecutive", self->consecutive);
        cw_map_set_int(f, "retry_seconds", wait / 1000);
        cw_map_set_str(f, "error", err);
    }
    s_emit(self, CW_EV_LLM_UNAVAILABLE, f);
    return false;
}

bool cw_generator_start(cw_generator_t *self)
{
    bool up = cw_generator_check_health(self);
    if (up)
        cw_llm_prewarm(self->llm);
    return up;
}

int64_t cw_generator_tick(cw_generator_t *self)
{
    if (self->checked && self->up)
        return -1;
    int64_t now = s_now_ms();
    if (!self->checked || now >= self->next_check_ms) {
        if (cw_generator_check_health(self))
            return -1;
        now = s_now_ms();
    }
    return self->next_check_ms > now ? self->next_check_ms - now : 0;
}

/* ---------------------------------------------------------------- replies */
static cw_value_t *s_error(const char *job_id, const char *code, bool retryable,
                           const char *fmt_msg)
{
    return cw_proto_new_error(job_id, code, fmt_msg, retryable);
}

static cw_value_t *s_unavailable(cw_generator_t *self, const char *job_id, const char *what)
{
    char msg[900];
    int64_t left = self->next_check_ms - s_now_ms();
    snprintf(msg, sizeof(msg), "LLM backend %s unavailable: %s (next check in %lld s)",
             cw_llm_backend_name(self->llm), what && *what ? what : "not answering",
             (long long)(left > 0 ? (left + 999) / 1000 : 0));
    return s_error(job_id, CW_ERR_UNAVAILABLE, true, msg);
}

/* The source for the prompt, cut at a line boundary when it would overflow the context. */
static char *s_bounded_source(const cw_generator_t *self, const char *src)
{
    size_t n = strlen(src);
    if (n <= self->max_source_bytes)
        return strdup(src);
    size_t cut = self->max_source_bytes;
    while (cut > 0 && src[cut - 1] != '\n')
        cut--;
    if (cut == 0) {
        cut = cw_utf8_prefix(src, n, self->max_source_bytes);
    }
    static const char note[] = "\n... (source cut here to fit the context window)";
    char *out = malloc(cut + sizeof(note));
    if (!out)
        return NULL;
    memcpy(out, src, cut);
    memcpy(out + cut, note, sizeof(note));
    cw_info("prompt_source_cut", CW_LI("source_bytes", (long long)n),
            CW_LI("kept_bytes", (long long)cut), CW_LEND);
    return out;
}

static cw_value_t *s_reply(const char *job_id, const char *doc, const char *msg,
                           const cw_llm_t *llm, long ptok, long ctok, int64_t ms, bool truncated,
                           bool with_model)
{
    cw_value_t *r = cw_proto_new(CW_MSG_GENERATE_REPLY);
    if (!r)
        return NULL;
    cw_map_set_str(r, "job_id", job_id);
    cw_map_set_str(r, "documentation", doc);
    cw_map_set_str(r, "commit_message", msg);
    cw_map_set_str(r, "backend", cw_llm_backend_name(llm));
    if (with_model)
        cw_map_set_str(r, "model", cw_llm_model(llm));
    cw_map_set_int(r, "prompt_tokens", ptok);
    cw_map_set_int(r, "completion_tokens", ctok);
    cw_map_set_int(r, "duration_ms", ms);
    cw_map_set_bool(r, "truncated", truncated);
    return r;
}

static cw_value_t *s_llm_error(cw_generator_t *self, const char *job_id, const cw_llm_result_t *res)
{
    char msg[900];
    switch (res->status) {
    case CW_LLM_UNAVAILABLE:
        /* the server stopped answering: mark it down (publishes llm_unavailable) */
        if (cw_generator_check_health(self))
            return s_error(job_id, CW_ERR_UNAVAILABLE, true, res->error);
        return s_unavailable(self, job_id, res->error);
    case CW_LLM_BUSY:
        snprintf(msg, sizeof(msg), "LLM busy: %s", res->error);
        return s_error(job_id, CW_ERR_UNAVAILABLE, true, msg);
    case CW_LLM_MODEL_MISSING:
        snprintf(msg, sizeof(msg), "model not found: %s (model \"%s\")", res->error,
                 cw_llm_model(self->llm));
        cw_error("llm_model_missing", CW_LS("backend", cw_llm_backend_name(self->llm)),
                 CW_LS("model", cw_llm_model(self->llm)), CW_LS("error", res->error), CW_LEND);
        {
            cw_value_t *f = cw_value_new_map();
            if (f) {
                cw_map_set_str(f, "level", "error");
                cw_map_set_str(f, "message", msg);
            }
            s_emit(self, CW_EV_LOG, f);
        }
        return s_error(job_id, CW_ERR_BAD_REQUEST, false, msg);
    case CW_LLM_BAD_INPUT:
        snprintf(msg, sizeof(msg), "LLM rejected the input: %s", res->error);
        return s_error(job_id, CW_ERR_BAD_REQUEST, false, msg);
    case CW_LLM_CANCELLED:
        snprintf(msg, sizeof(msg), "generation abandoned: the request's timeout_ms passed (%s)",
                 res->error);
        return s_error(job_id, CW_ERR_UNAVAILABLE, true, msg);
    default:
        snprintf(msg, sizeof(msg), "LLM call failed: %s", res->error);
        return s_error(job_id, CW_ERR_INTERNAL, true, msg);
    }
}

static bool s_ungrounded(cw_generator_t *self, const cw_value_t *target, const char *text);

/* ---------------------------------------------------------------- deadline
   A generate_request may carry timeout_ms: how long its sender waits for the answer. Once
   that has passed nobody reads the answer, so the LLM call is cancelled (checked about
   once a second by cw_http, and before each attempt or wait) instead of keeping the only
   generator busy on an abandoned job. */
static bool s_deadline_passed(void *arg)
{
    return s_now_ms() >= *(const int64_t *)arg;
}

static cw_value_t *s_generate(cw_generator_t *self, const cw_value_t *request);

/* The request within its deadline (see above); cw_generator_handle redacts around it. */
static cw_value_t *s_handle(cw_generator_t *self, const cw_value_t *request)
{
    int64_t timeout_ms = cw_map_int(request, "timeout_ms", 0);
    if (timeout_ms <= 0 || cw_llm_is_offline(self->llm))
        return s_generate(self, request);
    int64_t deadline = s_now_ms() + timeout_ms;
    cw_llm_set_cancel(self->llm, s_deadline_passed, &deadline);
    cw_value_t *reply = s_generate(self, request);
    cw_llm_set_cancel(self->llm, NULL, NULL);
    return reply;
}

static cw_value_t *s_generate(cw_generator_t *self, const cw_value_t *request)
{
    const char *job_id = cw_map_str(request, "job_id", "");
    const char *type = cw_proto_type(request);
    if (!type || strcmp(type, CW_MSG_GENERATE_REQUEST) != 0) {
        char msg[128];
        snprintf(msg, sizeof(msg), "generator answers generate_request, not %.40s",
                 type ? type : "(no type)");
        return s_error(job_id, CW_ERR_BAD_REQUEST, false, msg);
    }
    char err[256] = "";
    cw_gen_target_t t;
    if (cw_gen_target_from_value(cw_map_get(request, "target"), &t, err, sizeof(err)) != 0) {
        cw_gen_target_free(&t);
        cw_warn("generate_bad_request", CW_LS("job_id", job_id), CW_LS("error", err), CW_LEND);
        return s_error(job_id, CW_ERR_BAD_REQUEST, false, err);
    }
    char name[600];
    cw_gen_display_name(&t, name, sizeof(name));
    int64_t start = s_now_ms();
    cw_value_t *reply = NULL;

    if (cw_llm_is_offline(self->llm)) {
        const cw_value_t *tv = cw_map_get(request, "target");
        bool summary = cw_doc_type_is_summary(t.doc_type_name); /* the ledger's facts */
        char *doc = summary ? cw_offline_summary_document(tv) : cw_offline_document(&t);
        char *msg = summary ? cw_offline_summary_commit_message(tv) : cw_offline_commit_message(&t);
        if (doc && msg)
            reply = s_reply(job_id, doc, msg, self->llm, 0, 0, s_now_ms() - start, false, false);
        else
            reply = s_error(job_id, CW_ERR_INTERNAL, true, "out of memory");
        free(doc);
        free(msg);
        cw_gen_target_free(&t);
        return reply;
    }

    /* health first: never spend a request on a server known to be down */
    if (!self->checked || !self->up) {
        if (!self->checked || s_now_ms() >= self->next_check_ms)
            cw_generator_check_health(self);
        if (!self->up) {
            cw_gen_target_free(&t);
            return s_unavailable(self, job_id, self->last_error);
        }
    }

    char *source = s_bounded_source(self, t.source);
    cw_prompt_vars_t vars = {
        .language = t.language,
        .source = source,
        .name = name,
        .file_path = t.file,
        .repo = t.repo,
        .complexity = t.complexity,
        .line_count = t.end_line >= t.start_line ? t.end_line - t.start_line + 1 : 0,
        .target = &t,
    };
    char *system = cw_prompts_system(self->prompts, t.language);
    char *prompt = source ? cw_prompts_document(self->prompts, t.doc_type, &vars) : NULL;
    if (!system || !prompt) {
        free(source);
        free(system);
        free(prompt);
        cw_gen_target_free(&t);
        return s_error(job_id, CW_ERR_INTERNAL, true, "out of memory building the prompt");
    }
    cw_info("generating", CW_LS("job_id", job_id), CW_LS("target", name),
            CW_LS("doc_type", t.doc_type_name), CW_LS("backend", cw_llm_backend_name(self->llm)),
            CW_LS("model", cw_llm_model(self->llm)),
            CW_LI("prompt_bytes", (long long)strlen(prompt)), CW_LEND);
    cw_llm_call_t call = {system, prompt, -1.0, 0};
    cw_llm_result_t res;
    cw_llm_generate(self->llm, &call, &res);
    if (res.status == CW_LLM_OK && s_ungrounded(self, cw_map_get(request, "target"), res.text)) {
        /* names the code does not have: one more try, cooler */
        cw_llm_result_t again;
        call.temperature = self->cool_temperature;
        cw_warn("generate_ungrounded_retry", CW_LS("job_id", job_id), CW_LS("target", name),
                CW_LF("temperature", call.temperature), CW_LEND);
        if (cw_llm_generate(self->llm, &call, &again) == CW_LLM_OK) {
            cw_llm_result_clear(&res);
            res = again;
        } else
            cw_llm_result_clear(&again);
    }
    free(system);
    free(prompt);
    free(source);
    if (res.status != CW_LLM_OK) {
        cw_warn("generate_failed", CW_LS("job_id", job_id), CW_LS("target", name),
                CW_LS("status", cw_llm_status_name(res.status)), CW_LS("error", res.error),
                CW_LEND);
        reply = s_llm_error(self, job_id, &res);
        cw_llm_result_clear(&res);
        cw_gen_target_free(&t);
        return reply;
    }
    char *doc = cw_clean_documentation(res.text);
    long ptok = res.prompt_tokens, ctok = res.completion_tokens;
    bool truncated = res.truncated;
    cw_llm_result_clear(&res);
    if (!doc || !*doc) {
        free(doc);
        cw_gen_target_free(&t);
        return s_error(job_id, CW_ERR_INTERNAL, true, "the LLM answer was empty after cleaning");
    }
    if (truncated)
        cw_warn("generate_truncated", CW_LS("job_id", job_id), CW_LS("target", name), CW_LEND);

    /* commit message: a failure here never throws the document away */
    char *msg = NULL;
    char *csys = cw_prompts_commit_system(self->prompts);
    char *cprompt = cw_prompts_commit(self->prompts, doc, &vars);
    if (csys && cprompt) {
        cw_llm_call_t ccall = {csys, cprompt, CW_GEN_COMMIT_TEMPERATURE, CW_GEN_COMMIT_MAX_TOKENS};
        cw_llm_result_t cres;
        if (cw_llm_generate(self->llm, &ccall, &cres) == CW_LLM_OK) {
            msg = cw_clean_commit_message(cres.text, name);
            ptok += cres.prompt_tokens;
            ctok += cres.completion_tokens;
        } else
            cw_warn("commit_message_failed", CW_LS("job_id", job_id),
                    CW_LS("status", cw_llm_status_name(cres.status)), CW_LS("error", cres.error),
                    CW_LEND);
        cw_llm_result_clear(&cres);
    }
    free(csys);
    free(cprompt);
    if (!msg)
        msg = cw_clean_commit_message("", name);
    if (msg)
        reply =
            s_reply(job_id, doc, msg, self->llm, ptok, ctok, s_now_ms() - start, truncated, true);
    else
        reply = s_error(job_id, CW_ERR_INTERNAL, true, "out of memory");
    cw_info("generated", CW_LS("job_id", job_id), CW_LS("target", name),
            CW_LI("doc_bytes", (long long)strlen(doc)), CW_LI("prompt_tokens", ptok),
            CW_LI("completion_tokens", ctok), CW_LB("truncated", truncated), CW_LEND);
    free(doc);
    free(msg);
    cw_gen_target_free(&t);
    return reply;
}

/* ---------------------------------------------------------------- safety: no secret in or
   out, and a document about the code it was given */

/* Would this answer, cleaned and redacted, fall below documentation.min_grounding? */
static bool s_ungrounded(cw_generator_t *self, const cw_value_t *target, const char *text)
{
    if (self->min_grounding <= 0 || !text)
        return false;
    char *doc = cw_clean_documentation(text);
    char *red = NULL;
    size_t n = 0;
    cw_grounding_t g;
    bool low = doc && cw_redact_text(self->redact, doc, &red, &n) == 0 &&
               cw_grounding_check(target, red ? red : doc, &g) == 0 &&
               g.ratio < self->min_grounding;
    free(red);
    free(doc);
    return low;
}

/* Redact a string field of a reply in place; adds to *count. -1 on OOM. */
static int s_redact_field(cw_generator_t *self, cw_value_t *reply, const char *key, long *count)
{
    const char *s = cw_map_str(reply, key, NULL);
    char *red = NULL;
    size_t n = 0;
    if (!s)
        return 0;
    if (cw_redact_text(self->redact, s, &red, &n) != 0)
        return -1;
    if (red) {
        int rc = cw_map_set_str(reply, key, red);
        free(red);
        if (rc != 0)
            return -1;
        *count += (long)n;
    }
    return 0;
}

cw_value_t *cw_generator_handle(cw_generator_t *self, const cw_value_t *request)
{
    const char *job_id = cw_map_str(request, "job_id", "");
    /* the analyzer redacts its targets; a target from elsewhere is redacted here, before any
       of it can reach the LLM */
    cw_value_t *req = cw_value_clone(request);
    const cw_value_t *target = req ? cw_map_get(req, "target") : NULL;
    cw_value_t *red = target ? cw_value_clone(target) : NULL;
    long in = red ? cw_redact_value(self->redact, &red) : 0;
    if (!req || in < 0 || (red && cw_map_set(req, "target", red) != 0)) {
        if (in < 0)
            cw_value_destroy(&red);
        cw_value_destroy(&req);
        return s_error(job_id, CW_ERR_INTERNAL, true, "out of memory");
    }
    cw_value_t *reply = s_handle(self, req);
    const char *type = cw_proto_type(reply);
    if (reply && type && strcmp(type, CW_MSG_GENERATE_REPLY) == 0) {
        long out = 0;
        cw_grounding_t g;
        if (s_redact_field(self, reply, "documentation", &out) != 0 ||
            s_redact_field(self, reply, "commit_message", &out) != 0 ||
            cw_grounding_check(cw_map_get(req, "target"), cw_map_str(reply, "documentation", ""),
                               &g) != 0) {
            cw_value_destroy(&reply);
            reply = s_error(job_id, CW_ERR_INTERNAL, true, "out of memory");
        } else if (g.ratio < self->min_grounding) {
            char msg[900];
            snprintf(msg, sizeof(msg),
                     "the document names identifiers the code does not have: grounding %.2f "
                     "(%zu of %zu found) is below documentation.min_grounding %.2f%s; not "
                     "found: %s",
                     g.ratio, g.grounded, g.checked, self->min_grounding,
                     cw_llm_is_offline(self->llm) ? "" : " after a second, cooler attempt",
                     g.missing);
            cw_warn("generate_ungrounded", CW_LS("job_id", job_id), CW_LF("grounding", g.ratio),
                    CW_LI("checked", g.checked), CW_LS("missing", g.missing), CW_LEND);
            cw_value_destroy(&reply);
            reply = s_error(job_id, CW_ERR_UNGROUNDED, false, msg);
        } else {
            cw_map_set_float(reply, "grounding", g.ratio);
            cw_map_set_int(reply, "redactions", in + out);
            if (in + out > 0)
                cw_info("generate_redacted", CW_LS("job_id", job_id), CW_LI("in_target", in),
                        CW_LI("in_answer", out), CW_LEND);
        }
    }
    cw_value_destroy(&req);
    return reply;
}
