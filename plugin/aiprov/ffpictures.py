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


def ffmpeg_luma(fspath: bytes, media_type: str, work_size: int) -> Image.Image:
    """First picture of an EXR or DPX as display-referred 8-bit luma, at most work_size on its long side."""
    vf = (f"scale=w='min({work_size},iw)':h='min({work_size},ih)':force_original_aspect_ratio=decrease"
          ":flags=area,format=grayf32le,showinfo")
    cmd = [b"ffmpeg", b"-nostdin", b"-hide_banner", b"-loglevel", b"info", b"-i", b"file:" + os.path.abspath(fspath),
           b"-frames:v", b"1", b"-vf", vf.encode(), b"-f", b"rawvideo", b"-pix_fmt", b"grayf32le", b"-"]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        raise UnreadableMedia(f"ffmpeg took over {TIMEOUT_S} s to decode one picture") from exc
    sizes = _SIZE.findall(proc.stderr)
    if proc.returncode != 0 or not sizes:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no picture"]
        raise UnreadableMedia(f"ffmpeg could not decode the picture: {tail[0][:200]}")
    w, h = int(sizes[-1][0]), int(sizes[-1][1])
    if len(proc.stdout) < w * h * 4:
        raise UnreadableMedia("ffmpeg decoded less of the picture than it announced")
    a = np.frombuffer(proc.stdout[:w * h * 4], dtype="<f4").reshape(h, w).astype(np.float64)
    a = np.nan_to_num(a, nan=0.0, posinf=1.0, neginf=0.0)
    if media_type == "image/x-exr":
        a = srgb_encode(a)
    elif media_type == "image/x-dpx" and dpx_transfer(fspath) in _LOG_TRANSFERS:
        a = srgb_encode(cineon_to_linear(a * 1023.0))
    return Image.fromarray(np.clip(np.rint(a * 255), 0, 255).astype(np.uint8), "L")
