/*  cw_lang — the language table. */
#include "cw_lang.h"

#include <string.h>
#include <strings.h>

const TSLanguage *tree_sitter_python(void);
const TSLanguage *tree_sitter_javascript(void);
const TSLanguage *tree_sitter_typescript(void);
const TSLanguage *tree_sitter_tsx(void);
const TSLanguage *tree_sitter_go(void);
const TSLanguage *tree_sitter_rust(void);
const TSLanguage *tree_sitter_c(void);
const TSLanguage *tree_sitter_cpp(void);

/* implemented in cw_extract.c */
extern cw_lang_details_fn cw_extract_python_details;

#define LIST(...) ((const char *const[]){__VA_ARGS__, NULL})

/* lizard 1.24 condition sets (ANALYSIS.md) */
#define PY_CONDITIONS LIST("if", "elif", "for", "while", "except", "finally", "and", "or", "case")
#define C_CONDITIONS LIST("if", "for", "while", "catch", "case", "&&", "||", "?")
#define RUST_CONDITIONS LIST("if", "for", "while", "catch", "match", "where", "&&", "||", "?")

static const cw_lang_t s_langs[CW_LANG_COUNT] = {
    [CW_LANG_PYTHON] = {.id = CW_LANG_PYTHON,
                        .name = "python",
                        .extensions = LIST(".py"),
                        .grammar = tree_sitter_python,
                        .function_types = LIST("function_definition"),
                        .wrapper_types = LIST("decorated_definition"),
                        .class_types = LIST("class_definition"),
                        .call_types = LIST("call"),
                        .details = cw_extract_python_details,
                        .condition_tokens = PY_CONDITIONS,
                        .nesting_types = LIST("if_statement", "for_statement", "while_statement",
                                              "try_statement", "with_statement", "match_statement"),
                        .comment_types = LIST("comment"),
                        .atomic_types = LIST("string", "concatenated_string")},
    /* The rows below scan and count; their function extraction comes with the next issue
       (function_types NULL = no functions extracted yet). */
    [CW_LANG_JAVASCRIPT] = {.id = CW_LANG_JAVASCRIPT,
                            .name = "javascript",
                            .extensions = LIST(".js", ".jsx"),
                            .grammar = tree_sitter_javascript,
                            .condition_tokens = C_CONDITIONS,
                            .comment_types = LIST("comment"),
                            .atomic_types = LIST("string", "template_string")},
    [CW_LANG_TYPESCRIPT] = {.id = CW_LANG_TYPESCRIPT,
                            .name = "typescript",
                            .extensions = LIST(".ts"),
                            .grammar = tree_sitter_typescript,
                            .condition_tokens = C_CONDITIONS,
                            .comment_types = LIST("comment"),
                            .atomic_types = LIST("string", "template_string")},
    [CW_LANG_TSX] = {.id = CW_LANG_TSX,
                     .name = "tsx",
                     .extensions = LIST(".tsx"),
                     .grammar = tree_sitter_tsx,
                     .condition_tokens = C_CONDITIONS,
                     .comment_types = LIST("comment"),
                     .atomic_types = LIST("string", "template_string")},
    [CW_LANG_GO] = {.id = CW_LANG_GO,
                    .name = "go",
                    .extensions = LIST(".go"),
                    .grammar = tree_sitter_go,
                    .condition_tokens = C_CONDITIONS,
                    .comment_types = LIST("comment"),
                    .atomic_types = LIST("interpreted_string_literal", "raw_string_literal")},
    [CW_LANG_RUST] = {.id = CW_LANG_RUST,
                      .name = "rust",
                      .extensions = LIST(".rs"),
                      .grammar = tree_sitter_rust,
                      .condition_tokens = RUST_CONDITIONS,
                      .comment_types = LIST("line_comment", "block_comment"),
                      .atomic_types = LIST("string_literal", "raw_string_literal")},
    [CW_LANG_C] = {.id = CW_LANG_C,
                   .name = "c",
                   .extensions = LIST(".c", ".h"),
                   .grammar = tree_sitter_c,
                   .condition_tokens = C_CONDITIONS,
                   .comment_types = LIST("comment"),
                   .atomic_types = LIST("string_literal", "char_literal")},
    [CW_LANG_CPP] = {.id = CW_LANG_CPP,
                     .name = "cpp",
                     .extensions = LIST(".cc", ".cpp", ".cxx", ".hpp", ".hh"),
                     .grammar = tree_sitter_cpp,
                     .condition_tokens = C_CONDITIONS,
                     .comment_types = LIST("comment"),
                     .atomic_types = LIST("string_literal", "raw_string_literal", "char_literal")},
};

const cw_lang_t *cw_lang_get(cw_lang_id_t id)
{
    if ((int)id < 0 || id >= CW_LANG_COUNT)
        return NULL;
    return &s_langs[id];
}

const cw_lang_t *cw_lang_for_path(const char *path)
{
    if (!path)
        return NULL;
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    if (!dot || dot == base)
        return NULL;
    for (int i = 0; i < CW_LANG_COUNT; i++)
        for (const char *const *e = s_langs[i].extensions; *e; e++)
            if (strcmp(dot, *e) == 0)
                return &s_langs[i];
    return NULL;
}

const cw_lang_t *cw_lang_by_name(const char *name)
{
    if (!name)
        return NULL;
    for (int i = 0; i < CW_LANG_COUNT; i++)
        if (strcasecmp(name, s_langs[i].name) == 0)
            return &s_langs[i];
    return NULL;
}

bool cw_lang_in(const char *const *list, const char *type)
{
    if (!list || !type)
        return false;
    for (; *list; list++)
        if (strcmp(*list, type) == 0)
            return true;
    return false;
}
