/*  cw_text — small text helpers every part needs: strict UTF-8 sequences, cutting a
    string without splitting a character, case-insensitive search. One place for each. */
#ifndef CW_TEXT_H
#define CW_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Length (1..4) of the valid UTF-8 sequence at s, with n bytes available; 0 when the bytes
   there are not valid UTF-8 (overlong forms, surrogates, above U+10FFFF, truncated) or
   s[0] is NUL. */
size_t cw_utf8_seq_len(const unsigned char *s, size_t n);
/* The largest length <= max such that s[0..length) does not end inside a UTF-8 sequence
   (s has `len` bytes; max > len is clamped to len). */
size_t cw_utf8_prefix(const char *s, size_t len, size_t max);
/* n, less a trailing incomplete UTF-8 sequence of s[0..n) (for text that was cut by
   someone else). */
size_t cw_utf8_complete(const char *s, size_t n);
/* The stem of a path's last component, as Python's Path.stem ("pkg/core.py" -> "core",
   ".bashrc" -> ".bashrc", "a.tar.gz" -> "a.tar", "a." -> "a."): its start in *stem, its
   length returned. NULL path: "". */
size_t cw_path_stem(const char *path, const char **stem);
/* true if `needle` occurs in `haystack`, ASCII letters compared without case. NULL-safe. */
bool cw_text_contains_ci(const char *haystack, const char *needle);

#endif
