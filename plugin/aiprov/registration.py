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

from .checking import Checker, apply_registrations
from .config import Config
from .errors import UnreadableMedia
from .ledger import Ledger
from .walk import entry_for

TEMPORARY, FINAL_CANDIDATE = "temporary", "final-candidate"


@dataclass
class Registered:
    path: str
    content_id: str
    registration_id: int
    parents: list[str]  # content ids


def register_files(paths: Iterable[bytes | str], ledger: Ledger, config: Config, *, tool: str,
                   tool_version: str | None = None, prompt: str | None = None, parents: Iterable[bytes | str] = (),
                   note: str | None = None, status: str = TEMPORARY, composite: bool = False) -> list[Registered]:
    """Register each file as AI output of `tool` made from `parents`, then judge and record it the way
    `scan` does (so a registered file in finals is flagged at once, and its perceptual print is made)."""
    paths = [os.path.abspath(os.fsencode(p)) for p in paths]
    parent_paths = [os.path.abspath(os.fsencode(p)) for p in parents]
    out = []
    with Checker(config, ledger, workers=1) as checker:
        parent_ids = []
        for c in checker.check([entry_for(p) for p in parent_paths]):
            if not c.inspection.content_id:
                raise UnreadableMedia(f"parent {c.inspection.path} cannot be read: {c.inspection.error}")
            parent_ids.append(c.inspection.content_id)
        read = checker.read(paths)
        for insp in read.values():
            if not insp.content_id:
                raise UnreadableMedia(f"{insp.path} cannot be registered: it cannot be read ({insp.error})")
        with ledger.transaction():
            for p in paths:
                insp = read[p]
                reg_id = ledger.registrations.add(insp.content_id, tool, tool_version, prompt, note, status,
                                                  composite, insp.path)
                for pid in parent_ids:
                    if pid != insp.content_id:
                        ledger.lineage.add(insp.content_id, pid, "registered-derivation",
                                           f"registered as made from this by {tool}")
                recorded = ledger.assets.inspection(insp.content_id, insp.path)
                if recorded is not None:  # seen before: what was recorded takes the registration now
                    ledger.assets.record(apply_registrations(recorded, ledger.registrations.of(insp.content_id)))
                out.append(Registered(insp.path, insp.content_id, reg_id, parent_ids))
        checker.check([entry_for(p) for p in paths], already_read=read)
    return out
