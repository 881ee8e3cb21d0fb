/*  cw_prompts — the system prompt and the per-doc-type templates, with prompts.yaml
    overrides (config->prompts.*; NULL = built-in):

      system_prompt           replaces the built-in system prompt for every doc type
      style                   appended to the system prompt ("Writing style: <style>.")
      language_hints          the hint for the target's language is appended to the system
                              prompt (a built-in hint is used for languages not listed)
      documentation_template  replaces the function_doc template (as the reference does;
                              other doc types keep their own templates)
      commit_message_template replaces the commit message template

    Placeholders: {language} {source} {name} {file_path} {repo} {complexity} {line_count}
    {facts} in documentation templates ({context} is the same text as {facts}, for older
    templates); {documentation} {name} {language} {repo} in the commit message template.
    Substitution replaces known placeholders only; anything else in braces is left as is,
    and inserted values are never re-scanned (source code full of braces is inserted
    literally).

    {facts} is what the analyzer read from the code (cw_prompts_facts): signature,
    parameters, return type, docstring, calls, body counts, members, definitions, imports,
    module files, commit and change, pattern indicators; compact, every list and text
    bounded, so that a small model has less to guess. A documentation template without
    {facts} or {context} gets the facts appended (as the reference appended decorators). */
#ifndef CW_PROMPTS_H
#define CW_PROMPTS_H

#include <stdbool.h>
#include <stddef.h>

#include "cw_config.h"
#include "cw_gen_target.h"

/* Input for a commit message prompt: the first this many bytes of the cleaned document. */
#define CW_PROMPT_COMMIT_DOC_CHARS 500

typedef struct {
    const char *language;
    const char *source;
    const char *name; /* display name */
    const char *file_path;
    const char *repo;
    double complexity;
    long line_count;
    const cw_gen_target_t *target; /* its facts go into {facts}; NULL = none */
} cw_prompt_vars_t;

#define CW_PROMPT_FACTS_MAX (12 * 1024) /* bytes of the facts block */

typedef struct {
    const char *name;  /* placeholder name without braces */
    const char *value; /* NULL = "" */
} cw_prompt_kv_t;

typedef struct _cw_prompts_t cw_prompts_t;

/* config may be NULL (built-ins only). The overrides are copied. */
cw_prompts_t *cw_prompts_new(const cw_config_t *config);
void cw_prompts_destroy(cw_prompts_t **self_p);

/* System prompt for a documentation call: base + style + language hint. malloc'd. */
char *cw_prompts_system(const cw_prompts_t *self, const char *language);
/* User prompt for doc_type (cw_doc_type_t; out of range -> function_doc). malloc'd. */
char *cw_prompts_document(const cw_prompts_t *self, int doc_type, const cw_prompt_vars_t *vars);
/* System and user prompt for the commit message call (documentation cut to
   CW_PROMPT_COMMIT_DOC_CHARS on a UTF-8 boundary). malloc'd. */
char *cw_prompts_commit_system(const cw_prompts_t *self);
char *cw_prompts_commit(const cw_prompts_t *self, const char *documentation,
                        const cw_prompt_vars_t *vars);

/* The facts block of a target (see above), at most CW_PROMPT_FACTS_MAX bytes; "(none)"
   when the target carries no facts. malloc'd. */
char *cw_prompts_facts(const cw_gen_target_t *target);

/* Built-in texts. */
const char *cw_prompts_builtin_system(void);
const char *cw_prompts_builtin_template(int doc_type);
const char *cw_prompts_builtin_commit_template(void);
const char *cw_prompts_builtin_language_hint(const char *language); /* NULL if none */

/* Replace {name} placeholders of `tmpl` with the given values; unknown placeholders and
   lone braces are copied as they are; values are inserted literally. malloc'd. */
char *cw_prompts_substitute(const char *tmpl, const cw_prompt_kv_t *vars, size_t count);

#endif
