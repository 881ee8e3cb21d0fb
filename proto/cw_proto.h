/*  cw_proto — every message on the CodeWorm bus, declared once.

    A payload is a msgpack map with string keys; every payload carries "v" (this
    protocol's version, an integer) and "type" (a name below). Requests and replies
    travel through the broker (see cw_bus.h); events are two frames: the topic
    "codeworm.<event name>" and the payload. proto/README.md documents each message.

    cw_proto_decode() = bounded msgpack decode + validation against the declaration
    of the payload's "type": required fields present, every known field of the right
    kind, strings and arrays within their bounds, integers within range. Unknown
    fields are ignored (newer senders may add fields); unknown types are rejected. */
#ifndef CW_PROTO_H
#define CW_PROTO_H

#include "cw_value.h"

#define CW_PROTO_VERSION 1
/* Largest payload frame any CodeWorm socket accepts (ZMQ_MAXMSGSIZE is set to this). */
#define CW_PROTO_MAX_FRAME (8 * 1024 * 1024)

/* ---- worker services (broker service names) */
#define CW_SERVICE_ANALYZER "analyzer"
#define CW_SERVICE_GENERATOR "generator"
#define CW_SERVICE_COMMITTER "committer"
#define CW_SERVICE_BROKER "broker" /* answered by the broker itself */

/* ---- requests and replies */
#define CW_MSG_ANALYZE_REQUEST "analyze_request"   /* -> analyzer */
#define CW_MSG_ANALYZE_REPLY "analyze_reply"
#define CW_MSG_DEDUP_REQUEST "dedup_request"       /* -> committer */
#define CW_MSG_DEDUP_REPLY "dedup_reply"
#define CW_MSG_GENERATE_REQUEST "generate_request" /* -> generator */
#define CW_MSG_GENERATE_REPLY "generate_reply"
#define CW_MSG_COMMIT_REQUEST "commit_request"     /* -> committer */
#define CW_MSG_COMMIT_REPLY "commit_reply"
#define CW_MSG_STATS_REQUEST "stats_request"       /* -> committer */
#define CW_MSG_STATS_REPLY "stats_reply"
#define CW_MSG_STATUS_REQUEST "status_request"     /* -> broker */
#define CW_MSG_STATUS_REPLY "status_reply"
#define CW_MSG_ERROR "error"                       /* any reply may be an error */

/* ---- events (topic = "codeworm." + name) */
#define CW_EVENT_TOPIC_PREFIX "codeworm."
#define CW_EV_CYCLE_STARTING "cycle_starting"
#define CW_EV_ANALYZING "analyzing"
#define CW_EV_GENERATING "generating"
#define CW_EV_DOCUMENTATION_COMMITTED "documentation_committed"
#define CW_EV_NEXT_CYCLE "next_cycle"
#define CW_EV_STATS "stats"
#define CW_EV_LOG "log"
#define CW_EV_CYCLE_FAILED "cycle_failed"
#define CW_EV_CYCLE_SKIPPED "cycle_skipped"
#define CW_EV_LLM_UNAVAILABLE "llm_unavailable"
#define CW_EV_LLM_RECOVERED "llm_recovered"
#define CW_EV_PUSH_FAILED "push_failed"
#define CW_EV_PUSH_BLOCKED "push_blocked"
#define CW_EV_SERVICE_STARTED "service_started"
#define CW_EV_SERVICE_STOPPING "service_stopping"

/* ---- error codes carried by CW_MSG_ERROR "code" */
#define CW_ERR_BAD_REQUEST "bad_request"   /* malformed or invalid request: do not retry */
#define CW_ERR_INTERNAL "internal"         /* the worker failed; may retry */
#define CW_ERR_UNAVAILABLE "unavailable"   /* a dependency (LLM, remote) is down: retry later */
#define CW_ERR_WORKER_LOST "worker_lost"   /* the broker lost every worker that held the job */
#define CW_ERR_NO_TARGET "no_target"       /* analyzer: nothing worth documenting */

/* A new payload map with "v" and "type" set. NULL on OOM. */
cw_value_t *cw_proto_new(const char *type);
/* A new error reply for job_id. */
cw_value_t *cw_proto_new_error(const char *job_id, const char *code, const char *message,
                               bool retryable);
/* The payload's "type", or NULL. */
const char *cw_proto_type(const cw_value_t *msg);
/* true if `type` is a declared request/reply type or event name. */
bool cw_proto_is_known_type(const char *type);
/* Validate a decoded payload against its declaration. 0 ok, -1 with reason in err. */
int cw_proto_validate(const cw_value_t *msg, char *err, size_t errlen);
/* Decode (bounded) and validate. NULL with a reason on any failure. */
cw_value_t *cw_proto_decode(const void *data, size_t size, char *err, size_t errlen);
/* Validate then encode. -1 with reason if the message breaks its own declaration. */
int cw_proto_encode(const cw_value_t *msg, char **data, size_t *size, char *err, size_t errlen);
/* Validate a map against the `target` declaration (used inside requests). */
int cw_proto_validate_target(const cw_value_t *target, char *err, size_t errlen);

#endif
