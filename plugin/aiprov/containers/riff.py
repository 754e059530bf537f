"""RIFF containers: WebP, WAV (with Broadcast WAV and iXML) and AVI.

Chunks are walked at the top level and inside LIST/INFO, where WAV keeps its
software and comment fields. C2PA lives in a `C2PA` chunk, XMP in `XMP ` (WebP)
or `_PMX` (WAV, AVI).
"""

from __future__ import annotations

import struct

from . import MAX_TEXT_BYTES, Metadata, Reader

FORMS = {b"WEBP": ("webp", "image/webp"), b"WAVE": ("wav", "audio/wav"), b"AVI ": ("avi", "video/x-msvideo")}
INFO_NAMES = {
    b"ISFT": "Software",
    b"ICMT": "Comment",
    b"INAM": "Title",
    b"IART": "Artist",
    b"ICOP": "Copyright",
    b"IENG": "Engineer",
    b"ISRC": "Source",
    b"ITCH": "Technician",
    b"IPRD": "Product",
}


def sniff(head: bytes) -> bool:
    return head[:4] == b"RIFF" and head[8:12] in FORMS


def _info_list(data: bytes, meta: Metadata) -> None:
    pos = 4  # after the list type "INFO"
    while pos + 8 <= len(data):
        cid, size = struct.unpack("<4sI", data[pos : pos + 8])
        value = data[pos + 8 : pos + 8 + size]
        if cid in INFO_NAMES:
            meta.add_text("RIFF-INFO:" + INFO_NAMES[cid], value)
        pos += 8 + size + (size & 1)


def _bext(data: bytes, meta: Metadata) -> None:
    # EBU Tech 3285: Description[256] Originator[32] OriginatorReference[32] ...: fixed-size
    # fields, NUL-terminated when shorter; what follows the NUL is not part of the value.
    meta.add_text("BWF:Description", data[:256].split(b"\x00", 1)[0])
    meta.add_text("BWF:Originator", data[256:288].split(b"\x00", 1)[0])
    meta.add_text("BWF:OriginatorReference", data[288:320].split(b"\x00", 1)[0])
    if len(data) > 602:
        meta.add_text("BWF:CodingHistory", data[602:])


def walk(r: Reader, meta: Metadata) -> None:
    head = r.read_exact(12)
    meta.format, meta.media_type = FORMS[head[8:12]]
    (riff_size,) = struct.unpack("<I", head[4:8])
    if riff_size + 8 > r.size:
        meta.problems.append(f"RIFF header says {riff_size + 8} bytes but the file has {r.size} (truncated)")
    unread = False
    while r.remaining() >= 8:
        cid, size = struct.unpack("<4sI", r.read_exact(8))
        if size > r.remaining():
            meta.problems.append(
                f"RIFF chunk {cid.decode('latin-1')!r} at byte {r.tell() - 8} claims {size} bytes "
                f"but only {r.remaining()} remain (truncated or corrupt)"
            )
            return
        wanted = cid in (b"LIST", b"bext", b"iXML", b"XMP ", b"_PMX", b"EXIF") and size <= MAX_TEXT_BYTES
        if cid in (b"C2PA", b"c2pa"):
            meta.c2pa = True
        if cid in (b"id3 ", b"ID3 "):
            unread = True  # ID3 tags in a WAV (taggers, download services): exiftool reads them
        if wanted:
            data = r.read_exact(size)
            if cid == b"LIST" and data[:4] == b"INFO":
                _info_list(data, meta)
            elif cid == b"bext":
                _bext(data, meta)
            elif cid == b"iXML":
                meta.add_text("iXML", data)
            elif cid in (b"XMP ", b"_PMX"):
                meta.xmp.append(data)
            elif cid == b"EXIF":
                from . import tiff

                tiff.read_exif_blob(data, meta)
        else:
            r.skip(size)
        r.skip(size & 1)
    meta.complete = not unread
