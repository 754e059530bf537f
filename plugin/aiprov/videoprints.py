"""Perceptual fingerprints for clips: find a temp AI shot inside a re-encoded, cut master.

A clip is fingerprinted by sampled frames: about one per second, each reduced by ffmpeg to
64x64 luma and hashed with the same PDQ as stills (fingerprints.hash_luma64), with its
timestamp. The same 256-bit kind as stills means frames can go into the same
FingerprintIndex, and a registered AI still held on screen in a cut can be found by
querying that index with the frames of the cut.

Getting the frames without decoding every frame (decoding 1080p is what costs; the
ffmpeg `fps=1` filter decodes everything and then drops). One ffmpeg process per clip, in
one of three modes, picked per file by `mode="auto"`:

* "seek"  -- intra-only codecs (ProRes, DNxHD/HR, MJPEG, JPEG 2000, FFV1, raw, ...), and
  long-GOP files whose keyframes are less than half an interval apart: the concat
  demuxer gets one entry per sample time (`inpoint t`, `outpoint t + half a frame`), so
  the demuxer seeks and the decoder sees one packet per sample. Reads and decodes only
  the sampled frames.
* "keyframes" -- long-GOP codecs (H.264, HEVC, ...) whose keyframes are at most two
  intervals apart (delivery/mezzanine encodes use 0.5-2 s GOPs): `-skip_frame nokey`, the
  decoder decodes keyframes only. Encoders also put keyframes on scene cuts, so these
  samples include the scene changes.
* "sequential" -- long-GOP with sparse keyframes (x264's default keyint 250 = 10 s), or
  dense sampling (interval below two frames): every reference frame has to be decoded
  anyway to reach the others, so decode sequentially but skip what nothing refers to
  (`-skip_frame bidir` for H.264 / MPEG-2 / MPEG-4 Part 2: all B-frames; `noref` for other
  codecs), and keep one frame per interval plus every I-frame (`select`). Skipping the
  loop filter as well was measured and rejected: it saves a tenth of the decoding but the
  samples drift from the true frames as the GOP goes on (1080p x264 with 10 s GOPs: 4 bits
  on average, 14 at most; grainy crf 30: 9.5 on average, 28 at most, of a 40-bit bar).
  A clip of 16 s or more is cut at keyframes into one part per core, each decoded by its
  own ffmpeg from its first keyframe to the next part's: GOPs do not depend on each other,
  and no frame is decoded twice.

Each sampled frame is decoded at 128x128, its letterbox or pillarbox bars are cut
(activepicture.py), and the rest is resampled to the 64x64 PDQ hashes; an AI source's
print also keeps each frame's mirror-image hash, so a flopped use is found.

bench/bench_fingerprints.py measures each against decoding every frame (`-f null`);
bench/bench_likeness.py the parts side by side.

Matching (`match_clip`): every target sample is compared with every source sample; each
pair within the threshold votes for a time offset (target time - source time). Offsets
with enough distinct target samples, consecutive in time, become Segments: where in the
target the source material plays, and which part of the source it is. Register AI clips
densely (interval_s=0 or 1/fps: every frame; a 10 s clip is 240 hashes, 7.7 KB) and scan
masters at 1 s: then every target sample finds the source frame it was cut from, and
offsets are exact to a frame. Graded (within the threshold), reframed by up to ~5% a
side, letterboxed, pillarboxed and mirrored uses match; retimed (speed-changed) and
picture-in-picture uses do not.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import struct
import subprocess
import tempfile
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache

import numpy as np

from .errors import UnreadableMedia
from .fingerprints import HASH_BYTES, MIN_QUALITY, hash_luma64

FRAME_SIDE = 64
# Frames are decoded at 128x128 (aspect squeezed; rows and columns stay rows and columns) so
# that letterbox and pillarbox bars can be found and cut before the 64x64 the hash is made from.
DECODE_SIDE = 128
# Per-frame PDQ distance (of 256) for clips. Measured on a 10 s mandelbrot zoom: re-encoded
# and rescaled 0-4 bits, H.264 crf 38 at 320x180 <= 14, graded (contrast/gamma/saturation)
# <= 8, 5% cropped off every side <= 38; frames of unrelated sources (testsrc2, smptebars
# with noise, life) >= 94. A segment also needs MIN_SEGMENT_FRAMES samples agreeing on one
# time offset, which is what makes a looser per-frame bar than stills' 31 safe.
VIDEO_MATCH_THRESHOLD = 40
MIN_SEGMENT_FRAMES = 3         # target samples with one consistent offset before we report a segment
_SHOWINFO = re.compile(r"\bn:\s*(\d+)\s+pts:\s*(-?\d+)\s+pts_time:\s*(-?[0-9.]+(?:e[-+]?\d+)?)")
_MAGIC = b"AIPCLP01"
_MAGIC2 = b"AIPCLP02"


@dataclass
class ClipPrint:
    """Sampled-frame fingerprint of a clip.

    frames     -- [(t_seconds from the start of the video stream, 32-byte PDQ)], time order;
                  flat frames (black, a solid slate) are left out.
    duration   -- seconds.
    fps        -- the stream's frame rate (0.0 if unknown).
    interval_s -- requested sampling interval (0 = every frame).
    mode       -- how the frames were sampled: seek / keyframes / sequential.
    flopped    -- the same frames' hashes mirrored (AI sources: a flopped use is found too);
                  empty, or one per frame.
    """

    frames: list[tuple[float, bytes]]
    duration: float
    fps: float
    interval_s: float = 1.0
    mode: str = ""
    width: int = 0
    height: int = 0
    sampled: int = 0          # frames decoded and hashed, including flat ones left out
    flopped: list[bytes] = field(default_factory=list)

    def times(self) -> np.ndarray:
        return np.array([t for t, _ in self.frames], dtype=np.float64)

    def matrix(self) -> np.ndarray:
        if not self.frames:
            return np.empty((0, HASH_BYTES), dtype=np.uint8)
        return np.frombuffer(b"".join(b for _, b in self.frames), dtype=np.uint8).reshape(-1, HASH_BYTES)

    def mirrored(self) -> "ClipPrint":
        """The print of the clip flopped (its flopped hashes as frames)."""
        return ClipPrint(frames=[(t, f) for (t, _), f in zip(self.frames, self.flopped)], duration=self.duration,
                         fps=self.fps, interval_s=self.interval_s, mode=self.mode, width=self.width,
                         height=self.height, sampled=self.sampled)

    def to_blob(self) -> bytes:
        """Compact form for a SQLite BLOB: 41 bytes header + 36 (68 with flops) bytes per frame."""
        flops = len(self.flopped) == len(self.frames) and bool(self.frames)
        head = _MAGIC2 + struct.pack("<dddIB", self.duration, self.fps, self.interval_s, len(self.frames), flops)
        if flops:
            body = b"".join(struct.pack("<f", t) + b + f for (t, b), f in zip(self.frames, self.flopped))
        else:
            body = b"".join(struct.pack("<f", t) + b for t, b in self.frames)
        return head + body

    @classmethod
    def from_blob(cls, blob: bytes) -> "ClipPrint":
        if blob[:8] == _MAGIC:
            duration, fps, interval, n = struct.unpack_from("<dddI", blob, 8)
            off, flops = 8 + struct.calcsize("<dddI"), False
        elif blob[:8] == _MAGIC2:
            duration, fps, interval, n, flops = struct.unpack_from("<dddIB", blob, 8)
            off = 8 + struct.calcsize("<dddIB")
        else:
            raise ValueError("not a ClipPrint blob")
        frames, flopped = [], []
        for i in range(n):
            (t,) = struct.unpack_from("<f", blob, off)
            frames.append((float(t), bytes(blob[off + 4:off + 4 + HASH_BYTES])))
            off += 4 + HASH_BYTES
            if flops:
                flopped.append(bytes(blob[off:off + HASH_BYTES]))
                off += HASH_BYTES
        return cls(frames=frames, duration=duration, fps=fps, interval_s=interval, flopped=flopped)


@dataclass(frozen=True)
class Segment:
    """Where source material plays inside a target (seconds), and which part of the source."""

    target_in: float
    target_out: float
    source_in: float
    source_out: float
    frames_matched: int
    mean_distance: float = field(default=0.0, compare=False)

    def timecodes(self, fps: float) -> tuple[str, str]:
        return timecode(self.target_in, fps), timecode(self.target_out, fps)


# --------------------------------------------------------------------------------------
# timecode


def timecode(seconds: float, fps: float, drop_frame: bool = False) -> str:
    """Seconds -> "HH:MM:SS:FF" at a frame rate (non-drop-frame; 23.976 counts as 24, and
    so on). drop_frame=True gives SMPTE drop-frame "HH:MM:SS;FF" for 29.97 / 59.94."""
    if fps <= 0:
        raise ValueError("fps must be positive")
    nominal = int(round(fps))
    frames = int(math.floor(max(seconds, 0.0) * fps + 1e-6))
    if drop_frame and nominal in (30, 60) and abs(fps - nominal) > 1e-3:
        drop = nominal // 15                         # 2 frames per minute at 29.97, 4 at 59.94
        per_10min = nominal * 600 - drop * 9
        per_min = nominal * 60 - drop
        tens, rem = divmod(frames, per_10min)
        frames += drop * 9 * tens + (drop * ((rem - drop) // per_min) if rem > drop else 0)
        sep = ";"
    else:
        sep = ":"
    ff = frames % nominal
    total_s = frames // nominal
    return f"{total_s // 3600:02d}:{total_s // 60 % 60:02d}:{total_s % 60:02d}{sep}{ff:02d}"


# --------------------------------------------------------------------------------------
# probing


def _tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise UnreadableMedia(f"{name} is needed to fingerprint video and is not on PATH")
    return path


@lru_cache(maxsize=1)
def _intra_only_codecs() -> frozenset[str]:
    """Codec names ffmpeg flags as intra-frame-only ('I' in `ffprobe -codecs`)."""
    try:
        out = subprocess.run([_tool("ffprobe"), "-v", "error", "-hide_banner", "-codecs"],
                             capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    names = set()
    for line in out.splitlines():
        m = re.match(r"^\s([D.])([E.])([VAS.])([I.])([L.])([S.])\s+(\S+)", line)
        if m and m.group(3) == "V" and m.group(4) == "I":
            names.add(m.group(7))
    return frozenset(names)


def _frac(s: str | None) -> float:
    try:
        f = Fraction(s or "0")
        return float(f) if f > 0 else 0.0
    except (ValueError, ZeroDivisionError):
        return 0.0


@dataclass
class _Info:
    codec: str
    fps: float
    duration: float
    start: float
    width: int
    height: int
    intra_only: bool


def probe(path: str | os.PathLike) -> _Info:
    cmd = [_tool("ffprobe"), "-v", "error", "-select_streams", "v:0", "-show_entries",
           "stream=codec_name,avg_frame_rate,r_frame_rate,duration,start_time,width,height,nb_frames"
           ":format=duration,start_time", "-of", "json", os.fspath(path)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    try:
        data = json.loads(r.stdout or "{}")
    except json.JSONDecodeError:
        data = {}
    streams = data.get("streams") or []
    if r.returncode != 0 or not streams:
        raise UnreadableMedia(f"{os.fspath(path)}: no video stream ffprobe can read "
                              f"({(r.stderr or '').strip()[:200]})")
    s, fmt = streams[0], data.get("format") or {}
    fps = _frac(s.get("avg_frame_rate")) or _frac(s.get("r_frame_rate"))
    duration = _frac(s.get("duration")) or _frac(fmt.get("duration"))
    if not duration and fps and s.get("nb_frames", "").isdigit():
        duration = int(s["nb_frames"]) / fps
    start = _frac(s.get("start_time")) if s.get("start_time") not in (None, "N/A") else 0.0
    codec = s.get("codec_name", "")
    return _Info(codec=codec, fps=fps, duration=duration, start=start,
                 width=int(s.get("width") or 0), height=int(s.get("height") or 0),
                 intra_only=codec in _intra_only_codecs())


def _packets_cmd(path: str | os.PathLike, packets: int | None = None) -> list[str]:
    read = ["-read_intervals", f"%+#{packets}"] if packets else []
    return [_tool("ffprobe"), "-v", "error", "-select_streams", "v:0", *read,
            "-show_entries", "packet=pts_time,dts_time,flags", "-of", "csv=p=0", os.fspath(path)]


def _key_times(listing: str) -> list[float]:
    keys = []
    for line in listing.splitlines():
        parts = line.split(",")
        if len(parts) >= 3 and "K" in parts[2]:
            t = parts[0] if parts[0] not in ("", "N/A") else parts[1]
            try:
                keys.append(float(t))
            except ValueError:
                pass
    keys.sort()
    return keys


def keyframe_times(path: str | os.PathLike, packets: int | None = None) -> list[float]:
    """Presentation times of the video stream's keyframes, in order, from the container's packet
    flags (demux only: nothing is decoded), over the first `packets` packets or all of them."""
    r = subprocess.run(_packets_cmd(path, packets), capture_output=True, text=True, timeout=600)
    return _key_times(r.stdout)


class _Listing:
    """keyframe_times(path) started ahead, while probe() runs: the two ffprobe runs overlap
    (a tenth of a second of a two-second 1080p minute), and the listing is stopped unread
    when the probe says it is not needed (intra-only codecs are sampled by seeking)."""

    def __init__(self, path: str):
        self._proc = subprocess.Popen(_packets_cmd(path), stdout=subprocess.PIPE,
                                      stderr=subprocess.DEVNULL, text=True)

    def keys(self) -> list[float]:
        try:
            out, _ = self._proc.communicate(timeout=600)
        except subprocess.TimeoutExpired:
            self.cancel()
            return []
        return _key_times(out)

    def cancel(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.communicate()


# --------------------------------------------------------------------------------------
# sampling frames


class _Keyframes:
    """A clip's keyframe times, read from the container once and only as far as needed: the
    first packets tell the GOP length; cutting a long clip into parts needs them all. With a
    `listing` started beside the probe (mode "auto") they are all read in one go, and not at all
    for an intra-only codec (sampled by seeking)."""

    PACKETS = 720

    def __init__(self, path: str, info: _Info, listing: _Listing | None = None):
        self.path, self.info = path, info
        self._all: list[float] | None = None
        if listing is not None and info.intra_only:
            listing.cancel()
        elif listing is not None:
            self._all = listing.keys()

    def interval(self) -> float | None:
        """Median seconds between keyframes near the start (about the first PACKETS packets)."""
        if self._all is None:
            keys = keyframe_times(self.path, self.PACKETS)
        else:
            span = self.PACKETS / self.info.fps if self.info.fps else float("inf")
            keys = [t for t in self._all if t - self.info.start <= span]
        return float(np.median(np.diff(keys))) if len(keys) >= 2 else None

    def all(self) -> list[float]:
        if self._all is None:
            self._all = keyframe_times(self.path)
        return self._all


def _choose_mode(keys: _Keyframes, info: _Info, interval_s: float) -> str:
    frame = 1.0 / info.fps if info.fps else 0.04
    if interval_s < 2 * frame:
        return "sequential"                      # every frame: nothing to skip
    if info.intra_only:
        return "seek"
    ki = keys.interval()
    if ki is None:
        return "sequential"
    if ki <= interval_s / 2:
        return "seek"                            # keyframes dense: each seek decodes little
    if ki <= 2 * interval_s:
        return "keyframes"
    return "sequential"


def _concat_quote(path: str) -> str:
    return "'" + path.replace("'", "'\\''") + "'"


def _frame_hashes(frame: np.ndarray) -> tuple[bytes, int, bytes]:
    """(hash, quality, hash of the mirror image) of a decoded frame's active picture."""
    from PIL import Image

    from .activepicture import trim

    a = trim(frame)
    if a.shape != (FRAME_SIDE, FRAME_SIDE):
        a = np.asarray(Image.fromarray(np.ascontiguousarray(a), "L").resize((FRAME_SIDE, FRAME_SIDE),
                                                                           Image.Resampling.LANCZOS))
    h, q = hash_luma64(a)
    return h, q, hash_luma64(a[:, ::-1])[0]


def _run_ffmpeg(args: list[str]) -> tuple[list[tuple[bytes, int, bytes]], list[float]]:
    """Run ffmpeg writing DECODE_SIDE-square gray rawvideo to stdout (showinfo on stderr, to a
    temp file); hash frames as they arrive, so memory stays at 64 bytes per frame however long
    the clip."""
    cmd = [_tool("ffmpeg"), "-nostdin", "-hide_banner", "-nostats", "-loglevel", "info", *args]
    size = DECODE_SIDE * DECODE_SIDE
    hashes: list[tuple[bytes, int, bytes]] = []
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err)
        try:
            assert proc.stdout is not None
            while True:
                buf = proc.stdout.read(size)
                if len(buf) < size:
                    break
                hashes.append(_frame_hashes(np.frombuffer(buf, dtype=np.uint8).reshape(DECODE_SIDE, DECODE_SIDE)))
            rc = proc.wait()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        err.seek(0)
        log = err.read().decode("utf-8", "replace")
    times = [float(m.group(3)) for m in _SHOWINFO.finditer(log)]
    if rc != 0 and not hashes:
        tail = " / ".join(log.strip().splitlines()[-3:])
        raise UnreadableMedia(f"ffmpeg could not decode frames: {tail[:300]}")
    if len(times) != len(hashes):
        times = (times + [float("nan")] * len(hashes))[:len(hashes)]
    return hashes, times


_SCALE = f"scale={DECODE_SIDE}:{DECODE_SIDE}:flags=area"
_OUT = ["-an", "-sn", "-dn", "-vsync", "passthrough", "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1"]


def _sample_seek(path: str, info: _Info, interval_s: float) -> tuple[list[tuple[bytes, int]], list[float]]:
    fps = info.fps or 25.0
    half = 0.5 / fps
    n = max(1, int(math.floor(info.duration / interval_s - 1e-9)) + 1) if info.duration else 1
    grid = [round(k * interval_s * fps) / fps for k in range(n)]
    grid = [t for t in grid if not info.duration or t < info.duration - half] or [0.0]
    fd, listfile = tempfile.mkstemp(prefix="aiprov_clip_", suffix=".txt")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            q = _concat_quote(os.path.abspath(path))
            for t in grid:
                fh.write(f"file {q}\ninpoint {info.start + t:.6f}\noutpoint {info.start + t + half:.6f}\n")
        frames, out_t = _run_ffmpeg(["-f", "concat", "-safe", "0", "-i", listfile, "-map", "0:v:0",
                                     "-vf", f"{_SCALE},showinfo", *_OUT])
    finally:
        os.unlink(listfile)
    # concat lays segment k at output time k * half: map each frame back to its sample time
    times, keep = [], []
    used = set()
    for i, ot in enumerate(out_t):
        k = i if (len(out_t) == len(grid) or math.isnan(ot)) else int(round(ot / half))
        if 0 <= k < len(grid) and k not in used:
            used.add(k)
            keep.append(i)
            times.append(grid[k])
    return [frames[i] for i in keep], times


# Long-GOP codecs where skipping every B-frame leaves the other frames intact: MPEG-1/2/4
# B-frames are never references, and x264 uses its B-pyramid references for B-frames only
# (the bench's x264 clips: sampled hashes identical to a full decode). An H.264 encoder
# that predicts P-frames from B-frames would give concealed, slightly wrong samples.
# Anything else skips only non-reference frames, which is always exact.
_SKIP_BIDIR = frozenset({"h264", "mpeg1video", "mpeg2video", "mpeg4"})


# Decoding a long-GOP stream is sequential within a GOP, but GOPs are independent: a long
# clip is cut at keyframes into one part per core, each decoded by its own ffmpeg from its
# first keyframe to the next part's, so no frame is decoded twice, its samples kept within
# its bounds. 1080p24 H.264 with 10 s GOPs, sampled every 0.5 s: bench/bench_likeness.py.
MIN_PART_S = 8.0


def _parts(keyframes: _Keyframes, info: _Info, mode: str, parts: int | None = None) -> list[tuple[float, float | None]]:
    """[(start, end)] parts of the clip to decode side by side, cut at keyframes (seconds from
    the start of the stream); one part: [(0, None)]."""
    cores = parts or min(os.cpu_count() or 1, 4)
    n = min(cores, int(info.duration // MIN_PART_S)) if mode == "sequential" and not info.intra_only else 1
    if n < 2:
        return [(0.0, None)]
    keys = [t - info.start for t in keyframes.all()]
    keys = [t for t in keys if MIN_PART_S / 4 <= t <= info.duration - MIN_PART_S / 4]
    cuts: list[float] = []
    for k in range(1, n):
        if keys:
            near = min(keys, key=lambda t: abs(t - info.duration * k / n))
            if near not in cuts:
                cuts.append(near)
    if not cuts:
        return [(0.0, None)]
    cuts = sorted(cuts)
    return list(zip([0.0, *cuts], [*cuts, None]))


def _sample_stream(path: str, info: _Info, interval_s: float, mode: str, skip: bool = True,
                   parts: int | None = None, keyframes: _Keyframes | None = None
                   ) -> tuple[list[tuple[bytes, int, bytes]], list[float]]:
    cut = _parts(keyframes or _Keyframes(path, info), info, mode, parts)
    if len(cut) == 1:
        return _sample_part(path, info, interval_s, mode, skip)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(len(cut)) as pool:
        done = list(pool.map(lambda p: _sample_part(path, info, interval_s, mode, skip, *p, threads=1), cut))
    return [f for fr, _ in done for f in fr], [t for _, ts in done for t in ts]


def _sample_part(path: str, info: _Info, interval_s: float, mode: str, skip: bool = True, start: float = 0.0,
                 end: float | None = None, threads: int | None = None) -> tuple[list, list[float]]:
    pre: list[str] = []
    frame = 1.0 / info.fps if info.fps else 0.0
    step = max(interval_s - 0.5 * frame, 0.0)
    bounds = ""
    if start or end is not None:   # a part from one keyframe to the next part's: keep only its own frames
        t0, t1 = info.start + start, info.start + (end if end is not None else info.duration + 1)
        if start:
            # a quarter frame past the keyframe, so the seek lands on it and not the one before;
            # the keyframe itself is kept (no accurate seek), the bounds below drop anything earlier
            pre += ["-ss", f"{t0 + frame / 4:.6f}", "-noaccurate_seek"]
        pre += ["-to", f"{t1 + 4 * frame:.6f}", "-copyts"]
        bounds = f"gte(t\\,{t0 - 1e-4:.6f})*lt(t\\,{t1 - 1e-4:.6f})*"
    if mode == "keyframes":
        pre += ["-skip_frame", "nokey"]
        sel = f"select='{bounds}(isnan(prev_selected_t)+gte(t-prev_selected_t\\,{step / 2:.6f}))',"
    else:
        if skip and frame and interval_s >= 2 * frame:
            pre += ["-skip_frame", "bidir" if info.codec in _SKIP_BIDIR else "noref"]
        keys = "" if info.intra_only else "+eq(pict_type\\,I)"
        sel = (f"select='{bounds}(isnan(prev_selected_t)+gte(t-prev_selected_t\\,{step:.6f}){keys})',"
               if step > 0 else (f"select='{bounds}1'," if bounds else ""))
    if threads:
        pre += ["-threads", str(threads)]
    frames, out_t = _run_ffmpeg([*pre, "-i", os.fspath(path), "-map", "0:v:0",
                                 "-vf", f"{sel}{_SCALE},showinfo", *_OUT])
    times = [t - info.start if not math.isnan(t) else float("nan") for t in out_t]
    return frames, times


def clip_fingerprint(path: str | os.PathLike, interval_s: float = 1.0, *, mode: str = "auto",
                     min_quality: int = MIN_QUALITY, skip_frames: bool = True, flops: bool = False,
                     parts: int | None = None) -> ClipPrint:
    """Fingerprint a clip by one frame per `interval_s` seconds (0: every frame).

    mode: "auto" (pick per file, see the module doc), "seek", "keyframes" or "sequential".
    skip_frames=False makes "sequential" decode every frame (the reference the bench
    checks the faster modes against). parts: how many ffmpeg processes share a long-GOP
    clip decoded sequentially (default: one per core, for clips of 16 s or more).
    flops: also hash each sample mirrored (AI sources).
    Raises UnreadableMedia when there is no decodable video stream.
    """
    path = os.fspath(path)
    if interval_s < 0:
        raise ValueError("interval_s must be >= 0")
    listing = _Listing(path) if mode == "auto" else None
    try:
        info = probe(path)
    except BaseException:
        if listing is not None:
            listing.cancel()
        raise
    keyframes = _Keyframes(path, info, listing)
    if mode == "auto":
        mode = _choose_mode(keyframes, info, interval_s)
    if mode == "seek" and "\n" in os.path.abspath(path):
        mode = "sequential"                      # a concat list cannot name such a file
    if mode == "seek":
        frames, times = _sample_seek(path, info, max(interval_s, 1.0 / (info.fps or 25.0)))
    elif mode in ("keyframes", "sequential"):
        frames, times = _sample_stream(path, info, interval_s, mode, skip_frames, parts, keyframes)
    else:
        raise ValueError(f"unknown mode {mode!r}")
    out: list[tuple[float, bytes, bytes]] = []
    for (h, q, f), t in zip(frames, times):
        if not math.isnan(t) and q >= min_quality:
            out.append((round(max(t, 0.0), 6), h, f))
    out.sort(key=lambda x: x[0])
    return ClipPrint(frames=[(t, h) for t, h, _ in out], duration=info.duration, fps=info.fps,
                     interval_s=interval_s, mode=mode, width=info.width, height=info.height, sampled=len(times),
                     flopped=[f for _, _, f in out] if flops else [])


# --------------------------------------------------------------------------------------
# matching


def _distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(len(a), len(b)) Hamming distances between two (N, 32) uint8 matrices."""
    aw, bw = a.view(np.uint64), b.view(np.uint64)
    out = np.empty((aw.shape[0], bw.shape[0]), dtype=np.uint16)
    step = max(1, 1_000_000 // max(bw.shape[0], 1))
    for s in range(0, aw.shape[0], step):
        out[s:s + step] = np.bitwise_count(aw[s:s + step, None, :] ^ bw[None, :, :]).sum(axis=2, dtype=np.uint16)
    return out


def _spacing(times: np.ndarray, fallback: float) -> float:
    if times.size >= 2:
        d = np.diff(times)
        d = d[d > 0]
        if d.size:
            return float(np.median(d))
    return fallback


def match_clip(source: ClipPrint, target: ClipPrint, threshold: int = VIDEO_MATCH_THRESHOLD, *,
               min_frames: int = MIN_SEGMENT_FRAMES, max_gap_s: float | None = None) -> list[Segment]:
    """Where does `source` material appear inside `target`? Segments in target order.

    A segment is a run of target samples, no more than max_gap_s apart (default: three
    target sampling intervals), each within `threshold` of a source frame at one
    consistent offset, with at least `min_frames` of them. target_in/out are placed halfway
    between the first/last matching sample and its unmatched neighbour, and clamped to
    where the source can be (its start and end at that offset).
    """
    if not source.frames or not target.frames:
        return []
    st, tt = source.times(), target.times()
    D = _distances(target.matrix(), source.matrix())              # (nt, ns)
    s_step = _spacing(st, 1.0 / source.fps if source.fps else 1.0)
    t_step = _spacing(tt, max(target.interval_s, 1.0 / target.fps if target.fps else 1.0))
    if max_gap_s is None:
        max_gap_s = 3.0 * t_step + 1e-6
    tol = max(s_step, 1.0 / source.fps if source.fps else 0.0, 1e-3) * 1.01
    ti, si = np.nonzero(D <= threshold)
    if ti.size == 0:
        return []
    offs = tt[ti] - st[si]
    dist = D[ti, si].astype(np.float64)
    alive = np.ones(ti.size, dtype=bool)                           # pairs still in play
    segments: list[Segment] = []
    bins = np.round(offs / tol).astype(np.int64)                   # offset bins
    frame = 1.0 / target.fps if target.fps else 0.0
    while alive.any():
        ub, inv = np.unique(bins[alive], return_inverse=True)
        # per (offset bin, target sample): the closest pair
        o = np.lexsort((dist[alive], ti[alive], inv))
        b_o, t_o, d_o = inv[o], ti[alive][o], dist[alive][o]
        head = np.concatenate(([True], (b_o[1:] != b_o[:-1]) | (t_o[1:] != t_o[:-1])))
        counts = np.bincount(b_o[head], minlength=ub.size).astype(np.int64)
        dsum = np.bincount(b_o[head], weights=d_o[head], minlength=ub.size)
        # rank bins by samples agreeing within +-1 bin (offset jitter), then by their own
        # count, then by closeness: ties go to the most exact offset, not the first one
        near = counts.copy()
        for shift in (-1, 1):
            idx = np.minimum(np.searchsorted(ub, ub + shift), ub.size - 1)
            ok = ub[idx] == ub + shift
            near[ok] += counts[idx[ok]]
        best = int(np.lexsort((dsum / np.maximum(counts, 1), -counts, -near))[0])
        if near[best] < min_frames:
            break
        sel = alive & (np.abs(bins - ub[best]) <= 1)
        # the closest pair per target sample within this offset band
        order = np.lexsort((dist[sel], ti[sel]))
        t_idx, o_sel, d_sel = ti[sel][order], offs[sel][order], dist[sel][order]
        first = np.concatenate(([True], t_idx[1:] != t_idx[:-1]))
        t_idx, o_sel, d_sel = t_idx[first], o_sel[first], d_sel[first]
        cut = np.nonzero(np.diff(tt[t_idx]) > max_gap_s)[0] + 1
        for run in np.split(np.arange(t_idx.size), cut):
            if run.size < min_frames:
                continue
            j0, j1 = int(t_idx[run[0]]), int(t_idx[run[-1]])
            offset = float(np.median(o_sel[run]))
            prev_t = tt[j0 - 1] if j0 > 0 else 0.0
            next_t = tt[j1 + 1] if j1 + 1 < tt.size else max(target.duration, tt[j1] + frame)
            t_in = (prev_t + tt[j0]) / 2 if j0 > 0 else 0.0
            t_in = min(max(t_in, offset), tt[j0])
            t_out = (tt[j1] + frame + next_t) / 2 if j1 + 1 < tt.size else next_t
            t_out = min(t_out, offset + source.duration)
            t_out = max(t_out, tt[j1] + frame)
            if target.duration:
                t_out = min(t_out, max(target.duration, tt[j1]))
            segments.append(Segment(
                target_in=round(float(t_in), 3), target_out=round(float(t_out), 3),
                source_in=round(float(min(max(t_in - offset, 0.0), source.duration)), 3),
                source_out=round(float(min(max(t_out - offset, 0.0), source.duration)), 3),
                frames_matched=int(run.size), mean_distance=round(float(d_sel[run].mean()), 2)))
            alive &= ~np.isin(ti, t_idx[run])                      # those target samples are used
        alive &= ~sel                                              # this offset band is done
    segments.sort(key=lambda s: s.target_in)
    return segments


def match_clip_any_way(source: ClipPrint, target: ClipPrint,
                       threshold: int = VIDEO_MATCH_THRESHOLD) -> tuple[list[Segment], bool]:
    """match_clip with the source as it is and, when its print has them, flopped:
    (segments, whether the target holds it mirrored), the way with more frames matched."""
    best = match_clip(source, target, threshold)
    mirrored = False
    if source.flopped and len(source.flopped) == len(source.frames):
        other = match_clip(source.mirrored(), target, threshold)
        if sum(s.frames_matched for s in other) > sum(s.frames_matched for s in best):
            best, mirrored = other, True
    return best, mirrored
