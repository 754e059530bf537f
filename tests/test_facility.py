"""Several hosts, one ledger: daemons on different storage servers (here: processes with
different host ids) write to the same database at once.

A file made on one host and delivered from another has one history; the finding is
raised once, by the host whose finals hold it, and its hooks run once; an approval
made from a third machine applies everywhere. Runs on both backends.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from aiprov.ledger import Ledger
from aiprov.watch import state_base

from .conftest import REPO
from .helpers import AI_STILL, CAMERA_STILL, WatchProcess, aiprov, copy, png_bytes, schema_validator


class HostDaemon(WatchProcess):
    """`aiprov watch` as host HOST would run it, with its own state folder."""

    def __init__(self, host: str, root: Path, ledger: str, state: Path):
        self.host, self.ledger, self.state = host, ledger, state
        self.env = {**os.environ, "AIPROV_STATE_DIR": str(state)}
        self.status_file = Path(str(state_base(ledger, host)) + ".watch.json") if "://" not in ledger else None
        super().__init__([str(root), "--ledger", ledger, "--host-id", host, "--stability", "0.3", "--log-format",
                          "json"], state / f"{host}.log", f"{host}'s daemon", self.env)

    def status(self) -> dict:
        path = self.status_file
        if path is None:  # a URL ledger: the state folder holds one status file per ledger and host
            found = sorted(self.state.glob(f"ledger-*-{self.host}.watch.json"))
            path = found[0] if found else None
        try:
            return json.loads(path.read_text()) if path else {}
        except (OSError, ValueError):
            return {}


def production(root: Path, hook_log: Path) -> Path:
    (root / "finals").mkdir(parents=True)
    (root / "working").mkdir()
    (root / "aiprov.toml").write_text(
        'production = "Night Harbour"\n[zones]\nfinals = ["finals/**"]\nworking = ["working/**"]\n'
        f'[[hooks]]\ncommand = ["{REPO / "hooks" / "log"}", "--file", "{hook_log}"]\n')
    return root


def test_two_hosts_daemons_share_one_history_one_finding_and_approvals_from_anywhere(tmp_path, ledger_target):
    state = tmp_path / "state"
    state.mkdir()
    made_on = production(tmp_path / "srv-a" / "show", tmp_path / "hooks-a.jsonl")
    delivered_from = production(tmp_path / "srv-b" / "show", tmp_path / "hooks-b.jsonl")
    a = HostDaemon("srv-a", made_on, ledger_target, state)
    b = HostDaemon("srv-b", delivered_from, ledger_target, state)
    try:
        # Made on A (working: fine), delivered from B (finals: a finding), plus traffic on both at once.
        copy(AI_STILL, made_on / "working" / "sky_v3.jpg")
        copy(AI_STILL, delivered_from / "finals" / "reel1" / "sky_final.jpg")
        for i in range(40):
            (made_on / "working" / f"frame_{i:03d}.png").write_bytes(png_bytes(i))
            (delivered_from / "finals" / "reel1" / f"frame_{i:03d}.png").write_bytes(png_bytes(i))
        camera = copy(CAMERA_STILL, delivered_from / "finals" / "camera.jpg")

        seen: list = []

        def settled() -> bool:
            with Ledger(ledger_target) as ledger:
                seen[:] = [(r["host"], r["path"]) for r in ledger._rows("SELECT host, path FROM locations")]
            return len(seen) == 2 * 40 + 3
        try:
            a.wait_until(settled, 30, "both hosts to record their files")
        except AssertionError:
            raise AssertionError(f"{len(seen)} locations recorded: {[s for s in sorted(seen) if 'frame' not in s[1]]}") from None
        b.wait_until(lambda: (tmp_path / "hooks-b.jsonl").exists(), 10, "B's hook")
        time.sleep(1.0)  # room for a duplicate to show up, if there were one

        with Ledger(ledger_target) as ledger:
            assert ledger.count("assets") == 40 + 2, "the same content on two hosts is one asset"
            rows = ledger._rows("SELECT l.host, l.path, a.verdict, a.content_id FROM locations l "
                                "JOIN assets a ON a.content_id = l.content_id WHERE a.verdict = 'ai'")
            assert sorted((r["host"], os.path.basename(r["path"])) for r in rows) == [
                ("srv-a", "sky_v3.jpg"), ("srv-b", "sky_final.jpg")]
            cid = rows[0]["content_id"]
            findings = ledger.findings.open()
            assert [(f["rule"], os.path.basename(f["path"])) for f in findings] == [("ai-in-finals", "sky_final.jpg")]
            history = ledger.assets.history(cid)
            assert [e["kind"] for e in history].count("recorded") == 1
            assert [(e["kind"], e["host"]) for e in history if e["kind"] == "flagged"] == [("flagged", "srv-b")]
        hook_events = (tmp_path / "hooks-b.jsonl").read_text().splitlines()
        assert len(hook_events) == 1
        event = json.loads(hook_events[0])
        schema_validator("hook-event.schema.json").validate(event)
        assert event["findings"][0]["rule"] == "ai-in-finals" and event["host"] == "srv-b"
        assert not (tmp_path / "hooks-a.jsonl").exists(), "AI in A's working folder is not a finding"

        # An approval made in the supervisor's office applies on B.
        approved = aiprov("approve", made_on / "working" / "sky_v3.jpg", "--by", "Dana Whitfield", "--reason",
                          "sky approved for final use", "--reference", "NH-42", "--ledger", ledger_target,
                          env={"AIPROV_HOST_ID": "srv-a"})
        assert approved.returncode == 0, approved.stderr
        gate = aiprov("scan", delivered_from / "finals", "--ledger", ledger_target, "--host-id", "srv-b",
                      "--format", "json")
        assert gate.returncode == 0, gate.stdout[-2000:] + gate.stderr
        assert json.loads(gate.stdout)["summary"]["read"] == 0, "B's files were all on record already"
        copy(AI_STILL, delivered_from / "finals" / "reel2" / "sky_final_v2.jpg")
        b.wait_until(lambda: _recorded(ledger_target, "sky_final_v2.jpg"), 10, "the approved copy to be recorded")
        with Ledger(ledger_target) as ledger:
            assert ledger.findings.open() == []
        camera.unlink()
        b.wait_until(lambda: _gone(ledger_target, "srv-b", "camera.jpg"), 10, "B to record the deletion")
        with Ledger(ledger_target, host="srv-a") as ledger:
            assert all(not loc.gone for loc in ledger.locations.live_under(os.fsencode(made_on)).values())
            info = ledger.hosts.describe()
            assert {d["host"] for d in info["daemons"]} == {"srv-a", "srv-b"}
    finally:
        assert a.stop() == 0
        assert b.stop() == 0


def _recorded(target: str, name: str) -> bool:
    with Ledger(target) as ledger:
        return any(r["path"].endswith("/" + name) for r in ledger._rows("SELECT path FROM locations"))


def _gone(target: str, host: str, name: str) -> bool:
    with Ledger(target) as ledger:
        return any(r["path"].endswith("/" + name) for r in ledger._rows(
            "SELECT path FROM locations WHERE host = ? AND gone = 1", [host]))


def test_the_daemon_rides_out_losing_the_shared_ledger_and_loses_nothing(tmp_path, pg_ledgers):
    """The facility's PostgreSQL server restarts or the network drops: the daemon keeps its queue,
    reconnects, and records and flags what landed meanwhile."""
    from urllib.parse import urlsplit

    from .netcut import NetCut

    direct = pg_ledgers()
    parts = urlsplit(direct)
    wire = NetCut(parts.hostname, parts.port or 5432)
    through = direct.replace(f"@{parts.hostname}:{parts.port}", f"@127.0.0.1:{wire.port}")
    state = tmp_path / "state"
    state.mkdir()
    show = production(tmp_path / "srv-b" / "show", tmp_path / "hooks.jsonl")
    d = HostDaemon("srv-b", show, through, state)
    try:
        copy(CAMERA_STILL, show / "finals" / "before.jpg")
        d.wait_until(lambda: _recorded(direct, "before.jpg"), 10, "the first file")
        wire.cut(4.0)
        copy(AI_STILL, show / "finals" / "during_ai.jpg")
        (show / "finals" / "during.png").write_bytes(png_bytes(5))
        time.sleep(2.0)
        assert d.proc.poll() is None, "the daemon must not exit when the ledger goes away"
        d.wait_until(lambda: _recorded(direct, "during_ai.jpg") and _recorded(direct, "during.png"), 30,
                     "the files that landed during the outage")
        d.wait_until(lambda: (tmp_path / "hooks.jsonl").exists(), 10, "the hook for the AI still")
        with Ledger(direct) as ledger:
            assert [os.path.basename(f["path"]) for f in ledger.findings.open()] == ["during_ai.jpg"]
            assert ledger.count("locations") == 3
        d.log.seek(0)
        log = d.log.read()
        assert "lost the connection to the ledger" in log or "cannot connect to the ledger" in log
        assert "reachable again" in log and "aiprov_test:***@" in log and ":aiprov_test@" not in log
    finally:
        assert d.stop() == 0
        wire.close()
