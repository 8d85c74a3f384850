"""Parser for ``/etc/default/grub`` and ``/etc/default/grub.d/*.cfg`` (shell variable files).

update-grub (grub-mkconfig, ``#! /bin/sh``) sources these files. This parser reads the
assignments the way the shell would, as far as that is static: ``'single'`` quotes are literal,
``"double"`` quotes and bare words expand ``$VAR`` / ``${VAR}`` and backslash escapes,
``export``/``readonly`` are allowed, quotes and ``$(...)`` may span lines, a trailing backslash
continues the line, here-documents are skipped, ``unset NAME`` empties NAME::

    GRUB_DEFAULT=0
    GRUB_CMDLINE_LINUX_DEFAULT="quiet"
    GRUB_CMDLINE_XEN_DEFAULT="dom0_mem=10240M,max:10240M"
    GRUB_CMDLINE_XEN_DEFAULT="$GRUB_CMDLINE_XEN_DEFAULT tmem"   # appends

What needs the shell to run is unknown, with the line: a value computed by ``$(...)`` or
backquotes or a ``${VAR...}`` operator, and *any* assignment that may or may not run: inside
``if``/``elif``/``else``...``fi`` or ``case``...``esac`` (Debian's grub.d/xen.cfg sets
XEN_OVERRIDE_GRUB_DEFAULT and GRUB_DEFAULT that way), ``while``/``until``/``for`` loops,
function bodies, after ``&&``/``||`` (also a ``{ ...; }`` group there), as a prefix of a
command (``A=1 cmd``), or set by ``read``/``local``/``getopts``/``declare``/``typeset``.
``.``/``source``/``eval`` and calling a function defined in the same file may change any
variable: a record named ``*`` stands for that. What runs in a subshell (``( ... )``, a
pipeline, ``&``) cannot change update-grub's variables and is skipped, as are commands that
are none of these (``echo``, ``[``, ``grub_warn`` of grub-mkconfig_lib, any program); a
function defined in another of these files is not known to be one.

Records (:class:`GrubAssignment`, in file order)::

    name: str                            # "*": anything may have changed from here on
    parts: tuple[tuple[str, str], ...]   # ("lit", text) | ("var", NAME) | ("unknown", why)
    line_no: int

:func:`evaluate` folds assignments (of several files, in order) into final values.
Raises ParseError for an unterminated quote or substitution at the end of the file, a closing
keyword without its opener (``fi`` without ``if``), a construct left open at the end of the file,
and a ``(`` where the shell expects none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from hwcompat.errors import ParseError

NAME = "grub_default"
EVERYTHING = "*"
_ASSIGN_WORD = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\+?=")  # NAME=, and bash's NAME+= (read as cannot be known)
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
_OPS = ("&&", "||", ";;", ";&", ";", "|", "&", "(", ")")
_OPENERS = {"if": "fi", "while": "done", "until": "done", "for": "done", "case": "esac", "{": "}"}
_CLOSERS = {"fi", "done", "esac", "}"}
_PASS = {"then", "do", "else", "elif", "!"}
_SETTERS = {"read", "local", "getopts", "declare", "typeset", "mapfile", "readarray"}
_ANYTHING = {".", "source", "eval"}
_ENDS = {"return", "exit"}
_DEFAULT_ASSIGN = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*):?=")  # in a sourced file: what follows may never run


@dataclass(frozen=True, slots=True)
class GrubAssignment:
    """One ``NAME=value`` statement, or a statement that sets NAME in a way not evaluated."""

    name: str
    parts: tuple[tuple[str, str], ...]
    line_no: int


@dataclass(frozen=True, slots=True)
class GrubValue:
    """A variable's final value (None when it cannot be known, and why), and where it was set."""

    value: str | None
    where: str
    reason: str = ""


class _Incomplete(Exception):
    """The text ends inside a quote or substitution (``quote``) or with a continuing backslash."""

    def __init__(self, backslash: bool) -> None:
        super().__init__()
        self.backslash = backslash


@dataclass(frozen=True, slots=True)
class _Token:
    op: bool
    text: str
    start: int


def _expand(text: str, parts: list[tuple[str, str]]) -> None:
    pos = 0
    for m in _VAR.finditer(text):
        if m.start() > pos:
            parts.append(("lit", text[pos:m.start()]))
        parts.append(("var", m.group(1) or m.group(2)))
        pos = m.end()
    if pos < len(text):
        parts.append(("lit", text[pos:]))


def _segment(text: str, parts: list[tuple[str, str]]) -> None:
    if "$(" in text or "`" in text:
        parts.append(("unknown", "uses command substitution"))
    elif re.search(r"\$[{0-9@*#?$!-]", _VAR.sub("", text)):  # what is left after $NAME and ${NAME}: an operator or a special parameter
        parts.append(("unknown", "uses a ${VAR...} operator or a special parameter ($1, $@, $#...)"))
    else:
        _expand(text, parts)


def _double(text: str, parts: list[tuple[str, str]]) -> None:
    r"""The inside of double quotes: a backslash escapes only $ ` " \ and the newline (which goes with it); an escaped $ is text."""
    buf: list[str] = []
    j = 0
    while j < len(text):
        c, nxt = text[j], text[j + 1:j + 2]
        if c == "\\" and nxt and nxt in '$`"\\\n':
            if nxt == "$":
                _segment("".join(buf), parts)
                parts.append(("lit", "$"))
                buf = []
            elif nxt != "\n":
                buf.append(nxt)
            j += 2
        else:
            buf.append(c)
            j += 1
    _segment("".join(buf), parts)


def _value(rhs: str) -> list[tuple[str, str]]:
    """Parse the right-hand side of one assignment word (already split off, quotes balanced) into parts."""
    parts: list[tuple[str, str]] = []
    i = 0
    while i < len(rhs):
        c = rhs[i]
        if c == "'":
            end = _single_end(rhs, i)
            parts.append(("lit", rhs[i + 1:end - 1]))
            i = end
        elif c == '"':
            end = _double_end(rhs, i)
            _double(rhs[i + 1:end - 1], parts)
            i = end
        elif c == "\\":
            parts.append(("lit", rhs[i + 1:i + 2]))
            i += 2
        else:
            j = i
            while j < len(rhs) and rhs[j] not in "'\"\\":
                j += 1
            _segment(rhs[i:j], parts)
            i = j
    return parts


# --- tokens: words and operators of one logical line, as sh splits them -----------------------

def _single_end(s: str, i: int) -> int:
    end = s.find("'", i + 1)
    if end < 0:
        raise _Incomplete(False)
    return end + 1


def _double_end(s: str, i: int) -> int:
    j = i + 1
    while j < len(s):
        c = s[j]
        if c == "\\":
            j += 2
        elif c == '"':
            return j + 1
        else:
            j = _expansion_end(s, j) or j + 1
    raise _Incomplete(False)


def _expansion_end(s: str, i: int) -> int | None:
    """The end of a command substitution or parameter expansion starting at s[i] (`...`, $(...), ${...}); None if none starts there."""
    if s[i] == "`":
        return _back_end(s, i)
    if s.startswith("$(", i):
        return _group_end(s, i + 1, "(", ")")
    if s.startswith("${", i):
        return _group_end(s, i + 1, "{", "}")
    return None


def _back_end(s: str, i: int) -> int:
    j = i + 1
    while j < len(s):
        if s[j] == "\\":
            j += 2
        elif s[j] == "`":
            return j + 1
        else:
            j += 1
    raise _Incomplete(False)


def _group_end(s: str, i: int, open_: str, close: str) -> int:
    """The end of ``$(...)``/``$((...))``/``${...}`` starting at s[i] == open_, nested, with quotes."""
    depth, j = 0, i
    while j < len(s):
        c = s[j]
        if c == open_:
            depth += 1
            j += 1
        elif c == close:
            depth -= 1
            j += 1
            if depth == 0:
                return j
        elif c == "'":
            j = _single_end(s, j)
        elif c == '"':
            j = _double_end(s, j)
        elif c == "`":
            j = _back_end(s, j)
        elif c == "\\":
            j += 2
        elif c == "#" and open_ == "(" and s[j - 1] in " \t\n":
            nl = s.find("\n", j)
            j = len(s) if nl < 0 else nl
        else:
            j += 1
    raise _Incomplete(False)


def _word_end(s: str, i: int) -> int:
    j = i
    while j < len(s):
        c = s[j]
        if c in " \t\n" or (c in ";|()" or (c == "&" and not (j > i and s[j - 1] in "<>"))):
            return j
        if c == "\\":
            if j + 1 >= len(s):
                raise _Incomplete(True)
            j += 2
        elif c == "'":
            j = _single_end(s, j)
        elif c == '"':
            j = _double_end(s, j)
        else:
            j = _expansion_end(s, j) or j + 1
    return j


def _tokens(s: str) -> list[_Token]:
    """Split one logical line into words and operators; raises _Incomplete when it continues."""
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c in " \t\n":
            i += 1
        elif c == "#":
            nl = s.find("\n", i)
            i = len(s) if nl < 0 else nl
        elif op := next((o for o in _OPS if s.startswith(o, i)), ""):
            out.append(_Token(True, op, i))
            i += len(op)
        else:
            j = _word_end(s, i)
            out.append(_Token(False, s[i:j], i))
            i = j
    return out


def _unquote(word: str) -> str:
    return re.sub(r"[\\'\"]", "", word)


# --- the shell's structure: what runs for sure, and what may not ------------------------------

@dataclass
class _Frame:
    kind: str       # if while until for case { (
    line_no: int
    what: str       # the construct in words: "`if` ... `fi`"
    why: str        # why an assignment in it is unknown
    mode: str = ""  # case: in -> pattern -> body


class _Reader:
    """Walks logical lines, keeping the stack of open compound commands."""

    def __init__(self) -> None:
        self.stack: list[_Frame] = []
        self.functions: dict[str, int] = {}
        self.records: list[GrubAssignment] = []
        self.pending_function = ""
        self.carry = "\n"
        self.ended = ""  # why every later line may not run (a `return` or `exit` was read)

    def line(self, tokens: list[_Token], line_of: list[int], text: str) -> None:
        """Read the tokens of one logical line (``line_of[i]``: the file line of token i)."""
        i, sep = 0, self.carry
        while i < len(tokens):
            tok, line_no = tokens[i], line_of[i]
            frame = self.stack[-1] if self.stack else None
            if frame and frame.kind == "case" and frame.mode in ("in", "pattern"):
                i = self._case_position(tokens, i, frame, line_no, text)
                continue
            if tok.op:
                i, sep = self._operator(tok.text, i, line_no, text, sep)
                continue
            if tok.text in _PASS:
                i += 1
                continue
            if tok.text in _OPENERS or tok.text == "function":
                i = self._open(tokens, i, line_of, sep)
                continue
            if tok.text in _CLOSERS:
                self._close(tok.text, line_no, text)
                i = self._skip_to_operator(tokens, i + 1)
                continue
            j = i
            while j < len(tokens) and not tokens[j].op:
                j += 1
            after = tokens[j].text if j < len(tokens) else "\n"
            if after == "(":
                if j == i + 1 and j + 1 < len(tokens) and tokens[j + 1].text == ")":  # name() { ... }
                    self.functions[tok.text] = line_no
                    self.pending_function = tok.text
                    i, sep = j + 2, "\n"
                    continue
                raise ParseError(NAME, line_no, text, "a `(` where the shell expects none")
            why = self._why(sep, after)
            if why is not None:
                self._simple(tokens[i:j], line_no, why)
            i = j
        # a line ending in && || | continues the list on the next line
        self.carry = tokens[-1].text if tokens and tokens[-1].op and tokens[-1].text in ("&&", "||", "|") else "\n"

    def _why(self, before: str, after: str) -> str | None:
        """Why a simple command may not run: '' when it surely runs.

        None when it cannot change update-grub's variables at all (in a subshell, a pipeline or the background).
        """
        if any(f.kind == "(" for f in self.stack) or "|" in (before, after) or after == "&":
            return None
        if self.stack and self.stack[-1].why:
            return self.stack[-1].why
        if before in ("&&", "||"):
            return f"assigned after `{before}`, which only running the shell decides"
        return ""

    def _operator(self, op: str, i: int, line_no: int, text: str, sep: str) -> tuple[int, str]:
        if op == "(":
            self.pending_function = ""
            self._push("(", line_no, f"a subshell ( ... ){self._after(sep)}")
        elif op == ")":
            if not self.stack or self.stack[-1].kind != "(":
                raise ParseError(NAME, line_no, text, "a `)` without its `(`")
            self.stack.pop()
        elif op in (";;", ";&"):
            frame = self.stack[-1] if self.stack else None
            if not frame or frame.kind != "case":
                raise ParseError(NAME, line_no, text, f"`{op}` outside `case`")
            frame.mode = "pattern"
        return i + 1, op

    @staticmethod
    def _after(sep: str) -> str:
        return f" after `{sep}`" if sep in ("&&", "||") else ""

    def _push(self, kind: str, line_no: int, what: str, function: str = "") -> None:
        if function:
            why = f"assigned in the body of function {function} (line {line_no}), which may run at any time or never"
        elif kind == "{" and "after" not in what:  # a plain group runs as surely as what is around it
            why = self.stack[-1].why if self.stack else ""
        else:
            why = f"assigned inside {what} (from line {line_no}), which only running the shell decides"
        self.stack.append(_Frame(kind, line_no, what, why))

    def _open(self, tokens: list[_Token], i: int, line_of: list[int], sep: str) -> int:
        word, line_no = tokens[i].text, line_of[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) and not tokens[i + 1].op else None
        if word == "function":
            if nxt:
                self.functions[_unquote(nxt.text)] = line_no
                self.pending_function = _unquote(nxt.text)
            i += 2
            if i + 1 < len(tokens) and tokens[i].text == "(" and tokens[i + 1].text == ")":
                i += 2
            return i
        if word == "{":
            if self.pending_function:
                self._push("{", line_no, f"function {self.pending_function}", self.pending_function)
                self.pending_function = ""
            else:
                self._push("{", line_no, f"a {{ ... }} group{self._after(sep)}")
            return i + 1
        words = {"if": "`if` ... `fi`", "while": "a `while` loop", "until": "an `until` loop", "for": "a `for` loop",
                 "case": "`case` ... `esac`"}
        self._push(word, line_no, words[word] + self._after(sep))
        if word == "for":
            if nxt and _IDENT.match(nxt.text):
                self.records.append(GrubAssignment(nxt.text, (("unknown", "the variable of a `for` loop"),), line_no))
            return self._skip_to_operator(tokens, i + 1)
        if word == "case":
            self.stack[-1].mode = "in"
            return i + 2 if nxt else i + 1
        return i + 1

    def _close(self, word: str, line_no: int, text: str) -> None:
        frame = self.stack[-1] if self.stack else None
        if frame is None or _OPENERS.get(frame.kind) != word:
            raise ParseError(NAME, line_no, text, f"`{word}` without its opener")
        self.stack.pop()

    @staticmethod
    def _skip_to_operator(tokens: list[_Token], i: int) -> int:
        while i < len(tokens) and not tokens[i].op:
            i += 1
        return i

    def _case_position(self, tokens: list[_Token], i: int, frame: _Frame, line_no: int, text: str) -> int:
        """At a command position inside `case`: the `in`, a pattern up to its `)`, or `esac`."""
        tok = tokens[i]
        if tok.op and tok.text in (";", "\n"):
            return i + 1
        if frame.mode == "in":
            if tok.text != "in":
                raise ParseError(NAME, line_no, text, "`case WORD` must be followed by `in`")
            frame.mode = "pattern"
            return i + 1
        if not tok.op and tok.text == "esac":
            self.stack.pop()
            return self._skip_to_operator(tokens, i + 1)
        while i < len(tokens) and tokens[i].text != ")":
            i += 1
        if i == len(tokens):
            raise ParseError(NAME, line_no, text, "a `case` pattern without its `)`")
        frame.mode = "body"
        return i + 1

    def _simple(self, words: list[_Token], line_no: int, why: str) -> None:
        """One simple command: assignments, commands that set variables, or a command that cannot."""
        texts = [w.text for w in words]
        why = why or self.ended
        k = 0
        while k < len(texts) and _ASSIGN_WORD.match(texts[k]):
            k += 1
        if k:
            prefix_why = why
            if k < len(texts):
                prefix_why = why or f"assigned as a prefix of the command `{texts[k][:40]}` (kept only for some builtins)"
            for word in texts[:k]:
                self._assign(word, line_no, prefix_why)
            texts = texts[k:]
            if not texts:
                return
        while len(texts) > 1 and texts[0] in ("command", "builtin"):  # `command eval ...` runs eval
            texts = texts[1:]
        for name in sorted({m.group(1) for word in texts for m in _DEFAULT_ASSIGN.finditer(word)}):  # `: ${X=tmem}` sets X
            self.records.append(GrubAssignment(name, (("unknown", "assigned by a ${NAME=word} expansion"),), line_no))
        first = texts[0]
        args = [w for w in texts[1:] if not w.startswith("-")]
        if first in ("export", "readonly"):
            for word in args:
                if _ASSIGN_WORD.match(word):
                    self._assign(word, line_no, why)
        elif first == "unset" and "-f" not in texts:
            for name in filter(_IDENT.match, args):
                self.records.append(GrubAssignment(name, (("unknown", why),) if why else (), line_no))
        elif first in _SETTERS:
            for word in args:
                name = word.split("=", 1)[0]
                if _IDENT.match(name):
                    self.records.append(GrubAssignment(name, (("unknown", f"set by `{first}`"),), line_no))
        elif first == "printf" and "-v" in texts[:-1]:
            name = texts[texts.index("-v") + 1]
            if _IDENT.match(name):
                self.records.append(GrubAssignment(name, (("unknown", "set by `printf -v`"),), line_no))
        elif first in _ANYTHING:
            self.records.append(GrubAssignment(EVERYTHING, (("unknown", f"`{first}` may change any variable"),), line_no))
        elif first in _ENDS and not any(f.what.startswith("function ") for f in self.stack):  # in a function: ends only it
            self.ended = f"after the `{first}` at line {line_no}, which may end the file there"
            self.records.append(GrubAssignment(EVERYTHING, (("unknown", f"`{first}` at line {line_no} may end the file there"),), line_no))
        elif first in self.functions:
            self.records.append(GrubAssignment(EVERYTHING, (
                ("unknown", f"calls {first} (defined at line {self.functions[first]}), which may change any variable"),), line_no))

    def _assign(self, word: str, line_no: int, why: str) -> None:
        name = _ASSIGN_WORD.match(word).group(1)  # type: ignore[union-attr]  # matched by the caller
        if word.startswith(f"{name}+="):
            why = why or "appended with +=, which bash does and dash (Debian's /bin/sh) refuses"
        try:
            parts = [("unknown", why)] if why else _value(word[len(name) + 1:])
        except _Incomplete:  # quotes that only balance inside a $(...) with a comment in it
            parts = [("unknown", "uses command substitution")]
        self.records.append(GrubAssignment(name, tuple(parts), line_no))


def _heredoc(tokens: list[_Token]) -> tuple[str, bool] | None:
    """The delimiter of a here-document this line starts (and whether tabs are stripped), if any."""
    for n, tok in enumerate(tokens):
        if tok.op or not tok.text.startswith("<<") or tok.text.startswith("<<<"):
            continue
        rest = tok.text[2:]
        strip = rest.startswith("-")
        rest = rest[1:] if strip else rest
        if not rest and n + 1 < len(tokens) and not tokens[n + 1].op:
            rest = tokens[n + 1].text
        return _unquote(rest), strip
    return None


def parse(text: str) -> list[GrubAssignment]:
    """Parse one grub defaults file into assignments, in order."""
    lines = text.splitlines()
    reader = _Reader()
    n = 0
    while n < len(lines):
        start, buf, breaks = n + 1, lines[n], [(0, n + 1)]
        n += 1
        while True:
            try:
                tokens = _tokens(buf)
                break
            except _Incomplete as more:
                if n >= len(lines):
                    if more.backslash:
                        buf = buf[:-1]
                        continue
                    raise ParseError(NAME, start, lines[start - 1], "unterminated quote or substitution at the end of the file") from None
                buf = buf[:-1] if more.backslash else buf + "\n"
                breaks.append((len(buf), n + 1))
                buf += lines[n]
                n += 1
        line_of = [max(line for offset, line in breaks if offset <= t.start) for t in tokens]
        reader.line(tokens, line_of, buf.split("\n", 1)[0])
        heredoc = _heredoc(tokens)
        if heredoc:
            delimiter, strip = heredoc
            while n < len(lines) and (lines[n].lstrip("\t") if strip else lines[n]) != delimiter:
                n += 1
            n += 1
    if reader.stack:
        frame = reader.stack[-1]
        raise ParseError(NAME, frame.line_no, lines[frame.line_no - 1], f"{frame.what} is never closed")
    return reader.records


def lookup(values: dict[str, GrubValue], name: str) -> GrubValue | None:
    """A variable's value after :func:`evaluate`: None when never set (and nothing may have set it)."""
    return values.get(name) or values.get(EVERYTHING)


def evaluate(assignments: Iterable[tuple[str, GrubAssignment]]) -> dict[str, GrubValue]:
    """Fold (file, assignment) pairs in order into final values; unset GRUB_* variables are ''.

    After a ``*`` record (``.``, ``eval``, a function call) every variable is unknown until it is
    assigned again; the result then holds ``*`` too, for variables never assigned.
    """
    values: dict[str, GrubValue] = {}
    for file, a in assignments:
        where = f"{file}:{a.line_no}"
        if a.name == EVERYTHING:
            reason = a.parts[0][1] if a.parts else "anything may have changed"
            values = {name: GrubValue(None, where, reason) for name in [*values, EVERYTHING]}
            continue
        out, reason = [], ""
        for kind, text in a.parts:
            if kind == "lit":
                out.append(text)
            elif kind == "var":
                known = lookup(values, text)
                if known is None and text.startswith("GRUB_"):
                    continue
                if known is None or known.value is None:
                    reason = known.reason if known is not None else f"uses ${text}, which these files do not set"
                    break
                out.append(known.value)
            else:
                reason = text
                break
        values[a.name] = GrubValue(None if reason else "".join(out), where, reason)
    return values
