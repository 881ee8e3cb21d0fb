/*  bench_decode — worst decode time and memory of the bus's msgpack decoder for hostile
    frames of (by default) 8 MiB, the largest frame a CodeWorm socket accepts.

        bench_decode [FRAME_BYTES] [RUNS]

    For each kind of frame it prints the median and maximum decode time over RUNS runs
    (decode + destroy of the tree), the peak resident memory the decode added (VmHWM after
    the decode minus VmRSS before, with the peak reset through /proc/self/clear_refs), and
    whether the frame was accepted. Built and run by tests/bench/bench_decode.sh.       */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cw_value.h"

#ifdef CW_BENCH_NO_STATS /* an older decoder without cw_value_decode_stats */
typedef struct {
    size_t nodes, memory, budget, probes;
} cw_value_decode_stats_t;
#define cw_value_decode_stats(d, n, e, el, st) cw_value_decode(d, n, e, el)
#endif

typedef struct {
    unsigned char *data;
    size_t len, cap;
} buf_t;

static void s_put(buf_t *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 1 << 20;
        while (cap < b->len + n)
            cap *= 2;
        b->data = realloc(b->data, cap);
        if (!b->data) {
            perror("realloc");
            exit(1);
        }
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void s_byte(buf_t *b, unsigned char c)
{
    s_put(b, &c, 1);
}

static void s_head32(buf_t *b, unsigned char type, uint32_t n)
{
    unsigned char h[5] = {type, (unsigned char)(n >> 24), (unsigned char)(n >> 16),
                          (unsigned char)(n >> 8), (unsigned char)n};
    s_put(b, h, 5);
}

static uint64_t s_rng = 0x9E3779B97F4A7C15ULL;
static uint32_t s_rand(void)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return (uint32_t)(s_rng >> 16);
}

static uint64_t s_fnv1a(const unsigned char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* ---- frames */

/* Values of map entries: nil (vlen 0) or a string of vlen bytes. */
static void s_value(buf_t *b, size_t vlen)
{
    if (vlen == 0) {
        s_byte(b, 0xC0);
        return;
    }
    unsigned char h[2] = {0xD9, (unsigned char)vlen};
    s_put(b, h, 2);
    for (size_t i = 0; i < vlen; i++)
        s_byte(b, 'v');
}

static size_t s_entry_len(size_t vlen)
{
    return 9 + (vlen ? vlen + 2 : 1);
}

/* A map of 8-byte keys that all collide in the low bits (the index size) of the unseeded
   FNV-1a the decoder used to index maps with (key i unique by its first 4 bytes). */
static void s_colliding_keys(buf_t *b, size_t frame, size_t vlen)
{
    uint32_t n = (uint32_t)((frame - 5) / s_entry_len(vlen));
    size_t cap = 64;
    while (cap < (size_t)n * 2)
        cap *= 2;
    uint64_t mask = cap - 1;
    s_head32(b, 0xDF, n);
    unsigned char key[8];
    for (uint32_t i = 0; i < n; i++) {
        uint32_t v = i;
        for (int d = 0; d < 4; d++, v /= 26)
            key[d] = (unsigned char)('a' + v % 26);
        /* the low `bits` bits of FNV-1a depend on the low bits of the state only; the last
           byte b maps state h to (h ^ b) * P, zero in the low bits iff h's low bits == b */
        while (true) {
            for (int d = 4; d < 7; d++)
                key[d] = (unsigned char)(0x21 + s_rand() % 94);
            uint64_t low = s_fnv1a(key, 7) & mask;
            if (low >= 0x21 && low <= 0x7E) {
                key[7] = (unsigned char)low;
                break;
            }
        }
        s_byte(b, 0xA8);
        s_put(b, key, 8);
        s_value(b, vlen);
    }
}

/* The same map shape with random distinct keys. */
static void s_random_keys(buf_t *b, size_t frame, size_t vlen)
{
    uint32_t n = (uint32_t)((frame - 5) / s_entry_len(vlen));
    s_head32(b, 0xDF, n);
    unsigned char key[8];
    for (uint32_t i = 0; i < n; i++) {
        uint32_t v = i;
        for (int d = 0; d < 4; d++, v /= 26)
            key[d] = (unsigned char)('a' + v % 26);
        for (int d = 4; d < 8; d++)
            key[d] = (unsigned char)(0x21 + s_rand() % 94);
        s_byte(b, 0xA8);
        s_put(b, key, 8);
        s_value(b, vlen);
    }
}

static void s_frame_colliding_nil(buf_t *b, size_t frame)
{
    s_colliding_keys(b, frame, 0);
}

static void s_frame_colliding_str40(buf_t *b, size_t frame)
{
    s_colliding_keys(b, frame, 40);
}

static void s_frame_random_nil(buf_t *b, size_t frame)
{
    s_random_keys(b, frame, 0);
}

static void s_frame_random_str40(buf_t *b, size_t frame)
{
    s_random_keys(b, frame, 40);
}

/* [{"": {}}, ...]: 3 bytes per element, two maps and a key each. */
static void s_frame_tiny_maps(buf_t *b, size_t frame)
{
    uint32_t n = (uint32_t)((frame - 5) / 3);
    s_head32(b, 0xDD, n);
    static const unsigned char tiny[3] = {0x81, 0xA0, 0x80};
    for (uint32_t i = 0; i < n; i++)
        s_put(b, tiny, 3);
}

/* [nil, nil, ...]: one byte per value. */
static void s_frame_nils(buf_t *b, size_t frame)
{
    uint32_t n = (uint32_t)(frame - 5);
    s_head32(b, 0xDD, n);
    for (uint32_t i = 0; i < n; i++)
        s_byte(b, 0xC0);
}

/* [[[[...[]...]]]] 16 deep, repeated: one byte per array. */
static void s_frame_nested(buf_t *b, size_t frame)
{
    uint32_t n = (uint32_t)((frame - 5) / 16);
    s_head32(b, 0xDD, n);
    for (uint32_t i = 0; i < n; i++) {
        for (int d = 0; d < 14; d++)
            s_byte(b, 0x91);
        s_byte(b, 0x90);
        s_byte(b, 0xC0); /* and a nil: 16 bytes, 16 values per item pair */
    }
    /* the outer array declared n items of 2 values each: make it 2n */
    uint32_t items = n * 2;
    b->data[1] = (unsigned char)(items >> 24);
    b->data[2] = (unsigned char)(items >> 16);
    b->data[3] = (unsigned char)(items >> 8);
    b->data[4] = (unsigned char)items;
}

/* A map of 1000 keys of 8 KiB each that share all but their last bytes. */
static void s_frame_long_keys(buf_t *b, size_t frame)
{
    size_t klen = 8192;
    uint32_t n = (uint32_t)((frame - 5) / (klen + 4));
    s_head32(b, 0xDF, n);
    unsigned char *key = malloc(klen);
    memset(key, 'k', klen);
    for (uint32_t i = 0; i < n; i++) {
        snprintf((char *)key + klen - 12, 12, "%011u", i);
        key[klen - 1] = 'z';
        unsigned char h[3] = {0xDA, (unsigned char)(klen >> 8), (unsigned char)klen};
        s_put(b, h, 3);
        s_put(b, key, klen);
        s_byte(b, 0xC0);
    }
    free(key);
}

/* One string filling the frame (a legitimate worst case: a huge document). */
static void s_frame_one_string(buf_t *b, size_t frame)
{
    uint32_t n = (uint32_t)(frame - 5);
    s_head32(b, 0xDB, n);
    for (uint32_t i = 0; i < n; i++)
        s_byte(b, (unsigned char)('a' + i % 26));
}

/* ---- measuring */

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long s_status_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long kb = -1;
    size_t fl = strlen(field);
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, field, fl) == 0 && line[fl] == ':') {
            kb = strtol(line + fl + 1, NULL, 10);
            break;
        }
    fclose(f);
    return kb;
}

static void s_reset_peak(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f) {
        fputs("5", f);
        fclose(f);
    }
}

static int s_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef void (*frame_fn)(buf_t *, size_t);

typedef struct {
    double seconds;
    double peak_mb; /* VmHWM after the decode - VmRSS before, in a fresh process */
    int ok;
    cw_value_decode_stats_t st;
    char err[200];
} run_t;

/* One decode in a forked child, so that the heap starts clean and the peak is its own. */
static void s_run_child(const buf_t *b, run_t *out)
{
    int fds[2];
    memset(out, 0, sizeof(*out));
    if (pipe(fds) != 0) {
        perror("pipe");
        exit(1);
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        run_t r;
        memset(&r, 0, sizeof(r));
        s_reset_peak();
        long rss0 = s_status_kb("VmRSS");
        double t0 = s_now();
        cw_value_t *v = cw_value_decode_stats(b->data, b->len, r.err, sizeof(r.err), &r.st);
        long hwm = s_status_kb("VmHWM");
        r.ok = v != NULL;
        cw_value_destroy(&v);
        r.seconds = s_now() - t0;
        r.peak_mb = (double)(hwm - rss0) / 1024.0;
        if (write(fds[1], &r, sizeof(r)) != (ssize_t)sizeof(r))
            _exit(1);
        _exit(0);
    }
    close(fds[1]);
    if (read(fds[0], out, sizeof(*out)) != (ssize_t)sizeof(*out))
        fprintf(stderr, "child failed\n");
    close(fds[0]);
    waitpid(pid, NULL, 0);
}

int main(int argc, char **argv)
{
    size_t frame = argc > 1 ? strtoul(argv[1], NULL, 10) : 8u * 1024 * 1024;
    int runs = argc > 2 ? atoi(argv[2]) : 5;
    if (runs < 1)
        runs = 1;
    if (runs > 64)
        runs = 64;
    struct {
        const char *name;
        frame_fn fn;
    } kinds[] = {
        {"colliding_keys_nil", s_frame_colliding_nil},
        {"colliding_keys_str40", s_frame_colliding_str40},
        {"random_keys_nil", s_frame_random_nil},
        {"random_keys_str40", s_frame_random_str40},
        {"tiny_maps", s_frame_tiny_maps},
        {"nils", s_frame_nils},
        {"nested_arrays", s_frame_nested},
        {"long_keys", s_frame_long_keys},
        {"one_string", s_frame_one_string},
    };
    printf("| frame | bytes | result | median s | max s | peak MB added | counted MB | "
           "budget MB |\n|---|---|---|---|---|---|---|---|\n");
    double worst_time = 0, worst_mb = 0;
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        buf_t b = {0};
        kinds[k].fn(&b, frame);
        double t[64];
        double peak_mb = 0;
        run_t r;
        for (int i = 0; i < runs; i++) {
            s_run_child(&b, &r);
            t[i] = r.seconds;
            if (r.peak_mb > peak_mb)
                peak_mb = r.peak_mb;
        }
        qsort(t, (size_t)runs, sizeof(double), s_cmp);
        printf("| %s | %zu | %s | %.3f | %.3f | %.1f | %.1f | %.1f |\n", kinds[k].name, b.len,
               r.ok ? "accepted" : "rejected", t[runs / 2], t[runs - 1], peak_mb,
               (double)r.st.memory / 1e6, (double)r.st.budget / 1e6);
        if (!r.ok)
            fprintf(stderr, "%s: %s\n", kinds[k].name, r.err);
        if (t[runs - 1] > worst_time)
            worst_time = t[runs - 1];
        if (peak_mb > worst_mb)
            worst_mb = peak_mb;
        free(b.data);
    }
    printf("\nworst: %.3f s, %.1f MB added\n", worst_time, worst_mb);
    return 0;
}
