"""One judgement, five ways in: `scan`, the daemon, `lookup`, `timeline` and the pyblish validator
must find the same things wrong with the same files.

A production is prepared the same way for each entry point (on a ledger of its own): unapproved AI
in finals, approved AI, a stripped re-save of AI material from the working zone, a C2PA manifest
that no longer matches its file, a cut-off file, AI material moved since it was recorded, a
renamed copy of approved material, and material approved on another host of a shared ledger.
Each entry point then reports the error findings per file; all five must agree with each other
and with what a delivery QC operator expects.
"""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

import opentimelineio as otio
import pyblish.api
import pyblish.util
from PIL import Image

from aiprov.ledger import Ledger
from aiprov.watch import state_base

from .conftest import CORPUS, REPO, SAMPLES
from .helpers import AI_STILL, CAMERA_STILL, WatchProcess, aiprov, copy, png_bytes

A1111 = "harbour at night\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: {seed}, Size: 64x64"
EXPECTED = {
    "unapproved.jpg": {"ai-in-finals"},
    "approved.jpg": set(),
    "derived.jpg": {"derived-from-ai"},
    "tampered.jpg": {"invalid-provenance"},
    "cut_off.jpg": {"unreadable-in-finals"},
    "moved.png": {"ai-in-finals"},
    "approved_copy.jpg": set(),
    "approved_elsewhere.png": set(),
}


def prepare(root: Path, ledger: str) -> None:
    """Build the production and bring the ledger to the states above, as users would."""
    if root.exists():
        shutil.rmtree(root)
    finals, working = root / "finals", root / "working"
    working.mkdir(parents=True)
    (root / "aiprov.toml").write_text('production = "One Judgement"\n[zones]\nfinals = ["finals/**"]\n'
                                      'working = ["working/**"]\n')
    copy(AI_STILL, finals / "unapproved.jpg")
    copy(SAMPLES / "stills" / "ai_c2pa_generated.jpg", finals / "approved.jpg")
    copy(SAMPLES / "stills" / "ai_c2pa_generated.jpg", finals / "approved_copy.jpg")
    copy(CORPUS / "c2pa" / "XCA.jpg", finals / "tampered.jpg")
    camera = CAMERA_STILL.read_bytes()
    (finals / "cut_off.jpg").write_bytes(camera[:len(camera) // 2])  # a copy that stopped half-way
    # an AI picture made in the working zone, and a re-save of it with every tag stripped in finals
    source = SAMPLES / "stills" / "a1111_parameters.png"
    copy(source, working / "gen_0042.png")
    buf = io.BytesIO()
    Image.open(source).convert("RGB").save(buf, "JPEG", quality=85)
    (finals / "derived.jpg").write_bytes(buf.getvalue())
    (finals / "recorded_here.png").write_bytes(png_bytes(7, {"parameters": A1111.format(seed=7)}, size=(64, 64)))
    (finals / "approved_elsewhere.png").write_bytes(png_bytes(8, {"parameters": A1111.format(seed=8)}, size=(64, 64)))
    assert aiprov("scan", working, "--ledger", ledger).returncode == 0  # the AI source is on record, printed
    assert aiprov("scan", finals / "recorded_here.png", "--ledger", ledger).returncode == 1
    os.rename(finals / "recorded_here.png", finals / "moved.png")  # moved since it was recorded
    approve = ["--by", "Dana Whitfield, VFX supervisor", "--reason", "approved by the studio", "--ledger", ledger]
    assert aiprov("approve", finals / "approved.jpg", *approve).returncode == 0
    elsewhere = root.parent / f"{root.name}_cutting_room"
    elsewhere.mkdir(exist_ok=True)
    shutil.copyfile(finals / "approved_elsewhere.png", elsewhere / "poster.png")
    r = aiprov("approve", elsewhere / "poster.png", *approve, env={"AIPROV_HOST_ID": "cutting-room-2"})
    assert r.returncode == 0, r.stderr


def errors_of(findings: list[dict]) -> set[str]:
    return {f["rule"] for f in findings if f["severity"] == "error"}


def through_scan(root: Path, ledger: str) -> dict[str, set[str]]:
    r = aiprov("scan", root / "finals", "--format", "json", "--ledger", ledger)
    assert r.returncode == 1, r.stderr
    return {os.path.basename(f["path"]): errors_of(f["findings"]) for f in json.loads(r.stdout)["files"]}


def through_the_daemon(root: Path, ledger: str) -> dict[str, set[str]]:
    status_file = Path(str(state_base(ledger)) + ".watch.json")

    class Daemon(WatchProcess):
        def status(self):
            try:
                return json.loads(status_file.read_text())
            except (OSError, ValueError):
                return {}

    d = Daemon([str(root), "--ledger", ledger, "--log-format", "json"], root.parent / "daemon.log")
    try:  # its start-up reconcile judges every file of the tree
        with Ledger(ledger) as db:
            finals = db.locations.live_under(os.fsencode(root / "finals"))
            found = {os.path.basename(loc.path): set() for loc in finals.values()}
            for f in db.findings.open():
                if f["location_id"] in {loc.id for loc in finals.values()}:
                    found[os.path.basename(f["path"])] |= errors_of([f])
    finally:
        assert d.stop() == 0
    return found


def through_lookup(root: Path, ledger: str) -> dict[str, set[str]]:
    out = {}
    for name in EXPECTED:
        r = aiprov("lookup", root / "finals" / name, "--json", "--ledger", ledger)
        assert r.returncode == 0, r.stderr
        out[name] = errors_of(json.loads(r.stdout)["findings"])
    return out


def through_timeline(root: Path, ledger: str) -> dict[str, set[str]]:
    tl = otio.schema.Timeline(name="reel 1", global_start_time=otio.opentime.RationalTime(86400, 24))
    track = otio.schema.Track(name="V1")
    tl.tracks.append(track)
    for name in EXPECTED:
        track.append(otio.schema.Clip(
            name=name, media_reference=otio.schema.ExternalReference(target_url=str(root / "finals" / name)),
            source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(0, 24), otio.opentime.RationalTime(12, 24))))
    edit = root / "reel1.otio"
    otio.adapters.write_to_file(tl, str(edit))
    r = aiprov("timeline", edit, "--json", "--ledger", ledger)
    assert r.returncode == 1, r.stderr
    return {c["clip"]: errors_of(c["findings"]) for c in json.loads(r.stdout)["cuts"]}


def through_pyblish(root: Path, ledger: str) -> dict[str, set[str]]:
    pyblish.api.deregister_all_plugins()
    pyblish.api.deregister_all_paths()
    pyblish.api.register_plugin_path(str(REPO / "hooks" / "pyblish"))

    class Collect(pyblish.api.ContextPlugin):
        order = pyblish.api.CollectorOrder

        def process(self, context):
            context.data["aiprov_ledger"] = ledger
            instance = context.create_instance("reel1Deliverables", family="image")
            instance.data["files"] = [str(root / "finals" / name) for name in EXPECTED]

    pyblish.api.register_plugin(Collect)
    try:
        context = pyblish.util.publish()
    finally:
        pyblish.api.deregister_all_plugins()
        pyblish.api.deregister_all_paths()
    found = context[0].data["aiprov_findings"]
    assert any(r["error"] for r in context.data["results"])  # the publish is blocked
    return {os.path.basename(path): errors_of(f) for path, f in found.items()}


ENTRY_POINTS = {"scan": through_scan, "daemon": through_the_daemon, "lookup": through_lookup,
                "timeline": through_timeline, "pyblish": through_pyblish}


def test_scan_daemon_lookup_timeline_and_pyblish_find_the_same_things(tmp_path, ledgers, backend, monkeypatch):
    monkeypatch.setenv("AIPROV_STATE_DIR", str(tmp_path / "state"))  # a daemon on PostgreSQL keeps its status there
    seen = {}
    for name, entry_point in ENTRY_POINTS.items():
        ledger = ledgers(backend, name)
        root = tmp_path / f"show_{name}"
        prepare(root, ledger)
        seen[name] = entry_point(root, ledger)
    for name, found in seen.items():
        assert found == EXPECTED, f"{name} disagrees: {sorted(set(found) ^ set(EXPECTED))} " + "; ".join(
            f"{f}: {found.get(f)} (expected {EXPECTED[f]})" for f in EXPECTED if found.get(f) != EXPECTED[f])
