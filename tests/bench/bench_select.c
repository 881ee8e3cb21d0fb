/*  bench_select — a cycle's target selection when warm, as the analyzer service does it:
    one analyze_request {doc_type, limit 20} through cw_analyzer_handle, on an analyzer
    whose index is warm (the first request, untimed, loads or builds it). Prints the median,
    min and max of RUNS requests per doc type, in milliseconds.
    Usage: bench_select CONFIG_DIR [RUNS] [DOC_TYPE...] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cw_analyzer.h"
#include "cw_config.h"
#include "cw_log.h"
#include "cw_proto.h"

static double s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int s_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_select CONFIG_DIR [RUNS] [DOC_TYPE...]\n");
        return 2;
    }
    cw_log_set_level(CW_LOG_WARN);
    char err[512];
    cw_config_t *cfg = cw_config_load(argv[1], err, sizeof err);
    if (!cfg) {
        fprintf(stderr, "bench_select: %s\n", err);
        return 2;
    }
    int runs = argc > 2 ? atoi(argv[2]) : 30;
    if (runs < 1)
        runs = 1;
    static const char *defaults[] = {"function_doc", "class_doc",        "file_doc",
                                     "module_doc",   "pattern_analysis", "code_evolution"};
    const char **types = argc > 3 ? (const char **)argv + 3 : defaults;
    int ntypes = argc > 3 ? argc - 3 : (int)(sizeof defaults / sizeof defaults[0]);
    cw_analyzer_t *a = cw_analyzer_new(cfg);
    if (!a)
        return 1;
    double *times = calloc((size_t)runs, sizeof *times);
    for (int t = 0; t < ntypes; t++) {
        cw_value_t *req = cw_proto_new(CW_MSG_ANALYZE_REQUEST);
        cw_map_set_str(req, "job_id", "bench");
        cw_map_set_str(req, "doc_type", types[t]);
        cw_map_set_int(req, "limit", 20);
        cw_value_t *reply = cw_analyzer_handle(a, req); /* warm-up: index loaded */
        size_t targets = cw_value_size(cw_map_get(reply, "targets"));
        cw_value_destroy(&reply);
        for (int r = 0; r < runs; r++) {
            double t0 = s_now_ms();
            reply = cw_analyzer_handle(a, req);
            times[r] = s_now_ms() - t0;
            if (cw_analyzer_files_parsed(a) != 0)
                fprintf(stderr, "bench_select: warm request parsed files\n");
            cw_value_destroy(&reply);
        }
        qsort(times, (size_t)runs, sizeof *times, s_cmp);
        printf("%-18s targets %3zu files %5zu runs %d median_ms %.2f min_ms %.2f max_ms %.2f\n",
               types[t], targets, cw_analyzer_files_scanned(a), runs, times[runs / 2], times[0],
               times[runs - 1]);
        cw_value_destroy(&req);
    }
    free(times);
    cw_analyzer_destroy(&a);
    cw_config_destroy(&cfg);
    return 0;
}
