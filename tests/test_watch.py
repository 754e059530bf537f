"""The daemon, run for real as a subprocess on real directories."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import REPO
from .helpers import AI_STILL, CAMERA_STILL, aiprov, copy, png_bytes

A1111 = "a lighthouse\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 16x16"


class Daemon:
    def __init__(self, root: Path, ledger: Path, *extra: str, config: Path | None = None):
        self.root, self.ledger = root, ledger
        args = [sys.executable, "-m", "aiprov.cli", "watch", str(root), "--ledger", str(ledger), "--stability", "0.5",
                "--log-format", "json", *extra]
        if config:
            args += ["--config", str(config)]
        self.log = open(ledger.parent / f"daemon-{time.monotonic_ns()}.log", "w+")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        self.wait_until(lambda: self.status().get("last_reconcile"), 60, "the daemon to start")

    def status(self) -> dict:
        try:
            return json.loads(Path(str(self.ledger) + ".watch.json").read_text())
        except (OSError, ValueError):
            return {}

    def wait_until(self, check, timeout: float, what: str):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.log.seek(0)
        raise AssertionError(f"timed out waiting for {what}; daemon log:\n{self.log.read()[-3000:]}")

    def stop(self, sig=signal.SIGTERM) -> int:
        self.proc.send_signal(sig)
        code = self.proc.wait(60)
        self.log.close()
        return code


def query(ledger: Path, sql: str, *params):
    if not ledger.exists():
        return []
    with sqlite3.connect(ledger, timeout=30) as db:
        return db.execute(sql, params).fetchall()


def finding_on(ledger: Path, name: str):
    return query(ledger, "SELECT f.rule FROM findings f JOIN locations l ON l.id = f.location_id "
                         "WHERE l.path LIKE ? AND f.resolved_at IS NULL", f"%/{name}")


@pytest.fixture
def prod(tmp_path):
    root = tmp_path / "show"
    (root / "finals").mkdir(parents=True)
    (root / "working").mkdir()
    (root / "aiprov.toml").write_text(
        'production = "Night Harbour"\n[zones]\nfinals = ["finals/**"]\nworking = ["working/**"]\n'
        f'[[hooks]]\ncommand = ["{REPO / "hooks" / "quarantine"}", "--to", "{tmp_path / "QUARANTINE"}"]\n'
        f'[[hooks]]\ncommand = ["{REPO / "hooks" / "log"}", "--file", "{tmp_path / "findings.jsonl"}"]\n')
    return root


@pytest.mark.parametrize("observer", ["--native", "--polling"])
def test_ai_still_copied_into_finals_is_flagged_and_quarantined_within_two_seconds(prod, tmp_path, observer):
    d = Daemon(prod, tmp_path / "ledger.db", observer, "--poll-interval", "0.2")
    try:
        copy(AI_STILL, prod / "working" / "concept.jpg")  # AI in working: fine
        copy(AI_STILL, prod / "finals" / "poster.jpg")
        copied = time.monotonic()
        moved_to = tmp_path / "QUARANTINE" / str(prod / "finals" / "poster.jpg").lstrip("/")
        d.wait_until(lambda: moved_to.exists(), 10, "the quarantine hook to move the file")
        took = time.monotonic() - copied
        assert took <= 2.0, f"flagged and quarantined {took:.2f} s after the copy"
        assert finding_on(d.ledger, "poster.jpg") == [("ai-in-finals",)]
        note = (prod / "finals" / "poster.jpg.QUARANTINED.txt").read_text()
        assert "ai-in-finals" in note and str(moved_to) in note
        log = tmp_path / "findings.jsonl"  # the log hook runs beside the quarantine hook, not after it
        d.wait_until(lambda: log.exists() and log.read_text().strip(), 10, "the log hook")
        event = json.loads(log.read_text().splitlines()[0])
        assert event["file"]["verdict"] == "ai" and event["findings"][0]["rule"] == "ai-in-finals"
        assert finding_on(d.ledger, "concept.jpg") == []
        assert d.status()["roots"][0]["observer"] == ("polling" if observer == "--polling" else "inotify")
    finally:
        assert d.stop() == 0


def test_large_file_written_slowly_is_read_once_complete(prod, tmp_path):
    d = Daemon(prod, tmp_path / "ledger.db")
    try:
        data = png_bytes(7, {"parameters": A1111}, size=(256, 256))
        target = prod / "finals" / "slow.png"
        with open(target, "wb") as fh:  # a render writing for ~3 s, pausing longer than the window
            for i in range(0, len(data), len(data) // 4 + 1):
                fh.write(data[i:i + len(data) // 4 + 1])
                fh.flush()
                time.sleep(0.8)
        d.wait_until(lambda: finding_on(d.ledger, "slow.png"), 10, "the slow file to be flagged")
        assert query(d.ledger, "SELECT verdict FROM assets") == [("ai",)]
        assert query(d.ledger, "SELECT count(*) FROM events WHERE kind = 'recorded'") == [(1,)]
    finally:
        d.stop()


def _burst(folder: Path, n: int, start: int = 0) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(start, start + n):
        (folder / f"frame_{i:05d}.png").write_bytes(png_bytes(i))


def test_burst_of_2000_files_is_fully_recorded(prod, tmp_path):
    d = Daemon(prod, tmp_path / "ledger.db")
    try:
        _burst(prod / "working" / "render", 2000)
        d.wait_until(lambda: query(d.ledger, "SELECT count(*) FROM locations WHERE gone = 0")[0][0] >= 2000, 120,
                     "2,000 files in the ledger")
        assert query(d.ledger, "SELECT count(*) FROM locations")[0][0] == 2000
    finally:
        d.stop()


def test_kill_9_mid_burst_then_restart_records_every_file_once(prod, tmp_path):
    ledger = tmp_path / "ledger.db"
    d = Daemon(prod, ledger)
    _burst(prod / "working" / "render", 1500)
    d.wait_until(lambda: query(ledger, "SELECT count(*) FROM locations")[0][0] > 100, 60, "part of the burst")
    d.stop(signal.SIGKILL)
    _burst(prod / "working" / "render", 500, start=1500)  # more lands while it is down
    d = Daemon(prod, ledger)
    try:
        d.wait_until(lambda: query(ledger, "SELECT count(*) FROM locations")[0][0] >= 2000, 120, "all 2,000 files")
        time.sleep(1)
        assert query(ledger, "SELECT count(*), count(DISTINCT path_raw) FROM locations") == [(2000, 2000)]
        assert query(ledger, "PRAGMA integrity_check") == [("ok",)]
        d.wait_until(lambda: query(ledger, "SELECT count(*) FROM journal") == [(0,)], 30, "an empty journal")
    finally:
        d.stop()


def test_files_added_while_stopped_are_found_at_start_up(prod, tmp_path):
    ledger = tmp_path / "ledger.db"
    Daemon(prod, ledger).stop()
    copy(AI_STILL, prod / "finals" / "while_down.jpg")
    d = Daemon(prod, ledger)
    try:
        assert d.wait_until(lambda: finding_on(ledger, "while_down.jpg"), 20, "the file added while down")
    finally:
        d.stop()


def test_moves_renames_and_deletions_are_recorded(prod, tmp_path):
    ledger = tmp_path / "ledger.db"
    d = Daemon(prod, ledger)
    try:
        copy(CAMERA_STILL, prod / "working" / "a.jpg")
        d.wait_until(lambda: query(ledger, "SELECT count(*) FROM locations")[0][0] == 1, 10, "a.jpg")
        os.rename(prod / "working" / "a.jpg", prod / "working" / "b.jpg")
        d.wait_until(lambda: query(ledger, "SELECT count(*) FROM events WHERE kind = 'moved'")[0][0] == 1, 10, "the move")
        os.unlink(prod / "working" / "b.jpg")
        d.wait_until(lambda: query(ledger, "SELECT count(*) FROM locations WHERE gone = 0")[0][0] == 0, 10, "the delete")
        assert query(ledger, "SELECT count(*) FROM assets") == [(1,)]
    finally:
        d.stop()


def test_one_daemon_per_ledger_and_status_reports_it(prod, tmp_path):
    ledger = tmp_path / "ledger.db"
    d = Daemon(prod, ledger)
    try:
        second = aiprov("watch", prod, "--ledger", ledger)
        assert second.returncode == 2 and "already running" in second.stderr
        st = aiprov("status", "--ledger", ledger)
        assert st.returncode == 0 and str(prod) in st.stdout and "inotify" in st.stdout
    finally:
        assert d.stop() == 0
    assert aiprov("status", "--ledger", ledger).returncode == 1


def test_sighup_reloads_zones(prod, tmp_path):
    ledger = tmp_path / "ledger.db"
    d = Daemon(prod, ledger)
    try:
        copy(AI_STILL, prod / "working" / "x.jpg")
        d.wait_until(lambda: query(ledger, "SELECT count(*) FROM locations")[0][0] == 1, 10, "x.jpg")
        assert finding_on(ledger, "x.jpg") == []
        cfg = (prod / "aiprov.toml").read_text().replace('working = ["working/**"]', 'working = []\ndefault_zone = "finals"')
        # default_zone must be a top-level key: put it first
        cfg = 'default_zone = "finals"\n' + cfg.replace('\ndefault_zone = "finals"', "")
        (prod / "aiprov.toml").write_text(cfg)
        d.proc.send_signal(signal.SIGHUP)
        d.wait_until(lambda: finding_on(ledger, "x.jpg"), 20, "the reload to flag working/x.jpg as finals")
    finally:
        d.stop()


def test_an_inotify_queue_overflow_makes_the_daemon_reconcile(tmp_path):
    # The kernel dropping events is reported by watchdog only as a log line; that line must
    # lead to a reconcile walk. (Overflowing the real queue would need a machine-wide sysctl.)
    import logging

    from aiprov.config import Config
    from aiprov.watch import Watcher, WatchOptions

    root = tmp_path / "show"
    root.mkdir()
    from aiprov.ledger import Ledger

    with Ledger(tmp_path / "l.db") as ledger:
        w = Watcher(Config.delivery(root), ledger, WatchOptions(roots=[os.fsencode(root)]), tmp_path / "status.json")
        try:
            w.start()
            w.reconcile_requested = False
            logging.getLogger("watchdog.observers.inotify_c").warning("Inotify queue overflowed; filesystem events were lost")
            assert w.reconcile_requested and w.overflows == 1
        finally:
            for _, obs, _, _ in w.observers:
                obs.stop()
            w.pool.close()
            w.hooks.close()
            logging.getLogger("watchdog.observers").removeHandler(w._overflow_listener)
