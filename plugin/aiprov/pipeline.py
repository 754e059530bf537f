"""The one path every entry point takes: walk -> read (isolated) -> classify.

`inspect_paths` is the reader alone; `scan` (scanning.py) adds the ledger and
the policy on top of the same function, so `inspect`, `scan`, `watch` and
`lookup` can never disagree about a file.
"""

from __future__ import annotations

from typing import Iterable, Iterator

from .isolation import DEFAULT_TIMEOUT_S, ReaderPool
from .model import UNREADABLE, Inspection
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
