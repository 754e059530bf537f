"""Perceptual fingerprints for stills: find a copy of a registered AI picture after its tags are gone.

Metadata does not survive a JPEG re-save, a resize, a crop or a "strip all" export. The
picture does. This module turns a picture into a 256-bit PDQ hash (Meta's perceptual hash,
computed by the `pdqhash` package) so that two files showing the same picture are a small
Hamming distance apart and unrelated pictures are far apart (about 128 of 256 bits).

The pipeline, and why:

1. Decode with Pillow, refuse more than MAX_PIXELS (decompression bombs), JPEGs decoded in
   draft mode straight to luma at no less than the work size (fast), EXIF orientation
   applied, alpha flattened on white (what an editor does when it exports a JPEG), any mode
   to 8-bit luma (ITU-R 601, the weights PDQ itself uses). EXR and DPX go through ffmpeg
   and are brought to display light first (ffpictures.py).
2. Cut letterbox and pillarbox bars (activepicture.py): both sides are printed from their
   active picture, so a 16:9 picture boxed into a 4:3 or 2.39 frame hashes as itself.
3. Reduce to at most WORK_SIZE px on the long side (box filter), then resample to exactly
   64x64 with Pillow's antialiased Lanczos before PDQ. PDQ downsamples to 64x64 inside
   anyway, but with a box filter whose width depends on the input size: feeding it the
   same 64x64 for every size of the same picture brings a 25% resize from up to 48 bits
   (plain pdqhash) down to at most 8.
4. PDQ is not crop-tolerant: removing 1% from one side moves it 10-24 bits, 2.5% moves it
   ~50, 5% 50-90. Nor is it mirror-tolerant. So each still also gets:
   * `variants`: the hash of its centre 90% (5% margin on every side).
   * `crops` (AI sources only): the hashes of the picture, and of its mirror image, under
     a 3x3 grid of crops per axis (0, 2.5% or 5% cut from each side): 162 hypotheses, one
     of which is within ~1.25% a side of any copy cropped by up to CROP_MARGIN a side,
     flopped or not. Pillow Lanczos in separable passes: ~20 ms, once per source. Finals
     stills, the many, need only their two hashes: the hypotheses are on the other side.
   Comparing one still's own hashes with the other's hypotheses (both ways) matches crops
   of 0-5% per side, centred or not, and flops; and the centre hash covers the reverse
   case (the registered picture is itself the crop of the one found). Bigger crops,
   reframes, small rotations and pictures that are only part of a frame (comps, titles
   over much of it) are left to local features (localfeatures.py).

The numbers behind MATCH_THRESHOLD = 31 (bench/bench_fingerprints.py prints them again;
15 originals: a sample still, 4 corpus pictures, 10 generated photos): JPEG q70 <= 8
bits, q30 <= 6, resize 50% <= 4, resize 25% <= 8, metadata strip 0; crops of 5% off one
side, two sides or every side <= 10, 2.5% every side <= 12, random crops of 0-5% per side
<= 30 (median 14), crop + 50% + JPEG q70 <= 22. Grades (contrast, gamma, lift/gain,
saturation, white balance) 0-30. Unrelated pictures never come closer than 64 bits with
every hypothesis both ways (bench/bench_likeness.py: every ordered pair of 292 varied
pictures). 31 sits in between, closer to the copies' side; PDQ distances are almost always
even (the hash is thresholded at its median), so 31 behaves as 30. Limits: a copy that PDQ
rates below MIN_QUALITY (a crop of a picture that was borderline, 51-53) gets no
fingerprint and cannot match.
"""

from __future__ import annotations

import io
import os
import struct
import warnings
from dataclasses import dataclass, field
from typing import BinaryIO, Iterable, Union

import numpy as np
from PIL import Image

from .errors import UnreadableMedia

try:  # the compiled PDQ implementation (PyPI sdist "pdqhash", builds with the local gcc)
    import pdqhash as _pdq
except ImportError as exc:  # pragma: no cover - reported when first used
    _pdq = None
    _PDQ_IMPORT_ERROR = exc

KIND = "pdq"
HASH_BITS = 256
HASH_BYTES = HASH_BITS // 8
MATCH_THRESHOLD = 31          # Hamming distance (of 256) at or below which two stills match
MIN_QUALITY = 50              # PDQ quality below this: flat / featureless, no fingerprint
MAX_PIXELS = 100_000_000      # refuse to decode more than 100 MP
WORK_SIZE = 256               # long side of the luma image the hashes are cut from
CROP_MARGIN = 0.05            # crops of up to 5% per side are matched by a source's crop hypotheses
_CROP_GRID = (0.0, CROP_MARGIN / 2, CROP_MARGIN)

Source = Union[str, os.PathLike, BinaryIO, bytes]


class ImageTooLarge(UnreadableMedia):
    """The picture is bigger than MAX_PIXELS: refused rather than decoded (decompression bomb)."""


_MAGIC = b"AIPSTL02"


@dataclass(frozen=True)
class Fingerprint:
    """A still's perceptual fingerprint.

    bits     -- 32-byte PDQ hash of the whole active picture (bars trimmed): the primary hash.
    quality  -- PDQ quality 0-100 (gradient energy; flat pictures score low).
    kind     -- "pdq".
    variants -- further hashes of the same picture (the centre 90%).
    crops    -- crop and flop hypotheses: the hashes a copy of this picture would have if it
                were cropped by 0-5% a side, or mirrored, or both. Computed for AI sources
                (printed once, rarely) so that the many finals stills need none.
    features -- local features (localfeatures.Features) of the picture, and for a source of
                its mirror image too: what finds it when it is only part of a frame.
    """

    bits: bytes
    quality: int
    kind: str = KIND
    variants: tuple[bytes, ...] = ()
    crops: tuple[bytes, ...] = field(default=(), repr=False)
    features: tuple = field(default=(), repr=False, compare=False)

    @property
    def own(self) -> tuple[bytes, ...]:
        """The hashes of the picture as it is: bits + variants."""
        return (self.bits, *self.variants)

    @property
    def stored(self) -> tuple[bytes, ...]:
        """Every hash kept for this still (and indexed): its own and its crop hypotheses."""
        return tuple(dict.fromkeys((*self.own, *self.crops)))

    @property
    def queries(self) -> tuple[bytes, ...]:
        return self.stored

    def to_blob(self) -> bytes:
        """Magic, counts, the hashes (bits, variants, crops), then the feature blocks."""
        head = _MAGIC + struct.pack("<HHH", len(self.variants), len(self.crops), len(self.features))
        return head + b"".join((self.bits, *self.variants, *self.crops)) + b"".join(
            f.to_bytes() for f in self.features)

    @classmethod
    def from_blob(cls, blob: bytes, quality: int = 100, kind: str = KIND) -> "Fingerprint":
        blob = bytes(blob)
        if blob[:8] == _MAGIC:
            from .localfeatures import Features

            nv, nc, nf = struct.unpack_from("<HHH", blob, 8)
            off = 14
            parts = [blob[off + i * HASH_BYTES:off + (i + 1) * HASH_BYTES] for i in range(1 + nv + nc)]
            off += HASH_BYTES * (1 + nv + nc)
            feats = []
            for _ in range(nf):
                f, off = Features.from_bytes(blob, off)
                feats.append(f)
            return cls(bits=parts[0], quality=quality, kind=kind, variants=tuple(parts[1:1 + nv]),
                       crops=tuple(parts[1 + nv:]), features=tuple(feats))
        # prints made before crop hypotheses and features: concatenated hashes
        if not blob or len(blob) % HASH_BYTES:
            raise ValueError(f"a fingerprint blob is a multiple of {HASH_BYTES} bytes, got {len(blob)}")
        parts = [blob[i:i + HASH_BYTES] for i in range(0, len(blob), HASH_BYTES)]
        return cls(bits=parts[0], quality=quality, kind=kind, variants=tuple(parts[1:]))


# --------------------------------------------------------------------------------------
# distances


def hamming(a: bytes, b: bytes) -> int:
    """Number of differing bits between two equal-length hashes."""
    if len(a) != len(b):
        raise ValueError(f"hashes of different lengths: {len(a)} and {len(b)} bytes")
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).bit_count()


def still_distance(a: Fingerprint, b: Fingerprint) -> int:
    """Smallest distance between one still's own hashes and the other's hypotheses, both ways.

    Whichever side has crop hypotheses covers crops of up to CROP_MARGIN a side and flops
    of the other; without any, it still covers no crop, and a 90% centre crop either way.
    """
    best = HASH_BITS
    for own, other in ((a.own, b.stored), (b.own, a.stored)):
        for s in own:
            si = int.from_bytes(s, "big")
            for q in other:
                d = (si ^ int.from_bytes(q, "big")).bit_count()
                if d < best:
                    best = d
    return best


def is_match(a: Fingerprint, b: Fingerprint, threshold: int = MATCH_THRESHOLD) -> bool:
    return still_distance(a, b) <= threshold


# --------------------------------------------------------------------------------------
# hashing a 64x64 luma image (shared with videoprints)


def _require_pdq():
    if _pdq is None:  # pragma: no cover
        raise RuntimeError(f"the pdqhash package is needed for fingerprints: {_PDQ_IMPORT_ERROR}")
    return _pdq


def hash_luma64(luma: np.ndarray) -> tuple[bytes, int]:
    """PDQ of a 64x64 uint8 luma image -> (32-byte hash, quality)."""
    pdq = _require_pdq()
    g = np.ascontiguousarray(luma, dtype=np.uint8)
    rgb = np.repeat(g[:, :, None], 3, axis=2)
    vec, quality = pdq.compute(rgb)
    return np.packbits(np.asarray(vec, dtype=np.uint8)).tobytes(), int(quality)


# --------------------------------------------------------------------------------------
# resampling: Pillow's antialiased Lanczos with a (sub-pixel) source box, done as two
# separable passes so 81 crop hypotheses cost 9 row passes + 81 small column passes.
# (Pillow, not numpy matmuls: OpenBLAS threading on a busy 2-core machine made the
# equivalent matrix products 10x slower than this.)

_LANCZOS = Image.Resampling.LANCZOS


def _axis_crops(n: int) -> list[tuple[float, float]]:
    """The crops of an axis of length n a copy may have had: a cut from the start, b from the end."""
    return [(a * n, (1.0 - b) * n) for a in _CROP_GRID for b in _CROP_GRID]


def _luma64(luma: Image.Image, xr: tuple[float, float], yr: tuple[float, float]) -> np.ndarray:
    return np.asarray(luma.resize((64, 64), _LANCZOS, box=(xr[0], yr[0], xr[1], yr[1])))


def _crop_hashes(luma: Image.Image) -> tuple[bytes, ...]:
    """Hashes of the picture and of its mirror image under 3 x 3 crops per axis (0, 2.5 or 5%
    cut from each side): 162 hypotheses, one of which is within 1.25% a side of any copy
    cropped by up to 5% a side, mirrored or not. ~20 ms: paid once per AI source."""
    seen: dict[bytes, None] = {}
    for im in (luma, luma.transpose(Image.Transpose.FLIP_LEFT_RIGHT)):
        w, h = im.size
        ys = _axis_crops(h)
        for x0, x1 in _axis_crops(w):
            cols = im.resize((64, h), _LANCZOS, box=(x0, 0, x1, h))     # row pass
            for y0, y1 in ys:
                g = np.asarray(cols.resize((64, 64), _LANCZOS, box=(0, y0, 64, y1)))
                seen[hash_luma64(g)[0]] = None
    return tuple(seen)


def fingerprint_luma(luma: Image.Image, *, crops: bool = False, features: bool = False,
                     min_quality: int = MIN_QUALITY) -> Fingerprint | None:
    """Fingerprint an 8-bit luma picture: its active picture (bars trimmed), hashed whole and
    at its centre 90%; with `crops`, also its crop and flop hypotheses; with `features`, its
    local features (a source's, larger and of both orientations, when crops are asked for too).
    None when the picture is too flat to hash."""
    from .activepicture import trim

    a = trim(np.asarray(luma))
    if min(a.shape[:2]) < 8:
        return None
    active = Image.fromarray(np.ascontiguousarray(a), "L")
    small = active
    if max(small.size) > WORK_SIZE:
        small = small.copy()
        small.thumbnail((WORK_SIZE, WORK_SIZE), Image.Resampling.BOX, reducing_gap=2.0)
    w, h = small.size
    full, quality = hash_luma64(_luma64(small, (0.0, w), (0.0, h)))
    if quality < min_quality:
        return None
    m = CROP_MARGIN
    centre, _ = hash_luma64(_luma64(small, (m * w, (1 - m) * w), (m * h, (1 - m) * h)))
    feats: tuple = ()
    if features:
        from . import localfeatures as lf

        if crops:
            big = active
            if max(big.size) > lf.SOURCE_SIDE:
                big = big.copy()
                big.thumbnail((lf.SOURCE_SIDE, lf.SOURCE_SIDE), Image.Resampling.BOX, reducing_gap=2.0)
            arr = np.asarray(big)
            found = [lf.extract(x, lf.SOURCE_FEATURES, levels=lf.SOURCE_LEVELS) for x in (arr, arr[:, ::-1])]
        else:
            found = [lf.extract(np.asarray(small))]
        feats = tuple(f for f in found if f is not None)
    return Fingerprint(bits=full, quality=quality, kind=KIND, variants=(centre,),
                       crops=_crop_hashes(small) if crops else (), features=feats)


# --------------------------------------------------------------------------------------
# decoding


_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _to_luma(im: Image.Image) -> Image.Image:
    """Any Pillow mode -> 8-bit 'L' (ITU-R 601 luma), alpha flattened on white."""
    mode = im.mode
    if mode == "L":
        return im
    if mode.startswith("I;16") or mode in ("I", "F"):
        a = np.asarray(im, dtype=np.float64)
        top = float(a.max()) if a.size else 0.0
        if mode.startswith("I;16") or top > 255:
            a = a / 257.0 if top <= 65535 else a * (255.0 / top)
        return Image.fromarray(np.clip(np.rint(a), 0, 255).astype(np.uint8), "L")
    if mode == "1":
        return im.convert("L")
    has_alpha = mode in ("RGBA", "LA", "PA", "RGBa", "La") or (mode == "P" and "transparency" in im.info)
    if has_alpha:
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("L")
    if mode not in ("RGB", "L"):
        im = im.convert("RGB")
    return im.convert("L")


def _open(src: Source) -> Image.Image:
    if isinstance(src, (bytes, bytearray, memoryview)):
        src = io.BytesIO(bytes(src))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            return Image.open(src)
        except Image.DecompressionBombError as exc:
            raise ImageTooLarge(f"{_name(src)}: {exc}") from exc
        except (OSError, ValueError, SyntaxError) as exc:  # UnidentifiedImageError is an OSError
            raise UnreadableMedia(f"{_name(src)}: not a picture Pillow can decode ({exc})") from exc


def _name(src) -> str:
    if isinstance(src, (str, os.PathLike)):
        return os.fspath(src)
    return getattr(src, "name", "<stream>")


def load_luma(src: Source, max_pixels: int = MAX_PIXELS, work_size: int = WORK_SIZE) -> Image.Image:
    """Decode a picture to an oriented 8-bit luma image no larger than work_size on its long side."""
    im = _open(src)
    try:
        w, h = im.size
        if w * h > max_pixels:
            raise ImageTooLarge(f"{_name(src)}: {w}x{h} = {w * h / 1e6:.0f} MP is over the "
                                f"{max_pixels / 1e6:.0f} MP limit")
        try:
            orientation = int(im.getexif().get(0x0112, 1) or 1)
        except Exception:  # broken EXIF is not a reason to give up on the pixels
            orientation = 1
        if im.format == "JPEG" and im.mode in ("RGB", "L", "YCbCr"):
            # DCT-domain downscale, luma only, to no less than the work size: decoding a 640x480
            # JPEG at half size is 10% faster, and the reduction after it 4x cheaper
            f = work_size / max(w, h)
            if f < 1:
                im.draft("L", (max(1, int(w * f)), max(1, int(h * f))))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            try:
                im.load()
            except (OSError, ValueError, SyntaxError) as exc:
                raise UnreadableMedia(f"{_name(src)}: picture data could not be decoded ({exc})") from exc
            luma = _to_luma(im)
        if luma is im:
            luma = im.copy()          # `im` is closed below
        if max(luma.size) > work_size:
            luma.thumbnail((work_size, work_size), Image.Resampling.BOX, reducing_gap=2.0)
        if orientation in _TRANSPOSE:
            luma = luma.transpose(_TRANSPOSE[orientation])
        return luma
    finally:
        im.close()


def still_fingerprint(src: Source, *, crops: bool = True, features: bool = False,
                      min_quality: int = MIN_QUALITY, max_pixels: int = MAX_PIXELS) -> Fingerprint | None:
    """Fingerprint a still from a path, an open binary file or bytes.

    Returns None for pictures PDQ rates below min_quality (flat, featureless: a black
    frame, a solid colour): their hash would match every other flat picture. Raises
    ImageTooLarge over max_pixels and UnreadableMedia for anything Pillow cannot decode.
    crops=False skips the 162 crop and flop hypotheses (~20 ms): a still that is only
    searched for (finals material) needs none when the sources it is compared with have them.
    """
    from . import localfeatures as lf

    work = lf.SOURCE_SIDE if (features and crops) else WORK_SIZE
    luma = load_luma(src, max_pixels=max_pixels, work_size=work)
    return fingerprint_luma(luma, crops=crops, features=features, min_quality=min_quality)


def fingerprint_array(rgb_or_luma: np.ndarray, *, crops: bool = True, features: bool = False,
                      min_quality: int = MIN_QUALITY) -> Fingerprint | None:
    """Fingerprint pixels already in memory (H x W luma, or H x W x 3 RGB uint8)."""
    a = np.asarray(rgb_or_luma)
    im = _to_luma(Image.fromarray(a.astype(np.uint8), "L" if a.ndim == 2 else "RGB"))
    return fingerprint_luma(im, crops=crops, features=features, min_quality=min_quality)


def hashes_to_matrix(hashes: Iterable[bytes]) -> np.ndarray:
    """Pack hashes into an (N, 32) uint8 matrix (the layout FingerprintIndex.add_many takes)."""
    buf = b"".join(hashes)
    if len(buf) % HASH_BYTES:
        raise ValueError("hashes must all be 32 bytes")
    return np.frombuffer(buf, dtype=np.uint8).reshape(-1, HASH_BYTES)
