"""RIFF containers: WebP, WAV (with Broadcast WAV, iXML and RF64) and AVI.

Chunks are walked at the top level and inside LIST/INFO, where WAV keeps its
software and comment fields. C2PA lives in a `C2PA` chunk, XMP in `XMP ` (WebP)
or `_PMX` (WAV, AVI).

Each form has chunks it cannot do without: a WAV its `fmt ` and `data`, a WebP
its bitstream chunk first, an AVI its `hdrl` list first and a `movi` list. RF64
and BW64 (EBU Tech 3306, ITU-R BS.2088: WAVs over 4 GB) put 0xFFFFFFFF in the
32-bit sizes and the real ones in a `ds64` chunk.
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


WIDE = (b"RF64", b"BW64")
WIDE_SIZE = 0xFFFFFFFF
WEBP_FIRST = (b"VP8 ", b"VP8L", b"VP8X")


def sniff(head: bytes) -> bool:
    return head[:4] == b"RIFF" and head[8:12] in FORMS or head[:4] in WIDE and head[8:12] == b"WAVE"


def _missing(form: bytes, chunks: list[bytes]) -> str | None:
    """What the form needs and this file lacks, in words."""
    if form == b"WAVE":
        gone = [c.decode() for c in (b"fmt ", b"data") if c not in chunks]
        if gone:
            return f"WAV has no {' or '.join(repr(c) for c in gone)} chunk, so its audio cannot be decoded"
    elif form == b"WEBP":
        if not chunks or chunks[0] not in WEBP_FIRST:
            return "WebP does not start with an image chunk (VP8, VP8L or VP8X)"
    elif form == b"AVI ":
        if chunks[:1] != [b"LIST:hdrl"] or b"LIST:movi" not in chunks:
            return "AVI lacks its header list (hdrl) or its movie data list (movi)"
    return None


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
    form = head[8:12]
    meta.format, meta.media_type = FORMS[form]
    (riff_size,) = struct.unpack("<I", head[4:8])
    wide = head[:4] in WIDE
    data_size = None  # RF64: the data chunk's real size, from ds64
    if wide:
        ds64 = r.read_exact(8 + 24)
        if ds64 is None or ds64[:4] != b"ds64":
            meta.problems.append(f"{head[:4].decode()} WAV has no ds64 chunk where its 64-bit sizes belong (corrupt)")
            return
        riff64, data_size = struct.unpack("<QQ", ds64[8:24])
        riff_size = riff64 if riff_size == WIDE_SIZE else riff_size
        r.seek(12)
    if riff_size + 8 > r.size:
        meta.problems.append(f"RIFF header says {riff_size + 8} bytes but the file has {r.size} (truncated)")
    unread = False
    chunks: list[bytes] = []
    while r.remaining() >= 8:
        cid, size = struct.unpack("<4sI", r.read_exact(8))
        if wide and cid == b"data" and size == WIDE_SIZE:
            size = data_size
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
        if cid == b"LIST" and size >= 4:
            kind = r.read_exact(4)
            chunks.append(b"LIST:" + kind)
            r.seek(r.tell() - 4)
        else:
            chunks.append(cid)
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
    missing = _missing(form, chunks)
    if missing:
        meta.problems.append(missing + " (truncated or corrupt)")
        return
    meta.complete = not unread
