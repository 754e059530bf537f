"""The active picture: what is left of a frame once letterbox and pillarbox bars are removed.

A 2.39 picture delivered in a 16:9 frame has black bars above and below; a 16:9 picture
in a 4:3 or 1:1 frame has them at the sides. A perceptual hash of the whole frame then
hashes the bars too, and the same picture with and without them is 60-120 bits apart.
So both sides are printed from their active picture only.

A bar row (or column) is one whose pixels are nearly all at the bar's level: within
BAR_TOLERANCE of the darkest level found along the two edges, and black (full-range 0 or
video-range 16, plus coding noise; a dark hillside is not a bar). Subtitles are often
burnt into the bottom bar: their rows are not bars, but they are cut off from the picture
by bar rows, so the picture is taken as the *longest* run of rows that are not bars.
Bars are centred (a letterbox has the same bar above and below): a dark band on one side
only is picture, not a bar. A trim must remove at least MIN_BAR of the dimension (two rows
of JPEG ringing are not a letterbox) and leave at least MIN_KEEP of it.
"""

from __future__ import annotations

import numpy as np

BAR_TOLERANCE = 12      # of 255: JPEG and H.264 leave a few levels of noise in a black bar
BAR_FILL = 0.97         # share of a row's pixels at the bar's level
BAR_DARKEST = 24        # a bar's level is at most this (of 255)
BAR_CENTRED = 0.03      # the two bars' sizes differ by at most 3% of the dimension
MIN_BAR = 0.02          # bars thinner than 2% of the dimension are left alone
MIN_KEEP = 0.3          # never keep less than 30% of a dimension


def _bar_lines(a: np.ndarray) -> np.ndarray:
    """Which rows of a (H x W uint8) are bars."""
    edges = np.concatenate([a[:2].ravel(), a[-2:].ravel()])
    level = int(np.partition(edges, edges.size // 40)[edges.size // 40])    # ~the 2.5th percentile
    if level > BAR_DARKEST:
        return np.zeros(a.shape[0], dtype=bool)
    near = np.abs(a.astype(np.int16) - level) <= BAR_TOLERANCE
    return near.mean(axis=1) >= BAR_FILL


def _keep(bars: np.ndarray) -> tuple[int, int]:
    """[start, end) of the longest run of lines that are not bars."""
    n = bars.size
    best, start = (0, n), None
    best_len = -1
    for i in range(n + 1):
        if i < n and not bars[i]:
            if start is None:
                start = i
        elif start is not None:
            if i - start > best_len:
                best, best_len = (start, i), i - start
            start = None
    if best_len <= 0:
        return 0, n
    lo, hi = best
    if (lo + (n - hi)) < MIN_BAR * n or (hi - lo) < MIN_KEEP * n or abs(lo - (n - hi)) > BAR_CENTRED * n + 1:
        return 0, n
    return lo, hi


def active_box(luma: np.ndarray) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the active picture in a luma image (H x W, uint8)."""
    a = np.asarray(luma)
    h, w = a.shape[:2]
    if h < 8 or w < 8:
        return 0, 0, w, h
    y0, y1 = _keep(_bar_lines(a))
    x0, x1 = _keep(_bar_lines(a[y0:y1].T))
    return x0, y0, x1, y1


def trim(luma: np.ndarray) -> np.ndarray:
    """The active picture of a luma image (the image itself when there are no bars)."""
    x0, y0, x1, y1 = active_box(luma)
    a = np.asarray(luma)
    if (x0, y0, x1, y1) == (0, 0, a.shape[1], a.shape[0]):
        return a
    return a[y0:y1, x0:x1]
