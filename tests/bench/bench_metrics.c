/*  bench_metrics — every function the analyzer extracts, with its metrics, as TSV.
    For the lizard agreement benchmark (tests/bench/lizard_agreement.sh): unlike
    `codeworm analyze`, nothing is filtered (no score, size or name filter).
    Usage: bench_metrics ROOT FILE_LIST   (FILE_LIST: one path per line, absolute or
    relative to ROOT; the language from the extension, as the analyzer picks it).
    Prints one line per function:
      file lang name class start_line fn_line name_line end_line ccn nloc tokens params nesting
    file is relative to ROOT; start_line includes decorators/attributes; fn_line is the
    line where the function node starts; name_line the line of its name (C/C++: the
    declarator's name, where lizard starts the function); class is "-" when none. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tree_sitter/api.h>

#include "cw_extract.h"
#include "cw_lang.h"

#define MAX_FILE (1024 * 1024)

static char *s_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(MAX_FILE + 1);
    size_t n = buf ? fread(buf, 1, MAX_FILE + 1, f) : 0;
    fclose(f);
    if (!buf || n > MAX_FILE) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* No tabs or newlines in a TSV field. */
static void s_field(const char *s)
{
    if (!s || !*s) {
        fputs("-", stdout);
        return;
    }
    for (; *s; s++)
        putchar((*s == '\t' || *s == '\n' || *s == '\r') ? ' ' : *s);
}

/* The line of the function's name, where lizard starts counting (C/C++ declarator name;
   otherwise the node's "name" field, or the node's own start). */
static int s_name_line(const cw_function_t *f)
{
    TSNode n = cw_x_field(f->node, "name");
    TSNode d = cw_x_field(f->node, "declarator");
    for (int guard = 0; guard < 16 && ts_node_is_null(n) && !ts_node_is_null(d); guard++) {
        if (strcmp(ts_node_type(d), "function_declarator") == 0) {
            n = cw_x_field(d, "declarator");
            break;
        }
        TSNode next = cw_x_field(d, "declarator");
        if (ts_node_is_null(next))
            next = ts_node_named_child(d, 0);
        d = next;
    }
    if (ts_node_is_null(n))
        n = f->node;
    return (int)ts_node_start_point(n).row + 1;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_metrics ROOT FILE_LIST\n");
        return 2;
    }
    const char *root = argv[1];
    size_t rootlen = strlen(root);
    FILE *list = fopen(argv[2], "r");
    if (!list)
        return 2;
    TSParser *parser = ts_parser_new();
    char line[4096], path[8192];
    int files = 0, functions = 0;
    while (fgets(line, sizeof line, list)) {
        line[strcspn(line, "\n")] = '\0';
        if (!*line)
            continue;
        if (line[0] == '/')
            snprintf(path, sizeof path, "%s", line);
        else
            snprintf(path, sizeof path, "%s/%s", root, line);
        const char *rel = path;
        if (strncmp(path, root, rootlen) == 0 && path[rootlen] == '/')
            rel = path + rootlen + 1;
        const cw_lang_t *lang = cw_lang_for_path(path);
        if (!lang)
            continue;
        size_t len = 0;
        char *src = s_read(path, &len);
        if (!src)
            continue;
        TSTree *tree = cw_extract_parse(parser, lang, src, len);
        cw_function_list_t fns = {0};
        if (tree && cw_extract_functions(lang, tree, src, len, &fns) == 0) {
            files++;
            for (size_t i = 0; i < fns.count; i++) {
                const cw_function_t *f = &fns.items[i];
                const cw_metrics_t *m = &f->metrics;
                printf("%s\t%s\t", rel, lang->name);
                s_field(f->name);
                putchar('\t');
                s_field(f->class_name);
                printf("\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n", f->start_line,
                       (int)ts_node_start_point(f->node).row + 1, s_name_line(f), f->end_line,
                       m->ccn, m->nloc, m->tokens, m->params, m->nesting);
                functions++;
            }
        }
        cw_function_list_free(&fns);
        if (tree)
            ts_tree_delete(tree);
        free(src);
    }
    fclose(list);
    ts_parser_delete(parser);
    fprintf(stderr, "bench_metrics: %d files, %d functions\n", files, functions);
    return 0;
}
