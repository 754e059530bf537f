"""Previews for the desk, made once per content and kept on disk.

A thumbnail belongs to the bytes, so it is keyed by content id and made from a place the ledger
knows holds that content: a live location on this host whose size, mtime, inode and device are
still what was recorded (a file rewritten since is other bytes). Nothing in a URL names a file.
ffmpeg makes it in a subprocess with a time limit (reports/scan.py); one that cannot be made is
remembered too, so a file ffmpeg cannot decode is not tried again on every view.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

from ..ledger import Ledger
from ..reports.scan import thumbnail_png

CONTENT_ID = re.compile(r"^[0-9a-f]{32}$")
WIDTH = 320
NONE = b""  # cached: no preview can be made of this content


def default_folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "aiprov" / "thumbnails"


class Thumbnails:
    def __init__(self, folder: Path | None = None):
        self.folder = Path(folder) if folder else default_folder()
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self.made = 0  # how many this process made (the rest came from the cache)

    def _file(self, cid: str) -> Path:
        return self.folder / cid[:2] / f"{cid}.png"

    def cached(self, cid: str) -> bytes | None:
        """The cached preview (NONE when none can be made), or None when not made yet."""
        try:
            return self._file(cid).read_bytes()
        except FileNotFoundError:
            return None

    def get(self, cid: str, ledger: Ledger) -> bytes | None:
        """The preview of a content, made now if it was never made; None when there is none."""
        if not CONTENT_ID.match(cid):
            return None
        png = self.cached(cid)
        if png is not None:
            return png or None
        with self._guard:
            lock = self._locks.setdefault(cid, threading.Lock())
        with lock:  # two views of a new finding at once make it once
            png = self.cached(cid)
            if png is None:
                source = self._source(cid, ledger)
                if source is None:
                    return None  # nowhere on this host: perhaps later, so nothing is remembered
                png = thumbnail_png(source, WIDTH) or NONE
                self._store(cid, png)
                self.made += 1
        return png or None

    def _source(self, cid: str, ledger: Ledger) -> bytes | None:
        for loc in ledger.locations.of(cid, include_gone=False):
            if loc.host != ledger.host:
                continue
            try:
                st = os.stat(loc.path_raw)
            except OSError:
                continue
            if loc.unchanged(st):
                return loc.path_raw
        return None

    def _store(self, cid: str, png: bytes) -> None:
        path = self._file(cid)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
        tmp.write_bytes(png)
        os.replace(tmp, path)
