"""Native header walkers: the fast path that keeps exiftool off most files.

Each format module walks its container's structure (chunks, segments, boxes,
IFDs, header attributes) reading only metadata and seeking over pixel and
sample data, and fills a `Metadata`. Spawning exiftool costs ~2 ms a file even
with -stay_open; walking a PNG's chunks costs ~20 us. When a walker knows the
whole metadata layout of its format it sets `complete`, and the slower readers
are skipped unless something in the file asks for them (a C2PA store, say).

The walkers never trust a length field: every size is checked against what is
left of the file, and damage is recorded in `problems` instead of raised, so a
hostile file becomes a reason, not a traceback.
"""

from __future__ import annotations

import functools
import io
import os
from dataclasses import dataclass, field
from typing import BinaryIO, Callable

# Text values larger than this are cut: a ComfyUI workflow runs to a few MB,
# a hostile chunk can claim 4 GB.
MAX_TEXT_BYTES = 32 * 1024 * 1024


@dataclass
class Metadata:
    """What a container walk found, before anything is interpreted."""

    format: str = "unknown"  # png, jpeg, webp, wav, avi, tiff, bmff, exr, dpx, mp3, ... (claims.WORDS)
    media_type: str | None = None
    text: list[tuple[str, str]] = field(default_factory=list)  # (field, value), e.g. ("tEXt:parameters", "...")
    xmp: list[bytes] = field(default_factory=list)
    c2pa: bool = False  # a C2PA (JUMBF) store was seen
    complete: bool = False  # the walker understood all metadata places of this format
    problems: list[str] = field(default_factory=list)  # structural damage, in words
    width: int | None = None
    height: int | None = None
    has_alpha: bool | None = None
    # Where a PNG keeps its pixels (png.walk), so the stealth probe can inflate the first rows
    # instead of decoding the whole image: (offset of the chunk data, length) of the first IDATs.
    png_idat: list[tuple[int, int]] = field(default_factory=list)
    # The IDATs form one run and every chunk after them is one Pillow reads without complaint
    # (so decoding the whole image could only fail in the pixel data itself).
    png_plain_tail: bool = False
    # Every chunk before the image data is one Pillow opens without complaint, with its CRC right
    # (png.QUIET_HEAD): opening the file in Pillow could not fail.
    png_plain_head: bool = False
    # A PNG's IHDR: 8-bit and not interlaced lets the stealth probe read the first rows itself.
    png_depth: int = 0
    png_color_type: int = -1
    png_interlaced: bool = False
    # The first bytes of a file no walker recognised, so the report can say what it is instead.
    head: bytes = b""

    def add_text(self, name: str, value: bytes | str) -> None:
        if isinstance(value, bytes):
            value = decode_text(value)
        value = value.strip("\x00 \r\n\t")
        if value:
            self.text.append((name, value))


def decode_text(raw: bytes) -> str:
    """Metadata text is UTF-8 by the newer specs and Latin-1 by the older ones."""
    raw = raw.rstrip(b"\x00")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


class Reader:
    """Bounded reads on a file: never reads past the end, never trusts a size."""

    def __init__(self, fh: BinaryIO, size: int):
        self.fh = fh
        self.size = size

    def tell(self) -> int:
        return self.fh.tell()

    def remaining(self) -> int:
        return self.size - self.fh.tell()

    def read(self, n: int) -> bytes:
        return self.fh.read(max(0, min(n, self.remaining())))

    def read_exact(self, n: int) -> bytes | None:
        """n bytes, or None when the file ends first (a truncation)."""
        if n < 0 or n > self.remaining():
            return None
        data = self.fh.read(n)
        return data if len(data) == n else None

    def seek(self, pos: int) -> None:
        self.fh.seek(pos)

    def skip(self, n: int) -> bool:
        if n < 0 or n > self.remaining():
            return False
        self.fh.seek(n, os.SEEK_CUR)
        return True


def reader_for_bytes(data: bytes) -> Reader:
    return Reader(io.BytesIO(data), len(data))


@functools.cache
def _sniffers() -> tuple[tuple[Callable[[bytes], bool], Callable[[Reader, Metadata], None]], ...]:
    from . import (bmff, bmp, dpx, ebml, exr, flac, gif, iff, jp2, jpeg, mpeg_audio, mpeg_stream, mxf, ogg, other,
                   png, riff, tiff)

    return (
        (png.sniff, png.walk),
        (jpeg.sniff, jpeg.walk),
        (riff.sniff, riff.walk),
        (tiff.sniff, tiff.walk),
        (bmff.sniff, bmff.walk),
        (exr.sniff, exr.walk),
        (dpx.sniff, dpx.walk),
        (mpeg_audio.sniff, mpeg_audio.walk),
        (gif.sniff, gif.walk),
        (ebml.sniff, ebml.walk),
        (mxf.sniff, mxf.walk),
        (flac.sniff, flac.walk),
        (ogg.sniff, ogg.walk),
        (iff.sniff, iff.walk),
        (jp2.sniff, jp2.walk),
        (bmp.sniff, bmp.walk),
        (mpeg_stream.sniff, mpeg_stream.walk),
        (other.sniff, other.walk),
    )


# Enough for an MPEG transport stream's sync byte in its first three 192-byte packets;
# the file object reads ahead a whole buffer anyway, so this costs nothing over 64.
HEAD_BYTES = 512


def walk(fh: BinaryIO, size: int) -> Metadata:
    """Identify the format from its first bytes (not its name) and walk it."""
    head = fh.read(HEAD_BYTES)
    fh.seek(0)
    meta = Metadata()
    for sniff, walker in _sniffers():
        if sniff(head):
            walker(Reader(fh, size), meta)
            break
    else:
        meta.head = head
    return meta


def walk_path(fspath: bytes | str) -> Metadata:
    """Walk a file by name, for callers that only need its format or media type."""
    with open(fspath, "rb") as fh:
        return walk(fh, os.fstat(fh.fileno()).st_size)
