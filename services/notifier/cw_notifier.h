/*  cw_notifier — turns bus events into alerts (ALERTS.md), N = telegram.alert_after_failures:

      llm_unavailable  consecutive == N  "Ollama unavailable — N consecutive failures",
                                         retry interval, "paused until it recovers"
      llm_recovered    after such an alert: "... recovered"
      cycle_failed     consecutive >= N  count, step (component), last error
      cycle_skipped    consecutive >= N  count, exhausted repos
      push_blocked, or push_failed whose error mentions GH013 / "secret":
                       "Push blocked — secret scanning violation", first 300 characters
                       of the error, "Manual intervention required." (immediately)
      push_failed      consecutive >= N  (if telegram.alert_on_push_failure) the error
      dead man's switch: no documentation_committed for 45 minutes, checked every 5
                       minutes after a first 5-minute wait, once per silence (re-armed by
                       the next success): "No commits in M minutes" + the last 20 log /
                       cycle_failed messages seen on the bus. Improvement over the
                       reference: a next_cycle event announcing a cycle further away than
                       that (the night gap of the human-like schedule) moves the deadline
                       to 45 minutes after that cycle, so a planned quiet period is not an
                       alert.

    Every alert is logged (warning "alert") and delivered to Telegram (telegram.enabled
    with bot_token and chat_id) and to webhook.url when set. Time is injectable.      */
#ifndef CW_NOTIFIER_H
#define CW_NOTIFIER_H

#include <stdbool.h>
#include <stdint.h>

#include "cw_bus.h"
#include "cw_config.h"
#include "cw_telegram.h"
#include "cw_value.h"

#define CW_NOTIFIER_DEADMAN_MS (45 * 60 * 1000)
#define CW_NOTIFIER_DEADMAN_CHECK_MS (5 * 60 * 1000)
#define CW_NOTIFIER_DEADMAN_FIRST_MS (5 * 60 * 1000)
#define CW_NOTIFIER_RECENT_LINES 20
#define CW_NOTIFIER_BLOCKED_CHARS 300

#define CW_SEVERITY_INFO "info"
#define CW_SEVERITY_WARNING "warning"
#define CW_SEVERITY_CRITICAL "critical"

/* The pure rule: the alert text an event calls for (malloc'd) or NULL, with its severity
   in *severity (static string). n = alert_after_failures. */
char *cw_alert_for_event(const cw_value_t *event, int n, bool alert_on_push_failure,
                         const char **severity);
/* true if a push error is a secret-scanning refusal (mentions GH013 or "secret"). */
bool cw_alert_is_push_blocked(const char *error);
/* "No commits in M minutes" with the recent lines (oldest first). malloc'd. */
char *cw_alert_deadman_text(int64_t minutes, const char *const *lines, size_t count);

/* Where an alert goes (tests replace the default Telegram/webhook delivery). */
typedef int(cw_alert_sink_fn)(const char *text, const char *event, const char *severity, void *arg);

typedef struct _cw_notifier_t cw_notifier_t;

/* Reads telegram.*, webhook.* from config (copied; config may be freed afterwards). */
cw_notifier_t *cw_notifier_new(const cw_config_t *config);
/* A configuration reload: new thresholds and channels (telegram.*, webhook.*), copied.
   The dead man's switch, the recent lines and each channel's dedup memory and rate limit
   stay. 0, or -1 with nothing changed. */
int cw_notifier_reload(cw_notifier_t *self, const cw_config_t *config);
/* Called by cw_notifier_run between events (at least once a second): the service wires
   its configuration reload step here. */
typedef void(cw_notifier_idle_fn)(cw_notifier_t *self, void *arg);
void cw_notifier_set_idle_hook(cw_notifier_t *self, cw_notifier_idle_fn *fn, void *arg);
void cw_notifier_destroy(cw_notifier_t **self_p);
/* Inject a clock (also re-arms the dead man's switch from the clock's now). */
void cw_notifier_set_clock(cw_notifier_t *self, cw_clock_fn *clock, void *arg);
/* Replace delivery: every alert goes to sink instead of Telegram/webhook. */
void cw_notifier_set_sink(cw_notifier_t *self, cw_alert_sink_fn *sink, void *arg);
/* Dead man's switch timings (tests): silence threshold, check interval, first wait. */
void cw_notifier_set_deadman(cw_notifier_t *self, int64_t threshold_ms, int64_t check_ms,
                             int64_t first_wait_ms);
/* Handle one event. Returns the number of alerts raised. */
int cw_notifier_handle(cw_notifier_t *self, const cw_value_t *event);
/* Timers (dead man's switch). Returns the number of alerts raised. */
int cw_notifier_tick(cw_notifier_t *self);
/* Milliseconds until the next timer check is due (>= 0). */
int64_t cw_notifier_next_tick_ms(cw_notifier_t *self);
/* Subscribe loop: handle events and timers until zsys_interrupted. 0 or -1. */
int cw_notifier_run(cw_notifier_t *self, cw_subscriber_t *subscriber);
/* Number of alerts raised so far. */
int cw_notifier_alert_count(const cw_notifier_t *self);

#endif
