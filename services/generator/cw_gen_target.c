/*  cw_gen_target — a target map read into plain C (see cw_gen_target.h). */
#include "cw_gen_target.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cw_config.h"
#include "cw_text.h"

/* a string of a map, NULL when missing, not a string or empty */
static const char *s_str(const cw_value_t *map, const char *key)
{
    const char *s = cw_map_str(map, key, NULL);
    return s && *s ? s : NULL;
}

static long s_count(const cw_value_t *map, const char *key, long dflt)
{
    const cw_value_t *v = cw_map_get(map, key);
    if (!v || cw_value_kind(v) != CW_VAL_INT || cw_value_int(v) < 0)
        return dflt;
    return (long)cw_value_int(v);
}

/* how many elements of an array value are of `kind` (0 when it is no array) */
static size_t s_items(const cw_value_t *arr, cw_val_kind_t kind)
{
    size_t n = 0;
    if (!arr || cw_value_kind(arr) != CW_VAL_ARRAY)
        return 0;
    for (size_t i = 0; i < cw_value_size(arr); i++)
        n += cw_value_kind(cw_array_at(arr, i)) == kind;
    return n;
}

static const char **s_strings(const cw_value_t *arr, size_t *count)
{
    *count = 0;
    size_t n = s_items(arr, CW_VAL_STR);
    const char **out = n ? calloc(n, sizeof *out) : NULL;
    for (size_t i = 0; out && i < cw_value_size(arr); i++) {
        const char *s = cw_value_str(cw_array_at(arr, i));
        if (s)
            out[(*count)++] = s;
    }
    return out;
}

static cw_gen_member_t *s_members(const cw_value_t *arr, size_t *count)
{
    *count = 0;
    size_t n = s_items(arr, CW_VAL_MAP);
    cw_gen_member_t *out = n ? calloc(n, sizeof *out) : NULL;
    for (size_t i = 0; out && i < cw_value_size(arr); i++) {
        const cw_value_t *m = cw_array_at(arr, i);
        const char *name = s_str(m, "name");
        if (cw_value_kind(m) != CW_VAL_MAP || !name)
            continue;
        cw_gen_member_t *o = &out[(*count)++];
        o->name = name;
        o->kind = s_str(m, "kind") ? s_str(m, "kind") : "definition";
        o->signature = s_str(m, "signature");
        o->line = s_count(m, "line", 0);
    }
    return out;
}

static void s_params(const cw_value_t *arr, cw_gen_target_t *t)
{
    size_t n = s_items(arr, CW_VAL_MAP);
    /* the parameters are known when the list is one of maps (possibly empty) */
    t->has_parameters = arr && cw_value_kind(arr) == CW_VAL_ARRAY && n == cw_value_size(arr);
    t->parameters = n ? calloc(n, sizeof *t->parameters) : NULL;
    for (size_t i = 0; t->parameters && i < cw_value_size(arr); i++) {
        const cw_value_t *p = cw_array_at(arr, i);
        if (cw_value_kind(p) != CW_VAL_MAP || !cw_map_str(p, "name", NULL))
            continue;
        cw_gen_param_t *o = &t->parameters[t->parameter_count++];
        o->name = cw_map_str(p, "name", "");
        o->type = s_str(p, "type");
        o->dflt = s_str(p, "default");
    }
}

static void s_body(const cw_value_t *b, cw_gen_body_t *out)
{
    memset(out, 0, sizeof *out);
    if (!b || cw_value_kind(b) != CW_VAL_MAP)
        return;
    out->present = true;
    out->loops = s_count(b, "loops", 0);
    out->loop_depth = s_count(b, "loop_depth", 0);
    out->returns = s_count(b, "returns", 0);
    out->raises = s_count(b, "raises", 0);
    out->catches = s_count(b, "catches", 0);
    out->yields = s_count(b, "yields", 0);
    out->awaits = s_count(b, "awaits", 0);
    out->gotos = s_count(b, "gotos", 0);
    out->unsafe = s_count(b, "unsafe", 0);
}

static void s_module(const cw_value_t *m, cw_gen_target_t *t)
{
    if (!m || cw_value_kind(m) != CW_VAL_MAP)
        return;
    t->module.present = true;
    t->module.kind = s_str(m, "kind");
    t->module.index_file = s_str(m, "index_file");
    const cw_value_t *files = cw_map_get(m, "files");
    size_t n = s_items(files, CW_VAL_MAP);
    t->module.files = n ? calloc(n, sizeof *t->module.files) : NULL;
    for (size_t i = 0; t->module.files && i < cw_value_size(files); i++) {
        const cw_value_t *f = cw_array_at(files, i);
        if (cw_value_kind(f) != CW_VAL_MAP || !s_str(f, "path"))
            continue;
        cw_gen_module_file_t *o = &t->module.files[t->module.count++];
        o->path = s_str(f, "path");
        o->lines = s_count(f, "lines", 0);
        o->functions = s_count(f, "functions", 0);
        o->classes = s_count(f, "classes", 0);
    }
    t->module.file_count = s_count(m, "file_count", (long)t->module.count);
    if (t->module.file_count < (long)t->module.count)
        t->module.file_count = (long)t->module.count;
}

static void s_commit(const cw_value_t *c, cw_gen_target_t *t)
{
    if (!c || cw_value_kind(c) != CW_VAL_MAP)
        return;
    t->commit.present = true;
    t->commit.hash = s_str(c, "hash");
    t->commit.author = s_str(c, "author");
    t->commit.date = s_str(c, "date");
    t->commit.subject = s_str(c, "subject");
    const cw_value_t *files = cw_map_get(c, "files");
    size_t n = s_items(files, CW_VAL_MAP);
    t->commit.files = n ? calloc(n, sizeof *t->commit.files) : NULL;
    for (size_t i = 0; t->commit.files && i < cw_value_size(files); i++) {
        const cw_value_t *f = cw_array_at(files, i);
        if (cw_value_kind(f) != CW_VAL_MAP || !s_str(f, "path"))
            continue;
        cw_gen_file_change_t *o = &t->commit.files[t->commit.count++];
        o->path = s_str(f, "path");
        o->status = s_str(f, "status") ? s_str(f, "status") : "modified";
        o->added = s_count(f, "added", 0);
        o->deleted = s_count(f, "deleted", 0);
    }
    t->commit.file_count = s_count(c, "file_count", (long)t->commit.count);
    if (t->commit.file_count < (long)t->commit.count)
        t->commit.file_count = (long)t->commit.count;
}

static void s_change(const cw_value_t *c, cw_gen_target_t *t)
{
    if (!c || cw_value_kind(c) != CW_VAL_MAP)
        return;
    t->change.present = true;
    t->change.status = s_str(c, "status") ? s_str(c, "status") : "modified";
    t->change.added = s_count(c, "added", 0);
    t->change.deleted = s_count(c, "deleted", 0);
    const cw_value_t *hunks = cw_map_get(c, "hunks");
    size_t n = s_items(hunks, CW_VAL_MAP);
    t->change.hunks = n ? calloc(n, sizeof *t->change.hunks) : NULL;
    for (size_t i = 0; t->change.hunks && i < cw_value_size(hunks); i++) {
        const cw_value_t *h = cw_array_at(hunks, i);
        if (cw_value_kind(h) != CW_VAL_MAP)
            continue;
        cw_gen_hunk_t *o = &t->change.hunks[t->change.hunk_count++];
        o->old_start = s_count(h, "old_start", 0);
        o->old_lines = s_count(h, "old_lines", 0);
        o->new_start = s_count(h, "new_start", 0);
        o->new_lines = s_count(h, "new_lines", 0);
        o->section = s_str(h, "section");
    }
}

static void s_patterns(const cw_value_t *arr, cw_gen_target_t *t)
{
    size_t n = s_items(arr, CW_VAL_MAP);
    t->patterns = n ? calloc(n, sizeof *t->patterns) : NULL;
    for (size_t i = 0; t->patterns && i < cw_value_size(arr); i++) {
        const cw_value_t *p = cw_array_at(arr, i);
        if (cw_value_kind(p) != CW_VAL_MAP || !s_str(p, "name"))
            continue;
        cw_gen_pattern_t *o = &t->patterns[t->pattern_count++];
        o->name = s_str(p, "name");
        o->indicators = s_strings(cw_map_get(p, "indicators"), &o->indicator_count);
    }
}

int cw_gen_target_from_value(const cw_value_t *target, cw_gen_target_t *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof(*t));
    if (!target || cw_value_kind(target) != CW_VAL_MAP) {
        snprintf(err, errlen, "target must be a map");
        return -1;
    }
    static const char *const required[] = {"doc_type", "repo", "file",
                                           "language", "name", "source"};
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
        if (!cw_map_str(target, required[i], NULL)) {
            snprintf(err, errlen, "target.%s missing or not a string", required[i]);
            return -1;
        }
    }
    t->doc_type_name = cw_map_str(target, "doc_type", "");
    t->doc_type = cw_doc_type_from_name(t->doc_type_name);
    if (t->doc_type < 0) {
        snprintf(err, errlen, "target.doc_type \"%.40s\" is not a doc type", t->doc_type_name);
        return -1;
    }
    t->repo = cw_map_str(target, "repo", "");
    t->file = cw_map_str(target, "file", "");
    t->language = cw_map_str(target, "language", "");
    t->name = cw_map_str(target, "name", "");
    t->source = cw_map_str(target, "source", "");
    t->source_cut = cw_map_bool(target, "source_cut", false);
    t->class_name = s_str(target, "class");
    t->context = s_str(target, "context");
    t->start_line = (long)cw_map_int(target, "start_line", 0);
    t->end_line = (long)cw_map_int(target, "end_line", 0);
    t->complexity = cw_map_float(target, "complexity", 0);
    t->nloc = s_count(target, "nloc", -1);
    t->params = s_count(target, "params", -1);
    t->nesting = s_count(target, "nesting", -1);
    t->bytes = s_count(target, "bytes", -1);
    t->kind = s_str(target, "kind");
    t->docstring = s_str(target, "docstring");
    t->signature = s_str(target, "signature");
    t->return_type = s_str(target, "return_type");
    t->is_async = cw_map_bool(target, "is_async", false);
    s_params(cw_map_get(target, "parameters"), t);
    t->calls = s_strings(cw_map_get(target, "calls"), &t->call_count);
    t->decorators = s_strings(cw_map_get(target, "decorators"), &t->decorator_count);
    s_body(cw_map_get(target, "body"), &t->body);
    t->members = s_members(cw_map_get(target, "members"), &t->member_count);
    t->definitions = s_members(cw_map_get(target, "definitions"), &t->definition_count);
    t->imports = s_strings(cw_map_get(target, "imports"), &t->import_count);
    s_module(cw_map_get(target, "module"), t);
    s_commit(cw_map_get(target, "commit"), t);
    s_change(cw_map_get(target, "change"), t);
    s_patterns(cw_map_get(target, "patterns"), t);
    return 0;
}

void cw_gen_target_free(cw_gen_target_t *t)
{
    if (!t)
        return;
    free(t->parameters);
    free(t->calls);
    free(t->decorators);
    free(t->members);
    free(t->definitions);
    free(t->imports);
    free(t->module.files);
    free(t->commit.files);
    free(t->change.hunks);
    for (size_t i = 0; i < t->pattern_count; i++)
        free(t->patterns[i].indicators);
    free(t->patterns);
    t->parameters = NULL;
    t->calls = t->decorators = t->imports = NULL;
    t->members = t->definitions = NULL;
    t->module.files = NULL;
    t->commit.files = NULL;
    t->change.hunks = NULL;
    t->patterns = NULL;
    t->parameter_count = t->call_count = t->decorator_count = t->member_count = 0;
    t->definition_count = t->import_count = t->module.count = t->commit.count = 0;
    t->change.hunk_count = t->pattern_count = 0;
}

void cw_gen_display_name(const cw_gen_target_t *t, char *out, size_t outlen)
{
    const char *name = t->name && *t->name ? t->name : NULL;
    const char *cls = t->class_name && *t->class_name ? t->class_name : NULL;
    if (name && cls && strcmp(name, cls) != 0 && t->doc_type != CW_DOC_CLASS)
        snprintf(out, outlen, "%s.%s", cls, name);
    else if (name)
        snprintf(out, outlen, "%s", name);
    else if (cls)
        snprintf(out, outlen, "%s", cls);
    else {
        const char *stem;
        size_t n = cw_path_stem(t->file, &stem);
        snprintf(out, outlen, "%.*s", (int)n, stem);
    }
    /* a display name never spans lines */
    for (char *p = out; *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = ' ';
}
