"""Hostile input, odd names, crashes, a full disk, concurrent writers, permissions, forged trust.

The fast part runs in CI with every `make test`; `make reliability` runs the long
version (more fuzzed files, 20 kill -9 runs) with AIPROV_RELIABILITY=full.

Tests that take `ledger_target` run on both backends. What is about the SQLite file
itself (PRAGMA integrity_check, a full disk under it) stays SQLite-only; on PostgreSQL
the same crash tests check that every file is recorded once, and the server keeps its
own integrity. The fuzzing and forgery tests are about readers, not the ledger.
"""

from __future__ import annotations

import io
import json
import os
import random
import signal
import sqlite3
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from aiprov.ledger import Ledger
from aiprov.watch import state_base

from .conftest import CORPUS, SAMPLES
from .fuzzing import make_corpus, media_sources
from .helpers import AI_STILL, aiprov, copy, held_to_file_modes, photo, png_bytes

FULL = os.environ.get("AIPROV_RELIABILITY") == "full"
FUZZ_FILES = 5000 if FULL else 500
KILL_RUNS = 20 if FULL else 6


def ledger_ok(path: Path) -> bool:
    """A SQLite ledger file's own check (a PostgreSQL server's integrity is the server's job)."""
    with sqlite3.connect(path) as db:
        return db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def count(target: str | Path, sql: str, *params) -> int:
    """The first value of a query's first row, on either backend (`?` marks)."""
    with Ledger(target) as db:
        return next(iter(db._rows(sql, list(params))[0].values()))


@pytest.fixture
def state_dir(tmp_path, monkeypatch) -> Path:
    """Where a daemon on a PostgreSQL ledger keeps its lock and status (AIPROV_STATE_DIR)."""
    folder = tmp_path / "state"
    monkeypatch.setenv("AIPROV_STATE_DIR", str(folder))
    return folder


def test_fuzzed_files_never_crash_or_hang_the_scan_and_each_gets_a_reason(tmp_path):
    fuzz = tmp_path / "DELIVERY"
    made = make_corpus(media_sources(CORPUS, SAMPLES), fuzz, FUZZ_FILES)
    (tmp_path / "aiprov.toml").write_text('default_zone = "finals"\n[reader]\ntimeout = 20\n')
    started = time.monotonic()
    r = aiprov("scan", fuzz, "--config", tmp_path / "aiprov.toml", "--ledger", tmp_path / "l.db", "--format", "json")
    took = time.monotonic() - started
    assert r.returncode in (0, 1), r.stderr[-2000:]
    assert "Traceback" not in r.stderr
    report = json.loads(r.stdout)
    assert report["summary"]["files"] == len(made)  # every file exactly once
    unreadable = [f for f in report["files"] if f["verdict"] == "unreadable"]
    assert unreadable and all(f["error"] for f in unreadable)
    assert all(any(x["rule"] == "unreadable-in-finals" for x in f["findings"]) for f in unreadable)
    assert not [f for f in unreadable if "aiprov failed" in f["error"]], "a reader bug, not a bad file"
    assert ledger_ok(tmp_path / "l.db")
    print(f"\nfuzz: {len(made)} files, {len(unreadable)} unreadable, {took:.1f} s")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(width: int, height: int, idat: bytes) -> bytes:
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
            + _chunk(b"IDAT", idat) + _chunk(b"IEND", b""))


def _rgba_png_starting_like_stealth(width: int, height: int) -> bytes:
    """A valid RGBA PNG, black and transparent, whose first column's alpha LSBs spell "st", as
    every stealth signature starts: the cheap pre-check cannot rule the signature out, so a
    reader without a size limit decodes the whole image (width x height x 4 bytes)."""
    bits = [(byte >> (7 - i)) & 1 for byte in b"st" for i in range(8)]
    rest = bytes(width * 4 - 4)
    z = zlib.compressobj(9)
    idat = [z.compress(b"\x00" + bytes((0, 0, 0, bits[y] if y < len(bits) else 0)) + rest) for y in range(height)]
    return _png(width, height, b"".join(idat) + z.flush())


def _inspect_measured(path: Path) -> tuple[dict, float, int]:
    """`aiprov inspect --json path`: (its answer, seconds, peak RSS in KB of the command and of
    every reader process it started). The peak comes from the kernel's rusage of a fresh parent,
    so nothing this test process ran before counts."""
    probe = ("import resource, subprocess, sys, time; t = time.monotonic(); "
             "r = subprocess.run([sys.executable, '-m', 'aiprov.cli', 'inspect', '--json', sys.argv[1]], "
             "capture_output=True, text=True, timeout=120); "
             "print(time.monotonic() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
             "print(r.stdout, end='')")
    out = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True, text=True, timeout=180,
                         check=True).stdout
    first, answer = out.split("\n", 1)
    took, peak = first.split()
    return json.loads(answer)[0], float(took), int(peak)


def test_decompression_bomb_is_not_decoded(tmp_path):
    """Two bombs: a PNG claiming 100,000 x 100,000 pixels from a few KB of deflate (40 GB if
    inflated), and a complete 8,000 x 6,000 RGBA PNG (192 MB decoded) whose first pixels look
    like the start of a stealth signature, over the 40 MP decode limit. Neither is decoded: the
    reading processes stay as small and quick as on a 64 x 64 PNG of the same kind (which is
    decoded), and the answer is what the file's metadata says, with a warning saying why the
    pixels were not checked."""
    claimed = tmp_path / "bomb.png"
    claimed.write_bytes(_png(100_000, 100_000, zlib.compress(b"\x00" * 4_000_000, 9)))
    big = tmp_path / "plate_8000x6000.png"
    big.write_bytes(_rgba_png_starting_like_stealth(8000, 6000))
    small = tmp_path / "small.png"
    small.write_bytes(_rgba_png_starting_like_stealth(64, 64))
    _, small_s, small_peak = _inspect_measured(small)
    decoded_kb = 8000 * 6000 * 4 // 1024
    for bomb, size in ((claimed, "100000x100000"), (big, "8000x6000")):
        insp, took, peak = _inspect_measured(bomb)
        # Decoding the 8000x6000 one took 740 MB and 3 s here; reading its chunks, what a small PNG takes.
        assert peak < small_peak + decoded_kb // 2, (bomb.name, peak, small_peak)
        assert took < small_s + 10, (bomb.name, took, small_s)
        assert (insp["verdict"], insp["error"]) == ("unknown", None), insp
        assert "no provenance metadata" in insp["reason"]
        warning = [w for w in insp["warnings"] if w.startswith(size)]
        assert warning and "decode limit" in warning[0] and "not decoded" in warning[0], insp["warnings"]


HOSTILE = [b"-rf.png", b"--help.jpg", b"new\nline.jpg", b"it's \"quoted\".jpg", b"$(touch pwned).jpg",
           b"`touch pwned2`.jpg", b"\xff\xfelatin1-\xe9t\xe9.jpg", b"tab\tand space .jpg", b"x" * 251 + b".jpg"]


def test_hostile_names_are_scanned_recorded_looked_up_and_tagged(tmp_path, ledger_target):
    root = tmp_path / "DELIVERY"
    root.mkdir()
    rootb = os.fsencode(root)
    deep = os.path.join(rootb, *[b"d%02d" % i for i in range(40)])
    os.makedirs(deep)
    data = AI_STILL.read_bytes()
    paths = [os.path.join(rootb, n) for n in HOSTILE] + [os.path.join(deep, b"deep.jpg")]
    for p in paths:
        with open(p, "wb") as fh:
            fh.write(data)
    ledger = ledger_target
    r = aiprov("scan", root, "--ledger", ledger, "--format", "json", cwd=tmp_path)
    report = json.loads(r.stdout)
    assert r.returncode == 1 and report["summary"]["files"] == len(paths)
    assert all(f["verdict"] == "ai" for f in report["files"])
    with Ledger(ledger) as db:  # every name kept byte for byte
        assert set(db.locations.live_under(rootb)) == set(paths)
        assert db.count("locations") == len(paths)
    for p in paths:
        found = aiprov("lookup", p, "--ledger", ledger, "--json", cwd=tmp_path)
        assert found.returncode == 0, found.stderr
        assert json.loads(found.stdout)["known"]
        tagged = aiprov("tag", p, "--ledger", ledger, cwd=tmp_path)
        assert tagged.returncode == 0, tagged.stderr
        assert os.path.exists(p + b".xmp") or os.path.exists(os.path.splitext(p)[0] + b".xmp")
    for planted in ("pwned", "pwned2"):
        assert not (tmp_path / planted).exists() and not (root / planted).exists()


def _tree(root: Path, n: int) -> None:
    for i in range(n):
        d = root / f"reel{i % 5}" / f"shot{i % 50:02d}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"f{i:05d}.png").write_bytes(png_bytes(i))


def test_kill_9_of_scan_at_random_points_never_corrupts_or_duplicates(tmp_path, ledger_target, backend):
    root = tmp_path / "tree"
    _tree(root, 5000)
    ledger = ledger_target
    sqlite = backend == "sqlite"
    rng = random.Random(99)
    cmd = [sys.executable, "-m", "aiprov.cli", "scan", str(root), "--ledger", ledger, "--format", "json"]
    for _ in range(KILL_RUNS):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(rng.uniform(0.3, 3.0))
        os.killpg(proc.pid, signal.SIGKILL)  # the scan and its reader workers
        proc.wait()
        if sqlite and os.path.exists(ledger):
            assert ledger_ok(ledger)
    final = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert final.returncode == 0, final.stderr[-2000:]
    assert json.loads(final.stdout)["summary"]["files"] == 5000
    assert count(ledger, "SELECT count(*) FROM locations") == 5000
    assert count(ledger, "SELECT count(DISTINCT path_raw) FROM locations") == 5000
    assert count(ledger, "SELECT count(*) FROM assets") == 5000
    assert count(ledger, "SELECT count(*) FROM events WHERE kind = ?", "recorded") == 5000  # each asset once
    if sqlite:
        assert ledger_ok(ledger)


def test_kill_9_of_scan_between_recording_a_batch_and_judging_it_raises_each_finding_once(tmp_path, ledger_target):
    """A scan records a batch's new files together and raises their findings after: a scan killed
    once a batch's files are on record, and run again, still has each file, asset and finding once."""
    root = tmp_path / "tree"
    n, every = 2400, 40  # one file in 40 carries generator parameters: AI, in finals (no config)
    for i in range(n):
        d = root / f"reel{i % 3}" / f"shot{i % 24:02d}"
        d.mkdir(parents=True, exist_ok=True)
        text = ({"parameters": f"a harbour at night\nSteps: 30, Sampler: Euler a, CFG scale: 7, Seed: {i}"}
                if i % every == 0 else None)
        (d / f"f{i:05d}.png").write_bytes(png_bytes(i, text))
    ai = n // every
    cmd = [sys.executable, "-m", "aiprov.cli", "scan", str(root), "--ledger", ledger_target, "--format", "json"]

    def assets() -> int:
        try:
            return count(ledger_target, "SELECT count(*) FROM assets")
        except Exception:  # not created yet
            return 0

    killed_at = []
    for _ in range(3):
        before = assets()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 300
        while assets() == before and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGKILL)  # a batch was just committed: its judging is under way
        proc.wait()
        killed_at.append(assets())
    assert any(0 < k < n for k in killed_at), f"no kill fell within the scan (assets on record: {killed_at})"
    final = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert final.returncode == 1, final.stderr[-2000:]  # the AI files are errors in finals
    report = json.loads(final.stdout)
    assert report["summary"]["files"] == n
    assert report["summary"]["findings"]["by_rule"] == {"ai-in-finals": ai}
    assert count(ledger_target, "SELECT count(*) FROM locations") == n
    assert count(ledger_target, "SELECT count(*) FROM assets") == n
    assert count(ledger_target, "SELECT count(*) FROM events WHERE kind = ?", "recorded") == n
    assert count(ledger_target, "SELECT count(*) FROM findings") == ai  # raised once each, none twice
    assert count(ledger_target, "SELECT count(*) FROM findings WHERE resolved_at IS NULL") == ai
    assert count(ledger_target, "SELECT count(*) FROM events WHERE kind = ?", "flagged") == ai


@pytest.fixture
def tiny_disk(tmp_path):
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(mnt)], capture_output=True).returncode:
        pytest.skip("cannot mount a small tmpfs here (needs root and mount rights)")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)])


def test_full_disk_gives_a_clear_error_and_no_corrupt_ledger(tmp_path, tiny_disk):
    root = tmp_path / "tree"
    for i in range(1500):
        d = root / f"s{i % 20}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"{'long_name_' * 8}{i:05d}.png").write_bytes(png_bytes(i, {"parameters": "x\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 1"}))
    ledger = tiny_disk / "ledger.db"
    r = aiprov("scan", root, "--ledger", ledger)
    assert r.returncode == 3, (r.returncode, r.stderr[-1500:])
    assert "full" in r.stderr and "Traceback" not in r.stderr
    assert ledger_ok(ledger)


def test_concurrent_daemon_scans_lookups_and_approvals_never_report_a_locked_ledger(tmp_path, ledger_target, backend,
                                                                                    state_dir):
    """On SQLite every writer waits its turn for the one file; on PostgreSQL they write at
    once, and a lock wait or deadlock must not reach the user. The PostgreSQL round is
    smaller (fewer runs of each command, a smaller burst): the same overlap, in less time."""
    from .test_watch import Daemon, live_under

    scans, lookups, approvals, burst = (4, 8, 5, 500) if backend == "sqlite" else (2, 3, 3, 200)
    watched = tmp_path / "watched"
    watched.mkdir()
    other = tmp_path / "other"
    _tree(other, 150)
    copy(AI_STILL, other / "ai.jpg")
    ledger = ledger_target
    d = Daemon(watched, ledger)
    try:
        base = [sys.executable, "-m", "aiprov.cli"]
        workers = [
            ["bash", "-c", f'for i in $(seq {scans}); do "$@" scan "$0" --ledger "$L" --format json >/dev/null '
                           '|| [ $? -eq 1 ] || exit 9; done', str(other), *base],
            ["bash", "-c", f'for i in $(seq {lookups}); do "$@" lookup "$0" --ledger "$L" --json >/dev/null || exit 9; done',
             str(other / "ai.jpg"), *base],
            ["bash", "-c", f'for i in $(seq {lookups}); do "$@" lookup "$0" --ledger "$L" --json >/dev/null || exit 9; done',
             str(other / "reel0" / "shot00" / "f00000.png"), *base],
            ["bash", "-c", f'for i in $(seq {approvals}); do "$@" approve "$0" --by QC --reason ok --ledger "$L" '
                           '>/dev/null || exit 9; done', str(other / "ai.jpg"), *base],
        ]
        env = {**os.environ, "L": str(ledger)}
        logs = [open(tmp_path / f"worker{i}.err", "w+") for i in range(len(workers))]
        procs = [subprocess.Popen(w, env=env, stdout=subprocess.DEVNULL, stderr=log) for w, log in zip(workers, logs)]
        _tree(watched / "burst", burst)  # the daemon writes while they run
        results = []
        for p, log in zip(procs, logs):
            code = p.wait(300)
            log.seek(0)
            results.append((code, log.read()))
        for code, err in results:
            assert "locked" not in err and "Traceback" not in err, err[-1500:]
            assert code == 0, err[-1500:]
        d.wait_until(lambda: live_under(d.db, watched) >= burst, 120, f"the daemon's {burst} files")
        assert d.db.count("approvals") == approvals
    finally:
        d.stop()


def test_unreadable_file_and_folder_are_findings_not_silent_skips(tmp_path):
    root = tmp_path / "DELIVERY"
    copy(AI_STILL, root / "ok" / "a.jpg")
    secret = copy(AI_STILL, root / "secret.jpg")
    secret.chmod(0)
    locked = root / "locked"
    copy(AI_STILL, locked / "b.jpg")
    locked.chmod(0)
    try:
        r = subprocess.run([*held_to_file_modes(), sys.executable, "-m", "aiprov.cli", "scan", str(root), "--ledger",
                            str(tmp_path / "l.db"), "--format", "json"], capture_output=True, text=True, timeout=300)
    finally:
        locked.chmod(0o755)
    report = json.loads(r.stdout)
    by_name = {os.path.basename(f["path"]): f for f in report["files"]}
    assert by_name["secret.jpg"]["verdict"] == "unreadable" and "permission" in by_name["secret.jpg"]["error"]
    assert by_name["locked"]["verdict"] == "unreadable" and "cannot be listed" in by_name["locked"]["error"]
    rules = {n: [x["rule"] for x in f["findings"]] for n, f in by_name.items()}
    assert rules["secret.jpg"] == ["unreadable-in-finals"] and rules["locked"] == ["unreadable-in-finals"]
    assert rules["a.jpg"] == ["ai-in-finals"]


def test_the_daemon_keeps_running_past_an_unreadable_file(tmp_path, ledger_target, state_dir):
    root = tmp_path / "show"
    root.mkdir()
    ledger = ledger_target
    log = open(tmp_path / "daemon.log", "w+")
    proc = subprocess.Popen([*held_to_file_modes(), sys.executable, "-m", "aiprov.cli", "watch", str(root), "--ledger", ledger,
                             "--stability", "0.3"], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        status = Path(str(state_base(ledger)) + ".watch.json")
        while not status.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        secret = root / "secret.jpg"
        secret.write_bytes(AI_STILL.read_bytes())
        secret.chmod(0)
        time.sleep(1.5)
        copy(AI_STILL, root / "after.jpg")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and count(ledger, "SELECT count(*) FROM findings") < 2:
            time.sleep(0.2)
        with Ledger(ledger) as db:
            rules = {r["path"]: r["rule"] for r in
                     db._rows("SELECT l.path, f.rule FROM findings f JOIN locations l ON l.id = f.location_id")}
        assert rules == {str(secret): "unreadable-in-finals", str(root / "after.jpg"): "ai-in-finals"}
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
        log.close()


def _app11_segments(jpeg: bytes) -> list[bytes]:
    out, pos = [], 2
    while pos + 4 <= len(jpeg) and jpeg[pos] == 0xFF and jpeg[pos + 1] != 0xDA:
        (n,) = struct.unpack(">H", jpeg[pos + 2:pos + 4])
        if jpeg[pos + 1] == 0xEB:
            out.append(jpeg[pos:pos + 2 + n])
        pos += 2 + n
    return out



def test_manifest_copied_from_another_image_proves_nothing(tmp_path):
    """A manifest that says "digitalCapture", lifted from a real signed photo and pasted into
    other images: its hashes no longer match, it is reported so, and it neither clears an
    AI still nor makes a bare image not-ai."""
    donor = CORPUS / "c2pa" / "C_with_CAWG_data.jpg"
    capture_manifest = _app11_segments(donor.read_bytes())
    assert capture_manifest
    at_home = json.loads(aiprov("inspect", "--json", donor).stdout)[0]
    assert at_home["c2pa"]["integrity"] == "intact"  # in its own image the manifest matches
    assert not [c for c in at_home["c2pa"]["status_codes"] if "mismatch" in c]
    delivery = tmp_path / "DELIVERY"
    delivery.mkdir()
    bare = io.BytesIO()
    photo(11).save(bare, "JPEG", quality=90)  # no metadata at all
    hosts = {"forged_ai.jpg": (SAMPLES / "stills" / "a1111_usercomment.jpg").read_bytes(),
             "forged_bare.jpg": bare.getvalue()}
    for name, host in hosts.items():
        (delivery / name).write_bytes(host[:2] + b"".join(capture_manifest) + host[2:])  # right after SOI
    (delivery / "bare.jpg").write_bytes(bare.getvalue())
    r = aiprov("scan", delivery, "--ledger", tmp_path / "l.db", "--format", "json")
    assert r.returncode == 1, r.stderr
    files = {os.path.basename(f["path"]): f for f in json.loads(r.stdout)["files"]}
    for name in hosts:
        f = files[name]
        assert f["c2pa"]["present"] and f["c2pa"]["integrity"] == "tampered", (name, f["c2pa"])
        assert "assertion.dataHash.mismatch" in f["c2pa"]["status_codes"], (name, f["c2pa"]["status_codes"])
        invalid = [x for x in f["findings"] if x["rule"] == "invalid-provenance"]
        assert len(invalid) == 1 and invalid[0]["severity"] == "error", (name, f["findings"])
        assert "dataHash.mismatch" in invalid[0]["message"] and "no longer matches" in invalid[0]["message"]
        capture = [e for e in f["evidence"] if e["source"] == "c2pa" and e["value"].endswith("/digitalCapture")]
        assert capture and all(e["weight"] == 0 and "implies" not in e for e in capture), (name, capture)
    ai = files["forged_ai.jpg"]  # the generator's own parameters still speak
    assert (ai["verdict"], ai["generator"]) == ("ai", "AUTOMATIC1111")
    assert {x["rule"] for x in ai["findings"]} == {"ai-in-finals", "invalid-provenance"}
    assert any("contradictory" in w and "digitalCapture" in w for w in ai["warnings"])
    bare_forged = files["forged_bare.jpg"]  # as unknown as the same image without the manifest
    assert files["bare.jpg"]["verdict"] == "unknown" and files["bare.jpg"]["findings"] == []
    assert bare_forged["verdict"] == "unknown", bare_forged["reason"]
    assert "no longer matches" in bare_forged["reason"]
    assert [x["rule"] for x in bare_forged["findings"]] == ["invalid-provenance"]


def test_xmp_claiming_capture_on_a_generator_file_is_contradictory_and_still_flagged(tmp_path):
    src = tmp_path / "DELIVERY" / "laundered.png"
    src.parent.mkdir()
    src.write_bytes(png_bytes(5, {"parameters": "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 3"}))
    subprocess.run(["exiftool", "-q", "-overwrite_original",
                    "-XMP-iptcExt:DigitalSourceType=http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture",
                    str(src)], check=True)
    f = json.loads(aiprov("scan", src.parent, "--ledger", tmp_path / "l.db", "--format", "json").stdout)["files"][0]
    assert f["verdict"] == "ai" and [x["rule"] for x in f["findings"]] == ["ai-in-finals"]
    assert any("contradictory" in w for w in f["warnings"])


def test_kill_9_of_the_daemon_at_random_points_never_corrupts_or_duplicates(tmp_path, ledger_target, backend,
                                                                             state_dir):
    from .test_watch import Daemon

    root = tmp_path / "tree"
    root.mkdir()
    ledger = ledger_target
    sqlite = backend == "sqlite"
    rng = random.Random(7)
    written = 0
    for _ in range(max(3, KILL_RUNS // 2)):
        d = Daemon(root, ledger)
        _tree_part(root, written, 800)  # lands while the daemon runs
        written += 800
        time.sleep(rng.uniform(0.2, 2.0))
        d.stop(signal.SIGKILL)
        if sqlite:
            assert ledger_ok(ledger)
    d = Daemon(root, ledger)  # start-up finishes the journal, then reconciles
    try:
        d.wait_until(lambda: d.db.count("locations") >= written, 180, f"all {written} files")
        time.sleep(1)
        assert d.db.count("locations") == written
        assert count(ledger, "SELECT count(DISTINCT path_raw) FROM locations") == written
        assert count(ledger, "SELECT count(*) FROM events WHERE kind = ?", "recorded") == written  # each asset once
        if sqlite:
            assert ledger_ok(ledger)
    finally:
        d.stop()


def _tree_part(root: Path, start: int, n: int) -> None:
    for i in range(start, start + n):
        d = root / f"reel{i % 5}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"f{i:05d}.png").write_bytes(png_bytes(i))
