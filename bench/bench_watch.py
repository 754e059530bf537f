"""Benchmark: the `aiprov watch` daemon's latency, idle CPU and idle memory.

Why: the daemon runs for weeks on editorial storage. A file that lands in a
finals folder must be on record (and flagged, if it is AI material) within
about a second of its stability window, even when a render drops hundreds of
frames at once; and while nothing happens, the daemon must cost next to
nothing on a tree of 100,000 files, with inotify and with the folder-mtime
polling observer used on network shares.

Everything runs against the real daemon, started as a subprocess exactly as
a user would start it:

    python -m aiprov.cli watch ROOT --ledger DB --stability S --log-format json [...]

and is measured from outside: its status file (DB + ".watch.json",
`last_reconcile` is set once the start-up reconcile walk is done), its
ledger (table `locations`: `path`, `first_seen` in ISO-8601 UTC with
milliseconds) and /proc.

a. Latency. With the daemon up on an empty ROOT, some files are written one
   at a time, each after the previous one is on record ("single"), then a
   burst of B small distinct PNGs is written into ROOT/finals/burst/ at a
   steady pace. For every file the wall-clock time its write was closed is
   kept; latency = first_seen - closed - stability, i.e. what the daemon
   adds after the stability window it is asked to wait. Targets: p50 <= 1 s,
   p99 <= 3 s.

b. Idle cost. A tree of N tiny distinct PNGs (hand-made 1x1 images, spread
   over ~N/100 folders) is built; a daemon is started on it with
   `--reconcile 3600` (once with the native inotify observer, once with
   `--polling`, each with a fresh ledger), the start-up reconcile is timed,
   and then the daemon and all its descendants (reader workers and what they
   start) are sampled for a while: CPU% = delta(utime+stime) from
   /proc/PID/stat over wall time, memory = VmRSS from /proc/PID/status (PSS
   from smaps_rollup too, since workers share pages). Targets: idle CPU <= 1%
   and RSS <= 150 MB.

Daemons are stopped with SIGTERM and waited for. Wall times move with
whatever else runs on the machine, so the load average is printed as well.

Run: /work/venv/bin/python bench/bench_watch.py [--stability S] [--burst B] [--rate R]
     [--idle-files N] [--idle-seconds T] [--observers native,polling] [--parts latency,idle] [--keep]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import signal
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from _common import loadavg, source_version, tidy  # noqa: E402

DEFAULT_STABILITY_S = 0.5
DEFAULT_BURST = 500
DEFAULT_RATE = 100.0  # files per second during the burst
DEFAULT_SINGLES = 5
DEFAULT_IDLE_FILES = 100_000
DEFAULT_IDLE_SECONDS = 30.0
DEFAULT_READY_TIMEOUT_S = 3600.0
FILES_PER_FOLDER = 100
FOLDERS_PER_REEL = 100
BURST_SIDE = 32  # burst PNGs are BURST_SIDE x BURST_SIDE gradients
PROGRESS_EVERY_S = 30.0  # progress lines while a start-up reconcile runs
STALL_S = 120.0  # no new file on record for this long: the reconcile is stuck
SETTLE_S = 3.0  # after the reconcile, before idle sampling starts
SAMPLE_EVERY_S = 1.0
STOP_TIMEOUT_S = 120.0
TARGET_P50_S, TARGET_P99_S = 1.0, 3.0
TARGET_IDLE_CPU_PCT, TARGET_RSS_MB = 1.0, 150.0
CLK_TCK = os.sysconf("SC_CLK_TCK")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# --- files ------------------------------------------------------------------------------------------


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bytes(index: int, side: int = 1) -> bytes:
    """A valid RGB PNG, side x side, a gradient whose first pixel encodes index: distinct for index < 2**24."""
    rows = []
    for y in range(side):
        row = bytearray([0])  # filter: none
        for x in range(side):
            row += bytes(((x * 255) // max(1, side - 1), (y * 255) // max(1, side - 1), 128))
        rows.append(row)
    rows[0][1:4] = bytes((index & 0xFF, (index >> 8) & 0xFF, (index >> 16) & 0xFF))
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (PNG_SIGNATURE + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"".join(rows)))
            + _chunk(b"IEND", b""))


def write_file(path: Path, data: bytes) -> float:
    """Write and close a file; returns the wall-clock time the close returned."""
    with open(path, "wb") as fh:
        fh.write(data)
    return time.time()


def build_idle_tree(root: Path, n: int) -> int:
    """n tiny distinct PNGs, FILES_PER_FOLDER per folder; returns the number of folders."""
    folders = 0
    for i in range(n):
        if i % FILES_PER_FOLDER == 0:
            shot = i // FILES_PER_FOLDER
            folder = root / f"reel_{shot // FOLDERS_PER_REEL + 1:03d}" / f"shot_{shot + 1:05d}"
            folder.mkdir(parents=True, exist_ok=True)
            folders += 1
        (folder / f"frame_{i:07d}.png").write_bytes(png_bytes(i))
    return folders


# --- the daemon ---------------------------------------------------------------------------------------


@dataclass
class Daemon:
    proc: subprocess.Popen
    ledger: Path
    log: Path
    started: float  # time.monotonic() at Popen

    @property
    def status_path(self) -> Path:
        return Path(str(self.ledger) + ".watch.json")

    def status(self) -> dict | None:
        try:
            return json.loads(self.status_path.read_text())
        except (OSError, ValueError):
            return None

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def log_events(self, event: str) -> list[dict]:
        """The daemon's JSON log lines with this "event" field."""
        found = []
        try:
            with open(self.log, errors="replace") as fh:
                for line in fh:
                    if f'"event": "{event}"' in line:
                        try:
                            found.append(json.loads(line))
                        except ValueError:
                            pass
        except OSError:
            pass
        return found

    def wait_ready(self, timeout_s: float, label: str = "") -> float:
        """Seconds from start until the status shows the start-up reconcile done.

        Every PROGRESS_EVERY_S it prints how many files the ledger holds, and gives up when that
        has not moved for STALL_S (e.g. reader workers that crash on every file).
        """
        deadline = time.monotonic() + timeout_s
        next_report = time.monotonic() + PROGRESS_EVERY_S
        last_count, last_move = -1, time.monotonic()
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the daemon exited with {self.proc.returncode} before it was ready:\n"
                                   + self.log_tail())
            st = self.status()
            if st and st.get("last_reconcile"):
                return time.monotonic() - self.started
            now = time.monotonic()
            if now >= next_report:
                next_report = now + PROGRESS_EVERY_S
                count = recorded_count(self.ledger)
                if count != last_count:
                    last_count, last_move = count, now
                print(f"  {label}reconciling: {count:,} files on record after {now - self.started:.0f} s", flush=True)
                if now - last_move >= STALL_S:
                    raise RuntimeError(f"the start-up reconcile made no progress for {STALL_S:g} s:\n"
                                       + self.log_tail())
            time.sleep(0.2)
        raise RuntimeError(f"the daemon was not ready after {timeout_s:g} s:\n" + self.log_tail())

    def stop(self) -> tuple[float, int | None]:
        """SIGTERM and wait; returns (seconds to exit, exit code). SIGKILL if it does not stop in time."""
        t0 = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                print(f"  ! the daemon did not stop within {STOP_TIMEOUT_S:g} s of SIGTERM; killing pid {self.proc.pid}")
                self.proc.kill()
                self.proc.wait()
        return time.monotonic() - t0, self.proc.returncode


def start_daemon(root: Path, ledger: Path, stability_s: float, extra: list[str], log: Path) -> Daemon:
    cmd = [sys.executable, "-m", "aiprov.cli", "watch", str(root), "--ledger", str(ledger),
           "--stability", f"{stability_s:g}", "--log-format", "json", *extra]
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=fh, stderr=subprocess.STDOUT,
                                cwd=ledger.parent)
    return Daemon(proc, ledger, log, time.monotonic())


# --- the ledger ---------------------------------------------------------------------------------------


def first_seen(db: Path, prefix: str) -> dict[str, float]:
    """{path: first_seen as epoch seconds} for the recorded locations whose path starts with prefix."""
    try:
        conn = sqlite3.connect(db, timeout=10)
    except sqlite3.Error:
        return {}
    try:
        rows = conn.execute("SELECT path, first_seen FROM locations WHERE substr(path, 1, ?) = ?",
                            (len(prefix), prefix)).fetchall()
    except sqlite3.Error:
        return {}  # not created yet
    finally:
        conn.close()
    return {path: datetime.fromisoformat(seen).timestamp() for path, seen in rows}


def recorded_count(db: Path) -> int:
    try:
        conn = sqlite3.connect(db, timeout=10)
        try:
            return conn.execute("SELECT count(*) FROM locations").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def wait_recorded(db: Path, prefix: str, want: set[str], timeout_s: float, every_s: float) -> dict[str, float]:
    """Poll the ledger until every path in want is recorded or the time is up; returns what was found."""
    deadline = time.monotonic() + timeout_s
    while True:
        seen = {p: t for p, t in first_seen(db, prefix).items() if p in want}
        if len(seen) == len(want) or time.monotonic() >= deadline:
            return seen
        time.sleep(every_s)


# --- /proc ----------------------------------------------------------------------------------------------


def children_of(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                kids += [int(k) for k in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
            except OSError:
                continue
    except OSError:
        pass
    return kids


def descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        kids = children_of(todo.pop())
        found += kids
        todo += kids
    return found


def cpu_ticks(pid: int) -> tuple[int, int] | None:
    """(utime+stime, cutime+cstime) in clock ticks, or None when the process is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()  # fields from 3 (state) on
    utime, stime, cutime, cstime = (int(fields[i]) for i in (11, 12, 13, 14))
    return utime + stime, cutime + cstime


def status_kb(pid: int, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def pss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


@dataclass
class IdleSample:
    seconds: float = 0.0
    main_cpu_pct: float = 0.0
    total_cpu_pct: float = 0.0
    main_rss_mb: float = 0.0  # at the end
    main_rss_max_mb: float = 0.0
    total_rss_mb: float = 0.0  # daemon + descendants, at the end
    total_rss_max_mb: float = 0.0
    total_pss_mb: float | None = None
    processes: int = 0  # daemon + descendants, at the end
    threads: int | None = None
    rss_by_pid: dict[int, float] = field(default_factory=dict)


def sample_idle(pid: int, seconds: float) -> IdleSample:
    """CPU and memory of pid and its descendants over `seconds` of wall time."""
    start = cpu_ticks(pid)
    if start is None:
        raise RuntimeError(f"process {pid} is gone")
    first: dict[int, int] = {}
    for d in descendants(pid):
        t = cpu_ticks(d)
        if t:
            first[d] = t[0]
    last = dict(first)
    out = IdleSample()
    t0 = time.monotonic()
    while True:
        time.sleep(min(SAMPLE_EVERY_S, max(0.0, t0 + seconds - time.monotonic())))
        kids = descendants(pid)
        for d in kids:
            t = cpu_ticks(d)
            if t:
                first.setdefault(d, 0)  # started during the window: all its CPU counts
                last[d] = t[0]
        main_rss = (status_kb(pid, "VmRSS") or 0) / 1024
        kids_rss = {d: (status_kb(d, "VmRSS") or 0) / 1024 for d in kids}
        out.main_rss_mb, out.rss_by_pid = main_rss, kids_rss
        out.main_rss_max_mb = max(out.main_rss_max_mb, main_rss)
        out.total_rss_mb = main_rss + sum(kids_rss.values())
        out.total_rss_max_mb = max(out.total_rss_max_mb, out.total_rss_mb)
        out.processes = 1 + len(kids)
        if time.monotonic() - t0 >= seconds:
            break
    wall = time.monotonic() - t0
    end = cpu_ticks(pid)
    if end is None:
        raise RuntimeError(f"process {pid} died while being sampled")
    main = end[0] - start[0]
    reaped = end[1] - start[1]  # children that exited during the window
    kids_ticks = sum(last[d] - first[d] for d in last)
    out.seconds = wall
    out.main_cpu_pct = 100.0 * main / CLK_TCK / wall
    out.total_cpu_pct = 100.0 * (main + reaped + kids_ticks) / CLK_TCK / wall
    pss = [pss_kb(p) for p in [pid, *descendants(pid)]]
    out.total_pss_mb = sum(pss) / 1024 if all(v is not None for v in pss) else None
    out.threads = status_kb(pid, "Threads")
    return out


# --- measurements ---------------------------------------------------------------------------------------


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def describe(values: list[float]) -> str:
    return (f"p50 {percentile(values, 50):.3f} s, p90 {percentile(values, 90):.3f} s, "
            f"p99 {percentile(values, 99):.3f} s, max {max(values):.3f} s")


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def measure_latency(work: Path, stability_s: float, singles: int, burst: int, rate: float,
                    ready_timeout_s: float) -> bool:
    """Part a; prints its results, returns False when a file was never recorded."""
    root = work / "root"
    single_dir, burst_dir = root / "finals" / "single", root / "finals" / "burst"
    single_dir.mkdir(parents=True)
    burst_dir.mkdir(parents=True)
    daemon = start_daemon(root, work / "ledger.db", stability_s, [], work / "daemon.log")
    ok = True
    try:
        ready = daemon.wait_ready(ready_timeout_s)
        st = daemon.status() or {}
        observers = ", ".join(f"{r['observer']}" for r in st.get("roots", []))
        print(f"daemon pid {daemon.proc.pid} up in {ready:.2f} s (observer: {observers}), stability {stability_s:g} s")

        # single files, each written alone
        lat_single, raw_single = [], []
        for k in range(singles):
            path = single_dir / f"single_{k:03d}.png"
            closed = write_file(path, png_bytes(1_000_000 + k, BURST_SIDE))
            seen = wait_recorded(daemon.ledger, str(single_dir) + "/", {str(path)}, 30 + 4 * stability_s, 0.02)
            if str(path) not in seen:
                print(f"  ! {path.name} was not recorded within {30 + 4 * stability_s:g} s")
                ok = False
                continue
            raw_single.append(seen[str(path)] - closed)
            lat_single.append(raw_single[-1] - stability_s)
        if lat_single:
            print(f"single file, written alone ({len(lat_single)} files, one at a time): latency after the "
                  f"window " + ", ".join(f"{v:.3f}" for v in lat_single) + " s; "
                  f"median {percentile(lat_single, 50):.3f} s, max {max(lat_single):.3f} s "
                  f"(first_seen - closed: median {percentile(raw_single, 50):.3f} s)")

        # the burst
        payloads = [png_bytes(i, BURST_SIDE) for i in range(burst)]
        closed: dict[str, float] = {}
        t0 = time.monotonic()
        for i, data in enumerate(payloads):
            delay = t0 + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            path = burst_dir / f"frame_{i:06d}.png"
            closed[str(path)] = write_file(path, data)
        written_s = time.monotonic() - t0
        timeout = 60 + 10 * stability_s + 4 * burst / rate
        seen = wait_recorded(daemon.ledger, str(burst_dir) + "/", set(closed), timeout, 0.25)
        all_done_s = time.monotonic() - t0
        raw = [seen[p] - closed[p] for p in seen]
        lat = [v - stability_s for v in raw]
        print(f"burst: {burst} files written at {rate:g} files/s in {written_s:.2f} s "
              f"({burst / written_s:.0f} files/s achieved); all on record {all_done_s:.2f} s after the first write")
        if len(seen) != burst:
            print(f"  ! only {len(seen)} of {burst} burst files were recorded within {timeout:.0f} s")
            ok = False
        if lat:
            early = sum(1 for v in lat if v < 0)
            print(f"burst latency after the {stability_s:g} s window: {describe(lat)}  "
                  f"[target p50 <= {TARGET_P50_S:g} s: {verdict(percentile(lat, 50) <= TARGET_P50_S)}; "
                  f"p99 <= {TARGET_P99_S:g} s: {verdict(percentile(lat, 99) <= TARGET_P99_S)}]")
            print(f"burst first_seen - closed (window included): {describe(raw)}"
                  + (f"; {early} file(s) recorded before their window was over" if early else ""))
        st = daemon.status() or {}
        print(f"daemon status: processed {st.get('processed')}, findings {st.get('findings')}, "
              f"queue_depth {st.get('queue_depth')}, errors {len(st.get('errors') or [])}")
    finally:
        stop_s, code = daemon.stop()
        print(f"daemon stopped by SIGTERM in {stop_s:.2f} s, exit code {code}")
    return ok


def measure_idle(work: Path, tree: Path, observer: str, stability_s: float, idle_s: float,
                 ready_timeout_s: float) -> IdleSample:
    """Part b for one observer; prints its results."""
    flag = "--polling" if observer == "polling" else "--native"
    daemon = start_daemon(tree, work / f"ledger-{observer}.db", stability_s, ["--reconcile", "3600", flag],
                          work / f"daemon-{observer}.log")
    try:
        ready = daemon.wait_ready(ready_timeout_s, f"[{observer}] ")
        st = daemon.status() or {}
        rec = daemon.log_events("reconcile")
        files = rec[-1].get("files") if rec else st.get("processed")
        print(f"[{observer}] daemon pid {daemon.proc.pid}: start-up reconcile done {ready:.1f} s after start "
              f"({files} files, {(files or 0) / ready:,.0f} files/s; observer "
              f"{', '.join(r['observer'] for r in st.get('roots', []))}); daemon log: "
              + (rec[-1].get("message", "") if rec else "no reconcile line"))
        time.sleep(SETTLE_S)
        s = sample_idle(daemon.proc.pid, idle_s)
        pss = f", PSS {s.total_pss_mb:.1f} MB" if s.total_pss_mb is not None else ""
        kids = ", ".join(f"{pid}: {mb:.1f}" for pid, mb in sorted(s.rss_by_pid.items()))
        print(f"[{observer}] idle over {s.seconds:.1f} s: main process CPU {s.main_cpu_pct:.2f}%, RSS "
              f"{s.main_rss_mb:.1f} MB (max {s.main_rss_max_mb:.1f}), {s.threads} threads")
        print(f"[{observer}] idle, with its {s.processes - 1} descendant process(es) (RSS MB by pid: {kids or 'none'}): "
              f"CPU {s.total_cpu_pct:.2f}%, RSS {s.total_rss_mb:.1f} MB (max {s.total_rss_max_mb:.1f}){pss}  "
              f"[target CPU <= {TARGET_IDLE_CPU_PCT:g}%: {verdict(s.total_cpu_pct <= TARGET_IDLE_CPU_PCT)}; "
              f"RSS <= {TARGET_RSS_MB:g} MB: main {verdict(s.main_rss_max_mb <= TARGET_RSS_MB)}, "
              f"total {verdict(s.total_rss_max_mb <= TARGET_RSS_MB)}]")
        errors = (daemon.status() or {}).get("errors") or []
        if errors:
            print(f"[{observer}] daemon errors: " + "; ".join(errors))
    finally:
        stop_s, code = daemon.stop()
        print(f"[{observer}] daemon stopped by SIGTERM in {stop_s:.2f} s, exit code {code}")
    return s


# --- reporting --------------------------------------------------------------------------------------


def read_text(path: str) -> str:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return "?"






def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stability", type=float, default=DEFAULT_STABILITY_S,
                    help=f"the daemon's --stability, seconds (default {DEFAULT_STABILITY_S:g})")
    ap.add_argument("--burst", type=int, default=DEFAULT_BURST, help=f"files in the burst (default {DEFAULT_BURST})")
    ap.add_argument("--rate", type=float, default=DEFAULT_RATE,
                    help=f"burst pace, files per second (default {DEFAULT_RATE:g})")
    ap.add_argument("--singles", type=int, default=DEFAULT_SINGLES,
                    help=f"files written alone, one at a time (default {DEFAULT_SINGLES})")
    ap.add_argument("--idle-files", type=int, default=DEFAULT_IDLE_FILES,
                    help=f"files in the idle tree (default {DEFAULT_IDLE_FILES})")
    ap.add_argument("--idle-seconds", type=float, default=DEFAULT_IDLE_SECONDS,
                    help=f"idle sampling window (default {DEFAULT_IDLE_SECONDS:g})")
    ap.add_argument("--observers", default="native,polling", help="idle runs to do: native, polling or both")
    ap.add_argument("--parts", default="latency,idle", help="latency, idle or both (default both)")
    ap.add_argument("--ready-timeout", type=float, default=DEFAULT_READY_TIMEOUT_S,
                    help=f"longest wait for a start-up reconcile, seconds (default {DEFAULT_READY_TIMEOUT_S:g})")
    ap.add_argument("--keep", action="store_true", help="keep the trees, ledgers and daemon logs (folder printed)")
    args = ap.parse_args(argv)
    parts = {p.strip() for p in args.parts.split(",") if p.strip()}
    observers = [o.strip() for o in args.observers.split(",") if o.strip()]
    if parts - {"latency", "idle"} or set(observers) - {"native", "polling"}:
        ap.error("--parts takes latency,idle and --observers takes native,polling")

    print(f"machine: nproc={os.cpu_count()}, python {platform.python_version()}, {platform.platform()}, "
          f"CLK_TCK {CLK_TCK}, load average {loadavg()}")
    print(source_version())
    print(f"fs.inotify.max_user_watches = {read_text('/proc/sys/fs/inotify/max_user_watches')}, "
          f"max_user_instances = {read_text('/proc/sys/fs/inotify/max_user_instances')}")
    tmp = Path(os.path.realpath(tempfile.mkdtemp(prefix="aiprov-bench-watch-")))
    ok = True
    try:
        if "latency" in parts:
            print()
            print("== a. latency ==")
            work = tmp / "latency"
            work.mkdir()
            ok = measure_latency(work, args.stability, args.singles, args.burst, args.rate, args.ready_timeout)
        if "idle" in parts:
            print()
            print("== b. idle cost ==")
            work = tmp / "idle"
            tree = work / "tree"
            tree.mkdir(parents=True)
            t0 = time.perf_counter()
            folders = build_idle_tree(tree, args.idle_files)
            print(f"idle tree: {args.idle_files:,} tiny PNGs in {folders:,} folders (~{folders + folders // FOLDERS_PER_REEL + 1:,} "
                  f"inotify watches needed), built in {time.perf_counter() - t0:.1f} s: {tree}")
            results = {obs: measure_idle(work, tree, obs, args.stability, args.idle_seconds, args.ready_timeout)
                       for obs in observers}
            if len(results) == 2:
                n, p = results["native"], results["polling"]
                print(f"polling vs native, idle: CPU {p.total_cpu_pct:.2f}% vs {n.total_cpu_pct:.2f}%, "
                      f"main RSS {p.main_rss_mb:.1f} vs {n.main_rss_mb:.1f} MB")
        print()
        print(f"load average at the end: {loadavg()} (other processes on this machine skew latencies)")
        return 0 if ok else 1
    finally:
        tidy(tmp, args.keep)


if __name__ == "__main__":
    sys.exit(main())
