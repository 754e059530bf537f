"""ISO BMFF: MP4, MOV, M4A, HEIC/AVIF box headers.

Top-level and moov/udta boxes are walked by their headers only (mdat is
seeked over, however large). C2PA and XMP sit in `uuid` boxes with known
UUIDs; QuickTime also keeps XMP in udta/XMP_. Item-based metadata (HEIC,
AVIF) and QuickTime keys/ilst are left to ffprobe and exiftool, so the walk is
never marked complete: a missing manifest here is not proof of a clean file.

A movie is only playable with its `moov` box (the sample tables), which most
writers add last: a recording or render that never finished has `mdat` and no
`moov`. A HEIF/AVIF still keeps its items in a top-level `meta` box instead.
"""

from __future__ import annotations

import struct

from . import MAX_TEXT_BYTES, Metadata, Reader

C2PA_UUID = bytes.fromhex("d8fec3d61b0e483c92975828877ec481")
XMP_UUID = bytes.fromhex("be7acfcb97a942e89c71999491e3afac")
CONTAINERS = {b"moov", b"udta", b"trak", b"meta"}
IMAGE_BRANDS = {b"heic": "image/heic", b"heix": "image/heic", b"mif1": "image/heif", b"msf1": "image/heif",
                b"avif": "image/avif", b"avis": "image/avif"}
MAX_BOXES = 100_000


# Boxes a file can start with: ISO BMFF's ftyp (and a segment's styp/sidx/moof), and what QuickTime
# files written before ftyp existed begin with.
FIRST_BOXES = {b"ftyp", b"styp", b"sidx", b"moof", b"moov", b"mdat", b"wide", b"free", b"skip", b"junk", b"pnot",
               b"uuid", b"PICT"}


def sniff(head: bytes) -> bool:
    return head[4:8] in FIRST_BOXES


def _walk_boxes(r: Reader, end: int, meta: Metadata, depth: int, budget: list[int], top: set[bytes]) -> None:
    while r.tell() + 8 <= end:
        budget[0] -= 1
        if budget[0] < 0:
            meta.problems.append("MP4/MOV has an implausible number of boxes")
            return
        start = r.tell()
        size, btype = struct.unpack(">I4s", r.read_exact(8))
        header = 8
        if size == 1:
            big = r.read_exact(8)
            if big is None:
                meta.problems.append("MP4/MOV box header is cut off (truncated)")
                return
            (size,) = struct.unpack(">Q", big)
            header = 16
        elif size == 0:
            size = end - start
        if size < header or start + size > end:
            meta.problems.append(
                f"MP4/MOV box {btype.decode('latin-1')!r} at byte {start} claims {size} bytes "
                f"but only {end - start} remain (truncated or corrupt)"
            )
            return
        body = size - header
        if depth == 0:
            top.add(btype)
        if btype == b"ftyp" and depth == 0:
            brand = r.read(4)
            meta.media_type = IMAGE_BRANDS.get(brand, "video/quicktime" if brand == b"qt  " else "video/mp4")
            if brand in (b"M4A ", b"M4B "):
                meta.media_type = "audio/mp4"
        elif btype == b"uuid" and body >= 16:
            uid = r.read_exact(16)
            if uid == C2PA_UUID:
                meta.c2pa = True
            elif uid == XMP_UUID and body - 16 <= MAX_TEXT_BYTES:
                meta.xmp.append(r.read_exact(body - 16))
        elif btype == b"XMP_" and body <= MAX_TEXT_BYTES:
            meta.xmp.append(r.read_exact(body))
        elif btype in CONTAINERS and depth < 4:
            if btype == b"meta":
                # ISO meta is a full box (4 bytes version/flags before its children);
                # QuickTime's starts straight with a child (hdlr).
                peek = r.read(8)
                r.seek(start + header + (4 if peek[4:8] != b"hdlr" else 0))
            _walk_boxes(r, start + size, meta, depth + 1, budget, top)
        r.seek(start + size)


def walk(r: Reader, meta: Metadata) -> None:
    meta.format, meta.media_type = "bmff", "video/mp4"
    top: set[bytes] = set()
    _walk_boxes(r, r.size, meta, 0, [MAX_BOXES], top)
    if meta.problems:
        return
    if (meta.media_type or "").startswith("image/"):
        if b"meta" not in top and b"moov" not in top:  # a still, or an image sequence (msf1, avis)
            meta.problems.append("HEIF/AVIF image has no 'meta' box, where its image items are described "
                                 "(truncated or corrupt)")
    elif b"moov" not in top:
        meta.problems.append("MP4/MOV has no 'moov' box, so it cannot be played: a recording or render that "
                             "never finished, or a cut-off copy")
    # Never complete: keys/ilst tags and HEIF items are read by ffprobe/exiftool.
