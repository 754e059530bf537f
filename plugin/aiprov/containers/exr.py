"""OpenEXR: the header's string attributes.

EXR has no agreed place for C2PA (AcademySoftwareFoundation/openexr#1497), so
the header's own attributes, sidecars and the ledger carry provenance for
VFX plates and renders. Every `string` and `stringvector` attribute is kept
as text (owner, comments, software, and whatever a pipeline adds).
"""

from __future__ import annotations

import struct

from . import Metadata, Reader

MAGIC = b"\x76\x2f\x31\x01"
MAX_HEADER = 16 * 1024 * 1024
MULTIPART = 0x1000


def sniff(head: bytes) -> bool:
    return head[:4] == MAGIC


def _cstring(buf: bytes, pos: int) -> tuple[str, int] | None:
    end = buf.find(b"\x00", pos, pos + 256)
    if end < 0:
        return None
    return buf[pos:end].decode("latin-1"), end + 1


def walk(r: Reader, meta: Metadata) -> None:
    meta.format, meta.media_type = "exr", "image/x-exr"
    buf = r.read(MAX_HEADER)
    (version,) = struct.unpack("<I", buf[4:8]) if len(buf) >= 8 else (0,)
    parts = 64 if version & MULTIPART else 1
    pos = 8
    for _ in range(parts):
        while True:
            name = _cstring(buf, pos)
            if name is None:
                meta.problems.append("EXR header is cut off or corrupt")
                return
            attr, pos = name
            if not attr:
                break
            typ = _cstring(buf, pos)
            if typ is None or typ[1] + 4 > len(buf):
                meta.problems.append(f"EXR attribute {attr!r} is cut off (truncated)")
                return
            atype, pos = typ
            (size,) = struct.unpack("<i", buf[pos : pos + 4])
            pos += 4
            if size < 0 or pos + size > len(buf):
                meta.problems.append(f"EXR attribute {attr!r} claims {size} bytes past the end of the header")
                return
            value = buf[pos : pos + size]
            pos += size
            if atype == "string":
                meta.add_text("EXR:" + attr, value)
            elif atype == "stringvector":
                items, p = [], 0
                while p + 4 <= len(value):
                    (n,) = struct.unpack("<i", value[p : p + 4])
                    items.append(value[p + 4 : p + 4 + max(0, n)].decode("latin-1"))
                    p += 4 + max(0, n)
                meta.add_text("EXR:" + attr, "\n".join(items))
            elif atype == "box2i" and attr == "dataWindow" and size == 16:
                x0, y0, x1, y1 = struct.unpack("<4i", value)
                meta.width, meta.height = x1 - x0 + 1, y1 - y0 + 1
        if parts == 1 or pos >= len(buf) or buf[pos : pos + 1] == b"\x00":
            break
    meta.complete = True
