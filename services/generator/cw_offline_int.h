/*  cw_offline_int — shared by the offline backend's files (cw_offline*.c): a bounded
    markdown writer over cw_buf_t, and the sections each doc type adds.

    Everything written is bounded (items cut, lists capped), no text of the target can open
    a code span, a code fence or a markdown block of its own, and the output depends on the
    target's facts only (same input, same bytes). */
#ifndef CW_OFFLINE_INT_H
#define CW_OFFLINE_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "cw_gen_target.h"
#include "cw_json.h"

#define CW_MD_ITEM 160 /* bytes of a name or path in a code span */
#define CW_MD_SIG 300  /* bytes of a signature in a code span */
#define CW_MD_TEXT 600 /* bytes of one line of plain text (subject, author) */
#define CW_MD_PARA 700 /* bytes of a docstring's first paragraph */
#define CW_MD_SHOWN 30 /* list items shown before "... and N more" */

/* ---- markdown writer (cw_offline_md.c) */
/* `s` as an inline code span: backticks as ', control characters as spaces, cut at max. */
void cw_md_code(cw_buf_t *b, const char *s, size_t max);
/* Plain text on one line: whitespace runs collapsed, `<` as &lt;, backticks kept only when
   they pair up, cut at max bytes ("..."). line_start: a leading block marker is escaped. */
void cw_md_text(cw_buf_t *b, const char *s, size_t max, bool line_start);
/* The first paragraph of a docstring as plain text (cut at a sentence end when it is
   longer than max); false when the docstring has no text. */
bool cw_md_paragraph(cw_buf_t *b, const char *doc, size_t max);
/* A fenced code block that no backtick run inside `code` can close. */
void cw_md_fence(cw_buf_t *b, const char *language, const char *code, size_t max);
/* "1 method" / "3 methods" */
void cw_md_count(cw_buf_t *b, long n, const char *one, const char *many);
/* `a`, `b` and `c` (at most `shown`, then "and N more"); items of `items[i]`. */
void cw_md_code_list(cw_buf_t *b, const char *const *items, size_t n, size_t shown);
/* "Python", "TypeScript", "C++" ... (the language field as given when unknown) */
const char *cw_md_language(const char *language);
/* The base name of a path. */
const char *cw_md_base(const char *path);

/* ---- facts read as a person would (cw_offline.c) */
/* true when the function calls itself (its name, or self./this. + its name, in calls) */
bool cw_offline_recursive(const cw_gen_target_t *t);
/* parameters other than self/this/cls and a Rust self receiver */
size_t cw_offline_real_params(const cw_gen_target_t *t);

/* ---- the angles of the function perspectives (cw_offline_angles.c) */
void cw_offline_security(cw_buf_t *b, const cw_gen_target_t *t, const char *name);
void cw_offline_performance(cw_buf_t *b, const cw_gen_target_t *t, const char *name);
void cw_offline_til(cw_buf_t *b, const cw_gen_target_t *t, const char *name);

#endif
