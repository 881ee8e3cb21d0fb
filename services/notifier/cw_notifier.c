/*  cw_notifier — alert rules, dead man's switch and delivery. */
#include "cw_buf.h"
#include "cw_text.h"
#include "cw_notifier.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <czmq.h>

#include "cw_bus.h"
#include "cw_log.h"
#include "cw_proto.h"
#include "cw_webhook.h"

#define CW_ALERT_FIELD_MAX 1000 /* characters of an error quoted in an alert */

/* ------------------------------------------------------------------ text helpers */
/* Copy at most max characters (code points) of s, never splitting one. */
static char *s_cut(const char *s, size_t max)
{
    if (!s)
        s = "";
    size_t pos = 0, chars = 0;
    while (s[pos] && chars < max) {
        pos++;
        while ((s[pos] & 0xC0) == 0x80)
            pos++;
        chars++;
    }
    return strndup(s, pos);
}

static const char *s_backend_label(const char *backend)
{
    if (!backend || !*backend || strcmp(backend, "ollama") == 0)
        return "Ollama";
    if (strcmp(backend, "openai") == 0)
        return "OpenAI-compatible LLM";
    return backend;
}

bool cw_alert_is_push_blocked(const char *error)
{
    return cw_text_contains_ci(error, "GH013") || cw_text_contains_ci(error, "secret");
}

static char *s_push_blocked_text(const char *error)
{
    char *cut = s_cut(error, CW_NOTIFIER_BLOCKED_CHARS);
    cw_buf_t b;
    cw_buf_init(&b, 0);
    /* push_blocked also reports a remote history that cannot be merged cleanly */
    cw_buf_printf(&b, "\xF0\x9F\x9A\xA8 Push blocked%s\n\n%s\n\nManual intervention required.",
                  cw_alert_is_push_blocked(error) ? " \xE2\x80\x94 secret scanning violation" : "",
                  cut ? cut : "");
    free(cut);
    return cw_buf_take(&b, NULL);
}

/* ------------------------------------------------------------------ rules */
char *cw_alert_for_event(const cw_value_t *event, int n, bool alert_on_push_failure,
                         const char **severity)
{
    const char *dummy;
    if (!severity)
        severity = &dummy;
    *severity = CW_SEVERITY_WARNING;
    if (!event || cw_value_kind(event) != CW_VAL_MAP)
        return NULL;
    if (n < 1)
        n = 1;
    const char *type = cw_map_str(event, "type", "");
    int64_t consecutive = cw_map_int(event, "consecutive", 0);
    cw_buf_t b;
    cw_buf_init(&b, 0);

    if (strcmp(type, CW_EV_LLM_UNAVAILABLE) == 0) {
        if (consecutive != n)
            return NULL;
        const char *backend = cw_map_str(event, "backend", "ollama");
        int64_t retry = cw_map_int(event, "retry_seconds", 0);
        cw_buf_printf(
            &b,
            "\xE2\x9A\xA0\xEF\xB8\x8F %s unavailable \xE2\x80\x94 %lld consecutive failures\n"
            "Backend: %s\nRetrying every %lld s; documentation is paused until it "
            "recovers.",
            s_backend_label(backend), (long long)consecutive, backend, (long long)retry);
        const char *error = cw_map_str(event, "error", NULL);
        if (error && *error) {
            char *cut = s_cut(error, CW_ALERT_FIELD_MAX);
            cw_buf_printf(&b, "\nLast error: %s", cut ? cut : "");
            free(cut);
        }
        return cw_buf_take(&b, NULL);
    }
    if (strcmp(type, CW_EV_CYCLE_FAILED) == 0) {
        if (consecutive < n)
            return NULL;
        char *cut = s_cut(cw_map_str(event, "reason", ""), CW_ALERT_FIELD_MAX);
        cw_buf_printf(&b,
                      "\xE2\x9D\x8C Documentation failing \xE2\x80\x94 %lld consecutive failures",
                      (long long)consecutive);
        const char *step = cw_map_str(event, "step", NULL);
        if (step && *step)
            cw_buf_printf(&b, "\nComponent: %s", step);
        cw_buf_printf(&b, "\nLast error: %s", cut ? cut : "");
        free(cut);
        return cw_buf_take(&b, NULL);
    }
    if (strcmp(type, CW_EV_CYCLE_SKIPPED) == 0) {
        if (consecutive < n)
            return NULL;
        cw_buf_printf(&b,
                      "\xE2\x8F\xB8\xEF\xB8\x8F Nothing to document \xE2\x80\x94 %lld consecutive "
                      "cycles skipped",
                      (long long)consecutive);
        const cw_value_t *repos = cw_map_get(event, "repos");
        size_t count = repos ? cw_value_size(repos) : 0;
        if (repos && cw_value_kind(repos) == CW_VAL_ARRAY && count > 0) {
            cw_buf_printf(&b, "\nExhausted repos: ");
            for (size_t i = 0; i < count && i < 50; i++) {
                const char *name = cw_value_str(cw_array_at(repos, i));
                cw_buf_printf(&b, "%s%s", i ? ", " : "", name ? name : "?");
            }
            if (count > 50)
                cw_buf_printf(&b, ", ... (%zu in all)", count);
        }
        const char *reason = cw_map_str(event, "reason", NULL);
        if (reason && *reason) {
            char *cut = s_cut(reason, CW_ALERT_FIELD_MAX);
            cw_buf_printf(&b, "\nReason: %s", cut ? cut : "");
            free(cut);
        }
        return cw_buf_take(&b, NULL);
    }
    if (strcmp(type, CW_EV_PUSH_BLOCKED) == 0) {
        *severity = CW_SEVERITY_CRITICAL;
        return s_push_blocked_text(cw_map_str(event, "error", ""));
    }
    if (strcmp(type, CW_EV_PUSH_FAILED) == 0) {
        const char *error = cw_map_str(event, "error", "");
        if (cw_alert_is_push_blocked(error)) {
            *severity = CW_SEVERITY_CRITICAL;
            return s_push_blocked_text(error);
        }
        if (!alert_on_push_failure || consecutive < n)
            return NULL;
        char *cut = s_cut(error, CW_ALERT_FIELD_MAX);
        cw_buf_printf(&b,
                      "\xE2\x9A\xA0\xEF\xB8\x8F Push failing \xE2\x80\x94 %lld consecutive "
                      "failures\nError: %s",
                      (long long)consecutive, cut ? cut : "");
        free(cut);
        return cw_buf_take(&b, NULL);
    }
    return NULL;
}

char *cw_alert_deadman_text(int64_t minutes, const char *const *lines, size_t count)
{
    cw_buf_t b;
    cw_buf_init(&b, 0);
    cw_buf_printf(&b, "\xF0\x9F\x92\x80 No commits in %lld minutes", (long long)minutes);
    if (count > 0) {
        cw_buf_printf(&b, "\n\nLast %zu log lines:", count);
        for (size_t i = 0; i < count; i++)
            cw_buf_printf(&b, "\n%s", lines[i] ? lines[i] : "");
    } else
        cw_buf_printf(&b, "\n\nNo log lines seen on the bus.");
    return cw_buf_take(&b, NULL);
}

/* ------------------------------------------------------------------ notifier */
struct _cw_notifier_t {
    int after_failures;
    bool on_push_failure;
    cw_clock_fn *clock;
    void *clock_arg;
    cw_alert_sink_fn *sink;
    void *sink_arg;
    cw_telegram_t *telegram;
    cw_webhook_t *webhook;
    /* dead man's switch */
    int64_t deadman_ms, check_ms, first_ms;
    int64_t last_success; /* clock ms of the last commit (or start) */
    int64_t quiet_until;  /* a planned next cycle: silence before it is expected */
    int64_t next_check;
    bool deadman_armed;
    /* llm state, for the recovery message */
    bool llm_alerted;
    /* ring of recent log lines */
    char *recent[CW_NOTIFIER_RECENT_LINES];
    size_t recent_start, recent_count;
    int alerts;
    cw_notifier_idle_fn *idle; /* between events: the service's reload step */
    void *idle_arg;
};

static int64_t s_now(cw_notifier_t *self)
{
    return self->clock(self->clock_arg);
}

static void s_rearm(cw_notifier_t *self)
{
    int64_t now = s_now(self);
    self->last_success = now;
    self->quiet_until = 0;
    self->next_check = now + self->first_ms;
    self->deadman_armed = true;
}

/* The alert settings of `config`: thresholds and the Telegram and webhook channels. A
   rebuilt channel keeps the old one's dedup memory and token bucket. */
static void s_apply_config(cw_notifier_t *self, const cw_config_t *config)
{
    self->after_failures =
        config->telegram.alert_after_failures > 0 ? config->telegram.alert_after_failures : 1;
    self->on_push_failure = config->telegram.alert_on_push_failure;
    cw_telegram_t *telegram = NULL;
    if (config->telegram.enabled) {
        telegram = cw_telegram_new(config->telegram.api_base, config->telegram.bot_token,
                                   config->telegram.chat_id);
        if (!telegram)
            cw_warn("telegram_disabled",
                    CW_LS("reason", "telegram.enabled but bot_token or chat_id is empty"), CW_LEND);
    }
    cw_webhook_t *webhook = NULL;
    if (config->webhook.url && *config->webhook.url)
        webhook = cw_webhook_new(config->webhook.url, config->webhook.headers,
                                 config->webhook.header_count, config->webhook.format);
    if (telegram && self->telegram)
        cw_delivery_carry(cw_telegram_delivery(telegram), cw_telegram_delivery(self->telegram));
    if (webhook && self->webhook)
        cw_delivery_carry(cw_webhook_delivery(webhook), cw_webhook_delivery(self->webhook));
    cw_telegram_destroy(&self->telegram);
    cw_webhook_destroy(&self->webhook);
    self->telegram = telegram;
    self->webhook = webhook;
}

cw_notifier_t *cw_notifier_new(const cw_config_t *config)
{
    cw_notifier_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->clock = cw_clock_monotonic_ms;
    self->deadman_ms = CW_NOTIFIER_DEADMAN_MS;
    self->check_ms = CW_NOTIFIER_DEADMAN_CHECK_MS;
    self->first_ms = CW_NOTIFIER_DEADMAN_FIRST_MS;
    self->after_failures = 5;
    self->on_push_failure = true;
    if (config)
        s_apply_config(self, config);
    s_rearm(self);
    return self;
}

int cw_notifier_reload(cw_notifier_t *self, const cw_config_t *config)
{
    if (!self || !config)
        return -1;
    s_apply_config(self, config);
    cw_info("notifier_reloaded", CW_LI("alert_after_failures", self->after_failures),
            CW_LB("telegram", self->telegram != NULL), CW_LB("webhook", self->webhook != NULL),
            CW_LEND);
    return 0;
}

void cw_notifier_set_idle_hook(cw_notifier_t *self, cw_notifier_idle_fn *fn, void *arg)
{
    if (!self)
        return;
    self->idle = fn;
    self->idle_arg = arg;
}

void cw_notifier_destroy(cw_notifier_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cw_notifier_t *self = *self_p;
    cw_telegram_destroy(&self->telegram);
    cw_webhook_destroy(&self->webhook);
    for (size_t i = 0; i < CW_NOTIFIER_RECENT_LINES; i++)
        free(self->recent[i]);
    free(self);
    *self_p = NULL;
}

void cw_notifier_set_clock(cw_notifier_t *self, cw_clock_fn *clock, void *arg)
{
    if (!self)
        return;
    self->clock = clock ? clock : cw_clock_monotonic_ms;
    self->clock_arg = arg;
    s_rearm(self);
}

void cw_notifier_set_sink(cw_notifier_t *self, cw_alert_sink_fn *sink, void *arg)
{
    if (!self)
        return;
    self->sink = sink;
    self->sink_arg = arg;
}

void cw_notifier_set_deadman(cw_notifier_t *self, int64_t threshold_ms, int64_t check_ms,
                             int64_t first_wait_ms)
{
    if (!self)
        return;
    self->deadman_ms = threshold_ms > 0 ? threshold_ms : 1;
    self->check_ms = check_ms > 0 ? check_ms : 1;
    self->first_ms = first_wait_ms >= 0 ? first_wait_ms : 0;
    s_rearm(self);
}

int cw_notifier_alert_count(const cw_notifier_t *self)
{
    return self ? self->alerts : 0;
}

static void s_alert(cw_notifier_t *self, const char *text, const char *event, const char *severity)
{
    self->alerts++;
    cw_warn("alert", CW_LS("trigger", event), CW_LS("severity", severity), CW_LS("text", text),
            CW_LEND);
    if (self->sink) {
        self->sink(text, event, severity, self->sink_arg);
        return;
    }
    if (self->telegram && cw_telegram_send(self->telegram, text) < 0)
        cw_warn("alert_undelivered", CW_LS("channel", "telegram"), CW_LS("trigger", event),
                CW_LEND);
    if (self->webhook && cw_webhook_send(self->webhook, text, event, severity) < 0)
        cw_warn("alert_undelivered", CW_LS("channel", "webhook"), CW_LS("trigger", event), CW_LEND);
}

static void s_remember(cw_notifier_t *self, const cw_value_t *event, const char *level,
                       const char *message)
{
    char line[600];
    const char *ts = cw_map_str(event, "timestamp", "");
    const char *service = cw_map_str(event, "service", "?");
    char *cut = s_cut(message, 400);
    snprintf(line, sizeof(line), "%s %s %s: %s", ts, level, service, cut ? cut : "");
    free(cut);
    /* one line per entry */
    for (char *p = line; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    size_t slot = (self->recent_start + self->recent_count) % CW_NOTIFIER_RECENT_LINES;
    if (self->recent_count == CW_NOTIFIER_RECENT_LINES) {
        slot = self->recent_start;
        self->recent_start = (self->recent_start + 1) % CW_NOTIFIER_RECENT_LINES;
    } else
        self->recent_count++;
    free(self->recent[slot]);
    self->recent[slot] = strdup(line);
}

int cw_notifier_handle(cw_notifier_t *self, const cw_value_t *event)
{
    if (!self || !event)
        return 0;
    int before = self->alerts;
    const char *type = cw_map_str(event, "type", "");

    if (strcmp(type, CW_EV_LOG) == 0) {
        const char *message = cw_map_str(event, "message", "");
        /* the reference keeps non-JSON log lines only */
        if (message[0] != '{')
            s_remember(self, event, cw_map_str(event, "level", "info"), message);
    } else if (strcmp(type, CW_EV_CYCLE_FAILED) == 0) {
        s_remember(self, event, "error", cw_map_str(event, "reason", ""));
    } else if (strcmp(type, CW_EV_DOCUMENTATION_COMMITTED) == 0) {
        s_rearm(self);
    } else if (strcmp(type, CW_EV_NEXT_CYCLE) == 0) {
        int64_t seconds = cw_map_int(event, "seconds", 0);
        if (seconds > 0 && seconds < 7 * 24 * 3600)
            self->quiet_until = s_now(self) + seconds * 1000;
    } else if (strcmp(type, CW_EV_LLM_RECOVERED) == 0) {
        if (self->llm_alerted) {
            char text[200];
            snprintf(text, sizeof(text), "\xE2\x9C\x85 %s recovered; documentation resumes.",
                     s_backend_label(cw_map_str(event, "backend", "ollama")));
            s_alert(self, text, type, CW_SEVERITY_INFO);
        }
        self->llm_alerted = false;
    }

    const char *severity = NULL;
    char *text = cw_alert_for_event(event, self->after_failures, self->on_push_failure, &severity);
    if (text) {
        if (strcmp(type, CW_EV_LLM_UNAVAILABLE) == 0)
            self->llm_alerted = true;
        s_alert(self, text, type, severity);
        free(text);
    }
    return self->alerts - before;
}

int cw_notifier_tick(cw_notifier_t *self)
{
    if (!self)
        return 0;
    int64_t now = s_now(self);
    if (now < self->next_check)
        return 0;
    /* checks happen on a fixed grid after the first wait */
    while (self->next_check <= now)
        self->next_check += self->check_ms;
    if (!self->deadman_armed)
        return 0;
    int64_t base = self->last_success > self->quiet_until ? self->last_success : self->quiet_until;
    if (now - base < self->deadman_ms)
        return 0;
    int64_t minutes = (now - self->last_success) / 60000;
    const char *lines[CW_NOTIFIER_RECENT_LINES];
    for (size_t i = 0; i < self->recent_count; i++)
        lines[i] = self->recent[(self->recent_start + i) % CW_NOTIFIER_RECENT_LINES];
    char *text = cw_alert_deadman_text(minutes, lines, self->recent_count);
    self->deadman_armed = false; /* once per silence: the next success re-arms it */
    if (text) {
        s_alert(self, text, "dead_mans_switch", CW_SEVERITY_CRITICAL);
        free(text);
    }
    return 1;
}

int64_t cw_notifier_next_tick_ms(cw_notifier_t *self)
{
    if (!self)
        return 0;
    int64_t left = self->next_check - s_now(self);
    return left > 0 ? left : 0;
}

int cw_notifier_run(cw_notifier_t *self, cw_subscriber_t *subscriber)
{
    if (!self || !subscriber)
        return -1;
    cw_info("notifier_listening", CW_LI("alert_after_failures", self->after_failures),
            CW_LB("telegram", self->telegram != NULL), CW_LB("webhook", self->webhook != NULL),
            CW_LEND);
    while (!zsys_interrupted) {
        int64_t wait = cw_notifier_next_tick_ms(self);
        if (wait > 1000)
            wait = 1000;
        cw_value_t *event = cw_subscriber_recv(subscriber, (int)wait);
        if (event) {
            cw_notifier_handle(self, event);
            cw_value_destroy(&event);
        }
        cw_notifier_tick(self);
        if (self->idle)
            self->idle(self, self->idle_arg);
    }
    return 0;
}
