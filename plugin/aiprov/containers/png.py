"""PNG: every chunk is walked, including text placed after the image data.

Pillow stops reading text at the first IDAT unless the pixels are decoded;
generators (and people hiding things) put text after it, so the walk goes to
IEND, seeking over IDAT instead of reading it. On the way it checks what
every PNG has: IHDR first (13 bytes), image data (IDAT), and IEND.
"""

from __future__ import annotations

import struct
import zlib

from . import MAX_TEXT_BYTES, Metadata, Reader

SIGNATURE = b"\x89PNG\r\n\x1a\n"
XMP_KEYWORD = "XML:com.adobe.xmp"
# How many IDAT chunks are recorded in Metadata.png_idat: the stealth pre-check only needs the
# first rows, and a hostile file with millions of tiny IDATs must not grow a list without bound.
MAX_IDAT_RECORDED = 64
# Chunks that may follow the image data without Pillow's decoder complaining about them (no chunk
# handler in PngImagePlugin, or one that cannot raise). Anything else clears Metadata.png_plain_tail.
QUIET_TAIL = {b"IEND", b"tEXt", b"tIME", b"eXIf", b"bKGD", b"hIST", b"sBIT", b"sPLT", b"caBX"}
# Chunks before the image data that Pillow reads without complaint when it opens a file, with the
# length its handler needs (None: any). With every chunk before the IDATs one of these, its CRC
# right and its text within Pillow's limits, opening the file in Pillow could not fail, and the
# stealth probe may read the first rows itself instead (Metadata.png_plain_head). Not tRNS nor acTL:
# the first rows of a keyed or animated image are not what the probe reads, so it decodes them whole.
QUIET_HEAD = {b"IHDR": 13, b"tEXt": None, b"zTXt": None, b"iTXt": None, b"pHYs": 9, b"gAMA": 4, b"sRGB": 1,
              b"cHRM": 32, b"tIME": 7, b"bKGD": None, b"sBIT": None}
# Pillow refuses a compressed text chunk over 1 MiB and more than 64 MiB of text in all.
PILLOW_TEXT_CHUNK = 1024 * 1024
PILLOW_TEXT_TOTAL = 32 * 1024 * 1024


def sniff(head: bytes) -> bool:
    return head.startswith(SIGNATURE)


def _inflate(data: bytes) -> bytes | None:
    d = zlib.decompressobj()
    try:
        out = d.decompress(data, MAX_TEXT_BYTES)
    except zlib.error:
        return None
    return out


def _text_chunk(ctype: bytes, data: bytes, meta: Metadata) -> tuple[bool, int]:
    """Record the text; returns (whether it was compressed, its size as text) for png_plain_tail."""
    if ctype == b"tEXt":
        key, _, value = data.partition(b"\x00")
        meta.add_text("tEXt:" + key.decode("latin-1"), value.decode("latin-1"))
        return False, len(value)
    elif ctype == b"zTXt":
        key, _, rest = data.partition(b"\x00")
        value = _inflate(rest[1:])  # rest[0] is the compression method
        if value is None:
            meta.problems.append(f"zTXt chunk {key.decode('latin-1')!r} does not decompress")
            return True, 0
        meta.add_text("zTXt:" + key.decode("latin-1"), value.decode("latin-1"))
        return True, len(value)
    elif ctype == b"iTXt":
        key, _, rest = data.partition(b"\x00")
        if len(rest) < 2:
            return False, 0
        compressed, rest = rest[0], rest[2:]
        _lang, _, rest = rest.partition(b"\x00")
        _translated, _, value = rest.partition(b"\x00")
        if compressed:
            value = _inflate(value)
            if value is None:
                meta.problems.append(f"iTXt chunk {key.decode('latin-1')!r} does not decompress")
                return True, 0
        name = key.decode("latin-1")
        if name == XMP_KEYWORD:
            meta.xmp.append(value)
        else:
            meta.add_text("iTXt:" + name, value)
        return bool(compressed), len(value)
    return False, 0


def walk(r: Reader, meta: Metadata) -> None:
    meta.format, meta.media_type = "png", "image/png"
    r.skip(len(SIGNATURE))
    first = True
    idat_run = 0  # 0: before the image data, 1: in the IDAT run, 2: after it
    plain_tail = True
    plain_head = True
    text_total = 0
    while True:
        header = r.read_exact(8)
        if header is None:
            meta.problems.append("PNG ends before its IEND chunk (truncated)")
            return
        length, ctype = struct.unpack(">I4s", header)
        if first and ctype != b"IHDR":
            meta.problems.append("PNG does not start with an IHDR chunk")
            return
        first = False
        if length + 4 > r.remaining():
            meta.problems.append(
                f"PNG chunk {ctype.decode('latin-1')!r} at byte {r.tell() - 8} claims {length} bytes "
                f"but only {max(0, r.remaining() - 4)} remain (truncated or corrupt)"
            )
            return
        data = None  # the chunk's bytes, where they were read (a chunk before the image data: its CRC is checked)
        if not idat_run and ctype != b"IDAT":
            quiet = ctype in QUIET_HEAD and QUIET_HEAD[ctype] in (None, length) and length <= PILLOW_TEXT_CHUNK
            plain_head = plain_head and quiet
        if ctype == b"IDAT":
            if idat_run == 0:
                meta.png_plain_head = plain_head and text_total <= PILLOW_TEXT_TOTAL
            if idat_run == 2:
                plain_tail = False  # a second run of image data: Pillow stops at the first
            elif len(meta.png_idat) < MAX_IDAT_RECORDED:
                meta.png_idat.append((r.tell(), length))
            idat_run = max(idat_run, 1)
        elif idat_run:
            idat_run = 2
            if ctype not in QUIET_TAIL and ctype != b"iTXt":
                plain_tail = False
        if ctype == b"IHDR":
            if length != 13:
                meta.problems.append(f"PNG IHDR chunk is {length} bytes, not 13 (corrupt)")
                return
            data = r.read_exact(13)
            meta.width, meta.height, meta.png_depth, color_type, compression, filtering, interlace = struct.unpack(
                ">IIBBBBB", data)
            meta.png_color_type, meta.png_interlaced = color_type, interlace != 0
            if compression or filtering:  # only method 0 of each exists; Pillow refuses the others
                plain_head = False
            meta.has_alpha = color_type in (4, 6)
        elif ctype in (b"tEXt", b"zTXt", b"iTXt"):
            if length > MAX_TEXT_BYTES:
                meta.problems.append(f"PNG text chunk of {length} bytes is larger than aiprov reads")
                r.skip(length)
            else:
                data = r.read_exact(length)
                compressed, size = _text_chunk(ctype, data, meta)
                text_total += size
                if compressed and size >= PILLOW_TEXT_CHUNK:
                    if idat_run == 2:
                        plain_tail = False
                    elif not idat_run:
                        plain_head = False
        elif ctype == b"eXIf":
            from . import tiff

            tiff.read_exif_blob(r.read_exact(length), meta)
        elif ctype == b"caBX":
            meta.c2pa = True
            r.skip(length)
        elif ctype == b"tRNS":
            meta.has_alpha = True
            r.skip(length)
        elif plain_head and not idat_run and ctype in QUIET_HEAD:
            data = r.read_exact(length)
        else:
            r.skip(length)
        if plain_head and not idat_run and ctype != b"IDAT":
            crc = r.read_exact(4)
            if data is None or crc is None or struct.unpack(">I", crc)[0] != zlib.crc32(data, zlib.crc32(ctype)):
                plain_head = False  # Pillow checks the CRC of what it reads when it opens a file
        else:
            r.skip(4)  # CRC
        if ctype == b"IEND":
            if not idat_run:
                meta.problems.append("PNG has no image data (no IDAT chunk before IEND)")
                return
            meta.png_plain_tail = plain_tail and idat_run > 0 and text_total <= PILLOW_TEXT_TOTAL
            meta.complete = True
            return
