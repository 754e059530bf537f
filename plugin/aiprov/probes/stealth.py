"""AUTOMATIC1111 "stealth" parameters hidden in the low bits of the pixels.

The stealth-pnginfo extension writes its signature, a 32-bit bit count and the
parameters (optionally gzipped) into the least significant bit of the alpha
channel (or of R, G and B), column by column. No chunk survives to show it,
so the pixels are decoded: only for PNG/WebP, only when nothing decisive was
found already, and only below a size limit (a decompression bomb is refused).

Most PNGs carry no such thing, and decoding every pixel to find out costs far
more than everything else aiprov does to a small still. So a plain 8-bit PNG is
first asked the cheap question: do the first 16 bits, which the signature
starts with, spell "st"? They come from column 0 of the first rows, so only
those rows are inflated (and only their first pixel unfiltered). When they do
not, no signature can be there; when they do, or when the cheap check cannot
be done (interlaced, 16-bit, palette, transparency key, APNG, few rows, WebP,
unusual chunks before or after the image data, a wrong CRC), the whole image
is decoded as before. The cheap question is answered from what the container
walk already read (IHDR, where the IDATs are), without opening the file in
Pillow, which had cost more than the rest of the check; a file Pillow could
refuse to open takes the old path, so it is still reported unreadable.
"""

from __future__ import annotations

import gzip
import io
import os
import zlib

from ..markers import shorten
from ..model import AI, Evidence

NAME = "stealth"

MAX_PIXELS = 40_000_000
SIGNATURES = {b"stealth_pnginfo": ("alpha", False), b"stealth_pngcomp": ("alpha", True),
              b"stealth_rgbinfo": ("rgb", False), b"stealth_rgbcomp": ("rgb", True)}
SIG_BITS = 15 * 8
MAX_PAYLOAD_BITS = 8 * 4 * 1024 * 1024


def wants(ctx) -> bool:
    m = ctx.meta
    if m.format not in ("png", "webp") or ctx.decided or m.problems:
        return False
    return not (m.width and m.height and m.width * m.height > MAX_PIXELS)


def _bits(image, mode: str):
    import numpy as np

    if mode == "alpha":
        plane = np.asarray(image.getchannel("A"), dtype=np.uint8)
        return (plane.T & 1).reshape(-1)  # column-major: x outer, y inner
    rgb = np.asarray(image.convert("RGB"), dtype=np.uint8)
    return (rgb.transpose(1, 0, 2) & 1).reshape(-1)


def _decode(bits) -> bytes:
    import numpy as np

    n = len(bits) - len(bits) % 8
    return np.packbits(bits[:n]).tobytes()


def find_payload(image) -> tuple[str, str] | None:
    """(variant, text) if the image carries stealth parameters."""
    modes = ["rgb"]
    if "A" in image.getbands():
        modes.insert(0, "alpha")
    for mode in modes:
        bits = _bits(image, mode)
        if len(bits) < SIG_BITS + 32:
            continue
        sig = _decode(bits[:SIG_BITS])
        variant = SIGNATURES.get(sig)
        if not variant or variant[0] != mode:
            continue
        length = int.from_bytes(_decode(bits[SIG_BITS : SIG_BITS + 32]), "big")
        if length <= 0 or length > min(MAX_PAYLOAD_BITS, len(bits) - SIG_BITS - 32):
            continue
        data = _decode(bits[SIG_BITS + 32 : SIG_BITS + 32 + length])
        if variant[1]:
            try:
                data = gzip.decompress(data)
            except (OSError, EOFError, zlib.error):
                continue
        return sig.decode(), data.decode("utf-8", "replace")
    return None


# The first 16 bits of every signature: the b"st" they all start with.
SIG_PREFIX_BITS = 16
SIG_PREFIX = tuple((byte >> (7 - i)) & 1 for byte in b"st" for i in range(8))
assert all(sig.startswith(b"st") for sig in SIGNATURES)
# Bytes per pixel of the 8-bit PNGs the pre-check decodes itself, by IHDR colour type (grey, RGB,
# grey + alpha, RGBA; 3, palette, is not).
PNG_BPP_OF_COLOR_TYPE = {0: 1, 2: 3, 4: 2, 6: 4}
# Inflating more than this to reach the first rows (a very wide image) is left to the full decode.
MAX_PRECHECK_BYTES = 8 * 1024 * 1024


def _read_at(source, offset: int, length: int) -> bytes:
    """length bytes at offset of a file descriptor or handle, without moving the handle (Pillow
    holds it): from memory when the reader read the file whole, else with pread."""
    if isinstance(source, io.BytesIO):
        with source.getbuffer() as view:
            return bytes(view[offset:offset + length])
    return os.pread(source if isinstance(source, int) else source.fileno(), length, offset)


def _first_column(source, idat: list[tuple[int, int]], rows: int, width: int, bpp: int) -> list[bytes] | None:
    """The first pixel (bpp bytes, unfiltered) of each of the first `rows` rows, or None if not possible.

    Row y is a filter byte and width*bpp bytes. The first pixel has no left neighbour
    (a = c = 0), so every filter reduces to the byte above: None and Sub add nothing,
    Up adds b, Average adds b // 2, Paeth (with a = c = 0) picks b.
    """
    stride = 1 + width * bpp
    need = rows * stride
    if need > MAX_PRECHECK_BYTES:
        return None
    inflater = zlib.decompressobj()
    raw = bytearray()
    try:
        for offset, length in idat:
            data = _read_at(source, offset, length)
            if len(data) != length:
                return None
            while data and len(raw) < need and not inflater.eof:
                raw += inflater.decompress(data, need - len(raw))
                data = inflater.unconsumed_tail
            if len(raw) >= need or inflater.eof:
                break
    except (zlib.error, OSError):
        return None
    if len(raw) < need:
        return None
    out, above = [], bytes(bpp)
    for y in range(rows):
        row = y * stride
        kind, first = raw[row], raw[row + 1 : row + 1 + bpp]
        if kind in (0, 1):
            pixel = bytes(first)
        elif kind in (2, 4):
            pixel = bytes((f + b) & 0xFF for f, b in zip(first, above))
        elif kind == 3:
            pixel = bytes((f + (b >> 1)) & 0xFF for f, b in zip(first, above))
        else:
            return None  # not a PNG filter: the full decode reports it
        out.append(pixel)
        above = pixel
    return out


def cannot_carry_signature(source, meta) -> bool:
    """True only when the decoded image certainly starts with no stealth signature.

    `meta` is the PNG walk's (its IHDR and where its IDATs are), `source` the handle the file was
    walked from (or its file descriptor). Nothing here opens the image in Pillow: that alone cost
    a small still more than the rest of this check. False means "maybe", or "could not tell
    cheaply" (palette, 16-bit, interlaced, a transparency key, APNG, an unusual tail): decode the
    whole image then.
    """
    if meta.format != "png" or not (meta.png_plain_head and meta.png_plain_tail) or not meta.png_idat or meta.problems:
        return False
    if meta.png_interlaced or meta.png_depth != 8:  # a transparency key or APNG leaves png_plain_head False
        return False
    bpp = PNG_BPP_OF_COLOR_TYPE.get(meta.png_color_type)
    width, height = meta.width or 0, meta.height or 0
    if bpp is None or width < 1:
        return False
    alpha = meta.png_color_type in (4, 6)
    # Column 0 alone must hold the first 16 bits: 16 alpha values, or 6 pixels of R, G, B.
    rows = SIG_PREFIX_BITS if alpha else -(-SIG_PREFIX_BITS // 3)
    if height < rows:
        return False
    pixels = _first_column(source, meta.png_idat, rows, width, bpp)
    if pixels is None:
        return False
    if alpha and tuple(p[-1] & 1 for p in pixels[:SIG_PREFIX_BITS]) == SIG_PREFIX:
        return False
    # What image.convert("RGB") gives: grey is repeated in R, G and B; alpha is dropped.
    rgb = [(p[0], p[0], p[0]) if bpp <= 2 else (p[0], p[1], p[2]) for p in pixels]
    rgb_bits = tuple(v & 1 for px in rgb for v in px)[:SIG_PREFIX_BITS]
    return rgb_bits != SIG_PREFIX


def _open(ctx):
    fh = getattr(ctx, "fh", None)  # reader.read_file lends the handle the walk used
    if fh is not None and not fh.closed:
        return fh, False
    return open(ctx.fspath, "rb"), True


def read(ctx) -> None:
    from PIL import Image

    try:
        fh, own = _open(ctx)
        try:
            if cannot_carry_signature(fh, ctx.meta):
                return
            with Image.open(fh) as im:
                if im.width * im.height > MAX_PIXELS:
                    return
                im.load()
                hit = find_payload(im)
        finally:
            if own:
                fh.close()
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError) as exc:
        ctx.problems.append(f"pixels could not be decoded: {exc}")
        return
    if hit:
        sig, text = hit
        ctx.inspection.evidence.append(Evidence("stealth", f"pixel LSBs ({sig})",
                                                "AUTOMATIC1111 stealth parameters: " + shorten(text, 160),
                                                1.0, AI, generator="AUTOMATIC1111"))
