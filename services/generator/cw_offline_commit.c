/*  cw_offline_commit — the offline backend's commit messages: one line that starts with a
    verb, names what was documented and fits in 72 characters (shared/reference/OUTPUT.md).
    Each doc type has its own wordings; which one a target gets is drawn from a hash of its
    doc type, file and name, so messages vary across targets and stay the same for one. */
#include "cw_clean.h"
#include "cw_config.h"
#include "cw_generator.h"
#include "cw_offline_int.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define MAX_COMMIT 72

/* Wordings: %N the display name, %F the file's base name, %K the kind, %P the pattern,
   %H the short commit hash, %R the repository. Every one starts with a verb. */
static const char *const s_function[] = {"Document %N",
                                         "Describe what %N does",
                                         "Explain %N in %F",
                                         "Add notes on %N from %F",
                                         "Write up how to call %N",
                                         NULL};
static const char *const s_class[] = {"Document the %N %K", "Describe the %K %N and its members",
                                      "Explain how to use %N", "Add notes on the %N %K in %F",
                                      NULL};
static const char *const s_file[] = {"Add an overview of %F", "Describe what %F is for",
                                     "Summarize the contents of %F", "Document the file %F", NULL};
static const char *const s_module[] = {"Add an overview of the %N %K", "Describe the %N %K",
                                       "Map out the files of the %N %K", NULL};
static const char *const s_security[] = {"Review %N for security risks", "Check the calls %N makes",
                                         "Add a security note on %N", NULL};
static const char *const s_performance[] = {
    "Analyze the performance of %N", "Look at the cost of %N", "Add performance notes on %N", NULL};
static const char *const s_til[] = {"Note a technique from %N", "Add a TIL from %N in %F",
                                    "Share what %N taught me", NULL};
static const char *const s_til_recursive[] = {"Note how %N uses recursion",
                                              "Add a TIL on the recursion in %N", NULL};
static const char *const s_til_generator[] = {"Note how %N yields its results",
                                              "Add a TIL on the generator %N", NULL};
static const char *const s_evolution[] = {"Describe commit %H to %F",
                                          "Explain what %H changed in %F",
                                          "Record the change to %F in %H", NULL};
static const char *const s_pattern[] = {"Document the %P pattern in %F",
                                        "Describe how %F uses the %P pattern",
                                        "Note the %P pattern in %F", NULL};
static const char *const s_weekly[] = {"Summarize the week in %R", "Add the weekly summary of %R",
                                       NULL};
static const char *const s_monthly[] = {"Summarize the month in %R",
                                        "Add the monthly summary of %R", NULL};

static uint32_t s_hash(const char *s, uint32_t h)
{
    for (; s && *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* Expand a wording into out (at most outlen - 1 bytes, cut). */
static void s_expand(const char *fmt, const char *const vals[128], char *out, size_t outlen)
{
    size_t o = 0;
    for (const char *p = fmt; *p && o + 1 < outlen; p++) {
        const char *v = NULL;
        if (*p == '%' && p[1] && (unsigned char)p[1] < 128 && vals[(unsigned char)p[1]]) {
            v = vals[(unsigned char)p[1]];
            p++;
        }
        if (!v) {
            out[o++] = *p;
            continue;
        }
        for (; *v && o + 1 < outlen; v++)
            out[o++] = (unsigned char)*v < 0x20 ? ' ' : *v;
    }
    out[o] = '\0';
}

char *cw_offline_commit_message(const cw_gen_target_t *t)
{
    char name[600];
    cw_gen_display_name(t, name, sizeof(name));
    const char *const *words = s_function;
    switch (t->doc_type) {
    case CW_DOC_CLASS:
        words = s_class;
        break;
    case CW_DOC_FILE:
        words = s_file;
        break;
    case CW_DOC_MODULE:
        words = s_module;
        break;
    case CW_DOC_SECURITY:
        words = s_security;
        break;
    case CW_DOC_PERFORMANCE:
        words = s_performance;
        break;
    case CW_DOC_TIL:
        words = cw_offline_recursive(t) ? s_til_recursive
                : t->body.yields > 0    ? s_til_generator
                                        : s_til;
        break;
    case CW_DOC_EVOLUTION:
        words = s_evolution;
        break;
    case CW_DOC_PATTERN:
        words = t->pattern_count > 0 ? s_pattern : s_file;
        break;
    case CW_DOC_WEEKLY:
        words = s_weekly;
        break;
    case CW_DOC_MONTHLY:
        words = s_monthly;
        break;
    default:
        break;
    }
    char hash[8] = "";
    if (t->commit.hash)
        snprintf(hash, sizeof hash, "%s", t->commit.hash);
    else {
        const char *at = strrchr(t->name ? t->name : "", '@');
        snprintf(hash, sizeof hash, "%s", at ? at + 1 : "");
    }
    const char *kind = t->doc_type == CW_DOC_MODULE && t->module.kind ? t->module.kind
                       : t->kind                                      ? t->kind
                                                                      : "class";
    const char *vals[128] = {0};
    vals['N'] = name;
    vals['F'] = cw_md_base(t->file);
    vals['K'] = kind;
    vals['P'] = t->pattern_count > 0 ? t->patterns[0].name : "design";
    vals['H'] = *hash ? hash : "a commit";
    vals['R'] = t->repo && *t->repo ? t->repo : "the repository";
    size_t n = 0;
    while (words[n])
        n++;
    uint32_t h = s_hash(t->doc_type_name, 2166136261u);
    h = s_hash(t->file, h);
    h = s_hash(t->name, h);
    /* the drawn wording if it fits, else the next that fits, else the shortest (cut) */
    char msg[1400], best[1400] = "";
    for (size_t k = 0; k < n; k++) {
        s_expand(words[(h + k) % n], vals, msg, sizeof msg);
        if (cw_utf8_chars(msg) <= MAX_COMMIT)
            return cw_clean_commit_message(msg, name);
        if (!*best || strlen(msg) < strlen(best))
            snprintf(best, sizeof best, "%s", msg);
    }
    return cw_clean_commit_message(best, name);
}
