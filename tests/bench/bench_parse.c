/*  bench_parse — the floor: bare single-threaded tree-sitter parsing of a list of files.
    Reads every file first (not timed), then parses each once with one TSParser and prints
    the parse time. Usage: bench_parse FILE_LIST [RUNS]  (one path per line; the language
    from the extension, as the analyzer picks it). Prints the median of RUNS passes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <tree_sitter/api.h>

const TSLanguage *tree_sitter_python(void);
const TSLanguage *tree_sitter_javascript(void);
const TSLanguage *tree_sitter_typescript(void);
const TSLanguage *tree_sitter_tsx(void);
const TSLanguage *tree_sitter_go(void);
const TSLanguage *tree_sitter_rust(void);
const TSLanguage *tree_sitter_c(void);
const TSLanguage *tree_sitter_cpp(void);

static const TSLanguage *s_lang(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (!dot)
        return NULL;
    static const struct {
        const char *ext;
        const TSLanguage *(*fn)(void);
    } map[] = {{".py", tree_sitter_python},
               {".js", tree_sitter_javascript},
               {".jsx", tree_sitter_javascript},
               {".ts", tree_sitter_typescript},
               {".tsx", tree_sitter_tsx},
               {".go", tree_sitter_go},
               {".rs", tree_sitter_rust},
               {".c", tree_sitter_c},
               {".h", tree_sitter_c},
               {".cc", tree_sitter_cpp},
               {".cpp", tree_sitter_cpp},
               {".hpp", tree_sitter_cpp}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(dot, map[i].ext) == 0)
            return map[i].fn();
    return NULL;
}

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int s_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_parse FILE_LIST [RUNS]\n");
        return 2;
    }
    int runs = argc > 2 ? atoi(argv[2]) : 5;
    if (runs < 1)
        runs = 1;
    FILE *list = fopen(argv[1], "r");
    if (!list)
        return 2;
    size_t n = 0, cap = 0, bytes = 0;
    char **texts = NULL;
    size_t *lens = NULL;
    const TSLanguage **langs = NULL;
    char line[4096];
    while (fgets(line, sizeof line, list)) {
        line[strcspn(line, "\n")] = '\0';
        const TSLanguage *lang = s_lang(line);
        FILE *f = lang ? fopen(line, "rb") : NULL;
        if (!f)
            continue;
        fseek(f, 0, SEEK_END);
        long len = ftell(f);
        fseek(f, 0, SEEK_SET);
        char *text = malloc((size_t)len + 1);
        if (!text || fread(text, 1, (size_t)len, f) != (size_t)len) {
            fclose(f);
            free(text);
            continue;
        }
        fclose(f);
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            texts = realloc(texts, cap * sizeof *texts);
            lens = realloc(lens, cap * sizeof *lens);
            langs = realloc(langs, cap * sizeof *langs);
        }
        texts[n] = text;
        lens[n] = (size_t)len;
        langs[n] = lang;
        bytes += (size_t)len;
        n++;
    }
    fclose(list);
    TSParser *parser = ts_parser_new();
    double *times = calloc((size_t)runs, sizeof *times);
    for (int r = 0; r < runs; r++) {
        double t0 = s_now();
        for (size_t i = 0; i < n; i++) {
            ts_parser_set_language(parser, langs[i]);
            TSTree *tree = ts_parser_parse_string(parser, NULL, texts[i], (uint32_t)lens[i]);
            ts_tree_delete(tree);
        }
        times[r] = s_now() - t0;
    }
    qsort(times, (size_t)runs, sizeof *times, s_cmp);
    printf("files %zu bytes %zu runs %d median_s %.4f min_s %.4f max_s %.4f\n", n, bytes, runs,
           times[runs / 2], times[0], times[runs - 1]);
    ts_parser_delete(parser);
    for (size_t i = 0; i < n; i++)
        free(texts[i]);
    free(texts);
    free(lens);
    free(langs);
    free(times);
    return 0;
}
