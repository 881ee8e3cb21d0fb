/*  test_devlog — the DevLog repository: rendering, naming, layout, commits, pushes.
    Real temporary directories, real git through libgit2, checked with the git CLI. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cw_devlog.h"
#include "cw_log.h"
#include "cw_value.h"

/* ------------------------------------------------------------------ helpers */

static char s_tmp[64];

static int s_setup(void **state)
{
    snprintf(s_tmp, sizeof s_tmp, "/tmp/cw-test-devlog-XXXXXX");
    assert_non_null(mkdtemp(s_tmp));
    return 0;
}

static int s_teardown(void **state)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_tmp);
    assert_int_equal(system(cmd), 0);
    return 0;
}

/* run a shell command, return its stdout (trailing newline stripped); malloc'd */
static char *s_run(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 4096, len = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    size_t n;
    while ((n = fread(out + len, 1, cap - len - 1, p)) > 0) {
        len += n;
        if (len + 1 >= cap) {
            cap *= 2;
            out = realloc(out, cap);
            assert_non_null(out);
        }
    }
    out[len] = '\0';
    pclose(p);
    while (len > 0 && out[len - 1] == '\n')
        out[--len] = '\0';
    return out;
}

static char *s_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static bool s_exists(const char *fmt, ...)
{
    char path[PATH_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(path, sizeof path, fmt, ap);
    va_end(ap);
    struct stat st;
    return stat(path, &st) == 0;
}

static cw_value_t *s_target(const char *doc_type, const char *name, const char *cls,
                            const char *source)
{
    cw_value_t *t = cw_value_new_map();
    cw_map_set_str(t, "doc_type", doc_type);
    cw_map_set_str(t, "repo", "CodeWorm");
    cw_map_set_str(t, "file", "codeworm/daemon.py");
    cw_map_set_str(t, "language", "python");
    cw_map_set_str(t, "name", name);
    if (cls)
        cw_map_set_str(t, "class", cls);
    cw_map_set_int(t, "start_line", 10);
    cw_map_set_int(t, "end_line", 25);
    cw_map_set_float(t, "complexity", 7.0);
    cw_map_set_float(t, "score", 55.0);
    cw_map_set_str(t, "source", source);
    cw_map_set_str(t, "code_hash", "ab12");
    return t;
}

/* 2026-02-28 07:42 in UTC (the tests run with TZ=UTC) */
static time_t s_fixed_now(void)
{
    struct tm tm = {0};
    tm.tm_year = 2026 - 1900;
    tm.tm_mon = 1;
    tm.tm_mday = 28;
    tm.tm_hour = 7;
    tm.tm_min = 42;
    tm.tm_sec = 13;
    tm.tm_isdst = 0;
    return timegm(&tm);
}

/* ------------------------------------------------------------------ pure helpers */

static void test_labels_and_folders(void **state)
{
    static const char *types[][3] = {
        {"function_doc", "snippets/python", "Documentation"},
        {"class_doc", "classes", "Class Documentation"},
        {"file_doc", "files", "File Overview"},
        {"module_doc", "modules", "Module Overview"},
        {"security_review", "reviews/security", "Security Review"},
        {"performance_analysis", "reviews/performance", "Performance Analysis"},
        {"til", "til", "Today I Learned"},
        {"code_evolution", "evolution", "Code Evolution"},
        {"pattern_analysis", "patterns", "Pattern Analysis"},
        {"weekly_summary", "analysis/weekly", "Weekly Summary"},
        {"monthly_summary", "analysis/monthly", "Monthly Summary"},
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        char *folder = cw_devlog_folder(types[i][0], "python");
        assert_string_equal(folder, types[i][1]);
        free(folder);
        assert_string_equal(cw_devlog_label(types[i][0]), types[i][2]);
    }
    assert_null(cw_devlog_label("nonsense"));
    assert_null(cw_devlog_folder("nonsense", "python"));
    char *f = cw_devlog_folder("function_doc", "../../etc");
    assert_string_equal(f, "snippets/etc");
    free(f);
    f = cw_devlog_folder("function_doc", "");
    assert_string_equal(f, "snippets/unknown");
    free(f);
    f = cw_devlog_folder("function_doc", "TypeScript");
    assert_string_equal(f, "snippets/typescript");
    free(f);
}

static void s_check_display(const char *name, const char *cls, const char *file,
                            const char *expected)
{
    cw_value_t *t = cw_value_new_map();
    cw_map_set_str(t, "name", name);
    if (cls)
        cw_map_set_str(t, "class", cls);
    cw_map_set_str(t, "file", file);
    char *d = cw_devlog_display_name(t);
    assert_string_equal(d, expected);
    free(d);
    cw_value_destroy(&t);
}

static void test_display_name(void **state)
{
    s_check_display("get_wait", "CycleStats", "a/b.py", "CycleStats.get_wait");
    s_check_display("get_wait", NULL, "a/b.py", "get_wait");
    s_check_display("", "CycleStats", "a/b.py", "CycleStats");
    s_check_display("", NULL, "codeworm/daemon.py", "daemon");
    s_check_display("", NULL, "x/archive.tar.gz", "archive.tar");
    s_check_display("", NULL, "conf/.bashrc", ".bashrc");
    s_check_display("", NULL, "Makefile", "Makefile");
}

static void s_check_slug(const char *name, const char *expected)
{
    char *s = cw_devlog_slug(name);
    assert_string_equal(s, expected);
    free(s);
}

static void test_slug(void **state)
{
    s_check_slug("CycleStats.get_wait", "cyclestats-get-wait");
    s_check_slug("__init__", "init");
    s_check_slug("  --Hello, World!!--  ", "hello-world");
    s_check_slug("HTTPServer2", "httpserver2");
    /* longer than 40: cut at the last '-' within the first 40 */
    s_check_slug("this_is_a_very_long_function_name_that_goes_on_forever",
                 "this-is-a-very-long-function-name-that");
    /* no '-' in the first 40: hard cut */
    s_check_slug("abcdefghijabcdefghijabcdefghijabcdefghijabcdefghij",
                 "abcdefghijabcdefghijabcdefghijabcdefghij");
    /* exactly 40: untouched */
    s_check_slug("abcdefghij-bcdefghij-bcdefghij-bcdefghij",
                 "abcdefghij-bcdefghij-bcdefghij-bcdefghij");
    /* the 40th character is '-': cut just before it */
    s_check_slug("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-bbb",
                 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    /* unicode: every run of non [a-z0-9] becomes one '-' */
    s_check_slug("Gr\xc3\xb6\xc3\x9f"
                 "e_berechnen",
                 "gr-e-berechnen");
    s_check_slug("\xe5\x87\xbd\xe6\x95\xb0", "untitled");
    s_check_slug("", "untitled");
    s_check_slug("\xe2\x84\xaa"
                 "elvin",
                 "kelvin"); /* KELVIN SIGN lower-cases to k */
    s_check_slug("Class.method", "class-method");
}

static void test_format_float(void **state)
{
    char buf[64];
    struct {
        double v;
        const char *s;
    } cases[] = {{7.0, "7.0"},
                 {12.5, "12.5"},
                 {0.0, "0.0"},
                 {0.1, "0.1"},
                 {100.0, "100.0"},
                 {-2.5, "-2.5"},
                 {1.0 / 3.0, "0.3333333333333333"},
                 {2.675, "2.675"},
                 {1e16, "1e+16"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cw_devlog_format_float(cases[i].v, buf, sizeof buf);
        assert_string_equal(buf, cases[i].s);
    }
}

static void test_clean_commit_message(void **state)
{
    struct {
        const char *in, *out;
    } cases[] = {
        {"  Document the retry loop  ", "Document the retry loop"},
        {"\"Explain CycleStats backoff\"", "Explain CycleStats backoff"},
        {"Commit message: Add notes on parser", "Add notes on parser"},
        {"MESSAGE: Describe the scheduler", "Describe the scheduler"},
        {"Describe the cache\nSecond line with chatter", "Describe the cache"},
        {"", "Document CycleStats.get_wait"},
        {"Document an extraordinarily long function name that never seems to stop at all really",
         "Document an extraordinarily long function name that never seems to st..."},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *m = cw_devlog_clean_commit_message(cases[i].in, "CycleStats.get_wait");
        assert_string_equal(m, cases[i].out);
        assert_true(strlen(m) <= 72);
        free(m);
    }
}

/* ------------------------------------------------------------------ rendering */

static void test_render_exact(void **state)
{
    cw_value_t *t =
        s_target("function_doc", "get_wait", "CycleStats", "def get_wait(self):\n    return 1");
    char *doc = cw_devlog_render(t, "  Waits a while.\n\n- point one\n", s_fixed_now());
    const char *expected = "# CycleStats.get_wait\n"
                           "\n"
                           "**Type:** Documentation\n"
                           "**Repository:** CodeWorm\n"
                           "**File:** codeworm/daemon.py\n"
                           "**Language:** python\n"
                           "**Lines:** 10-25\n"
                           "**Complexity:** 7.0\n"
                           "\n"
                           "---\n"
                           "\n"
                           "## Source Code\n"
                           "\n"
                           "```python\n"
                           "def get_wait(self):\n"
                           "    return 1\n"
                           "```\n"
                           "\n"
                           "---\n"
                           "\n"
                           "## Documentation\n"
                           "\n"
                           "Waits a while.\n"
                           "\n"
                           "- point one\n"
                           "\n"
                           "---\n"
                           "\n"
                           "*Generated by CodeWorm on 2026-02-28 07:42*\n";
    assert_string_equal(doc, expected);
    free(doc);
    /* 12.5 complexity */
    cw_map_set_float(t, "complexity", 12.5);
    doc = cw_devlog_render(t, "x", s_fixed_now());
    assert_non_null(strstr(doc, "\n**Complexity:** 12.5\n"));
    free(doc);
    cw_value_destroy(&t);
}

static void test_render_labels(void **state)
{
    static const char *types[] = {"function_doc",
                                  "class_doc",
                                  "file_doc",
                                  "module_doc",
                                  "security_review",
                                  "performance_analysis",
                                  "til",
                                  "code_evolution",
                                  "pattern_analysis",
                                  "weekly_summary",
                                  "monthly_summary"};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        cw_value_t *t = s_target(types[i], "f", NULL, "src");
        char *doc = cw_devlog_render(t, "body", s_fixed_now());
        char want[128];
        snprintf(want, sizeof want, "\n**Type:** %s\n", cw_devlog_label(types[i]));
        assert_non_null(strstr(doc, want));
        snprintf(want, sizeof want, "```\n\n---\n\n## %s\n\nbody\n\n---\n",
                 cw_devlog_label(types[i]));
        assert_non_null(strstr(doc, want));
        free(doc);
        cw_value_destroy(&t);
    }
    cw_value_t *t = s_target("bogus", "f", NULL, "src");
    assert_null(cw_devlog_render(t, "body", s_fixed_now()));
    cw_value_destroy(&t);
}

static void test_render_cut_3000(void **state)
{
    /* 2999 ASCII characters, then a 2-byte character as the 3000th, then more */
    char *src = malloc(4000);
    memset(src, 'a', 2999);
    memcpy(src + 2999,
           "\xc3\xa9"
           "bcd",
           6); /* "é" + "bcd" + NUL */
    cw_value_t *t = s_target("function_doc", "f", NULL, src);
    char *doc = cw_devlog_render(t, "d", s_fixed_now());
    const char *start = strstr(doc, "```python\n") + strlen("```python\n");
    const char *end = strstr(start, "\n```\n");
    assert_non_null(end);
    assert_int_equal(end - start, 3001); /* 2999 bytes + 2-byte é */
    assert_memory_equal(end - 2, "\xc3\xa9", 2);
    free(doc);
    cw_value_destroy(&t);

    /* a 3-byte character straddling the cut is never split */
    memset(src, 'a', 2999);
    memcpy(src + 2999,
           "\xe2\x92\xb8"
           "z",
           5);
    t = s_target("function_doc", "f", NULL, src);
    doc = cw_devlog_render(t, "d", s_fixed_now());
    start = strstr(doc, "```python\n") + strlen("```python\n");
    end = strstr(start, "\n```\n");
    assert_int_equal(end - start, 3002);
    free(doc);
    cw_value_destroy(&t);

    /* exactly 3000 characters: kept whole */
    memset(src, 'q', 3000);
    src[3000] = '\0';
    t = s_target("function_doc", "f", NULL, src);
    doc = cw_devlog_render(t, "d", s_fixed_now());
    start = strstr(doc, "```python\n") + strlen("```python\n");
    end = strstr(start, "\n```\n");
    assert_int_equal(end - start, 3000);
    free(doc);
    cw_value_destroy(&t);
    free(src);
}

/* The reference's own document (shared/reference/000_c81026ba4fba3cb1.txt), reproduced
   byte for byte. Its source shows "Ⓒ" double-encoded ("â’¸", 3 characters); the
   reference cut the original text (where it was 1 character) at 3000 characters. */
static const char s_reference_doc[] =
    "# daemon\n"
    "\n"
    "**Type:** File Overview\n"
    "**Repository:** CodeWorm\n"
    "**File:** codeworm/daemon.py\n"
    "**Language:** python\n"
    "**Lines:** 1-753\n"
    "**Complexity:** 0.0\n"
    "\n"
    "---\n"
    "\n"
    "## Source Code\n"
    "\n"
    "```python\n"
    "\"\"\"\n"
    "\xc3"
    "\xa2"
    "\xe2"
    "\x80"
    "\x99"
    "\xc2"
    "\xb8"
    "AngelaMos | 2026\n"
    "daemon.py\n"
    "\"\"\"\n"
    "from __future__ import annotations\n"
    "\n"
    "import asyncio\n"
    "import signal\n"
    "import sys\n"
    "from dataclasses import dataclass, field\n"
    "from datetime import datetime, timedelta\n"
    "from pathlib import Path\n"
    "from typing import TYPE_CHECKING\n"
    "\n"
    "from codeworm.analysis import (\n"
    "    CodeAnalyzer,\n"
    "    ParserManager,\n"
    "    TargetRouter,\n"
    ")\n"
    "from codeworm.analysis.targets import DocumentationTarget, select_doc_type\n"
    "from codeworm.core import (\n"
    "    CodeWormSettings,\n"
    "    StateManager,\n"
    "    configure_logging,\n"
    "    get_logger,\n"
    "    load_settings,\n"
    ")\n"
    "from codeworm.core.events import get_publisher\n"
    "from codeworm.core.notifier import CodeWormNotifier\n"
    "from codeworm.git import DevLogRepository\n"
    "from codeworm.llm import (\n"
    "    DocumentationGenerator,\n"
    "    OllamaClient,\n"
    "    OllamaError,\n"
    ")\n"
    "from codeworm.models import DocType\n"
    "from codeworm.scheduler import CodeWormScheduler\n"
    "\n"
    "if TYPE_CHECKING:\n"
    "    from codeworm.analysis import AnalysisCandidate\n"
    "\n"
    "\n"
    "@dataclass\n"
    "class CycleStats:\n"
    "    \"\"\"\n"
    "    Tracks cycle statistics for monitoring and backoff logic\n"
    "    \"\"\"\n"
    "    total_cycles: int = 0\n"
    "    successful_cycles: int = 0\n"
    "    failed_cycles: int = 0\n"
    "    skipped_cycles: int = 0\n"
    "    consecutive_failures: int = 0\n"
    "    consecutive_ollama_failures: int = 0\n"
    "    consecutive_push_failures: int = 0\n"
    "    last_success: datetime | None = None\n"
    "    last_failure: datetime | None = None\n"
    "    last_failure_reason: str = \"\"\n"
    "    repos_exhausted: set = field(default_factory = set)\n"
    "\n"
    "    @property\n"
    "    def success_rate(self) -> float:\n"
    "        if self.total_cycles == 0:\n"
    "            return 0.0\n"
    "        return self.successful_cycles / self.total_cycles * 100\n"
    "\n"
    "    def record_success(self) -> None:\n"
    "        self.total_cycles += 1\n"
    "        self.successful_cycles += 1\n"
    "        self.consecutive_failures = 0\n"
    "        self.consecutive_ollama_failures = 0\n"
    "        self.last_success = datetime.now()\n"
    "        self.repos_exhausted.clear()\n"
    "\n"
    "    def record_failure(self, reason: str) -> None:\n"
    "        self.total_cycles += 1\n"
    "        self.failed_cycles += 1\n"
    "        self.consecutive_failures += 1\n"
    "        self.last_failure = datetime.now()\n"
    "        self.last_failure_reason = reason\n"
    "\n"
    "    def record_ollama_failure(self) -> None:\n"
    "        self.consecutive_ollama_failures += 1\n"
    "\n"
    "    def record_ollama_recovery(self) -> None:\n"
    "        self.consecutive_ollama_failures = 0\n"
    "\n"
    "    def record_skip(self, reason: str) -> None:\n"
    "        self.total_cycles += 1\n"
    "        self.skipped_cycles += 1\n"
    "        self.last_failure_reason = reason\n"
    "\n"
    "    def record_repo_exhausted(self, repo_name: str) -> None:\n"
    "        self.repos_exhausted.add(repo_name)\n"
    "\n"
    "    def get_backoff_seconds(self) -> int:\n"
    "        if self.consecutive_failures <= 1:\n"
    "            return 0\n"
    "        return min(300, 30 * (2**(self.consecutive_failures - 1)))\n"
    "\n"
    "    def get_ollama_wait_seconds(self) -> int:\n"
    "        if self.consecutive_ollama_failures <= 1:\n"
    "            return 10\n"
    "        return min(300, 10 * (2**(self.consecutive_ollama_failures - 1)))\n"
    "\n"
    "    def to_dict(self) -> dict:\n"
    "        return {\n"
    "            \"tota\n"
    "```\n"
    "\n"
    "---\n"
    "\n"
    "## File Overview\n"
    "\n"
    "### daemon.py\n"
    "\n"
    "**Purpose and Responsibility:**\n"
    "This file implements the `CodeWormDaemon`, a core orchestrator for CodeWorm, designed to run "
    "24/7 with robust self-healing capabilities. It coordinates code analysis, LLM-based "
    "documentation generation, git commits, and scheduling.\n"
    "\n"
    "**Key Exports and Public Interface:**\n"
    "- **`CycleStats`:** Tracks statistics for monitoring and backoff logic.\n"
    "- **`CodeWormDaemon`:** Main orchestrator class that handles the entire workflow of CodeWorm "
    "operations.\n"
    "\n"
    "**How It Fits in the Project:**\n"
    "The `CodeWormDaemon` is a central component that integrates various modules like code "
    "analysis, LLM generation, and git operations. It ensures seamless operation by handling "
    "retries, backoffs, and self-healing when services fail. The daemon runs asynchronously using "
    "asyncio and handles signals for graceful shutdown.\n"
    "\n"
    "**Notable Design Decisions:**\n"
    "- **Asyncio and Asynchronous Operations:** Utilizes `asyncio` for non-blocking I/O and "
    "scheduling tasks.\n"
    "- **Self-Healing Mechanism:** Implements retry logic with exponential backoff to handle "
    "failures, ensuring the daemon does not crash even when services like Ollama are down.\n"
    "- **State Management:** Uses a `StateManager` to maintain persistent state across runs.\n"
    "- **Logging and Notifiers:** Configures logging and integrates with Telegram notifications "
    "for real-time alerts on failures or successes.\n"
    "```\n"
    "\n"
    "This documentation provides an overview of the file's role, key components, integration "
    "within the project, and important design choices.\n"
    "\n"
    "---\n"
    "\n"
    "*Generated by CodeWorm on 2026-02-28 07:42*\n";

static void test_render_reference_example(void **state)
{
    const char *ref = s_reference_doc;
    const char *fence = "```python\n";
    const char *src_start = strstr(ref, fence) + strlen(fence);
    const char *src_end = strstr(src_start, "\n```\n");
    const char *doc_start =
        strstr(src_end, "## File Overview\n\n") + strlen("## File Overview\n\n");
    const char *doc_end = strstr(doc_start, "\n\n---\n\n*Generated by CodeWorm on ");
    assert_non_null(doc_end);

    /* the original source: restore the one character, then add what was cut away */
    const char *moji = "\xc3\xa2\xe2\x80\x99\xc2\xb8"; /* "â’¸" */
    const char *orig = "\xe2\x92\xb8";                 /* "Ⓒ" */
    size_t slen = (size_t)(src_end - src_start);
    char *source = malloc(slen + 64);
    const char *m = strstr(src_start, moji);
    assert_non_null(m);
    size_t pre = (size_t)(m - src_start);
    memcpy(source, src_start, pre);
    memcpy(source + pre, orig, 3);
    size_t rest = slen - pre - strlen(moji);
    memcpy(source + pre + 3, m + strlen(moji), rest);
    strcpy(source + pre + 3 + rest, "l_cycles\": self.total_cycles,\n        }\n");
    char *documentation = strndup(doc_start, (size_t)(doc_end - doc_start));

    cw_value_t *t = cw_value_new_map();
    cw_map_set_str(t, "doc_type", "file_doc");
    cw_map_set_str(t, "repo", "CodeWorm");
    cw_map_set_str(t, "file", "codeworm/daemon.py");
    cw_map_set_str(t, "language", "python");
    cw_map_set_str(t, "name", "");
    cw_map_set_int(t, "start_line", 1);
    cw_map_set_int(t, "end_line", 753);
    cw_map_set_float(t, "complexity", 0.0);
    cw_map_set_str(t, "source", source);
    char *doc = cw_devlog_render(t, documentation, s_fixed_now());
    assert_non_null(doc);
    /* put the double encoding back to compare with the file as stored */
    char *p = strstr(doc, orig);
    assert_non_null(p);
    char *fixed = malloc(strlen(doc) + 8);
    size_t at = (size_t)(p - doc);
    memcpy(fixed, doc, at);
    strcpy(fixed + at, moji);
    strcat(fixed, p + 3);
    assert_string_equal(fixed, ref);
    free(fixed);
    free(doc);
    free(documentation);
    free(source);
    cw_value_destroy(&t);
}

/* ------------------------------------------------------------------ repository */

static void test_init_layout(void **state)
{
    char path[PATH_MAX], err[256];
    snprintf(path, sizeof path, "%s/new/devlog", s_tmp);
    assert_int_equal(cw_devlog_init(path, "main", err, sizeof err), 0);
    static const char *dirs[] = {"classes",
                                 "files",
                                 "modules",
                                 "reviews/security",
                                 "reviews/performance",
                                 "til",
                                 "evolution",
                                 "patterns",
                                 "analysis/weekly",
                                 "analysis/monthly",
                                 "stats",
                                 "snippets/python",
                                 "snippets/typescript",
                                 "snippets/javascript",
                                 "snippets/go",
                                 "snippets/rust",
                                 "snippets/c",
                                 "snippets/cpp",
                                 "snippets/tsx"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        assert_true(s_exists("%s/%s/.gitkeep", path, dirs[i]));
    char *log = s_run("git -C '%s' log --format=%%s", path);
    assert_string_equal(log, "Initialize DevLog");
    free(log);
    char *branch = s_run("git -C '%s' symbolic-ref HEAD", path);
    assert_string_equal(branch, "refs/heads/main");
    free(branch);
    char *files = s_run("git -C '%s' ls-files | wc -l", path);
    assert_int_equal(atoi(files), (int)(sizeof dirs / sizeof dirs[0]));
    free(files);

    /* idempotent: no second commit */
    assert_int_equal(cw_devlog_init(path, "main", err, sizeof err), 0);
    log = s_run("git -C '%s' rev-list --count HEAD", path);
    assert_string_equal(log, "1");
    free(log);

    /* a .gitkeep deleted from the working tree only: restored, nothing to commit */
    char gk[PATH_MAX + 32];
    snprintf(gk, sizeof gk, "%s/til/.gitkeep", path);
    assert_int_equal(unlink(gk), 0);
    cw_devlog_t *d = cw_devlog_new(path, "main", NULL, NULL);
    assert_non_null(d);
    assert_false(cw_devlog_created(d));
    assert_int_equal(cw_devlog_init_layout(d), 0);
    assert_true(s_exists("%s", gk));
    assert_int_equal(cw_devlog_commit_count(d), 1);
    /* an older layout without snippets/tsx: the missing folder is added in one commit */
    char *out = s_run("git -C '%s' rm -q snippets/tsx/.gitkeep && git -C '%s' -c user.name=x "
                      "-c user.email=x@x commit -q -m old && echo ok",
                      path, path);
    assert_string_equal(out, "ok");
    free(out);
    assert_int_equal(cw_devlog_init_layout(d), 0);
    assert_int_equal(cw_devlog_commit_count(d), 3);
    out = s_run("git -C '%s' log -1 --format=%%s -- snippets/tsx/.gitkeep", path);
    assert_string_equal(out, "Initialize DevLog");
    free(out);
    cw_devlog_destroy(&d);
    assert_null(d);
    cw_devlog_destroy(&d);

    /* another initial branch */
    snprintf(path, sizeof path, "%s/other", s_tmp);
    assert_int_equal(cw_devlog_init(path, "devlog", err, sizeof err), 0);
    branch = s_run("git -C '%s' rev-parse --abbrev-ref HEAD", path);
    assert_string_equal(branch, "devlog");
    free(branch);
}

static void test_commit_document(void **state)
{
    char path[PATH_MAX], err[256], oid[41], rel[PATH_MAX];
    snprintf(path, sizeof path, "%s/devlog", s_tmp);
    cw_devlog_t *d = cw_devlog_new(path, "main", "Test Author", "author@example.test");
    assert_non_null(d);
    assert_true(cw_devlog_created(d));
    assert_int_equal(cw_devlog_init_layout(d), 0);

    cw_value_t *t = s_target("function_doc", "get_wait", "CycleStats", "def get_wait(): pass");
    time_t now = s_fixed_now();
    assert_int_equal(cw_devlog_commit_document(d, t, "Docs.", "\"Document CycleStats.get_wait\"",
                                               "job-1", now, oid, rel, sizeof rel, err, sizeof err),
                     0);
    assert_string_equal(rel, "snippets/python/2026-02-28_cyclestats-get-wait.md");
    assert_int_equal(strlen(oid), 40);

    /* the file holds exactly the rendered document */
    char full[PATH_MAX * 2];
    snprintf(full, sizeof full, "%s/%s", path, rel);
    char *content = s_read_file(full);
    char *expected = cw_devlog_render(t, "Docs.", now);
    assert_string_equal(content, expected);
    free(content);
    free(expected);

    char *out = s_run("git -C '%s' log -1 --format='%%H|%%an|%%ae|%%cn|%%ce|%%s'", path);
    char want[512];
    snprintf(want, sizeof want,
             "%s|Test Author|author@example.test|Test Author|author@example.test|"
             "Document CycleStats.get_wait",
             oid);
    assert_string_equal(out, want);
    free(out);
    out = s_run("git -C '%s' log -1 --format=%%B", path);
    /* the job trailer, then the target's ledger identity (issue 10: reconciliation) */
    assert_string_equal(out, "Document CycleStats.get_wait\n\nCodeWorm-Job: job-1\n"
                             "CodeWorm-Target: {\"repo\":\"CodeWorm\",\"file\":\"codeworm/"
                             "daemon.py\",\"name\":\"get_wait\",\"class\":\"CycleStats\","
                             "\"doc_type\":\"function_doc\",\"code_hash\":\"ab12\"}");
    free(out);
    out = s_run("git -C '%s' log -1 --format='%%(trailers:key=CodeWorm-Job,valueonly)'", path);
    assert_string_equal(out, "job-1");
    free(out);
    out = s_run("git -C '%s' show --name-only --format= HEAD", path);
    assert_string_equal(out, rel);
    free(out);
    out = s_run("git -C '%s' status --porcelain", path);
    assert_string_equal(out, "");
    free(out);

    /* same slug the same day: a suffix, never an overwrite */
    char oid2[41], rel2[PATH_MAX];
    assert_int_equal(cw_devlog_commit_document(d, t, "Other docs.", "Document again", "job-2", now,
                                               oid2, rel2, sizeof rel2, err, sizeof err),
                     0);
    assert_string_equal(rel2, "snippets/python/2026-02-28_cyclestats-get-wait-2.md");
    assert_string_not_equal(oid, oid2);
    content = s_read_file(full);
    assert_non_null(strstr(content, "\nDocs.\n"));
    free(content);
    assert_int_equal(cw_devlog_commit_document(d, t, "Third.", "Document a third time", "job-3",
                                               now, oid2, rel2, sizeof rel2, err, sizeof err),
                     0);
    assert_string_equal(rel2, "snippets/python/2026-02-28_cyclestats-get-wait-3.md");

    /* folder per doc type */
    cw_value_t *c = s_target("class_doc", "", "CycleStats", "class CycleStats: pass");
    assert_int_equal(cw_devlog_commit_document(d, c, "Class docs.", "Describe CycleStats", NULL,
                                               now, oid2, rel2, sizeof rel2, err, sizeof err),
                     0);
    assert_string_equal(rel2, "classes/2026-02-28_cyclestats.md");
    out = s_run("git -C '%s' log -1 --format=%%B", path);
    assert_string_equal(out, "Describe CycleStats"); /* no job id: no trailer */
    free(out);
    cw_value_destroy(&c);
    c = s_target("security_review", "get_wait", NULL, "x");
    assert_int_equal(cw_devlog_commit_document(d, c, "Review.", "Review get_wait", "job-5", now,
                                               oid2, rel2, sizeof rel2, err, sizeof err),
                     0);
    assert_string_equal(rel2, "reviews/security/2026-02-28_get-wait.md");
    cw_value_destroy(&c);

    assert_int_equal(cw_devlog_commit_count(d), 6);

    /* find the job trailer again */
    char found_oid[41], found_rel[PATH_MAX];
    assert_int_equal(cw_devlog_find_job(d, "job-1", found_oid, found_rel, sizeof found_rel), 1);
    assert_string_equal(found_oid, oid);
    assert_string_equal(found_rel, "snippets/python/2026-02-28_cyclestats-get-wait.md");
    assert_int_equal(cw_devlog_find_job(d, "job-", found_oid, found_rel, sizeof found_rel), 0);
    assert_int_equal(cw_devlog_find_job(d, "nope", found_oid, found_rel, sizeof found_rel), 0);

    /* a bad doc type is refused without a commit */
    c = s_target("bogus", "f", NULL, "x");
    assert_int_equal(cw_devlog_commit_document(d, c, "x", "y", "job-9", now, oid2, rel2,
                                               sizeof rel2, err, sizeof err),
                     -1);
    assert_true(strlen(err) > 0);
    assert_int_equal(cw_devlog_commit_count(d), 6);
    cw_value_destroy(&c);
    cw_value_destroy(&t);
    cw_devlog_destroy(&d);

    /* reopening an existing repo works and sees the history */
    d = cw_devlog_new(path, "main", NULL, NULL);
    assert_non_null(d);
    assert_false(cw_devlog_created(d));
    assert_int_equal(cw_devlog_find_job(d, "job-5", found_oid, found_rel, sizeof found_rel), 1);
    cw_devlog_destroy(&d);
}

/* ------------------------------------------------------------------ push */

static cw_devlog_t *s_devlog_with_commit(const char *name, char oid[41])
{
    char path[PATH_MAX], err[256], rel[PATH_MAX];
    snprintf(path, sizeof path, "%s/%.64s", s_tmp, name);
    cw_devlog_t *d = cw_devlog_new(path, "main", "Pusher", "push@example.test");
    assert_non_null(d);
    assert_int_equal(cw_devlog_init_layout(d), 0);
    cw_value_t *t = s_target("til", "thing", NULL, "x = 1");
    assert_int_equal(cw_devlog_commit_document(d, t, "TIL.", "Learn a thing", "job-p", time(NULL),
                                               oid, rel, sizeof rel, err, sizeof err),
                     0);
    cw_value_destroy(&t);
    return d;
}

static char *s_bare(const char *name)
{
    char *path = malloc(PATH_MAX);
    snprintf(path, PATH_MAX, "%s/%.64s", s_tmp, name);
    char *out = s_run("git init -q --bare '%s' && echo ok", path);
    assert_string_equal(out, "ok");
    free(out);
    return path;
}

static void test_push_local(void **state)
{
    char oid[41], err[1024];
    cw_devlog_t *d = s_devlog_with_commit("pushlocal", oid);
    char *bare = s_bare("remote.git");
    assert_int_equal(cw_devlog_push(d, "", NULL, NULL, err, sizeof err), CW_PUSH_SKIPPED);
    assert_int_equal(cw_devlog_push(d, bare, NULL, NULL, err, sizeof err), CW_PUSH_OK);
    char *out = s_run("git --git-dir='%s' rev-parse refs/heads/main", bare);
    assert_string_equal(out, oid);
    free(out);

    /* a named remote of the repository */
    char *bare2 = s_bare("named.git");
    out = s_run("git -C '%s/pushlocal' remote add origin '%s' && echo ok", s_tmp, bare2);
    assert_string_equal(out, "ok");
    free(out);
    assert_int_equal(cw_devlog_push(d, "origin", NULL, NULL, err, sizeof err), CW_PUSH_OK);
    out = s_run("git --git-dir='%s' rev-parse refs/heads/main", bare2);
    assert_string_equal(out, oid);
    free(out);
    free(bare2);
    free(bare);
    cw_devlog_destroy(&d);
}

static void test_push_failure_keeps_commit(void **state)
{
    setenv("CW_TEST_FAST", "1", 1);
    char oid[41], err[1024];
    cw_devlog_t *d = s_devlog_with_commit("pushfail", oid);
    int commits = cw_devlog_commit_count(d);
    char missing[PATH_MAX];
    snprintf(missing, sizeof missing, "%s/does/not/secret-notes.git", s_tmp);
    assert_int_equal(cw_devlog_push(d, missing, NULL, NULL, err, sizeof err), CW_PUSH_FAILED);
    assert_true(strlen(err) > 0);
    assert_int_equal(cw_devlog_push_failures(d), 1);
    assert_int_equal(cw_devlog_push(d, missing, NULL, NULL, err, sizeof err), CW_PUSH_FAILED);
    assert_int_equal(cw_devlog_push_failures(d), 2);
    /* the commit is still there, HEAD unchanged */
    assert_int_equal(cw_devlog_commit_count(d), commits);
    char *out = s_run("git -C '%s/pushfail' rev-parse HEAD", s_tmp);
    assert_string_equal(out, oid);
    free(out);
    /* the next successful push carries it */
    char *bare = s_bare("late.git");
    assert_int_equal(cw_devlog_push(d, bare, NULL, NULL, err, sizeof err), CW_PUSH_OK);
    assert_int_equal(cw_devlog_push_failures(d), 0);
    out = s_run("git --git-dir='%s' rev-parse refs/heads/main", bare);
    assert_string_equal(out, oid);
    free(out);
    free(bare);

    /* the token never shows in the error (connection refused on port 1) */
    assert_int_equal(cw_devlog_push(d, "https://x-access-token:SuperSecret99@127.0.0.1:1/r.git",
                                    "SuperSecret99", NULL, err, sizeof err),
                     CW_PUSH_FAILED);
    assert_null(strstr(err, "SuperSecret99"));
    assert_non_null(strstr(err, "https://***@127.0.0.1:1/r.git"));
    /* a token alone (not in the URL) is scrubbed from remote messages too */
    char msg[128] = "remote: bad credentials SuperSecret99";
    cw_devlog_scrub(msg, sizeof msg, "SuperSecret99");
    assert_string_equal(msg, "remote: bad credentials ***");
    cw_devlog_destroy(&d);
}

static void test_scrub(void **state)
{
    char buf[256];
    snprintf(buf, sizeof buf, "failed https://user:tok123@github.com/x.git: tok123 bad");
    cw_devlog_scrub(buf, sizeof buf, "tok123");
    assert_string_equal(buf, "failed https://***@github.com/x.git: *** bad");
    snprintf(buf, sizeof buf, "no secrets in https://github.com/x.git");
    cw_devlog_scrub(buf, sizeof buf, NULL);
    assert_string_equal(buf, "no secrets in https://github.com/x.git");
}

/* a git daemon serving `base` (receive-pack enabled) on a free port; returns its pid */
static pid_t s_git_daemon(const char *base, int *port_out)
{
    for (int attempt = 0; attempt < 20; attempt++) {
        int port = 30000 + (int)((getpid() * 7 + attempt * 131 + time(NULL)) % 20000);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            char port_arg[32], base_arg[PATH_MAX + 16];
            snprintf(port_arg, sizeof port_arg, "--port=%d", port);
            snprintf(base_arg, sizeof base_arg, "--base-path=%s", base);
            int devnull = open("/dev/null", O_WRONLY);
            dup2(devnull, 2);
            execlp("git", "git", "daemon", "--reuseaddr", "--listen=127.0.0.1", port_arg, base_arg,
                   "--export-all", "--enable=receive-pack", "--informative-errors", base,
                   (char *)NULL);
            _exit(127);
        }
        for (int i = 0; i < 100; i++) {
            int fd = socket(AF_INET, SOCK_STREAM, 0);
            struct sockaddr_in sa = {0};
            sa.sin_family = AF_INET;
            sa.sin_port = htons((uint16_t)port);
            sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            int ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
            close(fd);
            if (ok) {
                *port_out = port;
                return pid;
            }
            int status;
            if (waitpid(pid, &status, WNOHANG) == pid)
                break; /* the daemon exited: port taken, try another */
            struct timespec ts = {0, 50000000L};
            nanosleep(&ts, NULL);
        }
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
    fail_msg("could not start git daemon");
    return -1;
}

static void test_push_blocked_by_hook(void **state)
{
    setenv("CW_TEST_FAST", "1", 1);
    char oid[41], err[2048];
    cw_devlog_t *d = s_devlog_with_commit("pushblock", oid);
    char *bare = s_bare("served/blocked.git");
    char hook[PATH_MAX + 32];
    snprintf(hook, sizeof hook, "%s/hooks/pre-receive", bare);
    FILE *f = fopen(hook, "w");
    assert_non_null(f);
    fputs("#!/bin/sh\necho 'error: GH013: Repository rule violations found: secret detected' >&2\n"
          "exit 1\n",
          f);
    fclose(f);
    assert_int_equal(chmod(hook, 0755), 0);
    char base[PATH_MAX];
    snprintf(base, sizeof base, "%s/served", s_tmp);
    int port = 0;
    pid_t daemon = s_git_daemon(base, &port);
    char url[128];
    snprintf(url, sizeof url, "git://127.0.0.1:%d/blocked.git", port);

    cw_push_result_t r = cw_devlog_push(d, url, NULL, NULL, err, sizeof err);
    kill(daemon, SIGTERM);
    waitpid(daemon, NULL, 0);
    assert_int_equal(r, CW_PUSH_BLOCKED);
    assert_non_null(strstr(err, "GH013"));
    /* nothing arrived, the commit stays local */
    char *out = s_run("git --git-dir='%s' rev-parse --verify -q refs/heads/main", bare);
    assert_string_equal(out, "");
    free(out);
    out = s_run("git -C '%s/pushblock' rev-parse HEAD", s_tmp);
    assert_string_equal(out, oid);
    free(out);
    free(bare);
    cw_devlog_destroy(&d);
}

/* ------------------------------------------------------------------ push: remotes, merges,
   summaries (issue 8) */

static void s_commit_another(cw_devlog_t *d, const char *name, char oid[41])
{
    char err[256], rel[PATH_MAX];
    cw_value_t *t = s_target("til", name, NULL, "y = 2");
    assert_int_equal(cw_devlog_commit_document(d, t, "More.", "Learn more", NULL, time(NULL), oid,
                                               rel, sizeof rel, err, sizeof err),
                     0);
    cw_value_destroy(&t);
}

static void test_push_missing_named_remote(void **state)
{
    char oid[41], err[2048];
    cw_devlog_t *d = s_devlog_with_commit("noremote", oid);
    /* the README's minimal config: remote "origin" on a DevLog the daemon created */
    assert_int_equal(cw_devlog_push(d, "origin", NULL, NULL, err, sizeof err), CW_PUSH_REFUSED);
    assert_non_null(strstr(err, "no remote named \"origin\""));
    assert_non_null(strstr(err, "remote add origin"));
    assert_null(strstr(err, "unsupported URL protocol"));
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/noremote", s_tmp);
    assert_int_equal(cw_devlog_check_remote(path, "origin", err, sizeof err), -1);
    assert_non_null(strstr(err, "no remote named \"origin\""));
    /* a DevLog that does not exist yet: said so, nothing created */
    snprintf(path, sizeof path, "%s/not-yet", s_tmp);
    assert_int_equal(cw_devlog_check_remote(path, "origin", err, sizeof err), -1);
    assert_non_null(strstr(err, "does not exist yet"));
    assert_int_equal(access(path, F_OK), -1);
    /* URLs, scp-like addresses and empty remotes need no lookup */
    assert_int_equal(cw_devlog_check_remote(path, "https://example.com/x.git", err, sizeof err), 0);
    assert_int_equal(cw_devlog_check_remote(path, "git@example.com:me/x.git", err, sizeof err), 0);
    assert_int_equal(cw_devlog_check_remote(path, "", err, sizeof err), 0);
    /* once added, the name works */
    char *bare = s_bare("origin.git");
    char *out = s_run("git -C '%s/noremote' remote add origin 'file://%s' && echo ok", s_tmp, bare);
    assert_string_equal(out, "ok");
    free(out);
    assert_int_equal(cw_devlog_push(d, "origin", NULL, NULL, err, sizeof err), CW_PUSH_OK);
    out = s_run("git --git-dir='%s' rev-parse refs/heads/main", bare);
    assert_string_equal(out, oid);
    free(out);
    free(bare);
    cw_devlog_destroy(&d);
}

static void test_push_integrates_a_remote_that_moved_on(void **state)
{
    char oid[41], err[2048];
    cw_devlog_t *d = s_devlog_with_commit("movedon", oid);
    char *bare = s_bare("moved.git");
    assert_int_equal(cw_devlog_push(d, bare, NULL, NULL, err, sizeof err), CW_PUSH_OK);
    /* someone adds a README on the remote */
    char *out = s_run("set -e; cd '%s' && git clone -q -b main '%s' other && cd other && "
                      "git config user.email o@example.com && git config user.name Other && "
                      "printf 'My DevLog\\n' > README.md && git add README.md && "
                      "git commit -q -m 'Add a README' && git push -q origin main && echo ok",
                      s_tmp, bare);
    assert_string_equal(out, "ok");
    free(out);
    char oid2[41];
    s_commit_another(d, "second", oid2);
    assert_int_equal(cw_devlog_push(d, bare, NULL, NULL, err, sizeof err), CW_PUSH_OK);
    /* both histories are on the remote, and the README is in the DevLog's working tree */
    out = s_run("git --git-dir='%s' log --format=%%s main | head -3 | sort | tr '\\n' '|'", bare);
    assert_non_null(strstr(out, "Add a README"));
    assert_non_null(strstr(out, "Learn more"));
    assert_non_null(strstr(out, "Merge the remote's changes into main"));
    free(out);
    out = s_run("cat '%s/movedon/README.md'", s_tmp);
    assert_string_equal(out, "My DevLog");
    free(out);
    out = s_run("git -C '%s/movedon' status --porcelain | wc -l", s_tmp);
    assert_string_equal(out, "0");
    free(out);
    /* the next commit goes on top and pushes plainly */
    s_commit_another(d, "third", oid2);
    assert_int_equal(cw_devlog_push(d, bare, NULL, NULL, err, sizeof err), CW_PUSH_OK);
    out = s_run("git --git-dir='%s' rev-parse main", bare);
    assert_string_equal(out, oid2);
    free(out);
    free(bare);
    cw_devlog_destroy(&d);
}

static void test_push_unrelated_and_conflicting_histories(void **state)
{
    char oid[41], err[2048];
    cw_devlog_t *d = s_devlog_with_commit("unrelated", oid);
    /* a remote created on its own (with a README), before the DevLog ever pushed */
    char *bare = s_bare("own.git");
    char *out = s_run("set -e; cd '%s' && git init -q -b main seed && cd seed && "
                      "git config user.email o@example.com && git config user.name Other && "
                      "printf 'hello\\n' > README.md && git add -A && git commit -q -m 'Initial "
                      "commit' && git push -q '%s' main && echo ok",
                      s_tmp, bare);
    assert_string_equal(out, "ok");
    free(out);
    assert_int_equal(cw_devlog_push(d, bare, NULL, NULL, err, sizeof err), CW_PUSH_OK);
    out = s_run("git --git-dir='%s' log --format=%%s main | grep -c -e 'Initial commit' -e "
                "'Learn a thing'",
                bare);
    assert_string_equal(out, "2");
    free(out);

    /* the remote changes a file the DevLog changed too: blocked, said plainly */
    out = s_run("set -e; cd '%s' && git clone -q -b main '%s' editor && cd editor && "
                "git config user.email o@example.com && git config user.name Other && "
                "printf 'theirs\\n' > stats/.gitkeep && git commit -qam 'Edit stats' && "
                "git push -q origin main && cd '%s/unrelated' && printf 'ours\\n' > stats/.gitkeep "
                "&& git -c user.email=a@b -c user.name=A commit -qam 'Edit stats here' && echo ok",
                s_tmp, bare, s_tmp);
    assert_string_equal(out, "ok");
    free(out);
    char before[64];
    out = s_run("git -C '%s/unrelated' rev-parse HEAD", s_tmp);
    snprintf(before, sizeof before, "%s", out);
    free(out);
    assert_int_equal(cw_devlog_push(d, bare, NULL, NULL, err, sizeof err), CW_PUSH_BLOCKED);
    assert_non_null(strstr(err, "stats/.gitkeep"));
    assert_non_null(strstr(err, "by hand"));
    out = s_run("git -C '%s/unrelated' rev-parse HEAD", s_tmp);
    assert_string_equal(out, before); /* nothing half-merged */
    free(out);
    free(bare);
    cw_devlog_destroy(&d);
}

static void test_summary_document(void **state)
{
    char path[PATH_MAX], err[256], rel[PATH_MAX], oid[41];
    snprintf(path, sizeof path, "%s/summaries", s_tmp);
    cw_devlog_t *d = cw_devlog_new(path, "main", NULL, NULL);
    assert_non_null(d);
    assert_true(cw_devlog_valid_period("weekly_summary", "2026-W09"));
    assert_true(cw_devlog_valid_period("weekly_summary", "2026-W53"));
    assert_false(cw_devlog_valid_period("weekly_summary", "2026-W54"));
    assert_false(cw_devlog_valid_period("weekly_summary", "2026-W00"));
    assert_false(cw_devlog_valid_period("weekly_summary", "2026-02"));
    assert_true(cw_devlog_valid_period("monthly_summary", "2026-12"));
    assert_false(cw_devlog_valid_period("monthly_summary", "2026-13"));
    assert_false(cw_devlog_valid_period("monthly_summary", "../../x"));
    cw_value_t *t = cw_value_new_map();
    cw_map_set_str(t, "doc_type", "weekly_summary");
    cw_map_set_str(t, "repo", "alpha, beta");
    cw_map_set_str(t, "file", "analysis/weekly/2026-W09.md");
    cw_map_set_str(t, "language", "markdown");
    cw_map_set_str(t, "name", "2026-W09");
    cw_value_t *facts = cw_value_new_map();
    cw_map_set_str(facts, "first_day", "2026-02-23");
    cw_map_set_str(facts, "last_day", "2026-03-01");
    cw_map_set_str(facts, "timezone", "Europe/Berlin");
    cw_map_set_int(facts, "total", 3);
    cw_value_t *repos = cw_value_new_map();
    cw_map_set_int(repos, "alpha", 2);
    cw_map_set_int(repos, "beta", 1);
    cw_map_set(facts, "repos", repos);
    cw_map_set(t, "summary", facts);
    assert_int_equal(cw_devlog_commit_document(d, t, "A calm week.", "Summarize week 2026-W09",
                                               "job-s", s_fixed_now(), oid, rel, sizeof rel, err,
                                               sizeof err),
                     0);
    assert_string_equal(rel, "analysis/weekly/2026-W09.md");
    char file[2 * PATH_MAX + 8];
    snprintf(file, sizeof file, "%s/%s", path, rel);
    char *text = s_read_file(file);
    assert_string_equal(text, "# Weekly Summary: 2026-W09\n\n**Type:** Weekly Summary\n"
                              "**Period:** 2026-02-23 to 2026-03-01 (Europe/Berlin)\n"
                              "**Documented:** 3 documents in 2 repositories\n\n---\n\n"
                              "A calm week.\n\n---\n\n*Generated by CodeWorm on 2026-02-28 "
                              "07:42*\n");
    free(text);
    /* a period is written once */
    assert_int_equal(cw_devlog_commit_document(d, t, "Again.", "Again", "job-s2", s_fixed_now(),
                                               oid, rel, sizeof rel, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "exists already"));
    /* a name that is not a period never becomes a path */
    cw_map_set_str(t, "name", "../../escape");
    assert_int_equal(cw_devlog_commit_document(d, t, "x", "x", NULL, s_fixed_now(), oid, rel,
                                               sizeof rel, err, sizeof err),
                     -1);
    cw_value_destroy(&t);
    cw_devlog_destroy(&d);
}

int main(void)
{
    setenv("TZ", "UTC", 1);
    tzset();
    cw_log_set_level(CW_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_labels_and_folders),
        cmocka_unit_test(test_display_name),
        cmocka_unit_test(test_slug),
        cmocka_unit_test(test_format_float),
        cmocka_unit_test(test_clean_commit_message),
        cmocka_unit_test(test_render_exact),
        cmocka_unit_test(test_render_labels),
        cmocka_unit_test(test_render_cut_3000),
        cmocka_unit_test(test_render_reference_example),
        cmocka_unit_test(test_scrub),
        cmocka_unit_test_setup_teardown(test_init_layout, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_commit_document, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_push_local, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_push_failure_keeps_commit, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_push_blocked_by_hook, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_push_missing_named_remote, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_push_integrates_a_remote_that_moved_on, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_push_unrelated_and_conflicting_histories, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_summary_document, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
