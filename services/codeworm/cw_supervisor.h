/*  cw_supervisor — starts child processes (fork + exec, no ZeroMQ in the parent before the
    fork) and keeps them running: a child that exits is restarted after its own growing
    delay (1 s, 2 s, 4 s ... capped at 60 s; the count resets once a child stayed up 60 s).
    Every exit and restart is logged with the exit code or the signal. Stopping sends
    SIGTERM to every child, waits up to a grace period, then SIGKILLs the stragglers.

    What the children say: each child's stderr is a pipe that a reader thread empties line
    by line; every line is passed on (to the output file, or to our stderr — readable when
    that is a terminal) and an error line (a log line at level error, or any line that is
    not a log line) is kept: its last two distinct error lines are its last error. A child that
   exits is logged with its last error, and once it failed CW_SUPERVISOR_REPORT_AFTER times in a row
   at start, child_failing (level error) says so. The state of every child can be written to a JSON
   file after every change (cw_supervisor_set_state_file), which `codeworm status` reads. SIGHUP is
   passed on to the children (cw_supervisor_set_hup_hook).

        cw_supervisor_t *sup = cw_supervisor_new ();
        cw_supervisor_add (sup, "broker", argv);
        cw_supervisor_start (sup);          // every child, in the order added
        cw_supervisor_install_signals ();   // SIGINT/SIGTERM end cw_supervisor_run
        cw_supervisor_run (sup, -1);        // supervise until signalled
        cw_supervisor_stop (sup, 10000);
        cw_supervisor_destroy (&sup);
*/
#ifndef CW_SUPERVISOR_H
#define CW_SUPERVISOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct _cw_supervisor_t cw_supervisor_t;

#define CW_SUPERVISOR_RESTART_MIN_MS 1000
#define CW_SUPERVISOR_RESTART_MAX_MS 60000
#define CW_SUPERVISOR_STABLE_MS 60000
#define CW_SUPERVISOR_GRACE_MS 10000
#define CW_SUPERVISOR_REPORT_AFTER 3 /* consecutive quick exits before child_failing */
#define CW_SUPERVISOR_ERROR_MAX 1024 /* bytes of a child's last errors kept */

cw_supervisor_t *cw_supervisor_new(void);
/* Stops every running child (SIGTERM, grace, SIGKILL) and frees. Idempotent. */
void cw_supervisor_destroy(cw_supervisor_t **self_p);
/* Add a child; argv (NULL-terminated, argv[0] = program path) is copied. Returns its index
   (>= 0) or -1. Children are not started until cw_supervisor_start / _start_child. */
int cw_supervisor_add(cw_supervisor_t *self, const char *name, char *const argv[]);
/* Restart timings (tests use small values): first delay, cap, and how long a child must
   stay up for its delay to reset. */
void cw_supervisor_set_restart(cw_supervisor_t *self, int64_t min_ms, int64_t max_ms,
                               int64_t stable_ms);
/* Send the children's stdout and stderr to this file (appended) instead of inheriting
   ours; NULL = inherit (default). */
void cw_supervisor_set_output(cw_supervisor_t *self, const char *path);
/* Start every child not yet running, in the order added. 0, or -1 if a fork failed. */
int cw_supervisor_start(cw_supervisor_t *self);
/* Start one child by index. 0 or -1. */
int cw_supervisor_start_child(cw_supervisor_t *self, int index);
/* Reap exited children (non-blocking), schedule and perform due restarts. Returns the
   number of children that exited during this call. */
int cw_supervisor_poll(cw_supervisor_t *self);
/* Supervise until a stop is requested (signal or cw_supervisor_request_stop) or timeout_ms
   passed (-1 = no timeout). Returns 1 if stopped by a request, 0 on timeout. */
int cw_supervisor_run(cw_supervisor_t *self, int timeout_ms);
/* Ask cw_supervisor_run to return (async-signal-safe). */
void cw_supervisor_request_stop(cw_supervisor_t *self);
/* Install SIGINT/SIGTERM handlers that make every cw_supervisor_run return, and a SIGHUP
   handler whose signal cw_supervisor_run passes on (see cw_supervisor_set_hup_hook). */
void cw_supervisor_install_signals(void);
/* true once SIGINT/SIGTERM was received after cw_supervisor_install_signals. */
bool cw_supervisor_signalled(void);
/* SIGTERM all children, wait up to grace_ms for them, SIGKILL the rest, reap everything.
   Children are not restarted afterwards. Returns the number that had to be killed. */
int cw_supervisor_stop(cw_supervisor_t *self, int grace_ms);

/* ---- what the children say, and signals */
/* Called (from the reader thread) with each line a child wrote to stderr, without its
   newline, before it is passed on. Must not call back into the supervisor. */
typedef void(cw_supervisor_line_fn)(const char *child, const char *line, void *arg);
void cw_supervisor_set_line_hook(cw_supervisor_t *self, cw_supervisor_line_fn *fn, void *arg);
/* On SIGHUP cw_supervisor_run calls fn(arg) (e.g. to check the new configuration); when it
   returns true (or no hook is set) SIGHUP is passed on to every running child. */
typedef bool(cw_supervisor_hup_fn)(void *arg);
void cw_supervisor_set_hup_hook(cw_supervisor_t *self, cw_supervisor_hup_fn *fn, void *arg);
/* Send `sig` to every running child (its process group). Returns how many got it. */
int cw_supervisor_signal(cw_supervisor_t *self, int sig);
/* After every change, write the children's state to `path` as JSON (atomically: a
   temporary file renamed), removed again by cw_supervisor_destroy. NULL = none.
       {"pid", "started_at", "updated_at", "children": [{"name", "pid", "running",
        "starts", "consecutive_failures", "last_exit", "last_error", "restart_at"}]}
   (times ISO 8601 UTC; restart_at null when no restart is due). */
void cw_supervisor_set_state_file(cw_supervisor_t *self, const char *path);
/* The child's last two distinct error lines, readable ("event key=value ... | event
   ..."); "" if none. */
void cw_supervisor_last_error(cw_supervisor_t *self, int index, char *out, size_t len);
/* How the child last ended ("exit code 1", "signal 9 (Killed)"); "" if it has not. */
void cw_supervisor_last_exit(cw_supervisor_t *self, int index, char *out, size_t len);
/* Pass every line still buffered in the children's pipes on now (tests, before reading
   a last error of a child that just exited). */
void cw_supervisor_flush(cw_supervisor_t *self);

/* ---- inspection (tests, status output) */
int cw_supervisor_count(const cw_supervisor_t *self);
int cw_supervisor_find(const cw_supervisor_t *self, const char *name); /* index or -1 */
pid_t cw_supervisor_pid(const cw_supervisor_t *self, int index);       /* 0 when not running */
int cw_supervisor_starts(const cw_supervisor_t *self, int index);      /* times started */
int cw_supervisor_failures(const cw_supervisor_t *self, int index);    /* current streak */
/* Delay before the restart that follows the failures-th consecutive quick exit. */
int64_t cw_supervisor_restart_delay_ms(const cw_supervisor_t *self, int failures);
/* The delay scheduled for the last restart of this child (ms), 0 if none yet. */
int64_t cw_supervisor_last_delay_ms(const cw_supervisor_t *self, int index);

#endif
