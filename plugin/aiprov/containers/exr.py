"""OpenEXR: the header's string attributes, and the offset table that follows.

EXR has no agreed place for C2PA (AcademySoftwareFoundation/openexr#1497), so
the header's own attributes, sidecars and the ledger carry provenance for
VFX plates and renders. Every `string` and `stringvector` attribute is kept
as text (owner, comments, software, and whatever a pipeline adds).

A valid EXR has the magic number, version 2, and in each part's header the
attributes every reader needs (channels, compression, the windows, ...).
For a single-part scanline image the line offset table after the header is
checked too: an interrupted render leaves zeros in it (OpenEXR's writers
fill it in last), and a cut-off copy has offsets, or a last chunk, past the
end of the file.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from . import Metadata, Reader

MAGIC = b"\x76\x2f\x31\x01"
MAX_HEADER = 16 * 1024 * 1024
FIRST_READ = 64 * 1024  # headers are a few KB; a pipeline's long attributes get a second read
TILED, NON_IMAGE, MULTIPART = 0x200, 0x800, 0x1000
REQUIRED = ("channels", "compression", "dataWindow", "displayWindow", "lineOrder", "pixelAspectRatio",
            "screenWindowCenter", "screenWindowWidth")
# Scanlines per chunk by compression (openexr ImfCompression.h): NONE, RLE, ZIPS, ZIP, PIZ, PXR24, B44, B44A,
# DWAA, DWAB.
LINES_PER_CHUNK = (1, 1, 1, 16, 32, 16, 32, 32, 32, 256)
MAX_CHUNKS = 1 << 20  # an 8 MB offset table: beyond any real frame, so not read


@dataclass
class Header:
    """What the header says, or why it cannot be read; `cut` when the buffer ran out first."""

    problem: str | None = None
    cut: bool = False
    end: int = 0
    text: list[tuple[str, bytes | str]] = field(default_factory=list)
    window: tuple[int, int, int, int] | None = None
    compression: int | None = None


def sniff(head: bytes) -> bool:
    return head[:4] == MAGIC


def _cstring(buf: bytes, pos: int) -> tuple[str, int] | None:
    end = buf.find(b"\x00", pos, pos + 256)
    if end < 0:
        return None
    return buf[pos:end].decode("latin-1"), end + 1


def _parse(buf: bytes, parts: int) -> Header:
    h = Header()
    pos = 8
    for _ in range(parts):
        names = set()
        while True:
            name = _cstring(buf, pos)
            if name is None:
                return Header(problem="EXR header is cut off or corrupt", cut=True)
            attr, pos = name
            if not attr:
                break
            typ = _cstring(buf, pos)
            if typ is None or typ[1] + 4 > len(buf):
                return Header(problem=f"EXR attribute {attr!r} is cut off (truncated)", cut=True)
            atype, pos = typ
            (size,) = struct.unpack("<i", buf[pos : pos + 4])
            pos += 4
            if size < 0 or pos + size > len(buf):
                return Header(problem=f"EXR attribute {attr!r} claims {size} bytes past the end of the header",
                              cut=size >= 0)
            value = buf[pos : pos + size]
            pos += size
            names.add(attr)
            if atype == "string":
                h.text.append(("EXR:" + attr, value))
            elif atype == "stringvector":
                items, p = [], 0
                while p + 4 <= len(value):
                    (n,) = struct.unpack("<i", value[p : p + 4])
                    items.append(value[p + 4 : p + 4 + max(0, n)].decode("latin-1"))
                    p += 4 + max(0, n)
                h.text.append(("EXR:" + attr, "\n".join(items)))
            elif atype == "box2i" and attr == "dataWindow" and size == 16:
                h.window = struct.unpack("<4i", value)
            elif atype == "compression" and size == 1:
                h.compression = value[0]
        missing = [a for a in REQUIRED if a not in names]
        if missing:
            return Header(problem=f"EXR header lacks the required attribute(s) {', '.join(missing)} (corrupt)")
        if parts == 1 or pos >= len(buf) or buf[pos : pos + 1] == b"\x00":
            break
    h.end = pos + (1 if parts > 1 else 0)  # a multi-part header list ends with an empty header
    return h


def _offset_table_problem(r: Reader, buf: bytes, h: Header) -> str | None:
    """For a single-part scanline image: every chunk offset must point inside the file."""
    x0, y0, x1, y1 = h.window
    if h.compression is None or h.compression >= len(LINES_PER_CHUNK) or x1 < x0 or y1 < y0:
        return None
    chunks = -(-(y1 - y0 + 1) // LINES_PER_CHUNK[h.compression])
    if chunks > MAX_CHUNKS:
        return None
    table_end = h.end + 8 * chunks
    if table_end > r.size:
        return "EXR is cut off inside its offset table (truncated)"
    if table_end <= len(buf):
        table = buf[h.end : table_end]
    else:
        r.seek(h.end)
        table = r.read(8 * chunks)
    offsets = struct.unpack(f"<{chunks}Q", table)
    last = max(offsets)
    if 0 in offsets:
        return "EXR offset table is incomplete: the render or copy was interrupted (truncated)"
    if min(offsets) < table_end or last + 8 > r.size:
        return f"EXR offset table points past the end of the file ({last} of {r.size} bytes): truncated"
    r.seek(last)
    _y, size = struct.unpack("<ii", r.read(8))
    if size < 0 or last + 8 + size > r.size:
        return "EXR last chunk of pixels is cut off (truncated)"
    return None


def walk(r: Reader, meta: Metadata) -> None:
    meta.format, meta.media_type = "exr", "image/x-exr"
    buf = r.read(FIRST_READ)
    (version,) = struct.unpack("<I", buf[4:8]) if len(buf) >= 8 else (0,)
    if version & 0xFF != 2:
        meta.problems.append(f"EXR version is {version & 0xFF}, not 2 (corrupt, or not OpenEXR)")
        return
    parts = 64 if version & MULTIPART else 1
    h = _parse(buf, parts)
    if h.cut and len(buf) == FIRST_READ:
        buf += r.read(MAX_HEADER - FIRST_READ)
        h = _parse(buf, parts)
    if h.problem:
        meta.problems.append(h.problem)
        return
    for name, value in h.text:
        meta.add_text(name, value)
    if h.window:
        x0, y0, x1, y1 = h.window
        meta.width, meta.height = x1 - x0 + 1, y1 - y0 + 1
    meta.complete = True
    if parts == 1 and not version & (TILED | NON_IMAGE) and h.window:
        problem = _offset_table_problem(r, buf, h)
        if problem:
            meta.problems.append(problem)
