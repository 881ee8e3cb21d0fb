/*  test_clean — documentation and commit message cleaning (services/generator/cw_clean). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "cw_clean.h"

static void s_expect_doc(const char *in, const char *want)
{
    char *out = cw_clean_documentation(in);
    assert_non_null(out);
    assert_string_equal(out, want);
    free(out);
}

static void s_expect_msg(const char *in, const char *name, const char *want)
{
    char *out = cw_clean_commit_message(in, name);
    assert_non_null(out);
    assert_string_equal(out, want);
    free(out);
}

/* The reference document's flaws: a stray closing fence and closing chatter survived. */
static void test_reference_flaws(void **state)
{
    const char *in = "### daemon.py\n"
                     "\n"
                     "**Purpose and Responsibility:**\n"
                     "This file implements the `CodeWormDaemon`, a core orchestrator.\n"
                     "\n"
                     "**Notable Design Decisions:**\n"
                     "- **Asyncio:** Utilizes `asyncio` for non-blocking I/O.\n"
                     "- **Logging and Notifiers:** Integrates with Telegram notifications.\n"
                     "```\n"
                     "\n"
                     "This documentation provides an overview of the file's role, key components, "
                     "integration within the project, and important design choices.\n";
    s_expect_doc(in, "### daemon.py\n"
                     "\n"
                     "**Purpose and Responsibility:**\n"
                     "This file implements the `CodeWormDaemon`, a core orchestrator.\n"
                     "\n"
                     "**Notable Design Decisions:**\n"
                     "- **Asyncio:** Utilizes `asyncio` for non-blocking I/O.\n"
                     "- **Logging and Notifiers:** Integrates with Telegram notifications.");
}

static void test_wrapped_fence(void **state)
{
    s_expect_doc("```markdown\n### A\n\ntext\n```", "### A\n\ntext");
    s_expect_doc("  \n```md\nbody\n```\n\n", "body");
    s_expect_doc("```\nplain\n```", "plain");
    /* an opening ```markdown label without its closing fence (cut answer) */
    s_expect_doc("```markdown\n### A\ntext", "### A\ntext");
    /* a whole answer that is one real code block keeps its fences */
    s_expect_doc("```python\nx = 1\n```", "```python\nx = 1\n```");
}

/* What the stand-in Ollama's chatty mode sends */
static void test_chatty_answer(void **state)
{
    const char *in = "Here is the documentation for foo:\n\n```markdown\n### Purpose\n\n"
                     "`foo` does X.\n\n```python\nresult = foo()\n```\n```\n\n"
                     "This documentation provides an overview of the function's role.";
    s_expect_doc(in, "### Purpose\n\n`foo` does X.\n\n```python\nresult = foo()\n```");
}

static void test_preambles(void **state)
{
    s_expect_doc("Here is the documentation:\n\nBody.", "Body.");
    s_expect_doc("Here's a summary of `foo`:\nBody.", "Body.");
    s_expect_doc("HERE ARE THE DETAILS:\n\nBody.", "Body.");
    s_expect_doc("The following describes the module:\n\nBody.", "Body.");
    s_expect_doc("This is the security review for `x`:\n\nBody.", "Body.");
    s_expect_doc("**Here is the documentation for `foo`:**\n\nBody.", "Body.");
    s_expect_doc("Sure! Here is the documentation you asked for.\n\nBody.", "Body.");
    s_expect_doc("Certainly.\n\nHere is the overview:\n\nBody.", "Body.");
    /* content, not a preamble: kept */
    s_expect_doc("This is a small parser for dates.\n\nBody.",
                 "This is a small parser for dates.\n\nBody.");
    s_expect_doc("### Here is a heading:\n\nBody.", "### Here is a heading:\n\nBody.");
    s_expect_doc("The function returns early.\n\nBody.", "The function returns early.\n\nBody.");
}

static void test_closing_chatter(void **state)
{
    s_expect_doc("Body.\n\nI hope this helps!", "Body.");
    s_expect_doc("Body.\n\nLet me know if you need anything else.", "Body.");
    s_expect_doc("Body.\n\nFeel free to ask for more details.", "Body.");
    s_expect_doc("Body.\n\nThis overview covers the essentials.\n\nHope this helps!", "Body.");
    s_expect_doc("Body.\n\nIn summary, this documentation explains the parser.", "Body.");
    s_expect_doc("Body.\n\n---\n\nThis documentation gives a summary.", "Body.");
    /* conservative: real content at the end is kept */
    s_expect_doc("Body.\n\nThis function returns early when the list is empty.",
                 "Body.\n\nThis function returns early when the list is empty.");
    s_expect_doc("Body.\n\nIn summary, the parser is linear in its input.",
                 "Body.\n\nIn summary, the parser is linear in its input.");
    s_expect_doc("Body.\n\n### This documentation\n", "Body.\n\n### This documentation");
    /* never drop the whole answer */
    s_expect_doc("This documentation provides nothing else.",
                 "This documentation provides nothing else.");
}

static void test_fence_balance(void **state)
{
    /* a stray closing fence in the middle */
    s_expect_doc("Intro.\n```\nMore text.", "Intro.\nMore text.");
    /* an unclosed code block (cut by the token limit) gets its closing fence */
    s_expect_doc("Intro.\n\n```python\nx = 1", "Intro.\n\n```python\nx = 1\n```");
    /* balanced blocks untouched */
    const char *ok = "A\n\n```c\nint x;\n```\n\nB\n\n```\nplain\n```";
    s_expect_doc(ok, ok);
    /* the result never has an odd number of fence lines */
    const char *inputs[] = {"a\n```\nb\n```\nc\n```", "```x\n```\n```", "```", "``` \n\n```go"};
    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        char *out = cw_clean_documentation(inputs[i]);
        assert_non_null(out);
        int fences = 0;
        for (const char *p = out; p; p = strchr(p, '\n')) {
            if (*p == '\n')
                p++;
            const char *q = p;
            while (*q == ' ')
                q++;
            if (strncmp(q, "```", 3) == 0)
                fences++;
        }
        assert_int_equal(fences % 2, 0);
        free(out);
    }
}

static void test_text_hygiene(void **state)
{
    s_expect_doc(NULL, "");
    s_expect_doc("", "");
    s_expect_doc("   \n\n  ", "");
    s_expect_doc("a\r\nb\r\n", "a\nb");
    s_expect_doc("a\n\n\n\n\nb", "a\n\nb");
    /* invalid UTF-8 becomes U+FFFD */
    s_expect_doc("bad \xff byte", "bad \xEF\xBF\xBD byte");
    s_expect_doc("caf\xC3\xA9", "caf\xC3\xA9");
}

static void test_commit_rules(void **state)
{
    s_expect_msg("Add docs for foo", "foo", "Add docs for foo");
    s_expect_msg("  \"Document parse_args\"  ", "x", "Document parse_args");
    s_expect_msg("'Explain the retry loop'", "x", "Explain the retry loop");
    s_expect_msg("`Describe cache`", "x", "Describe cache");
    s_expect_msg("Commit message: \"Add docs for foo\"", "foo", "Add docs for foo");
    s_expect_msg("COMMIT MESSAGE: Add x", "x", "Add x");
    s_expect_msg("message: Explain retry loop", "x", "Explain retry loop");
    s_expect_msg("**Commit message:** Add foo notes", "foo", "Add foo notes");
    s_expect_msg("\n\nAdd docs for foo\n\nThis commit adds documentation.", "foo",
                 "Add docs for foo");
    s_expect_msg("```\nAdd docs for bar\n```", "bar", "Add docs for bar");
    s_expect_msg("\"Commit message: Note the parser\"", "p", "Note the parser");
}

static void test_commit_length(void **state)
{
    char in[200];
    memset(in, 'a', 100);
    in[100] = '\0';
    char want[80];
    memset(want, 'a', 69);
    memcpy(want + 69, "...", 4);
    s_expect_msg(in, "x", want);
    /* exactly 72 is kept */
    in[72] = '\0';
    s_expect_msg(in, "x", in);
    /* 73 is cut */
    memset(in, 'b', 73);
    in[73] = '\0';
    char *out = cw_clean_commit_message(in, "x");
    assert_int_equal(strlen(out), 72);
    assert_string_equal(out + 69, "...");
    free(out);
}

static void test_commit_utf8_cut(void **state)
{
    /* 80 x "é" (2 bytes each): cut to 69 characters, never inside a character */
    char in[200] = "";
    for (int i = 0; i < 80; i++)
        strcat(in, "\xC3\xA9");
    char *out = cw_clean_commit_message(in, "x");
    assert_non_null(out);
    assert_int_equal(cw_utf8_chars(out), 72);
    assert_int_equal(strlen(out), 69 * 2 + 3);
    assert_string_equal(out + 138, "...");
    assert_memory_equal(out, in, 138);
    free(out);
    /* 72 characters of 3-byte text are kept whole */
    char kept[400] = "";
    for (int i = 0; i < 72; i++)
        strcat(kept, "\xE2\x82\xAC");
    s_expect_msg(kept, "x", kept);
}

static void test_commit_fallback(void **state)
{
    s_expect_msg("", "foo", "Document foo");
    s_expect_msg(NULL, "Cls.meth", "Document Cls.meth");
    s_expect_msg("  \"\"  ", NULL, "Document code");
    s_expect_msg("Commit message:", "bar", "Document bar");
    s_expect_msg("```\n```", "baz", "Document baz");
    /* a long fallback is cut like any message */
    char name[200];
    memset(name, 'n', 150);
    name[150] = '\0';
    char *out = cw_clean_commit_message("", name);
    assert_int_equal(cw_utf8_chars(out), 72);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_flaws), cmocka_unit_test(test_wrapped_fence),
        cmocka_unit_test(test_chatty_answer),   cmocka_unit_test(test_preambles),
        cmocka_unit_test(test_closing_chatter), cmocka_unit_test(test_fence_balance),
        cmocka_unit_test(test_text_hygiene),    cmocka_unit_test(test_commit_rules),
        cmocka_unit_test(test_commit_length),   cmocka_unit_test(test_commit_utf8_cut),
        cmocka_unit_test(test_commit_fallback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
