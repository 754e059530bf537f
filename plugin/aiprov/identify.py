"""Content ids and stat signatures.

The content id is xxh3-128 of the file's bytes, streamed: the hash ASC MHL
calls xxh128 and that set and delivery tools already record, so an id in the
ledger can be checked against a camera-card or delivery manifest. A copy has
the same id wherever it lives; that is how a renamed file keeps its history.

Speed: xxh3 runs at memory speed (10+ GB/s a core), so hashing a multi-GB
clip costs what reading it costs. Each block is read into one reused buffer
(a fresh 4 MB bytes object per read is a page-faulted allocation and a free
per block), and the kernel is told the file is read straight through, so it
reads ahead further on a cold disk. A second thread reading the next blocks
while this one hashes (xxhash lets go of the GIL while it hashes) was faster
from the page cache (124-136% of the plain loop, against 101-118%) but no
faster from a cold disk (0.86x cat in two runs, against 0.92x), measured with
bench/bench_hashing.py; larger blocks were slower (measured once, by hand).
A small file, read whole, is hashed in one call.
"""

from __future__ import annotations

import io
import os
from typing import BinaryIO

import xxhash

BLOCK = 4 * 1024 * 1024
EMPTY_CONTENT_ID = xxhash.xxh3_128(b"").hexdigest()


def _left_to_read(fh: BinaryIO) -> int | None:
    """Bytes from the handle's position to the end of its file, and the sequential-read hint given; None if
    the handle is not a file (the size is then unknown)."""
    try:
        fd = fh.fileno()
        size = os.fstat(fd).st_size
        where = fh.tell()
    except (AttributeError, OSError, io.UnsupportedOperation):
        return None
    if size - where > BLOCK and hasattr(os, "posix_fadvise"):
        try:
            os.posix_fadvise(fd, where, 0, os.POSIX_FADV_SEQUENTIAL)
        except OSError:  # a hint only: some file systems refuse it
            pass
    return size - where


def content_id_of_stream(fh: BinaryIO) -> str:
    """xxh3-128 of everything from the handle's position to the end of the file."""
    left = _left_to_read(fh)
    h = xxhash.xxh3_128()
    if left is not None and left < BLOCK:
        # One read, of at most a block more than the stat said: a file that grew since the stat is
        # hashed as it is now, streaming on past the block, never read whole into memory.
        first = fh.read(BLOCK)
        more = fh.read(BLOCK) if first else b""  # b"" at the end (a short read alone does not say so)
        if not more:
            return xxhash.xxh3_128(first).hexdigest()
        h.update(first)
        h.update(more)
    block = memoryview(bytearray(BLOCK))
    readinto = fh.readinto
    while True:
        n = readinto(block)
        if not n:
            return h.hexdigest()
        h.update(block[:n])


def content_id(path: str | bytes) -> str:
    with open(path, "rb", buffering=0) as fh:
        return content_id_of_stream(fh)
