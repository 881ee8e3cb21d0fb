/*  cw_proto — the declaration table of every CodeWorm message, and its validator.
    proto/README.md documents this table; keep the two in step.                      */
#include "cw_proto.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ declarations */

typedef enum {
    K_STR = 1, /* string of at most `max` bytes */
    K_INT,     /* integer in [min, imax] */
    K_FLOAT,   /* finite number (ints accepted) */
    K_BOOL,
    K_MAP,   /* any map (free-form contents) */
    K_OBJ,   /* a map validated against the declaration `sub` */
    K_ARRAY, /* array of at most `max` elements of kind `elem` */
    K_COUNTS /* a map of names (at most `elem_max` bytes) to counts (ints >= 0), at most `max` */
} s_kind_t;

typedef struct s_field s_field_t;
struct s_field {
    const char *name;
    s_kind_t kind;
    bool required;
    size_t max;           /* K_STR: bytes; K_ARRAY: elements */
    s_kind_t elem;        /* K_ARRAY: element kind (K_STR, K_BOOL, K_OBJ) */
    size_t elem_max;      /* K_ARRAY of K_STR: bytes per element */
    int64_t min, imax;    /* K_INT */
    const s_field_t *sub; /* K_OBJ, K_ARRAY of K_OBJ: the declaration of the map(s) */
};

typedef struct {
    const char *type;
    const s_field_t *fields;
    bool event;
} s_message_t;

#define KiB ((size_t)1024)
#define MiB ((size_t)1024 * 1024)

#define REQ true
#define OPT false
/* One field each; a declaration is an array of them closed by END. */
#define STR(n, req, max)                                                                           \
    {                                                                                              \
        n, K_STR, req, max, 0, 0, 0, 0, NULL                                                       \
    }
#define INT(n, req, lo, hi)                                                                        \
    {                                                                                              \
        n, K_INT, req, 0, 0, 0, lo, hi, NULL                                                       \
    }
#define CNT(n, req)                                                                                \
    {                                                                                              \
        n, K_INT, req, 0, 0, 0, 0, INT64_MAX, NULL                                                 \
    } /* count >= 0 */
#define FLT(n, req)                                                                                \
    {                                                                                              \
        n, K_FLOAT, req, 0, 0, 0, 0, 0, NULL                                                       \
    }
#define BOOL(n, req)                                                                               \
    {                                                                                              \
        n, K_BOOL, req, 0, 0, 0, 0, 0, NULL                                                        \
    }
#define MAP(n, req)                                                                                \
    {                                                                                              \
        n, K_MAP, req, 0, 0, 0, 0, 0, NULL                                                         \
    }
#define OBJ(n, req, decl)                                                                          \
    {                                                                                              \
        n, K_OBJ, req, 0, 0, 0, 0, 0, decl                                                         \
    }
#define ARR_STR(n, req, maxn, maxb)                                                                \
    {                                                                                              \
        n, K_ARRAY, req, maxn, K_STR, maxb, 0, 0, NULL                                             \
    }
#define ARR_BOOL(n, req, maxn)                                                                     \
    {                                                                                              \
        n, K_ARRAY, req, maxn, K_BOOL, 0, 0, 0, NULL                                               \
    }
#define ARR_OBJ(n, req, maxn, decl)                                                                \
    {                                                                                              \
        n, K_ARRAY, req, maxn, K_OBJ, 0, 0, 0, decl                                                \
    }
#define COUNTS(n, req, maxn, maxb)                                                                 \
    {                                                                                              \
        n, K_COUNTS, req, maxn, 0, maxb, 0, INT64_MAX, NULL                                        \
    }
#define TARGET(n, req) OBJ(n, req, s_target)
#define ARR_TARGET(n, req, maxn) ARR_OBJ(n, req, maxn, s_target)
#define END                                                                                        \
    {                                                                                              \
        NULL, 0, false, 0, 0, 0, 0, 0, NULL                                                        \
    }

/* Bounds of fields the header leaves open. */
#define ID_MAX 64        /* job_id, cycle_id, commit oid */
#define NAME_MAX_B 256   /* names: backend, model, service, trigger, step */
#define DOCTYPE_MAX 32   /* doc_type */
#define PATH_MAX_B 4096  /* repo names/paths, file paths, reasons, errors */
#define DISPLAY_MAX 512  /* target display names */
#define TIMESTAMP_MAX 40 /* ISO 8601 */

/* ---- the target: a piece of code worth documenting, with the facts the analyzer read
   from its syntax tree and its history (proto/README.md, "The target map") */

/* a parameter: `text: str = ""` -> name "text", type "str", default "\"\"" */
static const s_field_t s_param[] = {STR("name", REQ, 256), STR("type", OPT, 512),
                                    STR("default", OPT, 512), END};
/* a class member or a file's top-level definition */
static const s_field_t s_member[] = {STR("name", REQ, 256),  STR("kind", REQ, 32),
                                     CNT("line", REQ),       STR("signature", OPT, 512),
                                     STR("file", OPT, 4096), END};
/* what a function's body contains, counted in its syntax tree */
static const s_field_t s_body[] = {CNT("loops", OPT),   CNT("loop_depth", OPT),
                                   CNT("returns", OPT), CNT("raises", OPT),
                                   CNT("catches", OPT), CNT("yields", OPT),
                                   CNT("awaits", OPT),  CNT("gotos", OPT),
                                   CNT("unsafe", OPT),  END};
/* code_evolution: the commit and the change of the target's file */
static const s_field_t s_commit_file[] = {STR("path", REQ, 4096), STR("status", REQ, 16),
                                          CNT("added", REQ), CNT("deleted", REQ), END};
static const s_field_t s_commit[] = {STR("hash", REQ, 64),
                                     STR("author", REQ, 256),
                                     STR("date", REQ, TIMESTAMP_MAX),
                                     STR("subject", REQ, 1024),
                                     CNT("file_count", OPT),
                                     ARR_OBJ("files", OPT, 100, s_commit_file),
                                     END};
static const s_field_t s_hunk[] = {CNT("old_start", REQ),    CNT("old_lines", REQ),
                                   CNT("new_start", REQ),    CNT("new_lines", REQ),
                                   STR("section", OPT, 256), END};
static const s_field_t s_change[] = {STR("status", REQ, 16), CNT("added", REQ), CNT("deleted", REQ),
                                     ARR_OBJ("hunks", OPT, 256, s_hunk), END};
/* module_doc: the files of a package/module directory */
static const s_field_t s_module_file[] = {STR("path", REQ, 4096), CNT("lines", REQ),
                                          CNT("functions", REQ), CNT("classes", REQ), END};
static const s_field_t s_module[] = {STR("kind", REQ, 32), STR("index_file", OPT, 4096),
                                     CNT("file_count", REQ),
                                     ARR_OBJ("files", REQ, 1000, s_module_file), END};
/* pattern_analysis: a design pattern and the indicators of it found in code */
static const s_field_t s_pattern[] = {STR("name", REQ, 32), ARR_STR("indicators", REQ, 16, 64),
                                      END};

/* weekly_summary / monthly_summary: what the ledger recorded in the period (the committer's
   summary_reply.facts), and in the target also the period itself (the scheduler adds it).
   Bounds: a period is read from at most CW_LEDGER_PERIOD_ROWS (5000) ledger rows, lists
   at most CW_LEDGER_PERIOD_DOCS (200) documents and CW_LEDGER_TOP_COMPLEX (5) most complex
   ones (services/committer/cw_ledger.h). */
static const s_field_t s_period_document[] = {STR("repo", REQ, PATH_MAX_B),
                                              STR("file", REQ, 4096),
                                              STR("name", OPT, 512),
                                              STR("class", OPT, 512),
                                              STR("doc_type", REQ, 64),
                                              STR("path", REQ, 4096),
                                              STR("documented_at", REQ, TIMESTAMP_MAX),
                                              STR("language", OPT, 32),
                                              FLT("complexity", OPT),
                                              FLT("grounding", OPT),
                                              STR("display", OPT, DISPLAY_MAX),
                                              END};
static const s_field_t s_period_facts[] = {CNT("total", REQ),
                                           COUNTS("repos", REQ, 5000, PATH_MAX_B),
                                           COUNTS("doc_types", REQ, 5000, 64),
                                           COUNTS("languages", REQ, 5000, 32),
                                           ARR_OBJ("documents", REQ, 200, s_period_document),
                                           ARR_OBJ("most_complex", REQ, 5, s_period_document),
                                           STR("kind", OPT, 16),
                                           STR("period", OPT, 16),
                                           STR("first_day", OPT, 10),
                                           STR("last_day", OPT, 10),
                                           STR("timezone", OPT, NAME_MAX_B),
                                           END};

static const s_field_t s_target[] = {STR("doc_type", REQ, DOCTYPE_MAX),
                                     STR("repo", REQ, 256),
                                     STR("file", REQ, 4096),
                                     STR("language", REQ, 32),
                                     STR("name", REQ, 512),
                                     STR("class", OPT, 512),
                                     CNT("start_line", REQ),
                                     CNT("end_line", REQ),
                                     FLT("complexity", REQ),
                                     CNT("nloc", OPT),
                                     CNT("tokens", OPT),
                                     CNT("params", OPT),
                                     CNT("nesting", OPT),
                                     FLT("score", REQ),
                                     STR("source", REQ, 1 * MiB),
                                     STR("code_hash", REQ, 64),
                                     BOOL("source_cut", OPT),
                                     STR("kind", OPT, 32),
                                     STR("docstring", OPT, 64 * KiB),
                                     STR("signature", OPT, 4 * KiB),
                                     ARR_OBJ("parameters", OPT, 256, s_param),
                                     STR("return_type", OPT, 1 * KiB),
                                     ARR_STR("calls", OPT, 512, 256),
                                     ARR_STR("decorators", OPT, 64, 256),
                                     BOOL("is_async", OPT),
                                     OBJ("body", OPT, s_body),
                                     ARR_OBJ("members", OPT, 1000, s_member),
                                     ARR_OBJ("definitions", OPT, 1000, s_member),
                                     ARR_STR("imports", OPT, 1000, 512),
                                     CNT("bytes", OPT),
                                     OBJ("module", OPT, s_module),
                                     OBJ("commit", OPT, s_commit),
                                     OBJ("change", OPT, s_change),
                                     ARR_OBJ("patterns", OPT, 16, s_pattern),
                                     STR("context", OPT, 1 * MiB),
                                     CNT("redactions", OPT),
                                     OBJ("summary", OPT, s_period_facts),
                                     END};

/* ---- requests and replies */
static const s_field_t s_analyze_request[] = {STR("job_id", REQ, ID_MAX),
                                              STR("doc_type", OPT, DOCTYPE_MAX),
                                              STR("repo", OPT, PATH_MAX_B),
                                              INT("limit", OPT, 1, 1000),
                                              INT("offset", OPT, 0, 10000000),
                                              BOOL("sources", OPT),
                                              END};
static const s_field_t s_analyze_reply[] = {STR("job_id", REQ, ID_MAX),
                                            ARR_TARGET("targets", REQ, 1000),
                                            CNT("files_scanned", OPT),
                                            CNT("elapsed_ms", OPT),
                                            CNT("total", OPT),
                                            CNT("redactions", OPT),
                                            END};
static const s_field_t s_dedup_request[] = {
    STR("job_id", REQ, ID_MAX), ARR_TARGET("targets", REQ, 1000), STR("claim_id", OPT, ID_MAX),
    INT("claim_seconds", OPT, 1, 86400), END};
static const s_field_t s_dedup_reply[] = {STR("job_id", REQ, ID_MAX),
                                          ARR_BOOL("allowed", REQ, 1000),
                                          INT("claimed", OPT, -1, 999), CNT("held", OPT), END};
static const s_field_t s_release_request[] = {STR("job_id", REQ, ID_MAX),
                                              STR("claim_id", REQ, ID_MAX), END};
static const s_field_t s_release_reply[] = {STR("job_id", REQ, ID_MAX), CNT("released", REQ), END};
static const s_field_t s_generate_request[] = {STR("job_id", REQ, ID_MAX), TARGET("target", REQ),
                                               INT("timeout_ms", OPT, 1, 86400000), END};
static const s_field_t s_generate_reply[] = {
    STR("job_id", REQ, ID_MAX),      STR("documentation", REQ, 1 * MiB),
    STR("commit_message", REQ, 512), STR("backend", REQ, 32),
    STR("model", OPT, 256),          CNT("prompt_tokens", OPT),
    CNT("completion_tokens", OPT),   CNT("duration_ms", OPT),
    BOOL("truncated", OPT),          FLT("grounding", OPT),
    CNT("redactions", OPT),          END};
static const s_field_t s_commit_request[] = {
    STR("job_id", REQ, ID_MAX),         TARGET("target", REQ),
    STR("documentation", REQ, 1 * MiB), STR("commit_message", REQ, 512),
    STR("cycle_id", OPT, ID_MAX),       END};
static const s_field_t s_commit_reply[] = {STR("job_id", REQ, ID_MAX), STR("commit", REQ, ID_MAX),
                                           STR("path", REQ, 4096),     BOOL("duplicate", REQ),
                                           BOOL("pushed", OPT),        STR("push_error", OPT, 4096),
                                           STR("push_state", OPT, 32), FLT("grounding", OPT),
                                           CNT("redactions", OPT),     END};
static const s_field_t s_job_only[] = {STR("job_id", REQ, ID_MAX), END};
static const s_field_t s_stats_reply[] = {STR("job_id", REQ, ID_MAX),
                                          CNT("total", REQ),
                                          CNT("last_7_days", REQ),
                                          MAP("by_repo", OPT),
                                          MAP("by_doc_type", OPT),
                                          STR("devlog_path", OPT, PATH_MAX_B),
                                          END};
static const s_field_t s_summary_request[] = {STR("job_id", REQ, ID_MAX),
                                              STR("kind", REQ, 16),
                                              STR("period", REQ, 16),
                                              CNT("start", REQ),
                                              CNT("end", REQ),
                                              STR("timezone", OPT, NAME_MAX_B),
                                              END};
static const s_field_t s_summary_reply[] = {STR("job_id", REQ, ID_MAX),
                                            STR("kind", REQ, 16),
                                            STR("period", REQ, 16),
                                            BOOL("exists", REQ),
                                            STR("commit", OPT, ID_MAX),
                                            STR("path", OPT, PATH_MAX_B),
                                            OBJ("facts", REQ, s_period_facts),
                                            END};
static const s_field_t s_status_reply[] = {STR("job_id", REQ, ID_MAX), MAP("services", REQ), END};
static const s_field_t s_error[] = {STR("job_id", REQ, ID_MAX), STR("code", REQ, 32),
                                    STR("message", REQ, 4096), BOOL("retryable", REQ), END};

/* ---- events (service and timestamp are added to each below by s_event_common) */
static const s_field_t s_ev_cycle_starting[] = {STR("cycle_id", REQ, ID_MAX),
                                                STR("trigger", OPT, NAME_MAX_B), END};
static const s_field_t s_ev_analyzing[] = {STR("cycle_id", REQ, ID_MAX),
                                           STR("doc_type", OPT, DOCTYPE_MAX), END};
static const s_field_t s_ev_generating[] = {STR("cycle_id", REQ, ID_MAX),
                                            STR("target", REQ, DISPLAY_MAX),
                                            STR("doc_type", REQ, DOCTYPE_MAX),
                                            STR("repo", REQ, PATH_MAX_B),
                                            CNT("redactions", OPT),
                                            END};
static const s_field_t s_ev_documentation_committed[] = {STR("target", REQ, DISPLAY_MAX),
                                                         STR("doc_type", REQ, DOCTYPE_MAX),
                                                         STR("commit", REQ, ID_MAX),
                                                         STR("repo", REQ, PATH_MAX_B),
                                                         STR("file", OPT, PATH_MAX_B),
                                                         STR("path", OPT, PATH_MAX_B),
                                                         STR("job_id", OPT, ID_MAX),
                                                         STR("cycle_id", OPT, ID_MAX),
                                                         CNT("redactions", OPT),
                                                         FLT("grounding", OPT),
                                                         END};
static const s_field_t s_ev_next_cycle[] = {STR("at", REQ, TIMESTAMP_MAX), CNT("seconds", REQ),
                                            END};
static const s_field_t s_ev_stats[] = {CNT("total", OPT), CNT("successful", OPT),
                                       CNT("failed", OPT), CNT("skipped", OPT), END};
static const s_field_t s_ev_log[] = {STR("level", REQ, 16), STR("message", REQ, 4096), END};
static const s_field_t s_ev_cycle_failed[] = {
    STR("cycle_id", REQ, ID_MAX), STR("step", OPT, NAME_MAX_B), STR("reason", REQ, 4096),
    CNT("consecutive", REQ), END};
static const s_field_t s_ev_cycle_skipped[] = {STR("cycle_id", REQ, ID_MAX),
                                               STR("reason", REQ, 4096), CNT("consecutive", REQ),
                                               ARR_STR("repos", OPT, 1000, PATH_MAX_B), END};
static const s_field_t s_ev_llm_unavailable[] = {STR("backend", REQ, NAME_MAX_B),
                                                 CNT("consecutive", REQ), CNT("retry_seconds", REQ),
                                                 STR("error", OPT, 4096), END};
static const s_field_t s_ev_llm_recovered[] = {STR("backend", REQ, NAME_MAX_B), END};
static const s_field_t s_ev_push_failed[] = {STR("error", REQ, 4096), CNT("consecutive", REQ), END};
static const s_field_t s_ev_push_blocked[] = {STR("error", REQ, 4096), END};
static const s_field_t s_ev_service_started[] = {CNT("pid", REQ), STR("version", REQ, 64), END};
static const s_field_t s_ev_service_stopping[] = {CNT("pid", REQ), STR("reason", OPT, 4096), END};

/* Fields every event carries (declared optional: a publisher always sets them). */
static const s_field_t s_event_common[] = {STR("service", OPT, 64),
                                           STR("timestamp", OPT, TIMESTAMP_MAX), END};

static const s_message_t s_messages[] = {
    {CW_MSG_ANALYZE_REQUEST, s_analyze_request, false},
    {CW_MSG_ANALYZE_REPLY, s_analyze_reply, false},
    {CW_MSG_DEDUP_REQUEST, s_dedup_request, false},
    {CW_MSG_DEDUP_REPLY, s_dedup_reply, false},
    {CW_MSG_RELEASE_REQUEST, s_release_request, false},
    {CW_MSG_RELEASE_REPLY, s_release_reply, false},
    {CW_MSG_GENERATE_REQUEST, s_generate_request, false},
    {CW_MSG_GENERATE_REPLY, s_generate_reply, false},
    {CW_MSG_COMMIT_REQUEST, s_commit_request, false},
    {CW_MSG_COMMIT_REPLY, s_commit_reply, false},
    {CW_MSG_STATS_REQUEST, s_job_only, false},
    {CW_MSG_STATS_REPLY, s_stats_reply, false},
    {CW_MSG_SUMMARY_REQUEST, s_summary_request, false},
    {CW_MSG_SUMMARY_REPLY, s_summary_reply, false},
    {CW_MSG_STATUS_REQUEST, s_job_only, false},
    {CW_MSG_STATUS_REPLY, s_status_reply, false},
    {CW_MSG_ERROR, s_error, false},
    {CW_EV_CYCLE_STARTING, s_ev_cycle_starting, true},
    {CW_EV_ANALYZING, s_ev_analyzing, true},
    {CW_EV_GENERATING, s_ev_generating, true},
    {CW_EV_DOCUMENTATION_COMMITTED, s_ev_documentation_committed, true},
    {CW_EV_NEXT_CYCLE, s_ev_next_cycle, true},
    {CW_EV_STATS, s_ev_stats, true},
    {CW_EV_LOG, s_ev_log, true},
    {CW_EV_CYCLE_FAILED, s_ev_cycle_failed, true},
    {CW_EV_CYCLE_SKIPPED, s_ev_cycle_skipped, true},
    {CW_EV_LLM_UNAVAILABLE, s_ev_llm_unavailable, true},
    {CW_EV_LLM_RECOVERED, s_ev_llm_recovered, true},
    {CW_EV_PUSH_FAILED, s_ev_push_failed, true},
    {CW_EV_PUSH_BLOCKED, s_ev_push_blocked, true},
    {CW_EV_SERVICE_STARTED, s_ev_service_started, true},
    {CW_EV_SERVICE_STOPPING, s_ev_service_stopping, true},
};
#define S_MESSAGE_COUNT (sizeof(s_messages) / sizeof(s_messages[0]))

/* ------------------------------------------------------------------ helpers */

static const s_message_t *s_find(const char *type)
{
    if (!type)
        return NULL;
    for (size_t i = 0; i < S_MESSAGE_COUNT; i++)
        if (strcmp(s_messages[i].type, type) == 0)
            return &s_messages[i];
    return NULL;
}

static int s_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static const char *s_kind_name(cw_val_kind_t kind)
{
    switch (kind) {
    case CW_VAL_NIL:
        return "nil";
    case CW_VAL_BOOL:
        return "bool";
    case CW_VAL_INT:
        return "int";
    case CW_VAL_FLOAT:
        return "float";
    case CW_VAL_STR:
        return "string";
    case CW_VAL_ARRAY:
        return "array";
    case CW_VAL_MAP:
        return "map";
    }
    return "?";
}

static const char *s_expected_name(s_kind_t kind)
{
    switch (kind) {
    case K_STR:
        return "string";
    case K_INT:
        return "int";
    case K_FLOAT:
        return "number";
    case K_BOOL:
        return "bool";
    case K_MAP:
    case K_OBJ:
    case K_COUNTS:
        return "map";
    case K_ARRAY:
        return "array";
    }
    return "?";
}

static int s_check_fields(const s_field_t *fields, const cw_value_t *map, const char *path,
                          char *err, size_t errlen);

/* Check one value against kind/bounds. `path` names it in errors. */
static int s_check_value(const s_field_t *f, s_kind_t kind, size_t max, const cw_value_t *v,
                         const char *path, char *err, size_t errlen)
{
    cw_val_kind_t vk = cw_value_kind(v);
    switch (kind) {
    case K_STR:
        if (vk != CW_VAL_STR)
            break;
        if (cw_value_strlen(v) > max)
            return s_err(err, errlen, "%s: string of %zu bytes exceeds %zu", path,
                         cw_value_strlen(v), max);
        return 0;
    case K_INT: {
        if (vk != CW_VAL_INT)
            break;
        int64_t i = cw_value_int(v);
        if (i < f->min)
            return s_err(err, errlen, "%s: %" PRId64 " is below the minimum %" PRId64, path, i,
                         f->min);
        if (i > f->imax)
            return s_err(err, errlen, "%s: %" PRId64 " exceeds the maximum %" PRId64, path, i,
                         f->imax);
        return 0;
    }
    case K_FLOAT:
        if (vk == CW_VAL_INT)
            return 0;
        if (vk != CW_VAL_FLOAT)
            break;
        if (!isfinite(cw_value_float(v)))
            return s_err(err, errlen, "%s: number is not finite", path);
        return 0;
    case K_BOOL:
        if (vk != CW_VAL_BOOL)
            break;
        return 0;
    case K_MAP:
        if (vk != CW_VAL_MAP)
            break;
        return 0;
    case K_OBJ:
        if (vk != CW_VAL_MAP)
            break;
        return s_check_fields(f->sub, v, path, err, errlen);
    case K_COUNTS: {
        if (vk != CW_VAL_MAP)
            break;
        size_t n = cw_value_size(v);
        if (n > f->max)
            return s_err(err, errlen, "%s: map of %zu names exceeds %zu", path, n, f->max);
        for (size_t i = 0; i < n; i++) {
            const char *key = cw_map_key_at(v, i);
            const cw_value_t *count = cw_map_value_at(v, i);
            if (strlen(key) > f->elem_max)
                return s_err(err, errlen, "%s: a name of %zu bytes exceeds %zu", path, strlen(key),
                             f->elem_max);
            if (cw_value_kind(count) != CW_VAL_INT || cw_value_int(count) < 0)
                return s_err(err, errlen, "%s.%.64s: expected a count (int >= 0), got %s", path,
                             key, s_kind_name(cw_value_kind(count)));
        }
        return 0;
    }
    case K_ARRAY: {
        if (vk != CW_VAL_ARRAY)
            break;
        size_t n = cw_value_size(v);
        if (n > f->max)
            return s_err(err, errlen, "%s: array of %zu elements exceeds %zu", path, n, f->max);
        for (size_t i = 0; i < n; i++) {
            char sub[256];
            snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
            if (s_check_value(f, f->elem, f->elem_max, cw_array_at(v, i), sub, err, errlen) != 0)
                return -1;
        }
        return 0;
    }
    }
    return s_err(err, errlen, "%s: expected %s, got %s", path, s_expected_name(kind),
                 s_kind_name(vk));
}

static int s_check_fields(const s_field_t *fields, const cw_value_t *map, const char *path,
                          char *err, size_t errlen)
{
    for (const s_field_t *f = fields; f->name; f++) {
        char sub[256];
        snprintf(sub, sizeof(sub), "%s.%s", path, f->name);
        const cw_value_t *v = cw_map_get(map, f->name);
        if (!v) {
            if (f->required)
                return s_err(err, errlen, "%s: required field missing", sub);
            continue;
        }
        if (s_check_value(f, f->kind, f->max, v, sub, err, errlen) != 0)
            return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ public */

cw_value_t *cw_proto_new(const char *type)
{
    if (!type)
        return NULL;
    cw_value_t *msg = cw_value_new_map();
    if (!msg)
        return NULL;
    if (cw_map_set_int(msg, "v", CW_PROTO_VERSION) != 0 || cw_map_set_str(msg, "type", type) != 0)
        cw_value_destroy(&msg);
    return msg;
}

cw_value_t *cw_proto_new_error(const char *job_id, const char *code, const char *message,
                               bool retryable)
{
    cw_value_t *msg = cw_proto_new(CW_MSG_ERROR);
    if (!msg)
        return NULL;
    /* keep the payload valid even when the inputs are oversized */
    char id[ID_MAX + 1], cd[33], text[4097];
    snprintf(id, sizeof(id), "%s", job_id ? job_id : "");
    snprintf(cd, sizeof(cd), "%s", code ? code : CW_ERR_INTERNAL);
    snprintf(text, sizeof(text), "%s", message ? message : "");
    if (cw_map_set_str(msg, "job_id", id) != 0 || cw_map_set_str(msg, "code", cd) != 0 ||
        cw_map_set_str(msg, "message", text) != 0 ||
        cw_map_set_bool(msg, "retryable", retryable) != 0)
        cw_value_destroy(&msg);
    return msg;
}

const char *cw_proto_type(const cw_value_t *msg)
{
    return cw_map_str(msg, "type", NULL);
}

bool cw_proto_is_known_type(const char *type)
{
    return s_find(type) != NULL;
}

int cw_proto_validate(const cw_value_t *msg, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!msg)
        return s_err(err, errlen, "no payload");
    if (cw_value_kind(msg) != CW_VAL_MAP)
        return s_err(err, errlen, "payload is not a map (got %s)", s_kind_name(cw_value_kind(msg)));
    const cw_value_t *v = cw_map_get(msg, "v");
    if (!v)
        return s_err(err, errlen, "missing protocol version \"v\"");
    if (cw_value_kind(v) != CW_VAL_INT)
        return s_err(err, errlen, "protocol version \"v\" must be an int (got %s)",
                     s_kind_name(cw_value_kind(v)));
    if (cw_value_int(v) != CW_PROTO_VERSION)
        return s_err(err, errlen, "unsupported protocol version %" PRId64 " (this build speaks %d)",
                     cw_value_int(v), CW_PROTO_VERSION);
    const cw_value_t *t = cw_map_get(msg, "type");
    if (!t)
        return s_err(err, errlen, "missing message \"type\"");
    if (cw_value_kind(t) != CW_VAL_STR)
        return s_err(err, errlen, "message \"type\" must be a string (got %s)",
                     s_kind_name(cw_value_kind(t)));
    const s_message_t *m = s_find(cw_value_str(t));
    if (!m)
        return s_err(err, errlen, "unknown message type \"%.64s\"", cw_value_str(t));
    if (s_check_fields(m->fields, msg, m->type, err, errlen) != 0)
        return -1;
    if (m->event && s_check_fields(s_event_common, msg, m->type, err, errlen) != 0)
        return -1;
    return 0;
}

int cw_proto_validate_target(const cw_value_t *target, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (cw_value_kind(target) != CW_VAL_MAP)
        return s_err(err, errlen, "target: expected map, got %s",
                     target ? s_kind_name(cw_value_kind(target)) : "nothing");
    return s_check_fields(s_target, target, "target", err, errlen);
}

cw_value_t *cw_proto_decode(const void *data, size_t size, char *err, size_t errlen)
{
    if (size > CW_PROTO_MAX_FRAME) {
        s_err(err, errlen, "payload of %zu bytes exceeds %d", size, CW_PROTO_MAX_FRAME);
        return NULL;
    }
    cw_value_t *msg = cw_value_decode(data, size, err, errlen);
    if (!msg)
        return NULL;
    if (cw_proto_validate(msg, err, errlen) != 0)
        cw_value_destroy(&msg);
    return msg;
}

int cw_proto_encode(const cw_value_t *msg, char **data, size_t *size, char *err, size_t errlen)
{
    if (data)
        *data = NULL;
    if (size)
        *size = 0;
    if (!data || !size)
        return s_err(err, errlen, "no output buffer");
    if (cw_proto_validate(msg, err, errlen) != 0)
        return -1;
    if (cw_value_encode(msg, data, size) != 0)
        return s_err(err, errlen, "out of memory while encoding");
    if (*size > CW_PROTO_MAX_FRAME) {
        size_t n = *size;
        free(*data);
        *data = NULL;
        *size = 0;
        return s_err(err, errlen, "encoded payload of %zu bytes exceeds %d", n, CW_PROTO_MAX_FRAME);
    }
    return 0;
}
