/*  cw_supervisor — fork/exec children and restart them with growing delays. */
#include "cw_supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cw_json.h"
#include "cw_log.h"

#define CW_SUP_MAX_ARGS 64
#define CW_SUP_POLL_MS 50
#define CW_SUP_LINE_MAX 8192 /* a child's stderr line (cw_log's longest) */
#define CW_SUP_READER_MS 100

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
    bool reported;      /* child_failing logged for the current streak */
    int err_fd;         /* read end of its stderr pipe (non-blocking), -1 when none */
    char *line;         /* CW_SUP_LINE_MAX: the partial line read so far */
    size_t line_len;
    char errors[2][CW_SUPERVISOR_ERROR_MAX / 2 - 4]; /* the last two distinct error lines */
    char last_error[CW_SUPERVISOR_ERROR_MAX];        /* both, "older | newer" */
    char last_exit[64];
} cw_child_t;

struct _cw_supervisor_t {
    cw_child_t *children;
    int count;
    int cap;
    int64_t min_ms, max_ms, stable_ms;
    char *output; /* children's stdout/stderr go here (append) when set */
    volatile sig_atomic_t stop_requested;
    /* the children's stderr: read by `reader`, passed on to out_fd */
    pthread_mutex_t mutex; /* guards children[] (fds, lines, errors) and the state file */
    pthread_t reader;
    bool reader_running;
    volatile int reader_stop;
    int out_fd;    /* output file (opened on first spawn) or STDERR_FILENO */
    bool humanize; /* out_fd is a terminal: show log lines readable */
    cw_supervisor_line_fn *line_hook;
    void *line_arg;
    cw_supervisor_hup_fn *hup_hook;
    void *hup_arg;
    char *state_path;
    time_t started_at;
};

static volatile sig_atomic_t s_signalled = 0;
static volatile sig_atomic_t s_hangup = 0;

static void s_write_state(cw_supervisor_t *self);

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
    if (sig == SIGHUP)
        s_hangup = 1;
    else
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
    sigaction(SIGHUP, &sa, NULL);
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
    self->out_fd = -1;
    self->started_at = time(NULL);
    pthread_mutex_init(&self->mutex, NULL);
    return self;
}

static void s_child_free(cw_child_t *child)
{
    if (child->err_fd >= 0)
        close(child->err_fd);
    child->err_fd = -1;
    free(child->line);
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
    if (self->reader_running) {
        self->reader_stop = 1;
        pthread_join(self->reader, NULL);
        self->reader_running = false;
    }
    cw_supervisor_flush(self);
    if (self->state_path)
        unlink(self->state_path);
    for (int i = 0; i < self->count; i++)
        s_child_free(&self->children[i]);
    if (self->out_fd >= 0 && self->out_fd != STDERR_FILENO)
        close(self->out_fd);
    free(self->children);
    free(self->output);
    free(self->state_path);
    pthread_mutex_destroy(&self->mutex);
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
    pthread_mutex_lock(&self->mutex);
    if (self->count == self->cap) {
        int cap = self->cap ? self->cap * 2 : 8;
        cw_child_t *grown = realloc(self->children, (size_t)cap * sizeof(cw_child_t));
        if (!grown) {
            pthread_mutex_unlock(&self->mutex);
            return -1;
        }
        self->children = grown;
        self->cap = cap;
    }
    cw_child_t *child = &self->children[self->count];
    memset(child, 0, sizeof(*child));
    child->err_fd = -1;
    child->name = strdup(name);
    child->line = malloc(CW_SUP_LINE_MAX);
    child->argv = calloc(argc + 1, sizeof(char *));
    bool ok = child->name && child->line && child->argv;
    for (size_t i = 0; ok && i < argc; i++) {
        child->argv[i] = strdup(argv[i]);
        ok = child->argv[i] != NULL;
    }
    int index = -1;
    if (ok)
        index = self->count++;
    else
        s_child_free(child);
    pthread_mutex_unlock(&self->mutex);
    return index;
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

/* ------------------------------------------------------------------ children's stderr */
static void s_write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        data += n;
        len -= (size_t)n;
    }
}

/* czmq's own log lines ("I: 24-05-01 ...") with --debug: not errors unless "E: " */
static bool s_is_czmq_line(const char *line)
{
    return strlen(line) > 3 && strchr("DINW", line[0]) && line[1] == ':' && line[2] == ' ';
}

/* One complete line from a child (mutex held). */
static void s_child_line(cw_supervisor_t *self, cw_child_t *child, char *line, size_t len)
{
    while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
        line[--len] = '\0';
    if (len == 0)
        return;
    if (self->line_hook)
        self->line_hook(child->name, line, self->line_arg);
    cw_log_line_t parsed;
    bool is_log = cw_log_parse_line(line, len, &parsed);
    /* pass it on */
    if (is_log && self->humanize) {
        char human[CW_SUP_LINE_MAX];
        cw_log_format_human(&parsed, human, sizeof(human) - 1);
        size_t n = strlen(human);
        human[n++] = '\n';
        s_write_all(self->out_fd, human, n);
    } else {
        line[len] = '\n';
        s_write_all(self->out_fd, line, len + 1);
        line[len] = '\0';
    }
    /* keep an error line */
    const char *error = NULL;
    if (is_log)
        error = parsed.level >= CW_LOG_ERROR ? parsed.text : NULL;
    else if (!s_is_czmq_line(line))
        error = line;
    if (error && strncmp(error, child->errors[1], sizeof(child->errors[1]) - 1) != 0) {
        /* the last two distinct error lines: a service often ends with a generic one
           ("service_start_failed") after the one that says why */
        memcpy(child->errors[0], child->errors[1], sizeof(child->errors[0]));
        size_t n = strnlen(error, sizeof(child->errors[1]) - 1);
        memcpy(child->errors[1], error, n);
        child->errors[1][n] = '\0';
        if (child->errors[0][0])
            snprintf(child->last_error, sizeof(child->last_error), "%s | %s", child->errors[0],
                     child->errors[1]);
        else
            snprintf(child->last_error, sizeof(child->last_error), "%s", child->errors[1]);
        s_write_state(self);
    }
}

/* Read what is available from a child's pipe (mutex held). Closes it at end of file, or
   when `final` (the child is gone: what is not there now never comes). */
static void s_child_read(cw_supervisor_t *self, cw_child_t *child, bool final)
{
    if (child->err_fd < 0)
        return;
    if (self->out_fd < 0)
        self->out_fd = STDERR_FILENO;
    char buf[4096];
    for (;;) {
        ssize_t n = read(child->err_fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n > 0) {
            for (ssize_t i = 0; i < n; i++) {
                if (buf[i] == '\n' || child->line_len == CW_SUP_LINE_MAX - 2) {
                    child->line[child->line_len] = '\0';
                    s_child_line(self, child, child->line, child->line_len);
                    child->line_len = 0;
                    if (buf[i] == '\n')
                        continue;
                }
                child->line[child->line_len++] = buf[i];
            }
            continue;
        }
        if (n == 0 || (n < 0 && errno != EAGAIN) || final) {
            if (child->line_len > 0) { /* a last line without its newline */
                child->line[child->line_len] = '\0';
                s_child_line(self, child, child->line, child->line_len);
                child->line_len = 0;
            }
            close(child->err_fd);
            child->err_fd = -1;
        }
        return;
    }
}

static void *s_reader_main(void *arg)
{
    cw_supervisor_t *self = arg;
    /* the reader never takes the process's signals */
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    while (!self->reader_stop) {
        struct pollfd fds[CW_SUP_MAX_ARGS];
        int n = 0;
        pthread_mutex_lock(&self->mutex);
        for (int i = 0; i < self->count && n < CW_SUP_MAX_ARGS; i++)
            if (self->children[i].err_fd >= 0)
                fds[n++] = (struct pollfd){.fd = self->children[i].err_fd, .events = POLLIN};
        pthread_mutex_unlock(&self->mutex);
        if (n == 0) {
            s_sleep_ms(CW_SUP_READER_MS);
            continue;
        }
        if (poll(fds, (nfds_t)n, CW_SUP_READER_MS) <= 0)
            continue;
        pthread_mutex_lock(&self->mutex);
        for (int k = 0; k < n; k++) {
            if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            /* the fd may have been closed (and its number reused) meanwhile: look it up
               again; reads are non-blocking, so a stale readiness costs nothing */
            for (int i = 0; i < self->count; i++)
                if (self->children[i].err_fd == fds[k].fd) {
                    s_child_read(self, &self->children[i], false);
                    break;
                }
        }
        pthread_mutex_unlock(&self->mutex);
    }
    return NULL;
}

void cw_supervisor_flush(cw_supervisor_t *self)
{
    if (!self)
        return;
    pthread_mutex_lock(&self->mutex);
    for (int i = 0; i < self->count; i++)
        s_child_read(self, &self->children[i], self->children[i].pid <= 0);
    pthread_mutex_unlock(&self->mutex);
}

void cw_supervisor_set_line_hook(cw_supervisor_t *self, cw_supervisor_line_fn *fn, void *arg)
{
    if (!self)
        return;
    pthread_mutex_lock(&self->mutex);
    self->line_hook = fn;
    self->line_arg = arg;
    pthread_mutex_unlock(&self->mutex);
}

void cw_supervisor_set_hup_hook(cw_supervisor_t *self, cw_supervisor_hup_fn *fn, void *arg)
{
    if (!self)
        return;
    self->hup_hook = fn;
    self->hup_arg = arg;
}

/* Copy a child's last error (or last exit) under the mutex. */
static void s_copy_child_text(cw_supervisor_t *self, int index, bool error, char *out, size_t len)
{
    if (!out || len == 0)
        return;
    out[0] = '\0';
    if (!self || index < 0 || index >= self->count)
        return;
    pthread_mutex_lock(&self->mutex);
    const cw_child_t *c = &self->children[index];
    snprintf(out, len, "%s", error ? c->last_error : c->last_exit);
    pthread_mutex_unlock(&self->mutex);
}

void cw_supervisor_last_error(cw_supervisor_t *self, int index, char *out, size_t len)
{
    s_copy_child_text(self, index, true, out, len);
}

void cw_supervisor_last_exit(cw_supervisor_t *self, int index, char *out, size_t len)
{
    s_copy_child_text(self, index, false, out, len);
}

/* ------------------------------------------------------------------ state file */
static void s_iso(time_t t, char out[32])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Write the state file (mutex held). */
static void s_write_state(cw_supervisor_t *self)
{
    if (!self->state_path)
        return;
    cw_buf_t b;
    cw_buf_init(&b, 0);
    char iso[32];
    time_t now = time(NULL);
    int64_t mono = s_now_ms();
    cw_buf_puts(&b, "{");
    cw_json_put_key(&b, "pid");
    cw_json_put_int(&b, (long long)getpid());
    s_iso(self->started_at, iso);
    cw_json_put_key(&b, "started_at");
    cw_json_put_str(&b, iso);
    s_iso(now, iso);
    cw_json_put_key(&b, "updated_at");
    cw_json_put_str(&b, iso);
    cw_json_put_key(&b, "children");
    cw_buf_puts(&b, "[");
    for (int i = 0; i < self->count; i++) {
        const cw_child_t *c = &self->children[i];
        cw_buf_puts(&b, i ? ",{" : "{");
        cw_json_put_key(&b, "name");
        cw_json_put_str(&b, c->name);
        cw_json_put_key(&b, "pid");
        cw_json_put_int(&b, (long long)c->pid);
        cw_json_put_key(&b, "running");
        cw_buf_puts(&b, c->pid > 0 ? "true" : "false");
        cw_json_put_key(&b, "starts");
        cw_json_put_int(&b, c->starts);
        cw_json_put_key(&b, "consecutive_failures");
        cw_json_put_int(&b, c->failures);
        cw_json_put_key(&b, "last_exit");
        cw_json_put_str(&b, c->last_exit);
        cw_json_put_key(&b, "last_error");
        cw_json_put_str(&b, c->last_error);
        cw_json_put_key(&b, "restart_at");
        if (c->pid <= 0 && c->wanted && c->restart_at > 0) {
            int64_t in_ms = c->restart_at - mono;
            s_iso(now + (time_t)((in_ms > 0 ? in_ms : 0) + 999) / 1000, iso);
            cw_json_put_str(&b, iso);
        } else
            cw_buf_puts(&b, "null");
        cw_buf_puts(&b, "}");
    }
    cw_buf_puts(&b, "]}\n");
    char *text = cw_buf_take(&b, NULL);
    if (!text)
        return;
    char tmp[PATH_MAX + 16];
    snprintf(tmp, sizeof(tmp), "%s.tmp", self->state_path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
        s_write_all(fd, text, strlen(text));
        close(fd);
        if (rename(tmp, self->state_path) != 0)
            unlink(tmp);
    }
    free(text);
}

void cw_supervisor_set_state_file(cw_supervisor_t *self, const char *path)
{
    if (!self)
        return;
    pthread_mutex_lock(&self->mutex);
    if (self->state_path)
        unlink(self->state_path);
    free(self->state_path);
    self->state_path = path && *path ? strdup(path) : NULL;
    s_write_state(self);
    pthread_mutex_unlock(&self->mutex);
}

int cw_supervisor_signal(cw_supervisor_t *self, int sig)
{
    if (!self)
        return 0;
    int n = 0;
    for (int i = 0; i < self->count; i++) {
        pid_t pid = self->children[i].pid;
        if (pid > 0 && (kill(-pid, sig) == 0 || kill(pid, sig) == 0))
            n++;
    }
    return n;
}

static int s_spawn(cw_supervisor_t *self, cw_child_t *child)
{
    pid_t parent = getpid();
    /* where the children's lines go, and the reader that takes them */
    if (self->out_fd < 0) {
        int fd = -1;
        if (self->output)
            fd = open(self->output, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        self->out_fd = fd >= 0 ? fd : STDERR_FILENO;
        self->humanize = self->out_fd == STDERR_FILENO && isatty(STDERR_FILENO);
    }
    if (!self->reader_running) {
        self->reader_stop = 0;
        self->reader_running = pthread_create(&self->reader, NULL, s_reader_main, self) == 0;
    }
    int err_pipe[2] = {-1, -1};
    if (pipe2(err_pipe, O_CLOEXEC) != 0)
        err_pipe[0] = err_pipe[1] = -1; /* the child then writes to our stderr */
    /* Block every signal across fork: the child must not run our handlers (a SIGTERM that
       arrives before it restored the defaults would otherwise be swallowed); it unblocks
       after resetting them, so such a signal is then delivered with its default action. */
    sigset_t all, saved;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &saved);
    pid_t pid = fork();
    if (pid < 0) {
        sigprocmask(SIG_SETMASK, &saved, NULL);
        if (err_pipe[0] >= 0) {
            close(err_pipe[0]);
            close(err_pipe[1]);
        }
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
        signal(SIGHUP, SIG_DFL);
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
        if (err_pipe[1] >= 0)
            dup2(err_pipe[1], STDERR_FILENO); /* dup2 clears close-on-exec on the copy */
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
    pthread_mutex_lock(&self->mutex);
    if (err_pipe[1] >= 0) {
        close(err_pipe[1]);
        s_child_read(self, child, true); /* what is left of the previous run's pipe */
        fcntl(err_pipe[0], F_SETFL, fcntl(err_pipe[0], F_GETFL) | O_NONBLOCK);
        child->err_fd = err_pipe[0];
        child->line_len = 0;
    }
    child->pid = pid;
    child->starts++;
    child->started_ms = s_now_ms();
    child->restart_at = 0;
    child->wanted = true;
    s_write_state(self);
    pthread_mutex_unlock(&self->mutex);
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
    char how[64];
    if (WIFSIGNALED(status))
        snprintf(how, sizeof(how), "signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        snprintf(how, sizeof(how), "exit code %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    /* everything it wrote before it died, so the last error is its last */
    pthread_mutex_lock(&self->mutex);
    s_child_read(self, child, true);
    child->pid = 0;
    snprintf(child->last_exit, sizeof(child->last_exit), "%s", how);
    if (uptime >= self->stable_ms) {
        child->failures = 0;
        child->reported = false;
    }
    bool stopping = !child->wanted || self->stop_requested || s_signalled;
    if (stopping)
        child->wanted = false;
    else {
        child->failures++;
        child->last_delay = cw_supervisor_restart_delay_ms(self, child->failures);
        child->restart_at = now + child->last_delay;
    }
    char last_error[CW_SUPERVISOR_ERROR_MAX];
    snprintf(last_error, sizeof(last_error), "%s", child->last_error);
    bool report = !stopping && child->failures >= CW_SUPERVISOR_REPORT_AFTER && !child->reported;
    if (report)
        child->reported = true;
    s_write_state(self);
    pthread_mutex_unlock(&self->mutex);
    if (stopping) {
        cw_info("child_stopped", CW_LS("child", child->name), CW_LI("pid", pid),
                CW_LS("status", how), CW_LEND);
        return;
    }
    cw_warn("child_exited", CW_LS("child", child->name), CW_LI("pid", pid), CW_LS("status", how),
            CW_LI("uptime_ms", uptime), CW_LI("restart_in_ms", child->last_delay),
            CW_LI("consecutive", child->failures), CW_LS("last_error", last_error), CW_LEND);
    if (report)
        cw_error("child_failing", CW_LS("child", child->name),
                 CW_LI("consecutive", child->failures), CW_LS("status", how),
                 CW_LS("last_error", last_error[0] ? last_error : "(it wrote no error line)"),
                 CW_LI("restart_in_ms", child->last_delay),
                 CW_LS("hint", "it keeps failing at start: fix the cause above; it is retried "
                               "with growing delays"),
                 CW_LEND);
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
                pthread_mutex_lock(&self->mutex);
                child->failures++;
                child->last_delay = cw_supervisor_restart_delay_ms(self, child->failures);
                child->restart_at = now + child->last_delay;
                pthread_mutex_unlock(&self->mutex);
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
        if (s_hangup) {
            s_hangup = 0;
            bool pass_on = self->hup_hook ? self->hup_hook(self->hup_arg) : true;
            int n = pass_on ? cw_supervisor_signal(self, SIGHUP) : 0;
            cw_info("reload_signal", CW_LB("passed_on", pass_on), CW_LI("children", n), CW_LEND);
        }
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
