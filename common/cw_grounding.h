/*  cw_grounding — is a document about the code it was given? The identifiers a document
    puts in inline code spans (`name`, `Class.method()`, `mod::func`) are looked up among
    the identifiers of the target: every string the target carries (source, context,
    docstring, signature, calls, file path, nested facts...). The ratio found / looked at
    is the document's grounding; documentation.min_grounding (0.8) is the least a
    generator accepts.

    What counts: spans that read as an identifier or a dotted/`::`/`->` path, optionally
    followed by a call's parentheses (`f(x)`), a macro's `!` or `[]`. Language keywords,
    literals and primitive types (`None`, `self`, `int`, `Vec`...) and big-O notation are
    skipped, as are expressions, numbers, paths with '/', and fenced code blocks. Each
    distinct identifier counts once; a path is found when every part of it is.

    Shared by the generator (which regenerates once, cooler, below the threshold and then
    gives up) and the committer (which records the ratio in the ledger and the
    documentation_committed event).                                                    */
#ifndef CW_GROUNDING_H
#define CW_GROUNDING_H

#include <stddef.h>

#include "cw_value.h"

#define CW_GROUNDING_MISSING_MAX 256

typedef struct {
    size_t checked;                         /* distinct identifiers looked at */
    size_t grounded;                        /* of those, found in the target */
    double ratio;                           /* grounded / checked; 1.0 when nothing was checked */
    char missing[CW_GROUNDING_MISSING_MAX]; /* the first ones not found: "`a`, `b`" */
} cw_grounding_t;

/* Check `document` (markdown) against `target` (a target map, or any value tree). 0, or
   -1 on OOM (out->ratio is then 0). */
int cw_grounding_check(const cw_value_t *target, const char *document, cw_grounding_t *out);

#endif
