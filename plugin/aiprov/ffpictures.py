"""Pictures Pillow cannot decode (OpenEXR, DPX), read with ffmpeg and brought to display light.

A perceptual hash compares pictures as a person sees them. An EXR holds scene-linear
light (its specification): shown raw, every midtone is crushed towards black, and its
hash is 30-40 bits away from the same picture as a PNG. A DPX scanned or graded in log
holds printing-density code values (Cineon: 95 is black, 685 reference white): shown raw it
is flat and grey. So the luma is read as floats and encoded for display first:

* EXR: linear -> sRGB transfer (IEC 61966-2-1).
* DPX whose header says its transfer characteristic is printing density (1) or
  logarithmic (3) (SMPTE 268M, byte 801 of the first image element): Cineon code values ->
  linear (0.002 density per code value, negative gamma 0.6, black 95, white 685) -> sRGB.
  Other DPX (linear, video, user-defined) are taken as display-referred.
"""

from __future__ import annotations

import os
import re
import subprocess

import numpy as np
from PIL import Image

from .errors import UnreadableMedia

TIMEOUT_S = 120
_SIZE = re.compile(rb"\bs:(\d+)x(\d+)\b")
_LOG_TRANSFERS = (1, 3)


def srgb_encode(linear: np.ndarray) -> np.ndarray:
    x = np.clip(linear, 0.0, 1.0)
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.power(x, 1 / 2.4) - 0.055)


def cineon_to_linear(code: np.ndarray, black: float = 95.0, white: float = 685.0) -> np.ndarray:
    offset = 10 ** ((black - white) * 0.002 / 0.6)
    return (10 ** ((code - white) * 0.002 / 0.6) - offset) / (1 - offset)


def dpx_transfer(fspath: bytes) -> int | None:
    """The first image element's transfer characteristic from a DPX header, or None."""
    try:
        with open(fspath, "rb") as fh:
            head = fh.read(804)
    except OSError:
        return None
    if len(head) < 804 or head[:4] not in (b"SDPX", b"XPDS"):
        return None
    return head[801]


def exr_luma(fspath: bytes, work_size: int) -> Image.Image | None:
    """A scanline EXR read in part (exrluma.py): display-referred 8-bit luma at most work_size
    on its long side, or None for EXRs that only ffmpeg reads."""
    from .exrluma import exr_rgb_rows

    try:
        full_w, full_h = _exr_size(fspath)
    except Exception:   # not one exrluma reads: ffmpeg says what is wrong with it
        return None
    f = min(1.0, work_size / max(full_w, full_h))
    w, h = max(1, round(full_w * f)), max(1, round(full_h * f))
    rows = exr_rgb_rows(fspath, rows_wanted=h, across=max(1, full_w // w))
    if rows is None:
        return None
    planes = [np.asarray(Image.fromarray(rows[:, :, c].astype(np.float32), "F").resize((w, h), Image.Resampling.BOX),
                         dtype=np.float64) for c in range(rows.shape[2])]
    return _display_luma([srgb_encode(p) for p in planes])


def _display_luma(planes: list[np.ndarray]) -> Image.Image:
    """R, G, B (or one grey plane), display-encoded in [0, 1] -> 8-bit luma with the ITU-R 601
    weights Pillow gives an sRGB file: an EXR or DPX and the PNG it was made from hash alike."""
    a = planes[0] if len(planes) == 1 else 0.299 * planes[0] + 0.587 * planes[1] + 0.114 * planes[2]
    return Image.fromarray(np.clip(np.rint(a * 255), 0, 255).astype(np.uint8), "L")


def _exr_size(fspath: bytes) -> tuple[int, int]:
    import struct

    from .exrluma import MAX_HEADER, _header

    with open(fspath, "rb") as fh:
        attrs, _ = _header(fh.read(MAX_HEADER))
    x0, y0, x1, y1 = struct.unpack("<iiii", attrs["dataWindow"][1])
    return x1 - x0 + 1, y1 - y0 + 1


def ffmpeg_luma(fspath: bytes, media_type: str, work_size: int) -> Image.Image:
    """First picture of an EXR or DPX as display-referred 8-bit luma, at most work_size on its
    long side: a scanline EXR read in part when it can be, else decoded by ffmpeg."""
    if media_type == "image/x-exr":
        im = exr_luma(fspath, work_size)
        if im is not None:
            return im
    return decode_with_ffmpeg(fspath, media_type, work_size)


def decode_with_ffmpeg(fspath: bytes, media_type: str, work_size: int) -> Image.Image:
    """Every pixel decoded by ffmpeg, then reduced and brought to display light."""
    vf = (f"scale=w='min({work_size},iw)':h='min({work_size},ih)':force_original_aspect_ratio=decrease"
          ":flags=area,format=gbrpf32le,showinfo")
    cmd = [b"ffmpeg", b"-nostdin", b"-hide_banner", b"-loglevel", b"info", b"-i", b"file:" + os.path.abspath(fspath),
           b"-frames:v", b"1", b"-vf", vf.encode(), b"-f", b"rawvideo", b"-pix_fmt", b"gbrpf32le", b"-"]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        raise UnreadableMedia(f"ffmpeg took over {TIMEOUT_S} s to decode one picture") from exc
    sizes = _SIZE.findall(proc.stderr)
    if proc.returncode != 0 or not sizes:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no picture"]
        raise UnreadableMedia(f"ffmpeg could not decode the picture: {tail[0][:200]}")
    w, h = int(sizes[-1][0]), int(sizes[-1][1])
    if len(proc.stdout) < w * h * 12:
        raise UnreadableMedia("ffmpeg decoded less of the picture than it announced")
    g, b, r = np.nan_to_num(np.frombuffer(proc.stdout[:w * h * 12], dtype="<f4").reshape(3, h, w).astype(np.float64),
                            nan=0.0, posinf=1.0, neginf=0.0)
    planes = [r, g, b]
    if media_type == "image/x-exr":
        planes = [srgb_encode(p) for p in planes]
    elif media_type == "image/x-dpx" and dpx_transfer(fspath) in _LOG_TRANSFERS:
        planes = [srgb_encode(cineon_to_linear(p * 1023.0)) for p in planes]
    return _display_luma([np.clip(p, 0.0, 1.0) for p in planes])
