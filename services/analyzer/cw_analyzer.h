/*  cw_analyzer — finds and scores what is worth documenting in the configured repos.
    A library: the analyzer service answers analyze_request with it, and
    `codeworm analyze` runs it in-process without a stack. */
#ifndef CW_ANALYZER_H
#define CW_ANALYZER_H

#include "cw_config.h"
#include "cw_value.h"

typedef struct _cw_analyzer_t cw_analyzer_t;

cw_analyzer_t *cw_analyzer_new(const cw_config_t *config);
void cw_analyzer_destroy(cw_analyzer_t **self_p);
/* Best candidates first, as an array of target maps (see cw_proto.h). doc_type NULL =
   function_doc; repo NULL = every configured repo, else a repo name or a directory path
   (which need not be configured). NULL + err on error; an empty array when nothing
   qualifies. */
cw_value_t *cw_analyzer_candidates(cw_analyzer_t *self, const char *doc_type, const char *repo,
                                   size_t limit, char *err, size_t errlen);

#endif
