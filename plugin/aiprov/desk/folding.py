"""The open findings kept in the desk's process and folded into the lines of its findings list.

The list is what people at the desk look at all day, and the daemons and other desks raise and
resolve findings under it. Reading and folding all the open findings anew after each change
costs a few hundred ms at 10,000 of them (the join through a million assets, and the parsing of
every path into a frame pattern), so the desk keeps them: each view asks the ledger only which
findings are open (ids, from the open findings' index), reads just the ones raised since, drops
the ones no longer open, and folds again from what it keeps (the paths parsed once). A filter is
applied to the kept findings rather than asked of the ledger, so a filter never asked before
costs no query either.

What the ids cannot show (a severity rewritten in place, an asset read again with another
generator) shows within `reread_s`, when the kept findings are read again whole.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from ..ledger import Ledger
from ..ledger.desk import NO_PRODUCTION, FindingFilter
from ..sequences import FRAME

FACETS = ("production", "zone", "severity", "rule", "host")


@dataclass(frozen=True, slots=True)
class OpenFinding:
    """An open finding as the list needs it (no message: that is read for the page's rows only)."""

    id: int
    content_id: str | None
    rule: str
    severity: str
    zone: str | None
    production: str | None
    path: str
    host: str
    verdict: str | None
    generator: str | None

    @classmethod
    def from_row(cls, r: dict) -> OpenFinding:
        return cls(int(r["id"]), r["content_id"], r["rule"], r["severity"], r["zone"], r["production"], r["path"],
                   r["host"], r["verdict"], r["generator"])

    @property
    def outcome(self) -> tuple:
        """What frames of one render must share to be one line."""
        return (self.host, self.rule, self.severity, self.zone, self.production, self.verdict)


@dataclass(frozen=True, slots=True)
class FramePattern:
    """A frame's path taken apart: the folder, the name around the number, the number's padding."""

    folder: str
    head: str
    pad: int
    tail: str
    number: int

    @classmethod
    def of(cls, path: str) -> FramePattern | None:
        folder, name = os.path.split(path)
        m = FRAME.match(name)
        return cls(folder, m["head"], len(m["frame"]), m["tail"], int(m["frame"])) if m else None

    def label(self, first: int, last: int) -> str:
        frames = f"{first:0{self.pad}d}" if first == last else f"{first:0{self.pad}d}-{last:0{self.pad}d}"
        return os.path.join(self.folder, f"{self.head}{frames if first == last else '[' + frames + ']'}{self.tail}")


def passes(f: OpenFinding, flt: FindingFilter) -> bool:
    """The desk's filters, as the ledger would apply them (`text` in the path, generator or content id,
    case ignored)."""
    for value, have in ((flt.zone, f.zone), (flt.severity, f.severity), (flt.rule, f.rule), (flt.host, f.host)):
        if value and have != value:
            return False
    if flt.production == NO_PRODUCTION:
        if f.production is not None:
            return False
    elif flt.production and f.production != flt.production:
        return False
    if flt.text:
        text = flt.text.strip().lower()
        return (text in f.path.lower() or (f.generator is not None and text in f.generator.lower())
                or (f.content_id is not None and text in f.content_id.lower()))
    return True


@dataclass
class Line:
    """A line of the list: one finding, or a run of a render's frames with the same outcome."""

    label: str  # the path, or "dir/shot.[1001-1096].exr"
    items: list[OpenFinding]
    frames: tuple[int, int] | None = None  # a run's first and last frame number


def fold(findings: list[OpenFinding], patterns: dict[str, FramePattern | None]) -> list[Line]:
    """Lines in the list's order (errors first, then by path): consecutive frames of a render with the
    same outcome become one line, as `sequences.group` makes them; `patterns` holds each path's parse."""
    runs: list[Line] = []
    renders: dict[tuple, list[tuple[int, int, OpenFinding]]] = {}
    for f in findings:
        p = patterns[f.path]
        if p is None:
            runs.append(Line(f.path, [f]))
        else:
            renders.setdefault((p.folder, p.head, p.pad, p.tail, f.outcome), []).append((p.number, f.id, f))
    for frames in renders.values():
        frames.sort(key=lambda x: (x[0], x[1]))
        pattern = patterns[frames[0][2].path]
        start = 0
        for i in range(1, len(frames) + 1):
            if i == len(frames) or frames[i][0] != frames[i - 1][0] + 1:
                first, last = frames[start][0], frames[i - 1][0]
                runs.append(Line(pattern.label(first, last), [x[2] for x in frames[start:i]],
                                 (first, last) if i - start > 1 else None))
                start = i
    runs.sort(key=lambda run: (run.items[0].severity != "error", run.label, run.items[0].host, run.items[0].id))
    return runs


def facets(findings) -> dict[str, dict[str, int]]:
    """How many open findings there are by production, zone, severity, rule and host: the filters' choices."""
    out: dict[str, dict[str, int]] = {k: {} for k in FACETS}
    for f in findings:
        for key in FACETS:
            value = getattr(f, key)
            value = value if value is not None else (NO_PRODUCTION if key == "production" else "")
            out[key][value] = out[key].get(value, 0) + 1
    return out


@dataclass
class Folded:
    """One filter's list: its lines, how many findings they hold, and the facets of all open findings."""

    runs: list[Line]
    total: int
    facets: dict[str, dict[str, int]]


class FoldedFindings:
    """The open findings kept and brought up to date on each view, and the folded list per filter made
    from them, kept while none was raised or resolved (see the module's docstring)."""

    def __init__(self, reread_s: float = 10.0, size: int = 32):
        self.reread_s, self.size = reread_s, size
        self._open: dict[int, OpenFinding] = {}
        self._patterns: dict[str, FramePattern | None] = {}
        self._read_whole_at: float | None = None
        self._version = 0  # moves whenever the kept findings change
        self._facets: tuple[int, dict] | None = None
        self._kept: OrderedDict[FindingFilter, tuple[int, Folded]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, ledger: Ledger, flt: FindingFilter) -> Folded:
        with self._lock:
            self._refresh(ledger)
            kept = self._kept.get(flt)
            if kept and kept[0] == self._version:
                self._kept.move_to_end(flt)
                return kept[1]
            chosen = [f for f in self._open.values() if passes(f, flt)]
            if self._facets is None or self._facets[0] != self._version:
                self._facets = (self._version, facets(self._open.values()))
            folded = Folded(fold(chosen, self._patterns), len(chosen), self._facets[1])
            self._kept[flt] = (self._version, folded)
            self._kept.move_to_end(flt)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
            return folded

    def _refresh(self, ledger: Ledger) -> None:
        """Bring the kept findings up to what the ledger holds open now."""
        now = time.monotonic()
        if self._read_whole_at is None or now - self._read_whole_at >= self.reread_s:
            self._take({r["id"]: r for r in ledger.desk.open_findings_light()}, whole=True)
            self._read_whole_at = now
            return
        open_ids = ledger.desk.open_ids()
        gone = self._open.keys() - open_ids
        new = open_ids - self._open.keys()
        if not gone and not new:
            return
        if len(new) > len(open_ids) // 2:  # most of them new: one read of them all costs less
            self._take({r["id"]: r for r in ledger.desk.open_findings_light()}, whole=True)
            self._read_whole_at = now
            return
        rows = {r["id"]: r for r in ledger.desk.open_findings_light(sorted(new))} if new else {}
        # one raised and resolved again between the two questions is not read: it is not open
        self._take(rows, whole=False, gone=gone)

    def _take(self, rows: dict[int, dict], whole: bool, gone: set[int] = frozenset()) -> None:
        read = {i: OpenFinding.from_row(r) for i, r in rows.items()}
        for f in read.values():
            if f.path not in self._patterns:
                self._patterns[f.path] = FramePattern.of(f.path)
        if whole:
            changed = read != self._open
            self._open = read
            if len(self._patterns) > 2 * len(read) + 1000:  # paths of findings long resolved
                self._patterns = {f.path: self._patterns[f.path] for f in read.values()}
        else:
            changed = bool(gone) or any(self._open.get(i) != f for i, f in read.items())
            for i in gone:
                del self._open[i]
            self._open.update(read)
        if changed:
            self._version += 1
