"""JPEG: the marker segments before the first scan, where all metadata lives.

APP1 carries EXIF and XMP (and Extended XMP split over several segments),
APP11 carries C2PA as JUMBF, COM carries free text. After SOS comes entropy-
coded data; the walk stops there and only checks that the file still ends
with EOI, which is how a truncated render or copy shows itself.
"""

from __future__ import annotations

import struct

from . import Metadata, Reader

XMP_ID = b"http://ns.adobe.com/xap/1.0/\x00"
XMP_EXT_ID = b"http://ns.adobe.com/xmp/extension/\x00"
EXIF_ID = b"Exif\x00\x00"
STANDALONE = {0x01, *range(0xD0, 0xD8)}


def sniff(head: bytes) -> bool:
    return head[:3] == b"\xff\xd8\xff"


def walk(r: Reader, meta: Metadata) -> None:
    from . import tiff

    meta.format, meta.media_type = "jpeg", "image/jpeg"
    r.skip(2)
    extended: dict[bytes, list[tuple[int, bytes]]] = {}
    while True:
        marker = r.read_exact(2)
        if marker is None:
            meta.problems.append("JPEG ends inside its header segments (truncated)")
            return
        if marker[0] != 0xFF:
            meta.problems.append(f"JPEG segment marker expected at byte {r.tell() - 2}, found garbage")
            return
        code = marker[1]
        if code == 0xFF:  # fill byte
            r.seek(r.tell() - 1)
            continue
        if code in STANDALONE:
            continue
        if code == 0xD9:
            meta.problems.append("JPEG has no image data (end-of-image before any scan)")
            return
        raw_len = r.read_exact(2)
        if raw_len is None:
            meta.problems.append("JPEG ends inside a segment header (truncated)")
            return
        (length,) = struct.unpack(">H", raw_len)
        if length < 2 or length - 2 > r.remaining():
            meta.problems.append(
                f"JPEG segment 0xFF{code:02X} at byte {r.tell() - 4} claims {length} bytes "
                f"but only {r.remaining()} remain (truncated or corrupt)"
            )
            return
        if code == 0xDA:  # start of scan: metadata is over
            break
        data = r.read_exact(length - 2)
        if code == 0xE1:
            if data.startswith(EXIF_ID):
                tiff.read_exif_blob(data[len(EXIF_ID):], meta)
            elif data.startswith(XMP_ID):
                meta.xmp.append(data[len(XMP_ID):])
            elif data.startswith(XMP_EXT_ID) and len(data) >= len(XMP_EXT_ID) + 40:
                body = data[len(XMP_EXT_ID):]
                guid, offset = body[:32], struct.unpack(">I", body[36:40])[0]
                extended.setdefault(guid, []).append((offset, body[40:]))
        elif code == 0xEB and data[:2] == b"JP":
            meta.c2pa = True
        elif code == 0xFE:
            meta.add_text("JPEG:Comment", data)
    for parts in extended.values():
        meta.xmp.append(b"".join(p for _, p in sorted(parts)))
    meta.complete = True
    # A complete JPEG ends with EOI; some writers pad a few bytes after it.
    scan_at = r.tell()
    r.seek(max(scan_at, r.size - 64))
    if b"\xff\xd9" in r.read(64):
        return
    # Data after the image (a motion photo's video, a phone maker's trailer) hides the EOI from
    # the tail check; only a scan that never reaches EOI is cut off. 0xFFD9 cannot occur inside
    # entropy-coded data (0xFF there is always stuffed or a restart marker).
    r.seek(scan_at)
    carry = b""
    while True:
        block = r.read(1 << 20)
        if not block:
            break
        if b"\xff\xd9" in carry + block:
            return
        carry = block[-1:]
    meta.problems.append("JPEG image data is cut off: no end-of-image marker (truncated)")
