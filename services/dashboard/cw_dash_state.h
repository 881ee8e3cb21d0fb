/*  cw_dash_state — what the dashboard has seen on the bus: the last events (a bounded
    ring for the live feed and for late-joining browsers), what the stack is doing now
    (derived from the cycle events), when each service was last heard of, and the
    broker's last status reply (service health).

    Thread-safe: the bus thread pushes events and status replies, HTTP threads read.
    Memory is bounded: at most `capacity` events of at most CW_DASH_EVENT_MAX bytes of
    JSON each (a larger event is kept as a stub with its type, service and timestamp),
    at most CW_DASH_MAX_SERVICES services tracked.

    Readers of the live feed (server-sent events) keep only a sequence number: a reader
    that falls more than `capacity` events behind skips to the oldest kept event, so a
    slow browser costs no memory.                                                       */
#ifndef CW_DASH_STATE_H
#define CW_DASH_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cw_value.h"

#define CW_DASH_EVENT_MAX 16384   /* JSON bytes of one kept event */
#define CW_DASH_FEED_EVENTS 200   /* events kept (the reference kept 200 log lines) */
#define CW_DASH_MAX_SERVICES 64   /* services whose last event is remembered */
#define CW_DASH_BROKER_STALE_S 15 /* a status reply older than this no longer counts */

typedef struct _cw_dash_state_t cw_dash_state_t;

/* `capacity` events kept (0 = CW_DASH_FEED_EVENTS). NULL on out-of-memory. */
cw_dash_state_t *cw_dash_state_new(size_t capacity);
void cw_dash_state_destroy(cw_dash_state_t **self_p);

/* The broker's address, shown by the health answer. */
void cw_dash_state_set_broker(cw_dash_state_t *self, const char *endpoint);

/* Record one event (a decoded, validated bus event: a map with "type", "service",
   "timestamp"). Updates the current activity and the service's last-seen time. Returns
   the event's sequence number (1, 2, ...), 0 on failure. */
uint64_t cw_dash_state_push(cw_dash_state_t *self, const cw_value_t *event);

/* The broker's status reply (NULL = the broker did not answer), seen at `now`. */
void cw_dash_state_set_status(cw_dash_state_t *self, const cw_value_t *status, time_t now);

/* The first kept event with a sequence number above `after`, waiting up to timeout_ms
   (0 = no wait) for one. Its JSON is copied into out (NUL-terminated; `outlen` must be at
   least CW_DASH_EVENT_MAX + 1) and its sequence number returned; 0 when none came in time
   or the state is stopping. */
uint64_t cw_dash_state_next(cw_dash_state_t *self, uint64_t after, char *out, size_t outlen,
                            int timeout_ms);
/* The sequence number of the newest event (0 = none yet). */
uint64_t cw_dash_state_last_seq(cw_dash_state_t *self);

/* Wake every waiting reader; from now on cw_dash_state_next returns 0 at once. */
void cw_dash_state_stop(cw_dash_state_t *self);
bool cw_dash_state_stopping(cw_dash_state_t *self);

/* Live-feed readers: take a slot (false when `max` are taken), give it back. */
bool cw_dash_state_reader_enter(cw_dash_state_t *self, size_t max);
void cw_dash_state_reader_leave(cw_dash_state_t *self);
size_t cw_dash_state_readers(cw_dash_state_t *self);

/* ---- JSON answers (malloc'd, NULL on out-of-memory) */

/* What the stack is doing now, with the reference's DaemonStatus fields: {"running",
   "current_activity" (idle | starting | analyzing | generating | waiting_for_llm),
   "current_target", "current_repo", "current_doc_type"} plus "cycle_id", "since",
   "next_cycle_at", "last_commit" {target, doc_type, repo, commit, path, at},
   "last_failure" {event, reason, at}, "last_event_at". */
char *cw_dash_state_status_json(cw_dash_state_t *self, time_t now);

/* Service health: {"status": "healthy" | "degraded" | "down", "broker": {"endpoint",
   "reachable", "checked_at"}, "services": [{"name", "workers", "busy", "queued",
   "last_event", "last_event_at", "state"}], "missing": [names]}. "down": the broker does
   not answer; "degraded": a needed worker service (analyzer, generator, committer) has
   no worker. */
char *cw_dash_state_health_json(cw_dash_state_t *self, time_t now);

/* The kept events, oldest first, as a JSON array (at most `limit`, the newest). */
char *cw_dash_state_events_json(cw_dash_state_t *self, size_t limit);

#endif
