"""When a file the daemon heard about is complete enough to read.

"created" fires when a copy starts (watchdog #586, #787), renders pause
between frames, and NFS writers are invisible to inotify. So a path is read
only once its size and mtime have held for the stability window since its
last event, and (where inotify says so) its writer has closed it; a writer
that holds a file open without writing is given MAX_OPEN_IDLE_S before the
file is read anyway. A FIFO, socket or device is never "being written": it
is ready at once, and the reader says what it is.

Deletions wait one window too, so that a rename's two halves (gone here,
appeared there) reach the scanner together and are recorded as a move.

The clock is a parameter, so tests can step time instead of sleeping.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Callable

from .reader import special

# How long a file may stay open for writing with no change before it is read anyway
# (a writer that died, or one that holds files open).
MAX_OPEN_IDLE_S = 60.0


@dataclass
class Pending:
    first: float  # 0.0: resumed from the journal, so nothing is known of how it was written
    last_change: float
    signature: tuple[int, int] | None = None  # (size, mtime_ns) when last looked at
    writing: bool = False  # inotify saw a write and no close yet
    special: bool = False  # a FIFO, socket or device: nothing will ever be written to settle


class Settler:
    """The paths waiting to settle, and the deletions waiting for their other half."""

    def __init__(self, stability_s: float, clock: Callable[[], float] = time.monotonic,
                 max_open_idle_s: float = MAX_OPEN_IDLE_S):
        self.stability_s = stability_s
        self.clock = clock
        self.max_open_idle_s = max_open_idle_s
        self.pending: dict[bytes, Pending] = {}
        self.deleted: dict[bytes, float] = {}  # path -> when the event said it went away

    def __len__(self) -> int:
        return len(self.pending)

    def __contains__(self, path: bytes) -> bool:
        return path in self.pending

    def resume(self, paths: list[bytes]) -> None:
        """Paths journaled before a stop or a lost ledger: read as soon as they are stable."""
        for p in paths:
            self.pending[p] = Pending(first=0.0, last_change=0.0)

    def resume_deletions(self, paths: list[bytes]) -> None:
        for p in paths:
            self.deleted[p] = 0.0

    def gone(self, path: bytes) -> None:
        """An event said the path went away (deleted, or the old half of a move)."""
        self.pending.pop(path, None)
        self.deleted[path] = self.clock()

    def note(self, path: bytes, writing: bool = False, created: bool = False, closed: bool = False) -> bool:
        """An event on a path; True if the path was not waiting already.

        A write seen means a writer holds it until its close; so does a "created" on a still-empty
        file. A created file that already has content was written before we saw it: watchdog
        replays a new folder's files as "created", and a file moved in from outside arrives as one,
        and neither is followed by a close.
        """
        now = self.clock()
        self.deleted.pop(path, None)
        p = self.pending.get(path)
        new = p is None
        if p is None:
            p = self.pending[path] = Pending(first=now, last_change=now)
        p.last_change = now
        try:  # what the file looked like at this event: the stability check compares against it
            st = os.stat(path)
            p.signature = (st.st_size, st.st_mtime_ns)
            p.special = special(st.st_mode)
        except OSError:
            p.signature = None
        if p.special:
            p.writing = False
        elif closed:
            p.writing = False
        elif writing or (created and p.signature is not None and p.signature[0] == 0):
            p.writing = True
        return new

    def ready(self, draining: bool, limit: int) -> list[bytes]:
        """Paths to read now (at most `limit`). Draining (a stop): everything but files still open
        for writing, which stay in the journal for the next start."""
        now = self.clock()
        ready = []
        for path, p in list(self.pending.items()):
            if not draining and not p.special and now - p.last_change < self.stability_s:
                continue
            try:
                st = os.stat(path)
            except FileNotFoundError:
                if os.path.islink(path):  # a broken link is there, and is a finding in finals
                    ready.append(path)
                    continue
                del self.pending[path]
                self.deleted[path] = now
                continue
            except OSError:
                ready.append(path)  # unreadable: the reader will say why
                continue
            if special(st.st_mode):
                ready.append(path)  # the reader says what it is, at once
                continue
            sig = (st.st_size, st.st_mtime_ns)
            if p.signature != sig and p.first != 0.0 and not draining:
                p.signature, p.last_change = sig, now  # still changing: wait one more window
                continue
            if p.writing and not draining and now - p.last_change < self.max_open_idle_s:
                continue
            if draining and p.writing:
                continue  # left in the journal for the next start
            ready.append(path)
            if len(ready) >= limit:
                break
        return ready

    def take(self, paths: list[bytes]) -> None:
        for p in paths:
            self.pending.pop(p, None)

    def due_deletions(self, with_batch: bool) -> list[bytes]:
        """Deletions to apply now, taken off the list: all of them beside a batch of new paths (the
        batch may hold their other halves); alone, only once nothing is waiting to settle (a new
        path may be the other half of a rename) and the window has passed."""
        if with_batch:
            due = list(self.deleted)
        elif self.pending:
            return []
        else:
            now = self.clock()
            due = [p for p, t in self.deleted.items() if now - t >= self.stability_s]
        for p in due:
            del self.deleted[p]
        return due

    def any_deletions_due(self) -> bool:
        if self.pending:
            return False
        now = self.clock()
        return any(now - t >= self.stability_s for t in self.deleted.values())
