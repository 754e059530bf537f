"""Benchmark: aiprov's `inspect` throughput against exiftool -stay_open, same files, same run.

Why: aiprov reads provenance with native container walkers and only falls back
to exiftool for formats it cannot walk. The claim to check is that this makes
`inspect` at least 10x faster than a pipeline that asks exiftool about every
file. Absolute numbers depend on the machine, so the result is a *ratio*
against exiftool measured in the same run, on the same files, with a warm
page cache for everybody.

What is measured (wall clock, start-up included everywhere):

* aiprov: `list(inspect_paths([tmpdir], ReadSettings(), workers=W))`, i.e. the
  walk, the isolated worker pool (fresh interpreters), reading, classifying.
  The pool's start-up + shut-down on an empty folder is timed separately too.
* exiftool per-file, 1 process: one PyExifTool `ExifToolHelper` (-stay_open),
  `get_metadata(path)` once per file: what a pipeline that asks exiftool
  about every file does.
* exiftool per-file, W processes: the same, with W helpers in W threads, to
  match aiprov's W workers (fair parallelism).
* exiftool batch: one `get_metadata(all_paths)` call, exiftool's best case.

exiftool gets the same arguments aiprov gives it (-G1:4 -a -n ...), so both
sides answer the same question. The files are 5,000 small stills generated
with Pillow from a fixed seed (a mix of plain PNG/JPEG, AUTOMATIC1111
`parameters` PNGs, EXIF JPEGs and XMP files declaring
trainedAlgorithmicMedia). aiprov's verdicts are checked against what each
file was made to say; the script exits 1 if an AI-marked file is not "ai".

Each method runs once by default; --repeat N runs each N times (interleaved)
and reports the median, which steadies the numbers on a small shared VM.

Run: /work/venv/bin/python bench/bench_inspect.py [--files N] [--workers N] [--repeat N] [--keep]
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import random
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass

from PIL import Image
from PIL.PngImagePlugin import PngInfo
from _common import tidy  # noqa: E402

SEED = 20240611
MIN_SIDE, MAX_SIDE = 64, 256
TARGET_RATIO = 10.0
# aiprov's own exiftool arguments (reader.Tools.exiftool_read), so both sides answer the same question.
EXIFTOOL_ARGS = ["-G1:4", "-a", "-n", "-charset", "filename=utf8", "-api", "largefilesupport=1"]
DST_AI = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
XMP_APP1_ID = b"http://ns.adobe.com/xap/1.0/\x00"

# kind -> (share of the files, verdict aiprov must reach)
KINDS = {
    "png-plain": (0.40, "unknown"),
    "png-a1111": (0.20, "ai"),
    "jpeg-exif": (0.20, "no-ai-declared"),  # camera tags: nothing declares AI or a capture
    "jpeg-plain": (0.10, "unknown"),
    "xmp-dst": (0.10, "ai"),  # half PNG (iTXt XML:com.adobe.xmp), half JPEG (APP1)
}

CAMERAS = [("Canon", "Canon EOS R5", "Adobe Photoshop Lightroom Classic 13.1"),
           ("NIKON CORPORATION", "NIKON Z 6_2", "Ver.01.10"),
           ("SONY", "ILCE-7M4", "ILCE-7M4 v2.01"),
           ("Apple", "iPhone 14 Pro", "17.1.2"),
           ("FUJIFILM", "X-T5", "Digital Camera X-T5 Ver2.00"),
           ("Blackmagic Design", "Pocket Cinema Camera 6K", "DaVinci Resolve 18.6")]
PROMPTS = ["a lighthouse on a cliff at dusk, volumetric light, 35mm",
           "portrait of an old fisherman, dramatic lighting, highly detailed",
           "futuristic city street in the rain, neon signs, cinematic",
           "watercolor painting of a fox in a snowy forest"]
SAMPLERS = ["Euler a", "DPM++ 2M Karras", "DDIM", "DPM++ SDE Karras"]


# --- corpus -------------------------------------------------------------------------------------


def xmp_packet(rng: random.Random) -> bytes:
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '  <rdf:Description rdf:about=""\n'
        '    xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"\n'
        '    xmlns:xmp="http://ns.adobe.com/xap/1.0/"\n'
        f'    Iptc4xmpExt:DigitalSourceType="{DST_AI}"\n'
        f'    xmp:CreateDate="2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T12:00:00Z"/>\n'
        ' </rdf:RDF>\n'
        '</x:xmpmeta>\n'
        '<?xpacket end="w"?>'
    ).encode("utf-8")


def a1111_parameters(rng: random.Random) -> str:
    w, h = rng.choice([(512, 512), (768, 512), (1024, 1024)])
    return (f"{rng.choice(PROMPTS)}\nNegative prompt: blurry, lowres, watermark\n"
            f"Steps: {rng.randint(20, 40)}, Sampler: {rng.choice(SAMPLERS)}, CFG scale: {rng.choice([5, 6.5, 7])}, "
            f"Seed: {rng.randint(0, 2**32 - 1)}, Size: {w}x{h}, Model hash: {rng.getrandbits(40):010x}, "
            f"Model: sd_xl_base_1.0, Version: v1.{rng.randint(6, 10)}.0")


def still(rng: random.Random, mode: str = "RGB") -> Image.Image:
    """A smooth random image (a few random pixels, upscaled): compresses like a render, not like noise."""
    size = (rng.randint(MIN_SIDE, MAX_SIDE), rng.randint(MIN_SIDE, MAX_SIDE))
    bands = len(mode)
    seed = Image.frombytes(mode, (4, 4), rng.randbytes(16 * bands))
    return seed.resize(size, Image.Resampling.BICUBIC)


def jpeg_bytes(im: Image.Image, quality: int, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=quality, **kw)
    return buf.getvalue()


def jpeg_with_xmp(im: Image.Image, quality: int, packet: bytes) -> bytes:
    """Pillow >= 11 writes `xmp=`; older ones ignore it silently, so check and splice an APP1 in by hand."""
    data = jpeg_bytes(im, quality, xmp=packet)
    if XMP_APP1_ID in data[:4096]:
        return data
    body = XMP_APP1_ID + packet
    app1 = b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body
    return data[:2] + app1 + data[2:]


def make_file(path_base: str, kind: str, rng: random.Random) -> str:
    quality = rng.randint(80, 95)
    if kind == "png-plain":
        path = path_base + ".png"
        still(rng, "RGBA" if rng.random() < 0.15 else "RGB").save(path, "PNG")
    elif kind == "png-a1111":
        path = path_base + ".png"
        info = PngInfo()
        info.add_text("parameters", a1111_parameters(rng))
        still(rng).save(path, "PNG", pnginfo=info)
    elif kind == "jpeg-exif":
        path = path_base + ".jpg"
        make, model, software = rng.choice(CAMERAS)
        exif = Image.Exif()
        exif[0x010F], exif[0x0110], exif[0x0131] = make, model, software
        with open(path, "wb") as fh:
            fh.write(jpeg_bytes(still(rng), quality, exif=exif.tobytes()))
    elif kind == "jpeg-plain":
        path = path_base + ".jpg"
        with open(path, "wb") as fh:
            fh.write(jpeg_bytes(still(rng), quality))
    elif kind == "xmp-dst":
        packet = xmp_packet(rng)
        if rng.random() < 0.5:
            path = path_base + ".png"
            info = PngInfo()
            info.add_itxt("XML:com.adobe.xmp", packet.decode("utf-8"))
            still(rng).save(path, "PNG", pnginfo=info)
        else:
            path = path_base + ".jpg"
            with open(path, "wb") as fh:
                fh.write(jpeg_with_xmp(still(rng), quality, packet))
    else:
        raise ValueError(kind)
    return path


def make_corpus(folder: str, n: int, seed: int = SEED) -> dict[str, str]:
    """Write n files into folder; returns {absolute path: kind}."""
    rng = random.Random(seed)
    counts = {kind: round(share * n) for kind, (share, _) in KINDS.items()}
    counts["png-plain"] += n - sum(counts.values())
    kinds = [kind for kind, c in counts.items() for _ in range(c)]
    rng.shuffle(kinds)
    return {make_file(os.path.join(folder, f"still_{i:05d}"), kind, rng): kind for i, kind in enumerate(kinds)}


# --- measurements -------------------------------------------------------------------------------


@dataclass
class Timing:
    method: str
    seconds: float
    files: int

    @property
    def rate(self) -> float:
        return self.files / self.seconds if self.seconds > 0 else float("inf")


def time_aiprov(folder: str, workers: int) -> tuple[float, list]:
    from aiprov.pipeline import inspect_paths
    from aiprov.reader import ReadSettings

    t0 = time.perf_counter()
    results = list(inspect_paths([folder], ReadSettings(), workers=workers))
    return time.perf_counter() - t0, results


def time_aiprov_startup(workers: int) -> float:
    """Start-up and shut-down of the worker pool on an empty folder."""
    from aiprov.pipeline import inspect_paths
    from aiprov.reader import ReadSettings

    with tempfile.TemporaryDirectory(prefix="aiprov-bench-empty-") as empty:
        t0 = time.perf_counter()
        list(inspect_paths([empty], ReadSettings(), workers=workers))
        return time.perf_counter() - t0


def exiftool_helper():
    import exiftool

    return exiftool.ExifToolHelper(common_args=EXIFTOOL_ARGS, check_execute=False)


def time_exiftool_startup() -> float:
    t0 = time.perf_counter()
    with exiftool_helper():
        pass
    return time.perf_counter() - t0


def exiftool_per_file(paths: list[str]) -> int:
    """One -stay_open exiftool, one request per file; returns how many answers came back."""
    answered = 0
    with exiftool_helper() as et:
        for p in paths:
            answered += len(et.get_metadata(p))
    return answered


def time_exiftool_per_file(paths: list[str], processes: int) -> float:
    answered = [0] * processes
    t0 = time.perf_counter()
    if processes == 1:
        answered[0] = exiftool_per_file(paths)
    else:
        def run(i: int) -> None:
            answered[i] = exiftool_per_file(paths[i::processes])

        threads = [threading.Thread(target=run, args=(i,)) for i in range(processes)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    elapsed = time.perf_counter() - t0
    if sum(answered) != len(paths):
        raise RuntimeError(f"exiftool answered for {sum(answered)} of {len(paths)} files")
    return elapsed


def time_exiftool_batch(paths: list[str]) -> float:
    t0 = time.perf_counter()
    with exiftool_helper() as et:
        answered = len(et.get_metadata(paths))
    elapsed = time.perf_counter() - t0
    if answered != len(paths):
        raise RuntimeError(f"exiftool batch answered for {answered} of {len(paths)} files")
    return elapsed


# --- checking and reporting ---------------------------------------------------------------------


def check_verdicts(results: list, corpus: dict[str, str]) -> tuple[Counter, list[str], bool]:
    """(verdict counts, mismatch lines, whether every AI-marked file came out "ai")."""
    verdicts = Counter(r.verdict for r in results)
    by_path = {os.path.realpath(r.path): r for r in results}
    mismatches, ai_ok = [], True
    if len(results) != len(corpus):
        mismatches.append(f"aiprov returned {len(results)} results for {len(corpus)} files")
        ai_ok = False
    for path, kind in sorted(corpus.items()):
        want = KINDS[kind][1]
        got = by_path.get(os.path.realpath(path))
        if got is None or got.verdict != want:
            if want == "ai":
                ai_ok = False
            mismatches.append(f"{os.path.basename(path)} ({kind}): want {want}, got "
                              + (f"{got.verdict} ({got.reason})" if got else "no result"))
    return verdicts, mismatches, ai_ok


def exiftool_version() -> str:
    try:
        return subprocess.run(["exiftool", "-ver"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as exc:
        return f"unavailable ({exc})"


def print_table(rows: list[Timing], aiprov_rate: float) -> None:
    print(f"{'method':<44} {'seconds':>8} {'files/s':>9} {'aiprov is':>10}")
    for row in rows:
        ratio = aiprov_rate / row.rate
        print(f"{row.method:<44} {row.seconds:>8.2f} {row.rate:>9,.0f} {ratio:>9.1f}x")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, default=5000, help="how many stills to generate (default 5000)")
    ap.add_argument("--workers", type=int, default=2, help="aiprov workers and parallel exiftools (default 2)")
    ap.add_argument("--repeat", type=int, default=1, help="time each method N times, report the median (default 1)")
    ap.add_argument("--keep", action="store_true", help="keep the generated files (the folder is printed)")
    args = ap.parse_args(argv)
    w = max(1, args.workers)

    print(f"machine: nproc={os.cpu_count()}, python {platform.python_version()} ({sys.executable}), "
          f"exiftool {exiftool_version()}, Pillow {Image.__version__}, {platform.platform()}")
    folder = tempfile.mkdtemp(prefix="aiprov-bench-")
    try:
        t0 = time.perf_counter()
        corpus = make_corpus(folder, args.files)
        size = sum(os.path.getsize(p) for p in corpus)
        mix = Counter(corpus.values())
        print(f"corpus: {len(corpus):,} files, {size / 1e6:.1f} MB in {folder}, made in "
              f"{time.perf_counter() - t0:.1f} s; " + ", ".join(f"{k} {mix[k]}" for k in KINDS))
        paths = sorted(corpus)

        methods = {"aiprov": lambda: time_aiprov(folder, w),
                   "et1": lambda: time_exiftool_per_file(paths, 1),
                   "etw": lambda: time_exiftool_per_file(paths, w),
                   "batch": lambda: time_exiftool_batch(paths)}
        if w == 1:
            del methods["etw"]
        times: dict[str, list[float]] = {name: [] for name in methods}
        for _ in range(max(1, args.repeat)):
            for name, run in methods.items():
                out = run()
                if name == "aiprov":
                    out, results = out
                times[name].append(out)
        med = {name: statistics.median(ts) for name, ts in times.items()}
        pool_startup = statistics.median(time_aiprov_startup(w) for _ in range(3))
        et_startup = statistics.median(time_exiftool_startup() for _ in range(3))

        aiprov = Timing(f"aiprov inspect_paths ({w} workers)", med["aiprov"], len(paths))
        rows = [Timing("exiftool -stay_open per-file (1 process)", med["et1"], len(paths))]
        if "etw" in med:
            rows.append(Timing(f"exiftool -stay_open per-file ({w} processes)", med["etw"], len(paths)))
        rows.append(Timing("exiftool batch (1 call, all paths)", med["batch"], len(paths)))

        print(f"start-up: aiprov pool of {w} (start+stop, no files) {pool_startup:.2f} s; "
              f"one exiftool -stay_open (start+stop) {et_startup:.2f} s; all included below")
        if args.repeat > 1:
            print(f"each method timed {args.repeat} times, interleaved; median shown")
        print()
        print_table([aiprov] + rows, aiprov.rate)
        print()

        verdicts, mismatches, ai_ok = check_verdicts(results, corpus)
        print("aiprov verdicts: " + ", ".join(f"{v} {c}" for v, c in sorted(verdicts.items())))
        expected = Counter()
        for kind, c in mix.items():
            expected[KINDS[kind][1]] += c
        print("expected:        " + ", ".join(f"{v} {c}" for v, c in sorted(expected.items())))
        if mismatches:
            print(f"{len(mismatches)} mismatches:")
            for line in mismatches[:20]:
                print("  " + line)
            if len(mismatches) > 20:
                print(f"  ... and {len(mismatches) - 20} more")

        per_file = [aiprov.rate / r.rate for r in rows]
        parts = [f"{per_file[0]:.1f}x exiftool -stay_open per-file (1 process)"]
        if w > 1:
            parts.append(f"{per_file[1]:.1f}x ({w} processes)")
        parts.append(f"{per_file[-1]:.1f}x exiftool batch")
        print()
        print(f"aiprov inspect: {aiprov.rate:,.0f} files/s; " + ", ".join(parts)
              + f"  [target >= {TARGET_RATIO:g}x per-file: {'met' if per_file[0] >= TARGET_RATIO else 'NOT met'}]")
        if not ai_ok:
            print("CHECK FAILED: some AI-marked files were not classified \"ai\"")
            return 1
        return 0
    finally:
        tidy(folder, args.keep)


if __name__ == "__main__":
    sys.exit(main())
