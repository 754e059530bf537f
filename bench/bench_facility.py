"""Benchmark: a ledger of ten million assets, generated in bulk, and what aiprov answers from it.

Why: a facility holds 10^7-10^8 files. Filling a ledger through the scan's own calls runs at a
few hundred files a second (bench_ledger.py: 31 min for 1M), so ten million that way is a day.
Here the rows a scan would have left are generated in bulk instead (SQLite: executemany in big
transactions; PostgreSQL: COPY), in the ledger's own schema at its latest version, with the
secondary indexes and constraints dropped while loading and built again after, as the schema
defines them. What is then measured goes through aiprov's own calls only: the ledger it opens is
the one any host would open.

The generated facility (host "facility-a", one location per asset):
  /mnt/facility/showNN/sqNNN0/shNNN0/comp/vNNN/frame.NNNN.exr, six versions a shot, the last one
  in the finals zone; 8-72 frames a folder (one folder in 400 holds a 1,000-frame plate), so ten
  million files make about 240,000 folders. Content ids are xxh3-128 hex; verdicts: 4% ai, 1%
  ai-composite, 15% not-ai, 50% no-ai-declared, 29.8% unknown, 0.2% unreadable; 2-3 evidence
  rows an asset, a "recorded" and a "seen" event; 30% an XMP instance id; 3% a C2PA manifest;
  1% a C2PA ingredient resolved to an earlier frame of the shot, 0.1% one never seen (an upload);
  a print for each AI asset and each finals one; 20% of AI assets approved; an open ai-in-finals finding on each
  unapproved AI asset in finals.

What is timed, at each size:
* generation (rows/s), and the ledger's size on disk with each table's and index's share
* `aiprov lookup` (aiprov.lookup.lookup, what the CLI runs) on --lookups random existing files,
  p50/p95, with the statements it sends; the CLI itself once as a check; on PostgreSQL also through
  bench/_delayline.py with every round trip --rtt-ms longer
* the query plan of every statement lookup and scanning send (EXPLAIN), to show each is an index
  lookup
* an unchanged rescan of a real folder of 1,000 files recorded in this ledger (same host), the
  way `aiprov scan` runs it (scanning.scan): the first rescan compares file by file and keeps the
  folder's digest, the next ones compare one digest; against `find -printf` on the same folder
* PostgreSQL only: 1, 2, 4 writer processes (one host id each) ingesting new files at once through
  the scan's calls (bench_ledger.concurrent_ingest), with the machine's CPU use and the server
  processes' share of it

Run one size and backend at a time (a 10M ledger is ~17-23 GB): .venv/bin/python
bench/bench_facility.py --assets 10000000 --backend sqlite|postgresql [--lookups 2000] [--rtt-ms 1]
[--writers 1,2,4] [--writer-files 2000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import xxhash
from _common import loadavg, source_version  # noqa: E402
from _delayline import DelayLine  # noqa: E402

import bench_ledger
from aiprov.config import Config
from aiprov.ledger import Ledger
from aiprov.lookup import lookup
from aiprov.scanning import scan
from aiprov.version import RULES_VERSION

HOST = "facility-a"
ROOT = "/mnt/facility"
SEED = 20261202
VERSIONS = 6  # a shot's versions; the last is in finals
SHOTS_PER_SEQ = 40
SEQS_PER_SHOW = 100
PLATE_EVERY = 400  # one folder in this many is a 1,000-frame plate
SCRIPT_EVERY = 10  # one version folder in this many is rendered by a comp script on record
CHUNK_ASSETS = 25_000  # assets generated per transaction / COPY round
IPTC_AI = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
IPTC_CAPTURE = "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"
GENERATORS = ("Adobe Firefly", "Runway Gen-3", "ComfyUI", "Midjourney")
C2PA_ABSENT = json.dumps({"present": False, "integrity": None, "trusted": None, "validation_state": None,
                          "status_codes": [], "identity_failures": [], "claim_generator": None, "ingredients": [],
                          "error": None})
C2PA_PRESENT = {g: json.dumps({"present": True, "integrity": "intact", "trusted": False, "validation_state": "Valid",
                               "status_codes": [], "identity_failures": [], "claim_generator": g, "ingredients": [],
                               "error": None}) for g in ("Photoshop", *GENERATORS)}
FINDING = ("AI-generated material from {g} is in a finals zone without an approval for final use. Evidence: IPTC "
           "DigitalSourceType trainedAlgorithmicMedia. Replace it with non-AI material, or record the written "
           "approval: aiprov approve PATH --by NAME --reason TEXT --reference STUDIO-REF")
COLUMNS = {
    "assets": ("content_id", "size", "media_type", "verdict", "generator", "digital_source_type", "reason", "error",
               "c2pa", "warnings", "first_seen", "last_seen", "rules", "generator_source"),
    "locations": ("id", "host", "path_raw", "path", "content_id", "size", "mtime_ns", "inode", "device", "zone",
                  "first_seen", "last_seen", "gone", "name", "folder_key"),
    "folders": ("host", "folder_key"),
    "evidence": ("id", "content_id", "source", "field", "value", "weight", "implies", "generator"),
    "identifiers": ("content_id", "kind", "value"),
    "events": ("id", "at", "kind", "content_id", "path", "detail", "host"),
    "edges": ("id", "child_id", "parent_id", "parent_ref", "parent_title", "kind", "reason", "created"),
    "findings": ("id", "location_id", "content_id", "rule", "severity", "message", "zone", "first_raised",
                 "last_seen"),
    "approvals": ("id", "content_id", "approved_by", "reason", "reference", "categories", "answers", "path",
                  "created"),
    "fingerprints": ("id", "content_id", "kind", "blob", "quality"),
}
RECORDED = {(v, g): json.dumps({"verdict": v, "generator": g}) for v in ("ai", "ai-composite", "not-ai",
             "no-ai-declared", "unknown", "unreadable") for g in (None, *GENERATORS)}
SEEN = {z: json.dumps({"zone": z}) for z in ("finals", "working")}
WITH_IDS = ("locations", "evidence", "events", "edges", "findings", "approvals", "fingerprints")


# --- the facility's shape -------------------------------------------------------------------------


def folder(f: int) -> tuple[bytes, int, str]:
    """Folder number f: its key (path with a trailing "/"), its frame count and its zone."""
    version = f % VERSIONS
    shot = (f // VERSIONS) % SHOTS_PER_SEQ
    seq = (f // (VERSIONS * SHOTS_PER_SEQ)) % SEQS_PER_SHOW
    show = f // (VERSIONS * SHOTS_PER_SEQ * SEQS_PER_SHOW)
    key = f"{ROOT}/show{show:02d}/sq{seq + 1:03d}0/sh{shot + 1:03d}0/comp/v{version + 1:03d}/".encode()
    frames = 1000 if f % PLATE_EVERY == 7 else 8 + (f * 2654435761 >> 8) % 65
    return key, frames, "finals" if version == VERSIONS - 1 else "working"


def cid_of(i: int) -> str:
    return xxhash.xxh3_128_hexdigest(f"{SEED}:{i}".encode())


def u(cid: str, slot: int) -> float:
    """An independent uniform in [0, 1) from four hex digits of the content id."""
    return int(cid[4 * slot:4 * slot + 4], 16) / 65536


def verdict_of(cid: str) -> str:
    x = u(cid, 0)
    for share, verdict in ((0.04, "ai"), (0.05, "ai-composite"), (0.20, "not-ai"), (0.70, "no-ai-declared"),
                           (0.998, "unknown")):
        if x < share:
            return verdict
    return "unreadable"


def stamp(f: int) -> str:
    """When folder f was rendered: folders a minute apart from 2024-01-01 (all its frames alike)."""
    t = 1_704_067_200 + 60 * f
    return time.strftime("%Y-%m-%dT%H:%M:%S.000+00:00", time.gmtime(t))


def jobs(n: int) -> list[tuple[int, int, int, int]]:
    """The first n assets in chunks of whole folders: (first folder, end folder, first asset, end asset)."""
    out, f, i, f0, i0 = [], 0, 0, 0, 0
    while i < n:
        i += min(folder(f)[1], n - i)
        f += 1
        if i - i0 >= CHUNK_ASSETS or i >= n:
            out.append((f0, f, i0, i))
            f0, i0 = f, i
    return out


def chunk_rows(job: tuple[int, int, int, int]) -> tuple[dict[str, list[tuple]], dict[str, int]]:
    """One chunk's rows, table by table (ids follow from the asset's number, so chunks can be made
    in any process), and its counts."""
    f0, f1, i, end = job
    t: dict[str, list[tuple]] = {name: [] for name in COLUMNS}
    counts = {"folders": 0, "ai": 0, "approved": 0, "findings": 0}
    for f in range(f0, f1):
        key, frames, zone = folder(f)
        at = stamp(f)
        t["folders"].append((HOST, key))
        counts["folders"] += 1
        for k in range(min(frames, end - i)):
            add_asset(t, i, key, k, zone, at, counts)
            i += 1
    return t, counts


def generate(n: int, emit, progress, processes: int = 3) -> dict:
    """Call emit(rows) with each chunk of the first n assets, in path order (made by `processes`
    processes: on a shared machine the Python that makes rows is half the work). Returns counts."""
    import multiprocessing

    counts = {"folders": 0, "ai": 0, "approved": 0, "findings": 0}
    ahead: collections.deque = collections.deque()

    def write_oldest() -> None:
        job, made = ahead.popleft()
        tables, part = made.get()
        emit(tables)
        for k, v in part.items():
            counts[k] += v
        progress(job[3])

    with multiprocessing.get_context("fork").Pool(processes) as pool:
        for job in jobs(n):
            ahead.append((job, pool.apply_async(chunk_rows, (job,))))
            # At most 2 chunks a process made ahead of the writer: when loading is slower than making
            # (SQLite at 10M), unwritten chunks would otherwise pile up until memory runs out.
            if len(ahead) > 2 * processes:
                write_oldest()
        while ahead:
            write_oldest()
    return counts


def add_asset(t: dict[str, list[tuple]], i: int, key: bytes, k: int, zone: str, at: str, counts: dict) -> None:
    cid = cid_of(i)
    verdict = verdict_of(cid)
    ai = verdict in ("ai", "ai-composite")
    name = f"frame.{1001 + k:04d}.exr"
    path_raw = key + name.encode()
    path = path_raw.decode()
    size = 8_000_000 + int(cid[24:30], 16)
    generator = GENERATORS[int(cid[30:32], 16) % len(GENERATORS)] if ai else None
    present = u(cid, 2) < 0.03
    c2pa = C2PA_PRESENT[generator or "Photoshop"] if present else C2PA_ABSENT
    reason = {"ai": "IPTC DigitalSourceType trainedAlgorithmicMedia", "ai-composite": "C2PA action: AI composite",
              "not-ai": "IPTC DigitalSourceType digitalCapture", "unreadable": "truncated file"}.get(verdict,
                                                                                                  "no AI markers")
    t["assets"].append((cid, size, "image/x-exr", verdict, generator, IPTC_AI if ai else
                        (IPTC_CAPTURE if verdict == "not-ai" else None), reason,
                        "exiftool: file is truncated" if verdict == "unreadable" else None, c2pa, "[]", at, at,
                        RULES_VERSION, "xmp" if ai else None))
    loc_id = i + 1
    ev = iter(range(3 * i + 1, 3 * i + 4))
    t["locations"].append((loc_id, HOST, path_raw, path, cid, size, 1_704_067_200_000_000_000 + i * 1_000_000,
                           5_000_000 + i, 2049, zone, at, at, 0, name, key))
    t["evidence"].append((next(ev), cid, "exr", "EXR:Software", generator or "Nuke 15.0v4", 0.0,
                          None, None))
    if u(cid, 1) < 0.30:
        iid = f"xmp.iid:{cid}"
        t["evidence"].append((next(ev), cid, "xmp", "xmpMM:InstanceID", iid, 0.0, None, None))
        t["identifiers"].append((cid, "xmpMM:InstanceID", iid))
    if ai:
        t["evidence"].append((next(ev), cid, "xmp", "Iptc4xmpExt:DigitalSourceType", IPTC_AI, 1.0,
                              verdict, generator))
    else:
        t["evidence"].append((next(ev), cid, "exr", "EXR:Owner", "comp", 0.0, None, None))
    t["events"].append((2 * i + 1, at, "recorded", cid, path, RECORDED[verdict, generator], HOST))
    t["events"].append((2 * i + 2, at, "seen", cid, path, SEEN[zone], HOST))
    if u(cid, 3) < 0.01 and k > 0:  # made from an earlier frame of this folder
        j = i - 1 - int(cid[16:20], 16) % k
        parent, pname = cid_of(j), f"frame.{1001 + k - (i - j):04d}.exr"
        t["edges"].append((i + 1, cid, parent, f"xmp.iid:{parent}", pname, "c2pa-ingredient",
                           f"C2PA ingredient {pname!r} (parentOf)", at))
    elif u(cid, 3) > 0.999:  # an upload nobody recorded
        t["edges"].append((i + 1, cid, None, f"xmp.iid:upload-{cid}", f"upload_{cid[:12]}.png",
                           "c2pa-ingredient", f"C2PA ingredient 'upload_{cid[:12]}.png' (inputTo)", at))
    if ai or zone == "finals":  # AI sources and finals material are printed (likeness.py)
        t["fingerprints"].append((i + 1, cid, "still", bytes.fromhex(cid) * 8, 80))
    if ai:
        counts["ai"] += 1
        if u(cid, 4) < 0.20:
            counts["approved"] += 1
            t["approvals"].append((i + 1, cid, "VFX supervisor", "approved for final use",
                                   f"STUDIO-{i}", '["final-use"]', "{}", path, at))
        elif zone == "finals":
            counts["findings"] += 1
            t["findings"].append((i + 1, loc_id, cid, "ai-in-finals", "error",
                                  FINDING.format(g=generator), zone, at, at))


def add_scripts(target: str, folders: int) -> int:
    """Comp scripts on record: one in SCRIPT_EVERY version folders is rendered by a Nuke script that
    reads its shot's plate (the plates are not in this ledger). Then `aiprov lookup` asks what a
    facility's ledger makes it ask (which scripts render this file, which read it). Returns the
    script rows added (none when the ledger has them already)."""
    with Ledger(target, host=HOST) as ledger:
        if ledger.scripts.any():
            return 0
        rows, scripts = [], []
        for f in range(0, folders, SCRIPT_EVERY):
            key = folder(f)[0].decode()
            shot_dir = key.rsplit("/", 3)[0]
            script = f"{shot_dir}/{shot_dir.rsplit('/', 1)[1]}_comp_{key.rsplit('/', 2)[1]}.nk"
            plate = f"{shot_dir.rsplit('/', 1)[0]}/plates/{shot_dir.rsplit('/', 1)[1]}_plate.%04d.exr"
            raw = script.encode()
            scripts.append((HOST, raw, script, None, "nuke", "1 render, 1 read", "[]", stamp(f)))
            rows.append((HOST, raw, script, None, "Write1", key + "frame.%04d.exr", key + "frame.{#}.exr", "Read1",
                         plate, plate.replace("%04d", "{#}"), 1001, 1100, None))
        with ledger.transaction():
            ledger._many("INSERT INTO scripts (host, path_raw, path, content_id, app, summary, unresolved, read_at) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", scripts)
            ledger._many("INSERT INTO script_edges (host, script_raw, script, script_id, writer, output, output_key, "
                         "reader, input, input_key, first_frame, last_frame, why) VALUES "
                         "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        return len(rows)


def path_of(i: int) -> bytes:
    """The path of asset i (walks the folders: for sampling a few thousand only)."""
    f = 0
    while True:
        key, frames, _ = folder(f)
        if i < frames:
            return key + f"frame.{1001 + i:04d}.exr".encode()
        i -= frames
        f += 1


def paths_of(indices: list[int]) -> dict[int, bytes]:
    want = sorted(set(indices))
    out, f, first, w = {}, 0, 0, 0
    while w < len(want):
        key, frames, _ = folder(f)
        while w < len(want) and want[w] < first + frames:
            out[want[w]] = key + f"frame.{1001 + want[w] - first:04d}.exr".encode()
            w += 1
        first += frames
        f += 1
    return out


# --- bulk loading ---------------------------------------------------------------------------------


def load_sqlite(target: str, n: int) -> dict:
    Ledger(target, host=HOST).close()  # the schema at its latest version, as aiprov makes it
    db = sqlite3.connect(target, isolation_level=None)
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -4000000")
    indexes = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").fetchall()
    for name, _ in indexes:
        db.execute(f"DROP INDEX {name}")
    t0 = time.perf_counter()
    total = [0]

    def emit(tables):
        db.execute("BEGIN")
        for table, rows in tables.items():
            if rows:
                cols = COLUMNS[table]
                db.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                               rows)
                total[0] += len(rows)
        db.execute("COMMIT")

    counts = generate(n, emit, progress(n, t0, total))
    load_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    for name, sql in indexes:
        db.execute(sql)
    db.execute("ANALYZE")
    db.execute("PRAGMA journal_mode = WAL")
    db.close()
    return {**counts, "rows": total[0], "load_s": load_s, "index_s": time.perf_counter() - t1}


def load_postgres(target: str, n: int) -> dict:
    import psycopg

    Ledger(target, host=HOST).close()
    conn = psycopg.connect(target, autocommit=True)
    conn.execute("SET maintenance_work_mem = '1GB'")
    tables = list(COLUMNS)
    cons = conn.execute(
        "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
        "JOIN pg_namespace s ON s.oid = c.connamespace WHERE s.nspname = current_schema() AND c.contype IN ('p', 'u') "
        "AND c.conrelid::regclass::text = ANY(%s)", [tables]).fetchall()
    idx = conn.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() "
        "AND i.tablename = ANY(%s) AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname "
        "AND c.connamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()))", [tables]).fetchall()
    for name, _ in idx:
        conn.execute(f'DROP INDEX "{name}"')
    for table, name, _ in cons:
        conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    t0 = time.perf_counter()
    total = [0]

    def emit(chunk):
        with conn.transaction():
            cur = conn.cursor()
            for table, rows in chunk.items():
                if rows:
                    with cur.copy(f"COPY {table} ({', '.join(COLUMNS[table])}) FROM STDIN") as cp:
                        for r in rows:
                            cp.write_row(r)
                    total[0] += len(rows)

    counts = generate(n, emit, progress(n, t0, total))
    load_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    for table, name, definition in cons:
        conn.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for _, definition in idx:
        conn.execute(definition)
    for table in WITH_IDS:
        conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                     f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)")
    conn.execute("VACUUM ANALYZE")
    conn.close()
    return {**counts, "rows": total[0], "load_s": load_s, "index_s": time.perf_counter() - t1}


def progress(n: int, t0: float, total: list[int]):
    step = max(CHUNK_ASSETS, n // 10)
    state = {"next": step}

    def report(done: int) -> None:
        if done >= state["next"] or done == n:
            state["next"] += step
            dt = time.perf_counter() - t0
            print(f"  generated {done:>11,} / {n:,} assets, {total[0]:,} rows, {total[0] / dt:,.0f} rows/s "
                  f"(load {loadavg()})", flush=True)

    return report


# --- sizes ----------------------------------------------------------------------------------------


def sizes(ledger: Ledger, target: str) -> tuple[float, list[tuple[str, float]]]:
    """(total MB, [(table or index, MB)] largest first)."""
    if ledger.kind == "sqlite":
        total = sum(os.path.getsize(p) for p in Path(target).parent.glob(Path(target).name + "*")) / 1e6
        try:
            rows = ledger._rows("SELECT name, sum(pgsize) AS b FROM dbstat GROUP BY name ORDER BY b DESC")
        except Exception:  # a SQLite built without dbstat
            return total, []
        return total, [(r["name"], r["b"] / 1e6) for r in rows]
    rows = ledger._rows("SELECT c.relname AS name, pg_relation_size(c.oid) + COALESCE(pg_relation_size(NULLIF(c.reltoastrelid, 0)), 0) AS b "
                        "FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace "
                        "WHERE s.nspname = current_schema() AND c.relkind IN ('r', 'i') ORDER BY b DESC")
    return sum(r["b"] for r in rows) / 1e6, [(r["name"], r["b"] / 1e6) for r in rows]


# --- lookups ----------------------------------------------------------------------------------------


CONFIG = Config.delivery(Path(ROOT))


def time_lookups(ledger: Ledger, paths: list[bytes], problems: list[str]) -> tuple[list[float], list[float], float]:
    """ms of each `aiprov lookup` (answered from the ledger: the paths are not on this machine), the
    CPU ms of this process in each (what other processes' load on the machine does not inflate), and
    the statements each sent."""
    counter = bench_ledger.Counter(ledger)
    s0 = counter.snapshot()[0]
    times, cpu = [], []
    for p in paths:
        t, c = time.perf_counter_ns(), time.process_time_ns()
        r = lookup(p, ledger, CONFIG)
        times.append((time.perf_counter_ns() - t) / 1e6)
        cpu.append((time.process_time_ns() - c) / 1e6)
        if not r.known or not r.content_id or not r.locations:
            problems.append(f"lookup of {p.decode()} did not find its asset")
    return times, cpu, (counter.snapshot()[0] - s0) / max(1, len(paths))


def cli_lookup(target: str, path: bytes) -> tuple[float, dict]:
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "aiprov.cli", "lookup", os.fsdecode(path), "--json",
                           "--ledger", target], capture_output=True, text=True, env={**os.environ,
                                                                                   "AIPROV_HOST_ID": HOST})
    took = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"aiprov lookup failed: {proc.stderr[-2000:]}")
    return took, json.loads(proc.stdout)


def explain(ledger: Ledger, path: bytes, cid: str) -> list[str]:
    """Each statement's plan: bench_ledger's list (the statements lookup and scanning send), at this size."""
    f = SimpleNamespace(fspath=path, cid=cid, path=path.decode())
    return bench_ledger.explain(ledger, f)


# --- the rescan of a real folder ------------------------------------------------------------------


def rescan_folder(target: str, work: Path, files: int, repeat: int, whole_host: bool = True) -> dict:
    """A real folder of `files` files, recorded in the ledger with their real stats (host facility-a),
    then rescanned unchanged by scanning.scan: the first time file by file, then by its digest."""
    tree = work / "plates" / "sh0010" / "v001"
    tree.mkdir(parents=True)
    paths = []
    for k in range(files):
        p = os.fsencode(tree / f"frame.{1001 + k:04d}.exr")
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(fd, k.to_bytes(8, "big"))
        os.close(fd)
        paths.append(p)
    now = stamp(0)
    key = os.fsencode(tree) + b"/"
    with Ledger(target, host=HOST) as ledger:
        assets, locations, prints = [], [], []
        for k, p in enumerate(paths):
            st = os.stat(p)
            cid = xxhash.xxh3_128_hexdigest(b"plate" + p)
            assets.append((cid, st.st_size, "image/x-exr", "no-ai-declared", None, None, "no AI markers", None,
                           C2PA_ABSENT, "[]", now, now, RULES_VERSION))
            locations.append((HOST, p, p.decode(), p.rsplit(b"/", 1)[1].decode(), key, cid, st.st_size,
                              st.st_mtime_ns, st.st_ino, st.st_dev, "finals", now, now, 0))
            prints.append((cid, "still", bytes.fromhex(cid) * 8, 80))
        with ledger.transaction():
            ledger._many("INSERT INTO assets (content_id, size, media_type, verdict, generator, digital_source_type, "
                         "reason, error, c2pa, warnings, first_seen, last_seen, rules) VALUES "
                         "(?,?,?,?,?,?,?,?,?,?,?,?,?)", assets)
            ledger._many("INSERT INTO locations (host, path_raw, path, name, folder_key, content_id, size, mtime_ns, "
                         "inode, device, zone, first_seen, last_seen, gone) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                         locations)
            ledger._many("INSERT INTO fingerprints (content_id, kind, blob, quality) VALUES (?, ?, ?, ?)", prints)
            ledger._q("INSERT INTO folders (host, folder_key) VALUES (?, ?)", [HOST, key])
    cfg = Config.delivery(tree)

    def once() -> float:
        t = time.perf_counter()
        with Ledger(target, host=HOST) as ledger:
            r = scan([os.fsencode(tree)], cfg, ledger)
        took = time.perf_counter() - t
        if r.read or r.quiet != files:
            raise SystemExit(f"rescan of an unchanged folder read {r.read} files, counted {r.quiet} quiet")
        return took

    first = once()
    again = sorted(once() for _ in range(repeat))
    finds = sorted(timed(lambda: subprocess.run(["find", str(tree), "-type", "f", "-printf", "%s %T@ %i\n"],
                                                stdout=subprocess.DEVNULL, check=True)) for _ in range(repeat))
    with Ledger(target, host=HOST) as ledger:
        kinds = ledger.prints.source_kinds()
        # the noteworthy rows a rescan asks for once: of the walked folder only, and of the whole host
        # (what every rescan asked for before it was scoped to its roots)
        notes_s = min(timed(lambda: ledger.locations.noteworthy(kinds, RULES_VERSION, [os.fsencode(tree)]))
                      for _ in range(repeat))
        t = time.perf_counter()
        whole = len(ledger.locations.noteworthy(kinds, RULES_VERSION)) if whole_host else 0
        whole_s = time.perf_counter() - t if whole_host else float("nan")
    return {"files": files, "first_s": first, "digest_s": again, "find_s": finds, "noteworthy_s": notes_s,
            "whole_s": whole_s, "whole": whole}


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


# --- PostgreSQL: writers at once --------------------------------------------------------------------


def cpu_sample() -> tuple[float, float, dict[int, int]]:
    """(machine busy jiffies, machine total jiffies, {postgres process: its jiffies})."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    pg = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stat = Path(f"/proc/{d}/stat").read_text()
            except OSError:
                continue
            if "(postgres)" in stat:
                rest = stat.rsplit(")", 1)[1].split()
                pg[int(d)] = int(rest[11]) + int(rest[12])
    return sum(fields) - idle, sum(fields), pg


class ServerCpu:
    """CPU jiffies of the PostgreSQL processes while something runs, sampled every 0.2 s, so the
    backends of connections opened and closed in between are counted too."""

    def __enter__(self):
        import threading

        self.first, self.last = cpu_sample(), {}
        self._stop = threading.Event()

        def sample():
            while not self._stop.wait(0.2):
                self.last.update(cpu_sample()[2])

        self._thread = threading.Thread(target=sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.end = cpu_sample()
        self.last.update(self.end[2])
        self.jiffies = sum(j - self.first[2].get(pid, 0) for pid, j in self.last.items())


def writers(target: str, counts: list[int], per: int, start: int = 50_000_000) -> list[dict]:
    out = []
    # start: bench_ledger's synthetic files from this number on (past anything on record)
    for k in counts:
        with ServerCpu() as cpu:
            t = time.perf_counter()
            rate, conflicts, start = bench_ledger.concurrent_ingest(target, SEED, 0, start, k, per)
            wall = time.perf_counter() - t
        c0, c1 = cpu.first, cpu.end
        total = c1[1] - c0[1]
        out.append({"writers": k, "rate": rate, "conflicts": conflicts, "busy": (c1[0] - c0[0]) / total,
                    "server": cpu.jiffies / total * os.cpu_count(), "wall": wall, "load": loadavg()})
        print(f"  {k} writer(s): {rate:,.0f} files/s, machine busy {out[-1]['busy']:.0%}, PostgreSQL processes "
              f"{out[-1]['server']:.2f} cores, {1000 * out[-1]['server'] * wall / (k * per):.1f} server CPU ms a new file "
              f"(load {loadavg()})", flush=True)
    return out


# --- the run ----------------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    return bench_ledger.pct(values, q)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--assets", type=int, default=10_000_000)
    ap.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--pg-url", default=os.environ.get("AIPROV_BENCH_PG_URL", bench_ledger.DEFAULT_PG_URL))
    ap.add_argument("--lookups", type=int, default=2000, help="random existing files to look up (default 2,000)")
    ap.add_argument("--rtt-ms", type=float, default=1.0, help="PostgreSQL: also through a delay line this many "
                    "ms per round trip (default 1; 0 for none)")
    ap.add_argument("--rescan-files", type=int, default=1000)
    ap.add_argument("--no-whole-host", dest="whole_host", action="store_false",
                    help="do not time the noteworthy rows of the whole host (what every rescan asked for before "
                         "it was scoped to its roots; minutes at 10M)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--writers", default="1,2,4", help="PostgreSQL: writer processes at once (default 1,2,4; '' none)")
    ap.add_argument("--writer-files", type=int, default=2000)
    ap.add_argument("--keep", action="store_true", help="keep the ledger (SQLite file or PostgreSQL schema)")
    ap.add_argument("--use", metavar="LEDGER", help="measure this ledger, generated by an earlier --keep run with the "
                    "same --assets, instead of generating one (it is kept)")
    args = ap.parse_args(argv)
    print(f"machine: nproc={os.cpu_count()}, SQLite {sqlite3.sqlite_version}; load average {loadavg()}")
    print(source_version())
    work = Path(tempfile.mkdtemp(prefix="aiprov-facility-"))
    schema_name = f"bench_facility_{os.getpid()}"
    problems: list[str] = []
    try:
        t = time.perf_counter()
        if args.use:
            target = args.use
            args.keep = True
            t_m = time.perf_counter()
            Ledger(target, host=HOST, migrate=True).close()  # `aiprov ledger migrate`, if it was made by an older aiprov
            print(f"ledger opened (and migrated if it had to be) in {time.perf_counter() - t_m:.1f} s", flush=True)
        elif args.backend == "sqlite":
            target = str(work / "ledger.db")
        else:
            bench_ledger.pg_admin(args.pg_url, f"CREATE SCHEMA {schema_name}")
            target = bench_ledger.pg_schema_url(args.pg_url, schema_name)
        if not args.use:
            print(f"{args.backend}: generating {args.assets:,} assets ...", flush=True)
            made = (load_sqlite if args.backend == "sqlite" else load_postgres)(target, args.assets)
            print(f"  {made['rows']:,} rows in {made['load_s']:.0f} s ({made['rows'] / made['load_s']:,.0f} rows/s), "
                  f"indexes and constraints built in {made['index_s']:.0f} s; {made['folders']:,} folders, "
                  f"{made['ai']:,} AI assets, {made['approved']:,} approved, {made['findings']:,} open findings "
                  f"(load {loadavg()})", flush=True)
        last = paths_of([args.assets - 1])[args.assets - 1]
        folders = next(f for f in range(args.assets) if folder(f)[0] == last[:last.rfind(b"/") + 1]) + 1
        print(f"comp scripts on record: {add_scripts(target, folders):,} added (load {loadavg()})", flush=True)

        rng = random.Random(SEED)
        sample = rng.sample(range(args.assets), min(args.assets, args.lookups))
        by_index = paths_of(sample)
        paths = [by_index[i] for i in sample]
        with Ledger(target, host=HOST) as ledger:
            assert ledger.schema_version == ledger.latest_schema
            total_mb, parts = sizes(ledger, target)
            print(f"ledger size: {total_mb:,.0f} MB ({total_mb * 1e6 / args.assets:,.0f} bytes an asset); largest "
                  "parts (MB): " + ", ".join(f"{name} {mb:,.0f}" for name, mb in parts[:16]), flush=True)
            loc = ledger.locations.get(paths[0])
            print("query plans (median of 5 runs):")
            for line in explain(ledger, paths[0], loc.content_id):
                print(line)
            lookup(paths[0], ledger, CONFIG)  # warm the connection
            server = ledger._rows("SELECT pg_backend_pid() AS pid")[0]["pid"] if ledger.kind == "postgresql" else None
            server0 = bench_ledger.process_cpu(server) if server else 0.0
            times, cpu, statements = time_lookups(ledger, paths, problems)
            server_ms = 1000 * (bench_ledger.process_cpu(server) - server0) / len(paths) if server else 0.0
            floor = bench_ledger.round_trip_floor(ledger, 500)
        cli_s, answer = cli_lookup(target, paths[1])
        if not answer.get("known"):
            problems.append(f"`aiprov lookup {paths[1].decode()}` did not know the file")
        print(f"aiprov lookup, {len(paths):,} random files: p50 {pct(times, .5):.2f} ms, p95 {pct(times, .95):.2f} "
              f"ms, p99 {pct(times, .99):.2f} ms; CPU of this process p50 {pct(cpu, .5):.2f} ms, p95 {pct(cpu, .95):.2f} "
              f"ms" + (f"; its server process {server_ms:.2f} ms a lookup" if server else "") + f"; {statements:.1f} statements; SELECT 1 p50 {floor:.3f} ms; the CLI "
              f"(a fresh process) {cli_s:.2f} s (load {loadavg()})", flush=True)
        if args.backend == "postgresql" and args.rtt_ms:
            with DelayLine(target, args.rtt_ms) as slow, Ledger(slow, host=HOST) as ledger:
                floor_slow = bench_ledger.round_trip_floor(ledger, 200)
                slow_times, _, _ = time_lookups(ledger, paths[:300], problems)
            print(f"through the delay line ({args.rtt_ms:g} ms a round trip more; SELECT 1 p50 {floor_slow:.3f} ms): "
                  f"aiprov lookup p50 {pct(slow_times, .5):.2f} ms, p95 {pct(slow_times, .95):.2f} ms "
                  f"(load {loadavg()})", flush=True)
        r = rescan_folder(target, work, args.rescan_files, args.repeat, args.whole_host)
        n = r["files"]
        print(f"unchanged rescan of a real folder of {n:,} files in this ledger (scanning.scan, best / median of "
              f"{args.repeat}): first (file by file) {r['first_s'] * 1000:.0f} ms; by digest "
              f"{r['digest_s'][0] * 1000:.0f} / {pct(r['digest_s'], .5) * 1000:.0f} ms = "
              f"{r['digest_s'][0] * 1e6 / n:.1f} us a file; find -printf {r['find_s'][0] * 1000:.1f} ms "
              f"({100 * r['find_s'][0] / r['digest_s'][0]:.1f}% of find's rate); of the rescan, the noteworthy "
              f"rows of the folder: {r['noteworthy_s'] * 1000:.1f} ms; of the whole host (before: every rescan "
              f"asked for these) {r['whole']:,} rows in {r['whole_s']:.1f} s (load {loadavg()})", flush=True)
        if args.backend == "postgresql" and args.writers:
            print(f"writers at once, {args.writer_files:,} new files each:", flush=True)
            writers(target, [int(k) for k in args.writers.split(",") if k], args.writer_files)
        print(f"total {(time.perf_counter() - t) / 60:.1f} min; load average at the end: {loadavg()}")
        if problems:
            print("CHECK FAILED:\n  " + "\n  ".join(problems[:20]))
            return 1
        print("checks: every sampled lookup found its asset; the rescan reused every file: OK")
        return 0
    finally:
        if args.keep:
            print(f"kept: {work}" + (f" and {args.use}" if args.use else f" and PostgreSQL schema {schema_name}"
                                     if args.backend == "postgresql" else ""))
        else:
            shutil.rmtree(work, ignore_errors=True)
            if args.backend == "postgresql" and not args.use:
                bench_ledger.pg_admin(args.pg_url, f"DROP SCHEMA IF EXISTS {schema_name} CASCADE")


if __name__ == "__main__":
    sys.exit(main())
