"""A small picture from a scanline OpenEXR file, without decoding all of it.

Printing a 4K EXR frame needs a 256-pixel picture, but ffmpeg decodes every pixel of every
channel first: ~0.7 s of CPU for a 4K half-float ZIP frame with grain, which would make a
shot print slower than realtime. An EXR is stored in independent chunks of scanlines (16 for
ZIP, 1 for ZIPS and uncompressed), so this reads one chunk for every two rows of the picture
wanted, and of each only the R, G, B (or Y) channels, their lines and pixels averaged a few
at a time: 4K half-float ZIP with grain in ~0.13 s of CPU a frame, half of it inflating
(libdeflate when the `deflate` package is there, twice zlib's speed).

Only what the OpenEXR file layout specification makes simple is read here: single-part
scanline files, compression NONE, ZIPS or ZIP, HALF or FLOAT channels without subsampling.
Anything else (tiled, multi-part, deep, PIZ, PXR24, B44, DWA, ...) returns None and is
decoded by ffmpeg instead.
"""

from __future__ import annotations

import struct
import sys
import zlib

import numpy as np

_MAGIC = b"\x76\x2f\x31\x01"
_LINES = {0: 1, 2: 1, 3: 16}          # NO_COMPRESSION, ZIPS, ZIP: scanlines per chunk
_DTYPE = {1: np.dtype("<f2"), 2: np.dtype("<f4")}
MAX_HEADER = 1 << 20


class _Unsupported(Exception):
    pass


def _cstr(buf: bytes, pos: int) -> tuple[bytes, int]:
    end = buf.index(b"\x00", pos)
    return buf[pos:end], end + 1


def _header(buf: bytes) -> tuple[dict, int]:
    if buf[:4] != _MAGIC:
        raise _Unsupported("not an OpenEXR file")
    (flags,) = struct.unpack_from("<I", buf, 4)
    if flags & (0x200 | 0x800 | 0x1000):   # tiled, deep (non-image), multi-part; long names are fine
        raise _Unsupported("tiled, deep or multi-part")
    pos, attrs = 8, {}
    while True:
        name, pos = _cstr(buf, pos)
        if not name:
            return attrs, pos
        kind, pos = _cstr(buf, pos)
        (size,) = struct.unpack_from("<i", buf, pos)
        pos += 4
        attrs[name.decode("latin-1")] = (kind, buf[pos:pos + size])
        pos += size


def _channels(raw: bytes) -> list[tuple[str, int]]:
    out, pos = [], 0
    while pos < len(raw) and raw[pos]:
        name, pos = _cstr(raw, pos)
        ptype, _linear, xs, ys = struct.unpack_from("<iB3xii", raw, pos)
        pos += 16
        if xs != 1 or ys != 1:
            raise _Unsupported("subsampled channels")
        out.append((name.decode("latin-1"), ptype))
    return out


def _inflate(data: bytes, size: int) -> bytes:
    """A ZIP chunk's zlib stream, inflated by libdeflate (the `deflate` package: about twice
    zlib's speed, the costliest step of reading an EXR in part) or, without it, by zlib."""
    try:
        import deflate
    except ImportError:
        return zlib.decompress(data)
    try:
        return deflate.zlib_decompress(data, size)
    except deflate.DeflateError as exc:        # corrupt, or not the size the header promises
        raise _Unsupported(f"chunk does not inflate: {exc}") from exc


# Bytes per running sum: 255 * 2**23 still fits the int32 sums OpenCV's integral image keeps.
_SUM_PIECE = 1 << 23
_LOW_BYTE = 0 if sys.byteorder == "little" else 3


def _unzip(data: bytes, size: int) -> np.ndarray:
    """ZIP chunk -> raw bytes: inflate, undo the delta predictor, de-interleave (OpenEXR's ZIP).

    The predictor makes byte i the running sum of the stored bytes, less 128 for each one
    after the first, modulo 256: the running sum's low byte, plus 128 where i is odd. The
    running sum is OpenCV's integral image (about three times as fast as numpy's cumsum on
    bytes); the 128s are added after the de-interleave, eight bytes at a time."""
    import cv2

    t = np.frombuffer(_inflate(data, size), dtype=np.uint8)
    if t.size != size:
        raise _Unsupported("chunk of unexpected size")
    if size <= _SUM_PIECE:
        d = cv2.integral(t.reshape(1, -1))[1, 1:].view(np.uint8)[_LOW_BYTE::4]   # the int32 sums' low bytes
    else:
        d, carry = np.empty(size, dtype=np.uint8), 0
        for at in range(0, size, _SUM_PIECE):
            sums = cv2.integral(t[at:at + _SUM_PIECE].reshape(1, -1))[1, 1:]
            d[at:at + sums.size] = (sums + carry).astype(np.uint8)     # keeps the low byte
            carry = (carry + int(sums[-1])) & 0xFF
    half = (size + 1) // 2
    out = np.empty(size + (-size) % 8, dtype=np.uint8)
    out[0:size:2] = d[:half]
    out[1:size:2] = d[half:]
    # out[2k] came from byte k, out[2k+1] from byte half + k: +128 (XOR 0x80) where that is odd
    a, b = (0x80, 0) if half % 2 else (0, 0x80)
    out.view(np.uint64)[:] ^= np.array([0, a, 0x80, b, 0, a, 0x80, b], dtype=np.uint8).view(np.uint64)[0]
    return out[:size]


def exr_rgb_rows(path: bytes, rows_wanted: int = 256, across: int = 1) -> np.ndarray | None:
    """Linear R, G, B (or Y) of a scanline EXR for a picture rows_wanted high: chunks spread
    evenly, at least one for every two rows wanted, their lines averaged a few at a time and
    every `across` pixels of a line averaged into one, as (rows, width // across, channels)
    float32. None when the file is not one this reads."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(MAX_HEADER)
            attrs, pos = _header(head)
            compression = attrs["compression"][1][0]
            if compression not in _LINES:
                raise _Unsupported("compression")
            x0, y0, x1, y1 = struct.unpack("<iiii", attrs["dataWindow"][1])
            width, height = x1 - x0 + 1, y1 - y0 + 1
            chans = _channels(attrs["channels"][1])
            if not all(t in _DTYPE for _, t in chans):
                raise _Unsupported("UINT channels")
            names = [n for n, _ in chans]
            use = [c for c in ("R", "G", "B") if c in names] if {"R", "G", "B"} <= set(names) else (
                ["Y"] if "Y" in names else [])
            if not use or width <= 0 or height <= 0:
                raise _Unsupported("no R, G, B or Y channel")
            lines = _LINES[compression]
            chunks = (height + lines - 1) // lines
            fh.seek(pos)
            offsets = np.frombuffer(fh.read(8 * chunks), dtype="<u8")
            if offsets.size != chunks:
                raise _Unsupported("truncated offset table")
            step = max(1, chunks // max(1, rows_wanted // 2))
            group = max(1, (len(range(0, chunks, step)) * lines) // (2 * rows_wanted))   # lines averaged per row
            rows = []
            for c in range(0, chunks, step):
                fh.seek(int(offsets[c]))
                y, size = struct.unpack("<ii", fh.read(8))
                n = min(lines, y1 + 1 - y)
                if n <= 0 or size <= 0:
                    raise _Unsupported("bad chunk")
                raw_size = n * width * sum(_DTYPE[t].itemsize for _, t in chans)
                data = fh.read(size)
                raw = (np.frombuffer(data, dtype=np.uint8) if (compression == 0 or size == raw_size)
                       else _unzip(data, raw_size))
                rows.append(_rows_of_chunk(raw, chans, use, n, width, group, max(1, min(across, width))))
    except (_Unsupported, KeyError, ValueError, IndexError, struct.error, zlib.error, OSError):
        return None
    return np.concatenate(rows)


def _rows_of_chunk(raw: np.ndarray, chans, use: list[str], n: int, width: int, group: int,
                   across: int = 1) -> np.ndarray:
    """(rows, width // across, len(use)): the chunk's lines averaged `group` at a time and their
    pixels `across` at a time, for each channel in `use`, in that order.

    The averaging is OpenCV's area resize of each channel's lines, so a 4K frame is never
    converted to floats at full size more than a chunk at a time. A NaN or infinity (a broken
    render) would spread over its whole box: such a chunk is averaged again with NaN read as
    0 and infinities as 0 or 1, as ffmpeg's decode is read."""
    import cv2

    # a chunk holds, line after line, each channel's row in the header's (alphabetical) order
    line_bytes = width * sum(_DTYPE[t].itemsize for _, t in chans)
    buf = raw[:n * line_bytes].reshape(n, line_bytes)
    rows, wide = (n + group - 1) // group, width // across
    out = np.empty((rows, wide, len(use)), dtype=np.float32)
    off = 0
    for name, t in chans:
        size = width * _DTYPE[t].itemsize
        if name in use:
            vals = np.ascontiguousarray(buf[:, off:off + size]).view(_DTYPE[t])[:, :wide * across]
            vals = vals.astype(np.float32)
            box = cv2.resize(vals, (wide, rows), interpolation=cv2.INTER_AREA).reshape(rows, wide)
            if not np.isfinite(box).all():
                vals = np.nan_to_num(vals, nan=0.0, posinf=1.0, neginf=0.0)
                box = cv2.resize(vals, (wide, rows), interpolation=cv2.INTER_AREA).reshape(rows, wide)
            out[:, :, use.index(name)] = box
        off += size
    return out
