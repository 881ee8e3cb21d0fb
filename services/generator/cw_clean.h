/*  cw_clean — turn raw LLM output into the text that goes into a DevLog document and
    into a commit message (reference/OUTPUT.md, plus the fixes the reference missed).

    Documentation: CRLF -> LF, invalid UTF-8 replaced by U+FFFD, trim; drop a leading
    preamble line ("Here is the documentation for X:", "Sure! ...", ...); drop closing
    chatter paragraphs that talk about the answer itself ("This documentation provides
    ...", "I hope this helps", "Let me know if ...", "Feel free to ..."); remove a
    wrapping code fence (```markdown ... ```); drop trailing horizontal rules; finally
    balance fences: an unmatched bare ``` line is removed, an unclosed ```lang block
    (a cut-off answer) gets a closing fence.

    Commit message, exactly per OUTPUT.md: trim, strip surrounding quotes (" ' `), keep
    the first non-empty line, drop a leading "commit message:" or "message:" (any case),
    strip again, and if longer than 72 characters cut to 69 and add "..." (counted in
    UTF-8 code points, never splitting one). An empty result becomes "Document <name>". */
#ifndef CW_CLEAN_H
#define CW_CLEAN_H

#include <stddef.h>

#include "cw_buf.h"

#define CW_COMMIT_MAX_CHARS 72

/* Cleaned documentation, malloc'd ("" for NULL input). NULL only on out-of-memory. */
char *cw_clean_documentation(const char *raw);

/* Cleaned commit message, malloc'd. `name` is the display name for the fallback
   ("Document <name>"; "Document code" when name is NULL or empty). */
char *cw_clean_commit_message(const char *raw, const char *name);

/* A copy of `s` (n bytes) where every invalid UTF-8 sequence and every NUL byte is
   replaced by U+FFFD. malloc'd, NUL-terminated. */
char *cw_clean_utf8(const char *s, size_t n);
/* cw_clean_utf8 of a buffer's text (the offline renderers' documents: what a target brought
   in may not be UTF-8); the buffer is emptied. NULL when it failed or memory ran out. */
char *cw_clean_take_utf8(cw_buf_t *b);

/* Number of UTF-8 code points in s. */
size_t cw_utf8_chars(const char *s);

#endif
