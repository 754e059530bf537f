"""Nuke scripts (.nk): which files each Write renders, and which files feed it.

A .nk file is a TCL script that rebuilds the node graph. Nuke saves it as a
stack machine: a node command (`Blur { ... }`) pops as many nodes as its
`inputs` knob says (1 when the knob is absent, "2+1" for two inputs and a
mask), takes them as its inputs and pushes itself; `push 0` pushes an empty
input, `set N12 [stack 0]` names the node on top and `push $N12` pushes it
again; a Group's nodes follow it up to `end_group`, on a stack of their own,
its Input nodes standing for the Group's inputs. `clone $C12 {...}` is a copy
of another node that shares its knobs. Only the file-reading nodes upstream
of a Write are its sources: a Read left beside the graph is not.

A `file` knob is a string Nuke evaluates as TCL each time it is used. The
expressions scripts use to name their own folder are evaluated here
([value root.name], [file dirname ...], [python {nuke.script_directory()}],
[getenv VAR], $env(VAR), [value Node.knob]); any other TCL or Python is
reported as unresolved, in words, with what was written. No script code runs.
"""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass, field
from typing import Iterator

from . import frames
from .model import Render, ScriptReport, Source, Unresolved
from .paths import is_absolute, resolve

WRITERS = frozenset({"Write", "DeepWrite", "WriteGeo", "GeoExport"})
GROUPS = frozenset({"Group", "LiveGroup"})
# Commands that take a braced argument like a node does, but are not nodes.
NOT_NODES = frozenset({"add_layer", "define_window_layout_xml", "knobDefault", "addUserKnob", "set", "push",
                       "version", "end_group", "clone", "proc", "if", "foreach", "for", "while", "source", "load"})
# Knobs that name files: every node that has one reads it, except the writers, which render to it.
FILE_KNOBS = ("file", "proxy")
LONGEST_KNOB = 4096  # longer knob values (roto shapes, embedded Python, plug-in blobs) are never paths
MAX_DEPTH = 24  # expression nesting followed before giving up
FAST_BRACES = 4 * 1024  # a braced word at least this long is matched with numpy (_brace_end_fast)
WINDOW = 1 << 20  # characters counted at once (4 MB of memory)


class ScriptError(Exception):
    """The script's text cannot be followed from here on."""


@dataclass(frozen=True)
class Word:
    kind: str  # "bare", "quote" or "brace"
    text: str  # bare and quoted words unescaped; braced words as written


# -- the TCL words ---------------------------------------------------------------------

_SPACE = re.compile(r"[ \t\r\f\v]+")
_BRACE = re.compile(r"\\.|[{}]", re.S)
_QUOTE = re.compile(r'\\.|["\[\]]', re.S)
_BARE = re.compile(r"\\.|[\[\]\s;]", re.S)
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{1,4}|x[0-9a-fA-F]{1,2}|[0-7]{1,3}|\n\s*|.)", re.S)
_SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def unescape(s: str) -> str:
    """TCL's backslash substitution."""
    if "\\" not in s:
        return s

    def one(m: re.Match) -> str:
        e = m.group(1)
        if e[0] == "u" and len(e) > 1:
            return chr(int(e[1:], 16))
        if e[0] == "x" and len(e) > 1:
            return chr(int(e[1:], 16))
        if e[0] in "01234567":
            return chr(int(e, 8))
        if e[0] == "\n":
            return " "
        return _SIMPLE.get(e, e)

    return _ESCAPE.sub(one, s)


def _brace_end(text: str, pos: int, end: int) -> int:
    """The index of the brace closing the one at `pos`."""
    depth, start = 0, pos
    while start < end:
        # a Python step per brace for the first FAST_BRACES characters; a long word goes on with numpy
        stop = min(end, start + FAST_BRACES) if start == pos else end
        if start != pos and _escaping(text, start):
            start += 1  # the numpy count stopped right after a backslash
        for m in _BRACE.finditer(text, start, stop):
            c = m.group()
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    return m.start()
        if stop == end:
            break
        found, depth, start = _brace_end_fast(text, stop, end, depth)
        if found is not None:
            return found
    raise ScriptError(f"a brace opened at line {_line(text, pos)} is never closed (the file is cut short?)")


def _escaping(text: str, at: int) -> bool:
    """Whether the character at `at` is escaped: an odd run of backslashes before it."""
    run = 0
    while at - run - 1 >= 0 and text[at - run - 1] == "\\":
        run += 1
    return run % 2 == 1


def _brace_end_fast(text: str, start: int, end: int, depth: int) -> tuple[int | None, int, int]:
    """Where the depth reaches 0, counted a window at a time with numpy (roto shapes hold millions
    of braces: ~30x faster than a Python step per brace). Returns (index or None, depth, where it
    stopped): it stops early, for the exact scanner to go on, at a backslash before a backslash."""
    import numpy as np

    window = 4 * FAST_BRACES  # grows to WINDOW: most long words are tens of KB, a few are megabytes
    while start < end:
        stop = min(end, start + window)
        window = min(WINDOW, 2 * window)
        chunk = np.frombuffer(text[start:stop].encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        delta = (chunk == 123).astype(np.int32) - (chunk == 125).astype(np.int32)
        slashes = chunk == 92
        escaped_first = _escaping(text, start)
        if slashes.any():
            if (slashes[1:] & slashes[:-1]).any() or (escaped_first and slashes[0]):
                return None, depth, start  # "\\\\{": only the exact scanner tells escaped from not
            delta[1:][slashes[:-1]] = 0  # an escaped brace does not count
        if escaped_first:
            delta[0] = 0
        levels = np.cumsum(delta) + depth
        closed = np.flatnonzero(levels <= 0)
        if closed.size:
            return start + int(closed[0]), 0, start
        depth = int(levels[-1])
        start = stop
    return None, depth, end


def _quote_end(text: str, pos: int, end: int) -> int:
    depth = 0
    for m in _QUOTE.finditer(text, pos + 1, end):
        c = m.group()
        if c == "[":
            depth += 1
        elif c == "]":
            depth = max(0, depth - 1)
        elif c == '"' and depth == 0:
            return m.start()
    raise ScriptError(f"a quote opened at line {_line(text, pos)} is never closed (the file is cut short?)")


def _bare_end(text: str, pos: int, end: int) -> int:
    depth = 0
    for m in _BARE.finditer(text, pos, end):
        c = m.group()
        if c == "[":
            depth += 1
        elif c == "]":
            depth = max(0, depth - 1)
        elif c[0] != "\\" and depth == 0:
            return m.start()
    return end


def commands(text: str, pos: int = 0, end: int | None = None, keep_long: bool = True) -> Iterator[list[Word]]:
    """The commands of a TCL text, each a list of words. A braced word longer than
    LONGEST_KNOB is skipped over, not copied, unless keep_long."""
    end = len(text) if end is None else end
    words: list[Word] = []
    while pos < end:
        c = text[pos]
        if c in " \t\r\f\v":
            pos = _SPACE.match(text, pos).end()
        elif c == "\\" and text.startswith("\\\n", pos):
            pos += 2
        elif c in "\n;":
            if words:
                yield words
                words = []
            pos += 1
        elif c == "#" and not words:
            nl = text.find("\n", pos, end)
            pos = end if nl < 0 else nl
        elif c == "{":
            j = _brace_end(text, pos, end)
            words.append(Word("brace", text[pos + 1:j] if keep_long or j - pos <= LONGEST_KNOB else ""))
            pos = j + 1
        elif c == '"':
            j = _quote_end(text, pos, end)
            words.append(Word("quote", unescape(text[pos + 1:j]) if keep_long or j - pos <= LONGEST_KNOB else ""))
            pos = j + 1
        else:
            j = _bare_end(text, pos, end)
            if j == pos:  # a stray "]": a word of its own
                j = pos + 1
            words.append(Word("bare", unescape(text[pos:j])))
            pos = j
    if words:
        yield words


# -- the node graph --------------------------------------------------------------------

@dataclass(eq=False)
class Node:
    cls: str
    knobs: dict[str, str]
    name: str
    group: "Node | None" = None  # the Group it is inside
    inputs: list["Node | None"] = field(default_factory=list)
    output: "Node | None" = None  # for a Group: its Output node
    group_inputs: dict[int, "Node"] = field(default_factory=dict)  # for a Group: its Input nodes by number
    members: dict[str, "Node"] = field(default_factory=dict)  # for a Group: its nodes by name

    @property
    def full_name(self) -> str:
        return f"{self.group.full_name}.{self.name}" if self.group is not None else self.name

    def flag(self, knob: str) -> bool:
        return self.knobs.get(knob, "").strip().lower() in ("true", "1")


def _inputs_count(value: str | None) -> int:
    if value is None:
        return 1
    total = 0
    for part in value.split("+"):
        part = part.strip()
        if not part.isdigit():
            return 1
        total += int(part)
    return total


def _knobs(body: str) -> dict[str, str]:
    knobs: dict[str, str] = {}
    for words in commands(body, keep_long=False):
        if len(words) >= 2 and words[0].text not in ("addUserKnob",):
            knobs[words[0].text] = words[1].text if len(words) == 2 else " ".join(w.text for w in words[1:])
    return knobs


@dataclass
class Graph:
    nodes: list[Node] = field(default_factory=list)
    root: dict[str, str] = field(default_factory=dict)
    top: dict[str, Node] = field(default_factory=dict)  # nodes outside any group, by name
    version: str | None = None
    problems: list[str] = field(default_factory=list)


_STACK_REF = re.compile(r"^\[stack (\d+)\]$")


def build_graph(text: str) -> Graph:
    """Replay the script's stack commands into nodes and their inputs (nothing is evaluated)."""
    g = Graph()
    stack: list[Node | None] = []
    outer: list[tuple[Node, list]] = []  # (group, the stack outside it)
    names: dict[str, int] = {}
    variables: dict[str, Node | None] = {}
    group: Node | None = None
    try:
        for words in commands(text):
            head = words[0].text
            if head == "set" and len(words) == 3:
                m = _STACK_REF.match(words[2].text.strip())
                if m:
                    n = int(m.group(1))
                    variables[words[1].text] = stack[-1 - n] if n < len(stack) else None
                continue
            if head == "push" and len(words) == 2:
                ref = words[1].text
                stack.append(variables.get(ref[1:]) if ref.startswith("$") else None)
                continue
            if head == "end_group":
                if outer:
                    group, stack = outer.pop()
                    group = group.group
                continue
            if head == "version" and len(words) >= 2:
                g.version = " ".join(w.text for w in words[1:])
                continue
            if head == "clone":
                node = _clone(words, variables)
            elif len(words) == 2 and words[1].kind == "brace" and head not in NOT_NODES:
                node = Node(head, _knobs(words[1].text), "")
            else:
                continue  # a command that does not touch the graph
            if node is None:
                continue
            if node.cls == "Root":
                g.root = node.knobs
                continue
            count = _inputs_count(node.knobs.get("inputs"))
            node.inputs = [stack.pop() if stack else None for _ in range(count)]
            node.group = group
            node.name = node.knobs.get("name") or _auto_name(node.cls, names)
            (group.members if group is not None else g.top)[node.name] = node
            if group is not None and node.cls == "Output":
                group.output = node
            if group is not None and node.cls == "Input":
                number = node.knobs.get("number", "0").strip()
                group.group_inputs[int(number) if number.isdigit() else 0] = node
            stack.append(node)
            g.nodes.append(node)
            if node.cls in GROUPS:
                outer.append((node, stack))
                stack, group = [], node
    except ScriptError as exc:
        g.problems.append(f"{exc}; the nodes before it were read")
    return g


def _auto_name(cls: str, names: dict[str, int]) -> str:
    names[cls] = names.get(cls, 0) + 1
    return f"{cls}{names[cls]}"


def _clone(words: list[Word], variables: dict[str, Node | None]) -> Node | None:
    """`clone node0x7f|Blur|12 Blur {...}` (the first of a set of clones) or `clone $C7f {...}` (another)."""
    body = words[-1]
    if body.kind != "brace" or len(words) < 3:
        return None
    own = _knobs(body.text)
    if len(words) == 4:
        return Node(words[2].text, own, "")
    ref = words[1].text
    original = variables.get(ref[1:]) if ref.startswith("$") else None
    if original is None:
        return Node("Clone", own, "")
    shared = {k: v for k, v in original.knobs.items() if k not in ("name", "xpos", "ypos", "selected", "inputs")}
    return Node(original.cls, {**shared, **own}, "")


def upstream(node: Node) -> list[Node]:
    """Every node whose image can reach `node`, through Groups (in by their Output node, out
    through an Input node to the Group's input of that number)."""
    seen: set[int] = {id(node)}
    out: list[Node] = []
    todo: list[Node | None] = list(node.inputs)
    while todo:
        n = todo.pop()
        if n is None or id(n) in seen:
            continue
        seen.add(id(n))
        out.append(n)
        todo.extend(n.inputs)
        if n.cls in GROUPS:
            todo.append(n.output)
        elif n.cls == "Input" and n.group is not None:
            number = next((k for k, v in n.group.group_inputs.items() if v is n), 0)
            todo.append(n.group.inputs[number] if number < len(n.group.inputs) else None)
    return out


# -- evaluating file knobs -------------------------------------------------------------

class Unresolvable(Exception):
    """Why a knob's value cannot be worked out without Nuke."""


_PY_SCRIPT_DIR = re.compile(r"^(?:nuke\.script_directory\(\)|os\.path\.dirname\(nuke\.root\(\)(?:\.name\(\)|"
                            r"\[['\"]name['\"]\]\.(?:value|getValue|evaluate)\(\))\))$")
_PY_SCRIPT_PATH = re.compile(r"^nuke\.root\(\)(?:\.name\(\)|\[['\"]name['\"]\]\.(?:value|getValue|evaluate)\(\))$")
_VARIABLE = re.compile(r"\$(?:env\(([^)]*)\)|\{([^}]*)\}|([A-Za-z_][A-Za-z0-9_]*)(?:\(([^)]*)\))?)")
_PLAIN = re.compile(r"[^\[\]$\\]+")
FRAME = "%d"


class Evaluator:
    """The TCL a file knob is evaluated with, as far as it can be without Nuke: the expressions
    that name the script's own place, environment variables, other knobs' values."""

    def __init__(self, graph: Graph, script_path: str, environ: dict[str, str]):
        self.graph, self.script_path, self.environ = graph, script_path, environ

    def text(self, s: str, node: Node | None, depth: int = 0) -> str:
        if depth > MAX_DEPTH:
            raise Unresolvable("its expressions refer to each other in a loop")
        out, i = [], 0
        while i < len(s):
            c = s[i]
            if c == "[":
                j = self._bracket_end(s, i)
                out.append(self.command(s[i + 1:j], node, depth + 1))
                i = j + 1
            elif c == "$":
                m = _VARIABLE.match(s, i)
                if m is None:
                    out.append(c)
                    i += 1
                    continue
                out.append(self._variable(m))
                i = m.end()
            elif c == "\\" and i + 1 < len(s):
                out.append(s[i + 1] if s[i + 1] in "[]$\\" else s[i:i + 2])
                i += 2
            elif c == "]":
                out.append(c)
                i += 1
            else:
                m = _PLAIN.match(s, i)
                out.append(m.group())
                i = m.end()
        return "".join(out)

    @staticmethod
    def _bracket_end(s: str, i: int) -> int:
        depth = braces = 0
        j = i
        while j < len(s):
            c = s[j]
            if c == "\\":
                j += 2
                continue
            if c == "{":
                braces += 1
            elif c == "}":
                braces = max(0, braces - 1)
            elif c == "[" and not braces:
                depth += 1
            elif c == "]" and not braces:
                depth -= 1
                if depth == 0:
                    return j
            j += 1
        raise Unresolvable(f"the expression {s[i:]!r} is not closed")

    def _variable(self, m: re.Match) -> str:
        env_name, braced, name, index = m.groups()
        if name == "env" and index is not None:
            env_name = index
        if name and re.fullmatch(r"F\d*", name) and index is None:
            return m.group()  # Houdini-style frame token, kept for the frame reader
        if env_name is not None:
            if env_name in self.environ:
                return self.environ[env_name]
            raise Unresolvable(f"uses the environment variable {env_name}, which is not set where aiprov runs")
        raise Unresolvable(f"uses the TCL variable ${braced or name}, which is set only inside Nuke")

    def _word(self, w: Word, node: Node | None, depth: int) -> str:
        return w.text if w.kind == "brace" else self.text(w.text, node, depth)

    def command(self, cmd: str, node: Node | None, depth: int) -> str:
        raw = next(commands(cmd), [])
        if not raw:
            return ""
        name = raw[0].text
        if name == "python":
            code = " ".join(w.text for w in raw[1:] if not w.text.startswith("-")).strip()
            if _PY_SCRIPT_DIR.match(code):
                return posixpath.dirname(self.script_path)
            if _PY_SCRIPT_PATH.match(code):
                return self.script_path
            raise Unresolvable(f"is built by Python code inside the script ([{cmd.strip()}]), which aiprov does "
                               "not run")
        args = [self._word(w, node, depth) for w in raw[1:]]
        if name in ("value", "knob") and args:
            return self.knob(args[-1], node, depth)
        if name == "file" and len(args) >= 2:
            return self._file(args[0], args[1:])
        if name == "getenv" and args:
            if args[0] in self.environ:
                return self.environ[args[0]]
            if len(args) > 1:
                return args[1]
            raise Unresolvable(f"uses the environment variable {args[0]}, which is not set where aiprov runs")
        if name == "frame" and not args:
            return FRAME
        if name == "format" and len(args) == 2 and args[1] == FRAME and re.fullmatch(r"%0?\d*d", args[0]):
            return args[0]
        raise Unresolvable(f"is built by the TCL command [{cmd.strip()}], which aiprov does not evaluate")

    @staticmethod
    def _file(sub: str, args: list[str]) -> str:
        p = args[-1]
        if sub == "dirname":
            return posixpath.dirname(p.rstrip("/")) or "."
        if sub == "tail":
            return posixpath.basename(p.rstrip("/"))
        if sub == "rootname":
            stem, ext = posixpath.splitext(p)
            return stem
        if sub == "extension":
            return posixpath.splitext(p)[1]
        if sub == "join":
            return posixpath.join(*args)
        if sub in ("normalize", "nativename"):
            return posixpath.normpath(p)
        raise Unresolvable(f"uses [file {sub} ...], which aiprov does not evaluate")

    def knob(self, ref: str, node: Node | None, depth: int) -> str:
        owner_name, dot, knob = ref.rpartition(".")
        if not dot:
            owner, knob = node, ref
        elif owner_name == "root":
            owner = None
            if knob == "name":
                return self.script_path
            value = self.graph.root.get(knob)
            if value is None:
                return {"first_frame": "1", "last_frame": "100", "project_directory": ""}.get(knob, "") \
                    if knob in ("first_frame", "last_frame", "project_directory") else self._missing(ref)
            return self.text(value, None, depth + 1)
        else:
            owner = self._find(owner_name, node)
        if owner is None:
            return self._missing(ref)
        if knob == "name":
            return owner.name
        value = owner.knobs.get(knob)
        if value is None:
            return self._missing(ref)
        return self.text(value, owner, depth + 1)

    def _find(self, name: str, node: Node | None) -> Node | None:
        if name == "this":
            return node
        if name == "parent":
            return node.group if node is not None else None
        if name.startswith("input") and node is not None:
            index = name[5:] or "0"
            if index.isdigit() and int(index) < len(node.inputs):
                return node.inputs[int(index)]
            return None
        scope = node.group if node is not None else None
        path = name.split(".")
        here = scope.members if scope is not None else self.graph.top
        found = here.get(path[0]) or self.graph.top.get(path[0])
        for part in path[1:]:
            found = found.members.get(part) if found is not None else None
        return found

    @staticmethod
    def _missing(ref: str) -> str:
        raise Unresolvable(f"refers to {ref}, which is not in the script")


# -- the script's lineage ---------------------------------------------------------------

def _display(s: str) -> str:
    """A path as text the ledger can hold (the script's undecodable bytes shown as \\xNN)."""
    return s.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


class _Paths:
    """The files a node's knob names, resolved against the script's place and project directory."""

    def __init__(self, graph: Graph, script_path: str, environ: dict[str, str]):
        self.ev = Evaluator(graph, script_path, environ)
        self.script_dir = posixpath.dirname(script_path)
        self.views = _views(graph.root.get("views"))
        self.base, self.base_problem = self.script_dir, None
        project = graph.root.get("project_directory", "").strip()
        if project:
            try:
                value = self.ev.text(project, None).strip()
                self.base = resolve(value, self.script_dir) if value else self.script_dir
            except Unresolvable as exc:
                self.base, self.base_problem = None, f"the Root's project directory {exc}"

    def of(self, node: Node, knob: str) -> tuple[list[str], Unresolved | None]:
        """(absolute paths, or why not). One path per stereo view when the name has %V or %v."""
        written = node.knobs.get(knob, "")
        if not written.strip():
            return [], None
        try:
            value = self.ev.text(written, node).strip()
        except Unresolvable as exc:
            return [], Unresolved(node.full_name, knob, _display(written), str(exc))
        if not value:
            return [], None
        if not is_absolute(value):
            if self.base is None:
                return [], Unresolved(node.full_name, knob, _display(written),
                                      f"is relative, and {self.base_problem}")
            value = resolve(value, self.base)
        else:
            value = resolve(value, "/")
        if "%V" in value or "%v" in value:
            paths = [value.replace("%V", v).replace("%v", v[:1]) for v in self.views]
        else:
            paths = [value]
        return [_display(p) for p in paths], None


def _views(value: str | None) -> list[str]:
    """The stereo views the Root declares (`views {{left ""} {right ""}}`), "main" by default."""
    if not value:
        return ["main"]
    names = []
    for words in commands(value):
        for w in words:
            inner = next(commands(w.text), []) if w.kind == "brace" else [w]
            if inner and inner[0].text:
                names.append(inner[0].text)
    return names or ["main"]


def _int(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if re.fullmatch(r"-?\d+", value) else None


def read_nuke(text: str, script_path: str, environ: dict[str, str] | None = None) -> ScriptReport | None:
    """What a Nuke script renders and reads; None when the text is not a Nuke script."""
    graph = build_graph(text)
    if not graph.nodes and not graph.root:
        return None
    report = ScriptReport("Nuke", graph.version, problems=list(graph.problems))
    paths = _Paths(graph, script_path, os.environ if environ is None else environ)
    sources: dict[int, tuple[list[Source], list[Unresolved]]] = {}
    for node in graph.nodes:
        if node.cls in WRITERS or not any(node.knobs.get(k, "").strip() for k in FILE_KNOBS):
            continue
        found, lost = [], []
        for knob in FILE_KNOBS:
            resolved, why = paths.of(node, knob)
            if why:
                lost.append(why)
            for p in resolved:
                key = frames.key_of(p)
                if key is None:
                    lost.append(Unresolved(node.full_name, knob, p, "has its frame number in a folder name"))
                    continue
                first, last = (_int(node.knobs.get("first")), _int(node.knobs.get("last"))) \
                    if frames.MARK in key else (None, None)
                found.append(Source(node.full_name, node.cls, p, key, first, last))
        sources[id(node)] = (found, lost)
        report.sources += found
        report.unresolved += lost
    for node in graph.nodes:
        if node.cls not in WRITERS:
            continue
        feeding = [sources[id(n)] for n in upstream(node) if id(n) in sources]
        fed = _unique([s for found, _ in feeding for s in found])
        lost = _unique([u for _, missing in feeding for u in missing])
        for knob in FILE_KNOBS:
            resolved, why = paths.of(node, knob)
            if why:
                report.unresolved.append(why)
            for p in resolved:
                key = frames.key_of(p)
                if key is None:
                    report.unresolved.append(Unresolved(node.full_name, knob, p, "has its frame number in a folder "
                                                                                  "name"))
                    continue
                report.renders.append(Render(node.full_name, node.cls, p, key, fed, lost, node.flag("disable")))
    return report


def _unique(items: list) -> list:
    return list(dict.fromkeys(items))
