/*  Analyzing what users point at (issue 7): a folder that is not a git repository, a
    repository another user owns (read read-only, nothing written into it), Go methods in
    the other files of their package and C++ methods in a .cpp linked to the class in its
    header, `analyze --all` (cw_analyzer_functions) and limit 0 (no limit). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cw_test_analyzer.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cw_analyzer.h"
#include "cw_config.h"
#include "cw_log.h"

#define NOW 1700000000LL
#define NOBODY_UID 65534

static char s_tmp[PATH_MAX];

static void s_write(const char *dir, const char *rel, const char *text)
{
    char path[2 * PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    assert_int_equal(test_sh("mkdir -p '%s'", path), 0);
    *slash = '/';
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* A Python function that passes every candidate filter (15+ lines, complexity 5+). */
static const char *s_py_function(int n, char *buf, size_t cap)
{
    snprintf(buf, cap,
             "def classify_%d(values, limit, scale):\n"
             "    \"\"\"Sort values into buckets.\"\"\"\n"
             "    out = {}\n"
             "    for v in values:\n"
             "        if v is None:\n"
             "            continue\n"
             "        if v > limit and scale:\n"
             "            out.setdefault('big', []).append(v * scale)\n"
             "        elif v < 0 or v == limit:\n"
             "            out.setdefault('odd', []).append(v)\n"
             "        else:\n"
             "            out.setdefault('small', []).append(v)\n"
             "    while len(out) > 3:\n"
             "        out.popitem()\n"
             "    total = sum(len(x) for x in out.values())\n"
             "    return out, total\n\n\n",
             n);
    return buf;
}

static int s_setup(void **state)
{
    (void)state;
    cw_log_set_level(CW_LOG_ERROR);
    snprintf(s_tmp, sizeof s_tmp, "/tmp/cw_reach_XXXXXX");
    if (!mkdtemp(s_tmp))
        return -1;
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    if (strncmp(s_tmp, "/tmp/cw_reach_", 14) == 0)
        test_sh("rm -rf '%s'", s_tmp);
    return 0;
}

static cw_analyzer_t *s_analyzer(cw_config_t **cfg_p, const char *data_name)
{
    cw_config_t *cfg = cw_config_new_defaults();
    assert_non_null(cfg);
    char data[PATH_MAX + 64];
    snprintf(data, sizeof data, "%s/%s", s_tmp, data_name);
    free(cfg->data_dir);
    cfg->data_dir = strdup(data);
    static const char *const every[] = {"**/*", NULL};
    test_set_list(&cfg->analyzer.include_patterns, &cfg->analyzer.include_count, every);
    cw_analyzer_t *a = cw_analyzer_new(cfg);
    assert_non_null(a);
    cw_analyzer_set_now(a, (time_t)NOW);
    *cfg_p = cfg;
    return a;
}

/* ------------------------------------------------------------------ a plain folder */

static void test_folder_without_git(void **state)
{
    (void)state;
    char dir[PATH_MAX + 32];
    snprintf(dir, sizeof dir, "%s/plain", s_tmp);
    char buf[2048];
    s_write(dir, "lib/a.py", s_py_function(1, buf, sizeof buf));
    cw_config_t *cfg;
    cw_analyzer_t *a = s_analyzer(&cfg, "data-plain");
    char err[256] = "";
    cw_value_t *arr = cw_analyzer_candidates(a, "function_doc", dir, 20, err, sizeof err);
    assert_non_null(arr);
    assert_non_null(test_find_target(arr, "lib/a.py", "classify_1"));
    /* the notes say why there are no history statistics */
    assert_non_null(strstr(cw_analyzer_notes(a), "is not in a git repository"));
    cw_value_destroy(&arr);
    /* code_evolution: nothing, and the same note */
    arr = cw_analyzer_candidates(a, "code_evolution", dir, 20, err, sizeof err);
    assert_non_null(arr);
    assert_int_equal(cw_value_size(arr), 0);
    assert_non_null(strstr(cw_analyzer_notes(a), "is not in a git repository"));
    cw_value_destroy(&arr);
    /* class_doc and file_doc read the files all the same */
    arr = cw_analyzer_candidates(a, "file_doc", dir, 20, err, sizeof err);
    assert_non_null(arr);
    cw_value_destroy(&arr);
    cw_analyzer_destroy(&a);
    cw_config_destroy(&cfg);
}

/* ------------------------------------------------------------------ another owner */

typedef struct {
    char lines[256][PATH_MAX + 96];
    size_t count;
} s_snapshot_t;

/* Every entry under dir (recursively) with its size, mode, owner and mtime. */
static void s_snapshot(const char *dir, const char *rel, s_snapshot_t *out)
{
    char path[2 * PATH_MAX];
    snprintf(path, sizeof path, "%s%s%s", dir, *rel ? "/" : "", rel);
    DIR *d = opendir(path);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char child[PATH_MAX];
        snprintf(child, sizeof child, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
        char full[2 * PATH_MAX];
        snprintf(full, sizeof full, "%s/%s", dir, child);
        struct stat st;
        assert_int_equal(lstat(full, &st), 0);
        assert_true(out->count < 256);
        snprintf(out->lines[out->count++], sizeof out->lines[0], "%s %lld %o %u %lld.%09ld", child,
                 (long long)st.st_size, (unsigned)st.st_mode, (unsigned)st.st_uid,
                 (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
        if (S_ISDIR(st.st_mode))
            s_snapshot(dir, child, out);
    }
    closedir(d);
}

static int s_line_cmp(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

static void test_repository_of_another_user(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        skip(); /* giving a repository to another user needs root */
        return;
    }
    char dir[PATH_MAX + 32];
    snprintf(dir, sizeof dir, "%s/theirs", s_tmp);
    char buf[2048];
    s_write(dir, "a.py", s_py_function(2, buf, sizeof buf));
    assert_int_equal(test_sh("cd '%s' && git init -q . && git config user.email t@example.com && "
                             "git config user.name Test && git add -A && "
                             "GIT_AUTHOR_DATE='@%lld +0000' GIT_COMMITTER_DATE='@%lld +0000' "
                             "git commit -q -m one && chown -R %d:%d '%s'",
                             dir, NOW - 3600, NOW - 3600, NOBODY_UID, NOBODY_UID, dir),
                     0);
    static s_snapshot_t before, after;
    memset(&before, 0, sizeof before);
    memset(&after, 0, sizeof after);
    s_snapshot(dir, "", &before);
    cw_config_t *cfg;
    cw_analyzer_t *a = s_analyzer(&cfg, "data-theirs");
    char err[256] = "";
    /* its history is read: the commit is a code_evolution target */
    cw_value_t *arr = cw_analyzer_candidates(a, "code_evolution", dir, 20, err, sizeof err);
    assert_non_null(arr);
    assert_int_equal(cw_value_size(arr), 1);
    assert_non_null(strstr(cw_map_str(cw_array_at(arr, 0), "name", ""), "a@"));
    assert_non_null(strstr(cw_analyzer_notes(a), "belongs to another user"));
    cw_value_destroy(&arr);
    /* and the function has history statistics (modified an hour ago: novelty counts) */
    arr = cw_analyzer_candidates(a, "function_doc", dir, 20, err, sizeof err);
    assert_non_null(arr);
    const cw_value_t *t = test_find_target(arr, "a.py", "classify_2");
    assert_non_null(t);
    double with_history = cw_map_float(t, "score", 0);
    cw_value_destroy(&arr);
    cw_analyzer_destroy(&a);
    cw_config_destroy(&cfg);
    /* the same code without history scores lower (no novelty) */
    char plain[PATH_MAX + 32];
    snprintf(plain, sizeof plain, "%s/plain2", s_tmp);
    s_write(plain, "a.py", s_py_function(2, buf, sizeof buf));
    a = s_analyzer(&cfg, "data-plain2");
    arr = cw_analyzer_candidates(a, "function_doc", plain, 20, err, sizeof err);
    assert_non_null(arr);
    t = test_find_target(arr, "a.py", "classify_2");
    assert_non_null(t);
    assert_true(with_history > cw_map_float(t, "score", 0));
    cw_value_destroy(&arr);
    cw_analyzer_destroy(&a);
    cw_config_destroy(&cfg);
    /* nothing in the repository changed: no file added, removed, modified or re-owned */
    s_snapshot(dir, "", &after);
    assert_int_equal(after.count, before.count);
    qsort(before.lines, before.count, sizeof before.lines[0], s_line_cmp);
    qsort(after.lines, after.count, sizeof after.lines[0], s_line_cmp);
    for (size_t i = 0; i < before.count; i++)
        assert_string_equal(after.lines[i], before.lines[i]);
}

/* ------------------------------------------------------------------ across files */

static const char s_go_struct[] = "package shelf\n\n"
                                  "// Stack holds ints up to a limit.\n"
                                  "type Stack struct {\n"
                                  "\titems []int\n"
                                  "\tlimit int\n"
                                  "}\n";
static const char s_go_methods[] = "package shelf\n\n"
                                   "// Push adds v when there is room.\n"
                                   "func (s *Stack) Push(v int) bool {\n"
                                   "\tif len(s.items) >= s.limit {\n"
                                   "\t\treturn false\n"
                                   "\t}\n"
                                   "\ts.items = append(s.items, v)\n"
                                   "\treturn true\n"
                                   "}\n\n"
                                   "// Pop removes the top.\n"
                                   "func (s *Stack) Pop() (int, bool) {\n"
                                   "\tif len(s.items) == 0 || s.limit == 0 {\n"
                                   "\t\treturn 0, false\n"
                                   "\t}\n"
                                   "\tv := s.items[len(s.items)-1]\n"
                                   "\ts.items = s.items[:len(s.items)-1]\n"
                                   "\treturn v, true\n"
                                   "}\n";
/* another package in the same directory tree: its Stack is another type */
static const char s_go_other[] = "package other\n\n"
                                 "func (s *Stack) Peek() int {\n"
                                 "\tif s == nil {\n"
                                 "\t\treturn 0\n"
                                 "\t}\n"
                                 "\treturn 1\n"
                                 "}\n";

/* The target's members list a method `name` defined in `file` (another file; NULL: a
   member of that name, wherever it is defined). */
static bool test_has_member(const cw_value_t *t, const char *name, const char *file)
{
    const cw_value_t *members = cw_map_get(t, "members");
    for (size_t i = 0; i < cw_value_size(members); i++) {
        const cw_value_t *m = cw_array_at(members, i);
        if (strcmp(cw_map_str(m, "name", ""), name) == 0 &&
            (!file || strcmp(cw_map_str(m, "file", ""), file) == 0))
            return true;
    }
    return false;
}

static void test_go_methods_across_files(void **state)
{
    (void)state;
    char dir[PATH_MAX + 32];
    snprintf(dir, sizeof dir, "%s/gorepo", s_tmp);
    s_write(dir, "shelf/stack.go", s_go_struct);
    s_write(dir, "shelf/ops.go", s_go_methods);
    s_write(dir, "shelf/other/peek.go", s_go_other);
    cw_config_t *cfg;
    cw_analyzer_t *a = s_analyzer(&cfg, "data-go");
    char err[256] = "";
    cw_value_t *arr = cw_analyzer_candidates(a, "class_doc", dir, 20, err, sizeof err);
    assert_non_null(arr);
    const cw_value_t *t = test_find_target(arr, "shelf/stack.go", "Stack");
    assert_non_null(t);
    /* the struct, then its two methods from ops.go; Peek (another package) is not its */
    const char *src = cw_map_str(t, "source", "");
    assert_non_null(strstr(src, "type Stack struct {"));
    assert_non_null(strstr(src, "func (s *Stack) Push(v int) bool {"));
    assert_non_null(strstr(src, "func (s *Stack) Pop() (int, bool) {"));
    assert_true(strstr(src, "Push") < strstr(src, "Pop()"));
    assert_null(strstr(src, "Peek"));
    /* complexity: Push 2 + Pop 3 */
    assert_int_equal((int)cw_map_float(t, "complexity", 0), 5);
    assert_true(test_has_member(t, "Push", "shelf/ops.go"));
    assert_true(test_has_member(t, "Pop", "shelf/ops.go"));
    cw_value_destroy(&arr);
    cw_analyzer_destroy(&a);
    cw_config_destroy(&cfg);
}

static const char s_cpp_header[] = "#pragma once\n"
                                   "#include <string>\n\n"
                                   "// Counter adds numbers up to a cap.\n"
                                   "class Counter {\n"
                                   "public:\n"
                                   "    explicit Counter(int start);\n"
                                   "    void add(int n);\n"
                                   "    int value() const;\n\n"
                                   "private:\n"
                                   "    int total_;\n"
                                   "};\n";
static const char s_cpp_source[] = "#include \"include/counter.h\"\n\n"
                                   "Counter::Counter(int start) : total_(start) {}\n\n"
                                   "void Counter::add(int n)\n"
                                   "{\n"
                                   "    if (n > 0 && total_ < 1000)\n"
                                   "        total_ += n;\n"
                                   "    else if (n < 0)\n"
                                   "        total_ -= 1;\n"
                                   "}\n\n"
                                   "int Counter::value() const\n"
                                   "{\n"
                                   "    return total_ > 0 ? total_ : 0;\n"
                                   "}\n";
/* the same directory as a header declaring another class of that name: the include wins */
static const char s_cpp_decoy[] = "class Counter {\n"
                                  "public:\n"
                                  "    int x;\n"
                                  "};\n";

static void test_cpp_methods_in_source_file(void **state)
{
    (void)state;
    char dir[PATH_MAX + 32];
    snprintf(dir, sizeof dir, "%s/cpprepo", s_tmp);
    s_write(dir, "src/include/counter.h", s_cpp_header);
    s_write(dir, "src/counter.cpp", s_cpp_source);
    s_write(dir, "src/decoy.h", s_cpp_decoy);
    cw_config_t *cfg;
    cw_analyzer_t *a = s_analyzer(&cfg, "data-cpp");
    char err[256] = "";
    cw_value_t *arr = cw_analyzer_candidates(a, "class_doc", dir, 20, err, sizeof err);
    assert_non_null(arr);
    const cw_value_t *t = test_find_target(arr, "src/include/counter.h", "Counter");
    assert_non_null(t);
    /* a .h holding C++ is read as C++ */
    assert_string_equal(cw_map_str(t, "language", ""), "cpp");
    const char *src = cw_map_str(t, "source", "");
    assert_non_null(strstr(src, "class Counter {"));
    assert_non_null(strstr(src, "void Counter::add(int n)"));
    assert_non_null(strstr(src, "int Counter::value() const"));
    /* complexity: the constructor 1 + add 4 + value 2 */
    assert_int_equal((int)cw_map_float(t, "complexity", 0), 7);
    /* add is declared in the class: one member, defined in the source file */
    assert_true(test_has_member(t, "add", NULL));
    /* the decoy keeps only its own text */
    const cw_value_t *d = test_find_target(arr, "src/decoy.h", "Counter");
    if (d)
        assert_null(strstr(cw_map_str(d, "source", ""), "Counter::add"));
    cw_value_destroy(&arr);
    /* without the include, the header of the same directory is the class's */
    char dir2[PATH_MAX + 32];
    snprintf(dir2, sizeof dir2, "%s/cpprepo2", s_tmp);
    s_write(dir2, "counter.hpp", s_cpp_header);
    s_write(dir2, "counter.cc", strchr(s_cpp_source, '\n') + 1);
    arr = cw_analyzer_candidates(a, "class_doc", dir2, 20, err, sizeof err);
    assert_non_null(arr);
    t = test_find_target(arr, "counter.hpp", "Counter");
    assert_non_null(t);
    assert_non_null(strstr(cw_map_str(t, "source", ""), "void Counter::add(int n)"));
    cw_value_destroy(&arr);
    cw_analyzer_destroy(&a);
    cw_config_destroy(&cfg);
}

/* ------------------------------------------------------------------ --all and no limit */

typedef struct {
    int count;
    int stop_after;
    bool saw_small;
    bool saw_private;
    int last_line;
    bool ordered;
} s_listing_t;

static int s_list_cb(const cw_value_t *fn, void *arg)
{
    s_listing_t *l = arg;
    l->count++;
    const char *name = cw_map_str(fn, "name", "");
    if (strcmp(name, "tiny") == 0) {
        l->saw_small = true;
        assert_int_equal(cw_map_int(fn, "complexity", 0), 1);
        assert_int_equal(cw_map_int(fn, "nloc", 0), 2);
        assert_int_equal(cw_map_int(fn, "params", -1), 0);
        assert_string_equal(cw_map_str(fn, "language", ""), "python");
        assert_non_null(cw_map_get(fn, "tokens"));
        assert_non_null(cw_map_get(fn, "nesting"));
        assert_non_null(cw_map_get(fn, "score"));
    }
    if (strcmp(name, "__init__") == 0)
        l->saw_private = true;
    if (strcmp(cw_map_str(fn, "file", ""), "many.py") == 0) {
        int line = (int)cw_map_int(fn, "start_line", 0);
        if (line <= l->last_line)
            l->ordered = false;
        l->last_line = line;
    }
    return l->stop_after && l->count >= l->stop_after;
}

static void test_all_functions_and_no_limit(void **state)
{
    (void)state;
    char dir[PATH_MAX + 32];
    snprintf(dir, sizeof dir, "%s/many", s_tmp);
    /* 25 functions that pass every filter, plus some that no candidate list shows */
    size_t cap = 64 * 1024, used = 0;
    char *text = calloc(1, cap);
    char buf[2048];
    for (int i = 0; i < 25; i++)
        used += (size_t)snprintf(text + used, cap - used, "%s", s_py_function(i, buf, sizeof buf));
    snprintf(text + used, cap - used,
             "def tiny():\n    return 1\n\n\nclass Box:\n    def __init__(self):\n"
             "        self.x = 1\n");
    s_write(dir, "many.py", text);
    free(text);
    cw_config_t *cfg;
    cw_analyzer_t *a = s_analyzer(&cfg, "data-many");
    char err[256] = "";
    /* limit 0: all 25 candidates, not the default 20 */
    cw_value_t *arr = cw_analyzer_candidates(a, "function_doc", dir, 0, err, sizeof err);
    assert_non_null(arr);
    assert_int_equal(cw_value_size(arr), 25);
    cw_value_destroy(&arr);
    arr = cw_analyzer_candidates(a, "function_doc", dir, 20, err, sizeof err);
    assert_non_null(arr);
    assert_int_equal(cw_value_size(arr), 20);
    cw_value_destroy(&arr);
    /* every function, in line order, with its metrics: the filtered ones too */
    s_listing_t l = {.ordered = true};
    long n = cw_analyzer_functions(a, dir, s_list_cb, &l, err, sizeof err);
    assert_int_equal(n, 27);
    assert_int_equal(l.count, 27);
    assert_true(l.saw_small);
    assert_true(l.saw_private);
    assert_true(l.ordered);
    /* the callback can stop the listing */
    s_listing_t stop = {.ordered = true, .stop_after = 3};
    cw_analyzer_functions(a, dir, s_list_cb, &stop, err, sizeof err);
    assert_int_equal(stop.count, 3);
    /* an unknown repository is an error */
    assert_int_equal(cw_analyzer_functions(a, "/nonexistent/cw", s_list_cb, &l, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "unknown repository"));
    cw_analyzer_destroy(&a);
    cw_config_destroy(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_folder_without_git),
        cmocka_unit_test(test_repository_of_another_user),
        cmocka_unit_test(test_go_methods_across_files),
        cmocka_unit_test(test_cpp_methods_in_source_file),
        cmocka_unit_test(test_all_functions_and_no_limit),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
