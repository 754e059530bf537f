#!/usr/bin/env python3
"""Benchmark the perceptual-fingerprint layer: robustness, index speed, video speed.

    python bench/bench_fingerprints.py            # everything (~3-6 min; clips are cached)
    python bench/bench_fingerprints.py --quick    # no 10^6 index, 10 s clips
    python bench/bench_fingerprints.py --only stills|index|video

Prints compact tables:
1. stills: Hamming distance of each transform to its original (median / max over the
   originals), and the match rate at MATCH_THRESHOLD; the same for plain `pdqhash` on the
   decoded picture, as the baseline; then the closest unrelated pair.
2. index: build time, memory, query median / p99 at T = MATCH_THRESHOLD for 10^4, 10^5
   and 10^6 random hashes, against brute-force numpy Hamming over all rows measured in
   the same run; a rebuild from 10^6 SQLite BLOB rows.
3. video: clip_fingerprint on 1080p ProRes and H.264 clips made here by ffmpeg, as a
   multiple of realtime by wall clock and by CPU seconds (ours + ffmpeg's), against
   decoding every frame (`ffmpeg -i clip -f null -`) in the same run.

The machine may be shared: the load average is printed, and CPU-time multiples are the
ones to compare across runs.
"""

from __future__ import annotations

import argparse
import gc
import io
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "plugin"))
sys.path.insert(0, str(REPO))

import pdqhash  # noqa: E402

from aiprov.fingerprints import MATCH_THRESHOLD, hamming, still_fingerprint  # noqa: E402
from aiprov.fpindex import FingerprintIndex, hamming_many  # noqa: E402
from aiprov.videoprints import clip_fingerprint  # noqa: E402
from tests.helpers import photo  # noqa: E402

CORPUS = REPO / "tests" / "corpus" / "plain"
SAMPLES = REPO / "sample_media" / "stills"
CACHE = Path(tempfile.gettempdir()) / "aiprov_bench_media"


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def cpu_all() -> float:
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def load() -> str:
    with open("/proc/loadavg") as fh:
        return " ".join(fh.read().split()[:3])


def table(head: list[str], rows: list[list]) -> None:
    cells = [[str(c) for c in r] for r in [head, *rows]]
    w = [max(len(r[i]) for r in cells) for i in range(len(head))]
    for k, r in enumerate(cells):
        print("  " + "  ".join(c.rjust(w[i]) if i else c.ljust(w[i]) for i, c in enumerate(r)))
        if k == 0:
            print("  " + "  ".join("-" * x for x in w))


# --------------------------------------------------------------------------------------
# stills


def enc(im: Image.Image, fmt="PNG", **kw) -> bytes:
    b = io.BytesIO()
    im.save(b, fmt, **kw)
    return b.getvalue()


def crop(im, l=0.0, t=0.0, r=0.0, b=0.0):
    w, h = im.size
    return im.crop((round(w * l), round(h * t), w - round(w * r), h - round(h * b)))


def plain_pdq(data: bytes) -> np.ndarray:
    return pdqhash.compute(np.asarray(Image.open(io.BytesIO(data)).convert("RGB")))[0].astype(np.uint8)


def _ours(a, b) -> int:
    from aiprov.fingerprints import still_distance
    return still_distance(a, b)


def bench_stills(quick: bool) -> None:
    print(f"\n== stills: distance to the original (of 256 bits), T = {MATCH_THRESHOLD}   load {load()}")
    originals = [("a1111_parameters", Image.open(SAMPLES / "a1111_parameters.png").convert("RGB"))]
    for f in ("A.jpg", "mars.webp", "cloud.jpg", "TUSCANY.TIF"):
        originals.append((f, Image.open(CORPUS / f).convert("RGB")))
    seed = 3000
    while len(originals) < (8 if quick else 15):
        im, seed = photo(seed, 960, 640), seed + 1
        if still_fingerprint(enc(im), crops=False) is not None:
            originals.append((f"photo{seed}", im))
    rng = np.random.default_rng(7)
    transforms = {
        "jpeg q70": lambda im: enc(im, "JPEG", quality=70),
        "jpeg q30": lambda im: enc(im, "JPEG", quality=30),
        "resize 50%": lambda im: enc(im.resize((im.width // 2, im.height // 2), Image.LANCZOS)),
        "resize 25% bilinear": lambda im: enc(im.resize((im.width // 4, im.height // 4), Image.BILINEAR)),
        "metadata stripped": lambda im: enc(im),
        "crop 5% left": lambda im: enc(crop(im, l=0.05)),
        "crop 5% top+right": lambda im: enc(crop(im, t=0.05, r=0.05)),
        "crop 5% every side": lambda im: enc(crop(im, 0.05, 0.05, 0.05, 0.05)),
        "crop 2.5% every side": lambda im: enc(crop(im, 0.025, 0.025, 0.025, 0.025)),
        "crop random 0-5%/side x5": None,
        "crop+50%+jpeg q70": lambda im: enc(crop(im, 0.04, 0.02, 0.0, 0.01).resize(
            (im.width // 2, im.height // 2)), "JPEG", quality=70),
        "crop 10% left (beyond)": lambda im: enc(crop(im, l=0.10)),
    }
    rows = []
    t_fp, n_fp, t_fp0 = 0.0, 0, 0.0
    for name, fn in transforms.items():
        ours, base, unhashed = [], [], 0
        for _, im in originals:
            orig_data = enc(im)
            o = still_fingerprint(orig_data)
            ob = plain_pdq(orig_data)
            datas = ([enc(crop(im, *rng.uniform(0, 0.05, 4))) for _ in range(5)] if fn is None else [fn(im)])
            for data in datas:
                c0 = time.process_time()
                fp = still_fingerprint(data)
                t_fp += time.process_time() - c0
                n_fp += 1
                if fp is None:                       # copy rated below MIN_QUALITY: no fingerprint
                    unhashed += 1
                    ours.append(999)
                else:
                    ours.append(_ours(o, fp))
                base.append(int((ob != plain_pdq(data)).sum()))
        ours, base = np.array(ours), np.array(base)
        hashed = ours[ours < 999]
        rows.append([name, f"{int(np.median(hashed))} / {hashed.max()}", f"{(ours <= MATCH_THRESHOLD).mean():.0%}",
                     str(unhashed), f"{int(np.median(base))} / {base.max()}",
                     f"{(base <= MATCH_THRESHOLD).mean():.0%}"])
    for _, im in originals[:5]:
        data = enc(im)
        c0 = time.process_time()
        still_fingerprint(data, crops=False)
        t_fp0 += time.process_time() - c0
    table(["transform", "ours med/max", "match", "no fp", "plain pdqhash med/max", "match"], rows)
    print(f"  ({len(originals)} originals; ours = full+centre hashes vs 162 crop and flop hypotheses, both ways; "
          f"'no fp' = copies PDQ rated below MIN_QUALITY, counted as misses)")
    print(f"  still_fingerprint CPU: {t_fp / n_fp * 1000:.1f} ms with crop and flop hypotheses (a source), "
          f"{t_fp0 / 5 * 1000:.1f} ms without (finals; incl. decode)")

    # unrelated pictures: every pair, stored hashes against query hashes both ways
    items = []
    for pat in ("*.jpg", "*.png", "*.webp", "*.TIF"):
        items += [(p.name, p.read_bytes()) for p in sorted(CORPUS.glob(pat))]
    items += [(p.name, p.read_bytes()) for p in sorted(SAMPLES.glob("*.jpg")) + sorted(SAMPLES.glob("*.png"))]
    seed = 1000
    n_photos = 60 if quick else 200
    made = 0
    while made < n_photos:
        im, seed = photo(seed), seed + 1
        items.append((f"photo{seed - 1}", enc(im, "JPEG", quality=90)))
        made += 1
    fps = [(n, still_fingerprint(d)) for n, d in items]
    flat = [n for n, f in fps if f is None]
    fps = [(n, f) for n, f in fps if f is not None]
    same = {frozenset(("a1111_parameters.png", "a1111_usercomment.jpg")), frozenset(("A.jpg", "sample1.png"))}
    owner_s, S, owner_q, Q = [], [], [], []
    for i, (_, f) in enumerate(fps):
        for h in f.stored:
            owner_s.append(i)
            S.append(h)
        for h in f.own:
            owner_q.append(i)
            Q.append(h)
    Sm = np.frombuffer(b"".join(S), np.uint8).reshape(-1, 32)
    Qm = np.frombuffer(b"".join(Q), np.uint8).reshape(-1, 32)
    owner_s, owner_q = np.array(owner_s), np.array(owner_q)
    n = len(fps)
    best_any = np.full((n, n), 256)
    for r in range(Sm.shape[0]):
        d = hamming_many(Sm[r].tobytes(), Qm)
        np.minimum.at(best_any[owner_s[r]], owner_q, d)
    best_any = np.minimum(best_any, best_any.T)
    B = np.frombuffer(b"".join(f.bits for _, f in fps), np.uint8).reshape(-1, 32)
    full = np.array([hamming_many(f.bits, B) for _, f in fps], dtype=np.int64)
    mask = ~np.eye(n, dtype=bool)
    for i in range(n):
        for j in range(n):
            if frozenset((fps[i][0], fps[j][0])) in same:
                mask[i, j] = False
    print(f"  unrelated: {n} pictures ({n * (n - 1) // 2} pairs; {len(flat)} too flat to hash): "
          f"closest pair {best_any[mask].min()} bits with hypotheses, {full[mask].min()} full-frame only; "
          f"p0.1 {np.percentile(best_any[mask], 0.1):.0f}; known duplicates at "
          f"{[int(best_any[i, j]) for i in range(n) for j in range(i + 1, n) if not mask[i, j]]}")


# --------------------------------------------------------------------------------------
# index


def bench_index(quick: bool) -> None:
    print(f"\n== index: exact radius search, T = {MATCH_THRESHOLD}, 200 queries   load {load()}")
    rng = np.random.default_rng(1)
    rows = []
    sizes = [10_000, 100_000] if quick else [10_000, 100_000, 1_000_000]
    for n in sizes:
        gc.collect()
        hashes = rng.integers(0, 256, (n, 32), dtype=np.uint8)
        keys = np.arange(n, dtype=np.int64)
        queries = []
        for i in range(200):                         # half are near copies of stored rows
            if i % 2:
                bits = np.unpackbits(hashes[rng.integers(0, n)]).copy()
                bits[rng.choice(256, int(rng.integers(0, 40)), replace=False)] ^= 1
                queries.append(np.packbits(bits).tobytes())
            else:
                queries.append(rng.integers(0, 256, 32, dtype=np.uint8).tobytes())
        r0 = rss_mb()
        t0 = time.perf_counter()
        idx = FingerprintIndex.from_arrays(keys, hashes)
        build = time.perf_counter() - t0
        rss = rss_mb() - r0
        qt = []
        for q in queries:
            t0 = time.perf_counter()
            idx.query(q, MATCH_THRESHOLD)
            qt.append(time.perf_counter() - t0)
        bt = []
        for q in queries:
            t0 = time.perf_counter()
            d = hamming_many(q, hashes)
            np.nonzero(d <= MATCH_THRESHOLD)
            bt.append(time.perf_counter() - t0)
        probes = [h.tobytes() for h in hashes[rng.integers(0, n, 81)]]
        mt = []
        for _ in range(5):
            t0 = time.perf_counter()
            idx.query_many(probes, MATCH_THRESHOLD)
            mt.append(time.perf_counter() - t0)
        ms = lambda a, p: f"{np.percentile(a, p) * 1000:.2f}"  # noqa: E731
        rows.append([f"{n:,}", f"{build:.2f} s", f"{idx.memory_bytes() / 1e6:.0f} / {max(rss, 0):.0f}",
                     ms(qt, 50), ms(qt, 99), ms(bt, 50), ms(bt, 99), f"{np.median(mt) * 1000:.1f}"])
        last = (n, keys, hashes)
        del idx
    if not quick:
        # clustered: 10,000 "shots" x 100 near copies each (0-40 bits flipped), as when clip
        # frames of the same shot or many versions of one picture are indexed; every
        # query is near a shot, so it returns dozens of true matches
        centres = rng.integers(0, 256, (10_000, 32), dtype=np.uint8)
        cb = np.unpackbits(centres, axis=1)
        parts = []
        for c in range(0, cb.shape[0], 500):                 # in blocks: keeps the bench's own RSS low
            rep = np.repeat(cb[c:c + 500], 100, axis=0)
            flips = rng.random(rep.shape, dtype=np.float32) < rng.uniform(0, 40 / 256, (rep.shape[0], 1))
            parts.append(np.packbits(rep ^ flips, axis=1))
        hashes = np.concatenate(parts)
        keys = np.arange(hashes.shape[0], dtype=np.int64)
        t0 = time.perf_counter()
        idx = FingerprintIndex.from_arrays(keys, hashes)
        build = time.perf_counter() - t0
        qt, bt, hits = [], [], []
        for i in range(200):
            bits = cb[rng.integers(0, centres.shape[0])].copy()
            bits[rng.choice(256, 8, replace=False)] ^= 1
            q = np.packbits(bits).tobytes()
            t0 = time.perf_counter()
            hits.append(len(idx.query(q, MATCH_THRESHOLD)))
            qt.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            np.nonzero(hamming_many(q, hashes) <= MATCH_THRESHOLD)
            bt.append(time.perf_counter() - t0)
        rows.append(["1,000,000 clustered", f"{build:.2f} s", f"(hits/query {np.median(hits):.0f})",
                     f"{np.median(qt) * 1000:.2f}", f"{np.percentile(qt, 99) * 1000:.2f}",
                     f"{np.median(bt) * 1000:.2f}", f"{np.percentile(bt, 99) * 1000:.2f}", ""])
        del idx
    table(["rows", "build", "arrays / RSS+ MB", "query med ms", "p99", "brute med ms", "p99", "81 probes ms"], rows)
    print("  (RSS+ = growth of the process RSS while building; small sizes reuse freed memory and show ~0)")

    n, keys, hashes = last
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE fp (id INTEGER PRIMARY KEY, bits BLOB)")
    db.executemany("INSERT INTO fp VALUES (?, ?)", ((int(k), h.tobytes()) for k, h in zip(keys, hashes)))
    t0 = time.perf_counter()
    idx = FingerprintIndex.from_rows(db.execute("SELECT id, bits FROM fp"))
    t_rows = time.perf_counter() - t0
    blob = idx.to_bytes()
    t0 = time.perf_counter()
    FingerprintIndex.from_bytes(blob)
    t_blob = time.perf_counter() - t0
    print(f"  rebuild from {n:,} SQLite rows (SELECT + build): {t_rows:.2f} s; "
          f"from_bytes ({len(blob) / 1e6:.0f} MB): {t_blob:.2f} s; peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3:.0f} MB")


# --------------------------------------------------------------------------------------
# video


def make_clip(name: str, seconds: int, codec_args: list[str]) -> Path:
    CACHE.mkdir(exist_ok=True)
    out = CACHE / f"{name}_{seconds}s{'.mov' if 'prores' in codec_args else '.mp4'}"
    if not out.exists():
        t0 = time.time()
        tmp = out.with_name("tmp_" + out.name)
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                        f"testsrc2=s=1920x1080:r=24:d={seconds}", *codec_args, str(tmp)], check=True)
        tmp.rename(out)
        print(f"  (made {out.name} in {time.time() - t0:.0f} s)")
    return out


def timed(fn) -> tuple[float, float, object]:
    c0, t0 = cpu_all(), time.perf_counter()
    r = fn()
    return time.perf_counter() - t0, cpu_all() - c0, r


def bench_video(quick: bool) -> None:
    print(f"\n== video: clip_fingerprint(interval_s=1) on 1080p24 vs decoding every frame   load {load()}")
    sec = 10 if quick else 30
    clips = [
        ("ProRes 422", make_clip("prores422", sec, ["-c:v", "prores", "-profile:v", "2", "-pix_fmt", "yuv422p10le"])),
        ("H.264 GOP 1 s", make_clip("h264_g24", sec, ["-c:v", "libx264", "-preset", "veryfast", "-g", "24",
                                                     "-pix_fmt", "yuv420p"])),
        ("H.264 GOP 10 s", make_clip("h264_g250", sec, ["-c:v", "libx264", "-preset", "veryfast",
                                                       "-pix_fmt", "yuv420p"])),
    ]
    rows = []
    for label, path in clips:
        wall_b, cpu_b, _ = timed(lambda: subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(path),
                                                         "-f", "null", "-"], check=True))
        wall, cpu, cp = timed(lambda: clip_fingerprint(path, 1.0))
        # accuracy: each sample against the same frame from a decode of every frame
        ref = clip_fingerprint(path, 0, mode="sequential", skip_frames=False)
        rt = ref.times()
        drift = []
        for t, h in cp.frames:
            j = int(np.argmin(np.abs(rt - t)))
            if abs(rt[j] - t) < 0.5 / cp.fps:
                drift.append(hamming(h, ref.frames[j][1]))
        rows.append([label, cp.mode, f"{len(cp.frames)}", f"{sec / wall_b:.1f}x", f"{sec / cpu_b:.1f}x",
                     f"{sec / wall:.1f}x", f"{sec / cpu:.1f}x", f"{wall_b / wall:.1f}",
                     f"{max(drift) if drift else '-'} ({len(drift)})"])
    table(["clip (%d s)" % sec, "mode", "frames", "full decode wall", "cpu", "ours wall", "cpu", "speed-up",
           "max bits vs full decode (n)"], rows)
    print(f"  load after: {load()}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", choices=("stills", "index", "video"))
    a = ap.parse_args()
    print(f"aiprov fingerprint bench  cpus={os.cpu_count()}  load {load()}")
    if a.only in (None, "stills"):
        bench_stills(a.quick)
    if a.only in (None, "index"):
        bench_index(a.quick)
    if a.only in (None, "video"):
        bench_video(a.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
