/*  Helpers shared by the analyzer tests (test_analyzer*.c): a shell runner, config list
    setting, target lookup, file reading and line counting. Include after cmocka.h. */
#ifndef CW_TEST_ANALYZER_H
#define CW_TEST_ANALYZER_H

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cw_scan.h"
#include "cw_value.h"

/* Run a shell command built from a format; returns system()'s status. */
static int test_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2), unused));
static int test_sh(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return system(cmd);
}

/* Replace a config string list with the NULL-terminated `items`. */
static inline void test_set_list(char ***list, size_t *count, const char *const *items)
{
    for (size_t i = 0; i < *count; i++)
        free((*list)[i]);
    free(*list);
    size_t n = 0;
    while (items[n])
        n++;
    *list = calloc(n, sizeof **list);
    assert_non_null(*list);
    for (size_t i = 0; i < n; i++)
        (*list)[i] = strdup(items[i]);
    *count = n;
}

/* The first target of `arr` with this file (NULL: any) and name (NULL: any). */
static inline const cw_value_t *test_find_target(const cw_value_t *arr, const char *file,
                                                 const char *name)
{
    for (size_t i = 0; i < cw_value_size(arr); i++) {
        const cw_value_t *t = cw_array_at(arr, i);
        if ((!file || strcmp(cw_map_str(t, "file", ""), file) == 0) &&
            (!name || strcmp(cw_map_str(t, "name", ""), name) == 0))
            return t;
    }
    return NULL;
}

/* dir/rel read as the analyzer reads it; fails the test when it cannot be read. */
static inline char *test_read(const char *dir, const char *rel, size_t *len)
{
    char path[2 * PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    cw_read_status_t st;
    char *s = cw_scan_read(path, len, &st);
    if (!s)
        fail_msg("cannot read %s", path);
    return s;
}

/* Lines of s[0..len), a last line without newline included. */
static inline int test_lines(const char *s, size_t len)
{
    int n = 0;
    for (size_t i = 0; i < len; i++)
        n += s[i] == '\n';
    return n + (len && s[len - 1] != '\n');
}

#endif
