"""BMP (Windows and OS/2 bitmaps): the file and DIB headers, and that the pixels fit.

The 14-byte file header gives where the pixels start; the DIB header after
it, whose own size says which version it is, gives the dimensions and bit
depth, from which an uncompressed bitmap's pixel size follows (rows padded
to 4 bytes). Fewer bytes than that is a cut-off file.
"""

from __future__ import annotations

import struct

from . import Metadata, Reader

DIB_SIZES = {12, 16, 40, 52, 56, 64, 108, 124}
BIT_DEPTHS = {1, 2, 4, 8, 16, 24, 32, 64}
UNCOMPRESSED = {0, 3, 6}  # BI_RGB, BI_BITFIELDS, BI_ALPHABITFIELDS: the rows are stored as they are


def sniff(head: bytes) -> bool:
    return head[:2] == b"BM" and len(head) >= 18 and struct.unpack("<I", head[14:18])[0] in DIB_SIZES


def walk(r: Reader, meta: Metadata) -> None:
    meta.format, meta.media_type = "bmp", "image/bmp"
    head = r.read(14 + 40)
    (pixels_at,) = struct.unpack("<I", head[10:14])
    (dib,) = struct.unpack("<I", head[14:18])
    if len(head) < 14 + min(dib, 40):
        meta.problems.append("BMP header is cut off (truncated)")
        return
    if dib == 12:
        width, height, planes, depth = struct.unpack("<HHHH", head[18:26])
    else:
        width, height, planes, depth = struct.unpack("<iiHH", head[18:30])
    compression, size_image = struct.unpack("<II", head[30:38]) if dib >= 40 else (0, 0)
    if width <= 0 or height == 0 or planes != 1 or depth not in BIT_DEPTHS:
        meta.problems.append(f"BMP header is corrupt ({width}x{height}, {planes} planes, {depth} bits per pixel)")
        return
    meta.width, meta.height = width, abs(height)
    if pixels_at < 14 + dib or pixels_at > r.size:
        meta.problems.append(f"BMP says its pixels start at byte {pixels_at} but the file has {r.size} "
                             "(truncated or corrupt)")
        return
    need = ((width * depth + 31) // 32) * 4 * abs(height) if compression in UNCOMPRESSED else size_image
    if pixels_at + need > r.size:
        meta.problems.append(f"BMP pixel data is cut off: {r.size - pixels_at} of {need} bytes (truncated)")
