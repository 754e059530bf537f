"""PNG: every chunk is walked, including text placed after the image data.

Pillow stops reading text at the first IDAT unless the pixels are decoded;
generators (and people hiding things) put text after it, so the walk goes to
IEND, seeking over IDAT instead of reading it.
"""

from __future__ import annotations

import struct
import zlib

from . import MAX_TEXT_BYTES, Metadata, Reader

SIGNATURE = b"\x89PNG\r\n\x1a\n"
XMP_KEYWORD = "XML:com.adobe.xmp"


def sniff(head: bytes) -> bool:
    return head.startswith(SIGNATURE)


def _inflate(data: bytes) -> bytes | None:
    d = zlib.decompressobj()
    try:
        out = d.decompress(data, MAX_TEXT_BYTES)
    except zlib.error:
        return None
    return out


def _text_chunk(ctype: bytes, data: bytes, meta: Metadata) -> None:
    if ctype == b"tEXt":
        key, _, value = data.partition(b"\x00")
        meta.add_text("tEXt:" + key.decode("latin-1"), value.decode("latin-1"))
    elif ctype == b"zTXt":
        key, _, rest = data.partition(b"\x00")
        value = _inflate(rest[1:])  # rest[0] is the compression method
        if value is None:
            meta.problems.append(f"zTXt chunk {key.decode('latin-1')!r} does not decompress")
            return
        meta.add_text("zTXt:" + key.decode("latin-1"), value.decode("latin-1"))
    elif ctype == b"iTXt":
        key, _, rest = data.partition(b"\x00")
        if len(rest) < 2:
            return
        compressed, rest = rest[0], rest[2:]
        _lang, _, rest = rest.partition(b"\x00")
        _translated, _, value = rest.partition(b"\x00")
        if compressed:
            value = _inflate(value)
            if value is None:
                meta.problems.append(f"iTXt chunk {key.decode('latin-1')!r} does not decompress")
                return
        name = key.decode("latin-1")
        if name == XMP_KEYWORD:
            meta.xmp.append(value)
        else:
            meta.add_text("iTXt:" + name, value)


def walk(r: Reader, meta: Metadata) -> None:
    meta.format, meta.media_type = "png", "image/png"
    r.skip(len(SIGNATURE))
    first = True
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
        if ctype == b"IHDR":
            data = r.read_exact(length)
            if length >= 13:
                meta.width, meta.height, _depth, color_type = struct.unpack(">IIBB", data[:10])
                meta.has_alpha = color_type in (4, 6)
        elif ctype in (b"tEXt", b"zTXt", b"iTXt"):
            if length > MAX_TEXT_BYTES:
                meta.problems.append(f"PNG text chunk of {length} bytes is larger than aiprov reads")
                r.skip(length)
            else:
                _text_chunk(ctype, r.read_exact(length), meta)
        elif ctype == b"eXIf":
            from . import tiff

            tiff.read_exif_blob(r.read_exact(length), meta)
        elif ctype == b"caBX":
            meta.c2pa = True
            r.skip(length)
        elif ctype == b"tRNS":
            meta.has_alpha = True
            r.skip(length)
        else:
            r.skip(length)
        r.skip(4)  # CRC
        if ctype == b"IEND":
            meta.complete = True
            return
