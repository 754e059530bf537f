"""Finding the files under the paths a user gives, the way post storage needs.

Paths are bytes end to end (names from other systems are not always UTF-8).
A folder given on the command line is walked even when it is a link to a
folder (NAS mounts often are). Inside the tree, links to folders are not
followed (no loops, no escaping the tree) and a link to a file is read like
the file. Whatever cannot be checked is reported, never skipped in silence: a
folder that cannot be listed, a link to a folder, a broken or looping link.
In a finals zone each of those is a finding.
"""

from __future__ import annotations

import errno
import fnmatch
import functools
import operator
import os
import re
import stat
from dataclasses import dataclass
from typing import Iterable, Iterator

from .names import display_path

# Files that editing tools and OSes leave beside media; never assets.
DEFAULT_IGNORE = (".~lock.*", "._*", "*.tmp", ".DS_Store", "Thumbs.db", "desktop.ini", "*.xmp", "*.XMP",
                  ".aiprov", "aiprov.toml", "*.part", "*.crdownload", "*.QUARANTINED.txt",
                  ".*.aiprov-tmp-*")


@dataclass(frozen=True)
class WalkEntry:
    fspath: bytes
    error: str | None = None  # set when this entry could not be listed or read
    st: os.stat_result | None = None  # its stat, when the walk took it


@functools.lru_cache(maxsize=32)
def _ignore_regex(patterns: tuple[str, ...]) -> re.Pattern:
    # on bytes: a name is matched as it is on disk, with no decoding per file
    return re.compile(("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns) or r"(?!)").encode())


def ignored(name: bytes | str, patterns: Iterable[str]) -> bool:
    return _ignore_regex(tuple(patterns)).match(os.fsencode(name)) is not None


def iter_files(paths: Iterable[str | bytes], ignore: Iterable[str] = DEFAULT_IGNORE) -> Iterator[WalkEntry]:
    ignore = tuple(ignore)
    for top in paths:
        top = os.fsencode(top)
        if os.path.isdir(top):  # followed even when it is a link: the user named it
            yield from _walk_dir(top, ignore)
        else:
            yield entry_for(top)


def entry_for(fspath: bytes) -> WalkEntry:
    """One path as the walk reports it: a link is checked for where it leads (lstat first, so a
    plain file costs one call)."""
    try:
        if not stat.S_ISLNK(os.lstat(fspath).st_mode):
            return WalkEntry(fspath)
    except OSError:
        return WalkEntry(fspath)  # gone or unreadable: the reader says which
    return _link_entry(fspath)


def _link_entry(fspath: bytes) -> WalkEntry:
    try:
        shown = display_path(os.readlink(os.fsencode(fspath)))
    except OSError:
        shown = "?"
    try:
        st = os.stat(fspath)
    except FileNotFoundError:
        return WalkEntry(fspath, f"broken link to {shown}: the file it points to is not there, so nothing was "
                                 "checked. Replace the link with the file, or remove it")
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return WalkEntry(fspath, f"a link that loops back on itself (to {shown}): it leads to no file")
        return WalkEntry(fspath, f"a link to {shown} that cannot be followed: {exc.strerror}")
    if stat.S_ISDIR(st.st_mode):
        return WalkEntry(fspath, f"a link to a folder ({shown}), not followed inside the tree: its files were "
                                 "not checked. Scan that folder itself, or copy its files in")
    return WalkEntry(fspath, st=st)


def _scan(d: bytes, skip) -> tuple[list[os.DirEntry] | None, str | None]:
    """A folder's entries not ignored (`skip`: the ignore patterns' match), in no order, or why it
    cannot be listed."""
    try:
        with os.scandir(d) as it:
            return [e for e in it if skip(e.name) is None], None
    except PermissionError:
        return None, "permission denied: this folder cannot be listed, so its files were not checked"
    except OSError as exc:
        return None, f"this folder cannot be listed: {exc.strerror}"


def _listing(d: bytes, ignore: tuple[str, ...]) -> tuple[list[os.DirEntry] | None, str | None]:
    """A folder's entries in the order their full paths sort as bytes (a folder sorts as its name
    plus "/"): the order the ledger keeps paths in, so a walk can be merged with it."""
    entries, error = _scan(d, _ignore_regex(ignore).match)
    if error:
        return None, error

    def key(e: os.DirEntry) -> bytes:
        try:
            return e.name + b"/" if e.is_dir(follow_symlinks=False) else e.name
        except OSError:
            return e.name
    entries.sort(key=key)
    return entries, None


def _walk_dir(top: bytes, ignore: tuple[str, ...]) -> Iterator[WalkEntry]:
    """Every file below `top`, in path byte order, each with its stat (taken while walking, so a
    rescan compares it with the ledger without a second call)."""
    entries, error = _listing(top, ignore)
    if error:
        yield WalkEntry(top, error)
        return
    stack = [iter(entries)]
    while stack:
        e = next(stack[-1], None)
        if e is None:
            stack.pop()
            continue
        try:
            if e.is_dir(follow_symlinks=False):
                children, error = _listing(e.path, ignore)
                if error:
                    yield WalkEntry(e.path, error)
                else:
                    stack.append(iter(children))
                continue
            if e.is_symlink():  # from the folder listing: no extra call for plain files
                yield _link_entry(e.path)
                continue
            yield WalkEntry(e.path, st=e.stat())
        except OSError:
            yield WalkEntry(e.path)  # gone since the listing, or unreadable: the reader says which


@dataclass
class Folder:
    """One folder of a walk: its key (path and a final "/"), its files as (name, stat or None, error
    or None), or why it could not be listed."""

    key: bytes
    files: list[tuple[bytes, os.stat_result | None, str | None]]
    error: str | None = None


def iter_folders(top: bytes, ignore: Iterable[str] = DEFAULT_IGNORE) -> Iterator[Folder]:
    """The folders at and below `top`, each with its files' stats, in the order of their keys (the
    order the ledger keeps folders in). Links are checked as `iter_files` checks them.

    This is most of what an unchanged rescan costs, so it is kept lean: files sort by name (no
    key function per file), plain files are told apart from the folder listing with no extra call,
    and only the subfolders (few) sort as their keys do (name and "/")."""
    ignore = tuple(ignore)
    skip = _ignore_regex(ignore).match
    by_name = operator.attrgetter("name")
    top = os.fsencode(top).rstrip(b"/") or b"/"
    stack = [top]
    while stack:
        folder = stack.pop()
        key = folder.rstrip(b"/") + b"/"
        entries, error = _scan(folder, skip)
        if error:
            yield Folder(key, [], error)
            continue
        entries.sort(key=by_name)
        files, subfolders = [], []
        for e in entries:
            try:
                if e.is_file(follow_symlinks=False):
                    files.append((e.name, e.stat(), None))
                elif e.is_dir(follow_symlinks=False):
                    subfolders.append(e)
                elif e.is_symlink():
                    link = _link_entry(e.path)
                    files.append((e.name, link.st, link.error))
                else:  # a FIFO, socket or device: the reader says it is no media file
                    files.append((e.name, e.stat(), None))
            except OSError as exc:
                files.append((e.name, None, f"cannot be read: {exc.strerror}"))
        yield Folder(key, files)
        if subfolders:
            subfolders.sort(key=_folder_key)
            stack.extend(e.path for e in reversed(subfolders))


def _folder_key(e: os.DirEntry) -> bytes:
    return e.name + b"/"
