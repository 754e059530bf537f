"""A polling observer for network shares that stats folders, not files.

inotify sees nothing that another machine does on an NFS or SMB share
(gorakhargosh/watchdog#409, #504), so those trees are polled. watchdog's own
PollingObserver stats every file every interval; on a production tree that
is millions of stats a second and it has taken tens of GB and hours to start
(#878). Creating, deleting or renaming a file changes its folder's mtime, so
this emitter stats each folder and lists only the folders that changed.

What it cannot see: a file rewritten in place (its folder's mtime does not
change). The daemon's periodic reconcile walk catches those.
"""

from __future__ import annotations

import os
import threading

from watchdog.events import DirCreatedEvent, DirDeletedEvent, FileCreatedEvent, FileDeletedEvent
from watchdog.observers.api import DEFAULT_OBSERVER_TIMEOUT, BaseObserver, EventEmitter


class FolderMtimeEmitter(EventEmitter):
    def __init__(self, event_queue, watch, timeout=DEFAULT_OBSERVER_TIMEOUT, event_filter=None):
        super().__init__(event_queue, watch, timeout=timeout, event_filter=event_filter)
        self._lock = threading.Lock()
        self._folders: dict[bytes, int] = {}  # folder -> mtime_ns
        # folder -> its file names. Sizes are not kept: between polls only folders are stat-ed,
        # and a file that grows in place is caught by the daemon's own stability check and reconcile.
        self._files: dict[bytes, frozenset[bytes]] = {}
        self._subdirs: dict[bytes, list[bytes]] = {}
        self._primed = False

    def _root(self) -> bytes:
        return os.fsencode(self.watch.path)

    def _list(self, folder: bytes) -> tuple[frozenset[bytes], list[bytes]] | None:
        files, subdirs = [], []
        try:
            with os.scandir(folder) as it:
                for e in it:
                    try:
                        if e.is_dir(follow_symlinks=False):
                            subdirs.append(e.path)
                        elif e.is_file(follow_symlinks=True):
                            files.append(e.name)
                    except OSError:
                        continue
        except OSError:
            return None
        return frozenset(files), subdirs

    def _emit(self, event) -> None:
        self.queue_event(event)

    def _visit(self, folder: bytes, emit: bool, seen: set[bytes]) -> None:
        seen.add(folder)
        try:
            mtime = os.stat(folder).st_mtime_ns
        except OSError:
            return
        changed = self._folders.get(folder) != mtime
        if changed or folder not in self._files:
            listing = self._list(folder)
            if listing is None:
                return
            files, subdirs = listing
            before = self._files.get(folder, frozenset())
            if emit:
                for name in files - before:
                    self._emit(FileCreatedEvent(os.fsdecode(os.path.join(folder, name))))
                for name in before - files:
                    self._emit(FileDeletedEvent(os.fsdecode(os.path.join(folder, name))))
                for sub in subdirs:
                    if sub not in self._folders:
                        self._emit(DirCreatedEvent(os.fsdecode(sub)))
            self._folders[folder] = mtime
            self._files[folder] = files
            self._subdirs[folder] = subdirs
        else:
            # Unchanged folder: its files are not stat-ed again (see the module note).
            subdirs = self._subdirs.get(folder, [])
        for sub in subdirs:
            self._visit(sub, emit, seen)

    def queue_events(self, timeout) -> None:
        if self.stopped_event.wait(timeout if self._primed else 0):
            return
        with self._lock:
            seen: set[bytes] = set()
            self._visit(self._root(), self._primed, seen)
            for gone in [f for f in self._folders if f not in seen]:
                if self._primed:
                    for name in self._files.get(gone, {}):
                        self._emit(FileDeletedEvent(os.fsdecode(os.path.join(gone, name))))
                    self._emit(DirDeletedEvent(os.fsdecode(gone)))
                self._folders.pop(gone, None)
                self._files.pop(gone, None)
                self._subdirs.pop(gone, None)
            self._primed = True


class FolderMtimePollingObserver(BaseObserver):
    def __init__(self, timeout=DEFAULT_OBSERVER_TIMEOUT):
        super().__init__(FolderMtimeEmitter, timeout=timeout)
