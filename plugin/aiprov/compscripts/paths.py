"""Where a path written in a script points, seen from the machine that reads the script."""

from __future__ import annotations

import posixpath
import re

WINDOWS_ABSOLUTE = re.compile(r"^(?:[A-Za-z]:[\\/]|\\\\|//)")


def is_absolute(path: str) -> bool:
    return path.startswith("/") or bool(WINDOWS_ABSOLUTE.match(path))


def resolve(path: str, base: str) -> str:
    """`path` as an absolute path: a relative one is taken from `base` (a folder). A Windows path
    is kept as written (it names another machine's disk; it matches nothing here)."""
    if WINDOWS_ABSOLUTE.match(path):
        return path
    if not path.startswith("/"):
        path = posixpath.join(base, path)
    return posixpath.normpath(path)
