/*  cw_supervisor — fork/exec children and restart them with growing delays. */
#include "cw_supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cw_log.h"

#define CW_SUP_MAX_ARGS 64
#define CW_SUP_POLL_MS 50

typedef struct {
    char *name;
    char **argv;
    pid_t pid;
    int starts;
    int failures;       /* consecutive quick exits */
    int64_t started_ms; /* when the current/last run started */
    int64_t restart_at; /* > 0: restart due at this time */
    int64_t last_delay; /* delay scheduled for the last restart */
    bool wanted;        /* should be running (false after stop) */
} cw_child_t;

struct _cw_supervisor_t {
    cw_child_t *children;
    int count;
    int cap;
    int64_t min_ms, max_ms, stable_ms;
    char *output; /* children's stdout/stderr go here (append) when set */
    volatile sig_atomic_t stop_requested;
};

static volatile sig_atomic_t s_signalled = 0;

static int64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void s_sleep_ms(int64_t ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
    nanosleep(&ts, NULL); /* a signal cuts it short, which is what we want */
}

static void s_signal_handler(int sig)
{
    (void)sig;
    s_signalled = 1;
}

void cw_supervisor_install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = s_signal_handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

bool cw_supervisor_signalled(void)
{
    return s_signalled != 0;
}

cw_supervisor_t *cw_supervisor_new(void)
{
    cw_supervisor_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->min_ms = CW_SUPERVISOR_RESTART_MIN_MS;
    self->max_ms = CW_SUPERVISOR_RESTART_MAX_MS;
    self->stable_ms = CW_SUPERVISOR_STABLE_MS;
    return self;
}

static void s_child_free(cw_child_t *child)
{
    free(child->name);
    if (child->argv) {
        for (char **a = child->argv; *a; a++)
            free(*a);
        free(child->argv);
    }
}

void cw_supervisor_destroy(cw_supervisor_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cw_supervisor_t *self = *self_p;
    cw_supervisor_stop(self, CW_SUPERVISOR_GRACE_MS);
    for (int i = 0; i < self->count; i++)
        s_child_free(&self->children[i]);
    free(self->children);
    free(self->output);
    free(self);
    *self_p = NULL;
}

int cw_supervisor_add(cw_supervisor_t *self, const char *name, char *const argv[])
{
    if (!self || !name || !argv || !argv[0])
        return -1;
    size_t argc = 0;
    while (argv[argc])
        argc++;
    if (argc > CW_SUP_MAX_ARGS)
        return -1;
    if (self->count == self->cap) {
        int cap = self->cap ? self->cap * 2 : 8;
        cw_child_t *grown = realloc(self->children, (size_t)cap * sizeof(cw_child_t));
        if (!grown)
            return -1;
        self->children = grown;
        self->cap = cap;
    }
    cw_child_t *child = &self->children[self->count];
    memset(child, 0, sizeof(*child));
    child->name = strdup(name);
    child->argv = calloc(argc + 1, sizeof(char *));
    if (!child->name || !child->argv) {
        s_child_free(child);
        return -1;
    }
    for (size_t i = 0; i < argc; i++) {
        child->argv[i] = strdup(argv[i]);
        if (!child->argv[i]) {
            s_child_free(child);
            return -1;
        }
    }
    return self->count++;
}

void cw_supervisor_set_restart(cw_supervisor_t *self, int64_t min_ms, int64_t max_ms,
                               int64_t stable_ms)
{
    if (!self)
        return;
    self->min_ms = min_ms > 0 ? min_ms : 1;
    self->max_ms = max_ms >= self->min_ms ? max_ms : self->min_ms;
    self->stable_ms = stable_ms > 0 ? stable_ms : 1;
}

int64_t cw_supervisor_restart_delay_ms(const cw_supervisor_t *self, int failures)
{
    if (!self)
        return 0;
    if (failures < 1)
        failures = 1;
    int64_t delay = self->min_ms;
    for (int i = 1; i < failures && delay < self->max_ms; i++)
        delay *= 2;
    return delay < self->max_ms ? delay : self->max_ms;
}

void cw_supervisor_set_output(cw_supervisor_t *self, const char *path)
{
    if (!self)
        return;
    free(self->output);
    self->output = path && *path ? strdup(path) : NULL;
}

static int s_spawn(cw_supervisor_t *self, cw_child_t *child)
{
    pid_t parent = getpid();
    /* Block every signal across fork: the child must not run our handlers (a SIGTERM that
       arrives before it restored the defaults would otherwise be swallowed); it unblocks
       after resetting them, so such a signal is then delivered with its default action. */
    sigset_t all, saved;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &saved);
    pid_t pid = fork();
    if (pid < 0) {
        sigprocmask(SIG_SETMASK, &saved, NULL);
        cw_error("child_fork_failed", CW_LS("child", child->name), CW_LS("error", strerror(errno)),
                 CW_LEND);
        return -1;
    }
    if (pid == 0) {
        /* Child: own process group (the supervisor coordinates shutdown, a terminal ^C
           reaches only the supervisor), die with the supervisor, default signals. */
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(1);
        signal(SIGPIPE, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGCHLD, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        if (self->output) {
            int fd = open(self->output, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
            if (fd >= 0) {
                dup2(fd, STDOUT_FILENO);
                dup2(fd, STDERR_FILENO);
            }
        }
        execv(child->argv[0], child->argv);
        /* only async-signal-safe calls here */
        const char *msg = "codeworm: cannot execute ";
        (void)!write(STDERR_FILENO, msg, strlen(msg));
        (void)!write(STDERR_FILENO, child->argv[0], strlen(child->argv[0]));
        (void)!write(STDERR_FILENO, "\n", 1);
        _exit(127);
    }
    sigprocmask(SIG_SETMASK, &saved, NULL);
    setpgid(pid, pid); /* also from the parent: no race with the child's own call */
    child->pid = pid;
    child->starts++;
    child->started_ms = s_now_ms();
    child->restart_at = 0;
    child->wanted = true;
    cw_info("child_started", CW_LS("child", child->name), CW_LI("pid", pid),
            CW_LS("program", child->argv[0]), CW_LI("start", child->starts), CW_LEND);
    return 0;
}

int cw_supervisor_start_child(cw_supervisor_t *self, int index)
{
    if (!self || index < 0 || index >= self->count)
        return -1;
    cw_child_t *child = &self->children[index];
    if (child->pid > 0)
        return 0;
    return s_spawn(self, child);
}

int cw_supervisor_start(cw_supervisor_t *self)
{
    if (!self)
        return -1;
    int rc = 0;
    for (int i = 0; i < self->count; i++)
        if (cw_supervisor_start_child(self, i) != 0)
            rc = -1;
    return rc;
}

/* Record an exit; schedule a restart if the child is still wanted. */
static void s_child_exited(cw_supervisor_t *self, cw_child_t *child, int status)
{
    int64_t now = s_now_ms();
    int64_t uptime = now - child->started_ms;
    pid_t pid = child->pid;
    child->pid = 0;
    if (uptime >= self->stable_ms)
        child->failures = 0;
    char how[64];
    if (WIFSIGNALED(status))
        snprintf(how, sizeof(how), "signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        snprintf(how, sizeof(how), "exit code %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    if (!child->wanted || self->stop_requested || s_signalled) {
        cw_info("child_stopped", CW_LS("child", child->name), CW_LI("pid", pid),
                CW_LS("status", how), CW_LEND);
        child->wanted = false;
        return;
    }
    child->failures++;
    int64_t delay = cw_supervisor_restart_delay_ms(self, child->failures);
    child->restart_at = now + delay;
    child->last_delay = delay;
    cw_warn("child_exited", CW_LS("child", child->name), CW_LI("pid", pid), CW_LS("status", how),
            CW_LI("uptime_ms", uptime), CW_LI("restart_in_ms", delay),
            CW_LI("consecutive", child->failures), CW_LEND);
}

static int s_reap(cw_supervisor_t *self)
{
    /* wait for our own children only: the process may run other subprocesses */
    int exited = 0;
    for (int i = 0; i < self->count; i++) {
        cw_child_t *child = &self->children[i];
        if (child->pid <= 0)
            continue;
        int status = 0;
        pid_t pid = waitpid(child->pid, &status, WNOHANG);
        if (pid == child->pid) {
            s_child_exited(self, child, status);
            exited++;
        } else if (pid < 0 && errno == ECHILD) {
            child->pid = 0; /* reaped elsewhere; treat as gone */
        }
    }
    return exited;
}

int cw_supervisor_poll(cw_supervisor_t *self)
{
    if (!self)
        return 0;
    int exited = s_reap(self);
    if (self->stop_requested || s_signalled)
        return exited;
    int64_t now = s_now_ms();
    for (int i = 0; i < self->count; i++) {
        cw_child_t *child = &self->children[i];
        if (child->pid == 0 && child->wanted && child->restart_at > 0 && now >= child->restart_at) {
            cw_info("child_restarting", CW_LS("child", child->name),
                    CW_LI("after_ms", child->last_delay), CW_LI("consecutive", child->failures),
                    CW_LEND);
            if (s_spawn(self, child) != 0) {
                child->failures++;
                child->last_delay = cw_supervisor_restart_delay_ms(self, child->failures);
                child->restart_at = now + child->last_delay;
            }
        }
    }
    return exited;
}

int cw_supervisor_run(cw_supervisor_t *self, int timeout_ms)
{
    if (!self)
        return 0;
    int64_t deadline = timeout_ms >= 0 ? s_now_ms() + timeout_ms : -1;
    while (!self->stop_requested && !s_signalled) {
        cw_supervisor_poll(self);
        if (deadline >= 0 && s_now_ms() >= deadline)
            return 0;
        s_sleep_ms(CW_SUP_POLL_MS);
    }
    return 1;
}

void cw_supervisor_request_stop(cw_supervisor_t *self)
{
    if (self)
        self->stop_requested = 1;
}

/* A child leads its own process group: signal the group (helpers it spawned too). */
static void s_signal_child(pid_t pid, int sig)
{
    if (kill(-pid, sig) != 0)
        kill(pid, sig);
}

int cw_supervisor_stop(cw_supervisor_t *self, int grace_ms)
{
    if (!self)
        return 0;
    int running = 0;
    for (int i = 0; i < self->count; i++) {
        cw_child_t *child = &self->children[i];
        child->wanted = false;
        child->restart_at = 0;
        if (child->pid > 0) {
            s_signal_child(child->pid, SIGTERM);
            running++;
        }
    }
    if (running == 0)
        return 0;
    cw_info("children_stopping", CW_LI("count", running), CW_LI("grace_ms", grace_ms), CW_LEND);
    int64_t deadline = s_now_ms() + (grace_ms > 0 ? grace_ms : 0);
    for (;;) {
        s_reap(self);
        int left = 0;
        for (int i = 0; i < self->count; i++)
            if (self->children[i].pid > 0)
                left++;
        if (left == 0)
            return 0;
        if (s_now_ms() >= deadline)
            break;
        s_sleep_ms(CW_SUP_POLL_MS);
    }
    int killed = 0;
    for (int i = 0; i < self->count; i++) {
        cw_child_t *child = &self->children[i];
        if (child->pid <= 0)
            continue;
        cw_warn("child_killed", CW_LS("child", child->name), CW_LI("pid", child->pid),
                CW_LS("reason", "did not stop within the grace period"), CW_LEND);
        s_signal_child(child->pid, SIGKILL);
        int status = 0;
        while (waitpid(child->pid, &status, 0) < 0 && errno == EINTR) {
        }
        child->pid = 0;
        killed++;
    }
    return killed;
}

int cw_supervisor_count(const cw_supervisor_t *self)
{
    return self ? self->count : 0;
}

int cw_supervisor_find(const cw_supervisor_t *self, const char *name)
{
    if (!self || !name)
        return -1;
    for (int i = 0; i < self->count; i++)
        if (strcmp(self->children[i].name, name) == 0)
            return i;
    return -1;
}

pid_t cw_supervisor_pid(const cw_supervisor_t *self, int index)
{
    return (self && index >= 0 && index < self->count) ? self->children[index].pid : 0;
}

int cw_supervisor_starts(const cw_supervisor_t *self, int index)
{
    return (self && index >= 0 && index < self->count) ? self->children[index].starts : 0;
}

int cw_supervisor_failures(const cw_supervisor_t *self, int index)
{
    return (self && index >= 0 && index < self->count) ? self->children[index].failures : 0;
}

int64_t cw_supervisor_last_delay_ms(const cw_supervisor_t *self, int index)
{
    return (self && index >= 0 && index < self->count) ? self->children[index].last_delay : 0;
}
