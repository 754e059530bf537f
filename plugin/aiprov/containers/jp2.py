"""JPEG 2000 (JP2/JPX files, ISO/IEC 15444-1 Annex I): the box structure and the codestream's ends.

A JP2 file is boxes, like ISO BMFF: the signature box, a file type box,
the header superbox (jp2h), then the contiguous codestream (jp2c), which
starts with the SOC and SIZ markers and ends with EOC. A codestream
without its EOC is a cut-off file. XMP (in a uuid box) is left to exiftool.
"""

from __future__ import annotations

import struct

from . import Metadata, Reader

SIGNATURE = b"\x00\x00\x00\x0cjP  \r\n\x87\n"
MAX_BOXES = 10_000


def sniff(head: bytes) -> bool:
    return head[:8] == SIGNATURE[:8]


def walk(r: Reader, meta: Metadata) -> None:
    meta.format, meta.media_type = "jp2", "image/jp2"
    if r.read(12) != SIGNATURE:
        meta.problems.append("JPEG 2000 signature box is damaged (corrupt)")
        return
    seen: list[bytes] = []
    codestream = None
    for _ in range(MAX_BOXES):
        start = r.tell()
        if start + 8 > r.size:
            break
        size, btype = struct.unpack(">I4s", r.read_exact(8))
        header = 8
        if size == 1:
            big = r.read_exact(8)
            size, header = (struct.unpack(">Q", big)[0] if big else 0), 16
        elif size == 0:
            size = r.size - start
        if size < header or start + size > r.size:
            meta.problems.append(f"JPEG 2000 box {btype.decode('latin-1')!r} at byte {start} claims {size} bytes "
                                 f"but only {r.size - start} remain (truncated or corrupt)")
            return
        seen.append(btype)
        if btype == b"jp2c" and codestream is None:
            codestream = (start + header, start + size)
        r.seek(start + size)
    if seen[:1] != [b"ftyp"]:
        meta.problems.append("JPEG 2000 has no file type box after its signature (corrupt)")
    elif b"jp2h" not in seen:
        meta.problems.append("JPEG 2000 has no header box (jp2h), so its image cannot be decoded (corrupt)")
    elif codestream is None:
        if b"ftbl" not in seen:  # JPX may keep its codestream in fragments elsewhere
            meta.problems.append("JPEG 2000 has no codestream box (jp2c): no image data (truncated?)")
    else:
        begin, end = codestream
        r.seek(begin)
        soc = r.read(4)
        r.seek(max(begin, end - 2))
        if soc != b"\xff\x4f\xff\x51":
            meta.problems.append("JPEG 2000 codestream does not start with its SOC and SIZ markers (corrupt)")
        elif r.read(2) != b"\xff\xd9":
            meta.problems.append("JPEG 2000 codestream is cut off: no end-of-codestream marker (truncated)")
