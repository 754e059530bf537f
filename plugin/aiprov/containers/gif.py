"""GIF: the header and screen descriptor, then the blocks up to the trailer.

A GIF is a run of blocks (extensions, images made of length-prefixed
sub-blocks) ended by a one-byte trailer, 0x3B. Writers put the trailer last,
so a file whose last byte is the trailer is taken as whole without walking
its image data; otherwise the blocks are walked to find where it breaks.
XMP and comments are left to exiftool.
"""

from __future__ import annotations

import struct

from . import Metadata, Reader

TRAILER, EXTENSION, IMAGE = 0x3B, 0x21, 0x2C
MAX_BLOCKS = 1_000_000


def sniff(head: bytes) -> bool:
    return head[:6] in (b"GIF87a", b"GIF89a")


def _table_size(packed: int) -> int:
    return 3 * (2 << (packed & 7)) if packed & 0x80 else 0


def _skip_sub_blocks(r: Reader) -> bool:
    while True:
        n = r.read(1)
        if not n:
            return False
        if n[0] == 0:
            return True
        if not r.skip(n[0]):
            return False


def _walk_blocks(r: Reader) -> str | None:
    """What is wrong with the block structure from here on, or None if it ends in a trailer."""
    for _ in range(MAX_BLOCKS):
        at = r.tell()
        intro = r.read(1)
        if not intro:
            return "GIF is cut off: it ends without its trailer (truncated)"
        if intro[0] == TRAILER:
            return None
        if intro[0] == EXTENSION:
            if not r.skip(1) or not _skip_sub_blocks(r):
                return f"GIF is cut off inside the extension block at byte {at} (truncated)"
        elif intro[0] == IMAGE:
            desc = r.read_exact(9)
            if desc is None or not r.skip(_table_size(desc[8]) + 1) or not _skip_sub_blocks(r):
                return f"GIF is cut off inside the image at byte {at} (truncated)"
        else:
            return f"GIF has a byte that starts no block (0x{intro[0]:02X}) at byte {at} (corrupt)"
    return "GIF has an implausible number of blocks"


def walk(r: Reader, meta: Metadata) -> None:
    meta.format, meta.media_type = "gif", "image/gif"
    header = r.read_exact(13)
    if header is None:
        meta.problems.append("GIF header is cut off (truncated)")
        return
    start = 13 + _table_size(header[10])
    if start >= r.size:
        meta.problems.append("GIF ends inside its colour table (truncated)")
        return
    r.seek(start)
    if r.read(1)[0] not in (TRAILER, EXTENSION, IMAGE):
        meta.problems.append("GIF has no block where its first image or extension should start (corrupt)")
        return
    meta.width, meta.height = struct.unpack("<HH", header[6:10])
    r.seek(r.size - 1)
    if r.read(1)[0] == TRAILER:
        return
    r.seek(start)
    problem = _walk_blocks(r)
    if problem:
        meta.problems.append(problem)
