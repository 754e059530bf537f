"""The one path every entry point takes: walk -> read (isolated) -> classify.

`inspect_paths` is the reader alone; `scan` (scanning.py) adds the ledger and
the policy on top of the same function, so `inspect`, `scan`, `watch` and
`lookup` can never disagree about a file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from .errors import AiprovError
from .isolation import DEFAULT_TIMEOUT_S, ReaderPool
from .model import AI_VERDICTS, UNREADABLE, Inspection
from .names import display_path
from .reader import ReadSettings
from .walk import DEFAULT_IGNORE, WalkEntry, iter_files


def walk_errors_split(entries: Iterable[WalkEntry], errors: list[Inspection]) -> Iterator[bytes]:
    for entry in entries:
        if entry.error:
            errors.append(Inspection(path=display_path(entry.fspath), verdict=UNREADABLE, error=entry.error,
                                     reason=entry.error))
        else:
            yield entry.fspath


def inspect_paths(paths: Iterable[str | bytes], settings: ReadSettings | None = None, *, workers: int | None = None,
                  timeout_s: float = DEFAULT_TIMEOUT_S, ignore=DEFAULT_IGNORE) -> Iterator[Inspection]:
    """Every file under `paths`, read and classified, in completion order."""
    errors: list[Inspection] = []
    with ReaderPool(settings or ReadSettings(), workers=workers, timeout_s=timeout_s) as pool:
        for insp in pool.read_many(walk_errors_split(iter_files(paths, ignore), errors)):
            yield insp
            while errors:
                yield errors.pop()
    yield from errors


# `aiprov inspect --fail-on`: which verdicts make it exit 1.
FAIL_ON = {"never": (), "ai": AI_VERDICTS, "ai-or-unreadable": (*AI_VERDICTS, UNREADABLE)}


@dataclass
class InspectResult:
    """What `aiprov inspect` read. A folder can hold thousands of files and the readers finish
    in any order, so the inspections come as they are read: `arrivals()` yields each once, as
    it comes, and keeps it in `inspections` (a terminal shows the first files at once; JSON
    waits for all of them)."""

    missing: list[str]  # paths given that do not exist, as people read them
    fail_on: tuple[str, ...] = ()
    inspections: list[Inspection] = field(default_factory=list)
    pending: Iterator[Inspection] = field(default_factory=lambda: iter(()), repr=False)

    def arrivals(self) -> Iterator[Inspection]:
        for insp in self.pending:
            self.inspections.append(insp)
            yield insp

    def all(self) -> list[Inspection]:
        """Every inspection, once every reader has finished."""
        for _ in self.arrivals():
            pass
        return self.inspections

    @property
    def exit_code(self) -> int:
        return 1 if self.missing or any(i.verdict in self.fail_on for i in self.all()) else 0

    def to_list(self) -> list[dict]:
        """schemas/inspect.schema.json: one object per file, by path."""
        return [i.to_dict() for i in sorted(self.all(), key=lambda i: i.path)]


def inspect_files(paths: Iterable[str | bytes], settings: ReadSettings | None = None, *, workers: int | None = None,
                  timeout_s: float = DEFAULT_TIMEOUT_S, fail_on: str = "never") -> InspectResult:
    """`aiprov inspect`: the files under `paths`, read as they are iterated. A path that does not
    exist is reported and the others are read; when none exists there is nothing to do."""
    fspaths = [os.fsencode(p) for p in paths]
    missing = [p for p in fspaths if not os.path.lexists(p)]
    if missing and len(missing) == len(fspaths):
        raise AiprovError(f"{', '.join(display_path(p) for p in missing)}: no such file or folder")
    present = [p for p in fspaths if p not in missing]
    return InspectResult(missing=[display_path(p) for p in missing], fail_on=FAIL_ON[fail_on],
                         pending=inspect_paths(present, settings, workers=workers, timeout_s=timeout_s))
