/*  cw_lang — the language table. */
#include "cw_lang.h"

#include <pthread.h>
#include <stdlib.h>
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

/* implemented in cw_extract.c and cw_lang_<name>.c */
extern cw_lang_details_fn cw_extract_python_details;
extern cw_lang_details_fn cw_lang_js_details;
extern cw_lang_name_fn cw_lang_js_name;
extern cw_lang_class_name_fn cw_lang_js_class_name;
extern cw_lang_details_fn cw_lang_go_details;
extern cw_lang_name_fn cw_lang_go_name;
extern cw_lang_details_fn cw_lang_rust_details;
extern cw_lang_class_name_fn cw_lang_rust_class_name;
extern cw_lang_details_fn cw_lang_c_details;
extern cw_lang_name_fn cw_lang_c_name;
extern cw_lang_class_name_fn cw_lang_c_class_name;

#define LIST(...) ((const char *const[]){__VA_ARGS__, NULL})

/* lizard 1.24 condition sets (ANALYSIS.md). C and C++ add the preprocessor conditions
   lizard counts (`#if`, `#ifdef`, `#elif`; not `#ifndef`). */
#define PY_CONDITIONS LIST("if", "elif", "for", "while", "except", "finally", "and", "or", "case")
#define C_CONDITIONS LIST("if", "for", "while", "catch", "case", "&&", "||", "?")
#define CPRE_CONDITIONS                                                                            \
    LIST("if", "for", "while", "catch", "case", "&&", "||", "?", "#if", "#ifdef", "#elif")
#define RUST_CONDITIONS                                                                            \
    LIST("if", "for", "while", "catch", "case", "match", "where", "&&", "||", "?")
/* JavaScript and TypeScript: lizard's tokens make `a ||= b` and `a &&= b` a `||`/`&&`
   too. The question marks (`?`, `?.`, `??`, `??=`) count as lizard's tokenizer reads them,
   see s_qmarks in cw_extract.c. */
#define JS_CONDITIONS LIST("if", "for", "while", "catch", "case", "&&", "||", "&&=", "||=")

/* JavaScript, TypeScript and TSX share their shapes. */
#define JS_FUNCTIONS                                                                               \
    LIST("function_declaration", "generator_function_declaration", "function_expression",          \
         "function", "generator_function", "arrow_function", "method_definition")
#define JS_CLASSES LIST("class_declaration", "class", "abstract_class_declaration")
#define JS_NESTING                                                                                 \
    LIST("if_statement", "for_statement", "for_in_statement", "while_statement", "do_statement",   \
         "switch_statement", "try_statement", "with_statement")
#define JS_CARRIERS                                                                                \
    LIST("variable_declarator", "lexical_declaration", "variable_declaration", "export_statement", \
         "assignment_expression", "expression_statement", "pair", "public_field_definition",       \
         "field_definition")
#define JS_ROW(ID, NAME, EXTS, GRAMMAR)                                                            \
    [ID] = {.id = ID,                                                                              \
            .name = NAME,                                                                          \
            .extensions = EXTS,                                                                    \
            .grammar = GRAMMAR,                                                                    \
            .function_types = JS_FUNCTIONS,                                                        \
            .class_types = JS_CLASSES,                                                             \
            .call_types = LIST("call_expression"),                                                 \
            .details = cw_lang_js_details,                                                         \
            .condition_tokens = JS_CONDITIONS,                                                     \
            .nesting_types = JS_NESTING,                                                           \
            .comment_types = LIST("comment"),                                                      \
            .atomic_types = LIST("string", "template_string", "regex"),                            \
            .name_fn = cw_lang_js_name,                                                            \
            .class_name_fn = cw_lang_js_class_name,                                                \
            .carrier_types = JS_CARRIERS,                                                          \
            .decorator_types = LIST("decorator"),                                                  \
            .if_types = LIST("if_statement"),                                                      \
            .else_types = LIST("else_clause"),                                                     \
            .import_types = LIST("import_statement"),                                              \
            .logic_parents = LIST("binary_expression"),                                            \
            .doc_prefixes = "/**"}

#define C_NESTING                                                                                  \
    LIST("if_statement", "for_statement", "for_range_loop", "while_statement", "do_statement",     \
         "switch_statement", "try_statement")

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
                        .atomic_types = LIST("string", "concatenated_string"),
                        .import_types = LIST("import_statement", "import_from_statement",
                                             "future_import_statement")},
    JS_ROW(CW_LANG_JAVASCRIPT, "javascript", LIST(".js", ".jsx"), tree_sitter_javascript),
    JS_ROW(CW_LANG_TYPESCRIPT, "typescript", LIST(".ts"), tree_sitter_typescript),
    JS_ROW(CW_LANG_TSX, "tsx", LIST(".tsx"), tree_sitter_tsx),
    [CW_LANG_GO] =
        {.id = CW_LANG_GO,
         .name = "go",
         .extensions = LIST(".go"),
         .grammar = tree_sitter_go,
         .function_types = LIST("function_declaration", "method_declaration", "func_literal"),
         .call_types = LIST("call_expression"),
         .details = cw_lang_go_details,
         .condition_tokens = C_CONDITIONS,
         .nesting_types = LIST("if_statement", "for_statement", "expression_switch_statement",
                               "type_switch_statement", "select_statement"),
         .comment_types = LIST("comment"),
         .atomic_types = LIST("interpreted_string_literal", "raw_string_literal", "rune_literal"),
         .name_fn = cw_lang_go_name,
         .if_types = LIST("if_statement"),
         .import_types = LIST("import_spec"),
         .logic_parents = LIST("binary_expression"),
         .doc_prefixes = "//|/*"},
    [CW_LANG_RUST] = {.id = CW_LANG_RUST,
                      .name = "rust",
                      .extensions = LIST(".rs"),
                      .grammar = tree_sitter_rust,
                      .function_types = LIST("function_item"),
                      .class_types = LIST("impl_item", "trait_item"),
                      .call_types = LIST("call_expression"),
                      .details = cw_lang_rust_details,
                      .condition_tokens = RUST_CONDITIONS,
                      .nesting_types = LIST("if_expression", "for_expression", "while_expression",
                                            "loop_expression", "match_expression"),
                      .comment_types = LIST("line_comment", "block_comment"),
                      .atomic_types = LIST("string_literal", "raw_string_literal", "char_literal"),
                      .class_name_fn = cw_lang_rust_class_name,
                      .decorator_types = LIST("attribute_item"),
                      .if_types = LIST("if_expression"),
                      .else_types = LIST("else_clause"),
                      .import_types = LIST("use_declaration"),
                      /* `||` and `&&` count wherever they stand: lizard reads the empty closure `||
                         x` as a `||` */
                      .doc_prefixes = "///|/**"},
    [CW_LANG_C] = {.id = CW_LANG_C,
                   .name = "c",
                   .extensions = LIST(".c", ".h"),
                   .grammar = tree_sitter_c,
                   .function_types = LIST("function_definition"),
                   .call_types = LIST("call_expression"),
                   .details = cw_lang_c_details,
                   .condition_tokens = CPRE_CONDITIONS,
                   .nesting_types = C_NESTING,
                   .comment_types = LIST("comment"),
                   .atomic_types = LIST("string_literal", "char_literal", "system_lib_string"),
                   .name_fn = cw_lang_c_name,
                   .if_types = LIST("if_statement"),
                   .else_types = LIST("else_clause"),
                   .import_types = LIST("preproc_include"),
                   .logic_parents = LIST("binary_expression"),
                   .doc_prefixes = "/*|//",
                   .metrics_from_name = true},
    [CW_LANG_CPP] = {.id = CW_LANG_CPP,
                     .name = "cpp",
                     .extensions = LIST(".cc", ".cpp", ".cxx", ".hpp", ".hh"),
                     .grammar = tree_sitter_cpp,
                     .function_types = LIST("function_definition"),
                     .wrapper_types = LIST("template_declaration"),
                     .class_types = LIST("class_specifier", "struct_specifier", "union_specifier"),
                     .call_types = LIST("call_expression"),
                     .details = cw_lang_c_details,
                     .condition_tokens = CPRE_CONDITIONS,
                     .nesting_types = C_NESTING,
                     .comment_types = LIST("comment"),
                     .atomic_types = LIST("string_literal", "raw_string_literal", "char_literal",
                                          "system_lib_string"),
                     .name_fn = cw_lang_c_name,
                     .class_name_fn = cw_lang_c_class_name,
                     .if_types = LIST("if_statement"),
                     .else_types = LIST("else_clause"),
                     .import_types = LIST("preproc_include"),
                     .logic_parents = LIST("binary_expression"),
                     .doc_prefixes = "/*|//",
                     .metrics_from_name = true},
};

/* ---- per-symbol flags, built once per language */
static pthread_once_t s_once[CW_LANG_COUNT] = {
    PTHREAD_ONCE_INIT, PTHREAD_ONCE_INIT, PTHREAD_ONCE_INIT, PTHREAD_ONCE_INIT,
    PTHREAD_ONCE_INIT, PTHREAD_ONCE_INIT, PTHREAD_ONCE_INIT, PTHREAD_ONCE_INIT};
static uint16_t *s_flags[CW_LANG_COUNT];
static uint32_t s_flag_count[CW_LANG_COUNT];

static void s_build(cw_lang_id_t id)
{
    const cw_lang_t *l = &s_langs[id];
    const TSLanguage *g = l->grammar();
    uint32_t n = ts_language_symbol_count(g);
    uint16_t *f = calloc(n ? n : 1, sizeof *f);
    if (!f)
        return;
    for (uint32_t i = 0; i < n; i++) {
        const char *name = ts_language_symbol_name(g, (TSSymbol)i);
        if (!name)
            continue;
        bool named = ts_language_symbol_type(g, (TSSymbol)i) == TSSymbolTypeRegular;
        uint16_t v = 0;
        if (named) {
            if (cw_lang_in(l->function_types, name))
                v |= CW_SYM_FUNCTION;
            if (cw_lang_in(l->wrapper_types, name))
                v |= CW_SYM_WRAPPER;
            if (cw_lang_in(l->class_types, name))
                v |= CW_SYM_CLASS;
            if (cw_lang_in(l->call_types, name))
                v |= CW_SYM_CALL;
            if (cw_lang_in(l->nesting_types, name))
                v |= CW_SYM_NESTING;
            if (cw_lang_in(l->comment_types, name))
                v |= CW_SYM_COMMENT;
            if (cw_lang_in(l->atomic_types, name))
                v |= CW_SYM_ATOMIC;
            if (cw_lang_in(l->carrier_types, name))
                v |= CW_SYM_CARRIER;
            if (cw_lang_in(l->decorator_types, name))
                v |= CW_SYM_DECORATOR;
            if (cw_lang_in(l->if_types, name))
                v |= CW_SYM_IF;
            if (cw_lang_in(l->else_types, name))
                v |= CW_SYM_ELSE;
            if (cw_lang_in(l->import_types, name))
                v |= CW_SYM_IMPORT;
            if (cw_lang_in(l->logic_parents, name))
                v |= CW_SYM_LOGIC_PARENT;
        } else {
            if (cw_lang_in(l->condition_tokens, name))
                v |= CW_SYM_CONDITION;
            if (l->logic_parents && (strcmp(name, "&&") == 0 || strcmp(name, "||") == 0))
                v |= CW_SYM_LOGIC;
            /* JS/TS/TSX question marks: counted by lizard's spelling (cw_extract.c) */
            if ((id == CW_LANG_JAVASCRIPT || id == CW_LANG_TYPESCRIPT || id == CW_LANG_TSX) &&
                (strcmp(name, "?") == 0 || strcmp(name, "?.") == 0 || strcmp(name, "??") == 0 ||
                 strcmp(name, "?"
                              "?=") == 0))
                v |= CW_SYM_QMARK;
        }
        f[i] = v;
    }
    s_flag_count[id] = n;
    s_flags[id] = f;
}

#define ONCE_FN(ID)                                                                                \
    static void s_build_##ID(void)                                                                 \
    {                                                                                              \
        s_build(ID);                                                                               \
    }
ONCE_FN(CW_LANG_PYTHON)
ONCE_FN(CW_LANG_JAVASCRIPT)
ONCE_FN(CW_LANG_TYPESCRIPT)
ONCE_FN(CW_LANG_TSX)
ONCE_FN(CW_LANG_GO)
ONCE_FN(CW_LANG_RUST)
ONCE_FN(CW_LANG_C)
ONCE_FN(CW_LANG_CPP)
static void (*const s_builders[CW_LANG_COUNT])(void) = {
    s_build_CW_LANG_PYTHON, s_build_CW_LANG_JAVASCRIPT, s_build_CW_LANG_TYPESCRIPT,
    s_build_CW_LANG_TSX,    s_build_CW_LANG_GO,         s_build_CW_LANG_RUST,
    s_build_CW_LANG_C,      s_build_CW_LANG_CPP};

const uint16_t *cw_lang_symbol_flags(const cw_lang_t *lang, uint32_t *count)
{
    if (count)
        *count = 0;
    if (!lang || (int)lang->id < 0 || lang->id >= CW_LANG_COUNT)
        return NULL;
    pthread_once(&s_once[lang->id], s_builders[lang->id]);
    if (count)
        *count = s_flag_count[lang->id];
    return s_flags[lang->id];
}

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

/* Whether the line src[a, b) (leading blanks skipped) starts with `word` as a whole word. */
static bool s_line_starts(const char *src, size_t a, size_t b, const char *word)
{
    size_t n = strlen(word);
    if (b - a < n || memcmp(src + a, word, n) != 0)
        return false;
    if (a + n == b)
        return true;
    char c = src[a + n];
    return !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '_');
}

const cw_lang_t *cw_lang_for_source(const cw_lang_t *by_ext, const char *path, const char *src,
                                    size_t len)
{
    if (!by_ext || by_ext->id != CW_LANG_C || !path || !src)
        return by_ext;
    size_t pl = strlen(path);
    if (pl < 2 || strcmp(path + pl - 2, ".h") != 0)
        return by_ext;
    static const char *const markers[] = {"class",   "namespace", "template",
                                          "public:", "private:",  "protected:"};
    size_t scan = len < 256 * 1024 ? len : 256 * 1024;
    for (size_t a = 0; a < scan;) {
        const char *nl = memchr(src + a, '\n', scan - a);
        size_t b = nl ? (size_t)(nl - src) : scan;
        size_t x = a;
        while (x < b && (src[x] == ' ' || src[x] == '\t'))
            x++;
        for (size_t k = 0; k < sizeof markers / sizeof markers[0]; k++) {
            if (!s_line_starts(src, x, b, markers[k]))
                continue;
            if (k > 0)
                return &s_langs[CW_LANG_CPP];
            /* `class Name {` / `class Name :` / `class Name final`, not `class;` in C */
            size_t y = x + 5;
            while (y < b && (src[y] == ' ' || src[y] == '\t'))
                y++;
            size_t z = y;
            while (z < b && (src[z] == '_' || (src[z] >= 'a' && src[z] <= 'z') ||
                             (src[z] >= 'A' && src[z] <= 'Z') || (src[z] >= '0' && src[z] <= '9')))
                z++;
            while (z < b && (src[z] == ' ' || src[z] == '\t'))
                z++;
            if (z > y && (z == b || src[z] == '{' || src[z] == ':' || src[z] == 'f'))
                return &s_langs[CW_LANG_CPP];
        }
        a = b + 1;
    }
    return by_ext;
}
