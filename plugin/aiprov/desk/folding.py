"""The open findings kept in the desk's process and folded into the lines of its findings list.

The list is what people at the desk look at all day, and the daemons and other desks raise and
resolve findings under it. Reading and folding all the open findings anew after each change
costs a few hundred ms at 10,000 of them (the join through a million assets, and the parsing of
every path into a frame pattern), so the desk keeps them: each view asks the ledger only which
findings are open (ids, from the open findings' index), reads just the ones raised since, and
drops the ones no longer open. The folded list of them all is kept in order and changed line by
line: a finding raised or resolved changes its own line, or its render's. A filter's list is cut
from it (no query, and no object made for a line that passes whole) and kept until the next change.

What the ids cannot show (a severity rewritten in place, an asset read again with another
generator) shows within `reread_s`, when the kept findings are read again whole (in the
background, at the desk).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from bisect import bisect_left
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from typing import Callable, ContextManager

from ..ledger import Ledger
from ..ledger.desk import NO_PRODUCTION, FindingFilter
from ..sequences import FRAME

FACETS = ("production", "zone", "severity", "rule", "host")  # OpenFinding.facets, in this order
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FramePattern:
    """A frame's path taken apart: the folder, the name around the number, the number's padding."""

    folder: str
    head: str
    pad: int
    tail: str
    number: int
    own: str  # the frame's line when it is alone

    @classmethod
    def of(cls, path: str) -> FramePattern | None:
        folder, name = os.path.split(path)
        m = FRAME.match(name)
        return (cls(folder, m["head"], len(m["frame"]), m["tail"], int(m["frame"]), os.path.join(folder, name))
                if m else None)

    def label(self, first: int, last: int) -> str:
        """The line of a run of frames: "dir/shot.[1001-1096].exr"."""
        return os.path.join(self.folder, f"{self.head}[{first:0{self.pad}d}-{last:0{self.pad}d}]{self.tail}")


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
    # worked out once, when read: every filter's list looks at them
    pattern: FramePattern | None = field(default=None, compare=False)  # the path's
    render: tuple | None = field(default=None, compare=False)  # the frames it runs with, if it is one
    searched: str = field(default="", compare=False)  # what `text` looks in: path, generator, content id

    @classmethod
    def from_row(cls, r: dict, pattern: FramePattern | None | bool = False) -> OpenFinding:
        """`pattern`: the path's, when it was parsed already (False: parse it)."""
        p = FramePattern.of(r["path"]) if pattern is False else pattern
        outcome = (r["host"], r["rule"], r["severity"], r["zone"], r["production"], r["verdict"])
        return cls(int(r["id"]), r["content_id"], r["rule"], r["severity"], r["zone"], r["production"], r["path"],
                   r["host"], r["verdict"], r["generator"], p,
                   (p.folder, p.head, p.pad, p.tail, outcome) if p else None,
                   "\0".join((r["path"], r["generator"] or "", r["content_id"] or "")).lower())

    @property
    def facets(self) -> tuple:
        return (self.production, self.zone, self.severity, self.rule, self.host)

    @property
    def outcome(self) -> tuple:
        """What frames of one render must share to be one line."""
        return (self.host, self.rule, self.severity, self.zone, self.production, self.verdict)


def matcher(flt: FindingFilter) -> Callable[[OpenFinding], bool]:
    """The desk's filters as a test of one finding; `text` is looked for in the path, the generator and
    the content id, case ignored. Worked out once per filter: a new filter tests every open finding."""
    wanted = [(name, value) for name, value in (("zone", flt.zone), ("severity", flt.severity), ("rule", flt.rule),
                                                ("host", flt.host), ("production", flt.production)) if value]
    wanted = [(name, None if name == "production" and value == NO_PRODUCTION else value) for name, value in wanted]
    text = flt.text.strip().lower() if flt.text else None
    if text is None:
        searched = None
    elif "\0" in text:  # never across the parts
        searched = lambda f: any(text in part for part in f.searched.split("\0"))  # noqa: E731
    else:  # one look at each finding: a search is the filter people type most
        searched = lambda f: text in f.searched  # noqa: E731
    if not wanted:
        return searched or (lambda f: True)
    if searched is None:
        return lambda f: all(getattr(f, name) == value for name, value in wanted)
    return lambda f: all(getattr(f, name) == value for name, value in wanted) and searched(f)


@dataclass
class Line:
    """A line of the list: one finding, or a run of a render's frames with the same outcome."""

    label: str  # the path, or "dir/shot.[1001-1096].exr"
    items: list[OpenFinding]
    frames: tuple[int, int] | None = None  # a run's first and last frame number
    order: tuple = ()  # where it goes in the list: errors first, then by path (and host, and the first raised)

    def __post_init__(self):
        first = self.items[0]
        self.order = (first.severity != "error", self.label, first.host, first.id)


@dataclass
class Folded:
    """One filter's list: its lines, how many findings they hold, and the facets of all open findings."""

    runs: list[Line]
    total: int
    facets: dict[str, dict[str, int]]


def _runs(frames: list[OpenFinding]) -> list[Line]:
    """Frames of one render with one outcome, in frame order, as lines: a gap starts another line."""
    lines, start = [], 0
    for i in range(1, len(frames) + 1):
        if i == len(frames) or frames[i].pattern.number != frames[i - 1].pattern.number + 1:
            if i - start == 1:
                lines.append(Line(frames[start].pattern.own, [frames[start]]))
            else:
                first, last = frames[start].pattern.number, frames[i - 1].pattern.number
                lines.append(Line(frames[start].pattern.label(first, last), frames[start:i], (first, last)))
            start = i
    return lines


def narrowed(lines: list[Line], flt: FindingFilter) -> list[Line]:
    """The lines of the whole list that pass a filter: a line all of whose findings pass is the same
    line; a run of frames some of which pass (a search for a frame number) becomes the runs of those.
    Two lines of the whole list never join: they are apart by a gap in the frames, or by a frame with
    two findings of one outcome, which the ledger does not keep open (one per file and rule)."""
    test = matcher(flt)
    if not flt.text:  # every other filter looks at what a run's frames share: the whole line passes or not
        return [line for line in lines if test(line.items[0])]
    out, cut = [], False
    for line in lines:
        if len(line.items) == 1:
            if test(line.items[0]):
                out.append(line)
            continue
        passing = [f for f in line.items if test(f)]
        if len(passing) == len(line.items):
            out.append(line)
        elif passing:
            out += _runs(passing)
            cut = True
    if cut:
        out.sort(key=lambda line: line.order)
    return out


class FoldedList:
    """All the open findings folded, kept in the list's order and changed line by line: a finding
    raised or resolved changes its own line, or the lines of its render, and nothing else."""

    def __init__(self, findings):
        chosen = list(findings)
        self.members: set[int] = {f.id for f in chosen}
        self.renders: dict[tuple, dict[int, OpenFinding]] = {}  # frames by render and outcome
        self.render_lines: dict[tuple, list[Line]] = {}
        self.singles: dict[int, Line] = {}
        lines = []
        for f in chosen:
            if f.render is None:
                line = self.singles[f.id] = Line(f.path, [f])
                lines.append(line)
            else:
                self.renders.setdefault(f.render, {})[f.id] = f
        for key in list(self.renders):
            lines += self._lines_of(key)
        lines.sort(key=lambda line: line.order)
        self.keys, self.lines = [line.order for line in lines], lines

    def change(self, gone: list[OpenFinding], new: list[OpenFinding]) -> None:
        for key in self._take(gone, new):
            for line in self.render_lines.pop(key, []):
                self._drop(line)
            for line in self._lines_of(key):
                self._put(line)

    def _take(self, gone, new) -> set[tuple]:
        """Membership and single lines changed; returns the renders whose lines must be made again."""
        touched = set()
        for f in gone:
            if f.id not in self.members:
                continue
            self.members.discard(f.id)
            if f.render is None:
                self._drop(self.singles.pop(f.id))
            else:
                del self.renders[f.render][f.id]
                touched.add(f.render)
        for f in new:
            self.members.add(f.id)
            if f.render is None:
                line = self.singles[f.id] = Line(f.path, [f])
                self._put(line)
            else:
                self.renders.setdefault(f.render, {})[f.id] = f
                touched.add(f.render)
        return touched

    def _lines_of(self, key: tuple) -> list[Line]:
        frames = sorted(self.renders.get(key, {}).values(), key=lambda f: (f.pattern.number, f.id))
        if not frames:
            self.renders.pop(key, None)
            return []
        lines = self.render_lines[key] = _runs(frames)
        return lines

    def _put(self, line: Line) -> None:
        i = bisect_left(self.keys, line.order)
        self.keys.insert(i, line.order)
        self.lines.insert(i, line)

    def _drop(self, line: Line) -> None:
        i = bisect_left(self.keys, line.order)
        del self.keys[i], self.lines[i]


class FoldedFindings:
    """The open findings kept and brought up to date on each view, folded, and the list of each filter
    asked lately, kept until the next change (see the module's docstring).

    `reread_with`: where to take a ledger to read the findings again whole in the background (the
    desk's pool), so that no view waits for it; without it the view that finds it due reads them."""

    def __init__(self, reread_s: float = 10.0, size: int = 32,
                 reread_with: Callable[[], ContextManager[Ledger]] | None = None):
        self.reread_s, self.size, self.reread_with = reread_s, size, reread_with
        self._open: dict[int, OpenFinding] | None = None  # None until the first view
        self._outcomes: Counter = Counter()  # (production, zone, severity, rule, host) of the open ones
        self._facets: dict | None = None
        self._all = FoldedList([])
        self._version = 0  # moves with every change to the open findings
        self._kept: OrderedDict[FindingFilter, tuple[int, Folded]] = OrderedDict()
        self._read_whole_at = 0.0
        self._rereading = False
        self._lock = threading.Lock()

    def get(self, ledger: Ledger, flt: FindingFilter) -> Folded:
        with self._lock:
            now = time.monotonic()
            if self._open is None:
                found = self._read(ledger.desk.open_findings_light())
                self._open = {}
                self._change([], found)
                self._read_whole_at = now
            else:
                if now - self._read_whole_at >= self.reread_s and not self._rereading:
                    self._read_whole_at = now
                    if self.reread_with:
                        self._rereading = True
                        threading.Thread(target=self._reread_in_background, daemon=True,
                                         name="aiprov-desk-reread").start()
                    else:
                        self._changed_in_place(self._read_again(ledger.desk.open_findings_light()))
                self._follow(ledger)
            kept = self._kept.get(flt)
            if kept is None or kept[0] != self._version:
                if self._facets is None:
                    self._facets = _facets(self._outcomes)
                if flt == FindingFilter():
                    folded = Folded(list(self._all.lines), len(self._open), self._facets)
                else:
                    lines = narrowed(self._all.lines, flt)
                    folded = Folded(lines, sum(len(line.items) for line in lines), self._facets)
                kept = self._kept[flt] = (self._version, folded)
                while len(self._kept) > self.size:
                    self._kept.popitem(last=False)
            self._kept.move_to_end(flt)
            return kept[1]

    def _follow(self, ledger: Ledger) -> None:
        """Which findings are open now: the ones no longer open leave, the ones raised since are read."""
        open_ids = ledger.desk.open_ids()
        gone = [self._open[i] for i in self._open.keys() - open_ids]
        new = open_ids - self._open.keys()
        # one resolved between the two questions is not read back: it is not open, so not kept
        self._change(gone, self._read(ledger.desk.open_findings_light(sorted(new))) if new else [])

    def _reread_in_background(self) -> None:
        try:
            with self.reread_with() as ledger:
                found = self._read_again(ledger.desk.open_findings_light())
            with self._lock:
                self._changed_in_place(found)
        except Exception as exc:  # the views go on with what they keep; the next reread tries again
            log.warning("reading the open findings again failed: %s", exc)
        finally:
            self._rereading = False

    def _read_again(self, rows: list[dict]) -> list[OpenFinding]:
        """The findings read again whole, their paths' patterns taken from the kept ones (a finding's
        path never changes)."""
        kept = self._open
        return [OpenFinding.from_row(r, kept[r["id"]].pattern if r["id"] in kept else False) for r in rows]

    def _changed_in_place(self, found: list[OpenFinding]) -> None:
        """Take what changed in place in the findings kept; which are open is the ids' business alone."""
        kept = self._open
        changed = [f for f in found if f.id in kept and f != kept[f.id]]
        if changed:
            self._change([kept[f.id] for f in changed], changed)

    def _read(self, rows: list[dict]) -> list[OpenFinding]:
        return [OpenFinding.from_row(r) for r in rows]

    def _change(self, gone: list[OpenFinding], new: list[OpenFinding]) -> None:
        if not gone and not new:
            return
        for f in gone:
            del self._open[f.id]
            self._outcomes[f.facets] -= 1
        for f in new:
            self._open[f.id] = f
            self._outcomes[f.facets] += 1
        self._facets = None
        self._version += 1
        self._all.change(gone, new)


def _facets(outcomes: Counter) -> dict[str, dict[str, int]]:
    """How many open findings there are by production, zone, severity, rule and host: the filters' choices."""
    out: dict[str, dict[str, int]] = {k: {} for k in FACETS}
    for values, n in outcomes.items():
        if n <= 0:
            continue
        for key, value in zip(FACETS, values):
            value = value if value is not None else (NO_PRODUCTION if key == "production" else "")
            out[key][value] = out[key].get(value, 0) + n
    return out
