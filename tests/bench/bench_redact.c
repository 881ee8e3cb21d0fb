/*  bench_redact — how fast secret redaction and the grounding check are, and how often the
    redaction fires on ordinary code (every hit in a corpus without secrets is a false
    positive). Usage: bench_redact FILE_LIST RUNS [--show N]
      FILE_LIST  one path per line (the corpus)
      RUNS       passes over the corpus; the median pass is reported
    Prints: corpus size, median ms per pass, MB/s, redactions found; a 1 MiB target (the
    proto bound) redacted and grounding-checked, median ms; with --show, the first N
    redacted lines (to judge the false positives). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cw_grounding.h"
#include "cw_redact.h"
#include "cw_value.h"

static double s_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static int s_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static char *s_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    buf[got] = '\0';
    *len = strlen(buf); /* stop at a NUL, as payload strings do */
    return buf;
}

static void s_show(const char *text, const char *red, int *left)
{
    /* print the lines of `red` that hold a marker, with the original line */
    const char *r = red, *t = text;
    while (*r && *t && *left > 0) {
        const char *re = strchr(r, '\n'), *te = strchr(t, '\n');
        size_t rl = re ? (size_t)(re - r) : strlen(r), tl = te ? (size_t)(te - t) : strlen(t);
        if (memmem(r, rl, CW_REDACT_MARK, strlen(CW_REDACT_MARK))) {
            printf("  - %.*s\n    + %.*s\n", (int)(tl > 160 ? 160 : tl), t,
                   (int)(rl > 160 ? 160 : rl), r);
            (*left)--;
        }
        if (!re || !te)
            break;
        r = re + 1;
        t = te + 1;
    }
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_redact FILE_LIST RUNS [--show N]\n");
        return 2;
    }
    int runs = atoi(argv[2]);
    int show = argc >= 5 && strcmp(argv[3], "--show") == 0 ? atoi(argv[4]) : 0;
    FILE *list = fopen(argv[1], "r");
    if (!list || runs < 1)
        return 2;
    char *texts[4096];
    size_t nfiles = 0, bytes = 0;
    char line[4096];
    while (nfiles < 4096 && fgets(line, sizeof line, list)) {
        line[strcspn(line, "\n")] = '\0';
        size_t len;
        char *t = s_read(line, &len);
        if (t) {
            texts[nfiles++] = t;
            bytes += len;
        }
    }
    fclose(list);
    cw_redact_t *r = cw_redact_new();
    double *ms = calloc((size_t)runs, sizeof *ms);
    size_t hits = 0, files_hit = 0;
    for (int k = 0; k < runs; k++) {
        double t0 = s_ms();
        for (size_t i = 0; i < nfiles; i++) {
            char *out = NULL;
            size_t n = 0;
            cw_redact_text(r, texts[i], &out, &n);
            if (k == 0) {
                hits += n;
                files_hit += n > 0;
                if (out && show > 0)
                    s_show(texts[i], out, &show);
            }
            free(out);
        }
        ms[k] = s_ms() - t0;
    }
    qsort(ms, (size_t)runs, sizeof *ms, s_cmp);
    double med = ms[runs / 2];
    printf("corpus: %zu files, %zu bytes\n", nfiles, bytes);
    printf("redact corpus: median %.1f ms (min %.1f, max %.1f) over %d runs = %.1f MB/s\n", med,
           ms[0], ms[runs - 1], runs, bytes / 1e6 / (med / 1000.0));
    printf("redactions in the corpus: %zu in %zu of %zu files\n", hits, files_hit, nfiles);

    /* a 1 MiB target: the corpus concatenated and cut, as source and context */
    size_t cap = 1024 * 1024;
    char *big = malloc(cap + 1);
    size_t o = 0;
    for (size_t i = 0; i < nfiles && o < cap; i++) {
        size_t n = strlen(texts[i]);
        if (n > cap - o)
            n = cap - o;
        memcpy(big + o, texts[i], n);
        o += n;
    }
    big[o] = '\0';
    const char *doc = "`parse` calls `tokenize` and `os.path.join`; `frobnicate` is invented. "
                      "The `Handler.handle()` method and `self.rfile` matter.";
    for (int k = 0; k < runs; k++) {
        cw_value_t *t = cw_value_new_map();
        cw_map_set_str(t, "source", big);
        cw_map_set_str(t, "context", big);
        double t0 = s_ms();
        long n = cw_redact_value(r, &t);
        double t1 = s_ms();
        cw_grounding_t g;
        cw_grounding_check(t, doc, &g);
        double t2 = s_ms();
        ms[k] = t1 - t0;
        if (k == 0)
            printf("1 MiB source + 1 MiB context target: %ld redactions, grounding %.2f\n", n,
                   g.ratio);
        ms[k] = t1 - t0;
        cw_value_destroy(&t);
        (void)t2;
    }
    qsort(ms, (size_t)runs, sizeof *ms, s_cmp);
    printf("redact a 2 MiB target: median %.1f ms (min %.1f, max %.1f)\n", ms[runs / 2], ms[0],
           ms[runs - 1]);
    for (int k = 0; k < runs; k++) {
        cw_value_t *t = cw_value_new_map();
        cw_map_set_str(t, "source", big);
        cw_map_set_str(t, "context", big);
        cw_grounding_t g;
        double t0 = s_ms();
        cw_grounding_check(t, doc, &g);
        ms[k] = s_ms() - t0;
        cw_value_destroy(&t);
    }
    qsort(ms, (size_t)runs, sizeof *ms, s_cmp);
    printf("grounding check against a 2 MiB target: median %.1f ms (min %.1f, max %.1f)\n",
           ms[runs / 2], ms[0], ms[runs - 1]);
    free(big);
    free(ms);
    for (size_t i = 0; i < nfiles; i++)
        free(texts[i]);
    cw_redact_destroy(&r);
    return 0;
}
