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

/*  Field declarations (the table in cw_proto.c is the source of truth; README.md
    documents it). "?" = optional. str bounds are in bytes. Every message: v int, type str.

    target (map, inside requests/replies):
      doc_type str<=32 (a cw_doc_type name), repo str<=256, file str<=4096 (relative to the
      repo), language str<=32, name str<=512, class? str<=512, start_line int>=0,
      end_line int>=0, complexity float, nloc? int, tokens? int, params? int, nesting? int,
      score float, source str<=1MiB (the snippet, or the context for file/module/diff
      kinds), code_hash str<=64 (sha256 hex of source), source_cut? bool, context? str<=1MiB
      (prose for people: no program reads it), and the facts (nested maps are declared and
      validated like messages; README.md documents each):
        kind? str<=32, docstring? str<=64KiB, signature? str<=4KiB,
        parameters? [{name, type?, default?}]<=256, return_type? str<=1KiB,
        calls? [str<=256]<=512, decorators? [str<=256]<=64, is_async? bool,
        body? {loops, loop_depth, returns, raises, catches, yields, awaits, gotos, unsafe},
        members? / definitions? [{name, kind, line, signature?}]<=1000,
        imports? [str<=512]<=1000, bytes? int,
        module? {kind, index_file?, file_count, files [{path, lines, functions, classes}]},
        commit? {hash, author, date, subject, file_count?, files? [{path, status, added,
                 deleted}]<=100},
        change? {status, added, deleted, hunks? [{old_start, old_lines, new_start,
                 new_lines, section?}]<=256},
        patterns? [{name, indicators [str<=64]<=16}]<=16,
        redactions? int (secrets the analyzer replaced in this target),
        summary? map (weekly_summary / monthly_summary targets: the period's facts)

    analyze_request : job_id str<=64, doc_type? str<=32, repo? str<=4096 (name or path),
                      limit? int 1..1000 (default 20), offset? int 0..10^7 (skip the best
                      `offset` candidates; default 0), sources? bool (false: every target's
                      source is "" and it has no context; default true)
    analyze_reply   : job_id, targets [target]<=1000, files_scanned? int, elapsed_ms? int,
                      total? int (candidates in all, before offset and limit),
                      redactions? int
    dedup_request   : job_id, targets [target]<=1000   (source may be "" - code_hash counts),
                      claim_id? str<=64 (claim the first allowed target for this id, in the
                      same transaction as the check), claim_seconds? int 1..86400 (expiry)
    dedup_reply     : job_id, allowed [bool]<=1000     (same order as the request; a target
                      claimed by another live claim is not allowed), claimed? int -1..999
                      (index of the target claimed for claim_id, -1 none), held? int
                      (targets refused only because another claim holds them)
    release_request : job_id, claim_id str<=64         (drop that id's claims)
    release_reply   : job_id, released int             (claims dropped)
    generate_request: job_id, target
    generate_reply  : job_id, documentation str<=1MiB, commit_message str<=512,
                      backend str<=32, model? str<=256, prompt_tokens? int,
                      completion_tokens? int, duration_ms? int, truncated? bool,
                      grounding? float 0..1, redactions? int
    commit_request  : job_id, target, documentation str<=1MiB, commit_message str<=512,
                      cycle_id? str<=64
    commit_reply    : job_id, commit str<=64 (hex oid), path str<=4096 (inside the DevLog),
                      duplicate bool (true = this job was already committed; first result),
                      pushed? bool, push_error? str<=4096, push_state? str<=32,
                      grounding? float, redactions? int
    stats_request   : job_id
    summary_request : job_id, kind str<=16 (weekly|monthly), period str<=16 (2026-W09,
                      2026-02), start int, end int (unix seconds, [start, end))
    summary_reply   : job_id, kind, period, exists bool (already committed), commit? str,
                      path? str, facts map (total, repos, doc_types, languages, documents,
                      most_complex)
    stats_reply     : job_id, total int, last_7_days int, by_repo? map, by_doc_type? map,
                      devlog_path? str
    status_request  : job_id
    status_reply    : job_id, services map (name -> {workers int, queued int, busy int})
    error           : job_id str<=64, code str<=32, message str<=4096, retryable bool

    events (every event also has service str<=64, timestamp str<=40):
      cycle_starting  cycle_id str, trigger? str
      analyzing       cycle_id, doc_type? str
      generating      cycle_id, target str (display name), doc_type, repo, redactions? int
      documentation_committed  target str, doc_type, commit, repo, file?, path?, job_id?,
                      cycle_id?, redactions? int, grounding? float
      next_cycle      at str (ISO 8601), seconds int
      stats           total? int, successful? int, failed? int, skipped? int (free-form map ok)
      log             level str, message str<=4096
      cycle_failed    cycle_id, step? str, reason str<=4096, consecutive int
      cycle_skipped   cycle_id, reason str, consecutive int, repos? [str]
      llm_unavailable backend str, consecutive int, retry_seconds int, error? str
      llm_recovered   backend str
      push_failed     error str<=4096, consecutive int
      push_blocked    error str<=4096
      service_started pid int, version str
      service_stopping pid int, reason? str
*/

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
#define CW_MSG_RELEASE_REQUEST "release_request" /* -> committer */
#define CW_MSG_RELEASE_REPLY "release_reply"
#define CW_MSG_GENERATE_REQUEST "generate_request" /* -> generator */
#define CW_MSG_GENERATE_REPLY "generate_reply"
#define CW_MSG_COMMIT_REQUEST "commit_request"     /* -> committer */
#define CW_MSG_COMMIT_REPLY "commit_reply"
#define CW_MSG_STATS_REQUEST "stats_request"       /* -> committer */
#define CW_MSG_STATS_REPLY "stats_reply"
#define CW_MSG_SUMMARY_REQUEST "summary_request"   /* -> committer: a period's facts */
#define CW_MSG_SUMMARY_REPLY "summary_reply"
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
#define CW_ERR_DOCUMENTED "already_documented" /* committer: another job documented it */
#define CW_ERR_UNGROUNDED "ungrounded" /* generator: the document names what the code lacks */

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
