/*  cw_offline_summary — the offline backend's weekly and monthly summaries: a factual
    account of what the ledger recorded in the period (counts by repository, kind and
    language, the most complex targets, the documents), from the `summary` map of a
    weekly_summary / monthly_summary target (built by the scheduler, cw_summary.c, from
    the committer's summary_reply):

      {kind, period, first_day, last_day, timezone, total, repos {name: n},
       doc_types {type: n}, languages {language: n},
       documents [{display, repo, file, doc_type, language?, complexity?, documented_at}],
       most_complex [same]}

    Deterministic; every identifier it puts in backticks comes from the target.        */
#ifndef CW_OFFLINE_SUMMARY_H
#define CW_OFFLINE_SUMMARY_H

#include <stdbool.h>

#include "cw_value.h"

#define CW_OFFLINE_SUMMARY_DOCS 30 /* documents listed one by one */

/* The document / the commit message, malloc'd; NULL on OOM. */
char *cw_offline_summary_document(const cw_value_t *target);
char *cw_offline_summary_commit_message(const cw_value_t *target);

#endif
