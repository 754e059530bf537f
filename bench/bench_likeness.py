#!/usr/bin/env python3
"""Benchmark lineage through the finishing pipeline: false links, and what printing costs a scan.

    python bench/bench_likeness.py                      # everything (~10-20 min on 2 busy cores)
    python bench/bench_likeness.py --only links         # false-link rate over every pair
    python bench/bench_likeness.py --only stills|sequence|h264

1. links: hundreds of varied pictures (generated photos of many kinds and sizes, frames of
   other shots made by ffmpeg's sources, graded camera plates, the test corpus and the
   sample stills). Every ordered pair (one as the AI source, printed as a source is; the
   other as finals material, printed as finals are) is judged exactly as a scan judges it:
   hashes within the threshold, else local features placing one inside the other. Pairs
   that really are one picture (the corpus holds a few) are found by pixels, not hashes,
   and counted apart. Prints the pair count and every false link.
2. stills: `aiprov scan` of 600 finals stills (640x480 JPEG) with no AI source on record,
   then the same first scan with one AI still on record: the ratio.
3. sequence: a 4K 24 fps EXR sequence (half float, ZIP) in finals, an AI clip on record:
   the CPU a sampled frame costs read in part against ffmpeg decoding all of it, and the
   first scan's wall time with and without the AI clip against the shot's duration (x realtime).
4. h264: clip prints of a 1080p H.264 file with 10 s GOPs, x realtime (wall, and per core by
   CPU), against decoding every frame in the same run.
"""

from __future__ import annotations

import argparse
import json
import itertools
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "plugin"))
sys.path.insert(0, str(REPO))

from aiprov import localfeatures as lf  # noqa: E402
from aiprov.fingerprints import MATCH_THRESHOLD, Fingerprint, still_distance  # noqa: E402
from aiprov.likeness import fingerprint_file  # noqa: E402
from bench._common import loadavg, source_version  # noqa: E402
from tests.helpers import photo  # noqa: E402

CACHE = Path(tempfile.gettempdir()) / "aiprov_bench_likeness"


def ffmpeg(*args) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *map(str, args)], check=True)


def cpu_children() -> float:
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    s = resource.getrusage(resource.RUSAGE_SELF)
    return c.ru_utime + c.ru_stime + s.ru_utime + s.ru_stime


# --------------------------------------------------------------------------------------
# 1. false links


def _texture(seed: int, w: int, h: int) -> Image.Image:
    """A picture of another kind than photo(): stripes, checks, text, noise, architecture-like lines."""
    rng = np.random.default_rng(seed)
    kind = seed % 4
    im = Image.new("RGB", (w, h), tuple(int(v) for v in rng.uniform(0, 255, 3)))
    d = ImageDraw.Draw(im)
    if kind == 0:      # facades: rectangles and windows
        for _ in range(int(rng.integers(20, 60))):
            x, y = rng.uniform(0, w), rng.uniform(0, h)
            d.rectangle([x, y, x + rng.uniform(5, w / 4), y + rng.uniform(5, h / 4)],
                        fill=tuple(int(v) for v in rng.uniform(0, 255, 3)))
    elif kind == 1:    # lines and wires
        for _ in range(int(rng.integers(10, 40))):
            d.line([tuple(rng.uniform(0, 1, 2) * (w, h)), tuple(rng.uniform(0, 1, 2) * (w, h))],
                   fill=tuple(int(v) for v in rng.uniform(0, 255, 3)), width=int(rng.integers(1, 6)))
    elif kind == 2:    # text: a page, a sign
        for row in range(int(rng.integers(4, 14))):
            d.text((rng.uniform(0, w / 3), row * h / 14), "".join(chr(int(c)) for c in rng.integers(65, 90, 30)),
                   fill=tuple(int(v) for v in rng.uniform(0, 255, 3)))
    else:              # foliage: blobs and noise
        a = rng.normal(128, 60, (h // 8 + 1, w // 8 + 1, 3)).clip(0, 255).astype(np.uint8)
        im = Image.fromarray(a, "RGB").resize((w, h), Image.BICUBIC)
    return im.filter(ImageFilter.GaussianBlur(float(rng.uniform(0, 1.2))))


def link_set(n_photos: int, n_textures: int, work: Path) -> list[tuple[str, Path, str]]:
    """(name, file, media type) of the pictures every pair of which is judged."""
    work.mkdir(parents=True, exist_ok=True)
    items = []
    for p in sorted((REPO / "tests" / "corpus").rglob("*")):
        if p.suffix.lower() in (".jpg", ".png", ".webp", ".tif") and p.stat().st_size > 2000:
            items.append((f"corpus/{p.name}", p, None))
    for p in sorted((REPO / "sample_media" / "stills").iterdir()):
        items.append((f"samples/{p.name}", p, None))
    sizes = [(640, 480), (1024, 576), (480, 320), (800, 800), (1280, 536)]
    for i in range(n_photos):
        out = work / f"photo_{i:03d}.jpg"
        if not out.exists():
            photo(7000 + i, *sizes[i % len(sizes)]).save(out, quality=88)
        items.append((out.name, out, None))
    for i in range(n_textures):
        out = work / f"texture_{i:03d}.png"
        if not out.exists():
            _texture(9000 + i, *sizes[i % len(sizes)]).save(out)
        items.append((out.name, out, None))
    # frames of other shots (ffmpeg's generated sources), graded camera plates
    shots = ["mandelbrot=s=640x360:start_scale=2", "mandelbrot=s=640x360:start_x=-0.74:start_y=0.1:start_scale=0.05",
             "life=s=640x360:mold=10:ratio=0.2", "cellauto=s=640x360:rule=110", "testsrc2=s=640x360",
             "smptehdbars=s=640x360", "gradients=s=640x360:n=6", "rgbtestsrc=s=640x360",
             "sierpinski=s=640x360", "mptestsrc"]
    for k, src in enumerate(shots):
        for t in (1, 4):
            out = work / f"shot{k:02d}_{t}s.png"
            if not out.exists():
                try:
                    ffmpeg("-f", "lavfi", "-i", src, "-ss", t, "-frames:v", 1, out)
                except subprocess.CalledProcessError:
                    continue
            items.append((out.name, out, None))
    plate = REPO / "sample_media" / "stills" / "camera_original.jpg"
    for g, vf in enumerate(["eq=contrast=1.3:saturation=1.4", "eq=gamma=1.5", "colortemperature=temperature=3800",
                            "curves=preset=vintage", "eq=contrast=0.8:saturation=0.3"]):
        out = work / f"camera_graded_{g}.jpg"
        if not out.exists():
            ffmpeg("-i", plate, "-vf", f"scale=640:360,{vf}", "-q:v", 3, out)
        items.append((out.name, out, None))
    return [(n, p, _media_type(p)) for n, p, _ in items]


def _media_type(p: Path) -> str:
    return {".jpg": "image/jpeg", ".png": "image/png", ".webp": "image/webp", ".tif": "image/tiff"}[p.suffix.lower()]


def _same_picture(a: Path, b: Path) -> bool:
    """Ground truth from pixels, not hashes: same aspect and correlated at 32x32 (a grade keeps
    the correlation), as is or mirrored. The corpus holds one photo in five files (A.jpg and its
    C2PA-signed versions), the samples a camera still and its flop, and the graded plates are
    grades of that camera still."""
    x, y = Image.open(a).convert("L"), Image.open(b).convert("L")
    if abs(x.width / x.height - y.width / y.height) > 0.02:
        return False
    x = np.asarray(x.resize((32, 32), Image.BOX), np.float64).ravel()
    y = np.asarray(y.resize((32, 32), Image.BOX), np.float64)
    x = (x - x.mean()) / (x.std() + 1e-9)
    best = 0.0
    for yy in (y, y[:, ::-1]):
        v = yy.ravel()
        best = max(best, float(np.mean(x * (v - v.mean()) / (v.std() + 1e-9))))
    return best > 0.9


def bench_links(quick: bool) -> None:
    print(f"\n== false links: every ordered pair judged as a scan judges it   load {loadavg()}")
    items = link_set(60 if quick else 200, 20 if quick else 100, CACHE / "links")
    t0 = time.process_time()
    src, qry = [], []
    for name, path, mt in items:
        s = fingerprint_file(bytes(path), mt, source=True)
        q = fingerprint_file(bytes(path), mt)
        src.append(Fingerprint.from_blob(s.stored) if s else None)
        qry.append(Fingerprint.from_blob(q.stored) if q else None)
    printable = [i for i in range(len(items)) if src[i] is not None and qry[i] is not None]
    print(f"  {len(items)} pictures, {len(printable)} with prints (the rest too flat to hash); "
          f"printing {time.process_time() - t0:.0f} s CPU")
    pairs = hash_links = feature_links = same = 0
    closest_hash, most_inliers = 256, 0
    false, near_misses = [], []
    t0 = time.process_time()
    for i, j in itertools.permutations(printable, 2):
        pairs += 1
        d = still_distance(src[i], Fingerprint(qry[j].bits, 100, variants=qry[j].variants))
        placed, fitted, near_miss = None, 0, None
        if d > MATCH_THRESHOLD:
            for fs in src[i].features:
                for fq in qry[j].features:
                    p = lf.fit(fs, fq)
                    if lf.accept(p) and (placed is None or p.inliers > placed.inliers):
                        placed = p
                    elif p is not None and p.inliers > fitted:
                        fitted, near_miss = p.inliers, p
        linked = d <= MATCH_THRESHOLD or placed is not None
        one_shot = items[i][0].startswith("shot") and items[i][0][:6] == items[j][0][:6]   # two frames of a zoom
        if linked and (one_shot or _same_picture(items[i][1], items[j][1])):
            same += 1
            continue
        closest_hash = min(closest_hash, d)
        if fitted >= lf.MIN_INLIERS:
            near_misses.append((items[i][0], items[j][0], near_miss))
        most_inliers = max(most_inliers, fitted)
        if linked:
            hash_links += d <= MATCH_THRESHOLD
            feature_links += placed is not None
            false.append((items[i][0], items[j][0], d, placed))
    print(f"  {pairs:,} ordered pairs ({pairs // 2:,} unordered) in {time.process_time() - t0:.0f} s CPU; "
          f"{same} pairs are one picture or one shot (known duplicates, frames of one zoom), left out")
    print(f"  false links: {len(false)} of {pairs - same:,} ({len(false) / max(1, pairs - same):.5%}): "
          f"{hash_links} by hash, {feature_links} by local features")
    print(f"  closest unrelated pair by hash: {closest_hash} bits (threshold {MATCH_THRESHOLD}); "
          f"most pairs agreeing on one transform between unrelated pictures: {most_inliers} "
          f"(a match needs {lf.MIN_INLIERS} and passes every other check)")
    for f in false[:20]:
        print("   ", f)
    print(f"  unrelated pairs with {lf.MIN_INLIERS}+ agreeing details, stopped by another check: {len(near_misses)}")
    for f in sorted(near_misses, key=lambda m: -m[2].inliers)[:5]:
        print("   ", f)


# --------------------------------------------------------------------------------------
# 2. first scan of small stills


def _scan(prod: Path, own_time: bool = False) -> tuple[float, bool]:
    """Seconds of a first `aiprov scan` of the production's finals (the command's wall time, or
    with own_time the scan's own, as its report gives it: without the interpreter's start),
    and whether it found AI material."""
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "aiprov.cli", "scan", str(prod / "finals"), "--format", "json"],
                       capture_output=True, text=True, cwd=prod, env={**os.environ, "PYTHONPATH": str(REPO / "plugin")})
    dt = time.perf_counter() - t
    if r.returncode not in (0, 1):
        raise RuntimeError(r.stderr[-500:])
    if own_time:
        dt = json.loads(r.stdout)["summary"]["seconds"]
    return dt, r.returncode == 1


def _production(root: Path, media: Path, source: Path | None, kind: str) -> Path:
    shutil.rmtree(root, ignore_errors=True)
    (root / "working").mkdir(parents=True)
    shutil.copytree(media, root / "finals")
    (root / "aiprov.toml").write_text('[zones]\nfinals = ["finals/**"]\nworking = ["working/**"]\n')
    if source is not None:
        dst = root / "working" / source.name
        shutil.copyfile(source, dst)
        subprocess.run([sys.executable, "-m", "aiprov.cli", "register", str(dst), "--tool", "Runway"],
                       check=True, capture_output=True, cwd=root, env={**os.environ, "PYTHONPATH": str(REPO / "plugin")})
    return root


def bench_stills(quick: bool) -> None:
    n = 200 if quick else 600
    print(f"\n== first scan of {n} finals stills (640x480 JPEG), `aiprov scan`   load {loadavg()}")
    media = CACHE / f"stills_{n}"
    if not media.exists():
        media.mkdir(parents=True)
        for i in range(n):
            photo(20000 + i, 640, 480).save(media / f"still_{i:04d}.jpg", quality=90)
    ai = CACHE / "ai_still.png"
    photo(1, 640, 480).save(ai)
    for own in (True, False):
        what = "the scan's own time" if own else "the whole command (interpreter start included)"
        for rep in range(2):
            none, _ = _scan(_production(CACHE / "prod_none", media, None, "still"), own)
            one, found = _scan(_production(CACHE / "prod_one", media, ai, "still"), own)
            print(f"  {what}, run {rep + 1}: no AI source on record {none:.2f} s ({n / none:,.0f} stills/s); "
                  f"one AI still on record {one:.2f} s ({n / one:,.0f} stills/s): {one / none:.2f}x"
                  f"{'  (a still was linked: wrong)' if found else ''}   load {loadavg()}")


# --------------------------------------------------------------------------------------
# 3. a 4K EXR sequence


def bench_sequence(quick: bool) -> None:
    seconds = 2 if quick else 4
    frames = 24 * seconds
    print(f"\n== a 4K 24 fps EXR sequence ({frames} frames, half float, ZIP16) in finals, "
          f"an AI clip on record   load {loadavg()}")
    media = CACHE / f"exr4k_linear_{frames}"
    if not media.exists():
        media.mkdir(parents=True)
        t = time.time()
        # a rendered shot in scene-linear light: a zoom, upscaled to 4K DCI, with grain (so ZIP
        # compresses it like footage)
        ffmpeg("-f", "lavfi", "-i", f"mandelbrot=s=1024x540:r=24,trim=duration={seconds}", "-vf",
               "scale=4096:2160:flags=bicubic,noise=alls=6:allf=t,format=gbrp,zscale=transferin=iec61966-2-1:"
               "transfer=linear:primariesin=709:primaries=709:npl=100,format=gbrpf32le",
               "-compression", "zip16", "-format", "half", "-start_number", 1001, media / "sh010_comp.%04d.exr")
        print(f"  (made the sequence in {time.time() - t:.0f} s)")
    ai = CACHE / f"ai_shot_{seconds}.mov"
    if not ai.exists():
        ffmpeg("-f", "lavfi", "-i", f"mandelbrot=s=640x360:r=24,trim=duration={seconds}", "-vf", "scale=1280:720",
               "-c:v", "prores_ks", "-profile:v", 0, ai)
    # what printing a sampled frame costs: read in part (the scan's way) against ffmpeg decoding
    # every pixel of it (the baseline), on the frames a shot print samples, in this process
    from aiprov.ffpictures import decode_with_ffmpeg, exr_luma
    from aiprov.fingerprints import WORK_SIZE

    files = sorted(media.iterdir())
    sampled = [files[i] for i in range(0, frames, 24)] + [files[-1]]
    for rep in range(2):
        c0 = cpu_children()
        for f in sampled:
            decode_with_ffmpeg(bytes(f), "image/x-exr", WORK_SIZE)
        full = cpu_children() - c0
        c0 = cpu_children()
        for f in sampled:
            exr_luma(bytes(f), WORK_SIZE)
        part = cpu_children() - c0
        print(f"  run {rep + 1}: the {len(sampled)} sampled frames: read in part {part / len(sampled):.2f} s CPU a frame, "
              f"ffmpeg's full decode {full / len(sampled):.2f} s ({full / part:.1f}x as much)   load {loadavg()}")
    for rep in range(2):
        prod = _production(CACHE / "seq_none", media, None, "clip")
        c0 = cpu_children()
        none, _ = _scan(prod)
        cpu_none = cpu_children() - c0
        prod = _production(CACHE / "seq_one", media, ai, "clip")
        c0 = cpu_children()
        one, found = _scan(prod)
        cpu = cpu_children() - c0
        size = sum(p.stat().st_size for p in media.iterdir()) / 1e6
        print(f"  run {rep + 1}: {frames} frames, {size:.0f} MB; first scan with no source on record {none:.1f} s wall, "
              f"{cpu_none:.1f} s CPU ({seconds / none:.1f}x realtime)")
        print(f"  run {rep + 1}: first scan with the AI clip on record (the shot printed and matched; AI material "
              f"{'found' if found else 'NOT found'}): {one:.1f} s wall, {cpu:.1f} s CPU: {seconds / one:.2f}x realtime; "
              f"the printing {seconds / max(one - none, 1e-3):.1f}x realtime   load {loadavg()}")


# --------------------------------------------------------------------------------------
# 4. H.264 with long GOPs


def bench_h264(quick: bool) -> None:
    from aiprov.likeness import SOURCE_INTERVAL_S
    from aiprov.videoprints import clip_fingerprint

    seconds = 30 if quick else 60
    print(f"\n== clip prints of 1080p24 H.264 with 10 s GOPs (x264 veryfast, keyint 250; testsrc2 as in "
          f"bench_fingerprints.py), {seconds} s   load {loadavg()}")
    clip = CACHE / f"h264_gop250_{seconds}.mp4"
    if not clip.exists():
        ffmpeg("-f", "lavfi", "-i", f"testsrc2=s=1920x1080:r=24:d={seconds}", "-c:v", "libx264", "-preset", "veryfast",
               "-pix_fmt", "yuv420p", clip)
    for rep in range(2):
        c0, t0 = cpu_children(), time.perf_counter()
        subprocess.run(["ffmpeg", "-v", "error", "-i", str(clip), "-f", "null", "-"], check=True)
        base_wall, base_cpu = time.perf_counter() - t0, cpu_children() - c0
        print(f"  run {rep + 1}: decoding every frame (ffmpeg -f null, the baseline): {seconds / base_wall:.1f}x realtime "
              f"wall, {base_cpu:.1f} s CPU   load {loadavg()}")
        for interval in (SOURCE_INTERVAL_S, 1.0):
            for parts in (1, None):
                c0, t0 = cpu_children(), time.perf_counter()
                cp = clip_fingerprint(clip, interval, parts=parts)
                wall, cpu = time.perf_counter() - t0, cpu_children() - c0
                how = "one ffmpeg" if parts == 1 else f"one ffmpeg per core ({os.cpu_count()})"
                print(f"  run {rep + 1}: every {interval:g} s, {how}: {len(cp.frames)} samples ({cp.mode}) in "
                      f"{wall:.2f} s wall, {cpu:.2f} s CPU: {seconds / wall:.1f}x realtime "
                      f"({base_wall / wall:.1f}x the full decode's wall), {seconds / cpu:.1f}x per core   load {loadavg()}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", choices=["links", "stills", "sequence", "h264"])
    args = ap.parse_args()
    print(f"aiprov likeness bench  {source_version()}  cpus={os.cpu_count()}  load {loadavg()}")
    CACHE.mkdir(parents=True, exist_ok=True)
    for name, fn in (("links", bench_links), ("stills", bench_stills), ("sequence", bench_sequence),
                     ("h264", bench_h264)):
        if args.only in (None, name):
            fn(args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
