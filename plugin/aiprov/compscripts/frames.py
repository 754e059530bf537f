"""Frame sequences as comp scripts name them, and as files on disk are named.

A script names a sequence once ("plate.####.exr", "plate.%04d.exr", "$F4"); on disk
it is a thousand files. Both sides are reduced to one key, the path with its frame
number replaced by MARK, so a render of a thousand frames matches its script's
row by one indexed lookup per file, never by trying patterns. Padding is not part
of the key: Nuke writes frame 10000 of "####" with five digits.
"""

from __future__ import annotations

import re

MARK = "{#}"  # stands for the frame number in a key; no tool writes it in a file name
# Nuke's "####" and "%04d" (and "%d"), Houdini-style "$F4". "@@@@" is not read: real file
# names carry "@" ("shot@2x.png") more often than any tool uses it for frames.
FRAME_TOKEN = re.compile(r"#+|%0?\d*d|\$F\d*")
DIGITS = re.compile(r"\d+")
# Containers that hold every frame in one file: a render to one is one file, not a sequence.
MOVIE_EXTENSIONS = frozenset({"mov", "mp4", "m4v", "mxf", "avi", "mkv", "webm", "mpg", "mpeg", "wav", "aif", "aiff",
                              "gif", "r3d", "braw", "ari", "abc", "fbx", "usd", "usda", "usdc", "usdz", "obj"})
KEY_DIGIT_RUNS = 3  # a file's last three digit runs are tried as its frame number (shot010_v003.1001.exr)


def key_of(path: str) -> str | None:
    """The key of a path as a script names it: the path itself, or, for a sequence, the path
    with its frame token replaced by MARK. None when the frame token is in a folder name or
    appears twice (aiprov matches files, not folders)."""
    tokens = list(FRAME_TOKEN.finditer(path))
    if not tokens:
        return path
    if len(tokens) > 1 or "/" in path[tokens[0].end():]:
        return None
    t = tokens[0]
    return path[:t.start()] + MARK + path[t.end():]


def file_keys(path: str) -> list[str]:
    """Every key a file on disk may be recorded under in a script: its own path, and its path
    with each of its name's last digit runs taken for the frame number."""
    keys = [path]
    cut = path.rfind("/") + 1
    runs = list(DIGITS.finditer(path, cut))[-KEY_DIGIT_RUNS:]
    keys += [path[:m.start()] + MARK + path[m.end():] for m in runs]
    return keys


def split_key(key: str) -> tuple[str, str] | None:
    """(what comes before the frame number, what comes after), or None for a single file."""
    head, mark, tail = key.partition(MARK)
    return (head, tail) if mark else None


def frame_of(path: str, head: str, tail: str) -> int | None:
    """The frame number of a file of the sequence head + N + tail, or None when it is not one."""
    if len(path) <= len(head) + len(tail) or not path.startswith(head) or not path.endswith(tail):
        return None
    middle = path[len(head):len(path) - len(tail)]
    return int(middle) if middle.isdigit() else None


def is_movie(path: str) -> bool:
    return path.rsplit("/", 1)[-1].rpartition(".")[2].lower() in MOVIE_EXTENSIONS


def numbered(path: str) -> tuple[str, int] | None:
    """A file named as one frame of a sequence ("plate.1001.exr" -> (key, 1001)): the digits just
    before the extension. Fusion names a sequence by one of its frames this way."""
    cut = path.rfind("/") + 1
    stem, dot, ext = path[cut:].rpartition(".")
    if not dot:
        stem, ext = path[cut:], ""
    m = re.search(r"\d+$", stem)
    if not m:
        return None
    return path[:cut] + stem[:m.start()] + MARK + (dot + ext if dot else ""), int(m.group())


def with_mark_before_extension(path: str) -> str:
    """Where Fusion puts the frame number of a Saver named without one ("out.exr" -> "out0000.exr")."""
    cut = path.rfind("/") + 1
    stem, dot, ext = path[cut:].rpartition(".")
    if not dot:
        return path + MARK
    return path[:cut] + stem + MARK + dot + ext
