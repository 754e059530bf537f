"""Benchmark: an unchanged rescan against `find`, on the same tree, in the same run.

Why: editorial and VFX storage holds millions of files, and the gate and the daemon's
reconcile walk all of them again and again. Nothing changed is nothing to read; what
is left is walking the tree, taking each file's stat and holding it against the ledger.
`find -printf '%s %T@ %i'` does the first two and prints them: it is the floor. The goal
is a rescan at >= 30% of find's rate, with memory flat in the number of files.

The tree: N small files, 100 a folder in 1,000-folder reels (a feature's frames). The
ledger is filled with one generated asset and one location row per file carrying the
file's real stat (a first scan of a million files would take most of an hour and is not
what is measured), and a few hundred AI assets among them with open findings, so the
noteworthy files are judged for real.

What is timed, each the best of --repeat runs, warm page cache:
* find TREE -type f -printf '%s %T@ %i\\n' > /dev/null
* aiprov's rescan as the gate runs it, `aiprov scan TREE --ledger L` (text report: the
  findings and the summary), a fresh process each time (interpreter start-up included)
* the same rescan inside one process (scanning.scan), without start-up
* the daemon's start-up reconcile (`aiprov watch TREE`, its "reconciled" log line)
and the peak RSS of the `aiprov scan` process, at each size given (--files 100000,1000000)
so that flat memory shows.

Run: .venv/bin/python bench/bench_rescan.py [--files 100000,1000000] [--backend sqlite|postgresql] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import loadavg, source_version  # noqa: E402

from aiprov.config import Config
from aiprov.ledger import Ledger, schema
from aiprov.scanning import scan
from aiprov.version import RULES_VERSION

PER_FOLDER = 100
AI_EVERY = 2000  # one file in this many is recorded as AI (with its open finding)


def make_tree(root: Path, n: int) -> list[bytes]:
    paths = []
    for i in range(n):
        folder = root / f"reel{i // 100_000:02d}" / f"shot{(i // PER_FOLDER) % 1000:04d}"
        if i % PER_FOLDER == 0:
            folder.mkdir(parents=True, exist_ok=True)
        p = os.fsencode(folder / f"frame.{i:07d}.exr")
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(fd, i.to_bytes(8, "big"))
        os.close(fd)
        paths.append(p)
    return paths


def fill_ledger(target: str, paths: list[bytes], host: str) -> None:
    """One asset and one live location per file, with the file's stat: what a first scan leaves."""
    with Ledger(target, host=host) as ledger:
        now = "2026-12-01T00:00:00.000+00:00"
        for start in range(0, len(paths), 20_000):
            assets, locations, findings = [], [], []
            for i in range(start, min(len(paths), start + 20_000)):
                p = paths[i]
                st = os.stat(p)
                cid = f"{i:032x}"
                verdict = "ai" if i % AI_EVERY == 0 else "unknown"
                assets.append((cid, st.st_size, "image/x-exr", verdict, "bench generator" if verdict == "ai" else None,
                               None, "generated", None, '{"present": false}', "[]", now, now, RULES_VERSION))
                text = p.decode("utf-8", "backslashreplace")
                locations.append((host, p, text, text.rsplit("/", 1)[-1], p[:p.rfind(b"/") + 1], cid, st.st_size,
                                  st.st_mtime_ns, st.st_ino, st.st_dev, "finals", now, now, 0))
            with ledger.transaction():
                ledger._many("INSERT INTO assets (content_id, size, media_type, verdict, generator, digital_source_type, "
                             "reason, error, c2pa, warnings, first_seen, last_seen, rules) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                             assets)
                ledger._many("INSERT INTO locations (host, path_raw, path, name, folder_key, content_id, size, "
                             "mtime_ns, inode, device, zone, first_seen, last_seen, gone) "
                             "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", locations)
                rows = ledger._rows("SELECT id, content_id, path FROM locations l WHERE host = ? AND content_id IN "
                                    "(SELECT content_id FROM assets WHERE verdict = 'ai') AND id NOT IN "
                                    "(SELECT location_id FROM findings)", [host])
                findings = [(r["id"], r["content_id"], "ai-in-finals", "error", "generated", "finals", now, now)
                            for r in rows]
                ledger._many("INSERT INTO findings (location_id, content_id, rule, severity, message, zone, "
                             "first_raised, last_seen) VALUES (?,?,?,?,?,?,?,?)", findings)
        with ledger.transaction():
            schema.fill_folders(ledger.backend)  # each folder's row, with no digest yet (as after a first scan)


def timed(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times


def spread(n: int, find: list[float], took: list[float]) -> str:
    """'best s (share of find's best; the runs' shares from worst to best)'."""
    return (f"{min(took):.2f} s ({100 * min(find) / min(took):.0f}% of find; runs "
            f"{100 * min(find) / max(took):.0f}-{100 * min(find) / min(took):.0f}%)")


def _hwm_kb(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as fh:
            return next((int(line.split()[1]) for line in fh if line.startswith("VmHWM:")), None)
    except (OSError, ValueError):
        return None


def cli_scan(tree: Path, ledger: str, env: dict) -> tuple[float, int, str]:
    """`aiprov scan` in a fresh process: (seconds, peak RSS MB of that process, its summary line).
    The peak is the process's own high-water mark (VmHWM), read while it runs: a child's rusage
    would count the pages it shared with this bench between fork and exec."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "aiprov.cli", "scan", str(tree), "--ledger", ledger,
                                 "--no-progress", "--format", "text"], stdout=out, stderr=err, env=env)
        peak = 0
        while proc.poll() is None:
            peak = max(peak, _hwm_kb(proc.pid) or 0)
            time.sleep(0.01)
        took = time.perf_counter() - t
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if proc.returncode not in (0, 1):
        raise SystemExit(f"aiprov scan failed: {stderr[-2000:]}")
    summary = next((line for line in stdout.splitlines() if " files" in line and "read " in line), "?")
    return took, peak // 1024, summary


def daemon_reconcile(tree: Path, ledger: str, env: dict, state: Path) -> float:
    """Seconds the daemon's start-up reconcile reports for the tree."""
    log = state / "daemon.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "aiprov.cli", "watch", str(tree), "--ledger", ledger,
                                 "--log-format", "json", "--reconcile", "86400"], stdout=out, stderr=subprocess.STDOUT,
                                env={**env, "AIPROV_STATE_DIR": str(state)})
    try:
        deadline = time.monotonic() + 3600
        while time.monotonic() < deadline:
            for line in log.read_text().splitlines():
                if line.startswith("{") and json.loads(line).get("event") == "reconcile":
                    return float(json.loads(line)["message"].split(" in ")[1].split(" s")[0])
            if proc.poll() is not None:
                raise SystemExit(f"the daemon stopped: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        raise SystemExit("the daemon's reconcile did not finish within an hour")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(120)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", default="100000,1000000", help="tree sizes, comma-separated (default 100000,1000000)")
    ap.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--pg-url", default=os.environ.get("AIPROV_BENCH_PG_URL",
                                                         "postgresql://aiprov_test:aiprov_test@127.0.0.1:5432/aiprov_test"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    print(f"machine: nproc={os.cpu_count()}, python {sys.version.split()[0]}; load average {loadavg()}")
    print(source_version())
    host = "bench-host"
    env = {**os.environ, "AIPROV_HOST_ID": host}
    rows = []
    for n in [int(x) for x in args.files.split(",") if x]:
        work = Path(tempfile.mkdtemp(prefix=f"aiprov-rescan-{n}-"))
        try:
            tree = work / "DELIVERY"
            t = time.perf_counter()
            paths = make_tree(tree, n)
            if args.backend == "sqlite":
                target = str(work / "ledger.db")
            else:
                import psycopg

                schema = f"bench_rescan_{n}"
                with psycopg.connect(args.pg_url, autocommit=True) as conn:
                    conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
                    conn.execute(f"CREATE SCHEMA {schema}")
                target = f"{args.pg_url}?options=-csearch_path%3D{schema}"
            fill_ledger(target, paths, host)
            del paths
            print(f"{n:,} files: tree and ledger made in {time.perf_counter() - t:.0f} s")
            finds = timed(lambda: subprocess.run(["find", str(tree), "-type", "f", "-printf", "%s %T@ %i\n"],
                                                 stdout=subprocess.DEVNULL, check=True), args.repeat)
            find = min(finds)
            cfg = Config.delivery(tree)

            def in_process():
                with Ledger(target, host=host) as ledger:
                    r = scan([tree], cfg, ledger)
                assert r.read == 0 and r.quiet >= n - n // AI_EVERY - 1, (r.read, r.quiet)

            in_process()  # the first rescan after a first scan compares file by file, and keeps each folder's digest
            inprocs = timed(in_process, args.repeat)
            inproc = min(inprocs)
            runs = [cli_scan(tree, target, env) for _ in range(args.repeat)]
            cli = min(r[0] for r in runs)
            rss = max(r[1] for r in runs)
            reconciles = [daemon_reconcile(tree, target, env, work) for _ in range(max(1, args.repeat - 1))]
            reconcile = min(reconciles)
            print(f"  find {find:.2f} s ({n / find:,.0f} files/s; runs {min(finds):.2f}-{max(finds):.2f} s); "
                  f"aiprov scan {spread(n, finds, [r[0] for r in runs])}, in one process {spread(n, finds, inprocs)}, "
                  f"daemon reconcile {spread(n, finds, reconciles)}; peak RSS of aiprov scan {rss} MB")
            print(f"  {runs[0][2].strip()}")
            rows.append((n, find, cli, inproc, reconcile, rss))
        finally:
            if args.keep:
                print(f"  kept {work}")
            else:
                shutil.rmtree(work, ignore_errors=True)
    print(f"\n{args.backend} ledger: files | find files/s | aiprov scan files/s (% of find) | in one process | "
          f"daemon reconcile | peak RSS")
    for n, find, cli, inproc, reconcile, rss in rows:
        print(f"  {n:>9,} | {n / find:>10,.0f} | {n / cli:>9,.0f} ({100 * find / cli:.0f}%) | "
              f"{n / inproc:,.0f} ({100 * find / inproc:.0f}%) | {n / reconcile:,.0f} ({100 * find / reconcile:.0f}%)"
              f" | {rss} MB")
    print(f"load average at the end: {loadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
