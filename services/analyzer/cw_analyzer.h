/*  cw_analyzer — finds and scores what is worth documenting in the configured repos.
    A library: the analyzer service answers analyze_request with it, and
    `codeworm analyze` runs it in-process without a stack. */
#ifndef CW_ANALYZER_H
#define CW_ANALYZER_H

#include <stdint.h>
#include <time.h>

#include "cw_config.h"
#include "cw_value.h"

typedef struct _cw_analyzer_t cw_analyzer_t;

cw_analyzer_t *cw_analyzer_new(const cw_config_t *config);
void cw_analyzer_destroy(cw_analyzer_t **self_p);
/* Best candidates first, as an array of target maps (see cw_proto.h). doc_type NULL =
   function_doc; repo NULL = every configured repo, else a repo name or a directory path
   (which need not be configured; a folder that is not a git repository is analyzed without
   history statistics). limit 0 = no limit. NULL + err on error; an empty array when nothing
   qualifies. */
cw_value_t *cw_analyzer_candidates(cw_analyzer_t *self, const char *doc_type, const char *repo,
                                   size_t limit, char *err, size_t errlen);

/* One function of cw_analyzer_functions: a map {repo, file, name, class, language,
   start_line, end_line, complexity, nloc, tokens, params, nesting, score}, borrowed for the
   call. Return non-zero to stop the listing. */
typedef int(cw_analyzer_fn_cb)(const cw_value_t *function, void *arg);
/* Every function the analyzer extracts from `repo` (NULL = every configured repo, in config
   order; else a repo name or a directory path, as cw_analyzer_candidates), file by file in
   path order and by start line within a file, with its metrics: no candidate filter (size,
   name, score, min_complexity), no limit. `score` is the function_doc interest score before
   those filters. Returns the number of functions listed, or -1 + err (unknown repository,
   out of memory). */
long cw_analyzer_functions(cw_analyzer_t *self, const char *repo, cw_analyzer_fn_cb *cb, void *arg,
                           char *err, size_t errlen);
/* What the last cw_analyzer_candidates / cw_analyzer_functions call could not use, for a
   person to read (e.g. "/x is not a git repository: no history statistics"), one note per
   line; "" when nothing. Valid until the next call. */
const char *cw_analyzer_notes(const cw_analyzer_t *self);

/* ---- added by the analyzer */

/* Answer one analyze_request payload: an analyze_reply {job_id, targets, files_scanned,
   elapsed_ms, total}, or an error reply (bad_request for an unknown doc_type/repo or a bad
   limit/offset, internal otherwise). Never NULL unless out of memory. Paging (backfill):
   `offset` passes over the best candidates (stable order with one repo), `total` counts
   the candidates of the repositories looked at, `sources: false` leaves every source ""
   (the code hash is still the source's). */
cw_value_t *cw_analyzer_handle(cw_analyzer_t *self, const cw_value_t *request);
/* Source files the last cw_analyzer_candidates call looked at (readable text files of the
   scanned repositories, from the index or read again). */
size_t cw_analyzer_files_scanned(const cw_analyzer_t *self);
/* Source files the last call parsed (new or changed since the index saw them): 0 when
   nothing changed. */
size_t cw_analyzer_files_parsed(const cw_analyzer_t *self);
/* git history walks made so far (a walk is cached by HEAD in memory and under data_dir). */
size_t cw_analyzer_git_walks(const cw_analyzer_t *self);
/* Fix the clock used for git statistics (0 = the real clock); for tests and previews. */
void cw_analyzer_set_now(cw_analyzer_t *self, time_t now);
/* Seed the weighted repo order (multi-repo requests); seeded from the clock by default. */
void cw_analyzer_set_seed(cw_analyzer_t *self, uint64_t seed);

#endif
