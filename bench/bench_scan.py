"""Benchmark: the pre-delivery gate (`aiprov scan`): first-scan throughput and the incremental rescan.

Why: `aiprov scan` is run on a delivery folder right before it goes out, and
again after every fix. The first scan reads and hashes every file and writes
the ledger; a rescan of an unchanged tree must not open any file (each one's
(size, mtime_ns, inode, device) matches the ledger), so it should cost little
more than walking and stat-ing the tree. Absolute numbers depend on the
machine, so each is printed next to baselines measured in the same run, on
the same files, with a warm page cache:

* xxh3-128 of every file in Python, one thread (open + read + hash): the
  content id aiprov computes for every file it reads, i.e. the part of the
  first scan that is pure hashing.
* exiftool -stay_open per file: one PyExifTool `ExifToolHelper`, one
  `get_metadata(path)` request per file, with aiprov's own exiftool arguments,
  one process: what a gate built on exiftool would spend just reading the
  metadata, file by file as a gate meets them. The goal: a first scan >= 20x
  this.
* exiftool -stay_open in batches of 500 (the same, fewer round trips).
* walk + stat of every file, in Python: the floor of any incremental rescan.

What is timed (wall clock, in this process, worker start-up included):

    cfg = Config.delivery(tree)                      # everything is finals
    with Ledger(fresh / "ledger.db") as ledger:      # a new, empty SQLite ledger each round
        first = scan([tree], cfg, ledger, workers=W)   # reads every file
        second = scan([tree], cfg, ledger, workers=W)  # unchanged: reads none

The first scan is timed twice a round: as shipped (perceptual prints on: the
AI stills are printed as sources as soon as they are recorded, and then every
other finals still is printed and searched against them; bench_likeness.py
measures that), and with prints off (`[likeness] enabled = false`): the
reading, judging and recording every first scan does. Each method runs once
a round, rounds interleaved (--repeat), medians with min-max printed.

CPU seconds are printed too, split between this process (walk, ledger
writes, policy, feeding the pool) and the reader workers, because wall time
on a small shared machine moves with whatever else runs on it (the load
average is printed at the start and the end).

The tree holds N small distinct PNG stills made with Pillow from a fixed seed,
spread over reel/shot folders; about 10% carry an AUTOMATIC1111 `parameters`
tEXt chunk, so in finals each of those must be flagged (an error finding) and
nothing else may be. The script checks that, and that the rescan read 0 files;
it exits 1 when a check fails.

Run: python bench/bench_scan.py [--files N] [--workers W] [--repeat R] [--profile FILE] [--keep]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import xxhash
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from _common import loadavg, source_version, tidy  # noqa: E402

SEED = 20251126
DEFAULT_FILES = 5_000
TARGET_RATIO = 20.0
DEFAULT_WORKERS = 2
AI_SHARE = 0.10
FILES_PER_SHOT = 100
SHOTS_PER_REEL = 20
MIN_SIDE, MAX_SIDE = 32, 96
EXIFTOOL_BATCH = 500
# aiprov's own exiftool arguments (reader.Tools.exiftool_read), so both sides answer the same question.
EXIFTOOL_ARGS = ["-G1:4", "-a", "-n", "-charset", "filename=utf8", "-api", "largefilesupport=1"]
SAMPLERS = ["Euler a", "DPM++ 2M Karras", "DDIM"]


# --- the tree ---------------------------------------------------------------------------------------


def a1111_parameters(rng: random.Random, index: int) -> str:
    return (f"a cat\nSteps: {rng.randint(20, 40)}, Sampler: {rng.choice(SAMPLERS)}, "
            f"CFG scale: {rng.choice([5, 6.5, 7])}, Seed: {index}")


def still(rng: random.Random, index: int) -> Image.Image:
    """A smooth random image; pixel (0, 0) encodes the index, so no two files are the same."""
    size = (rng.randint(MIN_SIDE, MAX_SIDE), rng.randint(MIN_SIDE, MAX_SIDE))
    im = Image.frombytes("RGB", (4, 4), rng.randbytes(48)).resize(size, Image.Resampling.BICUBIC)
    im.putpixel((0, 0), (index & 0xFF, (index >> 8) & 0xFF, (index >> 16) & 0xFF))
    return im


def file_path(tree: Path, index: int) -> Path:
    shot = index // FILES_PER_SHOT
    reel = shot // SHOTS_PER_REEL
    return tree / f"reel_{reel + 1:02d}" / f"shot_{shot + 1:04d}" / f"frame_{index:06d}.png"


def make_tree(tree: Path, n: int, seed: int = SEED) -> dict[str, bool]:
    """Write n PNG stills under tree; returns {absolute path: carries A1111 parameters}."""
    rng = random.Random(seed)
    ai = set(rng.sample(range(n), round(n * AI_SHARE)))
    made: dict[str, bool] = {}
    for i in range(n):
        path = file_path(tree, i)
        path.parent.mkdir(parents=True, exist_ok=True)
        info = None
        if i in ai:
            info = PngInfo()
            info.add_text("parameters", a1111_parameters(rng, i))
        still(rng, i).save(path, "PNG", pnginfo=info)
        made[str(path)] = i in ai
    return made


# --- baselines --------------------------------------------------------------------------------------


def time_hashing(paths: list[str]) -> tuple[float, int]:
    """xxh3-128 of every file, one thread; returns (seconds, distinct hashes)."""
    t0 = time.perf_counter()
    digests = set()
    for p in paths:
        with open(p, "rb") as fh:
            digests.add(xxhash.xxh3_128(fh.read()).digest())
    return time.perf_counter() - t0, len(digests)


def time_exiftool(paths: list[str], batch: int = EXIFTOOL_BATCH) -> float:
    """One exiftool -stay_open (start-up included), get_metadata in batches."""
    import exiftool

    t0 = time.perf_counter()
    answered = 0
    with exiftool.ExifToolHelper(common_args=EXIFTOOL_ARGS, check_execute=False) as et:
        for start in range(0, len(paths), batch):
            answered += len(et.get_metadata(paths[start:start + batch]))
    elapsed = time.perf_counter() - t0
    if answered != len(paths):
        raise RuntimeError(f"exiftool answered for {answered} of {len(paths)} files")
    return elapsed


def time_exiftool_per_file(paths: list[str]) -> float:
    """One exiftool -stay_open (start-up included), one request per file."""
    import exiftool

    t0 = time.perf_counter()
    answered = 0
    with exiftool.ExifToolHelper(common_args=EXIFTOOL_ARGS, check_execute=False) as et:
        for p in paths:
            answered += len(et.get_metadata(p))
    elapsed = time.perf_counter() - t0
    if answered != len(paths):
        raise RuntimeError(f"exiftool answered for {answered} of {len(paths)} files")
    return elapsed


def time_walk_stat(tree: Path) -> tuple[float, int]:
    """os.walk + os.stat of every file: the least an incremental rescan must do."""
    t0 = time.perf_counter()
    count = 0
    for folder, _, names in os.walk(tree):
        for name in names:
            os.stat(os.path.join(folder, name))
            count += 1
    return time.perf_counter() - t0, count


# --- aiprov -------------------------------------------------------------------------------------------


def cpu_seconds(who: int) -> float:
    ru = resource.getrusage(who)
    return ru.ru_utime + ru.ru_stime




@dataclass
class ScanRun:
    label: str
    seconds: float
    result: object  # aiprov.scanning.ScanResult
    parent_cpu: float  # CPU seconds of this process (walk, ledger, policy, feeding the workers)
    workers_cpu: float  # CPU seconds of the reader workers (reaped when the scan's pool closes)

    @property
    def files(self) -> int:
        """Every file the scan checked, quiet ones (counted, not listed) included."""
        return self.result.summary()["files"]

    @property
    def rate(self) -> float:
        return self.files / self.seconds if self.seconds > 0 else float("inf")


def timed_scan(label: str, tree: Path, ledger, cfg, workers: int, profile: str | None) -> ScanRun:
    from aiprov.scanning import scan

    prof = cProfile.Profile() if profile else None
    self0, children0 = cpu_seconds(resource.RUSAGE_SELF), cpu_seconds(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    if prof:
        prof.enable()
    result = scan([tree], cfg, ledger, workers=workers)
    if prof:
        prof.disable()
    run = ScanRun(label, time.perf_counter() - t0, result, cpu_seconds(resource.RUSAGE_SELF) - self0,
                  cpu_seconds(resource.RUSAGE_CHILDREN) - children0)
    if prof:
        out = f"{profile}.{label.split()[0]}"
        prof.dump_stats(out)
        print(f"profile of the {label} (this process only, not the workers): {out}; top 15 by own time:")
        pstats.Stats(prof).sort_stats("tottime").print_stats(15)
    return run


def run_scans(tree: Path, ledger_path: Path, workers: int, profile: str | None,
              likeness: bool = True) -> tuple[ScanRun, ScanRun]:
    """The first scan and the unchanged rescan, in this process, against one new ledger."""
    import dataclasses

    from aiprov.config import Config
    from aiprov.ledger import Ledger

    cfg = dataclasses.replace(Config.delivery(tree), likeness=likeness)
    for old in ledger_path.parent.glob(ledger_path.name + "*"):
        old.unlink()
    with Ledger(ledger_path) as ledger:
        first = timed_scan("first scan", tree, ledger, cfg, workers, profile)
        second = timed_scan("rescan (unchanged)", tree, ledger, cfg, workers, profile)
    return first, second


def check(first: ScanRun, second: ScanRun, made: dict[str, bool]) -> list[str]:
    """What is wrong with the two scans' results, as lines (empty when all is right)."""
    problems = []
    n = len(made)
    ai_paths = {os.path.realpath(p) for p, is_ai in made.items() if is_ai}
    for run, want_read in ((first, n), (second, 0)):
        r = run.result
        if run.files != n:
            problems.append(f"{run.label}: {run.files} files in the result, {n} made")
        if r.read != want_read:
            problems.append(f"{run.label}: read {r.read} files, expected {want_read}")
        if r.read + r.reused != n:
            problems.append(f"{run.label}: read {r.read} + reused {r.reused} != {n}")
        flagged = {os.path.realpath(f.path) for f in r.errors}
        if len(r.errors) != len(ai_paths) or flagged != ai_paths:
            problems.append(f"{run.label}: {len(r.errors)} errors on {len(flagged)} files; {len(ai_paths)} AI "
                            f"files made ({len(ai_paths - flagged)} AI not flagged, "
                            f"{len(flagged - ai_paths)} flagged but not AI)")
        rules = {f.rule for f in r.errors}
        if rules - {"ai-in-finals"}:
            problems.append(f"{run.label}: unexpected rules {sorted(rules - {'ai-in-finals'})}")
    return problems


# --- reporting ----------------------------------------------------------------------------------------


def exiftool_version() -> str:
    try:
        return subprocess.run(["exiftool", "-ver"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as exc:
        return f"unavailable ({exc})"




def row(label: str, seconds: float, files: int, note: str = "") -> None:
    rate = files / seconds if seconds > 0 else float("inf")
    print(f"  {label:<46} {seconds:>8.2f} s {rate:>10,.0f} files/s  {note}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, default=DEFAULT_FILES, help=f"PNG stills to make (default {DEFAULT_FILES})")
    ap.add_argument("--workers", type=int, default=DEFAULT_WORKERS,
                    help=f"aiprov reader workers (default {DEFAULT_WORKERS})")
    ap.add_argument("--repeat", type=int, default=3, help="rounds of the first scans and exiftool (default 3)")
    ap.add_argument("--seed", type=int, default=SEED, help="random seed of the tree")
    ap.add_argument("--profile", metavar="FILE", help="cProfile both scans (this process): FILE.first, FILE.rescan")
    ap.add_argument("--keep", action="store_true", help="keep the tree and the ledger (the folder is printed)")
    args = ap.parse_args(argv)

    print(f"machine: nproc={os.cpu_count()}, python {platform.python_version()}, exiftool {exiftool_version()}, "
          f"Pillow {Image.__version__}, {platform.platform()}; load average {loadavg()}")
    print(source_version())
    tmp = Path(tempfile.mkdtemp(prefix="aiprov-bench-scan-"))
    tree = tmp / "tree"
    try:
        t0 = time.perf_counter()
        made = make_tree(tree, args.files, args.seed)
        paths = sorted(made)
        n, n_ai = len(paths), sum(made.values())
        size = sum(os.path.getsize(p) for p in paths)
        folders = len({os.path.dirname(p) for p in paths})
        print(f"tree: {n:,} PNG files ({n_ai:,} with A1111 parameters) in {folders} shot folders, "
              f"{size / 1e6:.1f} MB, made in {time.perf_counter() - t0:.1f} s: {tree}")

        hash_s, distinct = time_hashing(paths)
        exif_s = time_exiftool(paths)
        rounds: dict[str, list[float]] = {"scan": [], "scan, no prints": [], "exiftool per file": []}
        for r in range(max(1, args.repeat)):
            first, second = run_scans(tree, tmp / "ledger.db", args.workers, args.profile if r == 0 else None)
            rounds["scan"].append(first.seconds)
            bare, bare_second = run_scans(tree, tmp / "ledger-bare.db", args.workers, None, likeness=False)
            rounds["scan, no prints"].append(bare.seconds)
            rounds["exiftool per file"].append(time_exiftool_per_file(paths))
        walk_s, walked = time_walk_stat(tree)
        med = {k: statistics.median(v) for k, v in rounds.items()}

        def spread(k: str) -> str:
            return f"median of {len(rounds[k])}, min {min(rounds[k]):.2f} max {max(rounds[k]):.2f} s"

        print()
        print(f"  {'what':<46} {'wall':>10} {'rate':>16}")
        row(f"aiprov first scan ({args.workers} workers)", med["scan"], n,
            f"read {first.result.read}, reused {first.result.reused}; {spread('scan')}")
        row("aiprov first scan, perceptual prints off", med["scan, no prints"], n,
            f"read {bare.result.read}; {spread('scan, no prints')}")
        row("aiprov rescan, unchanged tree", second.seconds, second.files,
            f"read {second.result.read}, reused {second.result.reused}")
        row("exiftool -stay_open per file (1 process)", med["exiftool per file"], n, spread("exiftool per file"))
        row(f"exiftool -stay_open, batches of {EXIFTOOL_BATCH} (1 process)", exif_s, n)
        row("xxh3-128 of every file in Python (1 thread)", hash_s, n, f"{distinct:,} distinct")
        row("walk + stat in Python (rescan floor)", walk_s, walked)
        print()
        per_file = med["exiftool per file"]
        for label, key in (("first scan", "scan"), ("no prints", "scan, no prints")):
            ratio = per_file / med[key]
            print(f"{label + ':':<12} {n / med[key]:,.0f} files/s = {ratio:.1f}x exiftool per file "
                  f"(rounds: {', '.join(f'{per_file / t:.1f}x' for t in rounds[key])}), "
                  f"{exif_s / med[key]:.2f}x exiftool batches  [target >= {TARGET_RATIO:g}x: "
                  f"{'met' if ratio >= TARGET_RATIO else 'NOT met'}]")
        print(f"rescan:      {second.rate:,.0f} files/s; speed-up over the first scan {first.seconds / second.seconds:.1f}x; "
              f"{second.seconds / walk_s:.0f}x the walk+stat floor; {1000 * second.seconds / n:.3f} ms per file")
        for run in (first, bare, second):
            label = run.label if run is not bare else "first, no prints"
            print(f"CPU, {label + ':':<20} this process {run.parent_cpu:.2f} s "
                  f"({1000 * run.parent_cpu / max(1, run.files):.3f} ms/file), workers {run.workers_cpu:.2f} s "
                  f"({1000 * run.workers_cpu / max(1, run.files):.3f} ms/file)")
        print(f"flagged:     first scan {len(first.result.errors)} errors, rescan {len(second.result.errors)} errors; "
              f"AI files made {n_ai}")
        ledger_mb = sum(os.path.getsize(p) for p in tmp.glob("ledger.db*")) / 1e6
        print(f"ledger:      {ledger_mb:.1f} MB (with WAL) for {n:,} files")
        print(f"load average at the end: {loadavg()} (other processes on this machine skew wall times)")

        problems = check(first, second, made) + check(bare, bare_second, made)
        if distinct != n:
            problems.append(f"only {distinct} distinct files of {n}")
        if problems:
            print("CHECK FAILED:")
            for p in problems:
                print("  " + p)
            return 1
        print("checks: every AI file flagged and nothing else; the rescan read 0 files: OK")
        return 0
    finally:
        tidy(tmp, args.keep)


if __name__ == "__main__":
    sys.exit(main())
