"""Recording AI output at birth: `aiprov register` and `aiprov.register()`.

Most AI temp material carries no marker at all (a generator's PNG re-saved by
Photoshop, an MP4 from a web tool). A pipeline that calls register right
after generation makes the ledger the marker: from then on the content is
AI whatever its metadata says, and its parents are on record as lineage.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterable

from .errors import UnreadableMedia
from .isolation import ReaderPool
from .ledger import Ledger
from .model import AI, AI_COMPOSITE, AI_VERDICTS, Evidence, Inspection
from .reader import ReadSettings

TEMPORARY, FINAL_CANDIDATE = "temporary", "final-candidate"


@dataclass
class Registered:
    path: str
    content_id: str
    registration_id: int
    parents: list[str]  # content ids


def apply_registrations(ledger: Ledger, insp: Inspection, regs: list[dict] | None = None) -> Inspection:
    """Add what the ledger was told at birth (`regs`, else asked of it) to what the file says about itself."""
    if regs is None:
        regs = ledger.registrations.of(insp.content_id) if insp.content_id else []
    if not regs:
        return insp
    for r in regs:
        implies = AI_COMPOSITE if r["composite"] else AI
        tool = r["tool"] + (f" {r['tool_version']}" if r["tool_version"] else "")
        ev = Evidence("registration", "aiprov register", f"registered as {implies} output of {tool} on {r['created'][:10]} "
                      f"({r['status']})", 1.0, implies, generator=r["tool"])
        if ev not in insp.evidence:
            insp.evidence.append(ev)
    whole = any(not r["composite"] for r in regs)
    if insp.verdict not in AI_VERDICTS or (whole and insp.verdict == AI_COMPOSITE):
        insp.verdict = AI if whole else AI_COMPOSITE
        insp.reason = f"registration: {insp.evidence[-1].value}"
        insp.error = None
    insp.generator = insp.generator or regs[0]["tool"]
    return insp


def register_files(paths: Iterable[bytes | str], ledger: Ledger, *, tool: str, tool_version: str | None = None,
                   prompt: str | None = None, parents: Iterable[bytes | str] = (), note: str | None = None,
                   status: str = TEMPORARY, composite: bool = False, zone_of=None,
                   likeness: bool = True) -> list[Registered]:
    paths = [os.path.abspath(os.fsencode(p)) for p in paths]
    parent_paths = [os.path.abspath(os.fsencode(p)) for p in parents]
    out = []
    sources: list[tuple[Inspection, str]] = []
    with ReaderPool(ReadSettings(want_content_id=True), workers=1) as pool:
        parent_ids = []
        for insp in pool.read_many(parent_paths):
            if not insp.content_id:
                raise UnreadableMedia(f"parent {insp.path} cannot be read: {insp.error}")
            _record(ledger, insp, zone_of)
            parent_ids.append(insp.content_id)
        for insp in pool.read_many(paths):
            if not insp.content_id:
                raise UnreadableMedia(f"{insp.path} cannot be registered: it cannot be read ({insp.error})")
            with ledger.transaction():
                reg_id = ledger.registrations.add(insp.content_id, tool, tool_version, prompt, note, status, composite, insp.path)
                apply_registrations(ledger, insp)
                _record(ledger, insp, zone_of)
                for pid in parent_ids:
                    if pid != insp.content_id:
                        ledger.lineage.add(insp.content_id, pid, "registered-derivation",
                                        f"registered as made from this by {tool}")
            out.append(Registered(insp.path, insp.content_id, reg_id, parent_ids))
            sources.append((insp, "working"))
    if likeness:
        _print_sources(ledger, sources)
    return out


def _print_sources(ledger: Ledger, files: list[tuple[Inspection, str]]) -> None:
    """A registered AI output is a source: print it now, so laundered copies are recognised later."""
    from .likeness import Likeness, kind_of

    todo = {i.fspath: i for i, _ in files if kind_of(i.media_type) and not ledger.prints.has(i.content_id)}
    if not todo:
        return
    likeness = Likeness(ledger)
    with ReaderPool(ReadSettings(task="fingerprint"), workers=1) as pool:
        for got in pool.read_many(list(todo)):
            if got.likeness is not None:
                likeness.record(todo[got.fspath], "working", got.likeness)


def _record(ledger: Ledger, insp: Inspection, zone_of) -> None:
    with ledger.transaction():
        ledger.assets.record(insp)
        try:
            st = os.stat(insp.fspath)
        except OSError:
            st = None
        ledger.locations.upsert(insp.fspath, insp.content_id, st, zone_of(insp.fspath) if zone_of else None)
