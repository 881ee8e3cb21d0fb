/*  cw_preflight — what `run` and `run-once` check before they start any process, so that a
    problem is reported as its real cause with what to do about it, instead of as a
    service that never registers:

      devlog   devlog.repo_path is a writable directory, or can be created
      data     data_dir is a writable directory, or can be created
      remote   devlog.remote, when it names a remote, is configured in the DevLog (a
               local path that does not exist is a warning: a mount may come back)
      ports    the bus endpoints the broker binds (bus.broker, .events_in, .events_out)
               are free and belong to this machine
      llm      the LLM answers, and Ollama has the model: a warning, never a stop
               (cycles wait for the LLM and retry)

    Each check writes one sentence into `msg` ("the DevLog /x is not writable: Permission
    denied. Fix: ..."). cw_preflight_run prints them as
        codeworm: preflight: <message>            (a failure: nothing is started)
        codeworm: preflight warning: <message>                                        */
#ifndef CW_PREFLIGHT_H
#define CW_PREFLIGHT_H

#include <stddef.h>
#include <stdio.h>

#include "cw_config.h"

#define CW_PREFLIGHT_DEVLOG 0x01u
#define CW_PREFLIGHT_DATA 0x02u
#define CW_PREFLIGHT_REMOTE 0x04u
#define CW_PREFLIGHT_PORTS 0x08u
#define CW_PREFLIGHT_LLM 0x10u
#define CW_PREFLIGHT_ALL 0x1fu

/* Results of one check. */
typedef enum {
    CW_PREFLIGHT_OK = 0,
    CW_PREFLIGHT_WARNING = 1,
    CW_PREFLIGHT_FAILED = 2
} cw_preflight_status_t;

cw_preflight_status_t cw_preflight_devlog(const cw_config_t *config, char *msg, size_t len);
cw_preflight_status_t cw_preflight_data(const cw_config_t *config, char *msg, size_t len);
cw_preflight_status_t cw_preflight_remote(const cw_config_t *config, char *msg, size_t len);
/* One failure message for the first endpoint that cannot be bound. */
cw_preflight_status_t cw_preflight_ports(const cw_config_t *config, char *msg, size_t len);
/* Asks the LLM (a few seconds at most). */
cw_preflight_status_t cw_preflight_llm(const cw_config_t *config, char *msg, size_t len);

/* Run the checks in `checks` (CW_PREFLIGHT_* bits), printing each problem to `out`.
   Returns the number of failures (0 = go; warnings do not count). */
int cw_preflight_run(const cw_config_t *config, unsigned checks, FILE *out);

#endif
