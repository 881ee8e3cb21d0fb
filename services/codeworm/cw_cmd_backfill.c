/*  `codeworm backfill`: document every eligible target now, as fast as the generators
    allow: up to --in-flight cycles at once (cw_cycle_pool), each the recorded saga of
    cw_cycle, paging through each (repository, doc type) ranking with a shared cursor
    (cw_cycle_pager), on the running stack or a private one.

    Eligible = a candidate the analyzer ranks (any rank, not only the best 20) that the
    ledger does not have yet and no other cycle has claimed: counted once at the start
    (analyze_request with sources:false, offset paging, then dedup without a claim).

    Ctrl-C once: no new cycles, the ones in flight finish; twice: they are abandoned at
    their next request (their claims are released on the way out, or by the next
    recovery). Exit 0 all documented or --limit reached, 2 error (a target failed, the
    stack or the LLM is not there), 130 interrupted. */
#include <czmq.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cw_bus.h"
#include "cw_cli_int.h"
#include "cw_json.h"
#include "cw_log.h"
#include "cw_proto.h"
#include "cw_supervisor.h"
#include "../scheduler/cw_cycle.h"
#include "../scheduler/cw_cycle_pool.h"
#include "../scheduler/cw_scheduler.h"

#define S_MAX_PAIRS (CW_CLI_MAX_REPOS * CW_DOC_TYPE_COUNT)
#define S_COUNT_PAGE 1000        /* targets per analyze request when counting */
#define S_COUNT_TIMEOUT_MS 60000 /* one counting request */
#define S_PROGRESS_MS 250
#define S_MAX_LLM_WAITS 5 /* consecutive "LLM unavailable" waits before giving up */

/* ------------------------------------------------------------------ signals */
static atomic_int s_stop; /* 1: no new cycles; 2: abandon the ones in flight */

static void s_on_signal(int sig)
{
    (void)sig;
    int level = atomic_fetch_add(&s_stop, 1) + 1;
    if (level >= 2)
        zsys_interrupted = 1; /* every request in flight gives up */
}

static void s_install_signals(void)
{
    zsys_init();
    zsys_handler_set(NULL); /* czmq's handler would abandon the cycles at once */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* ------------------------------------------------------------------ options */
typedef struct {
    const char *repos[CW_CLI_MAX_REPOS];
    int repo_count;
    const char *type;
    long limit;     /* 0 = none */
    long in_flight; /* 0 = default */
    bool json;
} s_opts_t;

static int s_parse(cw_cli_t *cli, int argc, char **argv, s_opts_t *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_value = i + 1 < argc;
        if (strcmp(a, "--repo") == 0) {
            if (!has_value)
                return cw_cli_usage_error("backfill", "%s needs a repository NAME", a);
            if (o->repo_count >= CW_CLI_MAX_REPOS)
                return cw_cli_usage_error("backfill", "too many %s options", a);
            o->repos[o->repo_count++] = argv[++i];
        } else if (strcmp(a, "--type") == 0) {
            if (!has_value)
                return cw_cli_usage_error("backfill", "%s needs a documentation TYPE", a);
            o->type = argv[++i];
            if (cw_doc_type_from_name(o->type) < 0)
                return cw_cli_usage_error("backfill",
                                          "unknown documentation type '%s' (function_doc, "
                                          "class_doc, file_doc, module_doc, ...)",
                                          o->type);
        } else if (strcmp(a, "--limit") == 0) {
            if (!has_value || !cw_cli_parse_int(argv[i + 1], 1, 1000000000, &o->limit))
                return cw_cli_usage_error("backfill", "%s needs a number of documents >= 1", a);
            i++;
        } else if (strcmp(a, "--in-flight") == 0) {
            if (!has_value || !cw_cli_parse_int(argv[i + 1], 1, CW_CYCLE_POOL_MAX, &o->in_flight))
                return cw_cli_usage_error("backfill", "%s needs a number from 1 to 64", a);
            i++;
        } else if (strcmp(a, "--json") == 0)
            o->json = true;
        else {
            int r = cw_cli_parse_stack_option(cli, "backfill", argc, argv, &i, false, false);
            if (r < 0)
                return 2;
            if (r == 0)
                return cw_cli_usage_error("backfill", "unknown option '%s'", a);
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ work */
typedef struct {
    const char *repo;
    const char *type;
    int64_t eligible;
    cw_cycle_pager_t *pager;
    bool exhausted;
} s_pair_t;

typedef struct {
    s_opts_t opts;
    s_pair_t pairs[S_MAX_PAIRS];
    int npairs;
    int next_pair; /* round robin */
    int64_t eligible;
    int64_t committed, failed, skipped, llm_waits;
    int consecutive_failures;
    char last_error[1024];
    int64_t started_ms;
    bool tty;
    bool progress_shown;
} s_run_t;

/* How many targets of one repository and doc type are eligible now. -1 + message. */
static int64_t s_count(cw_client_t *client, const char *repo, const char *type, char *err,
                       size_t errlen)
{
    int64_t eligible = 0;
    for (int64_t offset = 0;; offset += S_COUNT_PAGE) {
        char job[33], why[512] = "";
        cw_bus_new_job_id(job);
        cw_value_t *req = cw_proto_new(CW_MSG_ANALYZE_REQUEST);
        cw_map_set_str(req, "job_id", job);
        cw_map_set_str(req, "doc_type", type);
        cw_map_set_str(req, "repo", repo);
        cw_map_set_int(req, "limit", S_COUNT_PAGE);
        cw_map_set_int(req, "offset", offset);
        cw_map_set_bool(req, "sources", false);
        cw_value_t *reply = cw_client_request(client, CW_SERVICE_ANALYZER, &req, S_COUNT_TIMEOUT_MS,
                                              0, why, sizeof why);
        const char *rtype = reply ? cw_proto_type(reply) : NULL;
        if (!rtype || strcmp(rtype, CW_MSG_ANALYZE_REPLY) != 0) {
            bool no_target = rtype && strcmp(cw_map_str(reply, "code", ""), CW_ERR_NO_TARGET) == 0;
            if (!no_target)
                snprintf(err, errlen, "analyzer (%s, %s): %s", repo, type,
                         reply ? cw_map_str(reply, "message", "?") : why);
            cw_value_destroy(&reply);
            return no_target ? eligible : -1;
        }
        const cw_value_t *targets = cw_map_get(reply, "targets");
        size_t n = cw_value_size(targets);
        if (n == 0) {
            cw_value_destroy(&reply);
            return eligible;
        }
        cw_bus_new_job_id(job);
        cw_value_t *dreq = cw_proto_new(CW_MSG_DEDUP_REQUEST);
        cw_map_set_str(dreq, "job_id", job);
        cw_map_set(dreq, "targets", cw_value_clone(targets));
        cw_value_t *dreply = cw_client_request(client, CW_SERVICE_COMMITTER, &dreq,
                                               S_COUNT_TIMEOUT_MS, 0, why, sizeof why);
        const char *dtype = dreply ? cw_proto_type(dreply) : NULL;
        if (!dtype || strcmp(dtype, CW_MSG_DEDUP_REPLY) != 0) {
            snprintf(err, errlen, "committer (dedup): %s",
                     dreply ? cw_map_str(dreply, "message", "?") : why);
            cw_value_destroy(&dreply);
            cw_value_destroy(&reply);
            return -1;
        }
        const cw_value_t *allowed = cw_map_get(dreply, "allowed");
        for (size_t i = 0; i < cw_value_size(allowed); i++)
            eligible += cw_value_bool(cw_array_at(allowed, i)) ? 1 : 0;
        int64_t total = cw_map_int(reply, "total", -1);
        cw_value_destroy(&dreply);
        cw_value_destroy(&reply);
        if (n < S_COUNT_PAGE || (total >= 0 && offset + (int64_t)n >= total))
            return eligible;
    }
}

static int64_t s_target_count(const s_run_t *r)
{
    return r->opts.limit > 0 && r->opts.limit < r->eligible ? r->opts.limit : r->eligible;
}

static void s_duration(double seconds, char *out, size_t outlen)
{
    if (!(seconds >= 0) || seconds > 359999)
        snprintf(out, outlen, "?");
    else if (seconds >= 3600)
        snprintf(out, outlen, "%dh%02dm", (int)seconds / 3600, ((int)seconds % 3600) / 60);
    else if (seconds >= 60)
        snprintf(out, outlen, "%dm%02ds", (int)seconds / 60, (int)seconds % 60);
    else
        snprintf(out, outlen, "%.0fs", seconds);
}

static double s_rate_per_min(const s_run_t *r)
{
    double minutes = (double)(zclock_mono() - r->started_ms) / 60000.0;
    return minutes > 0 ? (double)r->committed / minutes : 0.0;
}

static void s_progress(s_run_t *r, int in_flight, const char *note)
{
    if (!r->tty || r->opts.json)
        return;
    int64_t want = s_target_count(r);
    double rate = s_rate_per_min(r);
    char left[32] = "?";
    if (rate > 0)
        s_duration((double)(want - r->committed) / rate * 60.0, left, sizeof left);
    printf("\r\033[Kbackfill: %lld/%lld documented (%.0f%%) | %.1f docs/min | %s left | "
           "%lld failed | %d in flight%s%s",
           (long long)r->committed, (long long)want,
           want > 0 ? 100.0 * (double)r->committed / (double)want : 100.0, rate, left,
           (long long)r->failed, in_flight, note ? " | " : "", note ? note : "");
    fflush(stdout);
    r->progress_shown = true;
}

static const char *s_result_name(cw_cycle_result_t result)
{
    switch (result) {
    case CW_CYCLE_COMMITTED:
        return "committed";
    case CW_CYCLE_SKIPPED:
        return "skipped";
    case CW_CYCLE_LLM_DOWN:
        return "llm_unavailable";
    default:
        return "failed";
    }
}

static void s_print_json(cw_value_t **v)
{
    char *json = *v ? cw_json_encode(*v) : NULL;
    if (json) {
        printf("%s\n", json);
        fflush(stdout);
    }
    free(json);
    cw_value_destroy(v);
}

static void s_json_cycle(s_run_t *r, const cw_cycle_outcome_t *o, const s_pair_t *pair)
{
    cw_value_t *v = cw_value_new_map();
    cw_map_set_str(v, "event", "cycle");
    cw_map_set_str(v, "cycle_id", o->cycle_id);
    cw_map_set_str(v, "result", s_result_name(o->result));
    cw_map_set_str(v, "repo", o->repo[0] ? o->repo : (pair ? pair->repo : ""));
    cw_map_set_str(v, "doc_type", o->doc_type[0] ? o->doc_type : (pair ? pair->type : ""));
    if (o->target[0])
        cw_map_set_str(v, "target", o->target);
    if (o->result == CW_CYCLE_COMMITTED) {
        cw_map_set_str(v, "commit", o->commit);
        cw_map_set_str(v, "path", o->path);
    } else {
        cw_map_set_str(v, "step", o->step);
        cw_map_set_str(v, "reason", o->reason);
    }
    cw_map_set_int(v, "elapsed_ms", o->elapsed_ms);
    cw_map_set_int(v, "documented", r->committed);
    cw_map_set_int(v, "goal", s_target_count(r));
    cw_map_set_int(v, "eligible", r->eligible);
    cw_map_set_int(v, "failed", r->failed);
    s_print_json(&v);
}

/* The next pair to start a cycle on (round robin over those not exhausted), or NULL. */
static s_pair_t *s_next_pair(s_run_t *r)
{
    for (int k = 0; k < r->npairs; k++) {
        s_pair_t *p = &r->pairs[(r->next_pair + k) % r->npairs];
        if (!p->exhausted) {
            r->next_pair = (r->next_pair + k + 1) % r->npairs;
            return p;
        }
    }
    return NULL;
}

/* Returns the exit code. */
static int s_drive(s_run_t *r, cw_cycle_pool_t *pool)
{
    int in_flight = cw_cycle_pool_size(pool);
    int max_failures = in_flight * 2 > 5 ? in_flight * 2 : 5;
    int64_t paused_until = 0, last_progress = 0;
    int rc = -1;
    bool announced_stop = false;
    while (true) {
        int stop = atomic_load(&s_stop);
        int64_t now = zclock_mono();
        bool starting = stop == 0 && rc < 0 && now >= paused_until;
        while (starting && cw_cycle_pool_idle(pool) > 0) {
            int busy = cw_cycle_pool_busy(pool);
            if (r->opts.limit > 0 && r->committed + busy >= r->opts.limit)
                break;
            s_pair_t *p = s_next_pair(r);
            if (!p)
                break;
            cw_cycle_plan_t plan = {.doc_type = p->type,
                                    .repo = p->repo,
                                    .pager = p->pager,
                                    .trigger = "backfill",
                                    .tag = p};
            if (cw_cycle_pool_start(pool, &plan) != 0)
                break;
        }
        int busy = cw_cycle_pool_busy(pool);
        if (stop && !announced_stop && !r->opts.json) {
            if (r->progress_shown)
                printf("\n");
            fprintf(stderr,
                    stop >= 2 ? "codeworm backfill: stopping, abandoning %d cycles in flight\n"
                              : "codeworm backfill: stopping, waiting for %d cycles in flight "
                                "(Ctrl-C again to abandon them)\n",
                    busy);
            announced_stop = true;
        }
        bool limit_done = r->opts.limit > 0 && r->committed >= r->opts.limit;
        bool all_done = s_next_pair(r) == NULL;
        if (busy == 0 && (stop || rc >= 0 || limit_done || all_done))
            break;
        cw_cycle_outcome_t o;
        if (cw_cycle_pool_wait(pool, S_PROGRESS_MS, &o) == 1) {
            s_pair_t *pair = o.tag;
            switch (o.result) {
            case CW_CYCLE_COMMITTED:
                r->committed++;
                r->consecutive_failures = 0;
                r->llm_waits = 0;
                break;
            case CW_CYCLE_SKIPPED:
                /* nothing left in this ranking that nobody else holds */
                r->skipped++;
                if (pair && strcmp(o.step, "analyze") == 0)
                    pair->exhausted = true;
                break;
            case CW_CYCLE_LLM_DOWN:
                if (zclock_mono() >= paused_until && !zsys_interrupted) {
                    r->llm_waits++;
                    if (r->llm_waits > S_MAX_LLM_WAITS) {
                        snprintf(r->last_error, sizeof r->last_error,
                                 "the LLM stayed unavailable: %.900s", o.reason);
                        rc = 2;
                    } else
                        paused_until =
                            zclock_mono() + cw_scheduler_llm_wait_seconds(r->llm_waits) * 1000;
                }
                break;
            default:
                if (zsys_interrupted)
                    break; /* abandoned, not a failure of the target */
                r->failed++;
                r->consecutive_failures++;
                snprintf(r->last_error, sizeof r->last_error, "%s", o.reason);
                if (!o.code_hash[0]) /* it failed before picking a target: no progress */
                    r->consecutive_failures = max_failures;
                if (r->consecutive_failures >= max_failures)
                    rc = 2;
                break;
            }
            if (r->opts.json && !(o.result == CW_CYCLE_FAILED && zsys_interrupted))
                s_json_cycle(r, &o, pair);
        }
        now = zclock_mono();
        if (now - last_progress >= S_PROGRESS_MS) {
            char note[64] = "";
            if (now < paused_until)
                snprintf(note, sizeof note, "LLM unavailable, retrying in %llds",
                         (long long)((paused_until - now + 999) / 1000));
            else if (stop)
                snprintf(note, sizeof note, "stopping");
            s_progress(r, cw_cycle_pool_busy(pool), note[0] ? note : NULL);
            last_progress = now;
        }
    }
    if (atomic_load(&s_stop))
        return 130;
    if (rc >= 0)
        return rc;
    if (r->opts.limit > 0 && r->committed >= r->opts.limit)
        return 0;
    return r->failed > 0 ? 2 : 0;
}

/* After an abandon: release the claims left behind, with short timeouts. */
static void s_release_left(const cw_config_t *config)
{
    zsys_interrupted = 0;
    cw_cycle_runner_t *runner = cw_cycle_runner_new(config, "codeworm");
    if (runner) {
        cw_cycle_runner_set_timeouts(runner, 2000, 0, 2000, 0);
        cw_cycle_recover(runner);
        cw_cycle_runner_destroy(&runner);
    }
    zsys_interrupted = 1;
}

static void s_summary(s_run_t *r, int rc)
{
    double seconds = (double)(zclock_mono() - r->started_ms) / 1000.0;
    if (r->opts.json) {
        cw_value_t *v = cw_value_new_map();
        cw_map_set_str(v, "event", "summary");
        cw_map_set_int(v, "documented", r->committed);
        cw_map_set_int(v, "goal", s_target_count(r));
        cw_map_set_int(v, "eligible", r->eligible);
        cw_map_set_int(v, "failed", r->failed);
        cw_map_set_float(v, "seconds", seconds);
        cw_map_set_float(v, "per_minute", s_rate_per_min(r));
        cw_map_set_int(v, "exit", rc);
        if (r->last_error[0] && rc != 0)
            cw_map_set_str(v, "error", r->last_error);
        s_print_json(&v);
        return;
    }
    if (r->progress_shown && r->tty) {
        s_progress(r, 0, NULL);
        printf("\n");
    }
    char took[32];
    s_duration(seconds, took, sizeof took);
    printf("Backfill %s: %lld of %lld eligible documented, %lld failed, in %s (%.1f docs/min)\n",
           rc == 130 ? "stopped" : (rc == 0 ? "done" : "ended with errors"),
           (long long)r->committed, (long long)r->eligible, (long long)r->failed, took,
           s_rate_per_min(r));
    if (rc == 2 && r->last_error[0])
        fprintf(stderr, "codeworm backfill: last error: %s\n", r->last_error);
}

static int s_cmd_backfill(cw_cli_t *cli, int argc, char **argv)
{
    s_run_t *r = calloc(1, sizeof *r);
    if (!r)
        return 2;
    int rc = s_parse(cli, argc, argv, &r->opts);
    if (rc) {
        free(r);
        return rc;
    }
    cw_config_t *config = cw_cli_load(cli, 1, &rc);
    if (!config) {
        free(r);
        return rc;
    }
    /* the progress line (or the JSON lines) is the output: the cycles' info lines would
       only break it up (--debug or debug: true shows them) */
    if (!cli->debug && !config->debug)
        cw_log_set_level(CW_LOG_WARN);
    /* the repositories and types */
    const char *repos[CW_CLI_MAX_REPOS];
    int nrepos = 0;
    for (int i = 0; i < r->opts.repo_count; i++) {
        const cw_repo_t *found = NULL;
        for (size_t k = 0; k < config->repo_count && !found; k++)
            if (strcmp(config->repos[k].name, r->opts.repos[i]) == 0)
                found = &config->repos[k];
        if (!found) {
            fprintf(stderr, "codeworm backfill: no repository named '%s' in repos.yaml\n",
                    r->opts.repos[i]);
            cw_config_destroy(&config);
            free(r);
            return 2;
        }
        repos[nrepos++] = found->name;
    }
    for (size_t k = 0; r->opts.repo_count == 0 && k < config->repo_count; k++)
        if (config->repos[k].enabled && nrepos < CW_CLI_MAX_REPOS)
            repos[nrepos++] = config->repos[k].name;
    const char *types[CW_DOC_TYPE_COUNT];
    int ntypes = 0;
    if (r->opts.type)
        types[ntypes++] = cw_doc_type_name(cw_doc_type_from_name(r->opts.type));
    else
        for (int t = 0; t < CW_DOC_TYPE_COUNT; t++)
            if (config->documentation.type_weights[t] > 0)
                types[ntypes++] = cw_doc_type_name(t);

    cw_stack_t stack;
    rc = cw_stack_prepare(cli, config, &stack);
    if (rc) {
        cw_config_destroy(&config);
        free(r);
        return rc;
    }
    cw_supervisor_t *sup = NULL;
    int64_t generators = 0;
    rc = cw_stack_ensure(cli, config, &stack, "backfill.log", &sup, &generators);
    cw_cycle_pool_t *pool = NULL;
    if (rc == 0) {
        s_install_signals();
        r->tty = isatty(STDOUT_FILENO) == 1;
        /* count what is eligible */
        cw_client_t *client = cw_client_new(config->bus.broker);
        char err[1024] = "";
        if (!client)
            rc = 2;
        for (int i = 0; rc == 0 && i < nrepos && !atomic_load(&s_stop); i++)
            for (int t = 0; rc == 0 && t < ntypes && !atomic_load(&s_stop); t++) {
                int64_t n = s_count(client, repos[i], types[t], err, sizeof err);
                if (n < 0) {
                    fprintf(stderr, "codeworm backfill: cannot count the eligible targets: %s\n",
                            err);
                    rc = 2;
                } else if (n > 0 && r->npairs < S_MAX_PAIRS) {
                    s_pair_t *p = &r->pairs[r->npairs++];
                    p->repo = repos[i];
                    p->type = types[t];
                    p->eligible = n;
                    p->pager = cw_cycle_pager_new();
                    r->eligible += n;
                    if (!p->pager)
                        rc = 2;
                }
            }
        cw_client_destroy(&client);
        if (rc == 0 && atomic_load(&s_stop))
            rc = 130;
        long in_flight = r->opts.in_flight;
        if (in_flight == 0) {
            in_flight = config->schedule.max_in_flight;
            if (in_flight < 2 * generators)
                in_flight = (long)(2 * generators);
            if (in_flight < 1)
                in_flight = 1;
            if (in_flight > CW_CYCLE_POOL_MAX)
                in_flight = CW_CYCLE_POOL_MAX;
        }
        if (rc == 0 && r->eligible == 0) {
            if (r->opts.json) {
                r->started_ms = zclock_mono();
                s_summary(r, 0);
            } else
                printf("Nothing to document: every eligible target is documented already\n");
        } else if (rc == 0) {
            if (!r->opts.json)
                printf("Backfill: %lld eligible target%s in %d repositor%s, %ld cycle%s in "
                       "flight, %lld generator%s%s\n",
                       (long long)r->eligible, r->eligible == 1 ? "" : "s", nrepos,
                       nrepos == 1 ? "y" : "ies", in_flight, in_flight == 1 ? "" : "s",
                       (long long)generators, generators == 1 ? "" : "s",
                       r->opts.limit > 0 ? " (limited by --limit)" : "");
            fflush(stdout);
            pool = cw_cycle_pool_new(config, "codeworm", (int)in_flight);
            if (!pool) {
                fprintf(stderr, "codeworm backfill: cannot start the cycle runners\n");
                rc = 2;
            } else {
                if (r->opts.json) {
                    cw_value_t *v = cw_value_new_map();
                    cw_map_set_str(v, "event", "start");
                    cw_map_set_int(v, "eligible", r->eligible);
                    cw_map_set_int(v, "goal", s_target_count(r));
                    cw_map_set_int(v, "in_flight", in_flight);
                    cw_map_set_int(v, "generators", generators);
                    s_print_json(&v);
                }
                r->started_ms = zclock_mono();
                rc = s_drive(r, pool);
                cw_cycle_pool_destroy(&pool);
                if (zsys_interrupted)
                    s_release_left(config);
                s_summary(r, rc);
            }
        }
    }
    for (int i = 0; i < r->npairs; i++)
        cw_cycle_pager_destroy(&r->pairs[i].pager);
    if (sup) {
        cw_supervisor_stop(sup, CW_SUPERVISOR_GRACE_MS);
        cw_supervisor_destroy(&sup);
    }
    cw_stack_cleanup(&stack);
    cw_config_destroy(&config);
    free(r);
    return rc;
}

const cw_cli_command_t cw_cmd_backfill = {
    "backfill",
    "backfill [--repo NAME]... [--type TYPE] [--limit N] [--in-flight N] [--json] "
    "[--devlog PATH]",
    "document every eligible target now, as fast as the generators allow",
    "Document every eligible target now: every candidate the analyzer ranks (not only the\n"
    "best 20 a scheduled cycle looks at) that the ledger does not have yet. Runs up to\n"
    "--in-flight cycles at once, each recorded like a scheduled one, on the running stack\n"
    "if its broker answers (else on a private stack). On a terminal a progress line shows\n"
    "documented / eligible, documents per minute, time left and failures.\n"
    "Ctrl-C: no new cycles, the ones in flight finish; Ctrl-C again: abandon them.\n"
    "Exit 0 all documented or --limit reached, 2 error (a target failed, no stack, the LLM\n"
    "stayed unavailable), 130 interrupted. Logs: warnings and errors only, unless --debug.",
    "  --repo NAME           only this configured repository (repeatable)\n"
    "  --type TYPE           only this documentation type (default: every type whose\n"
    "                        documentation.type_weights is above 0)\n"
    "  --limit N             stop after N documents\n"
    "  --in-flight N         cycles at once, 1-64 (default: schedule.max_in_flight, at\n"
    "                        least twice the generators registered)\n"
    "  --json                JSON lines: event \"start\" (eligible, goal, in_flight,\n"
    "                        generators), one event \"cycle\" per finished cycle (result,\n"
    "                        target, doc_type, repo, commit/path or step/reason,\n"
    "                        documented, goal, eligible, failed), then event \"summary\"\n"
    "  --devlog PATH         DevLog repository\n",
    s_cmd_backfill};
