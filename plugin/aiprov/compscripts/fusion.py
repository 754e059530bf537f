"""Fusion comps (.comp) and tool settings (.setting), as Fusion Studio and DaVinci Resolve save them.

Both are one Lua table: `Composition { ..., Tools = ordered() { Loader1 = Loader {
Clips = { Clip { Filename = "..." } } }, Saver1 = Saver { Inputs = { Clip = Input
{ Value = Clip { Filename = "..." } }, Input = Input { SourceOp = "Merge1", Source =
"Output" } } } } }`. A tool's inputs name the tool they come from (`SourceOp`); tool
names are unique across the whole comp, groups and macros included, so a Saver
inside a group may be fed by a tool outside it by name. Only the Loaders upstream
of a Saver are its sources.

Paths: `Comp:` is the comp's own folder; path maps the comp defines in its
preferences (`Prefs = { Comp = { Paths = { Map = { ["Plates:"] = "..." } } } }`)
are applied; any other map (defined in Fusion's own preferences, which aiprov does
not see) leaves the path unresolved. A Loader names a sequence by one of its
frames ("plate.1001.exr"); a Saver renders frames with the number before the
extension ("out.exr" -> "out0000.exr", "out.0001.exr" -> "out.NNNN.exr").

The table is parsed as data: nothing in it is run.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from . import frames
from .model import Render, ScriptReport, Source, Unresolved
from .paths import WINDOWS_ABSOLUTE, is_absolute, resolve

MAX_NESTING = 200

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<comment>--\[(?P<ceq>=*)\[.*?\](?P=ceq)\]|--[^\n]*)
  | (?P<string>"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')
  | (?P<long>\[(?P<leq>=*)\[.*?\](?P=leq)\])
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<number>0[xX][0-9a-fA-F]+|-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<punct>[{}\[\]=,;()])
""", re.S | re.X)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "a": "\a", "b": "\b", "f": "\f",
            "v": "\v", "\n": "\n"}


class CompError(Exception):
    pass


@dataclass
class Table:
    """A Lua table, with the name it was built with (`Loader { }` -> kind "Loader")."""

    kind: str | None = None
    named: dict[str, object] = field(default_factory=dict)
    items: list[object] = field(default_factory=list)

    def get(self, key: str, default=None):
        return self.named.get(key, default)

    def table(self, key: str) -> "Table | None":
        v = self.named.get(key)
        return v if isinstance(v, Table) else None


def _lua_string(tok: str) -> str:
    body = tok[1:-1]
    if "\\" not in body:
        return body
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            m = re.match(r"\d{1,3}", body[i + 1:])
            if m:
                out.append(chr(int(m.group()) % 256))
                i += 1 + len(m.group())
                continue
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


class _Parser:
    def __init__(self, text: str):
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        for m in _TOKEN.finditer(text):
            if m.start() != pos:
                raise CompError(f"unexpected text at line {text.count(chr(10), 0, pos) + 1}: "
                                f"{text[pos:pos + 20]!r}")
            pos = m.end()
            kind = m.lastgroup
            if kind in ("space", "comment"):
                continue
            if kind in ("ceq", "leq"):
                kind = "long" if m.group("long") else "comment"
                if kind == "comment":
                    continue
            self.tokens.append((kind, m.group()))
        if pos != len(text):
            raise CompError(f"unexpected text at line {text.count(chr(10), 0, pos) + 1}: {text[pos:pos + 20]!r}")
        self.i = 0

    def peek(self, offset: int = 0) -> tuple[str, str]:
        j = self.i + offset
        return self.tokens[j] if j < len(self.tokens) else ("end", "")

    def take(self, text: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok[0] == "end":
            raise CompError("the comp ends in the middle of a table (the file is cut short?)")
        if text is not None and tok[1] != text:
            raise CompError(f"expected {text!r}, found {tok[1]!r}")
        self.i += 1
        return tok

    def value(self, depth: int = 0):
        if depth > MAX_NESTING:
            raise CompError("tables nested deeper than any comp")
        kind, tok = self.peek()
        if tok == "{":
            return self.table(None, depth)
        if kind == "string":
            self.i += 1
            return _lua_string(tok)
        if kind == "long":
            self.i += 1
            return re.sub(r"^\[=*\[\n?|\]=*\]$", "", tok)
        if kind == "number":
            self.i += 1
            try:
                return int(tok, 0) if re.fullmatch(r"-?\d+|0[xX][0-9a-fA-F]+", tok) else float(tok)
            except ValueError:
                return tok
        if kind == "name":
            self.i += 1
            if tok in ("true", "false"):
                return tok == "true"
            if tok == "nil":
                return None
            if self.peek()[1] == "(":  # ordered() { ... }
                self.take("(")
                while self.peek()[1] != ")":
                    self.value(depth + 1)
                    if self.peek()[1] == ",":
                        self.take(",")
                self.take(")")
                if self.peek()[1] != "{":
                    return None
                return self.table(None, depth) if tok == "ordered" else self.table(tok, depth)
            if self.peek()[1] == "{":
                return self.table(tok, depth)
            if kind == "name" and self.peek()[0] == "string":  # FuID "x"
                return self.value(depth + 1)
            return tok
        raise CompError(f"unexpected {tok!r}")

    def table(self, kind: str | None, depth: int) -> Table:
        t = Table(kind)
        self.take("{")
        while self.peek()[1] != "}":
            k, tok = self.peek()
            if tok == "[":
                self.take("[")
                key = self.value(depth + 1)
                self.take("]")
                self.take("=")
                t.named[str(key)] = self.value(depth + 1)
            elif k == "name" and self.peek(1)[1] == "=":
                self.i += 2
                t.named[tok] = self.value(depth + 1)
            else:
                t.items.append(self.value(depth + 1))
            if self.peek()[1] in (",", ";"):
                self.i += 1
            elif self.peek()[1] != "}":
                raise CompError(f"expected ',' or '}}', found {self.peek()[1]!r}")
        self.take("}")
        return t


def parse(text: str) -> Table | None:
    """The comp's table, or None when the text is not one (a GLSL compute shader is a .comp too)."""
    stripped = re.sub(r"^(?:\s+|--\[(=*)\[.*?\]\1\]|--[^\n]*)*", "", text, count=1, flags=re.S)
    if not (stripped.startswith("{") or re.match(r"Composition\s*\{", stripped)):
        return None
    p = _Parser(text)
    root = p.value()
    return root if isinstance(root, Table) else None


# -- the tools and their connections ----------------------------------------------------

@dataclass(eq=False)
class Tool:
    name: str
    kind: str
    table: Table
    feeds_from: list[str] = field(default_factory=list)  # the tools its inputs come from


def _input_links(inputs: Table | None) -> list[str]:
    links = []
    for value in (inputs.named.values() if inputs else ()):
        if isinstance(value, Table) and isinstance(value.get("SourceOp"), str):
            links.append(value.get("SourceOp"))
    return links


def tools_of(root: Table) -> dict[str, Tool]:
    """Every tool of the comp by name, groups and macros opened (their tools are the comp's too)."""
    out: dict[str, Tool] = {}
    todo = [root.table("Tools")]
    while todo:
        tools = todo.pop()
        if tools is None:
            continue
        for name, t in tools.named.items():
            if not isinstance(t, Table):
                continue
            tool = Tool(name, t.kind or "", t, _input_links(t.table("Inputs")))
            inner = t.table("Tools")
            if inner is not None:  # a group or macro: its image is what its outputs publish
                tool.feeds_from += _input_links(t.table("Outputs"))
                todo.append(inner)
            out[name] = tool
    return out


def upstream(tools: dict[str, Tool], start: Tool) -> list[Tool]:
    seen, out, todo = {start.name}, [], list(start.feeds_from)
    while todo:
        name = todo.pop()
        if name in seen or name not in tools:
            continue
        seen.add(name)
        tool = tools[name]
        out.append(tool)
        todo.extend(tool.feeds_from)
    return out


# -- paths -----------------------------------------------------------------------------

_MAP = re.compile(r"^([A-Za-z][A-Za-z0-9_ .-]+):(.*)$", re.S)


class _Paths:
    def __init__(self, root: Table, comp_path: str):
        self.comp_dir = posixpath.dirname(comp_path)
        self.maps: dict[str, str] = {"comp": self.comp_dir + "/"}
        prefs = root.table("Prefs")
        comp_prefs = prefs.table("Comp") if prefs else None
        paths = comp_prefs.table("Paths") if comp_prefs else None
        defined = paths.table("Map") if paths else None
        for name, value in (defined.named.items() if defined else ()):
            if isinstance(value, str) and name.endswith(":"):
                self.maps.setdefault(name[:-1].lower(), value)

    def resolve(self, written: str, depth: int = 0) -> str:
        """An absolute path, or Unresolvable."""
        path = written.replace("\\", "/") if not WINDOWS_ABSOLUTE.match(written) else written
        m = _MAP.match(path)
        if m and not WINDOWS_ABSOLUTE.match(path):
            name, rest = m.group(1).lower(), m.group(2)
            if name not in self.maps:
                raise _Unresolvable(f"uses the path map {m.group(1)}:, which the comp does not define (maps set "
                                    "in Fusion's own preferences are not read)")
            if depth > 16:
                raise _Unresolvable("its path maps refer to each other in a loop")
            base = self.resolve(self.maps[name], depth + 1)
            return resolve(rest.lstrip("/"), base) if rest.strip("/") else base
        if not is_absolute(path):
            return resolve(path, self.comp_dir)
        return resolve(path, "/")


class _Unresolvable(Exception):
    pass


def _display(s: str) -> str:
    return s.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _int(v) -> int | None:
    return int(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _loader_sources(tool: Tool, paths: _Paths) -> tuple[list[Source], list[Unresolved]]:
    found, lost = [], []
    written: list[tuple[str, Table | None, str]] = []
    clips = tool.table.table("Clips")
    for clip in (clips.items if clips else []):
        if isinstance(clip, Table) and isinstance(clip.get("Filename"), str):
            written.append((clip.get("Filename"), clip, "Clip"))
    inputs = tool.table.table("Inputs")
    for knob in ("Filename", "ImportFile", "FileName"):
        value = inputs.get(knob) if inputs else None
        if isinstance(value, Table) and isinstance(value.get("Value"), str):
            written.append((value.get("Value"), None, knob))
    media = tool.table.table("CustomData")
    props = media.table("MediaProps") if media else None
    if props and isinstance(props.get("MEDIA_PATH"), str):
        written.append((props.get("MEDIA_PATH"), None, "MediaProps"))
    elif tool.kind == "MediaIn":
        lost.append(Unresolved(tool.name, "MediaID", "", "is a Resolve media-pool clip; the comp does not name its "
                                                        "file"))
    for value, clip, knob in written:
        if not value.strip():
            continue
        try:
            path = _display(paths.resolve(value))
        except _Unresolvable as exc:
            lost.append(Unresolved(tool.name, knob, _display(value), str(exc)))
            continue
        key, first, last = path, None, None
        single = clip is None or frames.is_movie(path) or clip.get("Multiframe") is True
        seq = None if single else frames.numbered(path)
        if seq and clip is not None:
            length, trim_in, trim_out = (_int(clip.get(k)) for k in ("Length", "TrimIn", "TrimOut"))
            if (length or 0) > 1 or (trim_out or 0) > (trim_in or 0):
                key = seq[0]
                first = seq[1] + (trim_in or 0)
                last = seq[1] + trim_out if trim_out is not None else None
        found.append(Source(tool.name, tool.kind, path, key, first, last))
    return found, lost


def _saver_output(tool: Tool, paths: _Paths) -> tuple[str | None, str | None, Unresolved | None]:
    inputs = tool.table.table("Inputs")
    clip = inputs.get("Clip") if inputs else None
    value = clip.get("Value") if isinstance(clip, Table) else None
    written = value.get("Filename") if isinstance(value, Table) else value
    if not isinstance(written, str) or not written.strip():
        return None, None, None
    try:
        path = _display(paths.resolve(written))
    except _Unresolvable as exc:
        return None, None, Unresolved(tool.name, "Clip", _display(written), str(exc))
    movie = frames.is_movie(path) or (isinstance(value, Table) and value.get("Multiframe") is True)
    if movie:
        return path, path, None
    seq = frames.numbered(path)
    return path, seq[0] if seq else frames.with_mark_before_extension(path), None


def read_fusion(text: str, comp_path: str) -> ScriptReport | None:
    """What a Fusion comp renders and reads; None when the text is not a Fusion comp."""
    try:
        root = parse(text)
    except CompError as exc:
        report = ScriptReport("Fusion", problems=[f"the comp cannot be read: {exc}"])
        return report
    except RecursionError:
        return ScriptReport("Fusion", problems=["the comp nests tables deeper than aiprov follows"])
    if root is None:
        return None
    version = root.get("Version") if isinstance(root.get("Version"), str) else None
    report = ScriptReport("Fusion", version.removeprefix("Fusion Studio ").removeprefix("Fusion ") if version else None)
    if root.table("Tools") is None:
        return report if root.kind == "Composition" else None
    paths = _Paths(root, comp_path)
    tools = tools_of(root)
    feeds: dict[str, tuple[list[Source], list[Unresolved]]] = {}
    for tool in tools.values():
        if tool.kind == "Saver":
            continue
        found, lost = _loader_sources(tool, paths)
        if found or lost:
            feeds[tool.name] = (found, lost)
            report.sources += found
            report.unresolved += lost
    for tool in tools.values():
        if tool.kind != "Saver":
            continue
        path, key, why = _saver_output(tool, paths)
        if why:
            report.unresolved.append(why)
        if path is None:
            continue
        feeding = [feeds[t.name] for t in upstream(tools, tool) if t.name in feeds]
        fed = list(dict.fromkeys(s for found, _ in feeding for s in found))
        lost = list(dict.fromkeys(u for _, missing in feeding for u in missing))
        report.renders.append(Render(tool.name, tool.kind, path, key, fed, lost,
                                     tool.table.get("PassThrough") is True))
    return report
