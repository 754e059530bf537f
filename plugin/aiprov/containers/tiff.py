"""TIFF and EXIF: one IFD reader for both, since EXIF *is* a TIFF structure.

Used for TIFF/DNG files and for the EXIF blobs inside JPEG, PNG (eXIf) and
WebP. Only the tags that can carry provenance are read; pixel strips are
never touched. Offsets are checked and IFD loops are broken.
"""

from __future__ import annotations

import struct

from . import MAX_TEXT_BYTES, Metadata, Reader, reader_for_bytes

# tag -> field name for the text-valued tags that say who or what made a file
TEXT_TAGS = {
    0x010D: "EXIF:DocumentName",  # ComfyUI's WebP saver counts down from Make (0x010F) for each extra key
    0x010E: "EXIF:ImageDescription",
    0x010F: "EXIF:Make",
    0x0110: "EXIF:Model",
    0x0131: "EXIF:Software",
    0x013B: "EXIF:Artist",
    0x8298: "EXIF:Copyright",
    0x9286: "EXIF:UserComment",
    0xA430: "EXIF:CameraOwnerName",
    0xA433: "EXIF:LensMake",
    0x9C9C: "EXIF:XPComment",  # Windows, UTF-16LE
    0x9C9D: "EXIF:XPAuthor",
}
XMP_TAG = 0x02BC
C2PA_TAG = 0xCD41
EXIF_IFD = 0x8769
SUB_IFDS = 0x014A
TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
MAX_IFDS = 64
MAX_ENTRIES = 4096
# Where the main image's pixels are: StripOffsets/StripByteCounts, TileOffsets/TileByteCounts.
EXTENT_PAIRS = ((0x0111, 0x0117), (0x0144, 0x0145))
EXTENT_TAGS = {t for pair in EXTENT_PAIRS for t in pair}
MAX_EXTENTS = 1 << 16  # more strips or tiles than this: not checked


def sniff(head: bytes) -> bool:
    return head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")  # classic TIFF, BigTIFF


def decode_user_comment(raw: bytes) -> str:
    """EXIF UserComment: an 8-byte charset header, then text.

    AUTOMATIC1111 writes "UNICODE\\0" then UTF-16 *big-endian* (piexif's
    default) while Windows tools write little-endian; guess by which byte of
    the first character is zero.
    """
    header, body = raw[:8], raw[8:]
    if header.startswith(b"UNICODE"):
        if len(body) >= 2 and body[0] == 0 and body[1] != 0:
            enc = "utf-16-be"
        elif len(body) >= 2 and body[1] == 0 and body[0] != 0:
            enc = "utf-16-le"
        else:
            enc = "utf-16-be"
        return body.decode(enc, errors="replace")
    if header.startswith(b"ASCII") or header == b"\x00" * 8:
        return body.decode("latin-1")
    from . import decode_text

    return decode_text(raw)


def _walk_ifds(r: Reader, meta: Metadata, base: int = 0, extents: dict | None = None) -> bool:
    """Walk the directories; `extents`, when given, receives the first one's strip/tile tags."""
    head = r.read_exact(8)
    if head is None:
        meta.problems.append("TIFF/EXIF header is cut off")
        return False
    bo = "<" if head[:2] == b"II" else ">" if head[:2] == b"MM" else None
    if bo is None:
        meta.problems.append("EXIF block has no valid byte-order mark")
        return False
    if head[2:4] == (b"+\x00" if bo == "<" else b"\x00+"):
        return False  # BigTIFF: left to exiftool
    (first,) = struct.unpack(bo + "I", head[4:8])
    todo, seen = [first], set()
    ok = True
    while todo and len(seen) < MAX_IFDS:
        off = todo.pop()
        if off == 0 or off in seen:
            continue
        seen.add(off)
        if base + off + 2 > r.size:
            meta.problems.append(f"TIFF directory offset {off} points past the end of the data")
            ok = False
            continue
        r.seek(base + off)
        (count,) = struct.unpack(bo + "H", r.read_exact(2))
        if count > MAX_ENTRIES or count * 12 > r.remaining():
            meta.problems.append(f"TIFF directory at {off} claims {count} entries (corrupt or truncated)")
            ok = False
            continue
        entries = r.read_exact(count * 12)
        nxt = r.read_exact(4)
        if nxt is not None:
            todo.append(struct.unpack(bo + "I", nxt)[0])
        for i in range(count):
            tag, typ, n = struct.unpack(bo + "HHI", entries[i * 12 : i * 12 + 8])
            raw_val = entries[i * 12 + 8 : i * 12 + 12]
            if tag in (EXIF_IFD, SUB_IFDS):
                if typ in (4, 13) and n >= 1:
                    if n == 1:
                        todo.append(struct.unpack(bo + "I", raw_val)[0])
                    elif n <= 16:
                        (ptr,) = struct.unpack(bo + "I", raw_val)
                        if base + ptr + 4 * n <= r.size:
                            here = r.tell()
                            r.seek(base + ptr)
                            todo.extend(struct.unpack(bo + f"{n}I", r.read_exact(4 * n)))
                            r.seek(here)
                continue
            if tag == C2PA_TAG:
                meta.c2pa = True
                continue
            if extents is not None and off == first and tag in EXTENT_TAGS:
                extents[tag] = (typ, n, raw_val)
                continue
            if tag not in TEXT_TAGS and tag != XMP_TAG:
                continue
            size = TYPE_SIZES.get(typ, 1) * n
            if size > MAX_TEXT_BYTES:
                meta.problems.append(f"TIFF tag 0x{tag:04X} claims {size} bytes")
                ok = False
                continue
            if size <= 4:
                value = raw_val[:size]
            else:
                (ptr,) = struct.unpack(bo + "I", raw_val)
                if base + ptr + size > r.size:
                    meta.problems.append(f"TIFF tag 0x{tag:04X} points past the end of the data")
                    ok = False
                    continue
                here = r.tell()
                r.seek(base + ptr)
                value = r.read_exact(size)
                r.seek(here)
            if tag == XMP_TAG:
                meta.xmp.append(value)
            elif tag == 0x9286:
                meta.add_text(TEXT_TAGS[tag], decode_user_comment(value))
            elif tag in (0x9C9C, 0x9C9D):
                meta.add_text(TEXT_TAGS[tag], value.decode("utf-16-le", errors="replace"))
            else:
                meta.add_text(TEXT_TAGS[tag], value)
    return ok


def read_exif_blob(data: bytes | None, meta: Metadata) -> None:
    """An EXIF block from inside another container (JPEG APP1, PNG eXIf, WebP EXIF)."""
    if not data:
        return
    if data.startswith(b"Exif\x00\x00"):  # some writers keep the APP1 prefix in eXIf/EXIF chunks
        data = data[6:]
    _walk_ifds(reader_for_bytes(data), meta)


def _first_directory(r: Reader, head: bytes, bo: str, big: bool) -> tuple[int, str | None]:
    """(offset, problem): a TIFF file, unlike an EXIF block, must have a first image directory inside it."""
    if big:
        offset_size, zero, first = struct.unpack(bo + "HHQ", head[4:16])
        if offset_size != 8 or zero != 0:
            return 0, "BigTIFF header is corrupt"
    else:
        (first,) = struct.unpack(bo + "I", head[4:8])
    if first == 0:
        return 0, "TIFF has no image directory (its first IFD offset is 0)"
    if first < 8 or first + (8 if big else 2) > r.size:
        return 0, f"TIFF says its first image directory is at byte {first} but the file has {r.size} (truncated)"
    return first, None


def _bigtiff_extents(r: Reader, bo: str, first: int, extents: dict) -> str | None:
    """BigTIFF's first directory (20-byte entries, 8-byte counts and offsets): that it fits, and where the pixels are.

    Its metadata is left to exiftool; only the structure is checked here.
    """
    r.seek(first)
    (count,) = struct.unpack(bo + "Q", r.read_exact(8))
    if count > MAX_ENTRIES or count * 20 + 8 > r.remaining():
        return f"BigTIFF directory at {first} claims {count} entries (corrupt or truncated)"
    entries = r.read_exact(count * 20)
    for i in range(count):
        tag, typ, n = struct.unpack(bo + "HHQ", entries[i * 20 : i * 20 + 12])
        if tag in EXTENT_TAGS:
            extents[tag] = (typ, n, entries[i * 20 + 12 : i * 20 + 20])
    return None


def _array(r: Reader, bo: str, typ: int, n: int, raw_val: bytes) -> tuple[int, ...] | None:
    """A strip/tile table's values: inline when they fit in the entry, else where its pointer says."""
    code, item = {3: ("H", 2), 4: ("I", 4), 13: ("I", 4), 16: ("Q", 8), 18: ("Q", 8)}.get(typ, (None, 0))
    if code is None or not 0 < n <= MAX_EXTENTS:
        return None
    size = item * n
    if size <= len(raw_val):
        return struct.unpack(bo + f"{n}{code}", raw_val[:size])
    (ptr,) = struct.unpack(bo + ("I" if len(raw_val) == 4 else "Q"), raw_val)
    if ptr + size > r.size:
        return ()
    r.seek(ptr)
    return struct.unpack(bo + f"{n}{code}", r.read_exact(size))


def _pixels_problem(r: Reader, bo: str, extents: dict) -> str | None:
    """The main image's strips or tiles must lie inside the file: a cut-off copy's do not."""
    for offsets_tag, counts_tag in EXTENT_PAIRS:
        if offsets_tag not in extents or counts_tag not in extents:
            continue
        offsets = _array(r, bo, *extents[offsets_tag])
        counts = _array(r, bo, *extents[counts_tag])
        if offsets == () or counts == ():
            return "TIFF strip or tile table points past the end of the file (truncated)"
        if offsets and counts:
            end = max(o + c for o, c in zip(offsets, counts))
            if end > r.size:
                return f"TIFF image data is cut off: it runs to byte {end} but the file has {r.size} (truncated)"
    return None


def walk(r: Reader, meta: Metadata) -> None:
    meta.format, meta.media_type = "tiff", "image/tiff"
    head = r.read_exact(16)
    r.seek(0)
    if head is None:
        meta.problems.append("TIFF is cut off inside its header (truncated)")
        return
    bo = "<" if head[:2] == b"II" else ">"
    big = head[2:4] == (b"+\x00" if bo == "<" else b"\x00+")
    first, problem = _first_directory(r, head, bo, big)
    extents: dict = {}
    if not problem:
        if big:  # metadata left to exiftool
            problem = _bigtiff_extents(r, bo, first, extents)
        else:
            meta.complete = _walk_ifds(r, meta, extents=extents)
    problem = problem or _pixels_problem(r, bo, extents)
    if problem:
        meta.problems.append(problem)
