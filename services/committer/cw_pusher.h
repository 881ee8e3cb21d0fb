/*  cw_pusher — when the committer pushes the DevLog, so that a remote that is away never
    holds up a commit:

      after each commit   one push attempt (cw_devlog_push_with), unless a retry is already
                          waiting: then the commit only joins the queue of what the next
                          push carries
      transient failure   retried in the background (cw_pusher_tick, from the worker loop)
                          after 5 s, 10 s, 20 s ... at most 300 s; every commit made
                          meanwhile goes out with the first push that succeeds
      refused             (credentials, no such remote): reported once per commit, never
                          retried in the background
      blocked             (secret scanning, a history that cannot be merged): reported and
                          alerted (push_blocked) once; pushes stay paused until the committer
                          restarts, as the DevLog needs a person first

    CW_TEST_FAST=1 shortens the delays to 200 ms .. 2 s.                                   */
#ifndef CW_PUSHER_H
#define CW_PUSHER_H

#include <stdbool.h>
#include <stdint.h>

#include "cw_bus.h"
#include "cw_config.h"
#include "cw_devlog.h"

typedef struct _cw_pusher_t cw_pusher_t;

typedef struct {
    cw_push_result_t result;
    /* "pushed", "not_configured", "retrying", "refused", "blocked" */
    const char *state;
    char error[1024]; /* "" when pushed; token and URL passwords scrubbed */
} cw_push_report_t;

/* devlog, config and publisher (may be NULL) are borrowed. Checks the remote at once and
   logs a problem that needs no network to see (a named remote that does not exist). */
cw_pusher_t *cw_pusher_new(cw_devlog_t *devlog, const cw_config_t *config,
                           cw_publisher_t *publisher);
void cw_pusher_destroy(cw_pusher_t **self_p);
/* The configured remote's problem found at start, or NULL. */
const char *cw_pusher_problem(const cw_pusher_t *self);
/* Push after a commit (see above). */
void cw_pusher_push(cw_pusher_t *self, cw_push_report_t *report);
/* Run a retry that is due. Returns the ms until the next one, or -1 when none waits. */
int64_t cw_pusher_tick(cw_pusher_t *self);
/* A retry is waiting. */
bool cw_pusher_pending(const cw_pusher_t *self);
/* Replace the retry delays (tests). */
void cw_pusher_set_delays(cw_pusher_t *self, int64_t initial_ms, int64_t max_ms);

#endif
