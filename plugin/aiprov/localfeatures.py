"""Local features: find an AI picture that is only *part* of a frame (a comp, a reframe).

A global hash describes the whole frame: when an AI sky covers the top third of a camera
plate, or an AI insert is scaled down and comped into a corner, or the shot is pushed in
10% and turned 2 degrees, the frame's hash is unrelated to the source's. What survives
is local structure: corners and their neighbourhoods. So pictures also get ORB features
(OpenCV: FAST corners on a scale pyramid, each with a 256-bit rotated-BRIEF descriptor)
and a match is a *geometric* agreement: enough descriptor pairs whose positions one
similarity transform (scale, rotation, shift) maps onto each other (RANSAC).

Why ORB: binary descriptors (the same 256-bit Hamming space as PDQ, so the same index
finds candidates), invariant to monotonic tone changes (it compares pixel intensities),
to scale (pyramid) and rotation; about 1 ms for a 256-pixel picture in C++.
Mirrored pictures are not ORB-invariant, so a source also keeps the features of its flop.

What makes a match (measured in bench/bench_likeness.py): at least MIN_INLIERS pairs
agreeing on one transform within RANSAC_PX pixels, a width between 1/6 and 6 times, a rotation
within MAX_ROTATION degrees, inliers spread over at least MIN_SPREAD of the frame in both
directions, most inlier pairs (MIN_SIZED) found at pyramid levels the scale relates, and
the source's picture, placed by the transform, covering at least MIN_COVER of the frame. True comps and reframes give 18-120 inliers; unrelated pairs
(every pair of hundreds of pictures) give at most a handful, and never pass every check.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

import numpy as np

try:  # opencv-python-headless
    import cv2 as _cv2
except ImportError as exc:  # pragma: no cover - reported when first used
    _cv2 = None
    _CV2_IMPORT_ERROR = exc

DESC_BYTES = 32
MAX_DISTANCE = 64          # a descriptor pair further apart than this (of 256 bits) is no pair
RATIO = 0.8                # Lowe's ratio test: the best pair must be clearly better than the second
MIN_INLIERS = 14
RANSAC_PX = 3.0
MAX_ROTATION = 10.0        # degrees: a reframe turns a shot a little; a match that needs more is noise
MIN_SPREAD = 0.12
MIN_COVER = 0.15
SIZE_TOLERANCE = 0.45      # |log(size ratio / scale)|: about two pyramid levels (1.2^2)
MIN_SIZED = 0.6
SOURCE_FEATURES = 500      # per orientation, from a picture up to SOURCE_SIDE pixels, 10 levels (to 1/5)
SOURCE_LEVELS = 10
QUERY_FEATURES = 300
SOURCE_SIDE = 512
GRID = 4                   # keypoints are spread over a 4 x 4 grid before the strongest are kept
# With more pictures on record than this, only the ones sharing the most descriptors (within
# VOTE_DISTANCE) are checked: straight edges give look-alike descriptors in any two pictures,
# so shared descriptors rank candidates but cannot decide (unrelated pictures share up to 40%).
MAX_CANDIDATES = 16
VOTE_DISTANCE = 32
_MAGIC = b"ORB2"


def _require_cv2():
    if _cv2 is None:  # pragma: no cover
        raise RuntimeError(f"the opencv-python-headless package is needed for local features: {_CV2_IMPORT_ERROR}")
    return _cv2


@dataclass(frozen=True)
class Features:
    """Keypoints of one picture: positions in [0, 1] of its width and height (so sides of
    any size compare), sizes as a share of its height, the picture's aspect (width /
    height), and descriptors."""

    points: np.ndarray        # (N, 2) float32, x / width and y / height
    descriptors: np.ndarray   # (N, 32) uint8
    aspect: float
    sizes: np.ndarray         # (N,) float32, keypoint diameter / height

    def __len__(self) -> int:
        return int(self.points.shape[0])

    def to_bytes(self) -> bytes:
        n = len(self)
        pts = np.clip(np.rint(self.points * 65535), 0, 65535).astype("<u2")
        return (_MAGIC + struct.pack("<If", n, self.aspect) + pts.tobytes() + self.sizes.astype("<f2").tobytes()
                + self.descriptors.tobytes())

    @classmethod
    def from_bytes(cls, data: bytes, offset: int = 0) -> tuple["Features", int]:
        if data[offset:offset + 4] != _MAGIC:
            raise ValueError("not a feature block")
        n, aspect = struct.unpack_from("<If", data, offset + 4)
        off = offset + 12
        pts = np.frombuffer(data, "<u2", 2 * n, off).reshape(n, 2).astype(np.float32) / 65535
        off += 4 * n
        sizes = np.frombuffer(data, "<f2", n, off).astype(np.float32)
        off += 2 * n
        desc = np.frombuffer(data, np.uint8, DESC_BYTES * n, off).reshape(n, DESC_BYTES)
        return cls(pts, desc, aspect, sizes), off + DESC_BYTES * n


def extract(luma: np.ndarray, n: int = QUERY_FEATURES, levels: int = 4) -> Features | None:
    """ORB features of a luma picture (H x W uint8); None when it has too few corners to match."""
    cv2 = _require_cv2()
    a = np.ascontiguousarray(luma, dtype=np.uint8)
    h, w = a.shape[:2]
    if min(h, w) < 32:
        return None
    orb = cv2.ORB_create(nfeatures=n * 3, scaleFactor=1.2, nlevels=levels, edgeThreshold=15, firstLevel=0,
                         WTA_K=2, scoreType=cv2.ORB_HARRIS_SCORE, patchSize=15, fastThreshold=10)
    kps, desc = orb.detectAndCompute(a, None)      # one pyramid for both (detect + compute: 1.4x the time)
    if desc is None or len(kps) < MIN_INLIERS:
        return None
    keep = _spread(kps, w, h, n)
    kps, desc = [kps[i] for i in keep], desc[keep]
    pts = np.array([k.pt for k in kps], dtype=np.float32).reshape(-1, 2) / np.array([w, h], np.float32)
    sizes = np.array([k.size for k in kps], dtype=np.float32) / h
    return Features(pts, np.ascontiguousarray(desc, np.uint8), w / h, sizes)


def _spread(kps, w: int, h: int, n: int) -> np.ndarray:
    """Indices of the n strongest keypoints, at most n / GRID^2 of them per cell of a GRID x
    GRID grid first: burnt-in text, grain or one busy corner would otherwise take every
    feature, and an AI element over a quarter of the frame would get none."""
    if len(kps) <= n:
        return np.arange(len(kps))
    pts = np.array([k.pt for k in kps], dtype=np.float32)
    response = np.array([k.response for k in kps], dtype=np.float32)
    cell = (np.minimum(GRID - 1, (pts[:, 1] * GRID / h).astype(int)) * GRID
            + np.minimum(GRID - 1, (pts[:, 0] * GRID / w).astype(int)))
    order = np.lexsort((-response, cell))                 # by cell, strongest first within it
    first_of_cell = np.searchsorted(cell[order], np.arange(GRID * GRID))
    rank = np.empty(len(kps), dtype=np.int64)
    rank[order] = np.arange(len(kps)) - first_of_cell[cell[order]]
    per_cell = max(1, n // (GRID * GRID))
    # the first per_cell of each cell, then the rest, each by strength
    key = np.where(rank < per_cell, 0, 1)
    return np.lexsort((-response, key))[:n]


@dataclass(frozen=True)
class Placement:
    """Where a source's picture sits inside a query frame."""

    inliers: int
    scale: float          # the source's width, placed, as a share of the query frame's width
    rotation: float       # degrees
    cover: float          # share of the query frame the placed source picture covers
    spread: float = 1.0   # the inliers' extent in the query, as a share of its width or height (the smaller)
    sized: float = 1.0    # share of the inliers whose sizes agree with the scale

    def describe(self) -> str:
        turn = f", turned {self.rotation:+.1f} degrees" if abs(self.rotation) >= 0.5 else ""
        return (f"{self.inliers} matching details place it over {self.cover:.0%} of this frame, "
                f"{self.scale:.0%} of the frame's width{turn} (local features)")


def _pairs(src: Features, qry: Features) -> tuple[np.ndarray, np.ndarray]:
    """Indices (source, query) of descriptor pairs passing the distance and ratio tests."""
    cv2 = _require_cv2()
    if len(src) < 2 or len(qry) < 2:
        return np.empty(0, int), np.empty(0, int)
    knn = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(qry.descriptors, src.descriptors, k=2)
    si, qi = [], []
    for m in knn:
        if len(m) == 2 and m[0].distance <= MAX_DISTANCE and m[0].distance < RATIO * m[1].distance:
            si.append(m[0].trainIdx)
            qi.append(m[0].queryIdx)
    return np.array(si, int), np.array(qi, int)


def fit(src: Features, qry: Features) -> Placement | None:
    """The one similarity transform most descriptor pairs agree on, as a Placement, whatever
    it is (None: too few pairs to fit one). `accept` says whether it is a match."""
    cv2 = _require_cv2()
    si, qi = _pairs(src, qry)
    if si.size < 3:
        return None
    # both in the query's pixel units (its height = 1), so one similarity maps source onto query
    sp = src.points[si] * np.array([src.aspect, 1.0], np.float32)
    qp = qry.points[qi] * np.array([qry.aspect, 1.0], np.float32)
    unit = 256.0  # RANSAC_PX is in pixels of a 256-pixel-high picture
    M, inl = cv2.estimateAffinePartial2D(sp * unit, qp * unit, method=cv2.RANSAC,
                                         ransacReprojThreshold=RANSAC_PX, maxIters=2000, confidence=0.995)
    if M is None or inl is None:
        return None
    inl = inl.ravel().astype(bool)
    scale = math.hypot(M[0, 0], M[1, 0])
    spread = np.ptp(qry.points[qi][inl], axis=0) if inl.any() else np.zeros(2)
    # the pyramid level each detail was found at must agree with the transform's scale:
    # true pairs are the same detail seen at sizes the scale relates, chance pairs are not
    ratio = np.abs(np.log(qry.sizes[qi][inl] / np.maximum(src.sizes[si][inl] * scale, 1e-9)))
    sized = float(np.mean(ratio <= SIZE_TOLERANCE)) if inl.any() else 0.0
    return Placement(int(inl.sum()), round(scale * src.aspect / qry.aspect, 3),
                     round(math.degrees(math.atan2(M[1, 0], M[0, 0])), 2),
                     round(_cover(M, src.aspect, qry.aspect), 3), round(float(spread.min()), 3), round(sized, 3))


def accept(p: Placement | None) -> bool:
    """Whether a fitted placement is a match (the checks in the module doc)."""
    return (p is not None and p.inliers >= MIN_INLIERS and 1 / 6 <= p.scale <= 6 and abs(p.rotation) <= MAX_ROTATION
            and p.spread >= MIN_SPREAD and p.cover >= MIN_COVER and p.sized >= MIN_SIZED)


def place(src: Features, qry: Features) -> Placement | None:
    """The source picture found inside the query frame, or None."""
    if len(src) < MIN_INLIERS or len(qry) < MIN_INLIERS:
        return None
    p = fit(src, qry)
    return p if accept(p) else None


def _cover(M: np.ndarray, src_aspect: float, qry_aspect: float) -> float:
    """Share of the query frame covered by the source frame placed by M (sampled on a grid)."""
    g = (np.arange(24) + 0.5) / 24
    gx, gy = np.meshgrid(g * qry_aspect * 256, g * 256)
    q = np.stack([gx.ravel(), gy.ravel()], axis=1)
    A, t = M[:, :2], M[:, 2]
    try:
        s = (q - t) @ np.linalg.inv(A).T / 256
    except np.linalg.LinAlgError:
        return 0.0
    inside = (s[:, 0] >= 0) & (s[:, 0] <= src_aspect) & (s[:, 1] >= 0) & (s[:, 1] <= 1)
    return float(inside.mean())
