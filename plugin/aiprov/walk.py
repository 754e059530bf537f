"""Finding the files under the paths a user gives, the way post storage needs.

Paths are bytes end to end (names from other systems are not always UTF-8).
Directory symlinks are not followed (no loops, no escaping the tree); a
symlink to a file is read like the file. A folder that cannot be listed is
reported, never skipped in silence: in a finals zone that is a finding.
"""

from __future__ import annotations

import fnmatch
import functools
import os
import re
from dataclasses import dataclass
from typing import Iterable, Iterator

# Files that editing tools and OSes leave beside media; never assets.
DEFAULT_IGNORE = (".~lock.*", "._*", "*.tmp", ".DS_Store", "Thumbs.db", "desktop.ini", "*.xmp", "*.XMP",
                  ".aiprov", "aiprov.toml", "*.part", "*.crdownload", "*.QUARANTINED.txt",
                  ".*.aiprov-tmp-*")


@dataclass(frozen=True)
class WalkEntry:
    fspath: bytes
    error: str | None = None  # set when this entry could not be listed or read


@functools.lru_cache(maxsize=32)
def _ignore_regex(patterns: tuple[str, ...]) -> re.Pattern:
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns) or r"(?!)")


def ignored(name: bytes, patterns: Iterable[str]) -> bool:
    return _ignore_regex(tuple(patterns)).match(os.fsdecode(name)) is not None


def iter_files(paths: Iterable[str | bytes], ignore: Iterable[str] = DEFAULT_IGNORE) -> Iterator[WalkEntry]:
    ignore = tuple(ignore)
    for top in paths:
        top = os.fsencode(top)
        if os.path.isdir(top) and not os.path.islink(top):
            yield from _walk_dir(top, ignore)
        else:
            yield WalkEntry(top)


def _walk_dir(top: bytes, ignore: tuple[str, ...]) -> Iterator[WalkEntry]:
    stack = [top]
    while stack:
        d = stack.pop()
        try:
            with os.scandir(d) as it:
                entries = sorted(it, key=lambda e: e.name)
        except PermissionError:
            yield WalkEntry(d, "permission denied: this folder cannot be listed, so its files were not checked")
            continue
        except OSError as exc:
            yield WalkEntry(d, f"this folder cannot be listed: {exc.strerror}")
            continue
        subdirs = []
        for e in entries:
            if ignored(e.name, ignore):
                continue
            try:
                if e.is_dir(follow_symlinks=False):
                    subdirs.append(e.path)
                    continue
            except OSError:
                pass
            yield WalkEntry(e.path)
        stack.extend(reversed(subdirs))
