#!/usr/bin/env python3
"""lizard_rules — an independent re-implementation of lizard's counting rules, as a
measuring tool for the analyzer (issue 3: "metrics agree with lizard's rules").

lizard (PyPI) cannot be installed here, so this is NOT lizard: it is our own reading of
how lizard works (its source, lizard.py and lizard_languages/*.py, read for that purpose),
written again from scratch with the standard library only. It follows lizard's model:

  1. the source is cut into tokens by one regular expression (strings, comments and
     preprocessor lines are single tokens), with per-language additions;
  2. a language pre-pass (C: `#if`/`#ifdef`/`#elif` add a condition, directives vanish;
     Python: indentation opens and closes nesting levels, which ends functions);
  3. comments are dropped (their extra lines become line breaks);
  4. every remaining token adds its lines to NLOC of the function that is *current* when
     the token is read (a line counts once, for the function of its first token), adds
     one to its token count, and one to its CCN when it is a condition token;
  5. a per-language state machine finds where functions start and end; a function found
     inside another is a function of its own, and the outer one resumes after it.

A function starts with CCN 1, NLOC 1 and 1 token (its first token, which was counted for
the code around it). Where lizard versions differ, the newest source read is followed,
except the condition sets, which are those of docs ANALYSIS.md ("lizard 1.24").

Usage:
  lizard_rules.py analyze ROOT FILE_LIST          -> TSV, one line per function:
      file lang name start_line end_line ccn nloc tokens params
  lizard_rules.py compare OURS.tsv LIZARD.tsv [--examples N] [--json OUT]
      matches functions (same file, start line within a couple of lines, same name) and
      prints the agreement per language.
"""
import json
import os
import re
import sys

# --------------------------------------------------------------------------- tokens

_COMBINED = ["<<=", ">>=", "||", "&&", "===", "!==", "==", "!=", "<=", ">=", "->", "=>",
             "++", "--", "+=", "-=", "+", "-", "*", "/", "*=", "/=", "^=", "&=", "|=",
             "..."]
_PATTERNS = {}


def _pattern(addition):
    pat = _PATTERNS.get(addition)
    if pat is None:
        to_eol = r"(?:\\\n|[^\n])*"
        pat = re.compile(
            r"(?:/\*.*?\*/" + addition +
            r"|(?:\d+')+\d+|0x(?:[0-9A-Fa-f]+')+[0-9A-Fa-f]+|0b(?:[01]+')+[01]+"
            r"|\w+"
            r'|"(?:\\.|[^"\\])*"'
            r"|'(?:\\.|[^'\\])*?'"
            r"|//" + to_eol +
            r"|\#"
            r"|:=|::|\*\*"
            r"|<(?=(?:[^<>?]*\?)+[^<>]*>)(?:[\w\s,.?]|(?:extends))+>"
            r"|" + "|".join(re.escape(s) for s in _COMBINED) +
            r"|\\\n|\n|[^\S\n]+|.)", re.M | re.S)
        _PATTERNS[addition] = pat
    return pat


def tokenize(src, addition=""):
    """Tokens of src; a '#' starts a preprocessor line that runs to an unescaped newline."""
    macro = ""
    for m in _pattern(addition).finditer(src):
        tok = m.group(0)
        if macro:
            if "\\\n" in tok or "\n" not in tok:
                macro += tok
                continue
            yield macro
            macro = ""
            yield tok
        elif tok == "#":
            macro = tok
        else:
            yield tok
    if macro:
        yield macro


# --------------------------------------------------------------------------- model

class Function:
    __slots__ = ("name", "long_name", "start_line", "end_line", "ccn", "nloc", "tokens",
                 "params")

    def __init__(self, name, line):
        self.name = name
        self.long_name = name
        self.start_line = line
        self.end_line = line
        self.ccn = 1
        self.nloc = 1
        self.tokens = 1
        self.params = []

    def add_long(self, text):
        if self.long_name and text and self.long_name[-1].isalpha() and text[0].isalpha():
            self.long_name += " "
        self.long_name += text

    def add_param(self, tok):
        self.add_long(" " + tok)
        if not self.params:
            self.params.append(tok)
        elif tok == ",":
            self.params.append("")
        else:
            self.params[-1] += " " + tok

    def param_count(self):
        # a parameter is a comma-separated item with a word in it (trailing comma: none)
        n = 0
        for p in self.params:
            if re.search(r"(\w+)(\s=.*)?(\s:.*)?$", p):
                n += 1
        return n


class Namespace:
    def __init__(self, name):
        self.name = name


_BARE = object()


class Context:
    """What lizard calls the file-info builder: the current function, the functions that
    wait for it to end (stack), and the nesting levels (braces, indentation)."""

    def __init__(self):
        self.line = 0
        self.newline = True
        self.glob = Function("*global*", 0)
        self.cur = self.glob
        self.stack = []        # functions interrupted by a nested one (push_new)
        self.nest = []         # _BARE, Namespace or Function
        self.pending = None    # a confirmed function waiting for its body's nesting level
        self.forgive = False
        self.functions = []

    # lines
    def add_nloc(self, n):
        self.cur.nloc += n
        self.cur.end_line = self.line
        self.newline = n > 0

    def add_condition(self, n=1):
        self.cur.ccn += n

    # names
    def _prefix(self):
        out = ""
        for x in self.nest:
            if isinstance(x, Function):
                out += x.name + "."
            elif isinstance(x, Namespace) and x.name:
                out += x.name + "::"
        return out

    def try_new(self, name):
        self.cur = Function(self._prefix() + name, self.line)

    def confirm(self):
        self.pending = self.cur
        self.cur.ccn = 1

    def restart(self, name):
        self.try_new(name)
        self.confirm()

    def push_new(self, name):
        self.stack.append(self.cur)
        self.restart(name)

    def end_function(self):
        if not self.forgive:
            self.functions.append(self.cur)
        self.forgive = False
        self.cur = self.stack.pop() if self.stack else self.glob

    # nesting
    def add_bare_nesting(self):
        self.nest.append(self.pending if self.pending else _BARE)
        self.pending = None

    def add_namespace(self, name):
        self.pending = None
        self.nest.append(Namespace(name))

    def pop_nesting(self):
        self.pending = None
        if not self.nest:
            return
        top = self.nest.pop()
        if isinstance(top, Function):
            end = self.cur.end_line
            had_stack = bool(self.stack)
            self.end_function()
            if not had_stack or self.cur is self.glob:
                funs = [x for x in self.nest if isinstance(x, Function)]
                self.cur = funs[-1] if funs else self.glob
            self.cur.end_line = end


class Machine:
    """A state machine in lizard's style: `state` handles a token; a machine can hand
    tokens to a child machine until the child returns (sub_state)."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.state = self.s_global
        self.saved = None
        self.callback = None
        self.exiting = False
        self.last_token = None
        self.br = 0

    def __call__(self, tok):
        if self.state(tok):
            self.state = self.saved
            if self.callback:
                self.callback()
        self.last_token = tok
        return self.exiting

    def go(self, state, tok=None):
        self.state = state
        if tok is not None:
            return self(tok)
        return None

    def sub(self, machine, callback=None, tok=None):
        self.saved = self.state
        self.callback = callback
        self.go(machine, tok)

    def ret(self):
        self.exiting = True
        self.before_return()

    def before_return(self):
        pass

    def s_global(self, tok):
        pass

    def brackets(self, pair, tok):
        """Track one bracket pair; True when the brackets close again (depth 0)."""
        if tok == pair[0]:
            self.br += 1
        elif tok == pair[1]:
            self.br -= 1
        return self.br == 0


# --------------------------------------------------------------------------- readers

def _is_name(tok):
    return bool(tok) and (tok[0].isalpha() or tok[0] == "_")


class Reader:
    conditions = frozenset()
    addition = ""

    def __init__(self, ctx):
        self.ctx = ctx

    def tokens(self, src):
        return tokenize(src, self.addition)

    def preprocess(self, toks):
        for t in toks:
            if not t.isspace() or t == "\n":
                yield t

    def comment(self, tok):
        if tok.startswith("/*") or tok.startswith("//"):
            return tok[2:]
        return None

    def feed(self, tok):
        pass

    def eof(self):
        pass


# ---- C and C++ ------------------------------------------------------------------

class CLikeStates(Machine):
    def __init__(self, ctx):
        super().__init__(ctx)
        self.bracket_stack = []
        self.saved_tokens = []

    def try_new(self, name):
        self.ctx.try_new(name)
        self.state = self.s_operator if name == "operator" else self.s_function

    def s_global(self, tok):
        if tok[0].isalpha() or tok[0] in "_~":
            self.try_new(tok)

    def s_function(self, tok):
        if tok == "(":
            self.go(self.s_dec, tok)
        elif tok == "::":
            self.ctx.cur.name += tok
            self.ctx.cur.long_name += tok
            self.state = self.s_name_with_space
        elif tok == "<":
            self.go(self.s_template_in_name, tok)
        else:
            self.go(self.s_global, tok)

    def s_template_in_name(self, tok):
        done = self.brackets("<>", tok)
        self.ctx.cur.name += tok
        self.ctx.cur.long_name += tok
        if done:
            self.state = self.s_function

    def s_operator(self, tok):
        if tok != "(":
            self.state = self.s_operator_next
        self.ctx.cur.name += " " + tok
        self.ctx.cur.long_name += " " + tok

    def s_operator_next(self, tok):
        if tok == "(":
            self.s_function(tok)
        else:
            self.ctx.cur.name += " " + tok
            self.ctx.cur.long_name += " " + tok

    def s_name_with_space(self, tok):
        self.state = self.s_operator if tok == "operator" else self.s_function
        self.ctx.cur.name += tok
        self.ctx.cur.long_name += tok

    def s_dec(self, tok):
        done = self.brackets("()", tok)
        if tok in ("(", "<"):
            self.bracket_stack.append(tok)
            self.ctx.cur.add_long(tok)
        elif tok in (")", ">"):
            if self.bracket_stack:
                self.bracket_stack.pop()
            else:
                self.state = self.s_global
            self.ctx.cur.add_long(tok)
        elif len(self.bracket_stack) == 1:
            self.ctx.cur.add_param(tok)
        else:
            self.ctx.cur.add_long(tok)
        if done:
            self.state = self.s_dec_to_imp

    def s_dec_to_imp(self, tok):
        if tok in ("const", "&", "&&"):
            self.ctx.cur.add_long(" " + tok)
        elif tok == "throw":
            self.state = self.s_throw
        elif tok == "throws":
            self.state = self.s_until_body
        elif tok == "->":
            self.state = self.s_until_body
        elif tok == "noexcept":
            self.state = self.s_noexcept
        elif tok == "(":
            self.try_new(self.ctx.cur.long_name)
            self.s_function(tok)
        elif tok == "{":
            self.go(self.s_entering_imp, "{")
        elif tok == ":":
            self.state = self.s_init_list
        elif tok == "[":
            self.state = self.s_attribute
            self.state(tok)
        elif not (tok[0].isalpha() or tok[0] == "_"):
            self.state = self.s_global
            self.state(tok)
        else:
            self.state = self.s_old_c_params
            self.saved_tokens = [tok]

    def s_throw(self, tok):
        if self.brackets("()", tok):
            self.state = self.s_dec_to_imp

    def s_until_body(self, tok):
        if tok in (";", "{"):
            self.state = self.s_dec_to_imp
            self.state(tok)

    def s_noexcept(self, tok):
        self.state = self.s_throw if tok == "(" else self.s_dec_to_imp
        self.state(tok)

    def s_old_c_params(self, tok):
        self.saved_tokens.append(tok)
        if tok == ";":
            self.saved_tokens = []
            self.state = self.s_dec_to_imp
        elif tok == "{":
            if len(self.saved_tokens) == 2:
                self.saved_tokens = []
                self.s_dec_to_imp(tok)
                return
            self.state = self.s_global
            for t in self.saved_tokens:
                self.state(t)
        elif tok == "(":
            self.state = self.s_global
            for t in self.saved_tokens:
                self.state(t)

    def s_init_list(self, tok):
        self.state = self.s_one_init
        if tok == "{":
            self.go(self.s_entering_imp, "{")

    def s_one_init(self, tok):
        if tok == "(":
            self.state = self.s_init_paren
            self.state(tok)
        elif tok == "{":
            self.state = self.s_init_brace
            self.state(tok)

    def s_init_paren(self, tok):
        if self.brackets("()", tok):
            self.state = self.s_init_list

    def s_init_brace(self, tok):
        if self.brackets("{}", tok):
            self.state = self.s_init_list

    def s_entering_imp(self, tok):
        self.ctx.confirm()
        self.go(self.s_imp, tok)

    def s_imp(self, tok):
        if self.brackets("{}", tok):
            self.state = self.s_global

    def s_attribute(self, tok):
        if self.brackets("[]", tok):
            self.state = self.s_dec_to_imp


class CLikeNesting(Machine):
    """Braces open and close nesting levels; `struct/class/namespace/union X {` opens a
    named one. A confirmed function takes the next level; closing it ends the function."""
    _SEP = ("<", ":", "final", "[", "extends", "implements")

    def __init__(self, ctx):
        super().__init__(ctx)
        self.saved_tokens = []

    def s_global(self, tok):
        if tok == "template":
            self.state = self.s_template
        elif tok == ".":
            self.state = self.s_dot
        elif tok in ("struct", "class", "namespace", "union"):
            self.state = self.s_namespace
        elif tok == "{":
            self.ctx.add_bare_nesting()
        elif tok == "}":
            self.ctx.pop_nesting()

    def s_dot(self, tok):
        self.state = self.s_global

    def s_template(self, tok):
        if self.brackets("<>", tok):
            self.state = self.s_global

    def s_namespace(self, tok):
        if tok == "[":
            self.state = self.s_ns_attribute
            self.state(tok)
        else:
            self.saved_tokens = []
            self.state = self.s_namespace_name
            self.state(tok)

    def s_ns_attribute(self, tok):
        if self.brackets("[]", tok):
            self.state = self.s_namespace

    def s_namespace_name(self, tok):
        if tok in (")", "(", "{", ";"):
            self.state = self.s_global
            if tok == "{":
                name = ""
                for t in self.saved_tokens:
                    if t in self._SEP:
                        break
                    name += t
                self.ctx.add_namespace(name)
        else:
            self.saved_tokens.append(tok)


class CppRValueRef(Machine):
    """`&&` of an rvalue reference (`T&& x = ...`) and `&&` in a typedef are no condition."""

    def __init__(self, ctx):
        super().__init__(ctx)
        self.until = []

    def s_global(self, tok):
        if tok == "&&":
            self.state = self.s_rvalue
        elif tok == "typedef":
            self.until = []
            self.state = self.s_typedef

    def s_rvalue(self, tok):
        if tok in ("=", ";", "{", "}", ")"):
            if tok == "=":
                self.ctx.add_condition(-1)
            self.state = self.s_global

    def s_typedef(self, tok):
        if tok == ";":
            self.ctx.add_condition(-self.until.count("&&"))
            self.state = self.s_global
        else:
            self.until.append(tok)


class CLikeReader(Reader):
    conditions = frozenset(["if", "for", "while", "catch", "case", "&&", "||", "?"])
    _macro = re.compile(r"#\s*(\w+)\s*(.*)", re.M | re.S)

    def __init__(self, ctx):
        super().__init__(ctx)
        self.machines = [CLikeStates(ctx), CLikeNesting(ctx), CppRValueRef(ctx)]

    def preprocess(self, toks):
        tilde = False
        for t in toks:
            if t == "~":
                tilde = True
            elif tilde:
                tilde = False
                yield "~" + t
            elif not t.isspace() or t == "\n":
                m = self._macro.match(t)
                if m:
                    if m.group(1) in ("if", "ifdef", "elif"):
                        self.ctx.add_condition()
                    elif m.group(1) == "include":
                        yield "#include"
                        yield m.group(2) or '""'
                    for _ in m.group(2).splitlines()[1:]:
                        yield "\n"
                else:
                    yield t

    def feed(self, tok):
        for m in self.machines:
            m(tok)


# ---- Go and Rust ---------------------------------------------------------------

class GoLikeStates(Machine):
    FUNC = "func"
    NO_BODY = ()             # tokens that show a signature has no body
    BODY_ON_SIGNATURE_LINE = False

    def __init__(self, ctx):
        super().__init__(ctx)
        self.result_brackets = 0
        self.signature_line = None
        self.first_parens = []
        self.tp_open = self.tp_close = None

    def clone(self):
        return self.__class__(self.ctx)

    def s_global(self, tok):
        if tok == self.FUNC:
            self.state = self.s_function_name
            self.result_brackets = 0
            self.signature_line = None
            self.first_parens = []
            self.ctx.push_new("")
        elif tok == "type":
            self.state = self.s_type_name
        elif tok == "{":
            self.sub(self.clone())
        elif tok == "}":
            self.ret()

    def s_type_name(self, tok):
        self.state = self.s_after_type_name

    def s_after_type_name(self, tok):
        if tok == "struct" or tok == "interface":
            self.state = self.s_type_body
        else:
            self.state = self.s_global

    def s_type_body(self, tok):
        if self.brackets("{}", tok):
            self.state = self.s_global

    def s_function_name(self, tok):
        if tok == "`":
            return
        if tok == "(":
            if self.NO_BODY and self.first_parens:
                return self.without_name(tok)
            if self.ctx.stack and self.ctx.stack[-1].name != "*global*":
                return self.go(self.s_function_dec, tok)
            return self.go(self.s_receiver, tok)
        if self.NO_BODY and self.first_parens and (tok == self.FUNC or
                                                   self.another_line()):
            self.forget()
            return self.go(self.s_global, tok)
        if self.NO_BODY and not _is_name(tok):
            return self.without_name(tok)
        if tok == "{":
            return self.go(self.s_expect_impl, tok)
        self.ctx.cur.name += tok
        self.ctx.cur.long_name += tok
        self.state = self.s_expect_dec

    def without_name(self, tok):
        """What looked like a receiver and a name were the parameters and result type of
        a function literal (or of a function type)."""
        fn = self.ctx.cur
        fn.name = fn.long_name = ""
        depth = 0
        for t in self.first_parens:
            if t == "(":
                depth += 1
            if depth == 1 and t not in "()":
                fn.add_param(t)
            if t == ")":
                depth -= 1
        self.first_parens = []
        self.go(self.s_expect_impl, tok)

    def s_expect_dec(self, tok):
        if tok == "(":
            self.first_parens = []
            self.go(self.s_function_dec, tok)
        elif tok in ("<", "["):
            self.br = 0
            self.go(self.s_type_params, tok)
        elif self.NO_BODY:
            self.without_name(tok)
        else:
            self.state = self.s_global

    def s_type_params(self, tok):
        if self.br == 0:
            self.tp_open, self.tp_close = tok, (">" if tok == "<" else "]")
        if tok == self.tp_open:
            self.br += 1
        elif tok == self.tp_close:
            self.br -= 1
        if self.br == 0:
            self.state = self.s_expect_dec

    def s_receiver(self, tok):
        done = self.brackets("()", tok)
        self.signature_line = self.ctx.line
        self.first_parens.append(tok)
        self.ctx.cur.long_name += tok
        if done:
            self.state = self.s_function_name

    def s_function_dec(self, tok):
        done = self.brackets("()", tok)
        self.signature_line = self.ctx.line
        if tok not in ("(", ")"):
            self.ctx.cur.add_param(tok)
        if done:
            self.state = self.s_expect_impl

    def another_line(self):
        line, self.signature_line = self.signature_line, self.ctx.line
        return self.BODY_ON_SIGNATURE_LINE and line is not None and line != self.ctx.line

    def no_body(self, tok):
        if not self.NO_BODY:
            return False
        other = self.another_line()
        if tok in ("(", "[", "<"):
            self.result_brackets += 1
        elif tok in (")", "]", ">"):
            self.result_brackets -= 1
            return self.result_brackets < 0
        elif self.result_brackets == 0:
            return tok in self.NO_BODY or other
        return False

    def forget(self):
        """A function type or a declaration: what it counted belongs to the code around."""
        gone = self.ctx.cur
        if self.ctx.stack:
            around = self.ctx.stack.pop()
            around.tokens += gone.tokens - 1
            around.nloc += gone.nloc - 1
            around.ccn += gone.ccn - 1
            around.end_line = gone.end_line
            self.ctx.cur = around

    def s_expect_impl(self, tok):
        if self.no_body(tok):
            self.forget()
            self.go(self.s_global, tok)
        elif tok == "{":
            if self.last_token in ("interface", "struct"):
                self.br = 0
                self.go(self.s_result_braces, tok)
            else:
                self.go(self.s_function_impl, tok)

    def s_result_braces(self, tok):
        self.signature_line = self.ctx.line
        if self.brackets("{}", tok):
            self.state = self.s_expect_impl

    def s_function_impl(self, tok):
        def done():
            self.state = self.s_global
            self.ctx.end_function()
        self.sub(self.clone(), done)


class GoStates(GoLikeStates):
    NO_BODY = ("}", ";", "=")
    BODY_ON_SIGNATURE_LINE = True

    def __init__(self, ctx):
        super().__init__(ctx)
        self.line_of_last = None

    def s_global(self, tok):
        line, self.line_of_last = self.line_of_last, self.ctx.line
        if tok == "type" and self.last_token == "(":
            return  # x.(type)
        if tok == "func" and self.last_token in ("]", ")") and line == self.ctx.line:
            return  # a function type after a type: []func(), ... func()
        super().s_global(tok)

    def s_after_type_name(self, tok):
        if tok == "[":
            self.br = 0
            self.state = self.s_type_brackets
            self.state(tok)
        elif tok != "=":
            super().s_after_type_name(tok)

    def s_type_brackets(self, tok):
        if self.brackets("[]", tok):
            self.state = self.s_after_type_name


class RustStates(GoLikeStates):
    FUNC = "fn"
    NO_BODY = (";",)


class GoReader(Reader):
    conditions = frozenset(["if", "for", "while", "catch", "case", "&&", "||", "?"])
    addition = r"|`[^`]*`|<-"

    def __init__(self, ctx):
        super().__init__(ctx)
        self.machine = GoStates(ctx)

    def feed(self, tok):
        self.machine(tok)


class RustReader(Reader):
    conditions = frozenset(["if", "for", "while", "catch", "match", "where", "&&", "||", "?"])
    addition = r"|(?:'\w+\b)"  # lifetimes and labels, not character literals
    # `||` right after an operand is the logical or; anywhere else it is the empty
    # parameter list of a closure (`run(|| 0)`, `move || 1`): no condition
    _before_closure = frozenset(["move", "return", "in", "async", "static", "break", "else"])

    def __init__(self, ctx):
        super().__init__(ctx)
        self.machine = RustStates(ctx)
        self.last = None

    def _after_operand(self):
        last = self.last
        if last is None or last in self._before_closure:
            return False
        return last[-1].isalnum() or last[-1] in "_)]}?\"'"

    def tokens(self, src):
        # block comments nest in Rust; '#' starts an attribute, not a preprocessor line
        pos = 0
        pat = _pattern(self.addition)
        n = len(src)
        while pos < n:
            m = pat.match(src, pos)
            tok = m.group(0)
            if tok.startswith("/*"):
                end = _nested_comment_end(src, pos)
                tok = src[pos:end]
            yield tok
            pos += len(tok)

    def feed(self, tok):
        if tok == "||" and not self._after_operand():
            self.ctx.add_condition(-1)
        self.last = tok
        self.machine(tok)


def _nested_comment_end(src, start):
    depth, i, n = 0, start, len(src)
    while i < n:
        if src.startswith("/*", i):
            depth += 1
            i += 2
        elif src.startswith("*/", i):
            depth -= 1
            i += 2
            if depth == 0:
                return i
        else:
            i += 1
    return n


# ---- Python ---------------------------------------------------------------------

_PY_TRIPLE = (r"|(?:\"\"\"(?:\\.|[^\"]|\"(?!\"\")|\"\"(?!\"))*\"\"\")"
              r"|(?:'''(?:\\.|[^']|'(?!'')|''(?!'))*''')")
_PY_FPREFIX = frozenset(("f", "rf", "fr", "bf", "fb"))
_PY_ASSIGNING = frozenset(["=", "+=", "-=", "*=", "/=", "%=", "//=", "**=", "&=", "|=", "^=",
                           "<<=", ">>=", "(", "return", ",", "[", "+", "-", "*", "/", "%"])
_PY_VARIABLE_NEXT = frozenset(["=", ".", ":", ",", "+=", "-=", "*=", "/=", "%=", "//=", "**=",
                               "&=", "|=", "^=", "<<=", ">>=", ":="])


class PythonStates(Machine):
    def s_global(self, tok):
        if tok == "def":
            self.state = self.s_function

    def s_function(self, tok):
        if tok != "(":
            self.ctx.restart(tok)
            self.ctx.cur.add_long("(")
        else:
            self.state = self.s_dec

    def s_dec(self, tok):
        if tok == ")":
            self.state = self.s_colon
        elif tok == "[":
            self.state = self.s_annotation
        else:
            self.ctx.cur.add_param(tok)
            return
        self.ctx.cur.add_long(" " + tok)

    def s_annotation(self, tok):
        self.ctx.cur.add_long(" " + tok)
        if tok == "]":
            self.state = self.s_dec

    def s_colon(self, tok):
        self.state = self.s_first_line if tok == ":" else self.s_global

    def s_first_line(self, tok):
        self.state = self.s_global
        if tok.startswith('"""') or tok.startswith("'''"):
            self.ctx.add_nloc(-tok.count("\n") - 1)  # a docstring is not code
        self.s_global(tok)


class PythonReader(Reader):
    conditions = frozenset(["if", "elif", "for", "while", "except", "finally", "and", "or"])
    addition = r"|\#(?:\\\n|[^\n])*" + _PY_TRIPLE

    def __init__(self, ctx):
        super().__init__(ctx)
        self.machine = PythonStates(ctx)
        self.case_keyword = set()   # indexes of `case` tokens that are the soft keyword
        self.last_meaningful = None

    def comment(self, tok):
        return tok[1:] if tok.startswith("#") else None

    def tokens(self, src):
        toks = list(self._fstrings(tokenize(src, self.addition)))
        # `case` at the start of a statement is the soft keyword unless what follows shows
        # a variable (`case = 1`, `case.x`, `case(x)` with no ':' after the brackets)
        at_start = True
        for i, t in enumerate(toks):
            if t == "\n":
                at_start = True
                continue
            if t.isspace():
                continue
            if at_start and t == "case":
                j = i + 1
                while j < len(toks) and toks[j] != "\n" and toks[j].isspace():
                    j += 1
                nxt = toks[j] if j < len(toks) and toks[j] != "\n" else None
                keyword = True
                if nxt in _PY_VARIABLE_NEXT:
                    keyword = False
                elif nxt in ("(", "["):
                    keyword, depth = False, 1
                    for t2 in toks[j + 1:]:
                        if t2 in ("(", "[", "{"):
                            depth += 1
                        elif t2 in (")", "]", "}"):
                            depth -= 1
                        elif t2 == ":" and depth == 0:
                            keyword = True
                            break
                        elif t2 == "\n" and depth == 0:
                            break
                if keyword:
                    self.case_keyword.add(i)
            at_start = False
        for i, t in enumerate(toks):
            yield (i, t)

    def _fstrings(self, toks):
        """The {...} of f-strings are code: tokenize them again."""
        held = None
        for t in toks:
            if held is not None:
                prefix, held = held, None
                yield prefix
                if t[:1] in ('"', "'"):
                    for x in self._fstring_body(t):
                        yield x
                    continue
            if t.lower() in _PY_FPREFIX:
                held = t
                continue
            yield t
        if held is not None:
            yield held

    def _fstring_body(self, tok):
        quote = tok[:3] if tok[:3] in ('"""', "'''") else tok[:1]
        body = tok[len(quote):len(tok) - len(quote)]
        out, lit, i, n = [], [], 0, len(body)
        while i < n:
            if body[i:i + 2] in ("{{", "}}"):
                lit.append(body[i])
                i += 2
                continue
            if body[i] == "{":
                depth, j = 1, i + 1
                while j < n and depth:
                    c = body[j]
                    if c in "\"'":
                        q = c
                        j += 1
                        while j < n and body[j] != q:
                            j += 2 if body[j] == "\\" else 1
                    elif c == "{":
                        depth += 1
                    elif c == "}":
                        depth -= 1
                    j += 1
                if lit:
                    out.append(quote + "".join(lit) + quote)
                    lit = []
                out.extend(self._fstrings(tokenize(body[i + 1:j - 1], self.addition)))
                i = j
                continue
            lit.append(body[i])
            i += 1
        if not out:
            return [tok]
        if lit:
            out.append(quote + "".join(lit) + quote)
        return out

    def preprocess(self, items):
        indents = [0]
        spaces, leading = 0, True
        ctx = self.ctx
        for i, t in items:
            if t != "\n":
                if leading:
                    if t.isspace():
                        spaces += len(t.replace("\t", " " * 8))
                    else:
                        if not t.startswith("#"):
                            if ctx.cur.name == "*global*" or ctx.cur.long_name.endswith(")"):
                                while indents[-1] > spaces and not t.startswith(")"):
                                    indents.pop()
                                    ctx.pop_nesting()
                                if indents[-1] < spaces:
                                    indents.append(spaces)
                                    ctx.add_bare_nesting()
                        leading = False
            else:
                leading, spaces = True, 0
            if not t.isspace() or t == "\n":
                self._index = i
                yield t
        while indents[-1] > 0:
            indents.pop()
            ctx.pop_nesting()

    def feed(self, tok):
        if tok == "case" and self._index in self.case_keyword:
            self.ctx.add_condition()
        if (tok.startswith('"""') or tok.startswith("'''")) and len(tok) >= 6:
            # a triple-quoted string standing alone is a comment (docstrings: see states)
            if self.machine.state != self.machine.s_first_line and \
                    self.last_meaningful not in _PY_ASSIGNING:
                self.ctx.add_nloc(-(tok.count("\n") + 1))
        self.last_meaningful = tok
        self.machine(tok)


# ---- JavaScript and TypeScript ----------------------------------------------------

_JS_TYPE_WORDS = frozenset(["string", "number", "boolean", "void", "any", "object",
                            "unknown", "never"])
_JS_MODIFIERS = frozenset(["public", "private", "protected", "readonly", "override"])
# a ':' after a name that follows one of these starts a type annotation (not a ternary's)
_TS_DECL_BEFORE = frozenset(["let", "const", "var", ",", "(", "readonly", "public",
                             "private", "protected", "static", "declare"])


def _js_name(tok):
    return bool(tok) and (tok[0].isalpha() or tok[0] in "_$#")


class JSStates(Machine):
    """Functions: `function [name](`, methods `name(...) {` in class bodies and object
    literals, and arrows `=>` (named by `name =` / `name:` before them). A signature that
    turns out to be a call (no `{` or `=>` after its `)`) is dropped again."""

    def __init__(self, ctx, typed, as_object=False):
        super().__init__(ctx)
        self.typed = typed
        self.as_object = as_object
        self.last_tokens = ""
        self.function_name = ""
        self.started = False
        self.prev = ""
        self.in_prop = False
        self.declare = False
        self.abstract = False
        self.depth = 0
        self.after_type = None
        self.params_root = True
        self.dec_first = False
        self.before_last = ""

    def child(self, as_object=False):
        return JSStates(self.ctx, self.typed, as_object)

    # functions
    def push(self, name=None):
        if self.abstract:
            return
        self.started = True
        self.ctx.push_new(name if name is not None else (self.function_name or "(anonymous)"))

    def pop(self):
        if self.started:
            self.ctx.end_function()
        self.started = False
        self.in_prop = False

    def abandon(self):
        self.ctx.forgive = True
        self.ctx.end_function()
        self.started = False

    def before_return(self):
        self.pop()

    def sub_machine(self, callback=None, as_object=False):
        self.sub(self.child(as_object), callback)

    # states
    def s_global(self, tok):
        if tok == "declare":
            self.declare = True
            return
        if tok == "function" and self.declare:
            self.declare = False
            self.state = self.s_skip_declared
            return
        self.declare = False
        if tok == "interface" and not self.as_object:
            self.depth, self.started_body = 0, False
            self.state = self.s_skip_interface
            return
        if tok == "type" and not self.as_object and self.typed:
            self.alias_phase, self.depth = 0, 0
            self.state = self.s_type_alias
            return
        if tok == "abstract" and self.as_object:
            self.abstract = True
            return
        if tok in ("static", "async", "new"):
            self.prev = tok
            return
        if self.as_object:
            if tok == ":":
                if _js_name(self.last_tokens):
                    self.function_name = self.last_tokens
                self.in_prop = True
                return
            if tok == "<" and self.typed:
                self.depth = 0
                self.after_type = self.s_global
                self.go(self.s_skip_generic, tok)
                return
            if tok == "(":
                if self.prev in (".", "new") or (self.in_prop and (
                        not self.function_name or self.last_tokens != self.function_name)):
                    self.sub_machine()
                    self.prev = tok
                    return
                if not self.started:
                    name = self.function_name if (self.last_tokens == "=" and
                                                  self.function_name) else self.last_tokens
                    self.push(name)
                self.go(self.s_function, tok)
                return
        if tok == ".":
            self.state = self.s_field
            self.last_tokens += tok
            self.prev = tok
            return
        if tok == "function":
            self.state = self.s_function
        elif tok in ("if", "switch", "for", "while", "catch"):
            self.state = self.s_condition
        elif tok in ("else", "do", "try", "finally"):
            self.state = self.s_statement
        elif tok == "=>":
            self.state = self.s_arrow
        elif tok == "=":
            if _js_name(self.last_tokens):
                self.function_name = self.last_tokens
        elif tok == "(":
            if self.prev in (".", "new"):
                self.sub_machine()
            elif self.function_name:
                if self.last_tokens != self.function_name and \
                        self.prev not in ("=", "async", ">"):
                    self.function_name = ""
                    self.sub_machine()
                else:
                    if not self.started:
                        self.push(self.function_name)
                    self.go(self.s_function, tok)
            else:
                self.sub_machine()
        elif tok == "{":
            if self.started:
                self.sub_machine(self.pop)
            else:
                self.sub_machine(None, as_object=True)
        elif tok in ("}", ")"):
            self.ret()
        elif self.ctx.newline or tok == ";":
            self.function_name = ""
            self.pop()
            self.abstract = False
            self.in_prop = False
        if self.typed and not self.as_object and tok == ":" and (
                self.last_tokens.endswith("?") or
                (_js_name(self.last_tokens) and self.before_last in _TS_DECL_BEFORE)):
            self.depth = 0
            self.after_type = self.s_global
            self.state = self.s_type
            self.prev = tok
            return
        if self.as_object and tok == ",":
            self.in_prop = False
        self.before_last = self.last_tokens
        self.last_tokens = tok
        if not (self.prev == "new" and _js_name(tok)):
            self.prev = tok

    def s_field(self, tok):
        if tok in ("(", "[", "{"):
            self.state = self.s_global  # `a?.(x)`, `a?.[k]`
            self.s_global(tok)
            return
        self.last_tokens += tok
        self.prev = tok
        self.state = self.s_global

    def s_skip_declared(self, tok):
        if tok == ";" or self.ctx.newline:
            self.state = self.s_global

    def s_skip_interface(self, tok):
        if tok == "{":
            self.started_body = True
            self.depth += 1
        elif tok == "}" and self.started_body:
            self.depth -= 1
            if self.depth == 0:
                self.state = self.s_global

    def s_type_alias(self, tok):
        ph = self.alias_phase
        if ph == 0:
            if _is_name(tok):
                self.alias_phase = 1
            else:
                self.last_tokens = "type"
                self.state = self.s_global
                self.s_global(tok)
        elif ph == 1:
            if tok == "<":
                self.depth, self.alias_phase = 1, 3
            elif tok == "=":
                self.alias_phase = 2
            elif tok == ";":
                self.state = self.s_global
        elif ph == 2:
            if tok == "{":
                self.depth, self.alias_phase = 1, 4
            elif tok == ";" or self.ctx.newline:
                self.state = self.s_global
                if tok != ";":
                    self.s_global(tok)
        elif ph == 3:
            if tok == "<":
                self.depth += 1
            elif tok == ">":
                self.depth -= 1
                if self.depth == 0:
                    self.alias_phase = 1
        elif ph == 4:
            if tok == "{":
                self.depth += 1
            elif tok == "}":
                self.depth -= 1
                if self.depth == 0:
                    self.state = self.s_global

    def s_skip_generic(self, tok):
        if tok == "<":
            self.depth += 1
        elif tok == ">":
            self.depth -= 1
            if self.depth == 0:
                self.state = self.after_type

    def s_type(self, tok):
        """A type annotation after ':' — skipped up to where the declaration goes on."""
        if tok in ("(", "[", "{", "<"):
            self.depth += 1
            return
        if tok in (")", "]", "}", ">"):
            if self.depth == 0:
                self.state = self.after_type
                self.state(tok)
                return
            self.depth -= 1
            return
        if self.depth == 0 and (tok in ("=", ",", ";") or
                                (self.ctx.newline and tok != "|" and tok != "&")):
            self.state = self.after_type
            self.state(tok)

    def s_condition(self, tok):
        if tok == "await":
            return
        if tok != "(":
            self.go(self.s_global, tok)
            return

        def then():
            self.state = self.s_statement
        self.sub(self.child(), then)

    def s_statement(self, tok):
        if tok == "{":
            def then():
                self.state = self.s_global
            self.sub(self.child(), then)
        else:
            self.go(self.s_global, tok)

    def s_arrow(self, tok):
        if not self.started:
            self.push()
        self.function_name = ""
        self.state = self.s_global
        self.s_global(tok)

    def s_function(self, tok):
        if tok == "*":
            return
        if tok == "<" and self.typed:
            self.depth = 0
            self.after_type = self.s_function
            self.go(self.s_skip_generic, tok)
            return
        if tok != "(":
            self.function_name = tok if _js_name(tok) else ""
            return
        if not self.started:
            self.push()
        self.depth = 0
        self.params_root = True
        self.dec_first = True
        self.go(self.s_dec, tok)

    def s_dec(self, tok):
        if tok == "(" and self.depth == 0:
            self.depth = 1
            self.ctx.cur.add_long(" (")
            return
        first, self.dec_first = self.dec_first, False
        if tok in ("(", "[", "{", "<"):
            if tok == "(" and self.depth == 1 and first:
                # `((a) => a)(1)`: a grouped expression, not parameters: the group is
                # read as one, from this inner `(` on
                self.abandon()
                self.depth = 0
                self.state = self.s_global
                self.sub(self.child(), None, tok)
                return
            self.depth += 1
        elif tok in (")", "]", "}", ">"):
            self.depth -= 1
            if self.depth == 0:
                self.ctx.cur.add_long(" " + tok)
                self.state = self.s_expect_body
                return
        elif tok == "function" and self.depth == 1:
            self.abandon()
            self.depth = 0
            self.go(self.s_global, tok)
            return
        elif self.depth == 1:
            if tok == ",":
                self.ctx.cur.add_param(",")
                self.params_root = True
                return
            if tok in ("=", ":"):
                self.params_root = False
            elif self.params_root and _js_name(tok) and tok not in _JS_TYPE_WORDS and \
                    tok not in _JS_MODIFIERS:
                self.ctx.cur.add_param(tok.rstrip("?"))
                self.params_root = False
                return
        self.ctx.cur.add_long(" " + tok)

    def s_expect_body(self, tok):
        if tok == ":" and self.typed:
            self.depth = 0
            self.state = self.s_return_type
            return
        if tok == ";" and self.as_object and self.abstract:
            self.pop()
            self.abstract = False
            self.go(self.s_global)
            return
        if tok not in ("{", "=>") and self.started:
            self.abandon()
        self.go(self.s_global, tok)

    def s_return_type(self, tok):
        if tok in ("(", "[", "<"):
            self.depth += 1
        elif tok in (")", "]", ">"):
            self.depth -= 1
        elif tok == "{" and self.depth == 0 and self.last_token not in (":", "|", "&", "<",
                                                                          ",", "=>"):
            self.go(self.s_expect_body, tok)
        elif tok == "{":
            self.depth += 1
        elif tok == "}":
            self.depth -= 1
        elif self.depth == 0 and tok in (";", "=>"):
            self.go(self.s_expect_body, tok)


class JSReader(Reader):
    conditions = frozenset(["if", "elseif", "for", "while", "catch", "case", "&&", "||", "?"])
    _regex = r"\/(\S*?[^\s\\]\/)+?(igm)*"
    typed = True

    def __init__(self, ctx):
        super().__init__(ctx)
        self.machine = JSStates(ctx, self.typed)
        self.in_template = False

    def tokens(self, src):
        toks = self._tokens(src)
        if os.environ.get("LIZARD_RULES_SYNTAX_ONLY"):
            toks = self._syntax_only(list(toks))
        return toks

    @staticmethod
    def _syntax_only(toks):
        """Diagnostics only, NOT lizard: drop the conditions that lizard's tokenizer finds
        where the syntax has no decision: the '?' tokens it cuts out of `?.`, `??` and
        `??=`, and `catch` used as a property (`promise.catch(...)`)."""
        prv = ""
        for i, t in enumerate(toks):
            nxt = toks[i + 1] if i + 1 < len(toks) else ""
            if t == "?" and (nxt in ("?", ".") or prv == "?" or prv.endswith("?")):
                yield "?\u2009"  # not a condition token
            elif t == "catch" and prv == ".":
                yield "catch\u2009"
            else:
                yield t
            if not t.isspace():
                prv = t

    def _tokens(self, src):
        addition = ("|" + self._regex + r"|(?:#\w+)|(?:\$\w+)|(?:\w+\?)"
                    r"|`(?:\\.|\$\{(?:\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'|[^{}\"'`])*\}|[^`\\])*`")
        regex = re.compile(self._regex)
        word = re.compile(r"\w+")
        after_word = False
        for t in tokenize(src, addition):
            if after_word and regex.match(t):
                for x in tokenize(t, ""):   # division, not a regular expression
                    yield x
            elif t.startswith("`") and t.endswith("`") and len(t) > 1:
                for x in self._template(t):
                    yield x
            else:
                yield t
            if not t.isspace():
                after_word = bool(word.match(t))

    def _template(self, tok):
        """A template literal: quote, text chunks, and each ${...} as `${`, the expression
        as one token, `}`; the quote again. The states skip from quote to quote."""
        body = tok[1:-1]
        yield "`"
        i = 0
        while i < len(body):
            k = body.find("${", i)
            if k < 0:
                yield "`" + body[i:] + "`"
                break
            if k > i:
                yield "`" + body[i:k] + "`"
            j, depth = k + 2, 1
            while j < len(body) and depth:
                if body[j] == "{":
                    depth += 1
                elif body[j] == "}":
                    depth -= 1
                j += 1
            yield "${"
            if j - 1 > k + 2:
                yield body[k + 2:j - 1]
            yield "}"
            i = j
        yield "`"

    def feed(self, tok):
        # a template literal (quote ... quote) is text for the states, whatever it holds
        if tok == "`":
            self.in_template = not self.in_template
            return
        if not self.in_template:
            self.machine(tok)

    def eof(self):
        self.machine.before_return()


class JavaScriptReader(JSReader):
    typed = False


READERS = {
    ".py": ("python", PythonReader),
    ".js": ("javascript", JavaScriptReader), ".jsx": ("javascript", JavaScriptReader),
    ".mjs": ("javascript", JavaScriptReader), ".cjs": ("javascript", JavaScriptReader),
    ".ts": ("typescript", JSReader), ".tsx": ("tsx", JSReader),
    ".go": ("go", GoReader), ".rs": ("rust", RustReader),
    ".c": ("c", CLikeReader), ".h": ("c", CLikeReader),
    ".cc": ("cpp", CLikeReader), ".cpp": ("cpp", CLikeReader), ".cxx": ("cpp", CLikeReader),
    ".hpp": ("cpp", CLikeReader), ".hh": ("cpp", CLikeReader),
}


def analyze_source(src, reader_class):
    """The functions of one source text, lizard-style."""
    ctx = Context()
    reader = reader_class(ctx)
    ctx.line = 1
    newline = 1
    try:
        for tok in reader.preprocess(reader.tokens(src)):
            body = reader.comment(tok)
            if body is not None:
                text = body.strip()
                if text.startswith("#lizard forgive"):
                    ctx.forgive = True
                if "GENERATED CODE" in body:
                    break  # lizard reads no further
                for _ in body.splitlines()[1:]:
                    ctx.line += 1
                    newline = 1
                continue
            if tok == "\n":
                ctx.line += 1
                newline = 1
                continue
            n = tok.count("\n")
            ctx.line += n
            ctx.add_nloc(n + newline)
            newline = 0
            ctx.cur.tokens += 1
            if tok in reader.conditions:
                ctx.add_condition()
            reader.feed(tok)
        reader.eof()
    except RecursionError:
        pass
    return ctx.functions


def analyze_file(path):
    ext = os.path.splitext(path)[1].lower()
    if ext not in READERS:
        return None, []
    lang, cls = READERS[ext]
    try:
        with open(path, encoding="utf-8") as f:
            src = f.read()
    except (OSError, UnicodeDecodeError):
        return lang, []
    return lang, analyze_source(src, cls)


# --------------------------------------------------------------------------- compare

def _short(name):
    """The last part of a qualified name: `A::b` -> b, `this.x` -> x, `outer.f` -> f."""
    name = "".join(name.split())  # `operator =` -> `operator=`
    for sep in ("::", "."):
        if sep in name:
            name = name.rsplit(sep, 1)[1]
    return name.split(" ")[-1] if name else name


def _read_tsv(path, ours):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if ours:
                (file, lang, name, cls, start, fn_line, name_line, end, ccn, nloc, tokens,
                 params, nesting) = p
                rows.append(dict(file=file, lang=lang, name=name, cls=cls,
                                 start=int(start), fn_line=int(fn_line),
                                 name_line=int(name_line), end=int(end), ccn=int(ccn),
                                 nloc=int(nloc), tokens=int(tokens), params=int(params)))
            else:
                file, lang, name, start, end, ccn, nloc, tokens, params = p
                rows.append(dict(file=file, lang=lang, name=name, start=int(start),
                                 end=int(end), ccn=int(ccn), nloc=int(nloc),
                                 tokens=int(tokens), params=int(params)))
    return rows


def match(ours, theirs, slack=2):
    """Pairs (our row, lizard row): same file, same short name, lizard's start line within
    `slack` lines of where ours starts (its decorators, its node or its name)."""
    by_file = {}
    for t in theirs:
        by_file.setdefault(t["file"], []).append(t)
    used = set()
    pairs, unmatched = [], []
    for o in ours:
        best, best_d = None, None
        lines = (o["start"], o["fn_line"], o["name_line"])
        for t in by_file.get(o["file"], ()):
            if id(t) in used or _short(t["name"]) != o["name"]:
                continue
            d = min(abs(t["start"] - x) for x in lines)
            if d <= slack and (best is None or d < best_d):
                best, best_d = t, d
        if best is None:
            unmatched.append(o)
        else:
            used.add(id(best))
            pairs.append((o, best))
    lizard_only = [t for t in theirs if id(t) not in used]
    return pairs, unmatched, lizard_only


def _pct(n, d):
    return 100.0 * n / d if d else 0.0


def summarize(pairs, unmatched, lizard_only):
    langs = sorted({o["lang"] for o, _ in pairs} | {o["lang"] for o in unmatched})
    table = []
    for lang in langs + ["all"]:
        ps = [(o, t) for o, t in pairs if lang == "all" or o["lang"] == lang]
        n = len(ps)
        exact = sum(o["ccn"] == t["ccn"] for o, t in ps)
        within1 = sum(abs(o["ccn"] - t["ccn"]) <= 1 for o, t in ps)
        nloc10 = sum(abs(o["nloc"] - t["nloc"]) <= 0.10 * t["nloc"] for o, t in ps)
        tok10 = sum(abs(o["tokens"] - t["tokens"]) <= 0.10 * t["tokens"] for o, t in ps)
        params = sum(o["params"] == t["params"] for o, t in ps)
        table.append(dict(
            lang=lang, matched=n, ccn_exact=_pct(exact, n), ccn_within1=_pct(within1, n),
            nloc_within10=_pct(nloc10, n), tokens_within10=_pct(tok10, n),
            params_exact=_pct(params, n),
            ours_unmatched=sum(1 for o in unmatched if lang == "all" or o["lang"] == lang),
            lizard_unmatched=sum(1 for t in lizard_only if lang == "all" or t["lang"] == lang)))
    return table


def main(argv):
    if len(argv) >= 4 and argv[1] == "analyze":
        root, listing = argv[2], argv[3]
        out = sys.stdout
        with open(listing, encoding="utf-8") as f:
            paths = [line.strip() for line in f if line.strip()]
        count = 0
        for p in paths:
            full = p if os.path.isabs(p) else os.path.join(root, p)
            rel = os.path.relpath(full, root)
            lang, fns = analyze_file(full)
            for fn in fns:
                out.write("%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\n" % (
                    rel, lang, fn.name.replace("\t", " ").replace("\n", " ") or "-",
                    fn.start_line, fn.end_line, fn.ccn, fn.nloc, fn.tokens,
                    fn.param_count()))
                count += 1
        sys.stderr.write("lizard_rules: %d files, %d functions\n" % (len(paths), count))
        return 0
    if len(argv) >= 4 and argv[1] == "compare":
        ours = _read_tsv(argv[2], True)
        theirs = _read_tsv(argv[3], False)
        examples = 0
        json_out = None
        if "--examples" in argv:
            examples = int(argv[argv.index("--examples") + 1])
        if "--json" in argv:
            json_out = argv[argv.index("--json") + 1]
        pairs, unmatched, lizard_only = match(ours, theirs)
        table = summarize(pairs, unmatched, lizard_only)
        print("| language | matched | CCN exact | CCN within 1 | NLOC within 10% | "
              "tokens within 10% | params exact | ours unmatched | lizard-rules unmatched |")
        print("|---|---|---|---|---|---|---|---|---|")
        for r in table:
            print("| %s | %d | %.1f%% | %.1f%% | %.1f%% | %.1f%% | %.1f%% | %d | %d |" % (
                r["lang"], r["matched"], r["ccn_exact"], r["ccn_within1"],
                r["nloc_within10"], r["tokens_within10"], r["params_exact"],
                r["ours_unmatched"], r["lizard_unmatched"]))
        if json_out:
            with open(json_out, "w", encoding="utf-8") as f:
                json.dump(table, f, indent=1)
        if examples:
            print("\nCCN disagreements (file:line name ours/lizard-rules):")
            bad = [(o, t) for o, t in pairs if o["ccn"] != t["ccn"]]
            for o, t in bad[:examples]:
                print("  %s:%d %s ccn %d/%d nloc %d/%d" % (o["file"], o["fn_line"], o["name"],
                                                          o["ccn"], t["ccn"], o["nloc"],
                                                          t["nloc"]))
            print("\nNLOC disagreements over 10%:")
            bad = [(o, t) for o, t in pairs if abs(o["nloc"] - t["nloc"]) > 0.1 * t["nloc"]]
            for o, t in bad[:examples]:
                print("  %s:%d %s nloc %d/%d (lines %d-%d / %d-%d)" % (
                    o["file"], o["fn_line"], o["name"], o["nloc"], t["nloc"], o["start"],
                    o["end"], t["start"], t["end"]))
            print("\nours, not matched:")
            for o in unmatched[:examples]:
                print("  %s:%d %s" % (o["file"], o["fn_line"], o["name"]))
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
