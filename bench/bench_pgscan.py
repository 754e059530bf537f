"""Benchmark: a first scan into a PostgreSQL ledger against the same scan into a SQLite file.

Why: a facility keeps one shared ledger in PostgreSQL, and the first scan of a delivery
(every file new) is where the ledger works hardest. The goal: into PostgreSQL on the
same machine (loopback) a first scan takes at most 1.2x its time into a SQLite file, and
into a server across a ~1 ms network at least half the loopback rate.

What is timed, wall clock, in this process (reader workers started by the scan included):

    tree = N small PNG stills (bench_scan.make_tree: reel/shot folders, ~10% carry
           AUTOMATIC1111 parameters, so each of those is flagged ai-in-finals)
    cfg = Config.delivery(tree)                          # everything is finals
    cfg.likeness = False                                 # unless --likeness (see below)
    with Ledger(target) as ledger:                       # a new, empty ledger each time
        scan([tree], cfg, ledger, workers=W)             # what `aiprov scan` runs

Perceptual prints are off unless --likeness: once an AI still is on record a first scan prints
every finals still (pixel work in the readers, the same for both ledgers, ~10x the rest of
this scan), which would hide the ledger's share the goal is about.

into three targets, in rotating order within each repeat: a SQLite file; a fresh
PostgreSQL schema over loopback; a fresh schema through a forwarder that holds each
direction back by half of --rtt-ms (bench/_delayline.py; its round trip is measured with
SELECT 1, not trusted). A baseline measured in the same run: the files read by the same
number of reader workers with no ledger at all (pool.read_many), so the ledger's share of
each scan shows. Every scan is checked: every file read and recorded once, each AI file
flagged once and nothing else; each ledger's rows are counted after its scan (assets,
locations, open findings, "recorded" and "flagged" events) and must match the files made.
Exits 1 when a check fails.

Printed: each scan's time and rate, the ratios PG loopback / SQLite (time) and PG across
the delay line / PG loopback (rate) per repeat with their spread, and the round trips per
new file the delay line implies ((T_delay - T_loopback) / extra round-trip time / files).
The load average is printed at the start and the end (others use this 2-core machine).

Run: make bench-pgscan, or scripts/with-postgres .venv/bin/python bench/bench_pgscan.py [--files N] [--repeats R]
     [--workers W] [--rtt-ms MS] [--pg-url URL] [--likeness] [--keep]
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _common import loadavg, source_version, tidy  # noqa: E402
from _delayline import DelayLine  # noqa: E402
from bench_scan import make_tree  # noqa: E402

DEFAULT_FILES = 25_000
DEFAULT_REPEATS = 3
DEFAULT_WORKERS = 2
DEFAULT_RTT_MS = 1.0
DEFAULT_PG_URL = "postgresql://aiprov_test:aiprov_test@127.0.0.1:5432/aiprov_test"
TARGETS = ("sqlite", "pg-loopback", "pg-delay")


def pg_schema_url(base: str, schema: str) -> str:
    return base + ("&" if "?" in base else "?") + f"options=-csearch_path%3D{schema}"


def pg_admin(base: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(base, autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql)


def select1_ms(url: str, n: int = 300) -> float:
    """p50 of SELECT 1 on a new connection: what one round trip costs there."""
    import psycopg

    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            conn.execute("SELECT 1").fetchone()
            times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def read_only(tree: Path, paths: list[str], workers: int) -> float:
    """The baseline: the same files read by the same readers, nothing recorded."""
    from aiprov.checking import reader_settings
    from aiprov.config import Config
    from aiprov.isolation import ReaderPool

    cfg = Config.delivery(tree)
    t0 = time.perf_counter()
    pool = ReaderPool(reader_settings(cfg), workers=workers, timeout_s=cfg.timeout)
    try:
        got = sum(1 for _ in pool.read_many([os.fsencode(p) for p in paths]))
    finally:
        pool.close()
    if got != len(paths):
        raise RuntimeError(f"the readers answered for {got} of {len(paths)} files")
    return time.perf_counter() - t0


def one_scan(tree: Path, target: str, workers: int, likeness: bool) -> tuple[float, object, dict[str, int]]:
    """A first scan into an empty ledger; returns (seconds, ScanResult, row counts)."""
    from aiprov.config import Config
    from aiprov.ledger import Ledger
    from aiprov.scanning import scan

    cfg = Config.delivery(tree)
    cfg.likeness = likeness
    with Ledger(target, migrate=True) as ledger:
        t0 = time.perf_counter()
        result = scan([tree], cfg, ledger, workers=workers)
        seconds = time.perf_counter() - t0
        rows = {
            "assets": ledger.count("assets"),
            "locations": ledger.count("locations"),
            "open findings": ledger._q("SELECT count(*) FROM findings WHERE resolved_at IS NULL").fetchone()[0],
            "recorded events": ledger._q("SELECT count(*) FROM events WHERE kind = 'recorded'").fetchone()[0],
            "flagged events": ledger._q("SELECT count(*) FROM events WHERE kind = 'flagged'").fetchone()[0],
        }
    return seconds, result, rows


def check(label: str, result, rows: dict[str, int], made: dict[str, bool]) -> list[str]:
    n = len(made)
    ai = {os.path.realpath(p) for p, is_ai in made.items() if is_ai}
    problems = []
    if result.read != n or len(result.files) != n:
        problems.append(f"{label}: read {result.read}, listed {len(result.files)} of {n} files")
    flagged = [os.path.realpath(f.path) for f in result.errors]
    if sorted(flagged) != sorted(ai) or {f.rule for f in result.errors} - {"ai-in-finals"}:
        problems.append(f"{label}: {len(flagged)} errors, {len(ai)} AI files made")
    want = {"assets": n, "locations": n, "open findings": len(ai), "recorded events": n, "flagged events": len(ai)}
    for what, count in want.items():
        if rows[what] != count:
            problems.append(f"{label}: {rows[what]} {what} in the ledger, {count} expected")
    return problems


def spread(values: list[float]) -> str:
    if len(values) < 2:
        return f"{values[0]:.2f}"
    return f"median {statistics.median(values):.2f} (min {min(values):.2f}, max {max(values):.2f})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, default=DEFAULT_FILES, help=f"PNG stills to make (default {DEFAULT_FILES:,})")
    ap.add_argument("--repeats", type=int, default=DEFAULT_REPEATS, help=f"scans per target (default {DEFAULT_REPEATS})")
    ap.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help=f"reader workers (default {DEFAULT_WORKERS})")
    ap.add_argument("--rtt-ms", type=float, default=DEFAULT_RTT_MS,
                    help=f"round trip added by the delay line, ms (default {DEFAULT_RTT_MS}; 0: no delayed target)")
    ap.add_argument("--pg-url", default=os.environ.get("AIPROV_TEST_POSTGRES") or DEFAULT_PG_URL,
                    help="PostgreSQL database to make scratch schemas in (default AIPROV_TEST_POSTGRES)")
    ap.add_argument("--seed", type=int, default=20251202, help="random seed of the tree")
    ap.add_argument("--likeness", action="store_true", help="make perceptual prints too, as a scan does by default")
    ap.add_argument("--keep", action="store_true", help="keep the tree (the folder is printed)")
    args = ap.parse_args(argv)
    targets = [t for t in TARGETS if args.rtt_ms > 0 or t != "pg-delay"]

    print(f"machine: nproc={os.cpu_count()}, python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
          f"{platform.platform()}; load average {loadavg()}")
    print(source_version())
    tmp = Path(tempfile.mkdtemp(prefix="aiprov-bench-pgscan-"))
    tree = tmp / "tree"
    schemas: list[str] = []
    problems: list[str] = []
    times: dict[str, list[float]] = {t: [] for t in targets}
    try:
        t0 = time.perf_counter()
        made = make_tree(tree, args.files, args.seed)
        paths = sorted(made)
        n, n_ai = len(paths), sum(made.values())
        print(f"tree: {n:,} PNG stills ({n_ai:,} with A1111 parameters), made in {time.perf_counter() - t0:.1f} s")
        read_s = [read_only(tree, paths, args.workers) for _ in range(2)]  # the first one warms the page cache
        print(f"baseline, the files read by {args.workers} readers, no ledger: {read_s[-1]:.2f} s "
              f"({n / read_s[-1]:,.0f} files/s); load average {loadavg()}")
        floors = {"pg-loopback": select1_ms(args.pg_url)}
        for r in range(args.repeats):
            order = targets[r % len(targets):] + targets[:r % len(targets)]
            for target in order:
                if target == "sqlite":
                    where = str(tmp / f"ledger-{r}.db")
                    seconds, result, rows = one_scan(tree, where, args.workers, args.likeness)
                else:
                    schema = f"bench_pgscan_{os.getpid()}_{r}_{target.replace('-', '_')}"
                    pg_admin(args.pg_url, f"CREATE SCHEMA {schema}")
                    schemas.append(schema)
                    url = pg_schema_url(args.pg_url, schema)
                    if target == "pg-loopback":
                        seconds, result, rows = one_scan(tree, url, args.workers, args.likeness)
                    else:
                        with DelayLine(url, args.rtt_ms) as slow:
                            floors.setdefault("pg-delay", select1_ms(slow))
                            seconds, result, rows = one_scan(tree, slow, args.workers, args.likeness)
                    pg_admin(args.pg_url, f"DROP SCHEMA {schema} CASCADE")
                    schemas.remove(schema)
                problems += check(f"repeat {r + 1}, {target}", result, rows, made)
                times[target].append(seconds)
                print(f"  repeat {r + 1}, {target:<12} {seconds:7.2f} s {n / seconds:8,.0f} files/s "
                      f"(ledger share ~{max(0.0, seconds - read_s[-1]):.2f} s); load average {loadavg()}",
                      flush=True)
            if target == "sqlite":
                os.remove(where)
        print()
        print(f"first scan of {n:,} new files, {args.workers} reader workers, perceptual prints "
              f"{'on' if args.likeness else 'off'}, {args.repeats} repeats:")
        for target in targets:
            ts = times[target]
            print(f"  {target:<12} {statistics.median(ts):7.2f} s  {n / statistics.median(ts):8,.0f} files/s  "
                  f"(min {min(ts):.2f} s, max {max(ts):.2f} s)")
        pg_vs_sqlite = [p / s for p, s in zip(times["pg-loopback"], times["sqlite"])]
        print(f"PG loopback / SQLite, time:        {spread(pg_vs_sqlite)}  (goal <= 1.2)")
        if "pg-delay" in times:
            rate_ratio = [loop / slow for loop, slow in zip(times["pg-loopback"], times["pg-delay"])]
            extra_ms = floors["pg-delay"] - floors["pg-loopback"]
            trips = [(slow - loop) / (extra_ms / 1000) / n for loop, slow in zip(times["pg-loopback"], times["pg-delay"])]
            print(f"PG delay line / PG loopback, rate: {spread(rate_ratio)}  (goal >= 0.5; SELECT 1 "
                  f"{floors['pg-loopback']:.3f} ms loopback, {floors['pg-delay']:.3f} ms through the delay line)")
            print(f"round trips per new file the delay line implies: {spread(trips)}")
        print(f"ledger share (scan - reading alone, {read_s[-1]:.2f} s), median: " + ", ".join(
            f"{t} {max(0.0, statistics.median(times[t]) - read_s[-1]):.2f} s" for t in targets))
        print(f"load average at the end: {loadavg()} (other processes on this machine skew wall times)")
        if problems:
            print("CHECK FAILED:")
            for p in problems:
                print("  " + p)
            return 1
        print("checks: every file read and recorded once, every AI file flagged once and nothing else, "
              "on every target: OK")
        return 0
    finally:
        for schema in schemas:
            pg_admin(args.pg_url, f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        tidy(tmp, args.keep)


if __name__ == "__main__":
    sys.exit(main())
