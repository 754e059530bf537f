"""AUTOMATIC1111 "stealth" parameters hidden in the low bits of the pixels.

The stealth-pnginfo extension writes its signature, a 32-bit bit count and the
parameters (optionally gzipped) into the least significant bit of the alpha
channel (or of R, G and B), column by column. No chunk survives to show it,
so the pixels are decoded: only for PNG/WebP, only when nothing decisive was
found already, and only below a size limit (a decompression bomb is refused).
"""

from __future__ import annotations

import gzip
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


def read(ctx) -> None:
    from PIL import Image

    try:
        with open(ctx.fspath, "rb") as fh, Image.open(fh) as im:
            if im.width * im.height > MAX_PIXELS:
                return
            im.load()
            hit = find_payload(im)
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError) as exc:
        ctx.problems.append(f"pixels could not be decoded: {exc}")
        return
    if hit:
        sig, text = hit
        ctx.inspection.evidence.append(Evidence("stealth", f"pixel LSBs ({sig})",
                                                "AUTOMATIC1111 stealth parameters: " + shorten(text, 160),
                                                1.0, AI, generator="AUTOMATIC1111"))
