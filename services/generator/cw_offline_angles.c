/*  cw_offline_angles — the sections security_review, performance_analysis and til add to a
    function's offline document. They read the function's facts: the names of the calls it
    makes (matched against tables of calls that commonly need a second look), its
    parameters, and what its body holds (loops, raises, yields ...). Never the source. */
#include "cw_config.h"
#include "cw_offline_int.h"

#include <stdio.h>
#include <string.h>

enum { F_C = 1, F_CPP = 2, F_PY = 4, F_JS = 8, F_GO = 16, F_RUST = 32 };
#define F_CC (F_C | F_CPP)
#define F_ALL 63

static unsigned s_family(const char *lang)
{
    static const struct {
        const char *name;
        unsigned fam;
    } names[] = {{"c", F_C},       {"cpp", F_CPP},       {"python", F_PY},     {"go", F_GO},
                 {"rust", F_RUST}, {"javascript", F_JS}, {"typescript", F_JS}, {"tsx", F_JS}};
    for (size_t i = 0; lang && i < sizeof names / sizeof names[0]; i++)
        if (strcmp(lang, names[i].name) == 0)
            return names[i].fam;
    return 0;
}

typedef struct {
    const char *call; /* a callee name, or the end of one after `.` or `::` */
    unsigned fams;
    bool exact; /* only the name itself (not `x.name`) */
    const char *why;
} s_call_t;

/* whether callee `c` is the table's call */
static bool s_matches(const char *c, const s_call_t *k)
{
    if (strcmp(c, k->call) == 0)
        return true;
    if (k->exact)
        return false;
    size_t n = strlen(c), m = strlen(k->call);
    if (n <= m)
        return false;
    const char *tail = c + n - m;
    return strcmp(tail, k->call) == 0 &&
           (tail[-1] == '.' || (n > m + 1 && tail[-1] == ':' && tail[-2] == ':'));
}

/* ---------------------------------------------------------------- security */

#define RUNS "runs a shell command: no caller-controlled text may reach it unquoted"
#define EXECS "starts another program: check where its arguments come from"
#define COPY "copies without a bound on the destination: an overflow if the source is longer"
#define DESER "turns bytes into live objects: never feed it data from outside"
#define EVAL "runs code given as text: anything that reaches it runs with the program's rights"
#define TEMP "makes a predictable temporary name: another process can take it first"
#define SQL "runs SQL: values must be passed as parameters, never formatted into the text"
#define HTML "inserts HTML: text from users must be escaped first"

static const s_call_t s_sensitive[] = {
    {"system", F_CC, true, RUNS},
    {"os.system", F_PY, false, RUNS},
    {"popen", F_CC, true, RUNS},
    {"os.popen", F_PY, false, RUNS},
    {"execl", F_CC, true, EXECS},
    {"execlp", F_CC, true, EXECS},
    {"execle", F_CC, true, EXECS},
    {"execv", F_CC, true, EXECS},
    {"execvp", F_CC, true, EXECS},
    {"execve", F_CC, true, EXECS},
    {"posix_spawn", F_CC, true, EXECS},
    {"posix_spawnp", F_CC, true, EXECS},
    {"subprocess.run", F_PY, false, EXECS},
    {"subprocess.call", F_PY, false, EXECS},
    {"subprocess.check_call", F_PY, false, EXECS},
    {"subprocess.check_output", F_PY, false, EXECS},
    {"subprocess.Popen", F_PY, false, EXECS},
    {"execSync", F_JS, false, RUNS},
    {"child_process.exec", F_JS, false, RUNS},
    {"spawn", F_JS, false, EXECS},
    {"spawnSync", F_JS, false, EXECS},
    {"exec.Command", F_GO, false, EXECS},
    {"exec.CommandContext", F_GO, false, EXECS},
    {"Command::new", F_RUST, false, EXECS},
    {"eval", F_PY | F_JS, true, EVAL},
    {"exec", F_PY, true, EVAL},
    {"strcpy", F_CC, true, COPY},
    {"strcat", F_CC, true, COPY},
    {"stpcpy", F_CC, true, COPY},
    {"wcscpy", F_CC, true, COPY},
    {"wcscat", F_CC, true, COPY},
    {"sprintf", F_CC, true, COPY},
    {"vsprintf", F_CC, true, COPY},
    {"gets", F_CC, true, "reads a line with no bound at all: any long line overflows"},
    {"scanf", F_CC, true, "reads input: a `%s` without a width has no bound"},
    {"alloca", F_CC, true, "allocates a run-time size on the stack: a large size overflows it"},
    {"mktemp", F_CC, true, TEMP},
    {"tmpnam", F_CC, true, TEMP},
    {"tempnam", F_CC, true, TEMP},
    {"tempfile.mktemp", F_PY, false, TEMP},
    {"pickle.load", F_PY, false, DESER},
    {"pickle.loads", F_PY, false, DESER},
    {"marshal.loads", F_PY, false, DESER},
    {"shelve.open", F_PY, false, DESER},
    {"yaml.load", F_PY, false, DESER " (yaml.safe_load is the safe one)"},
    {"yaml.unsafe_load", F_PY, false, DESER},
    {"execute", F_PY, false, SQL},
    {"executemany", F_PY, false, SQL},
    {"document.write", F_JS, false, HTML},
    {"insertAdjacentHTML", F_JS, false, HTML},
    {"template.HTML", F_GO, false, "marks text as safe HTML: it will not be escaped"},
    {"mem::transmute", F_RUST, false, "reinterprets bits as another type without any check"},
    {"transmute", F_RUST, true, "reinterprets bits as another type without any check"},
    {"from_raw_parts", F_RUST, false, "builds a slice from a raw pointer: its length is trusted"},
};

void cw_offline_security(cw_buf_t *b, const cw_gen_target_t *t, const char *name)
{
    cw_buf_puts(b, "\n\n### Security review\n\n");
    unsigned fam = s_family(t->language);
    size_t found = 0;
    /* in the order the calls are made, each call once */
    for (size_t i = 0; i < t->call_count && found < 20; i++) {
        const char *c = t->calls[i];
        size_t k = 0;
        while (k < sizeof s_sensitive / sizeof s_sensitive[0] &&
               !((s_sensitive[k].fams & fam) && s_matches(c, &s_sensitive[k])))
            k++;
        if (k == sizeof s_sensitive / sizeof s_sensitive[0])
            continue;
        if (found++ == 0) {
            cw_md_code(b, name, CW_MD_ITEM);
            cw_buf_puts(b, " makes calls that commonly need a second look:\n");
        }
        cw_buf_puts(b, "\n- ");
        cw_md_code(b, c, CW_MD_ITEM);
        cw_buf_puts(b, " ");
        cw_buf_puts(b, s_sensitive[k].why);
        cw_buf_puts(b, ".");
    }
    if (found == 0) {
        cw_md_code(b, name, CW_MD_ITEM);
        if (t->call_count == 0)
            cw_buf_puts(b, " makes no calls, so none of the usual risky ones");
        else {
            cw_buf_printf(b, " makes %zu %s, none of them", t->call_count,
                          t->call_count == 1 ? "call" : "calls");
            cw_buf_puts(b, " on the usual list (shell and process execution, code evaluation, "
                           "unbounded copies, unsafe deserialisation, SQL text, raw HTML)");
        }
        cw_buf_puts(b, ".");
    }
    cw_buf_puts(b, "\n\n");
    size_t real = cw_offline_real_params(t);
    if (real > 0) {
        cw_buf_puts(b, "Its input comes through ");
        cw_md_count(b, (long)real, "argument", "arguments");
        cw_buf_puts(b, " (");
        const char *names[CW_MD_SHOWN];
        size_t k = 0;
        for (size_t i = t->parameter_count - real; i < t->parameter_count && k < CW_MD_SHOWN; i++)
            names[k++] = *t->parameters[i].name ? t->parameters[i].name : "(unnamed)";
        cw_md_code_list(b, names, k, 8);
        cw_buf_puts(b, "): whatever reaches a call above from them must be checked on the "
                       "way in.");
    } else {
        cw_buf_puts(b, "It takes no arguments, so what it works on comes from its own object or "
                       "from global state.");
    }
    if (t->body.raises > 0 || t->body.catches > 0) {
        cw_buf_puts(b, " It ");
        if (t->body.raises > 0)
            cw_buf_puts(b, "raises errors");
        if (t->body.raises > 0 && t->body.catches > 0)
            cw_buf_puts(b, " and ");
        if (t->body.catches > 0)
            cw_buf_puts(b, "handles errors itself");
        cw_buf_puts(b, ": make sure error messages do not carry secrets or internals to the "
                       "caller.");
    }
    if (t->body.unsafe > 0)
        cw_buf_puts(b, " Its `unsafe` blocks are where memory errors could hide.");
    cw_buf_puts(b, "\n\nThis is a check of the facts the analyzer extracted (the names of the "
                   "calls, the arguments, the error handling), not a full review of the code.");
}

/* ---------------------------------------------------------------- performance */

static const s_call_t s_alloc[] = {
    {"malloc", F_CC, true, NULL},
    {"calloc", F_CC, true, NULL},
    {"realloc", F_CC, true, NULL},
    {"strdup", F_CC, true, NULL},
    {"strndup", F_CC, true, NULL},
    {"asprintf", F_CC, true, NULL},
    {"make_unique", F_CPP, false, NULL},
    {"make_shared", F_CPP, false, NULL},
    {"push_back", F_CPP, false, NULL},
    {"emplace_back", F_CPP, false, NULL},
    {"append", F_PY | F_GO, false, NULL},
    {"extend", F_PY, false, NULL},
    {"copy", F_PY, false, NULL},
    {"deepcopy", F_PY, false, NULL},
    {"make", F_GO, true, NULL},
    {"Vec::new", F_RUST, false, NULL},
    {"Vec::with_capacity", F_RUST, false, NULL},
    {"Box::new", F_RUST, false, NULL},
    {"String::from", F_RUST, false, NULL},
    {"to_string", F_RUST, false, NULL},
    {"to_owned", F_RUST, false, NULL},
    {"clone", F_RUST, false, NULL},
    {"collect", F_RUST, false, NULL},
    {"push", F_RUST | F_JS, false, NULL},
    {"concat", F_JS, false, NULL},
    {"slice", F_JS, false, NULL},
    {"map", F_JS, false, NULL},
    {"filter", F_JS, false, NULL},
};
static const s_call_t s_sort[] = {
    {"qsort", F_CC, true, NULL},       {"sort", F_ALL, false, NULL},
    {"sorted", F_PY, true, NULL},      {"sort_by", F_RUST, false, NULL},
    {"sort.Slice", F_GO, false, NULL}, {"sort_by_key", F_RUST, false, NULL},
};
static const s_call_t s_io[] = {
    {"fopen", F_CC, true, NULL},          {"fread", F_CC, true, NULL},
    {"fwrite", F_CC, true, NULL},         {"fgets", F_CC, true, NULL},
    {"read", F_CC, true, NULL},           {"write", F_CC, true, NULL},
    {"recv", F_CC, true, NULL},           {"send", F_CC, true, NULL},
    {"open", F_PY, true, NULL},           {"sleep", F_CC, true, NULL},
    {"usleep", F_CC, true, NULL},         {"nanosleep", F_CC, true, NULL},
    {"time.sleep", F_PY, false, NULL},    {"thread::sleep", F_RUST, false, NULL},
    {"time.Sleep", F_GO, false, NULL},    {"requests.get", F_PY, false, NULL},
    {"requests.post", F_PY, false, NULL}, {"fetch", F_JS, true, NULL},
    {"http.Get", F_GO, false, NULL},      {"readFileSync", F_JS, false, NULL},
    {"writeFileSync", F_JS, false, NULL}, {"execute", F_PY, false, NULL},
    {"query", F_JS | F_GO, false, NULL},  {"os.ReadFile", F_GO, false, NULL},
    {"File::open", F_RUST, false, NULL},  {"fs::read_to_string", F_RUST, false, NULL},
};
static const s_call_t s_regex[] = {
    {"re.compile", F_PY, false, NULL},     {"regcomp", F_CC, true, NULL},
    {"Regex::new", F_RUST, false, NULL},   {"regexp.MustCompile", F_GO, false, NULL},
    {"regexp.Compile", F_GO, false, NULL},
};

/* the calls of t in the table, as "`a`, `b`"; false when none */
static bool s_calls_in(cw_buf_t *b, const cw_gen_target_t *t, const s_call_t *table, size_t n,
                       const char *label)
{
    unsigned fam = s_family(t->language);
    const char *hits[12];
    size_t k = 0;
    for (size_t i = 0; i < t->call_count && k < 12; i++)
        for (size_t j = 0; j < n; j++)
            if ((table[j].fams & fam) && s_matches(t->calls[i], &table[j])) {
                hits[k++] = t->calls[i];
                break;
            }
    if (k == 0)
        return false;
    cw_buf_puts(b, "\n- ");
    cw_buf_puts(b, label);
    cw_md_code_list(b, hits, k, 12);
    return true;
}

void cw_offline_performance(cw_buf_t *b, const cw_gen_target_t *t, const char *name)
{
    cw_buf_puts(b, "\n\n### Performance\n\n");
    const cw_gen_body_t *y = &t->body;
    cw_md_code(b, name, CW_MD_ITEM);
    if (!y->present) {
        cw_buf_puts(b, ": the analyzer did not count its loops.");
    } else if (y->loops == 0) {
        cw_buf_puts(b, " has no loops: unless a call it makes loops, its cost does not grow with "
                       "the size of its input.");
    } else if (y->loop_depth <= 1) {
        cw_buf_puts(b, " has ");
        cw_md_count(b, y->loops, "loop", "loops");
        cw_buf_puts(b, ", none inside another: its cost grows about linearly with what it "
                       "iterates over, times the cost of each pass.");
    } else {
        cw_buf_puts(b, " has ");
        cw_md_count(b, y->loops, "loop", "loops");
        cw_buf_printf(b,
                      ", nested up to %ld deep: its cost grows with the product of the loop "
                      "sizes, so large inputs add up quickly.",
                      y->loop_depth);
    }
    bool any = false;
    any |= s_calls_in(b, t, s_alloc, sizeof s_alloc / sizeof s_alloc[0], "Allocation and growth: ");
    if (any)
        cw_buf_puts(b, " (inside a loop these add up; reserving capacity once helps)");
    bool sorts = s_calls_in(b, t, s_sort, sizeof s_sort / sizeof s_sort[0], "Sorting: ");
    if (sorts)
        cw_buf_puts(b, " (n log n each time it runs)");
    bool io = s_calls_in(b, t, s_io, sizeof s_io / sizeof s_io[0], "I/O and waiting: ");
    if (io)
        cw_buf_puts(b, " (these block: they usually cost more than all the computing)");
    bool re =
        s_calls_in(b, t, s_regex, sizeof s_regex / sizeof s_regex[0], "Regular expressions: ");
    if (re)
        cw_buf_puts(b, " (compile once, not on every call)");
    if (cw_offline_recursive(t))
        cw_buf_puts(b, "\n- It calls itself: each level costs a stack frame, and without "
                       "memoisation shared subproblems are solved again.");
    if (y->awaits > 0)
        cw_buf_printf(b, "\n- It awaits %ld %s: latency adds up when they run one after another.",
                      y->awaits, y->awaits == 1 ? "time" : "times");
    if (!any && !sorts && !io && !re && !cw_offline_recursive(t) && y->awaits == 0)
        cw_buf_puts(b, "\n\nNone of the calls it makes allocates, sorts, blocks on I/O or "
                       "compiles a pattern, as far as their names tell.");
    cw_buf_puts(b, "\n\nThese are counts from the syntax tree, not measurements: profile before "
                   "changing anything for speed.");
}

/* ---------------------------------------------------------------- til */

void cw_offline_til(cw_buf_t *b, const cw_gen_target_t *t, const char *name)
{
    cw_buf_puts(b, "\n\n### Today I learned\n\n");
    const cw_gen_body_t *y = &t->body;
    size_t defaults = 0;
    for (size_t i = 0; i < t->parameter_count; i++)
        defaults += t->parameters[i].dflt != NULL;
    cw_buf_puts(b, "Reading ");
    cw_md_code(b, name, CW_MD_ITEM);
    if (cw_offline_recursive(t)) {
        cw_buf_puts(b, ", I noticed it calls itself: the problem is solved by handing a smaller "
                       "piece of it to another call of the same function, until a case is small "
                       "enough to answer directly.");
    } else if (y->yields > 0) {
        cw_buf_puts(b, ", I noticed it is a generator: it hands out its results one at a time "
                       "with `yield`, so the caller can stop early and nothing is built up "
                       "front.");
    } else if (t->decorator_count > 0) {
        cw_buf_puts(b, ", I noticed the decorator ");
        cw_md_code(b, t->decorators[0], CW_MD_ITEM);
        cw_buf_puts(b, ": it wraps the function, adding behaviour around every call without "
                       "touching the body.");
    } else if (t->is_async || y->awaits > 0) {
        cw_buf_puts(b, ", I noticed it is asynchronous: while it waits at an `await`, other "
                       "work runs instead of blocking.");
    } else if (y->gotos > 0) {
        cw_buf_puts(b, ", I noticed the `goto`: in C it gives a function a single cleanup path "
                       "at its end, so every early exit releases the same resources.");
    } else if (y->unsafe > 0) {
        cw_buf_puts(b, ", I noticed its `unsafe` block: Rust lets a few lines step outside the "
                       "borrow checker and marks them, so reviewers know where to look.");
    } else if (y->catches > 0) {
        cw_buf_puts(b, ", I noticed it handles its own errors: the failure is dealt with where "
                       "it happens instead of reaching every caller.");
    } else if (y->loop_depth >= 2) {
        cw_buf_printf(b,
                      ", I noticed loops nested %ld deep: a compact way to walk every "
                      "combination, and a reminder that the cost multiplies.",
                      y->loop_depth);
    } else if (defaults > 0) {
        cw_buf_printf(b,
                      ", I noticed %zu of its arguments have defaults: the common call stays "
                      "short while the rare one can still say everything.",
                      defaults);
    } else if (t->return_type) {
        cw_buf_puts(b, ", I noticed how much its signature says: what it takes and that it "
                       "returns ");
        cw_md_code(b, t->return_type, CW_MD_SIG);
        cw_buf_puts(b, ", before reading a line of the body.");
    } else {
        cw_buf_puts(b, ", I noticed how its name and its calls tell the story: ");
        if (t->call_count > 0) {
            cw_buf_puts(b, "it leans on ");
            cw_md_code_list(b, t->calls, t->call_count, 3);
            cw_buf_puts(b, " to do the work.");
        } else {
            cw_buf_puts(b, "it does its work without calling anything else.");
        }
    }
}
