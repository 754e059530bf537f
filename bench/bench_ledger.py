"""Benchmark: the ledger at facility size: ingest rate and lookup latency with 1,000,000 assets, SQLite vs PostgreSQL.

Why: a facility ledger holds every frame that went through post: a million
assets is a few shows. The ledger must keep ingesting at the rate scans and
daemons feed it when it is that full (does a new file cost more as the tables
grow?), `aiprov lookup` must still answer at once, an unchanged rescan must
stay cheap, and the shared PostgreSQL ledger must let several hosts write at
the same time, which is why it exists. Each backend is filled to N assets in
the same run, side by side, through the real Ledger API; no file is read, so
what is timed is the ledger alone (in a real scan the reader workers add the
reading).

What is timed, per backend (one process, one Ledger, host "bench-host-0"):

* fill 0 -> N: new files in chunks of 1,000 (a tree check's chunk), each
  chunk exactly what Checker.check does for new files, with the same calls
  and the same ledger.batch() transaction grouping (a tick per record and per
  policy step):
      ledger.locations.get_many(paths), live_of_many(cids)   # asked together, once a chunk: known? elsewhere?
      Checker._record_read(files, known, elsewhere, {}, tally)
          # the plainly new files' assets in one upsert (2-3 evidence rows, identifiers,
          # C2PA ingredient edges, "recorded" events, written at commit), their
          # locations in another, "seen" events; copies and moves one by one
      ledger.prints.printed_among(cids), has_sources(kind)    # likeness pass
      checking.judge(ledger, pending, record=True)
          # approvals.active_for_many, lineage.with_parents, findings.open_at once a
          # chunk; ancestors of files with lineage; findings.record
  Perceptual prints are not made (that is pixel work in the readers). The
  rate is printed per 5% slice, so a slowdown as the tables grow shows.
* at N assets, over --lookups random known files: the latency of each
  question `aiprov lookup` asks (locations.get(path), assets.get(cid),
  assets.inspection(cid, path), approvals.of(cid), locations.of(cid),
  assets.history(cid), lineage.parents(cid), lineage.children(cid)) and of the whole aiprov.lookup.lookup() (the paths do not
  exist here, so it answers from the ledger without reading anything).
* an unchanged rescan of --lookups consecutive files (a delivery folder), in
  chunks of 1,000 as Checker.check_tree does it: this host's locations streamed
  per folder in path order and held against each file's stat, quiet files
  counted, noteworthy ones (AI, lineage, open findings) reused from their record
  and judged, in batch() transactions. Latency is per chunk, and per file as
  the chunk's share.
* concurrent ingest at about N: --writer-files new files by 1 writer process,
  then by K writer processes at once (--writers), each with its own host id,
  distinct files. On PostgreSQL the hosts write in parallel; a SQLite file
  serialises its writers (and is one machine's ledger: K processes here).

The synthetic facility: paths /show/finals/shot_NNNN/frame.NNNNNNN.exr (one
shot in five under /show/work/, the working zone), 250 frames a shot; 32-hex
content ids; 5% of assets AI (an IPTC DigitalSourceType), so each one in
finals gets an ai-in-finals finding; 30% carry an xmpMM:InstanceID; 1% have a
C2PA ingredient that is an earlier asset (lineage edge, derived-from-ai
findings when that one is AI) and 0.1% an ingredient the ledger has never
seen (an upload), which sends parents() to its file-name fallback. After the
fill, 20% of the AI assets get an approval (not timed), so approvals_for and
the rescan have something to find. The run checks that every sampled lookup
finds its asset and that the fill raised exactly the expected findings; it
exits 1 otherwise.

Ratios are PostgreSQL / SQLite, both measured in this run on this machine.
The PostgreSQL server runs on the same machine, over loopback: a facility's
server adds a network round trip to every statement, so the statements and
client calls per file are printed, with the rate a few round-trip times
would leave; then it measures them: through a forwarder that holds each
direction back by half of --rtt-ms (bench/_delayline.py), --rtt-files new
files are ingested, 300 files looked up and 1,000 rescanned at N assets. The load average is printed at the start and at the end (others
use this 2-core machine too).

Run: make bench-ledger, or .venv/bin/python bench/bench_ledger.py [--assets N] [--backends sqlite,postgresql] [--pg-url URL]
     [--lookups L] [--writers 2,4] [--writer-files M] [--rtt-ms 0.5,1] [--rtt-files F] [--explain] [--keep]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import random
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Callable

import xxhash
from _common import loadavg, source_version  # noqa: E402
from _delayline import DelayLine  # noqa: E402

from aiprov.errors import LedgerConflict
from aiprov.ledger.backends import _PLAIN_INSERT
from aiprov.ledger import Ledger
from aiprov.likeness import kind_of
from aiprov.lookup import lookup
from aiprov.model import AI_VERDICTS, C2paReport, Evidence, Ingredient, Inspection
from aiprov.policy import FINALS, WORKING
from aiprov.checking import (CONFLICT_RETRIES, Checked, Checker, Tally, _location, _Noteworthy, _unchanged,  # noqa: E501
                             judge)
from aiprov.config import Config

SEED = 20251127
DEFAULT_ASSETS = 1_000_000
DEFAULT_LOOKUPS = 3000
DEFAULT_WRITERS = "2,4"
DEFAULT_WRITER_FILES = 10_000
DEFAULT_PG_URL = "postgresql://aiprov_test:aiprov_test@127.0.0.1:5432/aiprov_test"
CHUNK = 1000  # files per chunk of a tree check (Checker.check_tree)
CONFIG = Config.delivery(Path("/show"))  # zones come with each synthetic file
FRAMES_PER_SHOT = 250
WORKING_EVERY = 5  # one shot in five is in the working zone
AI_SHARE = 0.05
IID_SHARE = 0.30
KNOWN_REF_SHARE = 0.01
UNKNOWN_REF_SHARE = 0.001
APPROVED_SHARE = 0.20  # of the AI assets
SLICES = 20
RTTS_MS = (0.2, 0.5, 1.0)  # round-trip times to estimate a remote PostgreSQL server with
IPTC_AI = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
RESCAN_CHUNK = f"rescan: a chunk of {CHUNK:,} files"
RESCAN_FILE = "rescan: a reused file (its share of the chunk)"


# --- the synthetic facility -----------------------------------------------------------------------


@dataclass
class Synthetic:
    index: int
    cid: str
    fspath: bytes
    zone: str
    insp: Inspection
    st: SimpleNamespace  # what upsert_location reads of an os.stat_result
    ai: bool
    ref: str | None  # "known" / "unknown": the kind of C2PA ingredient it has

    @property
    def path(self) -> str:
        return self.fspath.decode()


class Facility:
    """Asset i, always the same for a seed: its content id, path, verdict, evidence and ingredients."""

    def __init__(self, seed: int, known_below: int):
        self.seed = seed
        self.known_below = known_below  # ingredients on record point below this index (what the fill wrote)
        self._ancestor_ai: dict[int, bool] = {}

    def cid(self, i: int) -> str:
        return xxhash.xxh3_128_hexdigest(f"{self.seed}:{i}".encode())

    @staticmethod
    def u(cid: str, slot: int) -> float:
        """An independent uniform in [0, 1) from four hex digits of the content id."""
        return int(cid[4 * slot:4 * slot + 4], 16) / 65536

    def is_ai(self, i: int) -> bool:
        return self.u(self.cid(i), 0) < AI_SHARE

    def has_iid(self, i: int) -> bool:
        return self.u(self.cid(i), 1) < IID_SHARE

    def approved(self, i: int) -> bool:
        return self.is_ai(i) and self.u(self.cid(i), 4) < APPROVED_SHARE

    def zone(self, i: int) -> str:
        return WORKING if (i // FRAMES_PER_SHOT) % WORKING_EVERY == WORKING_EVERY - 1 else FINALS

    def fspath(self, i: int) -> bytes:
        shot = i // FRAMES_PER_SHOT
        top = "work" if self.zone(i) == WORKING else "finals"
        return f"/show/{top}/shot_{shot + 1:04d}/frame.{1001 + i % FRAMES_PER_SHOT:07d}.exr".encode()

    def ref_kind(self, i: int) -> str | None:
        cid = self.cid(i)
        if self.u(cid, 2) < KNOWN_REF_SHARE and self.parent(i) is not None:
            return "known"
        if self.u(cid, 3) < UNKNOWN_REF_SHARE:
            return "unknown"
        return None

    def parent(self, i: int) -> int | None:
        """The earlier asset (with an instance id) that a "known" ingredient names."""
        limit = min(i, self.known_below)
        if limit <= 0:
            return None
        j = int(self.cid(i)[16:24], 16) % limit
        while j >= 0 and not self.has_iid(j):
            j -= 1
        return j if j >= 0 else None

    def ancestor_ai(self, i: int) -> bool:
        """Whether some asset up i's lineage is AI (none is approved during the fill)."""
        if i not in self._ancestor_ai:
            j = self.parent(i) if self.ref_kind(i) == "known" else None
            self._ancestor_ai[i] = j is not None and (self.is_ai(j) or self.ancestor_ai(j))
        return self._ancestor_ai[i]

    def expected_findings(self, i: int) -> int:
        """Findings the fill must raise on file i: ai-in-finals, or derived-from-ai."""
        if self.zone(i) != FINALS:
            return 0
        return 1 if self.is_ai(i) or self.ancestor_ai(i) else 0

    def file(self, i: int, device: int = 2049) -> Synthetic:
        cid = self.cid(i)
        ai = self.u(cid, 0) < AI_SHARE
        fspath = self.fspath(i)
        evidence = [Evidence("exr", "EXR:Software", "ComfyUI" if ai else "Nuke 15.0v4")]
        if self.u(cid, 1) < IID_SHARE:
            evidence.append(Evidence("xmp", "xmpMM:InstanceID", f"xmp.iid:{cid}"))
        if ai:
            evidence.append(Evidence("xmp", "Iptc4xmpExt:DigitalSourceType", IPTC_AI, 1.0, "ai", "Adobe Firefly",
                                     IPTC_AI))
        elif len(evidence) == 1:
            evidence.append(Evidence("exr", "EXR:Owner", "comp"))
        c2pa = C2paReport()
        ref = self.ref_kind(i)
        if ref == "known":
            j = self.parent(i)
            c2pa = C2paReport(present=True, integrity="intact", trusted=False, claim_generator="Photoshop",
                              ingredients=[Ingredient(os.path.basename(self.fspath(j).decode()), "parentOf",
                                                      "image/x-exr", instance_id=f"xmp.iid:{self.cid(j)}")])
        elif ref == "unknown":
            c2pa = C2paReport(present=True, integrity="intact", trusted=False, claim_generator="Adobe Firefly",
                              ingredients=[Ingredient(f"upload_{cid[:12]}.png", "inputTo", "image/png",
                                                      instance_id=f"xmp.iid:upload-{cid}")])
        insp = Inspection(path=fspath.decode(), verdict="ai" if ai else "unknown",
                          generator="Adobe Firefly" if ai else None, digital_source_type=IPTC_AI if ai else None,
                          c2pa=c2pa, evidence=evidence, media_type="image/x-exr",
                          size=8_000_000 + int(cid[24:30], 16), content_id=cid,
                          reason="IPTC DigitalSourceType trainedAlgorithmicMedia" if ai else "no AI markers",
                          fspath=fspath)
        st = SimpleNamespace(st_size=insp.size, st_mtime_ns=1_760_000_000_000_000_000 + i * 1_000_000,
                             st_ino=1000 + i, st_dev=device)
        return Synthetic(i, cid, fspath, self.zone(i), insp, st, ai, ref)


# --- counting statements --------------------------------------------------------------------------


class Counter:
    """Statements sent and client calls made (one call is one round trip on PostgreSQL;
    psycopg pipelines an executemany). Wraps the Ledger's backend instance in place."""

    def __init__(self, ledger: Ledger):
        self.statements = 0
        self.calls = 0
        b = ledger.backend
        upsert_statements = 2 if ledger.kind == "sqlite" else 1  # SQLite asks first, then upserts

        def wrap(name: str, statements: Callable[..., int], calls: int) -> None:
            orig = getattr(b, name)

            def counted(*args, **kwargs):
                self.statements += statements(*args)
                self.calls += calls
                return orig(*args, **kwargs)

            setattr(b, name, counted)

        for name in ("execute", "insert", "begin", "commit", "rollback"):
            wrap(name, lambda *a: 1, 1)
        if ledger.kind == "sqlite":
            wrap("executemany", lambda sql, rows: len(rows), 1)
        else:  # a plain INSERT of many rows goes as one statement (backends._PLAIN_INSERT)
            wrap("executemany", lambda sql, rows: 1 if _PLAIN_INSERT.match(sql) else len(rows), 1)
            for name in ("upsert_many", "upsert_many_returning", "insert_new"):  # one statement of arrays each
                wrap(name, lambda *a: 1, 1)
        wrap("upsert", lambda *a: upsert_statements, upsert_statements)

    def snapshot(self) -> tuple[int, int]:
        return self.statements, self.calls


# --- what a scan does -----------------------------------------------------------------------------


def ingest_chunk(ledger: Ledger, files: list[Synthetic]) -> tuple[int, int]:
    """Scanner.process on new files, minus the reading. Returns (findings raised, conflicts retried)."""
    conflicts = 0
    for attempt in range(CONFLICT_RETRIES + 1):
        try:
            raised = 0
            with ledger.batch() as tick:
                # 1. the stat pass: are the paths on record? (new files: no) And where else are the contents?
                with ledger.together():
                    known_soon = ledger.locations.get_many_soon([f.fspath for f in files])
                    elsewhere_soon = ledger.locations.live_of_many_soon([f.insp.content_id for f in files])
                known = known_soon()
                if known:
                    raise RuntimeError(f"{len(known)} files are already on record: the benchmark's files must be new")
                # 3. the chunk's files as the readers returned them, recorded together
                pending = [Checked(f.insp, f.zone) for f in files]
                Checker(CONFIG, ledger)._record_read([(c, f.st) for c, f in zip(pending, files)], known, elsewhere_soon(),
                                                     {}, Tally())
                for _ in files:
                    tick()
                # 4. likeness: which files lack a print; whether finals material must be printed
                likeness_questions(ledger, files)
                # 6. the policy, now that everything is on record
                judge(ledger, pending, record=True, tick=tick)
                raised = sum(len(c.new_findings) for c in pending)
            return raised, conflicts
        except LedgerConflict:
            conflicts += 1
            if attempt == CONFLICT_RETRIES:
                raise
            time.sleep(random.uniform(0.05, 0.5))
    raise AssertionError("unreachable")


def likeness_questions(ledger: Ledger, files: list[Synthetic]) -> None:
    """The ledger questions of Scanner.fingerprint (the prints themselves are not made here)."""
    printed = ledger.prints.printed_among([f.cid for f in files if kind_of(f.insp.media_type)])
    unprinted = [f for f in files if kind_of(f.insp.media_type) and f.cid not in printed]
    kinds = {kind_of(f.insp.media_type) for f in unprinted if f.insp.verdict not in AI_VERDICTS and f.zone == FINALS}
    for kind in kinds:
        ledger.prints.has_sources(kind)


# --- measuring ------------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))]


@dataclass
class Fill:
    files: int = 0
    seconds: float = 0.0  # ledger time only (making the synthetic files is not counted)
    wall: float = 0.0
    slices: list[float] = field(default_factory=list)  # files/s per slice
    slices_cpu: list[float] = field(default_factory=list)  # CPU ms per file per slice (this process + its server)
    raised: int = 0
    expected: int = 0
    statements: int = 0
    calls: int = 0
    resolve_s: float = 0.0  # of `seconds`, in Ledger._resolve_refs (ingredients' parents, looked up by reference)
    resolve_calls: int = 0
    client_cpu: float = 0.0  # CPU seconds of this process during the fill
    server_cpu: float = float("nan")  # CPU seconds of this connection's PostgreSQL backend process
    approved: list[int] = field(default_factory=list)
    known_refs: list[int] = field(default_factory=list)
    unknown_refs: list[int] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.files / self.seconds if self.seconds else float("nan")


@dataclass
class Remote:
    """PostgreSQL with longer round trips (--rtt-ms), measured at N assets."""
    rtt_ms: float
    floor_ms: float = float("nan")
    ingest_rate: float = float("nan")
    lookup_ms: float = float("nan")
    rescan_rate: float = float("nan")


@dataclass
class Result:
    kind: str
    label: str
    fill: Fill = field(default_factory=Fill)
    latency: dict[str, list[float]] = field(default_factory=dict)  # ms per call
    per_call: dict[str, float] = field(default_factory=dict)  # statements per call of a question
    rescan_rate: float = float("nan")
    rescan_statements: float = float("nan")
    vacuum_seen: list[int] = field(default_factory=list)  # PostgreSQL autovacuum workers busy, at each rescan chunk
    writers: dict[int, tuple[float, int]] = field(default_factory=dict)  # K -> (files/s, conflicts)
    remote: list[Remote] = field(default_factory=list)
    floor_ms: float = float("nan")
    size_mb: float = float("nan")
    rows: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    explain: list[str] = field(default_factory=list)
    server: str = ""
    total_s: float = 0.0


def fill(ledger: Ledger, fac: Facility, n: int, counter: Counter, label: str) -> Fill:
    out = Fill()
    slice_size = max(CHUNK, -(-n // SLICES))
    resolve = ledger.lineage._resolve_refs

    def timed_resolve(*a, **kw):
        t = time.perf_counter()
        try:
            return resolve(*a, **kw)
        finally:
            out.resolve_s += time.perf_counter() - t
            out.resolve_calls += 1

    ledger.lineage._resolve_refs = timed_resolve
    server_pid = ledger._rows("SELECT pg_backend_pid() AS pid")[0]["pid"] if ledger.kind == "postgresql" else None
    server0, client0 = process_cpu(server_pid), process_cpu()
    s0, c0 = counter.snapshot()
    t_wall = time.perf_counter()
    slice_files, slice_seconds, slice_cpu, done = 0, 0.0, 0.0, 0
    for start in range(0, n, CHUNK):
        files = [fac.file(i) for i in range(start, min(n, start + CHUNK))]
        for f in files:
            out.expected += fac.expected_findings(f.index)
            if fac.approved(f.index):
                out.approved.append(f.index)
            if f.ref == "known":
                out.known_refs.append(f.index)
            elif f.ref == "unknown":
                out.unknown_refs.append(f.index)
        cpu0 = process_cpu() + process_cpu(server_pid) if server_pid else process_cpu()
        t0 = time.perf_counter()
        raised, _ = ingest_chunk(ledger, files)
        dt = time.perf_counter() - t0
        slice_cpu += (process_cpu() + process_cpu(server_pid) if server_pid else process_cpu()) - cpu0
        out.raised += raised
        out.seconds += dt
        slice_seconds += dt
        slice_files += len(files)
        done += len(files)
        if slice_files >= slice_size or done == n:
            out.slices.append(slice_files / slice_seconds)
            out.slices_cpu.append(1000 * slice_cpu / slice_files)
            print(f"  {label} fill: {done:>10,} / {n:,} assets, {slice_files / slice_seconds:>7,.0f} files/s, "
                  f"{1000 * slice_cpu / slice_files:.2f} CPU ms/file in the last {slice_files:,} (load {loadavg()})",
                  flush=True)
            slice_files, slice_seconds, slice_cpu = 0, 0.0, 0.0
    del ledger.lineage._resolve_refs
    out.files = n
    out.wall = time.perf_counter() - t_wall
    out.client_cpu, out.server_cpu = process_cpu() - client0, process_cpu(server_pid) - server0
    s1, c1 = counter.snapshot()
    out.statements, out.calls = s1 - s0, c1 - c0
    return out


def process_cpu(pid: int | None = 0) -> float:
    """CPU seconds (user + system) of this process (pid 0), or of another one on this machine (nan if unknown)."""
    if pid == 0:
        ru = resource.getrusage(resource.RUSAGE_SELF)
        return ru.ru_utime + ru.ru_stime
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, TypeError, IndexError, ValueError):
        return float("nan")


def approve(ledger: Ledger, fac: Facility, indices: list[int]) -> None:
    """Approvals for final use of a share of the AI assets (set-up, not timed)."""
    with ledger.batch() as tick:
        for i in indices:
            ledger.approvals.add(fac.cid(i), "bench supervisor", "approved for final use", f"STUDIO-{i}",
                           ["final-use"], {}, fac.fspath(i).decode())
            tick()


def time_call(fn: Callable[[], object]) -> tuple[float, object]:
    t0 = time.perf_counter_ns()
    value = fn()
    return (time.perf_counter_ns() - t0) / 1e6, value


def lookups(ledger: Ledger, fac: Facility, sample: list[int], counter: Counter, res: Result,
            known_refs: list[int], unknown_refs: list[int]) -> None:
    """Each question `aiprov lookup` asks, over random known files; checks every answer."""
    questions: list[tuple[str, Callable[[Synthetic], object]]] = [
        ("location(path)", lambda f: ledger.locations.get(f.fspath)),
        ("asset(cid)", lambda f: ledger.assets.get(f.cid)),
        ("inspection(cid, path)", lambda f: ledger.assets.inspection(f.cid, f.path)),
        ("approvals_for(cid)", lambda f: ledger.approvals.of(f.cid, include_revoked=True)),
        ("locations_of(cid)", lambda f: ledger.locations.of(f.cid)),
        ("history(cid)", lambda f: ledger.assets.history(f.cid)),
        ("parents(cid)", lambda f: ledger.lineage.parents(f.cid)),
        ("children(cid)", lambda f: ledger.lineage.children(f.cid)),
        ("aiprov lookup, whole", lambda f: lookup(f.fspath, ledger, CONFIG)),
    ]
    groups = [("", sample),
              (" [C2PA ingredient on record]", known_refs),
              (" [C2PA ingredient not on record]", unknown_refs)]
    for suffix, indices in groups:
        for name, ask in questions:
            if suffix and name not in ("parents(cid)", "aiprov lookup, whole"):
                continue
            key = name + suffix
            times = res.latency.setdefault(key, [])
            s0 = counter.snapshot()[0]
            for i in indices:
                f = fac.file(i)
                ms, answer = time_call(lambda: ask(f))
                times.append(ms)
                check_answer(name, f, answer, res.problems)
            if indices:
                res.per_call[key] = (counter.snapshot()[0] - s0) / len(indices)


def check_answer(name: str, f: Synthetic, answer, problems: list[str]) -> None:
    bad = None
    if name == "location(path)" and (answer is None or answer.content_id != f.cid):
        bad = answer
    elif name == "asset(cid)" and (answer is None or answer["verdict"] != f.insp.verdict):
        bad = answer
    elif name == "inspection(cid, path)" and (answer is None or len(answer.evidence) != len(f.insp.evidence)):
        bad = answer
    elif name == "locations_of(cid)" and not answer:
        bad = answer
    elif name == "history(cid)" and len(answer) < 2:  # "recorded" and "seen" at least
        bad = answer
    elif name == "parents(cid)" and f.ref and len(answer) != 1:
        bad = answer
    elif name == "aiprov lookup, whole" and (answer.content_id != f.cid or not answer.known):
        bad = answer
    if bad is not None and len(problems) < 20:
        problems.append(f"{name} for {f.path}: unexpected answer {bad!r:.200}")


def rescan(ledger: Ledger, fac: Facility, start: int, count: int, counter: Counter, res: Result) -> None:
    """Scanner.process on unchanged files, a chunk at a time: every file reused, none read."""
    chunk_times = res.latency.setdefault(RESCAN_CHUNK, [])
    file_times = res.latency.setdefault(RESCAN_FILE, [])
    s0 = counter.snapshot()[0]
    t_all = time.perf_counter()
    for first in range(start, start + count, CHUNK):
        files = [fac.file(i) for i in range(first, min(start + count, first + CHUNK))]
        res.vacuum_seen.append(autovacuum_workers(ledger))
        ms = rescan_chunk(ledger, files, res.problems)
        chunk_times.append(ms)
        file_times.extend([ms / len(files)] * len(files))
    elapsed = time.perf_counter() - t_all
    res.rescan_rate = count / elapsed
    res.rescan_statements = (counter.snapshot()[0] - s0) / count


def autovacuum_workers(ledger: Ledger) -> int:
    """Autovacuum workers at work now: after a big fill they compete with the rescan for the same disk and cores."""
    if ledger.kind != "postgresql":
        return 0
    return ledger.backend.execute("SELECT count(*) FROM pg_stat_activity "
                                  "WHERE backend_type = 'autovacuum worker'").fetchone()[0]


def rescan_chunk(ledger: Ledger, files: list[Synthetic], problems: list[str]) -> float:
    """One chunk of unchanged files as a tree check sees it (Checker.check_tree): this host's rows
    streamed per folder in path order and held against each file's stat; quiet files only counted,
    noteworthy ones (AI, lineage, open findings) reused from their record and judged. Returns the
    milliseconds it took."""
    t0 = time.perf_counter_ns()
    by_path = {f.fspath: f for f in files}
    notes = _Noteworthy.of(ledger, CONFIG)
    work = []
    with ledger.batch() as tick:
        for folder in sorted({os.path.dirname(f.fspath) for f in files}):
            for row in ledger.locations.stream_under(folder):
                f = by_path.get(row[0])
                if f is None:
                    continue
                if not _unchanged(row, f.st):
                    problems.append(f"rescan: {f.path} does not match its record ({row!r:.200})")
                elif row[5] != f.zone or notes.about(row, f.zone):
                    work.append((f.fspath, f.st, f.zone, _location(row, ledger.host)))
        to_read: list = []
        pending = Checker(CONFIG, ledger)._reuse(work, to_read, Tally(), record=True, tick=tick)
        if to_read:
            problems.append(f"rescan: {len(to_read)} unchanged files had no asset record")
        judge(ledger, pending, record=True, tick=tick)
    return (time.perf_counter_ns() - t0) / 1e6


# --- a server across the network --------------------------------------------------------------------


def over_the_network(target: str, fac: Facility, start: int, sample: list[int], rtt_ms: float, files: int,
                     problems: list[str]) -> tuple[Remote, int]:
    """Ingest, lookup and rescan with every round trip `rtt_ms` longer. Returns (figures, next index)."""
    out = Remote(rtt_ms)
    with DelayLine(target, rtt_ms) as slow, Ledger(slow, host="bench-host-0") as ledger:
        out.floor_ms = round_trip_floor(ledger, 200)
        new = [fac.file(i) for i in range(start, start + files)]
        t0 = time.perf_counter()
        for first in range(0, files, CHUNK):
            ingest_chunk(ledger, new[first:first + CHUNK])
        out.ingest_rate = files / (time.perf_counter() - t0)
        out.lookup_ms = pct([time_call(lambda: lookup(fac.fspath(i), ledger, CONFIG))[0] for i in sample], 0.5)
        chunk = [fac.file(i) for i in range(sample[0], min(sample[0] + CHUNK, fac.known_below))]
        out.rescan_rate = len(chunk) / (rescan_chunk(ledger, chunk, problems) / 1000)
    return out, start + files


def round_trip_floor(ledger: Ledger, n: int = 2000) -> float:
    """p50 of `SELECT 1`: what any statement costs on this connection, whatever it asks."""
    times = [time_call(lambda: ledger.backend.execute("SELECT 1").fetchone())[0] for _ in range(n)]
    return pct(times, 0.5)


# --- concurrent writers ---------------------------------------------------------------------------


def writer_process(target: str, host: str, seed: int, known_below: int, start: int, count: int,
                   barrier, results) -> None:
    fac = Facility(seed, known_below)
    files = [fac.file(i, device=3000 + int(host.rsplit("-", 1)[1])) for i in range(start, start + count)]
    conflicts = 0
    with Ledger(target, host=host) as ledger:
        barrier.wait()
        t0 = time.monotonic()
        for first in range(0, count, CHUNK):
            conflicts += ingest_chunk(ledger, files[first:first + CHUNK])[1]
        t1 = time.monotonic()
    results.put((host, t0, t1, count, conflicts))


def concurrent_ingest(target: str, seed: int, known_below: int, start: int, writers: int, count: int
                      ) -> tuple[float, int, int]:
    """`writers` processes, hosts bench-host-1.., each ingesting `count` new files at once.
    Returns (aggregate files/s from the first start to the last finish, conflicts retried, next index)."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(writers)
    results = ctx.Queue()
    procs = [ctx.Process(target=writer_process,
                         args=(target, f"bench-host-{k + 1}", seed, known_below, start + k * count, count,
                               barrier, results)) for k in range(writers)]
    for p in procs:
        p.start()
    got = [results.get() for _ in procs]
    for p in procs:
        p.join()
        if p.exitcode:
            raise RuntimeError(f"a writer process exited with {p.exitcode}")
    t0 = min(g[1] for g in got)
    t1 = max(g[2] for g in got)
    return sum(g[3] for g in got) / (t1 - t0), sum(g[4] for g in got), start + writers * count


# --- query plans ----------------------------------------------------------------------------------

EXPLAINED = [
    ("location", "SELECT * FROM locations WHERE host = ? AND path_raw = ?", lambda f, h: [h, f.fspath]),
    ("place", "SELECT * FROM locations WHERE (host = ? AND path_raw = ?) OR (content_id = ? AND gone = 0) "
     "ORDER BY first_seen, id", lambda f, h: [h, f.fspath, f.cid]),
    ("locations_at", "SELECT * FROM locations WHERE host = ? AND path_raw IN (?, ?)",
     lambda f, h: [h, f.fspath, f.fspath + b"x"]),
    ("locations_of", "SELECT * FROM locations WHERE content_id = ? ORDER BY first_seen, id", lambda f, h: [f.cid]),
    ("asset", "SELECT * FROM assets WHERE content_id = ?", lambda f, h: [f.cid]),
    ("inspection: evidence", "SELECT * FROM evidence WHERE content_id = ? ORDER BY id", lambda f, h: [f.cid]),
    ("approvals_for", "SELECT * FROM approvals WHERE content_id = ? ORDER BY id", lambda f, h: [f.cid]),
    ("history", "SELECT * FROM events WHERE content_id = ? ORDER BY id", lambda f, h: [f.cid]),
    ("parents", "SELECT * FROM edges WHERE child_id = ? ORDER BY id", lambda f, h: [f.cid]),
    ("children: by reference", "SELECT * FROM edges WHERE parent_id IS NULL AND parent_ref IN (?, ?) UNION "
     "SELECT * FROM edges WHERE parent_id IS NULL AND parent_title IN (?, ?) ORDER BY id",
     lambda f, h: [f"xmp.iid:{f.cid}", os.path.basename(f.path)] * 2),
    ("_resolve_refs: by identifier", "SELECT DISTINCT value, content_id FROM identifiers WHERE value IN (?)",
     lambda f, h: [f"xmp.iid:{f.cid}"]),
    ("_unique_name", "SELECT DISTINCT content_id FROM locations WHERE name = ? AND (path = ? OR path LIKE ? "
     "ESCAPE '\\') AND content_id IS NOT NULL LIMIT 2",
     lambda f, h: [os.path.basename(f.path), os.path.basename(f.path), "%/" + os.path.basename(f.path)]),
    ("open_findings_at", "SELECT * FROM findings WHERE resolved_at IS NULL AND location_id IN (?)", lambda f, h: [1]),
    ("registrations_for", "SELECT * FROM registrations WHERE content_id = ? ORDER BY id", lambda f, h: [f.cid]),
    ("fingerprinted", "SELECT DISTINCT content_id FROM fingerprints WHERE content_id IN (?)", lambda f, h: [f.cid]),
    ("approved_among", "SELECT DISTINCT content_id FROM approvals WHERE revoked_at IS NULL AND content_id IN (?)",
     lambda f, h: [f.cid]),
    ("with_parents", "SELECT DISTINCT child_id FROM edges WHERE child_id IN (?)", lambda f, h: [f.cid]),
]


def explain(ledger: Ledger, f: Synthetic) -> list[str]:
    out = []
    for name, sql, params in EXPLAINED:
        p = params(f, ledger.host)
        ms = pct([time_call(lambda: ledger._rows(sql, p))[0] for _ in range(5)], 0.5)
        if ledger.kind == "sqlite":
            plan = "; ".join(r["detail"] for r in ledger._rows("EXPLAIN QUERY PLAN " + sql, p))
            out.append(f"  {name:<28} {ms:>8.3f} ms  {plan}")
        else:
            plan = [r["QUERY PLAN"] for r in ledger._rows("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + sql, p)]
            out.append(f"  {name:<28} {ms:>8.3f} ms  " + "\n      ".join(plan))
    return out


# --- one backend ----------------------------------------------------------------------------------


def bench_backend(kind: str, target: str, label: str, args, writer_counts: list[int]) -> Result:
    res = Result(kind, label)
    t_start = time.perf_counter()
    n = args.assets
    fac = Facility(args.seed, n)
    print(f"{label}: filling to {n:,} assets ...", flush=True)
    with Ledger(target, host="bench-host-0") as ledger:
        if kind == "postgresql":
            info = {k: ledger._rows(f"SHOW {k}")[0][k] for k in
                    ("server_version", "shared_buffers", "synchronous_commit", "fsync", "work_mem")}
            res.server = ", ".join(f"{k} {v}" for k, v in info.items())
        else:
            res.server = f"SQLite {sqlite3.sqlite_version}, WAL, synchronous=NORMAL"
        counter = Counter(ledger)
        res.fill = fill(ledger, fac, n, counter, label)
        if res.fill.raised != res.fill.expected:
            res.problems.append(f"the fill raised {res.fill.raised} findings, {res.fill.expected} expected")
        open_findings = ledger.count("findings")
        if open_findings != res.fill.expected:
            res.problems.append(f"{open_findings} findings on record after the fill, {res.fill.expected} expected")
        for table in ("assets", "locations"):
            if ledger.count(table) != n:
                res.problems.append(f"{ledger.count(table)} {table} after the fill, {n} expected")
        approve(ledger, fac, res.fill.approved)

        rng = random.Random(args.seed + 1)
        sample = rng.sample(range(n), min(n, args.lookups))
        print(f"{label}: lookups of {len(sample):,} random known files ...", flush=True)
        lookups(ledger, fac, sample, counter, res, rng.sample(res.fill.known_refs, min(len(res.fill.known_refs), 300)),
                rng.sample(res.fill.unknown_refs, min(len(res.fill.unknown_refs), 300)))
        res.floor_ms = round_trip_floor(ledger)
        count = min(n, args.lookups)
        start = rng.randrange(0, n - count + 1)
        print(f"{label}: unchanged rescan of {count:,} files ...", flush=True)
        rescan(ledger, fac, start, count, counter, res)
        if args.explain:
            res.explain = explain(ledger, fac.file(sample[0]))

    next_index = n
    for k in [1] + writer_counts:
        print(f"{label}: {k} writer process(es), {args.writer_files:,} new files each (load {loadavg()}) ...",
              flush=True)
        rate, conflicts, next_index = concurrent_ingest(target, args.seed, n, next_index, k, args.writer_files)
        res.writers[k] = (rate, conflicts)
    if kind == "postgresql":
        for rtt in args.rtt_ms:
            print(f"{label}: every round trip {rtt:g} ms longer (through bench/_delayline.py) ...", flush=True)
            figures, next_index = over_the_network(target, fac, next_index, sample[:300], rtt, args.rtt_files,
                                                   res.problems)
            res.remote.append(figures)

    with Ledger(target, host="bench-host-0") as ledger:
        res.rows = {t: ledger.count(t) for t in ("assets", "locations", "evidence", "events", "edges", "findings")}
        if kind == "postgresql":
            res.size_mb = float(ledger._rows(
                "SELECT sum(pg_total_relation_size(c.oid)) AS s FROM pg_class c JOIN pg_namespace n ON "
                "n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r'")[0]["s"]) / 1e6
    if kind == "sqlite":
        res.size_mb = sum(os.path.getsize(p) for p in Path(target).parent.glob(Path(target).name + "*")) / 1e6
    res.total_s = time.perf_counter() - t_start
    print(f"{label}: done in {res.total_s / 60:.1f} min", flush=True)
    return res


# --- PostgreSQL scratch schema --------------------------------------------------------------------


def pg_schema_url(base: str, schema: str) -> str:
    return base + ("&" if "?" in base else "?") + f"options=-csearch_path%3D{schema}"


def pg_admin(base: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(base, autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql)


# --- reporting ------------------------------------------------------------------------------------


def ratio(a: float, b: float) -> str:
    if not (a == a and b == b) or not b:
        return ""
    return f"{a / b:.2f}x"


def print_table(results: list[Result], args, writer_counts: list[int]) -> None:
    by = {r.kind: r for r in results}
    kinds = [k for k in ("sqlite", "postgresql") if k in by]
    heads = {"sqlite": "SQLite", "postgresql": "PostgreSQL (loopback)"}
    w = 24

    def line(label: str, cells: dict[str, str], r: str = "") -> None:
        print(f"  {label:<52}" + "".join(f"{cells.get(k, ''):>{w}}" for k in kinds) + (f"  {r:>10}" if r else ""))

    both = len(kinds) == 2

    def vs(get: Callable[[Result], float]) -> str:
        return ratio(get(by["postgresql"]), get(by["sqlite"])) if both else ""

    n = args.assets
    part = f"{max(CHUNK, -(-n // SLICES)):,} files"
    print()
    print(f"  {'':<52}" + "".join(f"{heads[k]:>{w}}" for k in kinds) + (f"  {'PG/SQLite':>10}" if both else ""))
    print(f"ingest, one writer, filling 0 -> {n:,} (files/s, ledger time):")
    line("whole fill", {k: f"{by[k].fill.rate:,.0f}" for k in kinds}, vs(lambda r: r.fill.rate))
    line(f"first {part} of the fill", {k: f"{by[k].fill.slices[0]:,.0f}" for k in kinds},
         vs(lambda r: r.fill.slices[0]))
    line(f"last {part} of the fill", {k: f"{by[k].fill.slices[-1]:,.0f}" for k in kinds},
         vs(lambda r: r.fill.slices[-1]))
    line("last / first (1.00x = no slow-down)",
         {k: ratio(by[k].fill.slices[-1], by[k].fill.slices[0]) for k in kinds})
    line("CPU ms per new file (+ server's), first -> last",
         {k: f"{by[k].fill.slices_cpu[0]:.2f} -> {by[k].fill.slices_cpu[-1]:.2f}" for k in kinds})
    line("fill wall time (with making the synthetic files)", {k: f"{by[k].fill.wall:,.0f} s" for k in kinds})
    line("of the ledger time, in parents' _resolve_refs", {k: f"{by[k].fill.resolve_s:,.1f} s "
                                                         f"({100 * by[k].fill.resolve_s / by[k].fill.seconds:.0f}%)"
                                                         for k in kinds})
    line("CPU per new file, ms: this process", {k: f"{1000 * by[k].fill.client_cpu / n:.2f}" for k in kinds},
         vs(lambda r: r.fill.client_cpu))
    if "postgresql" in by:
        line("CPU per new file, ms: its PostgreSQL server process",
             {"postgresql": f"{1000 * by['postgresql'].fill.server_cpu / n:.2f}"})
    line("statements per new file", {k: f"{by[k].fill.statements / n:.1f}" for k in kinds})
    line("client calls per new file (PG: round trips)", {k: f"{by[k].fill.calls / n:.1f}" for k in kinds})
    line("SELECT 1 round trip, p50 ms", {k: f"{by[k].floor_ms:.3f}" for k in kinds}, vs(lambda r: r.floor_ms))
    print(f"at {n:,} assets, latency p50 / p99 in ms (statements per call), over {args.lookups:,} random known files:")
    for key in by[kinds[0]].latency:
        if key.startswith("rescan"):
            continue
        if not all(by[k].latency.get(key) for k in kinds):
            continue
        count = len(by[kinds[0]].latency[key])
        label = key if "[" not in key else f"{key} ({count})"
        line(label, {k: f"{pct(by[k].latency[key], .5):.3f} / {pct(by[k].latency[key], .99):.3f} "
                        f"({by[k].per_call.get(key, 0):.0f})" for k in kinds},
             vs(lambda r: pct(r.latency[key], .5)))
    print(f"unchanged rescan at {n:,} assets, {args.lookups:,} consecutive files (p50 / p99 ms):")
    for key in (RESCAN_CHUNK, RESCAN_FILE):
        line(key[8:], {k: f"{pct(by[k].latency[key], .5):.3f} / {pct(by[k].latency[key], .99):.3f}" for k in kinds},
             vs(lambda r: pct(r.latency[key], .5)))
    line("rescan rate, files/s (with commits)", {k: f"{by[k].rescan_rate:,.0f}" for k in kinds},
         vs(lambda r: r.rescan_rate))
    line("statements per reused file", {k: f"{by[k].rescan_statements:.1f}" for k in kinds})
    print(f"concurrent ingest at ~{n:,} assets, {args.writer_files:,} new files per writer process "
          f"(aggregate files/s; vs 1 writer):")
    for count in [1] + writer_counts:
        label = "1 writer process" if count == 1 else f"{count} writer processes, one host id each"
        line(label, {k: f"{by[k].writers[count][0]:,.0f}" + (f" ({ratio(by[k].writers[count][0], by[k].writers[1][0])})"
                                                            if count > 1 else "") for k in kinds},
             vs(lambda r: r.writers[count][0]))
    conflicts = {k: sum(c for _, c in by[k].writers.values()) for k in kinds}
    if any(conflicts.values()):
        line("batches retried after a conflict", {k: str(conflicts[k]) for k in kinds})
    line(f"ledger size on disk ({by[kinds[0]].rows.get('assets', 0):,} assets)",
         {k: f"{by[k].size_mb:,.0f} MB" for k in kinds}, vs(lambda r: r.size_mb))
    print()
    for k in kinds:
        r = by[k]
        print(f"{heads[k]}: {r.server}")
        print(f"  fill rate by slice of {part} (files/s): " + " ".join(f"{s:,.0f}" for s in r.fill.slices))
        print("  CPU ms per new file by slice (this process + its server process; does not move "
              "with the load): " + " ".join(f"{s:.2f}" for s in r.fill.slices_cpu))
        print(f"  fill: {r.fill.resolve_calls:,} _resolve_refs calls took {r.fill.resolve_s:,.1f} s "
              f"({1000 * r.fill.resolve_s / max(1, r.fill.resolve_calls):.2f} ms each); "
              f"{r.fill.raised:,} findings raised ({r.fill.expected:,} expected); "
              f"{len(r.fill.approved):,} AI assets approved afterwards")
        print("  rows: " + ", ".join(f"{t} {c:,}" for t, c in r.rows.items())
              + f"; total time {r.total_s / 60:.1f} min")
        if k == "postgresql":
            print("  autovacuum workers at work as each rescan chunk began: "
                  + " ".join(str(v) for v in r.vacuum_seen)
                  + " (the server tidying up after the fill; a busy one slows the rescan)")
    if "postgresql" in by:
        r = by["postgresql"]
        per_file = r.fill.calls / n
        print(f"PostgreSQL ran on this machine over loopback (SELECT 1 p50 {r.floor_ms:.3f} ms). A server across "
              f"the network adds one round trip per client call: {per_file:.1f} per new file, so with the same "
              f"server work the one-writer ingest rate would be about:")
        base = 1 / r.fill.rate
        print("  " + "; ".join(f"RTT {rtt} ms: {1 / (base + per_file * rtt / 1000):,.0f} files/s" for rtt in RTTS_MS))
        lk = r.per_call.get("aiprov lookup, whole")
        if lk:
            print(f"  and `aiprov lookup` (~{lk:.0f} statements) would take ~{lk:.0f} x RTT more "
                  f"(e.g. +{lk * 0.5:.0f} ms at 0.5 ms)")
        for m in r.remote:
            estimate = 1 / (base + per_file * (m.floor_ms - r.floor_ms) / 1000)
            print(f"  measured with every round trip {m.rtt_ms:g} ms longer (SELECT 1 p50 {m.floor_ms:.3f} ms): "
                  f"ingest {m.ingest_rate:,.0f} files/s (estimated {estimate:,.0f}), `aiprov lookup` p50 "
                  f"{m.lookup_ms:.1f} ms, unchanged rescan {m.rescan_rate:,.0f} files/s")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--assets", type=int, default=DEFAULT_ASSETS, help=f"assets to fill each ledger with "
                    f"(default {DEFAULT_ASSETS:,})")
    ap.add_argument("--backends", default="sqlite,postgresql", help="sqlite, postgresql or both (default both)")
    ap.add_argument("--pg-url", default=os.environ.get("AIPROV_BENCH_PG_URL", DEFAULT_PG_URL),
                    help="PostgreSQL database to make a scratch schema in (default the local test server; "
                         "or AIPROV_BENCH_PG_URL)")
    ap.add_argument("--lookups", type=int, default=DEFAULT_LOOKUPS,
                    help=f"random known files to look up, and consecutive files to rescan (default {DEFAULT_LOOKUPS})")
    ap.add_argument("--writers", default=DEFAULT_WRITERS, help=f"concurrent writer processes to try, besides 1 "
                    f"(default {DEFAULT_WRITERS})")
    ap.add_argument("--writer-files", type=int, default=DEFAULT_WRITER_FILES,
                    help=f"new files per writer process (default {DEFAULT_WRITER_FILES:,})")
    ap.add_argument("--rtt-ms", type=lambda v: [float(x) for x in v.split(",") if x], default=[0.5, 1.0],
                    help="also measure PostgreSQL with every round trip this much longer, through a forwarder "
                         "that delays each direction by half of it (default 0.5,1; '' for none)")
    ap.add_argument("--rtt-files", type=int, default=3000, help="new files to ingest at each --rtt-ms (default 3,000)")
    ap.add_argument("--seed", type=int, default=SEED, help="seed of the synthetic facility")
    ap.add_argument("--explain", action="store_true", help="print each backend's query plans at N assets")
    ap.add_argument("--keep", action="store_true", help="keep the SQLite file and the PostgreSQL schema")
    args = ap.parse_args(argv)
    kinds = [k.strip() for k in args.backends.split(",") if k.strip()]
    writer_counts = [int(k) for k in args.writers.split(",") if k.strip() and int(k) > 1]
    if set(kinds) - {"sqlite", "postgresql"} or not kinds:
        ap.error("--backends takes sqlite, postgresql or both")

    print(f"machine: nproc={os.cpu_count()}, python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
          f"{platform.platform()}; load average {loadavg()}")
    print(source_version())
    print(f"synthetic facility: {args.assets:,} assets, AI {AI_SHARE:.0%}, instance ids {IID_SHARE:.0%}, "
          f"C2PA ingredient on record {KNOWN_REF_SHARE:.1%}, not on record {UNKNOWN_REF_SHARE:.1%}, "
          f"{FRAMES_PER_SHOT} frames a shot, chunks of {CHUNK:,} files; seed {args.seed}")
    tmp = Path(tempfile.mkdtemp(prefix="aiprov-bench-ledger-"))
    schema = f"bench_ledger_{os.getpid()}"
    made_schema = False
    results = []
    t0 = time.perf_counter()
    try:
        for kind in kinds:
            if kind == "sqlite":
                results.append(bench_backend(kind, str(tmp / "ledger.db"), "SQLite", args, writer_counts))
            else:
                pg_admin(args.pg_url, f"CREATE SCHEMA {schema}")
                made_schema = True
                results.append(bench_backend(kind, pg_schema_url(args.pg_url, schema), "PostgreSQL", args,
                                             writer_counts))
        print_table(results, args, writer_counts)
        if args.explain:
            for r in results:
                print(f"query plans, {r.label}, at {args.assets:,} assets (median of 5 runs):")
                for row in r.explain:
                    print(row)
        print(f"total {(time.perf_counter() - t0) / 60:.1f} min; load average at the end: {loadavg()} "
              "(other processes on this machine skew wall times)")
        problems = [f"{r.label}: {p}" for r in results for p in r.problems]
        if problems:
            print("CHECK FAILED:")
            for p in problems:
                print("  " + p)
            return 1
        print("checks: every sampled lookup found its asset; the fill raised exactly the expected findings: OK")
        return 0
    finally:
        if args.keep:
            print(f"kept: {tmp}" + (f" and PostgreSQL schema {schema}" if made_schema else ""))
        else:
            shutil.rmtree(tmp, ignore_errors=True)
            if made_schema:
                pg_admin(args.pg_url, f"DROP SCHEMA {schema} CASCADE")


if __name__ == "__main__":
    sys.exit(main())
