"""JPEG: the marker segments before the first scan, where all metadata lives.

APP1 carries EXIF and XMP (and Extended XMP split over several segments),
APP11 carries C2PA as JUMBF, COM carries free text. After SOS comes entropy-
coded data; the walk stops there and only checks that the file still ends
with EOI, which is how a truncated render or copy shows itself. A scan with
no frame header (SOFn) before it cannot be decoded.
"""

from __future__ import annotations

import struct

from . import Metadata, Reader

XMP_ID = b"http://ns.adobe.com/xap/1.0/\x00"
XMP_EXT_ID = b"http://ns.adobe.com/xmp/extension/\x00"
EXIF_ID = b"Exif\x00\x00"
PHOTOSHOP_ID = b"Photoshop 3.0\x00"
STANDALONE = {0x01, *range(0xD0, 0xD8)}
# Start-of-frame markers (ITU T.81 B.1.1.3): C0-CF but DHT (C4), JPG (C8) and DAC (CC).
FRAME_HEADERS = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# IPTC-IIM datasets (record 2) that name a program or carry credit/caption text.
IIM_FIELDS = {65: "IPTC:OriginatingProgram", 110: "IPTC:Credit", 115: "IPTC:Source", 120: "IPTC:Caption-Abstract",
              80: "IPTC:By-line", 105: "IPTC:Headline"}


def read_photoshop_irb(data: bytes, meta: Metadata) -> None:
    """Photoshop image resources (APP13); resource 0x0404 holds legacy IPTC-IIM records."""
    pos = 0
    while pos + 12 <= len(data) and data[pos:pos + 4] == b"8BIM":
        rid = struct.unpack(">H", data[pos + 4:pos + 6])[0]
        name_len = data[pos + 6]
        pos += 6 + 1 + name_len + ((1 + name_len) & 1)  # Pascal string padded to even
        if pos + 4 > len(data):
            return
        size = struct.unpack(">I", data[pos:pos + 4])[0]
        body = data[pos + 4:pos + 4 + size]
        pos += 4 + size + (size & 1)
        if rid == 0x0404:
            _iim(body, meta)


def _iim(body: bytes, meta: Metadata) -> None:
    pos = 0
    while pos + 5 <= len(body) and body[pos] == 0x1C:
        record, dataset, size = body[pos + 1], body[pos + 2], struct.unpack(">H", body[pos + 3:pos + 5])[0]
        if size & 0x8000:  # extended length: not used by text fields
            return
        value = body[pos + 5:pos + 5 + size]
        pos += 5 + size
        if record == 2 and dataset in IIM_FIELDS:
            meta.add_text(IIM_FIELDS[dataset], value)


def sniff(head: bytes) -> bool:
    return head[:3] == b"\xff\xd8\xff"


def walk(r: Reader, meta: Metadata) -> None:
    from . import tiff

    meta.format, meta.media_type = "jpeg", "image/jpeg"
    r.skip(2)
    extended: dict[bytes, list[tuple[int, bytes]]] = {}
    framed = False
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
            if not framed:
                meta.problems.append("JPEG has image data but no frame header before it (corrupt)")
                return
            break
        framed = framed or code in FRAME_HEADERS
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
        elif code == 0xED and data.startswith(PHOTOSHOP_ID):
            read_photoshop_irb(data[len(PHOTOSHOP_ID):], meta)
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
