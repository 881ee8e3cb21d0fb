/*  cw_prompts — built-in prompts and safe template substitution. */
#include "cw_buf.h"
#include "cw_text.h"
#include "cw_prompts.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct _cw_prompts_t {
    char *system;       /* NULL = built-in */
    char *style;        /* NULL = none */
    char *doc_template; /* NULL = built-in (function_doc only) */
    char *commit_template;
    cw_lang_hint_t *hints;
    size_t hint_count;
};

/* ---------------------------------------------------------------- built-in texts */
static const char s_system[] =
    "You write entries for a developer's technical log: short, accurate Markdown notes "
    "about real source code.\n"
    "\n"
    "Rules:\n"
    "1. Describe only the code you are given. Never invent functions, parameters, files, "
    "callers, behaviour or history that the code does not show; when something cannot be "
    "told from the code, say so in a few words instead of guessing.\n"
    "2. Name the actual identifiers (functions, variables, types) you are talking about.\n"
    "3. Answer in GitHub-flavoured Markdown. Do not start with a title heading (the entry "
    "already has one) and do not wrap the whole answer in a code fence.\n"
    "4. Start directly with the content: no introduction such as \"Here is ...\", and no "
    "closing remarks about your answer.\n"
    "5. Stay within the word limit the request gives.";

static const char s_commit_system[] =
    "You write git commit messages that read as if a developer wrote them by hand: one "
    "short, specific line, nothing else.";

static const char s_commit_template[] =
    "Write the git commit message for adding this note about `{name}` ({language}, "
    "repository {repo}) to a developer log.\n"
    "\n"
    "The note begins:\n"
    "{documentation}\n"
    "\n"
    "Answer with a single line: start with a verb, mention {name}, keep it under 72 "
    "characters, and add no quotes, no prefix and no explanation.";

static const char s_tpl_function[] =
    "Document the {language} function `{name}` from `{file_path}` in the {repo} "
    "repository (cyclomatic complexity {complexity}, {line_count} lines).\n"
    "\n"
    "```{language}\n"
    "{source}\n"
    "```\n"
    "\n"
    "Facts the analyzer read from the code:\n"
    "{facts}\n"
    "\n"
    "Cover, in 100-200 words:\n"
    "- **Purpose and behaviour**: what it does, what it takes and what it returns.\n"
    "- **Implementation**: the key steps or techniques it relies on.\n"
    "- **When to use it**: the situations it is written for.\n"
    "- **Gotchas**: edge cases, side effects, error handling a caller must know about.\n"
    "\n"
    "Refer only to the code above and invent nothing. Stay under 200 words.";

static const char s_tpl_class[] =
    "Document the {language} class `{name}` from `{file_path}` in the {repo} repository "
    "({line_count} lines).\n"
    "\n"
    "```{language}\n"
    "{source}\n"
    "```\n"
    "\n"
    "Facts the analyzer read from the code:\n"
    "{facts}\n"
    "\n"
    "Cover, in 150-300 words:\n"
    "- **Responsibility**: the one job this class has.\n"
    "- **Public interface**: its main methods and attributes and how they are used.\n"
    "- **Patterns**: design patterns or idioms visible in the code.\n"
    "- **Place in the architecture**: what it depends on and what it offers, as far as the "
    "code shows.\n"
    "\n"
    "Refer only to the code above and invent nothing. Stay under 300 words.";

static const char s_tpl_file[] =
    "Write an overview of the {language} file `{file_path}` in the {repo} repository "
    "({line_count} lines).\n"
    "\n"
    "```{language}\n"
    "{source}\n"
    "```\n"
    "\n"
    "Facts the analyzer read from the code:\n"
    "{facts}\n"
    "\n"
    "Cover, in 150-300 words:\n"
    "- **Responsibility**: what this file is for.\n"
    "- **Public interface**: the functions, classes or constants it exports.\n"
    "- **Place in the project**: how it relates to the rest of the code, judging only by "
    "its imports and names.\n"
    "- **Design decisions**: notable choices and trade-offs visible in the code.\n"
    "\n"
    "Refer only to the code above and invent nothing. Stay under 300 words.";

static const char s_tpl_module[] =
    "Write an overview of the {language} module `{name}` (`{file_path}`) in the {repo} "
    "repository.\n"
    "\n"
    "Its files and their contents:\n"
    "{source}\n"
    "\n"
    "Facts the analyzer read from the code:\n"
    "{facts}\n"
    "\n"
    "Cover, in 150-350 words:\n"
    "- **Scope**: what the module is responsible for.\n"
    "- **How the files relate**: which file does what and how they depend on each other.\n"
    "- **Public API**: what other code is meant to use.\n"
    "- **When to use it**: the problems it solves for its callers.\n"
    "\n"
    "Refer only to the files above and invent nothing. Stay under 350 words.";

static const char s_tpl_security[] =
    "Review the {language} code `{name}` from `{file_path}` in the {repo} repository for "
    "security problems.\n"
    "\n"
    "```{language}\n"
    "{source}\n"
    "```\n"
    "\n"
    "Facts the analyzer read from the code:\n"
    "{facts}\n"
    "\n"
    "Look for: injection (SQL, shell, path, template), missing authentication or "
    "authorisation checks, hard-coded secrets, race conditions and TOCTOU, missing input "
    "validation, unsafe deserialisation, and error messages that leak internals.\n"
    "For each real finding give a **severity** (low, medium, high, critical), the lines or "
    "identifiers involved, why it matters, and a concrete fix. If the code shows no real "
    "problem, say so plainly instead of inventing one.\n"
    "\n"
    "Refer only to the code above and invent nothing. Stay under 350 words.";

static const char s_tpl_performance[] =
    "Analyse the performance of the {language} code `{name}` from `{file_path}` in the "
    "{repo} repository (cyclomatic complexity {complexity}).\n"
    "\n"
    "```{language}\n"
    "{source}\n"
    "```\n"
    "\n"
    "Facts the analyzer read from the code:\n"
    "{facts}\n"
    "\n"
    "Cover: time and space complexity, redundant or repeated work, blocking calls, N+1 "
    "access patterns, caching opportunities, and resource leaks. For each point name the "
    "code involved and suggest a concrete improvement; say so when the code is already "
    "fine.\n"
    "\n"
    "Refer only to the code above and invent nothing. Stay under 300 words.";

static const char s_tpl_til[] =
    "Write a short \"Today I Learned\" note about one interesting technique in this "
    "{language} code (`{name}` in `{file_path}`, {repo} repository).\n"
    "\n"
    "```{language}\n"
    "{source}\n"
    "```\n"
    "\n"
    "Facts the analyzer read from the code:\n"
    "{facts}\n"
    "\n"
    "Pick a single technique the code really uses, explain it in a casual, first-person "
    "tone and say why it is neat. 50-100 words.\n"
    "\n"
    "Refer only to the code above and invent nothing. Stay under 100 words.";

static const char s_tpl_evolution[] =
    "Describe how `{name}` in `{file_path}` ({repo} repository, {language}) has changed.\n"
    "\n"
    "The change (diff or history):\n"
    "{source}\n"
    "\n"
    "Facts the analyzer read from the code:\n"
    "{facts}\n"
    "\n"
    "Cover, in 100-250 words:\n"
    "- **What changed**: the concrete differences.\n"
    "- **Why**: the likely reason, only as far as the change and its messages show it.\n"
    "- **Impact**: what behaves differently now.\n"
    "- **Risks**: what could break or needs a second look.\n"
    "\n"
    "Refer only to the material above and invent nothing. Stay under 250 words.";

static const char s_tpl_pattern[] =
    "Identify the design pattern used by `{name}` in `{file_path}` ({repo} repository, "
    "{language}).\n"
    "\n"
    "```{language}\n"
    "{source}\n"
    "```\n"
    "\n"
    "Facts the analyzer read from the code:\n"
    "{facts}\n"
    "\n"
    "Cover, in 100-250 words:\n"
    "- **Pattern**: which pattern it is (say so if none clearly applies).\n"
    "- **Implementation**: how this code realises it.\n"
    "- **Benefits**: what the pattern buys here.\n"
    "- **Deviations**: where the code departs from the textbook form.\n"
    "\n"
    "Refer only to the code above and invent nothing. Stay under 250 words.";

static const char s_tpl_weekly[] =
    "Write a weekly summary of the development activity in the {repo} repository.\n"
    "\n"
    "The week's material:\n"
    "{source}\n"
    "\n"
    "Facts the analyzer read from the code:\n"
    "{facts}\n"
    "\n"
    "Cover, in 150-300 words: the main areas of work, notable changes, recurring themes, "
    "and anything that looks unfinished. Use only the material above and invent nothing. "
    "Stay under 300 words.";

static const char s_tpl_monthly[] =
    "Write a monthly summary of the development activity in the {repo} repository.\n"
    "\n"
    "The month's material:\n"
    "{source}\n"
    "\n"
    "Facts the analyzer read from the code:\n"
    "{facts}\n"
    "\n"
    "Cover, in 200-400 words: the main themes of the month, how the code base moved, "
    "notable additions or rewrites, and open threads. Use only the material above and "
    "invent nothing. Stay under 400 words.";

static const char *const s_templates[CW_DOC_TYPE_COUNT] = {
    [CW_DOC_FUNCTION] = s_tpl_function,
    [CW_DOC_CLASS] = s_tpl_class,
    [CW_DOC_FILE] = s_tpl_file,
    [CW_DOC_SECURITY] = s_tpl_security,
    [CW_DOC_PERFORMANCE] = s_tpl_performance,
    [CW_DOC_TIL] = s_tpl_til,
    [CW_DOC_EVOLUTION] = s_tpl_evolution,
    [CW_DOC_MODULE] = s_tpl_module,
    [CW_DOC_PATTERN] = s_tpl_pattern,
    [CW_DOC_WEEKLY] = s_tpl_weekly,
    [CW_DOC_MONTHLY] = s_tpl_monthly,
};

static const struct {
    const char *language;
    const char *hint;
} s_hints[] = {
    {"python", "Mention type hints, decorators, generators and async behaviour where the "
               "code uses them."},
    {"typescript", "Mention types, generics and async/await behaviour where the code uses "
                   "them."},
    {"tsx", "This is TypeScript with JSX: mention props, hooks and rendering behaviour where "
            "the code shows them."},
    {"javascript", "Mention promises, closures and callbacks where the code uses them."},
    {"go", "Mention error returns, goroutines, channels and interfaces where the code uses "
           "them."},
    {"rust", "Mention ownership, borrowing, lifetimes, Result/Option handling and traits "
             "where the code uses them."},
    {"c", "Mention memory ownership, buffer bounds and error return conventions where the "
          "code shows them."},
    {"cpp", "Mention ownership (RAII, smart pointers), templates and exceptions where the "
            "code uses them."},
};

const char *cw_prompts_builtin_system(void)
{
    return s_system;
}

const char *cw_prompts_builtin_template(int doc_type)
{
    if (doc_type < 0 || doc_type >= CW_DOC_TYPE_COUNT)
        doc_type = CW_DOC_FUNCTION;
    return s_templates[doc_type];
}

const char *cw_prompts_builtin_commit_template(void)
{
    return s_commit_template;
}

const char *cw_prompts_builtin_language_hint(const char *language)
{
    if (!language)
        return NULL;
    for (size_t i = 0; i < sizeof(s_hints) / sizeof(s_hints[0]); i++)
        if (strcasecmp(s_hints[i].language, language) == 0)
            return s_hints[i].hint;
    return NULL;
}

/* ---------------------------------------------------------------- object */
static char *s_dup_set(const char *s)
{
    return s && *s ? strdup(s) : NULL;
}

void cw_prompts_destroy(cw_prompts_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cw_prompts_t *self = *self_p;
    free(self->system);
    free(self->style);
    free(self->doc_template);
    free(self->commit_template);
    for (size_t i = 0; i < self->hint_count; i++) {
        free(self->hints[i].language);
        free(self->hints[i].hint);
    }
    free(self->hints);
    free(self);
    *self_p = NULL;
}

cw_prompts_t *cw_prompts_new(const cw_config_t *config)
{
    cw_prompts_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    if (!config)
        return self;
    self->system = s_dup_set(config->prompts.system_prompt);
    self->style = s_dup_set(config->prompts.style);
    self->doc_template = s_dup_set(config->prompts.documentation_template);
    self->commit_template = s_dup_set(config->prompts.commit_message_template);
    if (config->prompts.language_hint_count && config->prompts.language_hints) {
        self->hints = calloc(config->prompts.language_hint_count, sizeof(cw_lang_hint_t));
        if (!self->hints) {
            cw_prompts_destroy(&self);
            return NULL;
        }
        for (size_t i = 0; i < config->prompts.language_hint_count; i++) {
            const cw_lang_hint_t *h = &config->prompts.language_hints[i];
            if (!h->language || !h->hint)
                continue;
            char *lang = strdup(h->language), *hint = strdup(h->hint);
            if (!lang || !hint) {
                free(lang);
                free(hint);
                continue;
            }
            self->hints[self->hint_count].language = lang;
            self->hints[self->hint_count].hint = hint;
            self->hint_count++;
        }
    }
    return self;
}

/* ---------------------------------------------------------------- substitution */
char *cw_prompts_substitute(const char *tmpl, const cw_prompt_kv_t *vars, size_t count)
{
    cw_buf_t b;
    cw_buf_init(&b, 0);
    if (!tmpl)
        tmpl = "";
    const char *p = tmpl;
    while (*p) {
        const char *brace = strchr(p, '{');
        if (!brace) {
            cw_buf_puts(&b, p);
            break;
        }
        cw_buf_append(&b, p, (size_t)(brace - p));
        const char *close = strchr(brace + 1, '}');
        bool replaced = false;
        if (close) {
            size_t n = (size_t)(close - brace - 1);
            for (size_t i = 0; i < count; i++) {
                if (strlen(vars[i].name) == n && strncmp(brace + 1, vars[i].name, n) == 0) {
                    cw_buf_puts(&b, vars[i].value ? vars[i].value : "");
                    p = close + 1;
                    replaced = true;
                    break;
                }
            }
        }
        if (!replaced) {
            cw_buf_append(&b, "{", 1);
            p = brace + 1;
        }
    }
    return cw_buf_take(&b, NULL);
}

/* ---------------------------------------------------------------- prompts */
char *cw_prompts_system(const cw_prompts_t *self, const char *language)
{
    cw_buf_t b;
    cw_buf_init(&b, 0);
    cw_buf_puts(&b, self && self->system ? self->system : s_system);
    if (self && self->style) {
        cw_buf_puts(&b, "\n\nWriting style: ");
        cw_buf_puts(&b, self->style);
        cw_buf_puts(&b, ".");
    }
    const char *hint = NULL;
    if (self && language)
        for (size_t i = 0; i < self->hint_count; i++)
            if (strcasecmp(self->hints[i].language, language) == 0)
                hint = self->hints[i].hint;
    if (!hint)
        hint = cw_prompts_builtin_language_hint(language);
    if (hint && *hint) {
        cw_buf_puts(&b, "\n\nLanguage-specific guidance: ");
        cw_buf_puts(&b, hint);
    }
    return cw_buf_take(&b, NULL);
}

char *cw_prompts_document(const cw_prompts_t *self, int doc_type, const cw_prompt_vars_t *vars)
{
    if (doc_type < 0 || doc_type >= CW_DOC_TYPE_COUNT)
        doc_type = CW_DOC_FUNCTION;
    const char *tmpl = s_templates[doc_type];
    /* prompts.yaml's documentation_template replaces the built-in template of the doc
       types that name it (cw_doctype: function_doc) */
    if (cw_doctype(doc_type)->template_key && self && self->doc_template)
        tmpl = self->doc_template;
    char complexity[32], lines[32];
    snprintf(complexity, sizeof(complexity), "%.1f", vars ? vars->complexity : 0.0);
    snprintf(lines, sizeof(lines), "%ld", vars ? vars->line_count : 0L);
    char *facts = cw_prompts_facts(vars ? vars->target : NULL);
    if (!facts)
        return NULL;
    cw_prompt_kv_t kv[] = {
        {"language", vars ? vars->language : NULL},
        {"source", vars ? vars->source : NULL},
        {"name", vars ? vars->name : NULL},
        {"file_path", vars ? vars->file_path : NULL},
        {"repo", vars ? vars->repo : NULL},
        {"complexity", complexity},
        {"line_count", lines},
        {"facts", facts},
        {"context", facts},
    };
    char *user = cw_prompts_substitute(tmpl, kv, sizeof(kv) / sizeof(kv[0]));
    /* a template that leaves the facts out gets them after it */
    if (user && !strstr(tmpl, "{facts}") && !strstr(tmpl, "{context}") &&
        strcmp(facts, "(none)") != 0) {
        cw_buf_t b;
        cw_buf_init(&b, 0);
        cw_buf_puts(&b, user);
        cw_buf_puts(&b, "\n\nFacts the analyzer read from the code:\n");
        cw_buf_puts(&b, facts);
        free(user);
        user = cw_buf_take(&b, NULL);
    }
    free(facts);
    return user;
}

/* ---------------------------------------------------------------- facts */

#define FACT_ITEM 200 /* bytes of one name, type or signature */
#define FACT_DOC 400  /* bytes of the docstring */
#define FACT_LIST 30  /* items of a list */

/* s on one line (whitespace runs as one space), at most max bytes ("..." when cut) */
static void s_put_line(cw_buf_t *b, const char *s, size_t max)
{
    if (!s)
        return;
    size_t len = strnlen(s, max + 1), n = cw_utf8_prefix(s, len, max);
    bool space = false, first = true;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == ' ' || (unsigned char)c < 0x20 || c == 0x7F) {
            space = true;
            continue;
        }
        if (space && !first)
            cw_buf_append(b, " ", 1);
        space = first = false;
        cw_buf_append(b, &c, 1);
    }
    if (n < len)
        cw_buf_puts(b, "...");
}

static void s_fact(cw_buf_t *b, const char *key)
{
    if (b->len > 0)
        cw_buf_puts(b, "\n");
    cw_buf_puts(b, "- ");
    cw_buf_puts(b, key);
    cw_buf_puts(b, ": ");
}

static void s_fact_list(cw_buf_t *b, const char *const *items, size_t n)
{
    size_t k = n < FACT_LIST ? n : FACT_LIST;
    for (size_t i = 0; i < k; i++) {
        if (i)
            cw_buf_puts(b, ", ");
        s_put_line(b, items[i], FACT_ITEM);
    }
    if (n > k)
        cw_buf_printf(b, " (+%zu more)", n - k);
}

static void s_fact_members(cw_buf_t *b, const char *key, const cw_gen_member_t *m, size_t n)
{
    if (n == 0)
        return;
    s_fact(b, key);
    cw_buf_printf(b, "%zu", n);
    size_t k = n < FACT_LIST ? n : FACT_LIST;
    for (size_t i = 0; i < k; i++) {
        cw_buf_puts(b, "\n  - ");
        s_put_line(b, m[i].name, FACT_ITEM);
        cw_buf_puts(b, " (");
        s_put_line(b, m[i].kind, 32);
        cw_buf_printf(b, ", line %ld)", m[i].line);
        if (m[i].signature && strcmp(m[i].signature, m[i].name) != 0) {
            cw_buf_puts(b, ": ");
            s_put_line(b, m[i].signature, FACT_ITEM);
        }
    }
    if (n > k)
        cw_buf_printf(b, "\n  - (+%zu more)", n - k);
}

static void s_fact_function(cw_buf_t *b, const cw_gen_target_t *t)
{
    if (t->signature) {
        s_fact(b, "signature");
        s_put_line(b, t->signature, 600);
    }
    if (t->has_parameters) {
        s_fact(b, "parameters");
        if (t->parameter_count == 0)
            cw_buf_puts(b, "none");
        for (size_t i = 0; i < t->parameter_count && i < FACT_LIST; i++) {
            const cw_gen_param_t *p = &t->parameters[i];
            if (i)
                cw_buf_puts(b, "; ");
            s_put_line(b, *p->name ? p->name : "(unnamed)", FACT_ITEM);
            if (p->type) {
                cw_buf_puts(b, ": ");
                s_put_line(b, p->type, FACT_ITEM);
            }
            if (p->dflt) {
                cw_buf_puts(b, " = ");
                s_put_line(b, p->dflt, FACT_ITEM);
            }
        }
        if (t->parameter_count > FACT_LIST)
            cw_buf_printf(b, " (+%zu more)", t->parameter_count - FACT_LIST);
    }
    if (t->return_type) {
        s_fact(b, "returns");
        s_put_line(b, t->return_type, FACT_ITEM);
    }
    if (t->is_async) {
        s_fact(b, "async");
        cw_buf_puts(b, "yes");
    }
    if (t->decorator_count) {
        s_fact(b, "decorators");
        s_fact_list(b, t->decorators, t->decorator_count);
    }
    if (t->call_count) {
        s_fact(b, "calls");
        s_fact_list(b, t->calls, t->call_count);
    }
    const cw_gen_body_t *y = &t->body;
    if (y->present) {
        s_fact(b, "body");
        cw_buf_printf(b, "%ld loop%s", y->loops, y->loops == 1 ? "" : "s");
        if (y->loop_depth > 1)
            cw_buf_printf(b, " (nested %ld deep)", y->loop_depth);
        struct {
            long n;
            const char *what;
        } parts[] = {{y->returns, "return statements"},
                     {y->raises, "raise/throw/panic"},
                     {y->catches, "error handlers"},
                     {y->yields, "yields"},
                     {y->awaits, "awaits"},
                     {y->gotos, "gotos"},
                     {y->unsafe, "unsafe blocks"}};
        for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
            if (parts[i].n > 0)
                cw_buf_printf(b, ", %ld %s", parts[i].n, parts[i].what);
    }
}

static void s_fact_change(cw_buf_t *b, const cw_gen_target_t *t)
{
    if (t->commit.present) {
        s_fact(b, "commit");
        char hash[8]; /* the short hash */
        snprintf(hash, sizeof hash, "%s", t->commit.hash ? t->commit.hash : "");
        s_put_line(b, hash, sizeof hash);
        if (t->commit.author) {
            cw_buf_puts(b, " by ");
            s_put_line(b, t->commit.author, FACT_ITEM);
        }
        if (t->commit.date) {
            cw_buf_puts(b, " on ");
            s_put_line(b, t->commit.date, 40);
        }
        if (t->commit.subject) {
            cw_buf_puts(b, ": ");
            s_put_line(b, t->commit.subject, FACT_DOC);
        }
        cw_buf_printf(b, " (%ld files changed)", t->commit.file_count);
        for (size_t i = 0; i < t->commit.count && i < FACT_LIST; i++) {
            const cw_gen_file_change_t *f = &t->commit.files[i];
            cw_buf_puts(b, "\n  - ");
            s_put_line(b, f->path, FACT_ITEM);
            cw_buf_puts(b, " (");
            s_put_line(b, f->status, 16);
            cw_buf_printf(b, ", +%ld -%ld)", f->added, f->deleted);
        }
    }
    if (t->change.present) {
        s_fact(b, "this file");
        s_put_line(b, t->change.status, 16);
        cw_buf_printf(b, ", +%ld -%ld lines", t->change.added, t->change.deleted);
        if (t->start_line > 0)
            cw_buf_printf(b, ", new lines %ld-%ld", t->start_line, t->end_line);
        for (size_t i = 0; i < t->change.hunk_count && i < FACT_LIST; i++) {
            const cw_gen_hunk_t *h = &t->change.hunks[i];
            cw_buf_printf(b, "\n  - hunk -%ld,%ld +%ld,%ld", h->old_start, h->old_lines,
                          h->new_start, h->new_lines);
            if (h->section) {
                cw_buf_puts(b, " in ");
                s_put_line(b, h->section, FACT_ITEM);
            }
        }
    }
}

char *cw_prompts_facts(const cw_gen_target_t *t)
{
    cw_buf_t b;
    cw_buf_init(&b, 0);
    if (!t)
        return strdup("(none)");
    if (t->kind) {
        s_fact(&b, "kind");
        s_put_line(&b, t->kind, 32);
        if (t->class_name) {
            cw_buf_puts(&b, " of ");
            s_put_line(&b, t->class_name, FACT_ITEM);
        }
    }
    if (t->start_line > 0 && t->end_line >= t->start_line && t->doc_type != CW_DOC_EVOLUTION) {
        s_fact(&b, "lines");
        cw_buf_printf(&b, "%ld-%ld", t->start_line, t->end_line);
        if (t->nloc >= 0)
            cw_buf_printf(&b, " (%ld of code)", t->nloc);
        if (t->nesting >= 0)
            cw_buf_printf(&b, ", nesting depth %ld", t->nesting);
    }
    if (t->source_cut) {
        s_fact(&b, "source");
        cw_buf_puts(&b, "cut: only its beginning is shown");
    }
    if (t->docstring) {
        s_fact(&b, "docstring");
        cw_buf_puts(&b, "\"");
        s_put_line(&b, t->docstring, FACT_DOC);
        cw_buf_puts(&b, "\"");
    }
    s_fact_function(&b, t);
    s_fact_members(&b, "members", t->members, t->member_count);
    s_fact_members(&b, "top-level definitions", t->definitions, t->definition_count);
    if (t->import_count) {
        s_fact(&b, "imports");
        s_fact_list(&b, t->imports, t->import_count);
    }
    if (t->module.present) {
        s_fact(&b, "module");
        s_put_line(&b, t->module.kind ? t->module.kind : "module", 32);
        cw_buf_printf(&b, " of %ld files", t->module.file_count);
        if (t->module.index_file) {
            cw_buf_puts(&b, ", index file ");
            s_put_line(&b, t->module.index_file, FACT_ITEM);
        }
        for (size_t i = 0; i < t->module.count && i < FACT_LIST; i++) {
            const cw_gen_module_file_t *f = &t->module.files[i];
            cw_buf_puts(&b, "\n  - ");
            s_put_line(&b, f->path, FACT_ITEM);
            cw_buf_printf(&b, ": %ld lines, %ld functions, %ld classes", f->lines, f->functions,
                          f->classes);
        }
    }
    s_fact_change(&b, t);
    for (size_t i = 0; i < t->pattern_count && i < 8; i++) {
        s_fact(&b, i == 0 ? "pattern" : "also");
        s_put_line(&b, t->patterns[i].name, 32);
        cw_buf_puts(&b, " (indicators found in code: ");
        s_fact_list(&b, t->patterns[i].indicators, t->patterns[i].indicator_count);
        cw_buf_puts(&b, ")");
    }
    if (!b.failed && b.len == 0) {
        cw_buf_free(&b);
        return strdup("(none)");
    }
    if (b.len > CW_PROMPT_FACTS_MAX) { /* bounded: cut after a whole line */
        size_t cut = cw_utf8_prefix(b.data, b.len, CW_PROMPT_FACTS_MAX);
        while (cut > 0 && b.data[cut - 1] != '\n')
            cut--;
        cw_buf_truncate(&b, cut > 0 ? cut - 1 : cw_utf8_prefix(b.data, b.len, CW_PROMPT_FACTS_MAX));
    }
    return cw_buf_take(&b, NULL);
}

char *cw_prompts_commit_system(const cw_prompts_t *self)
{
    (void)self;
    return strdup(s_commit_system);
}

char *cw_prompts_commit(const cw_prompts_t *self, const char *documentation,
                        const cw_prompt_vars_t *vars)
{
    const char *doc = documentation ? documentation : "";
    size_t n = strlen(doc);
    n = cw_utf8_prefix(doc, n, CW_PROMPT_COMMIT_DOC_CHARS); /* never split a character */
    char *head = strndup(doc, n);
    if (!head)
        return NULL;
    cw_prompt_kv_t kv[] = {
        {"documentation", head},
        {"name", vars ? vars->name : NULL},
        {"language", vars ? vars->language : NULL},
        {"repo", vars ? vars->repo : NULL},
    };
    const char *tmpl = self && self->commit_template ? self->commit_template : s_commit_template;
    char *out = cw_prompts_substitute(tmpl, kv, sizeof(kv) / sizeof(kv[0]));
    free(head);
    return out;
}
